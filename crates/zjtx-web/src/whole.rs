//! Pages computed from every firm's yearly figures (the monitoring pages and the bulletin): at a
//! million firms one of them reads every row's figures and computes for tens of seconds, so that
//! two at once on the request threads would hold up every other request, and several at once
//! would hold several copies of the register in memory. Each instance computes one at a time
//! (`Gate`): another waits up to `WAIT`, then is told the system is busy (503 with
//! `Retry-After`); these requests are served on blocking threads of their own, never on the
//! threads that serve the other requests, and a computation stops when its client goes away.
//!
//! What a page computed is kept (`Admitted::kept`) until the firms' data changes — a record, a
//! title, a year's figures or a chain tag, by any writer on any instance (the store's
//! `subjects_mark`, noted by triggers in the writer's transaction) — or the day turns, so that
//! looking at it again, turning its pages or another reader of the same districts in the same
//! language costs a check of the mark instead of a computation (the words of a page are made in
//! its reader's language, so each language is kept apart). A kept page is served at once even
//! while another computation holds the gate. The dashboard's counts are kept the same way, apart
//! (`Gate::remembered`).
//!
//! The reads of every firm's figures (`Store::two_years`, `one_year`, `latest_cells`) are made
//! through `Computing`, which only `kept` creates, holding the gate: clippy refuses a direct call
//! anywhere else (`clippy.toml`), and a handler that asks for `Admitted` on a route the gate does
//! not cover is answered 500 — which the access table's test, calling every route as every role,
//! reports. So a new whole-register page cannot be left off `ROUTES` unnoticed.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The most computations kept at once of each kind, pages and counts (each page, year and scope
/// is one); the least recently read is dropped for a new one. The largest, a rule-change
/// comparison of a million firms, holds some tens of megabytes.
const MAX_KEPT: usize = 24;

/// A kept computation is made again after this long, whatever the mark says (PostgreSQL forgets
/// its notes of changes after `zjtx_store::SUBJECT_CHANGES_KEPT_SECS`).
const MAX_AGE: Duration = Duration::from_secs(6 * 3_600);

/// One whole-register computation at a time per instance, how long another waits for it, and
/// what the computations gave (`Admitted::kept`'s pages and `Gate::remembered`'s counts, kept
/// apart so that the many small counts of district readers do not push out the pages). Cloned
/// with the state.
#[derive(Clone)]
pub struct Gate {
    one: Arc<tokio::sync::Semaphore>,
    wait: Duration,
    pages: Arc<Kept>,
    counts: Arc<Kept>,
}

#[derive(Default)]
struct Kept {
    entries: Mutex<HashMap<String, Entry>>,
    /// Computations made (not served from `entries`), for tests.
    made: AtomicUsize,
}

/// One computation's result, as the store stood when it began.
#[derive(Clone)]
struct Entry {
    mark: zjtx_store::SubjectsMark,
    today: chrono::NaiveDate,
    made_at: Instant,
    used_at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

impl Default for Gate {
    fn default() -> Gate {
        Gate::waiting(WAIT)
    }
}

impl Gate {
    /// A gate at which a request waits at most `wait` (tests wait less than `WAIT`).
    pub fn waiting(wait: Duration) -> Gate {
        Gate {
            one: Arc::new(tokio::sync::Semaphore::new(1)),
            wait,
            pages: Arc::default(),
            counts: Arc::default(),
        }
    }

    /// Takes the one place, as a running computation does, until the permit is dropped (tests).
    #[doc(hidden)]
    pub async fn occupy(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.one.clone().acquire_owned().await.ok()
    }

