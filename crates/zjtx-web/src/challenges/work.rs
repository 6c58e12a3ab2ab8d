//! The steps of open challenges: posting and revising (a firm), screening (the city), applying
//! and withdrawing (other firms), selecting and starting (the poster), milestones (the poster
//! and the solver), acceptance or failure (the poster) — each a core step on the stored state,
//! written through the store guarded on that state — and the work page of a firm or the city.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zjtx_core::workflow::challenge::{
    self as flow, AppStatus, Field, Mode, Refusal, Screen, Seat, Status,
};
use zjtx_store::{ChallengeApplication, ChallengeFilter, ChallengeRow, Role, Supplier};

use super::{View, app_label, field_hint, field_label, mode_label, refused, rules, seat_of, view};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

/// The posting form as typed (kept when it is refused).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PostForm {
    pub csrf: String,
    pub chain: String,
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub deadline: String,
    pub budget: String,
    pub reward: String,
    pub mode: String,
    pub anonymous: String,
}

impl PostForm {
    fn draft(&self) -> flow::Draft<'_> {
        flow::Draft {
            chain: &self.chain,
            title: &self.title,
            description: &self.description,
            indicators: &self.indicators,
            deadline: &self.deadline,
            budget: &self.budget,
            reward: &self.reward,
            mode: &self.mode,
            anonymous: !self.anonymous.is_empty(),
        }
    }
}

/// A refused field: its key (the form's input name), its label, how to put it right.
pub struct FieldError {
    pub key: &'static str,
    pub hint: &'static str,
    /// The label and the hint, as the summary at the top lists them.
    pub text: String,
}

fn field_errors(fs: &[Field]) -> Vec<FieldError> {
    fs.iter()
        .map(|f| FieldError {
            key: match f {
                Field::Chain => "chain",
                Field::Title => "title",
                Field::Description => "description",
                Field::Indicators => "indicators",
                Field::Deadline => "deadline",
                Field::Budget => "budget",
                Field::Reward => "reward",
                Field::Mode => "mode",
                Field::Team => "team",
                Field::Capability => "capability",
                Field::Plan => "plan",
                Field::Score => "score",
                Field::Reason => "reason",
                Field::Due => "due",
                Field::Evidence => "evidence",
                Field::Investment => "investment",
            },
            hint: field_hint(*f),
            text: i18n::f("{}：{}", &[&field_label(*f), &field_hint(*f)]),
        })
        .collect()
}

pub struct MyApplication {
    pub a: ChallengeApplication,
    pub status: &'static str,
    pub challenge: View,
}

#[derive(Template, WebTemplate)]
#[template(path = "challenges_manage.html")]
pub struct ManagePage {
    pub tr: Tr,
    pub nav: Nav,
    pub is_city: bool,
    pub is_firm: bool,
    /// The city: challenges waiting for screening; a firm: its own challenges.
    pub waiting: Vec<View>,
    pub others: Vec<View>,
    pub mine: Vec<MyApplication>,
    pub suppliers: Vec<Supplier>,
    pub chains: Vec<String>,
    pub modes: Vec<(&'static str, &'static str)>,
    pub form: PostForm,
    pub errors: Vec<FieldError>,
    pub today: String,
}

impl ManagePage {
    /// The message of a refused field of the posting form, if any.
    pub fn error(&self, key: &str) -> String {
        self.errors
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.hint.to_owned())
            .unwrap_or_default()
    }
}

/// The chains a new challenge may name (those in force).
async fn chains_in_force(st: &AppState) -> Result<Vec<String>, AppError> {
    Ok(st
        .chains()
        .await?
        .into_iter()
        .filter(|c| c.retired_on.is_none())
        .map(|c| c.name)
        .collect())
}

