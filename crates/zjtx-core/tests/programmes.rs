//! Funding programmes (issue 13): each shipped programme's eligibility and amount on cases worked
//! by hand from programmes.md §3 — shares and caps by industry group, city and district halves,
//! future-factory tiers and their criteria, first-unit awards kept within their range and the
//! insurance schedule — the gaps of a missed condition, the file checks, and a forecast equal to
//! the sum of the awards computed one by one.

use chrono::NaiveDate;
use zjtx_core::num::{Dec4, Wan};
use zjtx_core::programme::{
    self, Award, FirmFacts, Programme, ProjectFacts, embedded, evaluate, forecast, parse,
};
use zjtx_core::trace::Verdict;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn wan(s: &str) -> Wan {
    Wan::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn programme(id: &str) -> Programme {
    embedded()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no programme {id}"))
}

fn firm(industry: &str, ecosystem: Option<&str>) -> FirmFacts {
    FirmFacts {
        uscc: "91350100M000100Y43".into(),
        district: Some("330106".into()),
        industry_code: Some(industry.into()),
        ecosystem: ecosystem.map(str::to_owned),
        size: Some("small".into()),
        ..Default::default()
    }
}

fn project(
    category: &str,
    on: &str,
    eq: Option<&str>,
    tech: Option<&str>,
    sw: Option<&str>,
) -> ProjectFacts {
    ProjectFacts {
        name: "项目".into(),
        category: Some(category.into()),
        registered_on: Some(day(on)),
        equipment: eq.map(wan),
        technology: tech.map(wan),
        software: sw.map(wan),
        ..Default::default()
    }
}

fn brief(a: &Award) -> (Verdict, String, String, String) {
    (
        a.verdict,
        a.amount.to_string(),
        a.city.to_string(),
        a.district.to_string(),
    )
}

fn failed(a: &Award) -> Vec<&str> {
    a.checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.id.as_str())
        .collect()
}

#[test]
fn every_shipped_programme_loads() {
    let all = embedded().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "tech-upgrade-2026",
            "digital-breakthrough-2026",
            "future-factory-2026",
            "first-unit-2026",
            "5g-2026"
        ]
    );
}

/// (name, industry, ecosystem, project, (verdict, amount, city, district, failed ids)).
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    ProjectFacts,
    (Verdict, String, String, String, String),
);

