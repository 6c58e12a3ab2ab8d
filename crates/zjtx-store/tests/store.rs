//! The storage suite: every test runs on SQLite (a fresh file), and also on PostgreSQL when
//! `ZJTX_TEST_DATABASE_URL` names a server (each test in a database of its own, dropped after).

use chrono::NaiveDate;
use zjtx_core::rules::{Embedded, RuleSet, load_all};
use zjtx_core::synth::Generator;
use zjtx_core::{Enterprise, Summary, rule_set_for};
use zjtx_store::{ApplicationStatus, Db, Filter, NewUser, Role, Scope, Store, StoreError};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

fn sets() -> Vec<RuleSet> {
    load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"))
}

fn evaluated(rows: Vec<Enterprise>) -> Vec<(Enterprise, Summary)> {
    let sets = sets();
    let rs = rule_set_for(&sets, as_of()).unwrap_or_else(|| panic!("no set"));
    rows.into_iter()
        .map(|e| {
            let s = zjtx_core::evaluate(&e, rs, as_of());
            (e, s)
        })
        .collect()
}

/// A fresh database on each available backend: its URL.
async fn urls(name: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("zjtx-store-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut out = vec![format!("sqlite://{}", dir.join("t.db").display())];
    match std::env::var("ZJTX_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let db = format!("zjtx_t_{}_{}", std::process::id(), name.replace('-', "_"));
            let admin = Store::connect(&base)
                .await
                .unwrap_or_else(|e| panic!("{base}: {e}"));
            if let Db::Postgres(p) = admin.db() {
                let drop = format!("DROP DATABASE IF EXISTS {db}");
                sqlx::query(sqlx::AssertSqlSafe(drop.as_str()))
                    .execute(p)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let create = format!("CREATE DATABASE {db}");
                sqlx::query(sqlx::AssertSqlSafe(create.as_str()))
                    .execute(p)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            match base.rfind('/') {
                Some(i) => out.push(format!("{}/{db}", &base[..i])),
                None => panic!("ZJTX_TEST_DATABASE_URL needs a database path"),
            }
        }
        _ => {}
    }
    out
}

/// A fresh, migrated store on each available backend.
async fn stores(name: &str) -> Vec<Store> {
    let mut out = Vec::new();
    for url in urls(name).await {
        out.push(
            Store::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}")),
        );
    }
    for s in &out {
        s.migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", s.backend()));
        s.migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrations must be idempotent: {e}", s.backend()));
        s.seed_reference().await.unwrap_or_else(|e| panic!("{e}"));
        s.seed_reference().await.unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

/// A staff account of an institution (not linked to it).
async fn staff(s: &Store, name: &str) -> i64 {
    s.add_user(&zjtx_store::NewUser {
        username: name.into(),
        password_hash: "x".into(),
        role: zjtx_store::Role::Institution,
        region_code: None,
        uscc: None,
    })
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A credit loan of institution `bank`, open to every firm.
fn loan(bank: i64) -> zjtx_store::NewProduct {
    zjtx_store::NewProduct {
        institution_id: bank,
        name: "贷".into(),
        kind: "loan".into(),
        min_amount: 1,
        max_amount: 10_000_000,
        term_min: 1,
        term_max: 36,
        rate_kind: "lpr".into(),
        rate_bp: 30,
        collateral: "credit".into(),
        repayment: String::new(),
        channel: String::new(),
        eligibility: "{}".into(),
    }
}

fn city(n: usize) -> Vec<Enterprise> {
    Generator::new(3, 2025).take(n).collect()
}

#[tokio::test]
async fn regions_form_a_hierarchy_and_scope_follows_it() {
    for s in stores("regions").await {
        let city = s.region_and_below("330100").await.unwrap_or_default();
        assert_eq!(city.len(), 14, "{}", s.backend());
        assert_eq!(
            s.region_and_below("330000").await.unwrap_or_default().len(),
            15
        );
        assert_eq!(
            s.region_and_below("330106").await.unwrap_or_default(),
            vec!["330106".to_owned()]
        );
    }
}

#[tokio::test]
async fn imported_enterprises_are_listed_filtered_and_paged_without_gaps() {
    for s in stores("list").await {
        let b = s.backend();
        let rows = evaluated(city(300));
        let sum = s
            .import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(sum.enterprises, 300);
        let all = s
            .list(
                &Filter {
                    per_page: 1000,
                    ..Filter::default()
                },
                &Scope::all(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.total, 300, "{b}");
        assert_eq!(s.count_enterprises().await.unwrap_or_default(), 300, "{b}");
        // Keyset paging visits every row once, in order.
        let mut seen = Vec::new();
        let mut f = Filter {
            per_page: 37,
            ..Filter::default()
        };
        loop {
            let page = s
                .list(&f, &Scope::all())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            seen.extend(page.items.iter().map(|e| e.uscc.clone()));
            match page.next {
                Some(n) => f.after = Some(n),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!((seen.len(), sorted.len()), (300, 300), "{b}");
        // Filters agree with the evaluations computed before import.
        let giants = rows
            .iter()
            .filter(|(_, s)| s.top_tier == zjtx_core::TopTier::Giant)
            .count() as i64;
        let f = Filter {
            top_tier: Some("giant".into()),
            ..Filter::default()
        };
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            giants,
            "{b}"
        );
        let xihu = rows
            .iter()
            .filter(|(e, _)| e.district.as_deref() == Some("西湖区"))
            .count() as i64;
        let f = Filter {
            region: Some("330106".into()),
            ..Filter::default()
        };
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            xihu,
            "{b}"
        );
        // A district's scope sees only its enterprises.
        let scope = Scope {
            regions: Some(vec!["330106".into()]),
            uscc: None,
        };
        assert_eq!(
            s.list(&Filter::default(), &scope)
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            xihu,
            "{b}"
        );
        assert_eq!(
            s.list(&Filter::default(), &Scope::none())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            0,
            "{b}"
        );
    }
}

/// A list of a title's holders — read from the tier's titles in code order — holds exactly the
/// firms whose title of that tier is in force, in code order, paged without gaps; within a
/// district, with another condition, and beside a chain as well.
#[tokio::test]
async fn a_titles_list_holds_exactly_its_holders() {
    for s in stores("titles-list").await {
        let b = s.backend();
        let rows = evaluated(city(300));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let chain = s.chains().await.unwrap_or_else(|e| panic!("{e}"))[0]
            .name
            .clone();
        let tagged: Vec<(String, Vec<String>)> = rows
            .iter()
            .step_by(2)
            .map(|(e, _)| (e.uscc.to_string(), vec![chain.clone()]))
            .collect();
        s.set_chains(&tagged, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let xihu = Scope {
            regions: Some(vec!["330106".into()]),
            uscc: None,
        };
        for (tier, until) in [
            (
                "innovative",
                (|e: &Enterprise| e.innovative_until) as fn(&Enterprise) -> _,
            ),
            ("tech_sme", |e: &Enterprise| e.tech_sme_until),
            ("srdi", |e: &Enterprise| e.srdi_until),
            ("giant", |e: &Enterprise| e.giant_until),
        ] {
            for (scope, revenue_min, by_chain) in [
                (Scope::all(), None, false),
                (xihu.clone(), None, false),
                (Scope::all(), Some(10_000_000_i64), false),
                (Scope::all(), None, true),
            ] {
                let mut want: Vec<String> = rows
                    .iter()
                    .map(|(e, _)| e)
                    .filter(|e| until(e).is_some_and(|d| d >= as_of()))
                    .filter(|e| scope.regions.is_none() || e.district.as_deref() == Some("西湖区"))
                    .filter(|e| {
                        revenue_min.is_none_or(|m| e.revenue.is_some_and(|r| r.units() >= m))
                    })
                    .filter(|e| !by_chain || tagged.iter().any(|(u, _)| *u == e.uscc.to_string()))
                    .map(|e| e.uscc.to_string())
                    .collect();
                want.sort();
                let mut f = Filter {
                    title: Some(tier.into()),
                    revenue_min,
                    chain: by_chain.then(|| chain.clone()),
                    today: as_of(),
                    per_page: 7,
                    ..Filter::default()
                };
                let mut seen = Vec::new();
                loop {
                    let page = s
                        .list(&f, &scope)
                        .await
                        .unwrap_or_else(|e| panic!("{b}: {e}"));
                    assert_eq!(page.total, want.len() as i64, "{b} {tier}");
                    seen.extend(page.items.iter().map(|e| e.uscc.clone()));
                    match page.next {
                        Some(n) => f.after = Some(n),
                        None => break,
                    }
                }
                assert_eq!(seen, want, "{b} {tier} {revenue_min:?} {by_chain}");
                let unfiltered = scope.regions.is_none() && revenue_min.is_none() && !by_chain;
                assert!(
                    !want.is_empty() || !unfiltered || tier == "giant",
                    "{b} {tier}: no holders to list"
                );
            }
        }
    }
}

/// Keyset paging both ways (issue 15): walking forward page by page and back again from the last
/// page gives the same pages; the first page has no previous page and the last no next one.
/// Every page of `f` from the first on: the codes in order, and each page's total.
async fn walk_forward(s: &Store, f: &Filter) -> (Vec<String>, Vec<i64>) {
    let (mut codes, mut totals, mut after) = (Vec::new(), Vec::new(), None);
    for _ in 0..20 {
        let p = s
            .list(&Filter { after, ..f.clone() }, &Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        codes.extend(p.items.iter().map(|e| e.uscc.clone()));
        totals.push(p.total);
        after = p.next;
        if after.is_none() {
            break;
        }
    }
    (codes, totals)
}

/// Every page of `f` going back from the cursor `before` (of the firm `at`, which ends the
/// list): the codes in order, `at` included.
async fn walk_back(s: &Store, f: &Filter, before: String, at: String) -> Vec<String> {
    let (mut codes, mut before) = (vec![at], Some(before));
    for _ in 0..20 {
        let p = s
            .list(
                &Filter {
                    before,
                    ..f.clone()
                },
                &Scope::all(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut page: Vec<String> = p.items.iter().map(|e| e.uscc.clone()).collect();
        page.extend(codes);
        codes = page;
        before = p.prev;
        if before.is_none() {
            break;
        }
    }
    codes
}

#[tokio::test]
async fn lists_page_forward_and_back() {
    for s in stores("paging").await {
        s.import(&evaluated(city(20)), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let page = |after: Option<String>, before: Option<String>| {
            let f = Filter {
                per_page: 6,
                after,
                before,
                ..Filter::default()
            };
            let s = s.clone();
            async move {
                s.list(&f, &Scope::all())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let codes = |p: &zjtx_store::ListPage| -> Vec<String> {
            p.items.iter().map(|e| e.uscc.clone()).collect()
        };
        let mut forward = Vec::new();
        let mut p = page(None, None).await;
        assert!(p.prev.is_none(), "{}", s.backend());
        loop {
            forward.push(codes(&p));
            match p.next.clone() {
                Some(n) => p = page(Some(n), None).await,
                None => break,
            }
        }
        assert_eq!(
            forward.iter().map(Vec::len).collect::<Vec<_>>(),
            [6, 6, 6, 2],
            "{}",
            s.backend()
        );
        let mut backward = vec![codes(&p)];
        while let Some(b) = p.prev.clone() {
            p = page(None, Some(b)).await;
            backward.push(codes(&p));
        }
        backward.reverse();
        assert_eq!(backward, forward, "{}", s.backend());
        assert!(p.next.is_some(), "{}", s.backend());
    }
}

/// Searches cannot starve the other requests (issue 15): with their whole share of the pool
/// taken, a search is turned away as busy while a plain list and an enterprise read go on.
#[tokio::test]
async fn searches_have_a_bounded_share_of_the_pool() {
    for s in stores("search-share").await {
        let rows = city(20);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let share = s.expensive_share();
        let held = share
            .clone()
            .acquire_many_owned(u32::try_from(share.available_permits()).unwrap_or(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let search = Filter {
            q: Some("有限".into()),
            ..Filter::default()
        };
        match s.list(&search, &Scope::all()).await {
            Err(zjtx_store::StoreError::Busy(_)) => {}
            other => panic!("{}: {other:?}", s.backend()),
        }
        let plain = s
            .list(&Filter::default(), &Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain.total, 20, "{}", s.backend());
        assert!(
            s.enterprise(rows[3].uscc.as_str())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_some()
        );
        drop(held);
        assert!(
            s.list(&search, &Scope::all()).await.is_ok(),
            "{}",
            s.backend()
        );
    }
}

/// The first page of a search of the whole register.
async fn searched(s: &Store, q: &str) -> zjtx_store::ListPage {
    let f = Filter {
        q: Some(q.into()),
        ..Filter::default()
    };
    s.list(&f, &Scope::all())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A long query's page counts its matches only past the lists' cap, and says so ("2000+"); the
/// first page is still the first in rank order; a single pair counts exactly however many.
#[tokio::test]
async fn a_long_querys_total_is_capped_as_a_lists_is() {
    for s in stores("search-capped").await {
        let mut rows = city(2_100);
        for (i, r) in rows.iter_mut().enumerate() {
            r.name = format!("杭州普通制造有限公司{i}");
            r.main_products = Some("伺服电机".into());
        }
        rows[1_500].name = "伺服电机厂".into();
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let b = s.backend();
        let long = searched(&s, "伺服电机").await;
        assert_eq!(
            (long.total, long.total_capped),
            (zjtx_store::COUNT_CAP, true),
            "{b}"
        );
        assert_eq!(
            long.items.first().map(|e| e.uscc.clone()),
            Some(rows[1_500].uscc.to_string()),
            "{b}: the name starting with the query first"
        );
        let pair = searched(&s, "伺服").await;
        assert_eq!((pair.total, pair.total_capped), (2_100, false), "{b}");
    }
}

/// The search index ranks and pages (issue 15): names starting with the query first, then names
/// containing it, then firms whose products alone match, each rank in code order; pages walk
/// across ranks without repeating or losing a firm; one character works; a query combines with
/// the other filters; an older year's file leaves the index as the newer year had it.
#[tokio::test]
async fn search_ranks_pages_and_combines() {
    for s in stores("search-rank").await {
        let mut rows = city(40);
        for r in rows.iter_mut() {
            r.name = format!("杭州普通制造有限公司{}", &r.uscc.as_str()[10..]);
            r.main_products = Some("通用零件".into());
        }
        // Names starting with 光电 (2), containing it (3), products only (2).
        for (i, name) in [(5, "光电仪器有限公司"), (30, "光电科技股份有限公司")] {
            rows[i].name = name.into();
        }
        for (i, name) in [
            (2, "杭州光电有限公司"),
            (17, "西湖光电研究院"),
            (25, "富阳光电厂"),
        ] {
            rows[i].name = name.into();
        }
        for i in [8, 21] {
            rows[i].main_products = Some("光电传感器".into());
        }
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let page = |q: &str, per_page: u32, after: Option<String>| {
            let f = Filter {
                q: Some(q.into()),
                per_page,
                after,
                ..Filter::default()
            };
            let s = s.clone();
            async move {
                s.list(&f, &Scope::all())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let code = |i: usize| rows[i].uscc.to_string();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let want: Vec<String> = [
            sorted(vec![code(5), code(30)]),
            sorted(vec![code(2), code(17), code(25)]),
            sorted(vec![code(8), code(21)]),
        ]
        .concat();
        let all = page("光电", 50, None).await;
        assert_eq!(all.total, 7, "{}", s.backend());
        let got: Vec<String> = all.items.iter().map(|e| e.uscc.clone()).collect();
        assert_eq!(got, want, "{}", s.backend());
        // Pages of 2: the same order, each firm once.
        let mut walked = Vec::new();
        let mut after = None;
        for _ in 0..10 {
            let p = page("光电", 2, after.clone()).await;
            walked.extend(p.items.iter().map(|e| e.uscc.clone()));
            after = p.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(walked, want, "{}", s.backend());
        // One character; a character and a pair apart; a run longer than two confirmed whole.
        assert_eq!(page("研", 50, None).await.total, 1, "{}", s.backend());
        assert_eq!(
            page("富阳 光电", 50, None).await.total,
            1,
            "{}",
            s.backend()
        );
        assert_eq!(
            page("光电传感器", 50, None).await.total,
            2,
            "{}",
            s.backend()
        );
        assert_eq!(page("电传感光", 50, None).await.total, 0, "{}", s.backend());
        assert_eq!(page("（）", 50, None).await.total, 0, "{}", s.backend());
        // With another filter: the district of one of them.
        let region = s
            .enterprise(&code(17))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .and_then(|r| r.region_code)
            .unwrap_or_default();
        let f = Filter {
            q: Some("光电".into()),
            region: Some(region.clone()),
            ..Filter::default()
        };
        let within = s
            .list(&f, &Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(within.items.iter().any(|e| e.uscc == code(17)));
        assert!(
            within
                .items
                .iter()
                .all(|e| e.region_code.as_deref() == Some(region.as_str()))
        );
        // An older year's file does not replace the newer name, nor what finds it.
        let mut old = rows[17].clone();
        old.year = old.year.map(|y| y - 3);
        old.name = "旧名称公司".into();
        s.import(&evaluated(vec![old]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page("旧名", 50, None).await.total, 0, "{}", s.backend());
        assert_eq!(page("光电", 50, None).await.total, 7, "{}", s.backend());
        // Pages back from the last: the same firms in the same order.
        let end = want.last().cloned().unwrap_or_default();
        let last = page("光电", 2, Some(format!("2:{end}"))).await;
        assert!(
            last.items.is_empty() && last.next.is_none(),
            "{}",
            s.backend()
        );
        let searched = Filter {
            q: Some("光电".into()),
            per_page: 2,
            ..Filter::default()
        };
        let back = walk_back(&s, &searched, format!("2:{end}"), end.clone()).await;
        assert_eq!(back, want, "{}", s.backend());
        // With a condition the database decides (a revenue range), both ways alike: the same
        // firms as the index finds, less those without a revenue.
        let with_revenue: Vec<String> = want
            .iter()
            .filter(|c| {
                rows.iter()
                    .any(|r| r.uscc.as_str() == c.as_str() && r.revenue.is_some())
            })
            .cloned()
            .collect();
        let ranged = Filter {
            revenue_max: Some(i64::MAX),
            ..searched
        };
        let (forward, totals) = walk_forward(&s, &ranged).await;
        assert!(
            totals.iter().all(|t| *t as usize == with_revenue.len()),
            "{}",
            s.backend()
        );
        assert_eq!(forward, with_revenue, "{}", s.backend());
        // The cursor of the last: its rank is its place in `want` (two, three, then two firms).
        let last = forward.last().cloned().unwrap_or_default();
        let rank = match want.iter().position(|c| *c == last) {
            Some(0 | 1) => 0,
            Some(2..=4) => 1,
            _ => 2,
        };
        let backward = walk_back(&s, &ranged, format!("{rank}:{last}"), last).await;
        assert_eq!(backward, with_revenue, "{}", s.backend());
    }
}

/// The counts every import and move keeps (issue 15, item 4) are the register's own: after new
/// firms, re-imports that change a firm's size, tier or district, an older year's file that
/// changes nothing, and moves, they equal a count of the rows; a list filtered by district, tier,
/// size and ecosystem says its exact total, beyond the cap of other lists; the dashboard agrees.
#[tokio::test]
async fn counts_follow_every_import_and_move() {
    for s in stores("counts").await {
        let b = s.backend();
        let mut rows = city(2_100);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut changed = Vec::new();
        for (i, r) in rows.iter_mut().enumerate() {
            if i % 3 == 0 {
                r.employees = Some(5);
                changed.push(r.clone());
            } else if i % 7 == 0 {
                r.district = Some(
                    if r.district.as_deref() == Some("西湖区") {
                        "滨江区"
                    } else {
                        "西湖区"
                    }
                    .into(),
                );
                changed.push(r.clone());
            }
        }
        s.import(&evaluated(changed), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut old = rows[10].clone();
        old.year = old.year.map(|y| y - 3);
        old.employees = Some(900);
        old.district = Some("淳安县".into());
        s.import(&evaluated(vec![old]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for r in rows.iter().skip(1).step_by(50) {
            s.move_enterprise(r.uscc.as_str(), "330127", None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        type Cell = (String, String, String, String, i64);
        let by_rows = "SELECT COALESCE(region_code, '') AS a, top_tier AS b, size AS c, COALESCE(ecosystem, '') AS d, \
             COUNT(*) AS n FROM enterprises GROUP BY COALESCE(region_code, ''), top_tier, size, COALESCE(ecosystem, '') \
             ORDER BY 1, 2, 3, 4";
        let kept = "SELECT region_code AS a, top_tier AS b, size AS c, ecosystem AS d, n FROM enterprise_counts \
             WHERE n <> 0 ORDER BY 1, 2, 3, 4";
        let cells = |q: &'static str| {
            let s = s.clone();
            async move {
                macro_rules! read {
                    ($p:expr) => {
                        sqlx::query(q)
                            .fetch_all($p)
                            .await
                            .unwrap_or_else(|e| panic!("{e}"))
                            .iter()
                            .map(|r| {
                                use sqlx::Row;
                                (r.get("a"), r.get("b"), r.get("c"), r.get("d"), r.get("n"))
                            })
                            .collect::<Vec<Cell>>()
                    };
                }
                match s.db() {
                    Db::Sqlite(p) => read!(p),
                    Db::Postgres(p) => read!(p),
                }
            }
        };
        let want = cells(by_rows).await;
        assert!(want.len() > 20, "{b}: {}", want.len());
        assert_eq!(cells(kept).await, want, "{b}");
        // Lists by these filters: the exact total, whatever its size; the dashboard's the same.
        let all = s
            .list(&Filter::default(), &Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((all.total, all.total_capped), (2_100, false), "{b}");
        let dash = s
            .dashboard(&Scope::all(), as_of(), 6)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (region, tier, size) in [
            (Some("330106"), None, None),
            (None, Some("none"), None),
            (Some("330127"), Some("none"), Some("micro")),
            (None, None, Some("micro")),
        ] {
            let f = Filter {
                region: region.map(str::to_owned),
                top_tier: tier.map(str::to_owned),
                size: size.map(str::to_owned),
                ..Filter::default()
            };
            let page = s
                .list(&f, &Scope::all())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let rows_say: i64 = want
                .iter()
                .filter(|c| {
                    region.is_none_or(|r| c.0 == r)
                        && tier.is_none_or(|t| c.1 == t)
                        && size.is_none_or(|z| c.2 == z)
                })
                .map(|c| c.4)
                .sum();
            assert_eq!(
                (page.total, page.total_capped),
                (rows_say, false),
                "{b}: {f:?}"
            );
            if size.is_none() {
                let dash_says: i64 = dash
                    .by_region
                    .iter()
                    .filter(|c| {
                        region.is_none_or(|r| c.key.as_deref() == Some(r))
                            && tier.is_none_or(|t| c.tier == t)
                    })
                    .map(|c| c.n)
                    .sum();
                assert_eq!(dash_says, rows_say, "{b}: {f:?}");
            }
        }
        // A district's scope counts its own.
        let xihu = Scope {
            regions: Some(vec!["330106".into()]),
            uscc: None,
        };
        let mine = s
            .list(&Filter::default(), &xihu)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rows_say: i64 = want.iter().filter(|c| c.0 == "330106").map(|c| c.4).sum();
        assert_eq!(mine.total, rows_say, "{b}");
        // Another filter: counted up to the cap, and said to be.
        let f = Filter {
            revenue_min: Some(0),
            ..Filter::default()
        };
        let capped = s
            .list(&f, &Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let with_revenue = rows.iter().filter(|r| r.revenue.is_some()).count() as i64;
        assert!(with_revenue > zjtx_store::COUNT_CAP, "{with_revenue}");
        assert_eq!(
            (capped.total, capped.total_capped),
            (zjtx_store::COUNT_CAP, true),
            "{b}"
        );
    }
}

/// Each instance keeps its own search index: what one instance imports or moves, another finds
/// at its next search, as the database has it — a new firm, a changed name, a firm in its new
/// district, a district's search and a combined filter alike.
#[tokio::test]
async fn every_instance_searches_what_any_instance_wrote() {
    for url in urls("search-instances").await {
        let one = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        one.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        one.seed_reference().await.unwrap_or_else(|e| panic!("{e}"));
        let other = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let mut rows = city(30);
        rows[4].name = "杭州鲸鱼机器人有限公司".into();
        one.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let find = |s: &Store, q: &str, region: Option<&str>, size: Option<&str>| {
            let f = Filter {
                q: Some(q.into()),
                region: region.map(str::to_owned),
                size: size.map(str::to_owned),
                ..Filter::default()
            };
            let s = s.clone();
            async move {
                s.list(&f, &Scope::all())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .items
                    .into_iter()
                    .map(|e| e.uscc)
                    .collect::<Vec<_>>()
            }
        };
        let code = rows[4].uscc.to_string();
        let b = one.backend();
        assert_eq!(
            find(&other, "鲸鱼", None, None).await,
            vec![code.clone()],
            "{b}"
        );
        // A change by the first instance is found by the second (which has its index built).
        rows[4].name = "杭州海豚机器人有限公司".into();
        one.import(&evaluated(vec![rows[4].clone()]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(find(&other, "鲸鱼", None, None).await.is_empty(), "{b}");
        assert_eq!(
            find(&other, "海豚", None, None).await,
            vec![code.clone()],
            "{b}"
        );
        // Moved: found in its new district only, by a district search and a combined one.
        let to = if rows[4].district.as_deref() == Some("西湖区") {
            "330105"
        } else {
            "330106"
        };
        one.move_enterprise(&code, to, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            find(&other, "海豚", Some(to), None).await,
            vec![code.clone()],
            "{b}"
        );
        let size = other
            .enterprise(&code)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|r| r.size.key().to_owned())
            .unwrap_or_default();
        assert_eq!(
            find(&other, "海豚", Some(to), Some(&size)).await,
            vec![code.clone()],
            "{b}"
        );
        let district = Scope {
            regions: Some(vec![to.to_owned()]),
            uscc: None,
        };
        let f = Filter {
            q: Some("海豚".into()),
            ..Filter::default()
        };
        assert_eq!(
            other
                .list(&f, &district)
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            1,
            "{b}"
        );
        let elsewhere = Scope {
            regions: Some(vec!["330183".to_owned()]),
            uscc: None,
        };
        assert_eq!(
            other
                .list(&f, &elsewhere)
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            0,
            "{b}"
        );
        // A second firm takes the name: the second instance's index, not yet told, still finds
        // the first one, and learns from the rows it reads for it that it is behind — it reads
        // the change and searches again, finding both (not only the one it knew of).
        rows[6].name = "杭州海豚传感科技有限公司".into();
        one.import(&evaluated(vec![rows[6].clone()]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut both = vec![code.clone(), rows[6].uscc.to_string()];
        both.sort();
        let mut got = find(&other, "海豚", None, None).await;
        got.sort();
        assert_eq!(got, both, "{b}");
        assert_eq!(
            other
                .list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            2,
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_two_character_chinese_query_finds_names_containing_it() {
    for s in stores("search").await {
        let mut rows = city(50);
        rows[7].name = "杭州西湖精密仪器有限公司".into();
        rows[9].name = "西湖龙井茶业股份有限公司".into();
        // Main products are searched as well as names.
        rows[11].main_products = Some("精密轴承、西湖牌减速器".into());
        rows[13].main_products = Some("量子陀螺仪".into());
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let f = Filter {
            q: Some("西湖".into()),
            ..Filter::default()
        };
        let page = s
            .list(&f, &Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = page.items.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(page.total, 3, "{}: {names:?}", s.backend());
        let count = |q: &str| {
            let f = Filter {
                q: Some(q.into()),
                ..Filter::default()
            };
            let s = s.clone();
            async move {
                s.list(&f, &Scope::all())
                    .await
                    .map(|p| (p.total, p.items.first().map(|e| e.uscc.clone())))
            }
        };
        let gyro = count("陀螺仪").await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            gyro,
            (1, Some(rows[13].uscc.to_string())),
            "{}",
            s.backend()
        );
        // A later import that changes the products changes what finds the firm.
        rows[13].main_products = Some("光纤陀螺".into());
        s.import(&evaluated(vec![rows[13].clone()]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count("陀螺仪").await.map(|c| c.0).unwrap_or(-1), 0);
        assert_eq!(count("光纤陀螺").await.map(|c| c.0).unwrap_or(-1), 1);
        let f = Filter {
            q: Some(rows[3].uscc.to_string().to_lowercase()),
            ..Filter::default()
        };
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            1,
            "a code matches exactly, any case"
        );
    }
}

#[tokio::test]
async fn yearly_figures_round_trip_and_history_is_kept() {
    for s in stores("years").await {
        let b = s.backend();
        let e = city(1).remove(0);
        s.import(&evaluated(vec![e.clone()]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut older = e.clone();
        older.year = Some(2024);
        let half = |w: Option<zjtx_core::num::Wan>| {
            w.map(|w| zjtx_core::num::Wan::from_units(w.units() / 2).unwrap_or(w))
        };
        older.revenue = half(e.revenue);
        older.main_revenue = half(e.main_revenue);
        s.import(&evaluated(vec![older.clone()]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let years = s
            .years(e.uscc.as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            years.iter().map(|(y, _)| *y).collect::<Vec<_>>(),
            vec![2025, 2024],
            "{b}"
        );
        assert_eq!(
            years[0].1, e,
            "{b}: the stored row parses back to the same enterprise"
        );
        assert_eq!(years[1].1, older);
        // The older year did not replace the latest evaluation.
        let row = s
            .enterprise(e.uscc.as_str())
            .await
            .unwrap_or_default()
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(row.latest_year, 2025, "{b}");
        assert_eq!(row.revenue, e.revenue.map(|w| w.units()));
    }
}

#[tokio::test]
async fn an_import_that_fails_part_way_stores_nothing() {
    for s in stores("atomic").await {
        let b = s.backend();
        // A region that no enterprise uses yet can go; then a row in it breaks the foreign key.
        match s.db() {
            Db::Sqlite(p) => sqlx::query("DELETE FROM regions WHERE code = '330182'")
                .execute(p)
                .await
                .map(|_| ()),
            Db::Postgres(p) => sqlx::query("DELETE FROM regions WHERE code = '330182'")
                .execute(p)
                .await
                .map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{e}"));
        let mut rows = city(40);
        rows[39].district = Some("建德市".into());
        assert!(
            s.import(&evaluated(rows), None, as_of()).await.is_err(),
            "{b}"
        );
        assert_eq!(
            s.list(&Filter::default(), &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            0,
            "{b}: all or none"
        );
    }
}

#[tokio::test]
async fn users_sessions_lockout_and_audit() {
    for s in stores("users").await {
        let b = s.backend();
        let u = NewUser {
            username: "xihu".into(),
            password_hash: "h1".into(),
            role: Role::District,
            region_code: Some("330106".into()),
            uscc: None,
        };
        let id = s.add_user(&u).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(s.add_user(&u).await, Err(StoreError::Conflict(_))),
            "{b}"
        );
        let user = s
            .user_by_name("xihu")
            .await
            .unwrap_or_default()
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(
            (user.id, user.role, user.region_code.as_deref()),
            (id, Role::District, Some("330106"))
        );
        assert!(
            !format!("{user:?}").contains("h1"),
            "the hash never appears in Debug"
        );

        // Sign-in attempts are counted per key in a window; a new window starts afresh.
        for n in 1..=3 {
            assert_eq!(
                s.count_attempt("acct:1.2.3.4:xihu", 1_000, 900).await.ok(),
                Some(n),
                "{b}"
            );
        }
        assert_eq!(
            s.attempts("acct:1.2.3.4:xihu", 1_000, 900).await.ok(),
            Some(3)
        );
        assert_eq!(
            s.attempts("acct:1.2.3.4:xihu", 1_900, 900).await.ok(),
            Some(0)
        );
        assert_eq!(
            s.count_attempt("acct:1.2.3.4:xihu", 1_900, 900).await.ok(),
            Some(1),
            "{b}: the window passed"
        );
        s.clear_attempts("acct:1.2.3.4:xihu")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.attempts("acct:1.2.3.4:xihu", 1_900, 900).await.ok(),
            Some(0)
        );
        assert!(s.set_password("xihu", "h2").await.unwrap_or(false));
        let u2 = s
            .user_by_name("xihu")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(
            (u2.password_hash.as_str(), u2.failed_logins, u2.locked_until),
            ("h2", 0, None)
        );

        s.create_session("tok", id, "csrf1", 3600)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.create_session("old", id, "csrf2", -1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.session("tok")
                .await
                .ok()
                .flatten()
                .map(|(s, u)| (s.csrf, u.id)),
            Some(("csrf1".into(), id)),
            "{b}"
        );
        assert!(
            s.session("old").await.ok().flatten().is_none(),
            "{b}: an expired session is gone"
        );
        // The session carries the count of unread messages, bounded at 100 (every request
        // pays for it); reading them clears it.
        let unread = || async { s.session("tok").await.ok().flatten().map(|(x, _)| x.unread) };
        assert_eq!(unread().await, Some(0), "{b}");
        let texts: Vec<String> = (0..3).map(|i| format!("消息 {i}")).collect();
        let msgs: Vec<zjtx_store::Message> = texts
            .iter()
            .map(|t| zjtx_store::Message {
                user_id: id,
                text: t.clone(),
                text_en: t.clone(),
                link: "/",
            })
            .collect();
        s.notify(&msgs).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unread().await, Some(3), "{b}");
        for _ in 0..40 {
            s.notify(&msgs).await.unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(unread().await, Some(100), "{b}: 123 unread, counted to 100");
        s.mark_read(id).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unread().await, Some(0), "{b}");
        assert!(s.set_disabled("xihu", true).await.unwrap_or(false));
        assert!(
            s.session("tok").await.ok().flatten().is_none(),
            "{b}: disabling ends the sessions"
        );
        assert_eq!(s.users().await.map(|u| u.len()).unwrap_or(0), 1);

        s.audit(
            Some(id),
            "read",
            Some("91330106MA0000001X"),
            "enterprise page",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let log = s.audit_for("91330106MA0000001X").await.unwrap_or_default();
        assert_eq!(log.len(), 1, "{b}");
        assert_eq!((log[0].user_id, log[0].action.as_str()), (Some(id), "read"));
    }
}

#[tokio::test]
async fn dashboard_counts_agree_with_the_rows_and_their_lists() {
    for s in stores("dashboard").await {
        let b = s.backend();
        let rows = evaluated(city(400));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let d = s
            .dashboard(&Scope::all(), as_of(), 6)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.by_region.iter().map(|c| c.n).sum::<i64>(), 400, "{b}");
        assert_eq!(d.by_ecosystem.iter().map(|c| c.n).sum::<i64>(), 400, "{b}");
        let xihu_giants = rows
            .iter()
            .filter(|(e, s)| {
                e.district.as_deref() == Some("西湖区") && s.top_tier == zjtx_core::TopTier::Giant
            })
            .count() as i64;
        let cell = d
            .by_region
            .iter()
            .find(|c| c.key.as_deref() == Some("330106") && c.tier == "giant")
            .map_or(0, |c| c.n);
        assert_eq!(cell, xihu_giants, "{b}");
        // Candidates: pass SRDI now without a valid SRDI title; computed here from the rows.
        let held = |e: &Enterprise| e.srdi_until.is_some_and(|u| u >= as_of());
        let want = rows
            .iter()
            .filter(|(e, s)| s.srdi == zjtx_core::Verdict::Pass && !held(e))
            .count() as i64;
        let got = d
            .candidates
            .iter()
            .find(|(t, _)| t == "srdi")
            .map_or(-1, |(_, n)| *n);
        assert_eq!(got, want, "{b}");
        let f = Filter {
            candidate: Some("srdi".into()),
            today: as_of(),
            ..Filter::default()
        };
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-2),
            want,
            "{b}: the figure's list has as many rows"
        );
        let six = as_of() + chrono::Months::new(6);
        let want = rows
            .iter()
            .filter(|(e, _)| e.innovative_until.is_some_and(|u| u >= as_of() && u <= six))
            .count() as i64;
        let got = d
            .expiring
            .iter()
            .find(|(t, _)| t == "innovative")
            .map_or(0, |(_, n)| *n);
        assert_eq!(got, want, "{b}");
        let f = Filter {
            expiring: Some("innovative".into()),
            expiring_months: 6,
            today: as_of(),
            ..Filter::default()
        };
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-2),
            want,
            "{b}"
        );
        // A district's dashboard counts its own firms only.
        let scope = Scope {
            regions: Some(vec!["330106".into()]),
            uscc: None,
        };
        let dd = s
            .dashboard(&scope, as_of(), 6)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let xihu = rows
            .iter()
            .filter(|(e, _)| e.district.as_deref() == Some("西湖区"))
            .count() as i64;
        assert_eq!(dd.by_region.iter().map(|c| c.n).sum::<i64>(), xihu, "{b}");
    }
}

#[tokio::test]
async fn a_revenue_range_filters_on_the_latest_year() {
    for s in stores("revenue").await {
        let b = s.backend();
        let rows = evaluated(city(300));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (lo, hi) = (
            zjtx_core::num::Wan::whole(1000),
            zjtx_core::num::Wan::whole(20_000),
        );
        let want = rows
            .iter()
            .filter(|(e, _)| e.revenue.is_some_and(|r| r >= lo && r <= hi))
            .count() as i64;
        let f = Filter {
            revenue_min: Some(lo.units()),
            revenue_max: Some(hi.units()),
            ..Filter::default()
        };
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            want,
            "{b}"
        );
        let f = Filter {
            revenue_min: Some(lo.units()),
            ..Filter::default()
        };
        let want = rows
            .iter()
            .filter(|(e, _)| e.revenue.is_some_and(|r| r >= lo))
            .count() as i64;
        assert_eq!(
            s.list(&f, &Scope::all())
                .await
                .map(|p| p.total)
                .unwrap_or(-1),
            want,
            "{b}"
        );
    }
}

#[tokio::test]
async fn chain_tags_are_set_whole_filter_the_list_and_refuse_unknown_names() {
    for s in stores("chains").await {
        let b = s.backend();
        let chains = s.chains().await.unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            chains.len(),
            zjtx_core::enterprise::chains().len(),
            "{b}: seeded once although seeding ran twice"
        );
        assert_eq!(chains[0].ecosystem, zjtx_core::enterprise::ECOSYSTEMS[0]);
        let rows = evaluated(city(200));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let tags = zjtx_core::synth::chain_tags(rows.iter().map(|(e, _)| e));
        s.set_chains(&tags, Some(7))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Every chain's filtered list is exactly the enterprises tagged with it.
        for c in &chains {
            let mut want: Vec<String> = tags
                .iter()
                .filter(|(_, cs)| cs.contains(&c.name))
                .map(|(u, _)| u.clone())
                .collect();
            want.sort();
            let page = s
                .list(
                    &Filter {
                        chain: Some(c.name.clone()),
                        per_page: 1000,
                        ..Filter::default()
                    },
                    &Scope::all(),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let got: Vec<String> = page.items.into_iter().map(|e| e.uscc).collect();
            assert_eq!(got, want, "{b}: chain {}", c.name);
            assert_eq!(page.total as usize, want.len(), "{b}: chain {}", c.name);
            // Keyset paging over a chain visits the same enterprises, in order.
            let mut paged = Vec::new();
            let mut f = Filter {
                chain: Some(c.name.clone()),
                per_page: 3,
                ..Filter::default()
            };
            loop {
                let page = s
                    .list(&f, &Scope::all())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                paged.extend(page.items.into_iter().map(|e| e.uscc));
                match page.next {
                    Some(n) => f.after = Some(n),
                    None => break,
                }
            }
            assert_eq!(paged, want, "{b}: chain {} paged", c.name);
        }
        let (first, first_tags) = tags
            .iter()
            .find(|(_, cs)| !cs.is_empty())
            .cloned()
            .unwrap_or_else(|| panic!("some enterprise has chains"));
        let mut sorted = first_tags.clone();
        sorted.sort();
        assert_eq!(s.chains_of(&first).await.unwrap_or_default(), sorted);
        // A bulk tagging is audited in one record per thousand firms, naming each with its chains.
        let audited = s.audit_by_action("chains.set").await.unwrap_or_default();
        assert!(
            audited.iter().any(|a| a.user_id == Some(7)
                && a.detail
                    .as_deref()
                    .is_some_and(|d| d.contains(&format!("{first}={}", first_tags.join("、"))))),
            "{b}: the change is audited"
        );
        assert!(audited.len() < tags.len(), "{b}: not one record per firm");

        // A chain within a district (by filter and by a district's scope) follows the enterprises'
        // regions, also after an enterprise moves district.
        let code_of = |name: &str| {
            zjtx_core::enterprise::DISTRICTS
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(c, _)| (*c).to_owned())
        };
        let region_of = |u: &str, rows: &[(Enterprise, Summary)]| {
            rows.iter()
                .find(|(e, _)| e.uscc.to_string() == u)
                .and_then(|(e, _)| e.district.as_deref().and_then(code_of))
        };
        let in_district = |chain: &str, region: &str| {
            let f = Filter {
                chain: Some(chain.to_owned()),
                region: Some(region.to_owned()),
                per_page: 1000,
                ..Filter::default()
            };
            let scope = Scope {
                regions: Some(vec![region.to_owned()]),
                uscc: None,
            };
            let s = s.clone();
            async move {
                let by_filter = s
                    .list(&f, &Scope::all())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let f = Filter { region: None, ..f };
                let by_scope = s.list(&f, &scope).await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(by_filter.total as usize, by_filter.items.len());
                assert_eq!(by_scope.total as usize, by_scope.items.len());
                let a: Vec<String> = by_filter.items.into_iter().map(|e| e.uscc).collect();
                let b: Vec<String> = by_scope.items.into_iter().map(|e| e.uscc).collect();
                assert_eq!(a, b, "filter and scope agree");
                a
            }
        };
        let chain0 = tags
            .iter()
            .find(|(u, cs)| !cs.is_empty() && region_of(u, &rows).is_some())
            .map(|(_, cs)| cs[0].clone())
            .unwrap_or_default();
        for (code, _) in zjtx_core::enterprise::DISTRICTS {
            let want: Vec<String> = tags
                .iter()
                .filter(|(u, cs)| {
                    cs.contains(&chain0) && region_of(u, &rows).as_deref() == Some(*code)
                })
                .map(|(u, _)| u.clone())
                .collect();
            let mut want = want;
            want.sort();
            assert_eq!(
                in_district(&chain0, code).await,
                want,
                "{b}: {chain0} in {code}"
            );
        }
        let (mover, _) = tags
            .iter()
            .find(|(u, cs)| cs.contains(&chain0) && region_of(u, &rows).is_some())
            .cloned()
            .unwrap_or_default();
        let from = region_of(&mover, &rows).unwrap_or_default();
        let (to_code, to_name) = zjtx_core::enterprise::DISTRICTS
            .iter()
            .find(|(c, _)| **c != from)
            .copied()
            .unwrap_or_default();
        let mut moved: Vec<(Enterprise, Summary)> = rows
            .iter()
            .filter(|(e, _)| e.uscc.to_string() == mover)
            .cloned()
            .collect();
        moved[0].0.district = Some(to_name.to_owned());
        s.import(&moved, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            in_district(&chain0, to_code).await.contains(&mover),
            "{b}: moved in"
        );
        assert!(
            !in_district(&chain0, &from).await.contains(&mover),
            "{b}: moved out"
        );

        // Setting replaces; an unknown chain or enterprise changes nothing at all.
        let other = chains
            .iter()
            .find(|c| !first_tags.contains(&c.name))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let before = s.chains_of(&first).await.unwrap_or_default();
        // A valid code of an enterprise the registry does not hold (another seed's city).
        let absent = Generator::new(99, 2025)
            .next()
            .map(|e| e.uscc.to_string())
            .unwrap_or_default();
        assert!(s.enterprise(&absent).await.unwrap_or_default().is_none());
        for bad in [
            vec![
                (first.clone(), vec![other.clone()]),
                (first.clone(), vec!["不存在的链".to_owned()]),
            ],
            vec![
                (first.clone(), vec![other.clone()]),
                (absent.clone(), vec![other.clone()]),
            ],
            vec![
                (first.clone(), vec![other.clone()]),
                (first.clone(), Vec::new()),
            ],
        ] {
            let err = s.set_chains(&bad, None).await;
            assert!(matches!(err, Err(StoreError::Conflict(_))), "{b}: {err:?}");
            assert_eq!(s.chains_of(&first).await.unwrap_or_default(), before, "{b}");
        }
        s.set_chains(&[(first.clone(), vec![other.clone()])], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(s.chains_of(&first).await.unwrap_or_default(), vec![other]);
        s.set_chains(&[(first.clone(), Vec::new())], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(s.chains_of(&first).await.unwrap_or_default().is_empty());
    }
}

#[tokio::test]
async fn declaration_steps_are_guarded_audited_and_titles_outlive_imports() {
    use zjtx_store::{Message, NewBatch, NewDecision, Status};
    for s in stores("declare").await {
        let rows = city(5);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let uscc = rows[0].uscc.to_string();
        let batch = s
            .create_batch(
                &NewBatch {
                    tier: "srdi".into(),
                    year: 2026,
                    rules: "miit-2026".into(),
                    title: "t".into(),
                    declare_until: "2026-12-01".into(),
                    district_until: "2026-12-10".into(),
                    city_until: "2026-12-20".into(),
                    notice_days: 5,
                    quota: None,
                    experts_per: 2,
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let b = s.backend();
        let again = NewBatch {
            tier: "srdi".into(),
            year: 2026,
            rules: "x".into(),
            title: "dup".into(),
            declare_until: String::new(),
            district_until: String::new(),
            city_until: String::new(),
            notice_days: 0,
            quota: None,
            experts_per: 1,
        };
        assert!(
            matches!(
                s.create_batch(&again, None).await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        let d = s
            .open_declaration(batch, &uscc, "{}", "2026-11-26", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let audits = |s: &Store| {
            let s = s.clone();
            async move {
                s.audit_for(&format!("declaration:{d}"))
                    .await
                    .map(|a| a.len())
                    .unwrap_or(0)
            }
        };
        assert_eq!(audits(&s).await, 1, "{b}");
        // A step from the wrong state changes nothing and leaves no record.
        let r = s
            .transition(
                d,
                &[Status::Submitted],
                Status::Recommended,
                None,
                "x",
                "",
                None,
                &[],
            )
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{b}");
        assert_eq!(
            s.declaration(d).await.ok().flatten().map(|x| x.status),
            Some(Status::Draft)
        );
        assert_eq!(audits(&s).await, 1, "{b}");
        // A step with a message to an account that does not exist is undone whole.
        let bad = [Message {
            user_id: 999_999,
            text: "x".into(),
            text_en: "x".into(),
            link: "/",
        }];
        let r = s
            .transition(
                d,
                &[Status::Draft, Status::Returned],
                Status::Submitted,
                None,
                "declaration.submit",
                "",
                None,
                &bad,
            )
            .await;
        assert!(r.is_err(), "{b}: the message's foreign key fails");
        assert_eq!(
            s.declaration(d).await.ok().flatten().map(|x| x.status),
            Some(Status::Draft),
            "{b}"
        );
        assert_eq!(audits(&s).await, 1, "{b}");
        s.add_evidence(d, "ZX26-1a", "a.pdf", "application/pdf", 10, "abc", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.evidence_of(d).await.map(|v| v.len()).unwrap_or(0),
            1,
            "{b}"
        );
        // An expert (employed by the firm: a conflict by itself), drawn in two rounds, scoring once.
        let ex_user = s
            .add_user(&NewUser {
                username: "ex".into(),
                password_hash: "x".into(),
                role: Role::Expert,
                region_code: None,
                uscc: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let ex = s
            .add_expert(
                ex_user,
                "专家",
                "a,b",
                Some(&uscc),
                &[(rows[1].uscc.to_string(), "relation".into())],
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let pool = s.experts().await.unwrap_or_default();
        assert_eq!(pool[0].conflicts.len(), 2, "{b}: {:?}", pool[0].conflicts);
        // Out of the draw and back, a conflict declared later (once), each with its audit
        // record; an expert that does not exist is no change.
        assert!(
            s.set_expert_active(ex, false, None).await.unwrap_or(false),
            "{b}"
        );
        assert!(!s.experts().await.unwrap_or_default()[0].active, "{b}");
        assert!(
            s.set_expert_active(ex, true, None).await.unwrap_or(false),
            "{b}"
        );
        assert!(
            !s.set_expert_active(999_999, false, None)
                .await
                .unwrap_or(true),
            "{b}"
        );
        let later = (rows[2].uscc.to_string(), "shareholding");
        assert!(
            s.add_expert_conflict(ex, &later.0, later.1, None)
                .await
                .unwrap_or(false),
            "{b}"
        );
        assert!(
            !s.add_expert_conflict(ex, &later.0, later.1, None)
                .await
                .unwrap_or(true),
            "{b}"
        );
        assert!(
            !s.add_expert_conflict(999_999, &later.0, later.1, None)
                .await
                .unwrap_or(true),
            "{b}"
        );
        assert_eq!(
            s.experts().await.unwrap_or_default()[0].conflicts.len(),
            3,
            "{b}"
        );
        for action in ["expert.deactivate", "expert.activate", "expert.conflict"] {
            assert_eq!(
                s.audit_by_action(action).await.unwrap_or_default().len(),
                1,
                "{b}: {action}"
            );
        }
        // An account opened with its pool entry: a name taken leaves nothing behind.
        let new_expert = |name: &str| zjtx_store::NewUser {
            username: name.into(),
            password_hash: "h".into(),
            role: Role::Expert,
            region_code: None,
            uscc: None,
        };
        let entry = zjtx_store::NewExpert {
            name: "新专家",
            fields: "a",
            employer_uscc: None,
            conflicts: &[],
        };
        assert!(
            s.add_expert_account(&new_expert("new_expert"), &entry, None)
                .await
                .is_ok(),
            "{b}"
        );
        let before = s.users().await.unwrap_or_default().len();
        assert!(
            matches!(
                s.add_expert_account(&new_expert("new_expert"), &entry, None)
                    .await,
                Err(zjtx_store::StoreError::Conflict(_))
            ),
            "{b}"
        );
        assert_eq!(s.users().await.unwrap_or_default().len(), before, "{b}");
        assert_eq!(s.experts().await.unwrap_or_default().len(), 2, "{b}");
        // The first round's seed is committed before the draw; a second commitment does not
        // replace it; each draw commits the next round's.
        for (seed, hash) in [("s1", "h1"), ("other", "h-other")] {
            s.commit_seed(batch, seed, hash, None)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        assert_eq!(
            s.next_seed(batch).await.ok().flatten(),
            Some(("s1".to_owned(), "h1".to_owned())),
            "{b}"
        );
        s.record_draw(batch, "s1", 1, "{}", "[]", &[(d, ex)], ("s2", "h2"), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.next_seed(batch).await.ok().flatten(),
            Some(("s2".to_owned(), "h2".to_owned())),
            "{b}"
        );
        s.record_draw(batch, "s2", 1, "{}", "[]", &[], ("s3", "h3"), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let commits: Vec<(i64, String)> = s
            .seed_commits(batch)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.round, c.commitment))
            .collect();
        assert_eq!(
            commits,
            [(1, "h1".into()), (2, "h2".into()), (3, "h3".into())],
            "{b}"
        );
        let rounds: Vec<i64> = s
            .draws_of(batch)
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| r.round)
            .collect();
        assert_eq!(rounds, [1, 2], "{b}");
        assert_eq!(s.experts_of(d).await.unwrap_or_default(), [ex], "{b}");
        assert_eq!(
            s.expert_of_user(ex_user).await.ok().flatten(),
            Some(ex),
            "{b}"
        );
        assert_eq!(
            s.assigned_to(ex).await.map(|v| v.len()).unwrap_or(0),
            1,
            "{b}"
        );
        let score = |n| zjtx_store::NewReview {
            level: zjtx_store::ReviewLevel::Expert,
            reviewer_id: ex_user,
            decision: zjtx_store::ReviewDecision::Score,
            reason: "ok",
            opinions: "{}",
            score: Some(n),
            overrides: None,
        };
        s.record_score(d, score(80), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            matches!(
                s.record_score(d, score(90), None).await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        assert_eq!(s.reviews(d).await.map(|v| v.len()).unwrap_or(0), 1, "{b}");
        for (from, to) in [
            (&[Status::Draft, Status::Returned][..], Status::Submitted),
            (&[Status::Submitted][..], Status::Recommended),
            (&[Status::Recommended][..], Status::Approved),
        ] {
            s.transition(d, from, to, None, "step", "", None, &[])
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        s.publish_notice(batch, "2026-11-26", "2026-12-01", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.file_objection(d, "张三", "138", "存疑")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let objection = s.objections(d).await.unwrap_or_default()[0].id;
        s.resolve_objection(objection, false, "无误", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            matches!(
                s.resolve_objection(objection, true, "x", None).await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        let decision = s
            .recognise(
                &NewDecision {
                    declaration_id: d,
                    uscc: &uscc,
                    tier: "srdi",
                    outcome: "recognised",
                    rules: "miit-2026",
                    as_of: "2026-12-02",
                    cells: "{}",
                    evaluation: "{}",
                    reviews: "{}",
                    valid_from: Some("2026-12-02"),
                    valid_until: Some("2029-12-02"),
                },
                None,
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.decision(decision).await.ok().flatten().is_some());
        // The granted title survives a re-import of the enterprise (which carries no SRDI date).
        let mut again = rows[0].clone();
        again.srdi_until = None;
        s.import(&evaluated(vec![again]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let titles = s.titles(&uscc).await.unwrap_or_default();
        assert!(
            titles.contains(&("srdi".into(), "2029-12-02".into())),
            "{b}: {titles:?}"
        );
        assert_eq!(
            s.titled("2026-12-03", None)
                .await
                .map(|t| t.len())
                .unwrap_or(0),
            1
        );
        let one = |u: String| {
            let s = s.clone();
            async move {
                s.titled("2026-12-03", Some(&u))
                    .await
                    .map(|t| t.len())
                    .unwrap_or(9)
            }
        };
        assert_eq!(one(uscc.clone()).await, 1, "{b}");
        assert_eq!(one(rows[1].uscc.to_string()).await, 0, "{b}");
        // Revocation: no titles, and a ban until the date given.
        s.revoke(&uscc, "falsified data", "2029-12-03", None, &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.titles(&uscc).await.unwrap_or_default().is_empty());
        assert!(s.ban(&uscc, "2029-12-03").await.ok().flatten().is_some());
        assert!(s.ban(&uscc, "2029-12-04").await.ok().flatten().is_none());
        let b2 = s
            .create_batch(
                &NewBatch {
                    tier: "giant".into(),
                    ..again_batch()
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = s
            .open_declaration(b2, &uscc, "{}", "2027-01-01", None)
            .await;
        assert!(
            matches!(r, Err(StoreError::Conflict(m)) if m.contains("falsified")),
            "{b}"
        );
    }
}

fn again_batch() -> zjtx_store::NewBatch {
    zjtx_store::NewBatch {
        tier: "innovative".into(),
        year: 2027,
        rules: "miit-2026".into(),
        title: "t2".into(),
        declare_until: "2027-12-01".into(),
        district_until: "2027-12-10".into(),
        city_until: "2027-12-20".into(),
        notice_days: 5,
        quota: None,
        experts_per: 2,
    }
}

#[tokio::test]
async fn finance_consents_applications_and_statistics_on_both_backends() {
    for s in stores("finance").await {
        let b = s.backend();
        let rows = city(6);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let uscc = rows[0].uscc.to_string();
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            matches!(
                s.create_institution("银行", "bank", None).await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        let product = s
            .create_product(&loan(bank), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Not listed yet: no application.
        assert!(
            s.apply(&uscc, product, None, 100, "2026-11-26", None)
                .await
                .is_err(),
            "{b}"
        );
        s.review_product(product, true, "", None, &[])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.products(Some("listed"), None)
                .await
                .map(|p| p.len())
                .unwrap_or(0),
            1,
            "{b}"
        );
        assert_eq!(
            s.products(None, Some(bank))
                .await
                .map(|p| p.len())
                .unwrap_or(0),
            1,
            "{b}"
        );
        // Consent: in force within its dates, not once revoked.
        let c = s
            .grant_consent(
                &uscc,
                bank,
                "profile,financials",
                false,
                "p",
                "2026-11-01",
                "2026-11-30",
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.consents_in_force(&uscc, bank, "2026-11-26")
                .await
                .map(|v| v.len())
                .unwrap_or(9),
            1,
            "{b}"
        );
        assert_eq!(
            s.consents_in_force(&uscc, bank, "2026-12-01")
                .await
                .map(|v| v.len())
                .unwrap_or(9),
            0,
            "{b}"
        );
        assert_eq!(
            s.consenting(bank, "2026-11-26").await.unwrap_or_default(),
            std::slice::from_ref(&uscc),
            "{b}"
        );
        s.revoke_consent(c, &uscc, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.consents_in_force(&uscc, bank, "2026-11-26")
                .await
                .map(|v| v.len())
                .unwrap_or(9),
            0,
            "{b}"
        );
        // An application to disbursement, counted by the statistics of its district only.
        let need = s
            .post_need(&uscc, 5_000_000, "p", 12, "credit", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let app = s
            .apply(&uscc, product, Some(need), 3_000_000, "2026-11-26", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let r = s
            .application_step(
                app,
                bank,
                ApplicationStatus::Accepted,
                ApplicationStatus::Granted,
                Some(1),
                Some("2026-11-26"),
                "",
                None,
                &[],
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Conflict(_))),
            "{b}: not accepted yet"
        );
        use ApplicationStatus as A;
        for (from, to, amount, on) in [
            (A::Applied, A::Accepted, None, None),
            (A::Accepted, A::Granted, Some(3_000_000), Some("2026-11-26")),
            (A::Granted, A::Disbursed, None, Some("2026-11-27")),
        ] {
            s.application_step(app, bank, from, to, amount, on, "", None, &[])
                .await
                .unwrap_or_else(|e| panic!("{b}: {to:?}: {e}"));
        }
        let region = rows[0]
            .district
            .as_deref()
            .and_then(|d| {
                zjtx_core::enterprise::DISTRICTS
                    .iter()
                    .find(|(_, n)| *n == d)
            })
            .map(|(c, _)| (*c).to_owned())
            .unwrap_or_default();
        let st = s
            .fin_stats("2026-01-01", "2026-12-31", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (
                st.granted_count,
                st.granted_amount,
                st.disbursed_amount,
                st.enterprises_served,
                st.needs_met
            ),
            (1, 3_000_000, 3_000_000, 1, 1),
            "{b}"
        );
        let mine = s
            .fin_stats(
                "2026-01-01",
                "2026-12-31",
                Some(std::slice::from_ref(&region)),
            )
            .await
            .unwrap_or_default();
        assert_eq!(mine.granted_count, 1, "{b}");
        let elsewhere = s
            .fin_stats("2026-01-01", "2026-12-31", Some(&["000000".to_owned()]))
            .await
            .unwrap_or_default();
        assert_eq!(
            (elsewhere.granted_count, elsewhere.enterprises_served),
            (0, 0),
            "{b}"
        );
        let early = s
            .fin_stats("2026-01-01", "2026-11-25", None)
            .await
            .unwrap_or_default();
        assert_eq!(early.granted_count, 0, "{b}: granted on the 26th");
        assert_eq!(st.by_tier.iter().map(|t| t.1).sum::<i64>(), 1, "{b}");
        // Events and the listing pipeline.
        let ev = s
            .create_fin_event("对接会", "2026-11-20", Some(&region), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.add_participant(ev, Some(&uscc), None, "签约", Some(1_000_000), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.add_participant(ev, None, Some(bank), "参会", None, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let evs = s.fin_events(None).await.unwrap_or_default();
        assert_eq!(evs[0].participants.len(), 2, "{b}");
        s.set_listing_stage(
            &uscc,
            zjtx_core::workflow::listing::Stage::Tutoring,
            "",
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.set_listing_stage(&uscc, zjtx_core::workflow::listing::Stage::Filing, "", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.listing_pipeline().await.unwrap_or_default()[0].stage,
            "filing",
            "{b}"
        );
        assert_eq!(
            s.listing_history(&uscc).await.map(|h| h.len()).unwrap_or(0),
            2,
            "{b}"
        );
        // Access log, by a staff account.
        let staff = s
            .add_user(&NewUser {
                username: "staff".into(),
                password_hash: "x".into(),
                role: Role::Institution,
                region_code: None,
                uscc: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.set_institution("staff", bank, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.user_by_name("staff")
                .await
                .ok()
                .flatten()
                .and_then(|u| u.institution_id),
            Some(bank)
        );
        s.log_access(&uscc, bank, staff, "profile", "page", Some(c))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.access_log(&uscc).await.map(|a| a.len()).unwrap_or(0),
            1,
            "{b}"
        );
        // The other readers, on this backend's SQL.
        assert_eq!(
            s.needs(Some(&uscc)).await.map(|n| n.len()).unwrap_or(0),
            1,
            "{b}"
        );
        assert_eq!(
            s.needs(None).await.map(|n| n.len()).unwrap_or(9),
            0,
            "{b}: the need is met"
        );
        assert_eq!(
            s.applications(None, Some(bank))
                .await
                .map(|a| a.len())
                .unwrap_or(0),
            1,
            "{b}"
        );
        assert_eq!(
            s.applications(Some(&uscc), None)
                .await
                .map(|a| a.len())
                .unwrap_or(0),
            1,
            "{b}"
        );
        assert_eq!(
            s.application_steps(app).await.map(|a| a.len()).unwrap_or(0),
            4,
            "{b}"
        );
        s.respond_need(need, bank, Some(product), "x", None, &[])
            .await
            .expect_err("the need is met");
        let id = s
            .save_search(bank, staff, "n", "region=330106", "")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.search_seen(id, &uscc, &[])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.saved_searches(bank).await.unwrap_or_default()[0].seen,
            uscc,
            "{b}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_is_sealed_into_a_chain_that_shows_any_change() {
    for s in stores("audit-chain").await {
        let b = s.backend();
        s.migrate().await.unwrap_or_else(|e| panic!("{b}: {e}"));
        for (i, action) in ["login", "read", "export"].iter().enumerate() {
            s.audit(
                Some(i as i64 + 1),
                action,
                Some("x"),
                &format!("detail {i}"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        let later = zjtx_store::now() + 10;
        assert_eq!(s.seal_audit_until(later).await.ok(), Some(3), "{b}");
        s.audit(None, "login_failed", None, "203.0.113.9 \"ghost\"")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(s.seal_audit_until(later).await.ok(), Some(1), "{b}");
        assert_eq!(
            s.seal_audit_until(later).await.ok(),
            Some(0),
            "{b}: nothing twice"
        );
        // More than a batch: sealed in batches, the chain continuing across them.
        for i in 0..zjtx_store::SEAL_BATCH + 7 {
            s.audit(None, "read", Some("y"), &format!("bulk {i}"))
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        assert_eq!(
            s.seal_audit_until(later).await.ok(),
            Some(zjtx_store::SEAL_BATCH),
            "{b}"
        );
        assert_eq!(s.seal_audit_until(later).await.ok(), Some(7), "{b}");
        let bulk = s
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (bulk.sealed, bulk.broken),
            (4 + zjtx_store::SEAL_BATCH as i64 + 7, None),
            "{b}"
        );
        let check = s
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (check.sealed, check.unsealed, check.broken),
            (4 + zjtx_store::SEAL_BATCH as i64 + 7, 0, None),
            "{b}"
        );
        let head = check.head.clone().unwrap_or_default();
        assert_eq!(head.len(), 64, "{b}");
        // An edit of a sealed record, made behind the platform's back, breaks the chain there.
        let edit = "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2";
        match s.db() {
            Db::Sqlite(p) => sqlx::query(edit).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(edit).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let check = s
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(check.broken.map(|(seq, _)| seq), Some(2), "{b}");
        // The database refuses to delete a record younger than 180 days.
        let remove = "DELETE FROM audit_log WHERE seq = 3";
        let removed = match s.db() {
            Db::Sqlite(p) => sqlx::query(remove).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(remove).execute(p).await.map(|_| ()),
        };
        assert!(removed.is_err(), "{b}: a fresh audit record was deleted");
        // Taking a record out of its place in the chain breaks the chain there.
        let unlink = "UPDATE audit_log SET seq = 1000000 WHERE seq = 3";
        match s.db() {
            Db::Sqlite(p) => sqlx::query(unlink).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(unlink).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let restore = "UPDATE audit_log SET detail = 'detail 1' WHERE seq = 2";
        match s.db() {
            Db::Sqlite(p) => sqlx::query(restore).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(restore).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let check = s
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            check.broken.map(|(seq, _)| seq),
            Some(4),
            "{b}: the gap at 3"
        );
    }
}

/// Rows of the audit log, counted behind the store's back (what a crash would leave).
async fn audit_rows(s: &Store) -> i64 {
    let sql = "SELECT COUNT(*) FROM audit_log";
    match s.db() {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn reads_are_audited_in_batches_and_every_reading_of_the_log_sees_them() {
    for s in stores("audit-reads").await {
        let b = s.backend();
        let before = audit_rows(&s).await;
        for i in 0..3 {
            s.audit_read(
                Some(1),
                "read",
                Some("91330106MA0000001X"),
                &format!("page {i}"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        assert_eq!(audit_rows(&s).await, before, "{b}: held, not yet written");
        // Reading the log writes what is held first.
        let log = s
            .audit_for("91330106MA0000001X")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let details: Vec<&str> = log
            .iter()
            .map(|r| r.detail.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(details, ["page 2", "page 1", "page 0"], "{b}: newest first");
        assert_eq!(audit_rows(&s).await, before + 3, "{b}");
        assert_eq!(s.flush_reads().await.ok(), Some(0), "{b}: nothing twice");
        // A clone of the store (another request) holds into the same buffer.
        let other = s.clone();
        other
            .audit_read(None, "read.list", None, "q: none")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(s.flush_reads().await.ok(), Some(1), "{b}");
        // Past the bound the request that reaches it writes them all, in one transaction of
        // several inserts.
        let start = audit_rows(&s).await;
        for i in 0..zjtx_store::READS_HELD - 1 {
            s.audit_read(None, "read", Some("x"), &format!("bulk {i}"))
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        assert_eq!(audit_rows(&s).await, start, "{b}");
        s.audit_read(None, "read", Some("x"), "the last")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            audit_rows(&s).await,
            start + zjtx_store::READS_HELD as i64,
            "{b}"
        );
        // Sealing writes what is held before it seals.
        s.audit_read(None, "read", Some("x"), "after")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let far = chrono::Utc::now().timestamp() + 60;
        let mut sealed = 0;
        loop {
            let n = s
                .seal_audit_until(far)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            if n == 0 {
                break;
            }
            sealed += n;
        }
        let check = s
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!((check.unsealed, check.broken), (0, None), "{b}");
        assert!(
            sealed as i64 >= zjtx_store::READS_HELD as i64 + 5,
            "{b}: {sealed}"
        );
    }
}

/// Issue 12: chain events, their parties and outcomes, and the bureau's line from a hand-counted
/// set. Two events of 集成电路 in 2026 (one in 西湖区 330106, one city-wide), one of 机器人 in 2026,
/// one of 集成电路 in 2025:
/// - E1 (集成电路, 2026-03-10, 330106): firms A (sme), B (large_firm), bank 杭州银行 (named);
///   A: order 1200 signed, financing 500 intention (not counted), project signed.
///   B: order 300 signed then executed.
/// - E2 (集成电路, 2026-05-20, city-wide): firms A (sme) and C (sme); C: order 800 signed then
///   cancelled (not counted); C: financing 2000 signed.
/// - E3 (机器人, 2026-07-01, 330106): firm B (large_firm); B: project intention (not counted).
/// - E4 (集成电路, 2025-11-11, city-wide): firm C; C: order 999 signed (another year).
///
/// 2026, 集成电路: events 2; firms A, B, C = 3; participations 5; orders 1200 + 300 = 1500万;
/// financing 2000万; projects 1. 2026 in 330106: events E1, E3 = 2; firms A, B = 2; orders 1500万;
/// financing 0; projects 1. 2026 all chains: events 3, firms 3, participations 6.
#[tokio::test]
async fn chain_events_count_the_bureaus_line_from_their_records() {
    use zjtx_core::workflow::chain_event::{self as ce, OutcomeKind, Party, Role, Status};
    use zjtx_store::ChainFilter;
    for s in stores("chain-events").await {
        let b = s.backend();
        let rows = evaluated(city(30));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let firm = |i: usize| {
            zjtx_core::ids::Uscc::parse(&rows[i].0.uscc.to_string())
                .unwrap_or_else(|e| panic!("{e:?}"))
        };
        let (fa, fb, fc) = (firm(0), firm(1), firm(2));
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let event = |chain: &str, on: &str, region: Option<&str>| ce::Event {
            chain: chain.into(),
            title: format!("{chain}对接会"),
            held_on: day(on),
            organiser: "市经信局".into(),
            place: "杭州".into(),
            kind: ce::Kind::Matchmaking,
            region: region.map(str::to_owned),
        };
        let mk = |e: ce::Event| {
            let s = s.clone();
            async move {
                s.create_chain_event(&e, Some(1))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let e1 = mk(event("集成电路", "2026-03-10", Some("330106"))).await;
        let e2 = mk(event("集成电路", "2026-05-20", None)).await;
        let e3 = mk(event("机器人", "2026-07-01", Some("330106"))).await;
        let e4 = mk(event("集成电路", "2025-11-11", None)).await;
        // An event of a chain that does not exist is refused.
        assert!(
            s.create_chain_event(&event("造船", "2026-01-01", None), None)
                .await
                .is_err(),
            "{b}"
        );
        let party = |ev: i64, role: Role, p: Party| {
            let s = s.clone();
            async move {
                s.add_chain_party(ev, role, &p, Some(1))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("party not added"))
            }
        };
        let a1 = party(e1, Role::Sme, Party::Firm(fa.clone())).await;
        let b1 = party(e1, Role::LargeFirm, Party::Firm(fb.clone())).await;
        party(e1, Role::Bank, Party::Named("杭州银行".into())).await;
        party(e2, Role::Sme, Party::Firm(fa.clone())).await;
        let c2 = party(e2, Role::Sme, Party::Firm(fc.clone())).await;
        let b3 = party(e3, Role::LargeFirm, Party::Firm(fb.clone())).await;
        let c4 = party(e4, Role::Sme, Party::Firm(fc.clone())).await;
        // The same firm twice in one role is refused; a code not in the registry adds nothing.
        assert!(
            matches!(
                s.add_chain_party(e1, Role::Sme, &Party::Firm(fa.clone()), None)
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        let stranger = zjtx_core::ids::Uscc::with_check(b"91330106MA2B3C4D5")
            .unwrap_or_else(|| panic!("code"));
        assert_eq!(
            s.add_chain_party(e1, Role::Sme, &Party::Firm(stranger), None)
                .await
                .ok()
                .flatten(),
            None,
            "{b}"
        );
        let wan = |w: i64| w * 10_000;
        let outcome = |ev: i64, p: i64, kind: OutcomeKind, amount: Option<i64>, status: Status| {
            let s = s.clone();
            async move {
                s.add_chain_outcome(
                    ev,
                    p,
                    &ce::Outcome {
                        kind,
                        amount,
                        status,
                        note: String::new(),
                    },
                    Some(1),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("outcome not added"))
            }
        };
        outcome(e1, a1, OutcomeKind::Order, Some(wan(1200)), Status::Signed).await;
        outcome(
            e1,
            a1,
            OutcomeKind::Financing,
            Some(wan(500)),
            Status::Intention,
        )
        .await;
        outcome(e1, a1, OutcomeKind::Project, None, Status::Signed).await;
        let ob = outcome(e1, b1, OutcomeKind::Order, Some(wan(300)), Status::Signed).await;
        let oc = outcome(e2, c2, OutcomeKind::Order, Some(wan(800)), Status::Signed).await;
        outcome(
            e2,
            c2,
            OutcomeKind::Financing,
            Some(wan(2000)),
            Status::Signed,
        )
        .await;
        outcome(e3, b3, OutcomeKind::Project, None, Status::Intention).await;
        outcome(e4, c4, OutcomeKind::Order, Some(wan(999)), Status::Signed).await;
        // A party of another event is not this event's.
        assert_eq!(
            s.add_chain_outcome(
                e1,
                c2,
                &ce::Outcome {
                    kind: OutcomeKind::Order,
                    amount: Some(1),
                    status: Status::Signed,
                    note: String::new()
                },
                None
            )
            .await
            .ok()
            .flatten(),
            None,
            "{b}"
        );
        s.set_chain_outcome_status(ob, Status::Signed, Status::Executed, "", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // A second click finds it moved on.
        assert!(
            matches!(
                s.set_chain_outcome_status(ob, Status::Signed, Status::Executed, "", Some(1))
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        s.set_chain_outcome_status(oc, Status::Signed, Status::Cancelled, "合同解除", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let sum = |f: ChainFilter| {
            let s = s.clone();
            async move { s.chain_summary(&f).await.unwrap_or_else(|e| panic!("{e}")) }
        };
        let ic = sum(ChainFilter {
            year: Some(2026),
            chain: Some("集成电路".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            (
                ic.events,
                ic.firms,
                ic.participations,
                ic.orders,
                ic.financing,
                ic.projects
            ),
            (2, 3, 5, wan(1500), wan(2000), 1),
            "{b}: 2026 集成电路"
        );
        let xihu = sum(ChainFilter {
            year: Some(2026),
            region: Some("330106".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            (
                xihu.events,
                xihu.firms,
                xihu.orders,
                xihu.financing,
                xihu.projects
            ),
            (2, 2, wan(1500), 0, 1),
            "{b}: 2026 in 330106"
        );
        // A district user's scope is its districts: the same as the region filter here.
        let scoped = sum(ChainFilter {
            year: Some(2026),
            regions: Some(vec!["330106".into()]),
            ..Default::default()
        })
        .await;
        assert_eq!(scoped, xihu, "{b}");
        let all = sum(ChainFilter {
            year: Some(2026),
            ..Default::default()
        })
        .await;
        assert_eq!(
            (all.events, all.firms, all.participations),
            (3, 3, 6),
            "{b}: 2026"
        );
        let y25 = sum(ChainFilter {
            year: Some(2025),
            ..Default::default()
        })
        .await;
        assert_eq!((y25.events, y25.orders), (1, wan(999)), "{b}: 2025");
        // A firm sees the events it took part in.
        let of_c = s
            .chain_events(&ChainFilter {
                uscc: Some(fc.to_string()),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<i64> = of_c.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![e2, e4], "{b}: newest first");
        let outs = s.chain_outcomes(e2).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outs[0].status, Status::Cancelled, "{b}");
        assert_eq!(outs[0].reason, "合同解除", "{b}");
        let parties = s.chain_parties(e1).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parties.len(), 3, "{b}");
        assert_eq!(parties[2].uscc, None, "{b}: the bank is named");
    }
}

/// Issue 12: the quality-product catalogue's records — a submission by a titled firm, guarded
/// steps (a second click finds the entry moved on), an objection upheld in one transaction with
/// its entry's rejection, the published list, and the flag of a firm whose title has lapsed.
#[tokio::test]
async fn catalogue_entries_step_once_and_objections_resolve_with_their_entry() {
    use zjtx_core::workflow::catalogue::{Entry, Status};
    use zjtx_store::CatalogueFilter;
    for s in stores("catalogue").await {
        let b = s.backend();
        let rows = evaluated(city(200));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let today = "2026-06-01";
        let titled = rows
            .iter()
            .find(|(e, _)| {
                e.srdi_until
                    .is_some_and(|u| u.to_string().as_str() > "2027-01-01")
            })
            .map(|(e, _)| e.uscc.to_string())
            .unwrap_or_else(|| panic!("{b}: a titled firm in the generated city"));
        let untitled = rows
            .iter()
            .find(|(e, _)| e.srdi_until.is_none() && e.giant_until.is_none())
            .map(|(e, _)| e.uscc.to_string())
            .unwrap_or_else(|| panic!("{b}: an untitled firm"));
        assert!(s.firm_titled(&titled, today).await.unwrap_or(false), "{b}");
        assert!(
            !s.firm_titled(&untitled, today).await.unwrap_or(true),
            "{b}"
        );
        // The title runs out: on a day after it, the firm is not titled.
        assert!(
            !s.firm_titled(&titled, "2099-01-01").await.unwrap_or(true),
            "{b}"
        );
        let entry = |name: &str| Entry {
            year: 2026,
            name: name.into(),
            description: String::new(),
        };
        let a = s
            .submit_catalogue(&titled, &entry("高精度传感器"), Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let o = s
            .submit_catalogue(&titled, &entry("工业控制器"), Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        for (id, steps) in [
            (
                a,
                vec![
                    (Status::Submitted, Status::Recommended),
                    (Status::Recommended, Status::Approved),
                    (Status::Approved, Status::Notice),
                ],
            ),
            (
                o,
                vec![
                    (Status::Submitted, Status::Recommended),
                    (Status::Recommended, Status::Approved),
                    (Status::Approved, Status::Notice),
                ],
            ),
        ] {
            for (from, to) in steps {
                let window = (to == Status::Notice).then_some(("2026-06-01", "2026-06-05"));
                s.catalogue_step(id, from, to, "", window, "catalogue.step", Some(1))
                    .await
                    .unwrap_or_else(|e| panic!("{b}: {e}"));
            }
        }
        // The same step twice: the second finds the entry moved on.
        assert!(
            matches!(
                s.catalogue_step(
                    a,
                    Status::Approved,
                    Status::Notice,
                    "",
                    None,
                    "catalogue.step",
                    None
                )
                .await,
                Err(StoreError::Conflict(_))
            ),
            "{b}"
        );
        let on = s
            .catalogue_entry(a, today)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{b}: entry"));
        assert_eq!(
            (on.status, on.notice_until.as_deref(), on.titled),
            (Status::Notice, Some("2026-06-05"), true),
            "{b}"
        );
        // An objection to the second, upheld: the entry is rejected with the same transaction.
        let obj = s
            .object_catalogue(o, "该产品非企业自主研发", Some(2))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.resolve_catalogue_objection(obj, o, true, "经核实属实", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.resolve_catalogue_objection(obj, o, false, "again", Some(1))
                .await
                .is_err(),
            "{b}: resolved once"
        );
        let rejected = s
            .catalogue_entry(o, today)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("entry"));
        assert_eq!(
            (rejected.status, rejected.reason.as_str()),
            (Status::Rejected, "经核实属实"),
            "{b}"
        );
        assert!(
            s.object_catalogue(o, "x", None).await.is_err(),
            "{b}: not on notice any more"
        );
        s.catalogue_step(
            a,
            Status::Notice,
            Status::Listed,
            "",
            None,
            "catalogue.list",
            Some(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let published = s
            .catalogue_entries(
                &CatalogueFilter {
                    year: Some(2026),
                    statuses: vec![Status::Listed],
                    ..Default::default()
                },
                today,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            published.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![a],
            "{b}"
        );
        assert!(!published[0].firm.is_empty(), "{b}: with the firm's name");
        // The bureau's line counts the listed product and its firm; not in another year.
        let line = |year: i32| {
            let s = s.clone();
            async move {
                s.chain_line_more(&zjtx_store::ChainFilter::default(), year)
                    .await
                    .map(|m| (m.catalogue_products, m.catalogue_firms))
                    .unwrap_or((-1, -1))
            }
        };
        assert_eq!(line(2026).await, (1, 1), "{b}");
        assert_eq!(line(2025).await, (0, 0), "{b}");
        // Read on a day after the title ran out, the listed product is flagged.
        let later = s
            .catalogue_entries(
                &CatalogueFilter {
                    year: Some(2026),
                    statuses: vec![Status::Listed],
                    ..Default::default()
                },
                "2099-01-01",
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(!later[0].titled, "{b}");
        // A district sees its own firms' entries only.
        let region = rows
            .iter()
            .find(|(e, _)| e.uscc.to_string() == titled)
            .and_then(|(e, _)| e.district.clone());
        let code = zjtx_core::enterprise::DISTRICTS
            .iter()
            .find(|(_, n)| Some(*n) == region.as_deref())
            .map(|(c, _)| (*c).to_owned());
        let other: Vec<String> = zjtx_core::enterprise::DISTRICTS
            .iter()
            .map(|(c, _)| (*c).to_owned())
            .filter(|c| Some(c) != code.as_ref())
            .collect();
        let seen = s
            .catalogue_entries(
                &CatalogueFilter {
                    regions: Some(other),
                    ..Default::default()
                },
                today,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(seen.is_empty(), "{b}: another district's view");
    }
}

/// Issue 12: open challenges' records — a posting screened and published, applications (one per
/// firm), selection bounded by the rule's maximum even when asked twice, the start closing the
/// others, milestones, an acceptance refused while a milestone is open and then recorded with its
/// subsidy, the supplier list and the challenge closed in the same transaction; and the facts a
/// recommendation weighs.
#[tokio::test]
async fn challenges_run_from_posting_to_acceptance_with_guarded_steps() {
    use zjtx_core::num::Wan;
    use zjtx_core::workflow::challenge::{
        Acceptance, AppStatus, Application, Challenge, Milestone, MilestoneStatus, Mode, Scores,
        Status,
    };
    use zjtx_store::ChallengeFilter;
    for s in stores("challenges").await {
        let b = s.backend();
        let mut rows = city(60);
        rows[3].main_products = Some("功率芯片封装材料".into());
        let rows = evaluated(rows);
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let u = |i: usize| rows[i].0.uscc.to_string();
        let (poster, a1, a2) = (u(0), u(1), u(2));
        s.set_chains(&[(a1.clone(), vec!["集成电路".into()])], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let day = |t: &str| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap_or_default();
        let c = Challenge {
            chain: "集成电路".into(),
            title: "功率芯片封装散热".into(),
            description: "d".into(),
            indicators: "i".into(),
            deadline: day("2026-09-30"),
            budget: Some(Wan::whole(300)),
            reward: String::new(),
            mode: Mode::Joint,
            anonymous: true,
        };
        let id = s
            .post_challenge(&poster, &c, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let app = Application {
            team: "t".into(),
            capability: "c".into(),
            plan: "p".into(),
        };
        // Not published yet: nobody can apply.
        assert!(s.apply_challenge(id, &a1, &app, None).await.is_err(), "{b}");
        s.challenge_step(
            id,
            Status::Submitted,
            Status::Published,
            "",
            Some(("2026-06-01", true)),
            "challenge.publish",
            Some(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        // The same click again finds it moved on.
        assert!(
            s.challenge_step(
                id,
                Status::Submitted,
                Status::Published,
                "",
                None,
                "x",
                None
            )
            .await
            .is_err(),
            "{b}"
        );
        let row = s.challenge(id).await.ok().flatten();
        assert_eq!(
            row.as_ref()
                .map(|r| (r.status, r.anonymous, r.subsidy, r.budget)),
            Some((Status::Published, true, true, Some(3_000_000))),
            "{b}"
        );
        let x1 = s
            .apply_challenge(id, &a1, &app, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let x2 = s
            .apply_challenge(id, &a2, &app, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.apply_challenge(id, &a1, &app, None).await.is_err(),
            "{b}: one application per firm"
        );
        let sc = Scores {
            team: 20,
            capability: 20,
            plan: 20,
            fit: 25,
        };
        s.select_application(x1, &sc, "最合适", 1, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // With a maximum of one, a second selection is refused by the store itself.
        assert!(
            s.select_application(x2, &sc, "也行", 1, Some(1))
                .await
                .is_err(),
            "{b}"
        );
        s.start_challenge(id, 1, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let apps = s.challenge_applications(id).await.unwrap_or_default();
        assert_eq!(
            apps.iter()
                .map(|a| (a.id, a.status, a.scores))
                .collect::<Vec<_>>(),
            vec![
                (x1, AppStatus::Selected, Some([20, 20, 20, 25])),
                (x2, AppStatus::NotSelected, None)
            ],
            "{b}"
        );
        let m = s
            .add_milestone(
                x1,
                &Milestone {
                    title: "样品".into(),
                    due: day("2026-08-01"),
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.add_milestone(
                x2,
                &Milestone {
                    title: "x".into(),
                    due: day("2026-08-01")
                },
                None
            )
            .await
            .is_err(),
            "{b}: no milestone for an application not selected"
        );
        let sel = apps[0].clone();
        let acc = Acceptance {
            investment: Some(Wan::whole(500)),
            subsidy: Some(Wan::whole(100)),
        };
        // A milestone still open: the store refuses the acceptance.
        assert!(
            s.decide_application(&sel, &poster, Some((acc, true)), "", "2026-08-02", None)
                .await
                .is_err(),
            "{b}"
        );
        s.milestone_step(
            m,
            MilestoneStatus::Planned,
            MilestoneStatus::Reported,
            Some("检测报告"),
            "",
            "challenge.report",
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.milestone_step(
            m,
            MilestoneStatus::Reported,
            MilestoneStatus::Done,
            None,
            "",
            "challenge.confirm",
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.decide_application(&sel, &poster, Some((acc, true)), "", "2026-08-02", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.decide_application(&sel, &poster, None, "again", "2026-08-02", None)
                .await
                .is_err(),
            "{b}: decided once"
        );
        let done = s.challenge_application(x1).await.ok().flatten();
        assert_eq!(
            done.map(|a| (a.status, a.investment, a.subsidy)),
            Some((AppStatus::Accepted, Some(5_000_000), Some(1_000_000))),
            "{b}"
        );
        assert_eq!(
            s.challenge(id).await.ok().flatten().map(|r| r.status),
            Some(Status::Closed),
            "{b}"
        );
        // The bureau's line: one published in 2026, one accepted; none of another chain.
        let more = |chain: &str| {
            let (s, chain) = (s.clone(), chain.to_owned());
            async move {
                s.chain_line_more(
                    &zjtx_store::ChainFilter {
                        chain: Some(chain),
                        ..Default::default()
                    },
                    2026,
                )
                .await
                .map(|m| (m.challenges_published, m.challenges_accepted))
                .unwrap_or((-1, -1))
            }
        };
        assert_eq!(more("集成电路").await, (1, 1), "{b}");
        assert_eq!(more("生物药").await, (0, 0), "{b}");
        let sup = s.suppliers_of(&poster).await.unwrap_or_default();
        assert_eq!(
            sup.iter()
                .map(|x| (x.uscc.as_str(), x.challenge_id))
                .collect::<Vec<_>>(),
            vec![(a1.as_str(), id)],
            "{b}"
        );
        assert_eq!(
            s.challenges(&ChallengeFilter {
                statuses: vec![Status::Closed],
                poster: Some(poster.clone()),
                ..Default::default()
            })
            .await
            .map(|v| v.len())
            .unwrap_or(0),
            1,
            "{b}"
        );
        // The facts: the tagged firm with its accepted result; a firm of the ecosystem with
        // main products on record.
        let eco = rows[3].0.ecosystem.clone().unwrap_or_default();
        let facts = s
            .candidate_facts("集成电路", &eco, "2026-08-02", 100)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let f1 = facts.iter().find(|f| f.uscc == a1);
        assert_eq!(
            f1.map(|f| (f.accepted, f.chains.clone())),
            Some((1, vec!["集成电路".to_owned()])),
            "{b}"
        );
        if !eco.is_empty() {
            assert!(
                facts
                    .iter()
                    .any(|f| f.uscc == u(3) && f.main_products == "功率芯片封装材料"),
                "{b}"
            );
        }
        let capped = s
            .candidate_facts("集成电路", &eco, "2026-08-02", 1)
            .await
            .unwrap_or_default();
        assert_eq!(
            capped.iter().map(|f| f.uscc.as_str()).collect::<Vec<_>>(),
            vec![a1.as_str()],
            "{b}: tagged firms first"
        );
    }
}

/// Issue 12: segments (细分赛道) under the chains — added, the firm's tags, the list filtered by a
/// segment (scope held), a segment's rename and its chain's rename carrying the tags, retirement.
#[tokio::test]
async fn segments_tag_firms_filter_the_list_and_follow_renames() {
    for s in stores("segments").await {
        let b = s.backend();
        let rows = evaluated(city(40));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let u = |i: usize| rows[i].0.uscc.to_string();
        s.set_chains(
            &[
                (u(0), vec!["集成电路".into()]),
                (u(1), vec!["集成电路".into()]),
            ],
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.add_segment("集成电路", "封装测试", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.add_segment("集成电路", "芯片设计", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.add_segment("集成电路", "封装测试", None).await.is_err(),
            "{b}: taken"
        );
        assert!(
            s.add_segment("不存在的链", "x", None).await.is_err(),
            "{b}: no such chain"
        );
        s.set_segments(&u(0), &[("集成电路".into(), "封装测试".into())], Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let listed = |seg: &'static str| {
            let s = s.clone();
            async move {
                s.list(
                    &Filter {
                        chain: Some("集成电路".into()),
                        segment: Some(seg.into()),
                        per_page: 50,
                        ..Default::default()
                    },
                    &Scope::all(),
                )
                .await
                .map(|p| p.items.into_iter().map(|e| e.uscc).collect::<Vec<_>>())
                .unwrap_or_default()
            }
        };
        assert_eq!(listed("封装测试").await, vec![u(0)], "{b}");
        assert!(listed("芯片设计").await.is_empty(), "{b}");
        s.rename_segment("集成电路", "封装测试", "先进封装", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.rename_chain("集成电路", "集成电路产业", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.segments_of(&u(0)).await.unwrap_or_default(),
            vec![("集成电路产业".to_owned(), "先进封装".to_owned())],
            "{b}"
        );
        let segs = s.segments().await.unwrap_or_default();
        assert_eq!(
            segs.iter()
                .map(|x| (x.chain.as_str(), x.name.as_str(), x.retired_on.is_some()))
                .collect::<Vec<_>>(),
            vec![
                ("集成电路产业", "先进封装", false),
                ("集成电路产业", "芯片设计", false)
            ],
            "{b}"
        );
        s.retire_segment("集成电路产业", "芯片设计", "2026-06-01", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.retire_segment("集成电路产业", "芯片设计", "2026-06-02", None)
                .await
                .is_err(),
            "{b}: retired once"
        );
        assert_eq!(
            s.audit_by_action("segment.tag")
                .await
                .map(|v| v.len())
                .unwrap_or(0),
            1,
            "{b}"
        );
    }
}

/// An enterprise page's file of one firm comes in one statement: it holds what the separate
/// reads give (years newest first, titles, chains, segments, the military qualification), on
/// either backend. Its counter of the chain lists moves with every edit of a chain or a segment
/// (by the database's triggers) and with nothing else; the lists kept for a counter are read
/// again when it has moved.
#[tokio::test]
async fn a_firms_file_is_what_the_separate_reads_give_and_chain_lists_follow_their_counter() {
    for s in stores("firm-file").await {
        let b = s.backend();
        let mut rows = city(3);
        rows[0].srdi_until = NaiveDate::from_ymd_opt(2028, 5, 31);
        rows[0].innovative_until = NaiveDate::from_ymd_opt(2027, 1, 1);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let mut older = rows[0].clone();
        older.year = Some(2023);
        s.import(&evaluated(vec![older]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let u = rows[0].uscc.to_string();
        let other = s.chains().await.unwrap_or_default()[0].name.clone();
        s.set_chains(&[(u.clone(), vec!["集成电路".into(), other])], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let file = |code: String| {
            let s = s.clone();
            async move { s.firm_file(&code).await.unwrap_or_else(|e| panic!("{e}")) }
        };
        let mark = file(u.clone()).await.lists_mark;
        for seg in ["芯片设计", "封装测试"] {
            s.add_segment("集成电路", seg, None)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        assert!(
            file(u.clone()).await.lists_mark > mark,
            "{b}: segments added"
        );
        let mark = file(u.clone()).await.lists_mark;
        let segs = [
            ("集成电路".to_owned(), "芯片设计".to_owned()),
            ("集成电路".to_owned(), "封装测试".to_owned()),
        ];
        s.set_segments(&u, &segs, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.set_military(&u, "2025-03-01", "二级保密资格", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let f = file(u.clone()).await;
        assert_eq!(
            f.lists_mark, mark,
            "{b}: a firm's tags are no edit of the lists"
        );
        let years = s.years(&u).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            f.years.iter().map(|(y, _)| *y).collect::<Vec<_>>(),
            vec![2025, 2023],
            "{b}"
        );
        assert_eq!(f.years, years, "{b}: years");
        assert_eq!(f.titles, s.titles(&u).await.unwrap_or_default(), "{b}");
        assert!(f.titles.len() >= 2, "{b}: {:?}", f.titles);
        assert_eq!(f.chains, s.chains_of(&u).await.unwrap_or_default(), "{b}");
        assert_eq!(f.chains.len(), 2, "{b}");
        assert_eq!(f.segments, s.segments_of(&u).await.unwrap_or_default());
        assert_eq!(f.segments.len(), 2, "{b}");
        assert_eq!(f.military, s.military_of(&u).await.unwrap_or_default());
        assert!(f.military.is_some(), "{b}");
        // A firm with its one year only, and a code not in the registry.
        let plain = file(rows[1].uscc.to_string()).await;
        assert_eq!(plain.years.len(), 1, "{b}");
        assert!(plain.chains.is_empty() && plain.segments.is_empty() && plain.military.is_none());
        assert_eq!(plain.lists_mark, mark, "{b}");
        let none = file("91330100MA00000000".into()).await;
        assert!(none.years.is_empty() && none.titles.is_empty(), "{b}");
        assert_eq!(none.lists_mark, mark, "{b}");
        assert_eq!(s.chain_lists_mark().await.ok(), Some(mark), "{b}");

        // Each edit of the lists moves the counter, and the lists read for it are the new ones.
        let read = |m: i64| {
            let s = s.clone();
            async move { s.chain_lists(m).await.unwrap_or_else(|e| panic!("{e}")) }
        };
        let fresh = || async {
            zjtx_store::ChainLists {
                chains: s.chains().await.unwrap_or_default(),
                segments: s.segments().await.unwrap_or_default(),
            }
        };
        let mut kept = read(mark).await;
        assert_eq!(*kept, fresh().await, "{b}");
        assert!(
            std::sync::Arc::ptr_eq(&kept, &read(mark).await),
            "{b}: kept while the counter stands"
        );
        let eco = kept.chains[0].ecosystem.clone();
        let mut mark = mark;
        for step in 0..6 {
            match step {
                0 => {
                    s.add_chain(&eco, "低空经济", "Low-altitude economy", None)
                        .await
                }
                1 => s.rename_chain("低空经济", "低空飞行", None).await,
                2 => s.retire_chain("低空飞行", "2026-06-01", None).await,
                3 => {
                    s.rename_segment("集成电路", "封装测试", "先进封装", None)
                        .await
                }
                4 => {
                    s.retire_segment("集成电路", "芯片设计", "2026-06-01", None)
                        .await
                }
                _ => s.add_segment("集成电路", "设备材料", None).await,
            }
            .unwrap_or_else(|e| panic!("{b}: step {step}: {e}"));
            let now = file(u.clone()).await.lists_mark;
            assert!(now > mark, "{b}: step {step} moved the counter");
            let lists = read(now).await;
            assert_eq!(*lists, fresh().await, "{b}: step {step}");
            assert_ne!(*lists, *kept, "{b}: step {step} read again");
            (mark, kept) = (now, lists);
        }
    }
}

/// Issue 13: a call with its budgets, applications reviewed and approved, the budgets holding in
/// the statement itself (an approval past a budget refused even if asked directly), a lower
/// award of the same project superseded, payments within each level's share, a recovery, and the
/// call's totals.
#[tokio::test]
async fn fund_calls_awards_payments_and_recoveries() {
    use zjtx_core::num::Wan;
    use zjtx_core::workflow::fund::{Cause, Level, Money, Status};
    use zjtx_store::FundFilter;
    for s in stores("funds").await {
        let b = s.backend();
        let rows = evaluated(city(30));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let (u, region) = rows
            .iter()
            .find_map(|(e, _)| {
                let code = zjtx_core::enterprise::DISTRICTS
                    .iter()
                    .find(|(_, n)| Some(*n) == e.district.as_deref())?
                    .0;
                Some((e.uscc.to_string(), code.to_owned()))
            })
            .unwrap_or_else(|| panic!("{b}: a firm with a district"));
        let w = |n: i64| Wan::whole(n).units();
        let open = |id: &'static str, city: i64, district: i64| {
            let (s, region) = (s.clone(), region.clone());
            async move {
                s.open_call(
                    id,
                    2026,
                    "tech_upgrade",
                    id,
                    ("2026-01-01", "2026-12-31"),
                    "# the programme file",
                    &[("city".into(), w(city)), (region, w(district))],
                    Some(1),
                )
                .await
            }
        };
        let c1 = open("p-one", 300, 150)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let c2 = open("p-two", 1000, 1000)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            open("p-one", 1, 1).await.is_err(),
            "{b}: one call per programme"
        );
        let cells = vec!["x".to_owned()];
        let apply = |call: i64, code: &'static str| {
            let (s, u, cells) = (s.clone(), u.clone(), cells.clone());
            async move {
                s.apply_fund(call, &u, code, "项目", &cells, "No.1", Some(2))
                    .await
            }
        };
        let a1 = apply(c1, "P-001")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let a2 = apply(c1, "P-002")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let a3 = apply(c2, "P-001")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            apply(c1, "P-001").await.is_err(),
            "{b}: once per project and call"
        );
        for a in [a1, a2, a3] {
            s.fund_step(
                a,
                Status::Submitted,
                Status::Recommended,
                "",
                "fund.review",
                Some(3),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        let app = |id: i64| {
            let s = s.clone();
            async move {
                s.fund_application(id)
                    .await
                    .unwrap_or_else(|e| panic!("application {id}: {e}"))
                    .unwrap_or_else(|| panic!("no application {id}"))
            }
        };
        // 200 = 100 + 100: within 300 and 150.
        s.approve_fund(
            &app(a1).await,
            (w(200), w(100), w(100)),
            "{}",
            "2026-06-01",
            None,
            Some(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Another 120 = 60 + 60 would take the district to 160 of 150: refused by the statement.
        assert!(
            s.approve_fund(
                &app(a2).await,
                (w(120), w(60), w(60)),
                "{}",
                "2026-06-01",
                None,
                Some(1)
            )
            .await
            .is_err(),
            "{b}: over the district's budget"
        );
        assert_eq!(s.committed(c1, "city").await.unwrap_or(-1), w(100), "{b}");
        assert_eq!(s.committed(c1, &region).await.unwrap_or(-1), w(100), "{b}");
        // The same project's higher award in the other call supersedes the unpaid lower one.
        s.approve_fund(
            &app(a3).await,
            (w(400), w(200), w(200)),
            "{}",
            "2026-06-02",
            Some(a1),
            Some(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(app(a1).await.status, Status::Superseded, "{b}");
        assert_eq!(
            s.awards_of_project("P-001", a1)
                .await
                .map(|v| v.iter().map(|a| a.id).collect::<Vec<_>>())
                .unwrap_or_default(),
            vec![a3],
            "{b}"
        );
        // Payments within each share: 150 of the city's 200, then 60 more refused.
        let money = |level: Level, amount: i64, reference: &str| Money {
            level,
            amount: Wan::whole(amount),
            on: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default(),
            reference: reference.into(),
        };
        s.fund_money(a3, &money(Level::City, 150, "拨付一"), None, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.fund_money(a3, &money(Level::City, 60, "拨付二"), None, None)
                .await
                .is_err(),
            "{b}: past the city's share"
        );
        s.fund_money(a3, &money(Level::District, 200, "区拨付"), None, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Recovery: at most what the level paid.
        assert!(
            s.fund_money(
                a3,
                &money(Level::City, 151, "追回"),
                Some(Cause::TitleRevoked),
                None
            )
            .await
            .is_err(),
            "{b}"
        );
        s.fund_money(
            a3,
            &money(Level::City, 150, "追回"),
            Some(Cause::TitleRevoked),
            Some(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let got = app(a3).await;
        assert_eq!(
            (
                got.paid_city,
                got.paid_district,
                got.recovered_city,
                got.recovered_district
            ),
            (w(150), w(200), w(150), 0),
            "{b}"
        );
        let call = s.call(c2).await.ok().flatten();
        assert_eq!(
            call.map(|c| (c.budget, c.committed, c.paid, c.recovered)),
            Some((w(2000), w(400), w(350), w(150))),
            "{b}"
        );
        assert_eq!(s.money_of(a3).await.map(|v| v.len()).unwrap_or(0), 3, "{b}");
        assert_eq!(
            s.fund_applications(&FundFilter {
                regions: Some(vec![region.clone()]),
                ..Default::default()
            })
            .await
            .map(|v| v.len())
            .unwrap_or(0),
            3,
            "{b}"
        );
        for a in [
            "fund.call.open",
            "fund.apply",
            "fund.approve",
            "fund.supersede",
            "fund.payment",
            "fund.recovery",
        ] {
            assert!(
                !s.audit_by_action(a).await.unwrap_or_default().is_empty(),
                "{b}: {a}"
            );
        }
    }
}

/// Issue 13: providers' profiles and service records (to registry firms only), the index from
/// the stored records, and a year's selection published once.
#[tokio::test]
async fn providers_records_and_a_selection_published_once() {
    use zjtx_core::num::Wan;
    use zjtx_core::workflow::provider::{Record, index, metrics, select};
    for s in stores("providers").await {
        let b = s.backend();
        let rows = evaluated(city(10));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let u = |i: usize| rows[i].0.uscc.to_string();
        let p1 = s
            .set_provider(101, "数智工程甲")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let p2 = s
            .set_provider(102, "数智工程乙")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.set_provider(101, "数智工程甲（更名）").await.ok(),
            Some(p1),
            "{b}: one profile per account"
        );
        let rec = |client: String, value: i64, accepted: bool| Record {
            client,
            year: 2026,
            value: Wan::whole(value),
            delivered: 2,
            accepted,
            level_before: 1,
            level_after: 2,
            satisfaction: 90,
        };
        s.add_provider_record(p1, &rec(u(0), 300, true), Some(101))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.add_provider_record(p1, &rec(u(1), 100, false), Some(101))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.add_provider_record(p2, &rec(u(2), 50, true), Some(102))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.add_provider_record(p2, &rec("91350100M000100Y43".into(), 1, true), None)
                .await
                .is_err(),
            "{b}: not a registry firm"
        );
        let all = s.provider_records(2026, None).await.unwrap_or_default();
        assert_eq!(all.len(), 3, "{b}");
        assert_eq!(
            s.provider_records(2026, Some(p2))
                .await
                .map(|v| v.len())
                .unwrap_or(0),
            1,
            "{b}"
        );
        let mut by: Vec<(i64, zjtx_core::workflow::provider::Metrics)> = Vec::new();
        for p in [p1, p2] {
            let recs: Vec<Record> = all
                .iter()
                .filter(|r| r.provider_id == p)
                .map(|r| r.record.clone())
                .collect();
            by.push((p, metrics(&recs)));
        }
        let rules = zjtx_core::rules::load_all(&zjtx_core::rules::Embedded)
            .unwrap_or_else(|e| panic!("{e}"))[0]
            .common
            .providers
            .clone();
        let sel = select(&rules, &index(&rules, &by));
        assert_eq!(
            sel.iter().map(|x| x.provider).collect::<Vec<_>>(),
            vec![p1, p2],
            "{b}"
        );
        s.publish_selection(2026, &sel, "2026-11-30", Some(1))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.publish_selection(2026, &sel, "2026-12-01", Some(1))
                .await
                .is_err(),
            "{b}: once"
        );
        let published = s.selections(2026).await.unwrap_or_default();
        assert_eq!(
            published
                .iter()
                .map(|x| (x.rank, x.provider.as_str(), x.award))
                .collect::<Vec<_>>(),
            vec![
                (1, "数智工程甲（更名）", Wan::whole(30).units()),
                (2, "数智工程乙", Wan::whole(5).units())
            ],
            "{b}"
        );
    }
}

/// Issue 14: the two clearings' records — a snapshot adds only new firms (re-running it keeps the
/// follow-up), a firm listed again the next year is flagged, the follow-up's steps are guarded,
/// districts read their own, and the candidates' figures of a year are read for the lists.
#[tokio::test]
async fn clearings_snapshot_follow_up_and_reentry() {
    use zjtx_core::workflow::clearing::{List, Status};
    for s in stores("clearings").await {
        let b = s.backend();
        let rows = evaluated(city(20));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let u = |i: usize| rows[i].0.uscc.to_string();
        let region = |i: usize| {
            zjtx_core::enterprise::DISTRICTS
                .iter()
                .find(|(_, n)| Some(*n) == rows[i].0.district.as_deref())
                .map(|(c, _)| (*c).to_owned())
        };
        let items = |year_items: &[usize]| {
            year_items
                .iter()
                .map(|i| (List::NoRd, u(*i), region(*i), 100_000_000))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            s.snapshot_clearings(2024, &items(&[0, 1]), Some(1))
                .await
                .ok(),
            Some(2),
            "{b}"
        );
        assert_eq!(
            s.snapshot_clearings(2025, &items(&[1, 2]), Some(1))
                .await
                .ok(),
            Some(2),
            "{b}"
        );
        let y25 = s.clearing_items(2025, None).await.unwrap_or_default();
        let flags: Vec<(String, bool)> = y25.iter().map(|i| (i.uscc.clone(), i.reentry)).collect();
        assert!(
            flags.contains(&(u(1), true)) && flags.contains(&(u(2), false)),
            "{b}: {flags:?}"
        );
        let item = y25
            .iter()
            .find(|i| i.uscc == u(2))
            .map(|i| i.id)
            .unwrap_or_default();
        s.add_clearing_action(
            item,
            Status::Listed,
            "2026-03-01",
            "走访，指导建立研发台账",
            Some(2),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.add_clearing_action(item, Status::Listed, "2026-03-02", "again", Some(2))
                .await
                .is_err(),
            "{b}: moved on"
        );
        s.clearing_step(
            item,
            Status::Following,
            Status::Requested,
            "",
            None,
            Some(2),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.clearing_step(
            item,
            Status::Requested,
            Status::Cleared,
            "已有研发费用",
            Some("2026-04-01"),
            Some(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Re-running the snapshot keeps the follow-up.
        assert_eq!(
            s.snapshot_clearings(2025, &items(&[1, 2]), Some(1))
                .await
                .ok(),
            Some(0),
            "{b}"
        );
        let got = s.clearing_item(item).await.ok().flatten();
        assert_eq!(
            got.map(|i| (i.status, i.actions, i.cleared_on)),
            Some((Status::Cleared, 1, Some("2026-04-01".to_owned()))),
            "{b}"
        );
        if let Some(r) = region(2) {
            let mine = s
                .clearing_items(2025, Some(std::slice::from_ref(&r)))
                .await
                .unwrap_or_default();
            assert!(
                mine.iter()
                    .all(|i| i.region_code.as_deref() == Some(r.as_str()))
                    && !mine.is_empty(),
                "{b}"
            );
        }
        let year = rows[0].0.reference_year(as_of());
        let cands = s.clearing_candidates(year, "C").await.unwrap_or_default();
        let want = rows
            .iter()
            .filter(|(e, _)| e.industry_code.to_string().starts_with('C'))
            .count();
        assert!(want > 0, "{b}: the generated city has manufacturers");
        assert_eq!(cands.len(), want, "{b}");
        assert!(
            cands.iter().all(|(_, _, code, _)| code.starts_with('C')),
            "{b}"
        );
    }
}

/// Matching reads its firms in one query (`subjects`): each firm once, with every title it holds
/// and every consent in force for the institution (a firm with two consents and two titles is not
/// four firms), only firms of the sets asked for; the reads logged in one batch; and the listed
/// products' kept copy follows a review and a withdrawal at once.
#[tokio::test]
async fn matching_reads_its_firms_in_one_query_on_both_backends() {
    use zjtx_store::{AccessRead, SubjectSet};
    for s in stores("subjects").await {
        let b = s.backend();
        let mut rows = city(8);
        rows[0].innovative_until = NaiveDate::from_ymd_opt(2027, 6, 1);
        rows[0].srdi_until = NaiveDate::from_ymd_opt(2027, 6, 1);
        rows[1].innovative_until = NaiveDate::from_ymd_opt(2026, 1, 1);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let code = |i: usize| rows[i].uscc.to_string();
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let other = s
            .create_institution("别家", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let today = "2026-11-26";
        let grant = |u: String, inst: i64, cats: &'static str, until: &'static str| {
            let s = s.clone();
            async move {
                s.grant_consent(&u, inst, cats, false, "p", "2026-11-01", until, None)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let c1 = grant(code(0), bank, "profile", "2026-12-31").await;
        let c2 = grant(code(0), bank, "financials", "2026-12-31").await;
        grant(code(1), bank, "profile", "2026-12-31").await;
        // Not in force on the day, or given to another institution: not the bank's subjects.
        grant(code(2), bank, "profile", "2026-11-20").await;
        grant(code(3), other, "profile", "2026-12-31").await;
        s.post_need(&code(4), 1_000_000, "p", 12, "credit", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let consenting = SubjectSet {
            consenting: true,
            ..Default::default()
        };
        let got = s
            .subjects(bank, today, consenting)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let mut want = vec![code(0), code(1)];
        want.sort();
        let codes: Vec<&str> = got.iter().map(|x| x.row.uscc.as_str()).collect();
        assert_eq!(codes, want, "{b}");
        let first = got
            .iter()
            .find(|x| x.row.uscc == code(0))
            .unwrap_or_else(|| panic!("{b}"));
        let ids: Vec<i64> = first.consents.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![c2, c1], "{b}: newest first, each once");
        let mut held = first.held.clone();
        held.sort();
        let mut want_held: Vec<String> = s
            .titles(&code(0))
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, until)| until.as_str() >= today)
            .map(|(t, _)| t)
            .collect();
        want_held.sort();
        assert!(want_held.len() >= 2, "{b}: {want_held:?}");
        assert_eq!(held, want_held, "{b}");
        assert!(
            first.public.is_empty(),
            "{b}: imported titles are not the public list"
        );
        // An expired title is not held.
        let second = got
            .iter()
            .find(|x| x.row.uscc == code(1))
            .unwrap_or_else(|| panic!("{b}"));
        assert!(!second.held.contains(&"innovative".to_owned()), "{b}");
        // Open needs, and one firm only.
        let needs = s
            .subjects(
                bank,
                today,
                SubjectSet {
                    open_needs: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_default();
        assert_eq!(
            needs.iter().map(|x| x.row.uscc.clone()).collect::<Vec<_>>(),
            vec![code(4)],
            "{b}"
        );
        assert!(needs[0].consents.is_empty(), "{b}");
        let only = s
            .subjects(
                bank,
                today,
                SubjectSet {
                    consenting: true,
                    only: Some(&code(1)),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_default();
        assert_eq!(only.len(), 1, "{b}");
        assert_eq!(only[0].row.uscc, code(1), "{b}");
        // A batch of reads larger than one statement's rows: every one logged, under its firm.
        let (u0, u1) = (code(0), code(1));
        let before = s.access_log(&u0).await.map(|v| v.len()).unwrap_or(0);
        let reads: Vec<AccessRead> = (0..1_203)
            .map(|i| AccessRead {
                uscc: if i % 3 == 0 { &u1 } else { &u0 },
                categories: "profile".into(),
                consent: c1,
            })
            .collect();
        let user = staff(&s, "bank-staff").await;
        s.log_accesses(&reads, bank, user, "screening")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let log0 = s.access_log(&u0).await.unwrap_or_default();
        let log1 = s.access_log(&u1).await.unwrap_or_default();
        assert_eq!(log0.len() - before, 802, "{b}");
        assert_eq!(log1.len(), 401, "{b}");
        assert!(
            log1.iter()
                .all(|a| a.route == "screening" && a.consent_id == Some(c1)),
            "{b}"
        );
        // The listed products' kept copy: a review lists at once, a withdrawal unlists at once.
        let product = s
            .create_product(&loan(bank), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let listed = || {
            let s = s.clone();
            async move {
                s.listed_products()
                    .await
                    .map(|p| p.iter().map(|p| p.id).collect::<Vec<_>>())
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        assert!(listed().await.is_empty(), "{b}");
        s.review_product(product, true, "", None, &[])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(listed().await, vec![product], "{b}");
        s.withdraw_product(product, bank, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(listed().await.is_empty(), "{b}");
    }
}

/// Keys for systems on both backends: a key signs in as an account copying its creator's seat,
/// only while in force; one name per seat; its seat lists and revokes it, another seat cannot;
/// revoking disables the key's account.
#[tokio::test]
async fn api_keys_on_both_backends() {
    use zjtx_store::{NewApiKey, NewUser, Role};
    for s in stores("api_keys").await {
        let b = s.backend();
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let mut staff = Vec::new();
        for name in ["staff-a", "staff-b", "firm-user"] {
            let id = s
                .add_user(&NewUser {
                    username: name.into(),
                    password_hash: "x".into(),
                    role: if name == "firm-user" {
                        Role::Enterprise
                    } else {
                        Role::Institution
                    },
                    region_code: None,
                    uscc: None,
                })
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            staff.push(id);
        }
        s.set_institution("staff-a", bank, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let key = |owner: i64, name: &'static str, hash: &'static str| NewApiKey {
            owner,
            name,
            prefix: "zjtx_abc",
            key_hash: hash,
            scopes: "read",
            expires_on: "2027-01-31",
        };
        let id = s
            .create_api_key(&key(staff[0], "core", "h1"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            matches!(
                s.create_api_key(&key(staff[0], "core", "h2")).await,
                Err(StoreError::Conflict(_))
            ),
            "{b}: one name per seat"
        );
        assert!(
            s.create_api_key(&key(staff[2], "mine", "h3"))
                .await
                .is_err(),
            "{b}: a firm holds no keys"
        );
        let (k, u) = s
            .api_key("h1", "2027-01-31")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{b}: in force on its last day"));
        assert_eq!((k.id, k.name.as_str()), (id, "core"), "{b}");
        assert_eq!(
            (u.role, u.institution_id),
            (Role::Institution, Some(bank)),
            "{b}"
        );
        assert!(
            s.api_key("h1", "2027-02-01").await.ok().flatten().is_none(),
            "{b}: expired"
        );
        assert_eq!(
            s.api_keys(staff[0]).await.map(|v| v.len()).ok(),
            Some(1),
            "{b}"
        );
        // staff-b has no institution: another seat.
        assert_eq!(
            s.api_keys(staff[1]).await.map(|v| v.len()).ok(),
            Some(0),
            "{b}"
        );
        assert!(s.revoke_api_key(id, staff[1]).await.is_err(), "{b}");
        s.touch_api_key(id)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.revoke_api_key(id, staff[0])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.api_key("h1", "2026-12-04").await.ok().flatten().is_none(),
            "{b}"
        );
        let listed = s.api_keys(staff[0]).await.unwrap_or_default();
        assert!(listed[0].revoked && listed[0].last_used_at.is_some(), "{b}");
        let account = s
            .user_by_name(&format!("api:{}:core", staff[0]))
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{b}"));
        assert!(account.disabled, "{b}");
        // A district's key is not one of the district's people: it is told nothing.
        s.seed_reference()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let officer = s
            .add_user(&NewUser {
                username: "xihu-officer".into(),
                password_hash: "x".into(),
                role: Role::District,
                region_code: Some("330106".into()),
                uscc: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.create_api_key(&key(officer, "exchange", "h9"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let (_, district) = s
            .recipients("91330106MA2AAAAA0X", Some("330106"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(district, vec![officer], "{b}");
    }
}

/// A read of every consenting firm at once is one row, shown in each firm's access log for each
/// of its consents to that institution in force at that moment: not before the consent, not
/// after its revocation, not on a day outside its dates, not for another institution's read.
#[tokio::test]
async fn a_read_of_every_consenting_firm_shows_in_each_firms_log() {
    use std::time::Duration;
    for s in stores("access_sets").await {
        let b = s.backend();
        let rows = city(3);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let (u0, u1) = (rows[0].uscc.to_string(), rows[1].uscc.to_string());
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let other = s
            .create_institution("别家", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let user = staff(&s, "staff").await;
        // Consents in force through November.
        let grant = |u: String, cats: &'static str, predicates: bool| {
            let s = s.clone();
            async move {
                s.grant_consent(
                    &u,
                    bank,
                    cats,
                    predicates,
                    "p",
                    "2026-11-01",
                    "2026-11-30",
                    None,
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let count = |u: String| {
            let s = s.clone();
            async move { s.access_log(&u).await.map(|l| l.len()).unwrap_or(99) }
        };
        // A read before any consent: no one's.
        s.log_access_set(bank, user, "screening", "2026-11-26")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let c0 = grant(u0.clone(), "profile", false).await;
        grant(u0.clone(), "financials", true).await;
        let c1 = grant(u1.clone(), "profile", false).await;
        assert_eq!(
            count(u0.clone()).await,
            0,
            "{b}: the read came before the consent"
        );
        s.log_access_set(bank, user, "screening", "2026-11-26")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Another institution's read, and a read on a day outside the consents' dates.
        s.log_access_set(other, user, "screening", "2026-11-26")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.log_access_set(bank, user, "screening", "2026-12-01")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let log0 = s.access_log(&u0).await.unwrap_or_default();
        assert_eq!(log0.len(), 2, "{b}: once per consent in force: {log0:?}");
        assert!(
            log0.iter()
                .any(|a| a.consent_id == Some(c0) && a.categories == "profile")
        );
        assert_eq!(count(u1.clone()).await, 1, "{b}");
        assert_eq!(
            count(rows[2].uscc.to_string()).await,
            0,
            "{b}: no consent, no read"
        );
        // Revoked: later reads are not its.
        s.revoke_consent(c1, &u1, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        s.log_access_set(bank, user, "product:1", "2026-11-27")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(count(u1).await, 1, "{b}: not after the revocation");
        let log0 = s.access_log(&u0).await.unwrap_or_default();
        assert_eq!(log0.len(), 4, "{b}");
        assert_eq!(log0[0].route, "product:1", "{b}: newest first");
    }
}

/// The registry's changes by cursor on both backends: every firm once in change order, pages
/// continuing after a (time, code) cursor, nothing after `until`; the titles in force in a scope.
#[tokio::test]
async fn changes_since_a_cursor_on_both_backends() {
    for s in stores("changes").await {
        let b = s.backend();
        let rows = city(30);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let all = Scope::all();
        let mut seen = Vec::new();
        let mut since: Option<(i64, String)> = None;
        loop {
            let page = s
                .changed_since(
                    &all,
                    since.as_ref().map(|(a, c)| (*a, c.as_str())),
                    i64::MAX,
                    7,
                )
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            let Some((last, at)) = page.last() else {
                break;
            };
            since = Some((*at, last.uscc.clone()));
            seen.extend(page.into_iter().map(|(e, _)| e.uscc));
        }
        let mut want: Vec<String> = rows.iter().map(|e| e.uscc.to_string()).collect();
        want.sort();
        let mut got = seen.clone();
        got.sort();
        got.dedup();
        assert_eq!(seen.len(), want.len(), "{b}: each once");
        assert_eq!(got, want, "{b}");
        assert!(
            s.changed_since(&all, None, 0, 10)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{b}: nothing changed before `until`"
        );
        let titles = s
            .titles_in_scope(&all, "2026-06-01")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let held: usize = {
            let mut n = 0;
            for e in &rows {
                n += s
                    .titles(&e.uscc.to_string())
                    .await
                    .unwrap_or_default()
                    .iter()
                    .filter(|(_, until)| until.as_str() >= "2026-06-01")
                    .count();
            }
            n
        };
        assert_eq!(titles.len(), held, "{b}");
    }
}

/// A backup of a SQLite database taken while it is written holds every record committed before
/// it began, reads back as a database (migrations current, the audit chain intact), and never
/// overwrites; PostgreSQL is left to pg_dump.
#[tokio::test]
async fn a_sqlite_backup_under_writes_holds_every_committed_record() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    for s in stores("backup").await {
        let b = s.backend();
        let dir = std::env::temp_dir().join(format!("zjtx-backup-test-{}-{b}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("copy.db");
        if b != "sqlite" {
            assert!(matches!(
                s.backup_into(&file).await,
                Err(StoreError::Conflict(_))
            ));
            continue;
        }
        let rows = city(40);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let uscc = rows[0].uscc.to_string();
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let done = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (s, done, stop, uscc) = (s.clone(), done.clone(), stop.clone(), uscc.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let id = s
                        .grant_consent(
                            &uscc,
                            bank,
                            "profile",
                            false,
                            "p",
                            "2026-11-01",
                            "2026-12-31",
                            None,
                        )
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    done.lock().unwrap_or_else(|e| e.into_inner()).push(id);
                }
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let before: Vec<i64> = done.lock().unwrap_or_else(|e| e.into_inner()).clone();
        s.backup_into(&file).await.unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap_or_else(|e| panic!("{e}"));
        let all = done.lock().unwrap_or_else(|e| e.into_inner()).len();
        assert!(
            before.len() >= 5,
            "writes ran before the backup: {}",
            before.len()
        );
        assert!(
            matches!(s.backup_into(&file).await, Err(StoreError::Conflict(_))),
            "never overwrites"
        );
        let copy = Store::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        copy.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        let kept: Vec<i64> = copy
            .consents(&uscc, Some(bank))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.id)
            .collect();
        for id in &before {
            assert!(
                kept.contains(id),
                "consent {id} committed before the backup"
            );
        }
        assert!(kept.len() <= all, "{} kept of {all}", kept.len());
        let firms = copy
            .list(
                &Filter {
                    per_page: 200,
                    ..Filter::default()
                },
                &Scope::all(),
            )
            .await
            .unwrap_or_default();
        assert_eq!(firms.total, 40);
        let check = copy.verify_audit().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(check.broken.is_none(), "{check:?}");
    }
}

/// The listed products kept by one instance follow another instance's review within the recheck
/// time (the stamp of the listed set), though nothing told this one.
#[tokio::test]
async fn another_instances_review_reaches_the_kept_listed_products() {
    let s = stores("listed-two").await.remove(0);
    let file = std::env::temp_dir()
        .join(format!("zjtx-store-test-{}-listed-two", std::process::id()))
        .join("t.db");
    let other = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bank = s
        .create_institution("银行", "bank", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let product = s
        .create_product(&loan(bank), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ids = |st: Store| async move {
        st.listed_products()
            .await
            .map(|p| p.iter().map(|p| p.id).collect::<Vec<_>>())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert!(ids(other.clone()).await.is_empty(), "kept: nothing listed");
    s.review_product(product, true, "", None, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(std::time::Duration::from_millis(5_200)).await;
    assert_eq!(
        ids(other).await,
        vec![product],
        "re-checked, the review shows"
    );
}

/// Several instances started at once on one PostgreSQL database (an upgrade of every instance):
/// every instance starts and each migration is applied once. SQLite has one process by design; the test runs where ZJTX_TEST_DATABASE_URL is set.
#[tokio::test]
async fn instances_starting_together_migrate_once() {
    let Ok(base) = std::env::var("ZJTX_TEST_DATABASE_URL") else {
        eprintln!("skipped: no ZJTX_TEST_DATABASE_URL");
        return;
    };
    let url = zjtx_store::fresh_database(&base, &format!("zjtx_t_{}_together", std::process::id()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}")));
    }
    let start_all = || async {
        let start = |s: Store| async move {
            s.migrate().await?;
            s.seed_reference().await
        };
        let (a, b, c) = tokio::join!(
            start(instances[0].clone()),
            start(instances[1].clone()),
            start(instances[2].clone())
        );
        for r in [a, b, c] {
            r.unwrap_or_else(|e| panic!("an instance failed to start: {e}"));
        }
    };
    start_all().await;
    let s = &instances[0];
    let Db::Postgres(p) = s.db() else {
        panic!("not PostgreSQL")
    };
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(p)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .map(|d| d.count())
        .unwrap_or_default();
    assert_eq!(applied as usize, files, "each migration applied once");
}

/// Retention removes the oldest sealed records from the start of the chain — never one younger
/// than 180 days — and the kept chain still verifies from its noted start; an anchor moved by
/// hand is found.
#[tokio::test]
async fn audit_retention_keeps_a_verifiable_chain() {
    for s in stores("retention").await {
        let b = s.backend();
        let day = 86_400;
        let t = zjtx_store::now();
        let insert = match s.db() {
            Db::Sqlite(_) => {
                "INSERT INTO audit_log (at, action, target, detail) VALUES (?1, 'old', 'x', '')"
            }
            Db::Postgres(_) => {
                "INSERT INTO audit_log (at, action, target, detail) VALUES ($1, 'old', 'x', '')"
            }
        };
        for age in [400, 300, 250, 200, 195] {
            match s.db() {
                Db::Sqlite(p) => sqlx::query(insert)
                    .bind(t - age * day)
                    .execute(p)
                    .await
                    .map(|_| ()),
                Db::Postgres(p) => sqlx::query(insert)
                    .bind(t - age * day)
                    .execute(p)
                    .await
                    .map(|_| ()),
            }
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        for i in 0..3 {
            s.audit(None, "recent", Some(&i.to_string()), "")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        s.seal_audit_until(t + 10)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let before = s.verify_audit().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((before.sealed, before.broken), (8, None), "{b}");

        // Younger than the law's six months: refused, nothing removed.
        assert!(s.retire_audit(t - 100 * day).await.is_err(), "{b}");
        assert_eq!(
            s.verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .sealed,
            8,
            "{b}"
        );

        assert_eq!(
            s.retire_audit(t - 240 * day)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            3,
            "{b}"
        );
        assert_eq!(
            s.retire_audit(t - 240 * day)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            0,
            "{b}"
        );
        let after = s.verify_audit().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.broken, None, "{b}: {after:?}");
        assert_eq!(
            after.head, before.head,
            "{b}: the chain still ends where it did"
        );
        assert_eq!(
            after.anchor.as_ref().map(|a| (a.0, a.2)),
            Some((3, 3)),
            "{b}"
        );
        s.seal_audit_until(zjtx_store::now() + 10)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.retire_audit(t - 190 * day)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            2,
            "{b}"
        );
        let after = s.verify_audit().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (after.broken, after.anchor.as_ref().map(|a| a.2)),
            (None, Some(5)),
            "{b}"
        );

        // An anchor moved by hand (to hide a removal) breaks the check.
        let moved = "UPDATE audit_anchor SET hash = 'f00d'";
        match s.db() {
            Db::Sqlite(p) => sqlx::query(moved).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(moved).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .broken
                .is_some(),
            "{b}"
        );
    }
}

/// Webhook subscriptions and deliveries: an event reaches the subscriptions to it only; a due
/// delivery is claimed by one worker; a failed attempt waits for its retry; a removed
/// subscription's pending deliveries fail.
#[tokio::test]
async fn webhook_deliveries_are_queued_claimed_and_retried() {
    for s in stores("webhooks").await {
        let b = s.backend();
        let staff = staff(&s, "hooks").await;
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let other = s
            .create_institution("他行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let a = s
            .create_webhook(
                bank,
                "https://a.example/h",
                "k1",
                "consent.granted,need.matched",
                staff,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.create_webhook(bank, "https://b.example/h", "k2", "application.step", staff)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.create_webhook(other, "https://c.example/h", "k3", "consent.granted", staff)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.subscribers("consent.granted").await.unwrap_or_default(),
            vec![(bank, staff), (other, staff)],
            "{b}"
        );
        assert_eq!(
            s.enqueue_event(bank, "consent.granted", "{}")
                .await
                .unwrap_or(0),
            1,
            "{b}"
        );
        assert_eq!(
            s.enqueue_event(bank, "consent", "{}").await.unwrap_or(9),
            0,
            "{b}: whole keys only"
        );
        let t = zjtx_store::now();
        let due = s.claim_deliveries(t, 10, 60).await.unwrap_or_default();
        assert_eq!(due.len(), 1, "{b}");
        assert_eq!(
            (due[0].url.as_str(), due[0].secret.as_str()),
            ("https://a.example/h", "k1")
        );
        assert!(
            s.claim_deliveries(t, 10, 60)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{b}: leased"
        );
        let id = due[0].delivery.id;
        s.record_attempt(id, Some(500), Some("500"), false, Some(t + 30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            s.claim_deliveries(t + 29, 10, 60)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{b}"
        );
        let again = s.claim_deliveries(t + 30, 10, 60).await.unwrap_or_default();
        assert_eq!(again.len(), 1, "{b}");
        s.record_attempt(id, Some(200), None, true, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let log = s.deliveries(bank, 10).await.unwrap_or_default();
        assert_eq!(
            (log[0].status.as_str(), log[0].attempts, log[0].last_status),
            ("delivered", 2, Some(200)),
            "{b}"
        );
        s.enqueue_event(bank, "need.matched", "{}")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !s.remove_webhook(other, a, staff).await.unwrap_or(true),
            "{b}: not its own"
        );
        assert!(
            s.remove_webhook(bank, a, staff).await.unwrap_or(false),
            "{b}"
        );
        assert_eq!(
            s.deliveries(bank, 10).await.unwrap_or_default()[0].status,
            "failed",
            "{b}"
        );
        assert!(
            s.claim_deliveries(t + 999, 10, 60)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{b}"
        );
        assert_eq!(s.webhooks(bank).await.unwrap_or_default().len(), 1, "{b}");
    }
}

/// A step's webhook event is written in the step's own transaction (the outbox): a consent, its
/// revocation, a need and an application each leave one event; a refused step (a consent revoked
/// twice, an application to an unlisted product) leaves none. An event becomes deliveries once:
/// the second instance to take it writes nothing.
#[tokio::test]
async fn a_steps_webhook_event_is_written_with_the_step_on_both_backends() {
    for s in stores("outbox").await {
        let b = s.backend();
        let rows = city(3);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let firm = rows[0].uscc.to_string();
        let staff = staff(&s, "outbox").await;
        let bank = s
            .create_institution("银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.create_webhook(bank, "https://a.example/h", "k", "consent.granted", staff)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let events = |s: Store| async move {
            s.outbox_pending(100)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .map(|e| (e.event, e.ref_id, e.detail))
                .collect::<Vec<_>>()
        };
        let consent = s
            .grant_consent(
                &firm,
                bank,
                "profile",
                false,
                "p",
                "2026-11-01",
                "2026-12-31",
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.revoke_consent(consent, &firm, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(s.revoke_consent(consent, &firm, None).await.is_err(), "{b}");
        let need = s
            .post_need(&firm, 1_000_000, "p", 12, "credit", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let product = s
            .create_product(
                &zjtx_store::NewProduct {
                    institution_id: bank,
                    name: "贷".into(),
                    kind: "loan".into(),
                    min_amount: 1,
                    max_amount: 100_000_000,
                    term_min: 1,
                    term_max: 36,
                    rate_kind: "lpr".into(),
                    rate_bp: 0,
                    collateral: "credit".into(),
                    repayment: "x".into(),
                    channel: "x".into(),
                    eligibility: "{}".into(),
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.apply(&firm, product, None, 100, "2026-11-02", None)
                .await
                .is_err(),
            "{b}: not listed yet"
        );
        s.review_product(product, true, "", None, &[])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let app = s
            .apply(&firm, product, Some(need), 100, "2026-11-02", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            s.application_steps(app).await.unwrap_or_default().len(),
            1,
            "{b}: the first step with the application"
        );
        s.application_step(
            app,
            bank,
            zjtx_store::ApplicationStatus::Applied,
            zjtx_store::ApplicationStatus::Accepted,
            None,
            None,
            "",
            None,
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            s.application_step(
                app,
                bank,
                zjtx_store::ApplicationStatus::Applied,
                zjtx_store::ApplicationStatus::Accepted,
                None,
                None,
                "",
                None,
                &[],
            )
            .await
            .is_err(),
            "{b}: not twice"
        );
        let got = events(s.clone()).await;
        assert_eq!(
            got,
            vec![
                ("consent.granted".to_owned(), consent, String::new()),
                ("consent.revoked".to_owned(), consent, String::new()),
                ("need.posted".to_owned(), need, String::new()),
                ("application.step".to_owned(), app, "applied".to_owned()),
                (
                    "application.step".to_owned(),
                    app,
                    "applied>accepted".to_owned()
                ),
            ],
            "{b}"
        );
        // Turned into deliveries once: the subscription to consent.granted gets one.
        let first = s
            .outbox_pending(1)
            .await
            .unwrap_or_default()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{b}"));
        let one = vec![(bank, "consent.granted".to_owned(), "{}".to_owned())];
        assert!(
            s.expand_outbox(first.id, &one, &[]).await.unwrap_or(false),
            "{b}"
        );
        assert!(
            !s.expand_outbox(first.id, &one, &[]).await.unwrap_or(true),
            "{b}: taken already"
        );
        assert_eq!(events(s.clone()).await.len(), 4, "{b}");
        assert_eq!(
            s.claim_deliveries(zjtx_store::now() + 1, 10, 60)
                .await
                .unwrap_or_default()
                .len(),
            1,
            "{b}"
        );
    }
}

/// The database notes every change of a title (triggers): an import's titles, a revocation as
/// removals, a re-import as present again, a change in place by any writer with its new validity
/// — read after a cursor in order, on both backends.
#[tokio::test]
async fn title_changes_are_noted_by_the_database_on_both_backends() {
    for s in stores("title-changes").await {
        let b = s.backend();
        let rows = evaluated(city(40));
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let all = zjtx_store::Scope::all();
        let noted = s
            .title_changes_since(&all, None, i64::MAX, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let mut held: Vec<(String, String)> = s
            .titles_in_scope(&all, "1900-01-01")
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.uscc, t.tier))
            .collect();
        held.sort();
        let mut got: Vec<(String, String)> = noted
            .iter()
            .map(|t| (t.uscc.clone(), t.tier.clone()))
            .collect();
        got.sort();
        assert!(!held.is_empty(), "{b}");
        assert_eq!(got, held, "{b}");
        let last = noted
            .last()
            .map(|t| (t.changed_at, t.uscc.clone(), t.tier.clone()));
        let cursor = last.clone().unwrap_or_default();
        assert_eq!(
            s.title_cursor(i64::MAX).await.unwrap_or_default(),
            last,
            "{b}"
        );
        // Nothing after the last.
        let since = Some((cursor.0, cursor.1.as_str(), cursor.2.as_str()));
        assert!(
            s.title_changes_since(&all, since, i64::MAX, 10)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{b}"
        );
        // Revoked: the firm's titles noted as removed.
        let firm = held[0].0.clone();
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        s.revoke(&firm, "x", "2030-01-01", None, &[])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let after = s
            .title_changes_since(&all, since, i64::MAX, 100)
            .await
            .unwrap_or_default();
        assert!(!after.is_empty(), "{b}");
        assert!(
            after
                .iter()
                .all(|t| t.uscc == firm && t.valid_until.is_none()),
            "{b}: {after:?}"
        );
        // Imported again: present again.
        s.import(&rows, None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let again = s
            .title_changes_since(&all, since, i64::MAX, 10_000)
            .await
            .unwrap_or_default();
        assert!(
            again
                .iter()
                .filter(|t| t.uscc == firm)
                .all(|t| t.valid_until.is_some()),
            "{b}: {again:?}"
        );
        // Changed in place, by any writer: the new validity noted.
        let tier = held[0].1.clone();
        let update = "UPDATE titles SET valid_until = '2031-02-03' WHERE uscc = $1 AND tier = $2";
        let changed = match s.db() {
            Db::Sqlite(p) => sqlx::query(update)
                .bind(&firm)
                .bind(&tier)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Db::Postgres(p) => sqlx::query(update)
                .bind(&firm)
                .bind(&tier)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        }
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(changed, 1, "{b}");
        let noted = s
            .title_changes_since(&all, None, i64::MAX, 10_000)
            .await
            .unwrap_or_default();
        let now: Vec<_> = noted
            .iter()
            .filter(|t| t.uscc == firm && t.tier == tier)
            .map(|t| t.valid_until.clone())
            .collect();
        assert_eq!(now, [Some("2031-02-03".to_owned())], "{b}");
    }
}

/// What screenings show — firms' records, titles, consents — is noted by the database whoever
/// writes: a mark read before a change sees it once it has committed (not before), on either
/// backend; a read, or a write of something else, leaves the mark where it was.
#[tokio::test]
async fn the_subjects_mark_sees_every_committed_change_of_what_screenings_show() {
    for s in stores("subjects-mark").await {
        let b = s.backend();
        let rows = city(6);
        s.import(&evaluated(rows.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let bank = s
            .create_institution("标记银行", "bank", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let uscc = rows[0].uscc.to_string();
        let mark = || async { s.subjects_mark().await.unwrap_or_else(|e| panic!("{e}")) };
        let changed = |m: zjtx_store::SubjectsMark| {
            let s = s.clone();
            async move {
                s.subjects_changed_since(&m)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let m = mark().await;
        assert!(!changed(m.clone()).await, "{b}: nothing changed");
        s.log_access_set(bank, 1, "screening", "2026-11-01")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!changed(m.clone()).await, "{b}: a logged read is no change");
        let c = s
            .grant_consent(
                &uscc,
                bank,
                "profile",
                false,
                "授信",
                "2026-11-01",
                "2027-11-01",
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(m).await, "{b}: a consent granted");
        let m = mark().await;
        s.revoke_consent(c, &uscc, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(m).await, "{b}: a consent revoked");
        let m = mark().await;
        s.import(&evaluated(vec![rows[1].clone()]), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(m).await, "{b}: a firm imported again");
        // What the whole-register pages also read: a year's figures alone, a chain tag.
        let m = mark().await;
        let year = match s.db() {
            zjtx_store::Db::Sqlite(_) => "UPDATE enterprise_years SET cells = cells WHERE uscc = ?",
            zjtx_store::Db::Postgres(_) => {
                "UPDATE enterprise_years SET cells = cells WHERE uscc = $1"
            }
        };
        match s.db() {
            zjtx_store::Db::Sqlite(p) => sqlx::query(year).bind(&uscc).execute(p).await.map(|_| ()),
            zjtx_store::Db::Postgres(p) => {
                sqlx::query(year).bind(&uscc).execute(p).await.map(|_| ())
            }
        }
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(m).await, "{b}: a year's figures");
        let m = mark().await;
        let chain = s.chains().await.unwrap_or_else(|e| panic!("{e}"))[0]
            .name
            .clone();
        s.set_chains(&[(uscc.clone(), vec![chain])], None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(m).await, "{b}: a chain tag");
        // A writer in flight when the mark is read: not seen until it commits, then seen.
        let m = mark().await;
        match s.db() {
            zjtx_store::Db::Sqlite(p) => {
                let mut tx = p.begin().await.unwrap_or_else(|e| panic!("{e}"));
                sqlx::query(
                    "INSERT INTO titles (uscc, tier, valid_until) VALUES (?, 'srdi', '2030-01-01')",
                )
                .bind(&uscc)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
                let during = mark().await;
                assert!(!changed(m.clone()).await, "{b}: not committed yet");
                tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
                assert!(changed(during).await, "{b}: committed after the mark");
            }
            zjtx_store::Db::Postgres(p) => {
                let mut tx = p.begin().await.unwrap_or_else(|e| panic!("{e}"));
                sqlx::query("INSERT INTO titles (uscc, tier, valid_until) VALUES ($1, 'srdi', '2030-01-01')")
                    .bind(&uscc)
                    .execute(&mut *tx)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let during = mark().await;
                assert!(!changed(m.clone()).await, "{b}: not committed yet");
                tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
                assert!(changed(during).await, "{b}: committed after the mark");
            }
        }
        assert!(changed(m).await, "{b}: a title granted");
        let m = mark().await;
        assert!(!changed(m.clone()).await, "{b}: settled");
        // Forgetting the notes older than an hour leaves a recent change seen.
        s.move_enterprise(&uscc, "330105", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.forget_subject_changes(chrono::Utc::now().timestamp() - 3600)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(m).await, "{b}: a firm moved");
    }
}

/// The reads of every firm stream their rows in code order: each firm once, with the year before
/// where one is recorded, within the districts asked for.
#[tokio::test]
async fn the_reads_of_every_firm_stream_each_firm_once_in_order() {
    for s in stores("whole-reads").await {
        let b = s.backend();
        let now: Vec<Enterprise> = Generator::new(3, 2025).take(200).collect();
        // The year before for some of them only.
        let before: Vec<Enterprise> = Generator::new(3, 2024)
            .take(200)
            .enumerate()
            .filter(|(i, _)| i % 3 == 0)
            .map(|(_, e)| e)
            .collect();
        s.import(&evaluated(before.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        s.import(&evaluated(now.clone()), None, as_of())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let had_before: std::collections::HashSet<String> =
            before.iter().map(|e| e.uscc.to_string()).collect();
        let mut expected: Vec<String> = now.iter().map(|e| e.uscc.to_string()).collect();
        expected.sort();

        let mut pairs = Vec::new();
        #[allow(clippy::disallowed_methods)] // the store's own test of these reads
        s.two_years(2025, None, |p| pairs.push(p))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let codes: Vec<String> = pairs.iter().map(|p| p.uscc.clone()).collect();
        assert_eq!(
            codes, expected,
            "{b}: every firm of the year once, in code order"
        );
        for p in &pairs {
            assert_eq!(
                p.before.is_some(),
                had_before.contains(&p.uscc),
                "{b}: {}",
                p.uscc
            );
            assert!(p.cells.contains(&p.uscc), "{b}: the year's own cells");
        }
        assert!(pairs.iter().any(|p| p.before.is_some()), "{b}");
        // One year alone: the same firms and cells, no year before.
        let mut alone = Vec::new();
        #[allow(clippy::disallowed_methods)]
        s.one_year(2025, None, |p| alone.push(p))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(alone.len(), pairs.len(), "{b}");
        for (a, p) in alone.iter().zip(&pairs) {
            assert_eq!(
                (&a.uscc, &a.cells, &a.industry),
                (&p.uscc, &p.cells, &p.industry),
                "{b}"
            );
            assert!(a.before.is_none(), "{b}");
        }

        let mut latest = Vec::new();
        #[allow(clippy::disallowed_methods)]
        s.latest_cells(None, |f| latest.push(f))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let codes: Vec<String> = latest.iter().map(|f| f.uscc.clone()).collect();
        assert_eq!(codes, expected, "{b}: the latest year of each firm once");

        // Within one district: exactly that district's firms.
        let region = latest
            .iter()
            .find_map(|f| f.region.clone())
            .unwrap_or_else(|| panic!("{b}: no district"));
        let inside = latest
            .iter()
            .filter(|f| f.region.as_ref() == Some(&region))
            .count();
        let mut seen = Vec::new();
        #[allow(clippy::disallowed_methods)]
        s.two_years(2025, Some(std::slice::from_ref(&region)), |p| {
            seen.push(p.region)
        })
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(seen.len(), inside, "{b}");
        assert!(seen.iter().all(|r| r.as_ref() == Some(&region)), "{b}");
        let mut none = 0;
        #[allow(clippy::disallowed_methods)]
        s.latest_cells(Some(&[]), |_| none += 1)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(none, 0, "{b}: no district, no firm");
    }
}

/// A stored row reads back as the firm it was made from, whatever its text holds (quotes,
/// backslashes, control characters, escapes); a key that is not a column is skipped and a value
/// that is not text reads as blank; what is not an object of cells is refused.
#[test]
fn stored_cells_read_back_as_the_firm() {
    use zjtx_store::{cells_of, enterprise_from_cells};
    for (i, mut e) in Generator::new(5, 2025).take(300).enumerate() {
        if i % 3 == 0 {
            e.name = format!("\"引号\" \\反斜杠\\ 制表\t符\u{1}\u{7f} {i} \u{1F3ED}");
            e.main_products = Some("伺服电机、\"精密\"减速器\n第二行".into());
        }
        let back = enterprise_from_cells(&cells_of(&e)).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(back, e);
        // Byte for byte what a JSON map of the non-blank cells writes (the rows stored before).
        let map: serde_json::Map<String, serde_json::Value> = zjtx_core::enterprise::COLUMNS
            .iter()
            .map(|c| (c.key.to_owned(), e.get(c.col)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        assert_eq!(cells_of(&e), serde_json::Value::Object(map).to_string());
    }
    let e = Generator::new(6, 2025)
        .next()
        .unwrap_or_else(|| panic!("no firm"));
    let mut v: serde_json::Value =
        serde_json::from_str(&cells_of(&e)).unwrap_or_else(|err| panic!("{err}"));
    v["employees"] = serde_json::json!(12);
    v["not_a_column"] = serde_json::json!({"a": [1, {"b": null}]});
    v["name"] = serde_json::json!("\u{6d4b}\u{8bd5}\\u0041");
    let back = enterprise_from_cells(&v.to_string()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(back.employees, None, "a number is not a cell's text");
    assert_eq!(back.name, "测试\\u0041");
    assert_eq!(back.uscc, e.uscc);
    for bad in ["[]", "\"x\"", "{", "{\"name\": }", ""] {
        assert!(enterprise_from_cells(bad).is_err(), "{bad}");
    }
}

/// Sealing never fails because others write meanwhile: writers of audit records on several
/// connections while the chain is sealed again and again, and at the end every record is sealed
/// into one chain that verifies.
#[tokio::test]
async fn sealing_while_others_write_waits_its_turn() {
    for s in stores("audit-busy").await {
        let b = s.backend();
        let later = zjtx_store::now() + 3600;
        let mut writers = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            writers.push(tokio::spawn(async move {
                for i in 0..150 {
                    s.audit(
                        Some(w),
                        "login",
                        Some("x"),
                        &format!("writer {w} record {i}"),
                    )
                    .await?;
                }
                Ok::<_, StoreError>(())
            }));
        }
        let mut sealed = 0;
        let mut failures = Vec::new();
        while writers.iter().any(|w| !w.is_finished()) {
            match s.seal_audit_until(later).await {
                Ok(n) => sealed += n,
                Err(e) => failures.push(e.to_string()),
            }
        }
        for w in writers {
            w.await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .unwrap_or_else(|e| panic!("{b}: a writer: {e}"));
        }
        loop {
            match s.seal_audit_until(later).await {
                Ok(0) => break,
                Ok(n) => sealed += n,
                Err(e) => failures.push(e.to_string()),
            }
        }
        assert!(failures.is_empty(), "{b}: {failures:?}");
        assert_eq!(sealed, 600, "{b}");
        let check = s
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!((check.sealed, check.broken), (600, None), "{b}: {check:?}");
    }
}
