//! Funding programmes (专项资金, issue 13): the calls and their budgets, a call's page (its
//! programme's conditions and formula with their clauses, what each budget has left, the
//! applications the reader may see, the apply form, a forecast over an uploaded projects file),
//! an application's page (the project, the award's trace line by line, the review, approval,
//! payment and recovery forms), and the API's programmes and awards. The rules of each step are
//! `zjtx_core::workflow::fund`; the amounts, `zjtx_core::programme`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Multipart, Path, State};
use axum::response::Redirect;
use serde::Deserialize;
use zjtx_core::num::Wan;
use zjtx_core::programme::{self, Award, FirmFacts, Forecast, Programme, ProjectFacts};
use zjtx_core::trace::Verdict;
use zjtx_core::workflow::fund::{self as flow, Field, Level, Refusal, Review, Seat, Status};
use zjtx_store::{FundApplication, FundCall, FundFilter, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::common::wan;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

pub mod api;
pub mod steps;
pub use api::*;
pub use steps::{approve, invoice_file, pay, recover, reject, resubmit, review, upload_invoice};

/// The largest projects file a forecast reads.
pub const MAX_UPLOAD: usize = 16 << 20;

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Submitted => i18n::t("待区县审核"),
        Status::Returned => i18n::t("已退回"),
        Status::Recommended => i18n::t("待市级审批"),
        Status::Approved => i18n::t("已批准"),
        Status::Rejected => i18n::t("未通过"),
        Status::Superseded => i18n::t("已被更高补助替代"),
    }
}

fn level_label(l: Level) -> &'static str {
    match l {
        Level::City => i18n::t("市级"),
        Level::District => i18n::t("区县"),
    }
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => i18n::t("符合"),
        Verdict::Fail => i18n::t("不符合"),
        Verdict::Review => i18n::t("待核实"),
    }
}

fn field_label(f: Field) -> &'static str {
    match f {
        Field::Name => i18n::t("项目名称"),
        Field::Code => i18n::t("项目代码"),
        Field::RegisteredOn => i18n::t("备案日期"),
        Field::Equipment => i18n::t("设备投资（万元）"),
        Field::Technology => i18n::t("技术投资（万元）"),
        Field::Software => i18n::t("软件投资（万元）"),
        Field::DigitalLevel => i18n::t("数字化水平"),
        Field::Tier => i18n::t("认定层级"),
        Field::Premium => i18n::t("首年保费（万元）"),
        Field::CoverYear => i18n::t("保险年度"),
        Field::Invoices => i18n::t("发票清单"),
        Field::Reason => i18n::t("理由"),
        Field::Amount => i18n::t("金额（万元）"),
        Field::PaidOn => i18n::t("日期"),
        Field::Reference => i18n::t("文号或凭证号"),
    }
}

fn w(u: i64) -> String {
    wan(Some(u))
}

pub(crate) fn refused(r: Refusal) -> AppError {
    let conflict = |m: String| AppError::Store(zjtx_store::StoreError::Conflict(m));
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::Invalid(fs) => AppError::BadRequest(
            fs.iter()
                .map(|f| i18n::f("{}：格式有误", &[&field_label(*f)]))
                .collect::<Vec<_>>()
                .join(i18n::t("；")),
        ),
        Refusal::WrongState(s) => conflict(i18n::f(
            "该申请当前为“{}”，不能进行此操作",
            &[&status_label(s)],
        )),
        Refusal::CallClosed => conflict(i18n::t("申报期未开始或已结束").into()),
        Refusal::NotEligible(v) => conflict(i18n::f(
            "项目不满足全部申报条件（{}），不能批准",
            &[&verdict_label(v)],
        )),
        Refusal::OverBudget(l, by) => conflict(i18n::f(
            "批准后{}预算将超出 {} 万元",
            &[&level_label(l), &by],
        )),
        Refusal::Overlap { programme, amount } => conflict(i18n::f(
            "同一项目已获“{}”补助 {} 万元（不低于本次），按就高不重复不予批准",
            &[&programme, &amount],
        )),
        Refusal::OverlapPaid { programme } => conflict(i18n::f(
            "同一项目在“{}”的较低补助已拨付，请先追回再批准",
            &[&programme],
        )),
        Refusal::TooMuch(l, left) => conflict(i18n::f(
            "超出{}可用额度（剩余 {} 万元）",
            &[&level_label(l), &left],
        )),
    }
}

