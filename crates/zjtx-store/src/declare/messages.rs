//! Messages.

use super::*;

impl Store {
    /// The accounts to tell about a declaration: its enterprise's, and its district office's.
    pub async fn recipients(
        &self,
        uscc: &str,
        region: Option<&str>,
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let sql = self.sql(
            "SELECT id, role FROM users WHERE disabled = 0 AND ((role = 'enterprise' AND uscc = ?) \
             OR (role = 'district' AND region_code = ?)) \
             AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = users.id)",
        );
        let rows: Vec<(i64, String)> = on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(uscc).bind(region).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("role")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let of = |role: &str| {
            rows.iter()
                .filter(|(_, r)| r == role)
                .map(|(id, _)| *id)
                .collect()
        };
        Ok((of("enterprise"), of("district")))
    }

    pub async fn notifications(&self, user_id: i64) -> Result<Vec<Notification>> {
        let sql = self.sql(
            "SELECT * FROM notifications WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 200",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(user_id).fetch_all(p).await?.iter()
                .map(|r| Ok(Notification {
                    id: r.try_get("id")?,
                    text: r.try_get("text")?,
                    text_en: r.try_get("text_en")?,
                    link: r.try_get("link")?,
                    created_at: r.try_get("created_at")?,
                    read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Sends in-app messages outside a workflow step (the daily digest).
    pub async fn notify(&self, msgs: &[Message<'_>]) -> Result<()> {
        self.exec_tx(messages(msgs).collect(), None).await
    }

    pub async fn mark_read(&self, user_id: i64) -> Result<()> {
        self.exec(
            "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
            &[Bind::I(now()), Bind::I(user_id)],
        )
        .await?;
        Ok(())
    }
}
