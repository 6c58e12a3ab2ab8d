//! Funding programmes (专项资金, issue 13) as dated rule files, like the tiers: a programme's
//! eligibility (facts of the enterprise — titles, size, district, chain, industry — and of the
//! project — category, registration date, eligible investment, digital level, tier), its amount
//! (a share of the eligible investment with a cap chosen by industry group, or a lump sum by the
//! project's tier, plus the first-unit insurance compensation), the city/district split, its
//! budget, and the clause of every number. Evaluating a project gives the engine's kind of trace:
//! each condition met, missed or undecided (a blank fact) with its clause and gap, and the amount
//! computed line by line in exact 万元.
//!
//! The files are `programmes/*.toml`, embedded; a bureau edits a copy for a new year (the CLI's
//! `--programme FILE`, the web's programme directory) without code.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::enterprise::CellError;
use crate::num::{Dec4, Ppm, Wan};
use crate::trace::Verdict;

/// The programme files compiled into the program.
pub const EMBEDDED_PROGRAMMES: &[(&str, &str)] = &[
    (
        "tech-upgrade-2026.toml",
        include_str!("../programmes/tech-upgrade-2026.toml"),
    ),
    (
        "digital-breakthrough-2026.toml",
        include_str!("../programmes/digital-breakthrough-2026.toml"),
    ),
    (
        "future-factory-2026.toml",
        include_str!("../programmes/future-factory-2026.toml"),
    ),
    (
        "first-unit-2026.toml",
        include_str!("../programmes/first-unit-2026.toml"),
    ),
    ("5g-2026.toml", include_str!("../programmes/5g-2026.toml")),
];

/// A text in both languages of the interface.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn get(&self, en: bool) -> &str {
        if en { &self.en } else { &self.zh }
    }
}

/// A text, built only when the trace is wanted (a forecast skips them).
macro_rules! txt {
    ($on:expr, $zh:expr, $en:expr $(,)?) => {
        if $on {
            Text::new($zh, $en)
        } else {
            Text::default()
        }
    };
}

/// One condition of eligibility, as the file writes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "test", rename_all = "snake_case", deny_unknown_fields)]
pub enum Test {
    /// The project is of this category.
    Category { category: String },
    /// The project was registered (备案) on or after this day.
    RegisteredFrom { date: NaiveDate },
    /// Its eligible investment (equipment + technology + software) is at least this.
    InvestmentAtLeast { wan: Wan },
    /// The enterprise's (or the project's) digital level is at least this.
    DigitalLevelAtLeast { level: Dec4 },
    /// The enterprise holds one of these titles on the day of evaluation.
    TitleAny { tiers: Vec<String> },
    /// The enterprise is of one of these sizes (`micro`, `small`, `medium`, `large`).
    SizeIn { sizes: Vec<String> },
    /// The enterprise is in one of these districts (codes).
    DistrictIn { districts: Vec<String> },
    /// The enterprise carries one of these chains.
    ChainAny { chains: Vec<String> },
    /// Its industry code starts with one of these (GB/T 4754: `C`, `C39`, `I65`).
    IndustryPrefix { prefixes: Vec<String> },
}

/// A condition with its id and clause (an unknown key is refused by the test's own fields).
#[derive(Clone, Debug, Deserialize)]
pub struct Require {
    pub id: String,
    pub clause: String,
    #[serde(flatten)]
    pub test: Test,
}

/// A share-of-investment group: the first whose industries or ecosystems match the enterprise
/// (a group naming neither matches every one).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareGroup {
    pub id: String,
    pub clause: String,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub ecosystems: Vec<String>,
    pub share: Ppm,
    pub cap: Wan,
}

/// A tier of a tiered programme: its own conditions and its award.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierAward {
    pub key: String,
    pub zh: String,
    pub en: String,
    pub id: String,
    pub clause: String,
    #[serde(default)]
    pub min_digital_level: Option<Dec4>,
    #[serde(default)]
    pub min_investment: Option<Wan>,
    /// The award: `amount_max`, or, with `share`, the share of the eligible investment kept
    /// between `amount_min` and `amount_max`.
    #[serde(default)]
    pub share: Option<Ppm>,
    #[serde(default)]
    pub amount_min: Option<Wan>,
    pub amount_max: Wan,
}

/// First-unit insurance compensation: `first_rate` of the first-year premium in the first year
/// of cover, `step` less each later year, for at most `max_years`, at most `yearly_cap` a year.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    pub id: String,
    pub clause: String,
    pub first_rate: Ppm,
    pub step: Ppm,
    pub max_years: u32,
    pub yearly_cap: Wan,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "formula", rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    Share {
        clause: String,
        groups: Vec<ShareGroup>,
    },
    Tiered {
        clause: String,
        tiers: Vec<TierAward>,
    },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub clause: String,
    /// The city's part of an award; the district pays the rest.
    pub city_share: Ppm,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub clause: String,
    pub city: Wan,
    pub district: Wan,
}

/// A programme as its file gives it, checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Programme {
    pub id: String,
    pub title: String,
    pub title_en: String,
    /// `tech_upgrade`, `digital_breakthrough`, `future_factory`, `first_unit`, `g5`.
    pub category: String,
    pub document: String,
    pub conf: String,
    pub year: i32,
    /// The call is open from this day (inclusive) until `valid_until` (exclusive).
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    #[serde(default)]
    pub require: Vec<Require>,
    pub amount: Formula,
    #[serde(default)]
    pub insurance: Option<Insurance>,
    pub split: Split,
    pub budget: Budget,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("programme file {file}: {message}")]
