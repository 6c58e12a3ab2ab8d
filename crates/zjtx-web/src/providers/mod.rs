//! Digital engineering service providers (数字工程服务商, issue 13): a provider's page (its
//! profile and its service records), the city's index of a year — every provider's metrics and
//! points, reproducible by hand from the records and the year's weights — with the selection to
//! publish, and the published selection (public). The rules are `zjtx_core::workflow::provider`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::response::Redirect;
use serde::Deserialize;
use zjtx_core::num::Wan;
use zjtx_core::rules::ProviderRules;
use zjtx_core::workflow::provider::{self as flow, Field, Metrics, Record, Refusal, Scored};
use zjtx_store::{ProviderRecord, Role, Selection};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

pub use crate::catalogue::YearQuery;
use crate::catalogue::year_of;

fn rules(st: &AppState) -> Result<ProviderRules, AppError> {
    st.rules
        .first()
        .map(|r| r.common.providers.clone())
        .ok_or_else(|| AppError::Internal("no rules".into()))
}

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::NotAClient => AppError::BadRequest(i18n::t("客户须为企业库中的企业").into()),
        Refusal::Invalid(fs) => AppError::BadRequest(
            fs.iter()
                .map(|f| {
                    i18n::f(
                        "{}：格式有误",
                        &[&match f {
                            Field::Client => i18n::t("客户统一社会信用代码"),
                            Field::Year => i18n::t("年度"),
                            Field::Value => i18n::t("合同金额（万元）"),
                            Field::Delivered => i18n::t("交付项目数"),
                            Field::LevelBefore => i18n::t("服务前数字化水平"),
                            Field::LevelAfter => i18n::t("服务后数字化水平"),
                            Field::Satisfaction => i18n::t("满意度"),
                        }],
                    )
                })
                .collect::<Vec<_>>()
                .join(i18n::t("；")),
        ),
    }
}

pub struct IndexRow {
    pub rank: usize,
    pub name: String,
    pub m: Metrics,
    pub points: Vec<String>,
    pub index: String,
    pub award: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "providers.html")]
pub struct ProvidersPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub is_provider: bool,
    pub is_city: bool,
    pub profile: Option<String>,
    pub records: Vec<ProviderRecord>,
    pub index: Vec<IndexRow>,
    pub weights: Vec<String>,
    pub select_max: u32,
    pub published: Vec<Selection>,
}

/// The year's index of every provider with records, and the selection it gives.
async fn scored(st: &AppState, year: i32) -> Result<(Vec<Scored>, Vec<flow::Selected>), AppError> {
    let r = rules(st)?;
    let all = st.store.provider_records(year, None).await?;
    let mut by: Vec<(i64, Metrics)> = Vec::new();
    let mut ids: Vec<i64> = all.iter().map(|x| x.provider_id).collect();
    ids.dedup();
    for id in ids {
        let recs: Vec<Record> = all
            .iter()
            .filter(|x| x.provider_id == id)
            .map(|x| x.record.clone())
            .collect();
        by.push((id, flow::metrics(&recs)));
    }
    let s = flow::index(&r, &by);
    let sel = flow::select(&r, &s);
    Ok((s, sel))
}

/// `GET /providers?year=`: a provider's own page; the city's index and selection.
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> Result<ProvidersPage, AppError> {
    let year = year_of(&st, &q)?;
    let r = rules(&st)?;
    let is_provider = user.user.role == Role::Provider;
    let is_city = user.user.role == Role::City;
    let profile = if is_provider {
        st.store.provider_of_user(user.user.id).await?
    } else {
        None
    };
    let records = match &profile {
        Some(p) => st.store.provider_records(year, Some(p.id)).await?,
        None => Vec::new(),
    };
    let mut index = Vec::new();
    if is_city {
        let names = st.store.providers().await?;
        let (s, sel) = scored(&st, year).await?;
        for (i, x) in s.iter().enumerate() {
            index.push(IndexRow {
                rank: i + 1,
                name: names
                    .iter()
                    .find(|p| p.id == x.provider)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                m: x.metrics,
                points: x.points.iter().map(ToString::to_string).collect(),
                index: x.index.to_string(),
                award: sel
                    .iter()
                    .find(|y| y.provider == x.provider)
                    .map(|y| y.award.to_string())
                    .unwrap_or_default(),
            });
        }
    }
    Ok(ProvidersPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        is_provider,
        is_city,
        profile: profile.map(|p| p.name),
        records,
        index,
        weights: [
            r.w_clients,
            r.w_value,
            r.w_delivered,
            r.w_acceptance,
            r.w_uplift,
            r.w_satisfaction,
        ]
        .iter()
        .map(ToString::to_string)
        .collect(),
        select_max: r.select_max,
        published: st.store.selections(year).await?,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileForm {
    pub csrf: String,
    pub name: String,
}

/// `POST /providers/profile`: a provider names itself.
pub async fn profile(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<ProfileForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::Provider {
        return Err(AppError::Forbidden);
    }
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::BadRequest(i18n::f(
            "{}：格式有误",
            &[&i18n::t("服务商名称")],
        )));
    }
    st.store.set_provider(user.user.id, name).await?;
    Ok(Redirect::to("/providers"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecordForm {
    pub csrf: String,
    pub client: String,
    pub year: String,
    pub value: String,
    pub delivered: String,
    pub accepted: String,
    pub level_before: String,
    pub level_after: String,
    pub satisfaction: String,
}

/// `POST /providers/records`: a provider records a service to a registry firm.
pub async fn add_record(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<RecordForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let p = match user.user.role {
        Role::Provider => st
            .store
            .provider_of_user(user.user.id)
            .await?
            .ok_or_else(|| AppError::BadRequest(i18n::t("请先填写服务商名称").into()))?,
        _ => return Err(AppError::Forbidden),
    };
    let r = flow::record(
        true,
        &flow::Draft {
            client: &f.client,
            year: &f.year,
            value: &f.value,
            delivered: &f.delivered,
            accepted: !f.accepted.is_empty(),
            level_before: &f.level_before,
            level_after: &f.level_after,
            satisfaction: &f.satisfaction,
        },
        st.today(),
    )
    .map_err(refused)?;
    if st.store.enterprise(&r.client).await?.is_none() {
        return Err(refused(Refusal::NotAClient));
    }
    st.store
        .add_provider_record(p.id, &r, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/providers?year={}", r.year)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishForm {
    pub csrf: String,
    pub year: String,
}

/// `POST /providers/selection`: the city publishes the year's selection as the index gives it.
pub async fn publish(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<PublishForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let year = year_of(
        &st,
        &YearQuery {
            year: f.year.clone(),
        },
    )?;
    let (_, sel) = scored(&st, year).await?;
    if sel.is_empty() {
        return Err(AppError::BadRequest(
            i18n::t("该年度尚无可遴选的服务商").into(),
        ));
    }
    st.store
        .publish_selection(year, &sel, &st.today().to_string(), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/providers/selected?year={year}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "providers_selected.html")]
pub struct SelectedPage {
    pub tr: Tr,
    pub year: i32,
    pub rows: Vec<(Selection, String)>,
}

/// `GET /providers/selected?year=`: the published selection (public).
pub async fn selected(
    State(st): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<SelectedPage, AppError> {
    let year = year_of(&st, &q)?;
    let rows = st
        .store
        .selections(year)
        .await?
        .into_iter()
        .map(|s| {
            let a = Wan::from_units(s.award)
                .map(|w| w.to_string())
                .unwrap_or_default();
            (s, a)
        })
        .collect();
    Ok(SelectedPage { tr: Tr, year, rows })
}
