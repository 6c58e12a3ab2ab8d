//! Server-rendered pages. They work without JavaScript; every route checks role and scope.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use zjtx_core::glossary::{self, Lang};
use zjtx_core::num::{Dec4, PctDisplay, round2};
use zjtx_core::{Tier, Verdict};
use zjtx_store::{Filter, Role};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::common::{urlencode, wan};
use crate::error::AppError;
use crate::nav::Nav;

/// The reader's language (see `crate::i18n`).
fn lang() -> Lang {
    crate::i18n::lang()
}

// ---- login ----------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub tr: crate::i18n::Tr,
    pub csrf: String,
    pub error: Option<String>,
    pub username: String,
    /// The single sign-on button's text, when a provider is configured.
    pub oidc: Option<String>,
}

/// The login form, with a fresh pre-login CSRF token in a cookie.
pub async fn login_form(State(st): State<AppState>) -> Result<Response, AppError> {
    let csrf = auth::random_token()?;
    let page = LoginPage {
        tr: crate::i18n::Tr,
        csrf: csrf.clone(),
        error: None,
        username: String::new(),
        oidc: st.oidc.as_ref().map(|p| p.label.clone()),
    };
    Ok((
        [(
            SET_COOKIE,
            auth::pre_cookie(&csrf, st.secure_cookies, "/login"),
        )],
        page,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub csrf: String,
}

pub async fn login(
    State(st): State<AppState>,
    parts: Parts,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let pre = auth::cookie(&parts, auth::PRE_COOKIE).unwrap_or("");
    if pre.is_empty() || !auth::same(pre, &f.csrf) {
        return Err(AppError::Csrf);
    }
    let again = |msg: &str| login_again(&st, &f.username, msg);
    let source = auth::client_addr(&parts);
    let user = match auth::authenticate(&st, &source, &f.username, &f.password).await? {
        auth::LoginOutcome::Ok(u) => u,
        auth::LoginOutcome::Invalid => return again(crate::i18n::t("用户名或密码错误")),
        auth::LoginOutcome::Throttled => {
            return again(crate::i18n::t("登录尝试次数过多，请15分钟后再试"));
        }
    };
    if let Some(code_page) = crate::totp::after_password(&st, &user).await? {
        return Ok(code_page);
    }
    let token = auth::open_session(&st, &user, &format!("form {source}")).await?;
    Ok((
        [(SET_COOKIE, auth::session_cookie(&token, st.secure_cookies))],
        Redirect::to("/"),
    )
        .into_response())
}

/// The login form again, with the name kept, a message and a fresh form token.
pub fn login_again(st: &AppState, username: &str, msg: &str) -> Result<Response, AppError> {
    let csrf = auth::random_token()?;
    let page = LoginPage {
        tr: crate::i18n::Tr,
        csrf: csrf.clone(),
        error: Some(msg.to_owned()),
        username: username.to_owned(),
        oidc: st.oidc.as_ref().map(|p| p.label.clone()),
    };
    Ok((
        [(
            SET_COOKIE,
            auth::pre_cookie(&csrf, st.secure_cookies, "/login"),
        )],
        page,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    st.store.delete_session(&user.token_hash).await?;
    st.store
        .audit(Some(user.user.id), "logout", None, "")
        .await?;
    Ok((
        [(SET_COOKIE, auth::session_cookie("", st.secure_cookies))],
        Redirect::to("/login"),
    )
        .into_response())
}

pub async fn home(user: CurrentUser) -> Result<Redirect, AppError> {
    Ok(match (&user.user.role, &user.user.uscc) {
        (Role::Enterprise, Some(u)) => Redirect::to(&format!("/enterprises/{u}")),
        (Role::City | Role::District, _) => Redirect::to("/dashboard"),
        // Each role lands where its work is: a bank in the finance zone, a provider on its
        // page, an expert on its messages (each drawn declaration arrives there, linked).
        (Role::Institution, _) if user.user.institution_id.is_some() => Redirect::to("/finance"),
        (Role::Provider, _) => Redirect::to("/providers"),
        (Role::Expert, _) => Redirect::to("/messages"),
        _ if user.sees_registry() => Redirect::to("/enterprises"),
        _ => Redirect::to("/account"),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub tr: crate::i18n::Tr,
    pub nav: Nav,
    /// The field of the password form in error ("current", "new", "confirm") and why.
    pub error: Option<(&'static str, String)>,
    pub changed: bool,
    /// The account may create keys for its organisation's systems.
    pub keys: bool,
    /// The second factor: on, and whether the role requires it; what just changed ("on", "off").
    pub totp_on: bool,
    pub totp_required: bool,
    pub totp_changed: Option<String>,
}

fn holds_keys(user: &CurrentUser) -> bool {
    matches!(
        user.user.role,
        Role::City | Role::District | Role::Institution
    )
}

pub async fn account(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ChangedQuery>,
) -> Result<AccountPage, AppError> {
    Ok(AccountPage {
        tr: crate::i18n::Tr,
        nav: Nav::of(&user),
        error: None,
        changed: q.changed.is_some(),
        keys: holds_keys(&user),
        totp_on: st
            .store
            .totp_of(user.user.id)
            .await?
            .is_some_and(|t| t.confirmed),
        totp_required: crate::totp::required(&st, &user.user),
        totp_changed: q.totp.filter(|v| v == "on" || v == "off"),
    })
}

#[derive(Deserialize)]
pub struct ChangedQuery {
    pub changed: Option<String>,
    pub totp: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    pub csrf: String,
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub confirm: String,
}

/// `POST /account/password`: a user changes their own password, giving the current one; every
/// other session of the account ends. Attempts at the current password count like sign-ins.
pub async fn change_password(
    State(st): State<AppState>,
    user: CurrentUser,
    parts: axum::http::request::Parts,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    let totp_on = st
        .store
        .totp_of(user.user.id)
        .await?
        .is_some_and(|t| t.confirmed);
    let again = |field: &'static str, msg: String| -> Result<Response, AppError> {
        Ok((
            axum::http::StatusCode::BAD_REQUEST,
            AccountPage {
                tr: crate::i18n::Tr,
                nav: Nav::of(&user),
                error: Some((field, msg)),
                changed: false,
                keys: holds_keys(&user),
                totp_on,
                totp_required: crate::totp::required(&st, &user.user),
                totp_changed: None,
            },
        )
            .into_response())
    };
    let source = auth::client_addr(&parts);
    match auth::authenticate(&st, &source, &user.user.username, &f.current).await? {
        auth::LoginOutcome::Ok(_) => {}
        auth::LoginOutcome::Invalid => {
            return again("current", crate::i18n::t("当前密码不正确").to_owned());
        }
        auth::LoginOutcome::Throttled => {
            return again(
                "current",
                crate::i18n::t("登录尝试次数过多，请15分钟后再试").to_owned(),
            );
        }
    }
    if let Err(weak) = crate::password::check(&f.new, &user.user.username) {
        return again("new", weak.message());
    }
    if f.new != f.confirm {
        return again(
            "confirm",
            crate::i18n::t("两次输入的新密码不一致").to_owned(),
        );
    }
    let hash = auth::hash_password(&f.new)?;
    st.store.set_password(&user.user.username, &hash).await?;
    let ended = st
        .store
        .end_sessions(user.user.id, Some(&user.token_hash))
        .await?;
    st.store
        .audit(
            Some(user.user.id),
            "password.change",
            None,
            &format!("{source}; {ended} other sessions ended"),
        )
        .await?;
    Ok(Redirect::to("/account?changed=1").into_response())
}

// ---- the enterprise list ------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    pub region: Option<String>,
    pub ecosystem: Option<String>,
    pub chain: Option<String>,
    /// A segment of `chain` (细分赛道).
    pub segment: Option<String>,
    pub candidate: Option<String>,
    pub expiring: Option<String>,
    /// Revenue bounds in 万元 (the latest year).
    pub revenue_min: Option<String>,
    pub revenue_max: Option<String>,
    pub size: Option<String>,
    pub top_tier: Option<String>,
    pub title: Option<String>,
    pub section: Option<String>,
    pub q: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl ListQuery {
    /// The store's filter for these query parameters, one page of `per_page` from `after`; a
    /// malformed amount is a clear error.
    /// The store's filter for this query, as of `today` (the application's one clock).
    pub fn filter(&self, per_page: u32, st: &AppState) -> Result<Filter, AppError> {
        let today = st.today();
        let amount = |v: &Option<String>, label: &str| -> Result<Option<i64>, AppError> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(t) => zjtx_core::num::Wan::parse(t)
                    .map(|w| Some(w.units()))
                    .map_err(|e| {
                        AppError::BadRequest(crate::i18n::f(
                            "{}（万元）：{} {}",
                            &[&label, &format!("{t:?}"), &e],
                        ))
                    }),
            }
        };
        Ok(Filter {
            revenue_min: amount(&self.revenue_min, crate::i18n::t("营业收入下限"))?,
            revenue_max: amount(&self.revenue_max, crate::i18n::t("营业收入上限"))?,
            region: self.region.clone(),
            size: self.size.clone(),
            top_tier: self.top_tier.clone(),
            title: self.title.clone(),
            section: self.section.clone(),
            ecosystem: self.ecosystem.clone(),
            chain: self.chain.clone(),
            segment: self.segment.clone(),
            candidate: self.candidate.clone(),
            expiring: self.expiring.clone(),
            q: self.q.clone(),
            after: self.after.clone(),
            before: self.before.clone(),
            per_page,
            today,
            expiring_months: st.rereview_window(),
        })
    }
}

pub struct ListItem {
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub industry: String,
    pub year: i64,
    pub size: &'static str,
    pub top_tier: &'static str,
    pub revenue: String,
    pub marks: Vec<(&'static str, &'static str)>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprises.html")]
pub struct ListPageView {
    pub tr: crate::i18n::Tr,
    pub nav: Nav,
    pub total: i64,
    /// More than the total shown (counting stops at `zjtx_store::COUNT_CAP`).
    pub capped: bool,
    pub items: Vec<ListItem>,
    pub next_link: Option<String>,
    pub prev_link: Option<String>,
    pub export_link: String,
    pub q: String,
    /// The segment filtered on (kept through the filter form).
    pub segment: String,
    pub revenue_min: String,
    pub revenue_max: String,
    pub regions: Vec<Choice>,
    pub ecosystems: Vec<Choice>,
    /// Chains grouped by ecosystem.
    pub chains: Vec<(String, Vec<Choice>)>,
    pub sections: Vec<Choice>,
    pub sizes: Vec<Choice>,
    pub tiers: Vec<Choice>,
    pub titles: Vec<Choice>,
    /// Firms that meet a tier without holding it, and titles ending within the re-review window
    /// (the dashboard's links): shown and kept like every other filter.
    pub candidates: Vec<Choice>,
    pub expiring: Vec<Choice>,
    /// The filters in force, in words (name: value), for the line above the list.
    pub active: Vec<(String, String)>,
    /// The search matched nothing: what else to try, and a link that does it.
    pub hint: Option<(String, Option<(String, String)>)>,
    /// The search was turned away (too many at once): the form keeps what was typed.
    pub busy: bool,
}

fn choices(options: &[(&str, &str)], current: &Option<String>) -> Vec<Choice> {
    options
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).to_owned(),
            label: (*l).to_owned(),
            selected: current.as_deref() == Some(*v),
        })
        .collect()
}

fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::Review => "?",
    }
}

