//! What the store gives and takes.

use chrono::NaiveDate;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
}

/// An industrial chain and the ecosystem it is named under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainRow {
    pub name: String,
    pub ecosystem: String,
    pub name_en: String,
    /// The day the bureau retired it: it keeps its tags and events but takes no new ones.
    pub retired_on: Option<String>,
}

/// A segment (细分赛道) of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub chain: String,
    pub name: String,
    /// The day the bureau retired it: it keeps its tags but takes no new ones.
    pub retired_on: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub enterprises: usize,
    /// Yearly figure rows written (new or replaced).
    pub years: usize,
    /// Enterprises that were not registered before.
    pub created: usize,
}

/// What an import may touch (`Store::import` allows everything: the command line, the demo).
#[derive(Clone, Debug)]
pub struct ImportGuard {
    /// The region codes whose enterprises the import may create or update; `None`: any.
    pub regions: Option<Vec<String>>,
    /// Whether a row may move a registered enterprise to another district.
    pub moves: bool,
}

/// Filters of the enterprise list. Empty strings mean "any".
#[derive(Clone, Debug)]
pub struct Filter {
    pub region: Option<String>,
    pub ecosystem: Option<String>,
    /// Tagged with this chain.
    pub chain: Option<String>,
    /// Carrying this segment of the chain (with `chain`).
    pub segment: Option<String>,
    /// GB/T 4754 section letter (or a longer code prefix).
    pub section: Option<String>,
    pub size: Option<String>,
    pub top_tier: Option<String>,
    /// A title held on `today`.
    pub title: Option<String>,
    /// Passes this tier now without holding its title (the candidate pipeline).
    pub candidate: Option<String>,
    /// Holds this title and it expires within `expiring_months` of `today`.
    pub expiring: Option<String>,
    /// Revenue of the latest year at least / at most, in units of 1/10000 万元.
    pub revenue_min: Option<i64>,
    pub revenue_max: Option<i64>,
    /// Part of the name, or the exact USCC.
    pub q: Option<String>,
    /// Keyset paging: the last USCC of the previous page.
    pub after: Option<String>,
    /// Keyset paging backwards: the first USCC of the page after (a list, not a search: a
    /// search's ranked pages go forward only).
    pub before: Option<String>,
    pub per_page: u32,
    pub today: NaiveDate,
    /// "Expiring" means within this many months of `today` (the rules' re-review window).
    pub expiring_months: u32,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            region: None,
            ecosystem: None,
            chain: None,
            segment: None,
            section: None,
            size: None,
            top_tier: None,
            title: None,
            candidate: None,
            expiring: None,
            revenue_min: None,
            revenue_max: None,
            q: None,
            after: None,
            before: None,
            per_page: 50,
            // The local calendar, as the platform's clock keeps it; the web passes its own.
            today: crate::Clock::system_today(),
            expiring_months: 0,
        }
    }
}

/// What a user may see: regions (with everything below them) and/or one enterprise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// `None`: every region.
    pub regions: Option<Vec<String>>,
    /// `Some`: only this enterprise.
    pub uscc: Option<String>,
}

impl Scope {
    pub fn all() -> Scope {
        Scope::default()
    }
    pub fn none() -> Scope {
        Scope {
            regions: Some(Vec::new()),
            uscc: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnterpriseRow {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub industry_code: String,
    pub ecosystem: Option<String>,
    pub latest_year: i64,
    pub rules: String,
    pub size: zjtx_core::Size,
    pub innovative: zjtx_core::Verdict,
    pub tech_sme: zjtx_core::Verdict,
    pub srdi: zjtx_core::Verdict,
    pub giant: zjtx_core::Verdict,
    pub top_tier: zjtx_core::TopTier,
    /// Units of 1/10000 万元.
    pub revenue: Option<i64>,
    pub employees: Option<i64>,
}

/// A count of enterprises by a key (region or ecosystem) and top tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub key: Option<String>,
    pub label: Option<String>,
    pub tier: String,
    pub n: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub by_region: Vec<CountRow>,
    pub by_ecosystem: Vec<CountRow>,
    /// (tier, enterprises passing it now without holding its title)
    pub candidates: Vec<(String, i64)>,
    /// (tier, titles expiring within six months)
    pub expiring: Vec<(String, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ListPage {
    /// The number of matching enterprises, counted up to `COUNT_CAP`.
    pub total: i64,
    /// Whether there are more than `COUNT_CAP` (the total then reads "2000+").
    pub total_capped: bool,
    pub items: Vec<EnterpriseRow>,
    /// The `after` of the next page, if there is one.
    pub next: Option<String>,
    /// The `before` of the previous page, if there is one.
    pub prev: Option<String>,
}

/// The kinds of users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市经信局: the whole city, sets parameters.
    City,
    /// 区县经信局: its own district only.
    District,
    /// An enterprise: its own record only.
    Enterprise,
    /// A financial institution: what firms consented to show it.
    Institution,
    /// A digital service provider.
    Provider,
    /// A reviewing expert of the pool: the declarations drawn for them, nothing else.
    Expert,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::City,
        Role::District,
        Role::Enterprise,
        Role::Institution,
        Role::Provider,
        Role::Expert,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::District => "district",
            Role::Enterprise => "enterprise",
            Role::Institution => "institution",
            Role::Provider => "provider",
            Role::Expert => "expert",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == s)
    }
}

pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub uscc: Option<String>,
}

/// A stored account. `password_hash` never leaves the server (not serialised).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub uscc: Option<String>,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    /// Where e-mail goes (only sent when an SMTP relay is configured).
    pub email: Option<String>,
    /// The institution a financial institution's staff account works for.
    pub institution_id: Option<i64>,
}

/// Secrets stay out of logs.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub csrf: String,
    pub expires_at: i64,
    /// The account's in-app messages not yet read, counted when the session was looked up (the
    /// header's badge) — up to 100: every request pays for the count, so it is bounded.
    pub unread: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub at: i64,
    pub user_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// A title's latest change, for the bulk exchange's incremental sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TitleChange {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub tier: String,
    /// None: the title was removed (revoked, or gone from an import).
    pub valid_until: Option<String>,
    pub source: String,
    pub changed_at: i64,
}

/// A title in force with its enterprise, for the bulk exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopedTitle {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub tier: String,
    pub valid_until: String,
    /// `decision` (granted on the platform) or `import` (came with a file).
    pub source: String,
}
