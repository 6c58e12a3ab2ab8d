//! Evidence.

use super::*;

impl Store {
    /// Whether any evidence record holds the file of this SHA-256.
    pub async fn evidence_exists(&self, sha256: &str) -> Result<bool> {
        let sql = self.sql("SELECT 1 AS one FROM evidence WHERE sha256 = ? LIMIT 1");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(sha256).fetch_optional(p).await?.is_some()
        }))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_evidence(
        &self,
        declaration: i64,
        rule_id: &str,
        filename: &str,
        content_type: &str,
        size: i64,
        sha256: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("declaration:{declaration}");
        let detail = format!("{rule_id} {filename} {sha256}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO evidence (declaration_id, rule_id, filename, content_type, size, sha256, uploaded_at, uploaded_by) \
                     SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS \
                     (SELECT 1 FROM declarations WHERE id = ? AND status IN ('draft', 'returned'))",
                    vec![
                        Bind::I(declaration),
                        Bind::S(rule_id),
                        Bind::S(filename),
                        Bind::S(content_type),
                        Bind::I(size),
                        Bind::S(sha256),
                        Bind::I(now()),
                        Bind::OI(actor),
                        Bind::I(declaration),
                    ],
                ),
                audit(actor, "evidence.add", &target, &detail),
            ],
            Some("the declaration can no longer be changed"),
        )
        .await
    }

    pub async fn evidence_of(&self, declaration: i64) -> Result<Vec<Evidence>> {
        self.evidence_where("declaration_id = ?", declaration).await
    }

    pub async fn evidence(&self, id: i64) -> Result<Option<Evidence>> {
        Ok(self.evidence_where("id = ?", id).await?.into_iter().next())
    }

    pub(crate) async fn evidence_where(&self, cond: &str, v: i64) -> Result<Vec<Evidence>> {
        let sql = self
            .sql(&format!(
                "SELECT * FROM evidence WHERE {cond} ORDER BY rule_id, id"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(v).fetch_all(p).await?.iter()
                .map(|r| Ok(Evidence {
                    id: r.try_get("id")?,
                    declaration_id: r.try_get("declaration_id")?,
                    rule_id: r.try_get("rule_id")?,
                    filename: r.try_get("filename")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    uploaded_at: r.try_get("uploaded_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}
