//! What a trace says beyond its verdicts — the gap of a condition not met and the notes on a rule's
//! reading — as data: rule ids, fields and exact figures. The engine builds them; every edge (the
//! command line, the pages, the API) words them through [`Gap::text`] and [`Note::text`], so each
//! says the same thing in the reader's language. The JSON form carries the data and both wordings.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::enterprise::Col;
use crate::glossary::{self, Lang};
use crate::num::{Dec4, fmt_fixed4, round2};
use crate::trace::{RuleId, Tier};

/// An amount of money in units of 0.0001 万 (one yuan), exact; at or beyond [`Money::UNBOUNDED`]
/// it stands for "no limit".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money(pub i64);

impl Money {
    /// Amounts from this on are unbounded (the engine's infinity is far above any real figure).
    pub const UNBOUNDED: i64 = crate::num::INF / 2;

    /// For reading: two decimals, the nearest.
    pub fn near(self) -> String {
        wan2(self.0, i64::from(self.0.rem_euclid(100) >= 50))
    }
    /// A requirement or a shortfall at two decimals, rounded up: adding it is always enough.
    pub fn up(self) -> String {
        wan2(self.0, i64::from(self.0.rem_euclid(100) > 0))
    }
}

fn wan2(u: i64, carry: i64) -> String {
    if u >= Money::UNBOUNDED {
        return "∞".into();
    }
    let cents = u.div_euclid(100) + carry;
    let (whole, frac) = (cents.div_euclid(100), cents.rem_euclid(100));
    if frac == 0 {
        format!("{whole}万")
    } else if frac % 10 == 0 {
        format!("{whole}.{}万", frac / 10)
    } else {
        format!("{whole}.{frac:02}万")
    }
}

/// Units of 1/10000 as their exact decimal text.
struct Fixed4(i64);
impl fmt::Display for Fixed4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed4(self.0, f)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 >= Money::UNBOUNDED {
            s.serialize_str("inf")
        } else {
            s.collect_str(&Fixed4(self.0))
        }
    }
}

/// A percentage in parts per million (1% = 10,000), exact as computed (a ratio is truncated to the
/// millionth); worded at two decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pct(pub i64);

impl fmt::Display for Pct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed4(round2(self.0), f)?;
        f.write_str("%")
    }
}

impl Serialize for Pct {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}%", Fixed4(self.0)))
    }
}

/// A range of points (low and high differ only where a blank input could move them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Points {
    pub lo: Dec4,
    pub hi: Dec4,
}

impl Points {
    pub fn from_units(lo: i64, hi: i64) -> Points {
        Points {
            lo: Dec4::from_units(lo).unwrap_or(Dec4::ZERO),
            hi: Dec4::from_units(hi).unwrap_or(Dec4::ZERO),
        }
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed4(round2(self.lo.units()), f)?;
        if self.lo != self.hi {
            f.write_str("–")?;
            fmt_fixed4(round2(self.hi.units()), f)?;
        }
        Ok(())
    }
}

/// A figure that is either money or a head count (a cap, a staff shortfall).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    Money(Money),
    Count(i64),
}

impl Amount {
    fn near(self) -> String {
        match self {
            Amount::Money(m) => m.near(),
            Amount::Count(n) => n.to_string(),
        }
    }
    fn up(self) -> String {
        match self {
            Amount::Money(m) => m.up(),
            Amount::Count(n) => n.to_string(),
        }
    }
}

fn col_key<S: Serializer>(c: &Col, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.key())
}

fn col_keys<S: Serializer>(c: &[Col], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(c.iter().map(|c| c.key()))
}

/// A part of the innovative SME's score with a minimum of its own (CX-SCORE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScorePart {
    Total,
    Innovation,
    Growth,
    Specialisation,
}

impl ScorePart {
    fn name(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            ScorePart::Total => ("总分", "total"),
            ScorePart::Innovation => ("创新能力", "innovation"),
            ScorePart::Growth => ("成长性", "growth"),
            ScorePart::Specialisation => ("专业化", "specialisation"),
        };
        pick(lang, zh, en)
    }
}

