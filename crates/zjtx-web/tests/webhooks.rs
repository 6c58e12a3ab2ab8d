//! Webhooks (issue 17): a bank's system hears, at an address of its own and signed with its
//! subscription's secret, of a consent to it, a need its product matches (as its own list of
//! needs shows it), an application to it and its steps; a delivery not answered 2xx is retried;
//! another institution hears nothing of the consents and applications that are not its own.

mod common;
use common::*;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use zjtx_web::finance::webhooks::{deliver_due, signature};

#[derive(Default)]
struct Receiver {
    /// (path, event, signature, body) of each request.
    got: Mutex<Vec<(String, String, String, String)>>,
    /// Answers to give, first first; then 200.
    answers: Mutex<Vec<u16>>,
}

async fn start_receiver() -> (Arc<Receiver>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let rx = Arc::new(Receiver::default());
    let state = rx.clone();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: HeaderMap, body: String| {
            let rx = state.clone();
            async move {
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                if let Ok(mut g) = rx.got.lock() {
                    g.push((
                        uri.path().to_owned(),
                        h("zjtx-event"),
                        h("zjtx-signature"),
                        body,
                    ));
                }
                let code = rx
                    .answers
                    .lock()
                    .ok()
                    .and_then(|mut a| (!a.is_empty()).then(|| a.remove(0)))
                    .unwrap_or(200);
                StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
            }
        },
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (rx, base)
}

