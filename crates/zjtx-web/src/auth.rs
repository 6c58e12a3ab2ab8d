//! Accounts: argon2id passwords, server-side sessions, CSRF tokens, lock-out, and the scope a user
//! may see.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use zjtx_store::{Role, Scope, Session, Store, User};

use crate::AppState;
use crate::common::cookie_in;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "zjtx_session";
/// A token for forms shown before login (the login form itself), checked against a cookie.
pub const PRE_COOKIE: &str = "zjtx_pre";
/// Sign-in attempts one source may make at one account name (known or not) in a window, and
/// failed attempts it may make at all names together; the window.
pub const MAX_ATTEMPTS_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_SOURCE: i64 = 30;
pub const THROTTLE_SECS: i64 = 15 * 60;
pub const SESSION_SECS: i64 = 8 * 3600;

/// Hashes a password with argon2id (random salt, default parameters), as a PHC string.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password failed: {e}")))
}

/// Whether a password matches a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A random token of 32 bytes, hex-encoded.
pub fn random_token() -> Result<String, AppError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(b))
}

/// The session's form token as a page carries it: a fresh random pad, then the token XOR the pad
/// (hex), so that no two pages hold the same bytes — compressed pages that also echo what a
/// request sent (a search) cannot leak the token by their length (BREACH). A token that is not
/// hex is given as it is.
pub fn masked_csrf(token: &str) -> String {
    let Ok(raw) = hex::decode(token) else {
        return token.to_owned();
    };
    let mut pad = vec![0u8; raw.len()];
    if getrandom::fill(&mut pad).is_err() {
        return token.to_owned();
    }
    let xored: Vec<u8> = raw.iter().zip(&pad).map(|(a, b)| a ^ b).collect();
    format!("{}{}", hex::encode(pad), hex::encode(xored))
}

/// A form token as sent back: a masked one unmasked; a plain one as it is.
pub fn unmask_csrf(sent: &str) -> String {
    let half = sent.len() / 2;
    if !sent.len().is_multiple_of(2) || half == 0 || !sent.is_char_boundary(half) {
        return sent.to_owned();
    }
    match (hex::decode(&sent[..half]), hex::decode(&sent[half..])) {
        (Ok(pad), Ok(x)) if pad.len() == x.len() && pad.len() == 32 => {
            hex::encode(pad.iter().zip(&x).map(|(a, b)| a ^ b).collect::<Vec<u8>>())
        }
        _ => sent.to_owned(),
    }
}

/// Only the SHA-256 of a session token is stored, so a copy of the database gives no sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie value from the request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_in(&parts.headers, name)
}

/// The signed-in user of a request, with the session's CSRF token.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
    pub token_hash: String,
    /// Signed in by an `Authorization: Bearer` header (a machine client), not a cookie.
    pub bearer: bool,
    /// The system key the call came with, if any (`keys`).
    pub key: Option<zjtx_store::ApiKey>,
}

/// A page open to everyone that adds to what a signed-in user sees: no session is `None`.
impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        match <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(AppError::Login) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // Looked up once per request: the access check keeps what it found.
        if let Some(u) = parts.extensions.get::<CurrentUser>() {
            return Ok(u.clone());
        }
        // Machine clients send `Authorization: Bearer TOKEN`; browsers send the session cookie.
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(key) = bearer.filter(|t| t.starts_with(crate::keys::KEY_PREFIX)) {
            return key_user(parts, state, key).await;
        }
        let Some(token) = bearer.or_else(|| cookie(parts, SESSION_COOKIE)) else {
            return Err(AppError::Login);
        };
        let token_hash = token_hash(token);
        match state.store.session(&token_hash).await? {
            Some((session, user)) => Ok(CurrentUser {
                user,
                session,
                token_hash,
                bearer: bearer.is_some(),
                key: None,
            }),
            None => Err(AppError::Login),
        }
    }
}

