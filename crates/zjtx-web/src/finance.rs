//! The finance zone (金融专区): institutions list products (the bureau reviews them before they are
//! listed), enterprises post financing needs, see the products they are eligible for with the
//! reasons, control who sees which of their data and read who looked; institutions screen
//! consenting enterprises and move applications to credit; the bureau counts the outcomes.
//!
//! The rule that matters most: an institution reads an enterprise's data only through
//! [`disclose`], which checks the consents in force on this very request, shows each category only
//! as a consent allows (figures, or predicates and bands), and logs the access for the enterprise.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Days;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zjtx_core::finance::{self as fin, Eligibility, Facts, Match};
use zjtx_core::glossary::{self, Lang};
use zjtx_core::num::Wan;
use zjtx_store::{
    Application, Consent, EnterpriseRow, Message, NewProduct, Product, Role, StoreError,
};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::pages::{Nav, wan};

fn lang() -> Lang {
    i18n::lang()
}

fn conflict(msg: impl Into<String>) -> AppError {
    AppError::Store(StoreError::Conflict(msg.into()))
}

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

/// An amount in 万元 typed in a form, as yuan units; `what` names the field in the message.
fn amount(v: &str, what: &str) -> Result<i64, AppError> {
    Wan::parse(v.trim())
        .map(|w| w.units())
        .map_err(|e| bad(i18n::f("{}（万元）：{}", &[&what, &e])))
}

fn int(v: &str, what: &str, lo: i64, hi: i64) -> Result<i64, AppError> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| bad(i18n::f("{}：格式有误", &[&what])))
}

/// The values of a repeated form field, each one of `allowed`.
fn picks(form: &[(String, String)], key: &str, allowed: &[&str]) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for (k, v) in form.iter().filter(|(k, _)| k == key) {
        if !allowed.contains(&v.as_str()) {
            return Err(bad(i18n::f("{}：格式有误", &[k])));
        }
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(out)
}

fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// The institution of a financial institution's staff account.
fn institution_of(user: &CurrentUser) -> Result<i64, AppError> {
    match (user.user.role, user.user.institution_id) {
        (Role::Institution, Some(i)) => Ok(i),
        _ => Err(AppError::Forbidden),
    }
}

fn own_uscc(user: &CurrentUser) -> Result<&str, AppError> {
    match (user.user.role, user.user.uscc.as_deref()) {
        (Role::Enterprise, Some(u)) => Ok(u),
        _ => Err(AppError::Forbidden),
    }
}

pub fn kind_label(k: &str) -> &'static str {
    match k {
        "loan" => i18n::t("贷款"),
        "guarantee" => i18n::t("担保"),
        "insurance" => i18n::t("保险"),
        "ip_pledge" => i18n::t("知识产权质押"),
        "investment_loan" => i18n::t("投贷联动"),
        "equity_debt" => i18n::t("股债联动"),
        "bank" => i18n::t("银行"),
        "insurer" => i18n::t("保险机构"),
        "fund" => i18n::t("投资基金"),
        "credit" => i18n::t("信用"),
        "pledge" => i18n::t("抵质押"),
        "profile" => i18n::t("基本信息"),
        "financials" => i18n::t("财务数据"),
        "ip" => i18n::t("知识产权"),
        "titles" => i18n::t("称号"),
        "evaluations" => i18n::t("梯度评价"),
        "grooming" => i18n::t("培育"),
        "shareholding" => i18n::t("股改"),
        "tutoring" => i18n::t("辅导"),
        "filing" => i18n::t("申报"),
        "board" => i18n::t("挂牌"),
        "ipo" => i18n::t("上市"),
        "applied" => i18n::t("已申请"),
        "accepted" => i18n::t("已受理"),
        "granted" => i18n::t("已授信"),
        "disbursed" => i18n::t("已放款"),
        "declined" => i18n::t("已拒绝"),
        "submitted" => i18n::t("待审核"),
        "listed" => i18n::t("已上架"),
        "rejected" => i18n::t("未通过"),
        "withdrawn" => i18n::t("已下架"),
        "open" => i18n::t("对接中"),
        "met" => i18n::t("已满足"),
        "tier" => i18n::t("梯度"),
        "size" => i18n::t("规模"),
        "revenue" => i18n::t("营业收入"),
        "district" => i18n::t("区县"),
        "ecosystem" => i18n::t("产业生态圈"),
        "amount" => i18n::t("金额"),
        "term" => i18n::t("期限"),
        "collateral" => i18n::t("担保方式"),
        _ => i18n::t("其他"),
    }
}

fn labels(csv: &str) -> String {
    csv.split(',')
        .filter(|s| !s.is_empty())
        .map(kind_label)
        .collect::<Vec<_>>()
        .join("、")
}

/// What matching knows of an enterprise: its titles in force and the tiers it meets now.
/// The tiers whose title an enterprise holds today.
async fn held_titles(st: &AppState, uscc: &str) -> Result<Vec<String>, AppError> {
    let today = st.today().to_string();
    Ok(st
        .store
        .titles(uscc)
        .await?
        .into_iter()
        .filter(|(_, until)| *until >= today)
        .map(|(t, _)| t)
        .collect())
}

async fn facts(st: &AppState, row: &EnterpriseRow) -> Result<Facts, AppError> {
    Ok(facts_from(row, held_titles(st, &row.uscc).await?))
}

/// An enterprise's facts from its row and the titles it holds: the titles, and the tiers it
/// meets now.
fn facts_from(row: &EnterpriseRow, held: Vec<String>) -> Facts {
    let mut tiers = held;
    for (t, v) in [
        ("innovative", &row.innovative),
        ("tech_sme", &row.tech_sme),
        ("srdi", &row.srdi),
        ("giant", &row.giant),
    ] {
        if v == "pass" && !tiers.iter().any(|x| x == t) {
            tiers.push(t.to_owned());
        }
    }
    Facts {
        tiers,
        size: row.size.clone(),
        revenue: row.revenue,
        district: row.region_code.clone(),
        ecosystem: row.ecosystem.clone(),
    }
}

/// What an institution may use of an enterprise to evaluate it: the facts, with every fact that no
/// consent in force covers (nor the public titled list) left blank, and the match rules that such
/// a blank leaves undecided.
pub struct Consented {
    pub facts: Facts,
    pub undecided: Vec<&'static str>,
}

impl Consented {
    /// Whether a match can hold: every missed rule is one the consents leave undecided.
    fn possible(&self, m: &Match) -> bool {
        m.reasons
            .iter()
            .all(|r| r.met || self.undecided.contains(&r.rule))
    }
}