/// The programmes the city may open calls of.
fn programmes() -> Vec<Programme> {
    programme::embedded().unwrap_or_default()
}

fn programme_of(call: &FundCall) -> Result<Programme, AppError> {
    programme::parse(&call.programme_id, &call.programme)
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// What the programmes read of a registry firm, on `today`.
pub(crate) async fn firm_facts(st: &AppState, uscc: &str) -> Result<FirmFacts, AppError> {
    st.store
        .firm_facts(uscc, &st.today().to_string())
        .await?
        .ok_or(AppError::NotFound)
}

/// An application's project read back from its stored cells.
pub fn project_of(a: &FundApplication) -> ProjectFacts {
    let header: Vec<&str> = programme::PROJECT_COLUMNS.iter().map(|(k, _)| *k).collect();
    let refs: Vec<&str> = a.cells.iter().map(String::as_str).collect();
    programme::project_header(header.iter().copied())
        .ok()
        .and_then(|h| programme::parse_project(&h, &refs, 0).ok())
        .map(|(_, p)| p)
        .unwrap_or_default()
}

fn seat_of(user: &CurrentUser) -> Seat {
    match user.user.role {
        Role::City => Seat::City,
        Role::District => Seat::District,
        Role::Enterprise => Seat::Owner,
        _ => Seat::Other,
    }
}

pub struct CallRow {
    pub c: FundCall,
    pub budget: String,
    pub committed: String,
    pub paid: String,
    pub recovered: String,
    pub open: bool,
}

fn call_row(c: FundCall, today: &str) -> CallRow {
    CallRow {
        budget: w(c.budget),
        committed: w(c.committed),
        paid: w(c.paid),
        recovered: w(c.recovered),
        open: c.opens_on.as_str() <= today && today <= c.closes_on.as_str(),
        c,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "funds.html")]
pub struct FundsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub calls: Vec<CallRow>,
    pub is_city: bool,
    /// Programmes without a call yet: (id, title), for the city to open.
    pub openable: Vec<(String, String)>,
    pub mine: Vec<AppRow>,
    pub today: String,
}

pub struct AppRow {
    pub a: FundApplication,
    pub status: &'static str,
    pub amount: String,
}

fn app_row(a: FundApplication) -> AppRow {
    AppRow {
        status: status_label(a.status),
        amount: a.amount.map(w).unwrap_or_default(),
        a,
    }
}

