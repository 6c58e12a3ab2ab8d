//! Funding applications (issue 13): an enterprise applies to an open call of a programme with a
//! project (its registration, its investment lines — equipment, technology, software — with the
//! invoices behind them); its district recommends, returns or rejects; the city approves with
//! the award the programme computes (refused when the project is not eligible, when the budget of
//! the city or of the district would be over-committed, or when the same project holds a higher
//! or paid award elsewhere — 就高不重复), or rejects; the approved award is paid in instalments by
//! the city and the district, each within its share; money paid is recovered (追回) when the title
//! is revoked or the project fails acceptance.
//!
//! ```text
//! submitted ──district: recommend──▶ recommended ──city: approve (award)──▶ approved ──pay…
//!   │  ▲                               │  └──city: reject──▶ rejected             └──recover…
//!   │  └─(firm: resubmit)── returned ◀─┘(district: return)
//!   └──district: reject──▶ rejected        approved ──(a higher award of the same project)──▶ superseded
//! ```

use chrono::NaiveDate;

use crate::num::Wan;
use crate::programme::{Award, ProjectFacts};
use crate::trace::Verdict;

keyed!(
    /// Where an application stands.
    Status {
        Submitted = "submitted",
        Returned = "returned",
        Recommended = "recommended",
        Approved = "approved",
        Rejected = "rejected",
        Superseded = "superseded",
    }
);

keyed!(
    /// Who pays an instalment, or gets money back.
    Level {
        City = "city",
        District = "district",
    }
);

keyed!(
    /// Why money is recovered.
    Cause {
        TitleRevoked = "title_revoked",
        AcceptanceFailed = "acceptance_failed",
        Other = "other",
    }
);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The applying enterprise.
    Owner,
    /// The enterprise's district office.
    District,
    City,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Code,
    RegisteredOn,
    Equipment,
    Technology,
    Software,
    DigitalLevel,
    Tier,
    Premium,
    CoverYear,
    Invoices,
    Reason,
    Amount,
    PaidOn,
    Reference,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    Invalid(Vec<Field>),
    WrongState(Status),
    /// The call is not open on this day.
    CallClosed,
    /// The programme's conditions are not all met (or a blank fact leaves one undecided).
    NotEligible(Verdict),
    /// Approving would take this level's commitments past its budget by this much.
    OverBudget(Level, Wan),
    /// The same project holds an award of this programme at least as high.
    Overlap {
        programme: String,
        amount: Wan,
    },
    /// The same project's lower award elsewhere has been paid: recover it first.
    OverlapPaid {
        programme: String,
    },
    /// More than the share of this level left to pay (or paid, to recover).
    TooMuch(Level, Wan),
}

/// The longest project name and code, and the invoices' text.
pub const NAME_MAX: usize = 100;
pub const INVOICES_MAX: usize = 4000;

/// An application's project as typed.
#[derive(Clone, Debug, Default)]
pub struct Draft<'a> {
    pub name: &'a str,
    /// The project's registration code (备案项目代码): one project, one code.
    pub code: &'a str,
    pub registered_on: &'a str,
    pub equipment: &'a str,
    pub technology: &'a str,
    pub software: &'a str,
    pub digital_level: &'a str,
    pub tier: &'a str,
    pub premium: &'a str,
    pub cover_year: &'a str,
    /// The invoices behind the investment lines: number, date, amount, one a line.
    pub invoices: &'a str,
}

/// A project ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub code: String,
    pub facts: ProjectFacts,
    pub invoices: String,
}

fn money(v: &str) -> Option<Option<Wan>> {
    match v.trim() {
        "" => Some(None),
        v => Wan::parse(v).ok().filter(|w| w.units() >= 0).map(Some),
    }
}

