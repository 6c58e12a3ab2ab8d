//! A declaration for a title, from the enterprise's draft to recognition:
//!
//! ```text
//! draft ──submit──▶ submitted ──district: recommend──▶ recommended ──city: approve──▶ approved
//!   ▲                 │  │                                │  │                          │
//!   └──(edit)── returned ◀─return── (district or city) ───┘  └─reject─▶ rejected        │
//!                     withdrawn ◀─withdraw─ (draft, submitted, returned)                │
//! approved ──publish the notice──▶ notice ──recognise (notice over)──▶ recognised        │
//!                                    └──objection upheld──▶ refused  ◀──────────────────┘
//! ```
//!
//! Deadlines are the batch's: the enterprise submits until `declare_until` (a returned
//! declaration until `district_until`), the district reviews until `district_until`, the city
//! until `city_until`. A ban after a revocation stops a submission and every favourable review.

use chrono::{Days, NaiveDate};
use serde::Serialize;

/// Where a declaration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Submitted,
    Returned,
    Withdrawn,
    /// Recommended by its district: the city and the experts see it.
    Recommended,
    Rejected,
    /// Approved by the city: goes to the public notice.
    Approved,
    Notice,
    Recognised,
    /// An objection was upheld during the notice.
    Refused,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Draft,
        Status::Submitted,
        Status::Returned,
        Status::Withdrawn,
        Status::Recommended,
        Status::Rejected,
        Status::Approved,
        Status::Notice,
        Status::Recognised,
        Status::Refused,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
            Status::Withdrawn => "withdrawn",
            Status::Recommended => "recommended",
            Status::Rejected => "rejected",
            Status::Approved => "approved",
            Status::Notice => "notice",
            Status::Recognised => "recognised",
            Status::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the enterprise may change its figures and evidence.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }

    /// Whether the city sees it: what districts recommended, and what came of it.
    pub fn city_sees(self) -> bool {
        matches!(
            self,
            Status::Recommended
                | Status::Approved
                | Status::Notice
                | Status::Recognised
                | Status::Refused
        )
    }

    /// Whether it counts against the batch's quota (approved or further on the way).
    pub fn holds_quota(self) -> bool {
        matches!(self, Status::Approved | Status::Notice | Status::Recognised)
    }
}

/// How the actor stands towards the declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The declaring enterprise.
    Owner,
    /// Its district office.
    District,
    /// The city bureau.
    City,
    /// An expert drawn for it.
    Expert,
}

/// A reviewer's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The district's yes.
    Recommend,
    /// The city's yes.
    Approve,
    /// Back to the enterprise to mend.
    Return,
    Reject,
    /// An expert's score (not a decision on the state).
    Score,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Recommend => "recommend",
            Decision::Approve => "approve",
            Decision::Return => "return",
            Decision::Reject => "reject",
            Decision::Score => "score",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        [
            Decision::Recommend,
            Decision::Approve,
            Decision::Return,
            Decision::Reject,
            Decision::Score,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }

    /// Whether the decision moves the declaration on (and so needs the firm to be unbarred).
    pub fn favourable(self) -> bool {
        matches!(self, Decision::Recommend | Decision::Approve)
    }
}

/// A level of review: the seat's review of the step it owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    District,
    City,
    /// A drawn expert's score.
    Expert,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::City => "city",
            Level::Expert => "expert",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Level::District, Level::City, Level::Expert]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// The batch's dates a step is judged against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    pub declare_until: NaiveDate,
    pub district_until: NaiveDate,
    pub city_until: NaiveDate,
    pub archived: bool,
    pub quota: Option<i64>,
}

