//! Rule files: the thresholds, bands and points of each rule set, with the clause each comes from.
//!
//! A rule set is `common.toml` (size classification, the common gates, 创新型 and 科技型) plus its own
//! file (`miit-2022.toml`, `miit-2026.toml`). Both are embedded; a [`RuleSource`] may supply any of
//! them instead (a bureau's rules directory), so that a parameter changes without recompiling.
//! Loading is strict: an unknown key, a malformed value or bands out of order is an error that names
//! the file and the place.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::enterprise::{AwardLevel, Incident, MakersChina, RdInstitution};
use crate::num::{Dec4, Ppm, Wan};

/// A score or number of points, exact to four decimals.
pub type Points = Dec4;

/// Where rule files come from. The engine never knows which.
pub trait RuleSource {
    /// The text of the named file (`common.toml`, `miit-2022.toml`, …), or `None` if this source
    /// does not have it.
    fn read(&self, file: &str) -> Result<Option<String>, String>;
}

/// The rule files compiled into the program.
pub struct Embedded;

pub const EMBEDDED_FILES: &[(&str, &str)] = &[
    ("common.toml", include_str!("../rules/common.toml")),
    ("miit-2022.toml", include_str!("../rules/miit-2022.toml")),
    ("miit-2026.toml", include_str!("../rules/miit-2026.toml")),
];

impl RuleSource for Embedded {
    fn read(&self, file: &str) -> Result<Option<String>, String> {
        Ok(EMBEDDED_FILES
            .iter()
            .find(|(n, _)| *n == file)
            .map(|(_, t)| (*t).to_owned()))
    }
}

/// The ids of the rule sets the platform knows.
pub const RULE_SET_IDS: &[&str] = &["miit-2022", "miit-2026"];

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {message}")]
    Malformed { file: String, message: String },
    #[error("rule file {file} could not be read: {message}")]
    Unreadable { file: String, message: String },
    #[error("rule file {0} was not found")]
    Missing(String),
    #[error("unknown rule set {0:?} (known: miit-2022, miit-2026)")]
    UnknownSet(String),
    #[error("no rule set applies on {0}")]
    NoneApplies(NaiveDate),
}

/// A qualitative condition: only its clause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub clause: String,
    pub conf: String,
}

/// A scored indicator on a ratio: the first band whose lower bound the ratio meets gives its points.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatioBands {
    pub clause: String,
    pub conf: String,
    #[serde(default)]
    pub bands: Vec<(Ppm, Points)>,
    /// Bands read as upper bounds (a debt ratio): the first band whose bound the ratio is at or under.
    #[serde(default)]
    pub at_most: Vec<(Ppm, Points)>,
    pub otherwise: Points,
}

