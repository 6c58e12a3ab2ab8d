//! Who may use each route, declared once. The router refuses a request whose role the table does
//! not allow before any handler runs (`enforce`), the every-route × every-role test reads the
//! table, and a route missing from it is refused to everyone, the city included (so a new route
//! without its line fails every test that calls it). What a permitted role may see — its district,
//! its own firm, the declarations it holds a seat on, what a consent covers — is the scope rule
//! named in the last column, checked by the handler (a record outside it reads as absent).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zjtx_store::Role::{self, City, District, Enterprise, Expert, Institution, Provider};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// No sign-in (public pages, the sign-in itself, the public notice, the API's token).
    Public,
    /// These roles, signed in by session cookie or bearer token.
    Roles(&'static [Role]),
    /// No account: the local machine, or a caller with the operators' token (`metrics`).
    Operator,
}

/// One line of the table.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
    /// The scope rule the handler applies within the permitted roles.
    pub scope: &'static str,
}

pub const ALL: &[Role] = &[City, District, Enterprise, Institution, Provider, Expert];
const REGISTRY: &[Role] = &[City, District, Enterprise];
const BUREAU: &[Role] = &[City, District];
const CITY: &[Role] = &[City];
const DISTRICT: &[Role] = &[District];
const FIRM: &[Role] = &[Enterprise];
const CITY_OR_FIRM: &[Role] = &[City, Enterprise];
const CITY_OR_PROVIDER: &[Role] = &[City, Provider];
const PROVIDER: &[Role] = &[Provider];
const LENDER: &[Role] = &[Institution];
/// The seats that may create keys for their systems.
const KEY_HOLDERS: &[Role] = &[City, District, Institution];
/// The finance zone: everyone but providers and experts.
const FINANCE: &[Role] = &[City, District, Enterprise, Institution];

const fn a(method: &'static str, path: &'static str, who: Who, scope: &'static str) -> Access {
    Access {
        method,
        path,
        who,
        scope,
    }
}
use Who::{Operator, Public, Roles};

