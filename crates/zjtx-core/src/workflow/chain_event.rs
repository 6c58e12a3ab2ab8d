//! Chain matchmaking events (产业链“百场万企”对接): the bureau or a district office records an event
//! of a chain — its day, organiser, place and kind — the parties that took part, by role (a large
//! firm, an SME, a bank, an institute; registry firms by their code, others by name), and what
//! came of it: an intention, an order, a financing or a project, with its amount, moving from
//! intention to signed to executed (or cancelled, with a reason).
//!
//! The bureau's line counts signed and executed outcomes only: an intention is not yet an order.

use chrono::NaiveDate;

use crate::ids::Uscc;
use crate::num::Wan;

/// Who records events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The city bureau: events anywhere, city-wide or in a district.
    City,
    /// A district office: events in its own district.
    District(String),
    /// Anyone else (firms see their own events but do not record them).
    Other,
}

keyed!(
    /// What kind of event.
    Kind {
        Matchmaking = "matchmaking",
        Roadshow = "roadshow",
        Visit = "visit",
        Exhibition = "exhibition",
    }
);

keyed!(
    /// A party's role at an event.
    Role {
        LargeFirm = "large_firm",
        Sme = "sme",
        Bank = "bank",
        Institute = "institute",
    }
);

keyed!(
    /// What came of an event.
    OutcomeKind {
        Intention = "intention",
        Order = "order",
        Financing = "financing",
        Project = "project",
    }
);

keyed!(
    /// Where an outcome stands.
    Status {
        Intention = "intention",
        Signed = "signed",
        Executed = "executed",
        Cancelled = "cancelled",
    }
);

impl Status {
    /// Whether the bureau's line counts it.
    pub fn counts(self) -> bool {
        matches!(self, Status::Signed | Status::Executed)
    }
}

impl OutcomeKind {
    /// Whether the outcome must state an amount (an order's value, a financing's sum).
    pub fn needs_amount(self) -> bool {
        matches!(self, OutcomeKind::Order | OutcomeKind::Financing)
    }
}

/// The longest title, organiser, place or name; the longest note.
pub const TEXT_MAX: usize = 200;
pub const NOTE_MAX: usize = 1000;

/// A field of the event forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Chain,
    Title,
    HeldOn,
    Organiser,
    Place,
    Kind,
    Role,
    Party,
    OutcomeKind,
    Amount,
    Status,
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// These fields are missing or wrong (all of them at once).
    Invalid(Vec<Field>),
    /// An outcome can only be recorded from the day of its event on.
    NotHeldYet(NaiveDate),
    /// The outcome is not in a state this step starts from.
    WrongState(Status),
    /// A cancellation says why.
    ReasonRequired,
}

/// The event form as typed.
#[derive(Clone, Debug, Default)]
pub struct EventDraft<'a> {
    pub chain: &'a str,
    pub title: &'a str,
    pub held_on: &'a str,
    pub organiser: &'a str,
    pub place: &'a str,
    pub kind: &'a str,
    /// The city's choice of district (blank: city-wide); a district office's own is used instead.
    pub region: &'a str,
}

/// An event ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub chain: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub organiser: String,
    pub place: String,
    pub kind: Kind,
    pub region: Option<String>,
}

fn text(v: &str, required: bool) -> Option<String> {
    let v = v.trim();
    let n = v.chars().count();
    ((!required || n > 0) && n <= TEXT_MAX).then(|| v.to_owned())
}