/// An enterprise applies to a call of `category`, open from `opens` to `closes` (inclusive).
pub fn apply(
    seat: Seat,
    category: &str,
    window: (NaiveDate, NaiveDate),
    d: &Draft<'_>,
    today: NaiveDate,
) -> Result<Project, Refusal> {
    if seat != Seat::Owner {
        return Err(Refusal::NotYourSeat);
    }
    if today < window.0 || today > window.1 {
        return Err(Refusal::CallClosed);
    }
    let mut bad = Vec::new();
    let name = d.name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        bad.push(Field::Name);
    }
    let code = d.code.trim();
    if code.is_empty() || code.chars().count() > NAME_MAX {
        bad.push(Field::Code);
    }
    let registered_on = NaiveDate::parse_from_str(d.registered_on.trim(), "%Y-%m-%d").ok();
    if registered_on.is_none_or(|r| r > today) {
        bad.push(Field::RegisteredOn);
    }
    let mut m = |v: &str, f: Field| {
        let r = money(v);
        if r.is_none() {
            bad.push(f);
        }
        r.flatten()
    };
    let equipment = m(d.equipment, Field::Equipment);
    let technology = m(d.technology, Field::Technology);
    let software = m(d.software, Field::Software);
    let premium = m(d.premium, Field::Premium);
    let digital_level = match d.digital_level.trim() {
        "" => None,
        v => match crate::num::Dec4::parse(v) {
            Ok(l) if l.units() >= 0 && l <= crate::num::Dec4::whole(4) => Some(l),
            _ => {
                bad.push(Field::DigitalLevel);
                None
            }
        },
    };
    let cover_year = match d.cover_year.trim() {
        "" => None,
        v => match v.parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                bad.push(Field::CoverYear);
                None
            }
        },
    };
    let tier = Some(d.tier.trim().to_owned()).filter(|t| !t.is_empty());
    if tier.as_deref().is_some_and(|t| t.chars().count() > 40) {
        bad.push(Field::Tier);
    }
    let invoices = d.invoices.trim();
    let lines = [equipment, technology, software];
    if (lines.iter().any(Option::is_some) && invoices.is_empty())
        || invoices.chars().count() > INVOICES_MAX
    {
        bad.push(Field::Invoices);
    }
    if !bad.is_empty() {
        return Err(Refusal::Invalid(bad));
    }
    Ok(Project {
        code: code.to_owned(),
        invoices: invoices.to_owned(),
        facts: ProjectFacts {
            name: name.to_owned(),
            category: Some(category.to_owned()),
            registered_on,
            equipment,
            technology,
            software,
            digital_level,
            tier,
            premium,
            cover_year,
        },
    })
}

/// The firm sends a returned application back (changed, checked by `apply`).
pub fn resubmit(seat: Seat, state: Status) -> Result<Status, Refusal> {
    if seat != Seat::Owner {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Returned {
        return Err(Refusal::WrongState(state));
    }
    Ok(Status::Submitted)
}

/// The district's review of a submitted application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    Recommend,
    Return,
    Reject,
}

pub fn review(seat: Seat, state: Status, r: Review, reason: &str) -> Result<Status, Refusal> {
    if seat != Seat::District {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Submitted {
        return Err(Refusal::WrongState(state));
    }
    match r {
        Review::Recommend => Ok(Status::Recommended),
        _ if reason.trim().is_empty() => Err(Refusal::Invalid(vec![Field::Reason])),
        Review::Return => Ok(Status::Returned),
        Review::Reject => Ok(Status::Rejected),
    }
}

/// The city rejects a recommended application, saying why.
pub fn reject(seat: Seat, state: Status, reason: &str) -> Result<Status, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Recommended {
        return Err(Refusal::WrongState(state));
    }
    if reason.trim().is_empty() {
        return Err(Refusal::Invalid(vec![Field::Reason]));
    }
    Ok(Status::Rejected)
}

/// What the budgets of the call have left: the city's, and the project's district's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Left {
    pub city: Wan,
    pub district: Wan,
}

/// Another award of the same project (its registration code) in any programme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Other {
    pub id: i64,
    pub programme: String,
    pub amount: Wan,
    pub paid: Wan,
}

