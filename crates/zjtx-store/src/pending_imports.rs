//! Pending imports.

use super::*;

impl Store {
    /// How long an uploaded file waits for its confirmation.
    pub const PENDING_IMPORT_SECS: i64 = 3600;

    /// Keeps an uploaded file until its uploader commits it: one per user (a new upload replaces
    /// the last), none older than `PENDING_IMPORT_SECS`, so the files waiting take at most one
    /// upload's size per importer.
    pub async fn put_pending_import(
        &self,
        id: &str,
        user_id: i64,
        filename: &str,
        content: &[u8],
    ) -> Result<()> {
        self.exec(
            "DELETE FROM pending_imports WHERE created_at < ? OR user_id = ?",
            &[Bind::I(now() - Self::PENDING_IMPORT_SECS), Bind::I(user_id)],
        )
        .await?;
        let sql = self.sql("INSERT INTO pending_imports (id, user_id, filename, content, created_at) VALUES (?, ?, ?, ?, ?)");
        on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(id).bind(user_id).bind(filename).bind(content).bind(now()).execute(p).await?;
        });
        Ok(())
    }

    /// An uploaded file of this user: (file name, content).
    pub async fn pending_import(
        &self,
        id: &str,
        user_id: i64,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let sql = self.sql(
            "SELECT filename, content FROM pending_imports WHERE id = ? AND user_id = ? AND created_at >= ?",
        );
        let oldest = now() - Self::PENDING_IMPORT_SECS;
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(id).bind(user_id).bind(oldest).fetch_optional(p).await? {
                Some(r) => Some((r.try_get("filename")?, r.try_get("content")?)),
                None => None,
            }
        }))
    }

    pub async fn delete_pending_import(&self, id: &str) -> Result<()> {
        self.exec("DELETE FROM pending_imports WHERE id = ?", &[Bind::S(id)])
            .await?;
        Ok(())
    }
}
