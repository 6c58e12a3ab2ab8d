//! Chain work (issue 12): matchmaking events of a chain (产业链“百场万企”对接) — the list with the
//! bureau's line for a year, chain and district, each figure linked to the records behind it and
//! exported to Excel; an event's page with its parties and outcomes. The rules of each step are
//! `zjtx_core::workflow::chain_event`; the records are the store's `chains` module.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;
use zjtx_core::workflow::chain_event::{
    self as flow, Field, Kind, OutcomeKind, Refusal, Role, Status,
};
use zjtx_store::{ChainEvent, ChainFilter, ChainSummary, Role as UserRole};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::common::wan;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

pub mod map;
pub mod military;
pub mod records;

/// The list's filters, as the query string gives them.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EventsQuery {
    pub year: String,
    pub chain: String,
    pub district: String,
}

/// A filter as the user may use it: a district office within its districts, a firm its own
/// events only.
pub(crate) async fn filter_for(
    st: &AppState,
    user: &CurrentUser,
    q: &EventsQuery,
) -> Result<(ChainFilter, i32), AppError> {
    let year = match q.year.trim() {
        "" => st.today().year(),
        y => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("年度")])))?,
    };
    let scope = user.scope(&st.store).await?;
    let uscc = match user.user.role {
        UserRole::Enterprise => Some(scope.uscc.clone().ok_or(AppError::Forbidden)?),
        _ => None,
    };
    Ok((
        ChainFilter {
            year: Some(year),
            chain: Some(q.chain.trim().to_owned()).filter(|c| !c.is_empty()),
            region: Some(q.district.trim().to_owned()).filter(|d| !d.is_empty()),
            regions: if uscc.is_some() { None } else { scope.regions },
            uscc,
        },
        year,
    ))
}

/// The query string that reproduces a filter (for the links from each figure).
fn query_of(year: i32, q: &EventsQuery) -> String {
    serde_urlencoded::to_string([
        ("year", year.to_string()),
        ("chain", q.chain.trim().to_owned()),
        ("district", q.district.trim().to_owned()),
    ])
    .unwrap_or_default()
}

pub fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Matchmaking => i18n::t("供需对接会"),
        Kind::Roadshow => i18n::t("路演"),
        Kind::Visit => i18n::t("企业走访"),
        Kind::Exhibition => i18n::t("展会"),
    }
}

pub fn role_label(r: Role) -> &'static str {
    match r {
        Role::LargeFirm => i18n::t("链主/大企业"),
        Role::Sme => i18n::t("中小企业"),
        Role::Bank => i18n::t("银行"),
        Role::Institute => i18n::t("科研院所"),
    }
}

pub fn outcome_label(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Intention => i18n::t("合作意向"),
        OutcomeKind::Order => i18n::t("订单"),
        OutcomeKind::Financing => i18n::t("融资"),
        OutcomeKind::Project => i18n::t("项目"),
    }
}

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Intention => i18n::t("意向"),
        Status::Signed => i18n::t("已签约"),
        Status::Executed => i18n::t("已履约"),
        Status::Cancelled => i18n::t("已取消"),
    }
}

fn district_name(code: Option<&str>) -> String {
    match code {
        None => i18n::t("全市").to_owned(),
        Some(c) => zjtx_core::enterprise::DISTRICTS
            .iter()
            .find(|(k, _)| *k == c)
            .map_or_else(|| c.to_owned(), |(_, n)| (*n).to_owned()),
    }
}

pub struct EventRow {
    pub e: ChainEvent,
    pub kind: &'static str,
    pub district: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_events.html")]
pub struct EventsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub chain: String,
    pub district: String,
    pub query: String,
    pub summary: ChainSummary,
    /// The catalogue's and the open challenges' figures of the same year, chain and district.
    pub more: zjtx_store::ChainLineMore,
    pub orders: String,
    pub financing: String,
    pub events: Vec<EventRow>,
    pub chains: Vec<String>,
    pub districts: Vec<(String, String)>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub can_record: bool,
    pub is_city: bool,
    pub today: String,
}