/// Why a step is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's seat does not take this step.
    NotYourSeat,
    /// The declaration is not in a state the step starts from.
    WrongState(Status),
    /// The enterprise's deadline has passed (or the batch is archived).
    Closed(NaiveDate),
    /// The reviewer's deadline has passed.
    ReviewClosed(NaiveDate),
    /// The truthfulness pledge was not signed.
    NoPledge,
    /// A ban after a revocation runs until then.
    Barred,
    /// Not a decision of this level (a district cannot approve, a city cannot recommend).
    NoDecision,
    /// A return or a rejection says why.
    ReasonRequired,
    /// The batch's quota is taken.
    QuotaFull(i64),
    /// An approval before every drawn expert scored (None: none drawn) needs a reason.
    ScoresMissing(Option<usize>),
    /// An approval against an evaluation that does not pass needs a reason.
    EvaluationFails,
    /// Objections are taken during the declaration's notice only.
    NotOnNotice,
    /// Recognition waits for the end of the notice.
    NoticeRunning,
    /// Recognition waits for every objection to be resolved.
    ObjectionOpen,
}

/// The enterprise submits (or resubmits a returned declaration), pledging its truthfulness.
pub fn submit(
    state: Status,
    seat: Seat,
    pledged: bool,
    barred: bool,
    batch: &Batch,
    today: NaiveDate,
) -> Result<Status, Refusal> {
    if seat != Seat::Owner {
        return Err(Refusal::NotYourSeat);
    }
    if !pledged {
        return Err(Refusal::NoPledge);
    }
    if barred {
        return Err(Refusal::Barred);
    }
    let until = if state == Status::Returned {
        batch.district_until
    } else {
        batch.declare_until
    };
    if batch.archived || today > until {
        return Err(Refusal::Closed(until));
    }
    if !state.editable() {
        return Err(Refusal::WrongState(state));
    }
    Ok(Status::Submitted)
}

/// The enterprise withdraws a declaration not yet recommended.
pub fn withdraw(state: Status, seat: Seat) -> Result<Status, Refusal> {
    if seat != Seat::Owner {
        return Err(Refusal::NotYourSeat);
    }
    match state {
        Status::Draft | Status::Submitted | Status::Returned => Ok(Status::Withdrawn),
        s => Err(Refusal::WrongState(s)),
    }
}

/// What a reviewer decides, with what the decision has to say for itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review<'a> {
    pub decision: Option<Decision>,
    pub reason: &'a str,
    /// Whether a ban runs against the enterprise today.
    pub barred: bool,
    /// Declarations of the batch that hold its quota now.
    pub quota_taken: i64,
    /// For an approval: how many drawn experts have not scored (None: none were drawn).
    pub unscored: Option<usize>,
    /// For an approval: whether the evaluation of the declared figures passes.
    pub evaluation_passes: bool,
    /// The reasons given for approving despite missing scores or a failing evaluation.
    pub override_scores: &'a str,
    pub override_evaluation: &'a str,
}

/// What a review records: the new state, the level it was taken at and the overriding reasons
/// an approval stood on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewed {
    pub to: Status,
    pub level: Level,
    pub decision: Decision,
    pub override_scores: Option<String>,
    pub override_evaluation: Option<String>,
}

/// A district's or the city's review. The checks come in the order a reviewer meets them: the
/// seat, the state, the deadline, the decision, a ban, the reason, the approval's grounds, the
/// quota.
pub fn review(
    state: Status,
    seat: Seat,
    input: &Review<'_>,
    batch: &Batch,
    today: NaiveDate,
) -> Result<Reviewed, Refusal> {
    let (level, from, until) = match seat {
        Seat::District => (Level::District, Status::Submitted, batch.district_until),
        Seat::City => (Level::City, Status::Recommended, batch.city_until),
        _ => return Err(Refusal::NotYourSeat),
    };
    if state != from {
        return Err(Refusal::WrongState(state));
    }
    if today > until {
        return Err(Refusal::ReviewClosed(until));
    }
    let decision = input.decision.ok_or(Refusal::NoDecision)?;
    let to = match (level, decision) {
        (Level::District, Decision::Recommend) => Status::Recommended,
        (Level::City, Decision::Approve) => Status::Approved,
        (_, Decision::Return) => Status::Returned,
        (_, Decision::Reject) => Status::Rejected,
        _ => return Err(Refusal::NoDecision),
    };
    if decision.favourable() && input.barred {
        return Err(Refusal::Barred);
    }
    let reason = input.reason.trim();
    if !decision.favourable() && reason.is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    let (mut override_scores, mut override_evaluation) = (None, None);
    if decision == Decision::Approve {
        if input.unscored != Some(0) {
            let why = input.override_scores.trim();
            if why.is_empty() {
                return Err(Refusal::ScoresMissing(input.unscored));
            }
            override_scores = Some(why.to_owned());
        }
        if !input.evaluation_passes {
            let why = input.override_evaluation.trim();
            if why.is_empty() {
                return Err(Refusal::EvaluationFails);
            }
            override_evaluation = Some(why.to_owned());
        }
        if let Some(q) = batch.quota
            && input.quota_taken >= q
        {
            return Err(Refusal::QuotaFull(q));
        }
    }
    Ok(Reviewed {
        to,
        level,
        decision,
        override_scores,
        override_evaluation,
    })
}