/// Reads an enterprise's facts for institution `inst`, within its consents in force, for product
/// eligibility, need routing, screening and alerts. Tiers come from the public titled list, plus
/// valid titles under `titles` and tiers met now under `evaluations`; size and ecosystem under
/// `profile`; revenue under `financials`: the figure, or under a predicates-only consent only the
/// lower bound of the band it already discloses (a floor the institution chooses must not find
/// the figure by bisection); the district is public. Logs the categories read as `route`, when a
/// consent was used.
pub async fn consented_facts(
    st: &AppState,
    user_id: i64,
    inst: i64,
    row: &EnterpriseRow,
    route: &str,
) -> Result<Consented, AppError> {
    let today = st.today().to_string();
    let consents = st.store.consents_in_force(&row.uscc, inst, &today).await?;
    let rules = disclosure_rules(st)?;
    let covers = |c: &str| consents.iter().find(|k| k.covers(c));
    let figures = |c: &str| consents.iter().find(|k| k.covers(c) && !k.predicates_only);
    let titles = held_titles(st, &row.uscc).await?;
    let all = facts_from(row, titles.clone());
    let mut tiers: Vec<String> = st
        .store
        .titled(&today, Some(&row.uscc))
        .await?
        .into_iter()
        .map(|t| t.tier)
        .collect();
    let mut used: Vec<(&str, i64)> = Vec::new();
    for t in &all.tiers {
        let held = titles.contains(t);
        let source = if held {
            covers("titles").map(|k| ("titles", k.id))
        } else {
            covers("evaluations").map(|k| ("evaluations", k.id))
        };
        if let Some(u) = source
            && !tiers.contains(t)
        {
            tiers.push(t.clone());
            used.push(u);
        }
    }
    let profile = covers("profile");
    let money = figures("financials");
    let banded = covers("financials");
    used.extend(profile.map(|k| ("profile", k.id)));
    used.extend(money.or(banded).map(|k| ("financials", k.id)));
    let mut undecided = Vec::new();
    if covers("titles").is_none() || covers("evaluations").is_none() {
        undecided.push("tier");
    }
    if profile.is_none() {
        undecided.extend(["size", "ecosystem"]);
    }
    if money.is_none() {
        undecided.push("revenue");
    }
    used.sort_unstable();
    used.dedup_by_key(|(c, _)| *c);
    if let Some((_, first)) = used.first() {
        let cats: Vec<&str> = used.iter().map(|(c, _)| *c).collect();
        st.store
            .log_access(
                &row.uscc,
                inst,
                user_id,
                &cats.join(","),
                route,
                Some(*first),
            )
            .await?;
    }
    Ok(Consented {
        facts: Facts {
            tiers,
            size: if profile.is_some() {
                all.size
            } else {
                String::new()
            },
            revenue: match (money, banded) {
                (Some(_), _) => all.revenue,
                (None, Some(_)) => all.revenue.map(|r| rules.revenue_band(r).from * 10_000),
                (None, None) => None,
            },
            district: all.district,
            ecosystem: if profile.is_some() {
                all.ecosystem
            } else {
                None
            },
        },
        undecided,
    })
}

