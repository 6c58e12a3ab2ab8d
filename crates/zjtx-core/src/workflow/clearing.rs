//! The two clearings (两清零, issue 14): each year, the manufacturing firms with revenue at or
//! above one threshold and no R&D activity, and at or above a higher one with no R&D institution,
//! are listed; their district follows each up (actions with dates and evidence) and asks the city
//! to clear it (销号); the city clears it or sends it back. A firm listed again the next year is
//! flagged as a re-entry.
//!
//! ```text
//! listed ──action──▶ following ──district: request──▶ requested ──city: clear──▶ cleared
//!                      ▲  │ (more actions)                  │
//!                      └──┴──────────city: send back────────┘
//! ```

use chrono::NaiveDate;

use crate::enterprise::RdInstitution;
use crate::num::Wan;
use crate::rules::ClearingRules;

keyed!(
    /// The two lists.
    List {
        NoRd = "no_rd",
        NoInstitution = "no_institution",
    }
);

keyed!(
    /// Where a listed firm stands.
    Status {
        Listed = "listed",
        Following = "following",
        Requested = "requested",
        Cleared = "cleared",
    }
);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The firm's district office.
    District,
    City,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    WrongState(Status),
    /// An action says what was done, on a day not after today.
    Invalid,
    /// A request needs at least one action.
    NoAction,
    /// Clearing or sending back says why.
    ReasonRequired,
}

/// What the lists read of a firm's year.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub industry_code: String,
    pub revenue: Option<Wan>,
    pub rd_expense: Option<Wan>,
    pub rd_institution: Option<RdInstitution>,
}

/// The lists a firm's year puts it on: a manufacturing firm (the rule's section) at or above
/// each threshold, with no R&D expense (blank counts as none: the list is for following up), or
/// no R&D institution (blank likewise). A blank revenue lists nothing.
pub fn lists(r: &ClearingRules, f: &Facts) -> Vec<List> {
    let mut out = Vec::new();
    let Some(revenue) = f.revenue else {
        return out;
    };
    if !f.industry_code.starts_with(r.section.as_str()) {
        return out;
    }
    if revenue >= r.no_rd_revenue && f.rd_expense.is_none_or(|e| e.units() <= 0) {
        out.push(List::NoRd);
    }
    if revenue >= r.no_institution_revenue
        && f.rd_institution.is_none_or(|i| i == RdInstitution::None)
    {
        out.push(List::NoInstitution);
    }
    out
}

/// The district (or the city) records an action of the follow-up.
pub fn act(
    seat: Seat,
    state: Status,
    text: &str,
    on: &str,
    today: NaiveDate,
) -> Result<(Status, NaiveDate), Refusal> {
    if seat == Seat::Other {
        return Err(Refusal::NotYourSeat);
    }
    if !matches!(state, Status::Listed | Status::Following) {
        return Err(Refusal::WrongState(state));
    }
    let on = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today);
    match on {
        Some(d) if !text.trim().is_empty() && text.chars().count() <= 2000 => {
            Ok((Status::Following, d))
        }
        _ => Err(Refusal::Invalid),
    }
}

/// The district asks the city to clear a firm it has followed up.
pub fn request(seat: Seat, state: Status, actions: usize) -> Result<Status, Refusal> {
    if seat != Seat::District {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Following {
        return Err(Refusal::WrongState(state));
    }
    if actions == 0 {
        return Err(Refusal::NoAction);
    }
    Ok(Status::Requested)
}

/// The city clears a requested firm, or sends it back, saying why.
pub fn decide(seat: Seat, state: Status, clear: bool, reason: &str) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Requested {
        return Err(Refusal::WrongState(state));
    }
    if reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    Ok(if clear {
        Status::Cleared
    } else {
        Status::Following
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn rules() -> ClearingRules {
        ClearingRules {
            clause: String::new(),
            conf: String::new(),
            section: "C".into(),
            no_rd_revenue: Wan::whole(10000),
            no_institution_revenue: Wan::whole(50000),
        }
    }

    #[test]
    fn the_lists_as_a_table() {
        let f =
            |code: &str, rev: Option<i64>, rd: Option<i64>, inst: Option<RdInstitution>| Facts {
                industry_code: code.into(),
                revenue: rev.map(Wan::whole),
                rd_expense: rd.map(Wan::whole),
                rd_institution: inst,
            };
        let cases = [
            (
                "1亿 exactly, no R&D",
                f("C3981", Some(10000), Some(0), Some(RdInstitution::City)),
                vec![List::NoRd],
            ),
            ("just under 1亿", f("C3981", Some(9999), None, None), vec![]),
            (
                "R&D expense recorded",
                f("C3981", Some(20000), Some(5), None),
                vec![],
            ),
            (
                "blank R&D expense counts as none",
                f("C3981", Some(20000), None, Some(RdInstitution::City)),
                vec![List::NoRd],
            ),
            (
                "5亿, no institution and no R&D",
                f("C2611", Some(50000), None, Some(RdInstitution::None)),
                vec![List::NoRd, List::NoInstitution],
            ),
            (
                "5亿 with a city-level institution",
                f("C2611", Some(60000), Some(100), Some(RdInstitution::City)),
                vec![],
            ),
            (
                "5亿, blank institution",
                f("C2611", Some(60000), Some(100), None),
                vec![List::NoInstitution],
            ),
            (
                "not manufacturing",
                f("I6513", Some(90000), None, None),
                vec![],
            ),
            ("blank revenue", f("C3981", None, None, None), vec![]),
        ];
        for (name, facts, want) in cases {
            assert_eq!(lists(&rules(), &facts), want, "{name}");
        }
    }

    #[test]
    fn the_follow_up_as_a_table() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        assert_eq!(
            act(Seat::District, Listed, "上门走访", "2026-05-20", today).map(|x| x.0),
            Ok(Following)
        );
        assert_eq!(
            act(Seat::City, Following, "座谈", "2026-06-01", today).map(|x| x.0),
            Ok(Following)
        );
        assert_eq!(
            act(Seat::District, Listed, " ", "2026-05-20", today),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            act(Seat::District, Listed, "x", "2026-06-02", today),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            act(Seat::District, Cleared, "x", "2026-05-20", today),
            Err(Refusal::WrongState(Cleared))
        );
        assert_eq!(
            act(Seat::Other, Listed, "x", "2026-05-20", today),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(request(Seat::District, Following, 2), Ok(Requested));
        assert_eq!(
            request(Seat::District, Following, 0),
            Err(Refusal::NoAction)
        );
        assert_eq!(
            request(Seat::District, Listed, 1),
            Err(Refusal::WrongState(Listed))
        );
        assert_eq!(request(Seat::City, Following, 1), Err(Refusal::NotYourSeat));
        assert_eq!(
            decide(Seat::City, Requested, true, "已建立研发机构"),
            Ok(Cleared)
        );
        assert_eq!(
            decide(Seat::City, Requested, false, "佐证不足"),
            Ok(Following)
        );
        assert_eq!(
            decide(Seat::City, Requested, true, ""),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            decide(Seat::District, Requested, true, "x"),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(
            decide(Seat::City, Following, true, "x"),
            Err(Refusal::WrongState(Following))
        );
    }
}