pub async fn enterprises(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let scope = user.scope(&st.store).await?;
    let filter = q.filter(50, &st)?;
    // A search turned away (its share of the database taken) answers 503 with the form as typed
    // and a message, not a bare error page.
    let (page, busy) = match st.store.list(&filter, &scope).await {
        Ok(p) => (p, false),
        Err(zjtx_store::StoreError::Busy(why)) => {
            tracing::warn!(why, "a search was turned away");
            (zjtx_store::ListPage::default(), true)
        }
        Err(e) => return Err(e.into()),
    };
    auth::audit_list(
        &st,
        &user,
        "read.list",
        "page",
        page.items.iter().map(|e| e.uscc.as_str()),
    )
    .await?;
    let regions: Vec<Choice> = st
        .districts(&scope)
        .await?
        .into_iter()
        .map(|r| Choice {
            selected: q.region.as_deref() == Some(r.code.as_str()),
            value: r.code.clone(),
            label: r.name.clone(),
        })
        .collect();
    let filters = filter_query(&q);
    let next_link = page.next.as_ref().map(|after| {
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("/enterprises?{filters}{sep}after={}", urlencode(after))
    });
    let prev_link = page.prev.as_ref().map(|before| {
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("/enterprises?{filters}{sep}before={}", urlencode(before))
    });
    let export_link = format!("/enterprises/export.xlsx?{filters}");
    let items = page
        .items
        .into_iter()
        .map(|e| ListItem {
            marks: vec![
                (
                    glossary::tier_short("innovative", lang()),
                    mark(e.innovative),
                ),
                (glossary::tier_short("tech_sme", lang()), mark(e.tech_sme)),
                (glossary::tier_short("srdi", lang()), mark(e.srdi)),
                (glossary::tier_short("giant", lang()), mark(e.giant)),
            ],
            size: glossary::size(e.size, lang()),
            top_tier: glossary::top_tier(e.top_tier, lang()),
            revenue: wan(e.revenue),
            region: e.region_name.unwrap_or_default(),
            industry: e.industry_code,
            year: e.latest_year,
            uscc: e.uscc,
            name: e.name,
        })
        .collect();
    let view = ListPageView {
        tr: crate::i18n::Tr,
        nav: Nav::of(&user),
        total: page.total,
        capped: page.total_capped,
        items,
        next_link,
        prev_link,
        export_link,
        q: q.q.clone().unwrap_or_default(),
        segment: q.segment.clone().unwrap_or_default(),
        revenue_min: q.revenue_min.clone().unwrap_or_default(),
        revenue_max: q.revenue_max.clone().unwrap_or_default(),
        regions,
        ecosystems: zjtx_core::enterprise::ECOSYSTEMS
            .iter()
            .map(|e| Choice {
                value: (*e).to_owned(),
                label: glossary::ecosystem(e, lang()).to_owned(),
                selected: q.ecosystem.as_deref() == Some(*e),
            })
            .collect(),
        chains: chain_groups(&st.chains().await?, |c| q.chain.as_deref() == Some(c)),
        sections: zjtx_core::ids::SECTIONS
            .iter()
            .map(|s| Choice {
                value: s.letter.to_string(),
                label: format!(
                    "{} {}",
                    s.letter,
                    match lang() {
                        Lang::Zh => s.name_zh,
                        Lang::En => s.name_en,
                    }
                ),
                selected: q.section.as_deref() == Some(s.letter.to_string().as_str()),
            })
            .collect(),
        sizes: choices(
            &["medium", "small", "micro", "large", "unknown"]
                .map(|k| (k, glossary::size_by_key(k, lang()))),
            &q.size,
        ),
        tiers: choices(
            &["giant", "srdi", "innovative", "tech_sme", "none"]
                .map(|k| (k, glossary::tier_short(k, lang()))),
            &q.top_tier,
        ),
        titles: choices(
            &["giant", "srdi", "innovative", "tech_sme"]
                .map(|k| (k, glossary::tier_short(k, lang()))),
            &q.title,
        ),
        candidates: choices(
            &["giant", "srdi", "innovative", "tech_sme"]
                .map(|k| (k, glossary::tier_short(k, lang()))),
            &q.candidate,
        ),
        expiring: choices(
            &["giant", "srdi", "innovative", "tech_sme"]
                .map(|k| (k, glossary::tier_short(k, lang()))),
            &q.expiring,
        ),
        active: Vec::new(),
        hint: None,
        busy,
    };
    // The filters in force, in words, whichever way they came (the form, a dashboard link).
    let mut page = view;
    let picked = |cs: &[Choice]| cs.iter().find(|c| c.selected).map(|c| c.label.clone());
    for (name, v) in [
        (crate::i18n::t("区县"), picked(&page.regions)),
        (crate::i18n::t("产业生态圈"), picked(&page.ecosystems)),
        (
            crate::i18n::t("产业链"),
            page.chains.iter().find_map(|(_, cs)| picked(cs)),
        ),
        (crate::i18n::t("行业门类"), picked(&page.sections)),
        (crate::i18n::t("规模"), picked(&page.sizes)),
        (crate::i18n::t("最高梯度（本次评价）"), picked(&page.tiers)),
        (crate::i18n::t("已获称号（有效期内）"), picked(&page.titles)),
        (crate::i18n::t("达标但未获称号"), picked(&page.candidates)),
        (crate::i18n::t("称号即将到期"), picked(&page.expiring)),
        (
            crate::i18n::t("营业收入（万元）≥"),
            Some(page.revenue_min.clone()).filter(|v| !v.is_empty()),
        ),
        (
            crate::i18n::t("营业收入（万元）≤"),
            Some(page.revenue_max.clone()).filter(|v| !v.is_empty()),
        ),
        (
            crate::i18n::t("搜索"),
            Some(page.q.clone()).filter(|v| !v.is_empty()),
        ),
    ] {
        if let Some(v) = v {
            page.active.push((name.to_owned(), v));
        }
    }
    // A search that found nothing: say what it searches, and offer the district when the words
    // name one.
    if page.total == 0 && !page.q.trim().is_empty() {
        let words = page.q.trim().to_owned();
        let district = page
            .regions
            .iter()
            .find(|c| {
                c.label.contains(&words)
                    || words.contains(c.label.trim_end_matches(['区', '县', '市']))
            })
            .map(|c| (c.value.clone(), c.label.clone()));
        page.hint = Some(match district {
            Some((code, name)) => (
                crate::i18n::f(
                    "搜索只查企业名称、主导产品和统一社会信用代码。要看{}的企业，请用“区县”筛选。",
                    &[&name],
                ),
                Some((
                    format!("/enterprises?region={}", crate::common::urlencode(&code)),
                    crate::i18n::f("查看{}的全部企业", &[&name]),
                )),
            ),
            None => (
                crate::i18n::t("搜索只查企业名称、主导产品和统一社会信用代码；可换用更短的词，或改用区县、产业链等筛选。").to_owned(),
                None,
            ),
        });
    }
    let view = page;
    if busy {
        return Ok((
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "2")],
            view,
        )
            .into_response());
    }
    Ok(view.into_response())
}

