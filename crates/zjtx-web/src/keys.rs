//! Keys for systems (`/account/keys`): a bank's credit system, a district's exchange with the
//! province. A key is named, read-only or read-write, valid until a date; it is shown once, kept
//! only as a hash, and signs in as an account of its own with its creator's role, district and
//! institution — so every check of the API applies to it and every call is audited under its
//! name. Keys reach `/api/` only, and each is held to a rate (answered 429 with Retry-After).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zjtx_store::{ApiKey, NewApiKey, Role, StoreError};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

/// What a key starts with: how a bearer token is told from a session's.
pub const KEY_PREFIX: &str = "zjtx_";
/// The longest name of a key.
const NAME_MAX: usize = 40;
/// The longest a key may be valid, in days from its creation.
const VALID_DAYS_MAX: u64 = 731;
/// Calls a key may make per second on average, and at once.
pub const KEY_RATE: f64 = 10.0;
pub const KEY_BURST: f64 = 30.0;
/// How often a key's "last used" is written (per instance).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Each key's token bucket and when its use was last written.
#[derive(Clone, Default)]
pub struct Limits(Arc<Mutex<HashMap<i64, Bucket>>>);

struct Bucket {
    tokens: f64,
    at: Instant,
    touched: Option<Instant>,
}

impl Limits {
    /// Takes a call from key `id`'s bucket: `Ok(write_last_used)` or the seconds to wait.
    pub fn take(&self, id: i64) -> Result<bool, u64> {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let b = all.entry(id).or_insert(Bucket {
            tokens: KEY_BURST,
            at: now,
            touched: None,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * KEY_RATE).min(KEY_BURST);
        b.at = now;
        if b.tokens < 1.0 {
            return Err(((1.0 - b.tokens) / KEY_RATE).ceil().max(1.0) as u64);
        }
        b.tokens -= 1.0;
        let touch = b
            .touched
            .is_none_or(|t| now.duration_since(t) >= TOUCH_EVERY);
        if touch {
            b.touched = Some(now);
        }
        Ok(touch)
    }
}

/// The seats that may hold keys.
fn may_hold_keys(user: &CurrentUser) -> Result<(), AppError> {
    match user.user.role {
        Role::City | Role::District | Role::Institution if user.key.is_none() => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub struct KeyView {
    pub k: ApiKey,
    pub scopes: &'static str,
    pub created: String,
    pub last_used: String,
}

fn day_of(t: i64) -> String {
    crate::common::local_time(t, "%Y-%m-%d %H:%M")
}

#[derive(Deserialize, Default)]
pub struct KeyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    /// Present when the key may also write.
    #[serde(default)]
    pub write: Option<String>,
    #[serde(default)]
    pub expires_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "keys.html")]
pub struct KeysPage {
    pub tr: Tr,
    pub nav: Nav,
    pub keys: Vec<KeyView>,
    /// The key just created, shown this once: (name, key).
    pub created: Option<(String, String)>,
    /// The field in error and why; the form keeps what was typed.
    pub error: Option<(&'static str, String)>,
    pub form: KeyForm,
}

async fn page(
    st: &AppState,
    user: &CurrentUser,
    form: KeyForm,
    created: Option<(String, String)>,
    error: Option<(&'static str, String)>,
) -> Result<KeysPage, AppError> {
    let keys = st
        .store
        .api_keys(user.user.id)
        .await?
        .into_iter()
        .map(|k| KeyView {
            scopes: if k.allows("write") {
                i18n::t("读写")
            } else {
                i18n::t("只读")
            },
            created: day_of(k.created_at),
            last_used: k
                .last_used_at
                .map_or_else(|| i18n::t("从未使用").to_owned(), day_of),
            k,
        })
        .collect();
    Ok(KeysPage {
        tr: Tr,
        nav: Nav::of(user),
        keys,
        created,
        error,
        form,
    })
}

/// `GET /account/keys`: the seat's keys, and the form to create one.
pub async fn keys(State(st): State<AppState>, user: CurrentUser) -> Result<KeysPage, AppError> {
    may_hold_keys(&user)?;
    let until = st.today() + chrono::Days::new(365);
    let form = KeyForm {
        expires_on: until.to_string(),
        ..KeyForm::default()
    };
    page(&st, &user, form, None, None).await
}

/// `POST /account/keys`: creates a key and shows it once.
pub async fn create_key(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<KeyForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    may_hold_keys(&user)?;
    let today = st.today();
    let name = f.name.trim().to_owned();
    let ok_name = !name.is_empty()
        && name.chars().count() <= NAME_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok_name {
        let msg = i18n::t("名称只能使用英文字母、数字、- 和 _，1 至 40 个字符，如 core-banking");
        return refuse(&st, &user, "name", msg.into(), f).await;
    }
    let latest = today + chrono::Days::new(VALID_DAYS_MAX);
    let until = match chrono::NaiveDate::parse_from_str(f.expires_on.trim(), "%Y-%m-%d") {
        Ok(d) if d > today && d <= latest => d,
        _ => {
            let msg = i18n::f(
                "有效期至：请填写今天之后、{}之前的日期，格式如 2027-12-31",
                &[&latest],
            );
            return refuse(&st, &user, "expires_on", msg, f).await;
        }
    };
    let secret = format!("{KEY_PREFIX}{}", auth::random_token()?);
    let prefix: String = secret.chars().take(12).collect();
    let scopes = if f.write.is_some() {
        "read,write"
    } else {
        "read"
    };
    let until_s = until.to_string();
    let made = st
        .store
        .create_api_key(&NewApiKey {
            owner: user.user.id,
            name: &name,
            prefix: &prefix,
            key_hash: &auth::token_hash(&secret),
            scopes,
            expires_on: &until_s,
        })
        .await;
    match made {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            let msg = i18n::t("已有同名的密钥，请换一个名称");
            return refuse(&st, &user, "name", msg.into(), f).await;
        }
        Err(e) => return Err(e.into()),
    }
    let blank = KeyForm {
        expires_on: (today + chrono::Days::new(365)).to_string(),
        ..KeyForm::default()
    };
    Ok(page(&st, &user, blank, Some((name, secret)), None)
        .await?
        .into_response())
}

/// The form again with what was typed and the message beside its field.
async fn refuse(
    st: &AppState,
    user: &CurrentUser,
    field: &'static str,
    msg: String,
    f: KeyForm,
) -> Result<Response, AppError> {
    let p = page(st, user, f, None, Some((field, msg))).await?;
    Ok((StatusCode::BAD_REQUEST, p).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// `POST /account/keys/{id}/revoke`: the key stops working on its next call.
pub async fn revoke_key(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::Confirmed>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    crate::common::confirmed(&f.confirm)?;
    may_hold_keys(&user)?;
    match st.store.revoke_api_key(id, user.user.id).await {
        Ok(()) => Ok(Redirect::to("/account/keys")),
        Err(StoreError::Conflict(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
