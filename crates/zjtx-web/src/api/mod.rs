//! The JSON API under `/api/v1`: the same data, evaluations and authorisation as the pages, with
//! bearer tokens for machine clients. Errors are RFC 9457 problem details (`problem`).

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use zjtx_store::EnterpriseRow;

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;

mod doc;
pub mod types;
pub use doc::*;
use types::*;

/// An error of the API, rendered as JSON.
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

/// A fixed English title per kind of problem (RFC 9457 `title`).
fn problem_title(code: &str) -> &'static str {
    match code {
        "unauthenticated" => "Authentication required",
        "csrf" => "Form token missing or wrong",
        "forbidden" => "Not allowed",
        "not_found" => "Not found",
        "bad_request" => "Bad request",
        "rate_limited" => "Too many requests",
        "conflict" => "Conflict with the current state",
        "busy" => "Busy",
        "method_not_allowed" => "Method not allowed",
        "too_large" => "Body too large",
        "unsupported_media_type" => "Unsupported media type",
        _ => "Internal error",
    }
}

/// An error as RFC 9457 problem details (`application/problem+json`): a stable `type` per kind
/// (`urn:zjtx:problem:{code}`), its `title`, the `status`, the `detail` in words; `code` and
/// `error` repeat the kind and the detail for clients written before.
pub fn problem(status: StatusCode, code: &str, detail: &str, retry_after: Option<u64>) -> Response {
    let body = json!({
        "type": format!("urn:zjtx:problem:{code}"),
        "title": problem_title(code),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
        "error": detail,
    });
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    if let Some(secs) = retry_after
        && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The status is the pages' (`AppError::status`); the body a fixed code and a message.
        let msg = match &self.0 {
            AppError::Login => "authentication required: Authorization: Bearer TOKEN".to_owned(),
            AppError::Csrf => {
                "this call needs a bearer token or key (a browser's cookie cannot make it)"
                    .to_owned()
            }
            AppError::Forbidden => "not allowed for this account".to_owned(),
            AppError::NotFound => "not found".to_owned(),
            AppError::BadRequest(m) => m.clone(),
            AppError::TooMany(secs) => {
                format!("too many calls with this key; retry after {secs} s")
            }
            AppError::Store(zjtx_store::StoreError::Conflict(m)) => m.clone(),
            AppError::Store(zjtx_store::StoreError::Busy(why)) => format!("busy: {why}; retry"),
            AppError::Timeout => {
                "the request ran past the time limit and was stopped; retry".to_owned()
            }
            AppError::Internal(_) | AppError::Store(_) => {
                tracing::error!(error = %self.0, "api request failed");
                "internal error".to_owned()
            }
        };
        let retry = match &self.0 {
            AppError::TooMany(secs) => Some(*secs),
            AppError::Store(zjtx_store::StoreError::Busy(_)) | AppError::Timeout => Some(2),
            _ => None,
        };
        problem(self.0.status(), self.0.code(), &msg, retry)
    }
}

/// Every error answer under `/api/` as problem details: what axum's extractors answer themselves
/// (a query string, a path segment or a body that does not parse, a method not allowed) comes as
/// plain text; it is wrapped, its text as the detail.
pub async fn problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !api || is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let code = match status.as_u16() {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        503 => "busy",
        500..=599 => "internal",
        _ => "bad_request",
    };
    let retry = res
        .headers()
        .get(axum::http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = axum::body::to_bytes(res.into_body(), 64 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let detail = if text.trim().is_empty() || code == "internal" {
        problem_title(code).to_owned()
    } else {
        text
    };
    problem(status, code, &detail, retry)
}

/// A JSON body of the API: a malformed one is a problem like any other (not axum's plain text).
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(AppError::BadRequest(r.body_text()).into()),
        }
    }
}

/// The signed-in user of an API request (bearer token or session cookie).
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ApiUser(
            CurrentUser::from_request_parts(parts, state).await?,
        ))
    }
}

/// The caller of an API write: signed in by a bearer token or key only. A browser's session
/// cookie is refused (`csrf`): the pages' forms carry their own token, and a cookie alone must
/// not be able to write.
pub struct BearerUser(pub CurrentUser);

impl FromRequestParts<AppState> for BearerUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !user.bearer {
            return Err(AppError::Csrf.into());
        }
        Ok(BearerUser(user))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
    /// The authenticator's current code, for an account that signs in with a second factor.
    #[serde(default)]
    pub totp: Option<String>,
}

