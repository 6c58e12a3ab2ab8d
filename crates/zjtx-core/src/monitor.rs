//! Monitoring figures read from firms' yearly records (issue 14): whether a firm is above-scale
//! industry and high-tech in a year, and the two transitions the bureau counts (两化): firms that
//! became above-scale while holding the high-tech title, and new high-tech firms that are
//! above-scale.

use chrono::{Datelike, Months, NaiveDate};

use crate::num::Wan;
use crate::rules::{AboveScaleRules, HighTech};

/// What the figures read of a firm's year.
#[derive(Clone, Debug, Default)]
pub struct YearFacts {
    pub industry_code: String,
    pub main_revenue: Option<Wan>,
    pub high_tech_issued_on: Option<NaiveDate>,
}

/// Above-scale industry in that year: an industrial section and main-business revenue at or
/// above the threshold (a blank revenue is not above-scale).
pub fn above_scale(r: &AboveScaleRules, f: &YearFacts) -> bool {
    r.sections
        .iter()
        .any(|s| f.industry_code.starts_with(s.as_str()))
        && f.main_revenue.is_some_and(|m| m >= r.main_revenue)
}

/// Holding a valid high-tech certificate at the end of `year`.
pub fn high_tech(h: &HighTech, f: &YearFacts, year: i32) -> bool {
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    f.high_tech_issued_on.is_some_and(|d| {
        d <= end
            && d.checked_add_months(Months::new(h.validity_months))
                .is_some_and(|until| until > end)
    })
}

/// The two transitions of a firm into `year` (its facts of the year before, if recorded):
/// (became above-scale while high-tech, newly high-tech while above-scale). A firm without a
/// record of the year before has no known past and is not counted as having become above-scale.
pub fn transitions(
    r: &AboveScaleRules,
    h: &HighTech,
    before: Option<&YearFacts>,
    now: &YearFacts,
    year: i32,
) -> (bool, bool) {
    let above = above_scale(r, now);
    let ht = high_tech(h, now, year);
    let became = above && ht && before.is_some_and(|b| !above_scale(r, b));
    let new_ht = ht && above && now.high_tech_issued_on.is_some_and(|d| d.year() == year);
    (became, new_ht)
}

/// Where a firm stands between two rule sets for one tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Between {
    Both,
    /// Qualifies under the older set only.
    OldOnly,
    /// Qualifies under the newer set only.
    NewOnly,
    Neither,
}

/// A tier's verdicts under the older and the newer set: only a pass qualifies (a verdict left
/// for review does not).
pub fn between(old: crate::trace::Verdict, new: crate::trace::Verdict) -> Between {
    use crate::trace::Verdict::Pass;
    match (old == Pass, new == Pass) {
        (true, true) => Between::Both,
        (true, false) => Between::OldOnly,
        (false, true) => Between::NewOnly,
        (false, false) => Between::Neither,
    }
}

/// How a firm's top tier moved from one year to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Movement {
    Held,
    Rose,
    Fell,
    /// From a tier to none.
    Lost,
}

fn rank(t: crate::trace::TopTier) -> u8 {
    use crate::trace::TopTier::*;
    match t {
        Giant => 4,
        Srdi => 3,
        Innovative => 2,
        TechSme => 1,
        None => 0,
    }
}

/// The movement between two years' top tiers; `None` when the firm reached no tier in either.
pub fn movement(before: crate::trace::TopTier, now: crate::trace::TopTier) -> Option<Movement> {
    let (b, n) = (rank(before), rank(now));
    match (b, n) {
        (0, 0) => Option::None,
        (_, 0) => Some(Movement::Lost),
        _ if n == b => Some(Movement::Held),
        _ if n > b => Some(Movement::Rose),
        _ => Some(Movement::Fell),
    }
}

/// `v × num / den`, exact in whole units (rounded toward zero); `None` when it overflows.
fn scale(v: Wan, num: i64, den: i64) -> Option<Wan> {
    let raw = i128::from(v.units()) * i128::from(num) / i128::from(den);
    Wan::from_units(i64::try_from(raw).ok()?)
}

