//! Single sign-on (issue 18) against a local OpenID Connect provider started by the test: the
//! code flow with state, nonce and PKCE; an ID token signed with the provider's RSA key
//! (tests/fixtures/oidc-test-key.pem, a key made for this test only, with its JWKS beside it).
//! Each way a sign-in can be forged or go wrong is refused.

mod common;
use common::*;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use sha2::Digest;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Good,
    WrongNonce,
    WrongAudience,
    OtherKey,
}

struct Idp {
    base: String,
    /// Who signs in at the provider next.
    user: Mutex<String>,
    mode: Mutex<Mode>,
    /// Codes issued: (code challenge, nonce, redirect URI).
    codes: Mutex<HashMap<String, (String, String, String)>>,
}

async fn discovery(State(idp): State<Arc<Idp>>) -> Response {
    axum::Json(serde_json::json!({
        "issuer": idp.base,
        "authorization_endpoint": format!("{}/authorize", idp.base),
        "token_endpoint": format!("{}/token", idp.base),
        "jwks_uri": format!("{}/jwks", idp.base),
    }))
    .into_response()
}

async fn authorize(
    State(idp): State<Arc<Idp>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code"
        || get("client_id") != "zjtx"
        || get("code_challenge_method") != "S256"
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = format!("code-{}", idp.codes.lock().map(|c| c.len()).unwrap_or(0));
    let redirect = get("redirect_uri");
    if let Ok(mut c) = idp.codes.lock() {
        c.insert(
            code.clone(),
            (get("code_challenge"), get("nonce"), redirect.clone()),
        );
    }
    Redirect::to(&format!("{redirect}?code={code}&state={}", get("state"))).into_response()
}

async fn token(State(idp): State<Arc<Idp>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let issued = idp
        .codes
        .lock()
        .ok()
        .and_then(|mut c| c.remove(&get("code")));
    let Some((challenge, nonce, redirect)) = issued else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let pkce = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(get("code_verifier").as_bytes()));
    if get("client_secret") != "idp-s3cret" || pkce != challenge || get("redirect_uri") != redirect
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let mode = idp.mode.lock().map(|m| *m).unwrap_or(Mode::Good);
    let now = zjtx_store::now();
    let claims = serde_json::json!({
        "iss": idp.base,
        "sub": "subject-1",
        "aud": if mode == Mode::WrongAudience { "another-client" } else { "zjtx" },
        "exp": now + 300,
        "iat": now,
        "nonce": if mode == Mode::WrongNonce { "not-yours".to_owned() } else { nonce },
        "preferred_username": idp.user.lock().map(|u| u.clone()).unwrap_or_default(),
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let pem: &[u8] = if mode == Mode::OtherKey {
        OTHER_KEY.as_bytes()
    } else {
        include_bytes!("fixtures/oidc-test-key.pem")
    };
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem).unwrap_or_else(|e| panic!("{e}"));
    let id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap_or_else(|e| panic!("{e}"));
    axum::Json(
        serde_json::json!({ "id_token": id_token, "access_token": "at", "token_type": "Bearer" }),
    )
    .into_response()
}

async fn jwks() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("fixtures/oidc-test-jwks.json"),
    )
        .into_response()
}

/// Another key, not the one the provider publishes (a forged token).
static OTHER_KEY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
});

async fn start_idp() -> Arc<Idp> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let idp = Arc::new(Idp {
        base,
        user: Mutex::new("xihu".into()),
        mode: Mutex::new(Mode::Good),
        codes: Mutex::default(),
    });
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/authorize", axum::routing::get(authorize))
        .route("/token", axum::routing::post(token))
        .route("/jwks", axum::routing::get(jwks))
        .with_state(idp.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    idp
}