/// One part of a score below its minimum: its points, the minimum, the points short, and the
/// indicators that raise it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartShort {
    pub part: ScorePart,
    pub have: Points,
    pub min: Dec4,
    pub short: Points,
    pub from: Vec<RuleId>,
}

/// A cap passed (KJ-2): the figure and the cap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapPassed {
    /// `None` for the head count (employees), else the money field.
    #[serde(serialize_with = "opt_col")]
    pub field: Option<Col>,
    pub have: Amount,
    pub max: Amount,
}

fn opt_col<S: Serializer>(c: &Option<Col>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c.key()),
        None => s.serialize_str("employees"),
    }
}

/// The fixed requirements of the common gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateNeed {
    /// The size must be medium, small or micro.
    SmeSize,
    /// The industry code must be precise enough to pick a row of the size table.
    SizeRow,
    /// The firm is on one of the lists.
    Listed,
    /// Its products are banned, restricted or to be phased out.
    RestrictedProducts,
    /// An incident or breach in the last three years, or not filled in.
    Incidents,
}

/// What a condition not met would take, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GapKind {
    /// Blank inputs whose values can change the verdict: fill them in to decide.
    Blanks {
        #[serde(serialize_with = "col_keys")]
        fields: Vec<Col>,
    },
    /// The condition as written (no figure to quantify the distance).
    Requirement { rule: RuleId, threshold: String },
    /// A common gate's requirement.
    Gate { need: GateNeed },
    /// Another tier must be held or met first (any of `tiers`).
    Prerequisite { tiers: Vec<Tier> },
    /// A yes/no input that must be yes.
    Flag {
        #[serde(serialize_with = "col_key")]
        field: Col,
    },
    /// A money figure below its minimum.
    MinMoney {
        #[serde(serialize_with = "col_key")]
        field: Col,
        have: Money,
        need: Money,
        short: Money,
    },
    /// A count below its minimum.
    MinCount {
        #[serde(serialize_with = "col_key")]
        field: Col,
        have: i64,
        need: i64,
        short: i64,
    },
    /// A decimal (a share in percent, a score) below its minimum.
    MinDecimal {
        #[serde(serialize_with = "col_key")]
        field: Col,
        percent: bool,
        have: Dec4,
        need: Dec4,
        short: Dec4,
    },
    /// Years in the niche below the minimum.
    NicheYears { have: i64, need: i64, short: i64 },
    /// A ratio or growth whose denominator is 0.
    ZeroDenominator {
        #[serde(serialize_with = "col_key")]
        field: Col,
        growth: bool,
    },
    /// A two-year average growth with a previous year of 0.
    ZeroPreviousRevenue,
    /// `num / den` below its minimum: how much more numerator at the current denominator.
    RatioMin {
        rule: RuleId,
        #[serde(serialize_with = "col_key")]
        num: Col,
        #[serde(serialize_with = "col_key")]
        den: Col,
        have: Pct,
        need: Pct,
        add: Amount,
    },
    /// `num / den` above its maximum: how much less numerator at the current denominator.
    RatioMax {
        rule: RuleId,
        #[serde(serialize_with = "col_key")]
        num: Col,
        #[serde(serialize_with = "col_key")]
        den: Col,
        have: Pct,
        max: Pct,
        cut: Money,
    },
    /// A growth rate below its minimum: the current year's figure needed.
    Growth {
        rule: RuleId,
        #[serde(serialize_with = "col_key")]
        field: Col,
        have: Pct,
        need: Money,
        add: Money,
    },
    /// A two-year average growth of main revenue below its minimum.
    AvgGrowth {
        rule: RuleId,
        have: Pct,
        min: Pct,
        need: Money,
        add: Money,
    },
    /// Two years' R&D together below the minimum (XJ26-3a).
    TwoYearRd { have: Money, short: Money },
    /// Caps passed, each with its figure (KJ-2).
    Caps { passed: Vec<CapPassed> },
    /// Parts of a score below their minimums (CX-SCORE).
    ScoreParts { parts: Vec<PartShort> },
    /// A total score below its minimum; the indicators above say what raises it.
    Score {
        have: Points,
        min: Dec4,
        short: Points,
    },
    /// A total score below its minimum or a required indicator at 0 (KJ-SCORE).
    ScoreWithRequired {
        have: Points,
        min: Dec4,
        required: RuleId,
    },
}

