//! The quality-product catalogue (优质产品推荐目录): a titled firm (SRDI or above, title valid)
//! submits a product for a year's catalogue; its district, then the city, review it; the city puts
//! the approved ones on public notice for a number of working days; anyone may object during the
//! notice; after it, the city lists them in the published catalogue; a listed product can be
//! delisted with a reason.
//!
//! ```text
//! submitted ──district: recommend──▶ recommended ──city: approve──▶ approved ──notice──▶ notice
//!   │  ▲                                │                                                  │
//!   │  └──────(firm: resubmit)── returned ◀──(district or city: return)                  │
//!   └──(district or city: reject)──▶ rejected      notice ──objection upheld──▶ rejected   │
//! notice ──list (notice over, no open objection)──▶ listed ──delist (reason)──▶ delisted ◀──┘
//! ```

use chrono::{Datelike, Days, NaiveDate, Weekday};

keyed!(
    /// Where a catalogue entry stands.
    Status {
        Submitted = "submitted",
        Returned = "returned",
        Recommended = "recommended",
        Approved = "approved",
        Notice = "notice",
        Listed = "listed",
        Rejected = "rejected",
        Delisted = "delisted",
    }
);

/// Who acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The firm that submitted the product.
    Owner,
    /// The firm's district office.
    District,
    City,
    Other,
}

/// A reviewer's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// District: recommend; city: approve.
    Forward,
    Return,
    Reject,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// Only a firm holding a valid SRDI or little-giant title submits.
    NotTitled,
    WrongState(Status),
    /// A return, a rejection, a delisting or an upheld objection says why.
    ReasonRequired,
    /// The notice has not ended yet (until the date).
    NoticeRunning(NaiveDate),
    /// An objection to the entry is still open.
    ObjectionOpen,
    /// Objections are taken only during the notice.
    NotOnNotice,
    /// A field of the product is missing or too long.
    Invalid(Field),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Description,
    Year,
}

/// The longest product name and description, in characters.
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;

/// A product as submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub year: i32,
    pub name: String,
    pub description: String,
}

/// A firm submits a product for `year`'s catalogue (this year or the next).
pub fn submit(
    seat: Seat,
    titled: bool,
    year: &str,
    name: &str,
    description: &str,
    today: NaiveDate,
) -> Result<Entry, Refusal> {
    if seat != Seat::Owner {
        return Err(Refusal::NotYourSeat);
    }
    if !titled {
        return Err(Refusal::NotTitled);
    }
    let year = year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| *y == today.year() || *y == today.year() + 1)
        .ok_or(Refusal::Invalid(Field::Year))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(Refusal::Invalid(Field::Name));
    }
    let description = description.trim();
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(Refusal::Invalid(Field::Description));
    }
    Ok(Entry {
        year,
        name: name.to_owned(),
        description: description.to_owned(),
    })
}

/// The firm sends a returned entry back for review (after changing it).
pub fn resubmit(seat: Seat, state: Status) -> Result<Status, Refusal> {
    if seat != Seat::Owner {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Returned {
        return Err(Refusal::WrongState(state));
    }
    Ok(Status::Submitted)
}

/// A district reviews what was submitted; the city what the district recommended.
pub fn review(seat: Seat, state: Status, d: Decision, reason: &str) -> Result<Status, Refusal> {
    let forward = match (seat, state) {
        (Seat::District, Status::Submitted) => Status::Recommended,
        (Seat::City, Status::Recommended) => Status::Approved,
        (Seat::District | Seat::City, s) => return Err(Refusal::WrongState(s)),
        _ => return Err(Refusal::NotYourSeat),
    };
    match d {
        Decision::Forward => Ok(forward),
        _ if reason.trim().is_empty() => Err(Refusal::ReasonRequired),
        Decision::Return => Ok(Status::Returned),
        Decision::Reject => Ok(Status::Rejected),
    }
}

/// The last day of a notice of `working_days` starting on `from` (weekends do not count).
pub fn notice_until(from: NaiveDate, working_days: u32) -> NaiveDate {
    let mut d = from;
    let mut left = working_days;
    loop {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left = left.saturating_sub(1);
            if left == 0 {
                return d;
            }
        }
        d = d + Days::new(1);
    }
}

