//! Audit.

use super::*;

impl Store {
    pub async fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        target: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        let sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        );
        on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(now()).bind(user_id).bind(action).bind(target).bind(detail).execute(p).await?;
        });
        Ok(())
    }

    /// The audit records of one action, oldest first.
    pub async fn audit_by_action(&self, action: &str) -> Result<Vec<AuditRecord>> {
        self.flush_reads().await?;
        let sql = self.sql(
            "SELECT at, user_id, action, target, detail FROM audit_log WHERE action = ? ORDER BY id",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(action).fetch_all(p).await?.iter()
                .map(|r| Ok(AuditRecord {
                    at: r.try_get("at")?,
                    user_id: r.try_get("user_id")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The audit records about a target, newest first.
    pub async fn audit_for(&self, target: &str) -> Result<Vec<AuditRecord>> {
        self.flush_reads().await?;
        let sql = self.sql("SELECT at, user_id, action, target, detail FROM audit_log WHERE target = ? ORDER BY id DESC");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(target).fetch_all(p).await?.iter().map(|r| Ok(AuditRecord {
                at: r.try_get("at")?,
                user_id: r.try_get("user_id")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                detail: r.try_get("detail")?,
            })).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}