/// `GET /chains/events`: the events of a year (a chain, a district) with the bureau's line.
pub async fn events(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<EventsQuery>,
) -> Result<EventsPage, AppError> {
    let (f, year) = filter_for(&st, &user, &q).await?;
    let summary = st.store.chain_summary(&f).await?;
    let more = st.store.chain_line_more(&f, year).await?;
    let events = st
        .store
        .chain_events(&f)
        .await?
        .into_iter()
        .map(|e| EventRow {
            kind: kind_label(e.kind),
            district: district_name(e.region_code.as_deref()),
            e,
        })
        .collect();
    let scope = user.scope(&st.store).await?;
    let districts = zjtx_core::enterprise::DISTRICTS
        .iter()
        .filter(|(c, _)| {
            scope
                .regions
                .as_ref()
                .is_none_or(|rs| rs.iter().any(|r| r == c))
        })
        .map(|(c, n)| ((*c).to_owned(), (*n).to_owned()))
        .collect();
    Ok(EventsPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        chain: q.chain.trim().to_owned(),
        district: q.district.trim().to_owned(),
        query: query_of(year, &q),
        orders: wan(Some(summary.orders)),
        financing: wan(Some(summary.financing)),
        summary,
        more,
        events,
        chains: in_force(&st).await?,
        districts,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.key(), kind_label(*k)))
            .collect(),
        can_record: matches!(user.user.role, UserRole::City | UserRole::District),
        is_city: user.user.role == UserRole::City,
        today: st.today().to_string(),
    })
}

/// The names of the chains in force (not retired), in the taxonomy's order.
pub(crate) async fn in_force(st: &AppState) -> Result<Vec<String>, AppError> {
    Ok(st
        .store
        .chains()
        .await?
        .into_iter()
        .filter(|c| c.retired_on.is_none())
        .map(|c| c.name)
        .collect())
}

/// The user's seat for recording.
pub(crate) fn seat(user: &CurrentUser) -> flow::Seat {
    match (user.user.role, &user.user.region_code) {
        (UserRole::City, _) => flow::Seat::City,
        (UserRole::District, Some(r)) => flow::Seat::District(r.clone()),
        _ => flow::Seat::Other,
    }
}

