//! The bodies the API answers and takes, as types: each handler builds one of these, and the
//! OpenAPI document's schemas are derived from the same types (`utoipa::ToSchema`), so a field
//! sent is a field documented. Amounts are exact 万元 as strings (`"12.5"`, to the yuan) unless
//! said otherwise.

use serde::Serialize;
use utoipa::ToSchema;
use zjtx_store::EnterpriseRow;

/// The key a value of the core serializes to (`"published"`, `"no_rd"`).
pub fn key<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// `{"token": …}` for a user name and password.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
}

/// An enterprise of the registry with the engine's verdicts on its latest year.
#[derive(Serialize, ToSchema)]
pub struct Enterprise {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub industry_code: String,
    pub ecosystem: Option<String>,
    pub latest_year: i64,
    /// The rule set of the evaluation (`miit-2022`, `miit-2026`).
    pub rules: String,
    /// `micro`, `small`, `medium`, `large` or `unknown`.
    #[schema(value_type = String)]
    pub size: zjtx_core::Size,
    /// `pass`, `fail` or `review`, as each tier below.
    #[schema(value_type = String)]
    pub innovative: zjtx_core::Verdict,
    #[schema(value_type = String)]
    pub tech_sme: zjtx_core::Verdict,
    #[schema(value_type = String)]
    pub srdi: zjtx_core::Verdict,
    #[schema(value_type = String)]
    pub giant: zjtx_core::Verdict,
    #[schema(value_type = String)]
    pub top_tier: zjtx_core::TopTier,
    /// Units of 1/10000 万元 (yuan).
    pub revenue: Option<i64>,
    pub employees: Option<i64>,
}

impl From<EnterpriseRow> for Enterprise {
    fn from(e: EnterpriseRow) -> Enterprise {
        Enterprise {
            uscc: e.uscc,
            name: e.name,
            region_code: e.region_code,
            region_name: e.region_name,
            industry_code: e.industry_code,
            ecosystem: e.ecosystem,
            latest_year: e.latest_year,
            rules: e.rules,
            size: e.size,
            innovative: e.innovative,
            tech_sme: e.tech_sme,
            srdi: e.srdi,
            giant: e.giant,
            top_tier: e.top_tier,
            revenue: e.revenue,
            employees: e.employees,
        }
    }
}

/// One page of enterprises (keyset paging).
#[derive(Serialize, ToSchema)]
pub struct EnterprisePage {
    /// Matching enterprises, counted up to a bound (`total_capped` when there are more).
    pub total: i64,
    pub total_capped: bool,
    pub items: Vec<Enterprise>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
    /// Pass as `before` for the previous page.
    pub prev: Option<String>,
}

/// A title held: its tier key and the last day it is valid.
#[derive(Serialize, ToSchema)]
pub struct TitleHeld {
    pub tier: String,
    pub valid_until: String,
}

/// One year's template row: the filled cells by the template's column keys.
#[derive(Serialize, ToSchema)]
pub struct YearFigures {
    pub year: i64,
    pub figures: std::collections::BTreeMap<String, String>,
}

/// An enterprise with its titles and every year's figures.
#[derive(Serialize, ToSchema)]
pub struct EnterpriseRecord {
    pub enterprise: Enterprise,
    pub titles: Vec<TitleHeld>,
    pub years: Vec<YearFigures>,
}

