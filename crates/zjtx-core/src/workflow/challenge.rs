//! Open challenges (揭榜挂帅): a firm posts a technical need of a chain; the city bureau screens
//! and publishes it; other firms apply with their team, R&D capability and plan until its
//! deadline; the poster scores applications on team, capability, plan and fit and selects one to
//! `select_max` of them, then starts the work; each selected solver's work runs through milestones
//! it reports with evidence and the poster confirms; the poster accepts or fails each solver's
//! result, and may add an accepted one to its supplier list. A challenge the city subsidises
//! pays a share of the poster's investment, with a cap (the rule file's `[challenge]`).
//!
//! ```text
//! challenge:  submitted ──city: publish──▶ published ──poster: start (1..=max selected)──▶ underway
//!               │  ▲  └─city: reject──▶ rejected          │                                  │
//!    city: return  poster: revise                     poster: withdraw ──▶ withdrawn          │
//!               ▼  │                                                                         │
//!             returned ──poster: withdraw──▶ withdrawn        every solver accepted or failed ▼
//!                                                                                          closed
//! application: applied ──poster: select (scores, reason)──▶ selected ──accept──▶ accepted
//!                 │  └──(start: not selected)──▶ not_selected          └──fail (reason)──▶ failed
//!                 └──applicant: withdraw──▶ withdrawn
//! milestone:   planned ──solver: report (evidence)──▶ reported ──poster: confirm──▶ done
//!                 ▲                                      │
//!                 └────────poster: send back (reason)────┘
//! ```
//!
//! An anonymous poster's identity is for the city bureau only: the web shows everyone else the
//! challenge without its poster (see `Seat::sees_poster`).

use chrono::NaiveDate;

use crate::enterprise::RdInstitution;
use crate::num::{Ppm, Wan};
use crate::rules::ChallengeRules;

keyed!(
    /// Where a challenge stands.
    Status {
        Submitted = "submitted",
        Returned = "returned",
        Published = "published",
        Underway = "underway",
        Closed = "closed",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
);

keyed!(
    /// Where an application stands.
    AppStatus {
        Applied = "applied",
        Selected = "selected",
        NotSelected = "not_selected",
        Withdrawn = "withdrawn",
        Accepted = "accepted",
        Failed = "failed",
    }
);

keyed!(
    /// Where a milestone of a solver's work stands.
    MilestoneStatus {
        Planned = "planned",
        Reported = "reported",
        Done = "done",
    }
);

keyed!(
    /// How the poster means to work with the solver.
    Mode {
        Entrust = "entrust",
        Joint = "joint",
        Transfer = "transfer",
        Purchase = "purchase",
    }
);

/// Who acts, as seen from one challenge (and, for an applicant, one application).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// The firm that posted the challenge.
    Poster,
    /// The city bureau.
    Bureau,
    /// The firm of the application in question.
    Applicant,
    /// Any other enterprise account (it may apply).
    Firm,
    /// Anyone else (district staff, institutions, providers, experts, visitors).
    Other,
}

impl Seat {
    /// Whether this seat may know who posted an anonymous challenge.
    pub fn sees_poster(self, anonymous: bool) -> bool {
        !anonymous || matches!(self, Seat::Poster | Seat::Bureau)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Chain,
    Title,
    Description,
    Indicators,
    Deadline,
    Budget,
    Reward,
    Mode,
    Team,
    Capability,
    Plan,
    Score,
    Reason,
    Due,
    Evidence,
    Investment,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    /// These fields are missing or wrong (all of them at once).
    Invalid(Vec<Field>),
    WrongState(Status),
    WrongApplication(AppStatus),
    WrongMilestone(MilestoneStatus),
    /// Applications closed on this day.
    PastDeadline(NaiveDate),
    /// Already `select_max` selected.
    TooManySelected(u32),
    /// Work starts with at least one selected solver.
    NoneSelected,
    /// A result is accepted once it has milestones and every one is done.
    MilestonesOpen,
}

/// The longest title; the longest text of any other field, in characters.
pub const TITLE_MAX: usize = 100;
pub const TEXT_MAX: usize = 4000;

fn text(v: &str, required: bool, max: usize) -> Option<String> {
    let v = v.trim();
    let n = v.chars().count();
    ((!required || n > 0) && n <= max).then(|| v.to_owned())
}

fn day(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok()
}

/// A non-negative amount of 万元, or blank.
fn amount(v: &str) -> Option<Option<Wan>> {
    match v.trim() {
        "" => Some(None),
        v => Wan::parse(v).ok().filter(|w| w.units() >= 0).map(Some),
    }
}

/// The posting form as typed.
#[derive(Clone, Debug, Default)]
pub struct Draft<'a> {
    pub chain: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub indicators: &'a str,
    pub deadline: &'a str,
    pub budget: &'a str,
    pub reward: &'a str,
    pub mode: &'a str,
    pub anonymous: bool,
}

/// A challenge ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub chain: String,
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub deadline: NaiveDate,
    pub budget: Option<Wan>,
    pub reward: String,
    pub mode: Mode,
    pub anonymous: bool,
}

