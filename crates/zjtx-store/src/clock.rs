//! The platform's one calendar. Every workflow date, list filter, dashboard count, import and
//! reminder reads `Clock::today`: the local date, unless a test (or a demonstration) sets it,
//! for every clone at once. Timestamps of records (`now`) stay the real time.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<Mutex<Option<NaiveDate>>>);

impl Clock {
    /// The local calendar's date, the one reading of the system calendar.
    pub fn system_today() -> NaiveDate {
        chrono::Local::now().date_naive()
    }

    /// Today: the date set, or the local calendar's.
    pub fn today(&self) -> NaiveDate {
        self.0
            .lock()
            .ok()
            .and_then(|t| *t)
            .unwrap_or_else(Clock::system_today)
    }

    /// Sets the date (`None`: the calendar's again), for every clone of this clock.
    pub fn set(&self, date: Option<NaiveDate>) {
        if let Ok(mut t) = self.0.lock() {
            *t = date;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_date_holds_for_every_clone_until_it_is_cleared() {
        let c = Clock::default();
        let other = c.clone();
        let d = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap_or_default();
        c.set(Some(d));
        assert_eq!(other.today(), d);
        c.set(None);
        assert_eq!(other.today(), Clock::system_today());
    }
}
