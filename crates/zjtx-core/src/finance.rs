//! The finance zone's domain: product kinds, data categories a firm can consent to, and matching an
//! enterprise (or its financing need) against a product's eligibility, with a reason for every rule
//! met or missed and by how much.

use serde::{Deserialize, Serialize};

/// Kinds of financial products (`programmes.md` §1).
pub const PRODUCT_KINDS: &[&str] = &[
    "loan",
    "guarantee",
    "insurance",
    "ip_pledge",
    "investment_loan",
    "equity_debt",
];

/// Kinds of institutions.
pub const INSTITUTION_KINDS: &[&str] = &["bank", "guarantee", "insurer", "fund"];

/// Collateral modes, as products offer them and needs accept them.
pub const COLLATERAL: &[&str] = &["credit", "pledge", "guarantee", "ip_pledge"];

/// Data categories a firm can let an institution see.
pub const CATEGORIES: &[&str] = &["profile", "financials", "ip", "titles", "evaluations"];

/// Who a product is for. Empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// Tier keys (`innovative`, `tech_sme`, `srdi`, `giant`): the enterprise must hold or meet one.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Size keys (`medium`, `small`, `micro`…).
    #[serde(default)]
    pub sizes: Vec<String>,
    /// Revenue of the latest year, in units of 1/10000 万元 (yuan).
    #[serde(default)]
    pub revenue_min: Option<i64>,
    /// Region codes of districts.
    #[serde(default)]
    pub districts: Vec<String>,
    #[serde(default)]
    pub ecosystems: Vec<String>,
}

/// A product's terms, for matching a need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// Amounts in yuan.
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_min: i64,
    pub term_max: i64,
    pub collateral: Vec<String>,
}

/// What matching knows of an enterprise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Tiers it holds (valid title) or meets now.
    pub tiers: Vec<String>,
    pub size: String,
    pub revenue: Option<i64>,
    pub district: Option<String>,
    pub ecosystem: Option<String>,
}

/// A financing need's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Need {
    pub amount: i64,
    pub term_months: i64,
    pub collateral: Vec<String>,
}

/// One rule of a match: met or missed, what was asked and what was found, and the shortfall where
/// there is one (revenue: yuan short of the floor; amount: yuan above the product's maximum).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub rule: &'static str,
    pub met: bool,
    pub required: String,
    pub found: String,
    pub short_by: Option<i64>,
}

/// A product's match for an enterprise (and need).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Match {
    pub eligible: bool,
    pub reasons: Vec<Reason>,
}

impl Match {
    pub fn met(&self) -> usize {
        self.reasons.iter().filter(|r| r.met).count()
    }
    /// Whether the only rule missed is the tier.
    pub fn only_tier_missing(&self) -> bool {
        !self.eligible && self.reasons.iter().all(|r| r.met || r.rule == "tier")
    }
}

fn list(v: &[String]) -> String {
    v.join("、")
}

/// Matches an enterprise (and, when given, its need) against a product.
pub fn check(el: &Eligibility, terms: &Terms, f: &Facts, need: Option<&Need>) -> Match {
    let mut reasons = Vec::new();
    let mut rule = |rule: &'static str, met: bool, required: String, found: String, short_by| {
        reasons.push(Reason {
            rule,
            met,
            required,
            found,
            short_by,
        })
    };
    if !el.tiers.is_empty() {
        let met = el.tiers.iter().any(|t| f.tiers.contains(t));
        rule("tier", met, list(&el.tiers), list(&f.tiers), None);
    }
    if !el.sizes.is_empty() {
        let met = el.sizes.contains(&f.size);
        rule("size", met, list(&el.sizes), f.size.clone(), None);
    }
    if let Some(min) = el.revenue_min {
        let (met, short) = match f.revenue {
            Some(r) if r >= min => (true, None),
            Some(r) => (false, Some(min - r)),
            None => (false, None),
        };
        rule(
            "revenue",
            met,
            min.to_string(),
            f.revenue.map(|r| r.to_string()).unwrap_or_default(),
            short,
        );
    }
    if !el.districts.is_empty() {
        let met = f
            .district
            .as_ref()
            .is_some_and(|d| el.districts.contains(d));
        rule(
            "district",
            met,
            list(&el.districts),
            f.district.clone().unwrap_or_default(),
            None,
        );
    }
    if !el.ecosystems.is_empty() {
        let met = f
            .ecosystem
            .as_ref()
            .is_some_and(|e| el.ecosystems.contains(e));
        rule(
            "ecosystem",
            met,
            list(&el.ecosystems),
            f.ecosystem.clone().unwrap_or_default(),
            None,
        );
    }
    if let Some(n) = need {
        let (met, short) = if n.amount > terms.max_amount {
            (false, Some(n.amount - terms.max_amount))
        } else {
            (n.amount >= terms.min_amount, None)
        };
        rule(
            "amount",
            met,
            format!("{}–{}", terms.min_amount, terms.max_amount),
            n.amount.to_string(),
            short,
        );
        let met = (terms.term_min..=terms.term_max).contains(&n.term_months);
        rule(
            "term",
            met,
            format!("{}–{}", terms.term_min, terms.term_max),
            n.term_months.to_string(),
            None,
        );
        if !n.collateral.is_empty() {
            let met = terms.collateral.iter().any(|c| n.collateral.contains(c));
            rule(
                "collateral",
                met,
                list(&terms.collateral),
                list(&n.collateral),
                None,
            );
        }
    }
    Match {
        eligible: reasons.iter().all(|r| r.met),
        reasons,
    }
}

