//! 专精特新“小巨人” under the 2022 and 2026 rules.

use super::*;

impl<'a> Ctx<'a> {
    pub(super) fn giant22<T: Tracer>(
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
            self.holds_or_meets_srdi(t, RuleId::Xj22P, &r.prerequisite.clause, srdi),
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
                    only: None,
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
                        true,
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
                notes: vec![Note::SmallFirmRdUnconfirmed],
                // With Y's revenue known, one branch applies: its inputs are the ones to fill in.
                only: x.rev.known().map(|rev| {
                    if g.tiers.iter().any(|b| rev >= b.min_revenue.units()) {
                        vec![Col::RdExpense, Col::RevenuePrev, Col::RdExpensePrev]
                    } else {
                        vec![Col::Equity2y, Col::RdExpense, Col::RdExpensePrev, Col::RdStaff, Col::Employees]
                    }
                }),
                // The part of the applicable branch that fails first, with its figures.
                gap: match g.tiers.iter().find(|b| x.rev.lo >= b.min_revenue.units()) {
                    Some(b) => [(Col::RdExpense, Col::Revenue, x.rd, x.rev), (Col::RdExpensePrev, Col::RevenuePrev, x.rd1, x.rev1)]
                        .into_iter()
                        .find(|(_, _, rd, rev)| !RatioRange::of(*rd, *rev).at_least(b.min_intensity).hold)
                        .and_then(|(nc, dc, rd, rev)| gap_ratio_min(RuleId::Xj22_4G1, nc, dc, rd, rev, b.min_intensity.into(), true)),
                    None if !iv_at_least(x.eq2, g.small_min_equity_2y.units()).hold => {
                        gap_min_money(Col::Equity2y, x.eq2, g.small_min_equity_2y.units())
                    }
                    None if !iv_at_least(x.rd + x.rd1, g.small_min_rd_2y.units()).hold => gap(GapKind::TwoYearRd {
                        have: Money((x.rd + x.rd1).lo),
                        short: Money(g.small_min_rd_2y.units() - (x.rd + x.rd1).lo),
                    }),
                    None => gap_ratio_min(RuleId::Xj22_4G1, Col::RdStaff, Col::Employees, x.rd_staff, x.employees, g.small_min_rd_staff_share.into(), false),
                },
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
    pub(super) fn rd_year(rd: Iv, rev: Iv, min_rd: Wan, t: Ppm) -> Can {
        let top = Iv::point(rd.hi);
        Can {
            hold: rd.hi >= min_rd.units() && RatioRange::of(top, rev).at_least(t).hold,
            fail: rd.lo < min_rd.units() || RatioRange::of(rd, rev).at_least(t).fail,
        }
    }

    /// R&D in each of the last two years (ZX26-3a/3b, XJ26-3b/3c): an intensity of at least
    /// `min_intensity`, and (SRDI) an amount of at least `min_rd`, in each year.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rd_years_leaves<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        leaves: &mut Leaves,
        ids: [RuleId; 2],
        clause: &str,
        min_rd: Option<Wan>,
        min_intensity: Ppm,
    ) {
        let x = &self.x;
        let years = [
            (ids[0], x.rd, x.rev, Col::RdExpense, Col::Revenue),
            (ids[1], x.rd1, x.rev1, Col::RdExpensePrev, Col::RevenuePrev),
        ];
        for (id, rd, rev, rd_col, rev_col) in years {
            let rr = RatioRange::of(rd, rev);
            let min = min_rd.unwrap_or(Wan::ZERO);
            let v = self.cond(
                t,
                tier,
                id,
                clause,
                &[rd_col, rev_col],
                Self::rd_year(rd, rev, min, min_intensity),
                || Detail {
                    threshold: match min_rd {
                        Some(m) => format!("研发费用 ≥ {m}万 且研发强度 ≥ {min_intensity}"),
                        None => format!("≥ {min_intensity}"),
                    },
                    value: ratio_value(rr),
                    notes: undefined_note(rr),
                    gap: if rd.lo < min.units() {
                        gap_min_money(rd_col, rd, min.units())
                    } else {
                        gap_ratio_min(id, rd_col, rev_col, rd, rev, min_intensity.into(), true)
                    },
                    only: None,
                },
            );
            leaves.add(id, v);
        }
    }

