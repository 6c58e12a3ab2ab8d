//! 创新型中小企业 (innovation-type SME): the direct routes and the score.

use super::*;

impl<'a> Ctx<'a> {
    /// The direct routes and the score route of 创新型: whether it qualifies, before the gates.
    pub(super) fn innovative<T: Tracer>(&self, t: &mut T) -> (Verdict, Route, Option<Dec4>) {
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
                        (total, cx.min_total, ScorePart::Total, vec![]),
                        (
                            innovation,
                            cx.min_innovation,
                            ScorePart::Innovation,
                            vec![RuleId::Cx1, RuleId::Cx2],
                        ),
                        (
                            growth,
                            cx.min_growth,
                            ScorePart::Growth,
                            vec![RuleId::Cx3, RuleId::Cx4],
                        ),
                        (
                            spec,
                            cx.min_specialisation,
                            ScorePart::Specialisation,
                            vec![RuleId::Cx5, RuleId::Cx6],
                        ),
                    ];
                    let short: Vec<PartShort> = parts
                        .into_iter()
                        .filter(|(p, min, _, _)| p.lo < min.units())
                        .map(|(p, min, part, from)| PartShort {
                            part,
                            have: points(p),
                            min,
                            short: points(Pts::exactly(min.units() - p.lo)),
                            from,
                        })
                        .collect();
                    (!short.is_empty()).then(|| Gap::new(GapKind::ScoreParts { parts: short }))
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
    pub(super) fn ratio_indicator<T: Tracer>(
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
                only: None,
            }
        })
    }

    // ---- tech-based (科技型) -----------------------------------------------------------------
}
