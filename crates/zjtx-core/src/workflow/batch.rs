//! A declaration batch: the bureau opens it with its tier, rule set, deadlines and limits;
//! enterprises start declarations while it is open; the bureau archives it when the round is over.

use chrono::NaiveDate;

use crate::rules::DeclarationDefaults;
use crate::trace::Tier;

/// Who acts on a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The city bureau, which runs batches.
    City,
    /// Anyone else (a district office, an enterprise, an expert).
    Other,
}

/// A field of the batch form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Tier,
    Rules,
    Year,
    Title,
    DeclareUntil,
    DistrictUntil,
    CityUntil,
    NoticeDays,
    Quota,
    ExpertsPer,
}

/// Why a step on a batch is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// These fields are missing or out of their range (every one, so a form can mark them all).
    Invalid(Vec<Field>),
    /// The deadlines are not in the order declare ≤ district ≤ city.
    DatesOutOfOrder,
    /// The enterprises' deadline is already past on the day the batch would open.
    DeadlinePast,
    /// The batch is archived.
    Archived,
}

/// The batch form as typed, before it is read.
#[derive(Clone, Debug, Default)]
pub struct Draft<'a> {
    pub tier: &'a str,
    pub year: &'a str,
    pub rules: &'a str,
    pub title: &'a str,
    pub declare_until: &'a str,
    pub district_until: &'a str,
    pub city_until: &'a str,
    pub notice_days: &'a str,
    /// Blank: no quota.
    pub quota: &'a str,
    pub experts_per: &'a str,
}

/// A batch ready to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub tier: Tier,
    pub year: i32,
    pub rules: String,
    pub title: String,
    pub declare_until: NaiveDate,
    pub district_until: NaiveDate,
    pub city_until: NaiveDate,
    pub notice_days: u32,
    pub quota: Option<u32>,
    pub experts_per: u32,
}

/// The longest batch title, in characters.
pub const TITLE_MAX: usize = 200;
/// Bounds of a form's numbers that are not policy: the years a batch can name, the largest quota.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
const QUOTA_MAX: u32 = 100_000;

/// A tier as a batch form names it.
pub fn tier_of(key: &str) -> Option<Tier> {
    [Tier::Innovative, Tier::TechSme, Tier::Srdi, Tier::Giant]
        .into_iter()
        .find(|t| t.key() == key)
}

/// Opens a batch: reads every field of the form against the platform's limits (`policy`) and the
/// rule sets known (`rule_sets`), and checks the deadlines run in order from today on.
pub fn open(
    seat: Seat,
    draft: &Draft<'_>,
    rule_sets: &[&str],
    policy: &DeclarationDefaults,
    today: NaiveDate,
) -> Result<Plan, Refusal> {
    if seat != Seat::City {
        return Err(Refusal::NotYourSeat);
    }
    let mut bad = Vec::new();
    let mut check = |ok: bool, f: Field| {
        if !ok {
            bad.push(f);
        }
    };
    let tier = tier_of(draft.tier.trim());
    check(tier.is_some(), Field::Tier);
    let rules = draft.rules.trim();
    check(rule_sets.contains(&rules), Field::Rules);
    let year = draft
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| YEARS.contains(y));
    check(year.is_some(), Field::Year);
    let title = draft.title.trim();
    check(
        !title.is_empty() && title.chars().count() <= TITLE_MAX,
        Field::Title,
    );
    let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let declare = day(draft.declare_until);
    check(declare.is_some(), Field::DeclareUntil);
    let district = day(draft.district_until);
    check(district.is_some(), Field::DistrictUntil);
    let city = day(draft.city_until);
    check(city.is_some(), Field::CityUntil);
    let num = |s: &str, lo: u32, hi: u32| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
    };
    let notice_days = num(draft.notice_days, 0, policy.notice_days_max);
    check(notice_days.is_some(), Field::NoticeDays);
    let experts_per = num(draft.experts_per, 1, policy.experts_per_max);
    check(experts_per.is_some(), Field::ExpertsPer);
    let quota = match draft.quota.trim() {
        "" => Some(None),
        q => num(q, 1, QUOTA_MAX).map(Some),
    };
    check(quota.is_some(), Field::Quota);
    let (
        Some(tier),
        Some(year),
        Some(declare),
        Some(district),
        Some(city),
        Some(notice_days),
        Some(experts_per),
        Some(quota),
        true,
    ) = (
        tier,
        year,
        declare,
        district,
        city,
        notice_days,
        experts_per,
        quota,
        bad.is_empty(),
    )
    else {
        return Err(Refusal::Invalid(bad));
    };
    if !(declare <= district && district <= city) {
        return Err(Refusal::DatesOutOfOrder);
    }
    if declare < today {
        return Err(Refusal::DeadlinePast);
    }
    Ok(Plan {
        tier,
        year,
        rules: rules.to_owned(),
        title: title.to_owned(),
        declare_until: declare,
        district_until: district,
        city_until: city,
        notice_days,
        quota,
        experts_per,
    })
}

/// Whether enterprises may start a declaration in the batch today (its own deadline applies to
/// submitting, see `declaration::submit`).
pub fn may_start(
    archived: bool,
    declare_until: NaiveDate,
    today: NaiveDate,
) -> Result<(), Refusal> {
    if archived {
        Err(Refusal::Archived)
    } else if today > declare_until {
        Err(Refusal::DeadlinePast)
    } else {
        Ok(())
    }
}

