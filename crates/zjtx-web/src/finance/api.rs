//! The finance zone over `/api/v1` for an institution's systems: its products, the open needs
//! routed to it, its applications, and the steps of an application — the same calls, consent,
//! messages and audit as the pages (`routed_needs`, `move_application`). Amounts are exact
//! 万元 as strings (`"12.5"`, to the yuan).

use axum::Json;

use super::*;
use crate::api::types::{self as t, ConsentList, NeedList, ProductList};
use crate::api::{ApiError, ApiJson, ApiUser, BearerUser, IdPath, Problem};

fn exact_wan(yuan: i64) -> String {
    zjtx_core::num::Dec4::from_units(yuan)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn list_of(csv: &str) -> Vec<String> {
    csv.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn product_json(p: &Product) -> t::Product {
    t::Product {
        id: p.id,
        name: p.name.clone(),
        kind: p.kind.clone(),
        status: p.status.as_str().to_owned(),
        min_amount_wan: exact_wan(p.min_amount),
        max_amount_wan: exact_wan(p.max_amount),
        term_min_months: p.term_min,
        term_max_months: p.term_max,
        rate_kind: p.rate_kind.clone(),
        rate_bp: p.rate_bp,
        collateral: list_of(&p.collateral),
        eligibility: serde_json::from_str::<Value>(&p.eligibility).unwrap_or(Value::Null),
    }
}

pub(crate) fn application_json(a: &Application) -> t::Application {
    t::Application {
        id: a.id,
        uscc: a.uscc.clone(),
        name: a.name.clone(),
        product_id: a.product_id,
        product: a.product.clone(),
        need_id: a.need_id,
        amount_wan: exact_wan(a.amount),
        status: a.status.as_str().to_owned(),
        granted_amount_wan: a.granted_amount.map(exact_wan),
        granted_on: a.granted_on.clone(),
        disbursed_on: a.disbursed_on.clone(),
        decline_reason: a.decline_reason.clone(),
        created_on: a.created_on.clone(),
    }
}

pub(crate) fn need_json(n: &zjtx_store::Need) -> t::Need {
    t::Need {
        id: n.id,
        uscc: n.uscc.clone(),
        name: n.name.clone(),
        amount_wan: exact_wan(n.amount),
        purpose: n.purpose.clone(),
        term_months: n.term_months,
        collateral: list_of(&n.collateral),
        status: n.status.clone(),
        created_at: n.created_at,
    }
}

/// `GET /api/v1/finance/products`: an institution's own products (every status); anyone else
/// signed in to the finance zone, the listed products.
#[utoipa::path(get, path = "/api/v1/finance/products",
    summary = "An institution's own products (every status); for anyone else in the finance zone, the listed products. Amounts in exact 万元",
    responses((status = 200, description = "the products", body = ProductList)))]
pub async fn api_products(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<ProductList>, ApiError> {
    let products = match user.user.role {
        Role::Institution => {
            st.store
                .products(None, Some(institution_of(&user)?))
                .await?
        }
        _ => st.store.products(Some("listed"), None).await?,
    };
    Ok(Json(ProductList {
        products: products.iter().map(product_json).collect(),
    }))
}

/// `GET /api/v1/finance/needs`: the open needs a listed product of the institution matches, on
/// what the firms' consents let it know (each read logged for the firm).
#[utoipa::path(get, path = "/api/v1/finance/needs",
    summary = "The open financing needs a listed product of the calling institution matches, judged on what each firm's consents let it know (each read logged for the firm)",
    responses((status = 200, description = "the needs", body = NeedList)))]
pub async fn api_needs(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<NeedList>, ApiError> {
    let inst = institution_of(&user)?;
    let listed = st.store.products(Some("listed"), Some(inst)).await?;
    let needs = routed_needs(&st, user.user.id, inst, &listed).await?;
    Ok(Json(NeedList {
        needs: needs.iter().map(need_json).collect(),
    }))
}

/// `GET /api/v1/finance/applications`: the applications to the institution's products.
#[utoipa::path(get, path = "/api/v1/finance/applications",
    summary = "The applications to the calling institution's products",
    responses((status = 200, description = "the applications", body = t::ApplicationList)))]
pub async fn api_applications(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<t::ApplicationList>, ApiError> {
    let inst = institution_of(&user)?;
    let apps = st.store.applications(None, Some(inst)).await?;
    Ok(Json(t::ApplicationList {
        applications: apps.iter().map(application_json).collect(),
    }))
}

/// `POST /api/v1/finance/applications/{id}/step` with `{"to": "accepted" | "granted" |
/// "disbursed" | "declined", "amount": "万元", "date": "YYYY-MM-DD", "reason": "…"}`: the
/// application as it stands after the step. Only for a bearer token or key (a browser's cookie
/// cannot post here: the pages' forms carry their CSRF token).
#[utoipa::path(post, path = "/api/v1/finance/applications/{id}/step",
    summary = "Move an application on as its lender: accepted → granted (amount, date) → disbursed (date), or declined with a reason. Bearer token or key only; a key needs the write scope",
    params(IdPath), request_body = StepInput,
    responses((status = 200, description = "the application after the step", body = t::Application),
        (status = 404, description = "not an application to this institution's products", body = Problem),
        (status = 409, description = "the step is not possible from the application's state", body = Problem)))]