/// What it would take to meet a failed (or undecided) condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub kind: GapKind,
    /// For a scored indicator: the points the next band is worth.
    pub worth: Option<Dec4>,
}

impl Gap {
    pub fn new(kind: GapKind) -> Gap {
        Gap { kind, worth: None }
    }
    /// Whether it asks for blank inputs to be filled in (which cannot change a failed condition).
    pub fn asks_blanks(&self) -> bool {
        matches!(self.kind, GapKind::Blanks { .. })
    }
    /// The gap in a reader's words.
    pub fn text(&self, lang: Lang) -> String {
        let mut s = kind_text(&self.kind, lang);
        if let Some(p) = self.worth {
            match lang {
                Lang::Zh => s.push_str(&format!("（可得 {p} 分）")),
                Lang::En => s.push_str(&format!(" (worth {p} points)")),
            }
        }
        s
    }
}

impl Serialize for Gap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            kind: &'a GapKind,
            #[serde(skip_serializing_if = "Option::is_none")]
            worth: Option<Dec4>,
            zh: String,
            en: String,
        }
        Out {
            kind: &self.kind,
            worth: self.worth,
            zh: self.text(Lang::Zh),
            en: self.text(Lang::En),
        }
        .serialize(s)
    }
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A column's name within a sentence: as labelled, in English in lower case from its start
/// (labels are capitalised for forms).
fn field(c: Col, lang: Lang) -> String {
    let label = glossary::field(c, lang);
    match (lang, label.chars().next()) {
        (Lang::En, Some(first)) if !label.starts_with("R&D") => {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_owned(),
    }
}

fn rule(id: RuleId, lang: Lang) -> &'static str {
    glossary::rule(id, lang)
}

