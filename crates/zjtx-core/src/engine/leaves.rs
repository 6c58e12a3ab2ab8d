//! The machinery every tier's leaves share: inputs, conditions, combination, scores, awards.

use super::*;

impl<'a> Ctx<'a> {
    pub(super) fn new(e: &'a Enterprise, rs: &'a RuleSet, as_of: NaiveDate, x: &'a X) -> Ctx<'a> {
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
    pub(super) fn new(e: &Enterprise, as_of: NaiveDate, high_tech_months: u32) -> X {
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
    pub(super) fn inputs(&self, cols: &[Col]) -> Vec<InputValue> {
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
    pub(super) fn cond<T: Tracer>(
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
            // Every condition that is not met says what would meet it.
            let gap = match v {
                Verdict::Pass => None,
                // A failed condition's gap never asks for blanks: none of them can change it. It
                // is the condition's own gap, else the condition itself.
                Verdict::Fail => d
                    .gap
                    .filter(|g| !g.asks_blanks())
                    .or_else(|| default_gap(id, v, &inputs, &d.threshold)),
                // An undecided one names its blanks — every one that can change it: all of its
                // blank inputs unless the known figures rule a branch out (`only`). Without a
                // blank input (undecided through another tier) it is its own gap.
                Verdict::Review => {
                    let fields: Vec<Col> = inputs
                        .iter()
                        .filter(|i| i.value.is_none())
                        .filter_map(|i| Col::from_key(i.key))
                        .filter(|c| d.only.as_ref().is_none_or(|o| o.contains(c)))
                        .collect();
                    if fields.is_empty() {
                        d.gap.or_else(|| default_gap(id, v, &inputs, &d.threshold))
                    } else {
                        Some(Gap::new(GapKind::Blanks { fields }))
                    }
                }
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
    pub(super) fn combine<T: Tracer>(
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
    pub(super) fn scored<T: Tracer>(
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
    pub(super) fn niche_leaf<T: Tracer>(
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
    pub(super) fn main_share_leaf<T: Tracer>(
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
                only: None,
            },
        )
    }

    /// Debt ratio at most `max` (XJ22-2c, ZX26-2c, XJ26-2d).
    pub(super) fn debt_leaf<T: Tracer>(
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
                only: None,
            },
        )
    }

    /// A yes/no input that must be yes (a qualitative condition: no fails, blank is review).
    pub(super) fn flag_leaf<T: Tracer>(
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

    pub(super) fn held(&self, until: Option<NaiveDate>) -> bool {
        until.is_some_and(|u| u >= self.as_of)
    }

    pub(super) fn within(&self, year: i32, window: i32) -> bool {
        self.a - window <= year && year <= self.a
    }

    /// An award condition: level among `levels`, rank within `max_rank` (per level), year in the window.
    pub(super) fn award(
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

    pub(super) fn award_rule(&self, r: &AwardRule) -> Can {
        self.award(&r.levels, |_| r.max_rank, r.window_years)
    }

    pub(super) fn makers(&self, min: MakersKey, window: i32) -> Can {
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

    pub(super) fn institution_at_least(&self, min: LevelKey) -> Can {
        match self.e.rd_institution {
            None => Can::EITHER,
            Some(l) => Can::known(inst_rank(l) >= inst_rank(min.into())),
        }
    }

    pub(super) fn dec_at_least(v: Option<Dec4>, min: Dec4) -> Can {
        v.map_or(Can::EITHER, |v| Can::known(v >= min))
    }

    // ---- size -------------------------------------------------------------------------------
}

impl<'a> Ctx<'a> {
    /// A quality score of at least the rule's minimum (SRDI and little giant, 2026).
    pub(super) fn quality_leaf<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        q: &crate::rules::MinScore,
    ) -> Verdict {
        self.cond(
            t,
            tier,
            id,
            &q.clause,
            &[Col::QualityScore],
            Self::dec_at_least(self.e.quality_score, q.min_score),
            || Detail {
                threshold: format!("≥ {}", q.min_score),
                gap: gap_min_dec(Col::QualityScore, self.e.quality_score, q.min_score, false),
                ..Detail::default()
            },
        )
    }
}
