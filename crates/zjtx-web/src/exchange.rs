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
    let limit = match q.limit.trim() {
        "" => EXCHANGE_PAGE_MAX,
        v => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=EXCHANGE_PAGE_MAX).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest(format!("limit: {v:?} (1 to {EXCHANGE_PAGE_MAX})"))
            })?,
    };
    let since = cursor(&q.since)?;
    let scope = user.scope(&st.store).await?;
    let until = chrono::Utc::now().timestamp() - st.exchange_settle_secs.max(1);
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
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if csv {
            "text/csv; charset=utf-8"
        } else {
            "application/x-ndjson"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&next) {
        h.insert("x-next-cursor", v);
    }
    h.insert(
        "x-more",
        HeaderValue::from_static(if more { "true" } else { "false" }),
    );
    Ok(res)
}

/// `GET /api/v1/exchange/titles`: every title in force today within the caller's scope (a
/// decision's or an imported one), as NDJSON: `{"uscc", "name", "region_code", "tier",
/// "valid_until", "source"}`. A snapshot, not incremental: titles are thousands, not millions.
#[utoipa::path(get, path = "/api/v1/exchange/titles",
    summary = "Every title in force today in the caller's scope, as NDJSON: uscc, name, region_code, tier, valid_until, source (decision or import)",
    responses((status = 200, description = "one line per title", content((String = "application/x-ndjson")))))]
pub async fn titles(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Response, ApiError> {
    let scope = user.scope(&st.store).await?;
    let today = st.today().to_string();
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
    Ok(res)
}