fn kind_text(k: &GapKind, lang: Lang) -> String {
    use GapKind::*;
    let zh = lang == Lang::Zh;
    match k {
        Blanks { fields } => {
            let names: Vec<String> = fields.iter().map(|c| field(*c, lang)).collect();
            if zh {
                format!("未填报：{}，补齐后可判定", names.join("、"))
            } else {
                format!("blank: {}; fill in to decide", names.join(", "))
            }
        }
        Requirement { rule: id, threshold } => {
            // The threshold is worded in Chinese by the rule file; an English reader gets the
            // rule's title, the threshold column beside it gives the figures.
            if zh {
                format!("需满足：{}（{threshold}）", rule(*id, lang))
            } else {
                format!("needs: {}", rule(*id, lang))
            }
        }
        Gate { need } => pick(
            lang,
            match need {
                GateNeed::SmeSize => "企业规模需为中型、小型或微型",
                GateNeed::SizeRow => "国民经济行业代码需细化到能确定划型标准中的一行",
                GateNeed::Listed => "列入名录的企业不得参评",
                GateNeed::RestrictedProducts => "产品不得属于禁止、限制或淘汰类",
                GateNeed::Incidents => "近三年存在所列事故或违法违规记录的企业不得参评",
            },
            match need {
                GateNeed::SmeSize => "size must be medium, small or micro",
                GateNeed::SizeRow => {
                    "industry_code must be precise enough to pick a row of the size table"
                }
                GateNeed::Listed => "an enterprise on these lists cannot apply",
                GateNeed::RestrictedProducts => "restricted_products must be no",
                GateNeed::Incidents => {
                    "an incident or breach of those listed in the last three years bars the application"
                }
            },
        )
        .to_owned(),
        Prerequisite { tiers } => {
            let names: Vec<&str> = tiers.iter().map(|t| prerequisite_name(*t, lang)).collect();
            if zh {
                format!("需先达到{}", names.join("或"))
            } else {
                format!("must first hold or meet {}", names.join(" or "))
            }
        }
        Flag { field: c } => {
            if zh {
                format!("需具备：{}", field(*c, lang))
            } else {
                format!("needs {} = yes", field(*c, lang))
            }
        }
        MinMoney {
            field: c,
            have,
            need,
            short,
        } => {
            if zh {
                format!(
                    "{} {}，需 ≥ {}：还差 {}",
                    field(*c, lang),
                    have.near(),
                    need.up(),
                    short.up()
                )
            } else {
                format!(
                    "{} {}, needs ≥ {}: +{}",
                    field(*c, lang),
                    have.near(),
                    need.up(),
                    short.up()
                )
            }
        }
        MinCount {
            field: c,
            have,
            need,
            short,
        } => {
            if zh {
                format!("{} {have}，需 ≥ {need}：还差 {short}", field(*c, lang))
            } else {
                format!("{} {have}, needs ≥ {need}: +{short}", field(*c, lang))
            }
        }
        MinDecimal {
            field: c,
            percent,
            have,
            need,
            short,
        } => {
            let u = if *percent { "%" } else { "" };
            if zh {
                format!("{} {have}{u}，需 ≥ {need}{u}：还差 {short}{u}", field(*c, lang))
            } else {
                format!("{} {have}{u}, needs ≥ {need}{u}: {short}{u} short", field(*c, lang))
            }
        }
        NicheYears { have, need, short } => {
            if zh {
                format!("从事细分市场 {have} 年，需 ≥ {need} 年：还差 {short} 年")
            } else {
                format!("{have} years in the niche, needs {need}: {short} more")
            }
        }
        ZeroDenominator { field: c, growth } => match (zh, growth) {
            (true, false) => format!("{}为0，比值无法计算", field(*c, lang)),
            (true, true) => format!("{}为0，增长率无法计算", field(*c, lang)),
            (false, false) => format!(
                "{} is 0: the ratio is undefined (denominator is 0)",
                field(*c, lang)
            ),
            (false, true) => format!(
                "{} is 0: growth is undefined (denominator is 0)",
                field(*c, lang)
            ),
        },
        ZeroPreviousRevenue => pick(
            lang,
            "前一或前两年度主营业务收入为0，增长率无法计算",
            "a previous year's main revenue is 0: growth is undefined (denominator is 0)",
        )
        .to_owned(),
        RatioMin {
            rule: id,
            num,
            den,
            have,
            need,
            add,
        } => {
            if zh {
                format!(
                    "{} {have}，需 ≥ {need}：在当前{}下{}需增加 {}",
                    rule(*id, lang),
                    field(*den, lang),
                    field(*num, lang),
                    add.up()
                )
            } else {
                format!(
                    "{} {have}, needs {need}: +{} of {} at the current {}",
                    rule(*id, lang),
                    add.up(),
                    field(*num, lang),
                    field(*den, lang)
                )
            }
        }
        RatioMax {
            rule: id,
            num,
            den,
            have,
            max,
            cut,
        } => {
            if zh {
                format!(
                    "{} {have}，需 ≤ {max}：在当前{}下{}需减少 {}",
                    rule(*id, lang),
                    field(*den, lang),
                    field(*num, lang),
                    cut.up()
                )
            } else {
                format!(
                    "{} {have}, needs ≤ {max}: {} lower by {} at the current {}",
                    rule(*id, lang),
                    field(*num, lang),
                    cut.up(),
                    field(*den, lang)
                )
            }
        }
        Growth {
            rule: id,
            field: c,
            have,
            need,
            add,
        } => {
            if zh {
                format!(
                    "{} {have}，{}需达到 {}（+{}）",
                    rule(*id, lang),
                    field(*c, lang),
                    need.up(),
                    add.up()
                )
            } else {
                format!(
                    "{} {have}: {} needs to reach {} (+{})",
                    rule(*id, lang),
                    field(*c, lang),
                    need.up(),
                    add.up()
                )
            }
        }
        AvgGrowth {
            rule: id,
            have,
            min,
            need,
            add,
        } => {
            if zh {
                format!(
                    "{} {have}，需 ≥ {min}：上年度主营业务收入需达到 {}（+{}）",
                    rule(*id, lang),
                    need.up(),
                    add.up()
                )
            } else {
                format!(
                    "{} {have}, needs {min}: main_revenue needs {} (+{})",
                    rule(*id, lang),
                    need.up(),
                    add.up()
                )
            }
        }
        TwoYearRd { have, short } => {
            if zh {
                format!("近两年研发费用合计 {}，还差 {}", have.near(), short.up())
            } else {
                format!("R&D of two years {}, {} short", have.near(), short.up())
            }
        }
        Caps { passed } => {
            let parts: Vec<String> = passed
                .iter()
                .map(|c| match (c.field, zh) {
                    (None, true) => format!("职工 {} 人 > {} 人", c.have.near(), c.max.near()),
                    (None, false) => format!("employees {} > {}", c.have.near(), c.max.near()),
                    (Some(f), _) => {
                        format!("{} {} > {}", field(f, lang), c.have.near(), c.max.near())
                    }
                })
                .collect();
            if zh {
                format!("超过科技型中小企业上限：{}", parts.join("；"))
            } else {
                format!("above the tech-based SME caps: {}", parts.join("; "))
            }
        }
        ScoreParts { parts } => {
            let words: Vec<String> = parts
                .iter()
                .map(|p| {
                    let ids: Vec<&str> = p.from.iter().map(|r| r.as_str()).collect();
                    let (name, have, min, short) = (p.part.name(lang), p.have, p.min, p.short);
                    if zh {
                        let from = if ids.is_empty() {
                            String::new()
                        } else {
                            format!("（{}）", ids.join("、"))
                        };
                        format!("{name} {have} < {min}，还差 {short} 分{from}")
                    } else {
                        let from = if ids.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", ids.join(", "))
                        };
                        format!("{name} {have} < {min}: {short} points short{from}")
                    }
                })
                .collect();
            words.join(pick(lang, "；", "; "))
        }
        Score { have, min, short } => {
            if zh {
                format!("得分 {have}，需 ≥ {min}：还差 {short} 分，可提升的指标见上")
            } else {
                format!("score {have}, needs ≥ {min}: {short} points short; see the indicators above")
            }
        }
        ScoreWithRequired { have, min, required } => {
            if zh {
                format!("得分 {have}，需 ≥ {min} 且科技人员指标不为0分")
            } else {
                format!("score {have}, needs ≥ {min} with {required} above 0")
            }
        }
    }
}