/// The notice's window: from `today`, `days` days long (both ends included).
pub fn notice_window(today: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    (today, today + Days::new(u64::from(days)))
}

/// Whether `today` lies within a declaration's notice window.
pub fn on_notice(window: Option<(NaiveDate, NaiveDate)>, today: NaiveDate) -> bool {
    window.is_some_and(|(from, until)| from <= today && today <= until)
}

/// Anyone may object to a declaration during its notice.
pub fn object(
    state: Status,
    window: Option<(NaiveDate, NaiveDate)>,
    today: NaiveDate,
) -> Result<(), Refusal> {
    if state != Status::Notice || !on_notice(window, today) {
        return Err(Refusal::NotOnNotice);
    }
    Ok(())
}

/// The city rules on an objection: upheld, the declaration is refused; dismissed, it stays on
/// notice.
pub fn resolve_objection(state: Status, seat: Seat, upheld: bool) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    match (state, upheld) {
        (Status::Notice, true) => Ok(Status::Refused),
        (Status::Notice, false) => Ok(Status::Notice),
        (s, _) => Err(Refusal::WrongState(s)),
    }
}

/// What recognition looks at for one declaration on notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recognition {
    pub notice_until: Option<NaiveDate>,
    pub open_objections: usize,
    pub barred: bool,
    pub evaluation_passes: bool,
    /// Whether the city's approval recorded a reason to approve a failing evaluation.
    pub evaluation_overridden: bool,
}