/// `POST /api/v1/auth/token`: a bearer token for a user name and password.
#[utoipa::path(post, path = "/api/v1/auth/token",
    summary = "Exchange a user name and password for a bearer token",
    request_body = TokenRequest,
    responses((status = 200, description = "a token", body = TokenResponse),
        (status = 401, description = "a wrong name, password or second-factor code", body = Problem),
        (status = 429, description = "too many attempts from this address or for this account", body = Problem)))]
pub async fn token(
    State(st): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Response, ApiError> {
    let source = auth::client_addr(&parts);
    match auth::authenticate(&st, &source, &req.username, &req.password).await? {
        auth::LoginOutcome::Ok(user) => {
            let code = match crate::totp::applies(&st, &user).await? {
                false => crate::totp::Verdict::Right,
                true => crate::totp::verify(&st, &user, req.totp.as_deref().unwrap_or("")).await?,
            };
            if code == crate::totp::Verdict::Throttled {
                return Ok(problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many wrong codes for this account; try again later",
                    u64::try_from(auth::THROTTLE_SECS).ok(),
                ));
            }
            if code == crate::totp::Verdict::Wrong {
                st.store
                    .audit(Some(user.id), "login_failed", None, "api: second factor")
                    .await?;
                return Ok(problem(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "this account signs in with a second factor: send the authenticator's current code as `totp` (a system should use an API key instead)",
                    None,
                ));
            }
            let token = auth::open_session(&st, &user, &format!("api {source}")).await?;
            Ok((StatusCode::OK, Json(TokenResponse { token })).into_response())
        }
        auth::LoginOutcome::Invalid => Ok(problem(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "invalid user name or password",
            None,
        )),
        auth::LoginOutcome::Throttled => Ok(problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many sign-in attempts from this address; try again later",
            u64::try_from(auth::THROTTLE_SECS).ok(),
        )),
    }
}

/// The list's query: the page's filters (`ListQuery`) and a page size.
#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(flatten)]
    pub filters: crate::pages::ListQuery,
    /// Rows per page (1–200, default 50). Text, because flattened query values all arrive as text.
    pub per_page: Option<String>,
}

/// `GET /api/v1/enterprises`: one page of the enterprises in the caller's scope.
#[utoipa::path(get, path = "/api/v1/enterprises",
    summary = "One page of the enterprises in the caller's scope (keyset paging: pass `next` as `after`, or `prev` as `before`; a search's ranked pages go forward only)",
    params(
        ("region" = Option<String>, Query, description = "a district's code"),
        ("ecosystem" = Option<String>, Query), ("chain" = Option<String>, Query),
        ("section" = Option<String>, Query), ("size" = Option<String>, Query),
        ("top_tier" = Option<String>, Query), ("title" = Option<String>, Query),
        ("candidate" = Option<String>, Query), ("expiring" = Option<String>, Query),
        ("revenue_min" = Option<String>, Query, description = "万元"),
        ("revenue_max" = Option<String>, Query, description = "万元"),
        ("q" = Option<String>, Query, description = "a search of names and main products"),
        ("after" = Option<String>, Query), ("before" = Option<String>, Query),
        ("per_page" = Option<i64>, Query, description = "1–200, 50 by default")),
    responses((status = 200, description = "a page", body = EnterprisePage)))]
pub async fn enterprises(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Json<EnterprisePage>, ApiError> {
    let scope = user.scope(&st.store).await?;
    let per_page = match p.per_page.as_deref() {
        None | Some("") => 50,
        Some(v) => v
            .parse()
            .map_err(|_| AppError::BadRequest(format!("per_page {v:?} is not a whole number")))?,
    };
    let f = p.filters.filter(per_page, &st)?;
    let page = st.store.list(&f, &scope).await?;
    auth::audit_list(
        &st,
        &user,
        "read.list",
        "api",
        page.items.iter().map(|e| e.uscc.as_str()),
    )
    .await?;
    Ok(Json(EnterprisePage {
        total: page.total,
        total_capped: page.total_capped,
        items: page.items.into_iter().map(Enterprise::from).collect(),
        next: page.next,
        prev: page.prev,
    }))
}

/// An enterprise in the caller's scope, or 404 (so that scope cannot be probed); the read is
/// audited as `what`.
async fn visible(
    st: &AppState,
    user: &CurrentUser,
    uscc: &str,
    what: &str,
) -> Result<EnterpriseRow, ApiError> {
    let row = st
        .store
        .enterprise(&uscc.trim().to_uppercase())
        .await?
        .ok_or(AppError::NotFound)?;
    if !auth::can_see(&user.scope(&st.store).await?, &row) {
        return Err(AppError::NotFound.into());
    }
    st.store
        .audit(Some(user.user.id), "read", Some(&row.uscc), what)
        .await?;
    Ok(row)
}

/// `GET /api/v1/enterprises/{uscc}`: identity, titles and every year's template row.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}",
    summary = "An enterprise: identity, titles held and every year's template row",
    params(UsccPath),
    responses((status = 200, description = "the enterprise", body = EnterpriseRecord),
        (status = 404, description = "not found, or outside the caller's scope", body = Problem)))]