#[test]
fn technical_upgrade_by_hand() {
    let p = programme("tech-upgrade-2026");
    let as_of = day("2026-06-01");
    let t = "tech_upgrade";
    let p_ = |a: &str, b: &str, c: &str, d: &str| {
        (Verdict::Pass, a.into(), b.into(), c.into(), d.to_owned())
    };
    let cases: Vec<Case> = vec![
        (
            "a priority industry (C39): 800 + 150 + 100 = 1050, 20% = 210, halves of 105",
            "C3981",
            None,
            project(t, "2019-05-01", Some("800"), Some("150"), Some("100")),
            p_("210", "105", "105", ""),
        ),
        (
            "another industry (C17): 2000 at 10% = 200",
            "C1711",
            None,
            project(t, "2024-01-10", Some("2000"), Some("0"), Some("0")),
            p_("200", "100", "100", ""),
        ),
        (
            "a priority project of 60000: 20% = 12000, capped at 10000",
            "C3511",
            None,
            project(t, "2025-03-01", Some("50000"), Some("5000"), Some("5000")),
            p_("10000", "5000", "5000", ""),
        ),
        (
            "another industry of 60000: 10% = 6000, capped at 5000",
            "C2211",
            None,
            project(t, "2025-03-01", Some("60000"), Some("0"), Some("0")),
            p_("5000", "2500", "2500", ""),
        ),
        (
            "new materials by ecosystem, outside the priority divisions: 20%",
            "C2651",
            Some("新材料"),
            project(t, "2025-03-01", Some("1234.5678"), Some("0"), Some("0")),
            // 1234.5678 × 20% = 246.91356 → 246.9135 (rounded down to 0.0001); city half 123.4567
            p_("246.9135", "123.4567", "123.4568", ""),
        ),
        (
            "registered before 2018: not eligible",
            "C3981",
            None,
            project(t, "2017-12-31", Some("5000"), Some("0"), Some("0")),
            (
                Verdict::Fail,
                "0".into(),
                "0".into(),
                "0".into(),
                "JG-2".into(),
            ),
        ),
        (
            "one ten-thousandth of 万元 under the threshold",
            "C3981",
            None,
            project(t, "2020-01-01", Some("999.9999"), Some("0"), Some("0")),
            (
                Verdict::Fail,
                "0".into(),
                "0".into(),
                "0".into(),
                "JG-3".into(),
            ),
        ),
        (
            "another programme's category",
            "C3981",
            None,
            project("g5", "2020-01-01", Some("5000"), Some("0"), Some("0")),
            (
                Verdict::Fail,
                "0".into(),
                "0".into(),
                "0".into(),
                "JG-1".into(),
            ),
        ),
        (
            "software blank, 950 so far: undecided, computed on what is known",
            "C1711",
            None,
            project(t, "2020-01-01", Some("900"), Some("50"), None),
            (
                Verdict::Review,
                "95".into(),
                "47.5".into(),
                "47.5".into(),
                String::new(),
            ),
        ),
    ];
    for (name, industry, eco, proj, want) in cases {
        let a = evaluate(&p, &firm(industry, eco), &proj, as_of);
        let (v, amount, city, district) = brief(&a);
        assert_eq!(
            (v, amount, city, district, failed(&a).join(",")),
            want,
            "{name}: {:#?}",
            a.lines
        );
    }
    // The gap of a missed threshold, and the computation's lines.
    let a = evaluate(
        &p,
        &firm("C3981", None),
        &project(t, "2020-01-01", Some("999.9999"), Some("0"), Some("0")),
        as_of,
    );
    let gap = a
        .checks
        .iter()
        .find(|c| c.id == "JG-3")
        .and_then(|c| c.gap.clone());
    assert_eq!(gap.map(|g| g.zh), Some("还差 0.0001 万元".to_owned()));
    let a = evaluate(
        &p,
        &firm("C3981", None),
        &project(t, "2019-05-01", Some("800"), Some("150"), Some("100")),
        as_of,
    );
    let lines: Vec<(&str, String)> = a
        .lines
        .iter()
        .map(|l| (l.id.as_str(), l.value.to_string()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("JE-1", "1050".to_owned()),
            ("JE-1", "210".to_owned()),
            ("JE-1", "210".to_owned()),
            ("SPLIT", "105".to_owned())
        ]
    );
    assert!(
        a.lines[1].text.zh.contains("1050 × 20% = 210"),
        "{}",
        a.lines[1].text.zh
    );
}

#[test]
fn future_factory_tiers_by_hand() {
    let p = programme("future-factory-2026");
    let as_of = day("2026-06-01");
    let ff = |tier: &str, level: &str, inv: &str| ProjectFacts {
        category: Some("future_factory".into()),
        tier: Some(tier.into()),
        digital_level: Some(Dec4::parse(level).unwrap_or(Dec4::ZERO)),
        equipment: Some(wan(inv)),
        technology: Some(Wan::ZERO),
        software: Some(Wan::ZERO),
        ..Default::default()
    };
    let cases = [
        (
            "chain leader at level 3",
            ff("chain_leader", "3", "0"),
            (Verdict::Pass, "500", ""),
            None,
        ),
        (
            "chain leader at level 2.9",
            ff("chain_leader", "2.9", "9000"),
            (Verdict::Fail, "0", "WF-1"),
            Some("还差 0.1 级"),
        ),
        (
            "smart factory: level 2.5, 4500",
            ff("smart_factory", "2.5", "4500"),
            (Verdict::Pass, "200", ""),
            None,
        ),
        (
            "smart factory under 4000",
            ff("smart_factory", "2.5", "3999"),
            (Verdict::Fail, "0", "WF-2"),
            Some("还差 1 万元"),
        ),
        (
            "digital workshop: 2, 2000",
            ff("digital_workshop", "2", "2000"),
            (Verdict::Pass, "80", ""),
            None,
        ),
        (
            "digital workshop at level 1.5",
            ff("digital_workshop", "1.5", "2500"),
            (Verdict::Fail, "0", "WF-3"),
            Some("还差 0.5 级"),
        ),
        (
            "a tier the programme does not have",
            ff("lighthouse", "4", "9000"),
            (Verdict::Fail, "0", "TIER"),
            None,
        ),
    ];
    for (name, proj, (v, amount, ids), gap) in cases {
        let a = evaluate(&p, &firm("C3981", None), &proj, as_of);
        assert_eq!(
            (a.verdict, a.amount.to_string(), failed(&a).join(",")),
            (v, amount.to_owned(), ids.to_owned()),
            "{name}"
        );
        if let Some(g) = gap {
            assert!(
                a.checks
                    .iter()
                    .any(|c| c.gap.as_ref().is_some_and(|x| x.zh == g)),
                "{name}: {:#?}",
                a.checks
            );
        }
        // The city pays the whole of this programme.
        assert_eq!(a.city, a.amount, "{name}");
    }
    // A blank level leaves it undecided.
    let mut blank = ff("smart_factory", "2.5", "4500");
    blank.digital_level = None;
    assert_eq!(
        evaluate(&p, &firm("C3981", None), &blank, as_of).verdict,
        Verdict::Review
    );
    // The enterprise's own digital level serves when the project has none.
    let mut f = firm("C3981", None);
    f.digital_level = Some(Dec4::parse("2").unwrap_or(Dec4::ZERO));
    assert_eq!(evaluate(&p, &f, &blank, as_of).verdict, Verdict::Pass);
}