/// A firm posts a challenge of one of `chains` (the chains in force), or revises a returned one:
/// a title, a description and target indicators, a deadline after today, a budget or a reward
/// (at least one), a cooperation mode.
pub fn post(
    seat: Seat,
    d: &Draft<'_>,
    chains: &[&str],
    today: NaiveDate,
) -> Result<Challenge, Refusal> {
    if !matches!(seat, Seat::Poster | Seat::Firm) {
        return Err(Refusal::NotYourSeat);
    }
    let mut bad = Vec::new();
    let chain = d.chain.trim();
    if !chains.contains(&chain) {
        bad.push(Field::Chain);
    }
    let title = text(d.title, true, TITLE_MAX);
    let description = text(d.description, true, TEXT_MAX);
    let indicators = text(d.indicators, true, TEXT_MAX);
    let deadline = day(d.deadline).filter(|x| *x > today);
    let budget = amount(d.budget);
    let reward = text(d.reward, false, TITLE_MAX);
    let mode = Mode::from_key(d.mode.trim());
    let neither = budget == Some(None) && reward.as_deref() == Some("");
    for (ok, f) in [
        (title.is_some(), Field::Title),
        (description.is_some(), Field::Description),
        (indicators.is_some(), Field::Indicators),
        (deadline.is_some(), Field::Deadline),
        (budget.is_some() && !neither, Field::Budget),
        (reward.is_some(), Field::Reward),
        (mode.is_some(), Field::Mode),
    ] {
        if !ok {
            bad.push(f);
        }
    }
    match (
        title,
        description,
        indicators,
        deadline,
        budget,
        reward,
        mode,
    ) {
        (
            Some(title),
            Some(description),
            Some(indicators),
            Some(deadline),
            Some(budget),
            Some(reward),
            Some(mode),
        ) if bad.is_empty() => Ok(Challenge {
            chain: chain.to_owned(),
            title,
            description,
            indicators,
            deadline,
            budget,
            reward,
            mode,
            anonymous: d.anonymous,
        }),
        _ => Err(Refusal::Invalid(bad)),
    }
}

/// The poster sends a returned challenge back for screening (its revision checked by `post`).
pub fn revise(seat: Seat, state: Status) -> Result<Status, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Returned {
        return Err(Refusal::WrongState(state));
    }
    Ok(Status::Submitted)
}

/// The bureau's screening of a submitted challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Publish it (with or without the city's subsidy).
    Publish {
        subsidy: bool,
    },
    Return,
    Reject,
}

/// The bureau screens a submitted challenge: it publishes one whose deadline is still ahead, or
/// returns or rejects it with a reason.
pub fn screen(
    seat: Seat,
    state: Status,
    decision: Screen,
    reason: &str,
    deadline: NaiveDate,
    today: NaiveDate,
) -> Result<Status, Refusal> {
    if seat != Seat::Bureau {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Submitted {
        return Err(Refusal::WrongState(state));
    }
    match decision {
        Screen::Publish { .. } if deadline <= today => Err(Refusal::PastDeadline(deadline)),
        Screen::Publish { .. } => Ok(Status::Published),
        _ if reason.trim().is_empty() => Err(Refusal::Invalid(vec![Field::Reason])),
        Screen::Return => Ok(Status::Returned),
        Screen::Reject => Ok(Status::Rejected),
    }
}

/// The poster withdraws a challenge before the work starts; a published one says why (its
/// applicants read it).
pub fn withdraw(seat: Seat, state: Status, reason: &str) -> Result<Status, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    match state {
        Status::Submitted | Status::Returned => Ok(Status::Withdrawn),
        Status::Published if reason.trim().is_empty() => Err(Refusal::Invalid(vec![Field::Reason])),
        Status::Published => Ok(Status::Withdrawn),
        s => Err(Refusal::WrongState(s)),
    }
}

/// An application as typed.
#[derive(Clone, Debug, Default)]
pub struct ApplicationDraft<'a> {
    pub team: &'a str,
    pub capability: &'a str,
    pub plan: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub team: String,
    pub capability: String,
    pub plan: String,
}

/// A firm other than the poster applies to a published challenge until its deadline (inclusive).
pub fn apply(
    seat: Seat,
    state: Status,
    deadline: NaiveDate,
    d: &ApplicationDraft<'_>,
    today: NaiveDate,
) -> Result<Application, Refusal> {
    if seat != Seat::Firm {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Published {
        return Err(Refusal::WrongState(state));
    }
    if today > deadline {
        return Err(Refusal::PastDeadline(deadline));
    }
    let team = text(d.team, true, TEXT_MAX);
    let capability = text(d.capability, true, TEXT_MAX);
    let plan = text(d.plan, true, TEXT_MAX);
    match (team, capability, plan) {
        (Some(team), Some(capability), Some(plan)) => Ok(Application {
            team,
            capability,
            plan,
        }),
        (t, c, p) => Err(Refusal::Invalid(
            [
                (t.is_none(), Field::Team),
                (c.is_none(), Field::Capability),
                (p.is_none(), Field::Plan),
            ]
            .into_iter()
            .filter_map(|(b, f)| b.then_some(f))
            .collect(),
        )),
    }
}

/// The applicant withdraws its application before the poster decides on it.
pub fn withdraw_application(seat: Seat, app: AppStatus) -> Result<AppStatus, Refusal> {
    if seat != Seat::Applicant {
        return Err(Refusal::NotYourSeat);
    }
    if app != AppStatus::Applied {
        return Err(Refusal::WrongApplication(app));
    }
    Ok(AppStatus::Withdrawn)
}

/// The poster's scores of an application: team, capability, plan, fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scores {
    pub team: u32,
    pub capability: u32,
    pub plan: u32,
    pub fit: u32,
}