/// A posted need's terms, for matching.
fn need_terms(n: &zjtx_store::Need) -> fin::Need {
    fin::Need {
        amount: n.amount,
        term_months: n.term_months,
        collateral: n
            .collateral
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

fn terms(p: &Product) -> fin::Terms {
    fin::Terms {
        min_amount: p.min_amount,
        max_amount: p.max_amount,
        term_min: p.term_min,
        term_max: p.term_max,
        collateral: p.collateral.split(',').map(str::to_owned).collect(),
    }
}

fn eligibility(p: &Product) -> Eligibility {
    serde_json::from_str(&p.eligibility).unwrap_or_default()
}

/// A reason of a match, for reading.
pub fn reason_text(r: &fin::Reason) -> String {
    let what = kind_label(r.rule);
    let money = |v: &str| v.parse::<i64>().map(|u| wan(Some(u))).unwrap_or_default();
    let (required, found) = match r.rule {
        "revenue" => (money(&r.required), money(&r.found)),
        "amount" => {
            let (a, b) = r.required.split_once('–').unwrap_or(("", ""));
            (format!("{}–{}", money(a), money(b)), money(&r.found))
        }
        "tier" => (
            r.required
                .split('、')
                .map(|t| glossary::tier_short(t, lang()))
                .collect::<Vec<_>>()
                .join("、"),
            r.found
                .split('、')
                .filter(|t| !t.is_empty())
                .map(|t| glossary::tier_short(t, lang()))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        "size" => (
            r.required
                .split('、')
                .map(|t| glossary::size_by_key(t, lang()))
                .collect::<Vec<_>>()
                .join("、"),
            glossary::size_by_key(&r.found, lang()).to_owned(),
        ),
        "collateral" => (
            labels(&r.required.replace('、', ",")),
            labels(&r.found.replace('、', ",")),
        ),
        _ => (r.required.clone(), r.found.clone()),
    };
    let mut s = i18n::f("{}：要求 {}，实际 {}", &[&what, &required, &found]);
    if let Some(short) = r.short_by {
        s.push_str(&i18n::f("，差 {} 万元", &[&wan(Some(short))]));
    }
    s
}

pub struct MatchView {
    pub p: Product,
    pub eligible: bool,
    pub met: Vec<String>,
    pub missed: Vec<String>,
}

/// The listed products for an enterprise (and need), ranked, each with its reasons.
async fn matches(
    st: &AppState,
    row: &EnterpriseRow,
    need: Option<&fin::Need>,
) -> Result<Vec<MatchView>, AppError> {
    let f = facts(st, row).await?;
    let products = st.store.products(Some("listed"), None).await?;
    let mut items: Vec<(i64, Match, i64)> = products
        .iter()
        .map(|p| {
            (
                p.id,
                fin::check(&eligibility(p), &terms(p), &f, need),
                p.max_amount,
            )
        })
        .collect();
    fin::rank(&mut items);
    Ok(items
        .into_iter()
        .filter_map(|(id, m, _)| {
            let p = products.iter().find(|p| p.id == id)?.clone();
            Some(MatchView {
                eligible: m.eligible,
                met: m
                    .reasons
                    .iter()
                    .filter(|r| r.met)
                    .map(reason_text)
                    .collect(),
                missed: m
                    .reasons
                    .iter()
                    .filter(|r| !r.met)
                    .map(reason_text)
                    .collect(),
                p,
            })
        })
        .collect())
}

/// How many listed products an enterprise misses only for want of the next tier: the line the
/// scorecard's gaps link to ("reaching SRDI would open these 6 products").
pub async fn opened_by_next_tier(
    st: &AppState,
    row: &EnterpriseRow,
) -> Result<Option<(&'static str, usize)>, AppError> {
    let f = facts(st, row).await?;
    let Some(next) = fin::next_tier(&f.tiers) else {
        return Ok(None);
    };
    let mut up = f.clone();
    up.tiers.push(next.to_owned());
    let n = st
        .store
        .products(Some("listed"), None)
        .await?
        .iter()
        .filter(|p| {
            let (el, t) = (eligibility(p), terms(p));
            let now = fin::check(&el, &t, &f, None);
            now.only_tier_missing() && fin::check(&el, &t, &up, None).eligible
        })
        .count();
    Ok((n > 0).then_some((next, n)))
}

// ---- disclosure: what an institution may read of an enterprise ----------------------------------

/// What an institution sees of an enterprise on this request.
#[derive(Serialize, Default)]
pub struct Disclosure {
    pub uscc: String,
    pub name: String,
    pub district: String,
    /// Titles on the public list (always shown).
    pub public_titles: Vec<(String, String)>,
    /// The categories shown, and whether each is shown as predicates only.
    pub categories: Vec<(String, bool)>,
    pub profile: Option<Value>,
    pub financials: Option<Value>,
    pub ip: Option<Value>,
    pub titles: Option<Value>,
    pub evaluations: Option<Value>,
}

/// The disclosure policy of the rules in force today.
fn disclosure_rules(st: &AppState) -> Result<&fin::Disclosure, AppError> {
    let today = st.today();
    zjtx_core::rule_set_for(&st.rules, today)
        .or(st.rules.first())
        .map(|rs| &rs.common.disclosure)
        .ok_or_else(|| AppError::Internal(format!("no rule set applies on {today}")))
}

fn band_json(b: fin::Band) -> Value {
    json!({ "from": b.from, "below": b.below })
}

/// Reads an enterprise's data for an institution: only the categories a consent in force covers,
/// as figures or (where the consent says so) predicates and bands, plus what is public. Logs the
/// access. An enterprise that neither consented nor is on the public list reads as absent.
pub async fn disclose(
    st: &AppState,
    user: &CurrentUser,
    uscc: &str,
    route: &str,
) -> Result<Disclosure, AppError> {
    let inst = institution_of(user)?;
    let row = st
        .store
        .enterprise(uscc.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let today = st.today().to_string();
    let consents = st.store.consents_in_force(&row.uscc, inst, &today).await?;
    let public: Vec<(String, String)> = st
        .store
        .titled(&today, Some(&row.uscc))
        .await?
        .into_iter()
        .map(|t| (t.tier, t.valid_until))
        .collect();
    if consents.is_empty() && public.is_empty() {
        return Err(AppError::NotFound);
    }
    // Each category: shown if any consent covers it; as figures if any covering consent allows them.
    let mut shown: Vec<(String, bool, i64)> = Vec::new();
    for c in fin::CATEGORIES {
        let covering: Vec<&Consent> = consents.iter().filter(|k| k.covers(c)).collect();
        if let Some(first) = covering
            .iter()
            .find(|k| !k.predicates_only)
            .or(covering.first())
        {
            shown.push(((*c).to_owned(), first.predicates_only, first.id));
        }
    }
    let district = row.region_name.clone().unwrap_or_default();
    let mut d = Disclosure {
        uscc: row.uscc.clone(),
        name: row.name.clone(),
        district,
        public_titles: public,
        categories: shown.iter().map(|(c, p, _)| (c.clone(), *p)).collect(),
        ..Disclosure::default()
    };
    let years = if shown
        .iter()
        .any(|(c, _, _)| c == "financials" || c == "ip" || c == "profile")
    {
        st.store.years(&row.uscc).await?
    } else {
        Vec::new()
    };
    let latest = years.first().map(|(_, e)| e);
    let rules = disclosure_rules(st)?;
    let answers = rules.answers(&fin::Figures {
        revenue: row.revenue,
        rd_expense: latest.and_then(|e| e.rd_expense.map(|w| w.units())),
        ip1: latest.and_then(|e| e.ip1).map(i64::from),
    });
    let answered = |category: &str| {
        answers
            .iter()
            .filter(|(p, _)| p.measure.category() == category)
            .map(|(p, a)| (p.key.clone(), Value::from(*a)))
            .collect::<serde_json::Map<String, Value>>()
    };
    for (c, predicates, _) in &shown {
        match c.as_str() {
            "profile" => {
                d.profile = Some(json!({
                    "industry_code": row.industry_code,
                    "ecosystem": row.ecosystem,
                    "size": row.size,
                    "main_products": latest.and_then(|e| e.main_products.clone()),
                    "employees": match (*predicates, row.employees) {
                        (true, Some(n)) => band_json(rules.employee_band(n)),
                        (_, n) => Value::from(n),
                    },
                }))
            }
            "financials" => {
                d.financials = Some(if *predicates {
                    let mut m = serde_json::Map::new();
                    m.insert(
                        "revenue_band_wan".into(),
                        row.revenue
                            .map_or(Value::Null, |r| band_json(rules.revenue_band(r))),
                    );
                    m.extend(answered("financials"));
                    Value::Object(m)
                } else {
                    Value::Array(
                        years
                            .iter()
                            .map(|(y, e)| {
                                json!({
                                    "year": y,
                                    "revenue": wan(e.revenue.map(|w| w.units())),
                                    "main_revenue": wan(e.main_revenue.map(|w| w.units())),
                                    "rd_expense": wan(e.rd_expense.map(|w| w.units())),
                                    "total_assets": wan(e.total_assets.map(|w| w.units())),
                                    "total_liabilities": wan(e.total_liabilities.map(|w| w.units())),
                                    "net_profit": wan(e.net_profit.map(|w| w.units())),
                                })
                            })
                            .collect(),
                    )
                })
            }
            "ip" => {
                let (i1, i2) = (latest.and_then(|e| e.ip1), latest.and_then(|e| e.ip2));
                d.ip = Some(if *predicates {
                    Value::Object(answered("ip"))
                } else {
                    json!({ "ip1": i1, "ip2": i2 })
                })
            }
            "titles" => {
                let t: Vec<Value> = st
                    .store
                    .titles(&row.uscc)
                    .await?
                    .into_iter()
                    .filter(|(_, u)| *u >= today)
                    .map(|(t, u)| json!({ "tier": t, "valid_until": u }))
                    .collect();
                d.titles = Some(Value::Array(t));
            }
            "evaluations" => {
                d.evaluations = Some(json!({
                    "innovative": row.innovative == "pass",
                    "tech_sme": row.tech_sme == "pass",
                    "srdi": row.srdi == "pass",
                    "giant": row.giant == "pass",
                }))
            }
            _ => {}
        }
    }
    let cats: Vec<&str> = shown.iter().map(|(c, _, _)| c.as_str()).collect();
    st.store
        .log_access(
            &row.uscc,
            inst,
            user.user.id,
            &if cats.is_empty() {
                "public".to_owned()
            } else {
                cats.join(",")
            },
            route,
            shown.first().map(|(_, _, id)| *id),
        )
        .await?;
    Ok(d)
}

/// A category shown: its name, whether as answers only, and its lines.
pub type Section = (&'static str, bool, Vec<(String, String)>);

#[derive(Template, WebTemplate)]
#[template(path = "fin_enterprise.html")]
pub struct DisclosurePage {
    pub tr: Tr,
    pub nav: Nav,
    pub d: Disclosure,
    pub sections: Vec<Section>,
}

fn yes(b: bool) -> &'static str {
    if b { i18n::t("是") } else { i18n::t("否") }
}

/// A band as a reader sees it: revenue in 万元, a headcount as whole numbers.
fn band_text(key: &str, v: &Value) -> String {
    let (from, below) = (v["from"].as_i64().unwrap_or(0), v["below"].as_i64());
    match (key, below) {
        ("revenue_band_wan", Some(b)) => i18n::f("{}–{} 万元", &[&from, &b]),
        ("revenue_band_wan", None) => i18n::f("{} 万元以上", &[&from]),
        (_, Some(b)) if from == 0 => format!("<{b}"),
        (_, Some(b)) => format!("{from}–{}", b - 1),
        (_, None) => format!("≥{from}"),
    }
}

/// An amount of 万元 as a reader writes it: whole 亿 where it is one.
fn wan_text(w: i64) -> String {
    if w >= 10_000 && w % 10_000 == 0 {
        format!("{}亿", w / 10_000)
    } else {
        format!("{w}万")
    }
}

/// The reader's words for a key of the disclosure (the API's keys stay as they are).
fn disclosure_label(key: &str, rules: &fin::Disclosure) -> String {
    if let Some(p) = rules.predicates.iter().find(|p| p.key == key) {
        return match p.measure {
            fin::Measure::RevenueWan => i18n::f("营业收入 ≥ {}", &[&wan_text(p.at_least)]),
            fin::Measure::RdIntensityPercent => i18n::f("研发强度 ≥ {}%", &[&p.at_least]),
            fin::Measure::Ip1 if p.at_least == 1 => i18n::t("拥有Ⅰ类知识产权").to_owned(),
            fin::Measure::Ip1 => i18n::f("Ⅰ类知识产权 ≥ {} 件", &[&p.at_least]),
        };
    }
    match key {
        "revenue_band_wan" => i18n::t("营业收入区间").to_owned(),
        "industry_code" => i18n::t("行业代码").to_owned(),
        "ecosystem" => i18n::t("所属生态").to_owned(),
        "size" => i18n::t("企业规模").to_owned(),
        "main_products" => i18n::t("主要产品").to_owned(),
        "employees" => i18n::t("从业人员数").to_owned(),
        "innovative" | "tech_sme" | "srdi" | "giant" => {
            glossary::tier_short(key, lang()).to_owned()
        }
        other => other.to_owned(),
    }
}

/// A section's lines as a reader sees them.
fn flatten(v: &Value, rules: &fin::Disclosure) -> Vec<(String, String)> {
    let text = |k: &str, v: &Value| match v {
        Value::Bool(b) => yes(*b).to_owned(),
        Value::Null => i18n::t("未知").to_owned(),
        Value::String(s) if k == "size" => glossary::size_by_key(s, lang()).to_owned(),
        Value::String(s) => s.clone(),
        Value::Object(_) => band_text(k, v),
        other => other.to_string(),
    };
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (disclosure_label(k, rules), text(k, v)))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(
                |(i, x)| match (x["tier"].as_str(), x["valid_until"].as_str()) {
                    (Some(t), Some(u)) => {
                        (glossary::tier_by_key(t, lang()).to_owned(), u.to_owned())
                    }
                    _ => (format!("{}", i + 1), x.to_string()),
                },
            )
            .collect(),
        other => vec![(String::new(), other.to_string())],
    }
}

/// `GET /finance/enterprises/{uscc}`: an enterprise as an institution may see it.
pub async fn enterprise_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
) -> Result<DisclosurePage, AppError> {
    let mut d = disclose(&st, &user, &uscc, "page").await?;
    let rules = disclosure_rules(&st)?;
    for (tier, _) in &mut d.public_titles {
        *tier = glossary::tier_by_key(tier, lang()).to_owned();
    }
    let mut sections = Vec::new();
    for (c, v) in [
        ("profile", &d.profile),
        ("financials", &d.financials),
        ("ip", &d.ip),
        ("titles", &d.titles),
        ("evaluations", &d.evaluations),
    ] {
        if let Some(v) = v {
            let pred = d.categories.iter().any(|(k, p)| k == c && *p);
            sections.push((kind_label(c), pred, flatten(v, rules)));
        }
    }
    Ok(DisclosurePage {
        tr: Tr,
        nav: Nav::of(&user),
        d,
        sections,
    })
}

/// `GET /api/v1/finance/enterprises/{uscc}`: the same, as JSON.
pub async fn enterprise_api(
    State(st): State<AppState>,
    crate::api::ApiUser(user): crate::api::ApiUser,
    Path(uscc): Path<String>,
) -> Result<Json<Disclosure>, crate::api::ApiError> {
    Ok(Json(disclose(&st, &user, &uscc, "api").await?))
}

// ---- the hub ------------------------------------------------------------------------------------

pub struct AppView {
    pub a: Application,
    pub amount: String,
    pub status: &'static str,
    pub steps: Vec<(String, &'static str, String)>,
    pub granted: String,
}

pub struct NeedView {
    pub n: zjtx_store::Need,
    pub amount: String,
    pub collateral: String,
    pub status: &'static str,
    pub responses: Vec<zjtx_store::NeedResponse>,
}

pub struct ProductView {
    pub p: Product,
    pub kind: &'static str,
    pub amounts: String,
    pub rate: String,
    pub collateral: String,
    pub status: &'static str,
}

fn product_view(p: Product) -> ProductView {
    ProductView {
        kind: kind_label(&p.kind),
        amounts: format!("{}–{}", wan(Some(p.min_amount)), wan(Some(p.max_amount))),
        rate: if p.rate_kind == "lpr" {
            i18n::f("LPR + {} 个基点", &[&p.rate_bp])
        } else {
            format!(
                "{}%",
                zjtx_core::num::Dec4::from_units(p.rate_bp * 100).unwrap_or_default()
            )
        },
        collateral: labels(&p.collateral),
        status: kind_label(&p.status),
        p,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "finance.html")]
pub struct FinancePage {
    pub tr: Tr,
    pub nav: Nav,
    pub role: &'static str,
    pub today: String,
    // enterprise
    pub needs: Vec<NeedView>,
    pub consents: Vec<(Consent, String)>,
    pub access: Vec<(String, zjtx_store::Access, String)>,
    pub applications: Vec<AppView>,
    pub matched: Vec<MatchView>,
    /// The need the products are ranked for, if any.
    pub for_need: Option<String>,
    pub institutions: Vec<zjtx_store::Institution>,
    /// The institutions with their kind's name, for the bureau's list.
    pub institution_rows: Vec<(zjtx_store::Institution, &'static str)>,
    // institution
    pub products: Vec<ProductView>,
    pub open_needs: Vec<NeedView>,
    pub searches: Vec<zjtx_store::SavedSearch>,
    // city
    pub pending: Vec<ProductView>,
    pub events: Vec<zjtx_store::FinEvent>,
    /// Each enterprise of the pipeline, its stage, and its history ("stage (date) → …").
    pub listing: Vec<(zjtx_store::Listing, &'static str, String)>,
    // choices
    pub kinds: Vec<(&'static str, &'static str)>,
    pub collaterals: Vec<(&'static str, &'static str)>,
    pub categories: Vec<(&'static str, &'static str)>,
    pub ch: Choices,
    pub stages: Vec<(&'static str, &'static str)>,
    pub inst_kinds: Vec<(&'static str, &'static str)>,
}

/// What eligibility forms and screenings choose from: tiers, sizes, ecosystems and districts,
/// each as (key, name in the reader's language).
pub struct Choices {
    pub tiers: Vec<(&'static str, &'static str)>,
    pub sizes: Vec<(&'static str, &'static str)>,
    pub ecosystems: Vec<(&'static str, &'static str)>,
    pub districts: Vec<(String, String)>,
}

impl Choices {
    async fn new(st: &AppState) -> Result<Choices, AppError> {
        Ok(Choices {
            tiers: ["innovative", "tech_sme", "srdi", "giant"]
                .map(|k| (k, glossary::tier_short(k, lang())))
                .to_vec(),
            sizes: ["medium", "small", "micro"]
                .map(|k| (k, glossary::size_by_key(k, lang())))
                .to_vec(),
            ecosystems: zjtx_core::enterprise::ECOSYSTEMS
                .iter()
                .map(|e| (*e, glossary::ecosystem(e, lang())))
                .collect(),
            districts: st
                .districts(&zjtx_store::Scope::all())
                .await?
                .into_iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect(),
        })
    }
}

fn choices(keys: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    keys.iter().map(|k| (*k, kind_label(k))).collect()
}

async fn app_view(st: &AppState, a: Application) -> Result<AppView, AppError> {
    let steps = st
        .store
        .application_steps(a.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                crate::pages::local_day(s.at),
                kind_label(&s.status),
                s.detail,
            )
        })
        .collect();
    Ok(AppView {
        amount: wan(Some(a.amount)),
        status: kind_label(&a.status),
        granted: a.granted_amount.map(|g| wan(Some(g))).unwrap_or_default(),
        steps,
        a,
    })
}

async fn need_view(st: &AppState, n: zjtx_store::Need) -> Result<NeedView, AppError> {
    Ok(NeedView {
        amount: wan(Some(n.amount)),
        collateral: labels(&n.collateral),
        status: kind_label(&n.status),
        responses: st.store.need_responses(n.id).await?,
        n,
    })
}

#[derive(Deserialize, Default)]
pub struct HubQuery {
    /// For an enterprise: rank the products for this financing need (amount, term, collateral).
    #[serde(default)]
    pub need: Option<i64>,
}

/// `GET /finance`: the zone, as the user's role uses it.
pub async fn hub(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(hq): Query<HubQuery>,
) -> Result<FinancePage, AppError> {
    let today = st.today();
    let mut page = FinancePage {
        tr: Tr,
        nav: Nav::of(&user),
        role: user.user.role.key(),
        today: today.to_string(),
        needs: Vec::new(),
        consents: Vec::new(),
        access: Vec::new(),
        applications: Vec::new(),
        matched: Vec::new(),
        for_need: None,
        institutions: st.store.institutions().await?,
        institution_rows: Vec::new(),
        products: Vec::new(),
        open_needs: Vec::new(),
        searches: Vec::new(),
        pending: Vec::new(),
        events: Vec::new(),
        listing: Vec::new(),
        kinds: choices(fin::PRODUCT_KINDS),
        collaterals: choices(fin::COLLATERAL),
        categories: choices(fin::CATEGORIES),
        ch: Choices::new(&st).await?,
        stages: choices(fin::LISTING_STAGES),
        inst_kinds: choices(fin::INSTITUTION_KINDS),
    };
    match user.user.role {
        Role::Enterprise => {
            let uscc = own_uscc(&user)?;
            let row = st.store.enterprise(uscc).await?.ok_or(AppError::NotFound)?;
            for n in st.store.needs(Some(uscc)).await? {
                page.needs.push(need_view(&st, n).await?);
            }
            page.consents = st
                .store
                .consents(uscc, None)
                .await?
                .into_iter()
                .map(|c| {
                    let l = labels(&c.categories);
                    (c, l)
                })
                .collect();
            page.access = st
                .store
                .access_log(uscc)
                .await?
                .into_iter()
                .map(|a| {
                    let when = crate::pages::local_time(a.at, "%Y-%m-%d %H:%M");
                    let l = if a.categories == "public" {
                        i18n::t("公开信息").to_owned()
                    } else {
                        labels(&a.categories)
                    };
                    (when, a, l)
                })
                .collect();
            for a in st.store.applications(Some(uscc), None).await? {
                page.applications.push(app_view(&st, a).await?);
            }
            let need = match hq.need {
                Some(id) => {
                    let n = st
                        .store
                        .needs(Some(uscc))
                        .await?
                        .into_iter()
                        .find(|n| n.id == id)
                        .ok_or(AppError::NotFound)?;
                    page.for_need = Some(n.purpose.clone());
                    Some(need_terms(&n))
                }
                None => None,
            };
            page.matched = matches(&st, &row, need.as_ref()).await?;
        }
        Role::Institution => {
            let inst = institution_of(&user)?;
            page.products = st
                .store
                .products(None, Some(inst))
                .await?
                .into_iter()
                .map(product_view)
                .collect();
            // An open need is shown to the institutions with a listed product it matches
            // (the enterprise's eligibility and the need's amount, term and collateral).
            let listed: Vec<&ProductView> = page
                .products
                .iter()
                .filter(|v| v.p.status == "listed")
                .collect();
            for n in st.store.needs(None).await? {
                let Some(row) = st.store.enterprise(&n.uscc).await? else {
                    continue;
                };
                // Routed on what the consents let this institution know: a rule they leave
                // undecided does not hold the need back, so routing tells nothing more.
                let c = consented_facts(&st, user.user.id, inst, &row, "needs").await?;
                let need = need_terms(&n);
                let matched = listed.iter().any(|v| {
                    c.possible(&fin::check(
                        &eligibility(&v.p),
                        &terms(&v.p),
                        &c.facts,
                        Some(&need),
                    ))
                });
                if matched {
                    page.open_needs.push(need_view(&st, n).await?);
                }
            }
            for a in st.store.applications(None, Some(inst)).await? {
                page.applications.push(app_view(&st, a).await?);
            }
            page.searches = st.store.saved_searches(inst).await?;
        }
        Role::City | Role::District => {
            page.institution_rows = page
                .institutions
                .iter()
                .map(|i| (i.clone(), kind_label(&i.kind)))
                .collect();
            page.pending = st
                .store
                .products(Some("submitted"), None)
                .await?
                .into_iter()
                .map(product_view)
                .collect();
            let scope = user.scope(&st.store).await?;
            page.events = st.store.fin_events(scope.regions.as_deref()).await?;
            for l in st.store.listing_pipeline().await? {
                // A district sees the pipeline of its own firms only.
                let visible = st
                    .store
                    .enterprise(&l.uscc)
                    .await?
                    .is_some_and(|row| auth::can_see(&scope, &row));
                if !visible {
                    continue;
                }
                let history = st
                    .store
                    .listing_history(&l.uscc)
                    .await?
                    .into_iter()
                    .map(|(stage, _, at)| {
                        let day = crate::pages::local_day(at);
                        format!("{} ({day})", kind_label(&stage))
                    })
                    .collect::<Vec<_>>()
                    .join(" → ");
                let s = kind_label(&l.stage);
                page.listing.push((l, s, history));
            }
            if user.user.role == Role::District {
                page.pending.clear();
            }
        }
        _ => return Err(AppError::Forbidden),
    }
    Ok(page)
}

// ---- products -----------------------------------------------------------------------------------

/// An institution submits a product; the bureau reviews it before it is listed.
pub async fn create_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    let inst = institution_of(&user)?;
    let name = field(&form, "name").trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("名称")])));
    }
    let kind = field(&form, "kind");
    if !fin::PRODUCT_KINDS.contains(&kind) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("产品类型")])));
    }
    let min_amount = amount(field(&form, "min_amount"), i18n::t("最低金额"))?;
    let max_amount = amount(field(&form, "max_amount"), i18n::t("最高金额"))?;
    let term_min = int(field(&form, "term_min"), i18n::t("最短期限（月）"), 1, 360)?;
    let term_max = int(field(&form, "term_max"), i18n::t("最长期限（月）"), 1, 360)?;
    if min_amount > max_amount || term_min > term_max {
        return Err(bad(i18n::t("金额或期限的下限高于上限").into()));
    }
    let rate_kind = field(&form, "rate_kind");
    if !["fixed", "lpr"].contains(&rate_kind) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("利率")])));
    }
    let rate_bp = int(field(&form, "rate_bp"), i18n::t("利率（基点）"), 0, 5000)?;
    let collateral = picks(&form, "collateral", fin::COLLATERAL)?;
    if collateral.is_empty() {
        return Err(bad(i18n::t("请选择至少一种担保方式").into()));
    }
    let revenue_min = match field(&form, "revenue_min").trim() {
        "" => None,
        v => Some(amount(v, i18n::t("营业收入下限"))?),
    };
    let districts_all: Vec<String> = st
        .districts(&zjtx_store::Scope::all())
        .await?
        .into_iter()
        .map(|r| r.code.clone())
        .collect();
    let district_refs: Vec<&str> = districts_all.iter().map(String::as_str).collect();
    let el = Eligibility {
        tiers: picks(&form, "tiers", &["innovative", "tech_sme", "srdi", "giant"])?,
        sizes: picks(&form, "sizes", &["medium", "small", "micro", "large"])?,
        revenue_min,
        districts: picks(&form, "districts", &district_refs)?,
        ecosystems: picks(&form, "ecosystems", zjtx_core::enterprise::ECOSYSTEMS)?,
    };
    let text = |k: &str| field(&form, k).trim().chars().take(200).collect::<String>();
    st.store
        .create_product(
            &NewProduct {
                institution_id: inst,
                name: name.to_owned(),
                kind: kind.to_owned(),
                min_amount,
                max_amount,
                term_min,
                term_max,
                rate_kind: rate_kind.to_owned(),
                rate_bp,
                collateral: collateral.join(","),
                repayment: text("repayment"),
                channel: text("channel"),
                eligibility: serde_json::to_string(&el)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            },
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance"))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    pub csrf: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn review_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let list = match f.decision.as_str() {
        "list" => true,
        "reject" => false,
        _ => return Err(bad(i18n::t("请选择审核结论").into())),
    };
    if !list && f.reason.trim().is_empty() {
        return Err(bad(i18n::t("退回或不予推荐须写明理由").into()));
    }
    let p = st.store.product(id).await?.ok_or(AppError::NotFound)?;
    let staff: Vec<i64> = st
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.institution_id == Some(p.institution_id))
        .map(|u| u.id)
        .collect();
    let link = format!("/finance/products/{id}");
    let text = i18n::f(
        "产品“{}”：{}",
        &[
            &p.name,
            &kind_label(if list { "listed" } else { "rejected" }),
        ],
    );
    let msgs: Vec<Message> = staff
        .into_iter()
        .map(|u| Message {
            user_id: u,
            text: text.clone(),
            link: &link,
        })
        .collect();
    st.store
        .review_product(id, list, f.reason.trim(), Some(user.user.id), &msgs)
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to("/finance"))
}