pub struct ProgrammeError {
    pub file: String,
    pub message: String,
}

/// Reads and checks a programme file.
pub fn parse(file: &str, text: &str) -> Result<Programme, ProgrammeError> {
    let bad = |m: String| ProgrammeError {
        file: file.to_owned(),
        message: m,
    };
    let p: Programme = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    if p.valid_from >= p.valid_until {
        return Err(bad("valid_from must come before valid_until".into()));
    }
    let pct = |v: Ppm| (0..=1_000_000).contains(&v.0);
    if !pct(p.split.city_share) {
        return Err(bad("split.city_share must be between 0% and 100%".into()));
    }
    let mut ids: Vec<&str> = p.require.iter().map(|r| r.id.as_str()).collect();
    match &p.amount {
        Formula::Share { groups, .. } => {
            if groups.is_empty() {
                return Err(bad("amount.groups: at least one group".into()));
            }
            if !groups
                .last()
                .is_some_and(|g| g.industries.is_empty() && g.ecosystems.is_empty())
            {
                return Err(bad(
                    "amount.groups: the last group names no industry or ecosystem (it takes every other firm)"
                        .into(),
                ));
            }
            for g in groups {
                if !pct(g.share) {
                    return Err(bad(format!("group {}: share out of 0%–100%", g.id)));
                }
                ids.push(&g.id);
            }
        }
        Formula::Tiered { tiers, .. } => {
            if tiers.is_empty() {
                return Err(bad("amount.tiers: at least one tier".into()));
            }
            for t in tiers {
                if t.amount_min.is_some_and(|m| m > t.amount_max) {
                    return Err(bad(format!("tier {}: amount_min above amount_max", t.key)));
                }
                ids.push(&t.id);
            }
        }
    }
    if let Some(i) = &p.insurance {
        if !pct(i.first_rate) || !pct(i.step) || i.max_years == 0 {
            return Err(bad(
                "insurance: rates within 0%–100% and at least one year".into()
            ));
        }
        ids.push(&i.id);
    }
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!("the id {} is used twice", w[0])));
    }
    Ok(p)
}

/// The programmes compiled in.
pub fn embedded() -> Result<Vec<Programme>, ProgrammeError> {
    EMBEDDED_PROGRAMMES
        .iter()
        .map(|(f, t)| parse(f, t))
        .collect()
}

/// What a programme reads of the enterprise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FirmFacts {
    pub uscc: String,
    pub name: String,
    /// District code.
    pub district: Option<String>,
    pub industry_code: Option<String>,
    pub ecosystem: Option<String>,
    /// `micro`, `small`, `medium`, `large`.
    pub size: Option<String>,
    /// The tiers of the titles it holds on the day of evaluation.
    pub titles: Vec<String>,
    pub chains: Vec<String>,
    /// Its digital level (enterprise template `digital_level`), if known.
    pub digital_level: Option<Dec4>,
}

/// What a programme reads of the project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectFacts {
    pub name: String,
    pub category: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub equipment: Option<Wan>,
    pub technology: Option<Wan>,
    pub software: Option<Wan>,
    /// The project's digital level (a factory's assessment), else the enterprise's.
    pub digital_level: Option<Dec4>,
    /// The recognised tier (future factory) or first-unit tier.
    pub tier: Option<String>,
    /// First-unit insurance: the first-year premium and the year of cover (1, 2, …).
    pub premium: Option<Wan>,
    pub cover_year: Option<u32>,
}

impl ProjectFacts {
    /// Equipment + technology + software, with the parts blank (unknown) or not.
    pub fn investment(&self) -> (Wan, bool) {
        let parts = [self.equipment, self.technology, self.software];
        let sum = parts.iter().flatten().map(|w| w.units()).sum::<i64>();
        (
            Wan::from_units(sum).unwrap_or(Wan::ZERO),
            parts.iter().any(Option::is_none),
        )
    }
}

/// A condition as evaluated.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub id: String,
    pub clause: String,
    pub verdict: Verdict,
    /// What was asked and what the facts give.
    pub text: Text,
    /// How far the facts are from meeting it, when they miss it.
    pub gap: Option<Text>,
}

/// A line of the amount's computation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub id: String,
    pub text: Text,
    pub value: Wan,
}

/// A project's award under a programme.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Award {
    pub programme: String,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    /// The computation, when the project is eligible (or may be, blanks aside).
    pub lines: Vec<Line>,
    pub amount: Wan,
    pub city: Wan,
    pub district: Wan,
}

fn w(v: Wan) -> String {
    v.to_string()
}

/// `v × share`, rounded down to 0.0001 万.
pub fn times(v: Wan, share: Ppm) -> Wan {
    let raw = i128::from(v.units()) * i128::from(share.0) / 1_000_000;
    Wan::from_units(i64::try_from(raw).unwrap_or(0)).unwrap_or(Wan::ZERO)
}