impl Scores {
    pub fn total(self) -> u32 {
        self.team + self.capability + self.plan + self.fit
    }
}

/// The poster selects an application of its published challenge, with its four scores (each
/// 0..=`score_max`) and a reason, while fewer than `select_max` are selected.
pub fn select(
    seat: Seat,
    state: Status,
    app: AppStatus,
    selected: u32,
    scores: [&str; 4],
    reason: &str,
    rules: &ChallengeRules,
) -> Result<Scores, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Published {
        return Err(Refusal::WrongState(state));
    }
    if app != AppStatus::Applied {
        return Err(Refusal::WrongApplication(app));
    }
    if selected >= rules.select_max {
        return Err(Refusal::TooManySelected(rules.select_max));
    }
    let s: Vec<Option<u32>> = scores
        .iter()
        .map(|v| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= rules.score_max)
        })
        .collect();
    let mut bad = Vec::new();
    if s.iter().any(Option::is_none) {
        bad.push(Field::Score);
    }
    if text(reason, true, TEXT_MAX).is_none() {
        bad.push(Field::Reason);
    }
    match s[..] {
        [Some(team), Some(capability), Some(plan), Some(fit)] if bad.is_empty() => Ok(Scores {
            team,
            capability,
            plan,
            fit,
        }),
        _ => Err(Refusal::Invalid(bad)),
    }
}

/// The poster starts the work with the selected solvers (1..=`select_max`); the applications it
/// did not select become not selected.
pub fn start(
    seat: Seat,
    state: Status,
    selected: u32,
    rules: &ChallengeRules,
) -> Result<Status, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Published {
        return Err(Refusal::WrongState(state));
    }
    match selected {
        0 => Err(Refusal::NoneSelected),
        n if n > rules.select_max => Err(Refusal::TooManySelected(rules.select_max)),
        _ => Ok(Status::Underway),
    }
}

/// A milestone as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    pub title: String,
    pub due: NaiveDate,
}

/// The poster or the solver plans a milestone of a selected solver's work, due today or later.
pub fn plan_milestone(
    seat: Seat,
    state: Status,
    app: AppStatus,
    title: &str,
    due: &str,
    today: NaiveDate,
) -> Result<Milestone, Refusal> {
    if !matches!(seat, Seat::Poster | Seat::Applicant) {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Underway {
        return Err(Refusal::WrongState(state));
    }
    if app != AppStatus::Selected {
        return Err(Refusal::WrongApplication(app));
    }
    let title = text(title, true, TITLE_MAX);
    let due = day(due).filter(|d| *d >= today);
    match (title, due) {
        (Some(title), Some(due)) => Ok(Milestone { title, due }),
        (t, d) => Err(Refusal::Invalid(
            [(t.is_none(), Field::Title), (d.is_none(), Field::Due)]
                .into_iter()
                .filter_map(|(b, f)| b.then_some(f))
                .collect(),
        )),
    }
}

/// The solver reports a planned milestone done, with its evidence (what was delivered, the test
/// report, where it can be checked).
pub fn report(seat: Seat, m: MilestoneStatus, evidence: &str) -> Result<String, Refusal> {
    if seat != Seat::Applicant {
        return Err(Refusal::NotYourSeat);
    }
    if m != MilestoneStatus::Planned {
        return Err(Refusal::WrongMilestone(m));
    }
    text(evidence, true, TEXT_MAX).ok_or(Refusal::Invalid(vec![Field::Evidence]))
}

/// The poster confirms a reported milestone, or sends it back with a reason.
pub fn confirm(
    seat: Seat,
    m: MilestoneStatus,
    ok: bool,
    reason: &str,
) -> Result<MilestoneStatus, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    if m != MilestoneStatus::Reported {
        return Err(Refusal::WrongMilestone(m));
    }
    if ok {
        Ok(MilestoneStatus::Done)
    } else if reason.trim().is_empty() {
        Err(Refusal::Invalid(vec![Field::Reason]))
    } else {
        Ok(MilestoneStatus::Planned)
    }
}

/// An accepted result: the poster's investment in the work and the city's subsidy of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acceptance {
    pub investment: Option<Wan>,
    pub subsidy: Option<Wan>,
}