/// The browser's round trip: to the platform, on to the provider (who signs the user in), back.
/// Returns the platform's answer to the callback, and the callback's path and cookie.
async fn round_trip(
    w: &World,
    tamper: impl Fn(&mut String, &mut String),
) -> (Resp, String, String) {
    let r = send(w, get("/login/oidc", None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let flow = r
        .cookies
        .iter()
        .find(|c| c.starts_with("zjtx_oidc="))
        .unwrap_or_else(|| panic!("no flow cookie"));
    assert!(
        flow.contains("Path=/login/oidc") && flow.contains("HttpOnly"),
        "{flow}"
    );
    let mut cookie = flow.split(';').next().unwrap_or_default().to_owned();
    let at_idp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .get(&r.location)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let back = at_idp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut path = back
        .strip_prefix("http://zjtx.test")
        .unwrap_or_else(|| panic!("sent back elsewhere: {back}"))
        .to_owned();
    tamper(&mut path, &mut cookie);
    (send(w, get(&path, Some(&cookie))).await, path, cookie)
}

#[tokio::test]
async fn single_sign_on_through_a_local_provider() {
    let idp = start_idp().await;
    let mut w = world("oidc").await;
    configure(
        &mut w,
        &format!(
            "[server]\nbase_url = \"http://zjtx.test\"\n[oidc]\nissuer = \"{}\"\nclient_id = \"zjtx\"\nclient_secret = \"idp-s3cret\"\nlabel = \"浙政钉登录\"\n",
            idp.base
        ),
    );
    let page = send(&w, get("/login", None)).await;
    assert!(page.body.contains("href=\"/login/oidc\"") && page.body.contains("浙政钉登录"));

    // The district's staff signs in at the provider: a session of the account it names.
    let (r, path, cookie) = round_trip(&w, |_, _| {}).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (StatusCode::SEE_OTHER, "/"),
        "{}",
        r.body
    );
    let session = format!(
        "{}={}",
        zjtx_web::auth::SESSION_COOKIE,
        cookie_value(&r.cookies, zjtx_web::auth::SESSION_COOKIE).unwrap_or_default()
    );
    let dash = send(&w, get("/dashboard", Some(&session))).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.body.contains("西湖区"), "the district's own seat");
    // The same answer again: the provider's code is spent.
    let again = send(&w, get(&path, Some(&cookie))).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    // Forged or failed sign-ins, each refused with the login page.
    let refused =
        |r: &Resp| r.status == StatusCode::BAD_REQUEST && r.body.contains("统一身份认证登录未成功");
    let (r, _, _) = round_trip(&w, |p, _| *p = p.replace("state=", "state=x")).await;
    assert!(refused(&r), "another state: {}", r.status);
    let (r, _, _) = round_trip(&w, |_, c| c.clear()).await;
    assert!(refused(&r), "another browser (no flow cookie)");
    let (r, _, _) = round_trip(&w, |_, c| c.push('x')).await;
    assert!(refused(&r), "another PKCE verifier");
    for mode in [Mode::WrongNonce, Mode::WrongAudience, Mode::OtherKey] {
        if let Ok(mut m) = idp.mode.lock() {
            *m = mode;
        }
        let (r, _, _) = round_trip(&w, |_, _| {}).await;
        assert!(refused(&r), "a token with the wrong nonce, audience or key");
    }
    if let Ok(mut m) = idp.mode.lock() {
        *m = Mode::Good;
    }
    if let Ok(mut u) = idp.user.lock() {
        *u = "nobody-here".into();
    }
    let (r, _, _) = round_trip(&w, |_, _| {}).await;
    assert!(refused(&r), "a name with no account here");
    let failures = w
        .state
        .store
        .audit_by_action("login_failed")
        .await
        .unwrap_or_default();
    assert_eq!(
        failures
            .iter()
            .filter(|a| a.detail.as_deref().is_some_and(|d| d.starts_with("oidc: ")))
            .count(),
        8,
        "every refusal audited with its reason"
    );

    // A role that requires a second factor is asked for it after the provider.
    configure(
        &mut w,
        &format!(
            "[server]\nbase_url = \"http://zjtx.test\"\n[oidc]\nissuer = \"{}\"\nclient_id = \"zjtx\"\nclient_secret = \"idp-s3cret\"\n[security]\ntotp_roles = \"district\"\n",
            idp.base
        ),
    );
    if let Ok(mut u) = idp.user.lock() {
        *u = "xihu".into();
    }
    let (r, _, _) = round_trip(&w, |_, _| {}).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("两步验证")
            && cookie_value(&r.cookies, zjtx_web::auth::SESSION_COOKIE).is_none()
    );
}
