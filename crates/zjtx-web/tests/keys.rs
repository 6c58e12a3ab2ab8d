//! Keys for systems through HTTP: a bank's staff creates a key (shown once, refused with the
//! input kept when the name or date is wrong), and the bank's system, with the key alone, lists
//! its products, hears of a new need, reads a consenting firm (logged for the firm under the
//! key's name) and moves an application to disbursed. A read-only key cannot write, a key cannot
//! open pages, a browser's cookie cannot post to the API, a key is held to its rate (429 with
//! Retry-After), is seen and revoked only by its own seat, and stops on the next call once
//! revoked or expired.

mod common;
use common::*;

use axum::http::{StatusCode, header};
use chrono::Days;
use serde_json::json;
use tower::ServiceExt;

/// The key shown on the page just after it was created.
fn secret(body: &str) -> String {
    body.split("<code id=\"secret\">")
        .nth(1)
        .and_then(|p| p.split('<').next())
        .unwrap_or_else(|| panic!("no key shown: {body}"))
        .to_owned()
}

#[tokio::test]
async fn a_banks_system_works_with_its_own_key() {
    let w = world("keys").await;
    let store = w.state.store.clone();
    let firm = w.xihu_firm.clone();
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let (bank_id, _) = two_banks(&w, "示范银行", "另一银行").await;

    // A listed product of the bank, the firm's consent and need, and its application.
    let product = listed_loan(&w, bank_id, "科创贷").await;
    let (from, until) = (today.to_string(), (today + Days::new(90)).to_string());
    store
        .grant_consent(
            &firm,
            bank_id,
            "profile,financials",
            false,
            "授信",
            &from,
            &until,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The staff's page: a wrong name or date is refused beside its field, the input kept.
    let bank = login(&w, "bank").await;
    let c = csrf_of(&w, &bank).await;
    let page = send(&w, get("/account/keys", Some(&bank))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let later = (today + Days::new(30)).to_string();
    let r = send(
        &w,
        post(
            "/account/keys",
            Some(&bank),
            &format!("csrf={c}&name=核心系统&write=1&expires_on={later}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("value=\"核心系统\""),
        "the name typed is kept"
    );
    assert!(r.body.contains("field-error"));
    let r = send(
        &w,
        post(
            "/account/keys",
            Some(&bank),
            &format!("csrf={c}&name=core-banking&write=1&expires_on={from}"),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "expiry must be after today"
    );
    let bank_user = store
        .user_by_name("bank")
        .await
        .ok()
        .flatten()
        .map_or(0, |u| u.id);
    assert!(
        store
            .api_keys(bank_user)
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing stored"
    );

    // Created: shown this once.
    let r = send(
        &w,
        post(
            "/account/keys",
            Some(&bank),
            &format!("csrf={c}&name=core-banking&write=1&expires_on={later}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = secret(&r.body);
    assert!(key.starts_with("zjtx_") && key.len() > 40, "{key}");
    let again = send(&w, get("/account/keys", Some(&bank))).await;
    assert!(!again.body.contains(&key), "never shown again");
    assert!(again.body.contains(&key[..12]), "its beginning is");
    let dup = send(
        &w,
        post(
            "/account/keys",
            Some(&bank),
            &format!("csrf={c}&name=core-banking&expires_on={later}"),
        ),
    )
    .await;
    assert_eq!(dup.status, StatusCode::BAD_REQUEST, "one name, one key");
    let r = send(
        &w,
        post(
            "/account/keys",
            Some(&bank),
            &format!("csrf={c}&name=reader&expires_on={later}"),
        ),
    )
    .await;
    let reader = secret(&r.body);

    // With the key alone: its products, the need it can answer, the consenting firm.
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/products", Some(&key), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let products = json(&r)["products"].clone();
    assert_eq!(products.as_array().map(Vec::len), Some(1));
    assert_eq!(products[0]["id"], json!(product));
    assert_eq!(products[0]["max_amount_wan"], json!("10000"));
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/needs", Some(&key), None),
    )
    .await;
    assert_eq!(json(&r)["needs"], json!([]), "no need yet");
    let need = store
        .post_need(&firm, 2_000_000, "研发投入", 12, "credit", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/needs", Some(&key), None),
    )
    .await;
    let needs = json(&r)["needs"].clone();
    assert_eq!(needs[0]["id"], json!(need), "{needs}");
    assert_eq!(needs[0]["amount_wan"], json!("200"));
    let other_key_user = store.api_keys(bank_user).await.unwrap_or_default();
    let key_account = other_key_user
        .iter()
        .find(|k| k.name == "core-banking")
        .map(|k| k.user_id)
        .unwrap_or_else(|| panic!("the key is listed for its seat"));
    let r = send(
        &w,
        json_req(
            "GET",
            &format!("/api/v1/finance/enterprises/{firm}"),
            Some(&key),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let log = store.access_log(&firm).await.unwrap_or_default();
    assert!(
        log.iter()
            .any(|a| a.route == "api" && a.username.ends_with(":core-banking")),
        "the firm sees the read under the key's name: {log:?}"
    );

    // The application, moved to disbursed by the system.
    let app = store
        .apply(&firm, product, Some(need), 2_000_000, &from, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let step = |body: serde_json::Value, k: &str| {
        json_req(
            "POST",
            &format!("/api/v1/finance/applications/{app}/step"),
            Some(k),
            Some(body),
        )
    };
    let r = send(&w, step(json!({ "to": "granted", "amount": "150" }), &key)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "accepted first: {}", r.body);
    let r = send(&w, step(json!({ "to": "accepted" }), &reader)).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a read-only key cannot write"
    );
    for body in [
        json!({ "to": "accepted" }),
        json!({ "to": "granted", "amount": "150", "date": from }),
        json!({ "to": "disbursed", "date": from }),
    ] {
        let r = send(&w, step(body, &key)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/applications", Some(&key), None),
    )
    .await;
    let apps = json(&r)["applications"].clone();
    assert_eq!(apps[0]["status"], json!("disbursed"), "{apps}");
    assert_eq!(apps[0]["granted_amount_wan"], json!("150"));
    let calls = store.audit_by_action("api.call").await.unwrap_or_default();
    assert!(
        calls.len() >= 8 && calls.iter().all(|a| a.detail.as_deref() != Some("")),
        "every call audited with the key's name: {calls:?}"
    );
    assert!(calls.iter().any(|a| a.user_id == Some(key_account)));
    let steps = store
        .audit_for(&format!("application:{app}"))
        .await
        .unwrap_or_default();
    assert!(
        steps
            .iter()
            .any(|a| a.user_id == Some(key_account) && a.action == "application.disbursed"),
        "the step recorded as the key's: {steps:?}"
    );

    // Refusals are RFC 9457 problem details, a malformed body included.
    let mut bad = step(json!({}), &key);
    *bad.body_mut() = axum::body::Body::from("{\"to\": ");
    for (req, status, kind) in [
        (bad, StatusCode::BAD_REQUEST, "bad_request"),
        (
            json_req("GET", "/api/v1/finance/applications/0/x", Some(&key), None),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            step(json!({ "to": "accepted" }), &key),
            StatusCode::CONFLICT,
            "conflict",
        ),
    ] {
        let res = zjtx_web::router(w.state.clone())
            .oneshot(req)
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(res.status(), status, "{kind}");
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        {
            assert_eq!(ct, "application/problem+json", "{kind}");
            assert_eq!(p["type"], json!(format!("urn:zjtx:problem:{kind}")), "{p}");
            assert_eq!(p["status"], json!(status.as_u16()));
            assert!(p["title"].is_string() && p["detail"].is_string(), "{p}");
        }
    }

    // A key reaches the API only; a browser's cookie cannot post to it.
    let r = send(&w, json_req("GET", "/finance", Some(&key), None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut req = step(json!({ "to": "declined", "reason": "x" }), "unused");
    req.headers_mut().remove(header::AUTHORIZATION);
    req.headers_mut().insert(
        header::COOKIE,
        bank.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(send(&w, req).await.status, StatusCode::FORBIDDEN);

    // The rate: a burst beyond it is answered 429 with Retry-After.
    let mut limited = None;
    for _ in 0..60 {
        let res = zjtx_web::router(w.state.clone())
            .oneshot(json_req(
                "GET",
                "/api/v1/finance/products",
                Some(&reader),
                None,
            ))
            .await
            .unwrap_or_else(|e| match e {});
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = res
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            break;
        }
        assert_eq!(res.status(), StatusCode::OK);
    }
    let wait: u64 = limited
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("never limited"));
    assert!(wait >= 1);

    // Only its own seat sees and revokes a key; revoked, it stops on the next call.
    let id = other_key_user
        .iter()
        .find(|k| k.name == "core-banking")
        .map_or(0, |k| k.id);
    let other = login(&w, "bank2").await;
    let oc = csrf_of(&w, &other).await;
    let theirs = send(&w, get("/account/keys", Some(&other))).await;
    assert!(!theirs.body.contains("core-banking"));
    let r = send(
        &w,
        post(
            &format!("/account/keys/{id}/revoke"),
            Some(&other),
            &format!("csrf={oc}&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/products", Some(&key), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "still in force");
    let r = send(
        &w,
        post(
            &format!("/account/keys/{id}/revoke"),
            Some(&bank),
            &format!("csrf={c}&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/products", Some(&key), None),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "revoked: the next call fails"
    );
    // Expired: the day after its date.
    w.state.set_today(Some(today + Days::new(31)));
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/applications", Some(&reader), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "expired");
    // A firm holds no keys.
    w.state.set_today(Some(today));
    let f = login(&w, "firm").await;
    assert_eq!(
        send(&w, get("/account/keys", Some(&f))).await.status,
        StatusCode::FORBIDDEN
    );
}