#[test]
fn first_unit_awards_and_insurance_by_hand() {
    let p = programme("first-unit-2026");
    let as_of = day("2026-06-01");
    let fu = |tier: &str, value: &str, premium: Option<&str>, year: Option<u32>| ProjectFacts {
        category: Some("first_unit".into()),
        tier: Some(tier.into()),
        equipment: Some(wan(value)),
        technology: Some(Wan::ZERO),
        software: Some(Wan::ZERO),
        premium: premium.map(wan),
        cover_year: year,
        ..Default::default()
    };
    let cases = [
        // 20% of 1500 = 300, within 200–400.
        (
            "international, 1500",
            fu("international", "1500", None, None),
            "300",
        ),
        // 20% of 500 = 100, raised to the floor of 200.
        (
            "international, 500",
            fu("international", "500", None, None),
            "200",
        ),
        // 20% of 3000 = 600, held to the ceiling of 400.
        (
            "international, 3000",
            fu("international", "3000", None, None),
            "400",
        ),
        ("domestic, 1000", fu("domestic", "1000", None, None), "200"),
        (
            "provincial, 1000",
            fu("provincial", "1000", None, None),
            "100",
        ),
        // Insurance: 90% / 80% / 70% of a premium of 100 in years 1–3, none in year 4.
        (
            "provincial 300 + insurance year 1",
            fu("provincial", "300", Some("100"), Some(1)),
            "150",
        ),
        (
            "provincial 300 + insurance year 2",
            fu("provincial", "300", Some("100"), Some(2)),
            "140",
        ),
        (
            "provincial 300 + insurance year 3",
            fu("provincial", "300", Some("100"), Some(3)),
            "130",
        ),
        (
            "provincial 300 + insurance year 4",
            fu("provincial", "300", Some("100"), Some(4)),
            "60",
        ),
        // 90% of a premium of 1000 is 900, capped at 500 a year.
        (
            "provincial 300 + large premium",
            fu("provincial", "300", Some("1000"), Some(1)),
            "560",
        ),
    ];
    for (name, proj, amount) in cases {
        let a = evaluate(&p, &firm("C3511", None), &proj, as_of);
        assert_eq!(
            (a.verdict, a.amount.to_string()),
            (Verdict::Pass, amount.to_owned()),
            "{name}: {:#?}",
            a.lines
        );
    }
}

#[test]
fn the_file_checks_name_the_problem() {
    let text = programme::EMBEDDED_PROGRAMMES[0].1;
    let bad = [
        (
            text.replace("valid_from = \"2026-01-01\"", "valid_from = \"2027-06-01\""),
            "valid_from",
        ),
        (text.replace("id = \"JE-2\"", "id = \"JE-1\""), "used twice"),
        (text.replace("share = \"10%\"", "share = \"120%\""), "share"),
        (
            text.replace("city_share = \"50%\"", "city_share = \"150%\""),
            "city_share",
        ),
        (text.replace("wan = \"1000\"", "wan = \"一千\""), "JG-3"),
        (
            text.replace("test = \"category\"", "test = \"lucky\""),
            "lucky",
        ),
        (
            text.replace("date = \"2018-01-01\"", "date = \"2018-01-01\"\nbogus = 1"),
            "bogus",
        ),
    ];
    for (t, want) in bad {
        let e = parse("x.toml", &t)
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("x.toml"), "{e}");
        assert!(want == "JG-3" || e.contains(want), "{want}: {e}");
        assert!(!e.is_empty(), "{want}");
    }
    // The last group must take every other firm.
    let t = text.replace("id = \"JE-2\"", "id = \"JE-2\"\nindustries = [\"C1\"]");
    assert!(parse("x.toml", &t).is_err());
}

