//! Batches.

use super::*;

impl Store {
    pub async fn create_batch(&self, b: &NewBatch, actor: Option<i64>) -> Result<i64> {
        let sql = self.sql(
            "INSERT INTO batches (tier, year, rules, title, declare_until, district_until, city_until, notice_days, \
             quota, experts_per, archived, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
        );
        let audit_sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, 'batch.create', ?, ?)",
        );
        let res: std::result::Result<i64, sqlx::Error> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let id: i64 = sqlx::query(safe(&sql))
                    .bind(&b.tier).bind(b.year).bind(&b.rules).bind(&b.title).bind(&b.declare_until)
                    .bind(&b.district_until).bind(&b.city_until).bind(b.notice_days).bind(b.quota)
                    .bind(b.experts_per).bind(now()).bind(actor)
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                sqlx::query(safe(&audit_sql)).bind(now()).bind(actor).bind(format!("batch:{id}"))
                    .bind(format!("{} {} {}", b.tier, b.year, b.rules)).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(id)
            }.await
        });
        match res {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                format!("a {} batch for {} already exists", b.tier, b.year),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn batches(&self) -> Result<Vec<Batch>> {
        let sql = self.sql("SELECT * FROM batches ORDER BY year DESC, tier");
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(batch_row!(r));
            }
            out
        }))
    }

    pub async fn batch(&self, id: i64) -> Result<Option<Batch>> {
        let sql = self.sql("SELECT * FROM batches WHERE id = ?");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Some(batch_row!(&r)),
                None => None,
            }
        }))
    }

    pub async fn archive_batch(&self, id: i64, actor: Option<i64>) -> Result<()> {
        let target = format!("batch:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE batches SET archived = 1 WHERE id = ? AND archived = 0",
                    vec![Bind::I(id)],
                ),
                audit(actor, "batch.archive", &target, ""),
            ],
            Some("the batch is already archived"),
        )
        .await
    }

    /// Opens a round of the public notice of a batch: every approved declaration goes on it, for
    /// the days from `from` to `until` (its own window); the batch keeps the first day and the
    /// latest end. Refused when no declaration is approved.
    pub async fn publish_notice(
        &self,
        batch: i64,
        from: &str,
        until: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("batch:{batch}");
        let detail = format!("{from} – {until}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE batches SET notice_from = COALESCE(notice_from, ?), notice_until = ? WHERE id = ? \
                     AND EXISTS (SELECT 1 FROM declarations WHERE batch_id = ? AND status = 'approved')",
                    vec![Bind::S(from), Bind::S(until), Bind::I(batch), Bind::I(batch)],
                ),
                stmt(
                    "UPDATE declarations SET status = 'notice', notice_from = ?, notice_until = ?, updated_at = ? \
                     WHERE batch_id = ? AND status = 'approved'",
                    vec![Bind::S(from), Bind::S(until), Bind::I(now()), Bind::I(batch)],
                ),
                audit(actor, "batch.notice", &target, &detail),
            ],
            Some("no declaration is approved and waiting for the notice"),
        )
        .await
    }

    /// Moves a notice window (the bureau correcting a date; also how tests reach its end).
    pub async fn set_notice_window(
        &self,
        batch: i64,
        from: &str,
        until: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("batch:{batch}");
        let detail = format!("{from} – {until}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE batches SET notice_from = ?, notice_until = ? WHERE id = ? AND notice_from IS NOT NULL",
                    vec![Bind::S(from), Bind::S(until), Bind::I(batch)],
                ),
                stmt(
                    "UPDATE declarations SET notice_from = ?, notice_until = ? WHERE batch_id = ? AND status = 'notice'",
                    vec![Bind::S(from), Bind::S(until), Bind::I(batch)],
                ),
                audit(actor, "batch.notice_window", &target, &detail),
            ],
            Some("the batch has no notice yet"),
        )
        .await
    }
}
