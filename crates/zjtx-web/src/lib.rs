//! ZJTX web application: the server-rendered pages and the accounts. It is the only crate that
//! knows HTTP and HTML; rules come from `zjtx-core`, data from `zjtx-store`.
#![forbid(unsafe_code)]
// The OpenAPI document is one `serde_json::json!` literal, deeper than the default limit.
#![recursion_limit = "256"]

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use zjtx_core::RuleSet;
use zjtx_store::Store;

pub mod access;
pub mod api;
pub mod auth;
pub mod catalogue;
pub mod chains;
pub mod challenges;
pub mod common;
pub mod config;
pub mod dashboard;
pub mod declare;
pub mod error;
pub mod exchange;
pub mod finance;
pub mod funds;
pub mod i18n;
pub mod import;
pub mod keys;
pub mod mail;
pub mod metrics;
pub mod monitoring;
pub mod nav;
pub mod oidc;
pub mod pages;
pub mod password;
pub mod providers;
pub mod requests;
pub mod schedule;
pub mod totp;
pub mod whole;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub rules: Arc<Vec<RuleSet>>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// A hash to verify against when a user name does not exist, so that both cases take as long.
    pub dummy_hash: String,
    /// The region hierarchy, read once: it changes only when regions are seeded.
    regions: Arc<tokio::sync::OnceCell<Vec<zjtx_store::Region>>>,
    /// The chains offered by the filters and forms, read once: they change only when reference
    /// data is seeded (no page adds chains yet; an instance started before a chain was added
    /// to the database offers it after a restart).
    /// Where evidence files are kept, by their SHA-256.
    pub evidence_dir: std::path::PathBuf,
    /// The largest evidence file accepted, in bytes.
    pub max_evidence: usize,
    /// The date the workflow goes by: today, unless set (tests move it across deadlines).
    clock: zjtx_store::Clock,
    /// E-mail, when a relay is configured (off by default).
    pub mailer: Option<Arc<mail::Mailer>>,
    /// System keys' rates (`keys`), per instance.
    pub key_limits: keys::Limits,
    /// How long after a change the bulk exchange hands it out (`exchange`), in seconds.
    pub exchange_settle_secs: i64,
    /// This instance's request counters (`metrics`).
    pub metrics: metrics::Metrics,
    /// Body, header and time limits (`config`).
    pub limits: config::Limits,
    /// The token that opens `/metrics` to other hosts (`metrics.token`).
    pub metrics_token: Option<String>,
    /// Roles that must sign in with a second factor (`security.totp_roles`).
    pub totp_roles: Vec<zjtx_store::Role>,
    /// Single sign-on, when configured (`oidc.*`).
    pub oidc: Option<Arc<oidc::Provider>>,
    /// Webhooks may go to http:// on this machine (`webhooks.allow_local`; tests).
    pub webhooks_allow_local: bool,
    /// How the public reaches the bureau about a notice (`notice.contact`).
    pub notice_contact: String,
    /// The institutions' screenings this instance keeps (`finance::ScreenCache`).
    pub screenings: finance::ScreenCache,
    /// One whole-register computation at a time (`whole`).
    pub whole: whole::Gate,
}

