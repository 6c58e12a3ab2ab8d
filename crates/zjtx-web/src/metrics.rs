//! Health and load for operators: `/readyz` (the database answers) beside `/healthz` (the process
//! answers), and `/metrics` in Prometheus' text format — requests by route (the route's pattern,
//! never the raw path), method and status; a latency histogram per route; the database pool in
//! use; per instance since it started. Imports and expert draws are the counters of their routes
//! (`/import/{id}/commit`, `/batches/{id}/draw`). `/metrics` answers only the local machine, or
//! a caller sending `Authorization: Bearer` with the token set in `ZJTX_METRICS_TOKEN`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The histogram's upper bounds, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Series {
    /// Requests by (method, route, status).
    requests: BTreeMap<(String, String, u16), u64>,
    /// Per route: the count in each bucket (and one past the last), the sum of seconds.
    latency: BTreeMap<String, ([u64; BUCKETS.len() + 1], f64)>,
}

/// This instance's counters.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<Series>>);

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *s.requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let (counts, sum) = s.latency.entry(route.to_owned()).or_default();
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        counts[i] += 1;
        *sum += secs;
    }

    fn render(&self, pool: (u32, usize)) -> String {
        let s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let label = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        out.push_str(
            "# HELP zjtx_http_requests_total Requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE zjtx_http_requests_total counter\n");
        for ((m, r, st), n) in &s.requests {
            let _ = writeln!(
                out,
                "zjtx_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{st}\"}} {n}",
                label(m),
                label(r)
            );
        }
        out.push_str("# HELP zjtx_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE zjtx_http_request_duration_seconds histogram\n");
        for (r, (counts, sum)) in &s.latency {
            let r = label(r);
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "zjtx_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {cumulative}"
                );
            }
            cumulative += counts[BUCKETS.len()];
            let _ = writeln!(
                out,
                "zjtx_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "zjtx_http_request_duration_seconds_sum{{route=\"{r}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "zjtx_http_request_duration_seconds_count{{route=\"{r}\"}} {cumulative}"
            );
        }
        let (size, idle) = pool;
        out.push_str("# HELP zjtx_db_connections Connections of this instance's database pool.\n");
        out.push_str("# TYPE zjtx_db_connections gauge\n");
        let _ = writeln!(out, "zjtx_db_connections{{state=\"open\"}} {size}");
        let _ = writeln!(out, "zjtx_db_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(
            out,
            "zjtx_db_connections{{state=\"in_use\"}} {}",
            (size as usize).saturating_sub(idle)
        );
        out
    }
}

/// Counts every request under its route's pattern.
pub async fn count(
    State(st): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    st.metrics.record(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// `GET /readyz`: 200 when the database answers, else 503 (a balancer takes the instance out).
pub async fn readyz(State(st): State<AppState>) -> Response {
    match st.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// `GET /metrics`: the counters, for Prometheus.
pub async fn metrics(State(st): State<AppState>, parts: axum::http::request::Parts) -> Response {
    let token = st.metrics_token.clone();
    let sent = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let local = crate::auth::client_addr(&parts)
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback());
    let allowed = match (&token, sent) {
        (Some(t), Some(s)) => crate::auth::same(s, t),
        _ => local,
    };
    if !allowed {
        return (
            StatusCode::FORBIDDEN,
            "metrics: local callers or ZJTX_METRICS_TOKEN only",
        )
            .into_response();
    }
    let mut res = st.metrics.render(st.store.pool_state()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