/// Archives a batch: the bureau closes the round; archiving twice is refused (the second click of
/// a double submit learns it is done).
pub fn archive(seat: Seat, archived: bool) -> Result<(), Refusal> {
    match (seat, archived) {
        (Seat::Other, _) => Err(Refusal::NotYourSeat),
        (Seat::City, true) => Err(Refusal::Archived),
        (Seat::City, false) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    fn policy() -> DeclarationDefaults {
        DeclarationDefaults {
            clause: String::new(),
            conf: String::new(),
            notice_days_default: 7,
            notice_days_max: 60,
            evidence_max_mb: 10,
            remind_declaration_days: 7,
            remind_update_days: 30,
            experts_per_default: 3,
            experts_per_max: 15,
        }
    }

    fn good() -> Draft<'static> {
        Draft {
            tier: "srdi",
            year: "2026",
            rules: "miit-2026",
            title: "2026 年度专精特新中小企业认定",
            declare_until: "2026-04-30",
            district_until: "2026-05-31",
            city_until: "2026-06-30",
            notice_days: "7",
            quota: "",
            experts_per: "3",
        }
    }

    const SETS: &[&str] = &["miit-2022", "miit-2026"];

    #[test]
    fn opening_a_batch_as_a_table() {
        use Field::*;
        let with = |f: fn(&mut Draft<'static>)| {
            let mut x = good();
            f(&mut x);
            x
        };
        type Case = (
            &'static str,
            Seat,
            Draft<'static>,
            NaiveDate,
            Result<(), Refusal>,
        );
        let cases: Vec<Case> = vec![
            ("a complete form opens", Seat::City, good(), d(4, 1), Ok(())),
            (
                "the last day of declaring may be today",
                Seat::City,
                good(),
                d(4, 30),
                Ok(()),
            ),
            (
                "only the city opens batches",
                Seat::Other,
                good(),
                d(4, 1),
                Err(Refusal::NotYourSeat),
            ),
            (
                "an unknown tier",
                Seat::City,
                with(|x| x.tier = "gold"),
                d(4, 1),
                Err(Refusal::Invalid(vec![Tier])),
            ),
            (
                "an unknown rule set",
                Seat::City,
                with(|x| x.rules = "miit-2030"),
                d(4, 1),
                Err(Refusal::Invalid(vec![Rules])),
            ),
            (
                "a year outside 2000–2100",
                Seat::City,
                with(|x| x.year = "1999"),
                d(4, 1),
                Err(Refusal::Invalid(vec![Year])),
            ),
            (
                "a blank title",
                Seat::City,
                with(|x| x.title = "  "),
                d(4, 1),
                Err(Refusal::Invalid(vec![Title])),
            ),
            (
                "a title of 201 characters",
                Seat::City,
                with(|x| x.title = Box::leak("名".repeat(201).into_boxed_str())),
                d(4, 1),
                Err(Refusal::Invalid(vec![Title])),
            ),
            (
                "every bad field is named at once",
                Seat::City,
                with(|x| {
                    x.declare_until = "2026-02-30";
                    x.notice_days = "61";
                    x.experts_per = "0";
                    x.quota = "-1"
                }),
                d(4, 1),
                Err(Refusal::Invalid(vec![
                    DeclareUntil,
                    NoticeDays,
                    ExpertsPer,
                    Quota,
                ])),
            ),
            (
                "sixty days of notice is the most",
                Seat::City,
                with(|x| x.notice_days = "60"),
                d(4, 1),
                Ok(()),
            ),
            (
                "fifteen experts a declaration is the most",
                Seat::City,
                with(|x| x.experts_per = "16"),
                d(4, 1),
                Err(Refusal::Invalid(vec![ExpertsPer])),
            ),
            (
                "a quota of 1",
                Seat::City,
                with(|x| x.quota = "1"),
                d(4, 1),
                Ok(()),
            ),
            (
                "deadlines out of order",
                Seat::City,
                with(|x| x.district_until = "2026-04-29"),
                d(4, 1),
                Err(Refusal::DatesOutOfOrder),
            ),
            (
                "the city's deadline before the district's",
                Seat::City,
                with(|x| x.city_until = "2026-05-30"),
                d(4, 1),
                Err(Refusal::DatesOutOfOrder),
            ),
            (
                "a declaring deadline already past",
                Seat::City,
                good(),
                d(5, 1),
                Err(Refusal::DeadlinePast),
            ),
        ];
        for (name, seat, draft, today, want) in cases {
            let got = open(seat, &draft, SETS, &policy(), today).map(|_| ());
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn an_opened_batch_reads_its_fields() {
        let p = open(
            Seat::City,
            &Draft {
                quota: " 20 ",
                ..good()
            },
            SETS,
            &policy(),
            d(4, 1),
        );
        let p = p.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.tier, Tier::Srdi);
        assert_eq!(
            (p.year, p.notice_days, p.experts_per, p.quota),
            (2026, 7, 3, Some(20))
        );
        assert_eq!(
            (p.declare_until, p.district_until, p.city_until),
            (d(4, 30), d(5, 31), d(6, 30))
        );
    }

    #[test]
    fn starting_and_archiving_as_a_table() {
        assert_eq!(may_start(false, d(4, 30), d(4, 30)), Ok(()));
        assert_eq!(
            may_start(false, d(4, 30), d(5, 1)),
            Err(Refusal::DeadlinePast)
        );
        assert_eq!(may_start(true, d(4, 30), d(4, 1)), Err(Refusal::Archived));
        assert_eq!(archive(Seat::City, false), Ok(()));
        assert_eq!(archive(Seat::City, true), Err(Refusal::Archived));
        assert_eq!(archive(Seat::Other, false), Err(Refusal::NotYourSeat));
    }
}
