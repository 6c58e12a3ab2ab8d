//! The API of funding programmes: every call with its totals, and a call's awards by scope.

use super::*;

use crate::api::types as t;

/// `GET /api/v1/programmes`: each call's programme with its year and amounts in 万元.
#[utoipa::path(get, path = "/api/v1/programmes",
    summary = "Every call of a funding programme with its year and amounts in 万元 (budget of every level, committed by approved awards, paid, recovered)",
    responses((status = 200, description = "the calls", body = t::ProgrammeList)))]
pub async fn api_programmes(
    State(st): State<AppState>,
    crate::api::ApiUser(_user): crate::api::ApiUser,
) -> Result<axum::Json<t::ProgrammeList>, crate::api::ApiError> {
    let s = |u: i64| {
        Wan::from_units(u)
            .map(|w| w.to_string())
            .unwrap_or_default()
    };
    let items = st
        .store
        .calls()
        .await?
        .into_iter()
        .map(|c| t::ProgrammeCall {
            id: c.id,
            programme: c.programme_id,
            title: c.title,
            category: c.category,
            year: c.year,
            opens_on: c.opens_on,
            closes_on: c.closes_on,
            budget_wan: s(c.budget),
            committed_wan: s(c.committed),
            paid_wan: s(c.paid),
            recovered_wan: s(c.recovered),
        })
        .collect();
    Ok(axum::Json(t::ProgrammeList { items }))
}

/// `GET /api/v1/programmes/{id}/awards`: the approved awards of a call the caller may see (the
/// city all, a district its firms', a firm its own).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/awards",
    summary = "The approved (and superseded) awards of a call the caller may see: the city all, a district its firms', a firm its own",
    params(crate::api::IdPath),
    responses((status = 200, description = "the awards", body = t::AwardList),
        (status = 404, description = "no such call", body = crate::api::Problem)))]
pub async fn api_awards(
    State(st): State<AppState>,
    crate::api::ApiUser(user): crate::api::ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<t::AwardList>, crate::api::ApiError> {
    let c = call_or_404(&st, &id).await?;
    let scope = user.scope(&st.store).await?;
    let s = |u: i64| {
        Wan::from_units(u)
            .map(|w| w.to_string())
            .unwrap_or_default()
    };
    let items = st
        .store
        .fund_applications(&FundFilter {
            call_id: Some(c.id),
            regions: scope
                .regions
                .clone()
                .filter(|_| user.user.role == Role::District),
            uscc: scope
                .uscc
                .clone()
                .filter(|_| user.user.role == Role::Enterprise),
            statuses: vec![Status::Approved, Status::Superseded],
        })
        .await?
        .into_iter()
        .map(|a| t::Award {
            status: t::key(&a.status),
            amount_wan: s(a.amount.unwrap_or(0)),
            city_wan: s(a.city.unwrap_or(0)),
            district_wan: s(a.district.unwrap_or(0)),
            paid_wan: s(a.paid_city + a.paid_district),
            recovered_wan: s(a.recovered_city + a.recovered_district),
            id: a.id,
            uscc: a.uscc,
            enterprise: a.firm,
            project: a.name,
            code: a.code,
            decided_on: a.decided_on,
        })
        .collect();
    Ok(axum::Json(t::AwardList {
        programme: c.programme_id,
        items,
    }))
}
