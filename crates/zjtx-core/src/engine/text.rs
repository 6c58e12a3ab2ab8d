//! Wording and arithmetic of the trace: amounts, percentages, gaps, bands and points.

use super::*;

/// An amount in 万 at two decimals (the nearest), as a reader wants it.
pub(super) fn wan(u: i64) -> String {
    Money(u).near()
}

/// A percentage of a ratio, exact to the millionth (for a gap's figure).
pub(super) fn pct_of(e: End) -> Pct {
    Pct(e
        .pct_units()
        .map_or(0, |u| i64::try_from(u).unwrap_or(i64::MAX)))
}

/// A growth rate of a ratio of two years, exact to the millionth.
pub(super) fn growth_of(e: End) -> Pct {
    match e {
        End::Frac(n, d) => pct_of(End::Frac(n - d, d)),
        _ => Pct(0),
    }
}

pub(super) fn pct(e: End) -> String {
    match e.pct_units() {
        Some(u) => format!("{}%", PctDisplay(u)),
        None => "—".into(),
    }
}

/// A growth rate from a ratio of two years.
pub(super) fn growth_pct(e: End) -> String {
    match e {
        End::Frac(n, d) => pct(End::Frac(n - d, d)),
        _ => "—".into(),
    }
}

pub(super) fn gap(kind: GapKind) -> Option<Gap> {
    Some(Gap::new(kind))
}

pub(super) fn ceil_div(a: i128, b: i128) -> i128 {
    if a <= 0 { a / b } else { (a + b - 1) / b }
}

/// The gap of a condition without a quantified one: for an undecided one, the blanks to fill in;
/// for a failed one what is required (a blank cannot change a failed condition, or it would be
/// undecided).
pub(super) fn default_gap(
    id: RuleId,
    v: Verdict,
    inputs: &[InputValue],
    threshold: &str,
) -> Option<Gap> {
    let blanks: Vec<Col> = inputs
        .iter()
        .filter(|i| i.value.is_none())
        .filter_map(|i| Col::from_key(i.key))
        .collect();
    if v == Verdict::Review && !blanks.is_empty() {
        return gap(GapKind::Blanks { fields: blanks });
    }
    gap(GapKind::Requirement {
        rule: id,
        threshold: threshold.to_owned(),
    })
}

/// Gap for a decimal input that must reach a minimum (a share in percent, a score).
pub(super) fn gap_min_dec(col: Col, v: Option<Dec4>, min: Dec4, percent: bool) -> Option<Gap> {
    let v = v?;
    gap(GapKind::MinDecimal {
        field: col,
        percent,
        have: v,
        need: min,
        short: Dec4::from_units(min.units() - v.units()).unwrap_or(Dec4::ZERO),
    })
}

/// The blanks among `cols`, as a gap that asks for them.
pub(super) fn blank_gap(cols: &[(Col, Iv)]) -> Option<Gap> {
    let fields: Vec<Col> = cols
        .iter()
        .filter(|(_, iv)| iv.is_blank())
        .map(|(c, _)| *c)
        .collect();
    (!fields.is_empty()).then(|| Gap::new(GapKind::Blanks { fields }))
}

/// Gap for `x ≥ min` on money.
pub(super) fn gap_min_money(col: Col, x: Iv, min: i64) -> Option<Gap> {
    blank_gap(&[(col, x)]).or_else(|| {
        gap(GapKind::MinMoney {
            field: col,
            have: Money(x.lo),
            need: Money(min),
            short: Money(min - x.lo),
        })
    })
}

/// Gap for `x ≥ min` on a count.
pub(super) fn gap_min_count(col: Col, x: Iv, min: i64) -> Option<Gap> {
    blank_gap(&[(col, x)]).or_else(|| {
        gap(GapKind::MinCount {
            field: col,
            have: x.lo,
            need: min,
            short: min - x.lo,
        })
    })
}

