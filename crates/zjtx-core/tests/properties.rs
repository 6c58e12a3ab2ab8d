//! Properties that must hold for every enterprise, checked on generated and arbitrary rows.

use chrono::NaiveDate;
use proptest::prelude::*;
use zjtx_core::enterprise::{COLUMNS, Col, HeaderMap, Kind};
use zjtx_core::glossary::Lang;
use zjtx_core::num::{Dec4, Wan};
use zjtx_core::rules::{Embedded, RuleSet, load_all};
use zjtx_core::synth::Generator;
use zjtx_core::{Enterprise, Summary, Verdict, evaluate, explain};

fn sets() -> &'static [RuleSet] {
    static SETS: std::sync::OnceLock<Vec<RuleSet>> = std::sync::OnceLock::new();
    SETS.get_or_init(|| load_all(&Embedded).unwrap_or_else(|e| panic!("{e}")))
}

fn as_of(rs: &RuleSet) -> NaiveDate {
    if rs.id == "miit-2022" {
        NaiveDate::from_ymd_opt(2026, 3, 1)
    } else {
        NaiveDate::from_ymd_opt(2026, 6, 1)
    }
    .unwrap_or_default()
}

fn enterprise(seed: u64, n: usize) -> Enterprise {
    Generator::new(seed, 2025)
        .nth(n)
        .unwrap_or_else(|| panic!("generator is endless"))
}

fn verdicts(s: &Summary) -> [Verdict; 4] {
    [s.innovative, s.tech_sme, s.srdi, s.giant]
}

/// Where a blank stands for a range of values (not a default), with the values to try in its place.
fn fill_values(c: Col) -> Option<&'static [&'static str]> {
    match c.spec().kind {
        Kind::Money => Some(&[
            "0", "0.0001", "1", "99.9999", "100", "300", "1000", "1500", "5000", "10000", "20000",
            "40000", "1000000",
        ]),
        Kind::SignedMoney => Some(&["-1000", "0", "100", "1000", "5000"]),
        Kind::Count => Some(&["0", "1", "2", "4", "10", "20", "50", "100", "300", "1000"]),
        Kind::Bool => Some(&["0", "1"]),
        Kind::Pct100 => Some(&["0", "9.9999", "10", "50", "60", "100"]),
        Kind::Score15 => Some(&["0", "7.5", "15"]),
        Kind::Level => Some(&["0", "2", "3", "4"]),
        Kind::Choice(keys) => Some(keys),
        _ => None,
    }
}

/// Columns whose blank is a range of values. Excluded: tech_staff (blank means rd_staff), year
/// (blank means the year before as_of), dates of certificates and titles (blank means none).
fn range_columns() -> Vec<Col> {
    COLUMNS
        .iter()
        .filter(|c| !c.required && c.col != Col::TechStaff && fill_values(c.col).is_some())
        .map(|c| c.col)
        .collect()
}