fn check(
    r: &Require,
    firm: &FirmFacts,
    project: &ProjectFacts,
    as_of: NaiveDate,
    explain: bool,
) -> Check {
    let mk = |verdict, text: Text, gap: Option<Text>| Check {
        id: r.id.clone(),
        clause: r.clause.clone(),
        verdict,
        text,
        gap,
    };
    let of = |b: bool| if b { Verdict::Pass } else { Verdict::Fail };
    let list = |v: &[String]| v.join("、");
    match &r.test {
        Test::Category { category } => match &project.category {
            None => mk(
                Verdict::Review,
                txt!(
                    explain,
                    format!("项目类别须为{}（未填）", category_zh(category)),
                    format!(
                        "the project's category must be {} (blank)",
                        category_en(category)
                    ),
                ),
                None,
            ),
            Some(c) => mk(
                of(c == category),
                txt!(
                    explain,
                    format!("项目类别须为{}：{}", category_zh(category), category_zh(c)),
                    format!(
                        "the project's category must be {}: {}",
                        category_en(category),
                        category_en(c)
                    ),
                ),
                None,
            ),
        },
        Test::RegisteredFrom { date } => match project.registered_on {
            None => mk(
                Verdict::Review,
                txt!(
                    explain,
                    format!("项目备案日期须不早于 {date}（未填）"),
                    format!("registered on or after {date} (blank)"),
                ),
                None,
            ),
            Some(d) => mk(
                of(d >= *date),
                txt!(
                    explain,
                    format!("项目备案日期须不早于 {date}：{d}"),
                    format!("registered on or after {date}: {d}"),
                ),
                None,
            ),
        },
        Test::InvestmentAtLeast { wan } => {
            let (sum, blanks) = project.investment();
            let met = sum >= *wan;
            let verdict = match (met, blanks) {
                (true, _) => Verdict::Pass,
                (false, true) => Verdict::Review,
                (false, false) => Verdict::Fail,
            };
            let short = Wan::from_units(wan.units() - sum.units()).unwrap_or(Wan::ZERO);
            mk(
                verdict,
                txt!(
                    explain,
                    format!(
                        "设备、技术、软件投资合计须不低于 {} 万元：{} 万元{}",
                        w(*wan),
                        w(sum),
                        if blanks { "（有未填项）" } else { "" }
                    ),
                    format!(
                        "equipment, technology and software at least {} (10k yuan): {}{}",
                        w(*wan),
                        w(sum),
                        if blanks { " (some blank)" } else { "" }
                    ),
                ),
                (!met).then(|| {
                    txt!(
                        explain,
                        format!("还差 {} 万元", w(short)),
                        format!("{} (10k yuan) short", w(short)),
                    )
                }),
            )
        }
        Test::DigitalLevelAtLeast { level } => match project.digital_level.or(firm.digital_level) {
            None => mk(
                Verdict::Review,
                txt!(
                    explain,
                    format!("数字化水平须不低于 {level} 级（未填）"),
                    format!("digital level at least {level} (blank)"),
                ),
                None,
            ),
            Some(l) => mk(
                of(l >= *level),
                txt!(
                    explain,
                    format!("数字化水平须不低于 {level} 级：{l} 级"),
                    format!("digital level at least {level}: {l}"),
                ),
                (l < *level).then(|| {
                    txt!(
                        explain,
                        format!(
                            "还差 {} 级",
                            Dec4::from_units(level.units() - l.units()).unwrap_or(Dec4::ZERO)
                        ),
                        format!(
                            "{} levels short",
                            Dec4::from_units(level.units() - l.units()).unwrap_or(Dec4::ZERO)
                        ),
                    )
                }),
            ),
        },
        Test::TitleAny { tiers } => {
            let held = firm.titles.iter().any(|t| tiers.contains(t));
            mk(
                of(held),
                txt!(
                    explain,
                    format!(
                        "须持有以下称号之一（{as_of} 有效）：{}；持有：{}",
                        list(tiers),
                        if firm.titles.is_empty() {
                            "无".to_owned()
                        } else {
                            list(&firm.titles)
                        }
                    ),
                    format!(
                        "holds one of these titles on {as_of}: {}; holds: {}",
                        list(tiers),
                        if firm.titles.is_empty() {
                            "none".to_owned()
                        } else {
                            list(&firm.titles)
                        }
                    ),
                ),
                None,
            )
        }
        Test::SizeIn { sizes } => match &firm.size {
            None => mk(
                Verdict::Review,
                txt!(
                    explain,
                    format!("企业规模须为 {}（未知）", list(sizes)),
                    format!("size one of {} (unknown)", list(sizes)),
                ),
                None,
            ),
            Some(s) => mk(
                of(sizes.contains(s)),
                txt!(
                    explain,
                    format!("企业规模须为 {}：{s}", list(sizes)),
                    format!("size one of {}: {s}", list(sizes)),
                ),
                None,
            ),
        },
        Test::DistrictIn { districts } => match &firm.district {
            None => mk(
                Verdict::Review,
                txt!(
                    explain,
                    format!("所属区县须为 {}（未知）", list(districts)),
                    format!("district one of {} (unknown)", list(districts)),
                ),
                None,
            ),
            Some(d) => mk(
                of(districts.contains(d)),
                txt!(
                    explain,
                    format!("所属区县须为 {}：{d}", list(districts)),
                    format!("district one of {}: {d}", list(districts)),
                ),
                None,
            ),
        },
        Test::ChainAny { chains } => {
            let on = firm.chains.iter().any(|c| chains.contains(c));
            mk(
                of(on),
                txt!(
                    explain,
                    format!("须属于产业链 {}", list(chains)),
                    format!("tagged with one of the chains {}", list(chains)),
                ),
                None,
            )
        }
        Test::IndustryPrefix { prefixes } => match &firm.industry_code {
            None => mk(
                Verdict::Review,
                txt!(
                    explain,
                    format!("行业须属于 {}（未知）", list(prefixes)),
                    format!("industry within {} (unknown)", list(prefixes)),
                ),
                None,
            ),
            Some(code) => mk(
                of(prefixes.iter().any(|p| code.starts_with(p.as_str()))),
                txt!(
                    explain,
                    format!("行业须属于 {}：{code}", list(prefixes)),
                    format!("industry within {}: {code}", list(prefixes)),
                ),
                None,
            ),
        },
    }
}

