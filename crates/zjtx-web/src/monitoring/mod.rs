//! Monitoring (issue 14): the two clearings (两清零) — the city lists a year's firms from the
//! registry's figures, districts follow each up until the city clears it, and the rates by
//! district are read from the records; the same in the API. The rules are
//! `zjtx_core::workflow::clearing`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::Redirect;
use chrono::Datelike;
use serde::Deserialize;
use zjtx_core::enterprise::RdInstitution;
use zjtx_core::num::Wan;
use zjtx_core::workflow::clearing::{self as flow, Facts, List, Refusal, Seat, Status};
use zjtx_store::{ClearingItem, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::common::wan;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

pub mod bulletin;
pub mod outlook;
pub mod records;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    pub year: String,
}

/// The year of the figures (last year when blank).
fn year_of(st: &AppState, q: &str) -> Result<i32, AppError> {
    match q.trim() {
        "" => Ok(st.today().year() - 1),
        y => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("年度")]))),
    }
}

/// Rows per page of the long lists of the whole-register pages (at a million firms some list
/// tens of thousands).
pub const LIST_PAGE: usize = 100;

/// The page asked for: 1 when blank, refused when not a whole number from 1.
pub(crate) fn page_number(q: &str) -> Result<usize, AppError> {
    match q.trim() {
        "" => Ok(1),
        p => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("页码")]))),
    }
}

/// One page of a long list: its rows, where they stand, and the addresses of the pages beside.
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub total: usize,
    /// The 1-based numbers of the first and last rows shown (0 and 0 when none).
    pub first: usize,
    pub last: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl<T: Clone> Paged<T> {
    /// Page `page` (from 1; past the end, the last) of `all`, `LIST_PAGE` rows a page; `link(n)`
    /// is page n's address. Only the page's rows are copied (`all` is usually kept).
    pub fn of(all: &[T], page: usize, link: impl Fn(usize) -> String) -> Paged<T> {
        let total = all.len();
        let pages = total.div_ceil(LIST_PAGE).max(1);
        let page = page.clamp(1, pages);
        let from = (page - 1) * LIST_PAGE;
        let rows: Vec<T> = all.iter().skip(from).take(LIST_PAGE).cloned().collect();
        Paged {
            first: if rows.is_empty() { 0 } else { from + 1 },
            last: from + rows.len(),
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            rows,
        }
    }
}

impl<T> Paged<T> {
    /// The same page with other rows (those made from its own, one for one).
    pub fn with_rows<U>(self, rows: Vec<U>) -> Paged<U> {
        Paged {
            rows,
            total: self.total,
            first: self.first,
            last: self.last,
            prev: self.prev,
            next: self.next,
        }
    }
}

pub fn list_label(l: List) -> &'static str {
    match l {
        List::NoRd => i18n::t("营收1亿元以上无研发活动"),
        List::NoInstitution => i18n::t("营收5亿元以上无研发机构"),
    }
}

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Listed => i18n::t("待跟进"),
        Status::Following => i18n::t("跟进中"),
        Status::Requested => i18n::t("申请销号"),
        Status::Cleared => i18n::t("已销号"),
    }
}

fn refused(r: Refusal) -> AppError {
    let conflict = |m: String| AppError::Store(zjtx_store::StoreError::Conflict(m));
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::WrongState(s) => conflict(i18n::f(
            "该企业当前为“{}”，不能进行此操作",
            &[&status_label(s)],
        )),
        Refusal::Invalid => {
            AppError::BadRequest(i18n::t("请填写跟进措施和不晚于今天的日期").into())
        }
        Refusal::NoAction => conflict(i18n::t("尚无跟进措施，不能申请销号").into()),
        Refusal::ReasonRequired => AppError::BadRequest(i18n::t("请写明理由").into()),
    }
}

fn seat_of(user: &CurrentUser) -> Seat {
    match user.user.role {
        Role::City => Seat::City,
        Role::District => Seat::District,
        _ => Seat::Other,
    }
}

pub struct ItemRow {
    pub i: ClearingItem,
    pub district: String,
    pub revenue: String,
    pub status: &'static str,
    pub can_act: bool,
    pub can_request: bool,
    pub can_decide: bool,
}

