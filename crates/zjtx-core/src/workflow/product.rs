//! A financial product on the platform: an institution submits it, the city bureau lists it or
//! sends it back with a reason, and the institution may withdraw it while it is submitted or
//! listed. Only listed products are matched, shown to firms and applied for.
//!
//! ```text
//! submitted ──city: list──▶ listed ──institution: withdraw──▶ withdrawn
//!     │  └──institution: withdraw──────────────────────────────▲
//!     └──city: reject (reason)──▶ rejected
//! ```

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Submitted,
    Listed,
    Rejected,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Submitted,
        Status::Listed,
        Status::Rejected,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Listed => "listed",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The city bureau, which reviews.
    Reviewer,
    /// The institution offering the product.
    Owner,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    List,
    Reject { reason: &'a str },
    Withdraw,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    WrongState(Status),
    ReasonRequired,
}

/// A step on a product: the new state, or why not.
pub fn step(state: Status, seat: Seat, input: &Step<'_>) -> Result<Status, Refusal> {
    let (who, from, to): (Seat, &[Status], Status) = match input {
        Step::List => (Seat::Reviewer, &[Status::Submitted], Status::Listed),
        Step::Reject { .. } => (Seat::Reviewer, &[Status::Submitted], Status::Rejected),
        Step::Withdraw => (
            Seat::Owner,
            &[Status::Submitted, Status::Listed],
            Status::Withdrawn,
        ),
    };
    if seat != who {
        return Err(Refusal::NotYourSeat);
    }
    if !from.contains(&state) {
        return Err(Refusal::WrongState(state));
    }
    match input {
        Step::Reject { reason } if reason.trim().is_empty() => Err(Refusal::ReasonRequired),
        _ => Ok(to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[rustfmt::skip]
    fn every_step_from_every_state_by_every_seat() {
        use Status::*;
        let steps = [Step::List, Step::Reject { reason: "利率说明不清" }, Step::Withdraw];
        // (state, [list, reject, withdraw]) with the seat each step needs.
        let table: [(Status, [Option<Status>; 3]); 4] = [
            (Submitted, [Some(Listed), Some(Rejected), Some(Withdrawn)]),
            (Listed, [None, None, Some(Withdrawn)]),
            (Rejected, [None, None, None]),
            (Withdrawn, [None, None, None]),
        ];
        for (state, outcomes) in table {
            for (input, want) in steps.iter().zip(outcomes) {
                let seat = if matches!(input, Step::Withdraw) { Seat::Owner } else { Seat::Reviewer };
                assert_eq!(step(state, seat, input), want.ok_or(Refusal::WrongState(state)), "{state:?} {input:?}");
                for other in [Seat::Reviewer, Seat::Owner, Seat::Other].into_iter().filter(|s| *s != seat) {
                    assert_eq!(step(state, other, input), Err(Refusal::NotYourSeat), "{state:?} {input:?} {other:?}");
                }
            }
        }
        assert_eq!(step(Submitted, Seat::Reviewer, &Step::Reject { reason: " " }), Err(Refusal::ReasonRequired));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