async fn manage_page(
    st: &AppState,
    user: &CurrentUser,
    form: PostForm,
    errors: Vec<FieldError>,
) -> Result<ManagePage, AppError> {
    let is_city = user.user.role == Role::City;
    let own = user
        .user
        .uscc
        .clone()
        .filter(|_| user.user.role == Role::Enterprise);
    if !is_city && own.is_none() {
        return Err(AppError::Forbidden);
    }
    let rows = st
        .store
        .challenges(&ChallengeFilter {
            poster: own.clone(),
            ..Default::default()
        })
        .await?;
    let (mut waiting, mut others) = (Vec::new(), Vec::new());
    for c in rows {
        let seat = seat_of(Some(user), &c);
        let wait = if is_city {
            c.status == Status::Submitted
        } else {
            matches!(c.status, Status::Submitted | Status::Returned)
        };
        if wait {
            waiting.push(view(c, seat));
        } else {
            others.push(view(c, seat));
        }
    }
    let mut mine = Vec::new();
    let mut suppliers = Vec::new();
    if let Some(u) = &own {
        for a in st.store.applications_of(u).await? {
            if let Some(c) = st.store.challenge(a.challenge_id).await? {
                let seat = seat_of(Some(user), &c);
                mine.push(MyApplication {
                    status: app_label(a.status),
                    challenge: view(c, seat),
                    a,
                });
            }
        }
        suppliers = st.store.suppliers_of(u).await?;
    }
    Ok(ManagePage {
        tr: Tr,
        nav: Nav::of(user),
        is_city,
        is_firm: own.is_some(),
        waiting,
        others,
        mine,
        suppliers,
        chains: chains_in_force(st).await?,
        modes: Mode::ALL
            .iter()
            .map(|m| (m.key(), mode_label(*m)))
            .collect(),
        form,
        errors,
        today: st.today().to_string(),
    })
}

/// `GET /challenges/manage`: a firm's challenges, applications and suppliers, with the posting
/// form; the city's screening queue and every challenge.
pub async fn manage(State(st): State<AppState>, user: CurrentUser) -> Result<ManagePage, AppError> {
    manage_page(&st, &user, PostForm::default(), Vec::new()).await
}

