//! Declaration, review and recognition of titles: batches, an enterprise's declaration with its
//! live self-assessment and evidence, district and city review, the expert draw and scores, the
//! public notice with objections, recognition with its decision record and certificate, and what
//! follows (yearly update, major changes, re-review, revocation). Every step checks the role, the
//! scope and the state; the store makes each step one transaction with its audit record.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use zjtx_core::glossary::{self, Lang};
use zjtx_core::workflow::declaration::{self as flow, Decision, Refusal, Status};
use zjtx_core::workflow::title::{self as title_flow, Event};
use zjtx_core::{Tier, Verdict};
use zjtx_store::{Batch, Declaration, Message, NewBatch, NewDecision, NewReview, Role, StoreError};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::pages::{self, Nav, RuleRow, WhatIfField};

/// The largest evidence file accepted, in bytes, under `rules` (`[declaration]`).
pub fn max_evidence(rules: &[zjtx_core::RuleSet]) -> usize {
    rules
        .first()
        .map_or(0, |r| (r.common.declaration.evidence_max_mb as usize) << 20)
}

fn lang() -> Lang {
    i18n::lang()
}

fn tier_of(key: &str) -> Option<Tier> {
    match key {
        "innovative" => Some(Tier::Innovative),
        "srdi" => Some(Tier::Srdi),
        "giant" => Some(Tier::Giant),
        _ => None,
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The same message to each of some users.
fn tell<'a>(users: impl IntoIterator<Item = i64>, text: String, link: &'a str) -> Vec<Message<'a>> {
    users
        .into_iter()
        .map(|user_id| Message {
            user_id,
            text: text.clone(),
            link,
        })
        .collect()
}

/// The verdict of one tier in a summary.
fn tier_verdict(s: &zjtx_core::Summary, tier: &str) -> Verdict {
    match tier {
        "innovative" => s.innovative,
        "tech_sme" => s.tech_sme,
        "srdi" => s.srdi,
        "giant" => s.giant,
        _ => Verdict::Review,
    }
}

fn conflict(msg: impl Into<String>) -> AppError {
    AppError::Store(StoreError::Conflict(msg.into()))
}

/// A state's name for readers.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => i18n::t("草稿"),
        Status::Submitted => i18n::t("待区县审核"),
        Status::Returned => i18n::t("退回修改"),
        Status::Withdrawn => i18n::t("已撤回"),
        Status::Recommended => i18n::t("区县已推荐"),
        Status::Rejected => i18n::t("未通过"),
        Status::Approved => i18n::t("市级已通过"),
        Status::Notice => i18n::t("公示中"),
        Status::Recognised => i18n::t("已认定"),
        Status::Refused => i18n::t("公示异议成立"),
    }
}

/// A refusal of the declaration workflow as the user reads it. Refusals that need more than the
/// core knows (a ban's end and reason, the evaluation's verdict) are worded by their handler.
fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::WrongState(s) => conflict(i18n::f(
            "申报当前状态为“{}”，不能进行此操作",
            &[&status_label(s)],
        )),
        Refusal::Closed(until) => conflict(i18n::f("已过截止日期 {}", &[&until])),
        Refusal::ReviewClosed(until) => conflict(i18n::f("已过审核截止日期 {}", &[&until])),
        Refusal::NoPledge => AppError::BadRequest(i18n::t("请先签署真实性承诺").into()),
        Refusal::Barred => conflict(i18n::t("该企业处于禁止申报期内")),
        Refusal::NoDecision => AppError::BadRequest(i18n::t("请选择审核结论").into()),
        Refusal::ReasonRequired => AppError::BadRequest(i18n::t("退回或不予推荐须写明理由").into()),
        Refusal::QuotaFull(q) => conflict(i18n::f("本批次名额 {} 已满", &[&q])),
        Refusal::ScoresMissing(None) => AppError::BadRequest(
            i18n::t("尚未抽取专家：通过须填写“专家评分未齐时通过的理由”").into(),
        ),
        Refusal::ScoresMissing(Some(n)) => AppError::BadRequest(i18n::f(
            "还有 {} 位抽取的专家未评分：通过须填写“专家评分未齐时通过的理由”",
            &[&n],
        )),
        Refusal::EvaluationFails => AppError::BadRequest(
            i18n::t("评价未通过：通过须填写“评价未通过时仍予通过的理由”").into(),
        ),
        Refusal::NotOnNotice => conflict(i18n::t("不在公示期内")),
        Refusal::NoticeRunning => conflict(i18n::t("公示期尚未结束")),
        Refusal::ObjectionOpen => conflict(i18n::t("尚有未处理的异议")),
    }
}

/// The batch's dates as the workflow reads them.
fn batch_dates(b: &Batch) -> Result<flow::Batch, AppError> {
    let day =
        |s: &str| date(s).ok_or_else(|| AppError::Internal(format!("batch {} date {s:?}", b.id)));
    Ok(flow::Batch {
        declare_until: day(&b.declare_until)?,
        district_until: day(&b.district_until)?,
        city_until: day(&b.city_until)?,
        archived: b.archived,
        quota: b.quota,
    })
}

/// A declaration's notice window, once it went on notice.
fn notice_window(d: &Declaration) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        date(d.notice_from.as_deref()?)?,
        date(d.notice_until.as_deref()?)?,
    ))
}

// ---- batches --------------------------------------------------------------------------------------

pub struct BatchItem {
    pub b: Batch,
    pub tier: &'static str,
    pub open: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "batches.html")]
pub struct BatchesPage {
    pub tr: Tr,
    pub nav: Nav,
    pub items: Vec<BatchItem>,
    pub can_create: bool,
    pub rule_sets: Vec<String>,
    pub year: i32,
    pub tiers: Vec<(&'static str, &'static str)>,
    /// The notice days a new batch proposes (the rules' `[declaration]`).
    pub notice_days: u32,
}

fn sees_batches(u: &CurrentUser) -> bool {
    matches!(u.user.role, Role::City | Role::District | Role::Enterprise)
}

pub async fn batches(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<BatchesPage, AppError> {
    if !sees_batches(&user) {
        return Err(AppError::Forbidden);
    }
    let today = st.today();
    let items = st
        .store
        .batches()
        .await?
        .into_iter()
        .map(|b| BatchItem {
            tier: glossary::tier_by_key(&b.tier, lang()),
            open: !b.archived && date(&b.declare_until).is_some_and(|d| today <= d),
            b,
        })
        .collect();
    Ok(BatchesPage {
        tr: Tr,
        nav: Nav::of(&user),
        items,
        can_create: user.user.role == Role::City,
        rule_sets: st.rules.iter().map(|r| r.id.clone()).collect(),
        year: today.year(),
        tiers: ["innovative", "srdi", "giant"]
            .map(|k| (k, glossary::tier_by_key(k, lang())))
            .to_vec(),
        notice_days: st
            .rules
            .first()
            .map_or(0, |r| r.common.declaration.notice_days_default),
    })
}

#[derive(Deserialize)]
pub struct BatchForm {
    pub csrf: String,
    pub tier: String,
    pub year: String,
    pub rules: String,
    pub title: String,
    pub declare_until: String,
    pub district_until: String,
    pub city_until: String,
    pub notice_days: String,
    pub quota: String,
    pub experts_per: String,
}

pub async fn create_batch(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<BatchForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let bad = |what: &str| AppError::BadRequest(i18n::f("{}：格式有误", &[&what]));
    if tier_of(&f.tier).is_none() {
        return Err(bad(i18n::t("梯度")));
    }
    if !st.rules.iter().any(|r| r.id == f.rules) {
        return Err(bad(i18n::t("规则")));
    }
    let year: i64 = f
        .year
        .trim()
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| bad(i18n::t("年度")))?;
    let d = |v: &str, what: &str| date(v).ok_or_else(|| bad(what));
    let declare = d(&f.declare_until, i18n::t("申报截止"))?;
    let district = d(&f.district_until, i18n::t("区县审核截止"))?;
    let city = d(&f.city_until, i18n::t("市级审核截止"))?;
    if !(declare <= district && district <= city) {
        return Err(AppError::BadRequest(
            i18n::t("截止日期应依次为：申报 ≤ 区县审核 ≤ 市级审核").into(),
        ));
    }
    let num = |v: &str, what: &str, lo: i64, hi: i64| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| bad(what))
    };
    let notice_max = st
        .rules
        .first()
        .map_or(0, |r| r.common.declaration.notice_days_max);
    let notice_days = num(
        &f.notice_days,
        i18n::t("公示天数"),
        0,
        i64::from(notice_max),
    )?;
    let experts_per = num(&f.experts_per, i18n::t("每份专家数"), 1, 15)?;
    let quota = match f.quota.trim() {
        "" => None,
        q => Some(num(q, i18n::t("名额"), 1, 100_000)?),
    };
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(bad(i18n::t("名称")));
    }
    let id = open_batch(
        &st.store,
        &NewBatch {
            tier: f.tier.clone(),
            year,
            rules: f.rules.clone(),
            title: title.to_owned(),
            declare_until: declare.to_string(),
            district_until: district.to_string(),
            city_until: city.to_string(),
            notice_days,
            quota,
            experts_per,
        },
        Some(user.user.id),
    )
    .await?;
    Ok(Redirect::to(&format!("/batches/{id}")))
}

pub struct DeclItem {
    pub d: Declaration,
    pub status: &'static str,
    pub overdue: bool,
    pub district: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "batch.html")]
pub struct BatchPage {
    pub tr: Tr,
    pub nav: Nav,
    pub b: Batch,
    /// The next draw round's published seed commitment.
    pub commitment: Option<String>,
    pub tier: &'static str,
    pub open: bool,
    pub items: Vec<DeclItem>,
    pub own: Option<i64>,
    pub can_declare: bool,
    pub is_city: bool,
    pub drawn: bool,
    pub approved: usize,
    pub on_notice: usize,
    pub notice_over: bool,
}

async fn batch_or_404(st: &AppState, id: i64) -> Result<Batch, AppError> {
    st.store.batch(id).await?.ok_or(AppError::NotFound)
}