/// `GET /funds`.
pub async fn funds(State(st): State<AppState>, user: CurrentUser) -> Result<FundsPage, AppError> {
    let today = st.today().to_string();
    let calls = st.store.calls().await?;
    let openable = programmes()
        .into_iter()
        .filter(|p| !calls.iter().any(|c| c.programme_id == p.id))
        .map(|p| (p.id, p.title))
        .collect();
    let mine = match (&user.user.role, &user.user.uscc) {
        (Role::Enterprise, Some(u)) => st
            .store
            .fund_applications(&FundFilter {
                uscc: Some(u.clone()),
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(app_row)
            .collect(),
        _ => Vec::new(),
    };
    Ok(FundsPage {
        tr: Tr,
        nav: Nav::of(&user),
        calls: calls.into_iter().map(|c| call_row(c, &today)).collect(),
        is_city: user.user.role == Role::City,
        openable,
        mine,
        today,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OpenForm {
    pub csrf: String,
    pub programme: String,
    /// The programme file as the city edited it (blank: the file as shipped).
    pub text: String,
    pub opens_on: String,
    pub closes_on: String,
    /// Each district's budget (万元); the city's comes from the file.
    pub district_budget: String,
}

/// `POST /funds/calls`: the city opens a call of a programme — as shipped, or with its file
/// edited for the year (checked whole before anything is written).
pub async fn open_call(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<OpenForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let text = if f.text.trim().is_empty() {
        programme::EMBEDDED_PROGRAMMES
            .iter()
            .find(|(_, t)| {
                programme::parse("", t)
                    .map(|p| p.id == f.programme.trim())
                    .unwrap_or(false)
            })
            .map(|(_, t)| (*t).to_owned())
            .ok_or(AppError::NotFound)?
    } else {
        f.text.clone()
    };
    let p = programme::parse(f.programme.trim(), &text)
        .map_err(|e| AppError::BadRequest(i18n::f("方案文件有误：{}", &[&e.message])))?;
    let day = |v: &str, d: chrono::NaiveDate| match v.trim() {
        "" => Ok(d),
        v => crate::common::date(v)
            .ok_or_else(|| AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("日期")]))),
    };
    let opens = day(&f.opens_on, p.valid_from)?;
    let closes = day(
        &f.closes_on,
        p.valid_until.pred_opt().unwrap_or(p.valid_until),
    )?;
    if opens > closes {
        return Err(AppError::BadRequest(
            i18n::t("截止日期须不早于开始日期").into(),
        ));
    }
    let district = match f.district_budget.trim() {
        "" => Wan::ZERO,
        v => Wan::parse(v)
            .ok()
            .filter(|x| x.units() >= 0)
            .ok_or_else(|| {
                AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("区县预算（万元）")]))
            })?,
    };
    let mut budgets = vec![("city".to_owned(), p.budget.city.units())];
    budgets.extend(
        zjtx_core::enterprise::DISTRICTS
            .iter()
            .map(|(c, _)| ((*c).to_owned(), district.units())),
    );
    let id = st
        .store
        .open_call(
            &p.id,
            p.year,
            &p.category,
            &p.title,
            (&opens.to_string(), &closes.to_string()),
            &text,
            &budgets,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/funds/calls/{id}")))
}

pub struct CheckRow {
    pub id: String,
    pub clause: String,
    pub verdict: &'static str,
    pub css: &'static str,
    pub text: String,
    pub gap: String,
}

pub struct LineRow {
    pub id: String,
    pub text: String,
    pub value: String,
}

fn trace_rows(a: &Award) -> (Vec<CheckRow>, Vec<LineRow>) {
    let en = i18n::lang() == i18n::Lang::En;
    (
        a.checks
            .iter()
            .map(|c| CheckRow {
                id: c.id.clone(),
                clause: c.clause.clone(),
                verdict: verdict_label(c.verdict),
                css: match c.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => "fail",
                    Verdict::Review => "review",
                },
                text: c.text.get(en).to_owned(),
                gap: c
                    .gap
                    .as_ref()
                    .map(|g| g.get(en).to_owned())
                    .unwrap_or_default(),
            })
            .collect(),
        a.lines
            .iter()
            .map(|l| LineRow {
                id: l.id.clone(),
                text: l.text.get(en).to_owned(),
                value: l.value.to_string(),
            })
            .collect(),
    )
}

pub struct BudgetRow {
    pub level: String,
    pub budget: String,
    pub committed: String,
    pub left: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "fund_call.html")]
pub struct CallPage {
    pub tr: Tr,
    pub nav: Nav,
    pub c: CallRow,
    pub p: Programme,
    pub formula: Vec<(String, String)>,
    pub budgets: Vec<BudgetRow>,
    pub apps: Vec<AppRow>,
    pub can_apply: bool,
    pub is_city: bool,
    pub can_forecast: bool,
    pub forecast: Option<ForecastView>,
    /// The same projects under an edited parameter set, side by side.
    pub compare: Option<ForecastView>,
    pub today: String,
}