#[test]
fn a_forecast_is_the_sum_of_its_awards() {
    let p = programme("tech-upgrade-2026");
    let as_of = day("2026-06-01");
    let industries = ["C3981", "C1711", "C2651", "C3511", "C2211"];
    let districts = ["330106", "330108", "330110"];
    let mut items = Vec::new();
    for i in 0..300u32 {
        let mut f = firm(
            industries[i as usize % industries.len()],
            (i % 7 == 0).then_some("新材料"),
        );
        f.district = Some(districts[i as usize % districts.len()].into());
        f.titles = match i % 4 {
            0 => vec!["srdi".into()],
            1 => vec!["giant".into(), "srdi".into()],
            _ => vec![],
        };
        let eq = format!("{}", 300 + (i * 97) % 5000);
        let sw = (i % 11 != 0).then(|| format!("{}.5", i % 40));
        let on = if i % 13 == 0 {
            "2017-06-01"
        } else {
            "2021-06-01"
        };
        items.push((
            f,
            project("tech_upgrade", on, Some(&eq), Some("10"), sw.as_deref()),
        ));
    }
    let f = forecast(&p, items.iter().map(|(a, b)| (a, b)), as_of);
    let (mut n, mut total, mut city, mut undecided) = (0u64, 0i64, 0i64, 0u64);
    for (firm, proj) in &items {
        let a = evaluate(&p, firm, proj, as_of);
        match a.verdict {
            Verdict::Pass => {
                n += 1;
                total += a.amount.units();
                city += a.city.units();
            }
            Verdict::Review => undecided += 1,
            Verdict::Fail => {}
        }
    }
    assert!(n > 0 && undecided > 0);
    assert_eq!(f.projects, 300);
    assert_eq!(f.eligible.recipients, n);
    assert_eq!(f.eligible.amount.units(), total);
    assert_eq!(f.eligible.city.units(), city);
    assert_eq!(f.undecided.recipients, undecided);
    let by_d: i64 = f.by_district.values().map(|t| t.amount.units()).sum();
    let by_t: i64 = f.by_tier.values().map(|t| t.amount.units()).sum();
    assert_eq!((by_d, by_t), (total, total));
    assert!(f.by_tier.get("giant").is_some_and(|t| t.recipients > 0));
    // The budget breach: the city's eligible total beyond its budget, if any.
    let want = (city > p.budget.city.units()).then(|| city - p.budget.city.units());
    assert_eq!(f.city_breach.map(|w| w.units()), want);
    // A smaller budget is breached by the difference.
    let mut tight = p.clone();
    tight.budget.city = Wan::whole(100);
    let f2 = forecast(&tight, items.iter().map(|(a, b)| (a, b)), as_of);
    assert_eq!(
        f2.city_breach.map(|w| w.units()),
        Some(city - Wan::whole(100).units())
    );
}

#[test]
fn a_projects_row_reads_back_as_written() {
    let header: Vec<&str> = programme::PROJECT_COLUMNS.iter().map(|(k, _)| *k).collect();
    let h = programme::project_header(header.iter().copied()).unwrap_or_else(|e| panic!("{e:?}"));
    for (i, (f, p)) in programme::synth_projects(300, 9).into_iter().enumerate() {
        let cells = programme::project_cells(&f, &p);
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        let back = programme::parse_project(&h, &refs, i + 2).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(back, (f, p), "row {}", i + 2);
    }
}

