//! A firm's consent to let one institution read some categories of its data, for a purpose and
//! a period it chooses, as figures or as predicates and bands only; and which of several
//! consents in force decides how a category is shown. The firm alone grants and revokes.

use chrono::{Days, NaiveDate};

use crate::finance::CATEGORIES;

/// How the actor stands towards the firm's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The firm itself.
    Holder,
    Other,
}

/// A consent as it is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub categories: &'a [String],
    pub purpose: &'a str,
    /// Days it runs, today included.
    pub days: i64,
}

/// Why a consent is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    NoCategory,
    UnknownCategory(String),
    /// A purpose is required, and at most `PURPOSE_MAX` characters.
    Purpose,
    /// Between 1 and the rules' maximum days.
    Days(i64),
}

/// The longest purpose, in characters.
pub const PURPOSE_MAX: usize = 200;

/// The firm grants a consent from today; returns its first and last day.
pub fn grant(
    seat: Seat,
    input: &Request<'_>,
    max_days: i64,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Refusal> {
    if seat != Seat::Holder {
        return Err(Refusal::NotYourSeat);
    }
    if input.categories.is_empty() {
        return Err(Refusal::NoCategory);
    }
    if let Some(c) = input
        .categories
        .iter()
        .find(|c| !CATEGORIES.contains(&c.as_str()))
    {
        return Err(Refusal::UnknownCategory(c.clone()));
    }
    let purpose = input.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > PURPOSE_MAX {
        return Err(Refusal::Purpose);
    }
    if !(1..=max_days).contains(&input.days) {
        return Err(Refusal::Days(max_days));
    }
    let last = today + Days::new(u64::try_from(input.days - 1).unwrap_or(0));
    Ok((today, last))
}

/// What the platform needs to know of a consent in force to decide how a category is shown.
pub trait Terms {
    fn id(&self) -> i64;
    fn covers(&self, category: &str) -> bool;
    fn predicates_only(&self) -> bool;
}

/// How a category is shown, and the consent that allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Figures(i64),
    Predicates(i64),
}

impl Shown {
    pub fn consent(self) -> i64 {
        match self {
            Shown::Figures(id) | Shown::Predicates(id) => id,
        }
    }

    pub fn predicates_only(self) -> bool {
        matches!(self, Shown::Predicates(_))
    }
}

/// How `category` is shown under the consents in force: as figures when any covering consent
/// allows figures, as predicates when covering consents all say predicates only (the first of
/// them), not at all when none covers it.
pub fn shown<T: Terms>(consents: &[T], category: &str) -> Option<Shown> {
    let covering = || consents.iter().filter(|k| k.covers(category));
    covering()
        .find(|k| !k.predicates_only())
        .map(|k| Shown::Figures(k.id()))
        .or_else(|| covering().next().map(|k| Shown::Predicates(k.id())))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct K(i64, &'static [&'static str], bool);

    impl Terms for K {
        fn id(&self) -> i64 {
            self.0
        }
        fn covers(&self, c: &str) -> bool {
            self.1.contains(&c)
        }
        fn predicates_only(&self) -> bool {
            self.2
        }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    #[test]
    fn a_grant_runs_its_days_from_today_and_says_what_is_wrong() {
        let cats = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let fin = cats(&["financials"]);
        let odd = cats(&["salaries"]);
        let ask = |categories, purpose, days| Request {
            categories,
            purpose,
            days,
        };
        assert_eq!(
            grant(Seat::Holder, &ask(&fin, "授信", 30), 366, d(5, 1)),
            Ok((d(5, 1), d(5, 30)))
        );
        assert_eq!(
            grant(Seat::Holder, &ask(&fin, "授信", 1), 366, d(5, 1)),
            Ok((d(5, 1), d(5, 1)))
        );
        let cases = [
            (Seat::Other, ask(&fin, "授信", 30), Refusal::NotYourSeat),
            (Seat::Holder, ask(&[], "授信", 30), Refusal::NoCategory),
            (
                Seat::Holder,
                ask(&odd, "授信", 30),
                Refusal::UnknownCategory("salaries".into()),
            ),
            (Seat::Holder, ask(&fin, "  ", 30), Refusal::Purpose),
            (Seat::Holder, ask(&fin, "授信", 0), Refusal::Days(366)),
            (Seat::Holder, ask(&fin, "授信", 367), Refusal::Days(366)),
        ];
        for (seat, input, want) in cases {
            assert_eq!(
                grant(seat, &input, 366, d(5, 1)),
                Err(want.clone()),
                "{want:?}"
            );
        }
        let longest = "用".repeat(PURPOSE_MAX);
        assert!(grant(Seat::Holder, &ask(&fin, &longest, 30), 366, d(5, 1)).is_ok());
        let long = "用".repeat(PURPOSE_MAX + 1);
        assert_eq!(
            grant(Seat::Holder, &ask(&fin, &long, 30), 366, d(5, 1)),
            Err(Refusal::Purpose)
        );
    }

    #[test]
    fn figures_win_over_predicates_and_an_uncovered_category_is_not_shown() {
        let ks = [
            K(1, &["financials", "ip"], true),
            K(2, &["financials"], false),
            K(3, &["ip"], true),
        ];
        assert_eq!(shown(&ks, "financials"), Some(Shown::Figures(2)));
        assert_eq!(shown(&ks, "ip"), Some(Shown::Predicates(1)));
        assert_eq!(shown(&ks, "titles"), None);
        assert_eq!(shown::<K>(&[], "ip"), None);
        let (f, p) = (Shown::Figures(7), Shown::Predicates(9));
        assert_eq!((f.consent(), f.predicates_only()), (7, false));
        assert_eq!((p.consent(), p.predicates_only()), (9, true));
    }
}
