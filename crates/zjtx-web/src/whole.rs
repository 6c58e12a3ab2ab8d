//! Pages computed from every firm's yearly figures (the monitoring pages and the bulletin): at a
//! million firms one of them reads every row's figures and computes for tens of seconds, so that
//! two at once on the request threads would hold up every other request, and several at once
//! would hold several copies of the register in memory. Each instance runs one at a time
//! (`gate`): another waits up to `WAIT`, then is told the system is busy (503 with
//! `Retry-After`); the one running is served on a blocking thread of its own, never on the threads
//! that serve the other requests, and stops when its client goes away.
//!
//! The reads of every firm's figures (`Store::two_years`, `one_year`, `latest_cells`) are made
//! through `Admitted`, which only the gate creates: clippy refuses a direct call anywhere else
//! (`clippy.toml`), and a handler that asks for `Admitted` on a route the gate does not cover is
//! answered 500 — which the access table's test, calling every route as every role, reports. So
//! a new whole-register page cannot be left off `ROUTES` unnoticed.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use crate::AppState;
use crate::error::AppError;

/// The routes computed from every firm's figures.
pub const ROUTES: &[&str] = &[
    "/monitoring/two-ways",
    "/monitoring/rates",
    "/monitoring/rule-change",
    "/monitoring/bulletin",
    "/monitoring/bulletin.xlsx",
    "/monitoring/bulletin/list",
    "/monitoring/projected",
    "/monitoring/cohorts",
    "/api/v1/bulletin",
    "/api/v1/bulletin/list",
];

/// How long a request waits for the one running before it is told to retry.
const WAIT: Duration = Duration::from_secs(10);

/// Why a request was turned away (`StoreError::Busy`; the page's words in `error`).
pub const BUSY: &str = "another whole-register computation is running";

/// One whole-register computation at a time per instance, and how long another waits for it.
#[derive(Clone)]
pub struct Gate(std::sync::Arc<tokio::sync::Semaphore>, Duration);

impl Default for Gate {
    fn default() -> Gate {
        Gate::waiting(WAIT)
    }
}

impl Gate {
    /// A gate at which a request waits at most `wait` (tests wait less than `WAIT`).
    pub fn waiting(wait: Duration) -> Gate {
        Gate(std::sync::Arc::new(tokio::sync::Semaphore::new(1)), wait)
    }

    /// Takes the one place, as a running computation does, until the permit is dropped (tests).
    #[doc(hidden)]
    pub async fn occupy(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.0.clone().acquire_owned().await.ok()
    }
}

/// Middleware (inside the access check): runs a request of `ROUTES` as the module says; any
/// other passes straight through.
pub async fn gate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if !ROUTES.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let permit = match tokio::time::timeout(st.whole.1, st.whole.0.clone().acquire_owned()).await {
        Ok(Ok(p)) => p,
        _ => return AppError::Store(zjtx_store::StoreError::Busy(BUSY)).into_response(),
    };
    let mut req = req;
    req.extensions_mut().insert(Admitted(()));
    let path = req.uri().path().to_owned();
    let handle = tokio::runtime::Handle::current();
    let served = crate::i18n::carried(next.run(req));
    // When the client goes away, this future is dropped, and with it `_client`: the computation
    // then stops at its next wait (the reads of every firm stream, so that is the next row) and
    // gives back the one place, instead of running on for a page nobody will read.
    let (_client, gone) = tokio::sync::oneshot::channel::<()>();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        handle.block_on(async move {
            tokio::select! {
                r = served => r,
                _ = gone => {
                    tracing::info!(%path, "a whole-register computation stopped: its client left");
                    // No one is there to read it.
                    axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
                }
            }
        })
    })
    .await
    .unwrap_or_else(|e| AppError::Internal(e.to_string()).into_response())
}

/// Proof that a request passed the gate: the reads of every firm's figures take it.
#[derive(Clone, Copy, Debug)]
pub struct Admitted(());

/// Why a handler that needs the gate did not get it: its route is missing from `ROUTES`.
const NOT_GATED: &str = "a whole-register read on a route missing from whole::ROUTES";

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Admitted {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Admitted, AppError> {
        parts
            .extensions
            .get::<Admitted>()
            .copied()
            .ok_or_else(|| AppError::Internal(NOT_GATED.into()))
    }
}

#[allow(clippy::disallowed_methods)] // the one place these reads are made
impl Admitted {
    /// `Store::two_years`: every firm's figures of a year beside the year before's, one at a time.
    pub async fn two_years(
        self,
        store: &zjtx_store::Store,
        year: i32,
        regions: Option<&[String]>,
        each: impl FnMut(zjtx_store::YearPair) + Send,
    ) -> Result<(), zjtx_store::StoreError> {
        store.two_years(year, regions, each).await
    }

    /// `Store::one_year`: every firm's figures of a year alone, one at a time.
    pub async fn one_year(
        self,
        store: &zjtx_store::Store,
        year: i32,
        regions: Option<&[String]>,
        each: impl FnMut(zjtx_store::YearPair) + Send,
    ) -> Result<(), zjtx_store::StoreError> {
        store.one_year(year, regions, each).await
    }

    /// `Store::latest_cells`: every firm's latest figures, one at a time.
    pub async fn latest_cells(
        self,
        store: &zjtx_store::Store,
        regions: Option<&[String]>,
        each: impl FnMut(zjtx_store::Latest) + Send,
    ) -> Result<(), zjtx_store::StoreError> {
        store.latest_cells(regions, each).await
    }
}
