//! The quality-product catalogue (优质产品推荐目录, issue 12): the public catalogue and notice,
//! and the work page where titled firms submit, districts and the city review, and the city runs
//! the notice, lists and delists. The rules of each step are `zjtx_core::workflow::catalogue`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;
use zjtx_core::workflow::catalogue::{self as flow, Decision, Field, Refusal, Seat, Status};
use zjtx_store::{CatalogueEntry, CatalogueFilter, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    pub year: String,
}

/// The year a `?year=` asks for (this year when blank).
pub(crate) fn year_of(st: &AppState, q: &YearQuery) -> Result<i32, AppError> {
    match q.year.trim() {
        "" => Ok(st.today().year()),
        y => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("年度")]))),
    }
}

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Submitted => i18n::t("待区县审核"),
        Status::Returned => i18n::t("已退回"),
        Status::Recommended => i18n::t("待市级审核"),
        Status::Approved => i18n::t("待公示"),
        Status::Notice => i18n::t("公示中"),
        Status::Listed => i18n::t("已入选"),
        Status::Rejected => i18n::t("未通过"),
        Status::Delisted => i18n::t("已移出"),
    }
}

/// The published catalogue of a year and what is on notice now; public.
#[derive(Template, WebTemplate)]
#[template(path = "catalogue.html")]
pub struct PublicPage {
    pub tr: Tr,
    pub year: i32,
    pub listed: Vec<CatalogueEntry>,
    pub firms: usize,
    pub on_notice: Vec<CatalogueEntry>,
    pub signed_in: bool,
    pub csrf: String,
}

async fn published(st: &AppState, year: i32) -> Result<Vec<CatalogueEntry>, AppError> {
    Ok(st
        .store
        .catalogue_entries(
            &CatalogueFilter {
                year: Some(year),
                statuses: vec![Status::Listed],
                ..Default::default()
            },
            &st.today().to_string(),
        )
        .await?)
}

fn firm_count(entries: &[CatalogueEntry]) -> usize {
    let mut firms: Vec<&str> = entries.iter().map(|e| e.uscc.as_str()).collect();
    firms.sort_unstable();
    firms.dedup();
    firms.len()
}

/// `GET /catalogue`.
pub async fn public(
    State(st): State<AppState>,
    user: Option<CurrentUser>,
    Query(q): Query<YearQuery>,
) -> Result<PublicPage, AppError> {
    let year = year_of(&st, &q)?;
    let listed = published(&st, year).await?;
    let today = st.today().to_string();
    let on_notice = st
        .store
        .catalogue_entries(
            &CatalogueFilter {
                statuses: vec![Status::Notice],
                ..Default::default()
            },
            &today,
        )
        .await?
        .into_iter()
        .filter(|e| {
            e.notice_until
                .as_deref()
                .is_some_and(|u| u >= today.as_str())
        })
        .collect();
    Ok(PublicPage {
        tr: Tr,
        year,
        firms: firm_count(&listed),
        listed,
        on_notice,
        signed_in: user.is_some(),
        csrf: user
            .map(|u| crate::auth::masked_csrf(&u.session.csrf))
            .unwrap_or_default(),
    })
}

/// `GET /catalogue.xlsx`: the published catalogue of a year.
pub async fn public_xlsx(
    State(st): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&st, &q)?;
    let rows = published(&st, year)
        .await?
        .into_iter()
        .map(|e| vec![e.year.to_string(), e.name, e.firm, e.uscc, e.description])
        .collect();
    let headers = vec![
        i18n::t("年度"),
        i18n::t("产品名称"),
        i18n::t("企业名称"),
        i18n::t("统一社会信用代码"),
        i18n::t("产品简介"),
    ];
    crate::common::table_download("catalogue.xlsx", i18n::t("优质产品推荐目录"), headers, rows)
        .await
}

pub struct EntryRow {
    pub e: CatalogueEntry,
    pub status: &'static str,
    /// Listed, but the firm holds no valid title today: for the city to review.
    pub flagged: bool,
    pub can_review: bool,
    pub can_notice: bool,
    pub can_list: bool,
    pub can_delist: bool,
    pub can_resubmit: bool,
    pub objections: Vec<zjtx_store::CatalogueObjection>,
}

#[derive(Template, WebTemplate)]
#[template(path = "catalogue_entries.html")]
pub struct WorkPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub rows: Vec<EntryRow>,
    pub is_firm: bool,
    pub titled: bool,
    pub is_city: bool,
    pub notice_days: u32,
}

pub(crate) fn seat_of(user: &CurrentUser) -> Seat {
    match user.user.role {
        Role::City => Seat::City,
        Role::District => Seat::District,
        Role::Enterprise => Seat::Owner,
        _ => Seat::Other,
    }
}