/// Gap for a yes/no input that must be yes.
pub(super) fn gap_flag(col: Col, v: Option<bool>) -> Option<Gap> {
    match v {
        None => blank_gap(&[(col, Iv::NONNEG)]),
        Some(_) => gap(GapKind::Flag { field: col }),
    }
}

/// Gap for `num / den ≥ t`: how much more numerator at the current denominator.
pub(super) fn gap_ratio_min(
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
        return gap(GapKind::ZeroDenominator {
            field: den_col,
            growth: false,
        });
    }
    let need = ceil_div(t.n * i128::from(den.lo), t.d);
    let d = i64::try_from(need).unwrap_or(i64::MAX) - num.lo;
    gap(GapKind::RatioMin {
        rule: name,
        num: num_col,
        den: den_col,
        have: pct_of(End::Frac(num.lo.into(), den.lo.into())),
        need: pct_of(End::Frac(t.n, t.d)),
        add: if money_unit {
            Amount::Money(Money(d))
        } else {
            Amount::Count(d)
        },
    })
}

/// Gap for `num / den ≤ t` (a debt ratio): how much less numerator at the current denominator.
pub(super) fn gap_ratio_max(
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
        return gap(GapKind::ZeroDenominator {
            field: den_col,
            growth: false,
        });
    }
    let max = i128::from(t.0) * i128::from(den.lo) / 1_000_000;
    gap(GapKind::RatioMax {
        rule: name,
        num: num_col,
        den: den_col,
        have: pct_of(End::Frac(num.lo.into(), den.lo.into())),
        max: Pct(t.0),
        cut: Money(num.lo - i64::try_from(max).unwrap_or(i64::MAX)),
    })
}

/// Gap for a ratio of two years `cur / prev ≥ t`: the current year's figure needed.
pub(super) fn gap_growth(
    name: RuleId,
    cur_col: Col,
    prev_col: Col,
    cur: Iv,
    prev: Iv,
    t: Thr,
) -> Option<Gap> {
    if let Some(g) = blank_gap(&[(cur_col, cur), (prev_col, prev)]) {
        return Some(g);
    }
    if prev.lo == 0 {
        return gap(GapKind::ZeroDenominator {
            field: prev_col,
            growth: true,
        });
    }
    let need = i64::try_from(ceil_div(t.n * i128::from(prev.lo), t.d)).unwrap_or(i64::MAX);
    gap(GapKind::Growth {
        rule: name,
        field: cur_col,
        have: growth_of(End::Frac(cur.lo.into(), prev.lo.into())),
        need: Money(need),
        add: Money(need - cur.lo),
    })
}

