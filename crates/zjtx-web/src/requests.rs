//! What every request goes through first: an id (in each log line written while it is served, in
//! the `X-Request-Id` answer header and on error pages, so that a user's report finds the log),
//! the header-size limit and the time limit (`config::Limits`), and one log line when it is done.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::AppState;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static ID: String;
}

/// The id of the request being served, if any.
pub fn id() -> Option<String> {
    ID.try_with(Clone::clone).ok()
}

/// An id the proxy sent (kept, so that its log and ours agree) when it is short and plain;
/// otherwise a new one of 16 hexadecimal digits.
fn id_for(req: &Request) -> String {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (8..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(new_id, str::to_owned)
}

/// Middleware, outermost.
pub async fn observe(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let id = id_for(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let api = path.starts_with("/api/");
    let span = tracing::info_span!("request", id = %id, %method, %path);
    let limits = st.limits;
    let start = std::time::Instant::now();
    let headers: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    let served = ID.scope(id.clone(), async move {
        if headers > limits.header {
            return (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request headers too large",
            )
                .into_response();
        }
        match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
            Ok(res) => res,
            Err(_) => {
                tracing::error!(
                    secs = limits.request_timeout.as_secs(),
                    "request stopped at the time limit"
                );
                if api {
                    crate::api::ApiError(crate::error::AppError::Timeout).into_response()
                } else {
                    crate::error::AppError::Timeout.into_response()
                }
            }
        }
    });
    let mut res = served.instrument(span.clone()).await;
    let status = res.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms, "served");
        } else {
            tracing::info!(status, ms, "served");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

fn new_id() -> String {
    let mut b = [0u8; 8];
    // Without randomness the id is the time: still unique enough to find a line.
    if getrandom::fill(&mut b).is_err() {
        b = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64))
        .to_be_bytes();
    }
    hex::encode(b)
}
