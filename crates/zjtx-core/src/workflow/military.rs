//! Military–civil fusion (军民融合): the city bureau records that a firm holds a military-industry
//! qualification, with its certificate's date, or clears it; flagged firms that pass a tier
//! without its title are the candidates the bureau recommends.

use chrono::NaiveDate;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// The certificate's date is not a date, or lies in the future.
    BadDate,
    /// The note is longer than [`NOTE_MAX`].
    NoteTooLong,
}

pub const NOTE_MAX: usize = 200;

/// Reads a qualification as the city records it.
pub fn record(
    city: bool,
    certified_on: &str,
    note: &str,
    today: NaiveDate,
) -> Result<NaiveDate, Refusal> {
    if !city {
        return Err(Refusal::NotYourSeat);
    }
    let d = NaiveDate::parse_from_str(certified_on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today)
        .ok_or(Refusal::BadDate)?;
    if note.trim().chars().count() > NOTE_MAX {
        return Err(Refusal::NoteTooLong);
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_as_a_table() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let on = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(record(true, "2024-03-15", "", today).ok(), on("2024-03-15"));
        assert_eq!(record(true, "2026-06-01", "", today).ok(), on("2026-06-01"));
        assert_eq!(record(true, "2026-06-02", "", today), Err(Refusal::BadDate));
        assert_eq!(record(true, "2024-02-30", "", today), Err(Refusal::BadDate));
        assert_eq!(
            record(false, "2024-03-15", "", today),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(
            record(true, "2024-03-15", &"注".repeat(NOTE_MAX + 1), today),
            Err(Refusal::NoteTooLong)
        );
    }
}