fn prerequisite_name(t: Tier, lang: Lang) -> &'static str {
    match t {
        Tier::Innovative => pick(lang, "创新型中小企业", "innovative"),
        Tier::TechSme => pick(lang, "科技型中小企业", "tech-based"),
        Tier::Srdi => pick(lang, "专精特新中小企业", "SRDI"),
        Tier::Giant => pick(lang, "专精特新“小巨人”企业", "little giant"),
    }
}

/// A remark on a rule's reading (which option counted, a zero denominator…).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// No row of the 2011 size table applies to the industry code.
    NoSizeRow,
    /// A blank figure could change the size class.
    BlankMayChangeSize,
    /// `tech_staff` is blank, so `rd_staff` was counted (KJ-1).
    TechStaffFromRdStaff,
    /// KJ-2R's option (a), R&D ÷ revenue, gave the points.
    RdOfRevenue,
    /// KJ-2R's option (b), R&D ÷ total cost, gave the points.
    RdOfCost,
    /// ZX22-S11 scored by the R&D intensity band.
    IntensityBand,
    /// ZX22-S11 scored by the R&D amount band.
    AmountBand,
    /// The two-year reading of a small firm's R&D total (XJ22-4G1) is unconfirmed.
    SmallFirmRdUnconfirmed,
    /// The ratio's denominator is 0.
    DenominatorZero,
}