/// Points by class of intellectual property.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpPoints {
    pub clause: String,
    pub conf: String,
    pub high_value: Points,
    pub self_developed: Points,
    pub class1: Points,
    pub class2: Points,
    pub none: Points,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SizeIndicator {
    Employees,
    Revenue,
    TotalAssets,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeRow {
    pub id: String,
    pub zh: String,
    pub scope: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub indicators: Vec<SizeIndicator>,
    pub large: Vec<Wan>,
    pub medium: Vec<Wan>,
    pub small: Vec<Wan>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeTable {
    pub clause: String,
    pub conf: String,
    pub rows: Vec<SizeRow>,
    /// For each two-digit division, what a code in it picks, worked out once when loading.
    #[serde(skip)]
    pub by_division: Vec<SizeLookup>,
}

/// What the size table gives a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizeLookup {
    /// Every code of the division picks this row.
    Row(usize),
    /// No row applies to any code of the division.
    NoRow,
    /// The row depends on the group or class digits: match the code against the scopes.
    #[default]
    ByCode,
}

impl SizeTable {
    /// Builds `by_division` from the rows' scopes.
    fn index(&mut self) {
        let mut by = vec![SizeLookup::ByCode; 100];
        for (div, slot) in by.iter_mut().enumerate().skip(1) {
            let Some(sec) = crate::ids::section_of_division(div as u8) else {
                continue;
            };
            let key = format!("{}{div:02}", sec.letter);
            let all = self
                .rows
                .iter()
                .flat_map(|r| r.scope.iter().chain(r.exclude.iter()));
            if all
                .clone()
                .any(|s| s.len() > key.len() && s.starts_with(&key))
            {
                continue;
            }
            let hits: Vec<usize> = self
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.scope.iter().any(|s| key.starts_with(s.as_str()))
                        && !r.exclude.iter().any(|s| key.starts_with(s.as_str()))
                })
                .map(|(i, _)| i)
                .collect();
            *slot = match hits.as_slice() {
                [] => SizeLookup::NoRow,
                [i] => SizeLookup::Row(*i),
                _ => SizeLookup::ByCode,
            };
        }
        self.by_division = by;
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonGates {
    pub sme: Clause,
    pub lists: Clause,
    pub products: Clause,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum IncidentFlag {
    #[serde(rename = "security_incident_3y")]
    SecurityIncident3y,
    #[serde(rename = "quality_incident_3y")]
    QualityIncident3y,
    #[serde(rename = "environment_violation_3y")]
    EnvironmentViolation3y,
    #[serde(rename = "tax_violation_3y")]
    TaxViolation3y,
    #[serde(rename = "industry_violation_3y")]
    IndustryViolation3y,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentGate {
    pub id: String,
    pub clause: String,
    pub conf: String,
    /// The lowest accident grade that fails the gate.
    pub min_grade: IncidentKey,
    pub flags: Vec<IncidentFlag>,
}

macro_rules! key_enum {
    ($name:ident => $target:ident { $($k:literal => $v:ident),* }) => {
        /// A rule-file spelling of an input enum.
        #[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
        pub enum $name { $( #[serde(rename = $k)] $v ),* }
        impl From<$name> for $target {
            fn from(k: $name) -> $target { match k { $( $name::$v => $target::$v ),* } }
        }
    };
}
key_enum!(IncidentKey => Incident { "none" => None, "general" => General, "larger" => Larger, "major" => Major, "extraordinary" => Extraordinary });
key_enum!(LevelKey => RdInstitution { "none" => None, "below_city" => BelowCity, "city" => City, "provincial" => Provincial, "national" => National });
key_enum!(AwardKey => AwardLevel { "none" => None, "provincial" => Provincial, "national" => National });
key_enum!(MakersKey => MakersChina { "none" => None, "top500" => Top500, "top50" => Top50 });

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetGates {
    pub incident: IncidentGate,
}

/// An award condition: a level among `levels`, ranked within `max_rank` (if given), in the window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardRule {
    pub clause: String,
    pub conf: String,
    pub levels: Vec<AwardKey>,
    pub max_rank: Option<u32>,
    pub window_years: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionRule {
    pub clause: String,
    pub conf: String,
    pub min_level: LevelKey,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cx {
    pub clause: String,
    pub conf: String,
    pub min_total: Points,
    pub min_innovation: Points,
    pub min_growth: Points,
    pub min_specialisation: Points,
    pub d1: AwardRule,
    pub d2: Clause,
    pub d3: InstitutionRule,
    pub d4: EquityRule3,
    pub ip: IpPoints,
    pub rd_intensity: RatioBands,
    pub main_growth: RatioBands,
    pub debt_ratio: RatioBands,
    pub product_field: ProductField,
    pub main_share: RatioBands,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquityRule3 {
    pub clause: String,
    pub conf: String,
    pub min_equity_3y: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductField {
    pub clause: String,
    pub conf: String,
    pub emerging: Points,
    pub other: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KjCaps {
    pub clause: String,
    pub conf: String,
    pub max_employees: u32,
    pub max_revenue: Wan,
    pub max_assets: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KjIp {
    pub clause: String,
    pub conf: String,
    pub class1: Points,
    /// (minimum count of class-II, points), best first.
    pub class2: Vec<(u32, Points)>,
    pub none: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kj {
    pub clause: String,
    pub conf: String,
    pub min_total: Points,
    pub caps: KjCaps,
    pub d1: Clause,
    pub d2: AwardRule,
    pub d3: InstitutionRule,
    pub d4: Clause,
    pub tech_staff: RatioBands,
    pub rd_revenue: RatioBands,
    pub rd_cost: RatioBands,
    pub ip: KjIp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    pub size: SizeTable,
    pub gates: CommonGates,
    pub cx: Cx,
    pub kj: Kj,
    pub high_tech: HighTech,
    pub disclosure: crate::finance::Disclosure,
    pub declaration: DeclarationDefaults,
    pub catalogue: CatalogueRules,
    pub challenge: ChallengeRules,
    pub providers: ProviderRules,
    pub clearings: ClearingRules,
    pub above_scale: AboveScaleRules,
}

/// Above-scale industry (规上工业): the sections and the main-business revenue threshold (万元).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AboveScaleRules {
    pub clause: String,
    pub conf: String,
    pub sections: Vec<String>,
    pub main_revenue: Wan,
}

/// The two clearings' lists: the industry section and the revenue thresholds (万元).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearingRules {
    pub clause: String,
    pub conf: String,
    pub section: String,
    pub no_rd_revenue: Wan,
    pub no_institution_revenue: Wan,
}

/// Digital engineering service providers: the index's weights and the yearly selection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderRules {
    pub clause: String,
    pub conf: String,
    pub select_max: u32,
    pub award_share: Ppm,
    pub award_cap: Wan,
    pub w_clients: Dec4,
    pub w_value: Dec4,
    pub w_delivered: Dec4,
    pub w_acceptance: Dec4,
    pub w_uplift: Dec4,
    pub w_satisfaction: Dec4,
}

/// Open challenges (揭榜挂帅): the selection's bounds and the city's optional subsidy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRules {
    pub clause: String,
    pub conf: String,
    /// The most solvers a poster selects (at least one).
    pub select_max: u32,
    /// Each of the four selection scores runs from 0 to this.
    pub score_max: u32,
    /// The subsidy's share of the poster's investment, and its cap (万元).
    pub subsidy_share: Ppm,
    pub subsidy_cap: Wan,
}

/// The quality-product catalogue (优质产品推荐目录): how long its public notice runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueRules {
    pub clause: String,
    pub conf: String,
    /// Working days of public notice (weekends do not count).
    pub notice_working_days: u32,
}

/// A declaration batch's defaults and its evidence's bound (the platform's own policy).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationDefaults {
    pub clause: String,
    pub conf: String,
    /// Days of public notice a new batch proposes.
    pub notice_days_default: u32,
    /// The most days of notice a batch may set.
    pub notice_days_max: u32,
    /// The largest evidence file, in MiB.
    pub evidence_max_mb: u32,
    /// Reminders: a declaration due within this many days, a yearly update within this many.
    pub remind_declaration_days: u32,
    pub remind_update_days: u32,
    /// Experts drawn for each declaration: what a new batch proposes, and the most it may set.
    pub experts_per_default: u32,
    pub experts_per_max: u32,
}

/// The high-tech enterprise certificate, as the tiers read it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HighTech {
    pub clause: String,
    pub conf: String,
    /// Months a certificate is valid from its issue date.
    pub validity_months: u32,
}

/// A title's life after recognition under one rule set (tiers.md §8).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Titles {
    pub clause: String,
    pub conf: String,
    /// Months a title is valid from its recognition (and a passed re-review extends it by).
    pub validity_months: u32,
    /// The yearly information update for year Y is due on this month and day of Y + 1.
    pub update_due_month: u32,
    pub update_due_day: u32,
    /// A re-review may be asked in the last this many months of validity.
    pub rereview_window_months: u32,
    /// Months a revocation bars new declarations.
    pub ban_months: u32,
}

impl Titles {
    /// When the yearly update for `year` is due.
    pub fn update_due(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year + 1, self.update_due_month, self.update_due_day)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prerequisite {
    pub clause: String,
    pub conf: String,
    /// Whether the condition applies at all (a parameter where the national text is unclear).
    #[serde(default = "yes")]
    pub required: bool,
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinYears {
    pub clause: String,
    pub conf: String,
    pub min_years: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinRd {
    pub clause: String,
    pub conf: String,
    pub min_rd: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinIntensity {
    pub clause: String,
    pub conf: String,
    pub min_intensity: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueOrEquity {
    pub clause: String,
    pub conf: String,
    pub min_revenue: Wan,
    pub min_equity_2y: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinTotal {
    pub clause: String,
    pub conf: String,
    pub min_total: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zx22Award {
    pub clause: String,
    pub conf: String,
    pub provincial_max_rank: u32,
    pub national_max_rank: u32,
    pub window_years: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinAvgRd {
    pub clause: String,
    pub conf: String,
    pub min_avg_rd: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinEquity2y {
    pub clause: String,
    pub conf: String,
    pub min_equity_2y: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakersRule {
    pub clause: String,
    pub conf: String,
    pub min_group: MakersKey,
    pub window_years: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NichePoints {
    pub clause: String,
    pub conf: String,
    pub years_per_point: i64,
    pub max: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zx22ProductField {
    pub clause: String,
    pub conf: String,
    pub chain_gap: Points,
    pub six_basics: Points,
    pub other: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelPoints {
    pub clause: String,
    pub conf: String,
    /// (minimum level, points), best first.
    pub levels: Vec<(u8, Points)>,
    pub otherwise: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPoints {
    pub clause: String,
    pub conf: String,
    pub per_item: Points,
    pub max: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPoints {
    pub clause: String,
    pub conf: String,
    pub max: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdInput {
    pub clause: String,
    pub conf: String,
    pub amount: Vec<(Wan, Points)>,
    pub intensity: Vec<(Ppm, Points)>,
    pub otherwise: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionPoints {
    pub clause: String,
    pub conf: String,
    pub national: Points,
    pub provincial: Points,
    pub city: Points,
    pub below_city: Points,
    pub none: Points,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Srdi22 {
    pub clause: String,
    pub conf: String,
    pub prerequisite: Prerequisite,
    pub niche: MinYears,
    pub rd_amount: MinRd,
    pub rd_intensity: MinIntensity,
    pub revenue: RevenueOrEquity,
    pub score: MinTotal,
    pub d1: Zx22Award,
    pub d2: MinAvgRd,
    pub d3: MinEquity2y,
    pub d4: MakersRule,
    pub main_share: RatioBands,
    pub main_growth: RatioBands,
    pub niche_points: NichePoints,
    pub product_field: Zx22ProductField,
    pub digital: LevelPoints,
    pub quality: ItemPoints,
    pub net_margin: RatioBands,
    pub debt_ratio: RatioBands,
    pub local: MaxPoints,
    pub ip: IpPoints,
    pub rd_input: RdInput,
    pub rd_staff: RatioBands,
    pub rd_institution: InstitutionPoints,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinShare {
    pub clause: String,
    pub conf: String,
    pub min_share: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinAvgGrowth {
    pub clause: String,
    pub conf: String,
    pub min_avg_growth: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxRatio {
    pub clause: String,
    pub conf: String,
    pub max_ratio: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketShare22 {
    pub clause: String,
    pub conf: String,
    /// In percent (the template's `market_share` is a percentage).
    pub min_share: Dec4,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntensityTier {
    pub min_revenue: Wan,
    pub min_intensity: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Giant22General {
    pub clause: String,
    pub conf: String,
    pub tiers: Vec<IntensityTier>,
    pub small_min_equity_2y: Wan,
    pub small_min_rd_2y: Wan,
    pub small_min_rd_staff_share: Ppm,
    pub min_ip1_applied: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Giant22 {
    pub clause: String,
    pub conf: String,
    pub prerequisite: Prerequisite,
    pub niche: MinYears,
    pub main_share: MinShare,
    pub main_growth: MinAvgGrowth,
    pub core_it: Clause,
    pub quality: Clause,
    pub debt: MaxRatio,
    pub market_share: MarketShare22,
    pub brand: Clause,
    pub general: Giant22General,
    pub d1: AwardRule,
    pub d2: MakersRule,
    pub chain: Clause,
    pub key_field: Clause,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdBothYears {
    pub clause: String,
    pub conf: String,
    pub min_rd: Wan,
    pub min_intensity: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Innovation26 {
    pub clause: String,
    pub conf: String,
    pub min_ip1_applied: u32,
    pub award_levels: Vec<AwardKey>,
    pub award_max_rank: u32,
    pub award_window_years: i32,
    pub min_rd_institution: Option<LevelKey>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinScore {
    pub clause: String,
    pub conf: String,
    pub min_score: Dec4,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Srdi26 {
    pub clause: String,
    pub conf: String,
    pub prerequisite: Prerequisite,
    pub niche: MinYears,
    pub revenue: RevenueOrEquity,
    pub main_share: MinShare,
    pub debt: MaxRatio,
    pub rd: RdBothYears,
    pub innovation: Innovation26,
    pub market: Clause,
    pub quality_score: MinScore,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinRevenue {
    pub clause: String,
    pub conf: String,
    pub min_revenue: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinCompoundGrowth {
    pub clause: String,
    pub conf: String,
    pub min_compound_growth: Ppm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinRd2y {
    pub clause: String,
    pub conf: String,
    pub min_rd_2y: Wan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market26 {
    pub clause: String,
    pub conf: String,
    pub min_share: Dec4,
    pub allow_rank: bool,
    pub max_rank: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Giant26 {
    pub clause: String,
    pub conf: String,
    pub prerequisite: Prerequisite,
    pub niche: MinYears,
    pub revenue: MinRevenue,
    pub main_share: MinShare,
    pub growth: MinCompoundGrowth,
    pub debt: MaxRatio,
    pub rd_total: MinRd2y,
    pub rd_intensity: MinIntensity,
    pub innovation: Innovation26,
    pub market: Market26,
    pub key_field: Clause,
    pub quality_score: MinScore,
}

/// The file of one rule set, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    id: String,
    title: String,
    document: String,
    applies_from: Option<NaiveDate>,
    applies_until: Option<NaiveDate>,
    gates: SetGates,
    titles: Titles,
    srdi22: Option<Srdi22>,
    giant22: Option<Giant22>,
    srdi26: Option<Srdi26>,
    giant26: Option<Giant26>,
}

/// The SRDI and little-giant rules of one generation of the measures.
#[derive(Debug, Clone)]
pub enum Upper {
    Miit2022 {
        srdi: Box<Srdi22>,
        giant: Box<Giant22>,
    },
    Miit2026 {
        srdi: Box<Srdi26>,
        giant: Box<Giant26>,
    },
}

/// A complete, validated rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub id: String,
    pub title: String,
    pub document: String,
    /// First day on which the set applies (inclusive), if bounded.
    pub applies_from: Option<NaiveDate>,
    /// First day on which it no longer applies (exclusive), if bounded.
    pub applies_until: Option<NaiveDate>,
    /// Shared by the sets loaded together, so that an evaluation under both computes it once.
    pub common: std::sync::Arc<Common>,
    /// The incident gate's rule id, resolved when loading.
    pub incident_rule: crate::trace::RuleId,
    pub gates: SetGates,
    pub titles: Titles,
    pub upper: Upper,
}

impl RuleSet {
    pub fn applies_on(&self, d: NaiveDate) -> bool {
        self.applies_from.is_none_or(|f| d >= f) && self.applies_until.is_none_or(|u| d < u)
    }
}

fn read(src: &dyn RuleSource, file: &str) -> Result<String, RuleError> {
    let own = src.read(file).map_err(|m| RuleError::Unreadable {
        file: file.into(),
        message: m,
    })?;
    match own {
        Some(t) => Ok(t),
        None => Embedded
            .read(file)
            .ok()
            .flatten()
            .ok_or_else(|| RuleError::Missing(file.into())),
    }
}

fn malformed(file: &str, message: impl Into<String>) -> RuleError {
    RuleError::Malformed {
        file: file.into(),
        message: message.into(),
    }
}

/// Loads and validates one rule set from a source (falling back to the embedded file for any file
/// the source does not have).
pub fn load(src: &dyn RuleSource, id: &str) -> Result<RuleSet, RuleError> {
    load_with(src, id, load_common(src)?)
}

/// Reads `common.toml` and indexes its size table.
fn load_common(src: &dyn RuleSource) -> Result<std::sync::Arc<Common>, RuleError> {
    let common_text = read(src, "common.toml")?;
    let mut common: Common =
        toml::from_str(&common_text).map_err(|e| malformed("common.toml", e.to_string()))?;
    common.size.index();
    Ok(std::sync::Arc::new(common))
}

fn load_with(
    src: &dyn RuleSource,
    id: &str,
    common: std::sync::Arc<Common>,
) -> Result<RuleSet, RuleError> {
    if !RULE_SET_IDS.contains(&id) {
        return Err(RuleError::UnknownSet(id.into()));
    }
    let file = format!("{id}.toml");
    let text = read(src, &file)?;
    let set: SetFile = toml::from_str(&text).map_err(|e| malformed(&file, e.to_string()))?;
    if set.id != id {
        return Err(malformed(
            &file,
            format!("declares id {:?}, expected {id:?}", set.id),
        ));
    }
    let upper = match (set.srdi22, set.giant22, set.srdi26, set.giant26) {
        (Some(s), Some(g), None, None) => Upper::Miit2022 {
            srdi: Box::new(s),
            giant: Box::new(g),
        },
        (None, None, Some(s), Some(g)) => Upper::Miit2026 {
            srdi: Box::new(s),
            giant: Box::new(g),
        },
        _ => {
            return Err(malformed(
                &file,
                "needs either [srdi22] and [giant22], or [srdi26] and [giant26]",
            ));
        }
    };
    let incident_rule = match set.gates.incident.id.as_str() {
        "G22-INC" => crate::trace::RuleId::G22Inc,
        "G26-INC" => crate::trace::RuleId::G26Inc,
        other => {
            return Err(malformed(
                &file,
                format!("gates.incident.id {other:?} is not G22-INC or G26-INC"),
            ));
        }
    };
    let rs = RuleSet {
        incident_rule,
        id: set.id,
        title: set.title,
        document: set.document,
        applies_from: set.applies_from,
        applies_until: set.applies_until,
        common,
        gates: set.gates,
        titles: set.titles,
        upper,
    };
    validate(&rs).map_err(|(f, m)| malformed(f, m))?;
    Ok(rs)
}

/// Both rule sets, sharing one copy of `common.toml`.
pub fn load_all(src: &dyn RuleSource) -> Result<Vec<RuleSet>, RuleError> {
    let common = load_common(src)?;
    RULE_SET_IDS
        .iter()
        .map(|id| load_with(src, id, common.clone()))
        .collect()
}

fn check_desc<T: Ord + Copy + std::fmt::Display>(
    what: &str,
    bands: &[(T, Points)],
) -> Result<(), String> {
    for w in bands.windows(2) {
        if w[0].0 <= w[1].0 || w[0].1 < w[1].1 {
            return Err(format!(
                "{what}: bands must go from the highest bound and most points down ({} then {})",
                w[0].0, w[1].0
            ));
        }
    }
    Ok(())
}

fn check_asc(what: &str, bands: &[(Ppm, Points)]) -> Result<(), String> {
    for w in bands.windows(2) {
        if w[0].0 >= w[1].0 || w[0].1 < w[1].1 {
            return Err(format!(
                "{what}: at_most bands must go from the lowest bound and most points up ({} then {})",
                w[0].0, w[1].0
            ));
        }
    }
    Ok(())
}

fn check_ratio(what: &str, b: &RatioBands) -> Result<(), String> {
    if b.bands.is_empty() == b.at_most.is_empty() {
        return Err(format!("{what}: give exactly one of bands and at_most"));
    }
    check_desc(what, &b.bands)?;
    check_asc(what, &b.at_most)
}

fn validate(rs: &RuleSet) -> Result<(), (&'static str, String)> {
    let c = &rs.common;
    let common = |m: String| ("common.toml", m);
    for row in &c.size.rows {
        let n = row.indicators.len();
        if n == 0 || row.large.len() != n || row.medium.len() != n || row.small.len() != n {
            return Err(common(format!(
                "size row {}: large, medium and small need one bound per indicator",
                row.id
            )));
        }
        for i in 0..n {
            if !(row.large[i] >= row.medium[i] && row.medium[i] >= row.small[i]) {
                return Err(common(format!(
                    "size row {}: bounds must fall from large to small",
                    row.id
                )));
            }
        }
    }
    for (what, b) in [
        ("cx.rd_intensity", &c.cx.rd_intensity),
        ("cx.main_growth", &c.cx.main_growth),
        ("cx.debt_ratio", &c.cx.debt_ratio),
        ("cx.main_share", &c.cx.main_share),
        ("kj.tech_staff", &c.kj.tech_staff),
        ("kj.rd_revenue", &c.kj.rd_revenue),
        ("kj.rd_cost", &c.kj.rd_cost),
    ] {
        check_ratio(what, b).map_err(common)?;
    }
    check_desc("kj.ip.class2", &c.kj.ip.class2).map_err(common)?;
    let own = if matches!(rs.upper, Upper::Miit2022 { .. }) {
        "miit-2022.toml"
    } else {
        "miit-2026.toml"
    };
    if let Upper::Miit2022 { srdi, giant } = &rs.upper {
        for (what, b) in [
            ("srdi22.main_share", &srdi.main_share),
            ("srdi22.main_growth", &srdi.main_growth),
            ("srdi22.net_margin", &srdi.net_margin),
            ("srdi22.debt_ratio", &srdi.debt_ratio),
            ("srdi22.rd_staff", &srdi.rd_staff),
        ] {
            check_ratio(what, b).map_err(|m| (own, m))?;
        }
        check_desc("srdi22.rd_input.amount", &srdi.rd_input.amount).map_err(|m| (own, m))?;
        check_desc("srdi22.rd_input.intensity", &srdi.rd_input.intensity).map_err(|m| (own, m))?;
        check_desc("srdi22.digital.levels", &srdi.digital.levels).map_err(|m| (own, m))?;
        if srdi.niche_points.years_per_point <= 0 {
            return Err((
                own,
                "srdi22.niche_points.years_per_point must be ≥ 1".into(),
            ));
        }
        let t = &giant.general.tiers;
        if t.is_empty() || t.windows(2).any(|w| w[0].min_revenue <= w[1].min_revenue) {
            return Err((
                own,
                "giant22.general.tiers must be non-empty and go from the highest revenue down"
                    .into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