fn set_cell(e: &Enterprise, c: Col, v: &str) -> Option<Enterprise> {
    let keys: Vec<&str> = COLUMNS.iter().map(|c| c.key).collect();
    let header = HeaderMap::parse(keys.iter().copied()).ok()?;
    let cells: Vec<String> = COLUMNS
        .iter()
        .map(|col| {
            if col.col == c {
                v.to_owned()
            } else {
                e.get(col.col)
            }
        })
        .collect();
    // Cross-field rules may refuse a filled value (a part larger than its whole); such values are
    // not inputs the engine ever sees, so they are skipped.
    header.parse_row(2, cells.iter().map(String::as_str)).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// §0: a blank stands for every value it could take. So if a tier passes with the blank, it
    /// passes with any value filled in; if it fails, it fails with any; and the printed (lowest)
    /// score never falls when a blank is filled in.
    #[test]
    fn filling_a_blank_never_contradicts_the_verdict_given_with_it(seed in 0u64..1000, n in 0usize..50, pick in any::<prop::sample::Index>()) {
        let cols = range_columns();
        let c = cols[pick.index(cols.len())];
        let Some(blank) = set_cell(&enterprise(seed, n), c, "") else { return Ok(()) };
        for rs in sets() {
            let vb = evaluate(&blank, rs, as_of(rs));
            for v in fill_values(c).unwrap_or(&[]) {
                let Some(filled) = set_cell(&blank, c, v) else { continue };
                let vf = evaluate(&filled, rs, as_of(rs));
                for (b, f) in verdicts(&vb).iter().zip(verdicts(&vf)) {
                    prop_assert!(*b == Verdict::Review || *b == f, "{} {}={v}: blank gives {:?}, filled gives {:?}", rs.id, c.key(), verdicts(&vb), verdicts(&vf));
                }
                prop_assert!(vf.tech_sme_score >= vb.tech_sme_score, "{} {}={v}: tech score fell", rs.id, c.key());
                if let (Some(a), Some(b)) = (vb.srdi_score, vf.srdi_score) {
                    prop_assert!(b >= a, "{} {}={v}: srdi score fell from {a} to {b}", rs.id, c.key());
                }
            }
        }
    }

    /// Raising R&D never lowers a score (nor any R&D indicator's points).
    #[test]
    fn raising_rd_never_lowers_a_score(seed in 0u64..1000, n in 0usize..50, extra in 1i64..50_000_000) {
        let e = enterprise(seed, n);
        let mut more = e.clone();
        let base = e.rd_expense.unwrap_or(Wan::ZERO);
        more.rd_expense = Wan::from_units(base.units() + extra);
        for rs in sets() {
            let a = explain(&e, rs, as_of(rs));
            let b = explain(&more, rs, as_of(rs));
            prop_assert!(b.summary.tech_sme_score >= a.summary.tech_sme_score);
            if let (Some(x), Some(y)) = (a.summary.srdi_score, b.summary.srdi_score) {
                prop_assert!(y >= x, "srdi score {x} → {y}");
            }
            for id in ["CX-2", "KJ-2R", "ZX22-S11"] {
                let p = |ev: &zjtx_core::Evaluation| ev.trace.iter().find(|t| t.id.as_str() == id).and_then(|t| t.points).unwrap_or(Dec4::ZERO);
                prop_assert!(p(&b) >= p(&a), "{id}: {} → {}", p(&a), p(&b));
            }
        }
    }

    /// No row of text cells, however wrong, makes parsing or evaluation panic.
    #[test]
    fn arbitrary_rows_never_panic(cells in prop::collection::vec(prop_oneof![
        Just(String::new()),
        "[0-9]{0,20}",
        "-?[0-9]{1,12}\\.[0-9]{0,6}",
        "[A-Z0-9]{18}",
        "[a-zA-Z_ ]{0,12}",
        "\\PC{0,8}",
        Just("99999999999.9999".to_owned()),
        Just("-99999999999.9999".to_owned()),
        Just("2020-02-29".to_owned()),
        Just("是".to_owned()),
    ], COLUMNS.len()), uscc_ok in any::<bool>()) {
        let keys: Vec<&str> = COLUMNS.iter().map(|c| c.key).collect();
        let header = HeaderMap::parse(keys.iter().copied()).unwrap_or_else(|e| panic!("{e:?}"));
        let mut cells = cells;
        if uscc_ok {
            cells[0] = "91350100M000100Y43".into();
            cells[1] = "x".into();
            cells[2] = "C3981".into();
        }
        if let Ok(e) = header.parse_row(2, cells.iter().map(String::as_str)) {
            for rs in sets() {
                let s = evaluate(&e, rs, as_of(rs));
                let ev = explain(&e, rs, as_of(rs));
                prop_assert_eq!(s, ev.summary);
            }
        }
    }

    /// Any enterprise, even one far outside the generator's ranges, evaluates without panicking and
    /// the fast path agrees with the traced one.
    #[test]
    fn extreme_figures_evaluate_and_both_paths_agree(seed in 0u64..200, n in 0usize..20, big in prop::sample::select(vec![0i64, 1, 999_999_999_999_999, 1_000_000_000_000_000])) {
        let mut e = enterprise(seed, n);
        let w = Wan::from_units(big);
        e.revenue = w;
        e.rd_expense = w;
        e.revenue_prev2 = w.map(|_| Wan::ZERO);
        e.total_assets = w;
        e.net_profit = w.and_then(|x| Wan::from_units(-x.units()));
        e.main_revenue = None;
        for rs in sets() {
            let s = evaluate(&e, rs, as_of(rs));
            prop_assert_eq!(s, explain(&e, rs, as_of(rs)).summary);
        }
    }
}

