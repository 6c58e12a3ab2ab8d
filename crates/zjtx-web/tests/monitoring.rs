//! The two clearings through HTTP (issue 14): the city lists a year's firms from the registry's
//! figures — counted by hand on five firms of a year no other firm has — a district follows up
//! its own and asks for clearance, the city clears or sends back, the rates and the API agree
//! with the records, and a firm listed again the next year is flagged.

mod common;

use axum::http::StatusCode;
use common::*;
use zjtx_core::enterprise::RdInstitution;
use zjtx_core::ids::IndustryCode;
use zjtx_core::num::Wan;

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// A firm's industry, revenue, R&D expense, R&D institution and district.
type Shape = (
    &'static str,
    i64,
    Option<i64>,
    Option<RdInstitution>,
    &'static str,
);

#[tokio::test]
async fn two_clearings_from_listing_to_clearance() {
    let w = world("clearings").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    // Five firms with figures of 2019 and 2020 only (no other firm of the world has those years).
    let as_of = day("2026-06-15");
    let sets =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&sets, as_of).unwrap_or_else(|| panic!("no set"));
    let mut firms: Vec<zjtx_core::Enterprise> =
        zjtx_core::synth::Generator::new(77, 2019).take(5).collect();
    let code = |c: &str| IndustryCode::parse(c).unwrap_or_else(|e| panic!("{e:?}"));
    let shape: [Shape; 5] = [
        // 1.2亿, no R&D expense: the first list.
        ("C3981", 12000, Some(0), Some(RdInstitution::City), "西湖区"),
        // 6亿 with R&D but no institution: the second list.
        (
            "C2611",
            60000,
            Some(100),
            Some(RdInstitution::None),
            "西湖区",
        ),
        // 6亿, both blank: both lists.
        ("C3511", 60000, None, None, "滨江区"),
        // Not manufacturing.
        ("I6513", 90000, None, None, "西湖区"),
        // Under 1亿.
        ("C1711", 9000, Some(0), None, "西湖区"),
    ];
    for (e, (c, rev, rd, inst, d)) in firms.iter_mut().zip(shape) {
        e.industry_code = code(c);
        e.revenue = Some(Wan::whole(rev));
        e.rd_expense = rd.map(Wan::whole);
        e.rd_institution = inst;
        e.district = Some(d.into());
        e.year = Some(2019);
    }
    let rows: Vec<_> = firms
        .iter()
        .map(|e| (e.clone(), zjtx_core::evaluate(e, rs, as_of)))
        .collect();
    store
        .import(&rows, None, as_of)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<String> = firms.iter().map(|e| e.uscc.to_string()).collect();
    let u = |i: usize| codes[i].clone();
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    assert_eq!(
        send(
            &w,
            post(
                "/monitoring/clearings/snapshot",
                Some(&xihu),
                &format!("csrf={x}&year=2019")
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = send(
        &w,
        post(
            "/monitoring/clearings/snapshot",
            Some(&city),
            &format!("csrf={c}&year=2019"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let items = store.clearing_items(2019, None).await.unwrap_or_default();
    let mut got: Vec<(String, &str)> = items
        .iter()
        .map(|i| (i.uscc.clone(), i.list.key()))
        .collect();
    got.sort();
    let mut want = vec![
        (u(0), "no_rd"),
        (u(1), "no_institution"),
        (u(2), "no_rd"),
        (u(2), "no_institution"),
    ];
    want.sort();
    assert_eq!(got, want);

    // The district sees its own (西湖区: firms 0 and 1), follows up and asks for clearance.
    let page = send(&w, get("/monitoring/clearings?year=2019", Some(&xihu))).await;
    assert!(
        page.body.contains(&u(0)) && !page.body.contains(&u(2)),
        "{}",
        page.body
    );
    let item = |uscc: String, list: &str| {
        items
            .iter()
            .find(|i| i.uscc == uscc && i.list.key() == list)
            .map(|i| i.id)
            .unwrap_or_default()
    };
    let (i0, i2) = (item(u(0), "no_rd"), item(u(2), "no_rd"));
    assert_eq!(
        send(
            &w,
            post(
                &format!("/monitoring/clearings/{i2}/actions"),
                Some(&xihu),
                &format!("csrf={x}&on=2026-06-01&text=x")
            )
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "another district's firm"
    );
    assert_eq!(
        send(
            &w,
            post(
                &format!("/monitoring/clearings/{i0}/request"),
                Some(&xihu),
                &format!("csrf={x}")
            )
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "no request before an action"
    );
    let r = send(
        &w,
        post(
            &format!("/monitoring/clearings/{i0}/actions"),
            Some(&xihu),
            &format!("csrf={x}&on=2026-06-20&text=x"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a day after today");
    let r = send(
        &w,
        post(
            &format!("/monitoring/clearings/{i0}/actions"),
            Some(&xihu),
            &format!(
                "csrf={x}&on=2026-06-01&text={}",
                zjtx_web::common::urlencode("上门指导建立研发费用辅助账")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(
            &w,
            post(
                &format!("/monitoring/clearings/{i0}/request"),
                Some(&xihu),
                &format!("csrf={x}")
            )
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send(
            &w,
            post(
                &format!("/monitoring/clearings/{i0}/decide"),
                Some(&xihu),
                &format!("csrf={x}&decision=clear&reason=x")
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = send(
        &w,
        post(
            &format!("/monitoring/clearings/{i0}/decide"),
            Some(&city),
            &format!(
                "csrf={c}&decision=clear&reason={}",
                zjtx_web::common::urlencode("已归集研发费用")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The rates: 西湖区 1 of 1 on the first list, 0 of 1 on the second; the API agrees.
    let page = send(&w, get("/monitoring/clearings?year=2019", Some(&city))).await;
    assert!(
        page.body.contains("<td>1</td><td>1</td><td>100.0%</td>"),
        "{}",
        page.body
    );
    let token = api_token(&w, "city").await;
    let v = json(
        &send(
            &w,
            json_req(
                "GET",
                "/api/v1/monitoring/clearings?year=2019",
                Some(&token),
                None,
            ),
        )
        .await,
    );
    assert_eq!(v["lists"]["no_rd"]["listed"], 2);
    assert_eq!(v["lists"]["no_rd"]["cleared"], 1);
    assert_eq!(v["lists"]["no_rd"]["rate"], "50.0%");
    assert_eq!(v["lists"]["no_institution"]["listed"], 2);
    let t = api_token(&w, "xihu").await;
    let v = json(
        &send(
            &w,
            json_req(
                "GET",
                "/api/v1/monitoring/clearings?year=2019",
                Some(&t),
                None,
            ),
        )
        .await,
    );
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "{v}");

    // The bulletin of 2019: each figure equals the records behind it — the clearings' lists,
    // the titled firms' list in the API — and a section without records says so.
    let b = json(
        &send(
            &w,
            json_req("GET", "/api/v1/bulletin?year=2019", Some(&token), None),
        )
        .await,
    );
    let figure = |id: &str| {
        b["figures"]
            .as_array()
            .and_then(|v| v.iter().find(|f| f["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(figure("clearing_no_rd")["value"], "2", "{b}");
    assert_eq!(figure("clearing_no_rd_cleared")["value"], "1", "{b}");
    assert_eq!(figure("clearing_no_institution")["value"], "2", "{b}");
    for id in ["titled_srdi", "titled_giant", "candidates_srdi"] {
        let f = figure(id);
        let list = f["list"]
            .as_str()
            .unwrap_or_default()
            .replace("/enterprises?", "/api/v1/enterprises?");
        let total =
            json(&send(&w, json_req("GET", &list, Some(&token), None)).await)["total"].clone();
        assert_eq!(
            f["value"].as_str().map(str::to_owned),
            Some(total.to_string()),
            "{id}: {list}"
        );
    }
    let page = send(&w, get("/monitoring/bulletin?year=2019", Some(&city))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("本年度尚无专项资金申报通知"),
        "{}",
        page.body
    );
    // The clearings' chart, drawn on the server: a bar per figure, 2 listed (full length) and 1
    // cleared (half).
    let chart = page
        .body
        .split("id=\"clearings\"")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .unwrap_or_default();
    assert_eq!(chart.matches("<rect").count(), 4, "{chart}");
    assert!(
        chart.contains("width=\"360\"") && chart.contains("width=\"180\""),
        "{chart}"
    );
    // The workbook: a sheet per section, the figures read back as the API gives them.
    let wb = send(&w, get("/monitoring/bulletin.xlsx?year=2019", Some(&city))).await;
    assert_eq!(wb.status, StatusCode::OK);
    let bytes = wb.bytes.clone();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{e}"));
    use calamine::Reader as _;
    let names = book.sheet_names();
    assert_eq!(names.len(), 9, "{names:?}");
    let mut found = std::collections::HashMap::new();
    for n in names {
        let range = book.worksheet_range(&n).unwrap_or_else(|e| panic!("{e}"));
        for row in range.rows().skip(2) {
            found.insert(row[0].to_string(), row[1].to_string());
        }
    }
    // Rows named by what they count (the API keeps the ids).
    for (label, id) in [
        ("无研发活动企业", "clearing_no_rd"),
        ("无研发活动已销号", "clearing_no_rd_cleared"),
        ("专精特新中小企业", "titled_srdi"),
    ] {
        assert_eq!(
            found.get(label).map(String::as_str),
            figure(id)["value"].as_str(),
            "{id}"
        );
    }
    // A district's bulletin is its own; another district is absent.
    let mine = json(
        &send(
            &w,
            json_req("GET", "/api/v1/bulletin?year=2019", Some(&t), None),
        )
        .await,
    );
    assert_eq!(mine["region"], "330106");
    assert_eq!(
        send(
            &w,
            json_req(
                "GET",
                "/api/v1/bulletin?year=2019&region=330108",
                Some(&t),
                None
            )
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // 2020: firm 0 again without R&D — listed again, flagged; firm 1 now has an institution.
    for e in firms.iter_mut() {
        e.year = Some(2020);
    }
    firms[1].rd_institution = Some(RdInstitution::Provincial);
    let rows: Vec<_> = firms
        .iter()
        .map(|e| (e.clone(), zjtx_core::evaluate(e, rs, as_of)))
        .collect();
    store
        .import(&rows, None, as_of)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    send(
        &w,
        post(
            "/monitoring/clearings/snapshot",
            Some(&city),
            &format!("csrf={c}&year=2020"),
        ),
    )
    .await;
    let y20 = store.clearing_items(2020, None).await.unwrap_or_default();
    let again: Vec<(String, &str, bool)> = y20
        .iter()
        .map(|i| (i.uscc.clone(), i.list.key(), i.reentry))
        .collect();
    assert!(again.contains(&(u(0), "no_rd", true)), "{again:?}");
    assert!(!again.iter().any(|(x, _, _)| *x == u(1)), "{again:?}");
    let page = send(&w, get("/monitoring/clearings?year=2020", Some(&city))).await;
    assert!(page.body.contains("再次列入"));
    for a in [
        "clearing.snapshot",
        "clearing.action",
        "clearing.requested",
        "clearing.cleared",
    ] {
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

/// 两化 counted by hand on four firms with figures of 2019 and 2020 only.
#[tokio::test]
async fn high_tech_and_above_scale_transitions() {
    let w = world("twoways").await;
    w.state.set_today(Some(day("2026-06-15")));
    let store = w.state.store.clone();
    let as_of = day("2026-06-15");
    let sets =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&sets, as_of).unwrap_or_else(|| panic!("no set"));
    let mut firms: Vec<zjtx_core::Enterprise> =
        zjtx_core::synth::Generator::new(78, 2019).take(4).collect();
    let codes: Vec<String> = firms.iter().map(|e| e.uscc.to_string()).collect();
    // (industry, district, 2019 main revenue, 2020 main revenue, certificate)
    let plan: [(&str, &str, i64, i64, Option<&str>); 4] = [
        ("C3981", "西湖区", 1800, 2100, Some("2019-06-01")),
        ("C3981", "西湖区", 1500, 2500, Some("2020-03-01")),
        ("C2611", "滨江区", 5000, 5000, Some("2020-08-01")),
        ("I6513", "西湖区", 100, 9000, None),
    ];
    // Little giants (to mid-2022): firms 0 and 3; digital levels of 2020: 2, blank, 1, blank.
    let giant = [true, false, false, true];
    let digital = [Some(2u8), None, Some(1), None];
    for year in [2019, 2020] {
        for (e, (code, district, m19, m20, cert)) in firms.iter_mut().zip(plan) {
            let m = if year == 2019 { m19 } else { m20 };
            e.industry_code =
                zjtx_core::ids::IndustryCode::parse(code).unwrap_or_else(|e| panic!("{e:?}"));
            e.district = Some(district.into());
            e.year = Some(year);
            e.main_revenue = Some(Wan::whole(m));
            e.revenue = Some(Wan::whole(m + 100));
            e.high_tech_issued_on = cert.map(day).filter(|d| chrono::Datelike::year(d) <= year);
        }
        for (i, e) in firms.iter_mut().enumerate() {
            e.giant_until = giant[i].then(|| day("2022-06-30"));
            e.digital_level = digital[i].filter(|_| year == 2020);
        }
        let rows: Vec<_> = firms
            .iter()
            .map(|e| (e.clone(), zjtx_core::evaluate(e, rs, as_of)))
            .collect();
        store
            .import(&rows, None, as_of)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let city = login(&w, "city").await;
    let page = send(&w, get("/monitoring/two-ways?year=2020", Some(&city))).await;
    assert_eq!(page.status, StatusCode::OK);
    let total = |id: &str| {
        page.body
            .split(&format!("id=\"{id}\""))
            .nth(1)
            .and_then(|s| s.split("</td>").next())
            .map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
            .unwrap_or_default()
    };
    assert_eq!(
        (total("became-total"), total("new-total")),
        ("2".to_owned(), "2".to_owned())
    );
    let section = |id: &str| {
        page.body
            .split(&format!("id=\"{id}\""))
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    let became = section("became");
    let became = became.split("id=\"new\"").next().unwrap_or_default();
    assert!(
        became.contains(&codes[0]) && became.contains(&codes[1]) && !became.contains(&codes[2])
    );
    assert!(became.contains("共 2 家"), "the list's own count: {became}");
    let new = section("new");
    assert!(
        new.contains(&codes[1])
            && new.contains(&codes[2])
            && !new.contains(&codes[0])
            && !new.contains(&codes[3])
    );
    // Rates: of the two little giants, firm 0 holds the high-tech title (1 / 2); of the three
    // above-scale firms, two have a digital level (2 / 3).
    let rates = send(&w, get("/monitoring/rates?year=2020", Some(&city))).await;
    let line = |id: &str| {
        rates
            .body
            .split(&format!("id=\"{id}\""))
            .nth(1)
            .and_then(|s| s.split("</p>").next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("giants-rate").contains("<strong>1</strong> / 2 · 50.0%"),
        "{}",
        rates.body
    );
    // The little giant without the title (firm 3) is named, and counted by the list's pager.
    let missing = line("giants-missing");
    assert!(
        missing.contains(&codes[3]) && !missing.contains(&codes[0]),
        "{missing}"
    );
    assert!(rates.body.contains("共 1 家"), "{}", rates.body);
    assert!(
        line("digital-rate").contains("<strong>2</strong> / 3 · 66.7%"),
        "{}",
        rates.body
    );
    assert!(
        rates.body.contains(&format!("/enterprises/{}", codes[3])),
        "the giant without a certificate is named"
    );
    // The movements' totals equal the table's rows.
    let totals: usize = rates
        .body
        .split("id=\"move-totals\"")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_default()
        .split("<td>")
        .skip(1)
        .filter_map(|c| c.split('<').next()?.parse::<usize>().ok())
        .sum();
    let rows: usize = rates
        .body
        .split("上年梯度")
        .nth(1)
        .unwrap_or_default()
        .split("<tr><td>")
        .skip(1)
        .filter_map(|r| {
            r.split("<td>")
                .nth(2)?
                .split('<')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert!(
        totals <= 4 && totals == rows,
        "{totals} {rows}: {}",
        rates.body
    );

    // A district counts its own.
    let xihu = login(&w, "xihu").await;
    let page = send(&w, get("/monitoring/two-ways?year=2020", Some(&xihu))).await;
    let mine = page
        .body
        .split("id=\"new-total\"")
        .nth(1)
        .and_then(|s| s.split("</td>").next())
        .unwrap_or_default();
    assert!(mine.contains('1'), "{}", page.body);
}

/// The rule-change comparison: each tier's four groups add up to the firms in scope, and every
/// firm listed as qualifying under one set only does so when evaluated directly; each list, read
/// page by page by its own links, holds as many firms as the table counts, each once.
#[tokio::test]
async fn the_rule_change_comparison_agrees_with_the_engine() {
    let w = world("rulechange").await;
    let store = w.state.store.clone();
    let today = day("2026-06-15");
    w.state.set_today(Some(today));
    let sets =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let (old, new) = (&sets[0], &sets[1]);
    // Enough firms for a list to run over pages.
    more_firms(&w, 23, 1500, today).await;
    let city = login(&w, "city").await;
    let page = send(&w, get("/monitoring/rule-change", Some(&city))).await;
    assert_eq!(page.status, StatusCode::OK);
    let firms = store.count_enterprises().await.unwrap_or(0);
    let tiers = page
        .body
        .split("id=\"tiers\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .unwrap_or_default();
    let cells: Vec<Vec<usize>> = tiers
        .split("<tr><td>")
        .skip(1)
        .map(|r| {
            r.split("<td>")
                .skip(1)
                .filter_map(|c| c.split('<').next()?.parse::<usize>().ok())
                .collect()
        })
        .collect();
    let sums: Vec<i64> = cells
        .iter()
        .map(|r| r.iter().sum::<usize>() as i64)
        .collect();
    assert_eq!(sums, vec![firms, firms], "{tiers}");
    let per = zjtx_web::monitoring::LIST_PAGE;
    let mut paged = false;
    for (section, want_old, column) in [("old-only", true, 1), ("new-only", false, 2)] {
        let counted: usize = cells.iter().map(|r| r[column]).sum();
        let (mut path, mut seen) = ("/monitoring/rule-change".to_owned(), Vec::new());
        loop {
            let body = send(&w, get(&path, Some(&city))).await.body;
            let part = body
                .split(&format!("id=\"{section}\""))
                .nth(1)
                .and_then(|s| s.split("<h2").next())
                .unwrap_or_default();
            assert!(
                part.contains(&format!("共 {counted} 家")),
                "{section}: the total"
            );
            let rows: Vec<&str> = part
                .split("<tr><td><a href=\"/enterprises/")
                .skip(1)
                .collect();
            assert!(rows.len() <= per, "{path}");
            for row in rows {
                let uscc = row.split('"').next().unwrap_or_default();
                let giant = row.contains("小巨人");
                seen.push((uscc.to_owned(), giant));
                let years = store.years(uscc).await.unwrap_or_default();
                let e = &years.first().unwrap_or_else(|| panic!("{uscc}")).1;
                let (so, sn) = (
                    zjtx_core::evaluate(e, old, today),
                    zjtx_core::evaluate(e, new, today),
                );
                let (vo, vn) = if giant {
                    (so.giant, sn.giant)
                } else {
                    (so.srdi, sn.srdi)
                };
                let pass = zjtx_core::Verdict::Pass;
                assert_eq!(
                    (vo == pass, vn == pass),
                    (want_old, !want_old),
                    "{uscc} {section}"
                );
            }
            match part.split("rel=\"next\" href=\"").nth(1) {
                Some(rest) => {
                    let link = rest.split('"').next().unwrap_or_default();
                    path = link
                        .replace("&#38;", "&")
                        .replace("&amp;", "&")
                        .split('#')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    paged = true;
                }
                None => break,
            }
        }
        assert_eq!(
            seen.len(),
            counted,
            "{section}: every firm the table counts"
        );
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{section}: a firm and tier listed twice"
        );
    }
    assert!(paged, "no list ran over a page: the test needs more firms");
    let bad = send(&w, get("/monitoring/rule-change?new=0", Some(&city))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("页码：格式有误"), "{}", bad.body);
}

/// The bulletin's finance, future-factory and listing sections counted by hand on a year (2019)
/// no other record of the world has: events and their firms and amounts (a district's own event
/// only in its bulletin), loans granted and disbursed by their dates, the pipeline by stage, the
/// future-factory awards by tier — and every figure equal to the count, or the sum, of the list
/// it links to.
#[tokio::test]
async fn bulletin_sections_count_their_records() {
    let w = world("bulletin-sections").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let token = api_token(&w, "city").await;
    let xihu_token = api_token(&w, "xihu").await;
    // Firms A and B of 西湖区, C of another district.
    let page = store
        .list(
            &zjtx_store::Filter {
                per_page: 200,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let of = |xihu: bool| -> Vec<String> {
        page.items
            .iter()
            .filter(|e| {
                e.region_code.is_some() && (e.region_code.as_deref() == Some("330106")) == xihu
            })
            .map(|e| e.uscc.clone())
            .collect()
    };
    let (a, b, cc) = (
        of(true)[0].clone(),
        of(true)[1].clone(),
        of(false)[0].clone(),
    );

    // Events through the bureau's forms.
    let event = |title: &str, held_on: &str, region: &str| {
        let (title, held_on, region) = (title.to_owned(), held_on.to_owned(), region.to_owned());
        let (w, city, c) = (&w, city.clone(), c.clone());
        async move {
            let r = send(
                w,
                post(
                    "/finance/events",
                    Some(&city),
                    &format!("csrf={c}&title={title}&held_on={held_on}&region={region}"),
                ),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
    };
    event("春季银企对接会", "2019-04-01", "").await;
    event("西湖区科技金融路演", "2019-09-01", "330106").await;
    event("次年对接会", "2020-03-01", "").await;
    let ids: std::collections::HashMap<String, i64> = store
        .fin_events(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.title, e.id))
        .collect();
    let bank = store
        .create_institution("测试银行", "bank", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (title, who, amount) in [
        ("春季银企对接会", a.clone(), "100"),
        ("春季银企对接会", cc.clone(), "50.5"),
        ("春季银企对接会", bank.to_string(), ""),
        ("西湖区科技金融路演", a.clone(), ""),
        ("西湖区科技金融路演", b.clone(), "20"),
        ("次年对接会", a.clone(), "999"),
    ] {
        let r = send(
            &w,
            post(
                &format!("/finance/events/{}/participants", ids[title]),
                Some(&city),
                &format!("csrf={c}&who={who}&outcome=签约&amount={amount}"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }

    // Loans on the bank's dates.
    let product = listed_loan(&w, bank, "测试贷").await;
    use zjtx_store::ApplicationStatus as S;
    for (who, amount, granted, disbursed) in [
        (&a, 300, "2019-05-10", Some("2019-05-20")),
        (&cc, 200, "2019-11-01", Some("2020-01-05")),
        (&b, 700, "2020-02-01", None),
    ] {
        let units = Wan::whole(amount).units();
        let id = store
            .apply(who, product, None, units, "2019-03-01", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut steps = vec![
            (S::Applied, S::Accepted, None, None),
            (S::Accepted, S::Granted, Some(units), Some(granted)),
        ];
        if let Some(d) = disbursed {
            steps.push((S::Granted, S::Disbursed, None, Some(d)));
        }
        for (from, to, amt, on) in steps {
            store
                .application_step(id, bank, from, to, amt, on, "", None, &[])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    // The pipeline through the bureau's form: A at tutoring, C listed.
    for (who, stage) in [(&a, "tutoring"), (&cc, "ipo")] {
        let r = send(
            &w,
            post(
                "/finance/listing",
                Some(&city),
                &format!("csrf={c}&uscc={who}&stage={stage}&note="),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }

    // Future factories of 2019: A a smart factory (150), C a digital workshop (60), B only
    // recommended.
    let call = future_factory_call(&store, 2019).await;
    for (i, (who, tier, award)) in [
        (&a, "smart_factory", Some(150)),
        (&cc, "digital_workshop", Some(60)),
        (&b, "chain_leader", None),
    ]
    .into_iter()
    .enumerate()
    {
        future_factory(&store, call, who, i, tier, award, "2019-08-01").await;
    }

    let bulletin = |path: &str, token: &str| {
        let (path, token) = (path.to_owned(), token.to_owned());
        let w = &w;
        async move { json(&send(w, json_req("GET", &path, Some(&token), None)).await) }
    };
    let value = |b: &serde_json::Value, id: &str| -> String {
        b["figures"]
            .as_array()
            .and_then(|v| v.iter().find(|f| f["id"] == id))
            .and_then(|f| f["value"].as_str())
            .unwrap_or("absent")
            .to_owned()
    };
    let whole = bulletin("/api/v1/bulletin?year=2019", &token).await;
    let mine = bulletin("/api/v1/bulletin?year=2019", &xihu_token).await;
    let want = [
        ("fin_events", "2", "1"),
        ("fin_event_firms", "3", "2"),
        ("fin_event_amount", "170.5", "20"),
        ("fin_granted", "500", "300"),
        ("fin_disbursed", "300", "300"),
        ("fin_served", "2", "1"),
        ("listing_grooming", "0", "0"),
        ("listing_tutoring", "1", "1"),
        ("listing_ipo", "1", "0"),
        ("ff_awards", "2", "1"),
        ("ff_chain_leader", "0", "0"),
        ("ff_smart_factory", "1", "1"),
        ("ff_digital_workshop", "1", "0"),
        ("ff_amount", "210", "150"),
        ("fund_awards", "2", "1"),
        ("fund_amount", "210", "150"),
        ("fund_paid", "0", "0"),
    ];
    for (id, city_value, xihu_value) in want {
        assert_eq!(value(&whole, id), city_value, "city {id}: {whole}");
        assert_eq!(value(&mine, id), xihu_value, "西湖区 {id}: {mine}");
    }
    // Every figure with a list of its own equals its count or its sum.
    for (b, t) in [(&whole, &token), (&mine, &xihu_token)] {
        let mut checked = 0;
        for f in b["figures"].as_array().cloned().unwrap_or_default() {
            let list = f["list"].as_str().unwrap_or_default();
            let Some(q) = list.strip_prefix("/monitoring/bulletin/list?") else {
                continue;
            };
            let l = bulletin(&format!("/api/v1/bulletin/list?{q}"), t).await;
            let rows = l["rows"].as_array().cloned().unwrap_or_default();
            let got = if f["unit"] == "万元" {
                let sum: i64 = rows
                    .iter()
                    .filter_map(|r| r["amount_wan"].as_str())
                    .map(|a| Wan::parse(a).map(|w| w.units()).unwrap_or(i64::MIN))
                    .sum();
                Wan::from_units(sum)
                    .map(|w| w.to_string())
                    .unwrap_or_default()
            } else {
                rows.len().to_string()
            };
            let expected = Wan::parse(f["value"].as_str().unwrap_or_default())
                .map(|w| w.to_string())
                .unwrap_or_default();
            let got = Wan::parse(&got).map(|w| w.to_string()).unwrap_or_default();
            assert_eq!(got, expected, "{}: {l}", f["id"]);
            checked += 1;
        }
        assert!(checked >= 17, "{checked} lists checked");
    }
    // The list page, and a district kept to its own.
    let p = send(
        &w,
        get(
            "/monitoring/bulletin/list?year=2019&id=fin_granted",
            Some(&city),
        ),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.body.matches("<tr><td>").count(), 2, "{}", p.body);
    let xihu = login(&w, "xihu").await;
    assert_eq!(
        send(
            &w,
            get(
                "/monitoring/bulletin/list?year=2019&id=fin_granted&region=330108",
                Some(&xihu)
            )
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(
            &w,
            get(
                "/monitoring/bulletin/list?year=2019&id=nothing",
                Some(&city)
            )
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // A year without any of those records says so instead of printing zeros.
    let empty = send(&w, get("/monitoring/bulletin?year=2018", Some(&city))).await;
    for said in [
        "本年度尚无银企对接活动和授信记录",
        "本年度尚无未来工厂培育通知",
    ] {
        assert!(empty.body.contains(said), "{said}");
    }
    // The cohorts of 2019: both recipients lack a record of 2018, so none is compared.
    let cohorts = send(&w, get("/monitoring/cohorts?year=2019", Some(&city))).await;
    assert_eq!(cohorts.status, StatusCode::OK);
    assert!(
        cohorts.body.contains("2019 年获批专项资金的企业中，0 家")
            && cohorts.body.contains("2 家因缺少"),
        "{}",
        cohorts.body
    );
}

/// The projection page's claims hold: a firm said to qualify in N years passes its next tier on
/// its record carried N years ahead (and, for two years, not at one), under the rules then.
#[tokio::test]
#[allow(clippy::disallowed_methods)] // reads what the page reads, to compare with it
async fn projected_firms_qualify_at_their_own_rate() {
    let w = world("projected").await;
    let today = day("2026-06-15");
    w.state.set_today(Some(today));
    let rules = w.state.rules.clone();
    // Enough firms for the list to run over several pages.
    more_firms(&w, 21, 800, today).await;
    let mut firms = Vec::new();
    w.state
        .store
        .latest_cells(None, |f| firms.push(f.cells))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (mut seen, mut listed) = (0, std::collections::BTreeSet::new());
    for cells in &firms {
        let e = zjtx_store::enterprise_from_cells(cells).unwrap_or_else(|e| panic!("{e}"));
        let Some((tier, years, qualifies, _, missing)) =
            zjtx_web::monitoring::outlook::project_firm(&rules, &e, today)
        else {
            continue;
        };
        listed.insert(e.uscc.to_string());
        let at = |y: u32| {
            let p = zjtx_core::monitor::project(&e, y).unwrap_or_else(|| panic!("no rate"));
            let on = today
                .checked_add_months(chrono::Months::new(12 * y))
                .unwrap_or(today);
            let rs = zjtx_core::rule_set_for(&rules, on).unwrap_or_else(|| panic!("no set"));
            let s = zjtx_core::evaluate(&p, rs, on);
            if tier == "srdi" { s.srdi } else { s.giant }
        };
        if qualifies {
            seen += 1;
            assert_eq!(at(years), zjtx_core::Verdict::Pass, "{}", e.uscc);
            if years == 2 {
                assert_ne!(at(1), zjtx_core::Verdict::Pass, "{}", e.uscc);
            }
            assert!(missing.is_empty());
        } else {
            // Short of the tier by conditions it still misses, or by none but those left to
            // confirm (blank figures, an expert's judgement).
            assert!(
                !missing.is_empty() || at(years) == zjtx_core::Verdict::Review,
                "{}",
                e.uscc
            );
        }
    }
    assert!(seen > 0, "no firm of the world projected to qualify");
    let per = zjtx_web::monitoring::LIST_PAGE;
    assert!(
        listed.len() > 2 * per,
        "{} firms: too few for pages",
        listed.len()
    );
    // Every page, by its "next" link: each projected firm exactly once, those qualifying first.
    let city = login(&w, "city").await;
    let (mut path, mut pages, mut qualifying) = ("/monitoring/projected".to_owned(), 0, 0);
    let mut shown: Vec<String> = Vec::new();
    loop {
        let page = send(&w, get(&path, Some(&city))).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        pages += 1;
        let rows: Vec<&str> = page.body.split("<tr").skip(1).collect();
        let firms: Vec<&&str> = rows
            .iter()
            .filter(|r| r.contains("href=\"/enterprises/"))
            .collect();
        assert!(firms.len() <= per, "{path}: {} rows", firms.len());
        for r in &firms {
            // A condition is named once in a cell, however many of its ids it stands for.
            for cell in r.split("</td>") {
                let words: Vec<&str> = cell
                    .split("<span title=")
                    .skip(1)
                    .filter_map(|x| x.split('>').nth(1)?.split('<').next())
                    .collect();
                let unique: std::collections::BTreeSet<&&str> = words.iter().collect();
                assert_eq!(unique.len(), words.len(), "{path}: {cell}");
            }
            let q = r.starts_with(" class=\"qualifies\"");
            assert!(
                q || qualifying == seen,
                "{path}: a qualifying firm after one that does not"
            );
            qualifying += usize::from(q);
            let code = r
                .split("href=\"/enterprises/")
                .nth(1)
                .and_then(|x| x.split('"').next())
                .unwrap_or_default();
            shown.push(code.to_owned());
        }
        assert!(
            page.body.contains(&format!("共 {} 家", listed.len())),
            "{path}: the total"
        );
        match page.body.split("rel=\"next\" href=\"").nth(1) {
            Some(rest) => path = rest.split('"').next().unwrap_or_default().to_owned(),
            None => break,
        }
    }
    assert_eq!(qualifying, seen);
    assert_eq!(pages, listed.len().div_ceil(per));
    let unique: std::collections::BTreeSet<String> = shown.iter().cloned().collect();
    assert_eq!(unique.len(), shown.len(), "a firm shown twice");
    assert_eq!(unique, listed, "every projected firm once");
    // A page past the end shows the last; a page that is not a number is refused, with its name.
    let past = send(&w, get("/monitoring/projected?page=99999", Some(&city))).await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(past.body.contains("rel=\"prev\"") && !past.body.contains("rel=\"next\""));
    let bad = send(&w, get("/monitoring/projected?page=abc", Some(&city))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("页码：格式有误"), "{}", bad.body);
}

/// A future-factory call of `year` (the shipped programme moved to that year), opened by the store
/// as the city's form does.
async fn future_factory_call(store: &zjtx_store::Store, year: i32) -> i64 {
    let text = zjtx_core::programme::EMBEDDED_PROGRAMMES
        .iter()
        .map(|(_, t)| *t)
        .find(|t| t.contains("category = \"future_factory\""))
        .unwrap_or_default()
        .replace("2026", &year.to_string())
        .replace("2027-01-01", &format!("{}-01-01", year + 1));
    store
        .open_call(
            &format!("future-factory-{year}"),
            year,
            "future_factory",
            &format!("未来工厂培育奖励（{year}年度）"),
            (&format!("{year}-03-01"), &format!("{year}-06-30")),
            &text,
            &[("city".to_owned(), Wan::whole(5000).units())],
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A firm's future-factory project at `tier`, recommended, and approved at `award` (万元) on `day`
/// when one is given.
async fn future_factory(
    store: &zjtx_store::Store,
    call: i64,
    who: &str,
    i: usize,
    tier: &str,
    award: Option<i64>,
    day: &str,
) {
    let cells = zjtx_core::programme::project_cells(
        &zjtx_core::programme::FirmFacts {
            uscc: who.to_owned(),
            ..Default::default()
        },
        &zjtx_core::programme::ProjectFacts {
            name: format!("工厂{i}"),
            category: Some("future_factory".into()),
            tier: Some(tier.into()),
            ..Default::default()
        },
    );
    let id = store
        .apply_fund(
            call,
            who,
            &format!("WF-{call}-{i}"),
            &format!("工厂{i}"),
            &cells,
            "",
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    use zjtx_core::workflow::fund::Status as F;
    store
        .fund_step(
            id,
            F::Submitted,
            F::Recommended,
            "",
            "fund.review.recommended",
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(amount) = award {
        let app = store
            .fund_application(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("gone"));
        let u = Wan::whole(amount).units();
        store
            .approve_fund(&app, (u, u, 0), "{}", day, None, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The rates page's future factories among titled firms (issue 14): of the firms holding the SRDI
/// or little-giant title at the end of 2025, those with a future-factory award decided by then —
/// one titled firm awarded, one untitled firm awarded (not counted), one titled firm awarded only
/// after the year (not counted).
#[tokio::test]
async fn titled_firms_among_the_future_factories() {
    let w = world("rates-factories").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    let holders = |tier: &'static str| {
        let store = store.clone();
        async move {
            store
                .title_holders_on(tier, "2025-12-31", "2028-12-31")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let mut titled = holders("srdi").await;
    titled.extend(holders("giant").await);
    titled.sort();
    titled.dedup();
    assert!(
        titled.len() >= 2,
        "the world needs two titled firms: {titled:?}"
    );
    let untitled = store
        .list(
            &zjtx_store::Filter {
                per_page: 200,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .items
        .into_iter()
        .map(|e| e.uscc)
        .find(|u| !titled.contains(u))
        .unwrap_or_else(|| panic!("an untitled firm"));
    let call = future_factory_call(&store, 2025).await;
    future_factory(
        &store,
        call,
        &titled[0],
        0,
        "smart_factory",
        Some(100),
        "2025-08-01",
    )
    .await;
    future_factory(
        &store,
        call,
        &untitled,
        1,
        "digital_workshop",
        Some(50),
        "2025-08-01",
    )
    .await;
    future_factory(
        &store,
        call,
        &titled[1],
        2,
        "digital_workshop",
        Some(50),
        "2026-02-01",
    )
    .await;
    let city = login(&w, "city").await;
    let page = send(&w, get("/monitoring/rates?year=2025", Some(&city))).await;
    assert_eq!(page.status, StatusCode::OK);
    let rate = page
        .body
        .split("id=\"factories-rate\"")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or_default();
    assert!(
        rate.contains(&format!("<strong>1</strong> / {}", titled.len())),
        "{rate}"
    );
}

/// Pages computed from the whole register run one at a time per instance: while one runs, another
/// waits, then is told in the reader's language that the system is busy (503, with when to
/// retry), and pages of any other kind are served meanwhile; once it is done the next is served,
/// in the reader's language although it ran on a thread of its own.
#[tokio::test]
async fn whole_register_pages_run_one_at_a_time_and_never_hold_up_the_rest() {
    let mut w = world("whole-gate").await;
    w.state.whole = zjtx_web::whole::Gate::waiting(std::time::Duration::from_millis(200));
    let city = login(&w, "city").await;
    let english = format!("{city}; zjtx_lang=en");
    let held = w.state.whole.occupy().await;
    assert!(held.is_some());
    // (The records behind one bulletin figure are not computed from every firm: served
    // meanwhile, below.)
    for page in zjtx_web::whole::ROUTES
        .iter()
        .filter(|p| !p.starts_with("/api/") && !p.ends_with("/list"))
    {
        let r = send(&w, get(page, Some(&city))).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
        assert!(
            r.body.contains("另一项全市统计正在计算"),
            "{page}: {}",
            r.body
        );
    }
    let r = send(&w, get("/monitoring/two-ways", Some(&english))).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("Another figure computed"), "{}", r.body);
    // Other pages meanwhile.
    assert_ne!(
        send(
            &w,
            get("/monitoring/bulletin/list?id=fund_paid", Some(&city))
        )
        .await
        .status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    for page in ["/enterprises", "/monitoring/clearings"] {
        assert_eq!(
            send(&w, get(page, Some(&city))).await.status,
            StatusCode::OK,
            "{page}"
        );
    }
    drop(held);
    let r = send(&w, get("/monitoring/two-ways", Some(&english))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("High-tech firms becoming above-scale"),
        "{}",
        r.body
    );
    let r = send(&w, get("/monitoring/bulletin", Some(&city))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A whole-register computation stops when its client goes away and gives back its place at
/// once, instead of running on for a page nobody will read.
#[tokio::test]
async fn a_whole_register_page_stops_when_its_client_leaves() {
    use tower::ServiceExt;
    let mut w = world("whole-leave").await;
    let today = day("2026-06-15");
    w.state.set_today(Some(today));
    more_firms(&w, 31, 6000, today).await;
    let city = login(&w, "city").await;
    // How long the page takes when its client stays.
    let started = std::time::Instant::now();
    let full = send(&w, get("/monitoring/rule-change", Some(&city))).await;
    assert_eq!(full.status, StatusCode::OK);
    let full = started.elapsed();
    // Another request waits a fifth of that: it gets the place only if the one it waits for
    // stops when its client leaves, a fifth of the way in.
    let wait = full / 5;
    w.state.whole = zjtx_web::whole::Gate::waiting(wait);
    let leaving = tokio::spawn(
        zjtx_web::router(w.state.clone()).oneshot(get("/monitoring/rule-change", Some(&city))),
    );
    tokio::time::sleep(wait).await;
    assert!(
        !leaving.is_finished(),
        "ended before its client could leave"
    );
    leaving.abort();
    let after = send(&w, get("/monitoring/two-ways", Some(&city))).await;
    assert_eq!(after.status, StatusCode::OK, "{full:?}: {}", after.body);
}

/// What a whole-register page computed is kept: looking at it again or at another of its pages
/// computes nothing, and is served at once even while another computation holds the gate. Any
/// change of the firms' data — an earlier year's figures alone, a chain tag, a title, whoever
/// writes it — makes the next view compute again, and it then shows what a fresh computation
/// shows. The dashboard's counts likewise.
#[tokio::test]
async fn a_whole_register_page_is_kept_until_the_firms_data_changes() {
    let mut w = world("whole-kept").await;
    let today = day("2026-06-15");
    w.state.set_today(Some(today));
    more_firms(&w, 41, 400, today).await;
    let city = login(&w, "city").await;
    let pages = [
        "/monitoring/rule-change",
        "/monitoring/two-ways?year=2025",
        "/monitoring/rates?year=2025",
        "/monitoring/projected",
        "/monitoring/cohorts?year=2025",
        // Its 两化 figures are two-ways' of 2024: computed here, and kept for two-ways.
        "/monitoring/bulletin?year=2024",
    ];
    for page in pages {
        let before = w.state.whole.computations();
        let r = send(&w, get(page, Some(&city))).await;
        assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
        assert!(w.state.whole.computations() > before, "{page}");
    }
    let made = w.state.whole.computations();
    for page in pages.iter().chain(&[
        "/monitoring/rule-change?old=2&new=1&held=1",
        "/monitoring/projected?page=2",
        "/monitoring/two-ways?year=2025&became=2&new=1",
    ]) {
        let r = send(&w, get(page, Some(&city))).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
    }
    assert_eq!(w.state.whole.computations(), made, "seen again");
    let held = w.state.whole.occupy().await;
    for page in pages {
        let r = send(&w, get(page, Some(&city))).await;
        assert_eq!(r.status, StatusCode::OK, "{page} while the gate is held");
    }
    drop(held);
    assert_eq!(w.state.whole.computations(), made);

    // Viewed, then viewed again without computing: kept as the store stands.
    async fn kept_now(w: &World, page: &str, city: &str) {
        send(w, get(page, Some(city))).await;
        let before = w.state.whole.computations();
        send(w, get(page, Some(city))).await;
        assert_eq!(w.state.whole.computations(), before, "{page}");
    }
    // The page as the kept computation gives it must be the page a fresh one gives.
    async fn kept_is_fresh(w: &mut World, page: &str, city: &str) {
        let before = w.state.whole.computations();
        let kept = send(w, get(page, Some(city))).await;
        assert_eq!(
            w.state.whole.computations(),
            before + 1,
            "{page}: not computed again after a change"
        );
        let gate = std::mem::take(&mut w.state.whole);
        let fresh = send(w, get(page, Some(city))).await;
        w.state.whole = gate;
        assert_eq!(kept.status, StatusCode::OK, "{page}");
        // The page's content (the header's forms carry a token of their own each time).
        let content = |b: &str| {
            b.split_once("<main")
                .map(|(_, m)| m.to_owned())
                .unwrap_or_default()
        };
        let (kept, fresh) = (content(&kept.body), content(&fresh.body));
        assert!(kept.len() > 100, "{page}: {kept}");
        if kept != fresh {
            let at = kept
                .bytes()
                .zip(fresh.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let near = |s: &str| {
                s.get(at.saturating_sub(200)..(at + 200).min(s.len()))
                    .unwrap_or_default()
                    .to_owned()
            };
            panic!(
                "{page}: kept and fresh differ:\n{}\n---\n{}",
                near(&kept),
                near(&fresh)
            );
        }
    }
    let rs = zjtx_core::rule_set_for(&w.state.rules, today).unwrap_or_else(|| panic!("no set"));
    // An earlier year's figures of a firm without titles: only its year row is written.
    kept_now(&w, "/monitoring/two-ways?year=2025", &city).await;
    let mut e = zjtx_core::synth::Generator::new(41, 2025)
        .take(400)
        .find(|e| {
            [
                e.innovative_until,
                e.tech_sme_until,
                e.srdi_until,
                e.giant_until,
            ]
            .iter()
            .all(Option::is_none)
        })
        .unwrap_or_else(|| panic!("every firm holds a title"));
    e.year = Some(2024);
    e.main_revenue = Some(Wan::whole(1));
    let s = zjtx_core::evaluate(&e, rs, today);
    w.state
        .store
        .import(&[(e.clone(), s)], None, today)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    kept_is_fresh(&mut w, "/monitoring/two-ways?year=2025", &city).await;
    // A chain tag.
    kept_now(&w, "/monitoring/rule-change", &city).await;
    let chain = w
        .state
        .store
        .chains()
        .await
        .unwrap_or_else(|e| panic!("{e}"))[0]
        .name
        .clone();
    w.state
        .store
        .set_chains(&[(e.uscc.to_string(), vec![chain])], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    kept_is_fresh(&mut w, "/monitoring/rule-change", &city).await;
    // A title, changed by a statement of its own.
    kept_now(&w, "/monitoring/rates?year=2025", &city).await;
    kept_now(&w, "/dashboard", &city).await;
    sql(
        &w.state.store,
        "UPDATE titles SET valid_until = '2027-12-31' WHERE tier = 'giant'",
    )
    .await;
    kept_is_fresh(&mut w, "/monitoring/rates?year=2025", &city).await;
    // The dashboard's counts are kept the same way (made without the gate).
    kept_is_fresh(&mut w, "/dashboard", &city).await;
    // The day turning.
    kept_now(&w, "/monitoring/projected", &city).await;
    w.state.set_today(Some(day("2026-06-16")));
    kept_is_fresh(&mut w, "/monitoring/projected", &city).await;
}
