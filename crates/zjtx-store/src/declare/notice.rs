//! Notice and objections.

use super::*;

impl Store {
    /// Files an objection against a declaration on notice (anyone may, without an account).
    pub async fn file_objection(
        &self,
        declaration: i64,
        filer: &str,
        contact: &str,
        text: &str,
    ) -> Result<()> {
        let target = format!("declaration:{declaration}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO objections (declaration_id, filer, contact, text, filed_at) \
                     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM declarations WHERE id = ? AND status = 'notice')",
                    vec![
                        Bind::I(declaration),
                        Bind::S(filer),
                        Bind::S(contact),
                        Bind::S(text),
                        Bind::I(now()),
                        Bind::I(declaration),
                    ],
                ),
                audit(None, "objection.file", &target, filer),
            ],
            Some("the declaration is not on public notice"),
        )
        .await
    }

    pub async fn objections(&self, declaration: i64) -> Result<Vec<Objection>> {
        self.objections_where("declaration_id = ?", declaration)
            .await
    }

    /// One objection by its id.
    pub async fn objection(&self, id: i64) -> Result<Option<Objection>> {
        Ok(self.objections_where("id = ?", id).await?.pop())
    }

    async fn objections_where(&self, cond: &str, key: i64) -> Result<Vec<Objection>> {
        let text = format!("SELECT * FROM objections WHERE {cond} ORDER BY filed_at, id");
        let sql = self.sql(&text);
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(key).fetch_all(p).await?.iter()
                .map(|r| Ok(Objection {
                    id: r.try_get("id")?,
                    declaration_id: r.try_get("declaration_id")?,
                    filer: r.try_get("filer")?,
                    contact: r.try_get("contact")?,
                    text: r.try_get("text")?,
                    filed_at: r.try_get("filed_at")?,
                    upheld: r.try_get::<Option<i64>, _>("upheld")?.map(|v| v != 0),
                    resolution: r.try_get("resolution")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Resolves an open objection; upheld, the declaration is refused.
    pub async fn resolve_objection(
        &self,
        objection: i64,
        upheld: bool,
        resolution: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("objection:{objection}");
        let mut stmts = vec![
            stmt(
                "UPDATE objections SET upheld = ?, resolution = ?, resolved_at = ?, resolved_by = ? \
                 WHERE id = ? AND upheld IS NULL",
                vec![
                    Bind::I(i64::from(upheld)),
                    Bind::S(resolution),
                    Bind::I(now()),
                    Bind::OI(actor),
                    Bind::I(objection),
                ],
            ),
            audit(
                actor,
                if upheld {
                    "objection.uphold"
                } else {
                    "objection.dismiss"
                },
                &target,
                resolution,
            ),
        ];
        if upheld {
            stmts.push(stmt(
                "UPDATE declarations SET status = 'refused', updated_at = ? WHERE status = 'notice' \
                 AND id = (SELECT declaration_id FROM objections WHERE id = ?)",
                vec![Bind::I(now()), Bind::I(objection)],
            ));
        }
        self.exec_tx(stmts, Some("the objection does not exist or is resolved"))
            .await
    }
}
