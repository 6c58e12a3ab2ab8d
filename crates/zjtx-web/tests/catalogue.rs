//! The quality-product catalogue through HTTP (issue 12): a titled firm submits, its district and
//! the city review, the city puts it on notice, an objection is made and dismissed, the product
//! is listed after the notice and published (page, Excel, API); refusals for the wrong role, the
//! wrong district, the wrong state, a running notice and a firm without a title.

mod common;

use axum::http::StatusCode;
use common::*;

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// Gives the firm a valid SRDI title the way the registry does: its row imported with the date.
async fn grant_srdi(w: &World, uscc: &str, until: &str) {
    let store = &w.state.store;
    let (_, mut e) = store
        .years(uscc)
        .await
        .unwrap_or_default()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the firm's figures"));
    e.srdi_until = Some(day(until));
    let rs =
        zjtx_core::rule_set_for(&w.state.rules, w.state.today()).unwrap_or_else(|| panic!("rules"));
    let s = zjtx_core::evaluate(&e, rs, w.state.today());
    store
        .import(&[(e, s)], None, w.state.today())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_product_goes_from_submission_to_the_published_catalogue() {
    let w = world("catalogue").await;
    w.state.set_today(Some(day("2026-06-05"))); // a Friday
    let firm = login(&w, "firm").await;
    let f = csrf_of(&w, &firm).await;
    let submit = |csrf: &str, name: &str| {
        format!("csrf={csrf}&year=2026&name={name}&description=精度0.01级")
    };

    // Without a valid title the firm cannot submit.
    grant_srdi(&w, &w.xihu_firm, "2026-01-01").await;
    let r = send(
        &w,
        post(
            "/catalogue/entries",
            Some(&firm),
            &submit(&f, "高精度传感器"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("只有持有有效专精特新"), "{}", r.body);
    grant_srdi(&w, &w.xihu_firm, "2028-12-31").await;
    let r = send(
        &w,
        post(
            "/catalogue/entries",
            Some(&firm),
            &submit(&f, "高精度传感器"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(
        &w,
        post("/catalogue/entries", Some(&firm), &submit(&f, "工业控制器")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let entries = w
        .state
        .store
        .catalogue_entries(&Default::default(), "2026-06-05")
        .await
        .unwrap_or_default();
    let id = entries
        .iter()
        .find(|e| e.name == "高精度传感器")
        .map(|e| e.id)
        .unwrap_or_default();
    let other = entries
        .iter()
        .find(|e| e.name == "工业控制器")
        .map(|e| e.id)
        .unwrap_or_default();
    // The city cannot submit; the firm cannot review.
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    assert_eq!(
        send(
            &w,
            post("/catalogue/entries", Some(&city), &submit(&c, "x"))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let review = |s: &str, csrf: &str, id: i64, d: &str, reason: &str| {
        post(
            &format!("/catalogue/entries/{id}/review"),
            Some(s),
            &format!("csrf={csrf}&decision={d}&reason={reason}"),
        )
    };
    assert_eq!(
        send(&w, review(&firm, &f, id, "forward", "")).await.status,
        StatusCode::FORBIDDEN
    );
    // The city does not review before the district; the district returns one without a reason: no.
    let r = send(&w, review(&city, &c, id, "forward", "")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    assert_eq!(
        send(&w, review(&xihu, &x, other, "return", ""))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Returned with its reason, changed and resubmitted by the firm.
    assert_eq!(
        send(&w, review(&xihu, &x, other, "return", "补充检测报告"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let r = send(
        &w,
        post(
            &format!("/catalogue/entries/{other}/resubmit"),
            Some(&firm),
            &format!("csrf={f}&name=工业控制器（二代）&description=附检测报告"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        send(&w, review(&xihu, &x, other, "reject", "非主导产品"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // The district recommends, the city approves and puts it on notice (five working days).
    assert_eq!(
        send(&w, review(&xihu, &x, id, "forward", "")).await.status,
        StatusCode::SEE_OTHER
    );
    // A second click: the entry has moved on, said in the reader's words.
    let again = send(&w, review(&xihu, &x, id, "forward", "")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains("不能进行此操作") && !again.body.contains("moved on"),
        "{}",
        again.body
    );
    assert_eq!(
        send(&w, review(&city, &c, id, "forward", "")).await.status,
        StatusCode::SEE_OTHER
    );
    let step = |s: &str, csrf: &str, what: &str, reason: &str| {
        post(
            &format!("/catalogue/entries/{id}/{what}"),
            Some(s),
            &format!("csrf={csrf}&reason={reason}"),
        )
    };
    assert_eq!(
        send(&w, step(&xihu, &x, "notice", "")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, step(&city, &c, "notice", "")).await.status,
        StatusCode::SEE_OTHER
    );
    let e = w
        .state
        .store
        .catalogue_entry(id, "2026-06-05")
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("entry"));
    assert_eq!(
        e.notice_until.as_deref(),
        Some("2026-06-11"),
        "five working days from a Friday"
    );

    // On the public page, anyone reads the notice; a signed-in user objects; the city dismisses it.
    let public = send(&w, get("/catalogue", None)).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.body.contains("高精度传感器") && public.body.contains("登录后可提出异议"),
        "{}",
        public.body
    );
    let bank = login(&w, "bank").await;
    let b = csrf_of(&w, &bank).await;
    let r = send(
        &w,
        post(
            &format!("/catalogue/entries/{id}/objections"),
            Some(&bank),
            &format!("csrf={b}&text=与某企业产品雷同"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Listing waits for the notice to end and for the objection to be resolved.
    assert_eq!(
        send(&w, step(&city, &c, "list", "")).await.status,
        StatusCode::CONFLICT
    );
    w.state.set_today(Some(day("2026-06-12")));
    let r = send(&w, step(&city, &c, "list", "")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("尚有未处理的异议"), "{}", r.body);
    let obj = w
        .state
        .store
        .catalogue_objections(id)
        .await
        .unwrap_or_default()[0]
        .id;
    let resolve = |upheld: &str, why: &str| {
        post(
            &format!("/catalogue/objections/{obj}/resolve"),
            Some(&city),
            &format!("csrf={c}&upheld={upheld}&resolution={why}"),
        )
    };
    assert_eq!(
        send(&w, resolve("no", "")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&w, resolve("no", "经核实不成立")).await.status,
        StatusCode::SEE_OTHER
    );
    // An objection after the notice is refused.
    let r = send(
        &w,
        post(
            &format!("/catalogue/entries/{id}/objections"),
            Some(&bank),
            &format!("csrf={b}&text=迟到的异议"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        send(&w, step(&city, &c, "list", "")).await.status,
        StatusCode::SEE_OTHER
    );

    // Published: the page counts it, Excel and the API carry it with the firm's code and name.
    let public = send(&w, get("/catalogue?year=2026", None)).await;
    assert!(
        public.body.contains("共 1 个产品，1 家企业"),
        "{}",
        public.body
    );
    assert!(
        !public.body.contains("工业控制器"),
        "a rejected product is not published"
    );
    assert_eq!(
        send(&w, get("/catalogue.xlsx?year=2026", None))
            .await
            .status,
        StatusCode::OK
    );
    let api = send(&w, get("/api/v1/catalogue?year=2026", None)).await;
    let j: serde_json::Value = serde_json::from_str(&api.body).unwrap_or_default();
    assert_eq!(j["items"][0]["uscc"], w.xihu_firm.as_str(), "{}", api.body);
    assert_eq!(j["items"][0]["product"], "高精度传感器");
    // The title lapses: the bureau's page flags the product for review; delisting needs a reason.
    grant_srdi(&w, &w.xihu_firm, "2026-06-01").await;
    let page = send(&w, get("/catalogue/entries?year=2026", Some(&city))).await;
    assert!(
        page.body.contains("企业称号已失效，待复核"),
        "{}",
        page.body
    );
    assert_eq!(
        send(&w, step(&city, &c, "delist", "")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&w, step(&city, &c, "delist", "称号失效")).await.status,
        StatusCode::SEE_OTHER
    );
    let public = send(&w, get("/catalogue?year=2026", None)).await;
    assert!(
        public.body.contains("共 0 个产品，0 家企业"),
        "{}",
        public.body
    );
    // Another district's office sees none of it.
    add_user(
        &w,
        "binjiang",
        zjtx_store::Role::District,
        Some("330108"),
        None,
    )
    .await;
    let bj = login(&w, "binjiang").await;
    let page = send(&w, get("/catalogue/entries?year=2026", Some(&bj))).await;
    assert!(!page.body.contains("高精度传感器"), "{}", page.body);
    // The audit trail.
    for a in [
        "catalogue.submit",
        "catalogue.review.recommended",
        "catalogue.review.approved",
        "catalogue.notice",
        "catalogue.object",
        "catalogue.objection.dismissed",
        "catalogue.list",
        "catalogue.delist",
        "catalogue.resubmit",
        "catalogue.review.returned",
        "catalogue.review.rejected",
    ] {
        assert!(
            !w.state
                .store
                .audit_by_action(a)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{a}"
        );
    }
}