pub async fn batch(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<BatchPage, AppError> {
    if !sees_batches(&user) {
        return Err(AppError::Forbidden);
    }
    let b = batch_or_404(&st, id).await?;
    let today = st.today();
    let regions = st.regions().await?;
    let region_name = |c: &Option<String>| {
        c.as_ref()
            .and_then(|c| regions.iter().find(|r| r.code == *c))
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let decls = match user.user.role {
        Role::City => {
            let sees: Vec<Status> = Status::ALL.into_iter().filter(|s| s.city_sees()).collect();
            st.store.declarations(id, &sees, None).await?
        }
        Role::District => {
            let scope = user.scope(&st.store).await?;
            let regions = scope.regions.unwrap_or_default();
            let all = st.store.declarations(id, &[], Some(&regions)).await?;
            all.into_iter()
                .filter(|d| d.status != Status::Draft)
                .collect()
        }
        _ => Vec::new(),
    };
    let deadline = |s: Status| match s {
        Status::Submitted => date(&b.district_until),
        Status::Recommended => date(&b.city_until),
        _ => None,
    };
    let items: Vec<DeclItem> = decls
        .into_iter()
        .map(|d| DeclItem {
            status: status_label(d.status),
            overdue: deadline(d.status).is_some_and(|l| today > l),
            district: region_name(&d.region_code),
            d,
        })
        .collect();
    let own = match (&user.user.role, &user.user.uscc) {
        (Role::Enterprise, Some(u)) => st
            .store
            .declarations_of(u)
            .await?
            .into_iter()
            .find(|d| d.batch_id == id)
            .map(|d| d.id),
        _ => None,
    };
    let open = !b.archived && date(&b.declare_until).is_some_and(|d| today <= d);
    let rounds = st.store.draws_of(id).await?.len() as i64;
    let count = |s: Status| items.iter().filter(|i| i.d.status == s).count();
    Ok(BatchPage {
        tr: Tr,
        nav: Nav::of(&user),
        tier: glossary::tier_by_key(&b.tier, lang()),
        can_declare: open && own.is_none() && user.user.role == Role::Enterprise,
        is_city: user.user.role == Role::City,
        drawn: rounds > 0,
        commitment: st
            .store
            .seed_commits(id)
            .await?
            .into_iter()
            .find(|c| c.round == rounds + 1)
            .map(|c| c.commitment),
        approved: count(Status::Approved),
        on_notice: count(Status::Notice),
        notice_over: items
            .iter()
            .any(|i| i.d.status == Status::Notice && notice_ended(&i.d, today)),
        open,
        own,
        items,
        b,
    })
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn archive_batch(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    batch_or_404(&st, id).await?;
    st.store.archive_batch(id, Some(user.user.id)).await?;
    Ok(Redirect::to("/batches"))
}

/// An enterprise starts its declaration, pre-filled with its latest registry figures.
pub async fn declare(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let (Role::Enterprise, Some(uscc)) = (&user.user.role, &user.user.uscc) else {
        return Err(AppError::Forbidden);
    };
    let b = batch_or_404(&st, id).await?;
    let today = st.today();
    if b.archived || date(&b.declare_until).is_none_or(|d| today > d) {
        return Err(conflict(i18n::t("申报已截止")));
    }
    let years = st.store.years(uscc).await?;
    let latest = years.first().map(|(_, e)| e).ok_or(AppError::NotFound)?;
    let decl = st
        .store
        .open_declaration(
            id,
            uscc,
            &zjtx_store::cells_of(latest),
            &today.to_string(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/declarations/{decl}")))
}

// ---- a declaration --------------------------------------------------------------------------------

/// How a user stands towards a declaration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Seat {
    Owner,
    District,
    City,
    Expert(i64),
}

impl Seat {
    /// The seat as the workflow knows it.
    fn flow(self) -> flow::Seat {
        match self {
            Seat::Owner => flow::Seat::Owner,
            Seat::District => flow::Seat::District,
            Seat::City => flow::Seat::City,
            Seat::Expert(_) => flow::Seat::Expert,
        }
    }
}

/// Who may see a declaration: its enterprise; its district office (once submitted); the city
/// (once its district recommended it); the experts drawn for it. Anyone else reads it as absent.
async fn seat(st: &AppState, user: &CurrentUser, d: &Declaration) -> Result<Seat, AppError> {
    match user.user.role {
        Role::Enterprise if user.user.uscc.as_deref() == Some(d.uscc.as_str()) => Ok(Seat::Owner),
        Role::District if d.status != Status::Draft => {
            let scope = user.scope(&st.store).await?;
            let inside = scope.regions.as_ref().is_some_and(|rs| {
                d.region_code
                    .as_ref()
                    .is_some_and(|r| rs.iter().any(|x| x == r))
            });
            if inside {
                Ok(Seat::District)
            } else {
                Err(AppError::NotFound)
            }
        }
        Role::City if d.status.city_sees() => Ok(Seat::City),
        Role::Expert => match st.store.expert_of_user(user.user.id).await? {
            Some(x) if st.store.experts_of(d.id).await?.contains(&x) => Ok(Seat::Expert(x)),
            _ => Err(AppError::NotFound),
        },
        _ => Err(AppError::NotFound),
    }
}

/// A reviewer never acts on their own firm.
fn not_own_firm(user: &CurrentUser, d: &Declaration) -> Result<(), AppError> {
    if user.user.uscc.as_deref() == Some(d.uscc.as_str()) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// The review rows a seat may read: experts are named only to the city; the enterprise reads
/// no individual expert score (one line gives their count and mean); an expert reads their own
/// score only.
fn anonymise_experts(
    rows: Vec<ReviewRow>,
    raw: &[zjtx_store::Review],
    seat: Seat,
    user_id: i64,
) -> Vec<ReviewRow> {
    if seat == Seat::City {
        return rows;
    }
    let mut out = Vec::new();
    let (mut n, mut scores) = (0, Vec::new());
    for (row, r) in rows.into_iter().zip(raw) {
        if r.level != "expert" {
            out.push(row);
            continue;
        }
        n += 1;
        scores.extend(r.score);
        match seat {
            Seat::Owner => {}
            Seat::Expert(_) if r.reviewer_id != user_id => {}
            _ => out.push(ReviewRow {
                reviewer: i18n::f("专家 {}", &[&n]),
                ..row
            }),
        }
    }
    if seat == Seat::Owner && !scores.is_empty() {
        let mean = scores.iter().sum::<i64>() as f64 / scores.len() as f64;
        out.push(ReviewRow {
            level: level_label("expert"),
            reviewer: String::new(),
            decision: decision_label("score"),
            reason: i18n::f(
                "{} 位专家已评分，平均 {} 分",
                &[&scores.len(), &format!("{mean:.1}")],
            ),
            score: String::new(),
            disagreements: Vec::new(),
        });
    }
    out
}

async fn declaration_or_404(st: &AppState, id: i64) -> Result<Declaration, AppError> {
    st.store.declaration(id).await?.ok_or(AppError::NotFound)
}

fn rule_set<'a>(st: &'a AppState, id: &str) -> Result<&'a zjtx_core::RuleSet, AppError> {
    st.rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::Internal(format!("rule set {id} is not loaded")))
}

fn parse_cells(cells: &str) -> Result<zjtx_core::Enterprise, AppError> {
    zjtx_store::enterprise_from_cells(cells)
        .map_err(|e| AppError::Internal(format!("stored declaration unreadable: {e}")))
}

pub struct EvidenceRow {
    pub id: i64,
    pub rule_id: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
}

pub struct ReviewRow {
    pub level: &'static str,
    pub reviewer: String,
    pub decision: &'static str,
    pub reason: String,
    pub score: String,
    pub disagreements: Vec<(String, String)>,
}

pub struct ObjectionRow {
    pub id: i64,
    pub filer: String,
    pub text: String,
    pub state: &'static str,
    pub open: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "declaration.html")]
pub struct DeclarationPage {
    pub tr: Tr,
    pub nav: Nav,
    pub d: Declaration,
    pub b: Batch,
    pub tier: &'static str,
    pub status: &'static str,
    pub verdict: &'static str,
    pub verdict_class: &'static str,
    pub score: String,
    pub rules: Vec<RuleRow>,
    pub gates: Vec<RuleRow>,
    pub fields: Vec<WhatIfField>,
    pub evidence: Vec<EvidenceRow>,
    pub reviews: Vec<ReviewRow>,
    pub objections: Vec<ObjectionRow>,
    pub editable: bool,
    pub can_submit: bool,
    pub can_withdraw: bool,
    pub review_level: Option<&'static str>,
    pub can_score: bool,
    pub is_city: bool,
    pub decision: Option<i64>,
    pub max_mb: usize,
}

pub async fn declaration(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<DeclarationPage, AppError> {
    let d = declaration_or_404(&st, id).await?;
    let seat = seat(&st, &user, &d).await?;
    let b = batch_or_404(&st, d.batch_id).await?;
    let tier = tier_of(&b.tier).ok_or_else(|| AppError::Internal("batch tier".into()))?;
    let e = parse_cells(&d.cells)?;
    let rs = rule_set(&st, &b.rules)?;
    let today = st.today();
    let ev = zjtx_core::explain(&e, rs, today);
    let s = &ev.summary;
    let (verdict, score) = match tier {
        Tier::Innovative => (s.innovative, s.innovative_score),
        Tier::Srdi => (s.srdi, s.srdi_score),
        _ => (s.giant, None),
    };
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("declaration:{id}")),
            "declaration page",
        )
        .await?;
    let editable = seat == Seat::Owner && d.status.editable();
    let raw_reviews = st.store.reviews(id).await?;
    let reviews = raw_reviews
        .clone()
        .into_iter()
        .map(|r| {
            let ops: HashMap<String, serde_json::Value> =
                serde_json::from_str(&r.opinions).unwrap_or_default();
            let mut disagreements: Vec<(String, String)> = ops
                .into_iter()
                .filter(|(_, v)| v["agree"] == serde_json::Value::Bool(false))
                .map(|(k, v)| (k, v["reason"].as_str().unwrap_or_default().to_owned()))
                .collect();
            disagreements.sort();
            ReviewRow {
                level: level_label(&r.level),
                reviewer: r.reviewer,
                decision: decision_label(&r.decision),
                reason: r.reason,
                score: r.score.map(|s| s.to_string()).unwrap_or_default(),
                disagreements,
            }
        })
        .collect();
    let reviews = anonymise_experts(reviews, &raw_reviews, seat, user.user.id);
    let objections = if seat == Seat::City {
        st.store
            .objections(id)
            .await?
            .into_iter()
            .map(|o| ObjectionRow {
                id: o.id,
                filer: o.filer,
                text: o.text,
                open: o.upheld.is_none(),
                state: match o.upheld {
                    None => i18n::t("待处理"),
                    Some(true) => i18n::t("异议成立"),
                    Some(false) => i18n::t("异议不成立"),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let already_scored = match seat {
        Seat::Expert(_) => st
            .store
            .reviews(id)
            .await?
            .iter()
            .any(|r| r.level == "expert" && r.reviewer_id == user.user.id),
        _ => false,
    };
    let decision = st
        .store
        .decisions_of(&d.uscc)
        .await?
        .into_iter()
        .find(|x| x.declaration_id == id)
        .map(|x| x.id);
    Ok(DeclarationPage {
        tr: Tr,
        nav: Nav::of(&user),
        tier: glossary::tier(tier, lang()),
        status: status_label(d.status),
        verdict: glossary::verdict(verdict, lang()),
        verdict_class: match verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Review => "review",
        },
        score: score.map(|s| s.to_string()).unwrap_or_default(),
        rules: ev
            .trace
            .iter()
            .filter(|t| t.tier == Some(tier))
            .map(pages::rule_row)
            .collect(),
        gates: ev
            .trace
            .iter()
            .filter(|t| t.tier.is_none())
            .map(pages::rule_row)
            .collect(),
        fields: pages::WHATIF_KEYS
            .iter()
            .filter_map(|k| zjtx_core::enterprise::COLUMNS.iter().find(|c| c.key == *k))
            .map(|c| WhatIfField {
                key: c.key,
                label: glossary::field(c.col, lang()),
                value: e.get(c.col),
                changed: false,
            })
            .collect(),
        evidence: st
            .store
            .evidence_of(id)
            .await?
            .into_iter()
            .map(|x| EvidenceRow {
                id: x.id,
                rule_id: x.rule_id,
                filename: x.filename,
                size: x.size,
                sha256: x.sha256,
            })
            .collect(),
        reviews,
        objections,
        editable,
        can_submit: editable,
        can_withdraw: flow::withdraw(d.status, seat.flow()).is_ok(),
        review_level: match (seat, d.status) {
            (Seat::District, Status::Submitted) => Some("district"),
            (Seat::City, Status::Recommended) => Some("city"),
            _ => None,
        },
        can_score: matches!(seat, Seat::Expert(_))
            && d.status == Status::Recommended
            && !already_scored,
        is_city: seat == Seat::City,
        decision,
        max_mb: st.max_evidence >> 20,
        d,
        b,
    })
}

fn level_label(l: &str) -> &'static str {
    match l {
        "district" => i18n::t("区县审核"),
        "city" => i18n::t("市级审核"),
        "expert" => i18n::t("专家评审"),
        _ => i18n::t("企业"),
    }
}

fn decision_label(d: &str) -> &'static str {
    match d {
        "recommend" => i18n::t("推荐"),
        "approve" => i18n::t("通过"),
        "return" => i18n::t("退回修改"),
        "reject" => i18n::t("不予推荐"),
        "score" => i18n::t("评分"),
        "submit" => i18n::t("提交"),
        _ => i18n::t("其他"),
    }
}

/// The enterprise changes its declared figures (the same fields as the what-if).
pub async fn save_figures(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form: HashMap<String, String> = fields.into_iter().collect();
    user.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let d = declaration_or_404(&st, id).await?;
    if seat(&st, &user, &d).await? != Seat::Owner {
        return Err(AppError::Forbidden);
    }
    let e = parse_cells(&d.cells)?;
    let changed =
        pages::what_if(&e, &form).map_err(|errs| AppError::BadRequest(errs.join("；")))?;
    st.store
        .save_declaration(id, &zjtx_store::cells_of(&changed), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/declarations/{id}")).into_response())
}

/// What a file's first bytes say it is, if it is a PDF, PNG or JPEG, and whole.
pub fn sniff(bytes: &[u8]) -> Result<&'static str, &'static str> {
    if bytes.starts_with(b"%PDF-") {
        // A PDF ends with %%EOF (allowing trailing whitespace).
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if tail.windows(5).any(|w| w == b"%%EOF") {
            return Ok("application/pdf");
        }
        return Err(i18n::t("PDF 文件不完整（缺少 %%EOF）"));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if bytes.len() > 16 && &bytes[12..16] == b"IHDR" && bytes.ends_with(b"IEND\xaeB`\x82") {
            return Ok("image/png");
        }
        return Err(i18n::t("PNG 文件不完整"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if bytes.ends_with(&[0xFF, 0xD9]) {
            return Ok("image/jpeg");
        }
        return Err(i18n::t("JPEG 文件不完整"));
    }
    Err(i18n::t("只接受 PDF、PNG 或 JPEG 文件"))
}

/// Evidence for one rule: type-checked by content, size-checked, hashed, stored by its hash.
pub async fn upload_evidence(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let (mut csrf, mut rule, mut file) = (None, None, None);
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("{}: {e}", i18n::t("上传内容有误"))))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("rule") => rule = field.text().await.ok(),
            Some("file") => {
                let name = field.file_name().unwrap_or("evidence").to_owned();
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::BadRequest(i18n::f("文件超过 {} MB", &[&(st.max_evidence >> 20)]))
                })?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    user.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let d = declaration_or_404(&st, id).await?;
    if seat(&st, &user, &d).await? != Seat::Owner {
        return Err(AppError::Forbidden);
    }
    // Nothing is written for a declaration that can no longer take evidence.
    if !d.status.editable() {
        return Err(conflict(i18n::t("该申报已提交，不能再修改")));
    }
    let rule = rule.unwrap_or_default();
    if !zjtx_core::trace::RuleId::ALL
        .iter()
        .any(|r| r.as_str() == rule.trim())
    {
        return Err(AppError::BadRequest(
            i18n::t("请选择证明材料对应的规则").into(),
        ));
    }
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest(i18n::t("请选择要上传的文件").into()))?;
    if bytes.len() > st.max_evidence {
        return Err(AppError::BadRequest(i18n::f(
            "文件超过 {} MB",
            &[&(st.max_evidence >> 20)],
        )));
    }
    let kind = sniff(&bytes).map_err(|m| AppError::BadRequest(m.into()))?;
    let hash = hex::encode(sha2::Sha256::digest(&bytes));
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(200)
        .collect();
    // Stored by content: the same file twice is one file on disk.
    let path = st.evidence_dir.join(&hash);
    let fresh = tokio::fs::metadata(&path).await.is_err();
    if fresh {
        tokio::fs::create_dir_all(&st.evidence_dir)
            .await
            .map_err(|e| AppError::Internal(format!("evidence directory: {e}")))?;
        let tmp = st.evidence_dir.join(format!("{hash}.part"));
        tokio::fs::write(&tmp, &bytes)
            .await
            .map_err(|e| AppError::Internal(format!("writing evidence: {e}")))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| AppError::Internal(format!("writing evidence: {e}")))?;
    }
    let added = st
        .store
        .add_evidence(
            id,
            rule.trim(),
            &name,
            kind,
            bytes.len() as i64,
            &hash,
            Some(user.user.id),
        )
        .await;
    if let Err(e) = added {
        // A refused record leaves no file behind (unless another record holds the same bytes).
        if fresh && !st.store.evidence_exists(&hash).await? {
            let _ = tokio::fs::remove_file(&path).await;
        }
        return Err(e.into());
    }
    Ok(Redirect::to(&format!("/declarations/{id}#evidence")).into_response())
}