/// A firm's record carried `years` ahead at its own recent growth: revenue, main-business revenue
/// and R&D expense each grow at their last year's rate (revenue's when a series has no earlier
/// year), costs, assets, liabilities and profit with revenue, the earlier years shifting down;
/// head counts, titles, dates and the rest stay as recorded. `None` when the record gives no
/// growth rate (revenue or its year before blank or not positive).
pub fn project(
    e: &crate::enterprise::Enterprise,
    years: u32,
) -> Option<crate::enterprise::Enterprise> {
    let mut p = e.clone();
    for _ in 0..years {
        let (r, rp) = (p.revenue?, p.revenue_prev?);
        if r.units() <= 0 || rp.units() <= 0 {
            return None;
        }
        let (num, den) = (r.units(), rp.units());
        let own = |now: Option<Wan>, prev: Option<Wan>| -> Option<Wan> {
            let v = now?;
            match prev {
                Some(b) if b.units() > 0 => scale(v, v.units(), b.units()),
                _ => scale(v, num, den),
            }
        };
        let with_revenue = |v: Option<Wan>| v.and_then(|v| scale(v, num, den));
        let main = own(p.main_revenue, p.main_revenue_prev);
        let rd = own(p.rd_expense, p.rd_expense_prev);
        p.revenue_prev2 = p.revenue_prev;
        p.revenue_prev = p.revenue;
        p.revenue = scale(r, num, den);
        p.main_revenue_prev2 = p.main_revenue_prev;
        p.main_revenue_prev = p.main_revenue;
        p.main_revenue = main;
        p.rd_expense_prev = p.rd_expense;
        p.rd_expense = rd;
        p.total_cost = with_revenue(p.total_cost);
        p.total_assets = with_revenue(p.total_assets);
        p.total_liabilities = with_revenue(p.total_liabilities);
        p.net_profit = with_revenue(p.net_profit);
        p.year = p.year.map(|y| y + 1);
    }
    Some(p)
}

/// A firm in a cohort comparison (programme recipients against similar non-recipients): its
/// stratum at the start — top tier, size and chain — whether it received an award, its revenue at
/// the start, and each later year's revenue and top tier.
#[derive(Clone, Debug)]
pub struct Member {
    pub recipient: bool,
    pub tier: crate::trace::TopTier,
    pub size: crate::trace::Size,
    pub chain: String,
    pub revenue: Option<Wan>,
    /// (year, revenue, top tier) of the years after the start.
    pub later: Vec<(i32, Option<Wan>, crate::trace::TopTier)>,
}

/// One group's figures in one later year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupYear {
    /// Firms of the group with a record of the year.
    pub firms: usize,
    /// The median revenue growth since the start, in parts per million, over the firms with
    /// both revenues known (start positive); `None` when there is none.
    pub median_growth_ppm: Option<i64>,
    /// Firms whose top tier is above their tier at the start.
    pub rose: usize,
}

/// The comparison of one later year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortYear {
    pub year: i32,
    pub recipients: GroupYear,
    pub peers: GroupYear,
}

/// The stratum of a member: firms are compared only within a stratum (same tier, size and chain at
/// the start) that holds both recipients and non-recipients.
type Stratum = (u8, crate::trace::Size, String);