impl Note {
    pub const ALL: &'static [Note] = &[
        Note::NoSizeRow,
        Note::BlankMayChangeSize,
        Note::TechStaffFromRdStaff,
        Note::RdOfRevenue,
        Note::RdOfCost,
        Note::IntensityBand,
        Note::AmountBand,
        Note::SmallFirmRdUnconfirmed,
        Note::DenominatorZero,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Note::NoSizeRow => "no_size_row",
            Note::BlankMayChangeSize => "blank_may_change_size",
            Note::TechStaffFromRdStaff => "tech_staff_from_rd_staff",
            Note::RdOfRevenue => "rd_of_revenue",
            Note::RdOfCost => "rd_of_cost",
            Note::IntensityBand => "intensity_band",
            Note::AmountBand => "amount_band",
            Note::SmallFirmRdUnconfirmed => "small_firm_rd_unconfirmed",
            Note::DenominatorZero => "denominator_zero",
        }
    }
    /// The note in a reader's words.
    pub fn text(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Note::NoSizeRow => (
                "该行业代码不对应 2011 年划型标准的任何一行，或位数不足以确定",
                "no row of the 2011 table applies to this industry code, or it is too short to pick one",
            ),
            Note::BlankMayChangeSize => (
                "有未填报的指标可能改变企业规模",
                "a blank figure could change the class",
            ),
            Note::TechStaffFromRdStaff => (
                "科技人员数未填报，按研发人员数计算",
                "tech_staff blank: rd_staff used",
            ),
            Note::RdOfRevenue => (
                "采用口径（a）：研发费用 ÷ 营业收入",
                "option (a) R&D ÷ revenue used",
            ),
            Note::RdOfCost => (
                "采用口径（b）：研发费用 ÷ 成本费用总额",
                "option (b) R&D ÷ total_cost used",
            ),
            Note::IntensityBand => ("按研发强度档计分", "intensity band used"),
            Note::AmountBand => ("按研发费用金额档计分", "amount band used"),
            Note::SmallFirmRdUnconfirmed => (
                "小型企业近两年研发费用合计的口径尚待确认（U）",
                "the two-year reading of the small-firm R&D total is unconfirmed (U)",
            ),
            Note::DenominatorZero => ("分母为 0，比值无定义", "denominator is 0"),
        };
        pick(lang, zh, en)
    }
}

impl Serialize for Note {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out {
            kind: &'static str,
            zh: &'static str,
            en: &'static str,
        }
        Out {
            kind: self.key(),
            zh: self.text(Lang::Zh),
            en: self.text(Lang::En),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_at_two_decimals_and_requirements_round_up() {
        assert_eq!(Money(3_144_085).near(), "314.41万");
        assert_eq!(Money(3_144_049).near(), "314.4万");
        assert_eq!(Money(3_144_001).up(), "314.41万");
        assert_eq!(Money(3_144_000).up(), "314.4万");
        assert_eq!(Money(Money::UNBOUNDED).up(), "∞");
        assert_eq!(
            serde_json::to_string(&Money(3_144_085)).unwrap_or_default(),
            "\"314.4085\""
        );
    }

    #[test]
    fn a_percentage_reads_at_two_decimals_and_keeps_its_exact_figure_in_json() {
        assert_eq!(Pct(123_456).to_string(), "12.35%");
        assert_eq!(
            serde_json::to_string(&Pct(123_456)).unwrap_or_default(),
            "\"12.3456%\""
        );
    }

    #[test]
    fn a_gap_is_data_with_both_wordings_in_json() {
        let g = Gap {
            kind: GapKind::MinCount {
                field: Col::Employees,
                have: 3,
                need: 10,
                short: 7,
            },
            worth: Dec4::from_units(50_000),
        };
        let j = serde_json::to_value(&g).unwrap_or_default();
        assert_eq!(j["kind"], "min_count");
        assert_eq!(j["field"], "employees");
        assert_eq!(j["short"], 7);
        assert_eq!(j["worth"], "5");
        assert_eq!(j["zh"], g.text(Lang::Zh));
        assert!(g.text(Lang::En).ends_with("(worth 5 points)"));
        assert!(!g.asks_blanks());
    }

    #[test]
    fn notes_are_keyed_distinctly_in_snake_case_and_their_json_carries_the_key() {
        let keys: std::collections::BTreeSet<&str> = Note::ALL.iter().map(|n| n.key()).collect();
        assert_eq!(keys.len(), Note::ALL.len());
        for n in Note::ALL {
            assert!(
                n.key().chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                n.key()
            );
            let j = serde_json::to_value(n).unwrap_or_default();
            assert_eq!(j["kind"], n.key());
            assert_eq!(j["zh"], n.text(Lang::Zh));
        }
        assert_eq!(Note::DenominatorZero.key(), "denominator_zero");
    }

    #[test]
    fn every_note_has_both_languages_and_a_key() {
        for &n in Note::ALL {
            let (zh, en) = (n.text(Lang::Zh), n.text(Lang::En));
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert!(en.is_ascii() || en.contains('÷'), "{en}");
            assert_ne!(zh, en);
            assert!(!n.key().is_empty());
        }
    }
}
