//! Rule tables: every case is a sentence citing its rule id, an input (a base enterprise with some
//! cells changed, read through the template parser), and the expected outcome worked out by hand from
//! `tiers.md`. One `check()` runs them all and reports every mismatch at once.
//!
//! Files in `tests/rules/`: `[base.NAME]` tables of template cells; `[[case]]` with `set` and `expect`;
//! `[[table]]` rows that vary some cells and expect one rule's points or verdict.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use zjtx_core::enterprise::{COLUMNS, HeaderMap};
use zjtx_core::glossary::Lang;
use zjtx_core::ids::Uscc;
use zjtx_core::rules::{Embedded, RuleSet, load_all};
use zjtx_core::trace::RuleId;
use zjtx_core::{Enterprise, Evaluation, explain};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    base: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    case: Vec<Case>,
    #[serde(default)]
    table: Vec<Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default = "default_base")]
    base: String,
    rules: String,
    as_of: String,
    #[serde(default)]
    set: BTreeMap<String, String>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Output fields of the summary, as the CSV writes them.
    #[serde(default)]
    summary: BTreeMap<String, String>,
    /// Verdicts of rule ids.
    #[serde(default)]
    verdict: BTreeMap<String, String>,
    /// Points of scored ids: "15", or "lo..hi" where a blank leaves a range.
    #[serde(default)]
    points: BTreeMap<String, String>,
    /// Text the gap of a rule must contain (Chinese or English).
    #[serde(default)]
    gap: BTreeMap<String, String>,
    /// Text neither wording of the gap may contain (a blank it must not ask for, a Chinese
    /// phrase in the English one).
    #[serde(default)]
    gap_excludes: BTreeMap<String, String>,
    /// The threshold text of a rule, exactly.
    #[serde(default)]
    threshold: BTreeMap<String, String>,
    /// The computed value a rule shows, exactly ("" where it shows none).
    #[serde(default)]
    value: BTreeMap<String, String>,
    /// Text one of a rule's notes must contain (Chinese or English).
    #[serde(default)]
    note: BTreeMap<String, String>,
    /// The template keys a rule reads, in order, comma-separated.
    #[serde(default)]
    inputs: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    name: String,
    #[serde(default = "default_base")]
    base: String,
    rules: String,
    as_of: String,
    /// The rule id whose points (scored) or verdict (condition) each row expects.
    rule: String,
    #[serde(default)]
    set: BTreeMap<String, String>,
    vary: Vec<String>,
    /// Each row: one value per varied cell, then the expected points or verdict.
    rows: Vec<Vec<String>>,
}

fn default_base() -> String {
    "strong".into()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {s}"))
}