#[test]
fn digital_breakthrough_and_5g_by_hand() {
    let as_of = day("2026-06-01");
    let cases = [
        // Digital breakthrough: from 2024, at least 500, 20% capped at 500, halves.
        (
            "digital-breakthrough-2026",
            "digital_breakthrough",
            "2024-02-01",
            "1000",
            (Verdict::Pass, "200", "100", "100"),
        ),
        (
            "digital-breakthrough-2026",
            "digital_breakthrough",
            "2024-02-01",
            "4000",
            (Verdict::Pass, "500", "250", "250"),
        ),
        (
            "digital-breakthrough-2026",
            "digital_breakthrough",
            "2023-12-31",
            "4000",
            (Verdict::Fail, "0", "0", "0"),
        ),
        (
            "digital-breakthrough-2026",
            "digital_breakthrough",
            "2024-02-01",
            "499",
            (Verdict::Fail, "0", "0", "0"),
        ),
        // 5G: at least 200, 15% capped at 300, halves.
        (
            "5g-2026",
            "g5",
            "2020-01-01",
            "1000",
            (Verdict::Pass, "150", "75", "75"),
        ),
        (
            "5g-2026",
            "g5",
            "2020-01-01",
            "2500",
            (Verdict::Pass, "300", "150", "150"),
        ),
        (
            "5g-2026",
            "g5",
            "2020-01-01",
            "199.9999",
            (Verdict::Fail, "0", "0", "0"),
        ),
        (
            "5g-2026",
            "tech_upgrade",
            "2020-01-01",
            "1000",
            (Verdict::Fail, "0", "0", "0"),
        ),
    ];
    for (id, category, on, eq, (v, amount, city, district)) in cases {
        let p = programme(id);
        let a = evaluate(
            &p,
            &firm("C3981", None),
            &project(category, on, Some(eq), Some("0"), Some("0")),
            as_of,
        );
        assert_eq!(
            brief(&a),
            (v, amount.to_owned(), city.to_owned(), district.to_owned()),
            "{id} {category} {on} {eq}"
        );
    }
}

/// Every error of a projects file is located and worded in both languages: the row, the column's
/// label in the reader's language, what is wrong and what is expected — no key or English word in
/// the Chinese text, every column of the file given an English label of its own.
#[test]
fn a_projects_files_errors_are_worded_in_the_readers_language() {
    use zjtx_core::glossary::Lang;
    let en: std::collections::HashSet<&str> =
        programme::PROJECT_COLUMNS_EN.iter().copied().collect();
    assert_eq!(en.len(), programme::PROJECT_COLUMNS.len());
    let latin = |s: &str| s.chars().any(|c| c.is_ascii_alphabetic());

    let bad_header = programme::project_header(["项目名称", "项目名称", "budget"])
        .err()
        .unwrap_or_default();
    // The repeated column, the unknown one, the missing code.
    assert_eq!(bad_header.len(), 3, "{bad_header:?}");
    let zh: Vec<String> = bad_header.iter().map(|e| e.text(Lang::Zh)).collect();
    assert!(
        zh[0].contains("第 1 行「项目名称」：该列出现了两次"),
        "{zh:?}"
    );
    assert!(zh[1].contains("「budget」：不是项目文件的列"), "{zh:?}");
    assert!(zh[2].contains("缺少「统一社会信用代码」列"), "{zh:?}");

    let header: Vec<&str> = programme::PROJECT_COLUMNS.iter().map(|(k, _)| *k).collect();
    let h = programme::project_header(header.iter().copied()).unwrap_or_else(|e| panic!("{e:?}"));
    let mut cells = vec![""; header.len()];
    let values = [
        ("uscc", "91330106ABC"),
        ("category", "厂房"),
        ("registered_on", "2026/3/15"),
        ("equipment", "一千万"),
        ("digital_level", "9"),
        ("cover_year", "0"),
        ("district", "火星区"),
        ("size", "巨型"),
        ("titles", "隐形冠军"),
    ];
    for (k, v) in values {
        let i = header
            .iter()
            .position(|h| *h == k)
            .unwrap_or_else(|| panic!("{k}"));
        cells[i] = v;
    }
    let errors = programme::parse_project(&h, &cells, 7)
        .err()
        .unwrap_or_default();
    assert_eq!(
        errors.len(),
        values.len(),
        "one error a bad cell: {errors:?}"
    );
    for e in &errors {
        let z = e.text(Lang::Zh);
        let (key, cell) = values
            .iter()
            .find(|(k, _)| e.column.as_deref() == Some(*k))
            .unwrap_or_else(|| panic!("{e:?}"));
        let label = programme::project_column_label(key, Lang::Zh).unwrap_or_default();
        assert!(
            z.starts_with(&format!("第 7 行「{label}」：「{cell}」不是")),
            "{z}"
        );
        // 5G is a category's Chinese name.
        assert!(
            !latin(&z.replace(cell, "").replace("5G", "")),
            "English left in {z}"
        );
        let e_en = e.text(Lang::En);
        let label_en = programme::project_column_label(key, Lang::En).unwrap_or_default();
        assert!(e_en.starts_with(&format!("row 7, {label_en}: ")), "{e_en}");
    }
}
