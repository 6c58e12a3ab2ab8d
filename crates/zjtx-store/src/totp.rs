//! The second factor's records: an account's TOTP secret and the sign-ins waiting for a code.

use super::*;

/// An account's TOTP enrolment.
#[derive(Clone)]
pub struct TotpRow {
    /// Base32.
    pub secret: String,
    /// Whether its owner has entered a first code (until then it is not required at sign-in).
    pub confirmed: bool,
    pub last_step: i64,
}

/// The secret stays out of logs.
impl std::fmt::Debug for TotpRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRow")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub async fn totp_of(&self, user_id: i64) -> Result<Option<TotpRow>> {
        let sql = self.sql("SELECT secret, confirmed_at, last_step FROM totp WHERE user_id = ?");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(user_id).fetch_optional(p).await? {
                None => None,
                Some(r) => Some(TotpRow {
                    secret: r.try_get("secret")?,
                    confirmed: r.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
                    last_step: r.try_get("last_step")?,
                }),
            }
        }))
    }

    /// Starts an enrolment with a new secret, replacing one not yet confirmed; false when the
    /// account already has a confirmed one (it is removed first, with a code).
    pub async fn start_totp(&self, user_id: i64, secret: &str) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO totp (user_id, secret) VALUES (?, ?) \
                 ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0 \
                 WHERE totp.confirmed_at IS NULL",
                &[Bind::I(user_id), Bind::S(secret)],
            )
            .await?
            == 1)
    }

    /// Accepts a code's time step once: true when `step` is later than every step accepted
    /// before (two requests with the same code: one wins). Confirms an enrolment.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE totp SET last_step = ?, confirmed_at = COALESCE(confirmed_at, ?) \
                 WHERE user_id = ? AND last_step < ?",
                &[
                    Bind::I(step),
                    Bind::I(now()),
                    Bind::I(user_id),
                    Bind::I(step),
                ],
            )
            .await?
            == 1)
    }

    pub async fn remove_totp(&self, user_id: i64) -> Result<()> {
        self.exec("DELETE FROM totp WHERE user_id = ?", &[Bind::I(user_id)])
            .await?;
        Ok(())
    }

    /// Keeps a sign-in waiting for its second factor for `ttl_secs`.
    pub async fn put_pending_login(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl_secs: i64,
    ) -> Result<()> {
        let t = now();
        self.exec(
            "DELETE FROM pending_logins WHERE expires_at < ? OR user_id = ?",
            &[Bind::I(t), Bind::I(user_id)],
        )
        .await?;
        self.exec(
            "INSERT INTO pending_logins (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
            &[Bind::S(token_hash), Bind::I(user_id), Bind::I(t + ttl_secs)],
        )
        .await?;
        Ok(())
    }

    /// The (enabled) account of a sign-in still waiting.
    pub async fn pending_login(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = self.sql(
            "SELECT u.* FROM pending_logins l JOIN users u ON u.id = l.user_id \
             WHERE l.token_hash = ? AND l.expires_at > ? AND u.disabled = 0",
        );
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(token_hash).bind(now()).fetch_optional(p).await? {
                Some(r) => Some(user_row!(&r)),
                None => None,
            }
        }))
    }

    pub async fn delete_pending_login(&self, token_hash: &str) -> Result<()> {
        self.exec(
            "DELETE FROM pending_logins WHERE token_hash = ?",
            &[Bind::S(token_hash)],
        )
        .await?;
        Ok(())
    }
}
