//! Funding programmes through HTTP (issue 13): the city opens two calls; firms apply with their
//! projects; districts review within their scope; the city approves at the computed award —
//! refused past a budget — and a higher award of the same project supersedes the lower one
//! (就高不重复); instalments within each level's share; a recovery after a revocation; a forecast
//! over an uploaded projects file; the API's programmes and awards by scope; the audit trail.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use zjtx_store::Role;

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn url(s: &str) -> String {
    zjtx_web::common::urlencode(s)
}

fn multipart(csrf: &str, compare: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "zjtxfundsboundary0192837465";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"compare\"\r\n\r\n{compare}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Whether a firm falls in the technical-upgrade programme's 20% group (programmes.md §3: the
/// priority industries by GB/T 4754 division, and the new-materials and green-energy ecosystems).
fn priority(industry: &str, ecosystem: Option<&str>) -> bool {
    ["C27", "C34", "C35", "C36", "C37", "C38", "C39", "C40"]
        .iter()
        .any(|p| industry.starts_with(p))
        || matches!(ecosystem, Some("新材料" | "绿色能源"))
}

#[tokio::test]
async fn a_year_of_programmes_from_call_to_recovery() {
    let mut w = world("funds").await;
    w.state.evidence_dir =
        std::env::temp_dir().join(format!("zjtx-funds-evidence-{}", std::process::id()));
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    // Firm B: outside 西湖区 and outside the priority group (10%), with its own district office.
    let all = store
        .list(
            &zjtx_store::Filter {
                per_page: 200,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let b = all
        .iter()
        .find(|e| {
            e.region_code.is_some()
                && e.region_code.as_deref() != Some("330106")
                && !priority(&e.industry_code, e.ecosystem.as_deref())
        })
        .unwrap_or_else(|| panic!("a firm outside 西湖区 and the priority group"))
        .clone();
    let b_region = b.region_code.clone().unwrap_or_default();
    add_user(&w, "firmb", Role::Enterprise, None, Some(&b.uscc)).await;
    add_user(&w, "distb", Role::District, Some(&b_region), None).await;
    let a_row = store
        .enterprise(&w.xihu_firm)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("firm A"));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let firm = login(&w, "firm").await;
    let f = csrf_of(&w, &firm).await;
    let fb = login(&w, "firmb").await;
    let fbc = csrf_of(&w, &fb).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let db = login(&w, "distb").await;
    let dbc = csrf_of(&w, &db).await;

    // Calls: only the city opens them; each district gets 500 of budget.
    let open = |csrf: &str, programme: &str| {
        format!("csrf={csrf}&programme={programme}&text=&opens_on=&closes_on=&district_budget=500")
    };
    assert_eq!(
        send(
            &w,
            post("/funds/calls", Some(&xihu), &open(&x, "tech-upgrade-2026"))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = send(
        &w,
        post("/funds/calls", Some(&city), &open(&c, "tech-upgrade-2026")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let tech = id_after(&r.location, "/funds/calls/");
    let r = send(
        &w,
        post(
            "/funds/calls",
            Some(&city),
            &open(&c, "digital-breakthrough-2026"),
        ),
    )
    .await;
    let digital = id_after(&r.location, "/funds/calls/");
    // An edited programme file is checked whole: a share over 100% is refused.
    let r = send(
        &w,
        post(
            "/funds/calls",
            Some(&city),
            &format!(
                "csrf={c}&programme=5g-2026&text={}&district_budget=1",
                url(&std::fs::read_to_string(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../zjtx-core/programmes/5g-2026.toml"
                ))
                .unwrap_or_default()
                .replace("share = \"15%\"", "share = \"150%\""))
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("方案文件有误"), "{}", r.body);

    // Applications: 800 + 150 + 100 = 1050 for firm A; 3000 for firm B, to both calls.
    let apply = |csrf: &str, code: &str, eq: &str, invoices: &str| {
        format!(
            "csrf={csrf}&name={}&code={code}&registered_on=2024-03-01&equipment={eq}&technology=150&software=100&digital_level=&tier=&premium=&cover_year=&invoices={}",
            url("智能产线技术改造"),
            url(invoices)
        )
    };
    assert_eq!(
        send(
            &w,
            post(
                &format!("/funds/calls/{tech}/applications"),
                Some(&xihu),
                &apply(&x, "A-1", "800", "No.1")
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = send(
        &w,
        post(
            &format!("/funds/calls/{tech}/applications"),
            Some(&firm),
            &apply(&f, "A-1", "800", ""),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "investment lines need their invoices"
    );
    assert!(r.body.contains("发票清单"), "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("/funds/calls/{tech}/applications"),
            Some(&firm),
            &apply(&f, "A-1", "800", "No.1 2026-01-05 1050"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let a1 = id_after(&r.location, "/funds/applications/");
    assert_eq!(
        send(
            &w,
            post(
                &format!("/funds/calls/{tech}/applications"),
                Some(&firm),
                &apply(&f, "A-1", "800", "No.1")
            )
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "one application per project and call"
    );
    let r = send(
        &w,
        post(
            &format!("/funds/calls/{tech}/applications"),
            Some(&fb),
            &apply(&fbc, "B-1", "2750", "No.9 2026-02-01 3000"),
        ),
    )
    .await;
    let b1 = id_after(&r.location, "/funds/applications/");
    let r = send(
        &w,
        post(
            &format!("/funds/calls/{digital}/applications"),
            Some(&fb),
            &apply(&fbc, "B-1", "2750", "No.9 2026-02-01 3000"),
        ),
    )
    .await;
    let b2 = id_after(&r.location, "/funds/applications/");

    // Invoice files: a whole PDF kept by its hash, read back by the district; anything else
    // refused; another firm cannot attach or read.
    let pdf: &[u8] =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let attach = |s: &str, csrf: &str, bytes: &[u8]| {
        let (ct, body) = multipart(csrf, "", "发票.pdf", bytes);
        Request::post(format!("/funds/applications/{a1}/invoices"))
            .header(header::COOKIE, s)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        send(&w, attach(&firm, &f, b"not a pdf")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&w, attach(&fb, &fbc, pdf)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = send(&w, attach(&firm, &f, pdf)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let inv = store.fund_invoices(a1).await.unwrap_or_default();
    assert_eq!(inv.len(), 1);
    let r = send(
        &w,
        get(&format!("/funds/invoices/{}", inv[0].id), Some(&xihu)),
    )
    .await;
    assert_eq!((r.status, r.body.as_bytes()), (StatusCode::OK, pdf));
    assert_eq!(
        send(
            &w,
            get(&format!("/funds/invoices/{}", inv[0].id), Some(&fb))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Scope: a district reads and reviews its own firms' applications only; a firm its own.
    for (s, id) in [(&xihu, b1), (&db, a1), (&firm, b1), (&fb, a1)] {
        assert_eq!(
            send(&w, get(&format!("/funds/applications/{id}"), Some(s)))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    let review = |s: &str, csrf: &str, id: i64| {
        post(
            &format!("/funds/applications/{id}/review"),
            Some(s),
            &format!("csrf={csrf}&decision=recommend&reason="),
        )
    };
    assert_eq!(
        send(&w, review(&city, &c, a1)).await.status,
        StatusCode::FORBIDDEN
    );
    for (s, k, id) in [(&xihu, &x, a1), (&db, &dbc, b1), (&db, &dbc, b2)] {
        let r = send(&w, review(s, k, id)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }

    // The award on the page, line by line, before approval: firm A's group by hand.
    let page = send(&w, get(&format!("/funds/applications/{a1}"), Some(&city))).await;
    let a_award = if priority(&a_row.industry_code, a_row.ecosystem.as_deref()) {
        "210"
    } else {
        "105"
    };
    assert!(
        page.body.contains(&format!("补助 {a_award} 万元")),
        "{}",
        page.body
    );
    assert!(page.body.contains("JG-3"), "each condition with its id");

    // The budget: the city's set to 10 refuses the approval, with the gap named.
    let budget = |level: &str, amount: &str| {
        post(
            &format!("/funds/calls/{tech}/budget"),
            Some(&city),
            &format!("csrf={c}&level={level}&amount={amount}"),
        )
    };
    assert_eq!(
        send(&w, budget("city", "10")).await.status,
        StatusCode::SEE_OTHER
    );
    let approve = |id: i64| {
        post(
            &format!("/funds/applications/{id}/approve"),
            Some(&city),
            &format!("csrf={c}"),
        )
    };
    let r = send(&w, approve(a1)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("市级预算将超出"), "{}", r.body);
    assert_eq!(
        send(&w, budget("city", "40000")).await.status,
        StatusCode::SEE_OTHER
    );
    let r = send(&w, approve(a1)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let a = store
        .fund_application(a1)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("a1"));
    assert_eq!(
        a.amount
            .map(|u| zjtx_core::num::Wan::from_units(u).map(|w| w.to_string())),
        Some(Some(a_award.to_owned()))
    );
    // Once decided, no more files.
    assert_eq!(
        send(&w, attach(&firm, &f, pdf)).await.status,
        StatusCode::CONFLICT
    );
    // A budget cannot go below what is approved.
    assert_eq!(
        send(&w, budget("city", "1")).await.status,
        StatusCode::CONFLICT
    );

    // 就高不重复: B's project — 10% of 3000 = 300 under the upgrade programme, 20% of 3000 capped
    // at 500 under the breakthrough one. Approved at 300 first, then superseded by the 500.
    assert_eq!(send(&w, approve(b1)).await.status, StatusCode::SEE_OTHER);
    let wan = |id: i64| {
        let store = store.clone();
        async move {
            store.fund_application(id).await.ok().flatten().map(|a| {
                (
                    a.status.key(),
                    a.amount
                        .and_then(zjtx_core::num::Wan::from_units)
                        .map(|w| w.to_string()),
                )
            })
        }
    };
    assert_eq!(wan(b1).await, Some(("approved", Some("300".to_owned()))));
    let r = send(&w, approve(b2)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(wan(b2).await, Some(("approved", Some("500".to_owned()))));
    assert_eq!(wan(b1).await, Some(("superseded", Some("300".to_owned()))));

    // Payments within each half (250 each); a recovery after a revocation.
    let money = |path: &str, level: &str, amount: &str, extra: &str| {
        post(
            &format!("/funds/applications/{b2}/{path}"),
            Some(&city),
            &format!(
                "csrf={c}&level={level}&amount={amount}&on=2026-06-10&reference={}{extra}",
                url("杭经信财〔2026〕7号")
            ),
        )
    };
    assert_eq!(
        send(&w, money("pay", "city", "200", "")).await.status,
        StatusCode::SEE_OTHER
    );
    let r = send(&w, money("pay", "city", "60", "")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("剩余 50"), "{}", r.body);
    assert_eq!(
        send(&w, money("pay", "district", "250", "")).await.status,
        StatusCode::SEE_OTHER
    );
    let r = send(&w, money("recover", "city", "201", "&cause=title_revoked")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        send(&w, money("recover", "city", "200", "&cause=title_revoked"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send(
            &w,
            post(
                &format!("/funds/applications/{b2}/pay"),
                Some(&db),
                &format!("csrf={dbc}&level=district&amount=1&on=2026-06-10&reference=x")
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // The API: every call with its totals; the awards as each reader may see them.
    let token = api_token(&w, "city").await;
    let r = send(
        &w,
        json_req("GET", "/api/v1/programmes", Some(&token), None),
    )
    .await;
    let v = json(&r);
    let d = v["items"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["id"] == digital))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            d["committed_wan"].as_str(),
            d["paid_wan"].as_str(),
            d["recovered_wan"].as_str()
        ),
        (Some("500"), Some("450"), Some("200")),
        "{v}"
    );
    let t = api_token(&w, "xihu").await;
    let r = send(
        &w,
        json_req(
            "GET",
            &format!("/api/v1/programmes/{tech}/awards"),
            Some(&t),
            None,
        ),
    )
    .await;
    let items = json(&r)["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        items
            .iter()
            .map(|i| i["uscc"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        vec![w.xihu_firm.as_str()]
    );

    // A forecast over an uploaded projects file.
    let csv = format!(
        "uscc,category,registered_on,equipment,technology,software,industry_code\n{},tech_upgrade,2020-01-01,2000,0,0,C1711\n91350100M000100Y43,tech_upgrade,2020-01-01,5000,0,0,C3981\n91350100M000100Y43,tech_upgrade,2017-01-01,5000,0,0,C3981\n",
        b.uscc
    );
    // Compared with a copy of the programme at 30% for the priority group and 15% for the others.
    let edited = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zjtx-core/programmes/tech-upgrade-2026.toml"
    ))
    .unwrap_or_default()
    .replace("share = \"20%\"", "share = \"30%\"")
    .replace("share = \"10%\"", "share = \"15%\"");
    let (ct, body) = multipart(&c, &edited, "projects.csv", csv.as_bytes());
    let r = send(
        &w,
        Request::post(format!("/funds/calls/{tech}/forecast"))
            .header(header::COOKIE, &city)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // B from the registry at 10% of 2000 = 200; the unregistered one at 20% of 5000 = 1000.
    assert!(r.body.contains("共 3 个项目，符合条件 2 个"), "{}", r.body);
    assert!(r.body.contains("补助合计 1200 万元"), "{}", r.body);
    // Side by side: 15% of 2000 + 30% of 5000 = 1800.
    let cmp = r.body.split("id=\"compare\"").nth(1).unwrap_or_default();
    assert!(cmp.contains("<td>1200</td><td>1800</td>"), "{cmp}");

    // The same file as Excel in China saves it (GB18030, Chinese headers and category) reads the
    // same; a file that is no workbook, and a row with a bad cell, are refused in Chinese.
    let zh_csv = csv
        .replace(
            "uscc,category,registered_on,equipment,technology,software,industry_code",
            "统一社会信用代码,项目类别,备案日期,设备投资（万元）,技术投资（万元）,软件投资（万元）,国民经济行业代码",
        )
        .replace("tech_upgrade", "技术改造");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&zh_csv);
    let upload = |name: &str, bytes: &[u8]| {
        let (ct, body) = multipart(&c, "", name, bytes);
        Request::post(format!("/funds/calls/{tech}/forecast"))
            .header(header::COOKIE, &city)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let r = send(&w, upload("projects.csv", &gbk)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("补助合计 1200 万元"), "{}", r.body);
    let r = send(&w, upload("projects.xlsx", b"PK\x03\x04 not a workbook")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("文件无法读取"), "{}", r.body);
    assert!(!r.body.contains("workbook"), "{}", r.body);
    let r = send(
        &w,
        upload(
            "projects.csv",
            format!(
                "{}\n{},一千万\n",
                zh_csv.lines().take(2).collect::<Vec<_>>().join("\n"),
                b.uscc
            )
            .as_bytes(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body
            .contains("第 3 行「项目类别」：「一千万」不是项目类别"),
        "{}",
        r.body
    );

    for action in [
        "fund.call.open",
        "fund.apply",
        "fund.review.recommended",
        "fund.approve",
        "fund.supersede",
        "fund.payment",
        "fund.recovery",
        "fund.budget",
        "fund.forecast",
    ] {
        assert!(
            !store
                .audit_by_action(action)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{action}"
        );
    }
}

/// Digital service providers: each records its service to registry firms (refusals located), the
/// city's index reproduces the hand count, the selection is published once and read publicly.
#[tokio::test]
async fn providers_are_indexed_selected_and_published() {
    let w = world("providers").await;
    w.state.set_today(Some(day("2026-11-20")));
    add_user(&w, "provider2", Role::Provider, None, None).await;
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let p1 = login(&w, "provider").await;
    let k1 = csrf_of(&w, &p1).await;
    let p2 = login(&w, "provider2").await;
    let k2 = csrf_of(&w, &p2).await;
    let firm = login(&w, "firm").await;
    for s in [&firm] {
        assert_eq!(
            send(&w, get("/providers", Some(s))).await.status,
            StatusCode::FORBIDDEN
        );
    }
    for (s, k, name) in [(&p1, &k1, "甲数字工程"), (&p2, &k2, "乙数字工程")] {
        let r = send(
            &w,
            post(
                "/providers/profile",
                Some(s),
                &format!("csrf={k}&name={}", url(name)),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let rec = |k: &str,
               client: &str,
               value: &str,
               delivered: &str,
               accepted: bool,
               before: &str,
               after: &str,
               sat: &str| {
        format!(
            "csrf={k}&client={client}&year=2026&value={value}&delivered={delivered}{}&level_before={before}&level_after={after}&satisfaction={sat}",
            if accepted { "&accepted=on" } else { "" }
        )
    };
    let (a, b) = (w.xihu_firm.clone(), w.other_firm.clone());
    // Refused: a level that falls, a satisfaction past 100; a client outside the registry.
    let r = send(
        &w,
        post(
            "/providers/records",
            Some(&p1),
            &rec(&k1, &a, "300", "2", true, "3", "1", "101"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("服务后数字化水平") && r.body.contains("满意度"),
        "{}",
        r.body
    );
    let r = send(
        &w,
        post(
            "/providers/records",
            Some(&p1),
            &rec(&k1, "91350100M000100Y43", "1", "1", true, "1", "1", "1"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for (s, body) in [
        (&p1, rec(&k1, &a, "300", "2", true, "1", "3", "90")),
        (&p1, rec(&k1, &b, "100", "1", true, "2", "2", "70")),
        (&p2, rec(&k2, &a, "100", "1", false, "1", "2", "100")),
    ] {
        let r = send(&w, post("/providers/records", Some(s), &body)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    // By hand: 甲 2 clients, 400 accepted, 3 delivered, all accepted, uplift 1, satisfaction 80;
    // 乙 1, 0, 1, 0, 1, 100. 甲 = 20 + 25 + 15 + 15 + 15 + 10 × 80/100 = 98;
    // 乙 = 20 × 1/2 + 0 + 15 × 1/3 + 0 + 15 + 10 = 40.
    let page = send(&w, get("/providers?year=2026", Some(&city))).await;
    assert!(
        page.body.contains("20 + 25 + 15 + 15 + 15 + 8"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<strong>98</strong>") && page.body.contains("<strong>40</strong>"),
        "{}",
        page.body
    );
    // The other provider does not see the first one's records.
    let own = send(&w, get("/providers?year=2026", Some(&p2))).await;
    assert!(!own.body.contains(&b), "{}", own.body);
    assert_eq!(
        send(
            &w,
            post(
                "/providers/selection",
                Some(&p1),
                &format!("csrf={k1}&year=2026")
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = send(
        &w,
        post(
            "/providers/selection",
            Some(&city),
            &format!("csrf={c}&year=2026"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        send(
            &w,
            post(
                "/providers/selection",
                Some(&city),
                &format!("csrf={c}&year=2026")
            )
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "published once"
    );
    // Public: 甲 only (乙 has no accepted work), awarded 10% of 400 = 40.
    let public = send(&w, get("/providers/selected?year=2026", None)).await;
    assert_eq!(public.status, StatusCode::OK);
    let table = public
        .body
        .split("id=\"selected\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        table.contains("甲数字工程") && !table.contains("乙数字工程"),
        "{table}"
    );
    assert!(table.contains("<td>40</td>"), "{table}");
}