/// The subsidy of an investment: `subsidy_share` of it, at most `subsidy_cap`, in whole units of
/// 0.0001 万 (rounded down).
pub fn subsidy(investment: Wan, share: Ppm, cap: Wan) -> Wan {
    let raw = i128::from(investment.units()) * i128::from(share.0) / 1_000_000;
    let capped = raw.min(i128::from(cap.units())).max(0);
    Wan::from_units(i64::try_from(capped).unwrap_or(0)).unwrap_or(Wan::ZERO)
}

/// The poster accepts a selected solver's result once every milestone of it is done (at least
/// one). The investment is stated when the challenge carries the city's subsidy, which is then
/// computed from it.
pub fn accept(
    seat: Seat,
    state: Status,
    app: AppStatus,
    milestones: &[MilestoneStatus],
    investment: &str,
    subsidised: bool,
    rules: &ChallengeRules,
) -> Result<Acceptance, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Underway {
        return Err(Refusal::WrongState(state));
    }
    if app != AppStatus::Selected {
        return Err(Refusal::WrongApplication(app));
    }
    if milestones.is_empty() || milestones.iter().any(|m| *m != MilestoneStatus::Done) {
        return Err(Refusal::MilestonesOpen);
    }
    let investment = match amount(investment) {
        Some(None) if subsidised => return Err(Refusal::Invalid(vec![Field::Investment])),
        Some(v) => v,
        None => return Err(Refusal::Invalid(vec![Field::Investment])),
    };
    Ok(Acceptance {
        investment,
        subsidy: investment
            .filter(|_| subsidised)
            .map(|i| subsidy(i, rules.subsidy_share, rules.subsidy_cap)),
    })
}

/// The poster fails a selected solver's result, saying why.
pub fn fail(seat: Seat, state: Status, app: AppStatus, reason: &str) -> Result<AppStatus, Refusal> {
    if seat != Seat::Poster {
        return Err(Refusal::NotYourSeat);
    }
    if state != Status::Underway {
        return Err(Refusal::WrongState(state));
    }
    if app != AppStatus::Selected {
        return Err(Refusal::WrongApplication(app));
    }
    if reason.trim().is_empty() {
        return Err(Refusal::Invalid(vec![Field::Reason]));
    }
    Ok(AppStatus::Failed)
}

/// An underway challenge closes when none of its solvers is still selected (each accepted or
/// failed).
pub fn closes(state: Status, apps: &[AppStatus]) -> bool {
    state == Status::Underway && !apps.contains(&AppStatus::Selected)
}

/// A firm as the recommendation reads it.
#[derive(Clone, Debug, Default)]
pub struct CandidateFacts {
    pub uscc: String,
    pub name: String,
    pub chains: Vec<String>,
    /// Whether the firm is a large enterprise (challenges are for SMEs to take on).
    pub large: bool,
    /// The tiers of the titles it holds now (`innovative`, `srdi`, `giant`, …).
    pub titles: Vec<String>,
    pub main_products: String,
    pub rd_institution: Option<RdInstitution>,
    /// Challenge results of it the posters accepted.
    pub accepted: u32,
}

/// Why a firm is recommended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Tagged with the challenge's chain.
    SameChain(String),
    /// A term its main products share with the challenge's text.
    Product(String),
    /// A title it holds now (its tier key).
    Title(String),
    /// Its R&D institution, provincial or national.
    Institution(RdInstitution),
    /// Results of its earlier challenges the posters accepted.
    Accepted(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub uscc: String,
    pub name: String,
    pub score: u32,
    pub reasons: Vec<Reason>,
}

/// Words too general to make a match of main products.
const GENERIC: &[&str] = &[
    "技术", "产品", "系统", "设备", "研发", "公司", "有限", "服务", "开发", "生产", "制造", "销售",
    "应用", "项目", "材料", "智能",
];

/// The terms a product name shares with a text: for each place in the name, the longest run of it
/// found in the text, kept when at least two characters of it are not generic words.
pub fn shared_terms(product: &str, text: &str) -> Vec<String> {
    let p: Vec<char> = product.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i + 1 < p.len() {
        let mut best = 0;
        for j in (i + 2)..=p.len() {
            let s: String = p[i..j].iter().collect();
            if s.chars().all(char::is_alphanumeric) && text.contains(&s) {
                best = j - i;
            } else {
                break;
            }
        }
        if best >= 2 {
            let s: String = p[i..i + best].iter().collect();
            let rest = GENERIC.iter().fold(s.clone(), |acc, g| acc.replace(g, ""));
            if rest.chars().count() >= 2 && !out.iter().any(|o| o.contains(&s)) {
                out.push(s);
            }
            i += best;
        } else {
            i += 1;
        }
    }
    out
}