/// (district name, list, listed, cleared, rate %)
pub type RateRow = (String, &'static str, usize, usize, String);

#[derive(Template, WebTemplate)]
#[template(path = "clearings.html")]
pub struct ClearingsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub lists: Vec<(&'static str, Vec<ItemRow>)>,
    pub rates: Vec<RateRow>,
    pub is_city: bool,
    pub today: String,
}

fn district_name(code: Option<&str>) -> String {
    code.and_then(|c| {
        zjtx_core::enterprise::DISTRICTS
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, n)| (*n).to_owned())
    })
    .unwrap_or_else(|| i18n::t("未知").to_owned())
}

/// Listed and cleared by district and list, with the rate.
pub fn rates(items: &[ClearingItem]) -> Vec<RateRow> {
    let mut keys: Vec<(Option<String>, List)> = items
        .iter()
        .map(|i| (i.region_code.clone(), i.list))
        .collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for (region, list) in keys {
        let of: Vec<&ClearingItem> = items
            .iter()
            .filter(|i| i.region_code == region && i.list == list)
            .collect();
        let cleared = of.iter().filter(|i| i.status == Status::Cleared).count();
        out.push((
            district_name(region.as_deref()),
            list_label(list),
            of.len(),
            cleared,
            pct(cleared, of.len()),
        ));
    }
    out
}

/// `part / whole` as a percentage with one decimal (exact integer arithmetic).
pub fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "—".into();
    }
    let tenths = (part * 1000 + whole / 2) / whole;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

async fn visible_items(
    st: &AppState,
    user: &CurrentUser,
    year: i32,
) -> Result<Vec<ClearingItem>, AppError> {
    let scope = user.scope(&st.store).await?;
    let regions = scope.regions.filter(|_| user.user.role == Role::District);
    Ok(st.store.clearing_items(year, regions.as_deref()).await?)
}