/// `GET /catalogue/entries`: a firm's own entries, a district's firms', or every one (the city).
pub async fn work(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> Result<WorkPage, AppError> {
    let year = year_of(&st, &q)?;
    let scope = user.scope(&st.store).await?;
    let today = st.today();
    let seat = seat_of(&user);
    let entries = st
        .store
        .catalogue_entries(
            &CatalogueFilter {
                year: Some(year),
                regions: scope.regions.clone().filter(|_| seat == Seat::District),
                uscc: scope.uscc.clone().filter(|_| seat == Seat::Owner),
                ..Default::default()
            },
            &today.to_string(),
        )
        .await?;
    let mut rows = Vec::new();
    for e in entries {
        let until = e.notice_until.as_deref().and_then(crate::common::date);
        let objections = st.store.catalogue_objections(e.id).await?;
        let open = objections.iter().filter(|o| o.status == "open").count();
        rows.push(EntryRow {
            status: status_label(e.status),
            flagged: e.status == Status::Listed && !e.titled,
            can_review: flow::review(seat, e.status, Decision::Forward, "").is_ok(),
            can_notice: flow::notice(seat, e.status, 1, today).is_ok(),
            can_list: flow::list(seat, e.status, until, open, today).is_ok(),
            can_delist: seat == Seat::City && e.status == Status::Listed,
            can_resubmit: flow::resubmit(seat, e.status).is_ok(),
            objections,
            e,
        });
    }
    let titled = match &scope.uscc {
        Some(u) if seat == Seat::Owner => st.store.firm_titled(u, &today.to_string()).await?,
        _ => false,
    };
    Ok(WorkPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        rows,
        is_firm: seat == Seat::Owner,
        titled,
        is_city: seat == Seat::City,
        notice_days: notice_days(&st),
    })
}

fn notice_days(st: &AppState) -> u32 {
    st.rules
        .first()
        .map_or(5, |r| r.common.catalogue.notice_working_days)
}

pub(crate) fn refused(r: Refusal) -> AppError {
    let conflict = |m: String| AppError::Store(zjtx_store::StoreError::Conflict(m));
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::NotTitled => AppError::BadRequest(
            i18n::t("只有持有有效专精特新中小企业或“小巨人”称号的企业才能申报").into(),
        ),
        Refusal::WrongState(s) => conflict(i18n::f(
            "该产品当前为“{}”，不能进行此操作",
            &[&status_label(s)],
        )),
        Refusal::ReasonRequired => AppError::BadRequest(i18n::t("请写明理由").into()),
        Refusal::NoticeRunning(d) => conflict(i18n::f("公示至 {} 结束", &[&d.to_string()])),
        Refusal::ObjectionOpen => conflict(i18n::t("尚有未处理的异议").into()),
        Refusal::NotOnNotice => conflict(i18n::t("不在公示期内").into()),
        Refusal::Invalid(f) => AppError::BadRequest(i18n::f(
            "{}：格式有误",
            &[&match f {
                Field::Name => i18n::t("产品名称"),
                Field::Description => i18n::t("产品简介"),
                Field::Year => i18n::t("年度"),
            }],
        )),
    }
}