pub async fn withdraw_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::declare::CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    st.store
        .withdraw_product(id, inst, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/finance"))
}

#[derive(Template, WebTemplate)]
#[template(path = "fin_product.html")]
pub struct ProductPage {
    pub tr: Tr,
    pub nav: Nav,
    pub v: ProductView,
    pub el: Vec<String>,
    pub mine: Option<MatchView>,
    pub needs: Vec<zjtx_store::Need>,
    pub eligible: Vec<(String, String)>,
    pub can_apply: bool,
}

/// `GET /finance/products/{id}`: a product; for an enterprise, how it matches; for its institution
/// (consenting firms only) and the bureau, the eligible enterprises.
pub async fn product_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<ProductPage, AppError> {
    let p = st.store.product(id).await?.ok_or(AppError::NotFound)?;
    let owner =
        user.user.institution_id == Some(p.institution_id) && user.user.role == Role::Institution;
    let listed = p.status == "listed";
    let (el_spec, t) = (eligibility(&p), terms(&p));
    let mut el = Vec::new();
    if !el_spec.tiers.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("tier"),
            el_spec
                .tiers
                .iter()
                .map(|k| glossary::tier_short(k, lang()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    if !el_spec.sizes.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("size"),
            el_spec
                .sizes
                .iter()
                .map(|k| glossary::size_by_key(k, lang()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    if let Some(r) = el_spec.revenue_min {
        el.push(format!("{} ≥ {}", kind_label("revenue"), wan(Some(r))));
    }
    if !el_spec.districts.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("district"),
            el_spec.districts.join("、")
        ));
    }
    if !el_spec.ecosystems.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("ecosystem"),
            el_spec
                .ecosystems
                .iter()
                .map(|e| glossary::ecosystem(e, lang()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    let (mut mine, mut needs, mut eligible) = (None, Vec::new(), Vec::new());
    match user.user.role {
        Role::Enterprise if listed => {
            let uscc = own_uscc(&user)?;
            let row = st.store.enterprise(uscc).await?.ok_or(AppError::NotFound)?;
            let m = fin::check(&el_spec, &t, &facts(&st, &row).await?, None);
            mine = Some(MatchView {
                eligible: m.eligible,
                met: m
                    .reasons
                    .iter()
                    .filter(|r| r.met)
                    .map(reason_text)
                    .collect(),
                missed: m
                    .reasons
                    .iter()
                    .filter(|r| !r.met)
                    .map(reason_text)
                    .collect(),
                p: p.clone(),
            });
            needs = st
                .store
                .needs(Some(uscc))
                .await?
                .into_iter()
                .filter(|n| n.status == "open")
                .collect();
        }
        Role::Institution if owner => {
            let today = st.today().to_string();
            // Eligible on what the consents show: a firm whose consents leave a rule undecided
            // is not listed, and the decision uses nothing the firm has not shown this bank.
            let route = format!("product:{}", p.id);
            for u in st.store.consenting(p.institution_id, &today).await? {
                if let Some(row) = st.store.enterprise(&u).await? {
                    let c =
                        consented_facts(&st, user.user.id, p.institution_id, &row, &route).await?;
                    if fin::check(&el_spec, &t, &c.facts, None).eligible {
                        eligible.push((row.uscc, row.name));
                    }
                }
            }
        }
        Role::City => {
            // The bureau sees the whole registry; the first 200 eligible enterprises.
            let mut f = zjtx_store::Filter {
                per_page: 200,
                today: st.today(),
                ..Default::default()
            };
            loop {
                let page = st.store.list(&f, &zjtx_store::Scope::all()).await?;
                for row in &page.items {
                    if eligible.len() < 200
                        && fin::check(&el_spec, &t, &facts(&st, row).await?, None).eligible
                    {
                        eligible.push((row.uscc.clone(), row.name.clone()));
                    }
                }
                match page.next {
                    Some(n) if eligible.len() < 200 => f.after = Some(n),
                    _ => break,
                }
            }
        }
        _ if listed => {}
        _ => return Err(AppError::NotFound),
    }
    Ok(ProductPage {
        tr: Tr,
        nav: Nav::of(&user),
        can_apply: mine.as_ref().is_some_and(|m| m.eligible),
        v: product_view(p),
        el,
        mine,
        needs,
        eligible,
    })
}

// ---- needs, consent, applications (the enterprise) -------------------------------------------------

pub async fn post_need(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    let uscc = own_uscc(&user)?.to_owned();
    let amt = amount(field(&form, "amount"), i18n::t("金额"))?;
    if amt <= 0 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("金额")])));
    }
    let term = int(field(&form, "term_months"), i18n::t("期限（月）"), 1, 360)?;
    let purpose = field(&form, "purpose").trim();
    if purpose.is_empty() || purpose.chars().count() > 500 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("用途")])));
    }
    let collateral = picks(&form, "collateral", fin::COLLATERAL)?;
    st.store
        .post_need(
            &uscc,
            amt,
            purpose,
            term,
            &collateral.join(","),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance"))
}