pub async fn api_step(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<StepInput>,
) -> Result<Json<t::Application>, ApiError> {
    move_application(&st, &user, id, &input).await?;
    let a = st.store.application(id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(application_json(&a)))
}

fn consent_json(c: &Consent) -> t::Consent {
    t::Consent {
        id: c.id,
        institution_id: c.institution_id,
        institution: c.institution.clone(),
        categories: list_of(&c.categories),
        predicates_only: c.predicates_only,
        purpose: c.purpose.clone(),
        valid_from: c.valid_from.clone(),
        valid_until: c.valid_until.clone(),
        revoked: c.revoked,
    }
}

/// `GET /api/v1/finance/consents`: the calling enterprise's consents, in force or not.
#[utoipa::path(get, path = "/api/v1/finance/consents",
    summary = "The calling enterprise's consents, in force or not",
    responses((status = 200, description = "its consents", body = ConsentList)))]
pub async fn api_consents(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<ConsentList>, ApiError> {
    let uscc = own_uscc(&user)?.to_owned();
    let consents = st.store.consents(&uscc, None).await?;
    Ok(Json(ConsentList {
        consents: consents.iter().map(consent_json).collect(),
    }))
}

/// A consent as an enterprise's system grants it.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConsentRequest {
    pub institution: i64,
    /// `profile`, `financials`, `ip`, `titles`, `evaluations`.
    pub categories: Vec<String>,
    pub purpose: String,
    /// How many days it runs, within the rules' maximum.
    #[schema(minimum = 0)]
    pub days: u32,
    /// Bands and yes/no answers instead of figures.
    #[serde(default)]
    pub predicates_only: bool,
}

async fn one_consent(st: &AppState, uscc: &str, id: i64) -> Result<Json<t::Consent>, ApiError> {
    let c = st
        .store
        .consents(uscc, None)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(Json(consent_json(&c)))
}

/// `POST /api/v1/finance/consents`: the calling enterprise grants a consent, as on its page.
/// Bearer token or key only.
#[utoipa::path(post, path = "/api/v1/finance/consents",
    summary = "Grant a consent as the calling enterprise: an institution may read the named categories (as figures, or predicates only) for a purpose, for a number of days within the rules' maximum. Bearer token or key only; a key needs the write scope",
    request_body = ConsentRequest,
    responses((status = 200, description = "the consent", body = t::Consent),
        (status = 409, description = "refused by the consent rules", body = Problem)))]
pub async fn api_grant(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    ApiJson(req): ApiJson<ConsentRequest>,
) -> Result<Json<t::Consent>, ApiError> {
    let form = GrantForm {
        csrf: String::new(),
        institution: req.institution.to_string(),
        categories: req.categories,
        purpose: req.purpose,
        days: req.days.to_string(),
        predicates_only: if req.predicates_only {
            "yes".into()
        } else {
            String::new()
        },
    };
    let id = grant_consent(&st, &user, &form).await?;
    one_consent(&st, own_uscc(&user)?, id).await
}

/// `POST /api/v1/finance/consents/{id}/revoke`: the calling enterprise revokes its consent.
#[utoipa::path(post, path = "/api/v1/finance/consents/{id}/revoke",
    summary = "Revoke a consent of the calling enterprise. Bearer token or key only",
    params(IdPath),
    responses((status = 200, description = "the consent", body = t::Consent),
        (status = 404, description = "not a consent of this enterprise", body = Problem),
        (status = 409, description = "already revoked", body = Problem)))]
pub async fn api_revoke(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
) -> Result<Json<t::Consent>, ApiError> {
    revoke_consent(&st, &user, id).await?;
    one_consent(&st, own_uscc(&user)?, id).await
}

/// `POST /api/v1/finance/needs`: the calling enterprise posts a financing need, as on its page.
#[utoipa::path(post, path = "/api/v1/finance/needs",
    summary = "Post a financing need as the calling enterprise; institutions whose listed products match it (on what its consents let them know) are told. Bearer token or key only; a key needs the write scope",
    request_body = t::NeedRequest,
    responses((status = 200, description = "the need", body = t::Need)))]
