//! Wording and arithmetic of the trace: amounts, percentages, gaps, bands and points.

use super::*;

/// An amount in 万 at two decimals (the nearest), as a reader wants it.
pub(super) fn wan(u: i64) -> String {
    wan2(u, (u.rem_euclid(100) >= 50) as i64)
}

/// A shortfall or a requirement in 万 at two decimals, rounded up: adding it is always enough.
pub(super) fn wan_up(u: i64) -> String {
    wan2(u, (u.rem_euclid(100) > 0) as i64)
}

pub(super) fn wan2(u: i64, carry: i64) -> String {
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

pub(super) fn gap(zh: String, en: String) -> Option<Gap> {
    Some(Gap {
        zh,
        en,
        asks_blanks: false,
    })
}

/// A gap that asks for blank inputs.
pub(super) fn blanks_gap(zh: String, en: String) -> Option<Gap> {
    Some(Gap {
        zh,
        en,
        asks_blanks: true,
    })
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
pub(super) fn gap_min_dec(col: Col, v: Option<Dec4>, min: Dec4, unit: &str) -> Option<Gap> {
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

pub(super) fn blank_gap(cols: &[(Col, Iv)]) -> Option<Gap> {
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
pub(super) fn gap_min_money(col: Col, x: Iv, min: i64) -> Option<Gap> {
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
pub(super) fn gap_min_count(col: Col, x: Iv, min: i64) -> Option<Gap> {
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
pub(super) fn gap_flag(col: Col, v: Option<bool>) -> Option<Gap> {
    match v {
        None => blank_gap(&[(col, Iv::NONNEG)]),
        Some(_) => gap(
            format!("需具备：{}", glossary::field(col, Lang::Zh)),
            format!("needs {} = yes", glossary::field(col, Lang::En)),
        ),
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
        vec![Note::new("分母为 0，比值无定义", "denominator is 0")]
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
    let lo = Dec4::from_units(crate::num::round2(p.lo)).unwrap_or(Dec4::ZERO);
    if p.lo == p.hi {
        lo.to_string()
    } else {
        let hi = Dec4::from_units(crate::num::round2(p.hi)).unwrap_or(Dec4::ZERO);
        format!("{lo}–{hi}")
    }
}

pub(super) fn pts_short(u: i64) -> String {
    Dec4::from_units(crate::num::round2(u))
        .unwrap_or(Dec4::ZERO)
        .to_string()
}

pub(super) fn with_points(g: Gap, p: Dec4) -> Gap {
    Gap {
        zh: format!("{}（可得 {} 分）", g.zh, p),
        en: format!("{} (worth {} points)", g.en, p),
        asks_blanks: g.asks_blanks,
    }
}

pub(super) fn niche_gap(n: Iv, min: i64) -> Option<Gap> {
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
pub(super) fn avg_growth_gap(id: RuleId, m: Iv, m1: Iv, m2: Iv, t: Ppm) -> Option<Gap> {
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