use sha2::Digest;

/// An evidence file, to whoever may see its declaration.
pub async fn evidence_file(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let x = st.store.evidence(id).await?.ok_or(AppError::NotFound)?;
    let d = declaration_or_404(&st, x.declaration_id).await?;
    seat(&st, &user, &d).await?;
    let bytes = tokio::fs::read(st.evidence_dir.join(&x.sha256))
        .await
        .map_err(|e| AppError::Internal(format!("evidence {id}: {e}")))?;
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("declaration:{}", d.id)),
            &format!("evidence {id}"),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, x.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"evidence-{id}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SubmitForm {
    pub csrf: String,
    #[serde(default)]
    pub pledge: String,
}

/// The enterprise signs the truthfulness pledge and submits, before the deadline: the
/// declaration deadline for a first submission, the district's for an answer to a return.
pub async fn submit(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<SubmitForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let d = declaration_or_404(&st, id).await?;
    let seat = seat(&st, &user, &d).await?;
    let b = batch_or_404(&st, d.batch_id).await?;
    let today = st.today();
    let ban = st.store.ban(&d.uscc, &today.to_string()).await?;
    let to = flow::submit(
        d.status,
        seat.flow(),
        f.pledge == "yes",
        ban.is_some(),
        &batch_dates(&b)?,
        today,
    )
    .map_err(|r| barred_or(r, ban.as_ref()))?;
    let (_, district) = st
        .store
        .recipients(&d.uscc, d.region_code.as_deref())
        .await?;
    let link = format!("/declarations/{id}");
    let msgs = tell(
        district,
        i18n::f("{} 提交了申报，待审核", &[&d.name]),
        &link,
    );
    st.store
        .transition(
            id,
            &[d.status],
            to,
            Some(user.user.id),
            "declaration.submit",
            "pledge signed",
            None,
            &msgs,
        )
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to(&link))
}

/// A refusal, with a ban worded by its end and reason.
fn barred_or(r: Refusal, ban: Option<&(String, String)>) -> AppError {
    match (r, ban) {
        (Refusal::Barred, Some((until, reason))) => {
            conflict(i18n::f("该企业在 {} 前不得申报（{}）", &[until, reason]))
        }
        (r, _) => refused(r),
    }
}