#[derive(Deserialize)]
pub struct RespondForm {
    pub csrf: String,
    #[serde(default)]
    pub product: String,
    pub text: String,
}

/// An institution answers an open need (optionally with one of its listed products).
pub async fn respond_need(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<RespondForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    let text = f.text.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("回复")])));
    }
    let product = match f.product.trim() {
        "" => None,
        p => {
            let p = st
                .store
                .product(
                    p.parse()
                        .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("产品")])))?,
                )
                .await?
                .filter(|p| p.institution_id == inst && p.status == "listed")
                .ok_or_else(|| conflict(i18n::t("只能推荐本机构已上架的产品")))?;
            Some(p.id)
        }
    };
    let need = st
        .store
        .needs(None)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(AppError::NotFound)?;
    // Only an institution with a listed product matching the need sees it, and so answers it.
    let row = st
        .store
        .enterprise(&need.uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = consented_facts(&st, user.user.id, inst, &row, "needs").await?;
    let terms_need = need_terms(&need);
    let matches_need = st
        .store
        .products(Some("listed"), Some(inst))
        .await?
        .iter()
        .any(|p| {
            c.possible(&fin::check(
                &eligibility(p),
                &terms(p),
                &c.facts,
                Some(&terms_need),
            ))
        });
    if !matches_need {
        return Err(AppError::NotFound);
    }
    let (owner, _) = st.store.recipients(&need.uscc, None).await?;
    let msgs: Vec<Message> = owner
        .into_iter()
        .map(|u| Message {
            user_id: u,
            text: i18n::f("您的融资需求有新回复：{}", &[&text]),
            link: "/finance",
        })
        .collect();
    st.store
        .respond_need(id, inst, product, text, Some(user.user.id), &msgs)
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to("/finance"))
}

