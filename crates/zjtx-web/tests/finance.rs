//! The finance zone through HTTP: products reviewed before listing, needs and responses, consent
//! that the enterprise controls (checked on every request, pages and API alike, revocation and
//! expiry taking effect at once, every access in the enterprise's log), screening with saved
//! searches, the path from application to disbursement, and the statistics counted from it.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Days;
use zjtx_store::Role;
use zjtx_web::finance::Judged;

fn api(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn token(w: &World, user: &str) -> String {
    let r = send(
        w,
        Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(
                "{{\"username\":\"{user}\",\"password\":\"{PASSWORD}\"}}"
            )))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    serde_json::from_str::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no token: {}", r.body))
}

/// A product form: amounts in 万元, eligibility as repeated fields.
fn product_form(csrf: &str, name: &str, eligibility: &str) -> String {
    format!(
        "csrf={csrf}&name={name}&kind=loan&min_amount=10&max_amount=5000&term_min=6&term_max=36&rate_kind=lpr&rate_bp=30&collateral=credit&repayment=monthly&channel=online{eligibility}"
    )
}

#[tokio::test]
async fn a_bank_lists_a_product_finds_consenting_firms_and_grants_credit() {
    let w = world("finance").await;
    let store = w.state.store.clone();
    let firm = w.xihu_firm.clone();
    let other = w.other_firm.clone();
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    add_user(&w, "bank2", Role::Institution, None, None).await;
    add_user(&w, "firm2", Role::Enterprise, None, Some(&other)).await;
    add_user(&w, "binjiang", Role::District, Some("330108"), None).await;

    // The bureau registers two banks and their staff.
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    for (name, staff) in [("示范银行", "bank"), ("另一银行", "bank2")] {
        let r = send(
            &w,
            post(
                "/finance/institutions",
                Some(&city),
                &format!("csrf={c}&name={name}&kind=bank&staff={staff}"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let bank = login(&w, "bank").await;
    let b = csrf_of(&w, &bank).await;

    // A product: reviewed before it is listed. A malformed one is refused and nothing is stored.
    let r = send(
        &w,
        post(
            "/finance/products",
            Some(&bank),
            &product_form(&b, "坏产品", "").replace("max_amount=5000", "max_amount=1"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "min above max");
    let r = send(
        &w,
        post(
            "/finance/products",
            Some(&bank),
            &product_form(&b, "西湖科创贷", "&districts=330106&revenue_min=1"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(
        &w,
        post(
            "/finance/products",
            Some(&bank),
            &product_form(&b, "巨额贷", "&revenue_min=99999999"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let products = store.products(None, None).await.unwrap_or_default();
    assert_eq!(products.len(), 2);
    let (good, huge) = (products[0].id, products[1].id);
    let ent = login(&w, "firm").await;
    let e = csrf_of(&w, &ent).await;
    assert!(
        !send(&w, get("/finance", Some(&ent)))
            .await
            .body
            .contains("西湖科创贷"),
        "not listed yet"
    );
    let r = send(
        &w,
        post(
            &format!("/finance/products/{good}/review"),
            Some(&bank),
            &format!("csrf={b}&decision=list"),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "banks do not list their own products"
    );
    let r = send(
        &w,
        post(
            &format!("/finance/products/{huge}/review"),
            Some(&city),
            &format!("csrf={c}&decision=reject&reason="),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a refusal needs a reason"
    );
    for id in [good, huge] {
        let r = send(
            &w,
            post(
                &format!("/finance/products/{id}/review"),
                Some(&city),
                &format!("csrf={c}&decision=list&reason=ok"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let r = send(
        &w,
        post(
            &format!("/finance/products/{good}/review"),
            Some(&city),
            &format!("csrf={c}&decision=list&reason=again"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Matching: the enterprise sees both, the one it may not have with the shortfall.
    let hub = send(&w, get("/finance", Some(&ent))).await;
    assert!(hub.body.contains("西湖科创贷") && hub.body.contains("巨额贷"));
    let page = send(&w, get(&format!("/finance/products/{huge}"), Some(&ent))).await;
    assert!(
        page.body.contains("暂不符合") && page.body.contains("差"),
        "{}",
        page.body
    );
    let page = send(&w, get(&format!("/finance/products/{good}"), Some(&ent))).await;
    assert!(page.body.contains("符合条件") && page.body.contains("/apply"));

    // A need, and a bank's answer.
    let r = send(
        &w,
        post(
            "/finance/needs",
            Some(&ent),
            &format!("csrf={e}&amount=500&term_months=12&purpose=扩产&collateral=credit"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let need = store.needs(Some(&firm)).await.unwrap_or_default()[0].id;
    assert_eq!(store.needs(Some(&firm)).await.unwrap_or_default().len(), 1);
    let r = send(
        &w,
        post(
            &format!("/finance/needs/{need}/respond"),
            Some(&bank),
            &format!("csrf={b}&product={good}&text=可以对接"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        send(&w, get("/finance", Some(&ent)))
            .await
            .body
            .contains("可以对接")
    );

    // A bank without a matching product neither sees the need nor answers it.
    let bank2 = login(&w, "bank2").await;
    let b2 = csrf_of(&w, &bank2).await;
    assert!(
        send(&w, get("/finance", Some(&bank)))
            .await
            .body
            .contains("扩产")
    );
    assert!(
        !send(&w, get("/finance", Some(&bank2)))
            .await
            .body
            .contains("扩产")
    );
    let r = send(
        &w,
        post(
            &format!("/finance/needs/{need}/respond"),
            Some(&bank2),
            &format!("csrf={b2}&product=&text=x"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Products ranked for a need: one above every product's maximum is short by the difference.
    let r = send(
        &w,
        post(
            "/finance/needs",
            Some(&ent),
            &format!("csrf={e}&amount=9000&term_months=12&purpose=并购&collateral=credit"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let big = store.needs(Some(&firm)).await.unwrap_or_default()[0].id;
    let ranked = send(&w, get(&format!("/finance?need={big}"), Some(&ent))).await;
    assert!(ranked.body.contains("按需求“并购”排序"), "{}", ranked.body);
    assert!(
        ranked.body.contains("差 4000 万元"),
        "9000 asked, 5000 at most"
    );
    assert_eq!(
        send(&w, get("/finance?need=999999", Some(&ent)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Without consent, a bank reads nothing of a firm that is not on the public list.
    let ent_page = format!("/finance/enterprises/{firm}");
    let ent_api = format!("/api/v1/finance/enterprises/{firm}");
    let bank_token = token(&w, "bank").await;
    assert_eq!(
        send(&w, get(&ent_page, Some(&bank))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&w, api(&ent_api, &bank_token)).await.status,
        StatusCode::NOT_FOUND
    );
    let bank_id = store.institutions().await.unwrap_or_default()[0].id;
    let bank2_id = store.institutions().await.unwrap_or_default()[1].id;

    // A saved screening before the firm consents: nothing yet.
    let r = send(
        &w,
        post(
            "/finance/searches",
            Some(&bank),
            &format!("csrf={b}&name=西湖&query=region%3D330106"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Consent to profile and financials, in figures.
    let grant = |inst: i64, cats: &str, predicates: bool, days: u32| {
        format!(
            "csrf={e}&institution={inst}{cats}&purpose=授信审查&days={days}{}",
            if predicates {
                "&predicates_only=yes"
            } else {
                ""
            }
        )
    };
    let r = send(
        &w,
        post(
            "/finance/consents",
            Some(&ent),
            &grant(
                bank_id,
                "&categories=profile&categories=financials",
                false,
                30,
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The saved screening's owner is told.
    let bank_user = store
        .user_by_name("bank")
        .await
        .ok()
        .flatten()
        .map(|u| u.id)
        .unwrap_or(0);
    let notes = store.notifications(bank_user).await.unwrap_or_default();
    assert!(notes.iter().any(|n| n.link == ent_page), "{notes:?}");
    // Page and API show exactly the consented categories.
    let page = send(&w, get(&ent_page, Some(&bank))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("财务数据") && page.body.contains("基本信息"));
    assert!(!page.body.contains("知识产权") && !page.body.contains("梯度评价"));
    let j: serde_json::Value =
        serde_json::from_str(&send(&w, api(&ent_api, &bank_token)).await.body).unwrap_or_default();
    // The figures as a table: a column per year, a row per figure, labelled, in 万元 to two
    // places; no raw keys or JSON.
    let table = page
        .body
        .split("id=\"financials\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no table: {}", page.body));
    let years: Vec<i64> = j["financials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|y| y["year"].as_i64())
        .collect();
    assert!(!years.is_empty());
    for y in &years {
        assert!(
            table.contains(&format!("<th class=\"num\">{y} 年</th>")),
            "{y}"
        );
    }
    assert!(table.contains("营业收入") && table.contains("单位：万元"));
    if let Some(rev) = j["financials"][0]["revenue"].as_str() {
        let shown = zjtx_web::common::wan(zjtx_core::num::Wan::parse(rev).ok().map(|w| w.units()));
        assert!(table.contains(&shown), "{rev} shown as {shown}");
    }
    assert!(!page.body.contains("main_revenue") && !page.body.contains("{&quot;"));
    assert!(
        j["financials"].is_array() && j["profile"].is_object(),
        "{j}"
    );
    assert!(
        j["ip"].is_null() && j["titles"].is_null() && j["evaluations"].is_null(),
        "{j}"
    );
    // Another institution has no consent.
    assert_eq!(
        send(&w, get(&ent_page, Some(&bank2))).await.status,
        StatusCode::NOT_FOUND
    );
    // Predicates only: answers and bands, no figures.
    let r = send(
        &w,
        post(
            "/finance/consents",
            Some(&ent),
            &grant(bank2_id, "&categories=financials", true, 30),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p2 = send(&w, get(&ent_page, Some(&bank2))).await;
    assert!(
        p2.body.contains("营业收入区间") && p2.body.contains("营业收入 ≥ 1亿"),
        "{}",
        p2.body
    );
    assert!(!p2.body.contains("main_revenue") && !p2.body.contains("基本信息"));
    // The API answers with fixed keys: a band as numbers, each predicate as yes, no or null,
    // whatever the reader's language.
    let j2: serde_json::Value =
        serde_json::from_str(&send(&w, get(&ent_api, Some(&bank2))).await.body).unwrap_or_default();
    let fin2 = &j2["financials"];
    assert!(fin2["revenue_band_wan"]["from"].is_i64(), "{j2}");
    for key in ["revenue_ge_10000", "revenue_ge_5000", "rd_intensity_ge_3"] {
        assert!(fin2[key].is_boolean() || fin2[key].is_null(), "{key}: {j2}");
    }
    assert!(
        fin2.as_object()
            .is_some_and(|m| m.keys().all(|k| k.is_ascii())),
        "{j2}"
    );
    // Every access is in the firm's log, which the firm reads.
    let log = store.access_log(&firm).await.unwrap_or_default();
    let reads = log
        .iter()
        .filter(|a| a.route == "page" || a.route == "api")
        .count();
    assert_eq!(reads, 4, "page and API of each bank: {log:?}");
    assert!(
        log.iter().any(|a| a.route == "alert"),
        "the saved screening read the consented firm: {log:?}"
    );
    let hub = send(&w, get("/finance", Some(&ent))).await;
    assert!(hub.body.contains("另一银行") && hub.body.contains("bank2"));
    // Other roles never read an enterprise through the finance zone.
    for u in ["provider", "city", "firm"] {
        let s = login(&w, u).await;
        assert_eq!(
            send(&w, get(&ent_page, Some(&s))).await.status,
            StatusCode::FORBIDDEN,
            "{u}"
        );
    }

    // Screening: the consenting firm in its district; a size filter needs the profile consent.
    let scr = send(&w, get("/finance/screen?region=330106", Some(&bank))).await;
    assert!(scr.body.contains(&firm));
    // A predicates-only consent answers a revenue floor up to the band it discloses, no further:
    // a floor the bank chooses cannot find the figure.
    let revenue = store
        .enterprise(&firm)
        .await
        .ok()
        .flatten()
        .and_then(|e| e.revenue)
        .unwrap_or(0);
    let lo = [50_000, 10_000, 5_000, 1_000, 0]
        .into_iter()
        .find(|b| revenue >= b * 10_000)
        .unwrap_or(0);
    if lo > 0 {
        let scr2 = send(
            &w,
            get(
                &format!("/finance/screen?region=330106&revenue_min={lo}"),
                Some(&bank2),
            ),
        )
        .await;
        assert!(scr2.body.contains(&firm), "the band's floor is disclosed");
    }
    if revenue >= (lo + 1) * 10_000 {
        let scr2 = send(
            &w,
            get(
                &format!("/finance/screen?region=330106&revenue_min={}", lo + 1),
                Some(&bank2),
            ),
        )
        .await;
        assert!(
            !scr2.body.contains(&firm),
            "a floor within the band is not answered"
        );
    }
    let scr3 = send(
        &w,
        get("/finance/screen?size=micro&region=330106", Some(&bank2)),
    )
    .await;
    assert!(
        !scr3.body.contains(&firm),
        "no profile consent: size cannot match"
    );

    // Revocation takes effect on the very next request, pages and API.
    let consent = store
        .consents(&firm, Some(bank_id))
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
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Revoked twice (a double click): refused in the reader's words, not the store's.
    let again = send(
        &w,
        post(
            &format!("/finance/consents/{consent}/revoke"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains("该授权不存在或已失效") && !again.body.contains("in force"),
        "{}",
        again.body
    );
    assert_eq!(
        send(&w, get(&ent_page, Some(&bank))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&w, api(&ent_api, &bank_token)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = send(
        &w,
        post(
            &format!("/finance/consents/{consent}/revoke"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Another enterprise cannot revoke it (nor any other's).
    let f2 = login(&w, "firm2").await;
    let f2c = csrf_of(&w, &f2).await;
    let c2 = store
        .consents(&firm, Some(bank2_id))
        .await
        .unwrap_or_default()[0]
        .id;
    let r = send(
        &w,
        post(
            &format!("/finance/consents/{c2}/revoke"),
            Some(&f2),
            &format!("csrf={f2c}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Expiry: a one-day consent denies the day after.
    let r = send(
        &w,
        post(
            "/finance/consents",
            Some(&ent),
            &grant(bank_id, "&categories=titles", false, 1),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&w, get(&ent_page, Some(&bank))).await.status,
        StatusCode::OK
    );
    w.state.set_today(Some(today + Days::new(1)));
    assert_eq!(
        send(&w, get(&ent_page, Some(&bank))).await.status,
        StatusCode::NOT_FOUND
    );
    w.state.set_today(Some(today));

    // From application to disbursement; the firm sees each step.
    let r = send(
        &w,
        post(
            &format!("/finance/products/{huge}/apply"),
            Some(&ent),
            &format!("csrf={e}&amount=300&need="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not eligible");
    let r = send(
        &w,
        post(
            &format!("/finance/products/{good}/apply"),
            Some(&ent),
            &format!("csrf={e}&amount=300&need={need}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let app = store
        .applications(Some(&firm), None)
        .await
        .unwrap_or_default()[0]
        .id;
    let step = |to: &str, extra: &str| format!("csrf={b}&to={to}{extra}");
    let path = format!("/finance/applications/{app}/step");
    let r = send(
        &w,
        post(
            &path,
            Some(&bank),
            &step("disbursed", &format!("&date={today}")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not granted yet");
    let b2 = csrf_of(&w, &bank2).await;
    let r = send(
        &w,
        post(&path, Some(&bank2), &format!("csrf={b2}&to=accepted")),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another bank's application"
    );
    for (to, extra) in [
        ("accepted", String::new()),
        ("granted", format!("&amount=300&date={today}")),
        ("disbursed", format!("&date={today}")),
    ] {
        let r = send(&w, post(&path, Some(&bank), &step(to, &extra))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let steps: Vec<String> = store
        .application_steps(app)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(steps, ["applied", "accepted", "granted", "disbursed"]);
    assert!(
        send(&w, get("/finance", Some(&ent)))
            .await
            .body
            .contains("已放款")
    );
    assert_eq!(
        store
            .needs(Some(&firm))
            .await
            .unwrap_or_default()
            .iter()
            .find(|n| n.id == need)
            .map(|n| n.status.clone())
            .unwrap_or_default(),
        "met"
    );
    // A decline needs its reason.
    let r = send(
        &w,
        post(
            &format!("/finance/products/{good}/apply"),
            Some(&ent),
            &format!("csrf={e}&amount=50&need="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let app2 = store
        .applications(Some(&firm), None)
        .await
        .unwrap_or_default()[0]
        .id;
    let p2 = format!("/finance/applications/{app2}/step");
    assert_eq!(
        send(&w, post(&p2, Some(&bank), &step("declined", "")))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(
            &w,
            post(&p2, Some(&bank), &step("declined", "&reason=额度不足"))
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );

    // Statistics, counted from the records: the city, the firm's district, another district.
    let stats = send(&w, get("/finance/stats", Some(&city))).await;
    for (id, want) in [
        ("granted-count", "1"),
        ("granted-amount", "300"),
        ("served", "1"),
        ("disbursed-amount", "300"),
    ] {
        assert!(
            stats.body.contains(&format!("id=\"{id}\">{want}<")),
            "{id}: {}",
            stats.body
        );
    }
    let xihu = login(&w, "xihu").await;
    assert!(
        send(&w, get("/finance/stats", Some(&xihu)))
            .await
            .body
            .contains("id=\"served\">1<")
    );
    let bj = login(&w, "binjiang").await;
    assert!(
        send(&w, get("/finance/stats", Some(&bj)))
            .await
            .body
            .contains("id=\"served\">0<")
    );
    assert_eq!(
        send(&w, get("/finance/stats?region=330106", Some(&bj)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let dash = send(&w, get("/dashboard", Some(&city))).await;
    assert!(dash.body.contains("授信 1 笔，300 万元"), "{}", dash.body);
    let xl = tower::ServiceExt::oneshot(
        zjtx_web::router(w.state.clone()),
        get("/finance/stats.xlsx", Some(&city)),
    )
    .await
    .unwrap_or_else(|e| match e {});
    assert_eq!(xl.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(xl.into_body(), 10 << 20)
        .await
        .unwrap_or_default()
        .to_vec();
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{e}"));
    let sheet = calamine::Reader::worksheet_range(&mut wb, "金融专区统计")
        .unwrap_or_else(|e| panic!("{e}"));
    let cells: Vec<(String, String)> = sheet
        .rows()
        .map(|r| {
            (
                r[0].to_string(),
                r.get(1).map(|c| c.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    for (label, want) in [
        ("授信笔数", "1"),
        ("授信金额（万元）", "300"),
        ("服务企业", "1"),
    ] {
        assert!(
            cells.iter().any(|(l, v)| l == label && v == want),
            "{label} = {want} in {cells:?}"
        );
    }
    assert_eq!(
        send(&w, get("/finance/stats", Some(&bank))).await.status,
        StatusCode::FORBIDDEN
    );

    // Matchmaking events with participants and outcomes; the listing pipeline with its history.
    let r = send(
        &w,
        post(
            "/finance/events",
            Some(&city),
            &format!("csrf={c}&title=政银企对接会&held_on={today}&region=330106"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let ev = store.fin_events(None).await.unwrap_or_default()[0].id;
    // An event still to come takes participants, but no amount before its day.
    let tomorrow = today + chrono::Days::new(1);
    let r = send(
        &w,
        post(
            "/finance/events",
            Some(&city),
            &format!("csrf={c}&title=下周对接会&held_on={tomorrow}&region="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let later = store
        .fin_events(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.title == "下周对接会")
        .map(|e| e.id)
        .unwrap_or_default();
    let early = |amount: &str| {
        post(
            &format!("/finance/events/{later}/participants"),
            Some(&city),
            &format!("csrf={c}&who={bank_id}&outcome=意向&amount={amount}"),
        )
    };
    let r = send(&w, early("100")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("届时起才能登记金额"), "{}", r.body);
    let r = send(&w, early("")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for (who, outcome) in [(firm.clone(), "签约"), (bank_id.to_string(), "参会")] {
        let r = send(
            &w,
            post(
                &format!("/finance/events/{ev}/participants"),
                Some(&city),
                &format!("csrf={c}&who={who}&outcome={outcome}&amount=100"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = send(
        &w,
        post(
            &format!("/finance/events/{ev}/participants"),
            Some(&city),
            &format!("csrf={c}&who=nobody&outcome=x&amount="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let bjc = csrf_of(&w, &bj).await;
    let r = send(
        &w,
        post(
            &format!("/finance/events/{ev}/participants"),
            Some(&bj),
            &format!("csrf={bjc}&who={firm}&outcome=x&amount="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another district's event");
    for stage in ["tutoring", "filing"] {
        let r = send(
            &w,
            post(
                "/finance/listing",
                Some(&city),
                &format!("csrf={c}&uscc={firm}&stage={stage}&note="),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let r = send(
        &w,
        post(
            "/finance/listing",
            Some(&bj),
            &format!("csrf={bjc}&uscc={firm}&stage=ipo&note="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "outside the district");
    // A second click on the same stage records nothing; a step back must say why.
    let listing = |stage: &str, note: &str| {
        post(
            "/finance/listing",
            Some(&city),
            &format!("csrf={c}&uscc={firm}&stage={stage}&note={note}"),
        )
    };
    let r = send(&w, listing("filing", "")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&w, listing("grooming", "")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("须在备注中说明原因"), "{}", r.body);
    assert_eq!(
        store
            .listing_history(&firm)
            .await
            .map(|h| h.len())
            .unwrap_or(0),
        2
    );
    assert_eq!(
        store.listing_stage(&firm).await.ok().flatten(),
        Some(zjtx_core::workflow::listing::Stage::Filing)
    );
    let hub = send(&w, get("/finance", Some(&city))).await;
    assert!(hub.body.contains("签约") && hub.body.contains("政银企对接会"));
    assert!(
        hub.body
            .contains(&format!("辅导 ({today}) → 申报 ({today})")),
        "{}",
        hub.body
    );
    // Another district does not see the firm in the pipeline (nor its stages).
    let hub = send(&w, get("/finance", Some(&bj))).await;
    assert_eq!(hub.status, StatusCode::OK);
    assert!(
        !hub.body.contains(&firm) && !hub.body.contains(&format!("辅导 ({today})")),
        "{}",
        hub.body
    );

    // The scorecard's gap links to what the next tier would open.
    let row = store
        .enterprise(&firm)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("firm"));
    let tiers: Vec<String> = [
        ("innovative", &row.innovative),
        ("tech_sme", &row.tech_sme),
        ("srdi", &row.srdi),
        ("giant", &row.giant),
    ]
    .into_iter()
    .filter(|(_, v)| **v == zjtx_core::Verdict::Pass)
    .map(|(t, _)| t.to_owned())
    .collect();
    if let Some(next) = zjtx_core::finance::next_tier(&tiers) {
        let r = send(
            &w,
            post(
                "/finance/products",
                Some(&bank),
                &product_form(&b, "梯度贷", &format!("&tiers={next}")),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let id = store
            .products(None, None)
            .await
            .unwrap_or_default()
            .last()
            .map(|p| p.id)
            .unwrap_or(0);
        send(
            &w,
            post(
                &format!("/finance/products/{id}/review"),
                Some(&city),
                &format!("csrf={c}&decision=list&reason=ok"),
            ),
        )
        .await;
        let page = send(&w, get(&format!("/enterprises/{firm}"), Some(&ent))).await;
        assert!(
            page.body.contains("id=\"finance-hint\""),
            "next tier {next}"
        );
    }

    // Every change of state left its audit record.
    for target in [
        format!("product:{good}"),
        format!("need:{need}"),
        format!("application:{app}"),
        format!("consent:{consent}"),
    ] {
        assert!(
            !store
                .audit_for(&target)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{target}"
        );
    }
}

/// Consent holds in every place that evaluates a firm for an institution: with only its IP
/// consented, a bank's product page cannot tell which side of a revenue floor the firm is on.
/// Alike whether the bank's firms are kept in memory or read by the database.
#[tokio::test]
async fn product_eligibility_uses_only_consented_categories_and_is_logged() {
    product_eligibility("finance-side-channel", None).await;
}

#[tokio::test]
async fn product_eligibility_read_by_the_database_uses_only_consented_categories() {
    product_eligibility(
        "finance-side-channel-db",
        Some(zjtx_web::finance::ScreenCache::keeping(0)),
    )
    .await;
}

async fn product_eligibility(name: &str, cache: Option<zjtx_web::finance::ScreenCache>) {
    let w = world_keeping(name, cache).await;
    let store = w.state.store.clone();
    let firm = w.xihu_firm.clone();
    w.state.set_today(Some(chrono::Local::now().date_naive()));
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
    let bank_id = store.institutions().await.unwrap_or_default()[0].id;
    let bank = login(&w, "bank").await;
    let b = csrf_of(&w, &bank).await;
    for (name, floor) in [("低门槛", 1), ("高门槛", 99_999_999)] {
        let r = send(
            &w,
            post(
                "/finance/products",
                Some(&bank),
                &product_form(&b, name, &format!("&revenue_min={floor}")),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let products = store.products(None, None).await.unwrap_or_default();
    for p in &products {
        let r = send(
            &w,
            post(
                &format!("/finance/products/{}/review", p.id),
                Some(&city),
                &format!("csrf={c}&decision=list&reason=ok"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let (low, high) = (products[0].id, products[1].id);
    let revenue = store
        .enterprise(&firm)
        .await
        .ok()
        .flatten()
        .and_then(|e| e.revenue);
    assert!(revenue.is_some_and(|r| r >= 10_000), "the firm has revenue");

    // Only IP consented: neither product lists the firm, whatever its revenue.
    let ent = login(&w, "firm").await;
    let e = csrf_of(&w, &ent).await;
    let r = send(
        &w,
        post(
            "/finance/consents",
            Some(&ent),
            &format!("csrf={e}&institution={bank_id}&categories=ip&purpose=授信&days=30"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for id in [low, high] {
        let page = send(&w, get(&format!("/finance/products/{id}"), Some(&bank))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains(&firm), "product {id} lists the firm");
    }

    // With the financials consented as figures, the low floor lists it, the high one does not,
    // and each evaluation is in the firm's access log.
    let r = send(
        &w,
        post(
            "/finance/consents",
            Some(&ent),
            &format!("csrf={e}&institution={bank_id}&categories=financials&purpose=授信&days=30"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = send(&w, get(&format!("/finance/products/{low}"), Some(&bank))).await;
    assert!(page.body.contains(&firm));
    let page = send(&w, get(&format!("/finance/products/{high}"), Some(&bank))).await;
    assert!(!page.body.contains(&firm));
    let log = store.access_log(&firm).await.unwrap_or_default();
    for id in [low, high] {
        assert!(
            log.iter()
                .any(|a| a.route == format!("product:{id}") && a.categories.contains("financials")),
            "{log:?}"
        );
    }
}

#[tokio::test]
async fn finance_routes_by_role() {
    let w = world("finance-authz").await;
    let own = w.xihu_firm.clone();
    let routes = [
        "/finance".to_owned(),
        "/finance/screen".to_owned(),
        "/finance/stats".to_owned(),
        format!("/finance/enterprises/{own}"),
        "/finance/products/1".to_owned(),
    ];
    // The bank account has no institution yet: it is refused like any account without one.
    let table: [(&str, [u16; 5]); 6] = [
        ("anonymous", [303, 303, 303, 303, 303]),
        ("city", [200, 403, 200, 403, 404]),
        ("xihu", [200, 403, 200, 403, 404]),
        ("firm", [200, 403, 403, 403, 404]),
        ("bank", [403, 403, 403, 403, 404]),
        ("provider", [403, 403, 403, 403, 404]),
    ];
    let table: Vec<(&str, &[u16])> = table.iter().map(|(u, e)| (*u, &e[..])).collect();
    let posts = [
        "/finance/products",
        "/finance/needs",
        "/finance/consents",
        "/finance/consents/1/revoke",
        "/finance/products/1/apply",
        "/finance/products/1/review",
        "/finance/applications/1/step",
        "/finance/searches",
        "/finance/institutions",
        "/finance/events",
        "/finance/listing",
    ];
    let wrong = route_table(
        &w,
        &routes,
        &table,
        &posts,
        "csrf=&decision=list&to=accepted&amount=1&name=x&query=&text=x",
    )
    .await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A screening of many consenting firms comes in pages of 200 in code order: the total said, the
/// pages together every firm once, and each firm's read logged once per request, under the
/// screening (the reads of every firm, not only of the page shown, since the filter used them).
/// Alike whether the bank's firms are kept in memory or, too many to keep, read by the database.
#[tokio::test]
async fn a_large_screening_is_paged_and_every_read_is_logged() {
    large_screening("screen-pages", None).await;
}

#[tokio::test]
async fn a_screening_of_too_many_firms_to_keep_is_read_from_the_database() {
    large_screening(
        "screen-pages-db",
        Some(zjtx_web::finance::ScreenCache::keeping(10)),
    )
    .await;
}

async fn large_screening(name: &str, cache: Option<zjtx_web::finance::ScreenCache>) {
    let w = world_keeping(name, cache).await;
    let store = w.state.store.clone();
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));
    let more: Vec<_> = zjtx_core::synth::Generator::new(10, 2025)
        .take(200)
        .map(|e| {
            let s = zjtx_core::evaluate(&e, rs, today);
            (e, s)
        })
        .collect();
    store
        .import(&more, None, today)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bank = the_bank(&w, "示范银行").await;
    let mut all: Vec<String> = Vec::new();
    let mut f = zjtx_store::Filter {
        per_page: 200,
        today,
        ..Default::default()
    };
    loop {
        let page = store
            .list(&f, &zjtx_store::Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        all.extend(page.items.iter().map(|e| e.uscc.clone()));
        match page.next {
            Some(n) => f.after = Some(n),
            None => break,
        }
    }
    assert!(all.len() > 300, "{}", all.len());
    let (from, until) = (today.to_string(), (today + Days::new(30)).to_string());
    for u in &all {
        store
            .grant_consent(u, bank, "profile", false, "授信", &from, &until, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Counted up to a bound, and said to be when it is reached.
    let every = zjtx_store::SubjectSet {
        consenting: true,
        titled: true,
        ..Default::default()
    };
    let count = |cap| store.subjects_count(bank, &from, every, cap);
    assert_eq!(count(100).await.ok(), Some((100, true)));
    assert_eq!(count(10_000).await.ok(), Some((all.len() as i64, false)));
    let s = login(&w, "bank").await;
    let links = |body: &str| -> Vec<String> {
        body.split("href=\"/finance/enterprises/")
            .skip(1)
            .filter_map(|p| p.split('"').next().map(str::to_owned))
            .collect()
    };
    let first = send(&w, get("/finance/screen", Some(&s))).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.body.contains(&format!("共 {} 家符合条件", all.len())),
        "the total over every page"
    );
    let mut seen = links(&first.body);
    assert_eq!(seen.len(), 200);
    let next = first
        .body
        .split("<a href=\"/finance/screen?")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .map(|q| {
            format!(
                "/finance/screen?{}",
                q.replace("&#38;", "&").replace("&amp;", "&")
            )
        })
        .unwrap_or_else(|| panic!("no next page"));
    let second = send(&w, get(&next, Some(&s))).await;
    let rest = links(&second.body);
    assert_eq!(rest.len(), all.len() - 200);
    assert!(
        !second.body.contains("<a href=\"/finance/screen?"),
        "no page after the last"
    );
    seen.extend(rest);
    let mut want = all.clone();
    want.sort();
    assert_eq!(seen, want, "every firm once, in code order");
    // Filtered: the database narrows, consent decides. Every firm consented to its profile
    // only, so a size or a district finds exactly the firms of that size or district, and a tier
    // or a revenue floor (titles, evaluations, financials not consented) finds none.
    let rows = store
        .subjects(
            bank,
            &from,
            zjtx_store::SubjectSet {
                consenting: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_default();
    let total_of = |body: &str| -> usize {
        body.split("共 ")
            .nth(1)
            .and_then(|p| p.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    for (query, want) in [
        (
            "size=small",
            rows.iter().filter(|s| s.row.size.key() == "small").count(),
        ),
        (
            "region=330106",
            rows.iter()
                .filter(|s| s.row.region_code.as_deref() == Some("330106"))
                .count(),
        ),
        ("tier=srdi", 0),
        ("revenue_min=1", 0),
    ] {
        let r = send(&w, get(&format!("/finance/screen?{query}"), Some(&s))).await;
        assert!(want > 0 || query.starts_with("tier") || query.starts_with("revenue"));
        assert_eq!(total_of(&r.body), want, "{query}");
        assert_eq!(links(&r.body).len(), want.min(200), "{query}");
    }
    for u in [&all[0], &all[all.len() - 1]] {
        let log = store.access_log(u).await.unwrap_or_default();
        assert_eq!(
            log.iter().filter(|a| a.route == "screening").count(),
            6,
            "{u}: read by each of the six requests"
        );
    }
}

/// Screening judged by the database as the bank sees each firm (what the pages read, a page at a
/// time, when the bank's firms are not kept in memory) and screening the firms kept in memory
/// (what they read otherwise) each find exactly the firms found by reading every firm its record
/// allows and judging each on the facts its consents leave: for each kind of condition and their combinations, over
/// consents of every shape (each set of categories, figures or predicates only, two at once,
/// revoked, expired, none) and titles held, public or neither.
#[tokio::test]
async fn screening_in_the_database_agrees_with_judging_each_firm() {
    let w = world("screen-exact").await;
    let store = w.state.store.clone();
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let bank = the_bank(&w, "示范银行").await;
    let user = store
        .user_by_name("bank")
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no bank user"));
    let firms = store
        .list(
            &zjtx_store::Filter {
                per_page: 200,
                today,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .items;
    assert!(firms.len() >= 100, "{}", firms.len());
    // Some of the titles the firms hold are on the public list (a decision's title).
    sql(
        &store,
        "UPDATE titles SET source = 'decision' WHERE (LENGTH(uscc) + UNICODE(SUBSTR(uscc, 17, 1))) % 3 = 0",
    )
    .await;
    let cats = ["profile", "titles", "evaluations", "financials"];
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    for (i, f) in firms.iter().enumerate() {
        let mask = i % 16;
        if mask == 0 {
            continue;
        }
        let chosen: Vec<&str> = (0..4)
            .filter(|b| mask & (1 << b) != 0)
            .map(|b| cats[b])
            .collect();
        let predicates_only = (i / 16) % 2 == 1;
        let (from, until) = if i % 13 == 5 {
            (day(-40), day(-10))
        } else {
            (day(0), day(30))
        };
        let id = store
            .grant_consent(
                &f.uscc,
                bank,
                &chosen.join(","),
                predicates_only,
                "授信",
                &from,
                &until,
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if i % 11 == 3 {
            store
                .revoke_consent(id, &f.uscc, None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        if i % 7 == 2 {
            store
                .grant_consent(
                    &f.uscc,
                    bank,
                    "financials",
                    !predicates_only,
                    "授信",
                    &day(0),
                    &day(30),
                    None,
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let ecosystem = firms
        .iter()
        .find_map(|f| f.ecosystem.clone())
        .unwrap_or_default();
    let mut queries = Vec::new();
    for tier in ["", "innovative", "tech_sme", "srdi", "giant"] {
        for size in ["", "small", "micro"] {
            for revenue in ["", "0", "500", "1000", "3000", "5000.5", "20000"] {
                queries.push(format!(
                    "tier={tier}&size={size}&revenue_min={revenue}&region=&ecosystem="
                ));
            }
        }
    }
    // A floor at the revenue of a firm whose only financials consent is predicates-only: its
    // figure reaches the floor, its band (all the bank may use) does not.
    let wan = |u: i64| format!("{}.{:04}", u / 10_000, u % 10_000);
    for (i, f) in firms.iter().enumerate() {
        if i % 16 >= 8
            && (i / 16) % 2 == 1
            && i % 13 != 5
            && i % 11 != 3
            && i % 7 != 2
            && let Some(r) = f.revenue.filter(|r| *r > 0)
        {
            queries.push(format!("revenue_min={}", wan(r)));
        }
    }
    queries.push(format!("ecosystem={ecosystem}"));
    queries.push("region=330106&tier=srdi".into());
    queries.push("region=330106&revenue_min=1000&size=small".into());
    let (mut found, mut narrowed) = (0, 0);
    for q in &queries {
        let by_db = zjtx_web::finance::screened_codes(&w.state, user.id, bank, q, Judged::Database)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        let by_each = zjtx_web::finance::screened_codes(&w.state, user.id, bank, q, Judged::Each)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        let kept = zjtx_web::finance::screened_codes(&w.state, user.id, bank, q, Judged::Kept)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(by_db, by_each, "{q}");
        assert_eq!(kept, by_each, "{q}");
        found += by_db.len();
        narrowed += usize::from(!by_db.is_empty() && by_db.len() < firms.len());
    }
    // Not a comparison of two empty lists: many queries find some firms and not all.
    assert!(
        found > 0 && narrowed > queries.len() / 3,
        "{found} {narrowed}"
    );
    // The page and its total agree with the list found.
    let s = login(&w, "bank").await;
    for q in [
        "tier=srdi",
        "revenue_min=1000",
        "size=small&tier=innovative",
    ] {
        let want = zjtx_web::finance::screened_codes(&w.state, user.id, bank, q, Judged::Each)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        let r = send(&w, get(&format!("/finance/screen?{q}"), Some(&s))).await;
        assert!(
            r.body.contains(&format!("共 {} 家符合条件", want.len())),
            "{q}: {}",
            want.len()
        );
    }
}

/// An enterprise's system grants and revokes consents over the API, as the page does: the
/// consent rules, the store, the institution's subscriptions alike; a cookie cannot post there,
/// another firm cannot revoke it.
#[tokio::test]
async fn consents_over_the_api() {
    let w = world("consent-api").await;
    let store = &w.state.store;
    let bank = store
        .create_institution("甲银行", "bank", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = api_token(&w, "firm").await;
    let grant = |body: serde_json::Value| {
        json_req("POST", "/api/v1/finance/consents", Some(&token), Some(body))
    };
    let bad = send(
        &w,
        grant(serde_json::json!({ "institution": bank, "categories": ["secrets"], "purpose": "授信", "days": 30 })),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let too_long = send(
        &w,
        grant(serde_json::json!({ "institution": bank, "categories": ["profile"], "purpose": "授信", "days": 100000 })),
    )
    .await;
    assert_eq!(
        too_long.status,
        StatusCode::BAD_REQUEST,
        "beyond the rules' maximum"
    );
    let r = send(
        &w,
        grant(serde_json::json!({ "institution": bank, "categories": ["profile", "financials"], "purpose": "授信审查", "days": 30, "predicates_only": true })),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = json(&r);
    assert_eq!(
        (
            c["institution"].as_str(),
            c["predicates_only"].as_bool(),
            c["revoked"].as_bool()
        ),
        (Some("甲银行"), Some(true), Some(false))
    );
    let id = c["id"].as_i64().unwrap_or_default();
    let list = send(
        &w,
        json_req("GET", "/api/v1/finance/consents", Some(&token), None),
    )
    .await;
    assert_eq!(json(&list)["consents"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        store
            .consents(&w.xihu_firm, Some(bank))
            .await
            .unwrap_or_default()
            .len(),
        1
    );

    // A browser's cookie cannot post here.
    let session = login(&w, "firm").await;
    let mut req = json_req(
        "POST",
        &format!("/api/v1/finance/consents/{id}/revoke"),
        None,
        None,
    );
    req.headers_mut().insert(
        axum::http::header::COOKIE,
        session.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(send(&w, req).await.status, StatusCode::FORBIDDEN);
    let revoke = || {
        json_req(
            "POST",
            &format!("/api/v1/finance/consents/{id}/revoke"),
            Some(&token),
            None,
        )
    };
    let r = send(&w, revoke()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["revoked"], true);
    assert_eq!(
        send(&w, revoke()).await.status,
        StatusCode::CONFLICT,
        "once"
    );
    // A bank's token is not a firm's.
    let bank_token = api_token(&w, "bank").await;
    let r = send(
        &w,
        json_req("GET", "/api/v1/finance/consents", Some(&bank_token), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Each instance keeps a bank's screening in memory; what any instance changes shows in the next
/// screening on every instance: a consent granted and revoked on one, a firm moved, the day
/// passing a consent's end — the kept firms are never what the store no longer allows.
#[tokio::test]
async fn a_kept_screening_follows_every_change_made_on_any_instance() {
    let w = world("screen-kept").await;
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let path = std::env::temp_dir().join(format!(
        "zjtx-web-test-{}-screen-kept/t.db",
        std::process::id()
    ));
    let other_store = zjtx_store::Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let other = World {
        state: zjtx_web::AppState::new(other_store, w.state.rules.to_vec(), false)
            .unwrap_or_else(|e| panic!("{e}")),
        xihu_firm: w.xihu_firm.clone(),
        other_firm: w.other_firm.clone(),
    };
    other.state.set_today(Some(today));
    let bank = the_bank(&w, "示范银行").await;
    let firm = w.xihu_firm.clone();
    let (ent, bank_session) = (login(&w, "firm").await, login(&w, "bank").await);
    let e = csrf_of(&w, &ent).await;
    async fn screened(on: &World, session: &str, firm: &str, q: &str) -> bool {
        let r = send(on, get(&format!("/finance/screen?{q}"), Some(session))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body.contains(firm)
    }
    let listed = |on, q| screened(on, &bank_session, &firm, q);
    // Both instances keep the screening before anything is granted.
    assert!(!listed(&w, "region=330106").await);
    assert!(!listed(&other, "region=330106").await);
    let grant = format!(
        "csrf={e}&institution={bank}&categories=profile&categories=financials&purpose=授信审查&days=30"
    );
    let r = send(&w, post("/finance/consents", Some(&ent), &grant)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        listed(&other, "region=330106").await,
        "granted on the first"
    );
    assert!(listed(&w, "region=330106").await);
    // Moved out of the district on the first instance.
    w.state
        .store
        .move_enterprise(&firm, "330105", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!listed(&other, "region=330106").await, "moved");
    assert!(listed(&other, "region=330105").await, "moved");
    // Revoked on the first: gone from the second's kept screening.
    let consent = w
        .state
        .store
        .consents(&firm, Some(bank))
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
    assert!(!listed(&other, "region=330105").await, "revoked");
    assert!(!listed(&w, "").await, "revoked");
    // Granted again for 30 days: gone once the day passes its end, with no write at all.
    let r = send(&w, post("/finance/consents", Some(&ent), &grant)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(listed(&other, "").await, "granted again");
    other.state.set_today(Some(today + Days::new(31)));
    assert!(!listed(&other, "").await, "past its end");
}