/// The city puts an approved entry on notice from today: the window it runs.
pub fn notice(
    seat: Seat,
    state: Status,
    working_days: u32,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Approved {
        return Err(Refusal::WrongState(state));
    }
    Ok((today, notice_until(today, working_days.max(1))))
}

/// Anyone may object while the entry is on notice.
pub fn object(
    state: Status,
    window: Option<(NaiveDate, NaiveDate)>,
    today: NaiveDate,
) -> Result<(), Refusal> {
    match window {
        Some((from, until)) if state == Status::Notice && from <= today && today <= until => Ok(()),
        _ => Err(Refusal::NotOnNotice),
    }
}

/// The city rules on an objection: upheld (with its reason), the entry is rejected; dismissed, it
/// stays on notice.
pub fn resolve(seat: Seat, state: Status, upheld: bool, reason: &str) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Notice {
        return Err(Refusal::WrongState(state));
    }
    if reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    Ok(if upheld {
        Status::Rejected
    } else {
        Status::Notice
    })
}

/// The city lists an entry once its notice is over with no objection open.
pub fn list(
    seat: Seat,
    state: Status,
    until: Option<NaiveDate>,
    open_objections: usize,
    today: NaiveDate,
) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Notice {
        return Err(Refusal::WrongState(state));
    }
    match until {
        Some(u) if today <= u => return Err(Refusal::NoticeRunning(u)),
        None => return Err(Refusal::WrongState(state)),
        _ => {}
    }
    if open_objections > 0 {
        return Err(Refusal::ObjectionOpen);
    }
    Ok(Status::Listed)
}