/// Orders matches best first: eligible ones, then by rules met, then by the larger maximum amount,
/// then by the given key (a product id), so that the order is stable.
pub fn rank<K: Ord + Copy>(items: &mut [(K, Match, i64)]) {
    items.sort_by(|a, b| {
        b.1.eligible
            .cmp(&a.1.eligible)
            .then(b.1.met().cmp(&a.1.met()))
            .then(b.2.cmp(&a.2))
            .then(a.0.cmp(&b.0))
    });
}

/// The tier an enterprise would reach next, from the tiers it holds or meets.
pub fn next_tier(tiers: &[String]) -> Option<&'static str> {
    let has = |t: &str| tiers.iter().any(|x| x == t);
    if has("giant") {
        None
    } else if has("srdi") {
        Some("giant")
    } else if has("innovative") || has("tech_sme") {
        Some("srdi")
    } else {
        Some("innovative")
    }
}

/// What a consent "in predicates and bands only" shows of the figures it covers
/// (`common.toml` `[disclosure]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    pub clause: String,
    pub conf: String,
    /// Lower bounds of the revenue bands after the first (which starts at 0), 万元, ascending.
    pub revenue_bands_wan: Vec<i64>,
    /// Lower bounds of the headcount bands after the first, ascending.
    pub employee_bands: Vec<i64>,
    /// The longest a consent may run, in days.
    pub consent_max_days: i64,
    pub predicates: Vec<Predicate>,
}

/// A yes/no question answered instead of a figure.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// The answer's key in the API (fixed English).
    pub key: String,
    pub measure: Measure,
    /// The least value that answers yes, in the measure's unit.
    pub at_least: i64,
}

/// What a predicate measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Revenue of the latest year, 万元.
    RevenueWan,
    /// R&D expense over revenue of the latest year, percent.
    RdIntensityPercent,
    /// Class I intellectual property items.
    Ip1,
}

impl Measure {
    /// The consent category whose figures it answers for.
    pub fn category(self) -> &'static str {
        match self {
            Measure::RevenueWan | Measure::RdIntensityPercent => "financials",
            Measure::Ip1 => "ip",
        }
    }
}

/// A band: its lower bound and the next band's (None for the last, open band).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Band {
    pub from: i64,
    pub below: Option<i64>,
}

/// The figures predicates are answered from (revenue and R&D in yuan units as stored:
/// 1/10000 万元).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub revenue: Option<i64>,
    pub rd_expense: Option<i64>,
    pub ip1: Option<i64>,
}

/// The band of `bounds` (ascending lower bounds after 0) that `v` falls in.
pub fn band(bounds: &[i64], v: i64) -> Band {
    let i = bounds.partition_point(|b| *b <= v);
    Band {
        from: if i == 0 { 0 } else { bounds[i - 1] },
        below: bounds.get(i).copied(),
    }
}

impl Disclosure {
    /// The revenue band (万元) of a revenue in stored units.
    pub fn revenue_band(&self, units: i64) -> Band {
        band(&self.revenue_bands_wan, units / 10_000)
    }

    /// The least revenue (stored units) whose band's lower bound, in stored units, is at least
    /// `min`: what a predicates-only consent's band lets a revenue floor find. `None` when no
    /// band's lower bound reaches the floor; `i64::MIN` (every revenue) when the floor is 0 or
    /// below, since every band starts at 0 or above.
    pub fn banded_revenue_min(&self, min: i64) -> Option<i64> {
        if min <= 0 {
            return Some(i64::MIN);
        }
        self.revenue_bands_wan
            .iter()
            .map(|b| b.saturating_mul(10_000))
            .find(|b| *b >= min)
    }

