//! The platform's one calendar. Every workflow date, list filter, dashboard count, import and
//! reminder reads `Clock::today`: the local date, unless a test (or a demonstration) sets it,
//! for every clone at once. Timestamps of records (`now`) stay the real time.
//!
//! "Local" is the time zone of the deadlines, set once at start (`Clock::set_zone`, from the
//! configuration, Asia/Shanghai by default there); before it is set, the system's zone.

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{NaiveDate, NaiveDateTime};

static ZONE: OnceLock<chrono_tz::Tz> = OnceLock::new();

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<Mutex<Option<NaiveDate>>>);

impl Clock {
    /// The local calendar's date, the one reading of the system calendar.
    pub fn system_today() -> NaiveDate {
        Clock::local(chrono::Utc::now()).date()
    }

    /// Sets the zone of every local date and time of this process, once; false when a zone
    /// was already set.
    pub fn set_zone(zone: chrono_tz::Tz) -> bool {
        ZONE.set(zone).is_ok()
    }

    /// The zone set, if any.
    pub fn zone() -> Option<chrono_tz::Tz> {
        ZONE.get().copied()
    }

    /// A moment as the wall-clock time of the deadlines' zone.
    pub fn local(at: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
        match ZONE.get() {
            Some(z) => at.with_timezone(z).naive_local(),
            None => at.with_timezone(&chrono::Local).naive_local(),
        }
    }

    /// A stored timestamp (seconds) as that wall-clock time.
    pub fn local_at(at: i64) -> Option<NaiveDateTime> {
        chrono::DateTime::from_timestamp(at, 0).map(Clock::local)
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
        // The zone the other test sets (once per process), so that the calendar read twice below
        // cannot change zone between the reads.
        Clock::set_zone("Asia/Shanghai".parse().unwrap_or(chrono_tz::UTC));
        let c = Clock::default();
        let other = c.clone();
        let d = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap_or_default();
        c.set(Some(d));
        assert_eq!(other.today(), d);
        c.set(None);
        assert_eq!(other.today(), Clock::system_today());
    }

    #[test]
    fn the_zone_set_decides_the_local_date_whatever_the_hosts() {
        let zone: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap_or(chrono_tz::UTC);
        // Another test of this binary may have set it first; only this one sets it.
        Clock::set_zone(zone);
        assert_eq!(Clock::zone(), Some(zone));
        // 2026-12-31 17:30 UTC is already 2027-01-01 01:30 in Hangzhou.
        let at = chrono::DateTime::from_timestamp(1_798_738_200, 0).unwrap_or_default();
        let local = Clock::local(at);
        assert_eq!(local.to_string(), "2027-01-01 01:30:00");
        assert_eq!(Clock::local_at(1_798_738_200), Some(local));
    }
}