impl AppState {
    pub fn new(
        store: Store,
        rules: Vec<RuleSet>,
        secure_cookies: bool,
    ) -> Result<AppState, error::AppError> {
        Ok(AppState {
            max_evidence: declare::max_evidence(&rules),
            store,
            rules: Arc::new(rules),
            secure_cookies,
            dummy_hash: auth::hash_password("zjtx-no-such-user")?,
            regions: Arc::default(),
            evidence_dir: std::env::var_os("ZJTX_EVIDENCE_DIR")
                .map_or_else(|| "zjtx-evidence".into(), Into::into),
            clock: zjtx_store::Clock::default(),
            mailer: None,
            key_limits: keys::Limits::default(),
            exchange_settle_secs: 600,
            metrics: metrics::Metrics::default(),
            limits: config::Limits::default(),
            metrics_token: std::env::var("ZJTX_METRICS_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            totp_roles: Vec::new(),
            oidc: None,
            webhooks_allow_local: false,
            notice_contact: String::new(),
            screenings: finance::ScreenCache::default(),
            whole: whole::Gate::default(),
        })
    }

    /// Takes the configured evidence directory, limits, metrics token, second-factor roles and
    /// single sign-on.
    pub fn configure(mut self, c: &config::Config) -> AppState {
        self.evidence_dir = c.get("evidence.dir").into();
        self.limits = c.limits();
        self.metrics_token = c.opt("metrics.token").map(str::to_owned);
        self.totp_roles = c
            .list("security.totp_roles")
            .iter()
            .filter_map(|r| zjtx_store::Role::parse(r))
            .collect();
        self.webhooks_allow_local = c.flag("webhooks.allow_local");
        self.notice_contact = c.get("notice.contact").to_owned();
        self.oidc = match oidc::Provider::from_config(c) {
            Ok(p) => p.map(Arc::new),
            Err(e) => {
                tracing::error!(error = %e, "single sign-on is off");
                None
            }
        };
        self
    }

    /// Keeps evidence files under `dir`.
    pub fn with_evidence_dir(mut self, dir: impl Into<std::path::PathBuf>) -> AppState {
        self.evidence_dir = dir.into();
        self
    }

    /// The workflow's date.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The re-review window of the rules in force today, in months: what "expiring" means in
    /// the list, the dashboard and the enterprise page.
    pub fn rereview_window(&self) -> u32 {
        zjtx_core::rule_set_for(&self.rules, self.today())
            .or(self.rules.first())
            .map_or(0, |r| r.titles.rereview_window_months)
    }

    /// Sets the workflow's date (`None`: the calendar's), for every clone of this state.
    pub fn set_today(&self, date: Option<chrono::NaiveDate>) {
        self.clock.set(date);
    }

    /// The districts within a scope, in code order.
    pub async fn districts(
        &self,
        scope: &zjtx_store::Scope,
    ) -> Result<Vec<&zjtx_store::Region>, error::AppError> {
        Ok(self
            .regions()
            .await?
            .iter()
            .filter(|r| r.kind != "province" && r.kind != "city")
            .filter(|r| {
                scope
                    .regions
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(&r.code))
            })
            .collect())
    }

    /// The chains, by ecosystem, as the store holds them now (the bureau edits them: every
    /// instance sees a change at its next request — the lists are kept while their change
    /// counter stands, `Store::chain_lists`).
    pub async fn chains(&self) -> Result<Vec<zjtx_store::ChainRow>, error::AppError> {
        Ok(self.store.chain_lists_now().await?.chains.clone())
    }

    /// The regions (province, city, districts), read from the store on first use.
    pub async fn regions(&self) -> Result<&[zjtx_store::Region], error::AppError> {
        Ok(self
            .regions
            .get_or_try_init(|| self.store.regions())
            .await?
            .as_slice())
    }
}

const CSS: &str = include_str!("../static/app.css");

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
}

/// The site's icon (a small SVG, no request for a missing `favicon.ico` in every log).
async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        include_str!("../static/favicon.svg"),
    )
}

