//! The evaluation engine: one enterprise, one rule set, one date → a verdict for every tier, with the
//! reason for each point.
//!
//! Blank inputs are ranges (`num::Iv`), and each leaf condition is computed over those ranges exactly:
//! it passes if it holds for every value the blanks could take, fails if for none, else is `review`.
//! Leaves are written so that no input appears on two sides of one leaf's formula (or, where it must,
//! the leaf is split on it), which is what makes Kleene logic over their parts exact.
//!
//! The same code produces the fast summary and the full trace: the tracer is a type parameter, and
//! with [`Off`] every trace expression is compiled away.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::enterprise::{AwardLevel, Col, Enterprise, Incident, MakersChina, RdInstitution};
use crate::glossary::{self, Lang};
use crate::num::{
    Can, Dec4, End, INF, Iv, PctDisplay, Ppm, RatioRange, SCALE, Thr, Wan, iv_at_least, iv_at_most,
};
use crate::rules::{
    AwardKey, AwardRule, IncidentFlag, InstitutionPoints, IpPoints, LevelKey, MakersKey,
    RatioBands, RuleSet, SizeIndicator, SizeRow, Upper,
};
use crate::trace::{
    Gap, IdSet, InputValue, Note, RuleId, Size, Tier, TopTier, TraceEntry, Verdict,
};

/// How the innovative tier was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Route {
    #[serde(rename = "CX-D1")]
    D1,
    #[serde(rename = "CX-D2")]
    D2,
    #[serde(rename = "CX-D3")]
    D3,
    #[serde(rename = "CX-D4")]
    D4,
    #[serde(rename = "score")]
    Score,
}

impl Route {
    pub fn key(self) -> &'static str {
        match self {
            Route::D1 => "CX-D1",
            Route::D2 => "CX-D2",
            Route::D3 => "CX-D3",
            Route::D4 => "CX-D4",
            Route::Score => "score",
        }
    }
}

/// The result of one evaluation: exactly the output contract of `enterprise-template.md`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub rules: &'static str,
    pub size: Size,
    pub innovative: Verdict,
    pub tech_sme: Verdict,
    pub srdi: Verdict,
    pub giant: Verdict,
    pub innovative_score: Option<Dec4>,
    pub innovative_route: Route,
    pub tech_sme_score: Dec4,
    pub srdi_score: Option<Dec4>,
    pub srdi_failed: IdSet,
    pub giant_failed: IdSet,
    pub top_tier: TopTier,
}

/// A summary with the trace of every rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    #[serde(flatten)]
    pub summary: Summary,
    pub as_of: NaiveDate,
    pub reference_year: i32,
    pub trace: Vec<TraceEntry>,
}

impl Evaluation {
    pub fn entry(&self, id: RuleId) -> Option<&TraceEntry> {
        self.trace.iter().find(|e| e.id == id)
    }
}

/// Where trace entries go.
pub trait Tracer {
    const ON: bool;
    fn push(&mut self, e: TraceEntry);
}

/// No trace: the fast path.
pub struct Off;
impl Tracer for Off {
    const ON: bool = false;
    fn push(&mut self, _: TraceEntry) {}
}

impl Tracer for Vec<TraceEntry> {
    const ON: bool = true;
    fn push(&mut self, e: TraceEntry) {
        Vec::push(self, e);
    }
}

/// Evaluates without a trace.
pub fn evaluate(e: &Enterprise, rs: &RuleSet, as_of: NaiveDate) -> Summary {
    run(e, rs, as_of, &mut Off)
}

/// Evaluates with the full trace.
pub fn explain(e: &Enterprise, rs: &RuleSet, as_of: NaiveDate) -> Evaluation {
    let mut trace = Vec::with_capacity(64);
    let summary = run(e, rs, as_of, &mut trace);
    Evaluation {
        summary,
        as_of,
        reference_year: e.reference_year(as_of),
        trace,
    }
}

/// Picks the rule set for a date among those given (the first that applies).
pub fn rule_set_for(sets: &[RuleSet], as_of: NaiveDate) -> Option<&RuleSet> {
    sets.iter().find(|s| s.applies_on(as_of))
}

/// A range of points, in units of 1/10000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pts {
    lo: i64,
    hi: i64,
}

impl std::ops::Add for Pts {
    type Output = Pts;
    fn add(self, o: Pts) -> Pts {
        Pts {
            lo: self.lo + o.lo,
            hi: self.hi + o.hi,
        }
    }
}

impl Pts {
    const ZERO: Pts = Pts { lo: 0, hi: 0 };
    fn of(p: Dec4) -> Pts {
        Pts {
            lo: p.units(),
            hi: p.units(),
        }
    }
    /// Whether a points total meets a minimum: for sure, never, or depending on the blanks.
    fn at_least(self, min: Dec4) -> Can {
        Can {
            hold: self.hi >= min.units(),
            fail: self.lo < min.units(),
        }
    }
}

fn money(v: Option<Wan>) -> Iv {
    v.map_or(Iv::NONNEG, |w| Iv::point(w.units()))
}
fn count(v: Option<u32>) -> Iv {
    v.map_or(Iv::NONNEG, |c| Iv::point(i64::from(c)))
}

/// The evaluation's inputs as ranges.
struct X {
    employees: Iv,
    rd_staff: Iv,
    tech_staff: Iv,
    rev: Iv,
    rev1: Iv,
    rev2: Iv,
    main: Iv,
    main1: Iv,
    main2: Iv,
    rd: Iv,
    rd1: Iv,
    cost: Iv,
    profit: Iv,
    assets: Iv,
    liab: Iv,
    eq2: Iv,
    eq3: Iv,
    ip1hv: Iv,
    ip1sd: Iv,
    ip1: Iv,
    ip1app: Iv,
    ip2: Iv,
    niche: Iv,
    /// Ratios read by several rules, computed once.
    rd_rev: RatioRange,
    main_rev: RatioRange,
    debt: RatioRange,
    main_avg_growth: RatioRange,
    high_tech_valid: bool,
}

struct Ctx<'a> {
    e: &'a Enterprise,
    rs: &'a RuleSet,
    as_of: NaiveDate,
    /// The application year `A = Y + 1`.
    a: i32,
    x: &'a X,
}

/// Details of a trace entry, built only when tracing.
#[derive(Default)]
struct Detail {
    threshold: String,
    value: Option<String>,
    notes: Vec<Note>,
    gap: Option<Gap>,
}

/// An amount in 万 at two decimals (the nearest), as a reader wants it.
fn wan(u: i64) -> String {
    wan2(u, (u.rem_euclid(100) >= 50) as i64)
}

/// A shortfall or a requirement in 万 at two decimals, rounded up: adding it is always enough.
fn wan_up(u: i64) -> String {
    wan2(u, (u.rem_euclid(100) > 0) as i64)
}

