//! The finance zone over `/api/v1` for an institution's systems: its products, the open needs
//! routed to it, its applications, and the steps of an application — the same calls, consent,
//! messages and audit as the pages (`routed_needs`, `move_application`). Amounts are exact
//! 万元 as strings (`"12.5"`, to the yuan).

use axum::Json;

use super::*;
use crate::api::{ApiError, ApiJson, ApiUser};

fn exact_wan(yuan: i64) -> String {
    zjtx_core::num::Dec4::from_units(yuan)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn product_json(p: &Product) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "status": p.status.as_str(),
        "min_amount_wan": exact_wan(p.min_amount),
        "max_amount_wan": exact_wan(p.max_amount),
        "term_min_months": p.term_min,
        "term_max_months": p.term_max,
        "rate_kind": p.rate_kind,
        "rate_bp": p.rate_bp,
        "collateral": p.collateral.split(',').filter(|c| !c.is_empty()).collect::<Vec<_>>(),
        "eligibility": serde_json::from_str::<Value>(&p.eligibility).unwrap_or(Value::Null),
    })
}

fn application_json(a: &Application) -> Value {
    json!({
        "id": a.id,
        "uscc": a.uscc,
        "name": a.name,
        "product_id": a.product_id,
        "product": a.product,
        "need_id": a.need_id,
        "amount_wan": exact_wan(a.amount),
        "status": a.status.as_str(),
        "granted_amount_wan": a.granted_amount.map(exact_wan),
        "granted_on": a.granted_on,
        "disbursed_on": a.disbursed_on,
        "decline_reason": a.decline_reason,
        "created_on": a.created_on,
    })
}

/// `GET /api/v1/finance/products`: an institution's own products (every status); anyone else
/// signed in to the finance zone, the listed products.
pub async fn api_products(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let products = match user.user.role {
        Role::Institution => {
            st.store
                .products(None, Some(institution_of(&user)?))
                .await?
        }
        _ => st.store.products(Some("listed"), None).await?,
    };
    Ok(Json(json!({
        "products": products.iter().map(product_json).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/finance/needs`: the open needs a listed product of the institution matches, on
/// what the firms' consents let it know (each read logged for the firm).
pub async fn api_needs(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let inst = institution_of(&user)?;
    let listed = st.store.products(Some("listed"), Some(inst)).await?;
    let needs = routed_needs(&st, user.user.id, inst, &listed).await?;
    Ok(Json(json!({
        "needs": needs.iter().map(|n| json!({
            "id": n.id,
            "uscc": n.uscc,
            "name": n.name,
            "amount_wan": exact_wan(n.amount),
            "purpose": n.purpose,
            "term_months": n.term_months,
            "collateral": n.collateral.split(',').filter(|c| !c.is_empty()).collect::<Vec<_>>(),
            "created_at": n.created_at,
        })).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/finance/applications`: the applications to the institution's products.
pub async fn api_applications(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let inst = institution_of(&user)?;
    let apps = st.store.applications(None, Some(inst)).await?;
    Ok(Json(json!({
        "applications": apps.iter().map(application_json).collect::<Vec<_>>(),
    })))
}

/// `POST /api/v1/finance/applications/{id}/step` with `{"to": "accepted" | "granted" |
/// "disbursed" | "declined", "amount": "万元", "date": "YYYY-MM-DD", "reason": "…"}`: the
/// application as it stands after the step. Only for a bearer token or key (a browser's cookie
/// cannot post here: the pages' forms carry their CSRF token).
pub async fn api_step(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<StepInput>,
) -> Result<Json<Value>, ApiError> {
    if !user.bearer {
        return Err(AppError::Csrf.into());
    }
    move_application(&st, &user, id, &input).await?;
    let a = st.store.application(id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(application_json(&a)))
}

fn consent_json(c: &Consent) -> Value {
    json!({
        "id": c.id,
        "institution_id": c.institution_id,
        "institution": c.institution,
        "categories": c.categories.split(',').filter(|c| !c.is_empty()).collect::<Vec<_>>(),
        "predicates_only": c.predicates_only,
        "purpose": c.purpose,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "revoked": c.revoked,
    })
}

/// `GET /api/v1/finance/consents`: the calling enterprise's consents, in force or not.
pub async fn api_consents(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let uscc = own_uscc(&user)?.to_owned();
    let consents = st.store.consents(&uscc, None).await?;
    Ok(Json(json!({
        "consents": consents.iter().map(consent_json).collect::<Vec<_>>(),
    })))
}

/// A consent as the API takes it.
#[derive(Deserialize)]
pub struct ConsentRequest {
    pub institution: i64,
    pub categories: Vec<String>,
    pub purpose: String,
    pub days: u32,
    #[serde(default)]
    pub predicates_only: bool,
}

async fn one_consent(st: &AppState, uscc: &str, id: i64) -> Result<Json<Value>, ApiError> {
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
pub async fn api_grant(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<ConsentRequest>,
) -> Result<Json<Value>, ApiError> {
    if !user.bearer {
        return Err(AppError::Csrf.into());
    }
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
pub async fn api_revoke(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    if !user.bearer {
        return Err(AppError::Csrf.into());
    }
    revoke_consent(&st, &user, id).await?;
    one_consent(&st, own_uscc(&user)?, id).await
}