fn combine(checks: &[Check]) -> Verdict {
    if checks.iter().any(|c| c.verdict == Verdict::Fail) {
        Verdict::Fail
    } else if checks.iter().any(|c| c.verdict == Verdict::Review) {
        Verdict::Review
    } else {
        Verdict::Pass
    }
}

fn group_of<'a>(groups: &'a [ShareGroup], firm: &FirmFacts) -> Option<&'a ShareGroup> {
    groups.iter().find(|g| {
        (g.industries.is_empty() && g.ecosystems.is_empty())
            || firm
                .industry_code
                .as_deref()
                .is_some_and(|c| g.industries.iter().any(|p| c.starts_with(p.as_str())))
            || firm
                .ecosystem
                .as_deref()
                .is_some_and(|e| g.ecosystems.iter().any(|x| x == e))
    })
}

/// The award of a project under a programme on `as_of`: every condition with its verdict, and —
/// unless one fails — the amount line by line. A condition left undecided by a blank fact makes
/// the verdict `Review`, and the amount is computed from the facts given.
pub fn evaluate(
    p: &Programme,
    firm: &FirmFacts,
    project: &ProjectFacts,
    as_of: NaiveDate,
) -> Award {
    run(p, firm, project, as_of, true)
}

/// `evaluate`, with the texts of the trace when `explain` (a forecast needs the figures only).
fn run(
    p: &Programme,
    firm: &FirmFacts,
    project: &ProjectFacts,
    as_of: NaiveDate,
    explain: bool,
) -> Award {
    let mut checks: Vec<Check> = p
        .require
        .iter()
        .map(|r| check(r, firm, project, as_of, explain))
        .collect();
    let (base, _) = project.investment();
    let mut lines = Vec::new();
    let mut amount = Wan::ZERO;
    match &p.amount {
        Formula::Share { groups, .. } => {
            if let Some(g) = group_of(groups, firm) {
                lines.push(Line {
                    id: g.id.clone(),
                    text: txt!(
                        explain,
                        format!(
                            "合格投资 = 设备 {} + 技术 {} + 软件 {} = {} 万元",
                            project.equipment.map(w).unwrap_or_else(|| "—".into()),
                            project.technology.map(w).unwrap_or_else(|| "—".into()),
                            project.software.map(w).unwrap_or_else(|| "—".into()),
                            w(base)
                        ),
                        format!(
                            "eligible investment = equipment {} + technology {} + software {} = {}",
                            project.equipment.map(w).unwrap_or_else(|| "—".into()),
                            project.technology.map(w).unwrap_or_else(|| "—".into()),
                            project.software.map(w).unwrap_or_else(|| "—".into()),
                            w(base)
                        ),
                    ),
                    value: base,
                });
                let raw = times(base, g.share);
                lines.push(Line {
                    id: g.id.clone(),
                    text: txt!(
                        explain,
                        format!(
                            "{} × {} = {} 万元（{}）",
                            w(base),
                            g.share,
                            w(raw),
                            g.clause
                        ),
                        format!("{} × {} = {} ({})", w(base), g.share, w(raw), g.clause),
                    ),
                    value: raw,
                });
                amount = raw.min(g.cap);
                lines.push(Line {
                    id: g.id.clone(),
                    text: txt!(
                        explain,
                        format!("上限 {} 万元：补助 {} 万元", w(g.cap), w(amount)),
                        format!("cap {}: award {}", w(g.cap), w(amount)),
                    ),
                    value: amount,
                });
            }
        }
        Formula::Tiered { tiers, .. } => {
            match project.tier.as_deref() {
                None => checks.push(Check {
                    id: "TIER".into(),
                    clause: String::new(),
                    verdict: Verdict::Review,
                    text: txt!(explain, "项目认定层级未填", "the project's tier is blank"),
                    gap: None,
                }),
                Some(key) => {
                    match tiers.iter().find(|t| t.key == key) {
                        None => checks.push(Check {
                            id: "TIER".into(),
                            clause: String::new(),
                            verdict: Verdict::Fail,
                            text: txt!(
                                explain,
                                format!("认定层级“{key}”不在本项目范围内"),
                                format!("the tier {key:?} is not one of this programme's"),
                            ),
                            gap: None,
                        }),
                        Some(t) => {
                            if let Some(level) = t.min_digital_level {
                                let mut c = check(
                                    &Require {
                                        id: t.id.clone(),
                                        clause: t.clause.clone(),
                                        test: Test::DigitalLevelAtLeast { level },
                                    },
                                    firm,
                                    project,
                                    as_of,
                                    explain,
                                );
                                c.id = t.id.clone();
                                checks.push(c);
                            }
                            if let Some(wan) = t.min_investment {
                                checks.push(check(
                                    &Require {
                                        id: t.id.clone(),
                                        clause: t.clause.clone(),
                                        test: Test::InvestmentAtLeast { wan },
                                    },
                                    firm,
                                    project,
                                    as_of,
                                    explain,
                                ));
                            }
                            amount =
                                match t.share {
                                    Some(share) => {
                                        let raw = times(base, share);
                                        let lo = t.amount_min.unwrap_or(Wan::ZERO);
                                        let v = raw.max(lo).min(t.amount_max);
                                        lines.push(Line {
                                id: t.id.clone(),
                                text: txt!(explain,
                                    format!(
                                        "{}：{} × {} = {} 万元，限于 {}–{} 万元：{} 万元",
                                        t.zh, w(base), share, w(raw), w(lo), w(t.amount_max), w(v)
                                    ),
                                    format!(
                                        "{}: {} × {} = {}, kept within {}–{}: {}",
                                        t.en, w(base), share, w(raw), w(lo), w(t.amount_max), w(v)
                                    ),
                                ),
                                value: v,
                            });
                                        v
                                    }
                                    None => {
                                        lines.push(Line {
                                            id: t.id.clone(),
                                            text: txt!(
                                                explain,
                                                format!(
                                                    "{}：一次性补助 {} 万元（{}）",
                                                    t.zh,
                                                    w(t.amount_max),
                                                    t.clause
                                                ),
                                                format!(
                                                    "{}: one-off award {} ({})",
                                                    t.en,
                                                    w(t.amount_max),
                                                    t.clause
                                                ),
                                            ),
                                            value: t.amount_max,
                                        });
                                        t.amount_max
                                    }
                                };
                        }
                    }
                }
            }
        }
    }
    if let Some(ins) = &p.insurance
        && let (Some(premium), Some(year)) = (project.premium, project.cover_year)
    {
        let covered = year >= 1 && year <= ins.max_years;
        if covered {
            let rate = Ppm((ins.first_rate.0 - ins.step.0 * i64::from(year - 1)).max(0));
            let raw = times(premium, rate);
            let comp = raw.min(ins.yearly_cap);
            lines.push(Line {
                id: ins.id.clone(),
                text: txt!(explain,
                    format!(
                        "首年保费 {} 万元 × 第 {year} 年补偿比例 {} = {} 万元，年度上限 {} 万元：{} 万元",
                        w(premium), rate, w(raw), w(ins.yearly_cap), w(comp)
                    ),
                    format!(
                        "first-year premium {} × year {year} rate {} = {}, yearly cap {}: {}",
                        w(premium), rate, w(raw), w(ins.yearly_cap), w(comp)
                    ),
                ),
                value: comp,
            });
            amount = Wan::from_units(amount.units() + comp.units()).unwrap_or(amount);
        } else {
            lines.push(Line {
                id: ins.id.clone(),
                text: txt!(
                    explain,
                    format!(
                        "保险补偿第 {year} 年超出补偿期限（最长 {} 年）：0 万元",
                        ins.max_years
                    ),
                    format!(
                        "insurance year {year} is past the {} years of compensation: 0",
                        ins.max_years
                    ),
                ),
                value: Wan::ZERO,
            });
        }
    }
    let verdict = combine(&checks);
    if verdict == Verdict::Fail {
        return Award {
            programme: p.id.clone(),
            verdict,
            checks,
            lines: Vec::new(),
            amount: Wan::ZERO,
            city: Wan::ZERO,
            district: Wan::ZERO,
        };
    }
    let city = times(amount, p.split.city_share);
    let district = Wan::from_units(amount.units() - city.units()).unwrap_or(Wan::ZERO);
    lines.push(Line {
        id: "SPLIT".into(),
        text: txt!(
            explain,
            format!(
                "市级承担 {}：{} 万元；区县承担：{} 万元（{}）",
                p.split.city_share,
                w(city),
                w(district),
                p.split.clause
            ),
            format!(
                "the city pays {}: {}; the district: {} ({})",
                p.split.city_share,
                w(city),
                w(district),
                p.split.clause
            ),
        ),
        value: city,
    });
    Award {
        programme: p.id.clone(),
        verdict,
        checks,
        lines,
        amount,
        city,
        district,
    }
}