/// `GET /monitoring/clearings?year=`.
pub async fn clearings(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> Result<ClearingsPage, AppError> {
    let year = year_of(&st, &q.year)?;
    let items = visible_items(&st, &user, year).await?;
    let seat = seat_of(&user);
    let today = st.today();
    let mut lists: Vec<(&'static str, Vec<ItemRow>)> = Vec::new();
    for l in List::ALL {
        let rows = items
            .iter()
            .filter(|i| i.list == *l)
            .map(|i| ItemRow {
                district: district_name(i.region_code.as_deref()),
                revenue: wan(Some(i.revenue)),
                status: status_label(i.status),
                can_act: flow::act(seat, i.status, "x", &today.to_string(), today).is_ok(),
                can_request: flow::request(seat, i.status, 1).is_ok(),
                can_decide: flow::decide(seat, i.status, true, "x").is_ok(),
                i: i.clone(),
            })
            .collect();
        lists.push((list_label(*l), rows));
    }
    Ok(ClearingsPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        rates: rates(&items),
        lists,
        is_city: seat == Seat::City,
        today: today.to_string(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SnapshotForm {
    pub csrf: String,
    pub year: String,
}

/// The cells the monitoring figures read of a year's cells (JSON), parsed without building the
/// rest: every other cell is skipped unread (a whole `serde_json::Value` of each row, maps and
/// strings for every cell, was most of these pages' time at a few hundred thousand firms).
#[derive(Deserialize, Default)]
struct Few {
    #[serde(default)]
    revenue: Option<serde_json::Value>,
    #[serde(default)]
    rd_expense: Option<serde_json::Value>,
    #[serde(default)]
    rd_institution: Option<serde_json::Value>,
    #[serde(default)]
    main_revenue: Option<serde_json::Value>,
    #[serde(default)]
    high_tech_issued_on: Option<serde_json::Value>,
    #[serde(default)]
    digital_level: Option<serde_json::Value>,
}

impl Few {
    /// The cells of `json`; none when it is not an object.
    fn parse(json: &str) -> Few {
        serde_json::from_str(json).unwrap_or_default()
    }
}

/// A cell of a template row stored as JSON, trimmed ("" when absent or not text).
fn cell(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// A money cell, if filled and well formed.
fn cell_wan(v: &Option<serde_json::Value>) -> Option<Wan> {
    Some(cell(v))
        .filter(|t| !t.is_empty())
        .and_then(|t| Wan::parse(&t).ok())
}

/// A firm's facts of a year, from its template row's cells (JSON).
fn facts(industry_code: &str, cells: &str) -> Facts {
    let v = Few::parse(cells);
    Facts {
        industry_code: industry_code.to_owned(),
        revenue: cell_wan(&v.revenue),
        rd_expense: cell_wan(&v.rd_expense),
        rd_institution: Some(cell(&v.rd_institution))
            .filter(|t| !t.is_empty())
            .and_then(|t| RdInstitution::parse(&t)),
    }
}

/// The firms a year's figures put on the lists: (list, code, district, revenue in units).
pub async fn listed(
    store: &zjtx_store::Store,
    rules: &zjtx_core::rules::ClearingRules,
    year: i32,
) -> Result<Vec<(List, String, Option<String>, i64)>, zjtx_store::StoreError> {
    let mut items = Vec::new();
    for (uscc, region, code, cells) in store.clearing_candidates(year, &rules.section).await? {
        let fa = facts(&code, &cells);
        for l in flow::lists(rules, &fa) {
            items.push((
                l,
                uscc.clone(),
                region.clone(),
                fa.revenue.map_or(0, |w| w.units()),
            ));
        }
    }
    Ok(items)
}

/// `POST /monitoring/clearings/snapshot`: the city lists a year's firms from the registry.
pub async fn snapshot(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<SnapshotForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let year = year_of(&st, &f.year)?;
    let rules = st
        .rules
        .first()
        .map(|r| r.common.clearings.clone())
        .ok_or_else(|| AppError::Internal("no rules".into()))?;
    let items = listed(&st.store, &rules, year).await?;
    st.store
        .snapshot_clearings(year, &items, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/monitoring/clearings?year={year}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    pub on: String,
    pub text: String,
    /// The city's decision: `clear` or `back`.
    pub decision: String,
    pub reason: String,
}

async fn item_or_404(
    st: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<ClearingItem, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let i = st
        .store
        .clearing_item(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&st.store).await?;
    let visible = match user.user.role {
        Role::City => true,
        Role::District => match (&scope.regions, &i.region_code) {
            (Some(rs), Some(r)) => rs.contains(r),
            _ => false,
        },
        _ => false,
    };
    if visible {
        Ok(i)
    } else {
        Err(AppError::NotFound)
    }
}

fn back(year: i64) -> Redirect {
    Redirect::to(&format!("/monitoring/clearings?year={year}"))
}

/// `POST /monitoring/clearings/{id}/actions`: an action of the follow-up.
pub async fn act(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let i = item_or_404(&st, &user, &id).await?;
    let (_, on) =
        flow::act(seat_of(&user), i.status, &f.text, &f.on, st.today()).map_err(refused)?;
    st.store
        .add_clearing_action(
            i.id,
            i.status,
            &on.to_string(),
            f.text.trim(),
            Some(user.user.id),
        )
        .await?;
    Ok(back(i.year))
}

/// `POST /monitoring/clearings/{id}/request`: the district asks for clearance.
pub async fn request(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let i = item_or_404(&st, &user, &id).await?;
    let to = flow::request(
        seat_of(&user),
        i.status,
        usize::try_from(i.actions).unwrap_or(0),
    )
    .map_err(refused)?;
    st.store
        .clearing_step(
            i.id,
            i.status,
            to,
            f.reason.trim(),
            None,
            Some(user.user.id),
        )
        .await?;
    Ok(back(i.year))
}

/// `POST /monitoring/clearings/{id}/decide`: the city clears (`clear`) or sends back (`back`).
pub async fn decide(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let i = item_or_404(&st, &user, &id).await?;
    let clear = f.decision == "clear";
    let to = flow::decide(seat_of(&user), i.status, clear, &f.reason).map_err(refused)?;
    let day = st.today().to_string();
    st.store
        .clearing_step(
            i.id,
            i.status,
            to,
            f.reason.trim(),
            clear.then_some(day.as_str()),
            Some(user.user.id),
        )
        .await?;
    Ok(back(i.year))
}

/// `GET /api/v1/monitoring/clearings?year=`: each list's totals and its firms, within the
/// caller's districts.
#[utoipa::path(get, path = "/api/v1/monitoring/clearings",
    summary = "The two clearings (两清零) of a year's figures: each list's listed, cleared and re-entered firms and its rate, and the firms, within the caller's districts",
    params(("year" = Option<i64>, Query)),
    responses((status = 200, description = "the lists and their firms", body = crate::api::types::Clearings)))]
pub async fn api_clearings(
    State(st): State<AppState>,
    crate::api::ApiUser(user): crate::api::ApiUser,
    Query(q): Query<YearQuery>,
) -> Result<axum::Json<crate::api::types::Clearings>, crate::api::ApiError> {
    use crate::api::types::{self as t, key};
    let year = year_of(&st, &q.year)?;
    let items = visible_items(&st, &user, year).await?;
    let mut lists = std::collections::BTreeMap::new();
    for l in List::ALL {
        let of: Vec<&ClearingItem> = items.iter().filter(|i| i.list == *l).collect();
        let cleared = of.iter().filter(|i| i.status == Status::Cleared).count();
        lists.insert(
            l.key().to_owned(),
            t::ClearingTotals {
                listed: of.len(),
                cleared,
                reentries: of.iter().filter(|i| i.reentry).count(),
                rate: pct(cleared, of.len()),
            },
        );
    }
    let rows = items
        .iter()
        .map(|i| t::ClearingItem {
            list: key(&i.list),
            uscc: i.uscc.clone(),
            enterprise: i.firm.clone(),
            district: i.region_code.clone(),
            revenue_wan: Wan::from_units(i.revenue)
                .map(|w| w.to_string())
                .unwrap_or_default(),
            status: key(&i.status),
            reentry: i.reentry,
            actions: i.actions,
            cleared_on: i.cleared_on.clone(),
        })
        .collect();
    Ok(axum::Json(t::Clearings {
        year: year.into(),
        lists,
        items: rows,
    }))
}

/// A firm counted by 两化: code, name, district, main revenue (万元), certificate day.
#[derive(Clone)]
pub struct TwoWaysRow {
    pub uscc: String,
    pub name: String,
    pub district: String,
    pub main_revenue: String,
    pub issued_on: String,
}

/// The two transitions of a year: (became above-scale while high-tech, new high-tech firms that
/// are above-scale).
pub type TwoWays = (Vec<TwoWaysRow>, Vec<TwoWaysRow>);

/// The reader's districts when a district reads (a whole-register page reads the city for the
/// others), and the words that name them in a kept computation's key.
async fn whole_scope(
    st: &AppState,
    user: &CurrentUser,
) -> Result<(Option<Vec<String>>, String), AppError> {
    let scope = user.scope(&st.store).await?;
    let regions = scope.regions.filter(|_| user.user.role == Role::District);
    let key = regions
        .as_ref()
        .map_or_else(|| "city".to_owned(), |r| r.join(","));
    Ok((regions, key))
}

/// The two transitions of a year within the reader's districts (`TwoWays`), kept.
pub async fn two_ways(
    st: &AppState,
    user: &CurrentUser,
    year: i32,
    admitted: &crate::whole::Admitted,
) -> Result<std::sync::Arc<TwoWays>, AppError> {
    let (regions, scope_key) = whole_scope(st, user).await?;
    admitted
        .kept(st, format!("two-ways {year} {scope_key}"), |c| {
            two_ways_made(st, year, regions, c)
        })
        .await
}

async fn two_ways_made(
    st: &AppState,
    year: i32,
    regions: Option<Vec<String>>,
    computing: crate::whole::Computing,
) -> Result<TwoWays, AppError> {
    let rules = st
        .rules
        .first()
        .map(|r| r.common.clone())
        .ok_or_else(|| AppError::Internal("no rules".into()))?;
    let year_facts = |code: &str, cells: &str| {
        let v = Few::parse(cells);
        zjtx_core::monitor::YearFacts {
            industry_code: code.to_owned(),
            main_revenue: cell_wan(&v.main_revenue),
            high_tech_issued_on: crate::common::date(&cell(&v.high_tech_issued_on)),
        }
    };
    let (mut became, mut new_ht) = (Vec::new(), Vec::new());
    let each = |p: zjtx_store::YearPair| {
        let n = year_facts(&p.industry, &p.cells);
        let b = p.before.as_deref().map(|c| year_facts(&p.industry, c));
        let (x, y) = zjtx_core::monitor::transitions(
            &rules.above_scale,
            &rules.high_tech,
            b.as_ref(),
            &n,
            year,
        );
        let row = || TwoWaysRow {
            uscc: p.uscc.clone(),
            name: p.name.clone(),
            district: district_name(p.region.as_deref()),
            main_revenue: n.main_revenue.map(|w| w.to_string()).unwrap_or_default(),
            issued_on: n
                .high_tech_issued_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        };
        if x {
            became.push(row());
        }
        if y {
            new_ht.push(row());
        }
    };
    computing
        .two_years(&st.store, year, regions.as_deref(), each)
        .await?;
    Ok((became, new_ht))
}

/// (district, became, new high-tech) counts.
pub type TwoWaysCount = (String, usize, usize);

#[derive(Template, WebTemplate)]
#[template(path = "two_ways.html")]
pub struct TwoWaysPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub became: Paged<TwoWaysRow>,
    pub new_ht: Paged<TwoWaysRow>,
    pub counts: Vec<TwoWaysCount>,
}

/// The year of the two transitions and the page of each list.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TwoWaysQuery {
    pub year: String,
    pub became: String,
    pub new: String,
}

/// `GET /monitoring/two-ways?year=`: 高企规上化 and 规上高企化 of a year's figures.
pub async fn two_ways_page(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<TwoWaysQuery>,
) -> Result<TwoWaysPage, AppError> {
    let year = year_of(&st, &q.year)?;
    let pages = [page_number(&q.became)?, page_number(&q.new)?];
    let kept = two_ways(&st, &user, year, &admitted).await?;
    let (became, new_ht) = &*kept;
    let mut districts: Vec<&str> = became
        .iter()
        .chain(new_ht.iter())
        .map(|r| r.district.as_str())
        .collect();
    districts.sort_unstable();
    districts.dedup();
    let counts = districts
        .iter()
        .map(|d| {
            (
                (*d).to_owned(),
                became.iter().filter(|r| r.district == *d).count(),
                new_ht.iter().filter(|r| r.district == *d).count(),
            )
        })
        .collect();
    Ok(TwoWaysPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        counts,
        // Each list's links keep the year and the other list's page.
        became: Paged::of(became, pages[0], |n| {
            format!(
                "/monitoring/two-ways?year={year}&became={n}&new={}#became",
                pages[1]
            )
        }),
        new_ht: Paged::of(new_ht, pages[1], |n| {
            format!(
                "/monitoring/two-ways?year={year}&became={}&new={n}#new",
                pages[0]
            )
        }),
    })
}

/// (label, count, share of the whole, the list behind it)
pub struct RateView {
    pub part: usize,
    pub whole: usize,
    pub rate: String,
    pub missing: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "rates.html")]
pub struct RatesPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub r: std::sync::Arc<Rates>,
    /// The page shown of the little giants without the high-tech title.
    pub missing: Paged<(String, String)>,
}