fn wan2(u: i64, carry: i64) -> String {
    if u >= INF / 2 {
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

fn pct(e: End) -> String {
    match e.pct_units() {
        Some(u) => format!("{}%", PctDisplay(u)),
        None => "—".into(),
    }
}

/// A growth rate from a ratio of two years.
fn growth_pct(e: End) -> String {
    match e {
        End::Frac(n, d) => pct(End::Frac(n - d, d)),
        _ => "—".into(),
    }
}

fn gap(zh: String, en: String) -> Option<Gap> {
    Some(Gap {
        zh,
        en,
        asks_blanks: false,
    })
}

/// A gap that asks for blank inputs.
fn blanks_gap(zh: String, en: String) -> Option<Gap> {
    Some(Gap {
        zh,
        en,
        asks_blanks: true,
    })
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if a <= 0 { a / b } else { (a + b - 1) / b }
}

/// The gap of a condition without a quantified one: for an undecided one, the blanks to fill in;
/// for a failed one what is required (a blank cannot change a failed condition, or it would be
/// undecided).
fn default_gap(id: RuleId, v: Verdict, inputs: &[InputValue], threshold: &str) -> Option<Gap> {
    let blanks: Vec<&str> = inputs
        .iter()
        .filter(|i| i.value.is_none())
        .map(|i| i.key)
        .collect();
    if v == Verdict::Review && !blanks.is_empty() {
        let zh: Vec<&str> = blanks
            .iter()
            .map(|k| {
                crate::enterprise::COLUMNS
                    .iter()
                    .find(|c| c.key == *k)
                    .map_or(*k, |c| c.zh)
            })
            .collect();
        return blanks_gap(
            format!("未填报：{}，补齐后可判定", zh.join("、")),
            format!("blank: {}; fill in to decide", blanks.join(", ")),
        );
    }
    gap(
        format!("需满足：{}（{}）", glossary::rule(id, Lang::Zh), threshold),
        format!("needs: {} ({})", glossary::rule(id, Lang::En), threshold),
    )
}

/// Gap for a decimal input that must reach a minimum (a share in percent, a score).
fn gap_min_dec(col: Col, v: Option<Dec4>, min: Dec4, unit: &str) -> Option<Gap> {
    let v = v?;
    let d = Dec4::from_units(min.units() - v.units()).unwrap_or(Dec4::ZERO);
    gap(
        format!(
            "{} {v}{unit}，需 ≥ {min}{unit}：还差 {d}",
            glossary::field(col, Lang::Zh)
        ),
        format!(
            "{} {v}{unit}, needs ≥ {min}{unit}: {d} short",
            glossary::field(col, Lang::En)
        ),
    )
}

fn blank_gap(cols: &[(Col, Iv)]) -> Option<Gap> {
    let blanks: Vec<Col> = cols
        .iter()
        .filter(|(_, iv)| iv.is_blank())
        .map(|(c, _)| *c)
        .collect();
    if blanks.is_empty() {
        return None;
    }
    let zh: Vec<&str> = blanks
        .iter()
        .map(|c| glossary::field(*c, Lang::Zh))
        .collect();
    let en: Vec<&str> = blanks
        .iter()
        .map(|c| glossary::field(*c, Lang::En))
        .collect();
    blanks_gap(
        format!("未填报：{}，补齐后可判定", zh.join("、")),
        format!("blank: {}; fill in to decide", en.join(", ")),
    )
}

/// Gap for `x ≥ min` on money.
fn gap_min_money(col: Col, x: Iv, min: i64) -> Option<Gap> {
    if let Some(g) = blank_gap(&[(col, x)]) {
        return Some(g);
    }
    let d = min - x.lo;
    gap(
        format!(
            "{} {}，需 ≥ {}：还差 {}",
            glossary::field(col, Lang::Zh),
            wan(x.lo),
            wan_up(min),
            wan_up(d)
        ),
        format!(
            "{} {}, needs ≥ {}: +{}",
            glossary::field(col, Lang::En),
            wan(x.lo),
            wan_up(min),
            wan_up(d)
        ),
    )
}

/// Gap for `x ≥ min` on a count.
fn gap_min_count(col: Col, x: Iv, min: i64) -> Option<Gap> {
    if let Some(g) = blank_gap(&[(col, x)]) {
        return Some(g);
    }
    gap(
        format!(
            "{} {}，需 ≥ {}：还差 {}",
            glossary::field(col, Lang::Zh),
            x.lo,
            min,
            min - x.lo
        ),
        format!(
            "{} {}, needs ≥ {}: +{}",
            glossary::field(col, Lang::En),
            x.lo,
            min,
            min - x.lo
        ),
    )
}

/// Gap for a yes/no input that must be yes.
fn gap_flag(col: Col, v: Option<bool>) -> Option<Gap> {
    match v {
        None => blank_gap(&[(col, Iv::NONNEG)]),
        Some(_) => gap(
            format!("需具备：{}", glossary::field(col, Lang::Zh)),
            format!("needs {} = yes", glossary::field(col, Lang::En)),
        ),
    }
}

/// Gap for `num / den ≥ t`: how much more numerator at the current denominator.
fn gap_ratio_min(
    name: RuleId,
    num_col: Col,
    den_col: Col,
    num: Iv,
    den: Iv,
    t: Thr,
    money_unit: bool,
) -> Option<Gap> {
    if let Some(g) = blank_gap(&[(num_col, num), (den_col, den)]) {
        return Some(g);
    }
    if den.lo == 0 {
        return gap(
            format!("{}为0，比值无法计算", glossary::field(den_col, Lang::Zh)),
            format!(
                "{} is 0: the ratio is undefined (denominator is 0)",
                glossary::field(den_col, Lang::En)
            ),
        );
    }
    let need = ceil_div(t.n * i128::from(den.lo), t.d);
    let d = i64::try_from(need).unwrap_or(i64::MAX) - num.lo;
    let amount = if money_unit { wan_up(d) } else { d.to_string() };
    let cur = pct(End::Frac(num.lo.into(), den.lo.into()));
    let tp = pct(End::Frac(t.n, t.d));
    gap(
        format!(
            "{} {cur}，需 ≥ {tp}：在当前{}下{}需增加 {amount}",
            glossary::rule(name, Lang::Zh),
            glossary::field(den_col, Lang::Zh),
            glossary::field(num_col, Lang::Zh)
        ),
        format!(
            "{} {cur}, needs {tp}: +{amount} of {} at the current {}",
            glossary::rule(name, Lang::En),
            glossary::field(num_col, Lang::En),
            glossary::field(den_col, Lang::En)
        ),
    )
}

/// Gap for `num / den ≤ t` (a debt ratio): how much less numerator at the current denominator.
fn gap_ratio_max(
    name: RuleId,
    num_col: Col,
    den_col: Col,
    num: Iv,
    den: Iv,
    t: Ppm,
) -> Option<Gap> {
    if let Some(g) = blank_gap(&[(num_col, num), (den_col, den)]) {
        return Some(g);
    }
    if den.lo == 0 {
        return gap(
            format!("{}为0，比值无法计算", glossary::field(den_col, Lang::Zh)),
            format!(
                "{} is 0: the ratio is undefined (denominator is 0)",
                glossary::field(den_col, Lang::En)
            ),
        );
    }
    let max = i128::from(t.0) * i128::from(den.lo) / 1_000_000;
    let d = num.lo - i64::try_from(max).unwrap_or(i64::MAX);
    let cur = pct(End::Frac(num.lo.into(), den.lo.into()));
    gap(
        format!(
            "{} {cur}，需 ≤ {t}：在当前{}下{}需减少 {}",
            glossary::rule(name, Lang::Zh),
            glossary::field(den_col, Lang::Zh),
            glossary::field(num_col, Lang::Zh),
            wan_up(d)
        ),
        format!(
            "{} {cur}, needs ≤ {t}: {} lower by {} at the current {}",
            glossary::rule(name, Lang::En),
            glossary::field(num_col, Lang::En),
            wan_up(d),
            glossary::field(den_col, Lang::En)
        ),
    )
}

/// Gap for a ratio of two years `cur / prev ≥ t`: the current year's figure needed.
fn gap_growth(name: RuleId, cur_col: Col, prev_col: Col, cur: Iv, prev: Iv, t: Thr) -> Option<Gap> {
    if let Some(g) = blank_gap(&[(cur_col, cur), (prev_col, prev)]) {
        return Some(g);
    }
    if prev.lo == 0 {
        return gap(
            format!("{}为0，增长率无法计算", glossary::field(prev_col, Lang::Zh)),
            format!(
                "{} is 0: growth is undefined (denominator is 0)",
                glossary::field(prev_col, Lang::En)
            ),
        );
    }
    let need = i64::try_from(ceil_div(t.n * i128::from(prev.lo), t.d)).unwrap_or(i64::MAX);
    gap(
        format!(
            "{} {}，{}需达到 {}（+{}）",
            glossary::rule(name, Lang::Zh),
            growth_pct(End::Frac(cur.lo.into(), prev.lo.into())),
            glossary::field(cur_col, Lang::Zh),
            wan_up(need),
            wan_up(need - cur.lo)
        ),
        format!(
            "{} {}: {} needs to reach {} (+{})",
            glossary::rule(name, Lang::En),
            growth_pct(End::Frac(cur.lo.into(), prev.lo.into())),
            glossary::field(cur_col, Lang::En),
            wan_up(need),
            wan_up(need - cur.lo)
        ),
    )
}

fn bands_text(b: &RatioBands, growth: bool) -> String {
    let what = if growth { "增长率" } else { "" };
    let mut parts: Vec<String> = if !b.bands.is_empty() {
        b.bands
            .iter()
            .map(|(t, p)| format!("{what}≥{t} → {p}"))
            .collect()
    } else {
        b.at_most
            .iter()
            .map(|(t, p)| format!("≤{t} → {p}"))
            .collect()
    };
    parts.push(format!("其他 → {}；无法计算 → 0", b.otherwise));
    parts.join("；")
}

/// Points of a ratio indicator over its range (undefined scores 0).
fn band_pts(b: &RatioBands, rr: RatioRange, growth: bool) -> Pts {
    let thr = |t: Ppm| if growth { Thr::growth(t) } else { Thr::from(t) };
    let of = |e: End| -> i64 {
        let p = if !b.bands.is_empty() {
            b.bands
                .iter()
                .find(|(t, _)| e.cmp_thr(thr(*t)).is_ge())
                .map(|x| x.1)
        } else {
            b.at_most
                .iter()
                .find(|(t, _)| e.cmp_thr(thr(*t)).is_le())
                .map(|x| x.1)
        };
        p.unwrap_or(b.otherwise).units()
    };
    if let Some(v) = rr.known() {
        let p = of(v);
        return Pts { lo: p, hi: p };
    }
    let (best, worst) = if b.bands.is_empty() {
        (rr.inf, rr.sup)
    } else {
        (rr.sup, rr.inf)
    };
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    if rr.undef {
        lo = 0;
        hi = 0;
    }
    if rr.def {
        lo = lo.min(of(worst));
        hi = hi.max(of(best));
    }
    if lo > hi { Pts::ZERO } else { Pts { lo, hi } }
}

/// The next band above the current points of a ratio indicator, for a gap: (threshold, points).
fn next_band(b: &RatioBands, current: i64) -> Option<(Ppm, Dec4)> {
    if b.bands.is_empty() {
        b.at_most
            .iter()
            .rev()
            .find(|(_, p)| p.units() > current)
            .copied()
    } else {
        b.bands
            .iter()
            .rev()
            .find(|(_, p)| p.units() > current)
            .copied()
    }
}

fn ip_pts(p: &IpPoints, hv: Iv, sd: Iv, i1: Iv, i2: Iv) -> Pts {
    let f = |hv: i64, sd: i64, i1: i64, i2: i64| {
        if hv >= 1 {
            p.high_value
        } else if sd >= 1 {
            p.self_developed
        } else if i1 >= 1 {
            p.class1
        } else if i2 >= 1 {
            p.class2
        } else {
            p.none
        }
        .units()
    };
    let a = f(hv.lo, sd.lo, i1.lo, i2.lo);
    let b = f(hv.hi, sd.hi, i1.hi, i2.hi);
    Pts {
        lo: a.min(b),
        hi: a.max(b),
    }
}

fn inst_rank(l: RdInstitution) -> u8 {
    match l {
        RdInstitution::None => 0,
        RdInstitution::BelowCity => 1,
        RdInstitution::City => 2,
        RdInstitution::Provincial => 3,
        RdInstitution::National => 4,
    }
}

fn inst_pts(p: &InstitutionPoints, l: Option<RdInstitution>) -> Pts {
    let f = |l: RdInstitution| match l {
        RdInstitution::National => p.national,
        RdInstitution::Provincial => p.provincial,
        RdInstitution::City => p.city,
        RdInstitution::BelowCity => p.below_city,
        RdInstitution::None => p.none,
    };
    match l {
        Some(l) => Pts::of(f(l)),
        None => {
            let all = RdInstitution::ALL.iter().map(|l| f(*l).units());
            let lo = all.clone().min().unwrap_or(0);
            Pts {
                lo,
                hi: all.max().unwrap_or(0),
            }
        }
    }
}

fn ratio_value(rr: RatioRange) -> Option<String> {
    if let Some(v) = rr.known() {
        return Some(pct(v));
    }
    (!rr.def && rr.undef).then(|| "分母为0 (denominator is 0)".into())
}

fn growth_value(rr: RatioRange) -> Option<String> {
    if let Some(v) = rr.known() {
        return Some(growth_pct(v));
    }
    (!rr.def && rr.undef).then(|| "分母为0 (denominator is 0)".into())
}

fn undefined_note(rr: RatioRange) -> Vec<Note> {
    if rr.undef && !rr.def {
        vec![Note::new("分母为 0，比值无定义", "denominator is 0")]
    } else {
        Vec::new()
    }
}

impl<'a> Ctx<'a> {
    fn new(e: &'a Enterprise, rs: &'a RuleSet, as_of: NaiveDate, x: &'a X) -> Ctx<'a> {
        Ctx {
            e,
            rs,
            as_of,
            a: e.reference_year(as_of) + 1,
            x,
        }
    }
}

impl X {
    /// The inputs of one enterprise as ranges, with the ratios several rules read.
    fn new(e: &Enterprise, as_of: NaiveDate, high_tech_months: u32) -> X {
        let a = e.reference_year(as_of) + 1;
        let niche = match e.niche_since {
            None => Iv::NONNEG,
            Some(d) => {
                // Whole years from the date to 1 January of A.
                let mut years = i64::from(a - d.year());
                if (d.month(), d.day()) > (1, 1) {
                    years -= 1;
                }
                Iv::point(years.max(0))
            }
        };
        let employees = count(e.employees);
        let rd_staff = count(e.rd_staff);
        let (rev, main, main1, main2) = (
            money(e.revenue),
            money(e.main_revenue),
            money(e.main_revenue_prev),
            money(e.main_revenue_prev2),
        );
        let (rd, liab, assets) = (
            money(e.rd_expense),
            money(e.total_liabilities),
            money(e.total_assets),
        );
        X {
            employees,
            rd_staff,
            tech_staff: if e.tech_staff.is_some() {
                count(e.tech_staff)
            } else {
                rd_staff
            },
            rev,
            rev1: money(e.revenue_prev),
            rev2: money(e.revenue_prev2),
            main,
            main1,
            main2,
            rd,
            rd1: money(e.rd_expense_prev),
            cost: money(e.total_cost),
            profit: e.net_profit.map_or(Iv::ANY, |w| Iv::point(w.units())),
            assets,
            liab,
            eq2: money(e.equity_2y),
            eq3: money(e.equity_3y),
            ip1hv: count(e.ip1_high_value),
            ip1sd: count(e.ip1_self_developed),
            ip1: count(e.ip1),
            ip1app: count(e.ip1_applied),
            ip2: count(e.ip2),
            niche,
            rd_rev: RatioRange::of(rd, rev),
            main_rev: RatioRange::of(main, rev),
            debt: RatioRange::of(liab, assets),
            main_avg_growth: RatioRange::avg_growth(main, main1, main2),
            high_tech_valid: e.high_tech_issued_on.is_some_and(|d| {
                d <= as_of
                    && d.checked_add_months(Months::new(high_tech_months))
                        .is_some_and(|end| as_of < end)
            }),
        }
    }
}

impl<'a> Ctx<'a> {
    fn inputs(&self, cols: &[Col]) -> Vec<InputValue> {
        cols.iter()
            .map(|c| {
                let v = self.e.get(*c);
                InputValue {
                    key: c.key(),
                    value: (!v.is_empty()).then_some(v),
                }
            })
            .collect()
    }

    /// Records a condition and returns its verdict.
    #[allow(clippy::too_many_arguments)]
    fn cond<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        clause: &str,
        cols: &[Col],
        can: Can,
        detail: impl FnOnce() -> Detail,
    ) -> Verdict {
        let v = Verdict::of(can);
        if T::ON {
            let d = detail();
            let inputs = self.inputs(cols);
            // Every condition that is not met says what would meet it: its own gap where it has
            // one, else the blanks to fill in, else the condition itself.
            let gap = match v {
                Verdict::Pass => None,
                // A failed condition's gap never asks for blanks: none of them can change it.
                Verdict::Fail => d
                    .gap
                    .filter(|g| !g.asks_blanks)
                    .or_else(|| default_gap(id, v, &inputs, &d.threshold)),
                Verdict::Review => d.gap.or_else(|| default_gap(id, v, &inputs, &d.threshold)),
            };
            t.push(TraceEntry {
                id,
                tier,
                clause: clause.to_owned(),
                inputs,
                threshold: d.threshold,
                verdict: Some(v),
                points: None,
                points_max: None,
                out_of: None,
                value: d.value,
                notes: d.notes,
                gap,
            });
        }
        v
    }

    /// Records a composite condition (an "or" of other recorded ones) and returns its verdict.
    fn combine<T: Tracer>(
        &self,
        t: &mut T,
        tier: Tier,
        id: RuleId,
        clause: &str,
        v: Verdict,
        threshold: impl FnOnce() -> String,
    ) -> Verdict {
        if T::ON {
            let threshold_text = threshold();
            t.push(TraceEntry {
                id,
                tier: Some(tier),
                clause: clause.to_owned(),
                inputs: Vec::new(),
                threshold: threshold_text.clone(),
                verdict: Some(v),
                points: None,
                points_max: None,
                out_of: None,
                value: None,
                notes: Vec::new(),
                gap: (v != Verdict::Pass)
                    .then(|| default_gap(id, v, &[], &threshold_text))
                    .flatten(),
            });
        }
        v
    }

    /// Records a scored indicator and returns its range of points.
    #[allow(clippy::too_many_arguments)]
    fn scored<T: Tracer>(
        &self,
        t: &mut T,
        tier: Tier,
        id: RuleId,
        clause: &str,
        cols: &[Col],
        pts: Pts,
        out_of: Dec4,
        detail: impl FnOnce() -> Detail,
    ) -> Pts {
        if T::ON {
            let d = detail();
            t.push(TraceEntry {
                id,
                tier: Some(tier),
                clause: clause.to_owned(),
                inputs: self.inputs(cols),
                threshold: d.threshold,
                verdict: None,
                points: Dec4::from_units(pts.lo),
                points_max: Dec4::from_units(pts.hi),
                out_of: Some(out_of),
                value: d.value,
                notes: d.notes,
                gap: if pts.lo >= out_of.units() {
                    None
                } else {
                    d.gap
                },
            });
        }
        pts
    }

    /// Years in the niche at least the rule's minimum (ZX22-1, XJ22-1a, ZX26-1b, XJ26-1b).
    fn niche_leaf<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        r: &crate::rules::MinYears,
    ) -> Verdict {
        let n = self.x.niche;
        self.cond(
            t,
            tier,
            id,
            &r.clause,
            &[Col::NicheSince],
            iv_at_least(n, r.min_years),
            || Detail {
                threshold: format!("≥ {} 年（计至{}年1月1日）", r.min_years, self.a),
                value: n.known().map(|y| format!("{y} 年")),
                gap: niche_gap(n, r.min_years),
                ..Detail::default()
            },
        )
    }

    /// Main-business share of revenue at least `min` (XJ22-1b, ZX26-2b, XJ26-2b).
    fn main_share_leaf<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        clause: &str,
        min: Ppm,
    ) -> Verdict {
        let (rr, x) = (self.x.main_rev, &self.x);
        self.cond(
            t,
            tier,
            id,
            clause,
            &[Col::MainRevenue, Col::Revenue],
            rr.at_least(min),
            || Detail {
                threshold: format!("≥ {min}"),
                value: ratio_value(rr),
                notes: undefined_note(rr),
                gap: gap_ratio_min(
                    id,
                    Col::MainRevenue,
                    Col::Revenue,
                    x.main,
                    x.rev,
                    min.into(),
                    true,
                ),
            },
        )
    }

    /// Debt ratio at most `max` (XJ22-2c, ZX26-2c, XJ26-2d).
    fn debt_leaf<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        clause: &str,
        max: Ppm,
    ) -> Verdict {
        let (rr, x) = (self.x.debt, &self.x);
        self.cond(
            t,
            tier,
            id,
            clause,
            &[Col::TotalLiabilities, Col::TotalAssets],
            rr.at_most(max),
            || Detail {
                threshold: format!("≤ {max}"),
                value: ratio_value(rr),
                notes: undefined_note(rr),
                gap: gap_ratio_max(
                    id,
                    Col::TotalLiabilities,
                    Col::TotalAssets,
                    x.liab,
                    x.assets,
                    max,
                ),
            },
        )
    }

    /// A yes/no input that must be yes (a qualitative condition: no fails, blank is review).
    fn flag_leaf<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        clause: &str,
        col: Col,
        v: Option<bool>,
    ) -> Verdict {
        self.cond(t, tier, id, clause, &[col], Can::of(v), || Detail {
            threshold: "是".into(),
            gap: gap_flag(col, v),
            ..Detail::default()
        })
    }

    fn held(&self, until: Option<NaiveDate>) -> bool {
        until.is_some_and(|u| u >= self.as_of)
    }

    fn within(&self, year: i32, window: i32) -> bool {
        self.a - window <= year && year <= self.a
    }

    /// An award condition: level among `levels`, rank within `max_rank` (per level), year in the window.
    fn award(
        &self,
        levels: &[AwardKey],
        max_rank: impl Fn(AwardLevel) -> Option<u32>,
        window: i32,
    ) -> Can {
        let at = |l: AwardLevel| match l {
            AwardLevel::None => Can::known(false),
            l if !levels.iter().any(|k| AwardLevel::from(*k) == l) => Can::known(false),
            l => {
                let rank = match (max_rank(l), self.e.award_rank) {
                    (None, _) => Can::known(true),
                    (Some(m), Some(r)) => Can::known(r <= m),
                    (Some(_), None) => Can::EITHER,
                };
                let year = self
                    .e
                    .award_year
                    .map_or(Can::EITHER, |y| Can::known(self.within(y, window)));
                rank.and(year)
            }
        };
        // A blank level ranges over every level, with the known rank and year (§0).
        match self.e.award_level {
            Some(l) => at(l),
            None => [
                AwardLevel::None,
                AwardLevel::Provincial,
                AwardLevel::National,
            ]
            .into_iter()
            .map(at)
            .fold(Can::NEITHER, Can::union),
        }
    }

    fn award_rule(&self, r: &AwardRule) -> Can {
        self.award(&r.levels, |_| r.max_rank, r.window_years)
    }

    fn makers(&self, min: MakersKey, window: i32) -> Can {
        let rank = |m: MakersChina| match m {
            MakersChina::None => 0,
            MakersChina::Top500 => 1,
            MakersChina::Top50 => 2,
        };
        let at = |m: MakersChina| {
            if rank(m) < rank(min.into()) || m == MakersChina::None {
                Can::known(false)
            } else {
                self.e
                    .makers_china_year
                    .map_or(Can::EITHER, |y| Can::known(self.within(y, window)))
            }
        };
        // A blank placing ranges over every placing, with the known year (§0).
        match self.e.makers_china {
            Some(m) => at(m),
            None => [MakersChina::None, MakersChina::Top500, MakersChina::Top50]
                .into_iter()
                .map(at)
                .fold(Can::NEITHER, Can::union),
        }
    }

    fn institution_at_least(&self, min: LevelKey) -> Can {
        match self.e.rd_institution {
            None => Can::EITHER,
            Some(l) => Can::known(inst_rank(l) >= inst_rank(min.into())),
        }
    }

    fn dec_at_least(v: Option<Dec4>, min: Dec4) -> Can {
        v.map_or(Can::EITHER, |v| Can::known(v >= min))
    }

    // ---- size -------------------------------------------------------------------------------

    fn size_row(&self) -> Option<&'a SizeRow> {
        let table = &self.rs.common.size;
        if let Some(div) = self.e.industry_code.division() {
            match table.by_division.get(usize::from(div)) {
                Some(crate::rules::SizeLookup::Row(i)) => return table.rows.get(*i),
                Some(crate::rules::SizeLookup::NoRow) => return None,
                _ => {}
            }
        }
        let (buf, len) = self.e.industry_code.code_bytes();
        let code = &buf[..len];
        if code.len() == 1 {
            return None;
        }
        let rows = &self.rs.common.size.rows;
        // GB/T 4754 writes the single class of an undivided group with a final 0: K7010 is the
        // whole of group K701, so a scope of that form is its group.
        fn group(s: &str) -> &[u8] {
            let b = s.as_bytes();
            if b.len() == 5 && b[4] == b'0' {
                &b[..4]
            } else {
                b
            }
        }
        // A code picks a row as soon as its digits leave only one: one that stops short of the
        // digits a row needs (G59 against G591, K70 against K701) cannot.
        let ambiguous = rows
            .iter()
            .flat_map(|r| r.scope.iter().chain(r.exclude.iter()))
            .map(|s| group(s))
            .any(|s| s.len() > code.len() && s.starts_with(code));
        if ambiguous {
            return None;
        }
        let prefix = |s: &String| code.starts_with(group(s));
        rows.iter()
            .find(|r| r.scope.iter().any(prefix) && !r.exclude.iter().any(prefix))
    }

    fn size<T: Tracer>(&self, t: &mut T) -> Size {
        let row = self.size_row();
        let size = match row {
            None => Size::Unknown,
            Some(row) => {
                let value = |ind: SizeIndicator, hi: bool| -> i64 {
                    let iv = match ind {
                        SizeIndicator::Employees => {
                            let c = self.x.employees;
                            Iv {
                                lo: c.lo * SCALE,
                                hi: if c.hi == INF { INF } else { c.hi * SCALE },
                            }
                        }
                        SizeIndicator::Revenue => self.x.rev,
                        SizeIndicator::TotalAssets => self.x.assets,
                    };
                    if hi { iv.hi } else { iv.lo }
                };
                let class = |hi: bool| {
                    let meets = |bounds: &[Wan]| {
                        row.indicators
                            .iter()
                            .zip(bounds)
                            .all(|(ind, b)| value(*ind, hi) >= b.units())
                    };
                    if meets(&row.large) {
                        Size::Large
                    } else if meets(&row.medium) {
                        Size::Medium
                    } else if meets(&row.small) {
                        Size::Small
                    } else {
                        Size::Micro
                    }
                };
                let (lo, hi) = (class(false), class(true));
                if lo == hi { lo } else { Size::Unknown }
            }
        };
        if T::ON {
            let cols = [
                Col::IndustryCode,
                Col::Employees,
                Col::Revenue,
                Col::TotalAssets,
            ];
            t.push(TraceEntry {
                id: RuleId::SizeClass,
                tier: None,
                clause: self.rs.common.size.clause.clone(),
                inputs: self.inputs(&cols),
                threshold: match row {
                    Some(r) => {
                        let names: Vec<&str> = r
                            .indicators
                            .iter()
                            .map(|i| match i {
                                SizeIndicator::Employees => "从业人员",
                                SizeIndicator::Revenue => "营业收入",
                                SizeIndicator::TotalAssets => "资产总额",
                            })
                            .collect();
                        let j = |v: &[Wan]| {
                            v.iter()
                                .map(|w| w.to_string())
                                .collect::<Vec<_>>()
                                .join("/")
                        };
                        format!(
                            "{}（{}）：大型 ≥ {}；中型 ≥ {}；小型 ≥ {}（人；万元）",
                            r.zh,
                            names.join("/"),
                            j(&r.large),
                            j(&r.medium),
                            j(&r.small)
                        )
                    }
                    None => "行业代码不对应划型标准中的任何一行（或位数不足以确定）".into(),
                },
                verdict: None,
                points: None,
                points_max: None,
                out_of: None,
                value: Some(size.key().into()),
                notes: match (row, size) {
                    (None, _) => vec![Note::new(
                        "该行业代码不适用 2011 年划型标准的任何一行",
                        "no row of the 2011 table applies to this industry code",
                    )],
                    (Some(_), Size::Unknown) => vec![Note::new(
                        "有未填报的指标可能改变企业规模",
                        "a blank figure could change the class",
                    )],
                    _ => Vec::new(),
                },
                gap: None,
            });
        }
        size
    }

    // ---- gates ------------------------------------------------------------------------------

    /// The gates of `common.toml`: size, lists, products.
    fn common_gates<T: Tracer>(&self, t: &mut T, size: Size) -> (Verdict, Verdict, Verdict) {
        let g = &self.rs.common.gates;
        let sme = self.cond(
            t,
            None,
            RuleId::GSme,
            &g.sme.clause,
            &[],
            Can {
                hold: size != Size::Large,
                fail: matches!(size, Size::Large | Size::Unknown),
            },
            || Detail {
                threshold: "规模为中型、小型或微型（无法判定 → 待核实）".into(),
                value: Some(size.key().into()),
                gap: gap(
                    "企业规模需为中小微型（无法判定时请补齐从业人员、营业收入、资产总额）".into(),
                    "size must be medium, small or micro".into(),
                ),
                ..Detail::default()
            },
        );
        let listed = Can::of(self.e.abnormal_list).or(Can::of(self.e.dishonest_list));
        let list = self.cond(
            t,
            None,
            RuleId::GList,
            &g.lists.clause,
            &[Col::AbnormalList, Col::DishonestList],
            !listed,
            || Detail {
                threshold: "两项均为“否”".into(),
                gap: if self.e.abnormal_list.is_none() || self.e.dishonest_list.is_none() {
                    gap(
                        "请填报是否列入经营异常名录、严重失信名单".into(),
                        "fill in abnormal_list and dishonest_list".into(),
                    )
                } else {
                    gap(
                        "列入名录的企业不得参评".into(),
                        "an enterprise on these lists cannot apply".into(),
                    )
                },
                ..Detail::default()
            },
        );
        let prod = self.cond(
            t,
            None,
            RuleId::GProd,
            &g.products.clause,
            &[Col::RestrictedProducts],
            !Can::of(self.e.restricted_products),
            || Detail {
                threshold: "“否”".into(),
                gap: gap(
                    "产品不得属于禁止、限制或淘汰类".into(),
                    "restricted_products must be no".into(),
                ),
                ..Detail::default()
            },
        );
        (sme, list, prod)
    }

    /// The rule set's own incident gate (G22-INC or G26-INC).
    fn incident_gate<T: Tracer>(&self, t: &mut T) -> (Verdict, RuleId) {
        let inc = &self.rs.gates.incident;
        let min_grade: Incident = inc.min_grade.into();
        let mut bad = match self.e.incident_3y {
            None => Can::EITHER,
            Some(i) => Can::known(i >= min_grade),
        };
        let mut cols = [Col::Incident3y; 6];
        for (i, f) in inc.flags.iter().enumerate().take(5) {
            let (col, v) = match f {
                IncidentFlag::SecurityIncident3y => {
                    (Col::SecurityIncident3y, self.e.security_incident_3y)
                }
                IncidentFlag::QualityIncident3y => {
                    (Col::QualityIncident3y, self.e.quality_incident_3y)
                }
                IncidentFlag::EnvironmentViolation3y => {
                    (Col::EnvironmentViolation3y, self.e.environment_violation_3y)
                }
                IncidentFlag::TaxViolation3y => (Col::TaxViolation3y, self.e.tax_violation_3y),
                IncidentFlag::IndustryViolation3y => {
                    (Col::IndustryViolation3y, self.e.industry_violation_3y)
                }
            };
            cols[i + 1] = col;
            bad = bad.or(Can::of(v));
        }
        let n = 1 + inc.flags.len().min(5);
        let id = self.rs.incident_rule;
        let v = self.cond(t, None, id, &inc.clause, &cols[..n], !bad, || Detail {
            threshold: format!("事故等级低于“{}”，且各项均为“否”", min_grade.zh()),
            gap: gap(
                "近三年存在事故或违法违规记录，或未填报".into(),
                "an incident or breach in the last three years, or not filled in".into(),
            ),
            ..Detail::default()
        });
        (v, id)
    }

    // ---- innovative (创新型) -------------------------------------------------------------------

    /// The direct routes and the score route of 创新型: whether it qualifies, before the gates.
    fn innovative<T: Tracer>(&self, t: &mut T) -> (Verdict, Route, Option<Dec4>) {
        let cx = &self.rs.common.cx;
        let x = &self.x;
        let tier = Some(Tier::Innovative);
        let d1 = self.cond(
            t,
            tier,
            RuleId::CxD1,
            &cx.d1.clause,
            &[Col::AwardLevel, Col::AwardYear],
            self.award_rule(&cx.d1),
            || Detail {
                threshold: format!(
                    "近{}年省级或国家级科技奖励（{}–{}年）",
                    cx.d1.window_years,
                    self.a - cx.d1.window_years,
                    self.a
                ),
                ..Detail::default()
            },
        );
        let d2c = Can::known(self.x.high_tech_valid)
            .or(Can::of(self.e.innovation_demo))
            .or(Can::of(self.e.ip_advantage));
        let d2 = self.cond(t, tier, RuleId::CxD2, &cx.d2.clause, &[Col::HighTechIssuedOn, Col::InnovationDemo, Col::IpAdvantage], d2c, || Detail {
            threshold: "高新技术企业证书有效（发证起3年内），或国家级技术创新示范企业，或知识产权优势/示范企业".into(),
            ..Detail::default()
        });
        let d3 = self.cond(
            t,
            tier,
            RuleId::CxD3,
            &cx.d3.clause,
            &[Col::RdInstitution],
            self.institution_at_least(cx.d3.min_level),
            || Detail {
                threshold: "研发机构级别 ≥ 省级".into(),
                ..Detail::default()
            },
        );
        let d4 = self.cond(
            t,
            tier,
            RuleId::CxD4,
            &cx.d4.clause,
            &[Col::Equity3y],
            iv_at_least(x.eq3, cx.d4.min_equity_3y.units()),
            || Detail {
                threshold: format!("≥ {}万", cx.d4.min_equity_3y),
                gap: gap_min_money(Col::Equity3y, x.eq3, cx.d4.min_equity_3y.units()),
                ..Detail::default()
            },
        );

        // Scored indicators.
        let p1 = ip_pts(&cx.ip, x.ip1hv, x.ip1sd, x.ip1, x.ip2);
        self.scored(
            t,
            Tier::Innovative,
            RuleId::Cx1,
            &cx.ip.clause,
            &[Col::Ip1HighValue, Col::Ip1SelfDeveloped, Col::Ip1, Col::Ip2],
            p1,
            cx.ip.high_value,
            || Detail {
                threshold: format!(
                    "Ⅰ类高价值 → {}；自主研发Ⅰ类 → {}；Ⅰ类 → {}；Ⅱ类 → {}；无 → {}",
                    cx.ip.high_value, cx.ip.self_developed, cx.ip.class1, cx.ip.class2, cx.ip.none
                ),
                ..Detail::default()
            },
        );
        let rr2 = x.rd_rev;
        let p2 = self.ratio_indicator(
            t,
            Tier::Innovative,
            RuleId::Cx2,
            &cx.rd_intensity,
            rr2,
            (Col::RdExpense, x.rd),
            (Col::Revenue, x.rev),
            false,
        );
        let rr3 = RatioRange::of(x.main, x.main1);
        let p3 = self.ratio_indicator(
            t,
            Tier::Innovative,
            RuleId::Cx3,
            &cx.main_growth,
            rr3,
            (Col::MainRevenue, x.main),
            (Col::MainRevenuePrev, x.main1),
            true,
        );
        let rr4 = x.debt;
        let p4 = self.ratio_indicator(
            t,
            Tier::Innovative,
            RuleId::Cx4,
            &cx.debt_ratio,
            rr4,
            (Col::TotalLiabilities, x.liab),
            (Col::TotalAssets, x.assets),
            false,
        );
        let p5 = match self.e.product_emerging {
            Some(true) => Pts::of(cx.product_field.emerging),
            Some(false) => Pts::of(cx.product_field.other),
            None => Pts {
                lo: cx
                    .product_field
                    .other
                    .units()
                    .min(cx.product_field.emerging.units()),
                hi: cx
                    .product_field
                    .emerging
                    .units()
                    .max(cx.product_field.other.units()),
            },
        };
        self.scored(
            t,
            Tier::Innovative,
            RuleId::Cx5,
            &cx.product_field.clause,
            &[Col::ProductEmerging],
            p5,
            cx.product_field.emerging,
            || Detail {
                threshold: format!(
                    "属于战略性新兴产业 → {}；其他 → {}",
                    cx.product_field.emerging, cx.product_field.other
                ),
                gap: gap_flag(Col::ProductEmerging, self.e.product_emerging),
                ..Detail::default()
            },
        );
        let rr6 = x.main_rev;
        let p6 = self.ratio_indicator(
            t,
            Tier::Innovative,
            RuleId::Cx6,
            &cx.main_share,
            rr6,
            (Col::MainRevenue, x.main),
            (Col::Revenue, x.rev),
            false,
        );

        let innovation = p1 + p2;
        let growth = p3 + p4;
        let spec = p5 + p6;
        let total = innovation + growth + spec;
        let route_can = total
            .at_least(cx.min_total)
            .and(innovation.at_least(cx.min_innovation))
            .and(growth.at_least(cx.min_growth))
            .and(spec.at_least(cx.min_specialisation));
        let score_v = self.cond(t, tier, RuleId::CxScore, &cx.clause, &[], route_can, || {
            Detail {
                threshold: format!(
                    "总分 ≥ {}，且创新能力 ≥ {}、成长性 ≥ {}、专业化 ≥ {}",
                    cx.min_total, cx.min_innovation, cx.min_growth, cx.min_specialisation
                ),
                value: Some(format!(
                    "总分 {}（创新能力 {}，成长性 {}，专业化 {}）",
                    points_text(total),
                    points_text(innovation),
                    points_text(growth),
                    points_text(spec)
                )),
                gap: {
                    // Each part that misses its minimum, by how much, and the indicators that raise it.
                    let parts = [
                        (total, cx.min_total, "总分", "total", ""),
                        (
                            innovation,
                            cx.min_innovation,
                            "创新能力",
                            "innovation",
                            "CX-1、CX-2",
                        ),
                        (growth, cx.min_growth, "成长性", "growth", "CX-3、CX-4"),
                        (
                            spec,
                            cx.min_specialisation,
                            "专业化",
                            "specialisation",
                            "CX-5、CX-6",
                        ),
                    ];
                    let mut zh = Vec::new();
                    let mut en = Vec::new();
                    for (p, min, name_zh, name_en, ids) in parts {
                        if p.lo < min.units() {
                            let short = Pts {
                                lo: min.units() - p.lo,
                                hi: min.units() - p.lo,
                            };
                            let from = if ids.is_empty() {
                                String::new()
                            } else {
                                format!("（{ids}）")
                            };
                            let from_en = if ids.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", ids.replace('、', ", "))
                            };
                            zh.push(format!(
                                "{name_zh} {} < {min}，还差 {} 分{from}",
                                points_text(p),
                                points_text(short)
                            ));
                            en.push(format!(
                                "{name_en} {} < {min}: {} points short{from_en}",
                                points_text(p),
                                points_text(short)
                            ));
                        }
                    }
                    if zh.is_empty() {
                        None
                    } else {
                        gap(zh.join("；"), en.join("; "))
                    }
                },
                ..Detail::default()
            }
        });
        let route = [
            (d1, Route::D1),
            (d2, Route::D2),
            (d3, Route::D3),
            (d4, Route::D4),
        ]
        .iter()
        .find(|(v, _)| *v == Verdict::Pass)
        .map_or(Route::Score, |(_, r)| *r);
        let qualifies = d1.or(d2).or(d3).or(d4).or(score_v);

        let score =
            (route == Route::Score).then(|| Dec4::from_units(total.lo).unwrap_or(Dec4::ZERO));
        (qualifies, route, score)
    }

    /// A ratio indicator with its trace and the gap to its next band.
    #[allow(clippy::too_many_arguments)]
    fn ratio_indicator<T: Tracer>(
        &self,
        t: &mut T,
        tier: Tier,
        id: RuleId,
        b: &RatioBands,
        rr: RatioRange,
        num: (Col, Iv),
        den: (Col, Iv),
        growth: bool,
    ) -> Pts {
        let pts = band_pts(b, rr, growth);
        let out_of = b
            .bands
            .first()
            .or(b.at_most.first())
            .map_or(b.otherwise, |x| x.1);
        self.scored(t, tier, id, &b.clause, &[num.0, den.0], pts, out_of, || {
            Detail {
                threshold: bands_text(b, growth),
                value: if growth {
                    growth_value(rr)
                } else {
                    ratio_value(rr)
                },
                notes: undefined_note(rr),
                gap: match next_band(b, pts.lo) {
                    Some((thr, p)) if !b.bands.is_empty() && growth => {
                        gap_growth(id, num.0, den.0, num.1, den.1, Thr::growth(thr))
                            .map(|g| with_points(g, p))
                    }
                    Some((thr, p)) if !b.bands.is_empty() => {
                        gap_ratio_min(id, num.0, den.0, num.1, den.1, thr.into(), true)
                            .map(|g| with_points(g, p))
                    }
                    Some((thr, p)) => gap_ratio_max(id, num.0, den.0, num.1, den.1, thr)
                        .map(|g| with_points(g, p)),
                    None => None,
                },
            }
        })
    }

    // ---- tech-based (科技型) -----------------------------------------------------------------

    /// KJ-2 and the routes of 科技型, before the gates.
    fn tech_sme<T: Tracer>(&self, t: &mut T) -> (Verdict, Dec4) {
        let kj = &self.rs.common.kj;
        let x = &self.x;
        let tier = Some(Tier::TechSme);
        let caps = &kj.caps;
        let caps_can = iv_at_most(x.employees, i64::from(caps.max_employees))
            .and(iv_at_most(x.rev, caps.max_revenue.units()))
            .and(iv_at_most(x.assets, caps.max_assets.units()));
        let kj2 = self.cond(
            t,
            tier,
            RuleId::Kj2,
            &caps.clause,
            &[Col::Employees, Col::Revenue, Col::TotalAssets],
            caps_can,
            || Detail {
                threshold: format!(
                    "职工 ≤ {} 人，营业收入 ≤ {}万，资产总额 ≤ {}万",
                    caps.max_employees, caps.max_revenue, caps.max_assets
                ),
                gap: {
                    // Each cap a known figure passes, with the figure.
                    let mut zh = Vec::new();
                    let mut en = Vec::new();
                    let count = i64::from(caps.max_employees);
                    if x.employees.lo > count {
                        zh.push(format!("职工 {} 人 > {count} 人", x.employees.lo));
                        en.push(format!("employees {} > {count}", x.employees.lo));
                    }
                    for (col, iv, cap) in [
                        (Col::Revenue, x.rev, caps.max_revenue.units()),
                        (Col::TotalAssets, x.assets, caps.max_assets.units()),
                    ] {
                        if iv.lo > cap {
                            zh.push(format!(
                                "{} {} > {}",
                                glossary::field(col, Lang::Zh),
                                wan(iv.lo),
                                wan(cap)
                            ));
                            en.push(format!(
                                "{} {} > {}",
                                glossary::field(col, Lang::En),
                                wan(iv.lo),
                                wan(cap)
                            ));
                        }
                    }
                    if zh.is_empty() {
                        blank_gap(&[
                            (Col::Employees, x.employees),
                            (Col::Revenue, x.rev),
                            (Col::TotalAssets, x.assets),
                        ])
                    } else {
                        gap(
                            format!("超过科技型中小企业上限：{}", zh.join("；")),
                            format!("above the tech-based SME caps: {}", en.join("; ")),
                        )
                    }
                },
                ..Detail::default()
            },
        );
        let d1 = self.cond(
            t,
            tier,
            RuleId::KjD1,
            &kj.d1.clause,
            &[Col::HighTechIssuedOn],
            Can::known(self.x.high_tech_valid),
            || Detail {
                threshold: "高新技术企业证书有效（发证起3年内）".into(),
                ..Detail::default()
            },
        );
        let d2 = self.cond(
            t,
            tier,
            RuleId::KjD2,
            &kj.d2.clause,
            &[Col::AwardLevel, Col::AwardRank, Col::AwardYear],
            self.award_rule(&kj.d2),
            || Detail {
                threshold: format!(
                    "近{}年国家级科技奖励，排名前{}",
                    kj.d2.window_years,
                    kj.d2.max_rank.unwrap_or(0)
                ),
                ..Detail::default()
            },
        );
        let d3 = self.cond(
            t,
            tier,
            RuleId::KjD3,
            &kj.d3.clause,
            &[Col::RdInstitution],
            self.institution_at_least(kj.d3.min_level),
            || Detail {
                threshold: "研发机构级别 ≥ 省级".into(),
                ..Detail::default()
            },
        );
        let d4 = self.cond(
            t,
            tier,
            RuleId::KjD4,
            &kj.d4.clause,
            &[Col::StandardLead5y],
            Can::of(self.e.standard_lead_5y),
            || Detail {
                threshold: "近五年主导制定国际、国家或行业标准".into(),
                ..Detail::default()
            },
        );
        let tech_col = if self.e.tech_staff.is_some() {
            Col::TechStaff
        } else {
            Col::RdStaff
        };
        let rr1 = RatioRange::of(x.tech_staff, x.employees);
        let p1 = band_pts(&kj.tech_staff, rr1, false);
        self.scored(
            t,
            Tier::TechSme,
            RuleId::Kj1,
            &kj.tech_staff.clause,
            &[Col::TechStaff, Col::RdStaff, Col::Employees],
            p1,
            Dec4::whole(20),
            || Detail {
                threshold: bands_text(&kj.tech_staff, false),
                value: ratio_value(rr1),
                notes: if tech_col == Col::RdStaff {
                    vec![Note::new(
                        "科技人员数未填报，按研发人员数计算",
                        "tech_staff blank: rd_staff used",
                    )]
                } else {
                    Vec::new()
                },
                gap: next_band(&kj.tech_staff, p1.lo).and_then(|(thr, p)| {
                    gap_ratio_min(
                        RuleId::Kj1,
                        tech_col,
                        Col::Employees,
                        x.tech_staff,
                        x.employees,
                        thr.into(),
                        false,
                    )
                    .map(|g| with_points(g, p))
                }),
            },
        );
        let ra = x.rd_rev;
        let rb = RatioRange::of(x.rd, x.cost);
        let pa = band_pts(&kj.rd_revenue, ra, false);
        let pb = band_pts(&kj.rd_cost, rb, false);
        // Both options rise with R&D, so the lowest of the better option is the better of the lowest.
        let p2 = Pts {
            lo: pa.lo.max(pb.lo),
            hi: pa.hi.max(pb.hi),
        };
        let out2 = kj.rd_revenue.bands.first().map_or(Dec4::ZERO, |b| b.1);
        self.scored(
            t,
            Tier::TechSme,
            RuleId::Kj2R,
            &kj.rd_revenue.clause,
            &[Col::RdExpense, Col::Revenue, Col::TotalCost],
            p2,
            out2,
            || Detail {
                threshold: format!(
                    "(a) {}；(b) {}",
                    bands_text(&kj.rd_revenue, false),
                    bands_text(&kj.rd_cost, false)
                ),
                value: Some(format!(
                    "(a) {}；(b) {}",
                    ratio_value(ra).unwrap_or_else(|| "—".into()),
                    ratio_value(rb).unwrap_or_else(|| "—".into())
                )),
                notes: vec![if pb.lo > pa.lo {
                    Note::new(
                        "采用口径（b）：研发费用 ÷ 成本费用总额",
                        "option (b) R&D ÷ total_cost used",
                    )
                } else {
                    Note::new(
                        "采用口径（a）：研发费用 ÷ 营业收入",
                        "option (a) R&D ÷ revenue used",
                    )
                }],
                gap: next_band(&kj.rd_revenue, p2.lo).and_then(|(thr, p)| {
                    gap_ratio_min(
                        RuleId::Kj2R,
                        Col::RdExpense,
                        Col::Revenue,
                        x.rd,
                        x.rev,
                        thr.into(),
                        true,
                    )
                    .map(|g| with_points(g, p))
                }),
            },
        );
        let ip = &kj.ip;
        let f3 = |i1: i64, i2: i64| {
            if i1 >= 1 {
                ip.class1
            } else {
                ip.class2
                    .iter()
                    .find(|(n, _)| i2 >= i64::from(*n))
                    .map_or(ip.none, |x| x.1)
            }
            .units()
        };
        let (a, b) = (f3(x.ip1.lo, x.ip2.lo), f3(x.ip1.hi, x.ip2.hi));
        let p3 = Pts {
            lo: a.min(b),
            hi: a.max(b),
        };
        self.scored(
            t,
            Tier::TechSme,
            RuleId::Kj3,
            &ip.clause,
            &[Col::Ip1, Col::Ip2],
            p3,
            ip.class1,
            || Detail {
                threshold: format!(
                    "Ⅰ类 ≥1 → {}；Ⅱ类 {}；无 → {}",
                    ip.class1,
                    ip.class2
                        .iter()
                        .map(|(n, p)| format!("≥{n} → {p}"))
                        .collect::<Vec<_>>()
                        .join("，"),
                    ip.none
                ),
                gap: gap_min_count(Col::Ip1, x.ip1, 1),
                ..Detail::default()
            },
        );
        let total = p1 + p2 + p3;
        let route = total.at_least(kj.min_total).and(Can {
            hold: p1.hi > 0,
            fail: p1.lo == 0,
        });
        let score_v = self.cond(t, tier, RuleId::KjScore, &kj.clause, &[], route, || {
            Detail {
                threshold: format!("总分 ≥ {}，且科技人员指标得分 > 0", kj.min_total),
                value: Some(format!("总分 {}", points_text(total))),
                gap: gap(
                    format!(
                        "得分 {}，需 ≥ {} 且科技人员指标不为0分",
                        points_text(total),
                        kj.min_total
                    ),
                    format!(
                        "score {}, needs ≥ {} with KJ-1 above 0",
                        points_text(total),
                        kj.min_total
                    ),
                ),
                ..Detail::default()
            }
        });
        let v = kj2.and(d1.or(d2).or(d3).or(d4).or(score_v));
        (v, Dec4::from_units(total.lo).unwrap_or(Dec4::ZERO))
    }

    // ---- SRDI and little giant, 2022 ------------------------------------------------------

    fn srdi22<T: Tracer>(
        &self,
        t: &mut T,
        r: &crate::rules::Srdi22,
        gates: &Gates,
        innovative: Verdict,
    ) -> (Verdict, Dec4, IdSet) {
        let x = &self.x;
        let tier = Some(Tier::Srdi);
        let mut leaves = Leaves::new(gates);
        let prereq = if r.prerequisite.required {
            Can::known(self.held(self.e.innovative_until)).or(can_of(innovative))
        } else {
            Can::known(true)
        };
        let p = self.cond(
            t,
            tier,
            RuleId::Zx22P,
            &r.prerequisite.clause,
            &[Col::InnovativeUntil],
            prereq,
            || Detail {
                threshold: if r.prerequisite.required {
                    "已获创新型中小企业称号（有效期内），或本次评价达到创新型".into()
                } else {
                    "本参数已关闭，不作要求".into()
                },
                gap: gap(
                    "需先达到创新型中小企业".into(),
                    "must first hold or meet innovative".into(),
                ),
                ..Detail::default()
            },
        );
        leaves.add(RuleId::Zx22P, p);
        let n1 = self.niche_leaf(t, tier, RuleId::Zx22_1, &r.niche);
        leaves.add(RuleId::Zx22_1, n1);
        let a2 = self.cond(
            t,
            tier,
            RuleId::Zx22_2a,
            &r.rd_amount.clause,
            &[Col::RdExpense],
            iv_at_least(x.rd, r.rd_amount.min_rd.units()),
            || Detail {
                threshold: format!("≥ {}万", r.rd_amount.min_rd),
                gap: gap_min_money(Col::RdExpense, x.rd, r.rd_amount.min_rd.units()),
                ..Detail::default()
            },
        );
        leaves.add(RuleId::Zx22_2a, a2);
        let rr = x.rd_rev;
        let b2 = self.cond(
            t,
            tier,
            RuleId::Zx22_2b,
            &r.rd_intensity.clause,
            &[Col::RdExpense, Col::Revenue],
            rr.at_least(r.rd_intensity.min_intensity),
            || Detail {
                threshold: format!("≥ {}", r.rd_intensity.min_intensity),
                value: ratio_value(rr),
                notes: undefined_note(rr),
                gap: gap_ratio_min(
                    RuleId::Zx22_2b,
                    Col::RdExpense,
                    Col::Revenue,
                    x.rd,
                    x.rev,
                    r.rd_intensity.min_intensity.into(),
                    true,
                ),
            },
        );
        leaves.add(RuleId::Zx22_2b, b2);
        let rv = &r.revenue;
        // "≥ 1000, or < 1000 with equity ≥ 2000" is "≥ 1000 or equity ≥ 2000": each input once.
        let c3 = iv_at_least(x.rev, rv.min_revenue.units())
            .or(iv_at_least(x.eq2, rv.min_equity_2y.units()));
        let v3 = self.cond(
            t,
            tier,
            RuleId::Zx22_3,
            &rv.clause,
            &[Col::Revenue, Col::Equity2y],
            c3,
            || Detail {
                threshold: format!(
                    "营业收入 ≥ {}万，或近两年股权融资 ≥ {}万",
                    rv.min_revenue, rv.min_equity_2y
                ),
                gap: gap_min_money(Col::Revenue, x.rev, rv.min_revenue.units()),
                ..Detail::default()
            },
        );
        leaves.add(RuleId::Zx22_3, v3);

        // Scored indicators (always computed: the score is printed whatever decides ZX22-4).
        let s = Tier::Srdi;
        let s1 = self.ratio_indicator(
            t,
            s,
            RuleId::Zx22S1,
            &r.main_share,
            x.main_rev,
            (Col::MainRevenue, x.main),
            (Col::Revenue, x.rev),
            false,
        );
        let rr2 = x.main_avg_growth;
        let s2 = band_pts(&r.main_growth, rr2, true);
        self.scored(
            t,
            s,
            RuleId::Zx22S2,
            &r.main_growth.clause,
            &[
                Col::MainRevenue,
                Col::MainRevenuePrev,
                Col::MainRevenuePrev2,
            ],
            s2,
            Dec4::whole(10),
            || Detail {
                threshold: bands_text(&r.main_growth, true),
                value: growth_value(rr2),
                notes: undefined_note(rr2),
                gap: next_band(&r.main_growth, s2.lo).and_then(|(thr, p)| {
                    avg_growth_gap(RuleId::Zx22S2, x.main, x.main1, x.main2, thr)
                        .map(|g| with_points(g, p))
                }),
            },
        );
        let np = &r.niche_points;
        let f3 = |y: i64| {
            if y == INF {
                np.max.units()
            } else {
                (y / np.years_per_point * SCALE).min(np.max.units())
            }
        };
        let s3 = Pts {
            lo: f3(x.niche.lo),
            hi: f3(x.niche.hi),
        };
        self.scored(
            t,
            s,
            RuleId::Zx22S3,
            &np.clause,
            &[Col::NicheSince],
            s3,
            np.max,
            || Detail {
                threshold: format!("每满 {} 年得 1 分，最高 {} 分", np.years_per_point, np.max),
                value: x.niche.known().map(|y| format!("{y} 年")),
                ..Detail::default()
            },
        );
        let pf = &r.product_field;
        let f4 = |gap: bool, six: bool| {
            if gap {
                pf.chain_gap
            } else if six {
                pf.six_basics
            } else {
                pf.other
            }
            .units()
        };
        let s4 = range_over_bools(self.e.product_chain_gap, self.e.product_six_basics, f4);
        self.scored(
            t,
            s,
            RuleId::Zx22S4,
            &pf.clause,
            &[Col::ProductChainGap, Col::ProductSixBasics],
            s4,
            pf.chain_gap,
            || Detail {
                threshold: format!(
                    "补短板/锻长板/填空白 → {}；工业六基等 → {}；其他 → {}",
                    pf.chain_gap, pf.six_basics, pf.other
                ),
                gap: gap_flag(Col::ProductChainGap, self.e.product_chain_gap),
                ..Detail::default()
            },
        );
        let dg = &r.digital;
        let f5 = |l: u8| {
            dg.levels
                .iter()
                .find(|(m, _)| l >= *m)
                .map_or(dg.otherwise, |x| x.1)
                .units()
        };
        let s5 = match self.e.digital_level {
            Some(l) => Pts {
                lo: f5(l),
                hi: f5(l),
            },
            None => {
                let all = (0..=4u8).map(f5);
                Pts {
                    lo: all.clone().min().unwrap_or(0),
                    hi: all.max().unwrap_or(0),
                }
            }
        };
        let out5 = dg.levels.first().map_or(dg.otherwise, |x| x.1);
        self.scored(
            t,
            s,
            RuleId::Zx22S5,
            &dg.clause,
            &[Col::DigitalLevel],
            s5,
            out5,
            || Detail {
                threshold: dg
                    .levels
                    .iter()
                    .map(|(l, p)| format!("≥{l}级 → {p}"))
                    .collect::<Vec<_>>()
                    .join("；"),
                ..Detail::default()
            },
        );
        let q = &r.quality;
        let items = [
            self.e.quality_award,
            self.e.quality_cert,
            self.e.own_brand,
            self.e.standard_drafting,
        ];
        let yes = items.iter().filter(|v| **v == Some(true)).count() as i64;
        let blank = items.iter().filter(|v| v.is_none()).count() as i64;
        let f6 = |n: i64| (n * q.per_item.units()).min(q.max.units());
        let s6 = Pts {
            lo: f6(yes),
            hi: f6(yes + blank),
        };
        self.scored(
            t,
            s,
            RuleId::Zx22S6,
            &q.clause,
            &[
                Col::QualityAward,
                Col::QualityCert,
                Col::OwnBrand,
                Col::StandardDrafting,
            ],
            s6,
            q.max,
            || Detail {
                threshold: format!("每项 {} 分，最高 {} 分", q.per_item, q.max),
                ..Detail::default()
            },
        );
        let s7 = self.ratio_indicator(
            t,
            s,
            RuleId::Zx22S7,
            &r.net_margin,
            RatioRange::of(x.profit, x.rev),
            (Col::NetProfit, x.profit),
            (Col::Revenue, x.rev),
            false,
        );
        let s8 = self.ratio_indicator(
            t,
            s,
            RuleId::Zx22S8,
            &r.debt_ratio,
            x.debt,
            (Col::TotalLiabilities, x.liab),
            (Col::TotalAssets, x.assets),
            false,
        );
        let s9 = match self.e.local_feature_score {
            Some(v) => Pts::of(v.min(r.local.max)),
            None => Pts {
                lo: 0,
                hi: r.local.max.units(),
            },
        };
        self.scored(
            t,
            s,
            RuleId::Zx22S9,
            &r.local.clause,
            &[Col::LocalFeatureScore],
            s9,
            r.local.max,
            || Detail {
                threshold: format!("省定特色化指标，满分 {}", r.local.max),
                ..Detail::default()
            },
        );
        let s10 = ip_pts(&r.ip, x.ip1hv, x.ip1sd, x.ip1, x.ip2);
        self.scored(
            t,
            s,
            RuleId::Zx22S10,
            &r.ip.clause,
            &[Col::Ip1HighValue, Col::Ip1SelfDeveloped, Col::Ip1, Col::Ip2],
            s10,
            r.ip.high_value,
            || Detail {
                threshold: format!(
                    "Ⅰ类高价值 → {}；自主研发Ⅰ类 → {}；Ⅰ类 → {}；Ⅱ类 → {}；无 → {}",
                    r.ip.high_value, r.ip.self_developed, r.ip.class1, r.ip.class2, r.ip.none
                ),
                ..Detail::default()
            },
        );
        let ri = &r.rd_input;
        let fa = |v: i64| {
            ri.amount
                .iter()
                .find(|(m, _)| v >= m.units())
                .map_or(ri.otherwise, |x| x.1)
                .units()
        };
        let int_bands = RatioBands {
            clause: String::new(),
            conf: String::new(),
            bands: ri.intensity.clone(),
            at_most: Vec::new(),
            otherwise: ri.otherwise,
        };
        let rr11 = x.rd_rev;
        let pi = band_pts(&int_bands, rr11, false);
        let s11 = Pts {
            lo: fa(x.rd.lo).max(pi.lo),
            hi: fa(x.rd.hi).max(pi.hi),
        };
        let out11 = ri.amount.first().map_or(ri.otherwise, |x| x.1);
        self.scored(
            t,
            s,
            RuleId::Zx22S11,
            &ri.clause,
            &[Col::RdExpense, Col::Revenue],
            s11,
            out11,
            || Detail {
                threshold: format!(
                    "金额 {}；或比重 {}（取高）",
                    ri.amount
                        .iter()
                        .map(|(m, p)| format!("≥{m}万 → {p}"))
                        .collect::<Vec<_>>()
                        .join("，"),
                    ri.intensity
                        .iter()
                        .map(|(m, p)| format!("≥{m} → {p}"))
                        .collect::<Vec<_>>()
                        .join("，")
                ),
                value: ratio_value(rr11),
                notes: vec![if pi.lo > fa(x.rd.lo) {
                    Note::new("按研发强度档计分", "intensity band used")
                } else {
                    Note::new("按研发费用金额档计分", "amount band used")
                }],
                gap: ri
                    .amount
                    .iter()
                    .rev()
                    .find(|(_, p)| p.units() > s11.lo)
                    .and_then(|(m, p)| {
                        gap_min_money(Col::RdExpense, x.rd, m.units()).map(|g| with_points(g, *p))
                    }),
            },
        );
        let s12 = self.ratio_indicator(
            t,
            s,
            RuleId::Zx22S12,
            &r.rd_staff,
            RatioRange::of(x.rd_staff, x.employees),
            (Col::RdStaff, x.rd_staff),
            (Col::Employees, x.employees),
            false,
        );
        let s13 = inst_pts(&r.rd_institution, self.e.rd_institution);
        self.scored(
            t,
            s,
            RuleId::Zx22S13,
            &r.rd_institution.clause,
            &[Col::RdInstitution],
            s13,
            r.rd_institution.national,
            || Detail {
                threshold: format!(
                    "国家级 → {}；省级 → {}；市级 → {}；市级以下 → {}；无 → {}",
                    r.rd_institution.national,
                    r.rd_institution.provincial,
                    r.rd_institution.city,
                    r.rd_institution.below_city,
                    r.rd_institution.none
                ),
                ..Detail::default()
            },
        );
        let total = [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13]
            .iter()
            .fold(Pts::ZERO, |a, b| a + *b);
        let score_v = self.cond(
            t,
            tier,
            RuleId::Zx22Score,
            &r.score.clause,
            &[],
            total.at_least(r.score.min_total),
            || Detail {
                threshold: format!("≥ {} 分", r.score.min_total),
                value: Some(format!("总分 {}", points_text(total))),
                gap: gap(
                    format!(
                        "得分 {}，需 ≥ {}：还差 {} 分，可提升的指标见上",
                        points_text(total),
                        r.score.min_total,
                        pts_short(r.score.min_total.units() - total.lo)
                    ),
                    format!(
                        "score {}, needs ≥ {}: {} points short; see the indicators above",
                        points_text(total),
                        r.score.min_total,
                        pts_short(r.score.min_total.units() - total.lo)
                    ),
                ),
                ..Detail::default()
            },
        );
        let d1 = self.cond(
            t,
            tier,
            RuleId::Zx22D1,
            &r.d1.clause,
            &[Col::AwardLevel, Col::AwardRank, Col::AwardYear],
            self.award(
                &[AwardKey::Provincial, AwardKey::National],
                |l| {
                    Some(if l == AwardLevel::National {
                        r.d1.national_max_rank
                    } else {
                        r.d1.provincial_max_rank
                    })
                },
                r.d1.window_years,
            ),
            || Detail {
                threshold: format!(
                    "近{}年省级前{}或国家级前{}",
                    r.d1.window_years, r.d1.provincial_max_rank, r.d1.national_max_rank
                ),
                ..Detail::default()
            },
        );
        let two = x.rd + x.rd1;
        let d2 = self.cond(
            t,
            tier,
            RuleId::Zx22D2,
            &r.d2.clause,
            &[Col::RdExpense, Col::RdExpensePrev],
            iv_at_least(two, 2 * r.d2.min_avg_rd.units()),
            || Detail {
                threshold: format!("(研发费用(Y) + 研发费用(Y-1)) / 2 ≥ {}万", r.d2.min_avg_rd),
                ..Detail::default()
            },
        );
        let d3 = self.cond(
            t,
            tier,
            RuleId::Zx22D3,
            &r.d3.clause,
            &[Col::Equity2y],
            iv_at_least(x.eq2, r.d3.min_equity_2y.units()),
            || Detail {
                threshold: format!("≥ {}万", r.d3.min_equity_2y),
                ..Detail::default()
            },
        );
        let d4 = self.cond(
            t,
            tier,
            RuleId::Zx22D4,
            &r.d4.clause,
            &[Col::MakersChina, Col::MakersChinaYear],
            self.makers(r.d4.min_group, r.d4.window_years),
            || Detail {
                threshold: format!(
                    "近{}年创客中国全国500强企业组（50强亦可）",
                    r.d4.window_years
                ),
                ..Detail::default()
            },
        );
        let z4 = self.combine(
            t,
            Tier::Srdi,
            RuleId::Zx22_4,
            &r.score.clause,
            score_v.or(d1).or(d2).or(d3).or(d4),
            || "ZX22-SCORE 或 ZX22-D1…D4 之一".into(),
        );
        leaves.add(RuleId::Zx22_4, z4);
        (
            leaves.all,
            Dec4::from_units(total.lo).unwrap_or(Dec4::ZERO),
            leaves.failed,
        )
    }

    fn giant22<T: Tracer>(
        &self,
        t: &mut T,
        r: &crate::rules::Giant22,
        gates: &Gates,
        srdi: Verdict,
    ) -> (Verdict, IdSet) {
        let x = &self.x;
        let tier = Some(Tier::Giant);
        let mut leaves = Leaves::new(gates);
        leaves.add(
            RuleId::Xj22P,
            self.cond(
                t,
                tier,
                RuleId::Xj22P,
                &r.prerequisite.clause,
                &[Col::SrdiUntil],
                Can::known(self.held(self.e.srdi_until)).or(can_of(srdi)),
                || Detail {
                    threshold: "已获专精特新中小企业称号（有效期内），或本次评价达到专精特新"
                        .into(),
                    gap: gap(
                        "需先达到专精特新中小企业".into(),
                        "must first hold or meet SRDI".into(),
                    ),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Xj22_1a,
            self.niche_leaf(t, tier, RuleId::Xj22_1a, &r.niche),
        );
        leaves.add(
            RuleId::Xj22_1b,
            self.main_share_leaf(
                t,
                tier,
                RuleId::Xj22_1b,
                &r.main_share.clause,
                r.main_share.min_share,
            ),
        );
        let ag = x.main_avg_growth;
        leaves.add(
            RuleId::Xj22_1c,
            self.cond(
                t,
                tier,
                RuleId::Xj22_1c,
                &r.main_growth.clause,
                &[
                    Col::MainRevenue,
                    Col::MainRevenuePrev,
                    Col::MainRevenuePrev2,
                ],
                ag.at_least(Thr::growth(r.main_growth.min_avg_growth)),
                || Detail {
                    threshold: format!("(g(Y) + g(Y-1)) / 2 ≥ {}", r.main_growth.min_avg_growth),
                    value: growth_value(ag),
                    notes: undefined_note(ag),
                    gap: avg_growth_gap(
                        RuleId::Xj22_1c,
                        x.main,
                        x.main1,
                        x.main2,
                        r.main_growth.min_avg_growth,
                    ),
                },
            ),
        );
        leaves.add(
            RuleId::Xj22_2a,
            self.flag_leaf(
                t,
                tier,
                RuleId::Xj22_2a,
                &r.core_it.clause,
                Col::CoreItSystem,
                self.e.core_it_system,
            ),
        );
        leaves.add(
            RuleId::Xj22_2b,
            self.cond(
                t,
                tier,
                RuleId::Xj22_2b,
                &r.quality.clause,
                &[Col::QualityCert, Col::IntlProductCert],
                Can::of(self.e.quality_cert).or(Can::of(self.e.intl_product_cert)),
                || Detail {
                    threshold: "质量管理体系认证或发达国家（地区）产品认证，至少一项".into(),
                    gap: gap_flag(Col::QualityCert, self.e.quality_cert),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Xj22_2c,
            self.debt_leaf(t, tier, RuleId::Xj22_2c, &r.debt.clause, r.debt.max_ratio),
        );
        leaves.add(
            RuleId::Xj22_3a,
            self.cond(
                t,
                tier,
                RuleId::Xj22_3a,
                &r.market_share.clause,
                &[Col::MarketShare],
                Self::dec_at_least(self.e.market_share, r.market_share.min_share),
                || Detail {
                    threshold: format!("≥ {}%", r.market_share.min_share),
                    gap: gap_min_dec(
                        Col::MarketShare,
                        self.e.market_share,
                        r.market_share.min_share,
                        "%",
                    ),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Xj22_3b,
            self.flag_leaf(
                t,
                tier,
                RuleId::Xj22_3b,
                &r.brand.clause,
                Col::OwnBrand,
                self.e.own_brand,
            ),
        );
        // XJ22-4G1: the requirement depends on which revenue band Y falls in; split the revenue range
        // on the bands and take the union of the outcomes, so that one leaf is judged as a whole.
        let g = &r.general;
        let mut g1 = Can {
            hold: false,
            fail: false,
        };
        let mut upper = INF;
        for tierd in &g.tiers {
            let band = Iv {
                lo: x.rev.lo,
                hi: x.rev.hi.min(upper),
            };
            if let Some(part) = band.at_least(tierd.min_revenue.units())
                && part.lo <= part.hi
            {
                let c = RatioRange::of(x.rd, part)
                    .at_least(tierd.min_intensity)
                    .and(RatioRange::of(x.rd1, x.rev1).at_least(tierd.min_intensity));
                g1 = Can {
                    hold: g1.hold || c.hold,
                    fail: g1.fail || c.fail,
                };
            }
            upper = tierd.min_revenue.units() - 1;
        }
        if x.rev.lo <= upper {
            let c = iv_at_least(x.eq2, g.small_min_equity_2y.units())
                .and(iv_at_least(x.rd + x.rd1, g.small_min_rd_2y.units()))
                .and(RatioRange::of(x.rd_staff, x.employees).at_least(g.small_min_rd_staff_share));
            g1 = Can {
                hold: g1.hold || c.hold,
                fail: g1.fail || c.fail,
            };
        }
        let g1v = self.cond(
            t,
            tier,
            RuleId::Xj22_4G1,
            &g.clause,
            &[Col::Revenue, Col::RdExpense, Col::RevenuePrev, Col::RdExpensePrev, Col::Equity2y, Col::RdStaff, Col::Employees],
            g1,
            || Detail {
                threshold: {
                    let mut parts: Vec<String> = g.tiers.iter().map(|b| format!("营业收入 ≥ {}万：近两年研发强度均 ≥ {}", b.min_revenue, b.min_intensity)).collect();
                    parts.push(format!(
                        "营业收入 < {}万：近两年股权融资 ≥ {}万，且近两年研发费用合计 ≥ {}万，且研发人员占比 ≥ {}",
                        g.tiers.last().map_or(Wan::ZERO, |b| b.min_revenue),
                        g.small_min_equity_2y,
                        g.small_min_rd_2y,
                        g.small_min_rd_staff_share
                    ));
                    parts.join("；")
                },
                value: Some(format!(
                    "研发强度 Y {}，Y-1 {}",
                    ratio_value(x.rd_rev).unwrap_or_else(|| "—".into()),
                    ratio_value(RatioRange::of(x.rd1, x.rev1)).unwrap_or_else(|| "—".into())
                )),
                notes: vec![Note::new(
                    "小型企业近两年研发费用合计的口径尚待确认（U）",
                    "the two-year reading of the small-firm R&D total is unconfirmed (U)",
                )],
                gap: g.tiers.iter().find(|b| x.rev.lo >= b.min_revenue.units()).and_then(|b| {
                    gap_ratio_min(RuleId::Xj22_4G1, Col::RdExpense, Col::Revenue, x.rd, x.rev, b.min_intensity.into(), true)
                        .or_else(|| gap_ratio_min(RuleId::Xj22_4G1, Col::RdExpensePrev, Col::RevenuePrev, x.rd1, x.rev1, b.min_intensity.into(), true))
                }),
            },
        );
        let g2v = self.cond(
            t,
            tier,
            RuleId::Xj22_4G2,
            &g.clause,
            &[Col::RdInstitution],
            self.institution_at_least(LevelKey::BelowCity),
            || Detail {
                threshold: "研发机构级别不为“无”".into(),
                ..Detail::default()
            },
        );
        let g3v = self.cond(
            t,
            tier,
            RuleId::Xj22_4G3,
            &g.clause,
            &[Col::Ip1Applied],
            iv_at_least(x.ip1app, i64::from(g.min_ip1_applied)),
            || Detail {
                threshold: format!("≥ {} 项", g.min_ip1_applied),
                gap: gap_min_count(Col::Ip1Applied, x.ip1app, i64::from(g.min_ip1_applied)),
                ..Detail::default()
            },
        );
        let d1 = self.cond(
            t,
            tier,
            RuleId::Xj22_4D1,
            &r.d1.clause,
            &[Col::AwardLevel, Col::AwardRank, Col::AwardYear],
            self.award_rule(&r.d1),
            || Detail {
                threshold: format!(
                    "近{}年国家级科技奖励前{}",
                    r.d1.window_years,
                    r.d1.max_rank.unwrap_or(0)
                ),
                ..Detail::default()
            },
        );
        let d2 = self.cond(
            t,
            tier,
            RuleId::Xj22_4D2,
            &r.d2.clause,
            &[Col::MakersChina, Col::MakersChinaYear],
            self.makers(r.d2.min_group, r.d2.window_years),
            || Detail {
                threshold: format!("近{}年创客中国全国50强企业组", r.d2.window_years),
                ..Detail::default()
            },
        );
        let x4 = g1v.and(g2v).and(g3v).or(d1).or(d2);
        leaves.add(
            RuleId::Xj22_4,
            self.combine(t, Tier::Giant, RuleId::Xj22_4, &g.clause, x4, || {
                "(XJ22-4G1 且 4G2 且 4G3) 或 4D1 或 4D2".into()
            }),
        );
        leaves.add(
            RuleId::Xj22_5,
            self.flag_leaf(
                t,
                tier,
                RuleId::Xj22_5,
                &r.chain.clause,
                Col::ChainKeyLink,
                self.e.chain_key_link,
            ),
        );
        leaves.add(
            RuleId::Xj22_6,
            self.flag_leaf(
                t,
                tier,
                RuleId::Xj22_6,
                &r.key_field.clause,
                Col::ProductKeyField,
                self.e.product_key_field,
            ),
        );
        (leaves.all, leaves.failed)
    }

    // ---- SRDI and little giant, 2026 ------------------------------------------------------

    /// R&D of one year: amount ≥ `min_rd` and intensity ≥ `t`. R&D appears in both parts and both
    /// rise with it, so the leaf can hold exactly when both hold at the highest R&D possible.
    fn rd_year(rd: Iv, rev: Iv, min_rd: Wan, t: Ppm) -> Can {
        let top = Iv::point(rd.hi);
        Can {
            hold: rd.hi >= min_rd.units() && RatioRange::of(top, rev).at_least(t).hold,
            fail: rd.lo < min_rd.units() || RatioRange::of(rd, rev).at_least(t).fail,
        }
    }

    fn innovation26(&self, r: &crate::rules::Innovation26) -> Can {
        let mut c = iv_at_least(self.x.ip1app, i64::from(r.min_ip1_applied)).or(self.award(
            &r.award_levels,
            |_| Some(r.award_max_rank),
            r.award_window_years,
        ));
        if let Some(l) = r.min_rd_institution {
            c = c.or(self.institution_at_least(l));
        }
        c
    }

    fn srdi26<T: Tracer>(
        &self,
        t: &mut T,
        r: &crate::rules::Srdi26,
        gates: &Gates,
        innovative: Verdict,
        tech: Verdict,
    ) -> (Verdict, IdSet) {
        let x = &self.x;
        let tier = Some(Tier::Srdi);
        let mut leaves = Leaves::new(gates);
        let pre =
            Can::known(self.held(self.e.innovative_until) || self.held(self.e.tech_sme_until))
                .or(can_of(innovative))
                .or(can_of(tech));
        leaves.add(
            RuleId::Zx26_1a,
            self.cond(
                t,
                tier,
                RuleId::Zx26_1a,
                &r.prerequisite.clause,
                &[Col::InnovativeUntil, Col::TechSmeUntil],
                pre,
                || Detail {
                    threshold: "已获创新型或科技型称号（有效期内），或本次评价达到其一".into(),
                    gap: gap(
                        "需先达到创新型或科技型中小企业".into(),
                        "must first hold or meet innovative or tech-based".into(),
                    ),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Zx26_1b,
            self.niche_leaf(t, tier, RuleId::Zx26_1b, &r.niche),
        );
        let rv = &r.revenue;
        leaves.add(
            RuleId::Zx26_2a,
            self.cond(
                t,
                tier,
                RuleId::Zx26_2a,
                &rv.clause,
                &[Col::Revenue, Col::Equity2y],
                iv_at_least(x.rev, rv.min_revenue.units())
                    .or(iv_at_least(x.eq2, rv.min_equity_2y.units())),
                || Detail {
                    threshold: format!(
                        "营业收入 ≥ {}万，或近两年股权融资 ≥ {}万",
                        rv.min_revenue, rv.min_equity_2y
                    ),
                    gap: gap_min_money(Col::Revenue, x.rev, rv.min_revenue.units()),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Zx26_2b,
            self.main_share_leaf(
                t,
                tier,
                RuleId::Zx26_2b,
                &r.main_share.clause,
                r.main_share.min_share,
            ),
        );
        leaves.add(
            RuleId::Zx26_2c,
            self.debt_leaf(t, tier, RuleId::Zx26_2c, &r.debt.clause, r.debt.max_ratio),
        );
        for (id, rd, rev, rd_col, rev_col) in [
            (RuleId::Zx26_3a, x.rd, x.rev, Col::RdExpense, Col::Revenue),
            (
                RuleId::Zx26_3b,
                x.rd1,
                x.rev1,
                Col::RdExpensePrev,
                Col::RevenuePrev,
            ),
        ] {
            let rr = RatioRange::of(rd, rev);
            leaves.add(
                id,
                self.cond(
                    t,
                    tier,
                    id,
                    &r.rd.clause,
                    &[rd_col, rev_col],
                    Self::rd_year(rd, rev, r.rd.min_rd, r.rd.min_intensity),
                    || Detail {
                        threshold: format!(
                            "研发费用 ≥ {}万 且研发强度 ≥ {}",
                            r.rd.min_rd, r.rd.min_intensity
                        ),
                        value: ratio_value(rr),
                        notes: undefined_note(rr),
                        gap: if rd.lo < r.rd.min_rd.units() {
                            gap_min_money(rd_col, rd, r.rd.min_rd.units())
                        } else {
                            gap_ratio_min(
                                id,
                                rd_col,
                                rev_col,
                                rd,
                                rev,
                                r.rd.min_intensity.into(),
                                true,
                            )
                        },
                    },
                ),
            );
        }
        let inn = &r.innovation;
        leaves.add(
            RuleId::Zx26_4,
            self.cond(
                t,
                tier,
                RuleId::Zx26_4,
                &inn.clause,
                &[
                    Col::Ip1Applied,
                    Col::AwardLevel,
                    Col::AwardRank,
                    Col::AwardYear,
                    Col::RdInstitution,
                ],
                self.innovation26(inn),
                || Detail {
                    threshold: format!(
                        "已应用Ⅰ类知识产权 ≥ {}，或近{}年省级以上科技奖励前{}，或省级以上研发机构",
                        inn.min_ip1_applied, inn.award_window_years, inn.award_max_rank
                    ),
                    gap: gap_min_count(Col::Ip1Applied, x.ip1app, i64::from(inn.min_ip1_applied)),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Zx26_5,
            self.flag_leaf(
                t,
                tier,
                RuleId::Zx26_5,
                &r.market.clause,
                Col::MarketPositionOk,
                self.e.market_position_ok,
            ),
        );
        leaves.add(
            RuleId::Zx26_6,
            self.cond(
                t,
                tier,
                RuleId::Zx26_6,
                &r.quality_score.clause,
                &[Col::QualityScore],
                Self::dec_at_least(self.e.quality_score, r.quality_score.min_score),
                || Detail {
                    threshold: format!("≥ {}", r.quality_score.min_score),
                    gap: gap_min_dec(
                        Col::QualityScore,
                        self.e.quality_score,
                        r.quality_score.min_score,
                        "",
                    ),
                    ..Detail::default()
                },
            ),
        );
        (leaves.all, leaves.failed)
    }

    fn giant26<T: Tracer>(
        &self,
        t: &mut T,
        r: &crate::rules::Giant26,
        gates: &Gates,
        srdi: Verdict,
    ) -> (Verdict, IdSet) {
        let x = &self.x;
        let tier = Some(Tier::Giant);
        let mut leaves = Leaves::new(gates);
        leaves.add(
            RuleId::Xj26_1a,
            self.cond(
                t,
                tier,
                RuleId::Xj26_1a,
                &r.prerequisite.clause,
                &[Col::SrdiUntil],
                Can::known(self.held(self.e.srdi_until)).or(can_of(srdi)),
                || Detail {
                    threshold: "已获专精特新中小企业称号（有效期内），或本次评价达到专精特新"
                        .into(),
                    gap: gap(
                        "需先达到专精特新中小企业".into(),
                        "must first hold or meet SRDI".into(),
                    ),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Xj26_1b,
            self.niche_leaf(t, tier, RuleId::Xj26_1b, &r.niche),
        );
        leaves.add(
            RuleId::Xj26_2a,
            self.cond(
                t,
                tier,
                RuleId::Xj26_2a,
                &r.revenue.clause,
                &[Col::Revenue],
                iv_at_least(x.rev, r.revenue.min_revenue.units()),
                || Detail {
                    threshold: format!("≥ {}万", r.revenue.min_revenue),
                    gap: gap_min_money(Col::Revenue, x.rev, r.revenue.min_revenue.units()),
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Xj26_2b,
            self.main_share_leaf(
                t,
                tier,
                RuleId::Xj26_2b,
                &r.main_share.clause,
                r.main_share.min_share,
            ),
        );
        let cg = RatioRange::of(x.rev, x.rev2);
        let thr = Thr::compound2(r.growth.min_compound_growth);
        leaves.add(
            RuleId::Xj26_2c,
            self.cond(
                t,
                tier,
                RuleId::Xj26_2c,
                &r.growth.clause,
                &[Col::Revenue, Col::RevenuePrev2],
                cg.at_least(thr),
                || Detail {
                    threshold: format!(
                        "sqrt(营业收入(Y) / 营业收入(Y-2)) - 1 ≥ {}（即比值 ≥ (1+{})²）",
                        r.growth.min_compound_growth, r.growth.min_compound_growth
                    ),
                    value: cg.known().map(|v| format!("两年比值 {}", pct(v))),
                    notes: undefined_note(cg),
                    gap: gap_growth(
                        RuleId::Xj26_2c,
                        Col::Revenue,
                        Col::RevenuePrev2,
                        x.rev,
                        x.rev2,
                        thr,
                    ),
                },
            ),
        );
        leaves.add(
            RuleId::Xj26_2d,
            self.debt_leaf(t, tier, RuleId::Xj26_2d, &r.debt.clause, r.debt.max_ratio),
        );
        let two = x.rd + x.rd1;
        leaves.add(
            RuleId::Xj26_3a,
            self.cond(
                t,
                tier,
                RuleId::Xj26_3a,
                &r.rd_total.clause,
                &[Col::RdExpense, Col::RdExpensePrev],
                iv_at_least(two, r.rd_total.min_rd_2y.units()),
                || Detail {
                    threshold: format!("研发费用(Y) + 研发费用(Y-1) ≥ {}万", r.rd_total.min_rd_2y),
                    value: two.known().map(wan),
                    gap: blank_gap(&[(Col::RdExpense, x.rd), (Col::RdExpensePrev, x.rd1)]).or_else(
                        || {
                            let d = r.rd_total.min_rd_2y.units() - two.lo;
                            gap(
                                format!("近两年研发费用合计 {}，还差 {}", wan(two.lo), wan_up(d)),
                                format!("R&D of two years {}, {} short", wan(two.lo), wan_up(d)),
                            )
                        },
                    ),
                    ..Detail::default()
                },
            ),
        );
        for (id, rd, rev, rd_col, rev_col) in [
            (RuleId::Xj26_3b, x.rd, x.rev, Col::RdExpense, Col::Revenue),
            (
                RuleId::Xj26_3c,
                x.rd1,
                x.rev1,
                Col::RdExpensePrev,
                Col::RevenuePrev,
            ),
        ] {
            let rr = RatioRange::of(rd, rev);
            leaves.add(
                id,
                self.cond(
                    t,
                    tier,
                    id,
                    &r.rd_intensity.clause,
                    &[rd_col, rev_col],
                    rr.at_least(r.rd_intensity.min_intensity),
                    || Detail {
                        threshold: format!("≥ {}", r.rd_intensity.min_intensity),
                        value: ratio_value(rr),
                        notes: undefined_note(rr),
                        gap: gap_ratio_min(
                            id,
                            rd_col,
                            rev_col,
                            rd,
                            rev,
                            r.rd_intensity.min_intensity.into(),
                            true,
                        ),
                    },
                ),
            );
        }
        let inn = &r.innovation;
        leaves.add(
            RuleId::Xj26_4,
            self.cond(
                t,
                tier,
                RuleId::Xj26_4,
                &inn.clause,
                &[
                    Col::Ip1Applied,
                    Col::AwardLevel,
                    Col::AwardRank,
                    Col::AwardYear,
                ],
                self.innovation26(inn),
                || Detail {
                    threshold: format!(
                        "已应用Ⅰ类知识产权 ≥ {}，或近{}年国家级科技奖励前{}",
                        inn.min_ip1_applied, inn.award_window_years, inn.award_max_rank
                    ),
                    gap: gap_min_count(Col::Ip1Applied, x.ip1app, i64::from(inn.min_ip1_applied)),
                    ..Detail::default()
                },
            ),
        );
        let m = &r.market;
        let mut mc = Self::dec_at_least(self.e.market_share, m.min_share);
        if m.allow_rank {
            mc = mc.or(self
                .e
                .market_rank
                .map_or(Can::EITHER, |k| Can::known(k <= m.max_rank)));
        }
        leaves.add(
            RuleId::Xj26_5,
            self.cond(
                t,
                tier,
                RuleId::Xj26_5,
                &m.clause,
                &[Col::MarketShare, Col::MarketRank],
                mc,
                || Detail {
                    threshold: if m.allow_rank {
                        format!("占有率 ≥ {}%，或国内排名 ≤ {}", m.min_share, m.max_rank)
                    } else {
                        format!("占有率 ≥ {}%", m.min_share)
                    },
                    ..Detail::default()
                },
            ),
        );
        leaves.add(
            RuleId::Xj26_6,
            self.flag_leaf(
                t,
                tier,
                RuleId::Xj26_6,
                &r.key_field.clause,
                Col::ProductKeyField,
                self.e.product_key_field,
            ),
        );
        leaves.add(
            RuleId::Xj26_7,
            self.cond(
                t,
                tier,
                RuleId::Xj26_7,
                &r.quality_score.clause,
                &[Col::QualityScore],
                Self::dec_at_least(self.e.quality_score, r.quality_score.min_score),
                || Detail {
                    threshold: format!("≥ {}", r.quality_score.min_score),
                    gap: gap_min_dec(
                        Col::QualityScore,
                        self.e.quality_score,
                        r.quality_score.min_score,
                        "",
                    ),
                    ..Detail::default()
                },
            ),
        );
        (leaves.all, leaves.failed)
    }
}

/// The leaf conditions of a tier as they are recorded: the ids of those that failed, and the
/// tier's verdict so far (the `and` of the gates and every leaf).
struct Leaves {
    failed: IdSet,
    all: Verdict,
}

impl Leaves {
    fn new(gates: &Gates) -> Leaves {
        Leaves {
            failed: gates.failed(true),
            all: gates.all(),
        }
    }
    /// Records a leaf's verdict.
    fn add(&mut self, id: RuleId, v: Verdict) {
        if v == Verdict::Fail {
            self.failed.insert(id);
        }
        self.all = self.all.and(v);
    }
}

/// The common gates' verdicts.
struct Gates {
    sme: Verdict,
    list: Verdict,
    prod: Verdict,
    incident: Verdict,
    incident_id: RuleId,
}

impl Gates {
    fn all(&self) -> Verdict {
        self.sme.and(self.list).and(self.prod).and(self.incident)
    }
    fn failed(&self, with_sme: bool) -> IdSet {
        let mut s = IdSet::default();
        for (id, v) in [
            (RuleId::GSme, self.sme),
            (RuleId::GList, self.list),
            (RuleId::GProd, self.prod),
            (self.incident_id, self.incident),
        ] {
            if v == Verdict::Fail && (with_sme || id != RuleId::GSme) {
                s.insert(id);
            }
        }
        s
    }
}

/// A verdict as a condition's possible outcomes (for a prerequisite on another tier).
fn can_of(v: Verdict) -> Can {
    match v {
        Verdict::Pass => Can::known(true),
        Verdict::Fail => Can::known(false),
        Verdict::Review => Can::EITHER,
    }
}

fn range_over_bools(a: Option<bool>, b: Option<bool>, f: impl Fn(bool, bool) -> i64) -> Pts {
    let opts = |v: Option<bool>| -> &'static [bool] {
        match v {
            Some(true) => &[true],
            Some(false) => &[false],
            None => &[false, true],
        }
    };
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    for &x in opts(a) {
        for &y in opts(b) {
            let p = f(x, y);
            lo = lo.min(p);
            hi = hi.max(p);
        }
    }
    Pts { lo, hi }
}

fn points_text(p: Pts) -> String {
    let lo = Dec4::from_units(crate::num::round2(p.lo)).unwrap_or(Dec4::ZERO);
    if p.lo == p.hi {
        lo.to_string()
    } else {
        let hi = Dec4::from_units(crate::num::round2(p.hi)).unwrap_or(Dec4::ZERO);
        format!("{lo}–{hi}")
    }
}

fn pts_short(u: i64) -> String {
    Dec4::from_units(crate::num::round2(u))
        .unwrap_or(Dec4::ZERO)
        .to_string()
}

fn with_points(g: Gap, p: Dec4) -> Gap {
    Gap {
        zh: format!("{}（可得 {} 分）", g.zh, p),
        en: format!("{} (worth {} points)", g.en, p),
        asks_blanks: g.asks_blanks,
    }
}

fn niche_gap(n: Iv, min: i64) -> Option<Gap> {
    if n.is_blank() {
        return blank_gap(&[(Col::NicheSince, n)]);
    }
    gap(
        format!(
            "从事细分市场 {} 年，需 ≥ {} 年：还差 {} 年",
            n.lo,
            min,
            min - n.lo
        ),
        format!(
            "{} years in the niche, needs {}: {} more",
            n.lo,
            min,
            min - n.lo
        ),
    )
}

/// Gap for a two-year average growth: the main revenue of year Y that would meet it.
fn avg_growth_gap(id: RuleId, m: Iv, m1: Iv, m2: Iv, t: Ppm) -> Option<Gap> {
    if let Some(g) = blank_gap(&[
        (Col::MainRevenue, m),
        (Col::MainRevenuePrev, m1),
        (Col::MainRevenuePrev2, m2),
    ]) {
        return Some(g);
    }
    if m1.lo == 0 || m2.lo == 0 {
        return gap(
            "前一或前两年度主营业务收入为0，增长率无法计算".into(),
            "a previous year's main revenue is 0: growth is undefined (denominator is 0)".into(),
        );
    }
    // m/m1 + m1/m2 ≥ 2(1+t)  ⇔  m ≥ m1 · (2(1+t) − m1/m2)
    let (m1i, m2i) = (i128::from(m1.lo), i128::from(m2.lo));
    let two = 2 * (1_000_000 + i128::from(t.0));
    let need = ceil_div(m1i * (two * m2i - m1i * 1_000_000), 1_000_000 * m2i).max(0);
    let need = i64::try_from(need).unwrap_or(i64::MAX);
    let cur = RatioRange::avg_growth(m, m1, m2);
    gap(
        format!(
            "{} {}，需 ≥ {}：上年度主营业务收入需达到 {}（+{}）",
            glossary::rule(id, Lang::Zh),
            growth_value(cur).unwrap_or_default(),
            t,
            wan_up(need),
            wan_up(need - m.lo)
        ),
        format!(
            "{} {}, needs {}: main_revenue needs {} (+{})",
            glossary::rule(id, Lang::En),
            growth_value(cur).unwrap_or_default(),
            t,
            wan_up(need),
            wan_up(need - m.lo)
        ),
    )
}

/// What depends only on the rules every set shares (`common.toml`): computed once per enterprise
/// when it is evaluated under several sets.
#[derive(Clone, Copy)]
struct Lower {
    size: Size,
    sme: Verdict,
    list: Verdict,
    prod: Verdict,
    cx: Verdict,
    route: Route,
    cx_score: Option<Dec4>,
    kj: Verdict,
    kj_score: Dec4,
}

fn lower<T: Tracer>(c: &Ctx<'_>, t: &mut T) -> Lower {
    let size = c.size(t);
    let (sme, list, prod) = c.common_gates(t, size);
    let (cx, route, cx_score) = c.innovative(t);
    let (kj, kj_score) = c.tech_sme(t);
    Lower {
        size,
        sme,
        list,
        prod,
        cx,
        route,
        cx_score,
        kj,
        kj_score,
    }
}

fn run<T: Tracer>(e: &Enterprise, rs: &RuleSet, as_of: NaiveDate, t: &mut T) -> Summary {
    let x = X::new(e, as_of, rs.common.high_tech.validity_months);
    let c = Ctx::new(e, rs, as_of, &x);
    let l = lower(&c, t);
    upper(&c, t, &l)
}

/// Evaluates one enterprise under several rule sets, in order, appending to `out`. The part that
/// depends only on shared rules is computed once.
pub fn evaluate_each(e: &Enterprise, sets: &[&RuleSet], as_of: NaiveDate, out: &mut Vec<Summary>) {
    // The inputs and the shared part, once per copy of the shared rules (the certificate's
    // validity is one of them).
    let mut shared: Option<(&std::sync::Arc<crate::rules::Common>, X, Lower)> = None;
    for rs in sets {
        let same = shared
            .as_ref()
            .is_some_and(|(common, _, _)| std::sync::Arc::ptr_eq(common, &rs.common));
        if !same {
            let x = X::new(e, as_of, rs.common.high_tech.validity_months);
            let l = lower(&Ctx::new(e, rs, as_of, &x), &mut Off);
            shared = Some((&rs.common, x, l));
        }
        if let Some((_, x, l)) = &shared {
            out.push(upper(&Ctx::new(e, rs, as_of, x), &mut Off, l));
        }
    }
}

fn upper<T: Tracer>(c: &Ctx<'_>, t: &mut T, l: &Lower) -> Summary {
    let (incident, incident_id) = c.incident_gate(t);
    let gates = Gates {
        sme: l.sme,
        list: l.list,
        prod: l.prod,
        incident,
        incident_id,
    };
    let innovative = gates.all().and(l.cx);
    let tech_sme = gates.list.and(gates.prod).and(gates.incident).and(l.kj);
    let (innovative_route, innovative_score, tech_sme_score, size) =
        (l.route, l.cx_score, l.kj_score, l.size);
    let (rules, srdi, srdi_score, srdi_failed, giant, giant_failed) = match &c.rs.upper {
        Upper::Miit2022 { srdi, giant } => {
            let (sv, score, sf) = c.srdi22(t, srdi, &gates, innovative);
            let (gv, gf) = c.giant22(t, giant, &gates, sv);
            ("miit-2022", sv, Some(score), sf, gv, gf)
        }
        Upper::Miit2026 { srdi, giant } => {
            let (sv, sf) = c.srdi26(t, srdi, &gates, innovative, tech_sme);
            let (gv, gf) = c.giant26(t, giant, &gates, sv);
            ("miit-2026", sv, None, sf, gv, gf)
        }
    };
    let top_tier = if giant == Verdict::Pass {
        TopTier::Giant
    } else if srdi == Verdict::Pass {
        TopTier::Srdi
    } else if innovative == Verdict::Pass {
        TopTier::Innovative
    } else if tech_sme == Verdict::Pass {
        TopTier::TechSme
    } else {
        TopTier::None
    };
    Summary {
        rules,
        size,
        innovative,
        tech_sme,
        srdi,
        giant,
        innovative_score,
        innovative_route,
        tech_sme_score,
        srdi_score,
        srdi_failed,
        giant_failed,
        top_tier,
    }
}
