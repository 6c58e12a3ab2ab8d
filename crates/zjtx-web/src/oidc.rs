//! Single sign-on through OpenID Connect (issue 18): provincial staff and enterprise identity
//! platforms speak it. The authorization code flow with PKCE (S256), a state and a nonce kept in
//! a cookie for `/login/oidc` only; the code exchanged at the provider's token endpoint with the
//! client's secret; the ID token's signature checked against the provider's published keys
//! (RSA or EC, never a shared-secret or unsigned token), its issuer, audience, expiry and nonce.
//! The configured claim's value (`oidc.claim`, by default `preferred_username`) is the user name
//! of the account signed in: only an existing, enabled account, so the bureau still decides who
//! has which seat. A role that requires a second factor is asked for it afterwards. Local
//! passwords stay (the demo, and accounts the provider does not know).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;
use sha2::Digest;

use crate::error::AppError;
use crate::{AppState, auth, i18n};

pub const COOKIE: &str = "zjtx_oidc";
/// How long a sign-in at the provider may take.
const FLOW_SECS: i64 = 600;
/// The provider's keys are read again after this long (or at once for an unknown key id).
const KEYS_FOR: Duration = Duration::from_secs(3600);

/// The provider's addresses, from its discovery document.
#[derive(Clone, Debug, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// The configured provider.
pub struct Provider {
    pub issuer: String,
    pub client_id: String,
    client_secret: String,
    pub claim: String,
    pub label: String,
    pub redirect_uri: String,
    http: reqwest::Client,
    meta: tokio::sync::OnceCell<Metadata>,
    keys: tokio::sync::Mutex<Option<(jsonwebtoken::jwk::JwkSet, Instant)>>,
}

impl Provider {
    /// From the configuration; `None` when no issuer is set.
    pub fn from_config(c: &crate::config::Config) -> Result<Option<Provider>, String> {
        let Some(issuer) = c.opt("oidc.issuer") else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the HTTP client: {e}"))?;
        Ok(Some(Provider {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: c.get("oidc.client_id").to_owned(),
            client_secret: c.get("oidc.client_secret").to_owned(),
            claim: c.get("oidc.claim").to_owned(),
            label: c.get("oidc.label").to_owned(),
            redirect_uri: format!(
                "{}/login/oidc/callback",
                c.get("server.base_url").trim_end_matches('/')
            ),
            http,
            meta: tokio::sync::OnceCell::new(),
            keys: tokio::sync::Mutex::new(None),
        }))
    }