/// `POST /challenges`: a firm posts a challenge; refused fields come back beside the form, with
/// what was typed.
pub async fn post(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<PostForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let uscc = user
        .user
        .uscc
        .clone()
        .filter(|_| user.user.role == Role::Enterprise)
        .ok_or(AppError::Forbidden)?;
    let chains = chains_in_force(&st).await?;
    let names: Vec<&str> = chains.iter().map(String::as_str).collect();
    match flow::post(Seat::Firm, &f.draft(), &names, st.today()) {
        Ok(c) => {
            let id = st
                .store
                .post_challenge(&uscc, &c, Some(user.user.id))
                .await?;
            Ok(Redirect::to(&format!("/challenges/{id}")).into_response())
        }
        Err(Refusal::Invalid(fs)) => {
            let page = manage_page(&st, &user, f, field_errors(&fs)).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(r) => Err(refused(r)),
    }
}

/// A challenge the user acts on, with the user's seat; absent when the user may not see it.
async fn challenge_for(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(ChallengeRow, Seat), AppError> {
    super::visible(st, Some(user), id).await
}

fn back(id: i64) -> Redirect {
    Redirect::to(&format!("/challenges/{id}"))
}

/// `POST /challenges/{id}/revise`: the poster changes a returned challenge and sends it back.
pub async fn revise(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<PostForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (c, seat) = challenge_for(&st, &user, id).await?;
    flow::revise(seat, c.status).map_err(refused)?;
    let chains = chains_in_force(&st).await?;
    let names: Vec<&str> = chains.iter().map(String::as_str).collect();
    let revised = flow::post(seat, &f.draft(), &names, st.today()).map_err(refused)?;
    st.store
        .revise_challenge(id, &revised, Some(user.user.id))
        .await?;
    Ok(back(id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    /// Screening: `publish`, `return`, `reject`; a milestone's confirmation: `yes`, `no`.
    pub decision: String,
    pub subsidy: String,
    pub reason: String,
}

/// `POST /challenges/{id}/screen`: the city publishes (with or without its subsidy), returns
/// or rejects a submitted challenge.
pub async fn screen(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (c, seat) = challenge_for(&st, &user, id).await?;
    let decision = match f.decision.as_str() {
        "publish" => Screen::Publish {
            subsidy: !f.subsidy.is_empty(),
        },
        "return" => Screen::Return,
        "reject" => Screen::Reject,
        _ => return Err(refused(Refusal::Invalid(vec![Field::Reason]))),
    };
    let today = st.today();
    let deadline = crate::common::date(&c.deadline).unwrap_or(today);
    let to = flow::screen(seat, c.status, decision, &f.reason, deadline, today).map_err(refused)?;
    let day = today.to_string();
    let published = match decision {
        Screen::Publish { subsidy } => Some((day.as_str(), subsidy)),
        _ => None,
    };
    st.store
        .challenge_step(
            id,
            c.status,
            to,
            f.reason.trim(),
            published,
            &format!("challenge.screen.{}", to.key()),
            Some(user.user.id),
        )
        .await?;
    Ok(back(id))
}

/// `POST /challenges/{id}/withdraw`: the poster, before the work starts.
pub async fn withdraw(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (c, seat) = challenge_for(&st, &user, id).await?;
    let to = flow::withdraw(seat, c.status, &f.reason).map_err(refused)?;
    st.store
        .challenge_step(
            id,
            c.status,
            to,
            f.reason.trim(),
            None,
            "challenge.withdraw",
            Some(user.user.id),
        )
        .await?;
    Ok(back(id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApplyForm {
    pub csrf: String,
    pub team: String,
    pub capability: String,
    pub plan: String,
}

/// `POST /challenges/{id}/applications`: a firm other than the poster applies, until the
/// deadline; once.
pub async fn apply(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (c, seat) = challenge_for(&st, &user, id).await?;
    let uscc = user.user.uscc.clone().ok_or(AppError::Forbidden)?;
    let today = st.today();
    let deadline = crate::common::date(&c.deadline).unwrap_or(today);
    let a = flow::apply(
        seat,
        c.status,
        deadline,
        &flow::ApplicationDraft {
            team: &f.team,
            capability: &f.capability,
            plan: &f.plan,
        },
        today,
    )
    .map_err(refused)?;
    st.store
        .apply_challenge(id, &uscc, &a, Some(user.user.id))
        .await?;
    Ok(back(id))
}

/// An application the user acts on, its challenge, and the user's seat towards it (the
/// applicant's own: `Applicant`); absent unless the user is its applicant, the poster or the city.
async fn application_for(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(ChallengeApplication, ChallengeRow, Seat), AppError> {
    let a = st
        .store
        .challenge_application(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (c, seat) = challenge_for(st, user, a.challenge_id).await?;
    let seat = if user.user.uscc.as_deref() == Some(a.uscc.as_str()) {
        Seat::Applicant
    } else {
        seat
    };
    if matches!(seat, Seat::Applicant | Seat::Poster | Seat::Bureau) {
        Ok((a, c, seat))
    } else {
        Err(AppError::NotFound)
    }
}

/// `POST /challenge-applications/{id}/withdraw`: the applicant, before the poster decides.
pub async fn withdraw_application(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (a, c, seat) = application_for(&st, &user, id).await?;
    let to = flow::withdraw_application(seat, a.status).map_err(refused)?;
    st.store
        .challenge_application_step(
            id,
            a.status,
            to,
            f.reason.trim(),
            "challenge.application.withdraw",
            Some(user.user.id),
        )
        .await?;
    Ok(back(c.id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SelectForm {
    pub csrf: String,
    pub team: String,
    pub capability: String,
    pub plan: String,
    pub fit: String,
    pub reason: String,
}

/// `POST /challenge-applications/{id}/select`: the poster selects with four scores and a reason.
pub async fn select(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<SelectForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (a, c, seat) = application_for(&st, &user, id).await?;
    let r = rules(&st);
    let selected = st
        .store
        .challenge_applications(c.id)
        .await?
        .iter()
        .filter(|x| x.status == AppStatus::Selected)
        .count();
    let scores = flow::select(
        seat,
        c.status,
        a.status,
        u32::try_from(selected).unwrap_or(u32::MAX),
        [&f.team, &f.capability, &f.plan, &f.fit],
        &f.reason,
        &r,
    )
    .map_err(refused)?;
    st.store
        .select_application(
            id,
            &scores,
            f.reason.trim(),
            r.select_max,
            Some(user.user.id),
        )
        .await?;
    Ok(back(c.id))
}

/// `POST /challenges/{id}/start`: the poster starts the work with the selected solvers.
pub async fn start(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (c, seat) = challenge_for(&st, &user, id).await?;
    let r = rules(&st);
    let selected = st
        .store
        .challenge_applications(id)
        .await?
        .iter()
        .filter(|x| x.status == AppStatus::Selected)
        .count();
    flow::start(
        seat,
        c.status,
        u32::try_from(selected).unwrap_or(u32::MAX),
        &r,
    )
    .map_err(refused)?;
    st.store
        .start_challenge(id, r.select_max, Some(user.user.id))
        .await?;
    Ok(back(id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MilestoneForm {
    pub csrf: String,
    pub title: String,
    pub due: String,
}

/// `POST /challenge-applications/{id}/milestones`: the poster or the solver plans a milestone.
pub async fn add_milestone(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<MilestoneForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (a, c, seat) = application_for(&st, &user, id).await?;
    let m = flow::plan_milestone(seat, c.status, a.status, &f.title, &f.due, st.today())
        .map_err(refused)?;
    st.store.add_milestone(id, &m, Some(user.user.id)).await?;
    Ok(back(c.id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    pub csrf: String,
    pub evidence: String,
}

/// A milestone, its application and challenge, and the user's seat.
async fn milestone_for(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(zjtx_store::ChallengeMilestone, ChallengeRow, Seat), AppError> {
    let m = st.store.milestone(id).await?.ok_or(AppError::NotFound)?;
    let (_, c, seat) = application_for(st, user, m.application_id).await?;
    Ok((m, c, seat))
}

/// `POST /challenge-milestones/{id}/report`: the solver reports a milestone with its evidence.
pub async fn report(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ReportForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (m, c, seat) = milestone_for(&st, &user, id).await?;
    let evidence = flow::report(seat, m.status, &f.evidence).map_err(refused)?;
    st.store
        .milestone_step(
            id,
            m.status,
            zjtx_core::workflow::challenge::MilestoneStatus::Reported,
            Some(&evidence),
            "",
            "challenge.milestone.report",
            Some(user.user.id),
        )
        .await?;
    Ok(back(c.id))
}

/// `POST /challenge-milestones/{id}/confirm`: the poster confirms (`yes`) or sends back (`no`,
/// with a reason).
pub async fn confirm(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (m, c, seat) = milestone_for(&st, &user, id).await?;
    let to = flow::confirm(seat, m.status, f.decision != "no", &f.reason).map_err(refused)?;
    st.store
        .milestone_step(
            id,
            m.status,
            to,
            None,
            f.reason.trim(),
            &format!("challenge.milestone.{}", to.key()),
            Some(user.user.id),
        )
        .await?;
    Ok(back(c.id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    pub csrf: String,
    pub investment: String,
    pub supplier: String,
}

/// `POST /challenge-applications/{id}/accept`: the poster accepts the result (the subsidy
/// computed when the city subsidises the challenge) and may add the solver to its suppliers.
pub async fn accept(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<AcceptForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (a, c, seat) = application_for(&st, &user, id).await?;
    let ms: Vec<_> = st
        .store
        .milestones(id)
        .await?
        .iter()
        .map(|m| m.status)
        .collect();
    let acc = flow::accept(
        seat,
        c.status,
        a.status,
        &ms,
        &f.investment,
        c.subsidy,
        &rules(&st),
    )
    .map_err(refused)?;
    st.store
        .decide_application(
            &a,
            &c.poster_uscc,
            Some((acc, !f.supplier.is_empty())),
            "",
            &st.today().to_string(),
            Some(user.user.id),
        )
        .await?;
    Ok(back(c.id))
}

/// `POST /challenge-applications/{id}/fail`: the poster fails the result, saying why.
pub async fn fail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (a, c, seat) = application_for(&st, &user, id).await?;
    flow::fail(seat, c.status, a.status, &f.reason).map_err(refused)?;
    st.store
        .decide_application(
            &a,
            &c.poster_uscc,
            None,
            f.reason.trim(),
            &st.today().to_string(),
            Some(user.user.id),
        )
        .await?;
    Ok(back(c.id))
}
