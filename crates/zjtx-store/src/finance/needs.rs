//! Needs.

use super::*;

impl Store {
    pub async fn post_need(
        &self,
        uscc: &str,
        amount: i64,
        purpose: &str,
        term_months: i64,
        collateral: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id_then(
            stmt(
                "INSERT INTO needs (uscc, amount, purpose, term_months, collateral, status, created_at) \
                 VALUES (?, ?, ?, ?, ?, 'open', ?) RETURNING id",
                vec![
                    Bind::S(uscc),
                    Bind::I(amount),
                    Bind::S(purpose),
                    Bind::I(term_months),
                    Bind::S(collateral),
                    Bind::I(now()),
                ],
            ),
            "need.post",
            "need",
            purpose,
            actor,
            "",
            vec![outbox("need.posted", None, "")],
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not posted".into()))
    }

    /// Needs of an enterprise (`Some`) or every open need (`None`), newest first.
    pub async fn needs(&self, uscc: Option<&str>) -> Result<Vec<Need>> {
        let u = uscc.unwrap_or("");
        Ok(rows!(
            self,
            "SELECT n.*, e.name FROM needs n JOIN enterprises e ON e.uscc = n.uscc \
             WHERE (? <> '' AND n.uscc = ?) OR (? = '' AND n.status = 'open') ORDER BY n.id DESC",
            [Bind::S(u), Bind::S(u), Bind::S(u)],
            |r| Need {
                id: r.try_get("id")?,
                uscc: r.try_get("uscc")?,
                name: r.try_get("name")?,
                amount: r.try_get("amount")?,
                purpose: r.try_get("purpose")?,
                term_months: r.try_get("term_months")?,
                collateral: r.try_get("collateral")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
            }
        ))
    }

    pub async fn respond_need(
        &self,
        need: i64,
        institution: i64,
        product: Option<i64>,
        text: &str,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        let target = format!("need:{need}");
        let mut stmts = vec![
            stmt(
                "INSERT INTO need_responses (need_id, institution_id, product_id, text, created_at) \
                 SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM needs WHERE id = ? AND status = 'open')",
                vec![
                    Bind::I(need),
                    Bind::I(institution),
                    Bind::OI(product),
                    Bind::S(text),
                    Bind::I(now()),
                    Bind::I(need),
                ],
            ),
            audit(actor, "need.respond", &target, text),
        ];
        stmts.extend(messages(msgs));
        self.exec_tx(stmts, Some("the need is no longer open"))
            .await
    }

    pub async fn need_responses(&self, need: i64) -> Result<Vec<NeedResponse>> {
        Ok(rows!(
            self,
            "SELECT r.*, i.name AS institution FROM need_responses r JOIN institutions i ON i.id = r.institution_id \
             WHERE r.need_id = ? ORDER BY r.id",
            [Bind::I(need)],
            |r| NeedResponse {
                institution: r.try_get("institution")?,
                product_id: r.try_get("product_id")?,
                text: r.try_get("text")?,
                created_at: r.try_get("created_at")?,
            }
        ))
    }
}