/// The enterprise grants an institution access to named categories, for a purpose and a period.
pub async fn grant(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    let uscc = own_uscc(&user)?.to_owned();
    let inst: i64 = field(&form, "institution")
        .parse()
        .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("机构")])))?;
    let categories = picks(&form, "categories", fin::CATEGORIES)?;
    if categories.is_empty() {
        return Err(bad(i18n::t("请选择至少一类数据").into()));
    }
    let purpose = field(&form, "purpose").trim();
    if purpose.is_empty() || purpose.chars().count() > 200 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("用途")])));
    }
    let max_days = disclosure_rules(&st)?.consent_max_days;
    let days = int(field(&form, "days"), i18n::t("有效天数"), 1, max_days)?;
    let from = st.today();
    let until = from + Days::new(u64::try_from(days - 1).unwrap_or(0));
    let predicates = field(&form, "predicates_only") == "yes";
    st.store
        .grant_consent(
            &uscc,
            inst,
            &categories.join(","),
            predicates,
            purpose,
            &from.to_string(),
            &until.to_string(),
            Some(user.user.id),
        )
        .await?;
    tell_saved_searches(&st, inst, &uscc).await?;
    Ok(Redirect::to("/finance#consents"))
}

pub async fn revoke(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::declare::CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let uscc = own_uscc(&user)?.to_owned();
    st.store
        .revoke_consent(id, &uscc, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/finance#consents"))
}

#[derive(Deserialize)]
pub struct ApplyForm {
    pub csrf: String,
    pub amount: String,
    #[serde(default)]
    pub need: String,
}

/// The enterprise applies for a product it is eligible for.
pub async fn apply(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let uscc = own_uscc(&user)?.to_owned();
    let p = st
        .store
        .product(id)
        .await?
        .filter(|p| p.status == "listed")
        .ok_or(AppError::NotFound)?;
    let row = st
        .store
        .enterprise(&uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let amt = amount(&f.amount, i18n::t("金额"))?;
    let need = match f.need.trim() {
        "" => None,
        n => Some(
            st.store
                .needs(Some(&uscc))
                .await?
                .into_iter()
                .find(|x| x.id.to_string() == n && x.status == "open")
                .ok_or_else(|| conflict(i18n::t("该融资需求不存在或已结束")))?,
        ),
    };
    let terms_need = fin::Need {
        amount: amt,
        term_months: need.as_ref().map_or(p.term_min, |n| n.term_months),
        collateral: need
            .as_ref()
            .map(|n| {
                n.collateral
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let m = fin::check(
        &eligibility(&p),
        &terms(&p),
        &facts(&st, &row).await?,
        Some(&terms_need),
    );
    if !m.eligible {
        let missed: Vec<String> = m
            .reasons
            .iter()
            .filter(|r| !r.met)
            .map(reason_text)
            .collect();
        return Err(conflict(i18n::f(
            "不符合申请条件：{}",
            &[&missed.join("；")],
        )));
    }
    st.store
        .apply(
            &uscc,
            id,
            need.map(|n| n.id),
            amt,
            &st.today().to_string(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#applications"))
}

#[derive(Deserialize)]
pub struct StepForm {
    pub csrf: String,
    pub to: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub reason: String,
}

/// The institution moves an application on: accepted → granted (amount, date) → disbursed (date),
/// or declined with a reason at any point before disbursement.
pub async fn step(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    let a = st
        .store
        .application(id)
        .await?
        .filter(|a| a.institution_id == inst)
        .ok_or(AppError::NotFound)?;
    let date = || {
        chrono::NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
            .map(|d| d.to_string())
            .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("日期")])))
    };
    let (from, amt, on, detail): (&[&str], Option<i64>, Option<String>, String) =
        match f.to.as_str() {
            "accepted" => (&["applied"], None, None, String::new()),
            "granted" => {
                let g = amount(&f.amount, i18n::t("授信金额"))?;
                if g <= 0 {
                    return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("授信金额")])));
                }
                (&["accepted"], Some(g), Some(date()?), wan(Some(g)))
            }
            "disbursed" => (&["granted"], None, Some(date()?), String::new()),
            "declined" => {
                let r = f.reason.trim();
                if r.is_empty() {
                    return Err(bad(i18n::t("请写明拒绝理由").into()));
                }
                (
                    &["applied", "accepted", "granted"],
                    None,
                    None,
                    r.to_owned(),
                )
            }
            _ => return Err(bad(i18n::t("请选择审核结论").into())),
        };
    let (owner, _) = st.store.recipients(&a.uscc, None).await?;
    let text = i18n::f("贷款申请“{}”：{}", &[&a.product, &kind_label(&f.to)]);
    let msgs: Vec<Message> = owner
        .into_iter()
        .map(|u| Message {
            user_id: u,
            text: text.clone(),
            link: "/finance#applications",
        })
        .collect();
    st.store
        .application_step(
            id,
            inst,
            from,
            &f.to,
            amt,
            on.as_deref(),
            &detail,
            Some(user.user.id),
            &msgs,
        )
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to("/finance#applications"))
}