pub async fn enterprise(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(uscc): Path<String>,
) -> Result<Json<EnterpriseRecord>, ApiError> {
    let row = visible(&st, &user, &uscc, "api enterprise").await?;
    let years = st
        .store
        .years(&row.uscc)
        .await?
        .into_iter()
        .map(|(year, e)| YearFigures {
            year,
            figures: zjtx_core::enterprise::COLUMNS
                .iter()
                .filter_map(|c| {
                    let v = e.get(c.col);
                    (!v.is_empty()).then(|| (c.key.to_owned(), v))
                })
                .collect(),
        })
        .collect();
    let titles = st
        .store
        .titles(&row.uscc)
        .await?
        .into_iter()
        .map(|(tier, valid_until)| TitleHeld { tier, valid_until })
        .collect();
    Ok(Json(EnterpriseRecord {
        enterprise: row.into(),
        titles,
        years,
    }))
}

#[derive(Deserialize, Default)]
pub struct EvaluationParams {
    /// Evaluation date (default today); picks the rule set unless `rules` is given.
    pub as_of: Option<NaiveDate>,
    /// `miit-2022` or `miit-2026`.
    pub rules: Option<String>,
    /// The reference year to evaluate (default the latest stored).
    pub year: Option<i64>,
}

/// `GET /api/v1/enterprises/{uscc}/evaluation`: the engine's evaluation with its full trace.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/evaluation",
    summary = "The engine's evaluation of the latest (or a given) year, with the full trace",
    description = "Each condition not met carries a `gap`: its `kind` (blanks, requirement, min_money, ratio_min, …) with the fields and exact figures of that kind, and its wording in `zh` and `en`; each note has a `kind` and both wordings.",
    params(UsccPath,
        ("as_of" = Option<String>, Query, format = Date, description = "the evaluation's day (today by default); picks the rule set unless `rules` is given"),
        ("rules" = Option<String>, Query, description = "`miit-2022` or `miit-2026`"),
        ("year" = Option<i64>, Query, description = "the reference year (the latest stored by default)")),
    responses((status = 200, description = "the evaluation: summary, size, every tier's conditions with clause, verdict and gap", body = Object),
        (status = 404, description = "not found, or outside the caller's scope", body = Problem)))]
pub async fn evaluation(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(uscc): Path<String>,
    Query(p): Query<EvaluationParams>,
) -> Result<Json<zjtx_core::Evaluation>, ApiError> {
    let row = visible(&st, &user, &uscc, "api evaluation").await?;
    let years = st.store.years(&row.uscc).await?;
    let e = match p.year {
        Some(y) => years
            .into_iter()
            .find(|(yr, _)| *yr == y)
            .map(|(_, e)| e)
            .ok_or_else(|| AppError::BadRequest(format!("no figures for year {y}")))?,
        None => years
            .into_iter()
            .next()
            .map(|(_, e)| e)
            .ok_or(AppError::NotFound)?,
    };
    let as_of = p.as_of.unwrap_or_else(|| st.today());
    let rs = match p.rules.as_deref() {
        Some(id) => st.rules.iter().find(|r| r.id == id).ok_or_else(|| {
            AppError::BadRequest(format!("unknown rule set {id:?} (miit-2022 or miit-2026)"))
        })?,
        None => zjtx_core::rule_set_for(&st.rules, as_of)
            .ok_or_else(|| AppError::BadRequest(format!("no rule set applies on {as_of}")))?,
    };
    Ok(Json(zjtx_core::explain(&e, rs, as_of)))
}

/// `GET /api/v1/finance/enterprises/{uscc}`: an enterprise as an institution may see it
/// (`finance::disclose`), as JSON.
#[utoipa::path(get, path = "/api/v1/finance/enterprises/{uscc}",
    summary = "An enterprise as the calling institution may read it under the firm's consents in force (logged in the firm's access log)",
    params(UsccPath),
    responses((status = 200, description = "the disclosure", body = crate::finance::Disclosure),
        (status = 404, description = "not found", body = Problem)))]
pub async fn finance_enterprise(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(uscc): Path<String>,
) -> Result<Json<crate::finance::Disclosure>, ApiError> {
    Ok(Json(
        crate::finance::disclose(&st, &user, &uscc, "api").await?,
    ))
}