/// A refused step in the reader's words, each bad field named.
pub(crate) fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::Invalid(fields) => AppError::BadRequest(
            fields
                .into_iter()
                .map(|f| {
                    let name = match f {
                        Field::Chain => i18n::t("产业链"),
                        Field::Title => i18n::t("名称"),
                        Field::HeldOn => i18n::t("日期"),
                        Field::Organiser => i18n::t("主办方"),
                        Field::Place => i18n::t("地点"),
                        Field::Kind => i18n::t("活动类型"),
                        Field::Role => i18n::t("角色"),
                        Field::Party => i18n::t("参与方（统一社会信用代码或名称）"),
                        Field::OutcomeKind => i18n::t("成果类型"),
                        Field::Amount => i18n::t("金额"),
                        Field::Status => i18n::t("状态"),
                        Field::Note => i18n::t("备注"),
                    };
                    i18n::f("{}：格式有误", &[&name])
                })
                .collect::<Vec<_>>()
                .join(i18n::t("；")),
        ),
        Refusal::NotHeldYet(d) => AppError::BadRequest(i18n::f(
            "活动于 {} 举行，届时起才能登记成果",
            &[&d.to_string()],
        )),
        Refusal::WrongState(s) => AppError::Store(zjtx_store::StoreError::Conflict(i18n::f(
            "成果当前为“{}”，不能进行此操作",
            &[&status_label(s)],
        ))),
        Refusal::ReasonRequired => AppError::BadRequest(i18n::t("取消须写明原因").into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EventForm {
    pub csrf: String,
    pub chain: String,
    pub title: String,
    pub held_on: String,
    pub organiser: String,
    pub place: String,
    pub kind: String,
    pub region: String,
}

/// `POST /chains/events`: the bureau or a district office records an event.
pub async fn create_event(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<EventForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let chains = in_force(&st).await?;
    let names: Vec<&str> = chains.iter().map(String::as_str).collect();
    let event = flow::plan(
        &seat(&user),
        &flow::EventDraft {
            chain: &f.chain,
            title: &f.title,
            held_on: &f.held_on,
            organiser: &f.organiser,
            place: &f.place,
            kind: &f.kind,
            region: &f.region,
        },
        &names,
    )
    .map_err(refused)?;
    if let Some(r) = &event.region
        && !zjtx_core::enterprise::DISTRICTS.iter().any(|(c, _)| c == r)
    {
        return Err(AppError::BadRequest(i18n::t("请选择本市的区县").into()));
    }
    let id = st
        .store
        .create_chain_event(&event, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/chains/events/{id}")))
}

/// An event the user may see: the city any, a district office those of its districts, a firm
/// those it took part in; any other reads as absent.
pub(crate) async fn event_or_404(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<ChainEvent, AppError> {
    let e = st.store.chain_event(id).await?.ok_or(AppError::NotFound)?;
    let scope = user.scope(&st.store).await?;
    let visible = match user.user.role {
        UserRole::City => true,
        UserRole::District => match (&scope.regions, &e.region_code) {
            (Some(rs), Some(r)) => rs.contains(r),
            _ => false,
        },
        UserRole::Enterprise => {
            let own = scope.uscc.as_deref();
            st.store
                .chain_parties(id)
                .await?
                .iter()
                .any(|p| p.uscc.is_some() && p.uscc.as_deref() == own)
        }
        _ => false,
    };
    if visible {
        Ok(e)
    } else {
        Err(AppError::NotFound)
    }
}

pub mod event;

/// `GET /chains/events.xlsx`: the events of the list with their counted outcomes, and the line.
pub async fn events_xlsx(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<EventsQuery>,
) -> Result<Response, AppError> {
    let (f, _) = filter_for(&st, &user, &q).await?;
    let summary = st.store.chain_summary(&f).await?;
    let mut rows = Vec::new();
    for e in st.store.chain_events(&f).await? {
        let parties = st.store.chain_parties(e.id).await?;
        let outcomes = st.store.chain_outcomes(e.id).await?;
        let sum = |k: OutcomeKind| {
            outcomes
                .iter()
                .filter(|o| o.kind == k && o.status.counts())
                .filter_map(|o| o.amount)
                .sum::<i64>()
        };
        let projects = outcomes
            .iter()
            .filter(|o| o.kind == OutcomeKind::Project && o.status.counts())
            .count();
        rows.push(vec![
            e.held_on.clone(),
            e.chain.clone(),
            e.title.clone(),
            district_name(e.region_code.as_deref()),
            e.organiser.clone(),
            kind_label(e.kind).to_owned(),
            parties.len().to_string(),
            wan(Some(sum(OutcomeKind::Order))),
            wan(Some(sum(OutcomeKind::Financing))),
            projects.to_string(),
        ]);
    }
    rows.push(vec![
        i18n::t("合计").to_owned(),
        String::new(),
        i18n::f("{} 场", &[&summary.events]),
        String::new(),
        String::new(),
        i18n::f("{} 家企业", &[&summary.firms]),
        summary.participations.to_string(),
        wan(Some(summary.orders)),
        wan(Some(summary.financing)),
        summary.projects.to_string(),
    ]);
    let headers = vec![
        i18n::t("日期"),
        i18n::t("产业链"),
        i18n::t("名称"),
        i18n::t("区县"),
        i18n::t("主办方"),
        i18n::t("活动类型"),
        i18n::t("参与方"),
        i18n::t("订单（万元）"),
        i18n::t("融资（万元）"),
        i18n::t("项目"),
    ];
    crate::common::table_download(
        "chain-events.xlsx",
        i18n::t("产业链对接活动"),
        headers,
        rows,
    )
    .await
}
