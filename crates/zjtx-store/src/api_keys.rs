//! Keys for systems (issue 17): an institution, a district or the bureau names a key, gives it
//! scopes and an expiry; the key signs in as an account of its own, a copy of its creator's role,
//! district and institution without a password, so that every check of the pages applies to it
//! and every call is audited under its name. Only a hash of the key is kept; revoking a key also
//! disables its account, at once.

use super::declare::{audit, stmt};
use super::*;
use serde::Serialize;

/// A stored key, as its holders see it (never the key itself).
#[derive(Clone, Debug, Serialize)]
pub struct ApiKey {
    pub id: i64,
    /// The key's own account.
    pub user_id: i64,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// Comma-separated: `read`, `write`.
    pub scopes: String,
    pub expires_on: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

impl ApiKey {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s == scope)
    }
}

pub struct NewApiKey<'a> {
    /// The account creating it: the key's account copies its role, district and institution.
    pub owner: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a str,
    pub expires_on: &'a str,
}

macro_rules! key_row {
    ($r:expr) => {{
        let r = $r;
        ApiKey {
            id: r.try_get("key_id")?,
            user_id: r.try_get("key_user")?,
            name: r.try_get("key_name")?,
            prefix: r.try_get("prefix")?,
            scopes: r.try_get("scopes")?,
            expires_on: r.try_get("expires_on")?,
            created_at: r.try_get("key_created")?,
            last_used_at: r.try_get("last_used_at")?,
            revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        }
    }};
}

const KEY_COLS: &str = "k.id AS key_id, k.user_id AS key_user, k.name AS key_name, k.prefix, \
     k.scopes, k.expires_on, k.created_at AS key_created, k.last_used_at, k.revoked_at";

/// The accounts of the same seat as account `?`: the same role, institution and district (the
/// keys one holder sees are those of its institution, district or the bureau).
const SAME_SEAT: &str = "SELECT o.id FROM users o JOIN users m ON m.id = ? \
     WHERE o.role = m.role AND COALESCE(o.institution_id, 0) = COALESCE(m.institution_id, 0) \
     AND COALESCE(o.region_code, '') = COALESCE(m.region_code, '')";

impl Store {
    /// Creates a key and its account in one transaction; the account's name is derived from the
    /// creator and the key's name, so a seat cannot hold two keys of one name.
    pub async fn create_api_key(&self, k: &NewApiKey<'_>) -> Result<i64> {
        let username = format!("api:{}:{}", k.owner, k.name);
        if self.user_by_name(&username).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "a key named {:?} exists",
                k.name
            )));
        }
        let target = format!("apikey:{}", k.name);
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO users (username, password_hash, role, region_code, uscc, institution_id, disabled, failed_logins, created_at) \
                     SELECT ?, '!', role, region_code, uscc, institution_id, 0, 0, ? FROM users \
                     WHERE id = ? AND role IN ('city', 'district', 'institution') AND disabled = 0",
                    vec![Bind::S(&username), Bind::I(now()), Bind::I(k.owner)],
                ),
                stmt(
                    "INSERT INTO api_keys (user_id, owner_id, name, prefix, key_hash, scopes, expires_on, created_at) \
                     SELECT id, ?, ?, ?, ?, ?, ?, ? FROM users WHERE username = ?",
                    vec![
                        Bind::I(k.owner),
                        Bind::S(k.name),
                        Bind::S(k.prefix),
                        Bind::S(k.key_hash),
                        Bind::S(k.scopes),
                        Bind::S(k.expires_on),
                        Bind::I(now()),
                        Bind::S(&username),
                    ],
                ),
                audit(Some(k.owner), "apikey.create", &target, k.scopes),
            ],
            Some("this account cannot hold keys"),
        )
        .await?;
        let id: Vec<i64> = rows!(
            self,
            "SELECT id FROM api_keys WHERE key_hash = ?",
            [Bind::S(k.key_hash)],
            |r| r.try_get::<i64, _>("id")?
        );
        id.first()
            .copied()
            .ok_or_else(|| StoreError::Conflict("the key was not stored".into()))
    }

    /// The key with this hash, in force on `today`, with its account (not disabled).
    pub async fn api_key(&self, key_hash: &str, today: &str) -> Result<Option<(ApiKey, User)>> {
        let sql = self
            .sql(&format!(
                "SELECT {KEY_COLS}, u.* FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.key_hash = ? AND k.revoked_at IS NULL AND k.expires_on >= ? AND u.disabled = 0"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(key_hash).bind(today).fetch_optional(p).await? {
                None => None,
                Some(r) => Some((key_row!(&r), user_row!(&r))),
            }
        }))
    }

    /// The keys of the seat of account `user` (its institution's, its district's or the
    /// bureau's), newest first.
    pub async fn api_keys(&self, user: i64) -> Result<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {KEY_COLS} FROM api_keys k WHERE k.user_id IN ({SAME_SEAT}) ORDER BY k.id DESC"
        );
        Ok(rows!(self, &sql, [Bind::I(user)], |r| key_row!(r)))
    }

    /// Revokes a key of the seat of account `actor`, and disables its account.
    pub async fn revoke_api_key(&self, id: i64, actor: i64) -> Result<()> {
        let target = format!("apikey:{id}");
        let guard = format!(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND user_id IN ({SAME_SEAT})"
        );
        self.exec_tx(
            vec![
                stmt(guard, vec![Bind::I(now()), Bind::I(id), Bind::I(actor)]),
                stmt(
                    "UPDATE users SET disabled = 1 WHERE id = (SELECT user_id FROM api_keys WHERE id = ?)",
                    vec![Bind::I(id)],
                ),
                audit(Some(actor), "apikey.revoke", &target, ""),
            ],
            Some("no such key in force"),
        )
        .await
    }

    /// Notes that a key was used now (the caller decides how often).
    pub async fn touch_api_key(&self, id: i64) -> Result<()> {
        self.exec(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ?",
            &[Bind::I(now()), Bind::I(id)],
        )
        .await?;
        Ok(())
    }
}
