//! A title after recognition: the yearly information update, reports of major changes, the
//! re-review before it lapses and revocation. Every period comes from the rule set the title was
//! granted under (`[titles]`), never from code.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::rules::Titles;

/// What happened to a title, as recorded in its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Granted,
    /// The yearly update, on time: re-review stays open.
    Update,
    /// The yearly update after its due date: re-review is lost.
    UpdateLate,
    /// A report of a major change (name, merger, relocation…).
    Change,
    RereviewPass,
    RereviewFail,
    Revoked,
}

impl Event {
    pub const ALL: [Event; 7] = [
        Event::Granted,
        Event::Update,
        Event::UpdateLate,
        Event::Change,
        Event::RereviewPass,
        Event::RereviewFail,
        Event::Revoked,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Granted => "granted",
            Event::Update => "update",
            Event::UpdateLate => "update_late",
            Event::Change => "change",
            Event::RereviewPass => "rereview_pass",
            Event::RereviewFail => "rereview_fail",
            Event::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// Who acts on a title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The titled enterprise.
    Holder,
    /// The city bureau.
    City,
    /// Anyone else who may read the title (its district).
    Reader,
}

/// Why a step on a title is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// The title began after this year ended: the year is not its to report.
    NotOwed(i32),
    /// Re-review opens in the last this many months of validity.
    TooEarly(u32),
    /// Last year's update was not made on time: no re-review.
    NoUpdate,
    /// A report or a revocation says what it is about.
    DetailRequired,
}

/// Whether a title that began on `valid_from` owes the yearly update for `year`: a year that
/// ended before the title began is not the title's to report.
pub fn owes_update(valid_from: Option<NaiveDate>, year: i32) -> bool {
    valid_from.is_none_or(|f| year >= f.year())
}

/// The year a yearly update made today is for: the last full year.
pub fn update_year(today: NaiveDate) -> i32 {
    today.year() - 1
}

/// The holder's yearly update of last year: on time (by the rule set's due date in this year)
/// or late.
pub fn yearly_update(
    seat: Seat,
    valid_from: Option<NaiveDate>,
    rules: &Titles,
    today: NaiveDate,
) -> Result<Event, Refusal> {
    if seat != Seat::Holder {
        return Err(Refusal::NotYourSeat);
    }
    let year = update_year(today);
    if !owes_update(valid_from, year) {
        return Err(Refusal::NotOwed(year));
    }
    let on_time = rules.update_due(year).is_some_and(|due| today <= due);
    Ok(if on_time {
        Event::Update
    } else {
        Event::UpdateLate
    })
}

/// The holder reports a major change.
pub fn report_change(seat: Seat, detail: &str) -> Result<Event, Refusal> {
    if seat != Seat::Holder {
        return Err(Refusal::NotYourSeat);
    }
    if detail.trim().is_empty() {
        return Err(Refusal::DetailRequired);
    }
    Ok(Event::Change)
}

/// What re-review looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rereview {
    pub valid_from: Option<NaiveDate>,
    pub valid_until: NaiveDate,
    /// Whether an on-time update of last year is on record.
    pub updated_on_time: bool,
    /// Whether the latest figures pass the tier under the title's rule set.
    pub passes: bool,
}

/// Whether a re-review may be asked today: in the last months of validity, with last year's
/// update made on time where it was owed.
pub fn may_rereview(
    seat: Seat,
    input: &Rereview,
    rules: &Titles,
    today: NaiveDate,
) -> Result<(), Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    let window = rules.rereview_window_months;
    if input.valid_until > today + Months::new(window) {
        return Err(Refusal::TooEarly(window));
    }
    if owes_update(input.valid_from, update_year(today)) && !input.updated_on_time {
        return Err(Refusal::NoUpdate);
    }
    Ok(())
}

/// The city's re-review: passing extends the validity by the rule set's validity.
pub fn rereview(
    seat: Seat,
    input: &Rereview,
    rules: &Titles,
    today: NaiveDate,
) -> Result<(Event, Option<NaiveDate>), Refusal> {
    may_rereview(seat, input, rules, today)?;
    Ok(if input.passes {
        (
            Event::RereviewPass,
            Some(input.valid_until + Months::new(rules.validity_months)),
        )
    } else {
        (Event::RereviewFail, None)
    })
}

/// Revocation by the city: every title of the enterprise ends and it may not declare until the
/// returned date (the ban of the rules in force today).
pub fn revoke(
    seat: Seat,
    reason: &str,
    rules: &Titles,
    today: NaiveDate,
) -> Result<NaiveDate, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if reason.trim().is_empty() {
        return Err(Refusal::DetailRequired);
    }
    Ok(today + Months::new(rules.ban_months))
}