fn secret_in(body: &str) -> String {
    body.split("<code class=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_banks_system_hears_of_its_own_events_signed_and_retried() {
    let mut w = world("webhooks").await;
    let http = reqwest::Client::new();
    let (rx, base) = start_receiver().await;
    let store = &w.state.store.clone();
    let (bank_id, other) = two_banks(&w, "甲银行", "乙银行").await;
    let product = listed_loan(&w, bank_id, "科创贷").await;
    listed_loan(&w, other, "乙贷").await;

    // Each bank subscribes its own address; a bad address or no event is refused in place.
    let bank = login(&w, "bank").await;
    let b = csrf_of(&w, &bank).await;
    let bad = send(
        &w,
        post(
            "/finance/webhooks",
            Some(&bank),
            &format!("csrf={b}&url=http://example.com/x&events=consent.granted"),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("https://") && bad.body.contains("http://example.com/x"),
        "the input kept"
    );
    let all = "&events=need.matched&events=application.step&events=consent.granted&events=consent.revoked";
    // A plain address on this machine only where the configuration allows it (this test).
    let local = send(
        &w,
        post(
            "/finance/webhooks",
            Some(&bank),
            &format!("csrf={b}&url={base}/bank{all}"),
        ),
    )
    .await;
    assert_eq!(local.status, StatusCode::BAD_REQUEST);
    // Nor an https address on an internal network (the cloud's metadata service, a private
    // range), said beside the field.
    for internal in [
        "https://169.254.169.254/latest",
        "https://10.0.0.8/hook",
        "https://[fd00::1]/h",
    ] {
        let r = send(
            &w,
            post(
                "/finance/webhooks",
                Some(&bank),
                &format!(
                    "csrf={b}&url={}{all}",
                    zjtx_web::common::urlencode(internal)
                ),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{internal}");
        assert!(r.body.contains("内部网络"), "{}", r.body);
    }
    configure(&mut w, "[webhooks]\nallow_local = true\n");
    let page = send(
        &w,
        post(
            "/finance/webhooks",
            Some(&bank),
            &format!("csrf={b}&url={base}/bank{all}"),
        ),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let secret = secret_in(&page.body);
    assert!(secret.starts_with("whsec_"), "{}", page.body);
    let bank2 = login(&w, "bank2").await;
    let b2 = csrf_of(&w, &bank2).await;
    send(
        &w,
        post(
            "/finance/webhooks",
            Some(&bank2),
            &format!("csrf={b2}&url={base}/other{all}"),
        ),
    )
    .await;

    // A need: both banks' listed loans match it (as both their lists of needs show), both told.
    let ent = login(&w, "firm").await;
    let e = csrf_of(&w, &ent).await;
    let need = |amount: u32| {
        format!("csrf={e}&amount={amount}&term_months=12&purpose=扩产&collateral=credit")
    };
    send(&w, post("/finance/needs", Some(&ent), &need(500))).await;
    assert_eq!(
        deliver_due(&w.state, &http, zjtx_store::now())
            .await
            .unwrap_or(9),
        2
    );
    let first: Vec<String> = rx
        .got
        .lock()
        .map(|g| g.iter().map(|x| x.0.clone()).collect())
        .unwrap_or_default();
    assert!(
        first.contains(&"/bank".to_owned()) && first.contains(&"/other".to_owned()),
        "{first:?}"
    );

    // The firm consents to the first bank: it hears of the consent, and of the next need.
    consent_and_apply(&w, &ent, &e, bank_id, product).await;
    send(&w, post("/finance/needs", Some(&ent), &need(800))).await;
    // The first attempt of the first delivery is answered 500: tried again later.
    if let Ok(mut a) = rx.answers.lock() {
        a.push(500);
    }
    let now = zjtx_store::now();
    // The bank: the consent (500), the need, the application; the other bank: the need.
    assert_eq!(deliver_due(&w.state, &http, now).await.unwrap_or(0), 3);
    let log = send(&w, get("/finance/webhooks", Some(&bank))).await;
    assert!(
        log.body.contains("HTTP 500") && log.body.contains("待重试"),
        "{}",
        log.body
    );
    assert_eq!(
        deliver_due(&w.state, &http, now).await.unwrap_or(9),
        0,
        "not before its time"
    );
    assert_eq!(deliver_due(&w.state, &http, now + 31).await.unwrap_or(0), 1);

    let all_got = rx.got.lock().map(|g| g.clone()).unwrap_or_default();
    assert!(
        all_got
            .iter()
            .all(|(path, e, ..)| path == "/bank" || e == "need.matched"),
        "the other bank heard of no consent or application not its own: {all_got:?}"
    );
    let got: Vec<_> = all_got.into_iter().filter(|(p, ..)| p == "/bank").collect();
    let events: Vec<&str> = got.iter().map(|(_, e, ..)| e.as_str()).collect();
    assert_eq!(
        events.iter().filter(|e| **e == "consent.granted").count(),
        2,
        "once failed, once delivered"
    );
    assert!(
        events.contains(&"need.matched") && events.contains(&"application.step"),
        "{events:?}"
    );
    for (_, event, sig, body) in &got {
        let t: i64 = sig
            .strip_prefix("t=")
            .and_then(|r| r.split(',').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
        assert_eq!(
            *sig,
            signature(&secret, t, body),
            "signed with the subscription's secret"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(v["event"], event.as_str());
    }
    let amounts: Vec<i64> = got
        .iter()
        .filter(|(_, e, ..)| e == "need.matched")
        .filter_map(|(.., body)| serde_json::from_str::<serde_json::Value>(body).ok())
        .filter_map(|v| v["data"]["amount_yuan"].as_i64())
        .collect();
    assert_eq!(amounts, vec![5_000_000, 8_000_000]);
    let log = send(&w, get("/finance/webhooks", Some(&bank))).await;
    assert!(log.body.contains("已送达"));
    let other_log = send(&w, get("/finance/webhooks", Some(&bank2))).await;
    assert!(
        !other_log
            .body
            .contains("<td><code>consent.granted</code></td>"),
        "its log holds no delivery of the other's"
    );

    // The bank's own step of the application is an event too.
    accept_first_application(&w, &bank, &b).await;
    assert_eq!(deliver_due(&w.state, &http, now + 60).await.unwrap_or(0), 1);
    let last = rx
        .got
        .lock()
        .ok()
        .and_then(|g| g.last().cloned())
        .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&last.3).unwrap_or_default();
    assert_eq!(
        (
            v["event"].as_str(),
            v["data"]["from"].as_str(),
            v["data"]["to"].as_str()
        ),
        (Some("application.step"), Some("applied"), Some("accepted"))
    );

    // Removing the subscription: nothing more is sent.
    let id = store.webhooks(bank_id).await.unwrap_or_default()[0].id;
    let r = send(
        &w,
        post(
            &format!("/finance/webhooks/{id}/remove"),
            Some(&bank),
            &format!("csrf={b}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &w,
        post(
            &format!("/finance/webhooks/{id}/remove"),
            Some(&bank2),
            &format!("csrf={b2}"),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "not another institution's to remove"
    );
    let before = rx.got.lock().map(|g| g.len()).unwrap_or_default();
    send(&w, post("/finance/needs", Some(&ent), &need(900))).await;
    assert_eq!(
        deliver_due(&w.state, &http, now + 3600).await.unwrap_or(9),
        1,
        "the other bank's"
    );
    let after = rx
        .got
        .lock()
        .map(|g| g[before..].to_vec())
        .unwrap_or_default();
    assert!(after.iter().all(|(p, ..)| p == "/other"), "{after:?}");
}

/// The badge beside 消息 in the page header: the number of unread messages, if any.
fn badge(body: &str) -> Option<u32> {
    body.split("id=\"nav-unread\"")
        .nth(1)?
        .split('>')
        .nth(1)?
        .split('<')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Without any subscription, a bank's staff are told in the platform — a message with its date
/// and link, counted in the header until read — of a need its listed products match (as its
/// list of needs judges it), an application to it, and a consent to it revoked (a grant shows in
/// its screening, one message each would bury the rest); of nothing that is another
/// institution's, nor of a need its products do not match, nor of its own steps.
#[tokio::test]
async fn a_banks_staff_are_told_in_the_platform_of_needs_applications_and_consents() {
    let w = world("bank-messages").await;
    let (bank_id, other) = two_banks(&w, "甲银行", "乙银行").await;
    let product = listed_loan(&w, bank_id, "科创贷").await;
    listed_loan(&w, other, "乙贷").await;
    let expand = || async {
        zjtx_web::finance::webhooks::expand_outbox(&w.state)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"))
    };
    let bank = login(&w, "bank").await;
    let bank2 = login(&w, "bank2").await;
    assert_eq!(
        badge(&send(&w, get("/finance", Some(&bank))).await.body),
        None
    );

    let ent = login(&w, "firm").await;
    let e = csrf_of(&w, &ent).await;
    let firm_name = w
        .state
        .store
        .enterprise(&w.xihu_firm)
        .await
        .ok()
        .flatten()
        .map(|r| r.name)
        .unwrap_or_default();
    // A need both loans match (500 万, 12 months); one neither matches (48 months > 36).
    for term in [12, 48] {
        let r = send(
            &w,
            post(
                "/finance/needs",
                Some(&ent),
                &format!("csrf={e}&amount=500&term_months={term}&purpose=扩产&collateral=credit"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(expand().await, 2);
    for who in [&bank, &bank2] {
        let page = send(&w, get("/finance", Some(who))).await;
        assert_eq!(badge(&page.body), Some(1), "{}", page.body);
    }

    // The firm consents to the first bank, applies for its loan, and revokes the consent.
    consent_and_apply(&w, &ent, &e, bank_id, product).await;
    let consent = w
        .state
        .store
        .consents(&w.xihu_firm, None)
        .await
        .unwrap_or_default()[0]
        .id;
    let r = send(
        &w,
        post(
            &format!("/finance/consents/{consent}/revoke"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(expand().await, 3);
    let page = send(&w, get("/finance", Some(&bank))).await;
    assert_eq!(badge(&page.body), Some(3));
    assert_eq!(
        badge(&send(&w, get("/finance", Some(&bank2))).await.body),
        Some(1),
        "nothing of another institution's consent or application"
    );

    let inbox = send(&w, get("/messages", Some(&bank))).await;
    for text in [
        format!("新的融资需求与贵机构产品匹配：{firm_name}，500 万元，12 个月"),
        format!("{firm_name} 申请贵机构产品“科创贷”，金额 300 万元"),
        format!("{firm_name} 撤回了对贵机构的数据授权"),
    ] {
        assert!(inbox.body.contains(&text), "{text}: {}", inbox.body);
    }
    assert!(inbox.body.contains("href=\"/finance#applications\""));
    // Each message is kept in both languages: a reader in English reads them in English.
    let en = format!("{bank}; {}=en", zjtx_web::i18n::LANG_COOKIE);
    let inbox_en = send(&w, get("/messages", Some(&en))).await;
    for text in [
        format!("A new financing need matches your products: {firm_name}, 500 万元, 12 months"),
        format!("{firm_name} applied for your product \"科创贷\": 300 万元"),
        format!("{firm_name} has revoked its consent to your institution"),
    ] {
        let text = text.replace('"', "&#34;");
        assert!(inbox_en.body.contains(&text), "{text}: {}", inbox_en.body);
    }
    assert!(!inbox_en.body.contains("贵机构"), "{}", inbox_en.body);
    assert!(!inbox.body.contains("48 个月"), "the need no loan matches");
    assert_eq!(badge(&inbox.body), None, "read on opening");
    assert_eq!(
        badge(&send(&w, get("/finance", Some(&bank))).await.body),
        None
    );

    // The bank's own step tells the firm, not the bank.
    let b = csrf_of(&w, &bank).await;
    accept_first_application(&w, &bank, &b).await;
    assert_eq!(expand().await, 1);
    assert_eq!(
        badge(&send(&w, get("/finance", Some(&bank))).await.body),
        None
    );
    assert!(badge(&send(&w, get("/finance", Some(&ent))).await.body).is_some());
}

/// The firm consents to `bank` (profile and financials, 30 days) and applies for 300 万 of its
/// `product`.
async fn consent_and_apply(w: &World, ent: &str, e: &str, bank: i64, product: i64) {
    let r = send(
        w,
        post(
            "/finance/consents",
            Some(ent),
            &format!("csrf={e}&institution={bank}&categories=profile&categories=financials&purpose=授信审查&days=30"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(
        w,
        post(
            &format!("/finance/products/{product}/apply"),
            Some(ent),
            &format!("csrf={e}&amount=300"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// The bank accepts the first application (the bank's own step).
async fn accept_first_application(w: &World, bank: &str, b: &str) {
    let app = w
        .state
        .store
        .applications(None, None)
        .await
        .unwrap_or_default()[0]
        .id;
    let r = send(
        w,
        post(
            &format!("/finance/applications/{app}/step"),
            Some(bank),
            &format!("csrf={b}&to=accepted&amount=&date=&reason="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}
