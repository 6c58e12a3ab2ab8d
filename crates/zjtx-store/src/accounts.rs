//! Accounts.

use super::*;

impl Store {
    pub async fn add_user(&self, u: &NewUser) -> Result<i64> {
        let sql = self.sql(
            "INSERT INTO users (username, password_hash, role, region_code, uscc, disabled, failed_logins, created_at) \
             VALUES (?, ?, ?, ?, ?, 0, 0, ?) RETURNING id",
        );
        let res = on_pool!(self, p => {
            sqlx::query(safe(&sql))
                .bind(&u.username)
                .bind(&u.password_hash)
                .bind(u.role.key())
                .bind(u.region_code.as_deref())
                .bind(u.uscc.as_deref())
                .bind(now())
                .fetch_one(p)
                .await
                .and_then(|r| r.try_get::<i64, _>("id"))
        });
        match res {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                format!("user {:?} already exists", u.username),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = self.sql("SELECT * FROM users WHERE username = ?");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(username).fetch_optional(p).await? {
                Some(r) => Some(user_row!(&r)),
                None => None,
            }
        }))
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = self.sql("SELECT * FROM users ORDER BY id");
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).fetch_all(p).await?;
            let mut users = Vec::with_capacity(rows.len());
            for r in &rows {
                users.push(user_row!(r));
            }
            users
        }))
    }

    pub(crate) async fn exec(&self, sql: &str, binds: &[Bind<'_>]) -> Result<u64> {
        let sql = self.sql(sql);
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in binds {
                q = b.bind_to(q);
            }
            q.execute(p).await?.rows_affected()
        }))
    }

    pub async fn set_password(&self, username: &str, hash: &str) -> Result<bool> {
        Ok(self
            .exec("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE username = ?", &[Bind::S(hash), Bind::S(username)])
            .await?
            > 0)
    }

    /// Sets (or, with `None`, removes) an account's e-mail address.
    pub async fn set_email(&self, username: &str, email: Option<&str>) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE users SET email = ? WHERE username = ?",
                &[Bind::OS(email), Bind::S(username)],
            )
            .await?
            > 0)
    }

    /// The addresses of those of these accounts that have one and are enabled.
    pub async fn emails_of(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = self
            .sql(&format!(
                "SELECT id, email FROM users WHERE disabled = 0 AND email IS NOT NULL AND id IN ({})",
                vec!["?"; ids.len()].join(", ")
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("email")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<bool> {
        let changed = self
            .exec(
                "UPDATE users SET disabled = ? WHERE username = ?",
                &[Bind::I(i64::from(disabled)), Bind::S(username)],
            )
            .await?
            > 0;
        if disabled && changed {
            self.exec(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
                &[Bind::S(username)],
            )
            .await?;
        }
        Ok(changed)
    }

    /// Counts one more sign-in attempt under `key` in a window of `window` seconds (a new window
    /// starts when the last has passed), in one statement, so concurrent attempts each get their
    /// own number. Returns the attempts in the window, this one included.
    pub async fn count_attempt(&self, key: &str, now: i64, window: i64) -> Result<i64> {
        let sql = self.sql(
            "INSERT INTO login_throttle (key, window_start, attempts) VALUES (?, ?, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN login_throttle.window_start <= ? THEN 1 ELSE login_throttle.attempts + 1 END, \
             window_start = CASE WHEN login_throttle.window_start <= ? THEN excluded.window_start ELSE login_throttle.window_start END \
             RETURNING attempts",
        );
        let start = now - window;
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(key).bind(now).bind(start).bind(start)
                .fetch_one(p).await?.try_get::<i64, _>("attempts")?
        }))
    }

    /// The attempts counted under `key` in the current window, without counting one.
    pub async fn attempts(&self, key: &str, now: i64, window: i64) -> Result<i64> {
        let sql =
            self.sql("SELECT attempts FROM login_throttle WHERE key = ? AND window_start > ?");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(key).bind(now - window).fetch_optional(p).await? {
                Some(r) => r.try_get::<i64, _>("attempts")?,
                None => 0,
            }
        }))
    }

    /// Forgets the attempts under `key` (after a successful sign-in).
    pub async fn clear_attempts(&self, key: &str) -> Result<()> {
        self.exec("DELETE FROM login_throttle WHERE key = ?", &[Bind::S(key)])
            .await?;
        Ok(())
    }
}