    /// Innovation of the 2026 rules (ZX26-4, XJ26-4): applied class-I IP, or an award, or (SRDI)
    /// an R&D institution.
    pub(super) fn innovation26_leaf<T: Tracer>(
        &self,
        t: &mut T,
        tier: Option<Tier>,
        id: RuleId,
        inn: &crate::rules::Innovation26,
    ) -> Verdict {
        let cols: &[Col] = if inn.min_rd_institution.is_some() {
            &[
                Col::Ip1Applied,
                Col::AwardLevel,
                Col::AwardRank,
                Col::AwardYear,
                Col::RdInstitution,
            ]
        } else {
            &[
                Col::Ip1Applied,
                Col::AwardLevel,
                Col::AwardRank,
                Col::AwardYear,
            ]
        };
        self.cond(
            t,
            tier,
            id,
            &inn.clause,
            cols,
            self.innovation26(inn),
            || {
                let levels = if inn.award_levels == [AwardKey::National] {
                    "国家级"
                } else {
                    "省级以上"
                };
                let institution = if inn.min_rd_institution.is_some() {
                    "，或省级以上研发机构"
                } else {
                    ""
                };
                Detail {
                    threshold: format!(
                        "已应用Ⅰ类知识产权 ≥ {}，或近{}年{levels}科技奖励前{}{institution}",
                        inn.min_ip1_applied, inn.award_window_years, inn.award_max_rank
                    ),
                    gap: gap_min_count(
                        Col::Ip1Applied,
                        self.x.ip1app,
                        i64::from(inn.min_ip1_applied),
                    ),
                    ..Detail::default()
                }
            },
        )
    }

    pub(super) fn innovation26(&self, r: &crate::rules::Innovation26) -> Can {
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
}

impl<'a> Ctx<'a> {
    pub(super) fn giant26<T: Tracer>(
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
            self.holds_or_meets_srdi(t, RuleId::Xj26_1a, &r.prerequisite.clause, srdi),
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
                        "√(营业收入(Y) / 营业收入(Y-2)) − 1 ≥ {}（即比值 ≥ (1+{})²）",
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
                    only: None,
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
                            gap(GapKind::TwoYearRd {
                                have: Money(two.lo),
                                short: Money(d),
                            })
                        },
                    ),
                    ..Detail::default()
                },
            ),
        );
        self.rd_years_leaves(
            t,
            tier,
            &mut leaves,
            [RuleId::Xj26_3b, RuleId::Xj26_3c],
            &r.rd_intensity.clause,
            None,
            r.rd_intensity.min_intensity,
        );
        leaves.add(
            RuleId::Xj26_4,
            self.innovation26_leaf(t, tier, RuleId::Xj26_4, &r.innovation),
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
            self.quality_leaf(t, tier, RuleId::Xj26_7, &r.quality_score),
        );
        (leaves.all, leaves.failed)
    }
}

impl<'a> Ctx<'a> {
    /// The little giant's prerequisite under either rule set: the SRDI title held, or SRDI met
    /// by this evaluation.
    fn holds_or_meets_srdi<T: Tracer>(
        &self,
        t: &mut T,
        id: RuleId,
        clause: &str,
        srdi: Verdict,
    ) -> Verdict {
        self.cond(
            t,
            Some(Tier::Giant),
            id,
            clause,
            &[Col::SrdiUntil],
            Can::known(self.held(self.e.srdi_until)).or(can_of(srdi)),
            || Detail {
                threshold: "已获专精特新中小企业称号（有效期内），或本次评价达到专精特新".into(),
                gap: gap(GapKind::Prerequisite {
                    tiers: vec![Tier::Srdi],
                }),
                ..Detail::default()
            },
        )
    }
}
