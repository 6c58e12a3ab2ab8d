//! The second factor (RFC 6238 one-time codes from an authenticator app), as 等保 level 3 asks of
//! privileged users: required of the roles in `security.totp_roles` (e.g. city and district
//! staff), optional for everyone else from the account page. After the right password, an
//! account with a confirmed secret — or one whose role requires it, which then enrols on the spot
//! — gets a short-lived pending sign-in (a cookie for `/login` only) and a page asking for the
//! code; only the code opens the session. Each time step is accepted once (a code cannot be
//! replayed), and wrong codes are counted like wrong passwords.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zjtx_store::User;

use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::nav::Nav;
use crate::{AppState, i18n};

pub const PENDING_COOKIE: &str = "zjtx_mfa";
/// How long the code page waits after the password.
const PENDING_SECS: i64 = 300;
/// Wrong codes for one account per `auth::THROTTLE_SECS` before its pending sign-in ends.
const MAX_TRIES: i64 = 5;

/// A new secret (160 bits, as RFC 4226 recommends), in base32.
pub fn new_secret() -> Result<String, AppError> {
    let mut b = [0u8; 20];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(totp_rs::Secret::from(b).to_base32())
}

fn totp(secret: &str) -> Option<totp_rs::Totp> {
    let s = totp_rs::Secret::try_from_base32(secret).ok()?;
    totp_rs::Builder::new().with_secret(s).build().ok()
}

/// The time step a code belongs to at `unix` (one step of clock drift either way), if it is right.
pub fn step_of(secret: &str, code: &str, unix: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret)?
        .check(&code, u64::try_from(unix).ok()?)
        .and_then(|s| i64::try_from(s).ok())
}

/// The code at `unix` (for tests and the enrolment's example).
pub fn code_at(secret: &str, unix: i64) -> Option<String> {
    Some(
        totp(secret)?
            .generate(u64::try_from(unix).ok()?)
            .to_string(),
    )
}

/// What an authenticator app reads (typed in, or from a QR code made by the user's own tool).
pub fn otpauth_uri(username: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/ZJTX:{}?secret={secret}&issuer=ZJTX&algorithm=SHA1&digits=6&period=30",
        crate::common::urlencode(username)
    )
}

/// Whether the account's role must sign in with a code.
pub fn required(st: &AppState, user: &User) -> bool {
    st.totp_roles.contains(&user.role)
}

/// Whether the account signs in with a code: its role requires it, or its owner turned it on.
pub async fn applies(st: &AppState, user: &User) -> Result<bool, AppError> {
    Ok(required(st, user)
        || st
            .store
            .totp_of(user.id)
            .await?
            .is_some_and(|t| t.confirmed))
}

#[derive(Template, WebTemplate)]
#[template(path = "totp.html")]
pub struct TotpPage {
    pub tr: i18n::Tr,
    pub nav: Option<Nav>,
    /// Where the code goes.
    pub action: &'static str,
    pub csrf: String,
    /// While enrolling: the secret and the app's address.
    pub enrol: Option<(String, String)>,
    pub error: Option<String>,
}

fn pending_cookie(token: &str, secure: bool) -> String {
    auth::set_cookie(
        PENDING_COOKIE,
        token,
        "/login",
        "Strict",
        PENDING_SECS,
        secure,
    )
}