fn build(
    base: &BTreeMap<String, String>,
    set: &BTreeMap<String, String>,
) -> Result<Enterprise, String> {
    let mut cells = base.clone();
    for (k, v) in set {
        cells.insert(k.clone(), v.clone());
    }
    cells.entry("uscc".into()).or_insert_with(|| {
        Uscc::with_check(b"91330106MA0000001")
            .map(|u| u.to_string())
            .unwrap_or_default()
    });
    for k in cells.keys() {
        if !COLUMNS.iter().any(|c| c.key == k) {
            return Err(format!("unknown column {k}"));
        }
    }
    let keys: Vec<&str> = COLUMNS.iter().map(|c| c.key).collect();
    let header = HeaderMap::parse(keys.iter().copied()).map_err(|e| format!("{e:?}"))?;
    let row: Vec<&str> = COLUMNS
        .iter()
        .map(|c| cells.get(c.key).map_or("", String::as_str))
        .collect();
    header.parse_row(2, row).map_err(|e| {
        e.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn rule_id(s: &str) -> RuleId {
    *RuleId::ALL
        .iter()
        .find(|r| r.as_str() == s)
        .unwrap_or_else(|| panic!("unknown rule id {s}"))
}

fn summary_field(ev: &Evaluation, k: &str) -> String {
    let s = &ev.summary;
    let score = |d: Option<zjtx_core::num::Dec4>| {
        d.map(|d| {
            zjtx_core::num::Dec4::from_units(zjtx_core::num::round2(d.units()))
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
    };
    match k {
        "rules" => s.rules.into(),
        "size" => s.size.key().into(),
        "innovative" => s.innovative.key().into(),
        "tech_sme" => s.tech_sme.key().into(),
        "srdi" => s.srdi.key().into(),
        "giant" => s.giant.key().into(),
        "innovative_score" => score(s.innovative_score),
        "innovative_route" => s.innovative_route.key().into(),
        "tech_sme_score" => score(Some(s.tech_sme_score)),
        "srdi_score" => score(s.srdi_score),
        "srdi_failed" => s.srdi_failed.joined(),
        "giant_failed" => s.giant_failed.joined(),
        "top_tier" => s.top_tier.key().into(),
        other => panic!("unknown summary field {other}"),
    }
}

fn points_text(ev: &Evaluation, id: RuleId) -> Result<String, String> {
    let e = ev
        .entry(id)
        .ok_or_else(|| format!("{id} not in the trace"))?;
    let (lo, hi) = (
        e.points.ok_or_else(|| format!("{id} has no points"))?,
        e.points_max.unwrap_or_default(),
    );
    Ok(if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}..{hi}")
    })
}

fn verdict_text(ev: &Evaluation, id: RuleId) -> Result<String, String> {
    let e = ev
        .entry(id)
        .ok_or_else(|| format!("{id} not in the trace"))?;
    e.verdict
        .map(|v| v.key().to_owned())
        .ok_or_else(|| format!("{id} has no verdict"))
}

struct Ctx {
    sets: Vec<RuleSet>,
    failures: Vec<String>,
    ran: usize,
}

impl Ctx {
    fn eval(&self, rules: &str, as_of: &str, e: &Enterprise) -> Evaluation {
        let rs = self
            .sets
            .iter()
            .find(|s| s.id == rules)
            .unwrap_or_else(|| panic!("unknown rule set {rules}"));
        explain(e, rs, date(as_of))
    }

    fn fail(&mut self, name: &str, msg: String) {
        self.failures.push(format!("{name}: {msg}"));
    }

    fn case(&mut self, file: &File, c: &Case) {
        self.ran += 1;
        let base = file
            .base
            .get(&c.base)
            .unwrap_or_else(|| panic!("{}: no base {}", c.name, c.base));
        let e = match build(base, &c.set) {
            Ok(e) => e,
            Err(m) => return self.fail(&c.name, format!("input does not parse: {m}")),
        };
        let ev = self.eval(&c.rules, &c.as_of, &e);
        for (k, want) in &c.expect.summary {
            let got = summary_field(&ev, k);
            if &got != want {
                self.fail(&c.name, format!("{k} = {got:?}, expected {want:?}"));
            }
        }
        for (k, want) in &c.expect.verdict {
            match verdict_text(&ev, rule_id(k)) {
                Ok(got) if &got == want => {}
                Ok(got) => self.fail(&c.name, format!("{k} = {got}, expected {want}")),
                Err(m) => self.fail(&c.name, m),
            }
        }
        for (k, want) in &c.expect.points {
            match points_text(&ev, rule_id(k)) {
                Ok(got) if &got == want => {}
                Ok(got) => self.fail(&c.name, format!("{k} points = {got}, expected {want}")),
                Err(m) => self.fail(&c.name, m),
            }
        }
        for (k, want) in &c.expect.gap {
            let g = ev.entry(rule_id(k)).and_then(|e| e.gap.clone());
            match g.map(|g| (g.text(Lang::Zh), g.text(Lang::En))) {
                Some((zh, en)) if zh.contains(want.as_str()) || en.contains(want.as_str()) => {}
                other => self.fail(
                    &c.name,
                    format!("{k} gap {other:?} does not contain {want:?}"),
                ),
            }
        }
        for (k, bad) in &c.expect.gap_excludes {
            let g = ev.entry(rule_id(k)).and_then(|e| e.gap.clone());
            match g.map(|g| (g.text(Lang::Zh), g.text(Lang::En))) {
                Some((zh, en)) if !zh.contains(bad.as_str()) && !en.contains(bad.as_str()) => {}
                other => self.fail(&c.name, format!("{k} gap {other:?} contains {bad:?}")),
            }
        }
        for (k, want) in &c.expect.threshold {
            let got = ev.entry(rule_id(k)).map(|e| e.threshold.clone());
            if got.as_deref() != Some(want.as_str()) {
                self.fail(&c.name, format!("{k} threshold {got:?}, expected {want:?}"));
            }
        }
        for (k, want) in &c.expect.value {
            // An empty expectation means the rule shows no value.
            let got = ev.entry(rule_id(k)).and_then(|e| e.value.clone());
            if got.as_deref().unwrap_or_default() != want.as_str() {
                self.fail(&c.name, format!("{k} value {got:?}, expected {want:?}"));
            }
        }
        for (k, want) in &c.expect.note {
            let notes: Vec<String> = ev
                .entry(rule_id(k))
                .map(|e| {
                    e.notes
                        .iter()
                        .flat_map(|n| [n.text(Lang::Zh).to_owned(), n.text(Lang::En).to_owned()])
                        .collect()
                })
                .unwrap_or_default();
            if !notes.iter().any(|n| n.contains(want.as_str())) {
                self.fail(
                    &c.name,
                    format!("{k} notes {notes:?} do not contain {want:?}"),
                );
            }
        }
        for (k, want) in &c.expect.inputs {
            let got = ev
                .entry(rule_id(k))
                .map(|e| e.inputs.iter().map(|i| i.key).collect::<Vec<_>>().join(","));
            if got.as_deref() != Some(want.as_str()) {
                self.fail(&c.name, format!("{k} inputs {got:?}, expected {want:?}"));
            }
        }
    }

    fn table(&mut self, file: &File, t: &Table) {
        let base = file
            .base
            .get(&t.base)
            .unwrap_or_else(|| panic!("{}: no base {}", t.name, t.base));
        let id = rule_id(&t.rule);
        for row in &t.rows {
            self.ran += 1;
            if row.len() != t.vary.len() + 1 {
                self.fail(
                    &t.name,
                    format!("row {row:?} needs {} values", t.vary.len() + 1),
                );
                continue;
            }
            let mut set = t.set.clone();
            for (k, v) in t.vary.iter().zip(row) {
                set.insert(k.clone(), v.clone());
            }
            let label = format!(
                "{} [{}]",
                t.name,
                t.vary
                    .iter()
                    .zip(row)
                    .map(|(k, v)| format!("{k}={v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let e = match build(base, &set) {
                Ok(e) => e,
                Err(m) => {
                    self.fail(&label, format!("input does not parse: {m}"));
                    continue;
                }
            };
            let ev = self.eval(&t.rules, &t.as_of, &e);
            let want = &row[row.len() - 1];
            let got = match ev.entry(id) {
                Some(e) if e.verdict.is_some() => verdict_text(&ev, id),
                Some(e) if e.points.is_none() => {
                    e.value.clone().ok_or_else(|| format!("{id} has no value"))
                }
                _ => points_text(&ev, id),
            };
            match got {
                Ok(got) if &got == want => {}
                Ok(got) => self.fail(&label, format!("{} = {got}, expected {want}", t.rule)),
                Err(m) => self.fail(&label, m),
            }
        }
    }
}

#[test]
fn check() {
    let sets = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
    let mut ctx = Ctx {
        sets,
        failures: Vec::new(),
        ran: 0,
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|d| d.ok().map(|d| d.path()))
        .collect();
    paths.sort();
    let shared = std::fs::read_to_string(dir.join("base.toml")).unwrap_or_else(|e| panic!("{e}"));
    let shared: File = toml::from_str(&shared).unwrap_or_else(|e| panic!("base.toml: {e}"));
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
    {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
        let mut f: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for (k, v) in &shared.base {
            f.base.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for c in &f.case {
            ctx.case(&f, c);
        }
        for t in &f.table {
            ctx.table(&f, t);
        }
    }
    assert!(
        ctx.failures.is_empty(),
        "{} of {} rule cases failed:\n{}",
        ctx.failures.len(),
        ctx.ran,
        ctx.failures.join("\n")
    );
    assert!(ctx.ran > 300, "only {} rule cases ran", ctx.ran);
    println!("{} rule cases passed", ctx.ran);
}
