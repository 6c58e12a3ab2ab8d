//! Bulk exchange for systems (the province's data exchange, a district's own registry): the
//! registry's changes since a cursor, as NDJSON or CSV, in pages of at most 10,000 rows; and the
//! titles in force. Every page is audited as an export of the firms it carries, within the
//! caller's scope like every list.
//!
//! A change is stamped when it is written and becomes visible when its transaction commits, up to
//! the length of an import later; a row is therefore handed out only once `settle` seconds have
//! passed since its stamp (`AppState::exchange_settle_secs`, 10 minutes by default), so that no
//! change can commit behind a cursor already handed out. A cursor is the last row's stamp and code.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::api::{ApiError, ApiUser};
use crate::auth;
use crate::error::AppError;

/// The most rows of one page.
pub const EXCHANGE_PAGE_MAX: i64 = 10_000;

#[derive(Deserialize, Default)]
pub struct ExchangeQuery {
    /// The cursor of the page before (`X-Next-Cursor`); empty from the start.
    #[serde(default)]
    pub since: String,
    /// `ndjson` (default) or `csv`.
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub limit: String,
}

fn cursor(v: &str) -> Result<Option<(i64, String)>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::BadRequest(format!("since: {v:?} is not a cursor this API gave"));
    let (at, code) = v.split_once('.').ok_or_else(bad)?;
    let at: i64 = at.parse().map_err(|_| bad())?;
    zjtx_core::ids::Uscc::parse(code).map_err(|_| bad())?;
    Ok(Some((at, code.to_owned())))
}

/// The latest change a page may hand out: one at least `exchange_settle_secs` old (so none can
/// still commit behind it).
fn settled_until(st: &AppState) -> i64 {
    zjtx_store::now() - st.exchange_settle_secs.max(1)
}

/// A page's size: at most `EXCHANGE_PAGE_MAX`, that many when not given.
fn limit_of(v: &str) -> Result<i64, AppError> {
    match v.trim() {
        "" => Ok(EXCHANGE_PAGE_MAX),
        v => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=EXCHANGE_PAGE_MAX).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest(format!("limit: {v:?} (1 to {EXCHANGE_PAGE_MAX})"))
            }),
    }
}

/// A page of the exchange: its body, type, the cursor after it and whether another is ready.
fn paged(body: String, content_type: &'static str, next: &str, more: bool) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(next) {
        h.insert("x-next-cursor", v);
    }
    h.insert(
        "x-more",
        HeaderValue::from_static(if more { "true" } else { "false" }),
    );
    res
}

/// A CSV field, quoted when it must be.
fn field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

const COLUMNS: [&str; 18] = [
    "uscc",
    "name",
    "region_code",
    "region_name",
    "industry_code",
    "ecosystem",
    "latest_year",
    "rules",
    "size",
    "innovative",
    "tech_sme",
    "srdi",
    "giant",
    "top_tier",
    "revenue_wan",
    "employees",
    "changed_at",
    "cursor",
];

/// `GET /api/v1/exchange/enterprises?since=&format=&limit=`: the enterprises in the caller's
/// scope changed after the cursor, oldest change first; `X-Next-Cursor` continues after the last
/// row (the same cursor when there was none), `X-More: true` when another page is ready.
#[utoipa::path(get, path = "/api/v1/exchange/enterprises",
    summary = "The registry's changes in the caller's scope since a cursor, oldest first, as NDJSON (default) or CSV, for incremental sync",
    description = "Pass the `X-Next-Cursor` of a page as `since`; `X-More: true` when another page is ready. A change (an import of the firm's row, a move between districts) is handed out 10 minutes after it was made, so that none can commit behind a cursor. One line per enterprise: uscc, name, region_code, region_name, industry_code, ecosystem, latest_year, rules, size, innovative, tech_sme, srdi, giant, top_tier, revenue_wan, employees, changed_at, cursor.",
    params(
        ("since" = Option<String>, Query, description = "the cursor of the page before"),
        ("format" = Option<String>, Query, description = "`ndjson` (default) or `csv`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 10000)),
    responses((status = 200, description = "one line per enterprise",
        content((String = "application/x-ndjson"), (String = "text/csv")),
        headers(("X-Next-Cursor" = String, description = "the cursor after this page"),
            ("X-More" = String, description = "`true` when another page is ready")))))]
