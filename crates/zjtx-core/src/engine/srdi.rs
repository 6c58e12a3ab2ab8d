//! 专精特新中小企业 under the 2022 and 2026 rules.

use super::*;

impl<'a> Ctx<'a> {
    pub(super) fn srdi22<T: Tracer>(
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
                gap: gap(GapKind::Prerequisite {
                    tiers: vec![Tier::Innovative],
                }),
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
                only: None,
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
                only: None,
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
        let rr11 = x.rd_rev;
        let pi = bands_pts(&ri.intensity, &[], ri.otherwise, rr11, false);
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
                    Note::IntensityBand
                } else {
                    Note::AmountBand
                }],
                gap: ri
                    .amount
                    .iter()
                    .rev()
                    .find(|(_, p)| p.units() > s11.lo)
                    .and_then(|(m, p)| {
                        gap_min_money(Col::RdExpense, x.rd, m.units()).map(|g| with_points(g, *p))
                    }),
                only: None,
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
                gap: gap(GapKind::Score {
                    have: points(total),
                    min: r.score.min_total,
                    short: points(Pts::exactly(r.score.min_total.units() - total.lo)),
                }),
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
}

impl<'a> Ctx<'a> {
    pub(super) fn srdi26<T: Tracer>(
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
                    gap: gap(GapKind::Prerequisite {
                        tiers: vec![Tier::Innovative, Tier::TechSme],
                    }),
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
        self.rd_years_leaves(
            t,
            tier,
            &mut leaves,
            [RuleId::Zx26_3a, RuleId::Zx26_3b],
            &r.rd.clause,
            Some(r.rd.min_rd),
            r.rd.min_intensity,
        );
        leaves.add(
            RuleId::Zx26_4,
            self.innovation26_leaf(t, tier, RuleId::Zx26_4, &r.innovation),
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
            self.quality_leaf(t, tier, RuleId::Zx26_6, &r.quality_score),
        );
        (leaves.all, leaves.failed)
    }
}