/// The city approves a recommended application with its award: eligible on every condition,
/// within both budgets, and the highest award of its project (a lower unpaid award elsewhere is
/// superseded: its id is returned).
pub fn approve(
    seat: Seat,
    state: Status,
    award: &Award,
    left: Left,
    others: &[Other],
) -> Result<Option<i64>, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Recommended {
        return Err(Refusal::WrongState(state));
    }
    if award.verdict != Verdict::Pass {
        return Err(Refusal::NotEligible(award.verdict));
    }
    for (level, need, have) in [
        (Level::City, award.city, left.city),
        (Level::District, award.district, left.district),
    ] {
        if need > have {
            return Err(Refusal::OverBudget(
                level,
                Wan::from_units(need.units() - have.units()).unwrap_or(Wan::ZERO),
            ));
        }
    }
    let mut supersede = None;
    for o in others {
        if o.amount >= award.amount {
            return Err(Refusal::Overlap {
                programme: o.programme.clone(),
                amount: o.amount,
            });
        }
        if o.paid.units() > 0 {
            return Err(Refusal::OverlapPaid {
                programme: o.programme.clone(),
            });
        }
        supersede = Some(o.id);
    }
    Ok(supersede)
}

/// An instalment or a recovery ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    pub level: Level,
    pub amount: Wan,
    pub on: NaiveDate,
    pub reference: String,
}

fn money_step(
    level: &str,
    amount: &str,
    on: &str,
    reference: &str,
    today: NaiveDate,
) -> Result<Money, Refusal> {
    let mut bad = Vec::new();
    let level = Level::from_key(level.trim());
    let amount = Wan::parse(amount.trim()).ok().filter(|w| w.units() > 0);
    if amount.is_none() {
        bad.push(Field::Amount);
    }
    let on = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today);
    if on.is_none() {
        bad.push(Field::PaidOn);
    }
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > NAME_MAX {
        bad.push(Field::Reference);
    }
    match (level, amount, on) {
        (Some(level), Some(amount), Some(on)) if bad.is_empty() => Ok(Money {
            level,
            amount,
            on,
            reference: reference.to_owned(),
        }),
        _ => Err(Refusal::Invalid(bad)),
    }
}

/// The city records an instalment of an approved award paid by a level (on or before today, at
/// most what is left of that level's share).
pub fn pay(
    seat: Seat,
    state: Status,
    share_left: impl Fn(Level) -> Wan,
    d: (&str, &str, &str, &str),
    today: NaiveDate,
) -> Result<Money, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Approved {
        return Err(Refusal::WrongState(state));
    }
    let m = money_step(d.0, d.1, d.2, d.3, today)?;
    let left = share_left(m.level);
    if m.amount > left {
        return Err(Refusal::TooMuch(m.level, left));
    }
    Ok(m)
}