/// A forecast's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub recipients: u64,
    pub amount: Wan,
    pub city: Wan,
    pub district: Wan,
}

impl Totals {
    fn add(&mut self, a: &Award) {
        self.recipients += 1;
        self.amount =
            Wan::from_units(self.amount.units() + a.amount.units()).unwrap_or(self.amount);
        self.city = Wan::from_units(self.city.units() + a.city.units()).unwrap_or(self.city);
        self.district =
            Wan::from_units(self.district.units() + a.district.units()).unwrap_or(self.district);
    }
}

/// A programme run over many projects before its call opens.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Forecast {
    pub programme: String,
    /// Projects eligible on every condition.
    pub eligible: Totals,
    /// Projects a blank fact leaves undecided (counted apart, at their amount if eligible).
    pub undecided: Totals,
    pub projects: u64,
    /// Eligible ones by district code ("" when unknown) and by the best title held.
    pub by_district: BTreeMap<String, Totals>,
    pub by_tier: BTreeMap<String, Totals>,
    /// How far the eligible totals exceed the city's and the district's budgets, if they do.
    pub city_breach: Option<Wan>,
    pub district_breach: Option<Wan>,
}

/// The best title a firm holds, for the forecast's breakdown.
pub fn best_title(titles: &[String]) -> &'static str {
    ["giant", "srdi", "innovative", "tech_sme"]
        .into_iter()
        .find(|t| titles.iter().any(|h| h == t))
        .unwrap_or("none")
}