pub async fn api_post_need(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    ApiJson(req): ApiJson<t::NeedRequest>,
) -> Result<Json<t::Need>, ApiError> {
    let form = NeedForm {
        csrf: String::new(),
        amount: req.amount,
        term_months: req.term_months.to_string(),
        purpose: req.purpose,
        collateral: req.collateral,
    };
    let id = post_need_as(&st, &user, &form).await?;
    one_need(&st, id).await
}

async fn one_need(st: &AppState, id: i64) -> Result<Json<t::Need>, ApiError> {
    let n = st
        .store
        .needs(None)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(Json(need_json(&n)))
}

/// `POST /api/v1/finance/needs/{id}/respond`: the calling institution answers a need routed to
/// it, as on its page.
#[utoipa::path(post, path = "/api/v1/finance/needs/{id}/respond",
    summary = "Answer an open need routed to the calling institution (a listed product of its matches it), optionally recommending one of its listed products; the firm is told. Bearer token or key only; a key needs the write scope",
    params(IdPath), request_body = t::RespondRequest,
    responses((status = 200, description = "the need", body = t::Need),
        (status = 404, description = "no such need routed to this institution", body = Problem),
        (status = 409, description = "the product is not one of its listed products", body = Problem)))]
pub async fn api_respond(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<t::RespondRequest>,
) -> Result<Json<t::Need>, ApiError> {
    let form = RespondForm {
        csrf: String::new(),
        product: req.product.map(|p| p.to_string()).unwrap_or_default(),
        text: req.text,
    };
    respond_as(&st, &user, id, &form).await?;
    one_need(&st, id).await
}

/// `GET /api/v1/finance/screen`: a page of the calling institution's screening, as the page.
#[utoipa::path(get, path = "/api/v1/finance/screen",
    summary = "Screen the firms the calling institution may read — those consenting to it (on the categories their consents cover) and those on the public titled list (on their public titles and district only) — by tier, size, district, ecosystem and a revenue floor; pages of 200 in code order. The read is logged in each consenting firm's access log",
    params(
        ("tier" = Option<String>, Query, description = "a tier met or held: `innovative`, `tech_sme`, `srdi`, `giant`"),
        ("size" = Option<String>, Query), ("region" = Option<String>, Query),
        ("ecosystem" = Option<String>, Query),
        ("revenue_min" = Option<String>, Query, description = "万元; answered only where a consent covers the financials"),
        ("after" = Option<String>, Query, description = "the `next` of the page before")),
    responses((status = 200, description = "a page of the firms that pass", body = t::Screening)))]
pub async fn api_screen(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<ScreenQuery>,
    Query(paging): Query<ScreenPaging>,
) -> Result<Json<t::Screening>, ApiError> {
    let inst = institution_of(&user)?;
    let (rows, (total, total_capped), more) =
        screen_page(&st, user.user.id, inst, &q, &paging.after).await?;
    let next = rows.last().filter(|_| more).map(|r| r.uscc.clone());
    Ok(Json(t::Screening {
        total,
        total_capped,
        next,
        items: rows
            .into_iter()
            .map(|r| t::ScreenedFirm {
                basis: if r.consented { "consent" } else { "public" }.to_owned(),
                uscc: r.uscc,
                name: r.name,
                district: r.district,
            })
            .collect(),
    }))
}

/// `GET /api/v1/finance/stats`: the finance zone's figures, as the statistics page.
#[utoipa::path(get, path = "/api/v1/finance/stats",
    summary = "The finance zone's figures over a period (this year by default) for the city or a district: institutions, listed products, needs posted and met, applications, credit granted and disbursed (counts and exact 万元), firms served, by top tier",
    params(
        ("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date),
        ("region" = Option<String>, Query, description = "a district's code within the caller's scope")),
    responses((status = 200, description = "the figures", body = t::FinanceStats),
        (status = 404, description = "a district outside the caller's scope", body = Problem)))]
pub async fn api_stats(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<StatsQuery>,
) -> Result<Json<t::FinanceStats>, ApiError> {
    let input = stats_input(&st, &user, &q).await?;
    let s = st
        .store
        .fin_stats(&input.from, &input.to, input.regions.as_deref())
        .await?;
    Ok(Json(t::FinanceStats {
        region: Some(q.region.trim().to_owned()).filter(|r| !r.is_empty()),
        from: input.from,
        to: input.to,
        institutions: s.institutions,
        products_listed: s.products_listed,
        needs_posted: s.needs_posted,
        needs_met: s.needs_met,
        applications: s.applications,
        granted_count: s.granted_count,
        granted_wan: exact_wan(s.granted_amount),
        disbursed_count: s.disbursed_count,
        disbursed_wan: exact_wan(s.disbursed_amount),
        enterprises_served: s.enterprises_served,
        by_tier: s
            .by_tier
            .into_iter()
            .map(|(tier, enterprises, amount)| t::TierServed {
                tier,
                enterprises,
                granted_wan: exact_wan(amount),
            })
            .collect(),
    }))
}
