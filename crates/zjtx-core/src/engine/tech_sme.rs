//! 科技型中小企业 (tech-based SME).

use super::*;

impl<'a> Ctx<'a> {
    /// KJ-2 and the routes of 科技型, before the gates.
    pub(super) fn tech_sme<T: Tracer>(&self, t: &mut T) -> (Verdict, Dec4) {
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
                    let mut passed = Vec::new();
                    let count = i64::from(caps.max_employees);
                    if x.employees.lo > count {
                        passed.push(CapPassed {
                            field: None,
                            have: Amount::Count(x.employees.lo),
                            max: Amount::Count(count),
                        });
                    }
                    for (col, iv, cap) in [
                        (Col::Revenue, x.rev, caps.max_revenue.units()),
                        (Col::TotalAssets, x.assets, caps.max_assets.units()),
                    ] {
                        if iv.lo > cap {
                            passed.push(CapPassed {
                                field: Some(col),
                                have: Amount::Money(Money(iv.lo)),
                                max: Amount::Money(Money(cap)),
                            });
                        }
                    }
                    if passed.is_empty() {
                        blank_gap(&[
                            (Col::Employees, x.employees),
                            (Col::Revenue, x.rev),
                            (Col::TotalAssets, x.assets),
                        ])
                    } else {
                        gap(GapKind::Caps { passed })
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
                    vec![Note::TechStaffFromRdStaff]
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
                only: None,
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
                    Note::RdOfCost
                } else {
                    Note::RdOfRevenue
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
                only: None,
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
                gap: gap(GapKind::ScoreWithRequired {
                    have: points(total),
                    min: kj.min_total,
                    required: RuleId::Kj1,
                }),
                ..Detail::default()
            }
        });
        let v = kj2.and(d1.or(d2).or(d3).or(d4).or(score_v));
        (v, Dec4::from_units(total.lo).unwrap_or(Dec4::ZERO))
    }

    // ---- SRDI and little giant, 2022 ------------------------------------------------------
}