/// Every route of the application.
#[rustfmt::skip]
pub const TABLE: &[Access] = &[
    a("GET", "/healthz", Public, "—"),
    a("GET", "/readyz", Public, "— (the database answers)"),
    a("GET", "/metrics", Operator, "local callers, or the ZJTX_METRICS_TOKEN bearer"),
    a("GET", "/static/app.css", Public, "—"),
    a("GET", "/static/favicon.svg", Public, "—"),
    a("GET", "/favicon.ico", Public, "— (the same icon)"),
    a("GET", "/login", Public, "—"),
    a("POST", "/login", Public, "counted per address and name"),
    a("GET", "/lang/{code}", Public, "—"),
    a("POST", "/logout", Roles(ALL), "own session"),
    a("GET", "/", Roles(ALL), "own start page"),
    a("GET", "/account", Roles(ALL), "own account"),
    a("POST", "/account/password", Roles(ALL), "own account"),
    a("GET", "/login/oidc", Public, "— (to the configured provider)"),
    a("GET", "/login/oidc/callback", Public, "this browser's sign-in at the provider (state, nonce, PKCE)"),
    a("GET", "/login/totp", Public, "a sign-in whose password was right (its cookie)"),
    a("POST", "/login/totp", Public, "that sign-in; wrong codes counted per account"),
    a("POST", "/account/totp/start", Roles(ALL), "own account"),
    a("POST", "/account/totp/confirm", Roles(ALL), "own account"),
    a("POST", "/account/totp/remove", Roles(ALL), "own account, with a code; not a role that requires it"),
    a("GET", "/account/keys", Roles(KEY_HOLDERS), "its institution's, district's or the bureau's keys"),
    a("POST", "/account/keys", Roles(KEY_HOLDERS), "a key of its own seat, copying its role and scope"),
    a("POST", "/account/keys/{id}/revoke", Roles(KEY_HOLDERS), "a key of its own seat"),
    a("GET", "/messages", Roles(ALL), "own messages"),
    a("GET", "/dashboard", Roles(BUREAU), "city: all; district: its own"),
    a("GET", "/enterprises", Roles(REGISTRY), "city: all; district: its own; enterprise: itself"),
    a("GET", "/enterprises/export.xlsx", Roles(REGISTRY), "as the list"),
    a("GET", "/enterprises/{uscc}", Roles(REGISTRY), "as the list; outside reads as absent"),
    a("POST", "/enterprises/{uscc}/chains", Roles(BUREAU), "the firm within the scope"),
    a("POST", "/enterprises/{uscc}/district", Roles(CITY), "any firm"),
    a("GET", "/import", Roles(BUREAU), "—"),
    a("POST", "/import", Roles(BUREAU), "own upload"),
    a("GET", "/import/template.xlsx", Roles(BUREAU), "— (the empty template)"),
    a("POST", "/import/{id}/commit", Roles(BUREAU), "own upload; rows within the scope, judged on the stored register"),
    a("GET", "/batches", Roles(REGISTRY), "every batch"),
    a("POST", "/batches", Roles(CITY), "—"),
    a("GET", "/batches/{id}", Roles(REGISTRY), "declarations: city those recommended on; district its own; enterprise its own"),
    a("POST", "/batches/{id}/archive", Roles(CITY), "—"),
    a("POST", "/batches/{id}/declare", Roles(FIRM), "itself"),
    a("POST", "/batches/{id}/draw", Roles(CITY), "—"),
    a("POST", "/batches/{id}/notice", Roles(CITY), "—"),
    a("POST", "/batches/{id}/recognise", Roles(CITY), "—"),
    a("GET", "/declarations/{id}", Roles(ALL), "a seat: its enterprise, its district once submitted, the city once recommended, the experts drawn"),
    a("POST", "/declarations/{id}/figures", Roles(FIRM), "its own, while editable"),
    a("POST", "/declarations/{id}/evidence", Roles(FIRM), "its own, while editable"),
    a("POST", "/declarations/{id}/submit", Roles(FIRM), "its own"),
    a("POST", "/declarations/{id}/withdraw", Roles(FIRM), "its own"),
    a("POST", "/declarations/{id}/review", Roles(BUREAU), "a seat, never on one's own firm"),
    a("POST", "/declarations/{id}/score", Roles(&[Expert]), "drawn for it, once"),
    a("GET", "/evidence/{id}", Roles(ALL), "a seat on its declaration"),
    a("GET", "/experts", Roles(CITY), "—"),
    a("POST", "/experts", Roles(CITY), "— (opens an expert's account when the name is new)"),
    a("POST", "/experts/{id}/active", Roles(CITY), "—"),
    a("POST", "/experts/{id}/conflicts", Roles(CITY), "—"),
    a("GET", "/draws/{id}", Public, "pseudonymised inputs only"),
    a("GET", "/notice", Public, "declarations on notice today"),
    a("POST", "/notice/objection", Public, "a declaration on notice today"),
    a("POST", "/objections/{id}/resolve", Roles(CITY), "—"),
    a("GET", "/decisions/{id}", Roles(ALL), "a seat on its declaration; the record redacted by role"),
    a("GET", "/certificates/{id}", Public, "a recognised title"),
    a("GET", "/titled", Public, "titles in force"),
    a("GET", "/titles/{uscc}", Roles(ALL), "registry roles as the list; any other reads it as absent"),
    a("POST", "/titles/{uscc}/revoke", Roles(CITY), "any firm"),
    a("POST", "/titles/{uscc}/{tier}/update", Roles(FIRM), "itself"),
    a("POST", "/titles/{uscc}/{tier}/change", Roles(FIRM), "itself"),
    a("POST", "/titles/{uscc}/{tier}/rereview", Roles(CITY), "any firm"),
    a("GET", "/finance", Roles(FINANCE), "by role: own needs, consents, applications; own products; the bureau's view"),
    a("POST", "/finance/products", Roles(LENDER), "own institution"),
    a("GET", "/finance/products/{id}", Roles(ALL), "the zone's roles: listed, own institution's, or the city reviewing; any other reads it as absent"),
    a("POST", "/finance/products/{id}/review", Roles(CITY), "—"),
    a("POST", "/finance/products/{id}/withdraw", Roles(LENDER), "own institution's"),
    a("POST", "/finance/products/{id}/apply", Roles(FIRM), "itself, a listed product"),
    a("POST", "/finance/needs", Roles(FIRM), "itself"),
    a("POST", "/finance/needs/{id}/respond", Roles(LENDER), "a need routed to it"),
    a("POST", "/finance/consents", Roles(FIRM), "itself"),
    a("POST", "/finance/consents/{id}/revoke", Roles(FIRM), "its own consent"),
    a("POST", "/finance/applications/{id}/step", Roles(LENDER), "an application to its product"),
    a("GET", "/finance/enterprises/{uscc}", Roles(LENDER), "what the firm's consents in force cover, logged"),
    a("GET", "/finance/screen", Roles(LENDER), "consented firms only, logged"),
    a("POST", "/finance/searches", Roles(LENDER), "own searches"),
    a("GET", "/finance/webhooks", Roles(LENDER), "its institution's subscriptions and deliveries"),
    a("POST", "/finance/webhooks", Roles(LENDER), "a subscription of its institution, to its own events"),
    a("POST", "/finance/webhooks/{id}/remove", Roles(LENDER), "its institution's subscription"),
    a("POST", "/finance/institutions", Roles(CITY), "—"),
    a("POST", "/finance/events", Roles(BUREAU), "district: its own"),
    a("POST", "/finance/events/{id}/participants", Roles(BUREAU), "firms within the scope"),
    a("POST", "/finance/listing", Roles(BUREAU), "firms within the scope"),
    a("GET", "/finance/stats", Roles(BUREAU), "city: all; district: its own"),
    a("GET", "/finance/stats.xlsx", Roles(BUREAU), "as the statistics page"),
    a("GET", "/chains/events", Roles(REGISTRY), "city: all; district: its own; firm: the events it took part in"),
    a("POST", "/chains/events", Roles(BUREAU), "district: its own"),
    a("GET", "/chains/events.xlsx", Roles(BUREAU), "as the events page"),
    a("GET", "/chains/events/{id}", Roles(REGISTRY), "as the events page (else absent); a firm sees its own outcomes only"),
    a("POST", "/chains/events/{id}/parties", Roles(BUREAU), "events within the scope"),
    a("POST", "/chains/events/{id}/outcomes", Roles(BUREAU), "events within the scope"),
    a("POST", "/chains/outcomes/{id}/status", Roles(BUREAU), "events within the scope"),
    a("GET", "/chains/records", Roles(BUREAU), "as the events page"),
    a("GET", "/chains/map", Roles(BUREAU), "city: all; district: its own firms"),
    a("GET", "/chains/military", Roles(BUREAU), "city: all; district: its own firms"),
    a("POST", "/enterprises/{uscc}/military", Roles(CITY), "—"),
    a("POST", "/chains", Roles(CITY), "—"),
    a("POST", "/chains/rename", Roles(CITY), "—"),
    a("POST", "/chains/retire", Roles(CITY), "—"),
    a("POST", "/chains/segments", Roles(CITY), "—"),
    a("POST", "/chains/segments/rename", Roles(CITY), "—"),
    a("POST", "/chains/segments/retire", Roles(CITY), "—"),
    a("POST", "/enterprises/{uscc}/segments", Roles(BUREAU), "the firm within the scope; segments of its own chains"),
    a("GET", "/catalogue", Public, "published and on-notice entries only"),
    a("GET", "/catalogue.xlsx", Public, "published entries only"),
    a("GET", "/catalogue/entries", Roles(REGISTRY), "city: all; district: its firms'; firm: its own"),
    a("POST", "/catalogue/entries", Roles(FIRM), "its own, with a valid SRDI or little-giant title"),
    a("POST", "/catalogue/entries/{id}/resubmit", Roles(FIRM), "its own"),
    a("POST", "/catalogue/entries/{id}/review", Roles(BUREAU), "district: its firms'"),
    a("POST", "/catalogue/entries/{id}/notice", Roles(CITY), "—"),
    a("POST", "/catalogue/entries/{id}/list", Roles(CITY), "—"),
    a("POST", "/catalogue/entries/{id}/delist", Roles(CITY), "—"),
    a("POST", "/catalogue/entries/{id}/objections", Roles(ALL), "entries on notice"),
    a("POST", "/catalogue/objections/{id}/resolve", Roles(CITY), "—"),
    a("GET", "/challenges", Public, "published, under way and closed challenges; an anonymous poster shown to the city and the poster only"),
    a("POST", "/challenges", Roles(FIRM), "its own firm as the poster"),
    a("GET", "/challenges/manage", Roles(CITY_OR_FIRM), "city: every challenge; firm: its own challenges, applications and suppliers"),
    a("GET", "/challenges/{id}", Public, "as the list; a challenge not yet published: the poster and the city only (else absent); applications: the poster and the city all, a firm its own"),
    a("POST", "/challenges/{id}/revise", Roles(FIRM), "the poster"),
    a("POST", "/challenges/{id}/screen", Roles(CITY), "—"),
    a("POST", "/challenges/{id}/withdraw", Roles(FIRM), "the poster"),
    a("POST", "/challenges/{id}/applications", Roles(FIRM), "any firm but the poster, until the deadline, once"),
    a("POST", "/challenges/{id}/start", Roles(FIRM), "the poster"),
    a("POST", "/challenge-applications/{id}/withdraw", Roles(FIRM), "the applicant"),
    a("POST", "/challenge-applications/{id}/select", Roles(FIRM), "the poster"),
    a("POST", "/challenge-applications/{id}/milestones", Roles(FIRM), "the poster or the selected applicant"),
    a("POST", "/challenge-applications/{id}/accept", Roles(FIRM), "the poster"),
    a("POST", "/challenge-applications/{id}/fail", Roles(FIRM), "the poster"),
    a("POST", "/challenge-milestones/{id}/report", Roles(FIRM), "the solver"),
    a("POST", "/challenge-milestones/{id}/confirm", Roles(FIRM), "the poster"),
    a("GET", "/funds", Roles(REGISTRY), "every call; a firm also its own applications"),
    a("POST", "/funds/calls", Roles(CITY), "—"),
    a("GET", "/funds/calls/{id}", Roles(REGISTRY), "applications: city all, district its firms', firm its own; budgets: the city's and the district's own"),
    a("POST", "/funds/calls/{id}/budget", Roles(CITY), "—"),
    a("POST", "/funds/calls/{id}/forecast", Roles(BUREAU), "a district's forecast counts its own firms of the registry (and none outside it)"),
    a("POST", "/funds/calls/{id}/applications", Roles(FIRM), "its own firm, while the call is open"),
    a("GET", "/funds/applications/{id}", Roles(REGISTRY), "city: all; district: its firms'; firm: its own (else absent)"),
    a("POST", "/funds/applications/{id}/review", Roles(DISTRICT), "its firms'"),
    a("POST", "/funds/applications/{id}/resubmit", Roles(FIRM), "its own"),
    a("POST", "/funds/applications/{id}/approve", Roles(CITY), "—"),
    a("POST", "/funds/applications/{id}/reject", Roles(CITY), "—"),
    a("POST", "/funds/applications/{id}/pay", Roles(CITY), "—"),
    a("POST", "/funds/applications/{id}/recover", Roles(CITY), "—"),
    a("POST", "/funds/applications/{id}/invoices", Roles(FIRM), "its own, while submitted or returned"),
    a("GET", "/funds/invoices/{id}", Roles(REGISTRY), "as its application (audited)"),
    a("GET", "/providers", Roles(CITY_OR_PROVIDER), "a provider: its own records; the city: every provider's index"),
    a("POST", "/providers/profile", Roles(PROVIDER), "its own"),
    a("POST", "/providers/records", Roles(PROVIDER), "its own; clients from the registry"),
    a("POST", "/providers/selection", Roles(CITY), "—"),
    a("GET", "/providers/selected", Public, "published selections only"),
    a("GET", "/monitoring/clearings", Roles(BUREAU), "city: all; district: its firms"),
    a("GET", "/monitoring/two-ways", Roles(BUREAU), "city: all; district: its firms"),
    a("GET", "/monitoring/rates", Roles(BUREAU), "city: all; district: its firms"),
    a("GET", "/monitoring/rule-change", Roles(BUREAU), "city: all; district: its firms"),
    a("GET", "/monitoring/bulletin", Roles(BUREAU), "city: the city or any district; district: its own"),
    a("GET", "/monitoring/bulletin.xlsx", Roles(BUREAU), "as the bulletin"),
    a("GET", "/monitoring/projected", Roles(BUREAU), "city: all; district: its own firms"),
    a("GET", "/monitoring/cohorts", Roles(BUREAU), "city: all; district: its own firms"),
    a("GET", "/monitoring/bulletin/list", Roles(BUREAU), "as the bulletin: the records behind one of its figures"),
    a("POST", "/monitoring/clearings/snapshot", Roles(CITY), "—"),
    a("POST", "/monitoring/clearings/{id}/actions", Roles(BUREAU), "district: its firms"),
    a("POST", "/monitoring/clearings/{id}/request", Roles(DISTRICT), "its firms"),
    a("POST", "/monitoring/clearings/{id}/decide", Roles(CITY), "—"),
    a("GET", "/api/v1/openapi.json", Public, "—"),
    a("GET", "/api-docs", Public, "— (the document as a page)"),
    a("POST", "/api/v1/auth/token", Public, "counted per address and name"),
    a("GET", "/api/v1/catalogue", Public, "published entries only"),
    a("GET", "/api/v1/challenges", Public, "published challenges only; no anonymous poster"),
    a("GET", "/api/v1/programmes", Roles(REGISTRY), "every call, with its totals"),
    a("GET", "/api/v1/monitoring/clearings", Roles(BUREAU), "city: all; district: its firms"),
    a("GET", "/api/v1/bulletin", Roles(BUREAU), "city: the city or any district; district: its own"),
    a("GET", "/api/v1/bulletin/list", Roles(BUREAU), "as the bulletin: the records behind one of its figures"),
    a("GET", "/api/v1/programmes/{id}/awards", Roles(REGISTRY), "city: all; district: its firms'; firm: its own"),
    a("GET", "/api/v1/chains", Roles(ALL), "—"),
    a("GET", "/api/v1/chain-events", Roles(REGISTRY), "as the events page"),
    a("GET", "/api/v1/chain-events/summary", Roles(BUREAU), "as the events page"),
    a("GET", "/api/v1/enterprises", Roles(REGISTRY), "as the list"),
    a("GET", "/api/v1/enterprises/{uscc}", Roles(REGISTRY), "as the list"),
    a("GET", "/api/v1/enterprises/{uscc}/evaluation", Roles(REGISTRY), "as the list"),
    a("GET", "/api/v1/finance/enterprises/{uscc}", Roles(LENDER), "what the firm's consents in force cover, logged"),
    a("GET", "/api/v1/finance/products", Roles(FINANCE), "institution: its own; others: the listed"),
    a("GET", "/api/v1/exchange/enterprises", Roles(BUREAU), "city: all; district: its own; audited as an export"),
    a("GET", "/api/v1/exchange/titles", Roles(BUREAU), "city: all; district: its own; audited as an export"),
    a("GET", "/api/v1/exchange/title-changes", Roles(BUREAU), "city: all; district: its own; audited as an export"),
    a("GET", "/api/v1/finance/needs", Roles(LENDER), "open needs its listed products match, on consented facts, logged"),
    a("POST", "/api/v1/finance/needs", Roles(FIRM), "itself; bearer only"),
    a("POST", "/api/v1/finance/needs/{id}/respond", Roles(LENDER), "a need routed to it; bearer only"),
    a("GET", "/api/v1/finance/screen", Roles(LENDER), "consented firms and the public titled list, logged"),
    a("GET", "/api/v1/finance/stats", Roles(BUREAU), "city: all; district: its own"),
    a("GET", "/api/v1/finance/applications", Roles(LENDER), "applications to its own products"),
    a("POST", "/api/v1/finance/applications/{id}/step", Roles(LENDER), "its own products' applications; bearer only"),
    a("GET", "/api/v1/batches", Roles(REGISTRY), "every batch"),
    a("GET", "/api/v1/batches/{id}/declarations", Roles(REGISTRY), "as the batch page: city those recommended on; district its own; enterprise its own"),
    a("GET", "/api/v1/declarations/{id}", Roles(ALL), "a seat, as the declaration page"),
    a("POST", "/api/v1/declarations/{id}/submit", Roles(FIRM), "its own; bearer only"),
    a("POST", "/api/v1/declarations/{id}/review", Roles(BUREAU), "a seat, never on one's own firm; bearer only"),
    a("POST", "/api/v1/declarations/{id}/withdraw", Roles(FIRM), "its own; bearer only"),
    a("POST", "/api/v1/declarations/{id}/score", Roles(&[Expert]), "drawn for it, once; bearer only"),
    a("GET", "/api/v1/notices", Public, "declarations on notice today"),
    a("GET", "/api/v1/titles", Public, "titles in force"),
    a("GET", "/api/v1/finance/consents", Roles(FIRM), "its own consents"),
    a("POST", "/api/v1/finance/consents", Roles(FIRM), "a consent of its own, by the consent rules; bearer only"),
    a("POST", "/api/v1/finance/consents/{id}/revoke", Roles(FIRM), "its own consent; bearer only"),
];