/// An industrial chain in force.
#[derive(Serialize, ToSchema)]
pub struct Chain {
    pub name: String,
    pub ecosystem: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChainList {
    pub items: Vec<Chain>,
}

/// A chain matchmaking event.
#[derive(Serialize, ToSchema)]
pub struct ChainEvent {
    pub id: i64,
    pub chain: String,
    pub title: String,
    pub held_on: String,
    pub organiser: String,
    pub place: String,
    /// The kind's key (`matchmaking`, `exhibition`, …).
    pub kind: String,
    pub region_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChainEventList {
    pub year: i64,
    pub items: Vec<ChainEvent>,
}

/// The bureau's line for chain events, counted from the records.
#[derive(Serialize, ToSchema)]
pub struct ChainSummary {
    pub year: i64,
    pub events: i64,
    pub firms: i64,
    pub participations: i64,
    pub orders_wan: String,
    pub financing_wan: String,
    pub projects: i64,
}

/// A product of the published catalogue.
#[derive(Serialize, ToSchema)]
pub struct CatalogueItem {
    pub uscc: String,
    pub enterprise: String,
    pub product: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct Catalogue {
    pub year: i64,
    pub items: Vec<CatalogueItem>,
}

/// A published open challenge (揭榜挂帅).
#[derive(Serialize, ToSchema)]
pub struct Challenge {
    pub id: i64,
    pub chain: String,
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub deadline: String,
    pub budget_wan: Option<String>,
    pub reward: String,
    pub mode: String,
    pub anonymous: bool,
    /// None when the challenge is anonymous.
    pub poster: Option<Poster>,
    pub city_subsidy: bool,
    pub published_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Poster {
    pub uscc: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChallengeList {
    pub items: Vec<Challenge>,
}

/// A call of a funding programme with its amounts.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeCall {
    pub id: i64,
    pub programme: String,
    pub title: String,
    pub category: String,
    pub year: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub budget_wan: String,
    pub committed_wan: String,
    pub paid_wan: String,
    pub recovered_wan: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeList {
    pub items: Vec<ProgrammeCall>,
}

/// An approved (or superseded) award of a call.
#[derive(Serialize, ToSchema)]
pub struct Award {
    pub id: i64,
    pub uscc: String,
    pub enterprise: String,
    pub project: String,
    pub code: String,
    pub status: String,
    pub amount_wan: String,
    pub city_wan: String,
    pub district_wan: String,
    pub paid_wan: String,
    pub recovered_wan: String,
    pub decided_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AwardList {
    pub programme: String,
    pub items: Vec<Award>,
}

/// One figure of the bulletin: its id, value, unit and where its records are listed.
#[derive(Serialize, ToSchema)]
pub struct BulletinFigure {
    pub id: String,
    pub value: String,
    pub unit: String,
    pub list: String,
}

#[derive(Serialize, ToSchema)]
pub struct Bulletin {
    pub year: i64,
    pub region: Option<String>,
    pub figures: Vec<BulletinFigure>,
}

/// A record behind a bulletin figure.
#[derive(Serialize, ToSchema)]
pub struct BulletinRecord {
    pub uscc: String,
    pub name: String,
    pub what: String,
    pub date: String,
    pub amount_wan: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BulletinList {
    pub id: String,
    pub year: i64,
    pub region: Option<String>,
    pub unit: String,
    pub value: String,
    pub rows: Vec<BulletinRecord>,
}

/// A clearing list's totals.
#[derive(Serialize, ToSchema)]
pub struct ClearingTotals {
    pub listed: usize,
    pub cleared: usize,
    pub reentries: usize,
    /// Cleared among listed, as a percentage with one decimal.
    pub rate: String,
}

/// A firm on a clearing list.
#[derive(Serialize, ToSchema)]
pub struct ClearingItem {
    /// `no_rd` or `no_institution`.
    pub list: String,
    pub uscc: String,
    pub enterprise: String,
    pub district: Option<String>,
    pub revenue_wan: String,
    pub status: String,
    pub reentry: bool,
    /// How many actions were recorded.
    pub actions: i64,
    pub cleared_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Clearings {
    pub year: i64,
    /// `no_rd` and `no_institution`.
    pub lists: std::collections::BTreeMap<String, ClearingTotals>,
    pub items: Vec<ClearingItem>,
}

/// A financial product.
#[derive(Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// `draft`, `pending`, `listed`, `rejected` or `withdrawn`.
    pub status: String,
    pub min_amount_wan: String,
    pub max_amount_wan: String,
    pub term_min_months: i64,
    pub term_max_months: i64,
    pub rate_kind: String,
    /// The rate in basis points.
    pub rate_bp: i64,
    pub collateral: Vec<String>,
    /// The product's eligibility conditions as the rule file's predicates.
    #[schema(value_type = Object)]
    pub eligibility: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct ProductList {
    pub products: Vec<Product>,
}

/// A financing need of an enterprise.
#[derive(Serialize, ToSchema)]
pub struct Need {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub amount_wan: String,
    pub purpose: String,
    pub term_months: i64,
    pub collateral: Vec<String>,
    pub status: String,
    /// Seconds since 1970 (UTC).
    pub created_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct NeedList {
    pub needs: Vec<Need>,
}

/// An application for a product.
#[derive(Serialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub product_id: i64,
    pub product: String,
    pub need_id: Option<i64>,
    pub amount_wan: String,
    /// `applied`, `accepted`, `granted`, `disbursed` or `declined`.
    pub status: String,
    pub granted_amount_wan: Option<String>,
    pub granted_on: Option<String>,
    pub disbursed_on: Option<String>,
    pub decline_reason: Option<String>,
    pub created_on: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationList {
    pub applications: Vec<Application>,
}

/// A consent of an enterprise to an institution.
#[derive(Serialize, ToSchema)]
pub struct Consent {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub categories: Vec<String>,
    pub predicates_only: bool,
    pub purpose: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentList {
    pub consents: Vec<Consent>,
}

/// A band of a figure an institution may read as predicates only.
#[derive(Serialize, ToSchema)]
pub struct Band {
    pub from: i64,
    pub below: Option<i64>,
}

/// A declaration batch (a call for one tier in one year) with its deadlines.
#[derive(Serialize, ToSchema)]
pub struct Batch {
    pub id: i64,
    /// `innovative`, `srdi` or `giant`.
    pub tier: String,
    pub year: i64,
    /// The rule set its declarations are judged under.
    pub rules: String,
    pub title: String,
    pub declare_until: String,
    pub district_until: String,
    pub city_until: String,
    pub notice_from: Option<String>,
    pub notice_until: Option<String>,
    pub quota: Option<i64>,
    pub archived: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BatchList {
    pub batches: Vec<Batch>,
}

/// A declaration as a list shows it.
#[derive(Serialize, ToSchema)]
pub struct DeclarationItem {
    pub id: i64,
    pub batch_id: i64,
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    /// `draft`, `submitted`, `returned`, `withdrawn`, `recommended`, `rejected`, `approved`,
    /// `notice`, `recognised` or `refused`.
    pub status: String,
    pub notice_from: Option<String>,
    pub notice_until: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeclarationList {
    pub declarations: Vec<DeclarationItem>,
}

/// A rule of the declared tier as the engine judges the declared figures: what a reviewer
/// gives an opinion on.
#[derive(Serialize, ToSchema)]
pub struct DeclaredRule {
    pub id: String,
    pub clause: String,
    /// `pass`, `fail`, `review`; null for a rule that only scores.
    pub verdict: Option<String>,
}

/// A district's or the city's review.
#[derive(Serialize, ToSchema)]
pub struct ReviewRecord {
    /// `district` or `city`.
    pub level: String,
    pub reviewer: String,
    /// `recommend`, `approve`, `return` or `reject`.
    pub decision: String,
    pub reason: String,
    /// The rules the reviewer disagreed with, and why.
    pub disagreements: std::collections::BTreeMap<String, String>,
}

/// A declaration with the engine's verdict on the declared figures and the reviews so far
/// (the experts' scores are not given here).
#[derive(Serialize, ToSchema)]
pub struct DeclarationDetail {
    #[serde(flatten)]
    pub item: DeclarationItem,
    pub tier: String,
    /// The tier's verdict on the declared figures, under the batch's rule set, today.
    pub verdict: String,
    pub rules: Vec<DeclaredRule>,
    pub reviews: Vec<ReviewRecord>,
}

/// One rule's opinion in a review.
#[derive(serde::Deserialize, ToSchema)]
pub struct Opinion {
    pub agree: bool,
    /// Required when disagreeing.
    #[serde(default)]
    pub reason: String,
}

/// A district's or the city's review of a declaration.
#[derive(serde::Deserialize, ToSchema)]
pub struct ReviewRequest {
    /// District: `recommend`, `return` or `reject`; city: `approve`, `return` or `reject`.
    pub decision: String,
    /// Required to return or reject.
    #[serde(default)]
    pub reason: String,
    /// An opinion on every rule of the tier (`rules` of the declaration), by rule id.
    pub opinions: std::collections::BTreeMap<String, Opinion>,
    /// The city approving before every drawn expert scored: why.
    #[serde(default)]
    pub override_scores: String,
    /// The city approving a declaration the evaluation does not pass: why.
    #[serde(default)]
    pub override_evaluation: String,
}

/// The enterprise's submission.
#[derive(serde::Deserialize, ToSchema)]
pub struct SubmitRequest {
    /// The truthfulness pledge, signed.
    pub pledge: bool,
}

/// A declaration on public notice today.
#[derive(Serialize, ToSchema)]
pub struct NoticeItem {
    pub declaration_id: i64,
    pub batch_id: i64,
    pub tier: String,
    pub year: i64,
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub notice_from: Option<String>,
    pub notice_until: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeList {
    pub items: Vec<NoticeItem>,
}

/// A financing need as an enterprise's system posts it.
#[derive(serde::Deserialize, ToSchema)]
pub struct NeedRequest {
    /// 万元, exact to the yuan (`"500"`, `"12.5"`).
    pub amount: String,
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: i64,
    pub purpose: String,
    /// The collateral it can offer: keys of the rule file (`none`, `property`, `equipment`,
    /// `receivables`, `ip`, `guarantee`, …).
    #[serde(default)]
    pub collateral: Vec<String>,
}

/// An institution's answer to a need routed to it.
#[derive(serde::Deserialize, ToSchema)]
pub struct RespondRequest {
    /// One of its listed products, recommended with the answer.
    #[serde(default)]
    pub product: Option<i64>,
    pub text: String,
}

/// A firm a screening finds.
#[derive(Serialize, ToSchema)]
pub struct ScreenedFirm {
    pub uscc: String,
    pub name: String,
    pub district: String,
    /// `consent` (read under a consent in force) or `public` (the public titled list).
    pub basis: String,
}

/// One page of a screening.
#[derive(Serialize, ToSchema)]
pub struct Screening {
    /// How many firms pass, over every page, counted up to a bound (`total_capped` when there
    /// are more).
    pub total: usize,
    pub total_capped: bool,
    pub items: Vec<ScreenedFirm>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

/// The finance zone's figures over a period.
#[derive(Serialize, ToSchema)]
pub struct FinanceStats {
    pub from: String,
    pub to: String,
    pub region: Option<String>,
    pub institutions: i64,
    pub products_listed: i64,
    pub needs_posted: i64,
    pub needs_met: i64,
    pub applications: i64,
    pub granted_count: i64,
    pub granted_wan: String,
    pub disbursed_count: i64,
    pub disbursed_wan: String,
    pub enterprises_served: i64,
    pub by_tier: Vec<TierServed>,
}

/// Firms served and credit granted, by the firms' top tier.
#[derive(Serialize, ToSchema)]
pub struct TierServed {
    pub tier: String,
    pub enterprises: i64,
    pub granted_wan: String,
}

/// A title in force on the public list.
#[derive(Serialize, ToSchema)]
pub struct PublicTitle {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    /// `innovative`, `srdi` or `giant`.
    pub tier: String,
    pub valid_until: String,
    /// `decision` (recognised here; `decision_id` is its decision) or `import` (recognised
    /// before, imported with the registry).
    pub source: String,
    pub decision_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TitleList {
    pub items: Vec<PublicTitle>,
}

/// A drawn expert's score of a declaration.
#[derive(serde::Deserialize, ToSchema)]
pub struct ScoreRequest {
    /// 0–100.
    pub score: i64,
    /// The expert's opinion (required).
    pub comment: String,
}
