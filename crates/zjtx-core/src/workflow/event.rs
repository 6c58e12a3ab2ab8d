//! A matchmaking event (a bank–enterprise meeting): the bureau or a district office holds it on a
//! day, in a district or city-wide; firms and institutions take part; what came of it (a loan, an
//! amount) is recorded once it has been held.

use chrono::NaiveDate;

use crate::ids::Uscc;
use crate::num::Wan;

/// Who records an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The city bureau: any district, or the whole city.
    City,
    /// A district office: its own district only.
    District(String),
    /// Anyone else.
    Other,
}

/// The longest title, and the longest outcome, in characters.
pub const TITLE_MAX: usize = 200;
pub const OUTCOME_MAX: usize = 1000;

/// A field of an event's forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Title,
    HeldOn,
    Who,
    Outcome,
    Amount,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    Invalid(Field),
    /// An amount (credit granted, a deal's value) is recorded only once the event has been held.
    NotHeldYet(NaiveDate),
}

/// An event ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub title: String,
    pub held_on: NaiveDate,
    /// `None`: city-wide.
    pub region: Option<String>,
}

/// Plans an event: a district office's event is in its own district whatever the form says.
pub fn plan(seat: &Seat, title: &str, held_on: &str, region: &str) -> Result<Plan, Refusal> {
    let region = match seat {
        Seat::Other => return Err(Refusal::NotYourSeat),
        Seat::District(own) => Some(own.clone()),
        Seat::City => Some(region.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    let title = title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX {
        return Err(Refusal::Invalid(Field::Title));
    }
    let held_on = NaiveDate::parse_from_str(held_on.trim(), "%Y-%m-%d")
        .map_err(|_| Refusal::Invalid(Field::HeldOn))?;
    Ok(Plan {
        title: title.to_owned(),
        held_on,
        region,
    })
}

/// A party to an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Party {
    Firm(Uscc),
    /// A financial institution, by its number on the platform.
    Institution(i64),
}

/// A participation ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participation {
    pub party: Party,
    pub outcome: String,
    /// In units of 0.0001 万.
    pub amount: Option<i64>,
}

/// Records a party at an event held (or to be held) on `held_on`: a firm by its code or an
/// institution by its number; an amount only from the day of the event on, never negative.
pub fn participate(
    held_on: NaiveDate,
    who: &str,
    outcome: &str,
    amount: &str,
    today: NaiveDate,
) -> Result<Participation, Refusal> {
    let who = who.trim();
    let party = match Uscc::parse(who) {
        Ok(u) => Party::Firm(u),
        Err(_) => Party::Institution(
            who.parse::<i64>()
                .ok()
                .filter(|i| *i > 0)
                .ok_or(Refusal::Invalid(Field::Who))?,
        ),
    };
    let outcome = outcome.trim();
    if outcome.chars().count() > OUTCOME_MAX {
        return Err(Refusal::Invalid(Field::Outcome));
    }
    let amount = match amount.trim() {
        "" => None,
        v => Some(
            Wan::parse(v)
                .ok()
                .map(|w| w.units())
                .filter(|u| *u >= 0)
                .ok_or(Refusal::Invalid(Field::Amount))?,
        ),
    };
    if amount.is_some() && today < held_on {
        return Err(Refusal::NotHeldYet(held_on));
    }
    Ok(Participation {
        party,
        outcome: outcome.to_owned(),
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    #[test]
    fn planning_as_a_table() {
        let xihu = Seat::District("330106".into());
        let long = "会".repeat(TITLE_MAX + 1);
        type Case<'a> = (
            &'a str,
            &'a Seat,
            &'a str,
            &'a str,
            &'a str,
            Result<Option<&'a str>, Refusal>,
        );
        let cases: &[Case] = &[
            (
                "the city, city-wide",
                &Seat::City,
                "政银企对接会",
                "2026-06-01",
                "",
                Ok(None),
            ),
            (
                "the city, in a district",
                &Seat::City,
                "对接会",
                "2026-06-01",
                "330106",
                Ok(Some("330106")),
            ),
            (
                "a district is kept to its own",
                &xihu,
                "对接会",
                "2026-06-01",
                "330108",
                Ok(Some("330106")),
            ),
            (
                "nobody else",
                &Seat::Other,
                "对接会",
                "2026-06-01",
                "",
                Err(Refusal::NotYourSeat),
            ),
            (
                "a blank title",
                &Seat::City,
                " ",
                "2026-06-01",
                "",
                Err(Refusal::Invalid(Field::Title)),
            ),
            (
                "a title too long",
                &Seat::City,
                &long,
                "2026-06-01",
                "",
                Err(Refusal::Invalid(Field::Title)),
            ),
            (
                "a date that is not one",
                &Seat::City,
                "对接会",
                "2026-06-31",
                "",
                Err(Refusal::Invalid(Field::HeldOn)),
            ),
        ];
        for (name, seat, title, on, region, want) in cases {
            let got = plan(seat, title, on, region);
            match want {
                Ok(r) => {
                    let p = got.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    assert_eq!(p.region.as_deref(), *r, "{name}");
                    assert_eq!(p.held_on, d(6, 1), "{name}");
                }
                Err(e) => assert_eq!(got.err().as_ref(), Some(e), "{name}"),
            }
        }
    }

    #[test]
    fn participations_as_a_table() {
        let firm = Uscc::with_check(b"91330106MA2B3C4D5").unwrap_or_else(|| panic!("a code"));
        let long = "签".repeat(OUTCOME_MAX + 1);
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            NaiveDate,
            Result<Option<i64>, Refusal>,
        );
        let cases: &[Case] = &[
            (
                "an institution before the day, no amount",
                "7",
                "意向",
                "",
                d(5, 1),
                Ok(None),
            ),
            (
                "an amount on the day",
                "7",
                "授信",
                "500",
                d(6, 1),
                Ok(Some(5_000_000)),
            ),
            (
                "an amount after the day",
                "7",
                "授信",
                "0.5",
                d(7, 1),
                Ok(Some(5_000)),
            ),
            (
                "an amount before the day",
                "7",
                "授信",
                "500",
                d(5, 31),
                Err(Refusal::NotHeldYet(d(6, 1))),
            ),
            (
                "a negative amount",
                "7",
                "授信",
                "-1",
                d(7, 1),
                Err(Refusal::Invalid(Field::Amount)),
            ),
            (
                "an amount that is not one",
                "7",
                "授信",
                "5百",
                d(7, 1),
                Err(Refusal::Invalid(Field::Amount)),
            ),
            (
                "neither a code nor a number",
                "某银行",
                "",
                "",
                d(7, 1),
                Err(Refusal::Invalid(Field::Who)),
            ),
            (
                "institution 0",
                "0",
                "",
                "",
                d(7, 1),
                Err(Refusal::Invalid(Field::Who)),
            ),
            (
                "an outcome too long",
                "7",
                &long,
                "",
                d(7, 1),
                Err(Refusal::Invalid(Field::Outcome)),
            ),
        ];
        for (name, who, outcome, amount, today, want) in cases {
            let got = participate(d(6, 1), who, outcome, amount, *today);
            match want {
                Ok(a) => {
                    let p = got.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    assert_eq!(p.amount, *a, "{name}");
                    assert_eq!(p.party, Party::Institution(7), "{name}");
                }
                Err(e) => assert_eq!(got.err().as_ref(), Some(e), "{name}"),
            }
        }
        let p = participate(d(6, 1), firm.as_str(), "", "", d(6, 1));
        assert_eq!(p.map(|p| p.party), Ok(Party::Firm(firm)));
    }
}