/// The firms to suggest to a challenge's poster and the bureau, best first, at most `limit`: SMEs
/// other than the poster that are tagged with its chain or whose main products share a term with
/// its title, description and indicators; ranked by those and by titles held, R&D institution
/// and accepted earlier results. Each comes with its reasons.
///
/// Weights (the platform's ordering, not a policy): same chain 3, each shared product term 3 (at
/// most two), little giant 3 / SRDI 2 / innovative or tech SME 1 (the best title), national R&D
/// institution 2 / provincial 1, each accepted result 1 (at most 3).
pub fn recommend(
    chain: &str,
    text: &str,
    poster: &str,
    firms: &[CandidateFacts],
    limit: usize,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for f in firms {
        if f.large || f.uscc == poster {
            continue;
        }
        let mut reasons = Vec::new();
        let mut score = 0;
        if f.chains.iter().any(|c| c == chain) {
            reasons.push(Reason::SameChain(chain.to_owned()));
            score += 3;
        }
        let mut terms: Vec<String> = Vec::new();
        for product in f
            .main_products
            .split(['、', ',', '，', ';', '；', '/', ' '])
        {
            for t in shared_terms(product.trim(), text) {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
        terms.truncate(2);
        score += 3 * u32::try_from(terms.len()).unwrap_or(0);
        reasons.extend(terms.into_iter().map(Reason::Product));
        if reasons.is_empty() {
            continue;
        }
        let best = ["giant", "srdi", "innovative", "tech_sme"]
            .into_iter()
            .find(|t| f.titles.iter().any(|h| h == t));
        if let Some(t) = best {
            score += match t {
                "giant" => 3,
                "srdi" => 2,
                _ => 1,
            };
            reasons.push(Reason::Title(t.to_owned()));
        }
        match f.rd_institution {
            Some(l @ RdInstitution::National) => {
                score += 2;
                reasons.push(Reason::Institution(l));
            }
            Some(l @ RdInstitution::Provincial) => {
                score += 1;
                reasons.push(Reason::Institution(l));
            }
            _ => {}
        }
        if f.accepted > 0 {
            score += f.accepted.min(3);
            reasons.push(Reason::Accepted(f.accepted));
        }
        out.push(Candidate {
            uscc: f.uscc.clone(),
            name: f.name.clone(),
            score,
            reasons,
        });
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.uscc.cmp(&b.uscc)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppStatus as A;
    use MilestoneStatus as M;
    use Status::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    fn rules() -> ChallengeRules {
        ChallengeRules {
            clause: String::new(),
            conf: String::new(),
            select_max: 3,
            score_max: 25,
            subsidy_share: Ppm::parse("20%").unwrap_or(Ppm(0)),
            subsidy_cap: Wan::whole(200),
        }
    }

    fn draft() -> Draft<'static> {
        Draft {
            chain: "集成电路",
            title: "车规级功率芯片封装散热",
            description: "需要一种新的封装散热方案",
            indicators: "结温降低 15℃",
            deadline: "2026-09-30",
            budget: "300",
            reward: "",
            mode: "joint",
            anonymous: true,
        }
    }

    #[test]
    fn posting_checks_every_field_at_once() {
        let today = d(6, 1);
        let chains = ["集成电路", "生物医药"];
        let ok = post(Seat::Firm, &draft(), &chains, today);
        assert_eq!(
            ok.as_ref().map(|c| (c.budget, c.anonymous, c.mode)),
            Ok((Some(Wan::whole(300)), true, Mode::Joint))
        );
        let cases: Vec<(&str, Draft<'static>, Result<(), Refusal>)> = vec![
            (
                "a chain not in force",
                Draft {
                    chain: "造船",
                    ..draft()
                },
                Err(Refusal::Invalid(vec![Field::Chain])),
            ),
            (
                "a deadline today is past",
                Draft {
                    deadline: "2026-06-01",
                    ..draft()
                },
                Err(Refusal::Invalid(vec![Field::Deadline])),
            ),
            (
                "neither budget nor reward",
                Draft {
                    budget: " ",
                    ..draft()
                },
                Err(Refusal::Invalid(vec![Field::Budget])),
            ),
            (
                "a reward alone will do",
                Draft {
                    budget: "",
                    reward: "优先纳入供应商名录",
                    ..draft()
                },
                Ok(()),
            ),
            (
                "a negative budget",
                Draft {
                    budget: "-5",
                    ..draft()
                },
                Err(Refusal::Invalid(vec![Field::Budget])),
            ),
            (
                "everything missing, all named",
                Draft {
                    chain: "",
                    title: "",
                    description: "",
                    indicators: " ",
                    deadline: "明天",
                    budget: "",
                    reward: "",
                    mode: "gift",
                    anonymous: false,
                },
                Err(Refusal::Invalid(vec![
                    Field::Chain,
                    Field::Title,
                    Field::Description,
                    Field::Indicators,
                    Field::Deadline,
                    Field::Budget,
                    Field::Mode,
                ])),
            ),
        ];
        for (name, dr, want) in cases {
            assert_eq!(
                post(Seat::Firm, &dr, &chains, today).map(|_| ()),
                want,
                "{name}"
            );
        }
        for seat in [Seat::Bureau, Seat::Other, Seat::Applicant] {
            assert_eq!(
                post(seat, &draft(), &chains, today),
                Err(Refusal::NotYourSeat)
            );
        }
    }

    #[test]
    fn screening_and_withdrawal() {
        let (today, deadline) = (d(6, 1), d(9, 30));
        let publish = Screen::Publish { subsidy: true };
        let cases = [
            (Seat::Bureau, Submitted, publish, "", Ok(Published)),
            (
                Seat::Bureau,
                Submitted,
                Screen::Return,
                "补充指标",
                Ok(Returned),
            ),
            (
                Seat::Bureau,
                Submitted,
                Screen::Reject,
                "非技术需求",
                Ok(Rejected),
            ),
            (
                Seat::Bureau,
                Submitted,
                Screen::Reject,
                " ",
                Err(Refusal::Invalid(vec![Field::Reason])),
            ),
            (
                Seat::Bureau,
                Published,
                publish,
                "",
                Err(Refusal::WrongState(Published)),
            ),
            (
                Seat::Poster,
                Submitted,
                publish,
                "",
                Err(Refusal::NotYourSeat),
            ),
            (
                Seat::Other,
                Submitted,
                publish,
                "",
                Err(Refusal::NotYourSeat),
            ),
        ];
        for (seat, state, dec, reason, want) in cases {
            assert_eq!(
                screen(seat, state, dec, reason, deadline, today),
                want,
                "{seat:?} {state:?} {dec:?}"
            );
        }
        assert_eq!(
            screen(Seat::Bureau, Submitted, publish, "", today, today),
            Err(Refusal::PastDeadline(today))
        );
        assert_eq!(revise(Seat::Poster, Returned), Ok(Submitted));
        assert_eq!(
            revise(Seat::Poster, Published),
            Err(Refusal::WrongState(Published))
        );
        assert_eq!(revise(Seat::Bureau, Returned), Err(Refusal::NotYourSeat));
        let w = [
            (Submitted, "", Ok(Withdrawn)),
            (Returned, "", Ok(Withdrawn)),
            (Published, "", Err(Refusal::Invalid(vec![Field::Reason]))),
            (Published, "需求取消", Ok(Withdrawn)),
            (Underway, "需求取消", Err(Refusal::WrongState(Underway))),
        ];
        for (state, reason, want) in w {
            assert_eq!(withdraw(Seat::Poster, state, reason), want, "{state:?}");
        }
        assert_eq!(
            withdraw(Seat::Bureau, Submitted, ""),
            Err(Refusal::NotYourSeat)
        );
    }

    #[test]
    fn applying_until_the_deadline() {
        let deadline = d(9, 30);
        let a = ApplicationDraft {
            team: "12 人团队",
            capability: "省级研发中心",
            plan: "三个月样品",
        };
        let cases = [
            (Seat::Firm, Published, d(9, 30), Ok(())),
            (
                Seat::Firm,
                Published,
                d(10, 1),
                Err(Refusal::PastDeadline(deadline)),
            ),
            (
                Seat::Firm,
                Underway,
                d(6, 1),
                Err(Refusal::WrongState(Underway)),
            ),
            (
                Seat::Firm,
                Submitted,
                d(6, 1),
                Err(Refusal::WrongState(Submitted)),
            ),
            (Seat::Poster, Published, d(6, 1), Err(Refusal::NotYourSeat)),
            (Seat::Bureau, Published, d(6, 1), Err(Refusal::NotYourSeat)),
        ];
        for (seat, state, today, want) in cases {
            assert_eq!(
                apply(seat, state, deadline, &a, today).map(|_| ()),
                want,
                "{seat:?} {state:?} {today}"
            );
        }
        let blank = ApplicationDraft {
            team: " ",
            capability: "有",
            plan: "",
        };
        assert_eq!(
            apply(Seat::Firm, Published, deadline, &blank, d(6, 1)),
            Err(Refusal::Invalid(vec![Field::Team, Field::Plan]))
        );
        assert_eq!(
            withdraw_application(Seat::Applicant, A::Applied),
            Ok(A::Withdrawn)
        );
        assert_eq!(
            withdraw_application(Seat::Applicant, A::Selected),
            Err(Refusal::WrongApplication(A::Selected))
        );
        assert_eq!(
            withdraw_application(Seat::Poster, A::Applied),
            Err(Refusal::NotYourSeat)
        );
    }

    #[test]
    fn selection_scores_and_bounds() {
        let r = rules();
        let good = ["20", "18", "22", "25"];
        assert_eq!(
            select(
                Seat::Poster,
                Published,
                A::Applied,
                0,
                good,
                "方案最完整",
                &r
            )
            .map(|s| s.total()),
            Ok(85)
        );
        let cases = [
            (
                Seat::Poster,
                Published,
                A::Applied,
                3,
                good,
                "理由",
                Err(Refusal::TooManySelected(3)),
            ),
            (
                Seat::Poster,
                Published,
                A::Selected,
                0,
                good,
                "理由",
                Err(Refusal::WrongApplication(A::Selected)),
            ),
            (
                Seat::Poster,
                Underway,
                A::Applied,
                0,
                good,
                "理由",
                Err(Refusal::WrongState(Underway)),
            ),
            (
                Seat::Bureau,
                Published,
                A::Applied,
                0,
                good,
                "理由",
                Err(Refusal::NotYourSeat),
            ),
            (
                Seat::Poster,
                Published,
                A::Applied,
                0,
                ["26", "0", "0", "0"],
                "理由",
                Err(Refusal::Invalid(vec![Field::Score])),
            ),
            (
                Seat::Poster,
                Published,
                A::Applied,
                0,
                ["", "0", "0", "0"],
                "",
                Err(Refusal::Invalid(vec![Field::Score, Field::Reason])),
            ),
            (
                Seat::Poster,
                Published,
                A::Applied,
                2,
                ["0", "0", "0", "0"],
                "理由",
                Ok(0),
            ),
        ];
        for (seat, state, app, n, scores, reason, want) in cases {
            assert_eq!(
                select(seat, state, app, n, scores, reason, &r).map(|s| s.total()),
                want,
                "{seat:?} {state:?} {app:?} {n} {scores:?}"
            );
        }
        let starts = [
            (Seat::Poster, Published, 1, Ok(Underway)),
            (Seat::Poster, Published, 3, Ok(Underway)),
            (Seat::Poster, Published, 0, Err(Refusal::NoneSelected)),
            (Seat::Poster, Published, 4, Err(Refusal::TooManySelected(3))),
            (
                Seat::Poster,
                Underway,
                1,
                Err(Refusal::WrongState(Underway)),
            ),
            (Seat::Bureau, Published, 1, Err(Refusal::NotYourSeat)),
        ];
        for (seat, state, n, want) in starts {
            assert_eq!(start(seat, state, n, &r), want, "{seat:?} {state:?} {n}");
        }
    }

    #[test]
    fn milestones_then_acceptance() {
        let r = rules();
        let today = d(7, 1);
        assert!(
            plan_milestone(
                Seat::Applicant,
                Underway,
                A::Selected,
                "样品",
                "2026-07-01",
                today
            )
            .is_ok()
        );
        assert!(
            plan_milestone(
                Seat::Poster,
                Underway,
                A::Selected,
                "样品",
                "2026-08-01",
                today
            )
            .is_ok()
        );
        let plans = [
            (
                Seat::Bureau,
                Underway,
                A::Selected,
                "样品",
                "2026-08-01",
                Err(Refusal::NotYourSeat),
            ),
            (
                Seat::Poster,
                Published,
                A::Selected,
                "样品",
                "2026-08-01",
                Err(Refusal::WrongState(Published)),
            ),
            (
                Seat::Poster,
                Underway,
                A::Failed,
                "样品",
                "2026-08-01",
                Err(Refusal::WrongApplication(A::Failed)),
            ),
            (
                Seat::Poster,
                Underway,
                A::Selected,
                "",
                "2026-06-30",
                Err(Refusal::Invalid(vec![Field::Title, Field::Due])),
            ),
        ];
        for (seat, state, app, title, due, want) in plans {
            assert_eq!(
                plan_milestone(seat, state, app, title, due, today).map(|_| ()),
                want,
                "{seat:?} {state:?} {app:?} {title} {due}"
            );
        }
        assert_eq!(
            report(Seat::Applicant, M::Planned, "检测报告 No.1"),
            Ok("检测报告 No.1".into())
        );
        assert_eq!(
            report(Seat::Applicant, M::Planned, " "),
            Err(Refusal::Invalid(vec![Field::Evidence]))
        );
        assert_eq!(
            report(Seat::Applicant, M::Done, "x"),
            Err(Refusal::WrongMilestone(M::Done))
        );
        assert_eq!(
            report(Seat::Poster, M::Planned, "x"),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(confirm(Seat::Poster, M::Reported, true, ""), Ok(M::Done));
        assert_eq!(
            confirm(Seat::Poster, M::Reported, false, "数据不全"),
            Ok(M::Planned)
        );
        assert_eq!(
            confirm(Seat::Poster, M::Reported, false, ""),
            Err(Refusal::Invalid(vec![Field::Reason]))
        );
        assert_eq!(
            confirm(Seat::Poster, M::Planned, true, ""),
            Err(Refusal::WrongMilestone(M::Planned))
        );
        assert_eq!(
            confirm(Seat::Applicant, M::Reported, true, ""),
            Err(Refusal::NotYourSeat)
        );

        let done = [M::Done, M::Done];
        let acc = |ms: &[M], inv: &str, sub: bool| {
            accept(Seat::Poster, Underway, A::Selected, ms, inv, sub, &r)
                .map(|a| (a.investment.map(Wan::units), a.subsidy.map(Wan::units)))
        };
        // 20% of 500 is 100; of 1500 it would be 300, capped at 200; 0.0003 × 20% rounds down.
        assert_eq!(
            acc(&done, "500", true),
            Ok((Some(5_000_000), Some(1_000_000)))
        );
        assert_eq!(
            acc(&done, "1500", true),
            Ok((Some(15_000_000), Some(2_000_000)))
        );
        assert_eq!(acc(&done, "0.0003", true), Ok((Some(3), Some(0))));
        assert_eq!(acc(&done, "500", false), Ok((Some(5_000_000), None)));
        assert_eq!(acc(&done, "", false), Ok((None, None)));
        assert_eq!(
            acc(&done, "", true),
            Err(Refusal::Invalid(vec![Field::Investment]))
        );
        assert_eq!(
            acc(&done, "五百", false),
            Err(Refusal::Invalid(vec![Field::Investment]))
        );
        assert_eq!(
            acc(&[M::Done, M::Reported], "500", true),
            Err(Refusal::MilestonesOpen)
        );
        assert_eq!(acc(&[], "500", true), Err(Refusal::MilestonesOpen));
        assert_eq!(
            accept(Seat::Applicant, Underway, A::Selected, &done, "", false, &r).map(|_| ()),
            Err(Refusal::NotYourSeat)
        );
        assert_eq!(
            accept(Seat::Poster, Underway, A::Accepted, &done, "", false, &r).map(|_| ()),
            Err(Refusal::WrongApplication(A::Accepted))
        );
        assert_eq!(
            fail(Seat::Poster, Underway, A::Selected, "未达指标"),
            Ok(A::Failed)
        );
        assert_eq!(
            fail(Seat::Poster, Underway, A::Selected, ""),
            Err(Refusal::Invalid(vec![Field::Reason]))
        );
        assert_eq!(
            fail(Seat::Poster, Closed, A::Selected, "x"),
            Err(Refusal::WrongState(Closed))
        );
        assert!(closes(Underway, &[A::Accepted, A::Failed, A::NotSelected]));
        assert!(!closes(Underway, &[A::Accepted, A::Selected]));
        assert!(!closes(Published, &[A::Accepted]));
    }

    #[test]
    fn only_the_poster_and_the_bureau_see_an_anonymous_poster() {
        for (seat, anon, want) in [
            (Seat::Poster, true, true),
            (Seat::Bureau, true, true),
            (Seat::Applicant, true, false),
            (Seat::Firm, true, false),
            (Seat::Other, true, false),
            (Seat::Other, false, true),
        ] {
            assert_eq!(seat.sees_poster(anon), want, "{seat:?} {anon}");
        }
    }

    #[test]
    fn shared_terms_are_the_longest_runs() {
        let text = "车规级功率芯片封装散热方案，结温降低";
        assert_eq!(shared_terms("功率芯片封装测试", text), vec!["功率芯片封装"]);
        assert_eq!(shared_terms("散热器、风扇", text), vec!["散热"]);
        // Generic words and single characters do not match.
        assert!(shared_terms("智能技术产品", "智能技术产品").is_empty());
        assert!(shared_terms("芯", text).is_empty());
        assert!(shared_terms("", text).is_empty());
    }

    #[test]
    fn candidates_with_their_reasons() {
        let f = |uscc: &str, chains: &[&str], products: &str| CandidateFacts {
            uscc: uscc.into(),
            name: uscc.into(),
            chains: chains.iter().map(|c| (*c).to_owned()).collect(),
            main_products: products.into(),
            ..Default::default()
        };
        let firms = vec![
            // Same chain, a little giant with a national R&D institution.
            CandidateFacts {
                titles: vec!["srdi".into(), "giant".into()],
                rd_institution: Some(RdInstitution::National),
                ..f("A", &["集成电路"], "晶圆检测设备")
            },
            // A product match only, two accepted results.
            CandidateFacts {
                accepted: 2,
                rd_institution: Some(RdInstitution::City),
                ..f("B", &["生物医药"], "功率芯片封装材料、散热基板")
            },
            // Nothing relevant: titles alone do not make a candidate.
            CandidateFacts {
                titles: vec!["giant".into()],
                ..f("C", &["生物医药"], "抗体药物")
            },
            // Large firms and the poster itself are left out.
            CandidateFacts {
                large: true,
                ..f("D", &["集成电路"], "")
            },
            f("P", &["集成电路"], ""),
            f("E", &["集成电路"], ""),
        ];
        let got = recommend("集成电路", "车规级功率芯片封装散热", "P", &firms, 10);
        let view: Vec<(&str, u32, &[Reason])> = got
            .iter()
            .map(|c| (c.uscc.as_str(), c.score, c.reasons.as_slice()))
            .collect();
        assert_eq!(
            view,
            vec![
                (
                    "A",
                    8,
                    &[
                        Reason::SameChain("集成电路".into()),
                        Reason::Title("giant".into()),
                        Reason::Institution(RdInstitution::National)
                    ][..]
                ),
                (
                    "B",
                    8,
                    &[
                        Reason::Product("功率芯片封装".into()),
                        Reason::Product("散热".into()),
                        Reason::Accepted(2)
                    ][..]
                ),
                ("E", 3, &[Reason::SameChain("集成电路".into())][..]),
            ]
        );
        assert_eq!(recommend("集成电路", "x", "P", &firms, 1).len(), 1);
    }
}