// ---- screening (the institution) ------------------------------------------------------------------

#[derive(Deserialize, Default, Clone, Serialize)]
pub struct ScreenQuery {
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub ecosystem: String,
    /// Revenue floor in 万元: a predicate, answered only where a consent covers the financials.
    #[serde(default)]
    pub revenue_min: String,
}

impl ScreenQuery {
    fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

pub struct ScreenRow {
    pub uscc: String,
    pub name: String,
    pub district: String,
    pub basis: &'static str,
}

/// The enterprises an institution may screen today that pass a screening: those with a consent
/// in force (on the categories the consent covers) and those on the public titled list (on their
/// public titles and district only).
async fn screen_rows(
    st: &AppState,
    user_id: i64,
    inst: i64,
    q: &ScreenQuery,
    only: Option<&str>,
) -> Result<Vec<ScreenRow>, AppError> {
    let today = st.today().to_string();
    let min = match q.revenue_min.trim() {
        "" => None,
        v => Some(amount(v, i18n::t("营业收入下限"))?),
    };
    let titled = st.store.titled(&today, None).await?;
    let consenting = st.store.consenting(inst, &today).await?;
    let mut candidates = consenting.clone();
    for t in &titled {
        if !candidates.contains(&t.uscc) {
            candidates.push(t.uscc.clone());
        }
    }
    let mut out = Vec::new();
    for u in candidates {
        if only.is_some_and(|o| o != u) {
            continue;
        }
        let Some(row) = st.store.enterprise(&u).await? else {
            continue;
        };
        let route = if only.is_some() { "alert" } else { "screening" };
        let c = consented_facts(st, user_id, inst, &row, route).await?;
        let f = &c.facts;
        let ok_tier = q.tier.is_empty() || f.tiers.contains(&q.tier);
        let ok_size = q.size.is_empty() || f.size == q.size;
        let ok_eco = q.ecosystem.is_empty() || f.ecosystem.as_deref() == Some(q.ecosystem.as_str());
        let ok_region = q.region.is_empty() || f.district.as_deref() == Some(q.region.as_str());
        let ok_rev = min.is_none_or(|m| f.revenue.is_some_and(|r| r >= m));
        if ok_tier && ok_size && ok_eco && ok_region && ok_rev {
            out.push(ScreenRow {
                basis: if consenting.contains(&u) {
                    i18n::t("已授权")
                } else {
                    i18n::t("公开名单")
                },
                district: row.region_name.clone().unwrap_or_default(),
                uscc: row.uscc,
                name: row.name,
            });
        }
    }
    Ok(out)
}

#[derive(Template, WebTemplate)]
#[template(path = "fin_screen.html")]
pub struct ScreenPage {
    pub tr: Tr,
    pub nav: Nav,
    pub q: ScreenQuery,
    pub rows: Vec<ScreenRow>,
    pub query: String,
    pub ch: Choices,
    pub searches: Vec<zjtx_store::SavedSearch>,
}

pub async fn screen(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ScreenQuery>,
) -> Result<ScreenPage, AppError> {
    let inst = institution_of(&user)?;
    let rows = screen_rows(&st, user.user.id, inst, &q, None).await?;
    Ok(ScreenPage {
        tr: Tr,
        nav: Nav::of(&user),
        query: q.query_string(),
        rows,
        ch: Choices::new(&st).await?,
        searches: st.store.saved_searches(inst).await?,
        q,
    })
}

#[derive(Deserialize)]
pub struct SaveForm {
    pub csrf: String,
    pub name: String,
    pub query: String,
}

/// Saves a screening; its owner is told when a new enterprise matches it.
pub async fn save_search(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<SaveForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    let q: ScreenQuery = serde_urlencoded::from_str(&f.query).map_err(|e| bad(e.to_string()))?;
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("名称")])));
    }
    let seen: Vec<String> = screen_rows(&st, user.user.id, inst, &q, None)
        .await?
        .into_iter()
        .map(|r| r.uscc)
        .collect();
    st.store
        .save_search(inst, user.user.id, name, &q.query_string(), &seen.join(","))
        .await?;
    Ok(Redirect::to(&format!(
        "/finance/screen?{}",
        q.query_string()
    )))
}

/// After a consent: each saved search of the institution that now finds an enterprise it had not
/// seen tells its owner.
async fn tell_saved_searches(st: &AppState, inst: i64, uscc: &str) -> Result<(), AppError> {
    for s in st.store.saved_searches(inst).await? {
        let seen: Vec<&str> = s.seen.split(',').filter(|x| !x.is_empty()).collect();
        if seen.contains(&uscc) {
            continue;
        }
        let q: ScreenQuery = serde_urlencoded::from_str(&s.filter).unwrap_or_default();
        let rows = screen_rows(st, s.user_id, inst, &q, Some(uscc)).await?;
        if let Some(r) = rows.iter().find(|r| r.uscc == uscc) {
            let mut all: Vec<String> = seen.iter().map(|x| (*x).to_owned()).collect();
            all.push(uscc.to_owned());
            let link = format!("/finance/enterprises/{uscc}");
            let text = i18n::f("筛选“{}”有新的符合条件企业：{}", &[&s.name, &r.name]);
            let msgs = [Message {
                user_id: s.user_id,
                text,
                link: &link,
            }];
            st.store.search_seen(s.id, &all.join(","), &msgs).await?;
            crate::mail::deliver(st, &msgs);
        }
    }
    Ok(())
}