/// Plans an event of one of `chains` (the chains in force).
pub fn plan(seat: &Seat, d: &EventDraft<'_>, chains: &[&str]) -> Result<Event, Refusal> {
    let region = match seat {
        Seat::Other => return Err(Refusal::NotYourSeat),
        Seat::District(own) => Some(own.clone()),
        Seat::City => Some(d.region.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    let mut bad = Vec::new();
    let chain = d.chain.trim();
    if !chains.contains(&chain) {
        bad.push(Field::Chain);
    }
    let title = text(d.title, true);
    let held_on = NaiveDate::parse_from_str(d.held_on.trim(), "%Y-%m-%d").ok();
    let organiser = text(d.organiser, true);
    let place = text(d.place, false);
    let kind = Kind::from_key(d.kind.trim());
    for (ok, f) in [
        (title.is_some(), Field::Title),
        (held_on.is_some(), Field::HeldOn),
        (organiser.is_some(), Field::Organiser),
        (place.is_some(), Field::Place),
        (kind.is_some(), Field::Kind),
    ] {
        if !ok {
            bad.push(f);
        }
    }
    match (title, held_on, organiser, place, kind) {
        (Some(title), Some(held_on), Some(organiser), Some(place), Some(kind))
            if bad.is_empty() =>
        {
            Ok(Event {
                chain: chain.to_owned(),
                title,
                held_on,
                organiser,
                place,
                kind,
                region,
            })
        }
        _ => Err(Refusal::Invalid(bad)),
    }
}

/// A party as recorded: a registry firm by its code, anyone else by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Party {
    Firm(Uscc),
    Named(String),
}

/// Reads a party: a large firm or an SME must be a registry firm (its code); a bank or an
/// institute may be named, or be a registry firm too.
pub fn party(role: &str, who: &str) -> Result<(Role, Party), Refusal> {
    let role = Role::from_key(role.trim()).ok_or(Refusal::Invalid(vec![Field::Role]))?;
    let who = who.trim();
    let party = match Uscc::parse(who) {
        Ok(u) => Party::Firm(u),
        Err(_) if matches!(role, Role::Bank | Role::Institute) => {
            Party::Named(text(who, true).ok_or(Refusal::Invalid(vec![Field::Party]))?)
        }
        Err(_) => return Err(Refusal::Invalid(vec![Field::Party])),
    };
    Ok((role, party))
}

/// An outcome ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// Units of 0.0001 万.
    pub amount: Option<i64>,
    pub status: Status,
    pub note: String,
}

/// Records an outcome of an event held on `held_on`: from that day on; an order or a financing
/// states its amount; it starts as an intention or, signed on the spot, as signed.
pub fn outcome(
    held_on: NaiveDate,
    kind: &str,
    amount: &str,
    status: &str,
    note: &str,
    today: NaiveDate,
) -> Result<Outcome, Refusal> {
    let mut bad = Vec::new();
    let kind = OutcomeKind::from_key(kind.trim());
    if kind.is_none() {
        bad.push(Field::OutcomeKind);
    }
    let amount = match amount.trim() {
        "" => Some(None),
        v => Wan::parse(v)
            .ok()
            .map(|w| w.units())
            .filter(|u| *u >= 0)
            .map(Some),
    };
    if amount.is_none() || (kind.is_some_and(OutcomeKind::needs_amount) && amount == Some(None)) {
        bad.push(Field::Amount);
    }
    let status =
        Status::from_key(status.trim()).filter(|s| matches!(s, Status::Intention | Status::Signed));
    if status.is_none() {
        bad.push(Field::Status);
    }
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        bad.push(Field::Note);
    }
    let (Some(kind), Some(amount), Some(status), true) = (kind, amount, status, bad.is_empty())
    else {
        return Err(Refusal::Invalid(bad));
    };
    if today < held_on {
        return Err(Refusal::NotHeldYet(held_on));
    }
    Ok(Outcome {
        kind,
        amount,
        status,
        note: note.to_owned(),
    })
}

