//! Size classification and the gates: the common gates and the rule set's incident gate.

use super::*;

impl<'a> Ctx<'a> {
    pub(super) fn size_row(&self) -> Option<&'a SizeRow> {
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

    pub(super) fn size<T: Tracer>(&self, t: &mut T) -> Size {
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
                    (None, _) => vec![Note::NoSizeRow],
                    (Some(_), Size::Unknown) => vec![Note::BlankMayChangeSize],
                    _ => Vec::new(),
                },
                gap: None,
            });
        }
        size
    }

    // ---- gates ------------------------------------------------------------------------------

    /// The gates of `common.toml`: size, lists, products.
    pub(super) fn common_gates<T: Tracer>(
        &self,
        t: &mut T,
        size: Size,
    ) -> (Verdict, Verdict, Verdict) {
        let g = &self.rs.common.gates;
        let sme = self.cond(
            t,
            None,
            RuleId::GSme,
            &g.sme.clause,
            &[
                Col::IndustryCode,
                Col::Employees,
                Col::Revenue,
                Col::TotalAssets,
            ],
            Can {
                hold: size != Size::Large,
                fail: matches!(size, Size::Large | Size::Unknown),
            },
            || Detail {
                threshold: "规模为中型、小型或微型（无法判定 → 待核实）".into(),
                value: Some(size.key().into()),
                gap: match (size, self.size_row()) {
                    // Undecided for want of a row: the code must be precise enough to pick one.
                    (Size::Unknown, None) => gap(GapKind::Gate {
                        need: GateNeed::SizeRow,
                    }),
                    // Undecided with a row: the blank figures the row classes by.
                    (Size::Unknown, Some(row)) => blank_gap(
                        &row.indicators
                            .iter()
                            .map(|i| match i {
                                SizeIndicator::Employees => (Col::Employees, self.x.employees),
                                SizeIndicator::Revenue => (Col::Revenue, self.x.rev),
                                SizeIndicator::TotalAssets => (Col::TotalAssets, self.x.assets),
                            })
                            .collect::<Vec<_>>(),
                    ),
                    _ => gap(GapKind::Gate {
                        need: GateNeed::SmeSize,
                    }),
                },
                // Undecided, the blanks that can change it are the figures its row classes by;
                // without a row, none (the code must be finer).
                only: Some(self.size_row().map_or_else(Vec::new, |row| {
                    row.indicators
                        .iter()
                        .map(|i| match i {
                            SizeIndicator::Employees => Col::Employees,
                            SizeIndicator::Revenue => Col::Revenue,
                            SizeIndicator::TotalAssets => Col::TotalAssets,
                        })
                        .collect()
                })),
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
                // Undecided: the blank lists (the default gap); on a list: no blank can help.
                gap: (self.e.abnormal_list == Some(true) || self.e.dishonest_list == Some(true))
                    .then(|| {
                        Gap::new(GapKind::Gate {
                            need: GateNeed::Listed,
                        })
                    }),
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
                gap: (self.e.restricted_products == Some(true)).then(|| {
                    Gap::new(GapKind::Gate {
                        need: GateNeed::RestrictedProducts,
                    })
                }),
                ..Detail::default()
            },
        );
        (sme, list, prod)
    }

    /// The rule set's own incident gate (G22-INC or G26-INC).
    pub(super) fn incident_gate<T: Tracer>(&self, t: &mut T) -> (Verdict, RuleId) {
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
            // Undecided: the blanks (the default gap); failed: the requirement.
            gap: (!bad.fail).then(|| {
                Gap::new(GapKind::Gate {
                    need: GateNeed::Incidents,
                })
            }),
            ..Detail::default()
        });
        (v, id)
    }

    // ---- innovative (创新型) -------------------------------------------------------------------
}
