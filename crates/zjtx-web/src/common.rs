//! What every feature's pages share and that depends on nothing else of the crate: reading a
//! cookie, writing amounts, dates and query values, the form that carries only its CSRF token.

use serde::Deserialize;
use zjtx_core::num::{Dec4, round2};

/// A cookie value from a set of request headers.
pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Money in units of 1/10000 万元, shown in 万元 with at most two decimals.
pub fn wan(units: Option<i64>) -> String {
    units
        .map(|u| {
            Dec4::from_units(round2(u))
                .unwrap_or(Dec4::ZERO)
                .to_string()
        })
        .unwrap_or_default()
}

/// Percent-encodes a query value (everything but unreserved ASCII).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A stored timestamp (seconds) as the local date, the calendar the workflows use.
pub fn local_day(at: i64) -> String {
    local_time(at, "%Y-%m-%d")
}

/// A stored timestamp (seconds) in local time, in `format`.
pub fn local_time(at: i64, format: &str) -> String {
    zjtx_store::Clock::local_at(at)
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// The form of an action that cannot be undone (archive a batch, publish a notice, revoke a
/// title or a key): its check box "I confirm" must be ticked.
#[derive(Deserialize)]
pub struct Confirmed {
    pub csrf: String,
    #[serde(default)]
    pub confirm: String,
}

/// Refuses an irreversible action whose confirmation was not ticked (the page's box is
/// `required`, so only a crafted request gets here).
pub fn confirmed(v: &str) -> Result<(), crate::error::AppError> {
    if v == "yes" {
        Ok(())
    } else {
        Err(crate::error::AppError::BadRequest(
            crate::i18n::t("此操作不可撤销：请勾选确认后再提交").into(),
        ))
    }
}

/// A submitted form read into a typed struct, where a key given several times (check boxes, a
/// multiple select) fills a `Vec` field. axum's `Form` reads with `serde_urlencoded`, which
/// cannot; `serde_html_form` reads the same encoding and can. The body is bounded by the router's
/// body limit before it is read.
pub struct Fields<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Fields<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = crate::error::AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| crate::error::AppError::BadRequest(e.body_text()))?;
        serde_html_form::from_bytes(&bytes)
            .map(Fields)
            .map_err(|e| {
                crate::error::AppError::BadRequest(crate::i18n::f(
                    "表单无法读取：{}",
                    &[&e.to_string()],
                ))
            })
    }
}

/// A workbook as a download named `filename`.
pub fn xlsx_download(filename: &str, body: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A table written to a one-sheet workbook off the async threads, as a download.
pub async fn table_download(
    filename: &str,
    sheet: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
) -> Result<axum::response::Response, crate::error::AppError> {
    let body =
        tokio::task::spawn_blocking(move || zjtx_sheet::write::table_xlsx(sheet, &headers, rows))
            .await
            .map_err(|e| crate::error::AppError::Internal(e.to_string()))?
            .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    Ok(xlsx_download(filename, body))
}

/// A stored `YYYY-MM-DD` date.
pub fn date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A multipart form as read: its text fields, and its `file` (name, bytes) if any. The body is
/// bounded by the route's limit before it is read; a body past it, or malformed, is refused with
/// `too_large`.
pub async fn read_upload(
    mut mp: axum::extract::Multipart,
    too_large: &str,
) -> Result<
    (
        std::collections::HashMap<String, String>,
        Option<(String, axum::body::Bytes)>,
    ),
    crate::error::AppError,
> {
    let bad = || crate::error::AppError::BadRequest(too_large.to_owned());
    let (mut fields, mut file) = (std::collections::HashMap::new(), None);
    while let Some(field) = mp.next_field().await.map_err(|_| bad())? {
        match field.name().map(str::to_owned) {
            Some(n) if n == "file" => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                file = Some((name, field.bytes().await.map_err(|_| bad())?));
            }
            Some(n) => {
                fields.insert(n, field.text().await.map_err(|_| bad())?);
            }
            None => {}
        }
    }
    Ok((fields, file))
}
