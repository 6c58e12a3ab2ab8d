//! The bureau: institutions, events, listing pipeline, statistics.

use super::*;
use zjtx_core::workflow::event;
use zjtx_core::workflow::listing::{self, Stage};

/// The bureau registers an institution and names its staff accounts.
#[derive(Deserialize)]
pub struct InstitutionForm {
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub staff: String,
}

/// A bank–enterprise event.
#[derive(Deserialize)]
pub struct EventForm {
    pub csrf: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub region: String,
}

/// A firm at an event and what came of it.
#[derive(Deserialize)]
pub struct ParticipantForm {
    pub csrf: String,
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub amount: String,
}

/// A firm's stage in the listing pipeline.
#[derive(Deserialize)]
pub struct StageForm {
    pub csrf: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub note: String,
}

pub async fn create_institution(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<InstitutionForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    let name = form.name.trim();
    let kind = form.kind.as_str();
    if name.is_empty() || name.chars().count() > 100 || !fin::INSTITUTION_KINDS.contains(&kind) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("机构")])));
    }
    let id = st
        .store
        .create_institution(name, kind, Some(user.user.id))
        .await?;
    for staff in form
        .staff
        .as_str()
        .split([',', ' '])
        .filter(|s| !s.is_empty())
    {
        st.store
            .set_institution(staff, id, Some(user.user.id))
            .await?;
    }
    Ok(Redirect::to("/finance"))
}

pub(super) fn may_run_events(user: &CurrentUser) -> Result<(), AppError> {
    match event_seat(user) {
        event::Seat::Other => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// The user's seat at events: the bureau, a district office (its district), or neither.
fn event_seat(user: &CurrentUser) -> event::Seat {
    match (&user.user.role, &user.user.region_code) {
        (Role::City, _) => event::Seat::City,
        (Role::District, Some(r)) => event::Seat::District(r.clone()),
        _ => event::Seat::Other,
    }
}

/// A refused event step as the page says it.
fn event_refusal(r: event::Refusal) -> AppError {
    use event::{Field, Refusal};
    let format = |name: &str| bad(i18n::f("{}：格式有误", &[&name]));
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::Invalid(Field::Title) => format(i18n::t("名称")),
        Refusal::Invalid(Field::HeldOn) => format(i18n::t("日期")),
        Refusal::Invalid(Field::Amount) => format(i18n::t("金额")),
        Refusal::Invalid(Field::Who) => bad(i18n::t("参与方应为统一社会信用代码或机构编号").into()),
        Refusal::Invalid(Field::Outcome) => bad(i18n::t("内容过长").to_owned()),
        Refusal::NotHeldYet(d) => bad(i18n::f(
            "活动于 {} 举行，届时起才能登记金额",
            &[&d.to_string()],
        )),
    }
}

pub async fn create_event(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<EventForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    let p = event::plan(&event_seat(&user), &form.title, &form.held_on, &form.region)
        .map_err(event_refusal)?;
    st.store
        .create_fin_event(
            &p.title,
            &p.held_on.to_string(),
            p.region.as_deref(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#events"))
}

pub async fn add_participant(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ParticipantForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    may_run_events(&user)?;
    let regions = user.scope(&st.store).await?.regions;
    let ev = st
        .store
        .fin_events(regions.as_deref())
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(AppError::NotFound)?;
    let held_on = chrono::NaiveDate::parse_from_str(&ev.held_on, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("event {id} date {:?}", ev.held_on)))?;
    let p = event::participate(held_on, &form.who, &form.outcome, &form.amount, st.today())
        .map_err(event_refusal)?;
    let (uscc, inst) = match p.party {
        event::Party::Firm(u) => (Some(u.to_string()), None),
        event::Party::Institution(i) => (None, Some(i)),
    };
    st.store
        .add_participant(
            ev.id,
            uscc.as_deref(),
            inst,
            &p.outcome,
            p.amount,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#events"))
}

pub async fn set_stage(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<StageForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    may_run_events(&user)?;
    let uscc = zjtx_core::ids::Uscc::parse(form.uscc.trim())
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
    let stage = Stage::from_key(form.stage.trim())
        .ok_or_else(|| bad(i18n::f("{}：格式有误", &[&i18n::t("阶段")])))?;
    let current = st.store.listing_stage(&uscc).await?;
    match listing::step(current, stage, &form.note) {
        // The stage it already has (a double submit): nothing to record.
        Ok(listing::Move::Same) => {}
        Ok(_) => {
            st.store
                .set_listing_stage(&uscc, stage, form.note.trim(), Some(user.user.id))
                .await?
        }
        Err(listing::Refusal::BackWithoutReason) => {
            return Err(bad(i18n::t("退回较早阶段须在备注中说明原因").into()));
        }
        Err(listing::Refusal::NoteTooLong) => {
            return Err(bad(i18n::t("内容过长").into()));
        }
    }
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

pub(super) struct StatsInput {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) regions: Option<Vec<String>>,
}

pub(super) async fn stats_input(
    st: &AppState,
    user: &CurrentUser,
    q: &StatsQuery,
) -> Result<StatsInput, AppError> {
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
    let headers = vec![i18n::t("指标"), i18n::t("数值")];
    crate::common::table_download("finance-stats.xlsx", i18n::t("金融专区统计"), headers, rows)
        .await
}