fn stratum(m: &Member) -> Stratum {
    (rank(m.tier), m.size, m.chain.clone())
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return Option::None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// Recipients against their matched non-recipients, year by year: (recipients matched, peers
/// matched, the years). A recipient whose stratum holds no non-recipient is left out, and so is
/// a non-recipient whose stratum holds no recipient.
pub fn compare(members: &[Member]) -> (usize, usize, Vec<CohortYear>) {
    use std::collections::{BTreeSet, HashSet};
    let with = |recipient: bool| -> HashSet<Stratum> {
        members
            .iter()
            .filter(|m| m.recipient == recipient)
            .map(stratum)
            .collect()
    };
    let (r, n) = (with(true), with(false));
    let matched: Vec<&Member> = members
        .iter()
        .filter(|m| r.contains(&stratum(m)) && n.contains(&stratum(m)))
        .collect();
    let years: BTreeSet<i32> = matched
        .iter()
        .flat_map(|m| m.later.iter().map(|l| l.0))
        .collect();
    let group = |recipient: bool, year: i32| -> GroupYear {
        let mut g = GroupYear::default();
        let mut growth = Vec::new();
        for m in matched.iter().filter(|m| m.recipient == recipient) {
            let Some((_, rev, tier)) = m.later.iter().find(|l| l.0 == year) else {
                continue;
            };
            g.firms += 1;
            if rank(*tier) > rank(m.tier) {
                g.rose += 1;
            }
            if let (Some(a), Some(b)) = (m.revenue, *rev)
                && a.units() > 0
            {
                let ppm = (i128::from(b.units()) - i128::from(a.units())) * 1_000_000
                    / i128::from(a.units());
                growth.push(i64::try_from(ppm).unwrap_or(i64::MAX));
            }
        }
        g.median_growth_ppm = median(growth);
        g
    };
    let count = |recipient: bool| matched.iter().filter(|m| m.recipient == recipient).count();
    (
        count(true),
        count(false),
        years
            .into_iter()
            .map(|y| CohortYear {
                year: y,
                recipients: group(true, y),
                peers: group(false, y),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> (AboveScaleRules, HighTech) {
        (
            AboveScaleRules {
                clause: String::new(),
                conf: String::new(),
                sections: vec!["B".into(), "C".into(), "D".into()],
                main_revenue: Wan::whole(2000),
            },
            HighTech {
                clause: String::new(),
                conf: String::new(),
                validity_months: 36,
            },
        )
    }

    fn f(code: &str, main: Option<i64>, issued: Option<(i32, u32, u32)>) -> YearFacts {
        YearFacts {
            industry_code: code.into(),
            main_revenue: main.map(Wan::whole),
            high_tech_issued_on: issued.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        }
    }

    #[test]
    fn the_transitions_as_a_table() {
        let (r, h) = rules();
        let cases = [
            (
                "crossed 2000 with a valid certificate",
                Some(f("C3981", Some(1800), Some((2023, 5, 1)))),
                f("C3981", Some(2000), Some((2023, 5, 1))),
                (true, false),
            ),
            (
                "already above-scale the year before",
                Some(f("C3981", Some(2100), Some((2023, 5, 1)))),
                f("C3981", Some(2500), Some((2023, 5, 1))),
                (false, false),
            ),
            (
                "no record the year before",
                None,
                f("C3981", Some(2500), Some((2023, 5, 1))),
                (false, false),
            ),
            (
                "certificate expired by the year's end (2022-12-31 + 36 months)",
                Some(f("C3981", Some(100), Some((2022, 12, 31)))),
                f("C3981", Some(2500), Some((2022, 12, 31))),
                (false, false),
            ),
            (
                "certificate of the year and above-scale: new high-tech, and crossed",
                Some(f("C3981", Some(1999), None)),
                f("C3981", Some(2000), Some((2025, 11, 1))),
                (true, true),
            ),
            (
                "certificate of the year, above-scale already",
                Some(f("C2611", Some(9000), None)),
                f("C2611", Some(9000), Some((2025, 3, 1))),
                (false, true),
            ),
            (
                "certificate issued after the year",
                Some(f("C3981", Some(100), None)),
                f("C3981", Some(2500), Some((2026, 1, 2))),
                (false, false),
            ),
            (
                "not industry",
                Some(f("I6513", Some(100), None)),
                f("I6513", Some(90000), Some((2025, 3, 1))),
                (false, false),
            ),
            (
                "blank main revenue",
                Some(f("C3981", Some(100), None)),
                f("C3981", None, Some((2025, 3, 1))),
                (false, false),
            ),
        ];
        for (name, before, now, want) in cases {
            assert_eq!(
                transitions(&r, &h, before.as_ref(), &now, 2025),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn movements() {
        use crate::trace::TopTier::*;
        let cases = [
            (Srdi, Srdi, Some(Movement::Held)),
            (Innovative, Srdi, Some(Movement::Rose)),
            (None, TechSme, Some(Movement::Rose)),
            (Giant, Srdi, Some(Movement::Fell)),
            (TechSme, None, Some(Movement::Lost)),
            (None, None, Option::None),
        ];
        for (b, n, want) in cases {
            assert_eq!(movement(b, n), want, "{b:?} → {n:?}");
        }
    }

    #[test]
    fn between_two_sets() {
        use crate::trace::Verdict::*;
        let cases = [
            (Pass, Pass, Between::Both),
            (Pass, Fail, Between::OldOnly),
            (Pass, Review, Between::OldOnly),
            (Fail, Pass, Between::NewOnly),
            (Review, Fail, Between::Neither),
        ];
        for (o, n, want) in cases {
            assert_eq!(between(o, n), want, "{o:?} {n:?}");
        }
    }

    fn firm(revenue: Option<i64>, prev: Option<i64>) -> crate::enterprise::Enterprise {
        let mut e = crate::enterprise::Enterprise::new(
            crate::ids::Uscc::parse("91330106MA27XL0Q5T").unwrap_or_else(|e| panic!("{e}")),
            "试",
            crate::ids::IndustryCode::parse("C3981").unwrap_or_else(|e| panic!("{e:?}")),
        );
        e.year = Some(2025);
        e.revenue = revenue.map(Wan::whole);
        e.revenue_prev = prev.map(Wan::whole);
        e
    }

    #[test]
    fn projection_at_the_firms_own_rate() {
        let w = |s: &str| Wan::parse(s).ok();
        let mut e = firm(Some(100), Some(80));
        e.main_revenue = w("90");
        e.main_revenue_prev = w("60");
        e.rd_expense = w("10");
        e.total_assets = w("200");
        e.employees = Some(50);
        let one = project(&e, 1).unwrap_or_else(|| panic!("a rate"));
        assert_eq!(
            (one.revenue, one.revenue_prev, one.revenue_prev2),
            (w("125"), w("100"), w("80"))
        );
        // Main revenue at its own rate (×1.5); R&D without an earlier year at revenue's (×1.25).
        assert_eq!(
            (one.main_revenue, one.main_revenue_prev),
            (w("135"), w("90"))
        );
        assert_eq!((one.rd_expense, one.rd_expense_prev), (w("12.5"), w("10")));
        assert_eq!(one.total_assets, w("250"));
        assert_eq!((one.employees, one.year), (Some(50), Some(2026)));
        let two = project(&e, 2).unwrap_or_else(|| panic!("a rate"));
        assert_eq!(
            (two.revenue, two.revenue_prev, two.revenue_prev2),
            (w("156.25"), w("125"), w("100"))
        );
        assert_eq!(two.main_revenue, w("202.5"));
        assert_eq!(two.year, Some(2027));
        // No rate: no projection.
        for (r, p) in [(Some(100), None), (None, Some(80)), (Some(100), Some(0))] {
            assert!(project(&firm(r, p), 1).is_none(), "{r:?} {p:?}");
        }
        // Shrinking firms shrink.
        let down = project(&firm(Some(80), Some(100)), 1).unwrap_or_else(|| panic!("a rate"));
        assert_eq!(down.revenue, w("64"));
    }

    #[test]
    fn cohorts_compare_within_strata() {
        use crate::trace::{Size, TopTier as T};
        let m =
            |recipient: bool, tier: T, chain: &str, start: i64, later: &[(i32, i64, T)]| Member {
                recipient,
                tier,
                size: Size::Small,
                chain: chain.into(),
                revenue: Some(Wan::whole(start)),
                later: later
                    .iter()
                    .map(|(y, r, t)| (*y, Some(Wan::whole(*r)), *t))
                    .collect(),
            };
        let members = [
            // Stratum (SRDI, small, 智能制造): two recipients, two peers.
            m(
                true,
                T::Srdi,
                "智能制造",
                100,
                &[(2025, 150, T::Giant), (2026, 200, T::Giant)],
            ),
            m(true, T::Srdi, "智能制造", 100, &[(2025, 110, T::Srdi)]),
            m(
                false,
                T::Srdi,
                "智能制造",
                100,
                &[(2025, 100, T::Srdi), (2026, 90, T::Innovative)],
            ),
            m(false, T::Srdi, "智能制造", 200, &[(2025, 220, T::Srdi)]),
            // A recipient with no peer in its stratum, a peer with no recipient: both left out.
            m(
                true,
                T::Innovative,
                "生物医药",
                50,
                &[(2025, 500, T::Giant)],
            ),
            m(false, T::Innovative, "智能制造", 50, &[(2025, 5, T::None)]),
        ];
        let (r, p, years) = compare(&members);
        assert_eq!((r, p), (2, 2));
        assert_eq!(
            years,
            vec![
                CohortYear {
                    year: 2025,
                    // Growth +50% and +10%: the median +30%.
                    recipients: GroupYear {
                        firms: 2,
                        median_growth_ppm: Some(300_000),
                        rose: 1
                    },
                    // 0% and +10%: +5%.
                    peers: GroupYear {
                        firms: 2,
                        median_growth_ppm: Some(50_000),
                        rose: 0
                    },
                },
                CohortYear {
                    year: 2026,
                    recipients: GroupYear {
                        firms: 1,
                        median_growth_ppm: Some(1_000_000),
                        rose: 1
                    },
                    peers: GroupYear {
                        firms: 1,
                        median_growth_ppm: Some(-100_000),
                        rose: 0
                    },
                },
            ]
        );
    }
}