/// A call with a system key: the key in force on the workflow's date, under `/api/` only, a
/// read-only key for reading only, within its rate; the call audited under the key's account.
async fn key_user(parts: &Parts, state: &AppState, key: &str) -> Result<CurrentUser, AppError> {
    let hash = token_hash(key);
    let today = state.today().to_string();
    let Some((k, user)) = state.store.api_key(&hash, &today).await? else {
        return Err(AppError::Login);
    };
    let path = parts.uri.path();
    let reads = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if !path.starts_with("/api/") || (!reads && !k.allows("write")) {
        return Err(AppError::Forbidden);
    }
    let touch = state.key_limits.take(k.id).map_err(AppError::TooMany)?;
    if touch {
        state.store.touch_api_key(k.id).await?;
    }
    let call = format!("{} {path}", parts.method);
    state
        .store
        .audit_read(Some(user.id), "api.call", Some(&call), &k.name)
        .await?;
    Ok(CurrentUser {
        user,
        // A key has no form to post: a CSRF token no one knows.
        session: Session {
            csrf: random_token()?,
            expires_at: 0,
            unread: 0,
        },
        token_hash: hash,
        bearer: true,
        key: Some(k),
    })
}

impl CurrentUser {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        if same(&unmask_csrf(token), &self.session.csrf) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }

    /// What this user may see of the registry.
    pub async fn scope(&self, store: &Store) -> Result<Scope, AppError> {
        Ok(match self.user.role {
            Role::City => Scope::all(),
            Role::District => match &self.user.region_code {
                Some(r) => Scope {
                    regions: Some(store.region_and_below(r).await?),
                    uscc: None,
                },
                None => Scope::none(),
            },
            Role::Enterprise => match &self.user.uscc {
                Some(u) => Scope {
                    regions: None,
                    uscc: Some(u.clone()),
                },
                None => Scope::none(),
            },
            // Institutions see firms only through consent (finance zone); providers have no
            // access to the registry.
            Role::Institution | Role::Provider | Role::Expert => Scope::none(),
        })
    }

    /// Whether the registry pages are for this role at all.
    pub fn sees_registry(&self) -> bool {
        matches!(
            self.user.role,
            Role::City | Role::District | Role::Enterprise
        )
    }
}

/// What a sign-in attempt came to.
pub enum LoginOutcome {
    Ok(User),
    /// Unknown user, disabled account or wrong password: one answer for all, so names cannot be probed.
    Invalid,
    /// This source made too many attempts: it waits, whether or not the name exists. Nobody else
    /// is kept out of the account.
    Throttled,
}

/// The address a request came from: the peer, or, when the peer is a proxy on this machine, the
/// last address it appended to `X-Forwarded-For`. "unknown" without either.
pub fn client_addr(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .and_then(|v| v.parse::<std::net::IpAddr>().ok());
    match (peer, forwarded) {
        (Some(p), Some(f)) if p.is_loopback() => f.to_string(),
        (Some(p), _) => p.to_string(),
        (None, _) => "unknown".to_owned(),
    }
}

/// Checks a user name and password. Attempts are counted before the password is checked, in one
/// statement per key, so concurrent guesses cannot outrun the count: a source gets
/// `MAX_ATTEMPTS_PER_ACCOUNT` attempts at one name and `MAX_FAILURES_PER_SOURCE` failures in all
/// per window, unknown names counted as known ones, and a success clears its name's count. Every
/// attempt is audited with its source, refused ones included.
pub async fn authenticate(
    st: &AppState,
    source: &str,
    username: &str,
    password: &str,
) -> Result<LoginOutcome, AppError> {
    let now = zjtx_store::now();
    let name = username.trim();
    let account_key = format!("acct:{source}:{}", name.to_lowercase());
    let source_key = format!("src:{source}");
    let tries = st
        .store
        .count_attempt(&account_key, now, THROTTLE_SECS)
        .await?;
    let failures = st.store.attempts(&source_key, now, THROTTLE_SECS).await?;
    let user = st.store.user_by_name(name).await?;
    let detail = format!("{source} {name:?}");
    let user_id = user.as_ref().map(|u| u.id);
    if tries > MAX_ATTEMPTS_PER_ACCOUNT || failures >= MAX_FAILURES_PER_SOURCE {
        st.store
            .audit(user_id, "login_throttled", None, &detail)
            .await?;
        return Ok(LoginOutcome::Throttled);
    }
    // The same work whether or not the account exists.
    let hash = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map_or_else(|| st.dummy_hash.clone(), |u| u.password_hash.clone());
    let pw = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    match user.filter(|u| ok && !u.disabled) {
        Some(user) => {
            st.store.clear_attempts(&account_key).await?;
            Ok(LoginOutcome::Ok(user))
        }
        None => {
            st.store
                .count_attempt(&source_key, now, THROTTLE_SECS)
                .await?;
            st.store
                .audit(user_id, "login_failed", None, &detail)
                .await?;
            Ok(LoginOutcome::Invalid)
        }
    }
}