/// The city records money recovered from an approved award (at most what that level paid and
/// has not recovered), with its cause; the reference says where the decision is.
pub fn recover(
    seat: Seat,
    state: Status,
    cause: &str,
    recoverable: impl Fn(Level) -> Wan,
    d: (&str, &str, &str, &str),
    today: NaiveDate,
) -> Result<(Money, Cause), Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    if !matches!(state, Status::Approved | Status::Superseded) {
        return Err(Refusal::WrongState(state));
    }
    let cause = Cause::from_key(cause.trim()).ok_or(Refusal::Invalid(vec![Field::Reason]))?;
    let m = money_step(d.0, d.1, d.2, d.3, today)?;
    let left = recoverable(m.level);
    if m.amount > left {
        return Err(Refusal::TooMuch(m.level, left));
    }
    Ok((m, cause))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    fn draft() -> Draft<'static> {
        Draft {
            name: "智能产线技改",
            code: "2019-330106-34-03-000001",
            registered_on: "2019-05-01",
            equipment: "800",
            technology: "150",
            software: "100",
            invoices: "No.001 2026-01-05 800\nNo.002 2026-02-01 250",
            ..Default::default()
        }
    }

    fn award(verdict: Verdict, amount: i64, city: i64) -> Award {
        Award {
            programme: "p".into(),
            verdict,
            checks: Vec::new(),
            lines: Vec::new(),
            amount: Wan::whole(amount),
            city: Wan::whole(city),
            district: Wan::whole(amount - city),
        }
    }

    #[test]
    fn applying_checks_every_field_within_the_window() {
        let w = (d(3, 1), d(5, 31));
        let p = apply(Seat::Owner, "tech_upgrade", w, &draft(), d(4, 1));
        assert_eq!(
            p.as_ref()
                .map(|p| (p.facts.investment().0, p.facts.category.clone())),
            Ok((Wan::whole(1050), Some("tech_upgrade".to_owned())))
        );
        assert_eq!(
            apply(Seat::Owner, "tech_upgrade", w, &draft(), d(6, 1)),
            Err(Refusal::CallClosed)
        );
        assert_eq!(
            apply(Seat::Owner, "tech_upgrade", w, &draft(), d(2, 28)),
            Err(Refusal::CallClosed)
        );
        assert_eq!(
            apply(Seat::District, "tech_upgrade", w, &draft(), d(4, 1)),
            Err(Refusal::NotYourSeat)
        );
        let bad = Draft {
            name: "",
            code: " ",
            registered_on: "2027-01-01",
            equipment: "-1",
            technology: "x",
            software: "",
            digital_level: "5",
            cover_year: "0",
            invoices: "",
            ..Default::default()
        };
        assert_eq!(
            apply(Seat::Owner, "tech_upgrade", w, &bad, d(4, 1)),
            Err(Refusal::Invalid(vec![
                Field::Name,
                Field::Code,
                Field::RegisteredOn,
                Field::Equipment,
                Field::Technology,
                Field::DigitalLevel,
                Field::CoverYear,
            ]))
        );
        // Investment lines need their invoices.
        let no_invoices = Draft {
            invoices: "",
            ..draft()
        };
        assert_eq!(
            apply(Seat::Owner, "tech_upgrade", w, &no_invoices, d(4, 1)),
            Err(Refusal::Invalid(vec![Field::Invoices]))
        );
    }

    #[test]
    fn reviews_as_a_table() {
        let cases = [
            (
                Seat::District,
                Submitted,
                Review::Recommend,
                "",
                Ok(Recommended),
            ),
            (
                Seat::District,
                Submitted,
                Review::Return,
                "补发票",
                Ok(Returned),
            ),
            (
                Seat::District,
                Submitted,
                Review::Reject,
                "",
                Err(Refusal::Invalid(vec![Field::Reason])),
            ),
            (
                Seat::District,
                Recommended,
                Review::Recommend,
                "",
                Err(Refusal::WrongState(Recommended)),
            ),
            (
                Seat::City,
                Submitted,
                Review::Recommend,
                "",
                Err(Refusal::NotYourSeat),
            ),
            (
                Seat::Owner,
                Submitted,
                Review::Recommend,
                "",
                Err(Refusal::NotYourSeat),
            ),
        ];
        for (seat, state, r, reason, want) in cases {
            assert_eq!(
                review(seat, state, r, reason),
                want,
                "{seat:?} {state:?} {r:?}"
            );
        }
        assert_eq!(resubmit(Seat::Owner, Returned), Ok(Submitted));
        assert_eq!(
            resubmit(Seat::Owner, Submitted),
            Err(Refusal::WrongState(Submitted))
        );
        assert_eq!(reject(Seat::City, Recommended, "重复申报"), Ok(Rejected));
        assert_eq!(
            reject(Seat::City, Recommended, ""),
            Err(Refusal::Invalid(vec![Field::Reason]))
        );
        assert_eq!(
            reject(Seat::District, Recommended, "x"),
            Err(Refusal::NotYourSeat)
        );
    }

    #[test]
    fn approval_guards_budgets_eligibility_and_overlap() {
        let ok = award(Verdict::Pass, 210, 105);
        let plenty = Left {
            city: Wan::whole(1000),
            district: Wan::whole(1000),
        };
        assert_eq!(approve(Seat::City, Recommended, &ok, plenty, &[]), Ok(None));
        assert_eq!(
            approve(
                Seat::City,
                Recommended,
                &award(Verdict::Review, 210, 105),
                plenty,
                &[]
            ),
            Err(Refusal::NotEligible(Verdict::Review))
        );
        assert_eq!(
            approve(
                Seat::City,
                Recommended,
                &award(Verdict::Fail, 0, 0),
                plenty,
                &[]
            ),
            Err(Refusal::NotEligible(Verdict::Fail))
        );
        // 105 of the city's against 100 left: 5 over.
        assert_eq!(
            approve(
                Seat::City,
                Recommended,
                &ok,
                Left {
                    city: Wan::whole(100),
                    district: Wan::whole(1000)
                },
                &[]
            ),
            Err(Refusal::OverBudget(Level::City, Wan::whole(5)))
        );
        assert_eq!(
            approve(
                Seat::City,
                Recommended,
                &ok,
                Left {
                    city: Wan::whole(105),
                    district: Wan::whole(104)
                },
                &[]
            ),
            Err(Refusal::OverBudget(Level::District, Wan::whole(1)))
        );
        let other = |amount: i64, paid: i64| Other {
            id: 7,
            programme: "digital-breakthrough-2026".into(),
            amount: Wan::whole(amount),
            paid: Wan::whole(paid),
        };
        // 就高不重复: a higher (or equal) award elsewhere wins; a lower unpaid one is superseded.
        assert_eq!(
            approve(Seat::City, Recommended, &ok, plenty, &[other(300, 0)]),
            Err(Refusal::Overlap {
                programme: "digital-breakthrough-2026".into(),
                amount: Wan::whole(300)
            })
        );
        assert_eq!(
            approve(Seat::City, Recommended, &ok, plenty, &[other(210, 0)]),
            Err(Refusal::Overlap {
                programme: "digital-breakthrough-2026".into(),
                amount: Wan::whole(210)
            })
        );
        assert_eq!(
            approve(Seat::City, Recommended, &ok, plenty, &[other(100, 0)]),
            Ok(Some(7))
        );
        assert_eq!(
            approve(Seat::City, Recommended, &ok, plenty, &[other(100, 50)]),
            Err(Refusal::OverlapPaid {
                programme: "digital-breakthrough-2026".into()
            })
        );
        assert_eq!(
            approve(Seat::District, Recommended, &ok, plenty, &[]),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(
            approve(Seat::City, Submitted, &ok, plenty, &[]),
            Err(Refusal::WrongState(Submitted))
        );
    }

    #[test]
    fn payments_and_recoveries_stay_within_shares() {
        let today = d(9, 1);
        let left = |l: Level| match l {
            Level::City => Wan::whole(105),
            Level::District => Wan::whole(50),
        };
        assert_eq!(
            pay(
                Seat::City,
                Approved,
                left,
                ("city", "60", "2026-08-01", "杭财企〔2026〕12号"),
                today
            )
            .map(|m| (m.level, m.amount)),
            Ok((Level::City, Wan::whole(60)))
        );
        assert_eq!(
            pay(
                Seat::City,
                Approved,
                left,
                ("district", "60", "2026-08-01", "r"),
                today
            ),
            Err(Refusal::TooMuch(Level::District, Wan::whole(50)))
        );
        assert_eq!(
            pay(
                Seat::City,
                Approved,
                left,
                ("county", "0", "2026-09-02", ""),
                today
            ),
            Err(Refusal::Invalid(vec![
                Field::Amount,
                Field::PaidOn,
                Field::Reference
            ]))
        );
        assert_eq!(
            pay(
                Seat::City,
                Recommended,
                left,
                ("city", "1", "2026-08-01", "r"),
                today
            ),
            Err(Refusal::WrongState(Recommended))
        );
        assert_eq!(
            pay(
                Seat::District,
                Approved,
                left,
                ("city", "1", "2026-08-01", "r"),
                today
            ),
            Err(Refusal::NotYourSeat)
        );
        let paid = |l: Level| match l {
            Level::City => Wan::whole(60),
            Level::District => Wan::ZERO,
        };
        assert_eq!(
            recover(
                Seat::City,
                Approved,
                "title_revoked",
                paid,
                ("city", "60", "2026-08-20", "撤销决定"),
                today
            )
            .map(|(m, c)| (m.amount, c)),
            Ok((Wan::whole(60), Cause::TitleRevoked))
        );
        assert_eq!(
            recover(
                Seat::City,
                Approved,
                "title_revoked",
                paid,
                ("district", "1", "2026-08-20", "x"),
                today
            ),
            Err(Refusal::TooMuch(Level::District, Wan::ZERO))
        );
        assert_eq!(
            recover(
                Seat::City,
                Approved,
                "whim",
                paid,
                ("city", "1", "2026-08-20", "x"),
                today
            ),
            Err(Refusal::Invalid(vec![Field::Reason]))
        );
        assert_eq!(
            recover(
                Seat::City,
                Rejected,
                "other",
                paid,
                ("city", "1", "2026-08-20", "x"),
                today
            ),
            Err(Refusal::WrongState(Rejected))
        );
    }
}