/// The line of a route, by method and the path as routed (`/batches/{id}`).
pub fn rule(method: &str, path: &str) -> Option<&'static Access> {
    TABLE.iter().find(|r| r.method == method && r.path == path)
}

/// Refuses a request the table does not allow: the anonymous are sent to sign in (an API call
/// answers 401), a role outside the line gets 403, a route without a line is refused to all.
/// The signed-in user is kept in the request for the handler, which does not look it up again.
pub async fn enforce(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        // No route matched: the router answers 404 (or 405) itself.
        return next.run(req).await;
    };
    let api = path.starts_with("/api/");
    let refuse = |e: AppError| {
        if api {
            crate::api::ApiError::from(e).into_response()
        } else {
            e.into_response()
        }
    };
    let method = req.method().as_str().to_owned();
    // HEAD is served as GET.
    let line =
        rule(&method, &path).or_else(|| (method == "HEAD").then(|| rule("GET", &path)).flatten());
    let roles = match line.map(|l| l.who) {
        // The handler decides an operator's call (`metrics::metrics`).
        Some(Who::Public | Who::Operator) => return next.run(req).await,
        Some(Who::Roles(roles)) => roles,
        None => {
            tracing::error!(%method, %path, "a route without a line in the access table");
            return refuse(AppError::Forbidden);
        }
    };
    let (mut parts, body) = req.into_parts();
    let user = match <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &st,
    )
    .await
    {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    if !roles.contains(&user.user.role) {
        return refuse(AppError::Forbidden);
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
}