/// A path no route serves: the API's problem details, or the pages' "not found" page (in the
/// reader's language, with the way back), never an empty answer.
async fn no_route(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        api::ApiError::from(error::AppError::NotFound).into_response()
    } else {
        error::AppError::NotFound.into_response()
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Batches of the audit log sealed per two-second tick at the most.
const SEAL_BATCHES_PER_TICK: usize = 4;

/// The largest form or JSON body a route without an upload accepts.
pub const MAX_FORM: usize = 256 << 10;

/// Every route of the application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(metrics::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/static/app.css", get(css))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/", get(pages::home))
        .route("/account", get(pages::account))
        .route("/account/password", post(pages::change_password))
        .route("/login/totp", get(totp::form).post(totp::login_code))
        .route("/login/oidc", get(oidc::start))
        .route("/login/oidc/callback", get(oidc::callback))
        .route("/account/totp/start", post(totp::start))
        .route("/account/totp/confirm", post(totp::confirm))
        .route("/account/totp/remove", post(totp::remove))
        .route("/account/keys", get(keys::keys).post(keys::create_key))
        .route("/account/keys/{id}/revoke", post(keys::revoke_key))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/enterprises", get(pages::enterprises))
        .route("/enterprises/export.xlsx", get(import::export))
        .route("/enterprises/{uscc}", get(pages::enterprise))
        .route("/enterprises/{uscc}/chains", post(pages::set_chains))
        .route("/enterprises/{uscc}/district", post(pages::move_district))
        .route(
            "/import",
            get(import::form)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(state.limits.import)),
        )
        .route("/import/{id}/commit", post(import::commit))
        .route("/import/template.xlsx", get(import::template))
        .route(
            "/batches",
            get(declare::batches).post(declare::create_batch),
        )
        .route("/batches/{id}", get(declare::batch))
        .route("/batches/{id}/archive", post(declare::archive_batch))
        .route("/batches/{id}/declare", post(declare::declare))
        .route("/batches/{id}/draw", post(declare::draw))
        .route("/batches/{id}/notice", post(declare::publish_notice))
        .route("/batches/{id}/recognise", post(declare::recognise))
        .route("/declarations/{id}", get(declare::declaration))
        .route("/declarations/{id}/figures", post(declare::save_figures))
        .route(
            "/declarations/{id}/evidence",
            post(declare::upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                state.max_evidence + (1 << 20),
            )),
        )
        .route("/declarations/{id}/submit", post(declare::submit))
        .route("/declarations/{id}/withdraw", post(declare::withdraw))
        .route("/declarations/{id}/review", post(declare::review))
        .route("/declarations/{id}/score", post(declare::score))
        .route("/evidence/{id}", get(declare::evidence_file))
        .route("/experts", get(declare::experts).post(declare::add_expert))
        .route("/experts/{id}/active", post(declare::set_expert_active))
        .route(
            "/experts/{id}/conflicts",
            post(declare::add_expert_conflict),
        )
        .route("/draws/{id}", get(declare::draw_page))
        .route("/notice", get(declare::notice))
        .route("/notice/objection", post(declare::object))
        .route("/objections/{id}/resolve", post(declare::resolve_objection))
        .route("/decisions/{id}", get(declare::decision))
        .route("/certificates/{id}", get(declare::certificate))
        .route("/titled", get(declare::titled))
        .route("/titles/{uscc}", get(declare::titles))
        .route("/titles/{uscc}/revoke", post(declare::revoke))
        .route("/titles/{uscc}/{tier}/update", post(declare::yearly_update))
        .route("/titles/{uscc}/{tier}/change", post(declare::report_change))
        .route("/titles/{uscc}/{tier}/rereview", post(declare::rereview))
        .route("/messages", get(declare::messages))
        .route("/finance", get(finance::hub))
        .route("/finance/products", post(finance::create_product))
        .route("/finance/products/{id}", get(finance::product_page))
        .route(
            "/finance/products/{id}/review",
            post(finance::review_product),
        )
        .route(
            "/finance/products/{id}/withdraw",
            post(finance::withdraw_product),
        )
        .route("/finance/products/{id}/apply", post(finance::apply))
        .route("/finance/needs", post(finance::post_need))
        .route("/finance/needs/{id}/respond", post(finance::respond_need))
        .route("/finance/consents", post(finance::grant))
        .route("/finance/consents/{id}/revoke", post(finance::revoke))
        .route("/finance/applications/{id}/step", post(finance::step))
        .route("/finance/enterprises/{uscc}", get(finance::enterprise_page))
        .route("/finance/screen", get(finance::screen))
        .route("/finance/searches", post(finance::save_search))
        .route(
            "/finance/webhooks",
            get(finance::webhooks::webhooks_page).post(finance::webhooks::create_webhook),
        )
        .route(
            "/finance/webhooks/{id}/remove",
            post(finance::webhooks::remove_webhook),
        )
        .route("/finance/institutions", post(finance::create_institution))
        .route("/finance/events", post(finance::create_event))
        .route(
            "/finance/events/{id}/participants",
            post(finance::add_participant),
        )
        .route("/finance/listing", post(finance::set_stage))
        .route("/finance/stats", get(finance::stats))
        .route("/finance/stats.xlsx", get(finance::stats_xlsx))
        .route("/lang/{code}", get(i18n::switch))
        .route("/api-docs", get(api::docs_page))
        .route(
            "/chains/events",
            get(chains::events).post(chains::create_event),
        )
        .route("/chains/events.xlsx", get(chains::events_xlsx))
        .route("/chains/events/{id}", get(chains::event::event))
        .route(
            "/chains/events/{id}/parties",
            post(chains::event::add_party),
        )
        .route(
            "/chains/events/{id}/outcomes",
            post(chains::event::add_outcome),
        )
        .route(
            "/chains/outcomes/{id}/status",
            post(chains::event::set_status),
        )
        .route("/chains/records", get(chains::records::records))
        .route("/chains/map", get(chains::map::map))
        .route("/chains/military", get(chains::military::list))
        .route("/enterprises/{uscc}/military", post(chains::military::set))
        .route("/chains", post(chains::map::add_chain))
        .route("/chains/rename", post(chains::map::rename_chain))
        .route("/chains/retire", post(chains::map::retire_chain))
        .route("/chains/segments", post(chains::map::add_segment))
        .route("/chains/segments/rename", post(chains::map::rename_segment))
        .route("/chains/segments/retire", post(chains::map::retire_segment))
        .route("/enterprises/{uscc}/segments", post(pages::set_segments))
        .route("/catalogue", get(catalogue::public))
        .route("/catalogue.xlsx", get(catalogue::public_xlsx))
        .route(
            "/catalogue/entries",
            get(catalogue::work).post(catalogue::submit),
        )
        .route(
            "/catalogue/entries/{id}/resubmit",
            post(catalogue::resubmit),
        )
        .route("/catalogue/entries/{id}/review", post(catalogue::review))
        .route("/catalogue/entries/{id}/notice", post(catalogue::notice))
        .route("/catalogue/entries/{id}/list", post(catalogue::list))
        .route("/catalogue/entries/{id}/delist", post(catalogue::delist))
        .route(
            "/catalogue/entries/{id}/objections",
            post(catalogue::object),
        )
        .route(
            "/catalogue/objections/{id}/resolve",
            post(catalogue::resolve),
        )
        .route(
            "/challenges",
            get(challenges::public).post(challenges::work::post),
        )
        .route("/challenges/manage", get(challenges::work::manage))
        .route("/challenges/{id}", get(challenges::detail))
        .route("/challenges/{id}/revise", post(challenges::work::revise))
        .route("/challenges/{id}/screen", post(challenges::work::screen))
        .route(
            "/challenges/{id}/withdraw",
            post(challenges::work::withdraw),
        )
        .route(
            "/challenges/{id}/applications",
            post(challenges::work::apply),
        )
        .route("/challenges/{id}/start", post(challenges::work::start))
        .route(
            "/challenge-applications/{id}/withdraw",
            post(challenges::work::withdraw_application),
        )
        .route(
            "/challenge-applications/{id}/select",
            post(challenges::work::select),
        )
        .route(
            "/challenge-applications/{id}/milestones",
            post(challenges::work::add_milestone),
        )
        .route(
            "/challenge-applications/{id}/accept",
            post(challenges::work::accept),
        )
        .route(
            "/challenge-applications/{id}/fail",
            post(challenges::work::fail),
        )
        .route(
            "/challenge-milestones/{id}/report",
            post(challenges::work::report),
        )
        .route(
            "/challenge-milestones/{id}/confirm",
            post(challenges::work::confirm),
        )
        .route("/funds", get(funds::funds))
        .route("/funds/calls", post(funds::open_call))
        .route("/funds/calls/{id}", get(funds::call))
        .route("/funds/calls/{id}/budget", post(funds::set_budget))
        .route(
            "/funds/calls/{id}/forecast",
            post(funds::forecast).layer(axum::extract::DefaultBodyLimit::max(funds::MAX_UPLOAD)),
        )
        .route("/funds/calls/{id}/applications", post(funds::apply))
        .route("/funds/applications/{id}", get(funds::application))
        .route("/funds/applications/{id}/review", post(funds::review))
        .route("/funds/applications/{id}/resubmit", post(funds::resubmit))
        .route("/funds/applications/{id}/approve", post(funds::approve))
        .route("/funds/applications/{id}/reject", post(funds::reject))
        .route("/funds/applications/{id}/pay", post(funds::pay))
        .route("/funds/applications/{id}/recover", post(funds::recover))
        .route(
            "/funds/applications/{id}/invoices",
            post(funds::upload_invoice).layer(axum::extract::DefaultBodyLimit::max(
                state.max_evidence + (1 << 20),
            )),
        )
        .route("/funds/invoices/{id}", get(funds::invoice_file))
        .route("/monitoring/clearings", get(monitoring::clearings))
        .route("/monitoring/two-ways", get(monitoring::two_ways_page))
        .route("/monitoring/rates", get(monitoring::rates_page))
        .route("/monitoring/rule-change", get(monitoring::rule_change))
        .route("/monitoring/bulletin", get(monitoring::bulletin::page))
        .route("/monitoring/bulletin.xlsx", get(monitoring::bulletin::xlsx))
        .route("/monitoring/projected", get(monitoring::outlook::projected))
        .route("/monitoring/cohorts", get(monitoring::outlook::cohorts))
        .route(
            "/monitoring/bulletin/list",
            get(monitoring::bulletin::list_page),
        )
        .route("/monitoring/clearings/snapshot", post(monitoring::snapshot))
        .route("/monitoring/clearings/{id}/actions", post(monitoring::act))
        .route(
            "/monitoring/clearings/{id}/request",
            post(monitoring::request),
        )
        .route(
            "/monitoring/clearings/{id}/decide",
            post(monitoring::decide),
        )
        .route("/providers", get(providers::page))
        .route("/providers/profile", post(providers::profile))
        .route("/providers/records", post(providers::add_record))
        .route("/providers/selection", post(providers::publish))
        .route("/providers/selected", get(providers::selected))
        // The API: every route registered with its documentation (`api::router`).
        .merge(api::router().0)
        // Pages computed from every firm's figures: one at a time, off the request threads.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            whole::gate,
        ))
        // Who may use each route: `access::TABLE`, applied before any handler.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        // Outside the access check, so that refusals are counted too.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .fallback(no_route)
        .layer(axum::middleware::from_fn(api::problems))
        .layer(axum::middleware::from_fn(error::plain_rejections))
        .layer(axum::middleware::from_fn(i18n::scope))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit_refusals,
        ))
        // Forms and JSON: `limits.form_kb` at most (the import and the evidence routes set their
        // own).
        .layer(axum::extract::DefaultBodyLimit::max(state.limits.form))
        // Outermost: the request's id, header and time limits, its log line.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            requests::observe,
        ))
        // The answer compressed (gzip or Brotli) when the client accepts it.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Every refused request (not signed in, forbidden, a forged form, too large, too many