/// A new title's validity, from its recognition.
pub fn valid_until(rules: &Titles, from: NaiveDate) -> NaiveDate {
    from + Months::new(rules.validity_months)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn rules() -> Titles {
        Titles {
            clause: "test".into(),
            conf: "test".into(),
            validity_months: 36,
            update_due_month: 4,
            update_due_day: 30,
            rereview_window_months: 6,
            ban_months: 36,
        }
    }

    #[test]
    fn event_names_round_trip() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
        assert_eq!(Event::parse("other"), None);
    }

    #[test]
    fn yearly_update_table() {
        let r = rules();
        let cases = [
            // (seat, valid_from, today) → outcome
            (
                Seat::Holder,
                Some(d(2024, 7, 1)),
                d(2026, 4, 30),
                Ok(Event::Update),
            ),
            (
                Seat::Holder,
                Some(d(2024, 7, 1)),
                d(2026, 5, 1),
                Ok(Event::UpdateLate),
            ),
            // A title granted during the year it would report owes that year.
            (
                Seat::Holder,
                Some(d(2025, 12, 31)),
                d(2026, 3, 1),
                Ok(Event::Update),
            ),
            // A title granted after the year ended does not.
            (
                Seat::Holder,
                Some(d(2026, 1, 2)),
                d(2026, 3, 1),
                Err(Refusal::NotOwed(2025)),
            ),
            (Seat::Holder, None, d(2026, 3, 1), Ok(Event::Update)),
            (
                Seat::City,
                Some(d(2024, 7, 1)),
                d(2026, 3, 1),
                Err(Refusal::NotYourSeat),
            ),
            (
                Seat::Reader,
                Some(d(2024, 7, 1)),
                d(2026, 3, 1),
                Err(Refusal::NotYourSeat),
            ),
        ];
        for (i, (seat, from, today, want)) in cases.into_iter().enumerate() {
            assert_eq!(yearly_update(seat, from, &r, today), want, "case {i}");
        }
        // The due date is the rule set's.
        let later = Titles {
            update_due_month: 6,
            update_due_day: 30,
            ..rules()
        };
        assert_eq!(
            yearly_update(Seat::Holder, None, &later, d(2026, 5, 1)),
            Ok(Event::Update)
        );
    }

    #[test]
    fn rereview_table() {
        let r = rules();
        let base = Rereview {
            valid_from: Some(d(2023, 12, 1)),
            valid_until: d(2026, 12, 1),
            updated_on_time: true,
            passes: true,
        };
        let cases = [
            (
                Seat::City,
                base,
                d(2026, 6, 1),
                Ok((Event::RereviewPass, Some(d(2029, 12, 1)))),
            ),
            (Seat::City, base, d(2026, 5, 31), Err(Refusal::TooEarly(6))),
            (
                Seat::City,
                Rereview {
                    passes: false,
                    ..base
                },
                d(2026, 7, 1),
                Ok((Event::RereviewFail, None)),
            ),
            (
                Seat::City,
                Rereview {
                    updated_on_time: false,
                    ..base
                },
                d(2026, 7, 1),
                Err(Refusal::NoUpdate),
            ),
            // Not owed (granted after last year ended): no update needed.
            (
                Seat::City,
                Rereview {
                    valid_from: Some(d(2026, 1, 5)),
                    valid_until: d(2026, 7, 5),
                    updated_on_time: false,
                    passes: true,
                },
                d(2026, 3, 1),
                Ok((Event::RereviewPass, Some(d(2029, 7, 5)))),
            ),
            (Seat::Holder, base, d(2026, 7, 1), Err(Refusal::NotYourSeat)),
            (Seat::Reader, base, d(2026, 7, 1), Err(Refusal::NotYourSeat)),
        ];
        for (i, (seat, input, today, want)) in cases.into_iter().enumerate() {
            assert_eq!(rereview(seat, &input, &r, today), want, "case {i}");
        }
        let wider = Titles {
            rereview_window_months: 12,
            ..rules()
        };
        assert_eq!(
            may_rereview(Seat::City, &base, &wider, d(2025, 12, 1)),
            Ok(())
        );
    }

    #[test]
    fn change_reports_and_revocation() {
        let r = rules();
        assert_eq!(report_change(Seat::Holder, "更名"), Ok(Event::Change));
        assert_eq!(
            report_change(Seat::Holder, "  "),
            Err(Refusal::DetailRequired)
        );
        assert_eq!(report_change(Seat::City, "更名"), Err(Refusal::NotYourSeat));
        assert_eq!(
            revoke(Seat::City, "造假", &r, d(2026, 3, 31)),
            Ok(d(2029, 3, 31))
        );
        assert_eq!(
            revoke(Seat::City, "", &r, d(2026, 3, 31)),
            Err(Refusal::DetailRequired)
        );
        assert_eq!(
            revoke(Seat::Holder, "造假", &r, d(2026, 3, 31)),
            Err(Refusal::NotYourSeat)
        );
        let short = Titles {
            ban_months: 12,
            ..rules()
        };
        assert_eq!(
            revoke(Seat::City, "造假", &short, d(2026, 3, 31)),
            Ok(d(2027, 3, 31))
        );
        assert_eq!(valid_until(&r, d(2026, 2, 28)), d(2029, 2, 28));
    }
}