/// Chains as choices grouped by ecosystem, in the store's order.
fn chain_groups(
    chains: &[zjtx_store::ChainRow],
    selected: impl Fn(&str) -> bool,
) -> Vec<(String, Vec<Choice>)> {
    let mut groups: Vec<(String, Vec<Choice>)> = Vec::new();
    for c in chains {
        let choice = Choice {
            value: c.name.clone(),
            label: match lang() {
                Lang::En if !c.name_en.is_empty() => c.name_en.clone(),
                _ => c.name.clone(),
            },
            selected: selected(&c.name),
        };
        let eco = glossary::ecosystem(&c.ecosystem, lang());
        match groups.last_mut() {
            Some((e, items)) if e == eco => items.push(choice),
            _ => groups.push((eco.to_owned(), vec![choice])),
        }
    }
    groups
}

/// The list's filters as a query string (without the page position).
fn filter_query(q: &ListQuery) -> String {
    let pairs = [
        ("region", &q.region),
        ("ecosystem", &q.ecosystem),
        ("chain", &q.chain),
        ("segment", &q.segment),
        ("candidate", &q.candidate),
        ("expiring", &q.expiring),
        ("revenue_min", &q.revenue_min),
        ("revenue_max", &q.revenue_max),
        ("size", &q.size),
        ("top_tier", &q.top_tier),
        ("title", &q.title),
        ("section", &q.section),
        ("q", &q.q),
    ];
    pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", urlencode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

// ---- the enterprise page ---------------------------------------------------------------------------

pub struct YearRow {
    pub year: i64,
    pub revenue: String,
    pub main_revenue: String,
    pub rd_expense: String,
    pub rd_intensity: String,
    pub employees: String,
    pub total_assets: String,
    pub net_profit: String,
}

pub struct TitleRow {
    pub tier: &'static str,
    pub until: String,
    pub valid: bool,
    pub expiring: bool,
}

pub struct RuleRow {
    pub id: &'static str,
    pub title: &'static str,
    pub outcome: String,
    pub class: &'static str,
    pub threshold: String,
    pub value: String,
    pub clause: String,
    pub gap: String,
}

pub struct TierBlock {
    pub name: &'static str,
    pub verdict: &'static str,
    pub class: &'static str,
    pub extra: String,
    pub rules: Vec<RuleRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise.html")]
pub struct EnterpriseView {
    pub tr: crate::i18n::Tr,
    pub nav: Nav,
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub industry: String,
    pub ecosystem: String,
    /// The chains it is tagged with.
    pub chains: Vec<String>,
    /// Main products as reported in the latest year.
    pub products: String,
    /// "Reaching SRDI would open N products", from the finance zone.
    pub finance_hint: Option<String>,
    /// Every chain, checked where tagged, when the user may change the tags.
    pub chain_form: Option<Vec<(String, Vec<Choice>)>>,
    /// The segments it carries, as `chain · segment`.
    pub segments: Vec<String>,
    /// The segments of its chains (in force, or carried), checked where carried, when the user
    /// may change them.
    pub segment_form: Option<Vec<(String, Vec<Choice>)>>,
    /// The districts to move it to, for the city bureau.
    pub move_form: Option<Vec<Choice>>,
    /// Its military-industry qualification (certificate date, note), as the bureau recorded it.
    pub military: Option<(String, String)>,
    /// Whether the user may record or clear it (the city).
    pub military_form: bool,
    pub size: &'static str,
    pub top_tier: &'static str,
    pub rules_title: String,
    pub as_of: String,
    pub reference_year: i32,
    pub years: Vec<YearRow>,
    pub titles: Vec<TitleRow>,
    pub gates: Vec<RuleRow>,
    pub tiers: Vec<TierBlock>,
    /// The next tier and what it still misses (the page leads with it).
    pub lead: Option<Lead>,
    pub whatif_on: bool,
    pub whatif_errors: Vec<String>,
    pub whatif_fields: Vec<WhatIfField>,
    /// (tier, verdict on the stored figures, verdict on the what-if figures)
    pub comparison: Vec<(&'static str, &'static str, &'static str)>,
}

pub(crate) fn class_of(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Review => "review",
    }
}

pub(crate) fn rule_row(t: &zjtx_core::trace::TraceEntry) -> RuleRow {
    let (outcome, class) = match (t.verdict, t.points) {
        (Some(v), _) => (glossary::verdict(v, lang()).to_owned(), class_of(v)),
        (None, Some(p)) => {
            let max = t.out_of.map(|m| m.to_string()).unwrap_or_default();
            let pts = match t.points_max {
                Some(hi) if hi != p => format!("{p}–{hi}"),
                _ => p.to_string(),
            };
            (crate::i18n::f("{} / {} 分", &[&pts, &max]), "points")
        }
        // The size class is shown by its name, not its key.
        _ if t.id == zjtx_core::trace::RuleId::SizeClass => (
            glossary::size_by_key(t.value.as_deref().unwrap_or_default(), lang()).to_owned(),
            "info",
        ),
        _ => (t.value.clone().unwrap_or_default(), "info"),
    };
    RuleRow {
        id: t.id.as_str(),
        title: glossary::rule(t.id, lang()),
        outcome,
        class,
        threshold: t.threshold.clone(),
        value: t.value.clone().unwrap_or_default(),
        clause: t.clause.clone(),
        gap: t.gap.as_ref().map(|g| g.text(lang())).unwrap_or_default(),
    }
}

/// The figures a what-if may change (template keys).
pub(crate) const WHATIF_KEYS: &[&str] = &[
    "revenue",
    "revenue_prev",
    "revenue_prev2",
    "main_revenue",
    "main_revenue_prev",
    "main_revenue_prev2",
    "rd_expense",
    "rd_expense_prev",
    "employees",
    "rd_staff",
    "total_assets",
    "total_liabilities",
    "net_profit",
    "equity_2y",
    "ip1",
    "ip1_applied",
    "rd_institution",
    "market_share",
    "quality_score",
    "niche_since",
];

/// Applies what-if values (template cells by key) to an enterprise through the template parser:
/// the changed enterprise, or every error located by column.
pub(crate) fn what_if(
    e: &zjtx_core::Enterprise,
    changes: &std::collections::HashMap<String, String>,
) -> Result<zjtx_core::Enterprise, Vec<String>> {
    use zjtx_core::enterprise::{COLUMNS, HeaderMap};
    let keys: Vec<&str> = COLUMNS.iter().map(|c| c.key).collect();
    let header = HeaderMap::parse(keys.iter().copied())
        .map_err(|e| e.iter().map(|x| x.to_string()).collect::<Vec<_>>())?;
    let cells: Vec<String> = COLUMNS
        .iter()
        .map(|c| match changes.get(c.key) {
            Some(v) if WHATIF_KEYS.contains(&c.key) => v.clone(),
            _ => e.get(c.col),
        })
        .collect();
    header
        .parse_row(1, cells.iter().map(String::as_str))
        .map_err(|errs| {
            let zh = crate::i18n::lang() == zjtx_core::glossary::Lang::Zh;
            errs.iter()
                .map(|x| {
                    let label = x.column.as_deref().map(label_of).unwrap_or("");
                    if zh {
                        format!("{label}：{}", x.message_zh)
                    } else {
                        format!("{label}: {}", x.message)
                    }
                })
                .collect()
        })
}

/// A template column's label in the reader's language.
pub(crate) fn label_of(key: &str) -> &'static str {
    zjtx_core::enterprise::Col::from_key(key)
        .map_or("", |c| zjtx_core::glossary::field(c, crate::i18n::lang()))
}

pub struct WhatIfField {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub changed: bool,
}

pub async fn enterprise(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    Query(changes): Query<std::collections::HashMap<String, String>>,
) -> Result<EnterpriseView, AppError> {
    let uscc = uscc.trim().to_uppercase();
    let row = st
        .store
        .enterprise(&uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&st.store).await?;
    if !auth::can_see(&scope, &row) {
        // Outside the user's scope reads as absent, so that scope cannot be probed.
        return Err(AppError::NotFound);
    }
    st.store
        .audit_read(
            Some(user.user.id),
            "read",
            Some(&row.uscc),
            "enterprise page",
        )
        .await?;
    // The firm's file in one statement; the chain lists from memory unless the bureau changed
    // them since they were read (the file carries their counter).
    let zjtx_store::FirmFile {
        years,
        titles,
        chains,
        segments: held,
        military,
        lists_mark,
    } = st.store.firm_file(&row.uscc).await?;
    let tags = tags_chains(&user);
    let lists = if tags || lang() == Lang::En {
        Some(st.store.chain_lists(lists_mark).await?)
    } else {
        None
    };
    let chain_form = lists.as_deref().filter(|_| tags).map(|l| {
        // A retired chain is offered only to a firm that keeps its tag.
        let offered: Vec<zjtx_store::ChainRow> = l
            .chains
            .iter()
            .filter(|k| k.retired_on.is_none() || chains.contains(&k.name))
            .cloned()
            .collect();
        chain_groups(&offered, |c| chains.iter().any(|t| t == c))
    });
    let segment_form = lists.as_deref().filter(|_| tags).and_then(|l| {
        let groups: Vec<(String, Vec<Choice>)> = chains
            .iter()
            .map(|c| {
                let items = l
                    .segments
                    .iter()
                    .filter(|s| &s.chain == c)
                    .filter(|s| {
                        s.retired_on.is_none() || held.contains(&(s.chain.clone(), s.name.clone()))
                    })
                    .map(|s| Choice {
                        value: format!("{}|{}", s.chain, s.name),
                        label: s.name.clone(),
                        selected: held.contains(&(s.chain.clone(), s.name.clone())),
                    })
                    .collect::<Vec<_>>();
                (c.clone(), items)
            })
            .filter(|(_, items)| !items.is_empty())
            .collect();
        Some(groups).filter(|g| !g.is_empty())
    });
    let segments: Vec<String> = held.iter().map(|(c, s)| format!("{c} · {s}")).collect();
    // Shown by their English names to English readers.
    let chains: Vec<String> = match lists.as_deref().filter(|_| lang() == Lang::En) {
        None => chains,
        Some(l) => chains
            .into_iter()
            .map(|c| {
                l.chains
                    .iter()
                    .find(|k| k.name == c && !k.name_en.is_empty())
                    .map_or(c, |k| k.name_en.clone())
            })
            .collect(),
    };
    let as_of = st.today();
    let latest = years
        .first()
        .map(|(_, e)| e.clone())
        .ok_or(AppError::NotFound)?;
    let rs = zjtx_core::rule_set_for(&st.rules, as_of)
        .ok_or_else(|| AppError::Internal(format!("no rule set applies on {as_of}")))?;
    // A what-if evaluates changed figures; nothing is stored.
    let whatif_on = changes.keys().any(|k| WHATIF_KEYS.contains(&k.as_str()));
    let (subject, whatif_errors) = if whatif_on {
        match what_if(&latest, &changes) {
            Ok(e) => (e, Vec::new()),
            Err(errs) => (latest.clone(), errs),
        }
    } else {
        (latest.clone(), Vec::new())
    };
    let ev = zjtx_core::explain(&subject, rs, as_of);
    let s = &ev.summary;
    // Without a what-if the subject is the stored figures: their summary is the baseline.
    let baseline = if whatif_on {
        zjtx_core::evaluate(&latest, rs, as_of)
    } else {
        s.clone()
    };
    let whatif_fields: Vec<WhatIfField> = WHATIF_KEYS
        .iter()
        .filter_map(|k| zjtx_core::enterprise::COLUMNS.iter().find(|c| c.key == *k))
        .map(|c| WhatIfField {
            key: c.key,
            label: zjtx_core::glossary::field(c.col, crate::i18n::lang()),
            value: subject.get(c.col),
            changed: subject.get(c.col) != latest.get(c.col),
        })
        .collect();
    let comparison: Vec<(&'static str, &'static str, &'static str)> = [
        (Tier::Innovative, baseline.innovative, s.innovative),
        (Tier::TechSme, baseline.tech_sme, s.tech_sme),
        (Tier::Srdi, baseline.srdi, s.srdi),
        (Tier::Giant, baseline.giant, s.giant),
    ]
    .iter()
    .map(|(t, a, b)| {
        (
            glossary::tier(*t, lang()),
            glossary::verdict(*a, lang()),
            glossary::verdict(*b, lang()),
        )
    })
    .collect();
    let expiring_until = as_of + chrono::Months::new(st.rereview_window());
    let pct = |n: Option<zjtx_core::num::Wan>, d: Option<zjtx_core::num::Wan>| match (n, d) {
        (Some(n), Some(d)) if d.units() > 0 => format!(
            "{}%",
            PctDisplay(i128::from(n.units()) * 1_000_000 / i128::from(d.units()))
        ),
        _ => String::new(),
    };
    let tier_block = |tier: Tier, v: Verdict, extra: String| TierBlock {
        name: glossary::tier(tier, lang()),
        verdict: glossary::verdict(v, lang()),
        class: class_of(v),
        extra,
        rules: ev
            .trace
            .iter()
            .filter(|t| t.tier == Some(tier))
            .map(rule_row)
            .collect(),
    };
    let score = |d: Option<Dec4>| {
        d.map(|d| {
            Dec4::from_units(round2(d.units()))
                .unwrap_or_default()
                .to_string()
        })
    };
    let mut view = EnterpriseView {
        lead: None,
        tr: crate::i18n::Tr,
        nav: Nav::of(&user),
        uscc: row.uscc.clone(),
        name: row.name.clone(),
        region: row.region_name.clone().unwrap_or_default(),
        industry: row.industry_code.clone(),
        ecosystem: row
            .ecosystem
            .as_deref()
            .map(|e| glossary::ecosystem(e, lang()).to_owned())
            .unwrap_or_default(),
        chains,
        chain_form,
        segments,
        segment_form,
        military: military.filter(|_| matches!(user.user.role, Role::City | Role::District)),
        military_form: user.user.role == Role::City,
        move_form: (user.user.role == Role::City).then(|| {
            zjtx_core::enterprise::DISTRICTS
                .iter()
                .map(|(code, name)| Choice {
                    value: (*code).to_owned(),
                    label: (*name).to_owned(),
                    selected: row.region_code.as_deref() == Some(*code),
                })
                .collect()
        }),
        products: latest.main_products.clone().unwrap_or_default(),
        finance_hint: crate::finance::opened_by_next_tier(&st, &row, &titles)
            .await?
            .map(|(tier, n)| {
                crate::i18n::f(
                    "达到{}将可申请 {} 款金融产品",
                    &[&glossary::tier_short(tier, lang()), &n],
                )
            }),
        size: glossary::size(s.size, lang()),
        top_tier: glossary::top_tier(s.top_tier, lang()),
        rules_title: format!("{}（{}）", rs.title, rs.document),
        as_of: as_of.to_string(),
        reference_year: ev.reference_year,
        years: years
            .iter()
            .map(|(y, e)| YearRow {
                year: *y,
                revenue: wan(e.revenue.map(|w| w.units())),
                main_revenue: wan(e.main_revenue.map(|w| w.units())),
                rd_expense: wan(e.rd_expense.map(|w| w.units())),
                rd_intensity: pct(e.rd_expense, e.revenue),
                employees: e.employees.map(|n| n.to_string()).unwrap_or_default(),
                total_assets: wan(e.total_assets.map(|w| w.units())),
                net_profit: wan(e.net_profit.map(|w| w.units())),
            })
            .collect(),
        titles: titles
            .into_iter()
            .map(|(tier, until)| {
                let d = NaiveDate::parse_from_str(&until, "%Y-%m-%d").ok();
                TitleRow {
                    tier: glossary::tier_by_key(&tier, lang()),
                    valid: d.is_some_and(|d| d >= as_of),
                    expiring: d.is_some_and(|d| d >= as_of && d <= expiring_until),
                    until,
                }
            })
            .collect(),
        whatif_on,
        whatif_errors,
        whatif_fields,
        comparison,
        gates: ev
            .trace
            .iter()
            .filter(|t| t.tier.is_none())
            .map(rule_row)
            .collect(),
        tiers: vec![
            tier_block(
                Tier::Innovative,
                s.innovative,
                match score(s.innovative_score) {
                    Some(sc) => crate::i18n::f("评分路径，得分 {}", &[&sc]),
                    None => crate::i18n::f("直通条件 {}", &[&s.innovative_route.key()]),
                },
            ),
            tier_block(
                Tier::TechSme,
                s.tech_sme,
                crate::i18n::f(
                    "得分 {}",
                    &[&score(Some(s.tech_sme_score)).unwrap_or_default()],
                ),
            ),
            tier_block(
                Tier::Srdi,
                s.srdi,
                score(s.srdi_score)
                    .map(|sc| crate::i18n::f("得分 {}", &[&sc]))
                    .unwrap_or_default(),
            ),
            tier_block(Tier::Giant, s.giant, String::new()),
        ],
    };
    // The lead: the next tier up from what the figures meet, and what it still misses.
    let next = if s.giant == Verdict::Pass {
        None
    } else if s.srdi == Verdict::Pass {
        Some(Tier::Giant)
    } else if s.innovative == Verdict::Pass {
        Some(Tier::Srdi)
    } else {
        Some(Tier::Innovative)
    };
    if let Some(t) = next {
        let name = glossary::tier(t, lang());
        if let Some(block) = view.tiers.iter().find(|b| b.name == name) {
            view.lead = Some(Lead {
                tier: name,
                simulated: view.whatif_on && view.whatif_errors.is_empty(),
                missing: block
                    .rules
                    .iter()
                    .filter(|r| matches!(r.class, "fail" | "review"))
                    .map(|r| (r.title, r.outcome.clone(), r.gap.clone()))
                    .collect(),
            });
        }
    }
    Ok(view)
}

/// What the scorecard leads with: the next tier, and each condition of it not met (its title,
/// its outcome, the gap in words).
pub struct Lead {
    pub tier: &'static str,
    pub simulated: bool,
    pub missing: Vec<(&'static str, String, String)>,
}

// ---- chain tags -----------------------------------------------------------------------------------

/// Chain tags are the bureau's classification: city and district staff set them, within their scope.
fn tags_chains(user: &CurrentUser) -> bool {
    matches!(user.user.role, Role::City | Role::District)
}

/// A registry firm the user may see (else absent).
async fn firm_in_scope(
    st: &AppState,
    user: &CurrentUser,
    uscc: &str,
) -> Result<zjtx_store::EnterpriseRow, AppError> {
    let row = st
        .store
        .enterprise(uscc.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&st.store).await?;
    if auth::can_see(&scope, &row) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// The chain boxes checked on an enterprise's page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChainsForm {
    pub csrf: String,
    pub chain: Vec<String>,
}

/// Replaces an enterprise's chain tags with the boxes checked on its page (form fields `chain`,
/// repeated, and `csrf`); an undefined chain is refused and nothing changes.
pub async fn set_chains(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    crate::common::Fields(form): crate::common::Fields<ChainsForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    let row = firm_in_scope(&st, &user, &uscc).await?;
    let mut chains: Vec<String> = form
        .chain
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    chains.sort_unstable();
    chains.dedup();
    st.store
        .set_chains(&[(row.uscc.clone(), chains)], Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/enterprises/{}#chains", row.uscc)))
}

/// The segment boxes checked on an enterprise's page (`segment` = `chain|segment`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SegmentsForm {
    pub csrf: String,
    pub segment: Vec<String>,
}

/// `POST /enterprises/{uscc}/segments`: replaces the segments it carries — each of a chain it
/// carries, in force or already carried.
pub async fn set_segments(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    crate::common::Fields(form): crate::common::Fields<SegmentsForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    if !tags_chains(&user) {
        return Err(AppError::Forbidden);
    }
    let row = firm_in_scope(&st, &user, &uscc).await?;
    let wanted: Vec<(String, String)> = form
        .segment
        .iter()
        .filter_map(|v| v.split_once('|'))
        .map(|(c, s)| (c.trim().to_owned(), s.trim().to_owned()))
        .collect();
    let chains = st.store.chains_of(&row.uscc).await?;
    let open: Vec<(String, String)> = st
        .store
        .segments()
        .await?
        .into_iter()
        .filter(|s| s.retired_on.is_none())
        .map(|s| (s.chain, s.name))
        .collect();
    let held = st.store.segments_of(&row.uscc).await?;
    let tags = zjtx_core::workflow::taxonomy::tag_segments(&chains, &open, &held, &wanted)
        .map_err(crate::chains::map::taxonomy_refused)?;
    st.store
        .set_segments(&row.uscc, &tags, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/enterprises/{}#segments", row.uscc)))
}

#[derive(Deserialize)]
pub struct MoveForm {
    pub csrf: String,
    #[serde(default)]
    pub region: String,
}

/// `POST /enterprises/{uscc}/district`: the city bureau moves an enterprise to another district
/// (imports never do); audited with both districts.
pub async fn move_district(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if !zjtx_core::enterprise::DISTRICTS
        .iter()
        .any(|(c, _)| *c == f.region)
    {
        return Err(AppError::BadRequest(
            crate::i18n::t("请选择本市的区县").into(),
        ));
    }
    st.store
        .move_enterprise(uscc.trim(), &f.region, Some(user.user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/enterprises/{}", uscc.trim())))
}