pub(super) fn bands_text(b: &RatioBands, growth: bool) -> String {
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
pub(super) fn band_pts(b: &RatioBands, rr: RatioRange, growth: bool) -> Pts {
    bands_pts(&b.bands, &b.at_most, b.otherwise, rr, growth)
}

/// `band_pts` from the bands' parts (lower bounds, or else upper bounds, and the points
/// otherwise), for bands a rule file gives without a `RatioBands` of their own.
pub(super) fn bands_pts(
    bands: &[(Ppm, Dec4)],
    at_most: &[(Ppm, Dec4)],
    otherwise: Dec4,
    rr: RatioRange,
    growth: bool,
) -> Pts {
    let thr = |t: Ppm| if growth { Thr::growth(t) } else { Thr::from(t) };
    let of = |e: End| -> i64 {
        let p = if !bands.is_empty() {
            bands
                .iter()
                .find(|(t, _)| e.cmp_thr(thr(*t)).is_ge())
                .map(|x| x.1)
        } else {
            at_most
                .iter()
                .find(|(t, _)| e.cmp_thr(thr(*t)).is_le())
                .map(|x| x.1)
        };
        p.unwrap_or(otherwise).units()
    };
    if let Some(v) = rr.known() {
        let p = of(v);
        return Pts { lo: p, hi: p };
    }
    let (best, worst) = if bands.is_empty() {
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
pub(super) fn next_band(b: &RatioBands, current: i64) -> Option<(Ppm, Dec4)> {
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

pub(super) fn ip_pts(p: &IpPoints, hv: Iv, sd: Iv, i1: Iv, i2: Iv) -> Pts {
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

pub(super) fn inst_rank(l: RdInstitution) -> u8 {
    match l {
        RdInstitution::None => 0,
        RdInstitution::BelowCity => 1,
        RdInstitution::City => 2,
        RdInstitution::Provincial => 3,
        RdInstitution::National => 4,
    }
}

pub(super) fn inst_pts(p: &InstitutionPoints, l: Option<RdInstitution>) -> Pts {
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

pub(super) fn ratio_value(rr: RatioRange) -> Option<String> {
    if let Some(v) = rr.known() {
        return Some(pct(v));
    }
    (!rr.def && rr.undef).then(|| "分母为0 (denominator is 0)".into())
}

pub(super) fn growth_value(rr: RatioRange) -> Option<String> {
    if let Some(v) = rr.known() {
        return Some(growth_pct(v));
    }
    (!rr.def && rr.undef).then(|| "分母为0 (denominator is 0)".into())
}

pub(super) fn undefined_note(rr: RatioRange) -> Vec<Note> {
    if rr.undef && !rr.def {
        vec![Note::DenominatorZero]
    } else {
        Vec::new()
    }
}

/// A verdict as a condition's possible outcomes (for a prerequisite on another tier).
pub(super) fn can_of(v: Verdict) -> Can {
    match v {
        Verdict::Pass => Can::known(true),
        Verdict::Fail => Can::known(false),
        Verdict::Review => Can::EITHER,
    }
}

pub(super) fn range_over_bools(
    a: Option<bool>,
    b: Option<bool>,
    f: impl Fn(bool, bool) -> i64,
) -> Pts {
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

pub(super) fn points_text(p: Pts) -> String {
    points(p).to_string()
}

pub(super) fn points(p: Pts) -> Points {
    Points::from_units(p.lo, p.hi)
}

pub(super) fn with_points(g: Gap, p: Dec4) -> Gap {
    Gap {
        worth: Some(p),
        ..g
    }
}

pub(super) fn niche_gap(n: Iv, min: i64) -> Option<Gap> {
    if n.is_blank() {
        return blank_gap(&[(Col::NicheSince, n)]);
    }
    gap(GapKind::NicheYears {
        have: n.lo,
        need: min,
        short: min - n.lo,
    })
}

/// Gap for a two-year average growth: the main revenue of year Y that would meet it.
pub(super) fn avg_growth_gap(id: RuleId, m: Iv, m1: Iv, m2: Iv, t: Ppm) -> Option<Gap> {
    if let Some(g) = blank_gap(&[
        (Col::MainRevenue, m),
        (Col::MainRevenuePrev, m1),
        (Col::MainRevenuePrev2, m2),
    ]) {
        return Some(g);
    }
    if m1.lo == 0 || m2.lo == 0 {
        return gap(GapKind::ZeroPreviousRevenue);
    }
    // m/m1 + m1/m2 ≥ 2(1+t)  ⇔  m ≥ m1 · (2(1+t) − m1/m2)
    let (m1i, m2i) = (i128::from(m1.lo), i128::from(m2.lo));
    let two = 2 * (1_000_000 + i128::from(t.0));
    let need = ceil_div(m1i * (two * m2i - m1i * 1_000_000), 1_000_000 * m2i).max(0);
    let need = i64::try_from(need).unwrap_or(i64::MAX);
    let cur = RatioRange::avg_growth(m, m1, m2);
    gap(GapKind::AvgGrowth {
        rule: id,
        have: cur.known().map_or(Pct(0), growth_of),
        min: Pct(t.0),
        need: Money(need),
        add: Money(need - m.lo),
    })
}