pub async fn enterprises(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<ExchangeQuery>,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_str() {
        "" | "ndjson" => false,
        "csv" => true,
        other => {
            return Err(AppError::BadRequest(format!("format: {other:?} (ndjson or csv)")).into());
        }
    };
    let limit = limit_of(&q.limit)?;
    let since = cursor(&q.since)?;
    let scope = user.scope(&st.store).await?;
    let until = settled_until(&st);
    let mut rows = st
        .store
        .changed_since(
            &scope,
            since.as_ref().map(|(a, c)| (*a, c.as_str())),
            until,
            limit + 1,
        )
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    auth::audit_list(
        &st,
        &user,
        "exchange",
        "enterprises",
        rows.iter().map(|(e, _)| e.uscc.as_str()),
    )
    .await?;
    let next = rows
        .last()
        .map(|(e, at)| format!("{at}.{}", e.uscc))
        .unwrap_or_else(|| q.since.clone());
    let mut body = String::new();
    if csv {
        body.push_str(&COLUMNS.join(","));
        body.push('\n');
    }
    for (e, at) in &rows {
        let revenue = e
            .revenue
            .and_then(zjtx_core::num::Dec4::from_units)
            .map(|d| d.to_string());
        let values = [
            e.uscc.clone(),
            e.name.clone(),
            e.region_code.clone().unwrap_or_default(),
            e.region_name.clone().unwrap_or_default(),
            e.industry_code.clone(),
            e.ecosystem.clone().unwrap_or_default(),
            e.latest_year.to_string(),
            e.rules.clone(),
            e.size.key().to_owned(),
            e.innovative.key().to_owned(),
            e.tech_sme.key().to_owned(),
            e.srdi.key().to_owned(),
            e.giant.key().to_owned(),
            e.top_tier.key().to_owned(),
            revenue.clone().unwrap_or_default(),
            e.employees.map(|n| n.to_string()).unwrap_or_default(),
            at.to_string(),
            format!("{at}.{}", e.uscc),
        ];
        if csv {
            let line: Vec<String> = values.iter().map(|v| field(v)).collect();
            body.push_str(&line.join(","));
        } else {
            let mut o = serde_json::Map::new();
            for (k, v) in COLUMNS.iter().zip(values) {
                let value = match *k {
                    "latest_year" | "changed_at" => json!(v.parse::<i64>().unwrap_or(0)),
                    "employees" => v.parse::<i64>().map_or(json!(null), |n| json!(n)),
                    "revenue_wan" | "region_code" | "region_name" | "ecosystem" if v.is_empty() => {
                        json!(null)
                    }
                    _ => json!(v),
                };
                o.insert((*k).to_owned(), value);
            }
            body.push_str(&serde_json::Value::Object(o).to_string());
        }
        body.push('\n');
    }
    Ok(paged(
        body,
        if csv {
            "text/csv; charset=utf-8"
        } else {
            "application/x-ndjson"
        },
        &next,
        more,
    ))
}

/// `GET /api/v1/exchange/titles`: every title in force today within the caller's scope (a
/// decision's or an imported one), as NDJSON: `{"uscc", "name", "region_code", "tier",
/// "valid_until", "source"}` — a snapshot, with the cursor of title changes it leaves off at
/// (`X-Next-Cursor`), from which `title-changes` continues.
#[utoipa::path(get, path = "/api/v1/exchange/titles",
    summary = "Every title in force today in the caller's scope, as NDJSON: uscc, name, region_code, tier, valid_until, source (decision or import); X-Next-Cursor is where /exchange/title-changes continues from",
    responses((status = 200, description = "one line per title", content((String = "application/x-ndjson")),
        headers(("X-Next-Cursor" = String, description = "the title changes' cursor this snapshot includes")))))]