/// The city takes a listed product out of the catalogue, saying why.
pub fn delist(seat: Seat, state: Status, reason: &str) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Listed {
        return Err(Refusal::WrongState(state));
    }
    if reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    Ok(Status::Delisted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    #[test]
    fn submitting_as_a_table() {
        let long = "品".repeat(NAME_MAX + 1);
        type Case<'a> = (&'a str, Seat, bool, &'a str, &'a str, Result<i32, Refusal>);
        let cases: Vec<Case> = vec![
            (
                "a titled firm, this year",
                Seat::Owner,
                true,
                "2026",
                "高精度传感器",
                Ok(2026),
            ),
            (
                "next year's catalogue",
                Seat::Owner,
                true,
                "2027",
                "高精度传感器",
                Ok(2027),
            ),
            (
                "not a past year",
                Seat::Owner,
                true,
                "2025",
                "高精度传感器",
                Err(Refusal::Invalid(Field::Year)),
            ),
            (
                "a firm without a title",
                Seat::Owner,
                false,
                "2026",
                "高精度传感器",
                Err(Refusal::NotTitled),
            ),
            (
                "only the firm submits",
                Seat::City,
                true,
                "2026",
                "高精度传感器",
                Err(Refusal::NotYourSeat),
            ),
            (
                "a blank name",
                Seat::Owner,
                true,
                "2026",
                " ",
                Err(Refusal::Invalid(Field::Name)),
            ),
            (
                "a name too long",
                Seat::Owner,
                true,
                "2026",
                &long,
                Err(Refusal::Invalid(Field::Name)),
            ),
        ];
        for (name, seat, titled, year, product, want) in cases {
            let got = submit(seat, titled, year, product, "", d(3, 1)).map(|e| e.year);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn reviews_as_a_table() {
        use Decision::*;
        type Case<'a> = (Seat, Status, Decision, &'a str, Result<Status, Refusal>);
        let cases: &[Case] = &[
            (Seat::District, Submitted, Forward, "", Ok(Recommended)),
            (
                Seat::District,
                Submitted,
                Return,
                "补充检测报告",
                Ok(Returned),
            ),
            (
                Seat::District,
                Submitted,
                Reject,
                "非主导产品",
                Ok(Rejected),
            ),
            (
                Seat::District,
                Submitted,
                Return,
                " ",
                Err(Refusal::ReasonRequired),
            ),
            (Seat::City, Recommended, Forward, "", Ok(Approved)),
            (Seat::City, Recommended, Reject, "重复申报", Ok(Rejected)),
            (
                Seat::City,
                Submitted,
                Forward,
                "",
                Err(Refusal::WrongState(Submitted)),
            ),
            (
                Seat::District,
                Recommended,
                Forward,
                "",
                Err(Refusal::WrongState(Recommended)),
            ),
            (
                Seat::Owner,
                Submitted,
                Forward,
                "",
                Err(Refusal::NotYourSeat),
            ),
            (
                Seat::Other,
                Recommended,
                Forward,
                "",
                Err(Refusal::NotYourSeat),
            ),
        ];
        for (seat, state, decision, reason, want) in cases {
            assert_eq!(
                review(*seat, *state, *decision, reason),
                *want,
                "{seat:?} {state:?} {decision:?}"
            );
        }
        assert_eq!(resubmit(Seat::Owner, Returned), Ok(Submitted));
        assert_eq!(
            resubmit(Seat::Owner, Rejected),
            Err(Refusal::WrongState(Rejected))
        );
        assert_eq!(
            resubmit(Seat::District, Returned),
            Err(Refusal::NotYourSeat)
        );
    }

    #[test]
    fn a_notice_counts_working_days() {
        // 2026-06-05 is a Friday: five working days run to Thursday 06-11.
        assert_eq!(notice_until(d(6, 5), 5), d(6, 11));
        // Started on a Saturday, the first working day is Monday 06-08.
        assert_eq!(notice_until(d(6, 6), 5), d(6, 12));
        assert_eq!(notice_until(d(6, 8), 1), d(6, 8));
        assert_eq!(
            notice(Seat::City, Approved, 5, d(6, 5)),
            Ok((d(6, 5), d(6, 11)))
        );
        assert_eq!(
            notice(Seat::City, Recommended, 5, d(6, 5)),
            Err(Refusal::WrongState(Recommended))
        );
        assert_eq!(
            notice(Seat::District, Approved, 5, d(6, 5)),
            Err(Refusal::NotYourSeat)
        );
    }

    #[test]
    fn objections_and_listing_as_a_table() {
        let w = Some((d(6, 5), d(6, 11)));
        assert_eq!(object(Notice, w, d(6, 5)), Ok(()));
        assert_eq!(object(Notice, w, d(6, 11)), Ok(()));
        assert_eq!(object(Notice, w, d(6, 12)), Err(Refusal::NotOnNotice));
        assert_eq!(object(Listed, w, d(6, 8)), Err(Refusal::NotOnNotice));
        assert_eq!(resolve(Seat::City, Notice, true, "侵权"), Ok(Rejected));
        assert_eq!(
            resolve(Seat::City, Notice, false, "经核实不成立"),
            Ok(Notice)
        );
        assert_eq!(
            resolve(Seat::City, Notice, false, ""),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            resolve(Seat::District, Notice, true, "x"),
            Err(Refusal::NotYourSeat)
        );
        let until = Some(d(6, 11));
        assert_eq!(list(Seat::City, Notice, until, 0, d(6, 12)), Ok(Listed));
        assert_eq!(
            list(Seat::City, Notice, until, 0, d(6, 11)),
            Err(Refusal::NoticeRunning(d(6, 11)))
        );
        assert_eq!(
            list(Seat::City, Notice, until, 1, d(6, 12)),
            Err(Refusal::ObjectionOpen)
        );
        assert_eq!(
            list(Seat::City, Approved, until, 0, d(6, 12)),
            Err(Refusal::WrongState(Approved))
        );
        assert_eq!(
            list(Seat::District, Notice, until, 0, d(6, 12)),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(delist(Seat::City, Listed, "企业称号被撤销"), Ok(Delisted));
        assert_eq!(delist(Seat::City, Listed, ""), Err(Refusal::ReasonRequired));
        assert_eq!(
            delist(Seat::City, Notice, "x"),
            Err(Refusal::WrongState(Notice))
        );
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(*s));
        }
    }
}