pub struct ForecastView {
    pub projects: u64,
    pub recipients: u64,
    pub amount: String,
    pub city: String,
    pub district: String,
    pub undecided: u64,
    pub city_breach: String,
    pub district_breach: String,
    pub by_district: Vec<(String, u64, String)>,
    pub by_tier: Vec<(String, u64, String)>,
}

fn forecast_view(f: &Forecast) -> ForecastView {
    let name = |c: &str| {
        zjtx_core::enterprise::DISTRICTS
            .iter()
            .find(|(k, _)| *k == c)
            .map_or_else(|| i18n::t("未知").to_owned(), |(_, n)| (*n).to_owned())
    };
    ForecastView {
        projects: f.projects,
        recipients: f.eligible.recipients,
        amount: f.eligible.amount.to_string(),
        city: f.eligible.city.to_string(),
        district: f.eligible.district.to_string(),
        undecided: f.undecided.recipients,
        city_breach: f.city_breach.map(|w| w.to_string()).unwrap_or_default(),
        district_breach: f.district_breach.map(|w| w.to_string()).unwrap_or_default(),
        by_district: f
            .by_district
            .iter()
            .map(|(k, t)| (name(k), t.recipients, t.amount.to_string()))
            .collect(),
        by_tier: f
            .by_tier
            .iter()
            .map(|(k, t)| {
                (
                    zjtx_core::glossary::tier_short(k, i18n::lang()).to_owned(),
                    t.recipients,
                    t.amount.to_string(),
                )
            })
            .collect(),
    }
}

fn formula_rows(p: &Programme) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = p
        .require
        .iter()
        .map(|r| (r.id.clone(), r.clause.clone()))
        .collect();
    match &p.amount {
        programme::Formula::Share { groups, .. } => {
            out.extend(groups.iter().map(|g| (g.id.clone(), g.clause.clone())))
        }
        programme::Formula::Tiered { tiers, .. } => {
            out.extend(tiers.iter().map(|t| (t.id.clone(), t.clause.clone())))
        }
    }
    if let Some(i) = &p.insurance {
        out.push((i.id.clone(), i.clause.clone()));
    }
    out.push(("SPLIT".into(), p.split.clause.clone()));
    out
}

async fn call_or_404(st: &AppState, id: &str) -> Result<FundCall, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    st.store.call(id).await?.ok_or(AppError::NotFound)
}

async fn call_page(
    st: &AppState,
    user: &CurrentUser,
    c: FundCall,
    forecast: Option<ForecastView>,
    compare: Option<ForecastView>,
) -> Result<CallPage, AppError> {
    let today = st.today();
    let p = programme_of(&c)?;
    let scope = user.scope(&st.store).await?;
    let apps = st
        .store
        .fund_applications(&FundFilter {
            call_id: Some(c.id),
            regions: scope
                .regions
                .clone()
                .filter(|_| user.user.role == Role::District),
            uscc: scope
                .uscc
                .clone()
                .filter(|_| user.user.role == Role::Enterprise),
            ..Default::default()
        })
        .await?;
    let mut budgets = Vec::new();
    for (level, amount) in st.store.budgets(c.id).await? {
        let visible = match user.user.role {
            Role::City => true,
            Role::District => {
                level == "city" || scope.regions.as_ref().is_some_and(|rs| rs.contains(&level))
            }
            _ => level == "city",
        };
        if !visible {
            continue;
        }
        let committed = st.store.committed(c.id, &level).await?;
        let name = if level == "city" {
            i18n::t("市级").to_owned()
        } else {
            zjtx_core::enterprise::DISTRICTS
                .iter()
                .find(|(k, _)| *k == level)
                .map_or(level.clone(), |(_, n)| (*n).to_owned())
        };
        budgets.push(BudgetRow {
            level: name,
            budget: w(amount),
            committed: w(committed),
            left: w(amount - committed),
        });
    }
    let window = (
        crate::common::date(&c.opens_on).unwrap_or(today),
        crate::common::date(&c.closes_on).unwrap_or(today),
    );
    Ok(CallPage {
        tr: Tr,
        nav: Nav::of(user),
        formula: formula_rows(&p),
        can_apply: seat_of(user) == Seat::Owner && today >= window.0 && today <= window.1,
        is_city: user.user.role == Role::City,
        can_forecast: matches!(user.user.role, Role::City | Role::District),
        apps: apps.into_iter().map(app_row).collect(),
        c: call_row(c, &today.to_string()),
        p,
        budgets,
        forecast,
        compare,
        today: today.to_string(),
    })
}