/// The city recognises a declaration whose notice ended without an open objection, unless a
/// ban now runs or the evaluation fails without the approval's recorded reason.
pub fn recognise(
    state: Status,
    seat: Seat,
    input: &Recognition,
    today: NaiveDate,
) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Notice {
        return Err(Refusal::WrongState(state));
    }
    if input.notice_until.is_none_or(|u| today <= u) {
        return Err(Refusal::NoticeRunning);
    }
    if input.open_objections > 0 {
        return Err(Refusal::ObjectionOpen);
    }
    if input.barred {
        return Err(Refusal::Barred);
    }
    if !input.evaluation_passes && !input.evaluation_overridden {
        return Err(Refusal::EvaluationFails);
    }
    Ok(Status::Recognised)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row of a step's table: the state, the seat, the input, today and the outcome.
    type Case<I, T> = (Status, Seat, I, NaiveDate, Result<T, Refusal>);

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    fn batch() -> Batch {
        Batch {
            declare_until: d(4, 30),
            district_until: d(5, 31),
            city_until: d(6, 30),
            archived: false,
            quota: Some(2),
        }
    }

    #[test]
    fn status_names_round_trip_and_each_is_distinct() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("Draft"), None);
        let editable: Vec<Status> = Status::ALL.into_iter().filter(|s| s.editable()).collect();
        assert_eq!(editable, [Status::Draft, Status::Returned]);
        let quota: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| s.holds_quota())
            .collect();
        assert_eq!(
            quota,
            [Status::Approved, Status::Notice, Status::Recognised]
        );
        let city: Vec<Status> = Status::ALL.into_iter().filter(|s| s.city_sees()).collect();
        assert_eq!(
            city,
            [
                Status::Recommended,
                Status::Approved,
                Status::Notice,
                Status::Recognised,
                Status::Refused
            ]
        );
        for d in [
            Decision::Recommend,
            Decision::Approve,
            Decision::Return,
            Decision::Reject,
            Decision::Score,
        ] {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
        assert_eq!(Decision::parse("yes"), None);
        assert_eq!(
            (
                Level::District.as_str(),
                Level::City.as_str(),
                Level::Expert.as_str()
            ),
            ("district", "city", "expert")
        );
        for l in [Level::District, Level::City, Level::Expert] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        // A score is recorded by an expert, never taken as a reviewer's decision.
        let score = Review {
            decision: Some(Decision::Score),
            ..input(None)
        };
        for (state, seat) in [
            (Status::Submitted, Seat::District),
            (Status::Recommended, Seat::City),
        ] {
            assert_eq!(
                review(state, seat, &score, &batch(), d(5, 1)),
                Err(Refusal::NoDecision)
            );
        }
    }

    #[test]
    #[rustfmt::skip]
    fn submission_table() {
        use Refusal::*;
        use Status::*;
        let open = batch();
        let archived = Batch { archived: true, ..batch() };
        // The input: (pledged, barred, batch).
        let cases: Vec<Case<(bool, bool, &Batch), Status>> = vec![
            (Draft, Seat::Owner, (true, false, &open), d(4, 30), Ok(Submitted)),
            (Draft, Seat::Owner, (true, false, &open), d(5, 1), Err(Closed(d(4, 30)))),
            // A returned declaration may come back until the district's deadline.
            (Returned, Seat::Owner, (true, false, &open), d(5, 31), Ok(Submitted)),
            (Returned, Seat::Owner, (true, false, &open), d(6, 1), Err(Closed(d(5, 31)))),
            (Draft, Seat::Owner, (true, false, &archived), d(4, 1), Err(Closed(d(4, 30)))),
            (Draft, Seat::Owner, (false, false, &open), d(4, 1), Err(NoPledge)),
            (Draft, Seat::Owner, (true, true, &open), d(4, 1), Err(Barred)),
            (Draft, Seat::District, (true, false, &open), d(4, 1), Err(NotYourSeat)),
            (Draft, Seat::City, (true, false, &open), d(4, 1), Err(NotYourSeat)),
            (Draft, Seat::Expert, (true, false, &open), d(4, 1), Err(NotYourSeat)),
            // A second click: already submitted.
            (Submitted, Seat::Owner, (true, false, &open), d(4, 1), Err(WrongState(Submitted))),
            (Withdrawn, Seat::Owner, (true, false, &open), d(4, 1), Err(WrongState(Withdrawn))),
            (Recognised, Seat::Owner, (true, false, &open), d(4, 1), Err(WrongState(Recognised))),
        ];
        for (i, (state, seat, (pledged, barred, b), today, want)) in cases.into_iter().enumerate() {
            assert_eq!(submit(state, seat, pledged, barred, b, today), want, "case {i}: {state:?} by {seat:?}");
        }
    }

    #[test]
    fn withdrawal_from_every_state() {
        for s in Status::ALL {
            let want = if matches!(s, Status::Draft | Status::Submitted | Status::Returned) {
                Ok(Status::Withdrawn)
            } else {
                Err(Refusal::WrongState(s))
            };
            assert_eq!(withdraw(s, Seat::Owner), want, "{s:?}");
            for seat in [Seat::District, Seat::City, Seat::Expert] {
                assert_eq!(
                    withdraw(s, seat),
                    Err(Refusal::NotYourSeat),
                    "{s:?} {seat:?}"
                );
            }
        }
    }

    fn input(decision: Option<Decision>) -> Review<'static> {
        Review {
            decision,
            reason: "",
            barred: false,
            quota_taken: 0,
            unscored: Some(0),
            evaluation_passes: true,
            override_scores: "",
            override_evaluation: "",
        }
    }

    #[test]
    #[rustfmt::skip]
    fn review_table() {
        use Decision::*;
        use Refusal::*;
        use Status::*;
        let with_reason = |dec| Review { reason: "材料不全", ..input(Some(dec)) };
        let barred = |dec| Review { barred: true, reason: "x", ..input(Some(dec)) };
        let full = Review { quota_taken: 2, ..input(Some(Approve)) };
        let unscored = Review { unscored: Some(1), ..input(Some(Approve)) };
        let none_drawn = Review { unscored: None, ..input(Some(Approve)) };
        let failing = Review { evaluation_passes: false, ..input(Some(Approve)) };
        let cases: Vec<Case<Review, Status>> = vec![
            (Submitted, Seat::District, input(Some(Recommend)), d(5, 31), Ok(Recommended)),
            (Submitted, Seat::District, with_reason(Return), d(5, 1), Ok(Returned)),
            (Submitted, Seat::District, with_reason(Reject), d(5, 1), Ok(Rejected)),
            (Submitted, Seat::District, input(Some(Return)), d(5, 1), Err(ReasonRequired)),
            (Submitted, Seat::District, input(Some(Reject)), d(5, 1), Err(ReasonRequired)),
            (Submitted, Seat::District, input(Some(Approve)), d(5, 1), Err(NoDecision)),
            (Submitted, Seat::District, input(None), d(5, 1), Err(NoDecision)),
            (Submitted, Seat::District, input(Some(Recommend)), d(6, 1), Err(ReviewClosed(d(5, 31)))),
            (Submitted, Seat::District, barred(Recommend), d(5, 1), Err(Barred)),
            // A ban does not stop a return or a rejection.
            (Submitted, Seat::District, barred(Reject), d(5, 1), Ok(Rejected)),
            (Recommended, Seat::District, input(Some(Recommend)), d(5, 1), Err(WrongState(Recommended))),
            (Draft, Seat::District, input(Some(Recommend)), d(5, 1), Err(WrongState(Draft))),
            (Recommended, Seat::City, input(Some(Approve)), d(6, 30), Ok(Approved)),
            (Recommended, Seat::City, with_reason(Return), d(6, 1), Ok(Returned)),
            (Recommended, Seat::City, with_reason(Reject), d(6, 1), Ok(Rejected)),
            (Recommended, Seat::City, input(Some(Recommend)), d(6, 1), Err(NoDecision)),
            (Recommended, Seat::City, input(Some(Approve)), d(7, 1), Err(ReviewClosed(d(6, 30)))),
            (Recommended, Seat::City, barred(Approve), d(6, 1), Err(Barred)),
            (Recommended, Seat::City, full, d(6, 1), Err(QuotaFull(2))),
            (Recommended, Seat::City, unscored, d(6, 1), Err(ScoresMissing(Some(1)))),
            (Recommended, Seat::City, none_drawn, d(6, 1), Err(ScoresMissing(None))),
            (Recommended, Seat::City, failing, d(6, 1), Err(EvaluationFails)),
            (Submitted, Seat::City, input(Some(Approve)), d(6, 1), Err(WrongState(Submitted))),
            (Approved, Seat::City, input(Some(Approve)), d(6, 1), Err(WrongState(Approved))),
            (Submitted, Seat::Owner, input(Some(Recommend)), d(5, 1), Err(NotYourSeat)),
            (Recommended, Seat::Expert, input(Some(Approve)), d(6, 1), Err(NotYourSeat)),
        ];
        for (i, (state, seat, review_in, today, want)) in cases.into_iter().enumerate() {
            assert_eq!(
                review(state, seat, &review_in, &batch(), today).map(|r| r.to),
                want,
                "case {i}: {state:?} by {seat:?} with {review_in:?}"
            );
        }
    }

    #[test]
    fn an_approval_records_the_reasons_it_stood_on() {
        let r = Review {
            unscored: Some(2),
            evaluation_passes: false,
            override_scores: " 专家回避 ",
            override_evaluation: "研发投入口径经复核",
            ..input(Some(Decision::Approve))
        };
        let got = review(Status::Recommended, Seat::City, &r, &batch(), d(6, 1));
        assert_eq!(
            got,
            Ok(Reviewed {
                to: Status::Approved,
                level: Level::City,
                decision: Decision::Approve,
                override_scores: Some("专家回避".into()),
                override_evaluation: Some("研发投入口径经复核".into()),
            })
        );
        // Grounds that were not needed are not recorded.
        let plain = Review {
            override_scores: "无",
            ..input(Some(Decision::Approve))
        };
        let got = review(Status::Recommended, Seat::City, &plain, &batch(), d(6, 1));
        assert_eq!(got.map(|r| r.override_scores), Ok(None));
    }

    #[test]
    #[rustfmt::skip]
    fn notice_objection_and_recognition_table() {
        use Refusal::*;
        use Status::*;
        let window = notice_window(d(7, 1), 5);
        assert_eq!(window, (d(7, 1), d(7, 6)));
        assert_eq!(object(Notice, Some(window), d(7, 1)), Ok(()));
        assert_eq!(object(Notice, Some(window), d(7, 6)), Ok(()));
        assert_eq!(object(Notice, Some(window), d(7, 7)), Err(NotOnNotice));
        assert_eq!(object(Notice, Some(window), d(6, 30)), Err(NotOnNotice));
        assert_eq!(object(Notice, None, d(7, 2)), Err(NotOnNotice));
        assert_eq!(object(Approved, Some(window), d(7, 2)), Err(NotOnNotice));

        assert_eq!(resolve_objection(Notice, Seat::City, true), Ok(Refused));
        assert_eq!(resolve_objection(Notice, Seat::City, false), Ok(Notice));
        assert_eq!(resolve_objection(Recognised, Seat::City, true), Err(WrongState(Recognised)));
        assert_eq!(resolve_objection(Notice, Seat::District, true), Err(NotYourSeat));

        let ok = Recognition {
            notice_until: Some(window.1),
            open_objections: 0,
            barred: false,
            evaluation_passes: true,
            evaluation_overridden: false,
        };
        let with = |f: fn(&mut Recognition)| { let mut r = ok.clone(); f(&mut r); r };
        let cases: Vec<Case<Recognition, Status>> = vec![
            (Notice, Seat::City, ok.clone(), d(7, 7), Ok(Recognised)),
            (Notice, Seat::City, ok.clone(), d(7, 6), Err(NoticeRunning)),
            (Notice, Seat::City, with(|r| r.notice_until = None), d(8, 1), Err(NoticeRunning)),
            (Notice, Seat::City, with(|r| r.open_objections = 1), d(7, 7), Err(ObjectionOpen)),
            (Notice, Seat::City, with(|r| r.barred = true), d(7, 7), Err(Barred)),
            (Notice, Seat::City, with(|r| r.evaluation_passes = false), d(7, 7), Err(EvaluationFails)),
            (Notice, Seat::City, with(|r| { r.evaluation_passes = false; r.evaluation_overridden = true }), d(7, 7), Ok(Recognised)),
            (Approved, Seat::City, ok.clone(), d(7, 7), Err(WrongState(Approved))),
            (Refused, Seat::City, ok.clone(), d(7, 7), Err(WrongState(Refused))),
            (Notice, Seat::District, ok.clone(), d(7, 7), Err(NotYourSeat)),
        ];
        for (i, (state, seat, input, today, want)) in cases.into_iter().enumerate() {
            assert_eq!(recognise(state, seat, &input, today), want, "case {i}");
        }
    }

    #[test]
    fn every_state_the_city_sees_or_that_holds_quota_lies_past_the_district() {
        for s in Status::ALL {
            if s.holds_quota() {
                assert!(s.city_sees(), "{s:?}");
            }
            if s.city_sees() {
                assert!(!s.editable(), "{s:?}");
            }
        }
    }
}
