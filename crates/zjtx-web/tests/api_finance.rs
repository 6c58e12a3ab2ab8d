//! The finance zone's writes and reads over the API beyond a bank's credit steps (`keys.rs`): an
//! enterprise's system posts a need, the bank whose product matches it answers (another bank
//! cannot), a screening answers what the page shows, and the statistics agree with the store.

mod common;
use common::*;

use axum::http::StatusCode;
use chrono::Days;
use serde_json::json;

#[tokio::test]
async fn needs_answers_screening_and_statistics_over_the_api() {
    let w = world("api-finance").await;
    let store = w.state.store.clone();
    let firm = w.xihu_firm.clone();
    let today = w.state.today();
    let (bank_id, _) = two_banks(&w, "示范银行", "另一银行").await;
    let product = listed_loan(&w, bank_id, "科创贷").await;
    store
        .grant_consent(
            &firm,
            bank_id,
            "profile,financials",
            false,
            "授信",
            &today.to_string(),
            &(today + Days::new(90)).to_string(),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let ent = api_token(&w, "firm").await;
    let bank = api_token(&w, "bank").await;
    let bank2 = api_token(&w, "bank2").await;

    // A need with a bad amount, or a term out of range, is refused and nothing is stored.
    for body in [
        json!({ "amount": "一千万", "term_months": 12, "purpose": "扩产" }),
        json!({ "amount": "500", "term_months": 0, "purpose": "扩产" }),
        json!({ "amount": "500", "term_months": 12, "purpose": "" }),
    ] {
        let r = send(
            &w,
            json_req("POST", "/api/v1/finance/needs", Some(&ent), Some(body)),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
    assert!(store.needs(None).await.unwrap_or_default().is_empty());
    // On the page: a refused need comes back beside the form with what was typed.
    let page_session = login(&w, "firm").await;
    let c = csrf_of(&w, &page_session).await;
    let r = send(
        &w,
        post(
            "/finance/needs",
            Some(&page_session),
            &format!("csrf={c}&amount=%E4%B8%80%E5%8D%83%E4%B8%87&term_months=12&purpose=%E6%89%A9%E4%BA%A7&collateral=credit"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"need-error\""), "{}", r.body);
    assert!(
        r.body.contains("value=\"一千万\" aria-invalid=\"true\""),
        "the amount marked"
    );
    assert!(r.body.contains("value=\"扩产\"") && r.body.contains("value=\"12\""));
    assert!(
        r.body.contains("value=\"credit\" checked"),
        "the collateral kept"
    );
    assert!(store.needs(None).await.unwrap_or_default().is_empty());
    let r = send(
        &w,
        json_req(
            "POST",
            "/api/v1/finance/needs",
            Some(&ent),
            Some(json!({ "amount": "500", "term_months": 12, "purpose": "扩产", "collateral": ["credit"] })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let need = json(&r);
    assert_eq!(need["amount_wan"], "500");
    let id = need["id"].as_i64().unwrap_or_default();
    assert_eq!(
        send(
            &w,
            json_req(
                "POST",
                "/api/v1/finance/needs",
                Some(&bank),
                Some(json!({ "amount": "500", "term_months": 12, "purpose": "x" })),
            ),
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "a bank posts no need"
    );

    // The bank whose product matches hears of it and answers; the other bank cannot see it.
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/needs", Some(&bank), None),
    )
    .await;
    assert!(
        json(&r)["needs"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|n| n["id"] == id),
        "{}",
        r.body
    );
    let respond = format!("/api/v1/finance/needs/{id}/respond");
    let r = send(
        &w,
        json_req(
            "POST",
            &respond,
            Some(&bank2),
            Some(json!({ "text": "我行可以" })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = send(
        &w,
        json_req(
            "POST",
            &respond,
            Some(&bank),
            Some(json!({ "text": "可提供科创贷", "product": product })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let answers = store
        .need_responses(id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].product_id, Some(product));

    // Screening: the consenting firm found on the consent; the same total as the page's.
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/screen", Some(&bank), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = json(&r);
    let found = s["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["uscc"] == firm.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{s}"));
    assert_eq!(found["basis"], "consent");
    let session = login(&w, "bank").await;
    let page = send(&w, get("/finance/screen", Some(&session))).await;
    let total = s["total"].as_u64().unwrap_or_default();
    assert!(total >= 1);
    assert!(
        page.body.contains(&format!("共 {total} 家符合条件")),
        "the page counts {total} too"
    );
    let r = send(
        &w,
        json_req(
            "GET",
            "/api/v1/finance/screen?revenue_min=abc",
            Some(&bank),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        send(
            &w,
            json_req("GET", "/api/v1/finance/screen", Some(&ent), None)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Statistics for the city and a district agree with the store's own figures.
    let city = api_token(&w, "city").await;
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/stats", Some(&city), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stats = json(&r);
    let from = format!("{}-01-01", chrono::Datelike::year(&today));
    let s = store
        .fin_stats(&from, &today.to_string(), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats["needs_posted"], s.needs_posted);
    assert!(s.needs_posted >= 1);
    assert_eq!(stats["products_listed"], s.products_listed);
    let xihu = api_token(&w, "xihu").await;
    let r = send(
        &w,
        json_req(
            "GET",
            "/api/v1/finance/stats?region=330108",
            Some(&xihu),
            None,
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another district's figures"
    );
}