// ---- the bureau: institutions, events, listing pipeline, statistics ---------------------------------

pub async fn create_institution(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let name = field(&form, "name").trim();
    let kind = field(&form, "kind");
    if name.is_empty() || name.chars().count() > 100 || !fin::INSTITUTION_KINDS.contains(&kind) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("机构")])));
    }
    let id = st
        .store
        .create_institution(name, kind, Some(user.user.id))
        .await?;
    for staff in field(&form, "staff")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
    {
        st.store
            .set_institution(staff, id, Some(user.user.id))
            .await?;
    }
    Ok(Redirect::to("/finance"))
}

fn may_run_events(user: &CurrentUser) -> Result<(), AppError> {
    if matches!(user.user.role, Role::City | Role::District) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn create_event(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    may_run_events(&user)?;
    let title = field(&form, "title").trim();
    let date = chrono::NaiveDate::parse_from_str(field(&form, "held_on").trim(), "%Y-%m-%d")
        .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("日期")])))?;
    if title.is_empty() || title.chars().count() > 200 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("名称")])));
    }
    // A district office holds events in its own district.
    let region = match user.user.role {
        Role::District => user.user.region_code.clone(),
        _ => Some(field(&form, "region").to_owned()).filter(|r| !r.is_empty()),
    };
    st.store
        .create_fin_event(
            title,
            &date.to_string(),
            region.as_deref(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#events"))
}

pub async fn add_participant(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    may_run_events(&user)?;
    let regions = user.scope(&st.store).await?.regions;
    let ev = st
        .store
        .fin_events(regions.as_deref())
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(AppError::NotFound)?;
    let who = field(&form, "who").trim();
    let (uscc, inst) = match zjtx_core::ids::Uscc::parse(who) {
        Ok(u) => (Some(u.to_string()), None),
        Err(_) => (
            None,
            Some(
                who.parse::<i64>()
                    .ok()
                    .filter(|i| *i > 0)
                    .ok_or_else(|| bad(i18n::t("参与方应为统一社会信用代码或机构编号").into()))?,
            ),
        ),
    };
    let outcome = field(&form, "outcome").trim();
    if who.chars().count() > 200 || outcome.chars().count() > 1000 {
        return Err(bad(i18n::t("内容过长").to_owned()));
    }
    let amt = match field(&form, "amount").trim() {
        "" => None,
        v => Some(amount(v, i18n::t("金额"))?),
    };
    st.store
        .add_participant(
            ev.id,
            uscc.as_deref(),
            inst,
            outcome,
            amt,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#events"))
}

pub async fn set_stage(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    user.check_csrf(field(&form, "csrf"))?;
    may_run_events(&user)?;
    let uscc = zjtx_core::ids::Uscc::parse(field(&form, "uscc").trim())
        .map_err(|e| bad(format!("{}：{e}", i18n::t("统一社会信用代码"))))?
        .to_string();
    let row = st
        .store
        .enterprise(&uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    if !auth::can_see(&user.scope(&st.store).await?, &row) {
        return Err(AppError::NotFound);
    }
    let stage = field(&form, "stage");
    if !fin::LISTING_STAGES.contains(&stage) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("阶段")])));
    }
    st.store
        .set_listing_stage(
            &uscc,
            stage,
            field(&form, "note").trim(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#listing"))
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub region: String,
}

struct StatsInput {
    from: String,
    to: String,
    regions: Option<Vec<String>>,
}

async fn stats_input(
    st: &AppState,
    user: &CurrentUser,
    q: &StatsQuery,
) -> Result<StatsInput, AppError> {
    if !matches!(user.user.role, Role::City | Role::District) {
        return Err(AppError::Forbidden);
    }
    let today = st.today();
    let parse = |v: &str, default: chrono::NaiveDate| match v.trim() {
        "" => Ok(default),
        v => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("日期")]))),
    };
    let from = parse(
        &q.from,
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today),
    )?;
    let to = parse(&q.to, today)?;
    let scope = user.scope(&st.store).await?.regions;
    let regions = match (q.region.trim(), scope) {
        ("", s) => s,
        (r, None) => Some(vec![r.to_owned()]),
        (r, Some(s)) if s.iter().any(|x| x == r) => Some(vec![r.to_owned()]),
        _ => return Err(AppError::NotFound),
    };
    Ok(StatsInput {
        from: from.to_string(),
        to: to.to_string(),
        regions,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "fin_stats.html")]
pub struct StatsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub from: String,
    pub to: String,
    pub region: String,
    pub s: zjtx_store::FinStats,
    pub granted: String,
    pub disbursed: String,
    pub by_tier: Vec<(&'static str, i64, String)>,
    pub districts: Vec<(String, String)>,
    pub query: String,
}

pub async fn stats(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> Result<StatsPage, AppError> {
    let input = stats_input(&st, &user, &q).await?;
    let s = st
        .store
        .fin_stats(&input.from, &input.to, input.regions.as_deref())
        .await?;
    let districts = st
        .districts(&user.scope(&st.store).await?)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect();
    Ok(StatsPage {
        tr: Tr,
        nav: Nav::of(&user),
        query: format!(
            "from={}&to={}&region={}",
            input.from,
            input.to,
            q.region.trim()
        ),
        granted: wan(Some(s.granted_amount)),
        disbursed: wan(Some(s.disbursed_amount)),
        by_tier: s
            .by_tier
            .iter()
            .map(|(t, n, a)| (glossary::tier_short(t, lang()), *n, wan(Some(*a))))
            .collect(),
        region: q.region.trim().to_owned(),
        from: input.from,
        to: input.to,
        s,
        districts,
    })
}

/// `GET /finance/stats.xlsx`: the same figures in Excel.
pub async fn stats_xlsx(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    let input = stats_input(&st, &user, &q).await?;
    let s = st
        .store
        .fin_stats(&input.from, &input.to, input.regions.as_deref())
        .await?;
    let mut rows: Vec<Vec<String>> = vec![
        vec![
            i18n::t("期间").into(),
            format!("{} – {}", input.from, input.to),
        ],
        vec![i18n::t("金融机构").into(), s.institutions.to_string()],
        vec![i18n::t("上架产品").into(), s.products_listed.to_string()],
        vec![i18n::t("发布融资需求").into(), s.needs_posted.to_string()],
        vec![i18n::t("已满足需求").into(), s.needs_met.to_string()],
        vec![i18n::t("贷款申请").into(), s.applications.to_string()],
        vec![i18n::t("授信笔数").into(), s.granted_count.to_string()],
        vec![
            i18n::t("授信金额（万元）").into(),
            wan(Some(s.granted_amount)),
        ],
        vec![i18n::t("放款笔数").into(), s.disbursed_count.to_string()],
        vec![
            i18n::t("放款金额（万元）").into(),
            wan(Some(s.disbursed_amount)),
        ],
        vec![i18n::t("服务企业").into(), s.enterprises_served.to_string()],
    ];
    for (t, n, a) in &s.by_tier {
        rows.push(vec![
            format!(
                "{} · {}",
                i18n::t("服务企业"),
                glossary::tier_short(t, lang())
            ),
            format!("{n} / {}", wan(Some(*a))),
        ]);
    }
    let headers = [i18n::t("指标"), i18n::t("数值")];
    let sheet = i18n::t("金融专区统计");
    let body =
        tokio::task::spawn_blocking(move || zjtx_sheet::write::table_xlsx(sheet, &headers, rows))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"finance-stats.xlsx\"",
            ),
        ],
        body,
    )
        .into_response())
}
