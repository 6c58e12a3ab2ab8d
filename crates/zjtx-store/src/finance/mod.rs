//! The finance zone: institutions and their staff, products and their review, financing needs,
//! consent and every access it allows, saved screenings, applications and outcomes, matchmaking
//! events, the listing pipeline, and the statistics counted from them.
//!
//! As in `declare`, every change of state is one transaction with its audit record, guarded on
//! the state it starts from.

use serde::Serialize;
use sqlx::Row;
pub use zjtx_core::workflow::application::Status as ApplicationStatus;
pub use zjtx_core::workflow::product::Status as ProductStatus;

use super::declare::{audit, messages, outbox, stmt};
use super::{Bind, Message, Result, Store, StoreError, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct Institution {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Product {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub name: String,
    pub kind: String,
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_min: i64,
    pub term_max: i64,
    pub rate_kind: String,
    /// Basis points: the annual rate (fixed) or the spread over LPR.
    pub rate_bp: i64,
    /// Comma-separated collateral modes.
    pub collateral: String,
    pub repayment: String,
    pub channel: String,
    /// `zjtx_core::finance::Eligibility` as JSON.
    pub eligibility: String,
    pub status: ProductStatus,
    pub review_reason: Option<String>,
}

pub struct NewProduct {
    pub institution_id: i64,
    pub name: String,
    pub kind: String,
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_min: i64,
    pub term_max: i64,
    pub rate_kind: String,
    pub rate_bp: i64,
    pub collateral: String,
    pub repayment: String,
    pub channel: String,
    pub eligibility: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Need {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub amount: i64,
    pub purpose: String,
    pub term_months: i64,
    pub collateral: String,
    /// open, met, closed.
    pub status: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NeedResponse {
    pub institution: String,
    pub product_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consent {
    pub id: i64,
    pub uscc: String,
    pub institution_id: i64,
    pub institution: String,
    /// Comma-separated categories.
    pub categories: String,
    pub predicates_only: bool,
    pub purpose: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked: bool,
}

impl Consent {
    pub fn covers(&self, category: &str) -> bool {
        self.categories.split(',').any(|c| c == category)
    }
}

impl zjtx_core::workflow::consent::Terms for Consent {
    fn id(&self) -> i64 {
        self.id
    }
    fn covers(&self, category: &str) -> bool {
        Consent::covers(self, category)
    }
    fn predicates_only(&self) -> bool {
        self.predicates_only
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Access {
    pub institution: String,
    pub username: String,
    pub categories: String,
    pub route: String,
    pub consent_id: Option<i64>,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SavedSearch {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The screening's query string.
    pub filter: String,
    /// USCCs already seen, comma-separated.
    pub seen: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Application {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub product_id: i64,
    pub product: String,
    pub institution_id: i64,
    pub need_id: Option<i64>,
    pub amount: i64,
    pub status: ApplicationStatus,
    pub granted_amount: Option<i64>,
    pub granted_on: Option<String>,
    pub disbursed_on: Option<String>,
    pub decline_reason: Option<String>,
    pub created_on: String,
    /// The firm's district when it applied.
    pub region_code: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub status: String,
    pub detail: String,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FinEvent {
    pub id: i64,
    pub title: String,
    pub held_on: String,
    pub region_code: Option<String>,
    /// (enterprise USCC or institution id as text, outcome, amount).
    pub participants: Vec<(String, String, Option<i64>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub stage: String,
    pub updated_at: i64,
}

/// The finance statistics of a period and (optionally) some districts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FinStats {
    pub institutions: i64,
    pub products_listed: i64,
    pub needs_posted: i64,
    pub needs_met: i64,
    pub applications: i64,
    pub granted_count: i64,
    pub granted_amount: i64,
    pub disbursed_count: i64,
    pub disbursed_amount: i64,
    pub enterprises_served: i64,
    /// (top tier, enterprises served, amount granted).
    pub by_tier: Vec<(String, i64, i64)>,
}

const PRODUCT_COLS: &str =
    "p.*, i.name AS institution FROM products p JOIN institutions i ON i.id = p.institution_id";
const APPLICATION_COLS: &str = "a.*, e.name AS name, p.name AS product FROM applications a \
     JOIN enterprises e ON e.uscc = a.uscc JOIN products p ON p.id = a.product_id";

macro_rules! product_row {
    ($r:expr) => {{
        let r = $r;
        Product {
            id: r.try_get("id")?,
            institution_id: r.try_get("institution_id")?,
            institution: r.try_get("institution")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            min_amount: r.try_get("min_amount")?,
            max_amount: r.try_get("max_amount")?,
            term_min: r.try_get("term_min")?,
            term_max: r.try_get("term_max")?,
            rate_kind: r.try_get("rate_kind")?,
            rate_bp: r.try_get("rate_bp")?,
            collateral: r.try_get("collateral")?,
            repayment: r.try_get("repayment")?,
            channel: r.try_get("channel")?,
            eligibility: r.try_get("eligibility")?,
            status: {
                let s: String = r.try_get("status")?;
                ProductStatus::parse(&s).ok_or_else(|| {
                    sqlx::Error::Decode(format!("unknown product status {s:?}").into())
                })?
            },
            review_reason: r.try_get("review_reason")?,
        }
    }};
}

macro_rules! application_row {
    ($r:expr) => {{
        let r = $r;
        Application {
            id: r.try_get("id")?,
            uscc: r.try_get("uscc")?,
            name: r.try_get("name")?,
            product_id: r.try_get("product_id")?,
            product: r.try_get("product")?,
            institution_id: r.try_get("institution_id")?,
            need_id: r.try_get("need_id")?,
            amount: r.try_get("amount")?,
            status: {
                let s: String = r.try_get("status")?;
                ApplicationStatus::parse(&s).ok_or_else(|| {
                    sqlx::Error::Decode(format!("unknown application status {s:?}").into())
                })?
            },
            granted_amount: r.try_get("granted_amount")?,
            granted_on: r.try_get("granted_on")?,
            disbursed_on: r.try_get("disbursed_on")?,
            decline_reason: r.try_get("decline_reason")?,
            created_on: r.try_get("created_on")?,
            region_code: r.try_get("region_code")?,
        }
    }};
}

impl Store {}

impl Store {
    /// One row of `n` and `s` (a count and a sum).
    async fn count2(&self, q: &(String, Vec<Bind<'_>>)) -> Result<(i64, i64)> {
        let sql = self.sql(&q.0).into_owned();
        Ok(on_pool!(self, p => {
            let mut query = sqlx::query(safe(&sql));
            for b in &q.1 {
                query = b.bind_to(query);
            }
            let r = query.fetch_one(p).await?;
            (r.try_get::<i64, _>("n")?, r.try_get::<Option<i64>, _>("s")?.unwrap_or(0))
        }))
    }
}

/// Unix seconds at the start of a date (UTC), or 0.
fn day_start(d: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp())
}

mod applications;
mod consent;
mod events;
mod institutions;
mod needs;
mod products;
pub use products::ListedCache;
mod screenings;
mod stats;
mod subjects;
pub use subjects::{
    AccessRead, AsSeen, Narrow, SUBJECT_CHANGES_KEPT_SECS, Subject, SubjectSet, SubjectsMark,
};