/// Adds one project's award to a forecast.
pub fn tally(f: &mut Forecast, firm: &FirmFacts, a: &Award) {
    f.projects += 1;
    match a.verdict {
        Verdict::Pass => {
            f.eligible.add(a);
            f.by_district
                .entry(firm.district.clone().unwrap_or_default())
                .or_default()
                .add(a);
            f.by_tier
                .entry(best_title(&firm.titles).to_owned())
                .or_default()
                .add(a);
        }
        Verdict::Review => f.undecided.add(a),
        Verdict::Fail => {}
    }
}

/// Closes a forecast: the budget breaches of its eligible totals.
pub fn close(f: &mut Forecast, p: &Programme) {
    f.programme = p.id.clone();
    let over = |spent: Wan, budget: Wan| {
        (spent > budget)
            .then(|| Wan::from_units(spent.units() - budget.units()).unwrap_or(Wan::ZERO))
    };
    f.city_breach = over(f.eligible.city, p.budget.city);
    f.district_breach = over(f.eligible.district, p.budget.district);
}

/// A programme over many projects.
pub fn forecast<'a>(
    p: &Programme,
    items: impl IntoIterator<Item = (&'a FirmFacts, &'a ProjectFacts)>,
    as_of: NaiveDate,
) -> Forecast {
    let mut f = Forecast::default();
    for (firm, project) in items {
        let a = run(p, firm, project, as_of, false);
        tally(&mut f, firm, &a);
    }
    close(&mut f, p);
    f
}

/// The columns of a projects file (CSV or XLSX, the enterprise template's conventions: a header
/// cell is the key or the Chinese label, any order; blank means unknown): key, label.
pub const PROJECT_COLUMNS: &[(&str, &str)] = &[
    ("uscc", "统一社会信用代码"),
    ("name", "项目名称"),
    ("category", "项目类别"),
    ("registered_on", "备案日期"),
    ("equipment", "设备投资（万元）"),
    ("technology", "技术投资（万元）"),
    ("software", "软件投资（万元）"),
    ("digital_level", "数字化水平"),
    ("tier", "认定层级"),
    ("premium", "首年保费（万元）"),
    ("cover_year", "保险年度"),
    ("district", "所属区县"),
    ("industry_code", "国民经济行业代码"),
    ("ecosystem", "产业生态圈"),
    ("size", "企业规模"),
    ("titles", "持有称号"),
    ("chains", "产业链"),
];

/// The English labels of `PROJECT_COLUMNS`, in its order.
pub const PROJECT_COLUMNS_EN: &[&str] = &[
    "unified social credit code",
    "project name",
    "project category",
    "filing date",
    "equipment investment (万元)",
    "technology investment (万元)",
    "software investment (万元)",
    "digital level",
    "tier",
    "first-year premium (万元)",
    "year of cover",
    "district",
    "industry code",
    "ecosystem",
    "size",
    "titles held",
    "industrial chains",
];

/// A projects file column's label in `lang`, by its key.
pub fn project_column_label(key: &str, lang: crate::glossary::Lang) -> Option<&'static str> {
    let i = PROJECT_COLUMNS.iter().position(|(k, _)| *k == key)?;
    Some(match lang {
        crate::glossary::Lang::Zh => PROJECT_COLUMNS[i].1,
        crate::glossary::Lang::En => PROJECT_COLUMNS_EN.get(i).copied()?,
    })
}

/// Project categories: key, Chinese name.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("tech_upgrade", "技术改造"),
    ("digital_breakthrough", "数字化攻关"),
    ("future_factory", "未来工厂"),
    ("first_unit", "首台套"),
    ("g5", "5G"),
];

/// A category's Chinese name (the key itself when it is not one of `CATEGORIES`).
pub fn category_zh(key: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, zh)| zh)
}

/// A category's English name (the key itself when it is not one of `CATEGORIES`).
pub fn category_en(key: &str) -> &str {
    match key {
        "tech_upgrade" => "technical upgrade",
        "digital_breakthrough" => "digital breakthrough",
        "future_factory" => "future factory",
        "first_unit" => "first unit (set)",
        "g5" => "5G",
        other => other,
    }
}

/// Where each known column of a projects file is.
#[derive(Clone, Debug)]
pub struct ProjectHeader {
    at: Vec<Option<usize>>,
}