    /// How many computations were made rather than served as kept (tests).
    #[doc(hidden)]
    pub fn computations(&self) -> usize {
        self.pages.made.load(Ordering::Relaxed) + self.counts.made.load(Ordering::Relaxed)
    }
}

impl Kept {
    /// The kept result of `key`, when it is what the store has today.
    async fn hit<T: Send + Sync + 'static>(
        &self,
        st: &AppState,
        key: &str,
    ) -> Result<Option<Arc<T>>, AppError> {
        let entry = self.entries().get(key).cloned();
        let Some(entry) = entry else {
            return Ok(None);
        };
        let fresh = entry.today == st.today()
            && entry.made_at.elapsed() < MAX_AGE
            && !st.store.subjects_changed_since(&entry.mark).await?;
        let value = fresh.then(|| entry.value.downcast::<T>().ok()).flatten();
        let mut entries = self.entries();
        match value {
            Some(_) => {
                if let Some(e) = entries.get_mut(key) {
                    e.used_at = Instant::now();
                }
            }
            // Unless another request has put a newer one meanwhile.
            None => {
                if entries.get(key).is_some_and(|e| e.made_at == entry.made_at) {
                    entries.remove(key);
                }
            }
        }
        Ok(value)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn keep(&self, key: String, entry: Entry) {
        let mut entries = self.entries();
        entries.insert(key, entry);
        while entries.len() > MAX_KEPT {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used_at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
    }
}

/// Middleware (inside the access check): runs a request of `ROUTES` as the module says; any
/// other passes straight through.
pub async fn gate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if !ROUTES.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let mut req = req;
    req.extensions_mut().insert(Admitted(st.whole.clone()));
    let path = req.uri().path().to_owned();
    let handle = tokio::runtime::Handle::current();
    let served = crate::i18n::carried(next.run(req));
    // When the client goes away, this future is dropped, and with it `_client`: the computation
    // then stops at its next wait (the reads of every firm stream, so that is the next row) and
    // gives back the one place, instead of running on for a page nobody will read.
    let (_client, gone) = tokio::sync::oneshot::channel::<()>();
    tokio::task::spawn_blocking(move || {
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

/// Proof that a request passed the gate's middleware: what a page computes from every firm is
/// made and kept through it (`kept`).
#[derive(Clone)]
pub struct Admitted(Gate);

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
            .cloned()
            .ok_or_else(|| AppError::Internal(NOT_GATED.into()))
    }
}

impl Admitted {
    /// What `compute` gives for `key`: kept from an earlier request while the firms' data has not
    /// changed and the day has not turned, else computed now — holding the gate, which it waits
    /// for at most `WAIT` (busy otherwise) — and kept. `key` must name everything the result
    /// depends on besides the firms' data, the day and the language (added here): the page, its
    /// parameters, the reader's districts and a digest of any other records it reads.
    pub async fn kept<T, F, Fut>(
        &self,
        st: &AppState,
        key: String,
        compute: F,
    ) -> Result<Arc<T>, AppError>
    where
        T: Send + Sync + 'static,
        F: FnOnce(Computing) -> Fut,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        let gate = &self.0;
        let key = format!("{key} {:?}", crate::i18n::lang());
        if let Some(v) = gate.pages.hit(st, &key).await? {
            return Ok(v);
        }
        let permit = match tokio::time::timeout(gate.wait, gate.one.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => return Err(AppError::Store(zjtx_store::StoreError::Busy(BUSY))),
        };
        // Computed meanwhile by the request this one waited for?
        if let Some(v) = gate.pages.hit(st, &key).await? {
            return Ok(v);
        }
        gate.pages
            .make(st, key, compute(Computing(Arc::new(permit))))
            .await
    }
}

impl Gate {
    /// What `compute` gives for `key`, kept as `Admitted::kept` keeps a page's computation but
    /// made without the gate, on the request's own task: for counts from the firms' data that
    /// take a second or two at a million firms (the dashboard's), too long to make on every view
    /// and short enough to make beside other requests. `key` names what `kept`'s does, the
    /// language included when the result holds words.
    pub async fn remembered<T, Fut>(
        &self,
        st: &AppState,
        key: String,
        compute: Fut,
    ) -> Result<Arc<T>, AppError>
    where
        T: Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        if let Some(v) = self.counts.hit(st, &key).await? {
            return Ok(v);
        }
        self.counts.make(st, key, compute).await
    }
}

impl Kept {
    /// Runs `compute` and keeps what it gives under `key`, as the store stands before it reads.
    async fn make<T, Fut>(
        &self,
        st: &AppState,
        key: String,
        compute: Fut,
    ) -> Result<Arc<T>, AppError>
    where
        T: Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        // The mark before the rows: a change committed after it is seen at the next request.
        let mark = st.store.subjects_mark().await?;
        let today = st.today();
        let made_at = Instant::now();
        let value = Arc::new(compute.await?);
        self.made.fetch_add(1, Ordering::Relaxed);
        self.keep(
            key,
            Entry {
                mark,
                today,
                made_at,
                used_at: Instant::now(),
                value: value.clone(),
            },
        );
        Ok(value)
    }
}

/// A computation holding the gate: the reads of every firm's figures are made through it.
#[derive(Clone)]
pub struct Computing(#[allow(dead_code)] Arc<tokio::sync::OwnedSemaphorePermit>);

#[allow(clippy::disallowed_methods)] // the one place these reads are made
impl Computing {
    /// `Store::two_years`: every firm's figures of a year beside the year before's, one at a time.
    pub async fn two_years(
        &self,
        store: &zjtx_store::Store,
        year: i32,
        regions: Option<&[String]>,
        each: impl FnMut(zjtx_store::YearPair) + Send,
    ) -> Result<(), zjtx_store::StoreError> {
        store.two_years(year, regions, each).await
    }

    /// `Store::one_year`: every firm's figures of a year alone, one at a time.
    pub async fn one_year(
        &self,
        store: &zjtx_store::Store,
        year: i32,
        regions: Option<&[String]>,
        each: impl FnMut(zjtx_store::YearPair) + Send,
    ) -> Result<(), zjtx_store::StoreError> {
        store.one_year(year, regions, each).await
    }

    /// `Store::latest_cells`: every firm's latest figures, one at a time.
    pub async fn latest_cells(
        &self,
        store: &zjtx_store::Store,
        regions: Option<&[String]>,
        each: impl FnMut(zjtx_store::Latest) + Send,
    ) -> Result<(), zjtx_store::StoreError> {
        store.latest_cells(regions, each).await
    }
}
