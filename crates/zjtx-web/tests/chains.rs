//! Chain matchmaking events through HTTP (issue 12): recorded by the city and the districts in
//! their scope, parties and outcomes with their refusals, the bureau's line on the page, in Excel
//! and in the API — counted from a hand-counted set — and a firm's own view.

mod common;

use axum::http::StatusCode;
use common::*;

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

#[tokio::test]
async fn a_year_of_chain_events_is_recorded_counted_and_exported() {
    let w = world("chains").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let firm = login(&w, "firm").await;
    let new_event = |csrf: &str, title: &str, on: &str, region: &str| {
        format!(
            "csrf={csrf}&chain=集成电路&title={title}&held_on={on}&organiser=市经信局&place=滨江&kind=matchmaking&region={region}"
        )
    };

    // Refusals: a firm does not record events; every bad field is named; a chain not in force.
    let r = send(
        &w,
        post(
            "/chains/events",
            Some(&firm),
            &new_event(&c, "x", "2026-03-01", ""),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&w, post("/chains/events", Some(&city), &format!("csrf={c}&chain=造船&title=&held_on=2026-02-30&organiser=x&place=&kind=matchmaking&region="))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("产业链：格式有误")
            && r.body.contains("名称：格式有误")
            && r.body.contains("日期：格式有误"),
        "{}",
        r.body
    );

    // E1 by the district (kept in 西湖区 whatever it asks), E2 city-wide by the city, E3 next month.
    let r = send(
        &w,
        post(
            "/chains/events",
            Some(&xihu),
            &new_event(&x, "西湖集成电路对接会", "2026-03-10", "330108"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let e1 = id_after(&r.location, "/chains/events/");
    assert_eq!(
        store
            .chain_event(e1)
            .await
            .ok()
            .flatten()
            .and_then(|e| e.region_code)
            .as_deref(),
        Some("330106")
    );
    let r = send(
        &w,
        post(
            "/chains/events",
            Some(&city),
            &new_event(&c, "全市集成电路对接会", "2026-05-20", ""),
        ),
    )
    .await;
    let e2 = id_after(&r.location, "/chains/events/");
    let r = send(
        &w,
        post(
            "/chains/events",
            Some(&city),
            &new_event(&c, "下月对接会", "2026-07-01", "330106"),
        ),
    )
    .await;
    let e3 = id_after(&r.location, "/chains/events/");

    // The district does not see the city-wide event (it reads as absent), nor record on it.
    assert_eq!(
        send(&w, get(&format!("/chains/events/{e2}"), Some(&xihu)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = send(
        &w,
        post(
            &format!("/chains/events/{e2}/parties"),
            Some(&xihu),
            &format!("csrf={x}&role=sme&who={}", w.xihu_firm),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Parties: registry firms by code, a bank by name; an SME by name and an unknown code refused.
    let party = |s: &str, csrf: &str, ev: i64, role: &str, who: &str| {
        post(
            &format!("/chains/events/{ev}/parties"),
            Some(s),
            &format!("csrf={csrf}&role={role}&who={who}"),
        )
    };
    for (role, who) in [
        ("sme", w.xihu_firm.as_str()),
        ("large_firm", w.other_firm.as_str()),
        ("bank", "杭州银行"),
    ] {
        let r = send(&w, party(&xihu, &x, e1, role, who)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = send(&w, party(&xihu, &x, e1, "sme", "某某公司")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let unknown = zjtx_core::ids::Uscc::with_check(b"91330106MA2B3C4D5")
        .map(|u| u.to_string())
        .unwrap_or_default();
    let r = send(&w, party(&xihu, &x, e1, "sme", &unknown)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("企业库中没有"), "{}", r.body);
    // The same firm twice in the same role: a conflict, nothing added.
    let r = send(&w, party(&xihu, &x, e1, "sme", &w.xihu_firm)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = send(&w, party(&city, &c, e2, "sme", &w.xihu_firm)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&w, party(&city, &c, e3, "sme", &w.other_firm)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let parties = store.chain_parties(e1).await.unwrap_or_default();
    let (p_sme, p_large) = (parties[0].id, parties[1].id);
    let p2 = store.chain_parties(e2).await.unwrap_or_default()[0].id;
    let p3 = store.chain_parties(e3).await.unwrap_or_default()[0].id;

    // Outcomes: not before the event's day; an order needs its amount.
    let outcome = |s: &str, csrf: &str, ev: i64, p: i64, kind: &str, amount: &str, status: &str| {
        post(
            &format!("/chains/events/{ev}/outcomes"),
            Some(s),
            &format!("csrf={csrf}&party={p}&kind={kind}&amount={amount}&status={status}&note="),
        )
    };
    let r = send(&w, outcome(&city, &c, e3, p3, "order", "100", "signed")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("届时起才能登记成果"), "{}", r.body);
    let r = send(&w, outcome(&xihu, &x, e1, p_sme, "order", "", "signed")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("金额：格式有误"), "{}", r.body);
    // A party of another event is not this event's.
    let r = send(&w, outcome(&xihu, &x, e1, p2, "order", "5", "signed")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The hand-counted set: E1 sme order 1200 signed, sme financing 500 intention (not counted),
    // large firm order 300 signed → executed, large firm project signed; E2 sme financing 2000
    // signed, sme order 800 signed → cancelled (not counted).
    for (ev, p, kind, amount, status) in [
        (e1, p_sme, "order", "1200", "signed"),
        (e1, p_sme, "financing", "500", "intention"),
        (e1, p_large, "order", "300", "signed"),
        (e1, p_large, "project", "", "signed"),
    ] {
        let r = send(&w, outcome(&xihu, &x, ev, p, kind, amount, status)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    for (kind, amount) in [("financing", "2000"), ("order", "800")] {
        let r = send(&w, outcome(&city, &c, e2, p2, kind, amount, "signed")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let o1 = store.chain_outcomes(e1).await.unwrap_or_default();
    let executed = o1[2].id;
    let status = |s: &str, csrf: &str, id: i64, to: &str, reason: &str| {
        post(
            &format!("/chains/outcomes/{id}/status"),
            Some(s),
            &format!("csrf={csrf}&to={to}&reason={reason}"),
        )
    };
    let r = send(&w, status(&xihu, &x, executed, "executed", "")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The second click of a double submit: the outcome has moved on.
    let r = send(&w, status(&xihu, &x, executed, "executed", "")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let cancelled = store.chain_outcomes(e2).await.unwrap_or_default()[1].id;
    let r = send(&w, status(&city, &c, cancelled, "cancelled", "")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("取消须写明原因"), "{}", r.body);
    let r = send(&w, status(&city, &c, cancelled, "cancelled", "合同解除")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The district cannot step an outcome of the city-wide event.
    let r = send(
        &w,
        status(
            &xihu,
            &x,
            store.chain_outcomes(e2).await.unwrap_or_default()[0].id,
            "executed",
            "",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The line, 2026, 集成电路, city: 3 events; firms 2 (the 西湖 firm and the other); orders
    // 1200 + 300 = 1500; financing 2000; projects 1. In 西湖区: 2 events; orders 1500; financing 0.
    let page = send(
        &w,
        get("/chains/events?year=2026&chain=集成电路", Some(&city)),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("what=order\">1500<") && page.body.contains("what=financing\">2000<"),
        "{}",
        page.body
    );
    let api = api_token(&w, "city").await;
    let sum = json(
        &send(
            &w,
            json_req(
                "GET",
                "/api/v1/chain-events/summary?year=2026&chain=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF",
                Some(&api),
                None,
            ),
        )
        .await,
    );
    assert_eq!(
        (
            sum["events"].as_i64(),
            sum["firms"].as_i64(),
            sum["orders_wan"].as_str(),
            sum["financing_wan"].as_str(),
            sum["projects"].as_i64()
        ),
        (Some(3), Some(2), Some("1500"), Some("2000"), Some(1)),
        "{sum}"
    );
    let api_x = api_token(&w, "xihu").await;
    let sum = json(
        &send(
            &w,
            json_req(
                "GET",
                "/api/v1/chain-events/summary?year=2026",
                Some(&api_x),
                None,
            ),
        )
        .await,
    );
    assert_eq!(
        (
            sum["events"].as_i64(),
            sum["orders_wan"].as_str(),
            sum["financing_wan"].as_str()
        ),
        (Some(2), Some("1500"), Some("0")),
        "the district's own line: {sum}"
    );
    // The records behind a figure: the counted orders, each linked to its event.
    let rec = send(
        &w,
        get(
            "/chains/records?year=2026&chain=集成电路&district=&what=order",
            Some(&city),
        ),
    )
    .await;
    assert_eq!(rec.status, StatusCode::OK);
    assert!(
        rec.body.contains(&format!("/chains/events/{e1}#outcomes")) && rec.body.contains("1500"),
        "{}",
        rec.body
    );
    assert!(
        !rec.body.contains(&format!("/chains/events/{e2}#outcomes")),
        "the cancelled order is not counted"
    );
    let rec = send(&w, get("/chains/records?year=2026&what=firms", Some(&city))).await;
    assert!(
        rec.body.contains(&w.xihu_firm) && rec.body.contains(&w.other_firm),
        "{}",
        rec.body
    );
    // Excel: the events and the total line.
    let x_ = send(&w, get("/chains/events.xlsx?year=2026", Some(&city))).await;
    assert_eq!(x_.status, StatusCode::OK);

    // A firm sees the events it took part in, and no other.
    let own = send(&w, get("/chains/events?year=2026", Some(&firm))).await;
    assert!(
        own.body.contains("西湖集成电路对接会")
            && own.body.contains("全市集成电路对接会")
            && !own.body.contains("下月对接会"),
        "{}",
        own.body
    );
    assert_eq!(
        send(&w, get(&format!("/chains/events/{e3}"), Some(&firm)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let own = send(&w, get(&format!("/chains/events/{e1}"), Some(&firm))).await;
    assert_eq!(own.status, StatusCode::OK);
    // Its own order (1200) and financing intention, never the large firm's order (300) or project.
    assert!(
        own.body.contains("<td>1200</td>") && !own.body.contains("<td>300</td>"),
        "{}",
        own.body
    );
    // The bureau's line and the records behind it are the bureau's.
    let list = send(&w, get("/chains/events?year=2026", Some(&firm))).await;
    assert!(!list.body.contains("id=\"line\""), "{}", list.body);
    assert_eq!(
        send(&w, get("/chains/records?year=2026&what=order", Some(&firm)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, get("/chains/events.xlsx?year=2026", Some(&firm)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The chain map: each cell is the registry list it links to, counted. Every firm of the
    // test city is tagged 集成电路 for it.
    let all = store
        .list(
            &zjtx_store::Filter {
                per_page: 500,
                today: day("2026-06-15"),
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let tags: Vec<(String, Vec<String>)> = all
        .items
        .iter()
        .map(|e| (e.uscc.clone(), vec!["集成电路".to_owned()]))
        .collect();
    store
        .set_chains(&tags, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let map = send(&w, get("/chains/map?ecosystem=智能物联", Some(&city))).await;
    assert_eq!(map.status, StatusCode::OK);
    let mut sum = 0;
    for (k, v) in [
        ("title", "innovative"),
        ("candidate", "innovative"),
        ("title", "srdi"),
        ("candidate", "srdi"),
        ("title", "giant"),
        ("candidate", "giant"),
    ] {
        let mut f = zjtx_store::Filter {
            chain: Some("集成电路".into()),
            per_page: 1,
            today: day("2026-06-15"),
            ..Default::default()
        };
        if k == "title" {
            f.title = Some(v.into())
        } else {
            f.candidate = Some(v.into())
        }
        let n = store
            .list(&f, &zjtx_store::Scope::all())
            .await
            .map(|p| p.total)
            .unwrap_or(-1);
        sum += n;
        let cell = format!("chain=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF&#38;{k}={v}\">{n}</a>");
        assert!(map.body.contains(&cell), "{cell} in {}", map.body);
    }
    assert!(sum > 0, "the map counts something");
    assert_eq!(
        send(&w, get("/chains/map", Some(&firm))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, get("/chains/map", Some(&xihu))).await.status,
        StatusCode::OK
    );

    // The audit trail of the year's work.
    let mut actions = Vec::new();
    for a in [
        "chain_event.create",
        "chain_event.party",
        "chain_event.outcome",
        "chain_event.outcome_status",
    ] {
        actions.push((
            a,
            store.audit_by_action(a).await.map(|v| v.len()).unwrap_or(0),
        ));
    }
    // 3 events; 3 + 2 parties; 6 outcomes; 2 steps.
    assert_eq!(
        actions,
        [
            ("chain_event.create", 3),
            ("chain_event.party", 5),
            ("chain_event.outcome", 6),
            ("chain_event.outcome_status", 2)
        ]
    );
}

/// The city keeps the taxonomy: a chain added is offered at once (no restart), a renamed one
/// carries its tags and events, a retired one keeps its history but takes no new event; only the
/// city may edit, and a restart does not bring a renamed chain back.
#[tokio::test]
async fn the_city_adds_renames_and_retires_chains_and_their_history_follows() {
    let w = world("taxonomy").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let add = |s: &str, csrf: &str, name: &str| {
        post(
            "/chains",
            Some(s),
            &format!("csrf={csrf}&ecosystem=智能物联&name={name}&name_en=AI+chips"),
        )
    };
    assert_eq!(
        send(&w, add(&xihu, &x, "人工智能芯片")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, add(&city, &c, "芯片,设计")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&w, add(&city, &c, "人工智能芯片")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send(&w, add(&city, &c, "人工智能芯片")).await.status,
        StatusCode::CONFLICT
    );
    // Offered at once: an event of the new chain, a firm tagged with it.
    let ev = |chain: &str| {
        format!(
            "csrf={c}&chain={chain}&title=x&held_on=2026-06-01&organiser=y&place=&kind=matchmaking&region="
        )
    };
    let r = send(&w, post("/chains/events", Some(&city), &ev("人工智能芯片"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let e = id_after(&r.location, "/chains/events/");
    store
        .set_chains(&[(w.xihu_firm.clone(), vec!["人工智能芯片".into()])], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Renamed: the tag and the event follow; the old name is gone.
    let r = send(
        &w,
        post(
            "/chains/rename",
            Some(&city),
            &format!("csrf={c}&ecosystem=智能物联&name=人工智能芯片&new_name=AI芯片"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        store
            .chain_event(e)
            .await
            .ok()
            .flatten()
            .map(|e| e.chain)
            .as_deref(),
        Some("AI芯片")
    );
    assert_eq!(
        store.chains_of(&w.xihu_firm).await.unwrap_or_default(),
        vec!["AI芯片".to_owned()]
    );
    // A restart (the reference data seeded again) does not bring the old names back.
    store
        .seed_reference()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = store
        .chains()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.contains(&"AI芯片".to_owned()) && !names.contains(&"人工智能芯片".to_owned()),
        "{names:?}"
    );
    // Retired: history kept, no new event; the map and the event form stop offering it.
    let r = send(
        &w,
        post(
            "/chains/retire",
            Some(&city),
            &format!("csrf={c}&ecosystem=智能物联&name=AI芯片"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(
            &w,
            post(
                "/chains/retire",
                Some(&city),
                &format!("csrf={c}&ecosystem=智能物联&name=AI芯片")
            )
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let r = send(&w, post("/chains/events", Some(&city), &ev("AI芯片"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        store.chain_event(e).await.ok().flatten().is_some(),
        "the event stays"
    );
    assert_eq!(
        store.chains_of(&w.xihu_firm).await.unwrap_or_default(),
        vec!["AI芯片".to_owned()],
        "the tag stays"
    );
    // A crafted request cannot tag another firm with the retired chain; the firm that had it
    // keeps it when its other tags change.
    let r = send(
        &w,
        post(
            &format!("/enterprises/{}/chains", w.other_firm),
            Some(&city),
            &format!("csrf={c}&chain=AI芯片"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        store
            .chains_of(&w.other_firm)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let r = send(
        &w,
        post(
            &format!("/enterprises/{}/chains", w.xihu_firm),
            Some(&city),
            &format!("csrf={c}&chain=AI芯片&chain=集成电路"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        store.chains_of(&w.xihu_firm).await.unwrap_or_default(),
        vec!["AI芯片".to_owned(), "集成电路".to_owned()]
    );
    let map = send(&w, get("/chains/map?ecosystem=智能物联", Some(&city))).await;
    assert!(!map.body.contains("AI芯片"), "{}", map.body);
    for a in ["chain.add", "chain.rename", "chain.retire"] {
        assert_eq!(
            store.audit_by_action(a).await.map(|v| v.len()).unwrap_or(0),
            1,
            "{a}"
        );
    }
}

/// Military–civil fusion: the city records a firm's qualification on its page (not a district,
/// not a future date); the list shows the qualified firms that pass a tier without its title.
#[tokio::test]
async fn qualified_firms_that_pass_a_tier_are_listed_for_recommendation() {
    let w = world("military").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    // A firm passing some tier without its title, and one passing none.
    let all = store
        .list(
            &zjtx_store::Filter {
                per_page: 500,
                today: day("2026-06-15"),
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let candidate = store
        .list(
            &zjtx_store::Filter {
                candidate: Some("innovative".into()),
                per_page: 1,
                today: day("2026-06-15"),
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .ok()
        .and_then(|p| p.items.into_iter().next())
        .map(|e| e.uscc)
        .unwrap_or_else(|| panic!("a candidate firm in the test city"));
    let plain = all
        .items
        .iter()
        .find(|e| {
            e.innovative != zjtx_core::Verdict::Pass
                && e.srdi != zjtx_core::Verdict::Pass
                && e.giant != zjtx_core::Verdict::Pass
        })
        .map(|e| e.uscc.clone())
        .unwrap_or_else(|| panic!("a firm passing no tier"));
    let set = |s: &str, csrf: &str, uscc: &str, on: &str| {
        post(
            &format!("/enterprises/{uscc}/military"),
            Some(s),
            &format!("csrf={csrf}&certified_on={on}&note=武器装备科研生产单位保密资格"),
        )
    };
    assert_eq!(
        send(&w, set(&xihu, &x, &candidate, "2024-03-01"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, set(&city, &c, &candidate, "2026-07-01"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&w, set(&city, &c, &candidate, "2024-03-01"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send(&w, set(&city, &c, &plain, "2023-01-10")).await.status,
        StatusCode::SEE_OTHER
    );
    let page = send(&w, get(&format!("/enterprises/{candidate}"), Some(&city))).await;
    assert!(
        page.body.contains("已登记，证书日期 2024-03-01"),
        "{}",
        page.body
    );
    let list = send(&w, get("/chains/military", Some(&city))).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&candidate) && !list.body.contains(&plain),
        "{}",
        list.body
    );
    assert!(
        list.body
            .contains("已登记军工资质的企业 2 家；其中达到梯度标准而未获称号、可推荐认定的 1 家"),
        "{}",
        list.body
    );
    // Cleared: off the list.
    let r = send(
        &w,
        post(
            &format!("/enterprises/{candidate}/military"),
            Some(&city),
            &format!("csrf={c}&clear=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = send(&w, get("/chains/military", Some(&city))).await;
    assert!(!list.body.contains(&candidate), "{}", list.body);
    assert_eq!(
        send(&w, get("/chains/military", Some(&login(&w, "firm").await)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// Segments (细分赛道): the city adds them under a chain (not a district, not a bad name), the
/// bureau tags a firm with segments of its own chains only, the map counts each segment and names
/// the segments without an SRDI or little-giant firm, the list filters by segment, and a retired
/// segment leaves the map but stays on the firm.
#[tokio::test]
async fn segments_are_kept_by_the_city_tagged_counted_and_listed() {
    let w = world("segments").await;
    let store = w.state.store.clone();
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let seg = |csrf: &str, chain: &str, name: &str| {
        format!("csrf={csrf}&ecosystem=智能物联&chain={chain}&name={name}")
    };
    let r = send(
        &w,
        post(
            "/chains/segments",
            Some(&xihu),
            &seg(&x, "集成电路", "封装测试"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w,
        post("/chains/segments", Some(&city), &seg(&c, "集成电路", "a|b")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = send(
        &w,
        post("/chains/segments", Some(&city), &seg(&c, "不存在", "x")),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for name in ["封装测试", "芯片设计"] {
        let r = send(
            &w,
            post("/chains/segments", Some(&city), &seg(&c, "集成电路", name)),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = send(
        &w,
        post(
            "/chains/segments",
            Some(&city),
            &seg(&c, "集成电路", "封装测试"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Tagging: only segments of the firm's own chains; the district within its scope.
    let firm = w.xihu_firm.clone();
    let tag = |csrf: &str, uscc: &str, values: &[&str]| {
        let body = values
            .iter()
            .map(|v| format!("segment={}", zjtx_web::common::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        post(
            &format!("/enterprises/{uscc}/segments"),
            Some(if csrf == c { &city } else { &xihu }),
            &format!("csrf={csrf}&{body}"),
        )
    };
    let r = send(&w, tag(&x, &firm, &["集成电路|封装测试"])).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "not of the firm's chains yet"
    );
    store
        .set_chains(&[(firm.clone(), vec!["集成电路".into()])], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = send(&w, tag(&x, &firm, &["集成电路|封装测试"])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(&w, tag(&x, &w.other_firm, &[])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "outside the district");
    assert_eq!(
        store.segments_of(&firm).await.unwrap_or_default(),
        vec![("集成电路".to_owned(), "封装测试".to_owned())]
    );
    let page = send(&w, get(&format!("/enterprises/{firm}"), Some(&xihu))).await;
    assert!(page.body.contains("集成电路 · 封装测试"), "{}", page.body);

    // The map: each segment under its chain, the ones without an SRDI or little giant named.
    let map = send(&w, get("/chains/map?ecosystem=智能物联", Some(&city))).await;
    assert!(
        map.body
            .contains("segment=%E5%B0%81%E8%A3%85%E6%B5%8B%E8%AF%95"),
        "{}",
        map.body
    );
    let gaps = map
        .body
        .split("id=\"segment-gaps\"")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or_default()
        .to_owned();
    assert!(gaps.contains("集成电路 · 芯片设计"), "{gaps}");
    // The list behind a segment: the tagged firm only.
    let list = send(
        &w,
        get(
            &format!(
                "/enterprises?chain={}&segment={}",
                zjtx_web::common::urlencode("集成电路"),
                zjtx_web::common::urlencode("封装测试")
            ),
            Some(&city),
        ),
    )
    .await;
    assert!(list.body.contains(&firm), "{}", list.body);
    assert_eq!(
        list.body.matches("/enterprises/9").count(),
        1,
        "{}",
        list.body
    );

    // Retired: off the map, kept on the firm, not taken by another firm of the chain.
    let r = send(
        &w,
        post(
            "/chains/segments/retire",
            Some(&city),
            &format!(
                "csrf={c}&ecosystem=智能物联&name={}",
                zjtx_web::common::urlencode("集成电路|封装测试")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let map = send(&w, get("/chains/map?ecosystem=智能物联", Some(&city))).await;
    assert!(!map.body.contains("封装测试"));
    let r = send(
        &w,
        tag(&x, &firm, &["集成电路|封装测试", "集成电路|芯片设计"]),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a firm keeps a retired segment it had"
    );
    for a in ["segment.add", "segment.retire", "segment.tag"] {
        assert!(
            !store
                .audit_by_action(a)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{a}"
        );
    }
}

/// The chain lists an enterprise page offers are kept in memory, yet a change by any writer —
/// here statements outside this instance's store calls, as another instance's would be — shows
/// at the next page: a new segment in the tagging form, a chain's new English name.
#[tokio::test]
async fn an_enterprise_page_shows_the_chain_lists_as_another_writer_left_them() {
    let w = world("lists-kept").await;
    let store = w.state.store.clone();
    let firm = w.xihu_firm.clone();
    store
        .set_chains(&[(firm.clone(), vec!["集成电路".into()])], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let city = login(&w, "city").await;
    let english = format!("{city}; zjtx_lang=en");
    let page = |cookie: String| {
        let w = &w;
        let path = format!("/enterprises/{firm}");
        async move {
            let r = send(w, get(&path, Some(&cookie))).await;
            assert_eq!(r.status, StatusCode::OK);
            r.body
        }
    };
    let option = "value=\"集成电路|封装测试\"";
    assert!(!page(city.clone()).await.contains(option));
    let before = page(english.clone()).await;
    assert!(before.contains("Integrated circuits"), "{before}");
    // Read twice: the second page is served from the kept lists.
    assert!(!page(city.clone()).await.contains(option));
    sql(
        &store,
        "INSERT INTO segments (chain, name) VALUES ('集成电路', '封装测试')",
    )
    .await;
    sql(
        &store,
        "UPDATE chains SET name_en = 'Chips and circuits' WHERE name = '集成电路'",
    )
    .await;
    assert!(page(city.clone()).await.contains(option), "a new segment");
    let after = page(english).await;
    assert!(after.contains("Chips and circuits"), "{after}");
    assert!(!after.contains("Integrated circuits"), "{after}");
}