/// An entry the user may act on: the city any, a district its firms', a firm its own.
async fn entry_or_404(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<CatalogueEntry, AppError> {
    let e = st
        .store
        .catalogue_entry(id, &st.today().to_string())
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&st.store).await?;
    let visible = match seat_of(user) {
        Seat::City => true,
        Seat::District => match (&scope.regions, &e.region_code) {
            (Some(rs), Some(r)) => rs.contains(r),
            _ => false,
        },
        Seat::Owner => scope.uscc.as_deref() == Some(e.uscc.as_str()),
        Seat::Other => false,
    };
    if visible {
        Ok(e)
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SubmitForm {
    pub csrf: String,
    pub year: String,
    pub name: String,
    pub description: String,
}

/// `POST /catalogue/entries`: a titled firm submits a product.
pub async fn submit(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<SubmitForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let uscc = user
        .user
        .uscc
        .clone()
        .filter(|_| seat_of(&user) == Seat::Owner)
        .ok_or(AppError::Forbidden)?;
    let today = st.today();
    let titled = st.store.firm_titled(&uscc, &today.to_string()).await?;
    let entry = flow::submit(Seat::Owner, titled, &f.year, &f.name, &f.description, today)
        .map_err(refused)?;
    st.store
        .submit_catalogue(&uscc, &entry, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!(
        "/catalogue/entries?year={}",
        entry.year
    )))
}

/// `POST /catalogue/entries/{id}/resubmit`: the firm sends a returned entry back, changed.
pub async fn resubmit(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<SubmitForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let e = entry_or_404(&st, &user, id).await?;
    flow::resubmit(seat_of(&user), e.status).map_err(refused)?;
    let today = st.today();
    let titled = st.store.firm_titled(&e.uscc, &today.to_string()).await?;
    let entry = flow::submit(
        Seat::Owner,
        titled,
        &e.year.to_string(),
        &f.name,
        &f.description,
        today,
    )
    .map_err(refused)?;
    st.store
        .resubmit_catalogue(id, &entry, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/catalogue/entries?year={}", e.year)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    /// For a review: `forward`, `return` or `reject`.
    pub decision: String,
    pub reason: String,
}

/// `POST /catalogue/entries/{id}/review`: the district (submitted) or the city (recommended).
pub async fn review(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let e = entry_or_404(&st, &user, id).await?;
    let d = match f.decision.as_str() {
        "forward" => Decision::Forward,
        "return" => Decision::Return,
        "reject" => Decision::Reject,
        _ => {
            return Err(AppError::BadRequest(i18n::f(
                "{}：格式有误",
                &[&i18n::t("审核意见")],
            )));
        }
    };
    let to = flow::review(seat_of(&user), e.status, d, &f.reason).map_err(refused)?;
    let action = format!("catalogue.review.{}", to.key());
    st.store
        .catalogue_step(
            id,
            e.status,
            to,
            f.reason.trim(),
            None,
            &action,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/catalogue/entries?year={}", e.year)))
}

/// A step of the city's on an entry: `decide` gets the entry and its open objections and returns
/// the new status and, for a notice, its window; the step is written guarded on the old status.
async fn city_step(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    f: &StepForm,
    action: &str,
    decide: impl FnOnce(&CatalogueEntry, usize) -> Result<(Status, Option<(String, String)>), Refusal>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let e = entry_or_404(st, user, id).await?;
    let open = st
        .store
        .catalogue_objections(id)
        .await?
        .iter()
        .filter(|o| o.status == "open")
        .count();
    let (to, window) = decide(&e, open).map_err(refused)?;
    st.store
        .catalogue_step(
            id,
            e.status,
            to,
            f.reason.trim(),
            window.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            action,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/catalogue/entries?year={}", e.year)))
}

/// `POST /catalogue/entries/{id}/notice`: the city puts an approved entry on notice.
pub async fn notice(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    let (seat, days, today) = (seat_of(&user), notice_days(&st), st.today());
    city_step(&st, &user, id, &f, "catalogue.notice", |e, _| {
        let (from, until) = flow::notice(seat, e.status, days, today)?;
        Ok((Status::Notice, Some((from.to_string(), until.to_string()))))
    })
    .await
}

/// `POST /catalogue/entries/{id}/list`: after the notice, with no objection open.
pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    let (seat, today) = (seat_of(&user), st.today());
    city_step(&st, &user, id, &f, "catalogue.list", |e, open| {
        let until = e.notice_until.as_deref().and_then(crate::common::date);
        Ok((flow::list(seat, e.status, until, open, today)?, None))
    })
    .await
}

/// `POST /catalogue/entries/{id}/delist`: the city takes a listed product out, saying why.
pub async fn delist(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    let seat = seat_of(&user);
    let reason = f.reason.clone();
    city_step(&st, &user, id, &f, "catalogue.delist", |e, _| {
        Ok((flow::delist(seat, e.status, &reason)?, None))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ObjectionForm {
    pub csrf: String,
    pub text: String,
}

/// `POST /catalogue/entries/{id}/objections`: any signed-in user, while the entry is on notice.
pub async fn object(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ObjectionForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let e = st
        .store
        .catalogue_entry(id, &st.today().to_string())
        .await?
        .ok_or(AppError::NotFound)?;
    let window = match (
        e.notice_from.as_deref().and_then(crate::common::date),
        e.notice_until.as_deref().and_then(crate::common::date),
    ) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    flow::object(e.status, window, st.today()).map_err(refused)?;
    let text = f.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(AppError::BadRequest(i18n::f(
            "{}：格式有误",
            &[&i18n::t("异议内容")],
        )));
    }
    st.store
        .object_catalogue(id, text, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/catalogue#notice"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolveForm {
    pub csrf: String,
    pub upheld: String,
    pub resolution: String,
}

/// `POST /catalogue/objections/{id}/resolve`: the city, with its reason; upheld rejects the entry.
pub async fn resolve(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let o = st
        .store
        .catalogue_objection(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let e = entry_or_404(&st, &user, o.entry_id).await?;
    let upheld = f.upheld == "yes";
    flow::resolve(seat_of(&user), e.status, upheld, &f.resolution).map_err(refused)?;
    st.store
        .resolve_catalogue_objection(id, e.id, upheld, f.resolution.trim(), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/catalogue/entries?year={}", e.year)))
}