pub async fn withdraw(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let d = declaration_or_404(&st, id).await?;
    let to = flow::withdraw(d.status, seat(&st, &user, &d).await?.flow()).map_err(refused)?;
    st.store
        .transition(
            id,
            &[d.status],
            to,
            Some(user.user.id),
            "declaration.withdraw",
            "",
            None,
            &[],
        )
        .await?;
    Ok(Redirect::to(&format!("/declarations/{id}")))
}

/// How many of the experts drawn for a declaration have not scored it (None: none drawn).
async fn unscored(st: &AppState, id: i64) -> Result<Option<usize>, AppError> {
    let drawn = st.store.experts_of(id).await?;
    if drawn.is_empty() {
        return Ok(None);
    }
    let pool = st.store.experts().await?;
    let scored: Vec<i64> = st
        .store
        .reviews(id)
        .await?
        .into_iter()
        .filter(|r| r.level == "expert")
        .filter_map(|r| {
            pool.iter()
                .find(|x| x.user_id == r.reviewer_id)
                .map(|x| x.id)
        })
        .collect();
    Ok(Some(drawn.iter().filter(|x| !scored.contains(x)).count()))
}

/// A district or city reviewer's decision, with an opinion on every rule of the tier: agree, or
/// disagree with a reason. The workflow decides whether the step is legal
/// (`workflow::declaration::review`); this handler gathers what it looks at and records it.
pub async fn review(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Redirect, AppError> {
    let form: HashMap<String, String> = fields.into_iter().collect();
    let field = |k: &str| form.get(k).map_or("", |v| v.trim());
    user.check_csrf(field("csrf"))?;
    let d = declaration_or_404(&st, id).await?;
    let seat = seat(&st, &user, &d).await?;
    not_own_firm(&user, &d)?;
    let b = batch_or_404(&st, d.batch_id).await?;
    let today = st.today();
    let decision = Decision::parse(field("decision"));
    let tier = tier_of(&b.tier).ok_or_else(|| AppError::Internal("batch tier".into()))?;
    let ev = zjtx_core::explain(&parse_cells(&d.cells)?, rule_set(&st, &b.rules)?, today);
    let verdict = tier_verdict(&ev.summary, &b.tier);
    let approving = decision == Some(Decision::Approve);
    let ban = if decision.is_some_and(Decision::favourable) {
        st.store.ban(&d.uscc, &today.to_string()).await?
    } else {
        None
    };
    let quota_taken = if approving && b.quota.is_some() {
        let holding: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| s.holds_quota())
            .collect();
        st.store.declarations(b.id, &holding, None).await?.len() as i64
    } else {
        0
    };
    let input = flow::Review {
        decision,
        reason: field("reason"),
        barred: ban.is_some(),
        quota_taken,
        unscored: if approving {
            unscored(&st, id).await?
        } else {
            Some(0)
        },
        evaluation_passes: verdict == Verdict::Pass,
        override_scores: field("override_scores"),
        override_evaluation: field("override_evaluation"),
    };
    let done = flow::review(d.status, seat.flow(), &input, &batch_dates(&b)?, today).map_err(
        |r| match r {
            Refusal::EvaluationFails => AppError::BadRequest(i18n::f(
                "评价结果为“{}”：通过须填写“评价未通过时仍予通过的理由”",
                &[&glossary::verdict(verdict, lang())],
            )),
            r => barred_or(r, ban.as_ref()),
        },
    )?;
    // An opinion on every rule of the tier.
    let mut opinions = serde_json::Map::new();
    let mut missing = Vec::new();
    for t in ev.trace.iter().filter(|t| t.tier == Some(tier)) {
        let rid = t.id.as_str();
        let agree = match form.get(&format!("agree_{rid}")).map(String::as_str) {
            Some("yes") => true,
            Some("no") => false,
            _ => {
                missing.push(rid.to_owned());
                continue;
            }
        };
        let why = field(&format!("reason_{rid}"));
        if !agree && why.is_empty() {
            missing.push(format!("{rid}（{}）", i18n::t("不同意须写明理由")));
        }
        opinions.insert(
            rid.to_owned(),
            serde_json::json!({ "agree": agree, "reason": why }),
        );
    }
    if !missing.is_empty() {
        return Err(AppError::BadRequest(i18n::f(
            "以下规则缺少审核意见：{}",
            &[&missing.join("、")],
        )));
    }
    let mut overrides = serde_json::Map::new();
    if let Some(why) = &done.override_scores {
        overrides.insert("scores".into(), why.as_str().into());
    }
    if let Some(why) = &done.override_evaluation {
        overrides.insert("evaluation".into(), why.as_str().into());
    }
    let overrides =
        (!overrides.is_empty()).then(|| serde_json::Value::Object(overrides).to_string());
    let (owner, district) = st
        .store
        .recipients(&d.uscc, d.region_code.as_deref())
        .await?;
    let (level, decision) = (done.level.as_str(), done.decision.as_str());
    let link = format!("/declarations/{id}");
    let text = i18n::f(
        "{}：{}（{}）",
        &[&d.name, &decision_label(decision), &level_label(level)],
    );
    let msgs = tell(
        owner.into_iter().chain(if done.level == flow::Level::City {
            district
        } else {
            Vec::new()
        }),
        text,
        &link,
    );
    let opinions = serde_json::Value::Object(opinions).to_string();
    let reason = field("reason");
    st.store
        .transition(
            id,
            &[d.status],
            done.to,
            Some(user.user.id),
            &format!("declaration.{level}.{decision}"),
            reason,
            Some(NewReview {
                level,
                reviewer_id: user.user.id,
                decision,
                reason,
                opinions: &opinions,
                score: None,
                overrides: overrides.as_deref(),
            }),
            &msgs,
        )
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to(&link))
}

#[derive(Deserialize)]
pub struct ScoreForm {
    pub csrf: String,
    pub score: String,
    pub comment: String,
}

/// An expert drawn for a declaration scores it (0–100) with a comment, once.
pub async fn score(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ScoreForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let d = declaration_or_404(&st, id).await?;
    let Seat::Expert(_) = seat(&st, &user, &d).await? else {
        return Err(AppError::Forbidden);
    };
    not_own_firm(&user, &d)?;
    if d.status != Status::Recommended {
        return Err(conflict(i18n::t("该申报不在专家评审阶段")));
    }
    let score: i64 = f
        .score
        .trim()
        .parse()
        .ok()
        .filter(|s| (0..=100).contains(s))
        .ok_or_else(|| AppError::BadRequest(i18n::t("评分应为 0–100 的整数").into()))?;
    let comment = f.comment.trim();
    if comment.is_empty() {
        return Err(AppError::BadRequest(i18n::t("请填写评审意见").into()));
    }
    st.store
        .record_score(
            id,
            NewReview {
                level: "expert",
                reviewer_id: user.user.id,
                decision: "score",
                reason: comment,
                opinions: "{}",
                score: Some(score),
                overrides: None,
            },
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/declarations/{id}")))
}

// ---- the expert pool and the draw -----------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "experts.html")]
pub struct ExpertsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub experts: Vec<zjtx_store::ExpertRow>,
}