pub async fn titles(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Response, ApiError> {
    let scope = user.scope(&st.store).await?;
    let today = st.today().to_string();
    // The cursor first: every change at or before it is in the titles read after it.
    let until = settled_until(&st);
    let next = st
        .store
        .title_cursor(until)
        .await?
        .map(|(at, u, t)| format!("{at}.{u}.{t}"))
        .unwrap_or_default();
    let rows = st.store.titles_in_scope(&scope, &today).await?;
    auth::audit_list(
        &st,
        &user,
        "exchange",
        "titles",
        rows.iter().map(|t| t.uscc.as_str()),
    )
    .await?;
    let mut body = String::new();
    for t in &rows {
        body.push_str(
            &json!({
                "uscc": t.uscc, "name": t.name, "region_code": t.region_code,
                "tier": t.tier, "valid_until": t.valid_until, "source": t.source,
            })
            .to_string(),
        );
        body.push('\n');
    }
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Ok(v) = HeaderValue::from_str(&next) {
        res.headers_mut().insert("x-next-cursor", v);
    }
    Ok(res)
}

/// A title changes' cursor: `{changed_at}.{uscc}.{tier}`.
fn title_cursor(v: &str) -> Result<Option<(i64, String, String)>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::BadRequest(format!("since: {v:?} is not a cursor this API gave"));
    let mut parts = v.splitn(3, '.');
    let (Some(at), Some(code), Some(tier)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let at: i64 = at.parse().map_err(|_| bad())?;
    zjtx_core::ids::Uscc::parse(code).map_err(|_| bad())?;
    if !["innovative", "srdi", "giant", "tech_sme"].contains(&tier) {
        return Err(bad());
    }
    Ok(Some((at, code.to_owned(), tier.to_owned())))
}

/// `GET /api/v1/exchange/title-changes?since=&limit=`: the titles changed after the cursor in
/// the caller's scope, oldest change first, as NDJSON — granted, extended or re-imported (with
/// `valid_until`) or removed (`"removed": true`); each change handed out once it has settled, as
/// the registry's.
#[utoipa::path(get, path = "/api/v1/exchange/title-changes",
    summary = "The titles changed in the caller's scope since a cursor (from /exchange/titles or a page before), oldest first, as NDJSON: uscc, name, region_code, tier, valid_until, source, removed, changed_at, cursor. A change is handed out 10 minutes after it was made, so that none can commit behind a cursor",
    params(
        ("since" = Option<String>, Query, description = "the cursor of the snapshot or the page before; from the start when empty"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 10000)),
    responses((status = 200, description = "one line per changed title",
        content((String = "application/x-ndjson")),
        headers(("X-Next-Cursor" = String, description = "the cursor after this page"),
            ("X-More" = String, description = "`true` when another page is ready")))))]
pub async fn title_changes(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<ExchangeQuery>,
) -> Result<Response, ApiError> {
    let limit = limit_of(&q.limit)?;
    if !q.format.is_empty() && q.format != "ndjson" {
        return Err(AppError::BadRequest(format!("format: {:?} (ndjson)", q.format)).into());
    }
    let since = title_cursor(&q.since)?;
    let scope = user.scope(&st.store).await?;
    let until = settled_until(&st);
    let mut rows = st
        .store
        .title_changes_since(
            &scope,
            since.as_ref().map(|(a, c, t)| (*a, c.as_str(), t.as_str())),
            until,
            limit + 1,
        )
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    auth::audit_list(
        &st,
        &user,
        "exchange",
        "title changes",
        rows.iter().map(|t| t.uscc.as_str()),
    )
    .await?;
    let cursor_of = |t: &zjtx_store::TitleChange| format!("{}.{}.{}", t.changed_at, t.uscc, t.tier);
    let next = rows
        .last()
        .map(cursor_of)
        .unwrap_or_else(|| q.since.clone());
    let mut body = String::new();
    for t in &rows {
        body.push_str(
            &json!({
                "uscc": t.uscc, "name": t.name, "region_code": t.region_code, "tier": t.tier,
                "valid_until": t.valid_until, "source": t.source, "removed": t.valid_until.is_none(),
                "changed_at": t.changed_at, "cursor": cursor_of(t),
            })
            .to_string(),
        );
        body.push('\n');
    }
    Ok(paged(body, "application/x-ndjson", &next, more))
}