/// `GET /api/v1/chains`: the chains in force, under their ecosystems.
#[utoipa::path(get, path = "/api/v1/chains",
    summary = "The industrial chains in force, each with its ecosystem",
    responses((status = 200, description = "the chains", body = ChainList)))]
pub async fn chains(
    State(st): State<AppState>,
    ApiUser(_user): ApiUser,
) -> Result<Json<ChainList>, ApiError> {
    let chains = st.store.chains().await?;
    Ok(Json(ChainList {
        items: chains
            .into_iter()
            .map(|c| Chain {
                name: c.name,
                ecosystem: c.ecosystem,
                name_en: c.name_en,
            })
            .collect(),
    }))
}

/// `GET /api/v1/chain-events?year=&chain=&district=`: the events the caller may see.
#[utoipa::path(get, path = "/api/v1/chain-events",
    summary = "Chain matchmaking events of a year (a chain, a district) that the caller may see: the city all, a district office its own, a firm those it took part in",
    params(
        ("year" = Option<i64>, Query), ("chain" = Option<String>, Query),
        ("district" = Option<String>, Query)),
    responses((status = 200, description = "the events", body = ChainEventList)))]
pub async fn chain_events(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<crate::chains::EventsQuery>,
) -> Result<Json<ChainEventList>, ApiError> {
    let (f, year) = crate::chains::filter_for(&st, &user, &q).await?;
    let events = st.store.chain_events(&f).await?;
    Ok(Json(ChainEventList {
        year: year.into(),
        items: events
            .into_iter()
            .map(|e| ChainEvent {
                kind: e.kind.key().to_owned(),
                id: e.id,
                chain: e.chain,
                title: e.title,
                held_on: e.held_on,
                organiser: e.organiser,
                place: e.place,
                region_code: e.region_code,
            })
            .collect(),
    }))
}

/// `GET /api/v1/chain-events/summary?year=&chain=&district=`: the bureau's line, counted from
/// the records (amounts in 万元 as exact decimals).
#[utoipa::path(get, path = "/api/v1/chain-events/summary",
    summary = "The bureau's line for those events, counted from the records: events, distinct firms, participations, orders and financing in 万元 (signed or executed outcomes), projects",
    params(
        ("year" = Option<i64>, Query), ("chain" = Option<String>, Query),
        ("district" = Option<String>, Query)),
    responses((status = 200, description = "the line", body = ChainSummary)))]
pub async fn chain_summary(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<crate::chains::EventsQuery>,
) -> Result<Json<ChainSummary>, ApiError> {
    let (f, year) = crate::chains::filter_for(&st, &user, &q).await?;
    let s = st.store.chain_summary(&f).await?;
    let wan = |u: i64| {
        zjtx_core::num::Wan::from_units(u)
            .map(|w| w.to_string())
            .unwrap_or_default()
    };
    Ok(Json(ChainSummary {
        year: year.into(),
        events: s.events,
        firms: s.firms,
        participations: s.participations,
        orders_wan: wan(s.orders),
        financing_wan: wan(s.financing),
        projects: s.projects,
    }))
}

/// `GET /api/v1/catalogue?year=`: the published catalogue of a year (public): each product with
/// its enterprise's code and name.
#[utoipa::path(get, path = "/api/v1/catalogue",
    summary = "The published quality-product catalogue of a year (public): each product with its enterprise's unified social credit code and name",
    params(("year" = Option<i64>, Query)),
    responses((status = 200, description = "the catalogue", body = Catalogue)))]
pub async fn catalogue(
    State(st): State<AppState>,
    Query(q): Query<crate::catalogue::YearQuery>,
) -> Result<Json<Catalogue>, ApiError> {
    let year = match q.year.trim() {
        "" => chrono::Datelike::year(&st.today()),
        y => y
            .parse::<i32>()
            .map_err(|_| AppError::BadRequest(format!("year {y:?} is not a year")))?,
    };
    let entries = st
        .store
        .catalogue_entries(
            &zjtx_store::CatalogueFilter {
                year: Some(year),
                statuses: vec![zjtx_core::workflow::catalogue::Status::Listed],
                ..Default::default()
            },
            &st.today().to_string(),
        )
        .await?;
    Ok(Json(Catalogue {
        year: year.into(),
        items: entries
            .into_iter()
            .map(|e| CatalogueItem {
                uscc: e.uscc,
                enterprise: e.firm,
                product: e.name,
                description: e.description,
            })
            .collect(),
    }))
}