pub async fn experts(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<ExpertsPage, AppError> {
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    Ok(ExpertsPage {
        tr: Tr,
        nav: Nav::of(&user),
        experts: st.store.experts().await?,
    })
}

#[derive(Deserialize)]
pub struct ExpertForm {
    pub csrf: String,
    pub username: String,
    pub name: String,
    pub fields: String,
    pub employer: String,
    /// One per line: `USCC kind` (employment, shareholding, relation).
    pub conflicts: String,
}

pub async fn add_expert(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<ExpertForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let account = st
        .store
        .user_by_name(f.username.trim())
        .await?
        .filter(|u| u.role == Role::Expert)
        .ok_or_else(|| conflict(i18n::t("没有该专家账户（角色须为评审专家）")))?;
    let uscc = |s: &str, line: usize| {
        zjtx_core::ids::Uscc::parse(s.trim())
            .map(|u| u.to_string())
            .map_err(|e| AppError::BadRequest(i18n::f("利益冲突第 {} 行：{}", &[&line, &e])))
    };
    let employer = match f.employer.trim() {
        "" => None,
        s => Some(uscc(s, 0)?),
    };
    let mut conflicts = Vec::new();
    for (i, line) in f.conflicts.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (code, kind) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let kind = kind.trim();
        if !["employment", "shareholding", "relation"].contains(&kind) {
            return Err(AppError::BadRequest(i18n::f(
                "利益冲突第 {} 行：{}",
                &[
                    &(i + 1),
                    &i18n::t("类型应为 employment、shareholding 或 relation"),
                ],
            )));
        }
        conflicts.push((uscc(code, i + 1)?, kind.to_owned()));
    }
    let fields: Vec<&str> = f
        .fields
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if f.name.trim().is_empty() || fields.is_empty() {
        return Err(AppError::BadRequest(i18n::t("请填写姓名与评审领域").into()));
    }
    if f.name.trim().chars().count() > 100 || f.fields.chars().count() > 500 {
        return Err(AppError::BadRequest(i18n::t("内容过长").into()));
    }
    st.store
        .add_expert(
            account.id,
            f.name.trim(),
            &fields.join(","),
            employer.as_deref(),
            &conflicts,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/experts"))
}

#[derive(Deserialize)]
pub struct DrawForm {
    pub csrf: String,
}

/// Commits a fresh random seed for a batch's next draw round, unless one is committed: only its
/// SHA-256 is published until the draw reveals it, so nobody (the bureau included) can try seeds.
async fn commit_next_seed(
    store: &zjtx_store::Store,
    batch: i64,
    actor: Option<i64>,
) -> Result<(), AppError> {
    let seed = auth::random_token()?;
    store
        .commit_seed(batch, &seed, &zjtx_core::draw::commitment(&seed), actor)
        .await?;
    Ok(())
}

/// Opens a batch: stores it and commits the seed of its first draw round.
pub async fn open_batch(
    store: &zjtx_store::Store,
    b: &NewBatch,
    actor: Option<i64>,
) -> Result<i64, AppError> {
    let id = store.create_batch(b, actor).await?;
    commit_next_seed(store, id, actor).await?;
    Ok(id)
}

/// Draws experts for every declaration the districts recommended, from a seed the bureau
/// publishes (say, a lottery result announced beforehand), and records inputs and result.
pub async fn draw(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<DrawForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let b = batch_or_404(&st, id).await?;
    // The seed was committed before (when the batch opened, or at the last round): the draw
    // reveals it. A batch from before commitments gets one now, and draws after it.
    let Some((seed, _)) = st.store.next_seed(id).await? else {
        commit_next_seed(&st.store, id, Some(user.user.id)).await?;
        return Err(conflict(i18n::t(
            "已公布本轮随机种子的承诺值（SHA-256），请再次点击抽取",
        )));
    };
    let seed = seed.as_str();
    // Each round draws for the recommended declarations that have no experts yet.
    let mut cases: Vec<zjtx_core::draw::Case> = Vec::new();
    for d in st
        .store
        .declarations(id, &[Status::Recommended], None)
        .await?
    {
        if st.store.experts_of(d.id).await?.is_empty() {
            cases.push(zjtx_core::draw::Case {
                id: d.id,
                uscc: d.uscc,
                field: d.ecosystem,
            });
        }
    }
    if cases.is_empty() {
        return Err(conflict(i18n::t("没有待专家评审的申报")));
    }
    let experts: Vec<zjtx_core::draw::Expert> = st
        .store
        .experts()
        .await?
        .into_iter()
        .filter(|x| x.active)
        .map(|x| zjtx_core::draw::Expert {
            id: x.id,
            fields: x.fields.split(',').map(str::to_owned).collect(),
            conflicts: x.conflicts.into_iter().map(|(u, _)| u).collect(),
        })
        .collect();
    let k = usize::try_from(b.experts_per).unwrap_or(3);
    // Published without the firms' codes or the experts' ties: the same draw.
    let (cases, experts) = zjtx_core::draw::pseudonymise(&cases, &experts);
    let result = zjtx_core::draw::draw(seed, &cases, &experts, k);
    let inputs = draw_inputs_json(&cases, &experts);
    let result_json = serde_json::to_string(
        &result
            .iter()
            .map(|a| serde_json::json!({ "declaration": a.case, "experts": a.experts, "short": a.short, "by_field": a.by_field }))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let pairs: Vec<(i64, i64)> = result
        .iter()
        .flat_map(|a| a.experts.iter().map(move |e| (a.case, *e)))
        .collect();
    let next = auth::random_token()?;
    st.store
        .record_draw(
            id,
            seed,
            b.experts_per,
            &inputs,
            &result_json,
            &pairs,
            (&next, &zjtx_core::draw::commitment(&next)),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/draws/{id}")))
}

fn draw_inputs_json(
    cases: &[zjtx_core::draw::Case],
    experts: &[zjtx_core::draw::Expert],
) -> String {
    serde_json::json!({
        "declarations": cases.iter().map(|c| serde_json::json!({ "id": c.id, "uscc": c.uscc, "field": c.field })).collect::<Vec<_>>(),
        "experts": experts.iter().map(|e| serde_json::json!({ "id": e.id, "fields": e.fields, "conflicts": e.conflicts })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Reads a published draw's inputs back.
pub fn parse_draw_inputs(
    inputs: &str,
) -> Option<(Vec<zjtx_core::draw::Case>, Vec<zjtx_core::draw::Expert>)> {
    let v: serde_json::Value = serde_json::from_str(inputs).ok()?;
    let strings = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let cases = v["declarations"]
        .as_array()?
        .iter()
        .map(|c| {
            Some(zjtx_core::draw::Case {
                id: c["id"].as_i64()?,
                uscc: c["uscc"].as_str()?.to_owned(),
                field: c["field"].as_str().map(str::to_owned),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let experts = v["experts"]
        .as_array()?
        .iter()
        .map(|e| {
            Some(zjtx_core::draw::Expert {
                id: e["id"].as_i64()?,
                fields: strings(&e["fields"]),
                conflicts: strings(&e["conflicts"]),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((cases, experts))
}

pub struct DrawLine {
    pub declaration: i64,
    pub experts: Vec<(i64, String)>,
    pub short: bool,
}

/// One round of a draw, recomputed from its published record.
pub struct DrawRound {
    pub round: i64,
    pub seed: String,
    pub k: i64,
    pub lines: Vec<DrawLine>,
    pub reproduced: bool,
    pub inputs: String,
    /// The commitment published before the draw, and when; `None` for a draw from before
    /// commitments.
    pub commitment: Option<(String, String)>,
    /// Whether the revealed seed's SHA-256 is the commitment.
    pub committed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "draw.html")]
pub struct DrawPage {
    pub tr: Tr,
    pub b: Batch,
    pub rounds: Vec<DrawRound>,
    /// The next round's commitment, published and not yet revealed.
    pub next: Option<(i64, String, String)>,
}

fn day_of(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Recomputes a round from its seed and inputs and compares it with the stored result.
fn recompute(
    dr: &zjtx_store::DrawRow,
    commits: &[zjtx_store::SeedCommit],
) -> Result<DrawRound, AppError> {
    let (cases, experts) = parse_draw_inputs(&dr.inputs)
        .ok_or_else(|| AppError::Internal("draw inputs unreadable".into()))?;
    // Draws recorded before inputs were published pseudonymously are shown so too.
    let (cases, experts) = zjtx_core::draw::pseudonymise(&cases, &experts);
    let commitment = commits
        .iter()
        .find(|c| c.round == dr.round && c.committed_at <= dr.drawn_at);
    let again = zjtx_core::draw::draw(
        &dr.seed,
        &cases,
        &experts,
        usize::try_from(dr.k).unwrap_or(0),
    );
    let stored: serde_json::Value = serde_json::from_str(&dr.result).unwrap_or_default();
    let reproduced = stored.as_array().is_some_and(|a| {
        a.len() == again.len()
            && a.iter().zip(&again).all(|(s, x)| {
                s["declaration"].as_i64() == Some(x.case)
                    && s["experts"]
                        .as_array()
                        .map(|v| v.iter().filter_map(|e| e.as_i64()).collect::<Vec<_>>())
                        == Some(x.experts.clone())
            })
    });
    let lines = again
        .iter()
        .map(|a| DrawLine {
            declaration: a.case,
            experts: a
                .experts
                .iter()
                .map(|e| {
                    (
                        *e,
                        zjtx_core::draw::hex(&zjtx_core::draw::ticket(&dr.seed, a.case, *e)),
                    )
                })
                .collect(),
            short: a.short,
        })
        .collect();
    Ok(DrawRound {
        round: dr.round,
        seed: dr.seed.clone(),
        k: dr.k,
        lines,
        reproduced,
        inputs: draw_inputs_json(&cases, &experts),
        committed: commitment
            .is_some_and(|c| c.commitment == zjtx_core::draw::commitment(&dr.seed)),
        commitment: commitment.map(|c| (c.commitment.clone(), day_of(c.committed_at))),
    })
}

/// `GET /draws/{batch}`: the published draws of a batch, public, each round recomputed from its
/// seed on every view.
pub async fn draw_page(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<DrawPage, AppError> {
    let b = batch_or_404(&st, id).await?;
    let draws = st.store.draws_of(id).await?;
    let commits = st.store.seed_commits(id).await?;
    if draws.is_empty() && commits.is_empty() {
        return Err(AppError::NotFound);
    }
    let rounds = draws
        .iter()
        .map(|d| recompute(d, &commits))
        .collect::<Result<Vec<_>, _>>()?;
    let next = commits
        .iter()
        .find(|c| c.round == draws.len() as i64 + 1)
        .map(|c| (c.round, c.commitment.clone(), day_of(c.committed_at)));
    Ok(DrawPage {
        tr: Tr,
        b,
        rounds,
        next,
    })
}

// ---- the public notice ----------------------------------------------------------------------------

pub async fn publish_notice(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let b = batch_or_404(&st, id).await?;
    let from = st.today();
    let (from, until) = flow::notice_window(from, u32::try_from(b.notice_days).unwrap_or(0));
    st.store
        .publish_notice(
            id,
            &from.to_string(),
            &until.to_string(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/notice"))
}

pub struct NoticeBatch {
    pub b: Batch,
    pub tier: &'static str,
    pub items: Vec<(Declaration, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub tr: Tr,
    pub csrf: String,
    pub batches: Vec<NoticeBatch>,
    pub filed: bool,
}

/// Whether a declaration's own notice window includes `today`.
fn on_notice(d: &Declaration, today: NaiveDate) -> bool {
    flow::on_notice(notice_window(d), today)
}

/// Whether a declaration's own notice window has ended before `today`.
fn notice_ended(d: &Declaration, today: NaiveDate) -> bool {
    d.notice_until
        .as_deref()
        .and_then(date)
        .is_some_and(|u| today > u)
}

/// `GET /notice`: every batch on public notice today, with the form to object. No login.
pub async fn notice(State(st): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    let today = st.today();
    let regions = st.regions().await?;
    let mut batches = Vec::new();
    for b in st.store.batches().await? {
        let items: Vec<(Declaration, String)> = st
            .store
            .declarations(b.id, &[Status::Notice], None)
            .await?
            .into_iter()
            .filter(|d| on_notice(d, today))
            .map(|d| {
                let district = d
                    .region_code
                    .as_ref()
                    .and_then(|c| regions.iter().find(|r| r.code == *c))
                    .map(|r| r.name.clone())
                    .unwrap_or_default();
                (d, district)
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        batches.push(NoticeBatch {
            tier: glossary::tier_by_key(&b.tier, lang()),
            items,
            b,
        });
    }
    let csrf = auth::random_token()?;
    let filed = parts.uri.query().is_some_and(|q| q.contains("filed=1"));
    Ok((
        [(
            header::SET_COOKIE,
            auth::pre_cookie(&csrf, st.secure_cookies, "/notice"),
        )],
        NoticePage {
            tr: Tr,
            csrf,
            batches,
            filed,
        },
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ObjectionForm {
    pub csrf: String,
    pub declaration: String,
    pub filer: String,
    pub contact: String,
    pub text: String,
}

/// Files an objection during the notice period (no login; the form's token is checked against
/// its cookie, as the login form's is).
pub async fn object(
    State(st): State<AppState>,
    parts: Parts,
    Form(f): Form<ObjectionForm>,
) -> Result<Redirect, AppError> {
    let pre = auth::cookie(&parts, auth::PRE_COOKIE).unwrap_or("");
    if pre.is_empty() || !auth::same(pre, &f.csrf) {
        return Err(AppError::Csrf);
    }
    let id: i64 = f
        .declaration
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest(i18n::t("请选择异议针对的企业").into()))?;
    let (filer, contact, text) = (f.filer.trim(), f.contact.trim(), f.text.trim());
    if filer.is_empty() || contact.is_empty() || text.is_empty() {
        return Err(AppError::BadRequest(
            i18n::t("请填写异议人、联系方式与异议内容").into(),
        ));
    }
    if text.chars().count() > 5000 || filer.chars().count() > 100 || contact.chars().count() > 200 {
        return Err(AppError::BadRequest(i18n::t("内容过长").into()));
    }
    let d = declaration_or_404(&st, id).await?;
    flow::object(d.status, notice_window(&d), st.today()).map_err(refused)?;
    st.store.file_objection(id, filer, contact, text).await?;
    Ok(Redirect::to("/notice?filed=1"))
}

#[derive(Deserialize)]
pub struct ResolveForm {
    pub csrf: String,
    pub upheld: String,
    pub resolution: String,
}

pub async fn resolve_objection(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let resolution = f.resolution.trim();
    if resolution.is_empty() {
        return Err(AppError::BadRequest(i18n::t("请写明处理意见").into()));
    }
    let upheld = match f.upheld.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest(i18n::t("请选择异议是否成立").into())),
    };
    st.store
        .resolve_objection(id, upheld, resolution, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/batches").into_response())
}

// ---- recognition, decisions and certificates ------------------------------------------------------

/// Recognises every declaration of a batch whose notice has ended without an open objection:
/// each gets its decision record (inputs, rule set, trace, reviews, outcome) and its title, valid
/// for three years.
pub async fn recognise(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let b = batch_or_404(&st, id).await?;
    let today = st.today();
    let ended: Vec<Declaration> = st
        .store
        .declarations(id, &[Status::Notice], None)
        .await?
        .into_iter()
        .filter(|d| notice_ended(d, today))
        .collect();
    if ended.is_empty() {
        return Err(refused(Refusal::NoticeRunning));
    }
    let rs = rule_set(&st, &b.rules)?;
    let until = title_flow::valid_until(&rs.titles, today);
    for d in ended {
        let objections = st.store.objections(d.id).await?;
        let ev = zjtx_core::explain(&parse_cells(&d.cells)?, rs, today);
        let all_reviews = st.store.reviews(d.id).await?;
        let overrides: serde_json::Value = all_reviews
            .iter()
            .rev()
            .find(|r| r.level == "city" && r.decision == "approve")
            .and_then(|r| r.overrides.as_deref())
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default();
        // Skipped (left on notice, with its reason unrecorded) while an objection is open, a ban
        // runs since it was approved, or its evaluation fails without the city's recorded reason.
        let input = flow::Recognition {
            notice_until: notice_window(&d).map(|(_, u)| u),
            open_objections: objections.iter().filter(|o| o.upheld.is_none()).count(),
            barred: st.store.ban(&d.uscc, &today.to_string()).await?.is_some(),
            evaluation_passes: tier_verdict(&ev.summary, &b.tier) == Verdict::Pass,
            evaluation_overridden: overrides["evaluation"]
                .as_str()
                .is_some_and(|w| !w.is_empty()),
        };
        if let Err(why) = flow::recognise(d.status, flow::Seat::City, &input, today) {
            tracing::info!(declaration = d.id, ?why, "not recognised");
            continue;
        }
        let reviews = serde_json::json!({
            "reviews": all_reviews,
            "objections": objections,
            "experts": st.store.experts_of(d.id).await?,
            "overrides": overrides,
        })
        .to_string();
        let evaluation =
            serde_json::to_string(&ev).map_err(|e| AppError::Internal(e.to_string()))?;
        let (owner, district) = st
            .store
            .recipients(&d.uscc, d.region_code.as_deref())
            .await?;
        let text = i18n::f(
            "{} 已认定为{}",
            &[&d.name, &glossary::tier_by_key(&b.tier, lang())],
        );
        let link = format!("/declarations/{}", d.id);
        let msgs = tell(owner.into_iter().chain(district), text, &link);
        st.store
            .recognise(
                &NewDecision {
                    declaration_id: d.id,
                    uscc: &d.uscc,
                    tier: &b.tier,
                    outcome: "recognised",
                    rules: &b.rules,
                    as_of: &today.to_string(),
                    cells: &d.cells,
                    evaluation: &evaluation,
                    reviews: &reviews,
                    valid_from: Some(&today.to_string()),
                    valid_until: Some(&until.to_string()),
                },
                Some(user.user.id),
                &msgs,
            )
            .await?;
        crate::mail::deliver(&st, &msgs);
    }
    Ok(Redirect::to(&format!("/batches/{id}")))
}

/// A decision record's reviews, experts and objections as `role` may read them: experts are
/// anonymous to everyone but the city bureau ("专家 1", "专家 2" in the order drawn) and their
/// individual scores are not shown to the enterprise (the count and mean are); an objector's name
/// and contact are the bureau's only.
pub fn redact_record(reviews: &str, role: Role) -> String {
    let mut v: serde_json::Value = serde_json::from_str(reviews).unwrap_or_default();
    if role == Role::City {
        return v.to_string();
    }
    let mut scores = Vec::new();
    if let Some(list) = v["reviews"].as_array_mut() {
        let mut n = 0;
        for r in list.iter_mut() {
            if r["level"] == "expert" {
                n += 1;
                if let Some(x) = r["score"].as_i64() {
                    scores.push(x);
                }
                r["reviewer"] = i18n::f("专家 {}", &[&n]).into();
                r["reviewer_id"] = serde_json::Value::Null;
                if role == Role::Enterprise {
                    r["score"] = serde_json::Value::Null;
                }
            }
        }
        if role == Role::Enterprise {
            list.retain(|r| r["level"] != "expert");
        }
    }
    if role == Role::Enterprise {
        let mean =
            (!scores.is_empty()).then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64);
        v["expert_scores"] = serde_json::json!({
            "count": scores.len(),
            "mean": mean.map(|m| format!("{m:.1}")),
        });
    }
    if let Some(n) = v["experts"].as_array().map(Vec::len) {
        v["experts"] = n.into();
    }
    if let Some(list) = v["objections"].as_array_mut() {
        for o in list {
            if let Some(o) = o.as_object_mut() {
                o.remove("filer");
                o.remove("contact");
            }
        }
    }
    v.to_string()
}

/// Re-runs a decision from its frozen inputs: whether the same rule set, on the same date and
/// figures, gives the same decisions today (verdicts, points and failed lists, rule by rule).
pub fn rerun(st: &AppState, d: &zjtx_store::Decision) -> Result<bool, AppError> {
    let rs = rule_set(st, &d.rules)?;
    let as_of = date(&d.as_of).ok_or_else(|| AppError::Internal("decision date".into()))?;
    let ev = zjtx_core::explain(&parse_cells(&d.cells)?, rs, as_of);
    let now = serde_json::to_value(&ev).map_err(|e| AppError::Internal(e.to_string()))?;
    let then: serde_json::Value =
        serde_json::from_str(&d.evaluation).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(decisive(now) == decisive(then))
}

/// What decides: verdicts, points, scores and failed lists, each rule with its inputs; not the
/// words that explain them (gaps, notes, the threshold's wording), which a later version may
/// phrase better without changing any decision.
fn decisive(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(trace) = v["trace"].as_array_mut() {
        for e in trace.iter_mut().filter_map(|e| e.as_object_mut()) {
            for k in ["gap", "notes", "threshold", "value"] {
                e.remove(k);
            }
        }
    }
    v
}

#[derive(Template, WebTemplate)]
#[template(path = "decision.html")]
pub struct DecisionPage {
    pub tr: Tr,
    pub nav: Nav,
    pub d: zjtx_store::Decision,
    pub name: String,
    pub tier: &'static str,
    pub reproduced: bool,
    pub verdict: &'static str,
}

pub async fn decision(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<DecisionPage, AppError> {
    let d = st.store.decision(id).await?.ok_or(AppError::NotFound)?;
    let row = st
        .store
        .enterprise(&d.uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.sees_registry() || !auth::can_see(&user.scope(&st.store).await?, &row) {
        return Err(AppError::NotFound);
    }
    let reproduced = rerun(&st, &d)?;
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("decision:{id}")),
            &format!("re-run: {}", if reproduced { "same" } else { "differs" }),
        )
        .await?;
    let ev: serde_json::Value = serde_json::from_str(&d.evaluation).unwrap_or_default();
    let verdict = match ev[d.tier.as_str()].as_str() {
        Some("pass") => glossary::verdict(Verdict::Pass, lang()),
        Some("fail") => glossary::verdict(Verdict::Fail, lang()),
        _ => glossary::verdict(Verdict::Review, lang()),
    };
    let d = zjtx_store::Decision {
        reviews: redact_record(&d.reviews, user.user.role),
        ..d
    };
    Ok(DecisionPage {
        tr: Tr,
        nav: Nav::of(&user),
        name: row.name,
        tier: glossary::tier_by_key(&d.tier, lang()),
        reproduced,
        verdict,
        d,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate.html")]
pub struct CertificatePage {
    pub tr: Tr,
    pub d: zjtx_store::Decision,
    pub name: String,
    pub tier: &'static str,
    pub valid: bool,
}

/// `GET /certificates/{decision}`: the certificate, public (anyone can check a certificate
/// shown to them), printable to PDF from the browser.
pub async fn certificate(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<CertificatePage, AppError> {
    let d = st.store.decision(id).await?.ok_or(AppError::NotFound)?;
    let row = st
        .store
        .enterprise(&d.uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = st.today().to_string();
    let valid = st
        .store
        .titled(&today, Some(&d.uscc))
        .await?
        .iter()
        .any(|t| t.decision_id == Some(id));
    Ok(CertificatePage {
        tr: Tr,
        name: row.name,
        tier: glossary::tier_by_key(&d.tier, Lang::Zh),
        valid,
        d,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "titled.html")]
pub struct TitledPage {
    pub tr: Tr,
    pub rows: Vec<(zjtx_store::TitledRow, &'static str, String)>,
}

/// `GET /titled`: the public list of enterprises holding a title granted here.
pub async fn titled(State(st): State<AppState>) -> Result<TitledPage, AppError> {
    let regions = st.regions().await?;
    let rows = st
        .store
        .titled(&st.today().to_string(), None)
        .await?
        .into_iter()
        .map(|t| {
            let tier = glossary::tier_by_key(&t.tier, lang());
            let district = t
                .region_code
                .as_ref()
                .and_then(|c| regions.iter().find(|r| r.code == *c))
                .map(|r| r.name.clone())
                .unwrap_or_default();
            (t, tier, district)
        })
        .collect();
    Ok(TitledPage { tr: Tr, rows })
}

// ---- after recognition ----------------------------------------------------------------------------

pub struct TitleView {
    pub tier_key: String,
    pub tier: &'static str,
    pub valid_until: String,
    pub decision_id: Option<i64>,
    pub rules: String,
    /// Whether last year's update is owed: only for a year that ended after the title began.
    pub owes_update: bool,
    pub valid_from: Option<NaiveDate>,
}

/// Whether a title that began on `valid_from` owes the yearly update for `year`.
fn owes_update(valid_from: Option<&str>, year: i32) -> bool {
    title_flow::owes_update(valid_from.and_then(date), year)
}

/// A refusal of the title workflow as the user reads it.
fn title_refused(r: title_flow::Refusal) -> AppError {
    use title_flow::Refusal as R;
    match r {
        R::NotYourSeat => AppError::Forbidden,
        R::NotOwed(year) => conflict(i18n::f(
            "该称号认定于 {} 年度结束之后，无需提交该年度信息更新",
            &[&year],
        )),
        R::TooEarly(window) => {
            conflict(i18n::f("称号有效期剩余超过 {} 个月，暂不复核", &[&window]))
        }
        R::NoUpdate => conflict(i18n::t("未按期完成年度信息更新，不具备复核资格")),
        R::DetailRequired => AppError::BadRequest(i18n::t("请写明内容").into()),
    }
}

/// The enterprise's seat towards a title of its own, the city's, or a reader's.
fn title_seat(user: &CurrentUser) -> title_flow::Seat {
    match user.user.role {
        Role::Enterprise => title_flow::Seat::Holder,
        Role::City => title_flow::Seat::City,
        _ => title_flow::Seat::Reader,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "titles.html")]
pub struct TitlesPage {
    pub tr: Tr,
    pub nav: Nav,
    pub uscc: String,
    pub name: String,
    pub titles: Vec<TitleView>,
    pub events: Vec<(String, &'static str, &'static str, String, String)>,
    pub is_owner: bool,
    pub is_city: bool,
    pub update_year: i32,
    pub update_deadline: String,
    pub ban: Option<(String, String)>,
}

/// The yearly update's deadline for a title under a rule set, in `year + 1`.
/// When the yearly update for `year` is due under the rule set a title was granted under.
fn update_deadline(sets: &[zjtx_core::RuleSet], rules: &str, year: i32) -> Option<NaiveDate> {
    sets.iter()
        .find(|r| r.id == rules)
        .and_then(|r| r.titles.update_due(year))
}

async fn granted_titles(st: &AppState, uscc: &str) -> Result<Vec<TitleView>, AppError> {
    let decisions = st.store.decisions_of(uscc).await?;
    let last_year = st.today().year() - 1;
    Ok(st
        .store
        .titles(uscc)
        .await?
        .into_iter()
        .filter_map(|(tier, until)| {
            let d = decisions.iter().find(|d| d.tier == tier)?;
            Some(TitleView {
                tier: glossary::tier_by_key(&tier, lang()),
                tier_key: tier,
                valid_until: until,
                decision_id: Some(d.id),
                rules: d.rules.clone(),
                owes_update: owes_update(d.valid_from.as_deref(), last_year),
                valid_from: d.valid_from.as_deref().and_then(date),
            })
        })
        .collect())
}

fn event_label(k: &str) -> &'static str {
    match k {
        "granted" => i18n::t("认定"),
        "update" => i18n::t("年度信息更新"),
        "update_late" => i18n::t("逾期更新（失去复核资格）"),
        "change" => i18n::t("重大变化报告"),
        "rereview_pass" => i18n::t("复核通过"),
        "rereview_fail" => i18n::t("复核未通过"),
        "revoked" => i18n::t("撤销"),
        _ => i18n::t("其他"),
    }
}

async fn titles_scope(
    st: &AppState,
    user: &CurrentUser,
    uscc: &str,
) -> Result<zjtx_store::EnterpriseRow, AppError> {
    let row = st.store.enterprise(uscc).await?.ok_or(AppError::NotFound)?;
    if !user.sees_registry() || !auth::can_see(&user.scope(&st.store).await?, &row) {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// What every action on a title checks: the form's token, the enterprise in scope, the role.
async fn title_action(
    st: &AppState,
    user: &CurrentUser,
    csrf: &str,
    uscc: &str,
    role: Role,
) -> Result<zjtx_store::EnterpriseRow, AppError> {
    user.check_csrf(csrf)?;
    let row = titles_scope(st, user, uscc).await?;
    if user.user.role != role {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

pub async fn titles(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
) -> Result<TitlesPage, AppError> {
    let row = titles_scope(&st, &user, &uscc).await?;
    let today = st.today();
    let titles = granted_titles(&st, &row.uscc).await?;
    let events = st
        .store
        .title_events(&row.uscc)
        .await?
        .into_iter()
        .map(|e| {
            (
                crate::pages::local_day(e.at),
                glossary::tier_by_key(&e.tier, lang()),
                event_label(&e.kind),
                e.year.map(|y| y.to_string()).unwrap_or_default(),
                e.detail,
            )
        })
        .collect();
    let update_year = today.year() - 1;
    let rules = titles.first().map(|t| t.rules.clone()).unwrap_or_default();
    Ok(TitlesPage {
        tr: Tr,
        nav: Nav::of(&user),
        is_owner: user.user.role == Role::Enterprise,
        is_city: user.user.role == Role::City,
        update_deadline: update_deadline(&st.rules, &rules, update_year)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        update_year,
        ban: st.store.ban(&row.uscc, &today.to_string()).await?,
        uscc: row.uscc,
        name: row.name,
        titles,
        events,
    })
}

#[derive(Deserialize)]
pub struct TitleForm {
    pub csrf: String,
    #[serde(default)]
    pub detail: String,
}

/// The enterprise's yearly information update for last year: on time it keeps re-review
/// eligibility; late, it is recorded as late and re-review is lost.
pub async fn yearly_update(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((uscc, tier)): Path<(String, String)>,
    Form(f): Form<TitleForm>,
) -> Result<Redirect, AppError> {
    let row = title_action(&st, &user, &f.csrf, &uscc, Role::Enterprise).await?;
    let t = granted_titles(&st, &row.uscc)
        .await?
        .into_iter()
        .find(|t| t.tier_key == tier)
        .ok_or(AppError::NotFound)?;
    let today = st.today();
    let event = title_flow::yearly_update(
        title_seat(&user),
        t.valid_from,
        &rule_set(&st, &t.rules)?.titles,
        today,
    )
    .map_err(title_refused)?;
    let latest = st.store.years(&row.uscc).await?;
    let detail = match latest.first() {
        Some((y, _)) => i18n::f("以 {} 年度数据更新", &[y]),
        None => String::new(),
    };
    st.store
        .title_event(
            &row.uscc,
            &tier,
            event.as_str(),
            Some(i64::from(title_flow::update_year(today))),
            &detail,
            None,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/titles/{}", row.uscc)))
}

/// A report of a major change (name, merger, relocation…), by the enterprise.
pub async fn report_change(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((uscc, tier)): Path<(String, String)>,
    Form(f): Form<TitleForm>,
) -> Result<Redirect, AppError> {
    let row = title_action(&st, &user, &f.csrf, &uscc, Role::Enterprise).await?;
    let detail = f.detail.trim();
    if detail.chars().count() > 2000 {
        return Err(AppError::BadRequest(i18n::t("内容过长").into()));
    }
    let event = title_flow::report_change(title_seat(&user), detail).map_err(|r| match r {
        title_flow::Refusal::DetailRequired => {
            AppError::BadRequest(i18n::t("请说明变化内容").into())
        }
        r => title_refused(r),
    })?;
    st.store
        .title_event(
            &row.uscc,
            &tier,
            event.as_str(),
            None,
            detail,
            None,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/titles/{}", row.uscc)))
}

/// Re-review of a title in its last six months: eligible only with an on-time yearly update of
/// last year; the latest figures are evaluated under the rule set the title was granted under
/// (a 2022 title keeps the 2022 rules); passing extends the validity by three years.
pub async fn rereview(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((uscc, tier)): Path<(String, String)>,
    Form(f): Form<TitleForm>,
) -> Result<Redirect, AppError> {
    let row = title_action(&st, &user, &f.csrf, &uscc, Role::City).await?;
    let t = granted_titles(&st, &row.uscc)
        .await?
        .into_iter()
        .find(|t| t.tier_key == tier)
        .ok_or(AppError::NotFound)?;
    let today = st.today();
    let rs = rule_set(&st, &t.rules)?;
    let year = i64::from(title_flow::update_year(today));
    let updated = st.store.title_events(&row.uscc).await?.iter().any(|e| {
        e.tier == tier && Event::parse(&e.kind) == Some(Event::Update) && e.year == Some(year)
    });
    let mut input = title_flow::Rereview {
        valid_from: t.valid_from,
        valid_until: date(&t.valid_until).ok_or_else(|| AppError::Internal("title date".into()))?,
        updated_on_time: updated,
        passes: false,
    };
    // Refused before the figures are evaluated.
    title_flow::may_rereview(title_seat(&user), &input, &rs.titles, today)
        .map_err(title_refused)?;
    let latest = st.store.years(&row.uscc).await?;
    let e = latest.first().map(|(_, e)| e).ok_or(AppError::NotFound)?;
    let s = zjtx_core::evaluate(e, rs, today);
    let v = match tier_of(&tier) {
        Some(Tier::Innovative) => s.innovative,
        Some(Tier::Srdi) => s.srdi,
        Some(Tier::Giant) => s.giant,
        _ => return Err(AppError::NotFound),
    };
    input.passes = v == Verdict::Pass;
    let (event, new_until) = title_flow::rereview(title_seat(&user), &input, &rs.titles, today)
        .map_err(title_refused)?;
    let new_until = new_until.map(|d| d.to_string());
    st.store
        .title_event(
            &row.uscc,
            &tier,
            event.as_str(),
            Some(year),
            &format!("{} {}", rs.id, v.key()),
            new_until.as_deref(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/titles/{}", row.uscc)))
}

/// Revocation: every title of the enterprise is cancelled at once and it may not declare for
/// three years.
pub async fn revoke(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    Form(f): Form<TitleForm>,
) -> Result<Redirect, AppError> {
    let row = title_action(&st, &user, &f.csrf, &uscc, Role::City).await?;
    let reason = f.detail.trim();
    // The ban of the rules in force today.
    let today = st.today();
    let rs = zjtx_core::rule_set_for(&st.rules, today)
        .ok_or_else(|| AppError::Internal(format!("no rule set applies on {today}")))?;
    let ban_until =
        title_flow::revoke(title_seat(&user), reason, &rs.titles, today).map_err(|r| match r {
            title_flow::Refusal::DetailRequired => {
                AppError::BadRequest(i18n::t("请写明撤销理由").into())
            }
            r => title_refused(r),
        })?;
    let (owner, _) = st.store.recipients(&row.uscc, None).await?;
    let link = format!("/titles/{}", row.uscc);
    let text = i18n::f("称号已撤销：{}", &[&reason]);
    let msgs = tell(owner, text, &link);
    st.store
        .revoke(
            &row.uscc,
            reason,
            &ban_until.to_string(),
            Some(user.user.id),
            &msgs,
        )
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to(&link))
}

// ---- messages and the expert's queue --------------------------------------------------------------

/// A declaration waiting for a reviewer, with its deadline.
pub struct QueueItem {
    pub d: Declaration,
    pub batch: String,
    pub deadline: String,
    pub overdue: bool,
}

/// What waits for a reviewer today: for a district office, the submitted declarations of its
/// district; for the city, what districts recommended; for an expert, the declarations drawn for
/// them and not yet scored. Archived batches are done.
pub async fn queue_for(
    store: &zjtx_store::Store,
    user: &zjtx_store::User,
    today: NaiveDate,
) -> Result<Vec<QueueItem>, StoreError> {
    let batches: Vec<Batch> = store
        .batches()
        .await?
        .into_iter()
        .filter(|b| !b.archived)
        .collect();
    let item = |d: Declaration, b: &Batch, deadline: &str| QueueItem {
        overdue: date(deadline).is_some_and(|l| today > l),
        deadline: deadline.to_owned(),
        batch: b.title.clone(),
        d,
    };
    let mut out = Vec::new();
    match user.role {
        Role::District => {
            let regions = match &user.region_code {
                Some(r) => store.region_and_below(r).await?,
                None => Vec::new(),
            };
            for b in &batches {
                for d in store
                    .declarations(b.id, &[Status::Submitted], Some(&regions))
                    .await?
                {
                    out.push(item(d, b, &b.district_until));
                }
            }
        }
        Role::City => {
            for b in &batches {
                for d in store
                    .declarations(b.id, &[Status::Recommended], None)
                    .await?
                {
                    out.push(item(d, b, &b.city_until));
                }
            }
        }
        Role::Expert => {
            if let Some(x) = store.expert_of_user(user.id).await? {
                for d in store.assigned_to(x).await? {
                    let scored = store
                        .reviews(d.id)
                        .await?
                        .iter()
                        .any(|r| r.level == "expert" && r.reviewer_id == user.id);
                    if d.status != Status::Recommended || scored {
                        continue;
                    }
                    if let Some(b) = batches.iter().find(|b| b.id == d.batch_id) {
                        out.push(item(d, b, &b.city_until));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// An enterprise's deadlines coming up: a draft (or a returned declaration) due within seven days,
/// and the yearly update of a title granted here due within thirty days and not yet made.
pub async fn reminders_for(
    store: &zjtx_store::Store,
    rules: &[zjtx_core::RuleSet],
    user: &zjtx_store::User,
    today: NaiveDate,
) -> Result<Vec<(String, String)>, StoreError> {
    let Some(uscc) = user.uscc.as_deref() else {
        return Ok(Vec::new());
    };
    let Some(horizons) = rules.first().map(|r| &r.common.declaration) else {
        return Ok(Vec::new());
    };
    let within = |days: u32| today + chrono::Days::new(u64::from(days));
    let mut out = Vec::new();
    for d in store.declarations_of(uscc).await? {
        let Some(b) = store.batch(d.batch_id).await? else {
            continue;
        };
        let due = match d.status {
            Status::Draft => &b.declare_until,
            Status::Returned => &b.district_until,
            _ => continue,
        };
        if !b.archived
            && date(due)
                .is_some_and(|l| today <= l && l <= within(horizons.remind_declaration_days))
        {
            out.push((
                i18n::f("申报“{}”将于 {} 截止，尚未提交", &[&b.title, due]),
                format!("/declarations/{}", d.id),
            ));
        }
    }
    let year = today.year() - 1;
    let events = store.title_events(uscc).await?;
    for dec in store.decisions_of(uscc).await? {
        let holds = store
            .titles(uscc)
            .await?
            .iter()
            .any(|(t, u)| *t == dec.tier && date(u).is_some_and(|u| u >= today));
        let done = events
            .iter()
            .any(|e| e.tier == dec.tier && e.kind == "update" && e.year == Some(i64::from(year)));
        if let Some(due) = update_deadline(rules, &dec.rules, year)
            && holds
            && owes_update(dec.valid_from.as_deref(), year)
            && !done
            && today <= due
            && due <= within(horizons.remind_update_days)
        {
            out.push((
                i18n::f("请在 {} 前完成 {} 年度信息更新", &[&due, &year]),
                format!("/titles/{uscc}"),
            ));
        }
    }
    Ok(out)
}

/// The daily digest: every enabled reviewer with something waiting gets an in-app message and,
/// with a mailer and an address, an e-mail listing it. Returns (reviewers told, e-mails sent).
pub async fn digest(
    store: &zjtx_store::Store,
    rules: &[zjtx_core::RuleSet],
    mailer: Option<&crate::mail::Mailer>,
    today: NaiveDate,
    base_url: &str,
) -> Result<(usize, usize), StoreError> {
    let (mut told, mut mailed) = (0, 0);
    for u in store.users().await? {
        if u.disabled {
            continue;
        }
        if u.role == Role::Enterprise {
            let reminders = reminders_for(store, rules, &u, today).await?;
            if !reminders.is_empty() {
                let msgs: Vec<Message> = reminders
                    .iter()
                    .map(|(text, link)| Message {
                        user_id: u.id,
                        text: text.clone(),
                        link,
                    })
                    .collect();
                store.notify(&msgs).await?;
                told += 1;
                if let (Some(m), Some(to)) = (mailer, u.email.as_deref()) {
                    let body: String = reminders
                        .iter()
                        .map(|(t, l)| format!("{t}\n{base_url}{l}\n"))
                        .collect();
                    match m
                        .send(to, &format!("ZJTX: {}", reminders[0].0), &body)
                        .await
                    {
                        Ok(()) => mailed += 1,
                        Err(e) => tracing::warn!(error = %e, "digest: an e-mail was not sent"),
                    }
                }
            }
            continue;
        }
        if !matches!(u.role, Role::District | Role::City | Role::Expert) {
            continue;
        }
        let queue = queue_for(store, &u, today).await?;
        if queue.is_empty() {
            continue;
        }
        let overdue = queue.iter().filter(|q| q.overdue).count();
        let text = i18n::f(
            "今日待办：{} 份申报，其中逾期 {} 份",
            &[&queue.len(), &overdue],
        );
        store
            .notify(&[Message {
                user_id: u.id,
                text: text.clone(),
                link: "/messages",
            }])
            .await?;
        told += 1;
        if let (Some(m), Some(to)) = (mailer, u.email.as_deref()) {
            let body: String = queue
                .iter()
                .map(|q| {
                    format!(
                        "{} · {} · {} {}{}\n{base_url}/declarations/{}\n",
                        q.batch,
                        q.d.name,
                        i18n::t("截止"),
                        q.deadline,
                        if q.overdue { " !" } else { "" },
                        q.d.id
                    )
                })
                .collect();
            match m.send(to, &format!("ZJTX: {text}"), &body).await {
                Ok(()) => mailed += 1,
                Err(e) => tracing::warn!(error = %e, "digest: an e-mail was not sent"),
            }
        }
    }
    Ok((told, mailed))
}

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
pub struct MessagesPage {
    pub tr: Tr,
    pub nav: Nav,
    pub items: Vec<zjtx_store::Notification>,
    pub queue: Vec<QueueItem>,
}

/// `GET /messages`: what waits for the user (reviewers' queues, with deadlines and overdue
/// marks) and their messages (marked read on view).
pub async fn messages(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<MessagesPage, AppError> {
    let items = st.store.notifications(user.user.id).await?;
    st.store.mark_read(user.user.id).await?;
    let queue = queue_for(&st.store, &user.user, st.today()).await?;
    Ok(MessagesPage {
        tr: Tr,
        nav: Nav::of(&user),
        items,
        queue,
    })
}