/// Moves an outcome on: intention → signed → executed; an intention or a signed outcome may be
/// cancelled, with a reason. Executed and cancelled are final.
pub fn advance(seat: &Seat, from: Status, to: Status, reason: &str) -> Result<Status, Refusal> {
    if *seat == Seat::Other {
        return Err(Refusal::NotYourSeat);
    }
    let ok = matches!(
        (from, to),
        (Status::Intention, Status::Signed)
            | (Status::Signed, Status::Executed)
            | (Status::Intention | Status::Signed, Status::Cancelled)
    );
    if !ok {
        return Err(Refusal::WrongState(from));
    }
    if to == Status::Cancelled && reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    const CHAINS: &[&str] = &["集成电路", "机器人"];

    fn draft() -> EventDraft<'static> {
        EventDraft {
            chain: "集成电路",
            title: "集成电路产业链供需对接会",
            held_on: "2026-06-01",
            organiser: "市经信局",
            place: "滨江区",
            kind: "matchmaking",
            region: "",
        }
    }

    #[test]
    fn planning_as_a_table() {
        let xihu = Seat::District("330106".into());
        let with = |f: fn(&mut EventDraft<'static>)| {
            let mut x = draft();
            f(&mut x);
            x
        };
        type Case = (
            &'static str,
            Seat,
            EventDraft<'static>,
            Result<Option<&'static str>, Refusal>,
        );
        let cases: Vec<Case> = vec![
            ("the city, city-wide", Seat::City, draft(), Ok(None)),
            (
                "the city, in a district",
                Seat::City,
                with(|x| x.region = "330108"),
                Ok(Some("330108")),
            ),
            (
                "a district is kept to its own",
                xihu.clone(),
                with(|x| x.region = "330108"),
                Ok(Some("330106")),
            ),
            (
                "a firm does not record events",
                Seat::Other,
                draft(),
                Err(Refusal::NotYourSeat),
            ),
            (
                "a chain not in force",
                Seat::City,
                with(|x| x.chain = "造船"),
                Err(Refusal::Invalid(vec![Field::Chain])),
            ),
            (
                "the place may be blank",
                Seat::City,
                with(|x| x.place = ""),
                Ok(None),
            ),
            (
                "every bad field at once",
                Seat::City,
                with(|x| {
                    x.title = "";
                    x.held_on = "2026-13-01";
                    x.organiser = " ";
                    x.kind = "party";
                }),
                Err(Refusal::Invalid(vec![
                    Field::Title,
                    Field::HeldOn,
                    Field::Organiser,
                    Field::Kind,
                ])),
            ),
        ];
        for (name, seat, draft, want) in cases {
            let got = plan(&seat, &draft, CHAINS);
            match want {
                Ok(region) => {
                    let e = got.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    assert_eq!(e.region.as_deref(), region, "{name}");
                    assert_eq!((e.held_on, e.kind), (d(6, 1), Kind::Matchmaking), "{name}");
                }
                Err(e) => assert_eq!(got.err(), Some(e), "{name}"),
            }
        }
    }

    #[test]
    fn parties_as_a_table() {
        let firm = Uscc::with_check(b"91330106MA2B3C4D5").unwrap_or_else(|| panic!("a code"));
        assert_eq!(
            party("sme", firm.as_str()),
            Ok((Role::Sme, Party::Firm(firm.clone())))
        );
        assert_eq!(
            party("large_firm", firm.as_str()),
            Ok((Role::LargeFirm, Party::Firm(firm)))
        );
        assert_eq!(
            party("bank", "杭州银行"),
            Ok((Role::Bank, Party::Named("杭州银行".into())))
        );
        assert_eq!(
            party("institute", " 之江实验室 "),
            Ok((Role::Institute, Party::Named("之江实验室".into())))
        );
        assert_eq!(
            party("sme", "某公司"),
            Err(Refusal::Invalid(vec![Field::Party]))
        );
        assert_eq!(
            party("bank", " "),
            Err(Refusal::Invalid(vec![Field::Party]))
        );
        assert_eq!(
            party("guest", "x"),
            Err(Refusal::Invalid(vec![Field::Role]))
        );
    }

    #[test]
    fn outcomes_as_a_table() {
        type Case = (
            &'static str,
            (&'static str, &'static str, &'static str),
            NaiveDate,
            Result<(OutcomeKind, Option<i64>, Status), Refusal>,
        );
        let cases: Vec<Case> = vec![
            (
                "a signed order on the day",
                ("order", "1200", "signed"),
                d(6, 1),
                Ok((OutcomeKind::Order, Some(12_000_000), Status::Signed)),
            ),
            (
                "an intention without an amount",
                ("intention", "", "intention"),
                d(6, 2),
                Ok((OutcomeKind::Intention, None, Status::Intention)),
            ),
            (
                "a project with an amount",
                ("project", "50.5", "intention"),
                d(6, 2),
                Ok((OutcomeKind::Project, Some(505_000), Status::Intention)),
            ),
            (
                "an order needs its amount",
                ("order", "", "signed"),
                d(6, 2),
                Err(Refusal::Invalid(vec![Field::Amount])),
            ),
            (
                "a financing needs its amount",
                ("financing", " ", "intention"),
                d(6, 2),
                Err(Refusal::Invalid(vec![Field::Amount])),
            ),
            (
                "no negative amount",
                ("order", "-5", "signed"),
                d(6, 2),
                Err(Refusal::Invalid(vec![Field::Amount])),
            ),
            (
                "it cannot start executed",
                ("order", "5", "executed"),
                d(6, 2),
                Err(Refusal::Invalid(vec![Field::Status])),
            ),
            (
                "an unknown kind",
                ("gift", "5", "signed"),
                d(6, 2),
                Err(Refusal::Invalid(vec![Field::OutcomeKind])),
            ),
            (
                "before the event",
                ("order", "5", "signed"),
                d(5, 31),
                Err(Refusal::NotHeldYet(d(6, 1))),
            ),
        ];
        for (name, (kind, amount, status), today, want) in cases {
            let got = outcome(d(6, 1), kind, amount, status, "", today)
                .map(|o| (o.kind, o.amount, o.status));
            assert_eq!(got, want, "{name}");
        }
        let long = "注".repeat(NOTE_MAX + 1);
        assert_eq!(
            outcome(d(6, 1), "order", "1", "signed", &long, d(6, 1)).err(),
            Some(Refusal::Invalid(vec![Field::Note]))
        );
    }

    #[test]
    fn outcome_steps_as_a_table() {
        use Status::*;
        let city = Seat::City;
        type Case<'a> = (Seat, Status, Status, &'a str, Result<Status, Refusal>);
        let cases: &[Case] = &[
            (city.clone(), Intention, Signed, "", Ok(Signed)),
            (city.clone(), Signed, Executed, "", Ok(Executed)),
            (
                Seat::District("330106".into()),
                Intention,
                Cancelled,
                "企业放弃",
                Ok(Cancelled),
            ),
            (city.clone(), Signed, Cancelled, "合同解除", Ok(Cancelled)),
            (
                city.clone(),
                Signed,
                Cancelled,
                " ",
                Err(Refusal::ReasonRequired),
            ),
            (
                city.clone(),
                Intention,
                Executed,
                "",
                Err(Refusal::WrongState(Intention)),
            ),
            (
                city.clone(),
                Signed,
                Signed,
                "",
                Err(Refusal::WrongState(Signed)),
            ),
            (
                city.clone(),
                Executed,
                Cancelled,
                "x",
                Err(Refusal::WrongState(Executed)),
            ),
            (
                city.clone(),
                Cancelled,
                Signed,
                "",
                Err(Refusal::WrongState(Cancelled)),
            ),
            (
                Seat::Other,
                Intention,
                Signed,
                "",
                Err(Refusal::NotYourSeat),
            ),
        ];
        for (seat, from, to, reason, want) in cases {
            assert_eq!(
                advance(seat, *from, *to, reason),
                *want,
                "{from:?} → {to:?}"
            );
        }
        assert!(Signed.counts() && Executed.counts() && !Intention.counts() && !Cancelled.counts());
    }

    #[test]
    fn keys_read_back() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_key(k.key()), Some(*k));
        }
        for r in Role::ALL {
            assert_eq!(Role::from_key(r.key()), Some(*r));
        }
        for o in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::from_key(o.key()), Some(*o));
        }
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(*s));
        }
    }
}
