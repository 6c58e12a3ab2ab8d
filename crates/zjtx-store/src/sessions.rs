//! Sessions.

use super::*;

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        let t = now();
        self.exec(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            &[Bind::S(token_hash), Bind::I(user_id), Bind::S(csrf), Bind::I(t), Bind::I(t + ttl_secs)],
        )
        .await?;
        Ok(())
    }

    /// The live session with this token hash and its (enabled) user.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let sql = self.sql(
            "SELECT s.csrf, s.expires_at, u.*, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL \
              LIMIT 100) x) AS unread \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        );
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(token_hash).bind(now()).fetch_optional(p).await? {
                None => None,
                Some(r) => Some((Session { csrf: r.try_get("csrf")?, expires_at: r.try_get("expires_at")?, unread: r.try_get("unread")? }, user_row!(&r))),
            }
        }))
    }

    /// Ends every session of a user but the one whose token hash is `except`.
    pub async fn end_sessions(&self, user_id: i64, except: Option<&str>) -> Result<u64> {
        self.exec(
            "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
            &[Bind::I(user_id), Bind::S(except.unwrap_or(""))],
        )
        .await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.exec(
            "DELETE FROM sessions WHERE token_hash = ?",
            &[Bind::S(token_hash)],
        )
        .await?;
        Ok(())
    }

    /// Database maintenance after bulk changes: `VACUUM ANALYZE` on PostgreSQL (what autovacuum
    /// does in time), `PRAGMA optimize` on SQLite.
    pub async fn maintain(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => sqlx::query("PRAGMA optimize")
                .execute(p)
                .await
                .map(|_| ())?,
            Db::Postgres(p) => sqlx::query("VACUUM ANALYZE").execute(p).await.map(|_| ())?,
        }
        Ok(())
    }
}
