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
}