/// Reads a header row; an unknown or repeated column, or no `uscc`, is an error naming it.
pub fn project_header<'a>(
    cells: impl IntoIterator<Item = &'a str>,
) -> Result<ProjectHeader, Vec<CellError>> {
    let mut at = vec![None; PROJECT_COLUMNS.len()];
    let mut errors = Vec::new();
    for (i, cell) in cells.into_iter().enumerate() {
        let c = cell.trim().trim_start_matches('\u{feff}');
        if c.is_empty() {
            continue;
        }
        match PROJECT_COLUMNS
            .iter()
            .position(|(k, zh)| *k == c || *zh == c)
        {
            Some(k) if at[k].is_some() => errors.push(CellError::project(
                1,
                Some(PROJECT_COLUMNS[k].0.to_owned()),
                "the column appears twice",
                "该列出现了两次，请只保留一列",
            )),
            Some(k) => at[k] = Some(i),
            None => errors.push(CellError::project(
                1,
                Some(c.to_owned()),
                format!(
                    "not a column of the projects file (known: {})",
                    PROJECT_COLUMNS
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "不是项目文件的列，可用的列：{}",
                    PROJECT_COLUMNS
                        .iter()
                        .map(|(_, zh)| *zh)
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
        }
    }
    if at[0].is_none() {
        errors.push(CellError::project(
            1,
            None,
            "the column uscc (统一社会信用代码) is required",
            "缺少「统一社会信用代码」列，请在首行加上",
        ));
    }
    if errors.is_empty() {
        Ok(ProjectHeader { at })
    } else {
        Err(errors)
    }
}

/// Reads one row of a projects file (`row` as the spreadsheet numbers it); every error of the
/// row, located.
pub fn parse_project(
    h: &ProjectHeader,
    cells: &[&str],
    row: usize,
) -> Result<(FirmFacts, ProjectFacts), Vec<CellError>> {
    let get = |k: usize| -> &str {
        h.at[k]
            .and_then(|i| cells.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    };
    let mut errors = Vec::new();
    let mut err = |k: usize, en: String, zh: String| {
        errors.push(CellError::project(
            row,
            Some(PROJECT_COLUMNS[k].0.to_owned()),
            en,
            zh,
        ))
    };
    let cn = |v: &str| format!("「{v}」");
    let text = |k: usize| Some(get(k).to_owned()).filter(|s| !s.is_empty());
    let uscc = match crate::ids::Uscc::parse(get(0)) {
        Ok(u) => u.to_string(),
        Err(e) => {
            err(
                0,
                format!("{:?} {e}", get(0)),
                format!(
                    "{}不是有效的统一社会信用代码（18 位，末位为校验码）",
                    cn(get(0))
                ),
            );
            String::new()
        }
    };
    let mut money = |k: usize| -> Option<Wan> {
        let v = get(k);
        if v.is_empty() {
            return None;
        }
        match Wan::parse(v) {
            Ok(w) if w.units() >= 0 => Some(w),
            _ => {
                err(
                    k,
                    format!("{v:?} is not an amount of 万元 (a number ≥ 0, at most 4 decimals)"),
                    format!(
                        "{}不是金额，请填写不小于 0 的数值（万元，最多四位小数），如 120",
                        cn(v)
                    ),
                );
                None
            }
        }
    };
    let equipment = money(4);
    let technology = money(5);
    let software = money(6);
    let premium = money(9);
    let category = match get(2) {
        "" => None,
        v => match CATEGORIES.iter().find(|(k, zh)| *k == v || *zh == v) {
            Some((k, _)) => Some((*k).to_owned()),
            None => {
                err(
                    2,
                    format!(
                        "{v:?} is not one of {}",
                        CATEGORIES
                            .iter()
                            .map(|(k, _)| *k)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    format!(
                        "{}不是项目类别，请填写其中之一：{}",
                        cn(v),
                        CATEGORIES
                            .iter()
                            .map(|(_, zh)| *zh)
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                );
                None
            }
        },
    };
    let registered_on = match get(3) {
        "" => None,
        v => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                err(
                    3,
                    format!("{v:?} is not a date (YYYY-MM-DD)"),
                    format!("{}不是日期，请按 年-月-日 填写，如 2026-03-15", cn(v)),
                );
                None
            }
        },
    };
    let digital_level = match get(7) {
        "" => None,
        v => match Dec4::parse(v) {
            Ok(d) if d.units() >= 0 && d <= Dec4::whole(4) => Some(d),
            _ => {
                err(
                    7,
                    format!("{v:?} is not a digital level from 0 to 4"),
                    format!("{}不是数字化水平，请填写 0 至 4 之间的数值", cn(v)),
                );
                None
            }
        },
    };
    let cover_year = match get(10) {
        "" => None,
        v => match v.parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                err(
                    10,
                    format!("{v:?} is not a year of cover (1, 2, …)"),
                    format!("{}不是保险年度，请填写 1、2 等正整数", cn(v)),
                );
                None
            }
        },
    };
    let district = match get(11) {
        "" => None,
        v => match crate::enterprise::DISTRICTS
            .iter()
            .find(|(c, n)| *c == v || *n == v)
        {
            Some((c, _)) => Some((*c).to_owned()),
            None => {
                err(
                    11,
                    format!("{v:?} is not a district of the city"),
                    format!("{}不是本市的区县，请填写区县名称或代码", cn(v)),
                );
                None
            }
        },
    };
    let size = match get(14) {
        "" => None,
        v => match [
            ("micro", "微型"),
            ("small", "小型"),
            ("medium", "中型"),
            ("large", "大型"),
        ]
        .iter()
        .find(|(k, zh)| *k == v || *zh == v)
        {
            Some((k, _)) => Some((*k).to_owned()),
            None => {
                err(
                    14,
                    format!("{v:?} is not one of micro, small, medium, large"),
                    format!("{}不是企业规模，请填写 微型、小型、中型 或 大型", cn(v)),
                );
                None
            }
        },
    };
    let split = |v: &str| -> Vec<String> {
        v.split([',', '，', '、', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut titles = Vec::new();
    for t in split(get(15)) {
        match [
            ("innovative", "创新型中小企业"),
            ("tech_sme", "科技型中小企业"),
            ("srdi", "专精特新中小企业"),
            ("giant", "专精特新“小巨人”企业"),
        ]
        .iter()
        .find(|(k, zh)| **k == t || **zh == t)
        {
            Some((k, _)) => titles.push((*k).to_owned()),
            None => err(
                15,
                format!("{t:?} is not one of innovative, tech_sme, srdi, giant"),
                format!(
                    "{}不是称号，请填写 创新型中小企业、科技型中小企业、专精特新中小企业 或 专精特新“小巨人”企业",
                    cn(&t)
                ),
            ),
        }
    }
    let chains = split(get(16));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        FirmFacts {
            uscc,
            name: String::new(),
            district,
            industry_code: text(12),
            ecosystem: text(13),
            size,
            titles,
            chains,
            digital_level: None,
        },
        ProjectFacts {
            name: get(1).to_owned(),
            category,
            registered_on,
            equipment,
            technology,
            software,
            digital_level,
            tier: text(8),
            premium,
            cover_year,
        },
    ))
}

/// A project's cells in the order of `PROJECT_COLUMNS` (the inverse of `parse_project`).
pub fn project_cells(f: &FirmFacts, p: &ProjectFacts) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        f.uscc.clone(),
        p.name.clone(),
        opt(p.category.clone()),
        opt(p.registered_on.map(|d| d.to_string())),
        opt(p.equipment.map(|v| v.to_string())),
        opt(p.technology.map(|v| v.to_string())),
        opt(p.software.map(|v| v.to_string())),
        opt(p.digital_level.map(|d| d.to_string())),
        opt(p.tier.clone()),
        opt(p.premium.map(|v| v.to_string())),
        opt(p.cover_year.map(|y| y.to_string())),
        opt(f.district.clone()),
        opt(f.industry_code.clone()),
        opt(f.ecosystem.clone()),
        opt(f.size.clone()),
        f.titles.join(","),
        f.chains.join(","),
    ]
}

/// A deterministic set of `n` projects of every category, with their firms' facts — for the
/// forecast's benchmark and for trying the command line (`zjtx generate-projects`).
pub fn synth_projects(n: usize, seed: u64) -> Vec<(FirmFacts, ProjectFacts)> {
    let mut x = seed.max(1);
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m.max(1)
    };
    const INDUSTRIES: &[&str] = &[
        "C3981", "C3511", "C2710", "C3841", "C1711", "C2211", "C2651", "C3311",
    ];
    const ECOSYSTEMS: &[&str] = &["智能物联", "生物医药", "高端装备", "新材料", "绿色能源"];
    const TIERS: &[&[&str]] = &[
        &[],
        &["chain_leader", "smart_factory", "digital_workshop"],
        &["international", "domestic", "provincial"],
    ];
    const TITLES: &[&str] = &["innovative", "srdi", "giant"];
    let districts = crate::enterprise::DISTRICTS;
    (0..n)
        .map(|i| {
            let (cat, _) = CATEGORIES[next(CATEGORIES.len() as u64) as usize];
            let money =
                |v: u64| Wan::from_units(i64::try_from(v).unwrap_or(0) * 100).unwrap_or(Wan::ZERO);
            let eq = money(next(300_000));
            let tech = money(next(50_000));
            let sw = if next(20) == 0 {
                None
            } else {
                Some(money(next(100_000)))
            };
            let tiers = match cat {
                "future_factory" => TIERS[1],
                "first_unit" => TIERS[2],
                _ => TIERS[0],
            };
            let tier =
                (!tiers.is_empty()).then(|| tiers[next(tiers.len() as u64) as usize].to_owned());
            let titles: Vec<String> = match next(10) {
                0 => vec![TITLES[2].into(), TITLES[1].into()],
                1 | 2 => vec![TITLES[1].into()],
                3..=5 => vec![TITLES[0].into()],
                _ => Vec::new(),
            };
            let year = 2016 + i32::try_from(next(10)).unwrap_or(0);
            (
                FirmFacts {
                    uscc: format!("9133010{:010}", i % 10_000_000_000)
                        .as_bytes()
                        .try_into()
                        .ok()
                        .and_then(|b: [u8; 17]| crate::ids::Uscc::with_check(&b))
                        .map(|u| u.to_string())
                        .unwrap_or_default(),
                    name: String::new(),
                    district: Some(
                        districts[next(districts.len() as u64) as usize]
                            .0
                            .to_owned(),
                    ),
                    industry_code: Some(
                        INDUSTRIES[next(INDUSTRIES.len() as u64) as usize].to_owned(),
                    ),
                    ecosystem: Some(ECOSYSTEMS[next(ECOSYSTEMS.len() as u64) as usize].to_owned()),
                    size: Some(["micro", "small", "medium", "large"][next(4) as usize].to_owned()),
                    titles,
                    chains: Vec::new(),
                    digital_level: None,
                },
                ProjectFacts {
                    name: format!("项目{}", i + 1),
                    category: Some(cat.to_owned()),
                    registered_on: NaiveDate::from_ymd_opt(
                        year,
                        1 + u32::try_from(next(12)).unwrap_or(0),
                        1,
                    ),
                    equipment: Some(eq),
                    technology: Some(tech),
                    software: sw,
                    digital_level: Dec4::from_units(i64::try_from(next(41)).unwrap_or(0) * 1000),
                    tier,
                    premium: (cat == "first_unit").then(|| money(next(20_000))),
                    cover_year: (cat == "first_unit")
                        .then(|| 1 + u32::try_from(next(4)).unwrap_or(0)),
                },
            )
        })
        .collect()
}
