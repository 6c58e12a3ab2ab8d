//! Pages computed from every firm's yearly figures (the monitoring pages and the bulletin): at a
//! million firms one of them reads every row's figures and computes for tens of seconds, so that
//! two at once on the request threads would hold up every other request, and several at once
//! would hold several copies of the register in memory. Each instance runs one at a time
//! (`gate`): another waits up to `WAIT`, then is told the system is busy (503 with
//! `Retry-After`); the one running is served on a blocking thread of its own, never on the threads
//! that serve the other requests.

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
    let handle = tokio::runtime::Handle::current();
    let served = crate::i18n::carried(next.run(req));
    // The computation runs to its end even if the client goes away (it holds the one permit
    // meanwhile): a blocking thread cannot be stopped halfway.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        handle.block_on(served)
    })
    .await
    .unwrap_or_else(|e| AppError::Internal(e.to_string()).into_response())
}
