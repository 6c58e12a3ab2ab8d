//! What the HTTP tests share: a fresh SQLite world with one account per role, and requests
//! sent through the router.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use zjtx_core::rules::{Embedded, load_all};
use zjtx_store::{NewUser, Role, Store};
use zjtx_web::{AppState, auth, router};

pub const PASSWORD: &str = "a-long-test-password";

pub struct World {
    pub state: AppState,
    /// An enterprise in 西湖区 (the district account's) and one elsewhere.
    pub xihu_firm: String,
    pub other_firm: String,
}

pub async fn world(name: &str) -> World {
    let dir = std::env::temp_dir().join(format!("zjtx-web-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let store = Store::connect(&format!("sqlite://{}", dir.join("t.db").display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
        .seed_reference()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rules = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
    let as_of = chrono::Local::now().date_naive();
    let rs = zjtx_core::rule_set_for(&rules, as_of).unwrap_or_else(|| panic!("no set"));
    let rows: Vec<_> = zjtx_core::synth::Generator::new(9, 2025)
        .take(120)
        .map(|e| {
            let s = zjtx_core::evaluate(&e, rs, as_of);
            (e, s)
        })
        .collect();
    let xihu_firm = rows
        .iter()
        .find(|(e, _)| e.district.as_deref() == Some("西湖区"))
        .map(|(e, _)| e.uscc.to_string())
        .unwrap_or_default();
    let other_firm = rows
        .iter()
        .find(|(e, _)| e.district.is_some() && e.district.as_deref() != Some("西湖区"))
        .map(|(e, _)| e.uscc.to_string())
        .unwrap_or_default();
    store
        .import(&rows, None, as_of)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hash = auth::hash_password(PASSWORD).unwrap_or_else(|e| panic!("{e}"));
    for (name, role, region, uscc) in [
        ("city", Role::City, Some("330100"), None),
        ("xihu", Role::District, Some("330106"), None),
        ("firm", Role::Enterprise, None, Some(xihu_firm.clone())),
        ("bank", Role::Institution, None, None),
        ("provider", Role::Provider, None, None),
    ] {
        store
            .add_user(&NewUser {
                username: name.into(),
                password_hash: hash.clone(),
                role,
                region_code: region.map(str::to_owned),
                uscc,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let state = AppState::new(store, rules, false).unwrap_or_else(|e| panic!("{e}"));
    World {
        state,
        xihu_firm,
        other_firm,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub location: String,
    pub cookies: Vec<String>,
    pub body: String,
    /// The body as sent (a workbook, a file).
    pub bytes: Vec<u8>,
}

pub async fn send(w: &World, req: Request<Body>) -> Resp {
    let res = router(w.state.clone())
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let cookies = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
        .await
        .unwrap_or_default();
    Resp {
        status,
        location,
        cookies,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))
}

pub fn post(path: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(form.to_owned()))
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.split(';')
            .next()?
            .strip_prefix(&format!("{name}="))
            .map(str::to_owned)
    })
}

pub fn form_csrf(body: &str) -> String {
    body.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// A client that keeps cookies as a browser does: by name and path, each sent only to requests
/// on its path (RFC 6265 §5.1.4), replaced by a later one of the same name and path, removed by
/// `Max-Age=0`.
#[derive(Default)]
pub struct Browser {
    /// (name, value, path)
    jar: Vec<(String, String, String)>,
}

impl Browser {
    fn path_matches(cookie_path: &str, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        path == cookie_path
            || (path.starts_with(cookie_path)
                && (cookie_path.ends_with('/') || path[cookie_path.len()..].starts_with('/')))
    }

    /// The `Cookie` header a browser would send to `path`.
    pub fn cookies_for(&self, path: &str) -> Option<String> {
        let mut sent: Vec<&(String, String, String)> = self
            .jar
            .iter()
            .filter(|(_, _, p)| Self::path_matches(p, path))
            .collect();
        // Longer paths first, as browsers order them.
        sent.sort_by_key(|(_, _, p)| std::cmp::Reverse(p.len()));
        let header: Vec<String> = sent.iter().map(|(n, v, _)| format!("{n}={v}")).collect();
        (!header.is_empty()).then(|| header.join("; "))
    }

    fn keep(&mut self, request_path: &str, set_cookies: &[String]) {
        for c in set_cookies {
            let mut attrs = c.split(';').map(str::trim);
            let Some((name, value)) = attrs.next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            let (mut path, mut gone) = (None, false);
            for a in attrs {
                let (k, v) = a.split_once('=').unwrap_or((a, ""));
                match k.to_ascii_lowercase().as_str() {
                    "path" => path = Some(v.to_owned()),
                    "max-age" => gone = v.trim() == "0",
                    _ => {}
                }
            }
            // The default path is the request path's directory.
            let path = path.unwrap_or_else(|| {
                let p = request_path.split('?').next().unwrap_or("/");
                match p.rfind('/') {
                    Some(0) | None => "/".to_owned(),
                    Some(i) => p[..i].to_owned(),
                }
            });
            self.jar.retain(|(n, _, p)| !(n == name && *p == path));
            if !gone {
                self.jar.push((name.to_owned(), value.to_owned(), path));
            }
        }
    }

    pub async fn get(&mut self, w: &World, path: &str) -> Resp {
        let r = send(w, get(path, self.cookies_for(path).as_deref())).await;
        self.keep(path, &r.cookies);
        r
    }

    pub async fn post(&mut self, w: &World, path: &str, form: &str) -> Resp {
        let r = send(w, post(path, self.cookies_for(path).as_deref(), form)).await;
        self.keep(path, &r.cookies);
        r
    }
}

/// Signs in through the login form, as a browser does, and returns the session cookie header
/// value.
pub async fn login(w: &World, user: &str) -> String {
    let mut browser = Browser::default();
    let page = browser.get(w, "/login").await;
    let csrf = form_csrf(&page.body);
    let r = browser
        .post(
            w,
            "/login",
            &format!("username={user}&password={PASSWORD}&csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{user}: {}", r.body);
    let token = cookie_value(&r.cookies, auth::SESSION_COOKIE)
        .unwrap_or_else(|| panic!("no session cookie"));
    assert!(
        r.cookies
            .iter()
            .any(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax"))
    );
    format!("{}={token}", auth::SESSION_COOKIE)
}

/// The CSRF token of the signed-in user (every page's forms carry it).
pub async fn csrf_of(w: &World, session: &str) -> String {
    form_csrf(&send(w, get("/account", Some(session))).await.body)
}

pub fn id_after(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|s| s.split(['#', '?', '/']).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

/// The rule ids of the tier on a declaration page (the evidence form offers each).
pub fn rule_ids(page: &str) -> Vec<String> {
    // The owner's page offers each rule in its evidence form; a reviewer's asks an opinion on each.
    let form = page.split("name=\"rule\"").nth(1).unwrap_or_default();
    let form = form.split("</select>").next().unwrap_or_default();
    let mut ids: Vec<String> = form
        .split("<option value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        for s in page.split("name=\"agree_").skip(1) {
            if let Some(id) = s.split('"').next()
                && !ids.iter().any(|x| x == id)
            {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

/// Agree with every rule, except those given with a reason.
pub fn opinions(rules: &[String], disagree: &[(&str, &str)]) -> String {
    rules
        .iter()
        .map(|r| match disagree.iter().find(|(d, _)| d == r) {
            Some((_, why)) => format!(
                "agree_{r}=no&reason_{r}={}",
                zjtx_web::common::urlencode(why)
            ),
            None => format!("agree_{r}=yes&reason_{r}="),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Runs a route-by-role table: for each user ("anonymous" for none), every GET route's expected
/// status, and every POST route refusing a form without its token (403 when signed in, the login
/// page otherwise). Returns what differed.
pub async fn route_table(
    w: &World,
    gets: &[String],
    table: &[(&str, &[u16])],
    posts: &[&str],
    form: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (user, expected) in table {
        let session = if *user == "anonymous" {
            None
        } else {
            Some(login(w, user).await)
        };
        for (route, want) in gets.iter().zip(expected.iter()) {
            let r = send(w, get(route, session.as_deref())).await;
            if r.status.as_u16() != *want {
                wrong.push(format!(
                    "{user} GET {route}: {} (expected {want})",
                    r.status.as_u16()
                ));
            }
        }
        for route in posts {
            let r = send(w, post(route, session.as_deref(), form)).await;
            let want = if session.is_none() { 303 } else { 403 };
            if r.status.as_u16() != want {
                wrong.push(format!(
                    "{user} POST {route} without a token: {} (expected {want})",
                    r.status.as_u16()
                ));
            }
        }
    }
    wrong
}

/// Adds an account with the tests' password.
pub async fn add_user(w: &World, name: &str, role: Role, region: Option<&str>, uscc: Option<&str>) {
    w.state
        .store
        .add_user(&NewUser {
            username: name.into(),
            password_hash: auth::hash_password(PASSWORD).unwrap_or_else(|e| panic!("{e}")),
            role,
            region_code: region.map(str::to_owned),
            uscc: uscc.map(str::to_owned),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// An API request: JSON body, bearer token.
pub fn json_req(
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

pub fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// A bearer token for a demo account.
pub async fn api_token(w: &World, user: &str) -> String {
    let r = send(
        w,
        json_req(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({ "username": user, "password": PASSWORD })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    json(&r)["token"].as_str().unwrap_or_default().to_owned()
}

/// An institution named `name`, the world's `bank` account its staff.
#[allow(dead_code)]
pub async fn the_bank(w: &World, name: &str) -> i64 {
    let store = &w.state.store;
    let bank = store
        .create_institution(name, "bank", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .set_institution("bank", bank, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    bank
}

/// Two banks: the demo's `bank` account staffs the first, a new `bank2` account the second.
/// Their ids.
#[allow(dead_code)]
pub async fn two_banks(w: &World, first: &str, second: &str) -> (i64, i64) {
    let store = &w.state.store;
    add_user(w, "bank2", Role::Institution, None, None).await;
    let mut ids = Vec::new();
    for (user, name) in [("bank", first), ("bank2", second)] {
        let id = store
            .create_institution(name, "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .set_institution(user, id, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        ids.push(id);
    }
    (ids[0], ids[1])
}

/// A credit loan of institution `bank` open to every firm (up to 1 亿), listed by the bureau.
pub async fn listed_loan(w: &World, bank: i64, name: &str) -> i64 {
    let store = &w.state.store;
    let id = store
        .create_product(
            &zjtx_store::NewProduct {
                institution_id: bank,
                name: name.into(),
                kind: "loan".into(),
                min_amount: 100_000,
                max_amount: 100_000_000,
                term_min: 6,
                term_max: 36,
                rate_kind: "lpr".into(),
                rate_bp: 30,
                collateral: "credit".into(),
                repayment: "按月付息".into(),
                channel: "线上".into(),
                eligibility: "{}".into(),
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .review_product(id, true, "", None, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

/// `world`, its screenings kept by `cache` when one is given (`ScreenCache::keeping(n)` with a
/// small `n` sends an institution's screenings to the database).
#[allow(dead_code)]
pub async fn world_keeping(name: &str, cache: Option<zjtx_web::finance::ScreenCache>) -> World {
    let mut w = world(name).await;
    if let Some(c) = cache {
        w.state.screenings = c;
    }
    w
}

/// Imports `n` more generated firms (seed `seed`), each evaluated on `today` under the rules then,
/// as an import does: for tests that need lists running over pages.
#[allow(dead_code)]
pub async fn more_firms(w: &World, seed: u64, n: usize, today: chrono::NaiveDate) {
    let rs = zjtx_core::rule_set_for(&w.state.rules, today).unwrap_or_else(|| panic!("no set"));
    let rows: Vec<_> = zjtx_core::synth::Generator::new(seed, 2025)
        .take(n)
        .map(|e| {
            let s = zjtx_core::evaluate(&e, rs, today);
            (e, s)
        })
        .collect();
    w.state
        .store
        .import(&rows, None, today)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Applies a configuration file's text to the world's state, as `zjtx serve --config` does.
#[allow(dead_code)]
pub fn configure(w: &mut World, toml: &str) {
    let c = zjtx_web::config::Config::from_parts(Some(("zjtx.toml", toml)), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    w.state = w.state.clone().configure(&c);
}

/// Runs one statement on the store's database, for a test that must set up what only time or
/// another workflow would leave.
pub async fn sql(s: &Store, q: &str) {
    match s.db() {
        zjtx_store::Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(q))
            .execute(p)
            .await
            .map(|_| ()),
        zjtx_store::Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(q))
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{q}: {e}"));
}
