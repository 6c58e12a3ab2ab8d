//! HTTP tests through the router, each on a fresh SQLite database.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use zjtx_web::{auth, router};

#[tokio::test]
async fn health_answers_and_pages_need_a_session() {
    let w = world("health").await;
    assert_eq!(send(&w, get("/healthz", None)).await.status, StatusCode::OK);
    let r = send(&w, get("/enterprises", None)).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let r = send(&w, get("/enterprises", Some("zjtx_session=forged"))).await;
    assert_eq!(r.location, "/login");
}

#[tokio::test]
async fn login_needs_the_forms_token_and_locks_after_repeated_failures() {
    let w = world("login").await;
    let page = send(&w, get("/login", None)).await;
    let pre = cookie_value(&page.cookies, auth::PRE_COOKIE).unwrap_or_default();
    let csrf = form_csrf(&page.body);
    let cookie = format!("{}={pre}", auth::PRE_COOKIE);
    // A forged form (no or wrong token) changes nothing.
    let r = send(
        &w,
        post(
            "/login",
            Some(&cookie),
            &format!("username=city&password={PASSWORD}&csrf=wrong"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w,
        post(
            "/login",
            None,
            &format!("username=city&password={PASSWORD}&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Wrong passwords: a generic message; after five attempts at one name, this source waits,
    // even with the right password.
    for _ in 0..auth::MAX_ATTEMPTS_PER_ACCOUNT {
        let r = send(
            &w,
            post(
                "/login",
                Some(&cookie),
                &format!("username=city&password=nope&csrf={csrf}"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("用户名或密码错误"), "{}", r.body);
    }
    let r = send(
        &w,
        post(
            "/login",
            Some(&cookie),
            &format!("username=city&password={PASSWORD}&csrf={csrf}"),
        ),
    )
    .await;
    assert!(r.body.contains("登录尝试次数过多"), "{}", r.body);
    assert!(cookie_value(&r.cookies, auth::SESSION_COOKIE).is_none());
    // An unknown name gets the same answers as a known one.
    for _ in 0..auth::MAX_ATTEMPTS_PER_ACCOUNT {
        let r = send(
            &w,
            post(
                "/login",
                Some(&cookie),
                &format!("username=ghost&password=nope&csrf={csrf}"),
            ),
        )
        .await;
        assert!(r.body.contains("用户名或密码错误"));
    }
    let r = send(
        &w,
        post(
            "/login",
            Some(&cookie),
            &format!("username=ghost&password={PASSWORD}&csrf={csrf}"),
        ),
    )
    .await;
    assert!(r.body.contains("登录尝试次数过多"));
    // Another account signs in.
    let session = login(&w, "xihu").await;
    assert_eq!(
        send(&w, get("/enterprises", Some(&session))).await.status,
        StatusCode::OK
    );
}

/// A token request from `addr`, as the server sees it (the peer address of the connection).
fn token_from(addr: &str, user: &str, password: &str) -> Request<Body> {
    let mut req = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            "{{\"username\":\"{user}\",\"password\":\"{password}\"}}"
        )))
        .unwrap_or_else(|e| panic!("{e}"));
    let peer: std::net::SocketAddr = format!("{addr}:40000")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_get_five_checks_and_the_account_stays_open_to_others() {
    let w = world("throttle").await;
    // Forty guesses at once from one address.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let state = w.state.clone();
        set.spawn(async move {
            router(state)
                .oneshot(token_from("203.0.113.9", "city", "guess"))
                .await
                .map(|r| r.status())
                .unwrap_or_else(|e| match e {})
        });
    }
    let answers: Vec<StatusCode> = set.join_all().await;
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(
        checked as i64,
        auth::MAX_ATTEMPTS_PER_ACCOUNT,
        "{refused} refused"
    );
    assert_eq!(refused + checked, 40);
    // Every attempt is in the audit log with its address.
    let failed = w
        .state
        .store
        .audit_by_action("login_failed")
        .await
        .unwrap_or_default();
    assert_eq!(failed.len() as i64, auth::MAX_ATTEMPTS_PER_ACCOUNT);
    assert!(failed.iter().all(|a| {
        a.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("203.0.113.9 "))
    }));
    // The same answers for a name that does not exist.
    let mut ghost = Vec::new();
    for _ in 0..=auth::MAX_ATTEMPTS_PER_ACCOUNT {
        ghost.push(
            send(&w, token_from("203.0.113.9", "ghost", "guess"))
                .await
                .status,
        );
    }
    let mut city = Vec::new();
    for _ in 0..=auth::MAX_ATTEMPTS_PER_ACCOUNT {
        city.push(
            send(&w, token_from("203.0.113.10", "city", "guess"))
                .await
                .status,
        );
    }
    assert_eq!(ghost, city);
    // The bureau, from its own address, signs in as usual.
    let r = send(&w, token_from("198.51.100.7", "city", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // An address spraying one guess at many names waits once its failures reach the cap, even
    // for a name it has not tried.
    for i in 0..auth::MAX_FAILURES_PER_SOURCE {
        let r = send(&w, token_from("192.0.2.77", &format!("name{i}"), "guess")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = send(&w, token_from("192.0.2.77", "xihu", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = send(&w, token_from("192.0.2.78", "xihu", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::OK, "another address is not held up");
}

#[tokio::test]
async fn logout_needs_the_sessions_token_and_ends_the_session() {
    let w = world("logout").await;
    let session = login(&w, "city").await;
    let page = send(&w, get("/account", Some(&session))).await;
    let csrf = form_csrf(&page.body);
    assert_eq!(
        send(&w, post("/logout", Some(&session), "csrf=forged"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, get("/account", Some(&session))).await.status,
        StatusCode::OK,
        "a forged logout did nothing"
    );
    let r = send(&w, post("/logout", Some(&session), &format!("csrf={csrf}"))).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    assert_eq!(
        send(&w, get("/account", Some(&session))).await.location,
        "/login",
        "the session is gone on the server"
    );
}

#[tokio::test]
async fn the_enterprise_page_shows_the_scorecard_and_each_read_is_audited() {
    let w = world("page").await;
    let session = login(&w, "xihu").await;
    let r = send(
        &w,
        get(&format!("/enterprises/{}", w.xihu_firm), Some(&session)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for want in ["梯度评价", "G-SME", "CX-1", "KJ-2R", "历年数据", "依据"] {
        assert!(r.body.contains(want), "missing {want}");
    }
    let log = w
        .state
        .store
        .audit_for(&w.xihu_firm)
        .await
        .unwrap_or_default();
    assert_eq!(log.iter().filter(|a| a.action == "read").count(), 1);
    // Lower-case codes work; HTML in data is escaped (names are user data).
    let r = send(
        &w,
        get(
            &format!("/enterprises/{}", w.xihu_firm.to_lowercase()),
            Some(&session),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn the_list_filters_by_name_and_keeps_the_districts_scope() {
    let w = world("list").await;
    let city = login(&w, "city").await;
    let r = send(&w, get("/enterprises", Some(&city))).await;
    assert!(r.body.contains("共 120 家"), "the city sees all");
    let xihu = login(&w, "xihu").await;
    let r = send(&w, get("/enterprises?region=330108", Some(&xihu))).await;
    assert!(
        r.body.contains("共 0 家"),
        "a district filtering on another district sees nothing"
    );
    let r = send(&w, get("/enterprises", Some(&xihu))).await;
    assert!(
        !r.body.contains(&w.other_firm),
        "another district's firm is not listed"
    );
    assert!(r.body.contains(&w.xihu_firm));
}

/// Every route × every role × own/other district or enterprise: allow or deny.
#[tokio::test]
async fn role_by_route_authorisation_table() {
    let w = world("authz").await;
    let own = format!("/enterprises/{}", w.xihu_firm);
    let other = format!("/enterprises/{}", w.other_firm);
    // (role, route, expected status); 303 means "sent to the login page".
    let ok = StatusCode::OK;
    let login_redirect = StatusCode::SEE_OTHER;
    let forbidden = StatusCode::FORBIDDEN;
    let hidden = StatusCode::NOT_FOUND;
    let table: Vec<(&str, &str, StatusCode)> = vec![
        ("anonymous", "/account", login_redirect),
        ("anonymous", "/enterprises", login_redirect),
        ("anonymous", &own, login_redirect),
        ("city", "/account", ok),
        ("city", "/enterprises", ok),
        ("city", &own, ok),
        ("city", &other, ok),
        ("xihu", "/enterprises", ok),
        ("xihu", &own, ok),
        ("xihu", &other, hidden),
        ("firm", "/enterprises", ok),
        ("firm", &own, ok),
        ("firm", &other, hidden),
        ("bank", "/account", ok),
        ("bank", "/enterprises", forbidden),
        ("bank", &own, forbidden),
        ("provider", "/enterprises", forbidden),
        ("provider", &other, forbidden),
    ];
    let mut sessions = std::collections::HashMap::new();
    for user in ["city", "xihu", "firm", "bank", "provider"] {
        sessions.insert(user, login(&w, user).await);
    }
    let mut wrong = Vec::new();
    for (user, route, want) in &table {
        let r = send(&w, get(route, sessions.get(user).map(String::as_str))).await;
        if r.status != *want {
            wrong.push(format!(
                "{user} GET {route}: {} (expected {want})",
                r.status
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The enterprise account's list holds its own record only.
    let r = send(
        &w,
        get("/enterprises", sessions.get("firm").map(String::as_str)),
    )
    .await;
    assert!(r.body.contains("共 1 家"), "{}", r.body.len());
}

#[tokio::test]
async fn the_api_document_lists_every_api_route_and_the_router_serves_them() {
    let w = world("openapi").await;
    let r = send(&w, get("/api/v1/openapi.json", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = json(&r);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<String> = doc["paths"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    // The routes are the access table's: every API line is documented, and nothing else.
    let api: Vec<&zjtx_web::access::Access> = zjtx_web::access::TABLE
        .iter()
        .filter(|a| a.path.starts_with("/api/"))
        .collect();
    let mut listed: Vec<String> = api.iter().map(|a| a.path.to_owned()).collect();
    listed.sort();
    listed.dedup();
    let mut documented = paths.clone();
    documented.sort();
    assert_eq!(documented, listed);
    // Every operation answers a body with a schema, and every schema it names is in the
    // document (the schemas are derived from the handlers' types).
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let ok = op["responses"]["200"]["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path}: no body documented"));
            assert!(!ok.is_empty(), "{method} {path}");
            for (media, m) in ok {
                assert!(
                    m["schema"].is_object(),
                    "{method} {path} {media}: no schema"
                );
            }
            for code in ["401", "404", "409"] {
                if let Some(r) = op["responses"].get(code) {
                    assert!(
                        r["content"]["application/problem+json"].is_object(),
                        "{method} {path} {code} is a problem"
                    );
                }
            }
        }
    }
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r.trim_start_matches("#/components/schemas/").to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut named = Vec::new();
    refs(&doc, &mut named);
    assert!(named.len() > 30, "{named:?}");
    for n in named {
        assert!(
            schemas.contains_key(&n),
            "{n} is named but not in the document"
        );
    }
    for a in api {
        let method = a.method.to_lowercase();
        assert!(
            doc["paths"][a.path][&method].is_object(),
            "{} {} is not documented",
            a.method,
            a.path
        );
        let path = a.path.replace("{uscc}", &w.xihu_firm);
        let method = a.method;
        let r = send(&w, json_req(method, &path, None, None)).await;
        assert_ne!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path} is not routed"
        );
    }
}

#[tokio::test]
async fn api_tokens_give_the_same_data_and_scope_as_the_pages() {
    let w = world("api").await;
    // Without a token: 401 in JSON, never a redirect.
    let r = send(&w, json_req("GET", "/api/v1/enterprises", None, None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(json(&r)["error"].is_string());
    assert_eq!(
        json(&r)["code"],
        "unauthenticated",
        "a fixed code beside the message"
    );
    let r = send(
        &w,
        json_req(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({ "username": "xihu", "password": "wrong" })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(
        &w,
        json_req(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({ "username": "xihu" })),
        ),
    )
    .await;
    assert!(r.status.is_client_error(), "a malformed body is refused");

    let city = api_token(&w, "city").await;
    let r = send(
        &w,
        json_req("GET", "/api/v1/enterprises?per_page=500", Some(&city), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let all = json(&r);
    assert_eq!(all["total"], 120);
    let xihu = api_token(&w, "xihu").await;
    let mine = json(
        &send(
            &w,
            json_req("GET", "/api/v1/enterprises?per_page=500", Some(&xihu), None),
        )
        .await,
    );
    let items = mine["items"].as_array().cloned().unwrap_or_default();
    assert!(
        !items.is_empty() && items.iter().all(|e| e["region_code"] == "330106"),
        "a district sees its own district only"
    );
    assert_eq!(mine["total"].as_i64(), Some(items.len() as i64));

    let r = send(
        &w,
        json_req(
            "GET",
            &format!("/api/v1/enterprises/{}", w.other_firm),
            Some(&xihu),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &w,
        json_req(
            "GET",
            &format!("/api/v1/enterprises/{}", w.xihu_firm),
            Some(&xihu),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let rec = json(&r);
    assert_eq!(rec["enterprise"]["uscc"], w.xihu_firm.as_str());
    assert!(
        rec["years"][0]["figures"]["revenue"].is_string()
            || rec["years"][0]["figures"]["revenue"].is_null()
    );

    let r = send(
        &w,
        json_req(
            "GET",
            &format!(
                "/api/v1/enterprises/{}/evaluation?as_of=2026-03-01",
                w.xihu_firm
            ),
            Some(&xihu),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ev = json(&r);
    assert_eq!(
        ev["rules"], "miit-2022",
        "the as-of date picks the rule set"
    );
    let ids: Vec<&str> = ev["trace"]
        .as_array()
        .map(|t| t.iter().filter_map(|e| e["id"].as_str()).collect())
        .unwrap_or_default();
    for id in ["SIZE", "G-SME", "CX-1", "KJ-2R", "ZX22-S11", "XJ22-4G1"] {
        assert!(ids.contains(&id), "{id} missing from the trace");
    }
    let r = send(
        &w,
        json_req(
            "GET",
            &format!(
                "/api/v1/enterprises/{}/evaluation?rules=miit-2026",
                w.xihu_firm
            ),
            Some(&xihu),
            None,
        ),
    )
    .await;
    assert_eq!(json(&r)["rules"], "miit-2026");
    let r = send(
        &w,
        json_req(
            "GET",
            &format!(
                "/api/v1/enterprises/{}/evaluation?rules=miit-1999",
                w.xihu_firm
            ),
            Some(&xihu),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let bank = api_token(&w, "bank").await;
    let r = send(
        &w,
        json_req("GET", "/api/v1/enterprises", Some(&bank), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // API reads are audited like page reads.
    let log = w
        .state
        .store
        .audit_for(&w.xihu_firm)
        .await
        .unwrap_or_default();
    assert!(log.iter().filter(|a| a.action == "read").count() >= 2);
}

fn multipart(
    path: &str,
    cookie: &str,
    csrf: &str,
    filename: &str,
    content: &[u8],
) -> Request<Body> {
    let b = "ZJTXBOUNDARY";
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn csv_of(rows: &[zjtx_core::Enterprise]) -> Vec<u8> {
    let mut out = Vec::new();
    zjtx_sheet::write::write_enterprises_csv(&mut out, rows.iter().cloned())
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

async fn total(w: &World) -> i64 {
    w.state
        .store
        .list(&zjtx_store::Filter::default(), &zjtx_store::Scope::all())
        .await
        .map(|p| p.total)
        .unwrap_or(-1)
}

#[tokio::test]
async fn a_small_workbook_with_a_cell_in_the_far_corner_is_refused_with_its_bound() {
    let w = world("import-far").await;
    let city = login(&w, "city").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, h) in zjtx_core::enterprise::COLUMNS.iter().enumerate() {
        sheet
            .write_string(0, i as u16, h.col.key())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sheet
        .write_number(1_048_575, 16_383, 1.0)
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    assert!(bytes.len() < 16 << 10, "{} bytes", bytes.len());
    let csrf = form_csrf(&send(&w, get("/import", Some(&city))).await.body);
    let r = send(&w, multipart("/import", &city, &csrf, "far.xlsx", &bytes)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let bound = zjtx_sheet::guard::XlsxLimits::UPLOAD.cols;
    assert!(
        r.body
            .contains(&format!("工作表在第 {bound} 列之后仍有内容")),
        "{}",
        r.body
    );
    // The server is still there.
    assert_eq!(
        send(&w, get("/import", Some(&city))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_upload_with_errors_is_refused_whole_with_every_error_located() {
    let w = world("import-errors").await;
    let session = login(&w, "city").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&session))).await.body);
    let before = total(&w).await;
    // Row 3: a wrong check character and a bad number; row 4 repeats row 2's code; row 5 has a
    // contradictory industry code (its code is not checked for repetition until the row is valid).
    let bad = "uscc,name,industry_code,revenue\n91350100M000100Y43,甲,C3981,100\n91350100M000100Y44,乙,C3981,12x\n91350100M000100Y43,丙,C3981,5\n91350100M000100Y43,丁,C6513,5\n".to_owned();
    let r = send(
        &w,
        multipart("/import", &session, &csrf, "bad.csv", bad.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for want in [
        "有 4 处错误",
        "第 3 行「统一社会信用代码」",
        "第 3 行「上年度营业收入」：「12x」不是数字",
        "第 4 行「统一社会信用代码」：91350100M000100Y43 重复：第 2 行已使用",
        "第 5 行「国民经济行业代码」",
    ] {
        assert!(r.body.contains(want), "missing {want}");
    }
    assert!(
        !r.body.contains("/commit"),
        "no confirmation form for a file with errors"
    );
    assert_eq!(total(&w).await, before, "nothing was stored");
    // A forged upload is refused before it is read.
    let r = send(
        &w,
        multipart("/import", &session, "forged", "x.csv", bad.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&w, multipart("/import", &session, &csrf, "x.txt", b"hello")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_good_upload_is_previewed_then_committed_all_at_once() {
    let w = world("import-good").await;
    let session = login(&w, "city").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&session))).await.body);
    let before = total(&w).await;
    let rows: Vec<_> = zjtx_core::synth::Generator::new(77, 2025)
        .take(30)
        .collect();
    let r = send(
        &w,
        multipart("/import", &session, &csrf, "city.csv", &csv_of(&rows)),
    )
    .await;
    assert!(r.body.contains("30 行数据，全部有效"), "{}", r.body);
    let id = r
        .body
        .split("/import/")
        .nth(1)
        .and_then(|s| s.split("/commit").next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(total(&w).await, before, "a preview stores nothing");
    let r = send(
        &w,
        post(
            &format!("/import/{id}/commit"),
            Some(&session),
            "csrf=forged",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w,
        post(
            &format!("/import/{id}/commit"),
            Some(&session),
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert!(r.body.contains("已导入 30 家企业"), "{}", r.body);
    assert_eq!(total(&w).await, before + 30);
    // The upload is used once.
    let r = send(
        &w,
        post(
            &format!("/import/{id}/commit"),
            Some(&session),
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_district_imports_only_its_own_firms_and_other_roles_not_at_all() {
    let w = world("import-scope").await;
    let session = login(&w, "xihu").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&session))).await.body);
    let mut rows: Vec<_> = zjtx_core::synth::Generator::new(78, 2025).take(5).collect();
    for e in rows.iter_mut() {
        e.district = Some("西湖区".into());
    }
    rows[3].district = Some("滨江区".into());
    let r = send(
        &w,
        multipart("/import", &session, &csrf, "d.csv", &csv_of(&rows)),
    )
    .await;
    assert!(
        r.body.contains("第 5 行「所属区县」") && r.body.contains("不在您的管辖范围"),
        "{}",
        r.body
    );
    for user in ["firm", "bank", "provider"] {
        let s = login(&w, user).await;
        assert_eq!(
            send(&w, get("/import", Some(&s))).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
}

/// The stored template row of one of the world's enterprises (the world is generated from seed 9).
fn world_row(uscc: &str) -> zjtx_core::Enterprise {
    zjtx_core::synth::Generator::new(9, 2025)
        .take(120)
        .find(|e| e.uscc.as_str() == uscc)
        .unwrap_or_else(|| panic!("{uscc} is not one of the world's"))
}

#[tokio::test]
async fn a_district_cannot_take_over_another_districts_firm_by_import_and_only_the_city_moves_firms()
 {
    let w = world("import-takeover").await;
    let other = w.other_firm.clone();
    let before = w.state.store.enterprise(&other).await.ok().flatten();
    let mut row = world_row(&other);
    row.name = "被冒名导入的企业".into();
    row.district = Some("西湖区".into());

    // The district claims the firm for itself: refused on the record as stored.
    let xihu = login(&w, "xihu").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&xihu))).await.body);
    let r = send(
        &w,
        multipart("/import", &xihu, &csrf, "t.csv", &csv_of(&[row.clone()])),
    )
    .await;
    assert!(
        r.body.contains("第 2 行「所属区县」") && r.body.contains("不在您的管辖范围"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("/commit"), "no confirmation is offered");
    // The store refuses it too, inside its transaction, whatever the caller checked.
    let rules = &w.state.rules;
    let today = chrono::Local::now().date_naive();
    let rs = zjtx_core::rule_set_for(rules, today).unwrap_or_else(|| panic!("no rule set"));
    let evaluated = vec![(row.clone(), zjtx_core::evaluate(&row, rs, today))];
    let guard = zjtx_store::ImportGuard {
        regions: Some(vec!["330106".into()]),
        moves: false,
    };
    assert!(
        w.state
            .store
            .import_as(&evaluated, None, today, &guard)
            .await
            .is_err()
    );
    assert_eq!(
        w.state.store.enterprise(&other).await.ok().flatten(),
        before
    );

    // The city may import it, but not move it by import.
    let city = login(&w, "city").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&city))).await.body);
    let r = send(
        &w,
        multipart("/import", &city, &csrf, "t.csv", &csv_of(&[row.clone()])),
    )
    .await;
    assert!(r.body.contains("导入不能改变所属区县"), "{}", r.body);

    // Moving is the city's own action, audited with both districts.
    let csrf = csrf_of(&w, &xihu).await;
    let r = send(
        &w,
        post(
            &format!("/enterprises/{other}/district"),
            Some(&xihu),
            &format!("csrf={csrf}&region=330106"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csrf = csrf_of(&w, &city).await;
    let r = send(
        &w,
        post(
            &format!("/enterprises/{other}/district"),
            Some(&city),
            &format!("csrf={csrf}&region=330106"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let moved = w.state.store.enterprise(&other).await.ok().flatten();
    assert_eq!(moved.and_then(|e| e.region_code).as_deref(), Some("330106"));
    let audit = w.state.store.audit_for(&other).await.unwrap_or_default();
    assert!(
        audit.iter().any(|a| a.action == "enterprise.move"
            && a.detail.as_deref().is_some_and(|d| d.ends_with("→ 330106"))),
        "{audit:?}"
    );
    // Now in 西湖区, the district may import it.
    let csrf = form_csrf(&send(&w, get("/import", Some(&xihu))).await.body);
    let r = send(
        &w,
        multipart("/import", &xihu, &csrf, "t.csv", &csv_of(&[row])),
    )
    .await;
    assert!(r.body.contains("/commit"), "{}", r.body);
}

#[tokio::test]
async fn a_filtered_list_exports_to_excel_with_its_evaluations() {
    use calamine::Reader;
    let w = world("export").await;
    let session = login(&w, "xihu").await;
    let r = router(w.state.clone())
        .oneshot(get("/enterprises/export.xlsx", Some(&session)))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("attachment"))
    );
    let bytes = axum::body::to_bytes(r.into_body(), 50 << 20)
        .await
        .unwrap_or_default()
        .to_vec();
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{e}"));
    let range = wb
        .worksheet_range("企业名单")
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let page = w
        .state
        .store
        .list(
            &zjtx_store::Filter {
                region: Some("330106".into()),
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_default();
    assert_eq!(
        rows.len() as i64,
        page.total + 1,
        "header plus every firm of the district"
    );
    assert_eq!(rows[0][0], "统一社会信用代码");
    assert!(rows.iter().skip(1).all(|r| r[2] == "西湖区"));
    // Numbers are numbers (a year, an amount, a head count), and codes are words: size, the four
    // verdicts, the top tier and the rule set carry no Latin key (`small`, `pass`, `miit-2026`).
    for r in range.rows().skip(1) {
        assert!(
            matches!(r[5], calamine::Data::Float(_) | calamine::Data::Int(_)),
            "{:?}",
            r[5]
        );
        assert!(
            matches!(r[6], calamine::Data::Float(_) | calamine::Data::Empty),
            "revenue {:?}",
            r[6]
        );
        for c in &r[8..=14] {
            let t = c.to_string();
            assert!(
                !t.is_empty() && !t.chars().any(|ch| ch.is_ascii_alphabetic()),
                "{t}"
            );
        }
    }
}

#[tokio::test]
async fn a_what_if_changes_the_evaluation_shown_and_stores_nothing() {
    let w = world("whatif").await;
    let session = login(&w, "xihu").await;
    let before = w.state.store.years(&w.xihu_firm).await.unwrap_or_default();
    let path = format!(
        "/enterprises/{}?revenue=10000&main_revenue=9000&rd_expense=1000",
        w.xihu_firm
    );
    let r = send(&w, get(&path, Some(&session))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("梯度评价（模拟）"),
        "the page says it shows a what-if"
    );
    assert!(
        r.body.contains("计算值：10%"),
        "R&D intensity follows the changed figures"
    );
    assert!(r.body.contains("class=\"changed\""));
    let r = send(
        &w,
        get(
            &format!("/enterprises/{}?revenue=12x", w.xihu_firm),
            Some(&session),
        ),
    )
    .await;
    let err = r
        .body
        .split("role=\"alert\"")
        .nth(1)
        .unwrap_or_default()
        .split("</div>")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        err.contains("上年度营业收入") && err.contains("「12x」不是数字"),
        "a bad value is located by its field: {err}"
    );
    assert!(!r.body.contains("梯度评价（模拟）"));
    assert_eq!(
        w.state.store.years(&w.xihu_firm).await.unwrap_or_default(),
        before,
        "nothing was stored"
    );
}

/// The figures of a page: (link, number) for every `<a href="/enterprises?…">N</a>`.
fn figures(body: &str) -> Vec<(String, i64)> {
    body.split("<a href=\"")
        .skip(1)
        .filter_map(|s| {
            let (href, rest) = s.split_once("\">")?;
            let n: i64 = rest.split('<').next()?.trim().parse().ok()?;
            href.starts_with("/enterprises?")
                .then(|| (href.replace("&amp;", "&").replace("&#38;", "&"), n))
        })
        .collect()
}

#[tokio::test]
async fn every_dashboard_figure_links_to_a_list_of_that_many_enterprises() {
    let w = world("dashboard").await;
    let city = login(&w, "city").await;
    let r = send(&w, get("/dashboard", Some(&city))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("<svg") && r.body.contains("<rect"),
        "charts are drawn on the server"
    );
    let figs = figures(&r.body);
    assert!(figs.len() > 20, "{}", figs.len());
    let mut checked = 0;
    for (href, n) in figs.iter().filter(|(h, _)| {
        h.contains("candidate=") || h.contains("expiring=") || h.contains("top_tier=giant")
    }) {
        let list = send(&w, get(href, Some(&city))).await;
        assert!(
            list.body.contains(&format!("共 {n} 家")),
            "{href} shows {n} on the dashboard"
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
    let xihu = login(&w, "xihu").await;
    let r = send(&w, get("/dashboard", Some(&xihu))).await;
    assert!(
        r.body.contains("西湖区") && !r.body.contains("滨江区"),
        "a district's dashboard shows its own district"
    );
    for user in ["firm", "bank", "provider"] {
        let s = login(&w, user).await;
        assert_eq!(
            send(&w, get("/dashboard", Some(&s))).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
}

#[tokio::test]
async fn the_size_class_reads_in_chinese_on_the_scorecard() {
    let w = world("size-zh").await;
    let session = login(&w, "city").await;
    let r = send(
        &w,
        get(&format!("/enterprises/{}", w.xihu_firm), Some(&session)),
    )
    .await;
    let size_row = r
        .body
        .split("<td>SIZE</td>")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_default()
        .to_owned();
    assert!(
        ["大型", "中型", "小型", "微型", "无法判定"]
            .iter()
            .any(|z| size_row.contains(z)),
        "{size_row}"
    );
}

/// Every GET route of the application × every role × own/other district or enterprise, with the
/// status each must get (API routes answer 401 rather than redirect). POST routes refuse a missing
/// CSRF token for every signed-in role and send the anonymous to sign in.
#[tokio::test]
async fn every_route_by_every_role_authorisation_table() {
    let w = world("authz-all").await;
    let own = w.xihu_firm.clone();
    let other = w.other_firm.clone();
    let routes: Vec<String> = vec![
        "/account".into(),
        "/dashboard".into(),
        "/import".into(),
        "/enterprises".into(),
        "/enterprises/export.xlsx".into(),
        format!("/enterprises/{own}"),
        format!("/enterprises/{other}"),
        "/api/v1/enterprises".into(),
        format!("/api/v1/enterprises/{own}"),
        format!("/api/v1/enterprises/{other}"),
        format!("/api/v1/enterprises/{own}/evaluation"),
        format!("/api/v1/enterprises/{other}/evaluation"),
    ];
    // Expected status per route, in the order above.
    let table: [(&str, [u16; 12]); 6] = [
        (
            "anonymous",
            [303, 303, 303, 303, 303, 303, 303, 401, 401, 401, 401, 401],
        ),
        (
            "city",
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "xihu",
            [200, 200, 200, 200, 200, 200, 404, 200, 200, 404, 200, 404],
        ),
        (
            "firm",
            [200, 403, 403, 200, 200, 200, 404, 200, 200, 404, 200, 404],
        ),
        (
            "bank",
            [200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "provider",
            [200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
    ];
    let mut wrong = Vec::new();
    for (user, expected) in &table {
        let session = if *user == "anonymous" {
            None
        } else {
            Some(login(&w, user).await)
        };
        for (route, want) in routes.iter().zip(expected) {
            let r = send(&w, get(route, session.as_deref())).await;
            if r.status.as_u16() != *want {
                wrong.push(format!(
                    "{user} GET {route}: {} (expected {want})",
                    r.status.as_u16()
                ));
            }
        }
        let chains = format!("/enterprises/{own}/chains");
        let district = format!("/enterprises/{other}/district");
        for route in [
            "/logout",
            "/import",
            "/import/x/commit",
            chains.as_str(),
            district.as_str(),
            "/account/password",
        ] {
            let r = send(&w, post(route, session.as_deref(), "csrf=")).await;
            let want = if session.is_none() {
                303
            } else if route.starts_with("/import") && matches!(*user, "firm" | "bank" | "provider")
            {
                403
            } else if route == "/import" {
                400
            } else {
                403
            };
            if r.status.as_u16() != want {
                wrong.push(format!(
                    "{user} POST {route} without a token: {} (expected {want})",
                    r.status.as_u16()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_list_filters_by_revenue_and_refuses_a_malformed_amount() {
    let w = world("revenue").await;
    let city = login(&w, "city").await;
    let r = send(&w, get("/enterprises?revenue_min=12x", Some(&city))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("营业收入下限") && r.body.contains("12x"),
        "the error names the field and the value"
    );
    let r = send(
        &w,
        get(
            "/enterprises?revenue_min=5000&ecosystem=%E6%99%BA%E8%83%BD%E7%89%A9%E8%81%94",
            Some(&city),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let f = zjtx_store::Filter {
        revenue_min: Some(5000 * 10_000),
        ecosystem: Some("智能物联".into()),
        ..Default::default()
    };
    let n = w
        .state
        .store
        .list(&f, &zjtx_store::Scope::all())
        .await
        .map(|p| p.total)
        .unwrap_or(-1);
    assert!(
        r.body.contains(&format!("共 {n} 家")),
        "the page counts what the store counts ({n})"
    );
    let token = api_token(&w, "city").await;
    let r = send(
        &w,
        json_req(
            "GET",
            "/api/v1/enterprises?revenue_min=5000&per_page=7",
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(json(&r)["items"].as_array().is_some_and(|a| a.len() <= 7));
}

/// Chain tags: district staff tag an enterprise of their district from its page, the list filters
/// by chain, and nobody else can change them.
#[tokio::test]
async fn district_staff_tag_chains_and_the_list_filters_by_them() {
    let w = world("chains").await;
    let (own, other) = (w.xihu_firm.clone(), w.other_firm.clone());
    let enc = zjtx_web::common::urlencode;
    let xihu = login(&w, "xihu").await;
    let page = send(&w, get(&format!("/enterprises/{own}"), Some(&xihu))).await;
    assert!(
        page.body.contains("id=\"chains\""),
        "the tagging form is offered"
    );
    assert!(page.body.contains("未标注"));
    let csrf = form_csrf(&page.body);
    let body = format!(
        "csrf={csrf}&chain={}&chain={}",
        enc("储能"),
        enc("视觉智能")
    );
    let r = send(
        &w,
        post(&format!("/enterprises/{own}/chains"), Some(&xihu), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/enterprises/{own}#chains"));
    let tagged = w.state.store.chains_of(&own).await.unwrap_or_default();
    assert_eq!(tagged.len(), 2, "{tagged:?}");
    let page = send(&w, get(&format!("/enterprises/{own}"), Some(&xihu))).await;
    assert!(page.body.contains("value=\"储能\" checked"));
    assert!(!page.body.contains("未标注"));

    let city = login(&w, "city").await;
    let list = send(
        &w,
        get(&format!("/enterprises?chain={}", enc("储能")), Some(&city)),
    )
    .await;
    assert!(list.body.contains(&own) && !list.body.contains(&other));
    assert!(list.body.contains("<option value=\"储能\" selected>"));
    let api = send(
        &w,
        get(
            &format!("/api/v1/enterprises?chain={}", enc("视觉智能")),
            Some(&city),
        ),
    )
    .await;
    assert!(api.body.contains(&own), "{}", api.body);

    // Another district's enterprise reads as absent; an unknown chain is refused; nothing changes.
    let body = format!("csrf={csrf}&chain={}", enc("储能"));
    let r = send(
        &w,
        post(&format!("/enterprises/{other}/chains"), Some(&xihu), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        w.state
            .store
            .chains_of(&other)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let body = format!("csrf={csrf}&chain={}", enc("不存在的链"));
    let r = send(
        &w,
        post(&format!("/enterprises/{own}/chains"), Some(&xihu), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("不存在的链"), "the message names the chain");
    assert_eq!(
        w.state.store.chains_of(&own).await.unwrap_or_default(),
        tagged
    );

    // The enterprise itself sees its chains but cannot change them.
    let firm = login(&w, "firm").await;
    let page = send(&w, get(&format!("/enterprises/{own}"), Some(&firm))).await;
    assert!(!page.body.contains("id=\"chains\""));
    assert!(page.body.contains("储能"));
    let csrf = form_csrf(&page.body);
    let r = send(
        &w,
        post(
            &format!("/enterprises/{own}/chains"),
            Some(&firm),
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        w.state.store.chains_of(&own).await.unwrap_or_default(),
        tagged
    );
}

/// Chinese characters in a text (names and district names excluded by the caller).
fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn english_is_switchable_and_every_page_follows_it() {
    let w = world("english").await;
    let session = login(&w, "city").await;
    // Chinese first.
    let r = send(&w, get("/enterprises", Some(&session))).await;
    assert!(r.body.contains("<html lang=\"zh-CN\">") && r.body.contains("企业库"));
    // The switch remembers the choice and goes back to the page the link was on.
    let mut req = get("/lang/en", Some(&session));
    req.headers_mut().insert(
        header::REFERER,
        header::HeaderValue::from_static("http://127.0.0.1:8080/enterprises?top_tier=srdi"),
    );
    let r = send(&w, req).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (StatusCode::SEE_OTHER, "/enterprises?top_tier=srdi")
    );
    let lang = cookie_value(&r.cookies, zjtx_web::i18n::LANG_COOKIE).unwrap_or_default();
    assert_eq!(lang, "en");
    let en = format!("{session}; {}={lang}", zjtx_web::i18n::LANG_COOKIE);

    // Every page: English markup, no Chinese interface text. Data (names, districts, clauses of
    // the measures) stay as recorded, so each page is checked without them.
    let firm = w.xihu_firm.clone();
    for (path, expect) in [
        ("/dashboard", "Tiers by district"),
        ("/enterprises", "Enterprises"),
        (&*format!("/enterprises/{firm}"), "Tier evaluation"),
        ("/import", "Upload and check"),
        ("/account", "User name"),
    ] {
        let r = send(&w, get(path, Some(&en))).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains("<html lang=\"en\">"), "{path}");
        assert!(r.body.contains(expect), "{path}: {expect}");
        for zh in [
            "企业库",
            "概览",
            "梯度评价",
            "退出",
            "账户",
            "筛选",
            "最高梯度",
        ] {
            assert!(!r.body.contains(zh), "{path} still shows {zh}");
        }
    }
    // The scorecard's rules and verdicts are in English too.
    let r = send(&w, get(&format!("/enterprises/{firm}"), Some(&en))).await;
    assert!(r.body.contains("debt ratio") || r.body.contains("R&amp;D"));
    let verdicts = r
        .body
        .split("class=\"badge ")
        .skip(1)
        .filter_map(|s| s.split('>').nth(1)?.split('<').next())
        .collect::<Vec<_>>();
    assert_eq!(verdicts.len(), 4, "{verdicts:?}");
    assert!(verdicts.iter().all(|v| !has_cjk(v)), "{verdicts:?}");
    // Error pages as well, and the list's menus (tiers and sizes are glossary terms).
    let r = send(&w, get("/enterprises/91330100MA00000000", Some(&en))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // (The switch names each language in itself: 中文.)
    assert!(r.body.contains("Not found") && !has_cjk(&r.body.replace("中文", "")));
    let r = send(&w, get("/enterprises", Some(&en))).await;
    assert!(r.body.contains(">little giant<") && r.body.contains(">medium<"));
    // And back to Chinese; a link from another site goes to our home page, not back to it.
    let mut req = get("/lang/zh", Some(&en));
    req.headers_mut().insert(
        header::REFERER,
        header::HeaderValue::from_static("https://elsewhere.example/phish"),
    );
    let r = send(&w, req).await;
    assert_eq!(r.location, "/phish", "only the path is kept");
    let r = send(&w, get("/lang/zh", Some(&en))).await;
    assert_eq!(r.location, "/");
    assert_eq!(
        cookie_value(&r.cookies, zjtx_web::i18n::LANG_COOKIE).as_deref(),
        Some("zh")
    );
    assert_eq!(
        send(&w, get("/lang/fr", Some(&en))).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn search_finds_enterprises_by_their_main_products() {
    let w = world("products").await;
    let session = login(&w, "city").await;
    // A product of some firm of the demo city, and the firms that make it.
    let city: Vec<zjtx_core::Enterprise> = zjtx_core::synth::Generator::new(9, 2025)
        .take(120)
        .collect();
    let with_products: Vec<&zjtx_core::Enterprise> =
        city.iter().filter(|e| e.main_products.is_some()).collect();
    assert!(!with_products.is_empty());
    let product = with_products[0]
        .main_products
        .as_deref()
        .and_then(|p| p.split('、').next())
        .unwrap_or_default()
        .to_owned();
    let makers: std::collections::BTreeSet<String> = city
        .iter()
        .filter(|e| {
            e.main_products
                .as_deref()
                .is_some_and(|p| p.contains(&product))
                || e.name.contains(&product)
        })
        .map(|e| e.uscc.to_string())
        .collect();
    let r = send(
        &w,
        get(
            &format!("/enterprises?q={}", zjtx_web::common::urlencode(&product)),
            Some(&session),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let found: std::collections::BTreeSet<String> = r
        .body
        .split("<a href=\"/enterprises/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| !s.contains('?') && !s.starts_with("export"))
        .map(str::to_owned)
        .collect();
    assert_eq!(found, makers, "searching {product}");
    // The enterprise page shows them.
    let r = send(
        &w,
        get(
            &format!("/enterprises/{}", with_products[0].uscc),
            Some(&session),
        ),
    )
    .await;
    assert!(r.body.contains(&product));
}

#[tokio::test]
async fn every_response_forbids_framing_sniffing_and_scripts_and_firm_pages_are_not_cached() {
    let w = world("headers").await;
    let city = login(&w, "city").await;
    for (path, session) in [
        ("/login", None),
        ("/notice", None),
        ("/enterprises", Some(city.as_str())),
        (
            &*format!("/enterprises/{}", w.xihu_firm),
            Some(city.as_str()),
        ),
        ("/api/v1/enterprises", Some(city.as_str())),
        ("/no-such-page", Some(city.as_str())),
    ] {
        let r = router(w.state.clone())
            .oneshot(get(path, session))
            .await
            .unwrap_or_else(|e| match e {});
        let h = r.headers();
        let value = |k: header::HeaderName| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = value(header::CONTENT_SECURITY_POLICY);
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(value(header::X_FRAME_OPTIONS), "DENY", "{path}");
        assert_eq!(value(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{path}");
        assert_eq!(value(header::REFERRER_POLICY), "same-origin", "{path}");
        assert_eq!(value(header::CACHE_CONTROL), "no-store", "{path}");
    }
    // The stylesheet may be cached.
    let r = router(w.state.clone())
        .oneshot(get("/static/app.css", None))
        .await
        .unwrap_or_else(|e| match e {});
    assert!(
        r.headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("max-age"))
    );
    // No template carries an inline style or script, which the policy would block.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for bad in ["style=\"", "<style", "<script", "onclick=", "onsubmit="] {
            assert!(!text.contains(bad), "{} has {bad}", path.display());
        }
    }
}

#[tokio::test]
async fn cookies_are_secure_when_the_state_says_so() {
    let w = world("secure-cookies").await;
    let state =
        zjtx_web::AppState::new(w.state.store.clone(), w.state.rules.as_ref().clone(), true)
            .unwrap_or_else(|e| panic!("{e}"));
    let r = router(state)
        .oneshot(get("/login", None))
        .await
        .unwrap_or_else(|e| match e {});
    let cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn a_user_changes_their_own_password_under_the_policy_and_other_sessions_end() {
    let w = world("password").await;
    let here = login(&w, "xihu").await;
    let elsewhere = login(&w, "xihu").await;
    let csrf = csrf_of(&w, &here).await;
    let change = |current: &str, new: &str, confirm: &str| {
        post(
            "/account/password",
            Some(&here),
            &format!(
                "csrf={csrf}&current={}&new={}&confirm={}",
                zjtx_web::common::urlencode(current),
                zjtx_web::common::urlencode(new),
                zjtx_web::common::urlencode(confirm)
            ),
        )
    };
    let cases = [
        (
            "wrong-password-1",
            "Lake-west-pass-26",
            "Lake-west-pass-26",
            "当前密码不正确",
        ),
        (PASSWORD, "aaaaaaaaaa", "aaaaaaaaaa", "至少两类字符"),
        (PASSWORD, "short1", "short1", "至少需要 10 个字符"),
        (PASSWORD, "qwerty123456", "qwerty123456", "过于常见"),
        (
            PASSWORD,
            "Lake-west-pass-26",
            "Lake-west-pass-27",
            "两次输入的新密码不一致",
        ),
    ];
    for (current, new, confirm, message) in cases {
        let r = send(&w, change(current, new, confirm)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{new}");
        assert!(
            r.body.contains("field-error") && r.body.contains(message),
            "{new}: {}",
            r.body
        );
    }
    // Nothing changed so far: both sessions live.
    assert_eq!(
        send(&w, get("/account", Some(&elsewhere))).await.status,
        StatusCode::OK
    );
    let r = send(
        &w,
        change(PASSWORD, "Lake-west-pass-26", "Lake-west-pass-26"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/account?changed=1");
    assert_eq!(
        send(&w, get("/account", Some(&here))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&w, get("/account", Some(&elsewhere))).await.status,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    let r = send(&w, token_from("192.0.2.1", "xihu", "Lake-west-pass-26")).await;
    assert_eq!(r.status, StatusCode::OK, "the new password works");
    let r = send(&w, token_from("192.0.2.1", "xihu", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the old one does not");
}

#[tokio::test]
async fn inputs_are_bounded_and_say_their_bounds() {
    let w = world("bounds").await;
    let city = login(&w, "city").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&city))).await.body);
    // A name of half a million characters is a located error, not a stored name.
    let mut row = world_row(&w.xihu_firm);
    row.name = "名".repeat(500_000);
    let r = send(
        &w,
        multipart("/import", &city, &csrf, "long.csv", &csv_of(&[row])),
    )
    .await;
    assert!(
        r.body.contains("「企业名称」") && r.body.contains("超过 200 个字符"),
        "{}",
        &r.body[..r.body.len().min(2000)]
    );
    assert!(
        !r.body.contains(&"名".repeat(300)),
        "the value is not echoed"
    );
    // The upload route takes files far larger than a form may be.
    let rows: Vec<_> = zjtx_core::synth::Generator::new(5, 2025)
        .take(3000)
        .collect();
    let big = csv_of(&rows);
    assert!(big.len() > zjtx_web::MAX_FORM, "{} bytes", big.len());
    let r = send(&w, multipart("/import", &city, &csrf, "big.csv", &big)).await;
    assert_eq!(r.status, StatusCode::OK);
    // A form beyond the bound is refused before it is read.
    let r = send(
        &w,
        post(
            "/finance/events",
            Some(&city),
            &format!("csrf={csrf}&title={}", "x".repeat(zjtx_web::MAX_FORM)),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // One upload waits per importer: a new one replaces the last.
    let small = csv_of(
        &zjtx_core::synth::Generator::new(6, 2025)
            .take(3)
            .collect::<Vec<_>>(),
    );
    let first = send(&w, multipart("/import", &city, &csrf, "a.csv", &small)).await;
    let second = send(&w, multipart("/import", &city, &csrf, "b.csv", &small)).await;
    let id_of = |body: &str| {
        body.split("/import/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_default()
            .to_owned()
    };
    let (a, b) = (id_of(&first.body), id_of(&second.body));
    assert!(!a.is_empty() && a != b, "{a} {b}");
    let commit = |id: &str| {
        post(
            &format!("/import/{id}/commit"),
            Some(&city),
            &format!("csrf={csrf}"),
        )
    };
    assert_eq!(send(&w, commit(&a)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&w, commit(&b)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn lists_exports_and_refusals_leave_audit_records_that_name_what_was_read() {
    let w = world("audit-reads").await;
    let xihu = login(&w, "xihu").await;
    let r = send(&w, get("/enterprises", Some(&xihu))).await;
    assert_eq!(r.status, StatusCode::OK);
    let lists = w
        .state
        .store
        .audit_by_action("read.list")
        .await
        .unwrap_or_default();
    let detail = lists
        .last()
        .and_then(|a| a.detail.clone())
        .unwrap_or_default();
    assert!(
        detail.starts_with("page: ") && detail.contains(&w.xihu_firm),
        "{detail}"
    );
    assert!(!detail.contains(&w.other_firm), "only what was shown");
    let token = api_token(&w, "xihu").await;
    let r = send(
        &w,
        json_req("GET", "/api/v1/enterprises?per_page=5", Some(&token), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let lists = w
        .state
        .store
        .audit_by_action("read.list")
        .await
        .unwrap_or_default();
    let api: Vec<_> = lists
        .iter()
        .filter_map(|a| a.detail.as_deref())
        .filter(|d| d.starts_with("api: "))
        .collect();
    assert_eq!(api.len(), 1);
    assert!(api[0].contains("5 of 5"), "{}", api[0]);
    let r = router(w.state.clone())
        .oneshot(get("/enterprises/export.xlsx", Some(&xihu)))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(r.status(), StatusCode::OK);
    let export = w
        .state
        .store
        .audit_by_action("export")
        .await
        .unwrap_or_default();
    assert!(
        export.iter().any(|a| a
            .detail
            .as_deref()
            .is_some_and(|d| d.contains(&w.xihu_firm))),
        "{export:?}"
    );
    // A refused request is recorded with its path and status.
    let bank = login(&w, "bank").await;
    let r = send(&w, get("/import", Some(&bank))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let refused = w
        .state
        .store
        .audit_by_action("refused")
        .await
        .unwrap_or_default();
    assert!(
        refused
            .iter()
            .any(|a| a.target.as_deref() == Some("/import")
                && a.detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with("403 GET"))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn one_clock_drives_the_api_the_list_and_the_import() {
    let w = world("one-clock").await;
    let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap_or_default();
    w.state.set_today(Some(day));
    let token = api_token(&w, "city").await;
    let r = send(
        &w,
        json_req(
            "GET",
            &format!("/api/v1/enterprises/{}/evaluation", w.xihu_firm),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["as_of"], "2027-01-15", "{}", r.body);
    // Gaps are data (a kind with its fields and figures) carrying both wordings; the page words
    // them in its reader's language from the same data.
    let body = json(&r);
    let gaps: Vec<&serde_json::Value> = body["trace"]
        .as_array()
        .map(|t| t.iter().filter_map(|e| e.get("gap")).collect())
        .unwrap_or_default();
    assert!(!gaps.is_empty(), "{}", r.body);
    for g in gaps {
        assert!(g["kind"].is_string(), "{g}");
        assert!(g["zh"].as_str().is_some_and(|s| !s.is_empty()), "{g}");
        assert!(g["en"].as_str().is_some_and(|s| !s.is_empty()), "{g}");
    }
    // The scorecard evaluates as of the same day.
    let city = login(&w, "city").await;
    let page = send(
        &w,
        get(&format!("/enterprises/{}", w.xihu_firm), Some(&city)),
    )
    .await;
    assert!(page.body.contains("2027-01-15"), "the scorecard's date");
}

/// Every line of `access::TABLE` against every role: a role the line does not name is refused
/// with the "no access" page, whatever it sends; a role it names is never refused for its role
/// (what it then gets depends on the record and the form); the anonymous are sent to sign in on
/// pages and get 401 from the API. Public lines answer without a session.
#[tokio::test]
async fn the_access_table_is_what_the_router_enforces() {
    use zjtx_store::Role;
    use zjtx_web::access::{TABLE, Who};
    let w = world("authz-table").await;
    // The bank's staff account belongs to a registered institution, as in real use.
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let r = send(
        &w,
        post(
            "/finance/institutions",
            Some(&city),
            &format!("csrf={c}&name=示范银行&kind=bank&staff=bank"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let users = [
        ("city", Role::City),
        ("xihu", Role::District),
        ("firm", Role::Enterprise),
        ("bank", Role::Institution),
        ("provider", Role::Provider),
    ];
    let mut sessions = Vec::new();
    for (name, role) in users {
        sessions.push((name, role, login(&w, name).await));
    }
    let refused = "您的账户无权访问此页面。";
    let mut wrong = Vec::new();
    for line in TABLE {
        let path = line
            .path
            .replace("{uscc}", &w.other_firm)
            .replace("{id}", "999999")
            .replace("{tier}", "srdi")
            .replace("{code}", "zh");
        let call = |cookie: Option<&str>| {
            if line.method == "GET" {
                get(&path, cookie)
            } else {
                post(&path, cookie, "csrf=not-this-one")
            }
        };
        if matches!(line.who, Who::Operator) {
            // Without the local address or the token: refused, whoever signs in.
            let r = send(&w, call(None)).await;
            if r.status != StatusCode::FORBIDDEN {
                wrong.push(format!(
                    "{} {path}: an operator's, yet {}",
                    line.method, r.status
                ));
            }
            continue;
        }
        let Who::Roles(allowed) = line.who else {
            // Refused for want of a role, or sent to sign in: not public. (A form refused for
            // its token, or the sign-in's own second step sending back to its first when no
            // sign-in waits, is the route's own answer.)
            let r = send(&w, call(None)).await;
            let refused_role = r.status == StatusCode::FORBIDDEN && r.body.contains(refused);
            if refused_role || (r.location == "/login" && !path.starts_with("/login/")) {
                wrong.push(format!("{} {path}: public, yet {}", line.method, r.status));
            }
            continue;
        };
        let r = send(&w, call(None)).await;
        let anonymous_ok = if path.starts_with("/api/") {
            r.status == StatusCode::UNAUTHORIZED
        } else {
            r.status == StatusCode::SEE_OTHER && r.location == "/login"
        };
        if !anonymous_ok {
            wrong.push(format!("anonymous {} {path}: {}", line.method, r.status));
        }
        for (name, role, cookie) in &sessions {
            let r = send(&w, call(Some(cookie))).await;
            let role_refused = r.status == StatusCode::FORBIDDEN
                && (r.body.contains(refused) || path.starts_with("/api/"));
            let may = allowed.contains(role);
            // Whatever the record or the form, a route never fails inside (a page reading every
            // firm's figures on a route the gate of `whole` does not cover answers 500).
            if r.status == StatusCode::INTERNAL_SERVER_ERROR {
                wrong.push(format!("{name} {} {path}: 500 {}", line.method, r.body));
            }
            if may && role_refused && !path.starts_with("/api/") {
                wrong.push(format!(
                    "{name} {} {path}: refused for its role",
                    line.method
                ));
            }
            if !may && !role_refused {
                wrong.push(format!(
                    "{name} {} {path}: {} (expected 403)",
                    line.method, r.status
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A search turned away (issue 15): with the searches' share of the database taken, the page
/// answers 503 with the form as typed and a message saying to retry, the API `busy`; a plain list
/// still answers; once the share is free the search answers again.
#[tokio::test]
async fn a_busy_search_keeps_the_form_and_leaves_lists_alone() {
    let w = world("busy-search").await;
    let city = login(&w, "city").await;
    let token = api_token(&w, "city").await;
    let share = w.state.store.expensive_share();
    let held = share
        .clone()
        .acquire_many_owned(u32::try_from(share.available_permits()).unwrap_or(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let q = "/enterprises?q=%E5%85%89%E7%94%B5&region=330106";
    let r = send(&w, get(q, Some(&city))).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.body.contains("id=\"busy\"") && r.body.contains("请几秒后重试"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"光电\""), "the query is kept");
    assert!(
        r.body.contains("value=\"330106\" selected"),
        "the filter is kept"
    );
    let api = send(
        &w,
        json_req(
            "GET",
            "/api/v1/enterprises?q=%E5%85%89%E7%94%B5",
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(&api)["code"], "busy");
    assert_eq!(
        send(&w, get("/enterprises", Some(&city))).await.status,
        StatusCode::OK
    );
    drop(held);
    assert_eq!(send(&w, get(q, Some(&city))).await.status, StatusCode::OK);
}

/// A path no route serves answers a page saying so (not an empty 404), and under /api/ problem
/// details.
#[tokio::test]
async fn an_unknown_path_says_not_found() {
    let w = world("no-route").await;
    let r = send(&w, get("/no-such-page", None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("未找到"), "{}", r.body);
    let r = send(&w, get("/api/v1/no-such-thing", None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&r)["type"], "urn:zjtx:problem:not_found");
}

/// `/readyz` answers when the database does; `/metrics` counts requests under their route's
/// pattern (never a firm's code) with a latency histogram that agrees with the counts, and
/// answers the local machine only (a remote caller, also through a local proxy, is refused).
#[tokio::test]
async fn readiness_and_metrics() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let w = world("metrics").await;
    let r = send(&w, get("/readyz", None)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));
    let city = login(&w, "city").await;
    for _ in 0..3 {
        assert_eq!(
            send(&w, get("/enterprises", Some(&city))).await.status,
            StatusCode::OK
        );
    }
    let page = format!("/enterprises/{}", w.xihu_firm);
    assert_eq!(
        send(&w, get(&page, Some(&city))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&w, get("/dashboard", None)).await.status,
        StatusCode::SEE_OTHER
    );
    let from = |ip: [u8; 4], forwarded: Option<&str>| {
        let mut req = get("/metrics", None);
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
        if let Some(f) = forwarded {
            req.headers_mut().insert(
                "x-forwarded-for",
                f.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        req
    };
    assert_eq!(
        send(&w, from([10, 0, 0, 5], None)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, from([127, 0, 0, 1], Some("203.0.113.9")))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a remote caller through a local proxy"
    );
    let r = send(&w, from([127, 0, 0, 1], None)).await;
    assert_eq!(r.status, StatusCode::OK);
    let value = |series: &str| -> f64 {
        r.body
            .lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    assert_eq!(
        value("zjtx_http_requests_total{method=\"GET\",route=\"/enterprises\",status=\"200\"}"),
        3.0,
        "{}",
        r.body
    );
    assert_eq!(
        value(
            "zjtx_http_requests_total{method=\"GET\",route=\"/enterprises/{uscc}\",status=\"200\"}"
        ),
        1.0
    );
    assert_eq!(
        value("zjtx_http_requests_total{method=\"GET\",route=\"/dashboard\",status=\"303\"}"),
        1.0,
        "refused requests are counted"
    );
    assert!(!r.body.contains(&w.xihu_firm), "no firm's code in a label");
    assert_eq!(
        value("zjtx_http_request_duration_seconds_count{route=\"/enterprises\"}"),
        3.0
    );
    assert_eq!(
        value("zjtx_http_request_duration_seconds_bucket{route=\"/enterprises\",le=\"+Inf\"}"),
        3.0
    );
    assert!(value("zjtx_db_connections{state=\"open\"}") >= 1.0);
}

/// `/metrics` opens to another host with the configured token (`metrics.token`), and to no one
/// else from there.
#[tokio::test]
async fn the_metrics_token_opens_metrics_to_other_hosts() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let mut w = world("metrics-token").await;
    configure(&mut w, "[metrics]\ntoken = \"scrape-7Qm2-token\"\n");
    let from = |bearer: Option<&str>| {
        let mut req = get("/metrics", None);
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 5], 40_000))));
        if let Some(b) = bearer {
            req.headers_mut().insert(
                header::AUTHORIZATION,
                format!("Bearer {b}")
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        req
    };
    assert_eq!(send(&w, from(None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&w, from(Some("scrape-7Qm2-tokem"))).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&w, from(Some("scrape-7Qm2-token"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("zjtx_http_requests_total"), "{}", r.body);
}

/// Every answer carries its request's id (the proxy's when it sent a plain one), an error page
/// shows it; headers beyond the configured size are refused with 431, and a request past the
/// time limit is stopped with 503 — a page in the reader's language, a problem on the API.
#[tokio::test]
async fn request_ids_and_the_configured_limits() {
    let mut w = world("limits").await;
    let id_of = |res: &axum::response::Response| {
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let res = router(w.state.clone())
        .oneshot(get("/login", None))
        .await
        .unwrap_or_else(|e| match e {});
    let first = id_of(&res);
    assert_eq!(first.len(), 16, "a new id: {first:?}");
    let mut req = get("/no-such-page", None);
    req.headers_mut().insert(
        "x-request-id",
        "proxy-id-4711abcd"
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let res = router(w.state.clone())
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(id_of(&res), "proxy-id-4711abcd");
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&body).contains("<code>proxy-id-4711abcd</code>"),
        "the error page names the request"
    );
    let mut req = get("/login", None);
    req.headers_mut().insert(
        "x-request-id",
        "bad id\u{7f}"
            .parse()
            .unwrap_or_else(|_| "x".parse().unwrap_or_else(|e| panic!("{e}"))),
    );
    let res = router(w.state.clone())
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(id_of(&res).len(), 16, "an unusable id is replaced");

    configure(&mut w, "[limits]\nheader_kb = 4\n");
    let mut req = get("/login", None);
    req.headers_mut().insert(
        "x-padding",
        "a".repeat(5000).parse().unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        send(&w, req).await.status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(send(&w, get("/login", None)).await.status, StatusCode::OK);

    // A limit already past when the request first waits for the database.
    let city = login(&w, "city").await;
    let token = api_token(&w, "city").await;
    w.state.limits.request_timeout = std::time::Duration::ZERO;
    let r = send(&w, get("/dashboard", Some(&city))).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.body.contains("处理超时") && r.body.contains("请求编号"),
        "{}",
        r.body
    );
    // A zero limit races the request's first wait (a request whose every step is ready at once
    // finishes within it): what is checked is the answer when the limit is hit, so the call is
    // made until it is.
    let mut hit = None;
    for _ in 0..20 {
        let mut req = get("/api/v1/enterprises", None);
        req.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {token}")
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let r = send(&w, req).await;
        if r.status == StatusCode::SERVICE_UNAVAILABLE {
            hit = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = hit.unwrap_or_else(|| panic!("the limit was never hit"));
    assert_eq!(json(&r)["type"], "urn:zjtx:problem:busy");
}

/// The import page offers the empty template: the same workbook as `zjtx template`, its first
/// sheet headed by the template's Chinese column labels.
#[tokio::test]
async fn the_import_page_offers_the_template() {
    use calamine::Reader;
    let w = world("template").await;
    let city = login(&w, "city").await;
    let page = send(&w, get("/import", Some(&city))).await;
    assert!(page.body.contains("href=\"/import/template.xlsx\""));
    let r = send(&w, get("/import/template.xlsx", Some(&city))).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(r.bytes))
        .unwrap_or_else(|e| panic!("{e}"));
    let range = wb
        .worksheet_range("企业数据")
        .unwrap_or_else(|e| panic!("{e}"));
    let headers: Vec<String> = range
        .rows()
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let want: Vec<String> = zjtx_core::enterprise::COLUMNS
        .iter()
        .map(|c| c.header_zh().to_owned())
        .collect();
    assert_eq!(headers, want);
    let firm = login(&w, "firm").await;
    assert_eq!(
        send(&w, get("/import/template.xlsx", Some(&firm)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A page address or form that does not parse answers the error page in the reader's language,
/// not axum's English plain text: a path that names nothing is "not found", a bad query or form
/// says how to go on.
#[tokio::test]
async fn unreadable_addresses_and_forms_answer_in_chinese() {
    let w = world("rejections").await;
    let city = login(&w, "city").await;
    let r = send(&w, get("/declarations/abc", Some(&city))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains("未找到") && !r.body.contains("Invalid URL"),
        "{}",
        r.body
    );
    let r = send(
        &w,
        get("/monitoring/clearings?year=2025&year=2026", Some(&city)),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("无法识别") && !r.body.contains("Failed to deserialize"),
        "{}",
        r.body
    );
    let r = send(&w, post("/batches", Some(&city), "year=x&=&&")).await;
    assert!(r.status.is_client_error());
    assert!(!r.body.contains("Failed to deserialize"), "{}", r.body);
}

/// The API's document as a page anyone can read offline: every operation of the OpenAPI
/// document, with nothing loaded from elsewhere and no script.
#[tokio::test]
async fn the_api_document_reads_as_a_page() {
    let w = world("api-docs").await;
    let r = send(&w, get("/api-docs", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = zjtx_web::api::document();
    let mut n = 0;
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            let shown = format!("<code>{} {}</code>", method.to_uppercase(), path);
            assert!(r.body.contains(&shown), "{shown} missing");
            n += 1;
        }
    }
    assert!(n > 20, "{n} operations");
    assert!(
        r.body.contains("<code>Disclosure</code>"),
        "the schemas too"
    );
    assert!(
        !r.body.contains("<script") && !r.body.contains("src=\"http"),
        "self-contained"
    );
}

/// Every operation of the API × every role, as a system calls it (a bearer token and a JSON body,
/// an expert's seat too), read from the access table: a role the table does not name is refused
/// 403 (`forbidden`) before the handler, a named role is never refused for its role, nothing
/// answers 5xx, and without a token every non-public operation answers 401 — so the API's routes,
/// made with their documentation, sit under the same check as the pages.
#[tokio::test]
async fn every_api_operation_by_every_role_follows_the_access_table() {
    use zjtx_store::Role;
    use zjtx_web::access::{TABLE, Who};
    let w = world("api-authz").await;
    add_user(&w, "expert", Role::Expert, None, None).await;
    let mut wrong = Vec::new();
    let mut tokens = Vec::new();
    for (name, role) in [
        ("city", Role::City),
        ("xihu", Role::District),
        ("firm", Role::Enterprise),
        ("bank", Role::Institution),
        ("provider", Role::Provider),
        ("expert", Role::Expert),
    ] {
        tokens.push((name, role, api_token(&w, name).await));
    }
    let mut n = 0;
    for a in TABLE.iter().filter(|a| a.path.starts_with("/api/v1/")) {
        if a.path == "/api/v1/auth/token" {
            continue;
        }
        let path = a.path.replace("{uscc}", &w.xihu_firm).replace("{id}", "1");
        let body = (a.method == "POST").then(|| serde_json::json!({}));
        let r = send(&w, json_req(a.method, &path, None, body.clone())).await;
        let public = a.who == Who::Public;
        if public == (r.status == StatusCode::UNAUTHORIZED) {
            wrong.push(format!("anonymous {} {path}: {}", a.method, r.status));
        }
        for (name, role, token) in &tokens {
            let r = send(&w, json_req(a.method, &path, Some(token), body.clone())).await;
            let allowed = match a.who {
                Who::Public => true,
                Who::Roles(rs) => rs.contains(role),
                Who::Operator => false,
            };
            let refused =
                r.status == StatusCode::FORBIDDEN && r.body.contains("\"code\":\"forbidden\"");
            let role_refused = refused && !allowed;
            if allowed == role_refused || (!allowed && !refused) || r.status.is_server_error() {
                wrong.push(format!(
                    "{name} {} {path}: {} {}",
                    a.method, r.status, r.body
                ));
            }
            n += 1;
        }
    }
    assert!(n > 200, "{n} calls");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A CSV saved by Excel in China (GBK) is imported as its UTF-8 twin would be (issue 16).
#[tokio::test]
async fn a_gbk_csv_is_imported_like_its_utf8_twin() {
    let w = world("import-gbk").await;
    let session = login(&w, "xihu").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&session))).await.body);
    let mut rows: Vec<_> = zjtx_core::synth::Generator::new(31, 2025).take(5).collect();
    for e in rows.iter_mut() {
        e.district = Some("西湖区".into());
    }
    let utf8 = String::from_utf8(csv_of(&rows)).unwrap_or_else(|e| panic!("{e}"));
    let utf8 = utf8.trim_start_matches('\u{feff}').to_owned();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&utf8);
    assert!(!unmappable);
    let gbk = gbk.into_owned();
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK");
    let r = send(&w, multipart("/import", &session, &csrf, "gbk.csv", &gbk)).await;
    assert!(r.body.contains("5 行数据，全部有效"), "{}", r.body);
}

/// An import's errors are worded for the reader (issue 16, item 2): in Chinese, the row, the
/// column's Chinese label, the cell as written, what is expected; in English the same with the
/// English label; nothing stored.
#[tokio::test]
async fn import_errors_name_the_row_the_column_and_what_is_expected() {
    let w = world("import-words").await;
    let session = login(&w, "xihu").await;
    let csrf = form_csrf(&send(&w, get("/import", Some(&session))).await.body);
    // Row 3 as a spreadsheet shows it: revenue in words, a date that is not one.
    let bad = "uscc,name,industry_code,district,revenue,established_on\n\
               91350100M000100Y43,甲,C3981,西湖区,100,2015-03-01\n\
               91350100M000101Y4Q,乙,C3981,西湖区,一千万,去年\n";
    let r = send(
        &w,
        multipart("/import", &session, &csrf, "bad.csv", bad.as_bytes()),
    )
    .await;
    assert!(
        r.body.contains("第 3 行「上年度营业收入」：「一千万」不是数字，请填写数值（万元，最多四位小数），如 1000"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("第 3 行「成立日期」：「去年」不是日期"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("is not"), "no English in the Chinese page");
    let en = format!("{session}; {}=en", zjtx_web::i18n::LANG_COOKIE);
    let csrf = form_csrf(&send(&w, get("/import", Some(&en))).await.body);
    let r = send(
        &w,
        multipart("/import", &en, &csrf, "bad.csv", bad.as_bytes()),
    )
    .await;
    assert!(
        r.body
            .contains("row 3, Revenue (last year): &#34;一千万&#34; is not a number"),
        "{}",
        r.body
    );
}

/// Each role lands where its work is (issue 16): the bureau on the dashboard, a firm on its own
/// record, a bank in the finance zone, a provider on its page, an expert on its messages.
#[tokio::test]
async fn each_role_lands_where_its_work_is() {
    let w = world("landing").await;
    add_user(&w, "expert", zjtx_store::Role::Expert, None, None).await;
    // A bank's staff account belongs to its institution (one without goes to its account).
    let bank = w
        .state
        .store
        .create_institution("示范银行", "bank", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    w.state
        .store
        .set_institution("bank", bank, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let firm = format!("/enterprises/{}", w.xihu_firm);
    for (user, want) in [
        ("city", "/dashboard"),
        ("xihu", "/dashboard"),
        ("firm", firm.as_str()),
        ("bank", "/finance"),
        ("provider", "/providers"),
        ("expert", "/messages"),
    ] {
        let s = login(&w, user).await;
        let r = send(&w, get("/", Some(&s))).await;
        assert_eq!(r.location, want, "{user}");
        let page = send(&w, get(want, Some(&s))).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{user} lands on a page it may read"
        );
    }
}

/// The registry list (issue 16, item 7): a dashboard link's filter is shown and kept in the form
/// like any other, the filters in force are said in words with a way to clear them, and a search
/// that finds nothing says what it searches and offers the district it names.
#[tokio::test]
async fn the_list_shows_and_keeps_every_filter_and_explains_an_empty_search() {
    let w = world("list-filters").await;
    let city = login(&w, "city").await;
    let r = send(&w, get("/enterprises?candidate=innovative", Some(&city))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("<option value=\"innovative\" selected>"),
        "the dashboard's filter is in the form, so a change of another keeps it"
    );
    let active = r
        .body
        .split("id=\"active-filters\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no active filters line"));
    assert!(active.contains("达标但未获称号"), "{active}");
    assert!(r.body.contains("清除全部筛选"));
    let f = zjtx_store::Filter {
        candidate: Some("innovative".into()),
        ..Default::default()
    };
    let n = w
        .state
        .store
        .list(&f, &zjtx_store::Scope::all())
        .await
        .map(|p| p.total)
        .unwrap_or(-1);
    assert!(
        r.body.contains(&format!("共 {n} 家")),
        "the count is the store's ({n})"
    );
    // No filter: no line.
    let r = send(&w, get("/enterprises", Some(&city))).await;
    assert!(!r.body.contains("id=\"active-filters\""));
    // A district's name searched: nothing in names, and the district offered.
    let r = send(
        &w,
        get("/enterprises?q=%E8%A5%BF%E6%B9%96%E5%8C%BA", Some(&city)),
    )
    .await;
    assert!(r.body.contains("共 0 家"), "{}", r.body);
    let hint = r
        .body
        .split("id=\"search-hint\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no hint"));
    assert!(hint.contains("/enterprises?region=330106"), "{hint}");
}

/// The scorecard leads with what matters (issue 16, item 5): the next tier up from what the
/// figures meet and every condition of it not met — as many as the engine's trace says — and in
/// what-if mode, that the lead is simulated.
#[tokio::test]
async fn the_scorecard_leads_with_the_next_tier_and_what_it_misses() {
    let w = world("lead").await;
    let city = login(&w, "city").await;
    let token = api_token(&w, "city").await;
    let mut checked = 0;
    let page = json(
        &send(
            &w,
            json_req("GET", "/api/v1/enterprises?per_page=12", Some(&token), None),
        )
        .await,
    );
    for e in page["items"].as_array().into_iter().flatten() {
        let uscc = e["uscc"].as_str().unwrap_or_default();
        let ev = json(
            &send(
                &w,
                json_req(
                    "GET",
                    &format!("/api/v1/enterprises/{uscc}/evaluation"),
                    Some(&token),
                    None,
                ),
            )
            .await,
        );
        let next = if ev["giant"] == "pass" {
            continue;
        } else if ev["srdi"] == "pass" {
            ("giant", "专精特新“小巨人”企业")
        } else if ev["innovative"] == "pass" {
            ("srdi", "专精特新中小企业")
        } else {
            ("innovative", "创新型中小企业")
        };
        let missing = ev["trace"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["tier"] == next.0 && (t["verdict"] == "fail" || t["verdict"] == "review"))
            .count();
        let body = send(&w, get(&format!("/enterprises/{uscc}"), Some(&city)))
            .await
            .body;
        let lead = body
            .split("id=\"lead\"")
            .nth(1)
            .and_then(|s| s.split("</div>").next())
            .unwrap_or_else(|| panic!("no lead on {uscc}"));
        assert!(lead.contains(next.1), "{uscc}: {lead}");
        if missing == 0 {
            assert!(lead.contains("各项条件均已满足"), "{uscc}: {lead}");
        } else {
            assert!(
                lead.contains(&format!("尚有 {missing} 项条件未满足")),
                "{uscc} ({missing}): {lead}"
            );
        }
        assert!(!lead.contains("按模拟数据"));
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
    // What-if: the lead says it is simulated.
    let body = send(
        &w,
        get(
            &format!("/enterprises/{}?revenue=99999", w.xihu_firm),
            Some(&city),
        ),
    )
    .await
    .body;
    let lead = body.split("id=\"lead\"").nth(1).unwrap_or_default();
    assert!(lead.contains("按模拟数据"), "{lead}");
}

/// Pages are compressed when the client accepts it, and the form token a page carries differs on
/// every page (masked afresh) while each is accepted — so a compressed page that echoes a search
/// cannot give the token away by its length.
#[tokio::test]
async fn pages_are_compressed_and_their_form_tokens_masked_afresh() {
    let w = world("compress").await;
    let city = login(&w, "city").await;
    let (a, b) = (csrf_of(&w, &city).await, csrf_of(&w, &city).await);
    assert_ne!(a, b, "a fresh mask on each page");
    for token in [&a, &b] {
        let r = send(
            &w,
            post(
                "/account/password",
                Some(&city),
                &format!("csrf={token}&current=x&new=y&confirm=z"),
            ),
        )
        .await;
        assert_ne!(
            r.status,
            StatusCode::FORBIDDEN,
            "each masked token is the session's"
        );
    }
    let mut req = get("/enterprises?q=abc", Some(&city));
    req.headers_mut().insert(
        header::ACCEPT_ENCODING,
        "gzip".parse().unwrap_or_else(|e| panic!("{e}")),
    );
    let res = router(w.state.clone())
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(
        res.headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
}