/// attempts) leaves an audit record with its path and the client's address.
async fn audit_refusals(
    axum::extract::State(st): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let source = auth::client_addr(&parts);
    let path = parts.uri.path().to_owned();
    let method = parts.method.clone();
    let res = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    let status = res.status().as_u16();
    if matches!(status, 401 | 403 | 413 | 429) {
        let detail = format!("{status} {method} {source}");
        if let Err(e) = st.store.audit(None, "refused", Some(&path), &detail).await {
            tracing::warn!(error = %e, "auditing a refused request failed");
        }
    }
    res
}

/// What every response says about itself: no framing, no sniffing, no scripts, no referrer sent
/// off the site; and nothing kept in caches unless the handler chose to (the stylesheet).
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, axum::http::HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}

/// Serves the application on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Every second the reads' audit records held in memory are written (one insert), and the
    // audit log is sealed into its hash chain in short batches with pauses between them, so that
    // a backlog (after a bulk tagging, say) is worked off without holding up requests: at most
    // SEAL_BATCHES_PER_TICK batches a tick.
    // The search index is built once the server runs, not at the first search (a million firms
    // take seconds to read).
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.fresh_search().await {
            tracing::warn!(error = %e, "building the search index failed; the first search retries");
        }
    });
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            for _ in 0..SEAL_BATCHES_PER_TICK {
                match store.seal_audit().await {
                    Ok(n) if n >= zjtx_store::SEAL_BATCH => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "sealing the audit log failed; next time");
                        break;
                    }
                }
            }
        }
    });
    finance::webhooks::spawn_worker(state.clone());
    let store = state.store.clone();
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    // The reads of the last second are written before the process ends.
    if let Err(e) = store.flush_reads().await {
        tracing::error!(error = %e, "writing the last reads' audit records failed");
    }
    Ok(())
}
