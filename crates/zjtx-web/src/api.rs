//! The JSON API under `/api/v1`: the same data, evaluations and authorisation as the pages, with
//! bearer tokens for machine clients. Errors are RFC 9457 problem details (`problem`).

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zjtx_store::{EnterpriseRow, ListPage};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;

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

#[derive(Deserialize)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
    /// The authenticator's current code, for an account that signs in with a second factor.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Serialize)]
pub struct TokenResponse {
    pub token: String,
}

/// `POST /api/v1/auth/token`: a bearer token for a user name and password.
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
pub async fn enterprises(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Json<ListPage>, ApiError> {
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
    Ok(Json(page))
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
pub async fn enterprise(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(uscc): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = visible(&st, &user, &uscc, "api enterprise").await?;
    let years: Vec<Value> = st
        .store
        .years(&row.uscc)
        .await?
        .into_iter()
        .map(|(year, e)| {
            let cells: serde_json::Map<String, Value> = zjtx_core::enterprise::COLUMNS
                .iter()
                .filter_map(|c| {
                    let v = e.get(c.col);
                    (!v.is_empty()).then(|| (c.key.to_owned(), Value::String(v)))
                })
                .collect();
            json!({ "year": year, "figures": cells })
        })
        .collect();
    let titles: Vec<Value> = st
        .store
        .titles(&row.uscc)
        .await?
        .into_iter()
        .map(|(tier, until)| json!({ "tier": tier, "valid_until": until }))
        .collect();
    Ok(Json(
        json!({ "enterprise": row, "titles": titles, "years": years }),
    ))
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

/// The answers every operation can give beyond its own: 400 where it takes parameters or a
/// body, 401, 403 and 429 where it needs a token or key, 503 where it searches.
fn complete_responses(doc: &mut Value, err: &Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, ops) in paths.iter_mut() {
        let Some(ops) = ops.as_object_mut() else {
            continue;
        };
        for op in ops.values_mut() {
            let public = op["security"].as_array().is_some_and(Vec::is_empty);
            let takes_input = op["parameters"].as_array().is_some_and(|p| !p.is_empty())
                || op.get("requestBody").is_some();
            let Some(responses) = op["responses"].as_object_mut() else {
                continue;
            };
            let mut add = |code: &str| {
                responses.entry(code).or_insert_with(|| err.clone());
            };
            if takes_input {
                add("400");
            }
            if !public {
                for code in ["401", "403", "429"] {
                    add(code);
                }
            }
            if path == "/api/v1/enterprises" {
                add("503");
            }
        }
    }
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API.
pub async fn openapi() -> Json<Value> {
    Json(document())
}

/// The OpenAPI 3.1 document of this API.
pub fn document() -> Value {
    let list_params: Vec<Value> = [
        "region", "ecosystem", "chain", "section", "size", "top_tier", "title", "candidate", "expiring", "revenue_min", "revenue_max", "q", "after", "before", "per_page",
    ]
        .iter()
        .map(|n| json!({ "name": n, "in": "query", "required": false, "schema": { "type": if *n == "per_page" { "integer" } else { "string" } } }))
        .collect();
    let uscc = json!({ "name": "uscc", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$" } });
    let err = json!({ "description": "error", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "ZJTX API", "version": "1", "description": "The enterprise registry and tier evaluations of the ZJTX 专精特新 platform. Every call but /auth/token and this document needs `Authorization: Bearer TOKEN`: a session token from /auth/token, or a system key (`zjtx_…`) created at /account/keys, which reaches /api/ only, is read-only unless given the write scope, is held to a rate (429 with Retry-After), and is audited under its own name. What a caller sees follows its role and scope." },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "description": "RFC 9457 problem details, served as application/problem+json", "properties": {
                    "type": { "type": "string", "description": "urn:zjtx:problem:{code}" },
                    "title": { "type": "string" }, "status": { "type": "integer" },
                    "detail": { "type": "string", "description": "what went wrong, in words" },
                    "error": { "type": "string", "description": "the detail again (clients written before)" },
                    "code": { "type": "string", "enum": ["unauthenticated", "csrf", "forbidden", "not_found", "method_not_allowed", "bad_request", "too_large", "unsupported_media_type", "rate_limited", "conflict", "busy", "internal"] } },
                    "required": ["type", "title", "status", "detail", "code"] },
                "Consent": { "type": "object", "required": ["id", "institution_id", "institution", "categories", "predicates_only", "purpose", "valid_from", "valid_until", "revoked"], "properties": {
                    "id": { "type": "integer" }, "institution_id": { "type": "integer" }, "institution": { "type": "string" },
                    "categories": { "type": "array", "items": { "type": "string" } }, "predicates_only": { "type": "boolean" },
                    "purpose": { "type": "string" }, "valid_from": { "type": "string" }, "valid_until": { "type": "string" }, "revoked": { "type": "boolean" } } },
                "Band": { "type": "object", "properties": { "from": { "type": "integer" }, "below": { "type": ["integer", "null"] } } },
                "Disclosure": { "type": "object", "description": "What an institution may read of an enterprise: the categories its consents in force cover, as figures or (predicates only) as bands and yes/no answers keyed by the rule file's predicate keys (`revenue_ge_10000`, …; null when a figure is blank).", "properties": {
                    "uscc": { "type": "string" }, "name": { "type": "string" }, "district": { "type": "string" },
                    "public_titles": { "type": "array", "items": { "type": "array", "description": "[tier key, valid until (a date)]", "items": { "type": "string" }, "minItems": 2, "maxItems": 2 } },
                    "categories": { "type": "array", "items": { "type": "array", "description": "[category, predicates only]", "items": { "type": ["string", "boolean"] }, "minItems": 2, "maxItems": 2 } },
                    "profile": { "type": ["object", "null"] }, "financials": { "type": ["object", "array", "null"], "description": "figures: one object a year; predicates: `revenue_band_wan` (a Band) and the answers" },
                    "ip": { "type": ["object", "null"] }, "titles": { "type": ["array", "null"] }, "evaluations": { "type": ["object", "null"] } } },
                "Enterprise": { "type": "object", "properties": {
                    "uscc": { "type": "string" }, "name": { "type": "string" }, "region_code": { "type": ["string", "null"] },
                    "region_name": { "type": ["string", "null"] }, "industry_code": { "type": "string" }, "ecosystem": { "type": ["string", "null"] },
                    "latest_year": { "type": "integer" }, "rules": { "type": "string" }, "size": { "type": "string" },
                    "innovative": { "type": "string" }, "tech_sme": { "type": "string" }, "srdi": { "type": "string" }, "giant": { "type": "string" },
                    "top_tier": { "type": "string" }, "revenue": { "type": ["integer", "null"], "description": "units of 1/10000 万元 (yuan)" },
                    "employees": { "type": ["integer", "null"] } } }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/auth/token": { "post": {
                "summary": "Exchange a user name and password for a bearer token", "security": [],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" }, "totp": { "type": ["string", "null"], "description": "the authenticator's current six-digit code, for an account with a second factor" } } } } } },
                "responses": { "200": { "description": "a token", "content": { "application/json": { "schema": { "type": "object", "properties": { "token": { "type": "string" } } } } } }, "401": err, "429": err } } },
            "/api/v1/enterprises": { "get": {
                "summary": "One page of the enterprises in the caller's scope (keyset paging: pass `next` as `after`, or `prev` as `before`; a search's ranked pages go forward only)",
                "parameters": list_params,
                "responses": { "200": { "description": "a page", "content": { "application/json": { "schema": { "type": "object", "properties": {
                    "total": { "type": "integer" }, "next": { "type": ["string", "null"] }, "prev": { "type": ["string", "null"] }, "items": { "type": "array", "items": { "$ref": "#/components/schemas/Enterprise" } } } } } } }, "401": err, "403": err } } },
            "/api/v1/catalogue": { "get": {
                "summary": "The published quality-product catalogue of a year (public): each product with its enterprise's unified social credit code and name",
                "security": [],
                "parameters": [{ "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "{\"year\", \"items\": [{\"uscc\", \"enterprise\", \"product\", \"description\"}]}" }, "400": err } } },
            "/api/v1/challenges": { "get": {
                "summary": "The published open challenges (揭榜挂帅) taking applications (public); an anonymous challenge has no poster",
                "security": [],
                "responses": { "200": { "description": "{\"items\": [{\"id\", \"chain\", \"title\", \"description\", \"indicators\", \"deadline\", \"budget_wan\", \"reward\", \"mode\", \"anonymous\", \"poster\": null | {\"uscc\", \"name\"}, \"city_subsidy\", \"published_on\"}]}" } } } },
            "/api/v1/programmes": { "get": {
                "summary": "Every call of a funding programme with its year and amounts in 万元 (budget of every level, committed by approved awards, paid, recovered)",
                "responses": { "200": { "description": "{\"items\": [{\"id\", \"programme\", \"title\", \"category\", \"year\", \"opens_on\", \"closes_on\", \"budget_wan\", \"committed_wan\", \"paid_wan\", \"recovered_wan\"}]}" }, "401": err, "403": err } } },
            "/api/v1/programmes/{id}/awards": { "get": {
                "summary": "The approved (and superseded) awards of a call the caller may see: the city all, a district its firms', a firm its own",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "{\"programme\", \"items\": [{\"id\", \"uscc\", \"enterprise\", \"project\", \"code\", \"status\", \"amount_wan\", \"city_wan\", \"district_wan\", \"paid_wan\", \"recovered_wan\", \"decided_on\"}]}" }, "401": err, "403": err, "404": err } } },
            "/api/v1/bulletin": { "get": {
                "summary": "The yearly bulletin's figures for the city or a district, each with its unit and the page or API path of the records it counts",
                "parameters": [
                    { "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } },
                    { "name": "region", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "{\"year\", \"region\", \"figures\": [{\"id\", \"value\", \"unit\", \"list\"}]}" }, "400": err, "401": err, "403": err, "404": err } } },
            "/api/v1/bulletin/list": { "get": {
                "summary": "The records behind one bulletin figure that has no list of its own (programme awards, future factories, bank–enterprise events and credit, the listing pipeline): the figure is their count, or the sum of their amounts",
                "parameters": [
                    { "name": "id", "in": "query", "required": true, "schema": { "type": "string" } },
                    { "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } },
                    { "name": "region", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "{\"id\", \"year\", \"region\", \"unit\", \"value\", \"rows\": [{\"uscc\", \"name\", \"what\", \"date\", \"amount_wan\"}]}" }, "400": err, "401": err, "403": err, "404": err } } },
            "/api/v1/monitoring/clearings": { "get": {
                "summary": "The two clearings (两清零) of a year's figures: each list's listed, cleared and re-entered firms and its rate, and the firms, within the caller's districts",
                "parameters": [{ "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "{\"year\", \"lists\": {\"no_rd\": {\"listed\", \"cleared\", \"reentries\", \"rate\"}, \"no_institution\": {…}}, \"items\": [{\"list\", \"uscc\", \"enterprise\", \"district\", \"revenue_wan\", \"status\", \"reentry\", \"actions\", \"cleared_on\"}]}" }, "400": err, "401": err, "403": err } } },
            "/api/v1/chains": { "get": {
                "summary": "The industrial chains in force, each with its ecosystem",
                "responses": { "200": { "description": "{\"items\": [{\"name\", \"ecosystem\", \"name_en\"}]}" }, "401": err } } },
            "/api/v1/chain-events": { "get": {
                "summary": "Chain matchmaking events of a year (a chain, a district) that the caller may see: the city all, a district office its own, a firm those it took part in",
                "parameters": [
                    { "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } },
                    { "name": "chain", "in": "query", "required": false, "schema": { "type": "string" } },
                    { "name": "district", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "{\"year\", \"items\": [event]}" }, "400": err, "401": err, "403": err } } },
            "/api/v1/chain-events/summary": { "get": {
                "summary": "The bureau's line for those events, counted from the records: events, distinct firms, participations, orders and financing in 万元 (signed or executed outcomes), projects",
                "parameters": [
                    { "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } },
                    { "name": "chain", "in": "query", "required": false, "schema": { "type": "string" } },
                    { "name": "district", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "the line", "content": { "application/json": { "schema": { "type": "object", "properties": {
                    "year": { "type": "integer" }, "events": { "type": "integer" }, "firms": { "type": "integer" }, "participations": { "type": "integer" },
                    "orders_wan": { "type": "string" }, "financing_wan": { "type": "string" }, "projects": { "type": "integer" } } } } } }, "400": err, "401": err, "403": err } } },
            "/api/v1/enterprises/{uscc}": { "get": {
                "summary": "An enterprise: identity, titles held and every year's template row",
                "parameters": [uscc],
                "responses": { "200": { "description": "the enterprise" }, "401": err, "403": err, "404": err } } },
            "/api/v1/enterprises/{uscc}/evaluation": { "get": {
                "summary": "The engine's evaluation of the latest (or a given) year, with the full trace",
                "description": "Each condition not met carries a `gap`: its `kind` (blanks, requirement, min_money, ratio_min, …) with the fields and exact figures of that kind, and its wording in `zh` and `en`; each note has a `kind` and both wordings.",
                "parameters": [uscc,
                    { "name": "as_of", "in": "query", "required": false, "schema": { "type": "string", "format": "date" } },
                    { "name": "rules", "in": "query", "required": false, "schema": { "type": "string", "enum": ["miit-2022", "miit-2026"] } },
                    { "name": "year", "in": "query", "required": false, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "the evaluation" }, "400": err, "401": err, "403": err, "404": err } } },
            "/api/v1/finance/enterprises/{uscc}": { "get": {
                "summary": "An enterprise as the calling institution may read it under the firm's consents in force (logged in the firm's access log)",
                "parameters": [uscc],
                "responses": { "200": { "description": "the disclosure", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Disclosure" } } } }, "401": err, "403": err, "404": err } } },
            "/api/v1/exchange/enterprises": { "get": {
                "summary": "The registry's changes in the caller's scope since a cursor, oldest first, as NDJSON (default) or CSV, for incremental sync: pass the `X-Next-Cursor` of a page as `since`; `X-More: true` when another page is ready. A change (an import of the firm's row, a move between districts) is handed out 10 minutes after it was made, so that none can commit behind a cursor",
                "parameters": [
                    { "name": "since", "in": "query", "required": false, "schema": { "type": "string" } },
                    { "name": "format", "in": "query", "required": false, "schema": { "type": "string", "enum": ["ndjson", "csv"] } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 10000 } }],
                "responses": { "200": { "description": "one line per enterprise: uscc, name, region_code, region_name, industry_code, ecosystem, latest_year, rules, size, innovative, tech_sme, srdi, giant, top_tier, revenue_wan, employees, changed_at, cursor",
                    "headers": { "X-Next-Cursor": { "schema": { "type": "string" } }, "X-More": { "schema": { "type": "string", "enum": ["true", "false"] } } } }, "400": err, "401": err, "403": err, "429": err } } },
            "/api/v1/exchange/titles": { "get": {
                "summary": "Every title in force today in the caller's scope, as NDJSON: uscc, name, region_code, tier, valid_until, source (decision or import)",
                "responses": { "200": { "description": "one line per title" }, "401": err, "403": err, "429": err } } },
            "/api/v1/finance/products": { "get": {
                "summary": "An institution's own products (every status); for anyone else in the finance zone, the listed products. Amounts in exact 万元",
                "responses": { "200": { "description": "{\"products\": [{\"id\", \"name\", \"kind\", \"status\", \"min_amount_wan\", \"max_amount_wan\", \"term_min_months\", \"term_max_months\", \"rate_kind\", \"rate_bp\", \"collateral\", \"eligibility\"}]}" }, "401": err, "403": err, "429": err } } },
            "/api/v1/finance/needs": { "get": {
                "summary": "The open financing needs a listed product of the calling institution matches, judged on what each firm's consents let it know (each read logged for the firm)",
                "responses": { "200": { "description": "{\"needs\": [{\"id\", \"uscc\", \"name\", \"amount_wan\", \"purpose\", \"term_months\", \"collateral\", \"created_at\"}]}" }, "401": err, "403": err, "429": err } } },
            "/api/v1/finance/applications": { "get": {
                "summary": "The applications to the calling institution's products",
                "responses": { "200": { "description": "{\"applications\": [application]}" }, "401": err, "403": err, "429": err } } },
            "/api/v1/finance/applications/{id}/step": { "post": {
                "summary": "Move an application on as its lender: accepted → granted (amount, date) → disbursed (date), or declined with a reason. Bearer token or key only; a key needs the write scope",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["to"], "properties": {
                    "to": { "type": "string", "enum": ["accepted", "granted", "disbursed", "declined"] },
                    "amount": { "type": "string", "description": "万元, for granted" },
                    "date": { "type": "string", "format": "date", "description": "for granted and disbursed; today when empty" },
                    "reason": { "type": "string", "description": "for declined" } } } } } },
                "responses": { "200": { "description": "the application after the step" }, "400": err, "401": err, "403": err, "404": err, "409": err, "429": err } } },
            "/api/v1/finance/consents": {
                "get": {
                    "summary": "The calling enterprise's consents, in force or not",
                    "responses": { "200": { "description": "its consents", "content": { "application/json": { "schema": { "type": "object", "properties": { "consents": { "type": "array", "items": { "$ref": "#/components/schemas/Consent" } } } } } } }, "401": err, "403": err, "429": err } },
                "post": {
                    "summary": "Grant a consent as the calling enterprise: an institution may read the named categories (as figures, or predicates only) for a purpose, for a number of days within the rules' maximum. Bearer token or key only; a key needs the write scope",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["institution", "categories", "purpose", "days"], "properties": {
                        "institution": { "type": "integer" },
                        "categories": { "type": "array", "items": { "type": "string" }, "description": "profile, financials, ip, titles, evaluations" },
                        "purpose": { "type": "string" },
                        "days": { "type": "integer", "minimum": 0 },
                        "predicates_only": { "type": "boolean" } } } } } },
                    "responses": { "200": { "description": "the consent", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Consent" } } } }, "400": err, "401": err, "403": err, "409": err, "429": err } } },
            "/api/v1/finance/consents/{id}/revoke": { "post": {
                "summary": "Revoke a consent of the calling enterprise. Bearer token or key only",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "the consent", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Consent" } } } }, "401": err, "403": err, "404": err, "409": err, "429": err } } },
            "/api/v1/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } } }
        }
    });
    complete_responses(&mut doc, &err);
    doc
}

/// A field of a body or schema: name, type, description.
pub type DocField = (String, String, String);

/// One operation of the document, as the browsable page shows it.
pub struct DocOp {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// name, where, required, type.
    pub params: Vec<(String, String, bool, String)>,
    /// The request body's fields.
    pub body: Vec<DocField>,
    /// code, description.
    pub responses: Vec<(String, String)>,
    pub public: bool,
}

#[derive(askama::Template, askama_web::WebTemplate)]
#[template(path = "api_docs.html")]
pub struct DocsPage {
    pub tr: crate::i18n::Tr,
    pub intro: String,
    pub ops: Vec<DocOp>,
    /// Schema name, its fields (name, type, description).
    pub schemas: Vec<(String, Vec<DocField>)>,
}

fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "array of {}",
                type_of(schema.get("items").unwrap_or(&Value::Null))
            )
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    }
}

fn fields_of(schema: &Value) -> Vec<DocField> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| {
                    let d = v
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    (k.clone(), type_of(v), d.to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /api-docs`: the OpenAPI document as a page — every operation with its parameters, body
/// and answers, and the schemas — served by the platform itself (no script, nothing from a CDN),
/// so it reads the same on a network without the internet.
pub async fn docs_page() -> DocsPage {
    let doc = document();
    let str_of = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                (
                                    str_of(p, "name"),
                                    str_of(p, "in"),
                                    p.get("required").and_then(Value::as_bool).unwrap_or(false),
                                    type_of(p.get("schema").unwrap_or(&Value::Null)),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(fields_of)
                    .unwrap_or_default();
                let mut responses: Vec<(String, String)> = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .map(|rs| {
                        rs.iter()
                            .map(|(c, r)| (c.clone(), str_of(r, "description")))
                            .collect()
                    })
                    .unwrap_or_default();
                responses.sort();
                ops.push(DocOp {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: str_of(op, "summary"),
                    description: str_of(op, "description"),
                    params,
                    body,
                    responses,
                    public: op
                        .get("security")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty),
                });
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.iter().map(|(k, v)| (k.clone(), fields_of(v))).collect())
        .unwrap_or_default();
    DocsPage {
        tr: crate::i18n::Tr,
        intro: str_of(doc.get("info").unwrap_or(&Value::Null), "description"),
        ops,
        schemas,
    }
}

/// `GET /api/v1/finance/enterprises/{uscc}`: an enterprise as an institution may see it
/// (`finance::disclose`), as JSON.
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
pub async fn chains(
    State(st): State<AppState>,
    ApiUser(_user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let chains = st.store.chains().await?;
    Ok(Json(json!({
        "items": chains
            .iter()
            .map(|c| json!({ "name": c.name, "ecosystem": c.ecosystem, "name_en": c.name_en }))
            .collect::<Vec<_>>()
    })))
}

/// `GET /api/v1/chain-events?year=&chain=&district=`: the events the caller may see.
pub async fn chain_events(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<crate::chains::EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (f, year) = crate::chains::filter_for(&st, &user, &q).await?;
    let events = st.store.chain_events(&f).await?;
    Ok(Json(json!({ "year": year, "items": events })))
}

/// `GET /api/v1/chain-events/summary?year=&chain=&district=`: the bureau's line, counted from
/// the records (amounts in 万元 as exact decimals).
pub async fn chain_summary(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<crate::chains::EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (f, year) = crate::chains::filter_for(&st, &user, &q).await?;
    let s = st.store.chain_summary(&f).await?;
    let wan = |u: i64| {
        zjtx_core::num::Wan::from_units(u)
            .map(|w| w.to_string())
            .unwrap_or_default()
    };
    Ok(Json(json!({
        "year": year,
        "events": s.events,
        "firms": s.firms,
        "participations": s.participations,
        "orders_wan": wan(s.orders),
        "financing_wan": wan(s.financing),
        "projects": s.projects,
    })))
}

/// `GET /api/v1/catalogue?year=`: the published catalogue of a year (public): each product with
/// its enterprise's code and name.
pub async fn catalogue(
    State(st): State<AppState>,
    Query(q): Query<crate::catalogue::YearQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "year": year,
        "items": entries
            .iter()
            .map(|e| json!({ "uscc": e.uscc, "enterprise": e.firm, "product": e.name, "description": e.description }))
            .collect::<Vec<_>>()
    })))
}