/// Opens a session for a user; returns its token (for the cookie or the bearer header).
pub async fn open_session(st: &AppState, user: &User, how: &str) -> Result<String, AppError> {
    let token = random_token()?;
    let csrf = random_token()?;
    st.store
        .create_session(&token_hash(&token), user.id, &csrf, SESSION_SECS)
        .await?;
    st.store.audit(Some(user.id), "login", None, how).await?;
    Ok(token)
}

/// Audits a read of a list of enterprises' figures (a page of the list, the API's list, an
/// export): one record per thousand firms, naming each, with what was asked.
pub async fn audit_list(
    st: &AppState,
    user: &CurrentUser,
    action: &str,
    query: &str,
    usccs: impl Iterator<Item = &str>,
) -> Result<(), AppError> {
    let usccs: Vec<&str> = usccs.collect();
    if usccs.is_empty() {
        st.store
            .audit_read(Some(user.user.id), action, None, &format!("{query}: none"))
            .await?;
    }
    for (i, chunk) in usccs.chunks(1000).enumerate() {
        st.store
            .audit_read(
                Some(user.user.id),
                action,
                None,
                &format!(
                    "{query}: {} of {} from {}: {}",
                    chunk.len(),
                    usccs.len(),
                    i * 1000 + 1,
                    chunk.join(",")
                ),
            )
            .await?;
    }
    Ok(())
}

/// Whether a stored enterprise lies within a scope.
pub fn can_see(scope: &Scope, row: &zjtx_store::EnterpriseRow) -> bool {
    scope.uscc.as_ref().is_none_or(|u| *u == row.uscc)
        && scope
            .regions
            .as_ref()
            .is_none_or(|rs| row.region_code.as_ref().is_some_and(|r| rs.contains(r)))
}

/// A `Set-Cookie` value: HttpOnly, sent back only to `path` and below, kept `max_age` seconds —
/// or removed, when `value` is empty.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: i64,
    secure: bool,
) -> String {
    let age = if value.is_empty() { 0 } else { max_age };
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={age}{secure}")
}

/// `Set-Cookie` value for a session token (or its removal with an empty token).
pub fn session_cookie(token: &str, secure: bool) -> String {
    set_cookie(SESSION_COOKIE, token, "/", "Lax", SESSION_SECS, secure)
}

/// `Set-Cookie` value for the token of a form shown before login, sent back only to `path` and
/// below it (the form's own page and its action must both lie there).
pub fn pre_cookie(token: &str, secure: bool, path: &str) -> String {
    set_cookie(PRE_COOKIE, token, path, "Strict", 3600, secure)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_masked_form_token_differs_on_every_page_and_unmasks_to_the_session_token() {
        let t = hex::encode([7u8; 32]);
        let (a, b) = (super::masked_csrf(&t), super::masked_csrf(&t));
        assert_ne!(a, b, "a fresh pad each time");
        assert_eq!(a.len(), 128);
        assert_eq!(super::unmask_csrf(&a), t);
        assert_eq!(super::unmask_csrf(&b), t);
        assert_eq!(super::unmask_csrf(&t), t, "a plain token as it is");
        assert_ne!(super::unmask_csrf(&a[..127]), t, "a cut token is no token");
    }

    use super::*;

    #[test]
    fn a_password_verifies_against_its_argon2id_hash_only() {
        let h = hash_password("correct horse").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (
            random_token().unwrap_or_default(),
            random_token().unwrap_or_default(),
        );
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
        assert!(same(&a, &a.clone()) && !same(&a, &b));
    }
}