/// The year of the rates and the page of the little giants without the high-tech title.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RatesQuery {
    pub year: String,
    pub missing: String,
}

/// The figures of the rates page, as computed (and kept).
pub struct Rates {
    /// Little giants (title held at the year's end) holding the high-tech title.
    pub giants: RateView,
    /// Above-scale firms with a digital level assessed (1 or more).
    pub digital: RateView,
    /// SRDI firms and little giants (titles held at the year's end) in the future-factory lists
    /// (an approved future-factory award decided by then).
    pub factories: RateView,
    /// Tier movements from the year before: (from, to, firms).
    pub moves: Vec<(&'static str, &'static str, usize)>,
    /// Totals by movement: held, rose, fell, lost.
    pub totals: Vec<(&'static str, usize)>,
}

/// A digest of a set of codes, for a kept computation's key: the set read again on each request
/// names the computation it belongs to.
fn digest_of<'a>(codes: impl IntoIterator<Item = &'a String>) -> String {
    use sha2::Digest;
    let mut sorted: Vec<&String> = codes.into_iter().collect();
    sorted.sort_unstable();
    let mut h = sha2::Sha256::new();
    for c in sorted {
        h.update(c.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

fn tier_label(t: zjtx_core::TopTier) -> &'static str {
    zjtx_core::glossary::tier_short(t.key(), i18n::lang())
}

/// `GET /monitoring/rates?year=`: the share of little giants holding the high-tech title, the
/// digital coverage of above-scale firms, and the year's tier movements — within the reader's
/// districts, each from the records.
pub async fn rates_page(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<RatesQuery>,
) -> Result<RatesPage, AppError> {
    let year = year_of(&st, &q.year)?;
    let page = page_number(&q.missing)?;
    let (regions, scope_key) = whole_scope(&st, &user).await?;
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    // The future-factory awards are not the firms' data: read on each request, named in the key.
    let factories = future_factory_firms(&st, &end.to_string(), regions.as_deref()).await?;
    let key = format!("rates {year} {scope_key} {}", digest_of(&factories));
    let r = admitted
        .kept(&st, key, |c| rates_made(&st, year, regions, factories, c))
        .await?;
    Ok(RatesPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        missing: Paged::of(&r.giants.missing, page, |n| {
            format!("/monitoring/rates?year={year}&missing={n}#giants")
        }),
        r,
    })
}

async fn rates_made(
    st: &AppState,
    year: i32,
    regions: Option<Vec<String>>,
    factories: std::collections::HashSet<String>,
    computing: crate::whole::Computing,
) -> Result<Rates, AppError> {
    use zjtx_core::monitor::{Movement, above_scale, high_tech, movement};
    let common = st
        .rules
        .first()
        .map(|r| r.common.clone())
        .ok_or_else(|| AppError::Internal("no rules".into()))?;
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let until = end
        .checked_add_months(chrono::Months::new(common.high_tech.validity_months))
        .unwrap_or(end);
    let giants: std::collections::HashSet<String> = st
        .store
        .title_holders_on("giant", &end.to_string(), &until.to_string())
        .await?
        .into_iter()
        .collect();
    let mut titled = giants.clone();
    titled.extend(
        st.store
            .title_holders_on("srdi", &end.to_string(), &until.to_string())
            .await?,
    );
    // The figures of a year are judged by the rule set in force in the middle of the next.
    let as_of = chrono::NaiveDate::from_ymd_opt(year + 1, 6, 30).unwrap_or(end);
    let before_as_of = chrono::NaiveDate::from_ymd_opt(year, 6, 30).unwrap_or(end);
    let tier = |cells: &str, on: chrono::NaiveDate| {
        let e = zjtx_store::enterprise_from_cells(cells).ok()?;
        let rs = zjtx_core::rule_set_for(&st.rules, on)?;
        Some(zjtx_core::evaluate(&e, rs, on).top_tier)
    };
    let (mut g_part, mut g_whole, mut g_missing) = (0, 0, Vec::new());
    let (mut d_part, mut d_whole, mut d_missing) = (0, 0, Vec::new());
    let (mut f_part, mut f_whole, mut f_missing) = (0, 0, Vec::new());
    let mut moves: std::collections::BTreeMap<(u8, u8), usize> = std::collections::BTreeMap::new();
    let mut totals: std::collections::BTreeMap<Movement, usize> = std::collections::BTreeMap::new();
    let order = [
        zjtx_core::TopTier::Giant,
        zjtx_core::TopTier::Srdi,
        zjtx_core::TopTier::Innovative,
        zjtx_core::TopTier::TechSme,
        zjtx_core::TopTier::None,
    ];
    let idx = |t: zjtx_core::TopTier| order.iter().position(|x| *x == t).unwrap_or(4) as u8;
    let each = |p: zjtx_store::YearPair| {
        let (uscc, name, now) = (&p.uscc, &p.name, &p.cells);
        let v = Few::parse(now);
        let f = zjtx_core::monitor::YearFacts {
            industry_code: p.industry.clone(),
            main_revenue: cell_wan(&v.main_revenue),
            high_tech_issued_on: crate::common::date(&cell(&v.high_tech_issued_on)),
        };
        if giants.contains(uscc) {
            g_whole += 1;
            if high_tech(&common.high_tech, &f, year) {
                g_part += 1;
            } else {
                g_missing.push((uscc.clone(), name.clone()));
            }
        }
        if titled.contains(uscc) {
            f_whole += 1;
            if factories.contains(uscc) {
                f_part += 1;
            } else {
                f_missing.push((uscc.clone(), name.clone()));
            }
        }
        if above_scale(&common.above_scale, &f) {
            d_whole += 1;
            if cell(&v.digital_level).parse::<u8>().is_ok_and(|l| l >= 1) {
                d_part += 1;
            } else {
                d_missing.push((uscc.clone(), name.clone()));
            }
        }
        // A movement needs both years: the year's own tier is judged only when the year before's
        // could be.
        if let Some(b) = p.before.as_deref().and_then(|c| tier(c, before_as_of))
            && let Some(n) = tier(now, as_of)
            && let Some(m) = movement(b, n)
        {
            *moves.entry((idx(b), idx(n))).or_default() += 1;
            *totals.entry(m).or_default() += 1;
        }
    };
    computing
        .two_years(&st.store, year, regions.as_deref(), each)
        .await?;
    let view = |part: usize, whole: usize, missing: Vec<(String, String)>| RateView {
        part,
        whole,
        rate: pct(part, whole),
        missing,
    };
    Ok(Rates {
        giants: view(g_part, g_whole, g_missing),
        digital: view(d_part, d_whole, d_missing),
        factories: view(f_part, f_whole, f_missing),
        moves: moves
            .into_iter()
            .map(|((b, n), k)| {
                (
                    tier_label(order[b as usize]),
                    tier_label(order[n as usize]),
                    k,
                )
            })
            .collect(),
        totals: [
            (Movement::Held, i18n::t("保持")),
            (Movement::Rose, i18n::t("上升")),
            (Movement::Fell, i18n::t("下降")),
            (Movement::Lost, i18n::t("退出")),
        ]
        .into_iter()
        .map(|(m, l)| (l, totals.get(&m).copied().unwrap_or(0)))
        .collect(),
    })
}

/// The firms in the future-factory lists on `day`: an approved future-factory award decided on or
/// before it, within some districts (all when `None`).
pub async fn future_factory_firms(
    st: &AppState,
    day: &str,
    regions: Option<&[String]>,
) -> Result<std::collections::HashSet<String>, AppError> {
    let mut out = std::collections::HashSet::new();
    for c in st.store.calls().await? {
        if c.category != "future_factory" {
            continue;
        }
        for a in st
            .store
            .fund_applications(&zjtx_store::FundFilter {
                call_id: Some(c.id),
                regions: regions.map(<[String]>::to_vec),
                statuses: vec![zjtx_core::workflow::fund::Status::Approved],
                ..Default::default()
            })
            .await?
        {
            if a.decided_on.as_deref().is_some_and(|d| d <= day) {
                out.insert(a.uscc);
            }
        }
    }
    Ok(out)
}

/// A firm qualifying under one rule set only, with the conditions it fails under the other.
#[derive(Clone)]
pub struct DiffRow {
    pub uscc: String,
    pub name: String,
    pub district: String,
    pub tier: &'static str,
    pub failed: String,
}

/// Counts of one breakdown line: (label, both, 2022 only, 2026 only).
pub type BetweenCount = (String, usize, usize, usize);

#[derive(Template, WebTemplate)]
#[template(path = "rule_change.html")]
pub struct RuleChangePage {
    pub tr: Tr,
    pub nav: Nav,
    pub today: String,
    /// By tier: (tier, both, 2022 only, 2026 only, neither).
    pub tiers: Vec<(&'static str, usize, usize, usize, usize)>,
    pub by_district: Vec<BetweenCount>,
    pub by_chain: Vec<BetweenCount>,
    pub old_only: Paged<DiffRow>,
    pub new_only: Paged<DiffRow>,
    /// Holders of a title granted under the 2022 rules who fail 2026 (its conditions).
    pub holders_failing: Paged<DiffRow>,
}

/// The page of each list of the rule-change comparison.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RuleChangeQuery {
    pub old: String,
    pub new: String,
    pub held: String,
}

fn failed_ids(ids: zjtx_core::trace::IdSet) -> String {
    ids.iter()
        .map(|r| r.as_str().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /monitoring/rule-change`: every firm's latest figures under the 2022 and the 2026 rule
/// sets — who qualifies under both, only one, with the conditions that differ, by district and
/// chain — and the holders of titles granted under 2022 who would not meet 2026.
pub async fn rule_change(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<RuleChangeQuery>,
) -> Result<RuleChangePage, AppError> {
    let pages = [
        page_number(&q.old)?,
        page_number(&q.new)?,
        page_number(&q.held)?,
    ];
    let (regions, scope_key) = whole_scope(&st, &user).await?;
    let r = admitted
        .kept(&st, format!("rule-change {scope_key}"), |c| {
            rule_change_made(&st, regions, c)
        })
        .await?;
    Ok(RuleChangePage {
        tr: Tr,
        nav: Nav::of(&user),
        today: st.today().to_string(),
        tiers: r.tiers.clone(),
        by_district: r.by_district.clone(),
        by_chain: r.by_chain.clone(),
        // Each list's links keep the other lists' pages.
        old_only: Paged::of(&r.old_only, pages[0], |n| {
            rule_change_link([n, pages[1], pages[2]], "old-only")
        }),
        new_only: Paged::of(&r.new_only, pages[1], |n| {
            rule_change_link([pages[0], n, pages[2]], "new-only")
        }),
        holders_failing: Paged::of(&r.holders_failing, pages[2], |n| {
            rule_change_link([pages[0], pages[1], n], "holders")
        }),
    })
}

/// The rule-change comparison, as computed (and kept).
pub struct RuleChange {
    pub tiers: Vec<(&'static str, usize, usize, usize, usize)>,
    pub by_district: Vec<BetweenCount>,
    pub by_chain: Vec<BetweenCount>,
    pub old_only: Vec<DiffRow>,
    pub new_only: Vec<DiffRow>,
    pub holders_failing: Vec<DiffRow>,
}

async fn rule_change_made(
    st: &AppState,
    regions: Option<Vec<String>>,
    computing: crate::whole::Computing,
) -> Result<RuleChange, AppError> {
    use zjtx_core::monitor::{Between, between};
    let today = st.today();
    let old = st.rules.iter().find(|r| r.id == "miit-2022");
    let new = st.rules.iter().find(|r| r.id == "miit-2026");
    let (Some(old), Some(new)) = (old, new) else {
        return Err(AppError::Internal("both rule sets are needed".into()));
    };
    let tag_rows = st.store.chain_tags().await?;
    let mut tags: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (uscc, chain) in &tag_rows {
        tags.entry(uscc.as_str()).or_default().push(chain.as_str());
    }
    // Titles that end before 2029-04-01 were granted (for three years) before the 2026 rules.
    let before_2026 = |tier: &'static str| {
        let st = st.clone();
        let day = today.to_string();
        async move {
            Ok::<_, AppError>(
                st.store
                    .titles_between(tier, &day, "2029-04-01")
                    .await?
                    .into_iter()
                    .collect::<std::collections::HashSet<String>>(),
            )
        }
    };
    let held = [
        ("srdi", before_2026("srdi").await?),
        ("giant", before_2026("giant").await?),
    ];
    let tier_names = [("srdi", i18n::t("专精特新")), ("giant", i18n::t("小巨人"))];
    let mut counts: std::collections::BTreeMap<(usize, Between), usize> = Default::default();
    let mut by_d: std::collections::BTreeMap<String, [usize; 3]> = Default::default();
    let mut by_c: std::collections::BTreeMap<String, [usize; 3]> = Default::default();
    let (mut old_only, mut new_only, mut holders_failing) = (Vec::new(), Vec::new(), Vec::new());
    let each = |f: zjtx_store::Latest| {
        let (uscc, name, region) = (&f.uscc, &f.name, &f.region);
        let Ok(e) = zjtx_store::enterprise_from_cells(&f.cells) else {
            return;
        };
        let (so, sn) = (
            zjtx_core::evaluate(&e, old, today),
            zjtx_core::evaluate(&e, new, today),
        );
        let district = district_name(region.as_deref());
        for (t, (key, label)) in tier_names.iter().enumerate() {
            let (vo, vn, fo, fnew) = if *key == "srdi" {
                (so.srdi, sn.srdi, so.srdi_failed, sn.srdi_failed)
            } else {
                (so.giant, sn.giant, so.giant_failed, sn.giant_failed)
            };
            let b = between(vo, vn);
            *counts.entry((t, b)).or_default() += 1;
            let slot = match b {
                Between::Both => Some(0),
                Between::OldOnly => Some(1),
                Between::NewOnly => Some(2),
                Between::Neither => None,
            };
            if let Some(i) = slot {
                by_d.entry(district.clone()).or_default()[i] += 1;
                for chain in tags.get(uscc.as_str()).into_iter().flatten() {
                    by_c.entry((*chain).to_owned()).or_default()[i] += 1;
                }
            }
            let row = |failed: zjtx_core::trace::IdSet| DiffRow {
                uscc: uscc.clone(),
                name: name.clone(),
                district: district.clone(),
                tier: label,
                failed: failed_ids(failed),
            };
            match b {
                Between::OldOnly => old_only.push(row(fnew)),
                Between::NewOnly => new_only.push(row(fo)),
                _ => {}
            }
            if held[t].1.contains(uscc) && vn != zjtx_core::Verdict::Pass {
                holders_failing.push(row(fnew));
            }
        }
    };
    computing
        .latest_cells(&st.store, regions.as_deref(), each)
        .await?;
    let n = |t: usize, b: Between| counts.get(&(t, b)).copied().unwrap_or(0);
    Ok(RuleChange {
        tiers: tier_names
            .iter()
            .enumerate()
            .map(|(t, (_, label))| {
                (
                    *label,
                    n(t, Between::Both),
                    n(t, Between::OldOnly),
                    n(t, Between::NewOnly),
                    n(t, Between::Neither),
                )
            })
            .collect(),
        by_district: by_d
            .into_iter()
            .map(|(k, v)| (k, v[0], v[1], v[2]))
            .collect(),
        by_chain: by_c
            .into_iter()
            .map(|(k, v)| (k, v[0], v[1], v[2]))
            .collect(),
        old_only,
        new_only,
        holders_failing,
    })
}

fn rule_change_link(pages: [usize; 3], at: &str) -> String {
    format!(
        "/monitoring/rule-change?old={}&new={}&held={}#{at}",
        pages[0], pages[1], pages[2]
    )
}