#[test]
fn the_rule_set_is_chosen_by_the_as_of_date() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    assert_eq!(
        zjtx_core::rule_set_for(sets(), d(2026, 3, 31)).map(|r| r.id.as_str()),
        Some("miit-2022")
    );
    assert_eq!(
        zjtx_core::rule_set_for(sets(), d(2026, 4, 1)).map(|r| r.id.as_str()),
        Some("miit-2026")
    );
    assert_eq!(
        zjtx_core::rule_set_for(sets(), d(2022, 6, 1)).map(|r| r.id.as_str()),
        Some("miit-2022")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Sharing the common part between rule sets changes nothing: `evaluate_each` gives, set by
    /// set, exactly what `evaluate` gives.
    #[test]
    fn evaluating_under_both_sets_at_once_equals_evaluating_each(seed in 0u64..1000, n in 0usize..50, day in 0i64..1500) {
        let e = enterprise(seed, n);
        let as_of = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default() + chrono::Days::new(day as u64);
        let refs: Vec<&RuleSet> = sets().iter().collect();
        let mut out = Vec::new();
        zjtx_core::engine::evaluate_each(&e, &refs, as_of, &mut out);
        let one: Vec<Summary> = refs.iter().map(|rs| evaluate(&e, rs, as_of)).collect();
        prop_assert_eq!(out, one);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every condition that is not met says what would meet it (issue: "every failed condition
    /// says what value would meet it"), in both languages.
    #[test]
    fn every_condition_not_met_has_a_gap(seed in 0u64..1000, n in 0usize..50) {
        let e = enterprise(seed, n);
        for rs in sets() {
            for t in explain(&e, rs, as_of(rs)).trace {
                if matches!(t.verdict, Some(Verdict::Fail | Verdict::Review)) {
                    let g = t.gap.as_ref();
                    // A gap that asks for blanks names at least one, each a blank input of the rule.
                    if let Some(zjtx_core::gap::GapKind::Blanks { fields }) = g.map(|g| &g.kind) {
                        prop_assert!(!fields.is_empty(), "{} {}: asks for no blank", rs.id, t.id);
                        for f in fields {
                            prop_assert!(t.inputs.iter().any(|i| i.key == f.key() && i.value.is_none()), "{} {}: {} is not a blank input", rs.id, t.id, f.key());
                        }
                    }
                    prop_assert!(g.is_some_and(|g| !g.text(Lang::Zh).is_empty() && !g.text(Lang::En).is_empty()), "{} {} has no gap", rs.id, t.id);
                }
            }
        }
    }
}

/// The outcomes a verdict allows: (can hold, can fail).
fn outcomes(v: Verdict) -> (bool, bool) {
    match v {
        Verdict::Pass => (true, false),
        Verdict::Fail => (false, true),
        Verdict::Review => (true, true),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// §0 settled details: a blank award level (or 创客中国 placing) ranges over every level. Each
    /// leaf that reads it gives, with the blank, exactly what its values give together: `review`
    /// only if some value would meet it and some would not; never `review` when every level fails.
    #[test]
    fn a_blank_award_level_or_placing_is_every_value_at_once(
        seed in 0u64..1000,
        n in 0usize..50,
        rank in prop::sample::select(vec!["", "1", "3", "4", "6", "9"]),
        year in prop::sample::select(vec!["", "2019", "2020", "2021", "2022", "2023", "2025"]),
    ) {
        let cases = [
            (Col::AwardLevel, "award_level", ["none", "provincial", "national"]),
            (Col::MakersChina, "makers_china", ["none", "top500", "top50"]),
        ];
        for (col, key, values) in cases {
            let base = enterprise(seed, n);
            let Some(e) = set_cell(&base, Col::AwardRank, rank)
                .and_then(|e| set_cell(&e, Col::AwardYear, year))
                .and_then(|e| set_cell(&e, Col::MakersChinaYear, year))
            else { continue };
            let Some(blank) = set_cell(&e, col, "") else { continue };
            for rs in sets() {
                let at = as_of(rs);
                let eb = explain(&blank, rs, at);
                let filled: Vec<_> = values
                    .iter()
                    .filter_map(|v| set_cell(&blank, col, v))
                    .map(|f| explain(&f, rs, at))
                    .collect();
                prop_assume!(filled.len() == values.len());
                for entry in eb.trace.iter().filter(|t| t.inputs.iter().any(|i| i.key == key)) {
                    let Some(vb) = entry.verdict else { continue };
                    let (mut hold, mut fail) = (false, false);
                    for f in &filled {
                        if let Some(v) = f.entry(entry.id).and_then(|t| t.verdict) {
                            let (h, l) = outcomes(v);
                            hold |= h;
                            fail |= l;
                        }
                    }
                    prop_assert_eq!(outcomes(vb), (hold, fail), "{} {} {}: rank {:?} year {:?}", rs.id, entry.id.as_str(), key, rank, year);
                }
            }
        }
    }
}

/// The certificate's validity is read from `common.toml`, not written in the engine: the same
/// certificate counts under 36 months and not under 12.
#[test]
fn the_high_tech_validity_comes_from_the_rule_file() {
    let sets = sets();
    let rs = sets
        .iter()
        .find(|r| r.id == "miit-2022")
        .unwrap_or_else(|| panic!("miit-2022"));
    let mut shorter = rs.clone();
    let mut common = (*rs.common).clone();
    common.high_tech.validity_months = 12;
    shorter.common = std::sync::Arc::new(common);
    let at = as_of(rs);
    let e = enterprise(3, 0);
    // CX-D2 is an "or" of the certificate and two other honours, here both absent.
    let Some(e) = set_cell(&e, Col::HighTechIssuedOn, "2024-06-01")
        .and_then(|e| set_cell(&e, Col::InnovationDemo, "0"))
        .and_then(|e| set_cell(&e, Col::IpAdvantage, "0"))
    else {
        panic!("valid cells")
    };
    let verdict = |rs: &RuleSet| {
        explain(&e, rs, at)
            .entry(zjtx_core::trace::RuleId::CxD2)
            .and_then(|t| t.verdict)
    };
    assert_eq!(rs.common.high_tech.validity_months, 36);
    assert_eq!(verdict(rs), Some(Verdict::Pass));
    assert_eq!(verdict(&shorter), Some(Verdict::Fail));
}

/// Values to try in a column of each kind (a value the template refuses is skipped).
fn candidates(k: Kind) -> &'static [&'static str] {
    match k {
        Kind::Money | Kind::SignedMoney => &["0", "1", "50", "5000", "100000"],
        Kind::Count | Kind::Count1 => &["0", "1", "5", "50", "1000"],
        Kind::Year => &["2012", "2020", "2024", "2025"],
        Kind::Level => &["none", "below_city", "city", "provincial", "national"],
        Kind::Pct100 => &["0", "5", "50", "100"],
        Kind::Score15 => &["0", "5", "10", "15"],
        Kind::Bool => &["0", "1"],
        Kind::Date => &["2016-01-01", "2024-06-01"],
        Kind::Choice(values) => values,
        Kind::Text | Kind::District => &[],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Issue 10 §4: an undecided condition's gap names only blanks that can change it. A blank input
    /// of the rule that its gap leaves out cannot decide it: filled with any value, the condition
    /// stays undecided.
    #[test]
    fn a_blank_the_gap_leaves_out_cannot_decide_the_condition(
        seed in 0u64..1000,
        n in 0usize..50,
        mask in any::<u64>(),
    ) {
        // Blank a random set of figures (never the code, name or industry).
        let mut e = enterprise(seed, n);
        for (i, c) in COLUMNS.iter().skip(3).enumerate() {
            if mask >> (i % 64) & 1 == 1 && i % 3 == 0
                && let Some(b) = set_cell(&e, c.col, "")
            {
                e = b;
            }
        }
        for rs in sets() {
            let at = as_of(rs);
            let ev = explain(&e, rs, at);
            for entry in &ev.trace {
                if entry.verdict != Some(Verdict::Review) {
                    continue;
                }
                let Some(zjtx_core::gap::GapKind::Blanks { fields }) = entry.gap.as_ref().map(|g| &g.kind) else {
                    continue;
                };
                for input in entry.inputs.iter().filter(|i| i.value.is_none()) {
                    let Some(col) = Col::from_key(input.key) else { continue };
                    if fields.contains(&col) {
                        continue;
                    }
                    for v in candidates(col.spec().kind) {
                        let Some(f) = set_cell(&e, col, v) else { continue };
                        let got = explain(&f, rs, at).entry(entry.id).and_then(|t| t.verdict);
                        prop_assert_eq!(got, Some(Verdict::Review), "{} {}: {} = {} decides it, yet the gap leaves it out", rs.id, entry.id.as_str(), input.key, v);
                    }
                }
            }
        }
    }
}

/// What each condition's gap states when it fails with every input known (issue 10 §4–5): a
/// shortfall where the condition is a figure against a threshold, the requirement where it is a
/// list of honours or levels, the gate's bar for a gate. Read over a generated city under both
/// rule sets, with the threshold every entry shows and the value every computed rule shows.
#[test]
fn each_failed_condition_states_the_gap_of_its_kind_with_its_threshold_and_value() {
    use std::collections::BTreeMap;
    let kinds: BTreeMap<&str, &[&str]> = [
        ("CX-D1", &["requirement"][..]),
        ("CX-D2", &["requirement"]),
        ("CX-D3", &["requirement"]),
        ("CX-D4", &["min_money"]),
        ("CX-SCORE", &["score_parts"]),
        ("G-LIST", &["gate"]),
        ("G-PROD", &["gate"]),
        ("G-SME", &["gate"]),
        ("G22-INC", &["gate"]),
        ("G26-INC", &["gate"]),
        ("KJ-2", &["caps"]),
        ("KJ-D1", &["requirement"]),
        ("KJ-D2", &["requirement"]),
        ("KJ-D3", &["requirement"]),
        ("KJ-D4", &["requirement"]),
        ("KJ-SCORE", &["score_with_required"]),
        ("XJ22-1a", &["niche_years"]),
        ("XJ22-1b", &["ratio_min", "zero_denominator"]),
        ("XJ22-1c", &["avg_growth", "zero_previous_revenue"]),
        ("XJ22-2a", &["flag"]),
        ("XJ22-2b", &["flag"]),
        ("XJ22-2c", &["ratio_max", "zero_denominator"]),
        ("XJ22-3a", &["min_decimal"]),
        ("XJ22-3b", &["flag"]),
        ("XJ22-4", &["requirement"]),
        ("XJ22-4D1", &["requirement"]),
        ("XJ22-4D2", &["requirement"]),
        (
            "XJ22-4G1",
            &["min_money", "ratio_min", "two_year_rd", "zero_denominator"],
        ),
        ("XJ22-4G2", &["requirement"]),
        ("XJ22-4G3", &["min_count"]),
        ("XJ22-5", &["flag"]),
        ("XJ22-6", &["flag"]),
        ("XJ22-P", &["prerequisite"]),
        ("XJ26-1a", &["prerequisite"]),
        ("XJ26-1b", &["niche_years"]),
        ("XJ26-2a", &["min_money"]),
        ("XJ26-2b", &["ratio_min", "zero_denominator"]),
        ("XJ26-2c", &["growth", "zero_denominator"]),
        ("XJ26-2d", &["ratio_max", "zero_denominator"]),
        ("XJ26-3a", &["two_year_rd"]),
        ("XJ26-3b", &["ratio_min", "zero_denominator"]),
        ("XJ26-3c", &["ratio_min", "zero_denominator"]),
        ("XJ26-4", &["min_count"]),
        ("XJ26-5", &["requirement"]),
        ("XJ26-6", &["flag"]),
        ("XJ26-7", &["min_decimal"]),
        ("ZX22-1", &["niche_years"]),
        ("ZX22-2a", &["min_money"]),
        ("ZX22-2b", &["ratio_min", "zero_denominator"]),
        ("ZX22-3", &["min_money"]),
        ("ZX22-4", &["requirement"]),
        ("ZX22-D1", &["requirement"]),
        ("ZX22-D2", &["requirement"]),
        ("ZX22-D3", &["requirement"]),
        ("ZX22-D4", &["requirement"]),
        ("ZX22-P", &["prerequisite"]),
        ("ZX22-SCORE", &["score"]),
        ("ZX26-1a", &["prerequisite"]),
        ("ZX26-1b", &["niche_years"]),
        ("ZX26-2a", &["min_money"]),
        ("ZX26-2b", &["ratio_min", "zero_denominator"]),
        ("ZX26-2c", &["ratio_max", "zero_denominator"]),
        ("ZX26-3a", &["min_money", "ratio_min", "zero_denominator"]),
        ("ZX26-3b", &["min_money", "ratio_min", "zero_denominator"]),
        ("ZX26-4", &["min_count"]),
        ("ZX26-5", &["flag"]),
        ("ZX26-6", &["min_decimal"]),
    ]
    .into_iter()
    .collect();
    // Rules that compute a figure show it whenever their inputs are known.
    let valued = [
        "SIZE",
        "CX-2",
        "CX-3",
        "CX-4",
        "CX-6",
        "CX-SCORE",
        "KJ-1",
        "KJ-2R",
        "KJ-SCORE",
        "ZX22-1",
        "ZX22-2b",
        "ZX22-S1",
        "ZX22-S2",
        "ZX22-S3",
        "ZX22-S7",
        "ZX22-S8",
        "ZX22-S11",
        "ZX22-S12",
        "ZX22-SCORE",
        "XJ22-1a",
        "XJ22-1b",
        "XJ22-1c",
        "XJ22-2c",
        "XJ22-4G1",
        "ZX26-1b",
        "ZX26-2b",
        "ZX26-2c",
        "ZX26-3a",
        "ZX26-3b",
        "XJ26-1b",
        "XJ26-2b",
        "XJ26-2c",
        "XJ26-2d",
        "XJ26-3a",
        "XJ26-3b",
        "XJ26-3c",
        "G-SME",
    ];
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut checked = 0;
    for seed in 0..3u64 {
        for e in Generator::new(seed, 2025).take(300) {
            for rs in sets() {
                for t in explain(&e, rs, as_of(rs)).trace {
                    let id = t.id.as_str();
                    assert!(!t.threshold.is_empty(), "{} {id}: no threshold", rs.id);
                    let known = t.inputs.iter().all(|i| i.value.is_some());
                    if known && valued.contains(&id) {
                        assert!(
                            t.value.as_deref().is_some_and(|v| !v.is_empty()),
                            "{} {id}: no value",
                            rs.id
                        );
                    }
                    if known && t.verdict == Some(Verdict::Fail) {
                        let kind = t
                            .gap
                            .as_ref()
                            .and_then(|g| serde_json::to_value(g).ok())
                            .and_then(|v| v["kind"].as_str().map(str::to_owned))
                            .unwrap_or_default();
                        // A stated shortfall is what the requirement lacks: short = need − have.
                        if let Some(g) = t.gap.as_ref().and_then(|g| serde_json::to_value(g).ok()) {
                            let units = |v: &serde_json::Value| -> Option<i64> {
                                match v {
                                    serde_json::Value::Number(n) => n.as_i64().map(|n| n * 10_000),
                                    serde_json::Value::String(s) => {
                                        zjtx_core::num::parse_fixed4(s).ok()
                                    }
                                    serde_json::Value::Object(o) => o.get("lo").and_then(|lo| {
                                        zjtx_core::num::parse_fixed4(lo.as_str()?).ok()
                                    }),
                                    _ => None,
                                }
                            };
                            let need = g.get("need").or_else(|| g.get("min"));
                            if let (Some(h), Some(n), Some(sh)) = (
                                g.get("have").and_then(units),
                                need.and_then(units),
                                g.get("short").and_then(units),
                            ) {
                                assert_eq!(sh, n - h, "{} {id}: {g}", rs.id);
                                checked += 1;
                            }
                        }
                        let want = kinds
                            .get(id)
                            .unwrap_or_else(|| panic!("{id}: no expected gap kind"));
                        assert!(
                            want.contains(&kind.as_str()),
                            "{} {id}: gap {kind}, expected one of {want:?}",
                            rs.id
                        );
                        *seen.entry(id.to_owned()).or_default() += 1;
                    }
                }
            }
        }
    }
    // Every condition of the table was seen failing at least once, so none of its rows is idle.
    assert!(checked > 100, "shortfalls checked: {checked}");
    let idle: Vec<&&str> = kinds.keys().filter(|k| !seen.contains_key(**k)).collect();
    assert!(
        idle.is_empty(),
        "never seen failing with known inputs: {idle:?}"
    );
}