/// The code page of a pending sign-in, with a fresh form token.
async fn code_page(
    st: &AppState,
    user: &User,
    error: Option<String>,
    pending: Option<&str>,
) -> Result<Response, AppError> {
    let row = st.store.totp_of(user.id).await?;
    let enrol = row
        .filter(|r| !r.confirmed)
        .map(|r| (r.secret.clone(), otpauth_uri(&user.username, &r.secret)));
    let csrf = auth::random_token()?;
    let page = TotpPage {
        tr: i18n::Tr,
        nav: None,
        action: "/login/totp",
        csrf: csrf.clone(),
        enrol,
        error,
    };
    let mut res = (
        [(
            SET_COOKIE,
            auth::pre_cookie(&csrf, st.secure_cookies, "/login"),
        )],
        page,
    )
        .into_response();
    if let Some(token) = pending
        && let Ok(v) = pending_cookie(token, st.secure_cookies).parse()
    {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}

/// After the right password (or single sign-on): `None` when no code is asked (open the
/// session), else the code page (enrolling first an account whose role requires a code and
/// which has none).
pub async fn after_password(st: &AppState, user: &User) -> Result<Option<Response>, AppError> {
    if !applies(st, user).await? {
        return Ok(None);
    }
    if !st
        .store
        .totp_of(user.id)
        .await?
        .is_some_and(|t| t.confirmed)
    {
        st.store.start_totp(user.id, &new_secret()?).await?;
    }
    let token = auth::random_token()?;
    st.store
        .put_pending_login(&auth::token_hash(&token), user.id, PENDING_SECS)
        .await?;
    st.store
        .audit(
            Some(user.id),
            "login_first_factor",
            None,
            "password or single sign-on right; waiting for the code",
        )
        .await?;
    code_page(st, user, None, Some(&token)).await.map(Some)
}

async fn pending_user(st: &AppState, parts: &Parts) -> Result<Option<(String, User)>, AppError> {
    let Some(token) = auth::cookie(parts, PENDING_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let hash = auth::token_hash(token);
    Ok(st.store.pending_login(&hash).await?.map(|u| (hash, u)))
}

/// `GET /login/totp`: the code page again (a reload, the back button), while the sign-in waits.
pub async fn form(State(st): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    match pending_user(&st, &parts).await? {
        Some((_, user)) => code_page(&st, &user, None, None).await,
        None => Ok(Redirect::to("/login").into_response()),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    pub csrf: String,
    #[serde(default)]
    pub code: String,
}

/// What a code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Wrong,
    /// Too many wrong codes for the account lately: not even checked.
    Throttled,
}

/// Checks a code against the account's secret (confirmed, or being enrolled) and takes its time
/// step, so each code is used once. Every try counts against the account, wherever it comes
/// from (the page, the API); `MAX_TRIES` per `auth::THROTTLE_SECS`, a right code clears them.
pub async fn verify(st: &AppState, user: &User, code: &str) -> Result<Verdict, AppError> {
    let key = format!("totp:{}", user.id);
    let now = zjtx_store::now();
    if st
        .store
        .count_attempt(&key, now, auth::THROTTLE_SECS)
        .await?
        > MAX_TRIES
    {
        return Ok(Verdict::Throttled);
    }
    let Some(row) = st.store.totp_of(user.id).await? else {
        return Ok(Verdict::Wrong);
    };
    let right = match step_of(&row.secret, code, now) {
        Some(step) => st.store.use_totp_step(user.id, step).await?,
        None => false,
    };
    if right {
        st.store.clear_attempts(&key).await?;
        Ok(Verdict::Right)
    } else {
        Ok(Verdict::Wrong)
    }
}

/// `POST /login/totp`: the code of a pending sign-in; the right one opens the session.
pub async fn login_code(
    State(st): State<AppState>,
    parts: Parts,
    axum::Form(f): axum::Form<CodeForm>,
) -> Result<Response, AppError> {
    let pre = auth::cookie(&parts, auth::PRE_COOKIE).unwrap_or("");
    if pre.is_empty() || !auth::same(pre, &f.csrf) {
        return Err(AppError::Csrf);
    }
    let Some((hash, user)) = pending_user(&st, &parts).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let enrolling = !st
        .store
        .totp_of(user.id)
        .await?
        .is_some_and(|t| t.confirmed);
    match verify(&st, &user, &f.code).await? {
        Verdict::Right => {}
        Verdict::Throttled => {
            st.store.delete_pending_login(&hash).await?;
            st.store
                .audit(Some(user.id), "login_throttled", None, "second factor")
                .await?;
            let mut res = crate::pages::login_again(
                &st,
                &user.username,
                i18n::t("验证码错误次数过多，请15分钟后重新登录"),
            )?;
            if let Ok(v) = pending_cookie("", st.secure_cookies).parse() {
                res.headers_mut().append(SET_COOKIE, v);
            }
            return Ok(res);
        }
        Verdict::Wrong => {
            st.store
                .audit(Some(user.id), "login_failed", None, "second factor")
                .await?;
            let mut res = code_page(
                &st,
                &user,
                Some(i18n::t("验证码不正确或已使用，请输入验证器当前显示的 6 位数字").to_owned()),
                None,
            )
            .await?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    }
    st.store.delete_pending_login(&hash).await?;
    if enrolling {
        st.store
            .audit(Some(user.id), "totp_on", None, "at sign-in")
            .await?;
    }
    let source = auth::client_addr(&parts);
    let token = auth::open_session(&st, &user, &format!("form {source} + code")).await?;
    let mut res = (
        [(SET_COOKIE, auth::session_cookie(&token, st.secure_cookies))],
        Redirect::to("/"),
    )
        .into_response();
    if let Ok(v) = pending_cookie("", st.secure_cookies).parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}

fn wrong_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Throttled => i18n::t("验证码错误次数过多，请15分钟后再试"),
        _ => i18n::t("验证码不正确或已使用，请输入验证器当前显示的 6 位数字"),
    }
}

/// `POST /account/totp/start`: a new secret and the page to confirm it with a first code.
pub async fn start(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::Form(f): axum::Form<crate::common::CsrfOnly>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let secret = new_secret()?;
    if !st.store.start_totp(user.user.id, &secret).await? {
        return Ok(Redirect::to("/account#totp").into_response());
    }
    Ok(TotpPage {
        tr: i18n::Tr,
        nav: Some(Nav::of(&user)),
        action: "/account/totp/confirm",
        csrf: crate::auth::masked_csrf(&user.session.csrf),
        enrol: Some((secret.clone(), otpauth_uri(&user.user.username, &secret))),
        error: None,
    }
    .into_response())
}

/// `POST /account/totp/confirm`: the first code turns the second factor on.
pub async fn confirm(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::Form(f): axum::Form<CodeForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let Some(row) = st.store.totp_of(user.user.id).await? else {
        return Ok(Redirect::to("/account#totp").into_response());
    };
    if row.confirmed {
        return Ok(Redirect::to("/account?totp=on#totp").into_response());
    }
    let verdict = verify(&st, &user.user, &f.code).await?;
    if verdict != Verdict::Right {
        let page = TotpPage {
            tr: i18n::Tr,
            nav: Some(Nav::of(&user)),
            action: "/account/totp/confirm",
            csrf: crate::auth::masked_csrf(&user.session.csrf),
            enrol: Some((
                row.secret.clone(),
                otpauth_uri(&user.user.username, &row.secret),
            )),
            error: Some(wrong_text(verdict).to_owned()),
        };
        return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
    }
    st.store
        .audit(Some(user.user.id), "totp_on", None, "from the account page")
        .await?;
    Ok(Redirect::to("/account?totp=on#totp").into_response())
}

/// `POST /account/totp/remove`: turns it off with a current code — not for a role that requires it.
pub async fn remove(
    State(st): State<AppState>,
    user: CurrentUser,
    axum::Form(f): axum::Form<CodeForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    if required(&st, &user.user) {
        return Err(AppError::BadRequest(
            i18n::t("您的角色必须使用两步验证，不能关闭。").to_owned(),
        ));
    }
    let verdict = verify(&st, &user.user, &f.code).await?;
    if verdict != Verdict::Right {
        return Err(AppError::BadRequest(wrong_text(verdict).to_owned()));
    }
    st.store.remove_totp(user.user.id).await?;
    st.store
        .audit(Some(user.user.id), "totp_off", None, "")
        .await?;
    Ok(Redirect::to("/account?totp=off#totp").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1, the 20-byte ASCII key "12345678901234567890"), six digits.
    #[test]
    fn codes_follow_rfc_6238() {
        let secret = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, t).as_deref(), Some(code), "T = {t}");
            assert_eq!(step_of(&secret, code, t), Some(t / 30));
        }
        // One step of drift either way, no more; nothing but six digits.
        assert_eq!(step_of(&secret, "287082", 59 + 30), Some(1));
        assert_eq!(step_of(&secret, "287082", 59 + 60), None);
        assert_eq!(step_of(&secret, "287 082", 59), Some(1));
        assert_eq!(step_of(&secret, "28708", 59), None);
        assert_eq!(step_of(&secret, "28708x", 59), None);
        assert!(new_secret().is_ok_and(|s| s.len() == 32 && s != secret));
    }
}