    /// The discovery document, read once (its issuer must be the one configured).
    pub async fn metadata(&self) -> Result<&Metadata, String> {
        self.meta
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.issuer);
                let m: Metadata = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| format!("discovery {url}: {e}"))?
                    .json()
                    .await
                    .map_err(|e| format!("discovery {url}: {e}"))?;
                if m.issuer.trim_end_matches('/') != self.issuer {
                    return Err(format!(
                        "discovery: issuer {:?} is not the one configured",
                        m.issuer
                    ));
                }
                Ok(m)
            })
            .await
    }

    async fn key(&self, kid: Option<&str>) -> Result<jsonwebtoken::DecodingKey, String> {
        let meta = self.metadata().await?;
        let mut kept = self.keys.lock().await;
        for fresh in [false, true] {
            let stale = kept.as_ref().is_none_or(|(_, at)| at.elapsed() > KEYS_FOR);
            if fresh || stale {
                let set: jsonwebtoken::jwk::JwkSet = self
                    .http
                    .get(&meta.jwks_uri)
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| format!("keys: {e}"))?
                    .json()
                    .await
                    .map_err(|e| format!("keys: {e}"))?;
                *kept = Some((set, Instant::now()));
            }
            if let Some((set, _)) = kept.as_ref() {
                let jwk = match kid {
                    Some(k) => set.find(k),
                    None if set.keys.len() == 1 => set.keys.first(),
                    None => None,
                };
                if let Some(jwk) = jwk {
                    return jsonwebtoken::DecodingKey::from_jwk(jwk)
                        .map_err(|e| format!("key: {e}"));
                }
            }
            if stale {
                break;
            }
        }
        Err(format!("no published key {kid:?}"))
    }

    /// The ID token's claims, once its signature, issuer, audience, expiry and nonce hold.
    pub async fn verify(
        &self,
        id_token: &str,
        nonce: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        use jsonwebtoken::Algorithm as A;
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| format!("ID token: {e}"))?;
        if !matches!(
            header.alg,
            A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512 | A::ES256 | A::ES384
        ) {
            return Err(format!("ID token signed with {:?}", header.alg));
        }
        let key = self.key(header.kid.as_deref()).await?;
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.set_issuer(&[self.metadata().await?.issuer.as_str()]);
        v.set_audience(&[self.client_id.as_str()]);
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(id_token, &key, &v)
                .map_err(|e| format!("ID token: {e}"))?;
        let claims = data.claims;
        match claims.get("nonce").and_then(|n| n.as_str()) {
            Some(n) if auth::same(n, nonce) => Ok(claims),
            _ => Err("ID token: the nonce is not this sign-in's".into()),
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn flow_cookie(value: &str, secure: bool) -> String {
    // Lax: the provider sends the browser back by a top-level GET from its own site.
    auth::set_cookie(COOKIE, value, "/login/oidc", "Lax", FLOW_SECS, secure)
}

/// `GET /login/oidc`: to the provider, with a new state, nonce and PKCE verifier.
pub async fn start(State(st): State<AppState>) -> Result<Response, AppError> {
    let Some(p) = st.oidc.clone() else {
        return Err(AppError::NotFound);
    };
    let meta = match p.metadata().await {
        Ok(m) => m,
        Err(e) => return failed(&st, &e).await,
    };
    let (state, nonce, verifier) = (
        auth::random_token()?,
        auth::random_token()?,
        auth::random_token()?,
    );
    let challenge = b64(&sha2::Sha256::digest(verifier.as_bytes()));
    let q = |s: &str| crate::common::urlencode(s);
    let url = format!(
        "{}{}response_type=code&client_id={}&redirect_uri={}&scope={}&state={state}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256",
        meta.authorization_endpoint,
        if meta.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        },
        q(&p.client_id),
        q(&p.redirect_uri),
        q("openid profile"),
    );
    Ok((
        [(
            SET_COOKIE,
            flow_cookie(&format!("{state}.{nonce}.{verifier}"), st.secure_cookies),
        )],
        Redirect::to(&url),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
}

/// The sign-in page again with why single sign-on failed; the reason audited.
async fn failed(st: &AppState, why: &str) -> Result<Response, AppError> {
    tracing::warn!(why, "single sign-on refused");
    st.store
        .audit(None, "login_failed", None, &format!("oidc: {why}"))
        .await?;
    let mut res = crate::pages::login_again(
        st,
        "",
        i18n::t("统一身份认证登录未成功，请重试，或使用本平台的用户名和密码登录。"),
    )?;
    *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    if let Ok(v) = flow_cookie("", st.secure_cookies).parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /login/oidc/callback`: the provider's answer; a verified claim naming an account opens
/// its session (after its second factor when its role requires one).
pub async fn callback(
    State(st): State<AppState>,
    parts: Parts,
    Query(cb): Query<Callback>,
) -> Result<Response, AppError> {
    let Some(p) = st.oidc.clone() else {
        return Err(AppError::NotFound);
    };
    let kept = auth::cookie(&parts, COOKIE).unwrap_or("");
    let mut it = kept.splitn(3, '.');
    let (Some(state), Some(nonce), Some(verifier)) = (it.next(), it.next(), it.next()) else {
        return failed(&st, "no sign-in of this browser is waiting").await;
    };
    if !cb.state.as_deref().is_some_and(|s| auth::same(s, state)) {
        return failed(&st, "the state is not this browser's").await;
    }
    if let Some(e) = &cb.error {
        return failed(&st, &format!("the provider answered {e}")).await;
    }
    let Some(code) = cb.code.as_deref() else {
        return failed(&st, "no code").await;
    };
    let claims = match exchange(&p, code, verifier, nonce).await {
        Ok(c) => c,
        Err(e) => return failed(&st, &e).await,
    };
    let Some(name) = claims.get(&p.claim).and_then(|v| v.as_str()) else {
        return failed(&st, &format!("the ID token has no {:?} claim", p.claim)).await;
    };
    let user = match st.store.user_by_name(name).await? {
        Some(u) if !u.disabled => u,
        _ => return failed(&st, &format!("no enabled account {name:?}")).await,
    };
    let source = auth::client_addr(&parts);
    let mut res = match crate::totp::after_password(&st, &user).await? {
        Some(code_page) => code_page,
        None => {
            let how = format!("oidc {source} {}", p.issuer);
            let token = auth::open_session(&st, &user, &how).await?;
            (
                [(SET_COOKIE, auth::session_cookie(&token, st.secure_cookies))],
                Redirect::to("/"),
            )
                .into_response()
        }
    };
    if let Ok(v) = flow_cookie("", st.secure_cookies).parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}

async fn exchange(
    p: &Arc<Provider>,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let meta = p.metadata().await?;
    let answer: TokenAnswer = p
        .http
        .post(&meta.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", p.redirect_uri.as_str()),
            ("client_id", p.client_id.as_str()),
            ("client_secret", p.client_secret.as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("token endpoint: {e}"))?
        .json()
        .await
        .map_err(|e| format!("token endpoint: {e}"))?;
    p.verify(&answer.id_token, nonce).await
}
