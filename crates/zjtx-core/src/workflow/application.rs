//! A loan application in the finance zone, from the enterprise's request to the money:
//!
//! ```text
//! applied ──accept──▶ accepted ──grant (amount, date)──▶ granted ──disburse (date)──▶ disbursed
//!    └─────────────────────┴──────────────decline (reason)─────┴──▶ declined
//! ```
//!
//! Only the institution that offers the product moves it on. A disbursement meets the need the
//! application answered (the store does that in the same transaction).

use chrono::NaiveDate;
use serde::Serialize;

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Accepted,
    Granted,
    Disbursed,
    Declined,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Applied,
        Status::Accepted,
        Status::Granted,
        Status::Disbursed,
        Status::Declined,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Accepted => "accepted",
            Status::Granted => "granted",
            Status::Disbursed => "disbursed",
            Status::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether nothing can happen to it any more.
    pub fn settled(self) -> bool {
        matches!(self, Status::Disbursed | Status::Declined)
    }
}

/// How the actor stands towards the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The applying enterprise.
    Applicant,
    /// The institution offering the product.
    Lender,
    /// Anyone else who may read it (the bureau, another institution).
    Other,
}

/// What the lender does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Accept,
    /// The amount granted in stored units (1/10000 万元) and the date of the grant.
    Grant {
        amount: i64,
        on: Option<NaiveDate>,
    },
    Disburse {
        on: Option<NaiveDate>,
    },
    Decline {
        reason: &'a str,
    },
}

/// Why a step is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    WrongState(Status),
    /// A grant names a positive amount.
    AmountRequired,
    /// A grant or a disbursement names its date.
    DateRequired,
    /// A decline says why.
    ReasonRequired,
}

/// The lender's step: the new state, or why not.
pub fn step(state: Status, seat: Seat, input: &Step<'_>) -> Result<Status, Refusal> {
    if seat != Seat::Lender {
        return Err(Refusal::NotYourSeat);
    }
    let (from, to): (&[Status], Status) = match input {
        Step::Accept => (&[Status::Applied], Status::Accepted),
        Step::Grant { .. } => (&[Status::Accepted], Status::Granted),
        Step::Disburse { .. } => (&[Status::Granted], Status::Disbursed),
        Step::Decline { .. } => (
            &[Status::Applied, Status::Accepted, Status::Granted],
            Status::Declined,
        ),
    };
    if !from.contains(&state) {
        return Err(Refusal::WrongState(state));
    }
    match input {
        Step::Grant { amount, .. } if *amount <= 0 => Err(Refusal::AmountRequired),
        Step::Grant { on: None, .. } | Step::Disburse { on: None } => Err(Refusal::DateRequired),
        Step::Decline { reason } if reason.trim().is_empty() => Err(Refusal::ReasonRequired),
        _ => Ok(to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("open"), None);
    }

    #[test]
    #[rustfmt::skip]
    fn every_step_from_every_state() {
        use Status::*;
        let day = NaiveDate::from_ymd_opt(2026, 5, 1);
        let steps = [
            Step::Accept,
            Step::Grant { amount: 5_000_000, on: day },
            Step::Disburse { on: day },
            Step::Decline { reason: "资料不全" },
        ];
        // For each state, what each step (in the order above) leads to.
        let table: [(Status, [Option<Status>; 4]); 5] = [
            (Applied, [Some(Accepted), None, None, Some(Declined)]),
            (Accepted, [None, Some(Granted), None, Some(Declined)]),
            (Granted, [None, None, Some(Disbursed), Some(Declined)]),
            (Disbursed, [None, None, None, None]),
            (Declined, [None, None, None, None]),
        ];
        for (state, outcomes) in table {
            for (input, want) in steps.iter().zip(outcomes) {
                let want = want.ok_or(Refusal::WrongState(state));
                assert_eq!(step(state, Seat::Lender, input), want, "{state:?} {input:?}");
                assert_eq!(step(state, Seat::Applicant, input), Err(Refusal::NotYourSeat));
                assert_eq!(step(state, Seat::Other, input), Err(Refusal::NotYourSeat));
            }
            assert_eq!(state.settled(), outcomes.iter().all(Option::is_none), "{state:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn a_step_says_what_it_lacks() {
        use Status::*;
        let day = NaiveDate::from_ymd_opt(2026, 5, 1);
        assert_eq!(step(Accepted, Seat::Lender, &Step::Grant { amount: 0, on: day }), Err(Refusal::AmountRequired));
        assert_eq!(step(Accepted, Seat::Lender, &Step::Grant { amount: 1, on: None }), Err(Refusal::DateRequired));
        assert_eq!(step(Granted, Seat::Lender, &Step::Disburse { on: None }), Err(Refusal::DateRequired));
        assert_eq!(step(Applied, Seat::Lender, &Step::Decline { reason: " " }), Err(Refusal::ReasonRequired));
        // The state is judged first: a second click on a settled application is refused as such.
        assert_eq!(step(Declined, Seat::Lender, &Step::Decline { reason: "" }), Err(Refusal::WrongState(Declined)));
    }
}