    pub fn employee_band(&self, n: i64) -> Band {
        band(&self.employee_bands, n)
    }

    /// Each predicate's answer: yes, no, or None when a figure it needs is blank.
    pub fn answers(&self, f: &Figures) -> Vec<(&Predicate, Option<bool>)> {
        self.predicates
            .iter()
            .map(|p| {
                let yes = match p.measure {
                    Measure::RevenueWan => f.revenue.map(|r| r >= p.at_least * 10_000),
                    Measure::RdIntensityPercent => match (f.rd_expense, f.revenue) {
                        (Some(rd), Some(rev)) if rev > 0 => Some(rd * 100 >= rev * p.at_least),
                        (Some(_), Some(_)) => Some(false),
                        _ => None,
                    },
                    Measure::Ip1 => f.ip1.map(|n| n >= p.at_least),
                };
                (p, yes)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn srdi_loan() -> (Eligibility, Terms) {
        (
            Eligibility {
                tiers: s(&["srdi", "giant"]),
                sizes: s(&["small", "medium"]),
                revenue_min: Some(50_000_000),
                districts: s(&["330106", "330108"]),
                ecosystems: Vec::new(),
            },
            Terms {
                min_amount: 1_000_000,
                max_amount: 30_000_000,
                term_min: 12,
                term_max: 36,
                collateral: s(&["credit"]),
            },
        )
    }

    fn firm() -> Facts {
        Facts {
            tiers: s(&["innovative", "srdi"]),
            size: "small".into(),
            revenue: Some(80_000_000),
            district: Some("330106".into()),
            ecosystem: Some("高端装备".into()),
        }
    }

    /// Table: each case changes one fact or need term and names the rule it breaks.
    #[test]
    fn every_rule_is_met_or_missed_with_its_reason() {
        let (el, terms) = srdi_loan();
        let need = Need {
            amount: 5_000_000,
            term_months: 24,
            collateral: s(&["credit", "guarantee"]),
        };
        let m = check(&el, &terms, &firm(), Some(&need));
        assert!(m.eligible, "{m:?}");
        assert_eq!(
            m.reasons.iter().map(|r| r.rule).collect::<Vec<_>>(),
            [
                "tier",
                "size",
                "revenue",
                "district",
                "amount",
                "term",
                "collateral"
            ]
        );
        type Case = (&'static str, fn(&mut Facts, &mut Need), Option<i64>);
        let cases: [Case; 8] = [
            ("tier", |f, _| f.tiers = vec!["innovative".into()], None),
            ("size", |f, _| f.size = "micro".into(), None),
            (
                "revenue",
                |f, _| f.revenue = Some(45_000_000),
                Some(5_000_000),
            ),
            ("revenue", |f, _| f.revenue = None, None),
            ("district", |f, _| f.district = Some("330102".into()), None),
            ("amount", |_, n| n.amount = 35_000_000, Some(5_000_000)),
            ("term", |_, n| n.term_months = 60, None),
            (
                "collateral",
                |_, n| n.collateral = vec!["ip_pledge".into()],
                None,
            ),
        ];
        for (rule, change, short) in cases {
            let (mut f, mut n) = (firm(), need.clone());
            change(&mut f, &mut n);
            let m = check(&el, &terms, &f, Some(&n));
            let missed: Vec<&Reason> = m.reasons.iter().filter(|r| !r.met).collect();
            assert!(!m.eligible);
            assert_eq!(missed.len(), 1, "{rule}: {missed:?}");
            assert_eq!((missed[0].rule, missed[0].short_by), (rule, short));
        }
    }

    #[test]
    fn an_open_product_has_no_rules_but_the_need_s() {
        let open = Eligibility::default();
        let terms = Terms {
            min_amount: 0,
            max_amount: i64::MAX,
            term_min: 0,
            term_max: 1200,
            collateral: Vec::new(),
        };
        let m = check(&open, &terms, &Facts::default(), None);
        assert!(m.eligible && m.reasons.is_empty());
    }

    #[test]
    fn ranking_puts_eligible_first_then_nearer_then_larger() {
        let (el, terms) = srdi_loan();
        let f = firm();
        let ok = check(&el, &terms, &f, None);
        let mut poor = f.clone();
        poor.revenue = Some(1);
        poor.size = "micro".into();
        let two_missed = check(&el, &terms, &poor, None);
        let mut poorer = poor.clone();
        poorer.district = None;
        let three_missed = check(&el, &terms, &poorer, None);
        let mut items = vec![
            (3, three_missed, 10),
            (2, two_missed, 10),
            (1, ok.clone(), 5),
            (4, ok, 50),
        ];
        rank(&mut items);
        assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), [4, 1, 2, 3]);
    }

    #[test]
    fn reaching_the_next_tier_is_what_only_the_tier_blocks() {
        let (el, terms) = srdi_loan();
        let mut f = firm();
        f.tiers = s(&["innovative"]);
        let m = check(&el, &terms, &f, None);
        assert!(m.only_tier_missing());
        assert_eq!(next_tier(&f.tiers), Some("srdi"));
        f.tiers.push("srdi".into());
        assert!(check(&el, &terms, &f, None).eligible);
        assert_eq!(next_tier(&s(&[])), Some("innovative"));
        assert_eq!(next_tier(&s(&["giant", "srdi"])), None);
    }

    fn disclosure() -> Disclosure {
        crate::rules::load_all(&crate::rules::Embedded)
            .unwrap_or_else(|e| panic!("{e}"))
            .remove(0)
            .common
            .disclosure
            .clone()
    }

    #[test]
    fn bands_are_half_open_and_the_last_is_open() {
        let d = disclosure();
        let b = |from, below| Band { from, below };
        // Revenue in stored units (1/10000 万元).
        for (units, want) in [
            (0, b(0, Some(1_000))),
            (9_999_999, b(0, Some(1_000))),
            (10_000_000, b(1_000, Some(5_000))),
            (49_999_999, b(1_000, Some(5_000))),
            (50_000_000, b(5_000, Some(10_000))),
            (100_000_000, b(10_000, Some(50_000))),
            (500_000_000, b(50_000, None)),
        ] {
            assert_eq!(d.revenue_band(units), want, "{units}");
        }
        assert_eq!(d.employee_band(19), b(0, Some(20)));
        assert_eq!(d.employee_band(20), b(20, Some(100)));
        assert_eq!(d.employee_band(1_000), b(1_000, None));
        assert_eq!(band(&[], 5), b(0, None));
    }

    /// `banded_revenue_min` agrees with the bands: a revenue at or above it, and only such a
    /// revenue, has a band whose lower bound reaches the floor.
    #[test]
    fn the_banded_floor_is_where_the_bands_reach_it() {
        let d = disclosure();
        let revenues = (-20_000i64..700_000_000).step_by(3_333_331);
        for min in [
            -5,
            0,
            1,
            9_999_999,
            10_000_000,
            10_000_001,
            123_456_789,
            500_000_000,
            500_000_001,
        ] {
            let floor = d.banded_revenue_min(min);
            for r in revenues.clone().chain([9_999_999, 10_000_000, 500_000_000]) {
                let by_band = d.revenue_band(r).from * 10_000 >= min;
                let by_floor = floor.is_some_and(|f| r >= f);
                assert_eq!(by_band, by_floor, "revenue {r}, floor {min}");
            }
        }
    }

    #[test]
    fn predicates_answer_from_the_figures_and_say_unknown_for_blanks() {
        let d = disclosure();
        let answers = |f: Figures| -> Vec<(String, Option<bool>)> {
            d.answers(&f)
                .into_iter()
                .map(|(p, a)| (p.key.clone(), a))
                .collect()
        };
        let k = |s: &str, a| (s.to_owned(), a);
        assert_eq!(
            answers(Figures {
                revenue: Some(100_000_000),
                rd_expense: Some(3_000_000),
                ip1: Some(5),
            }),
            [
                k("revenue_ge_10000", Some(true)),
                k("revenue_ge_5000", Some(true)),
                k("rd_intensity_ge_3", Some(true)),
                k("ip1_ge_1", Some(true)),
                k("ip1_ge_5", Some(true)),
            ]
        );
        assert_eq!(
            answers(Figures {
                revenue: Some(99_999_999),
                rd_expense: Some(2_999_999),
                ip1: Some(4),
            }),
            [
                k("revenue_ge_10000", Some(false)),
                k("revenue_ge_5000", Some(true)),
                k("rd_intensity_ge_3", Some(false)),
                k("ip1_ge_1", Some(true)),
                k("ip1_ge_5", Some(false)),
            ]
        );
        assert_eq!(
            answers(Figures {
                revenue: Some(0),
                rd_expense: Some(0),
                ip1: None,
            }),
            [
                k("revenue_ge_10000", Some(false)),
                k("revenue_ge_5000", Some(false)),
                k("rd_intensity_ge_3", Some(false)),
                k("ip1_ge_1", None),
                k("ip1_ge_5", None),
            ]
        );
    }
}