/// `GET /funds/calls/{id}`.
pub async fn call(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<CallPage, AppError> {
    let c = call_or_404(&st, &id).await?;
    call_page(&st, &user, c, None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BudgetForm {
    pub csrf: String,
    pub level: String,
    pub amount: String,
}

/// `POST /funds/calls/{id}/budget`: the city sets a level's budget.
pub async fn set_budget(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<BudgetForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    if user.user.role != Role::City {
        return Err(AppError::Forbidden);
    }
    let c = call_or_404(&st, &id).await?;
    let level = f.level.trim();
    if level != "city"
        && !zjtx_core::enterprise::DISTRICTS
            .iter()
            .any(|(k, _)| *k == level)
    {
        return Err(AppError::BadRequest(i18n::f(
            "{}：格式有误",
            &[&i18n::t("预算级次")],
        )));
    }
    let amount = Wan::parse(f.amount.trim())
        .ok()
        .filter(|x| x.units() >= 0)
        .ok_or_else(|| {
            AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("金额（万元）")]))
        })?;
    let committed = st.store.committed(c.id, level).await?;
    if amount.units() < committed {
        return Err(AppError::Store(zjtx_store::StoreError::Conflict(i18n::f(
            "预算不能低于已批准的 {} 万元",
            &[&w(committed)],
        ))));
    }
    st.store
        .set_budget(c.id, level, amount.units(), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/funds/calls/{}", c.id)))
}

/// `POST /funds/calls/{id}/forecast`: the programme over an uploaded projects file (CSV or
/// XLSX, bounded), each firm's facts taken from the registry where it is registered.
pub async fn forecast(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<CallPage, AppError> {
    if !matches!(user.user.role, Role::City | Role::District) {
        return Err(AppError::Forbidden);
    }
    let c = call_or_404(&st, &id).await?;
    let (fields, file) =
        crate::common::read_upload(form, i18n::t("上传的文件不完整或过大")).await?;
    let csrf = fields.get("csrf").cloned();
    let compare = fields.get("compare").cloned().unwrap_or_default();
    let file = file.map(|(n, b)| (n, b.to_vec()));
    user.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest(i18n::t("请选择项目清单文件（CSV 或 XLSX）").into()))?;
    let format = zjtx_sheet::Format::of(std::path::Path::new(&name))
        .filter(|f| *f != zjtx_sheet::Format::Json)
        .ok_or_else(|| AppError::BadRequest(i18n::t("请选择项目清单文件（CSV 或 XLSX）").into()))?;
    let projects = tokio::task::spawn_blocking(move || {
        // A CSV saved by Excel in China (GB18030) is read as the enterprise import reads it.
        let bytes = match format {
            zjtx_sheet::Format::Csv => zjtx_sheet::read::as_utf8(bytes),
            _ => bytes,
        };
        zjtx_sheet::projects::read_projects(
            bytes.as_slice(),
            format,
            &zjtx_sheet::guard::XlsxLimits::UPLOAD,
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(crate::import::unreadable)?;
    // Registry facts where the firm is registered (and, for a district, only its own firms).
    let scope = user.scope(&st.store).await?;
    let mut items = Vec::with_capacity(projects.len());
    for (mut f, p) in projects {
        if let Some(row) = st.store.enterprise(&f.uscc).await? {
            if !crate::auth::can_see(&scope, &row) {
                continue;
            }
            let reg = firm_facts(&st, &f.uscc).await?;
            f = FirmFacts {
                titles: if f.titles.is_empty() {
                    reg.titles
                } else {
                    f.titles
                },
                chains: if f.chains.is_empty() {
                    reg.chains
                } else {
                    f.chains
                },
                district: reg.district.or(f.district),
                industry_code: reg.industry_code.or(f.industry_code),
                ecosystem: reg.ecosystem.or(f.ecosystem),
                size: reg.size.or(f.size),
                digital_level: reg.digital_level,
                ..f
            };
        } else if user.user.role == Role::District {
            continue;
        }
        items.push((f, p));
    }
    let prog = programme_of(&c)?;
    let fc = programme::forecast(&prog, items.iter().map(|(a, b)| (a, b)), st.today());
    // An edited copy of the programme, checked whole, over the same projects.
    let other = match compare.trim() {
        "" => None,
        text => {
            let p = programme::parse(&c.programme_id, text)
                .map_err(|e| AppError::BadRequest(i18n::f("方案文件有误：{}", &[&e.message])))?;
            Some(forecast_view(&programme::forecast(
                &p,
                items.iter().map(|(a, b)| (a, b)),
                st.today(),
            )))
        }
    };
    st.store
        .audit(
            Some(user.user.id),
            "fund.forecast",
            Some(&format!("fund_call:{}", c.id)),
            &format!("{name}: {} projects", fc.projects),
        )
        .await?;
    call_page(&st, &user, c, Some(forecast_view(&fc)), other).await
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ApplyForm {
    pub csrf: String,
    pub name: String,
    pub code: String,
    pub registered_on: String,
    pub equipment: String,
    pub technology: String,
    pub software: String,
    pub digital_level: String,
    pub tier: String,
    pub premium: String,
    pub cover_year: String,
    pub invoices: String,
}

impl ApplyForm {
    fn draft(&self) -> flow::Draft<'_> {
        flow::Draft {
            name: &self.name,
            code: &self.code,
            registered_on: &self.registered_on,
            equipment: &self.equipment,
            technology: &self.technology,
            software: &self.software,
            digital_level: &self.digital_level,
            tier: &self.tier,
            premium: &self.premium,
            cover_year: &self.cover_year,
            invoices: &self.invoices,
        }
    }
}

fn cells_of(uscc: &str, p: &flow::Project) -> Vec<String> {
    programme::project_cells(
        &FirmFacts {
            uscc: uscc.to_owned(),
            ..Default::default()
        },
        &p.facts,
    )
}

/// `POST /funds/calls/{id}/applications`: an enterprise applies with a project.
pub async fn apply(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ApplyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let c = call_or_404(&st, &id).await?;
    let uscc = user.user.uscc.clone().ok_or(AppError::Forbidden)?;
    let today = st.today();
    let window = (
        crate::common::date(&c.opens_on).unwrap_or(today),
        crate::common::date(&c.closes_on).unwrap_or(today),
    );
    let p = flow::apply(seat_of(&user), &c.category, window, &f.draft(), today).map_err(refused)?;
    let aid = st
        .store
        .apply_fund(
            c.id,
            &uscc,
            &p.code,
            &p.facts.name,
            &cells_of(&uscc, &p),
            &p.invoices,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/funds/applications/{aid}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "fund_application.html")]
pub struct ApplicationPage {
    pub tr: Tr,
    pub nav: Nav,
    pub a: AppRow,
    pub call: FundCall,
    pub project: Vec<(&'static str, String)>,
    pub verdict: &'static str,
    /// Whether the trace is the stored award (after approval) or computed now.
    pub decided: bool,
    pub checks: Vec<CheckRow>,
    pub lines: Vec<LineRow>,
    pub award: String,
    pub city: String,
    pub district: String,
    pub money: Vec<(String, &'static str, &'static str, String, String, String)>,
    pub can_review: bool,
    pub can_decide: bool,
    pub can_pay: bool,
    pub can_resubmit: bool,
    pub others: Vec<(String, String, &'static str)>,
    pub invoices: Vec<zjtx_store::FundInvoice>,
    pub can_attach: bool,
    pub form: ApplyForm,
    pub today: String,
}

/// An application the user may see: the city any, a district its firms', a firm its own.
async fn application_or_404(
    st: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<FundApplication, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let a = st
        .store
        .fund_application(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&st.store).await?;
    let visible = match user.user.role {
        Role::City => true,
        Role::District => match (&scope.regions, &a.region_code) {
            (Some(rs), Some(r)) => rs.contains(r),
            _ => false,
        },
        Role::Enterprise => scope.uscc.as_deref() == Some(a.uscc.as_str()),
        _ => false,
    };
    if visible {
        Ok(a)
    } else {
        Err(AppError::NotFound)
    }
}

/// The award of an application: the stored one once decided, else computed now from the
/// project and the registry's facts.
async fn award_of(st: &AppState, a: &FundApplication, call: &FundCall) -> Result<Award, AppError> {
    if let Some(json) = &a.award
        && let Ok(award) = serde_json::from_str::<StoredAward>(json)
    {
        return Ok(award.into());
    }
    let p = programme_of(call)?;
    let firm = firm_facts(st, &a.uscc).await?;
    Ok(programme::evaluate(&p, &firm, &project_of(a), st.today()))
}

/// An award as an approval stores it (its trace, frozen), for the web and the demo alike.
pub fn award_json(a: &Award) -> String {
    serde_json::to_string(&StoredAward::from(a)).unwrap_or_default()
}

/// An award as stored with an approval (its trace, frozen).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredAward {
    verdict: String,
    amount: String,
    city: String,
    district: String,
    checks: Vec<(String, String, String, String, String, String, String)>,
    lines: Vec<(String, String, String, String)>,
}

impl From<&Award> for StoredAward {
    fn from(a: &Award) -> StoredAward {
        let v = |v: Verdict| match v {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Review => "review",
        };
        StoredAward {
            verdict: v(a.verdict).into(),
            amount: a.amount.to_string(),
            city: a.city.to_string(),
            district: a.district.to_string(),
            checks: a
                .checks
                .iter()
                .map(|c| {
                    let (gz, ge) = c
                        .gap
                        .as_ref()
                        .map(|g| (g.zh.clone(), g.en.clone()))
                        .unwrap_or_default();
                    (
                        c.id.clone(),
                        c.clause.clone(),
                        v(c.verdict).into(),
                        c.text.zh.clone(),
                        c.text.en.clone(),
                        gz,
                        ge,
                    )
                })
                .collect(),
            lines: a
                .lines
                .iter()
                .map(|l| {
                    (
                        l.id.clone(),
                        l.text.zh.clone(),
                        l.text.en.clone(),
                        l.value.to_string(),
                    )
                })
                .collect(),
        }
    }
}

impl From<StoredAward> for Award {
    fn from(s: StoredAward) -> Award {
        let v = |k: &str| match k {
            "pass" => Verdict::Pass,
            "fail" => Verdict::Fail,
            _ => Verdict::Review,
        };
        let money = |t: &str| Wan::parse(t).unwrap_or(Wan::ZERO);
        let text = |zh: String, en: String| programme::Text { zh, en };
        Award {
            programme: String::new(),
            verdict: v(&s.verdict),
            amount: money(&s.amount),
            city: money(&s.city),
            district: money(&s.district),
            checks: s
                .checks
                .into_iter()
                .map(|(id, clause, verdict, zh, en, gz, ge)| programme::Check {
                    id,
                    clause,
                    verdict: v(&verdict),
                    text: text(zh, en),
                    gap: (!gz.is_empty()).then(|| text(gz, ge)),
                })
                .collect(),
            lines: s
                .lines
                .into_iter()
                .map(|(id, zh, en, value)| programme::Line {
                    id,
                    text: text(zh, en),
                    value: money(&value),
                })
                .collect(),
        }
    }
}

/// A tier's name in the call's programme (the key itself if the programme has no such tier).
fn tier_name(call: &FundCall, key: &str) -> String {
    let en = i18n::lang() == i18n::Lang::En;
    match programme_of(call).map(|p| p.amount) {
        Ok(programme::Formula::Tiered { tiers, .. }) => {
            tiers.iter().find(|t| t.key == key).map_or_else(
                || key.to_owned(),
                |t| if en { t.en.clone() } else { t.zh.clone() },
            )
        }
        _ => key.to_owned(),
    }
}

/// `GET /funds/applications/{id}`.
pub async fn application(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<ApplicationPage, AppError> {
    let a = application_or_404(&st, &user, &id).await?;
    let call = st.store.call(a.call_id).await?.ok_or(AppError::NotFound)?;
    let award = award_of(&st, &a, &call).await?;
    let (checks, lines) = trace_rows(&award);
    let p = project_of(&a);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let project = vec![
        (i18n::t("项目名称"), p.name.clone()),
        (i18n::t("项目代码"), a.code.clone()),
        (
            i18n::t("备案日期"),
            opt(p.registered_on.map(|d| d.to_string())),
        ),
        (
            i18n::t("设备投资（万元）"),
            opt(p.equipment.map(|v| v.to_string())),
        ),
        (
            i18n::t("技术投资（万元）"),
            opt(p.technology.map(|v| v.to_string())),
        ),
        (
            i18n::t("软件投资（万元）"),
            opt(p.software.map(|v| v.to_string())),
        ),
        (
            i18n::t("数字化水平"),
            opt(p.digital_level.map(|v| v.to_string())),
        ),
        (
            i18n::t("认定层级"),
            opt(p.tier.as_deref().map(|t| tier_name(&call, t))),
        ),
        (
            i18n::t("首年保费（万元）"),
            opt(p.premium.map(|v| v.to_string())),
        ),
        (
            i18n::t("保险年度"),
            opt(p.cover_year.map(|v| v.to_string())),
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let money = st
        .store
        .money_of(a.id)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.on_day,
                if m.kind == "payment" {
                    i18n::t("拨付")
                } else {
                    i18n::t("追回")
                },
                level_label(m.level),
                w(m.amount),
                m.reference,
                m.cause,
            )
        })
        .collect();
    let others = st
        .store
        .awards_of_project(&a.code, a.id)
        .await?
        .into_iter()
        .map(|o| {
            (
                o.call_title,
                o.amount.map(w).unwrap_or_default(),
                status_label(o.status),
            )
        })
        .collect();
    let seat = seat_of(&user);
    let form = ApplyForm {
        name: p.name.clone(),
        code: a.code.clone(),
        registered_on: opt(p.registered_on.map(|d| d.to_string())),
        equipment: opt(p.equipment.map(|v| v.to_string())),
        technology: opt(p.technology.map(|v| v.to_string())),
        software: opt(p.software.map(|v| v.to_string())),
        digital_level: opt(p.digital_level.map(|v| v.to_string())),
        tier: opt(p.tier.clone()),
        premium: opt(p.premium.map(|v| v.to_string())),
        cover_year: opt(p.cover_year.map(|v| v.to_string())),
        invoices: a.invoices.clone(),
        csrf: String::new(),
    };
    Ok(ApplicationPage {
        tr: Tr,
        nav: Nav::of(&user),
        verdict: verdict_label(award.verdict),
        decided: a.award.is_some(),
        award: award.amount.to_string(),
        city: award.city.to_string(),
        district: award.district.to_string(),
        checks,
        lines,
        project,
        money,
        can_review: flow::review(seat, a.status, Review::Recommend, "").is_ok(),
        can_decide: seat == Seat::City && a.status == Status::Recommended,
        can_pay: seat == Seat::City && matches!(a.status, Status::Approved | Status::Superseded),
        can_resubmit: flow::resubmit(seat, a.status).is_ok(),
        can_attach: seat == Seat::Owner && matches!(a.status, Status::Submitted | Status::Returned),
        invoices: st.store.fund_invoices(a.id).await?,
        others,
        form,
        a: app_row(a),
        call,
        today: st.today().to_string(),
    })
}
