//! The bureau: institutions, events, listing pipeline, statistics.

use super::*;

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
    if matches!(user.user.role, Role::City | Role::District) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn create_event(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(form): Form<EventForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    may_run_events(&user)?;
    let title = form.title.trim();
    let date = chrono::NaiveDate::parse_from_str(form.held_on.trim(), "%Y-%m-%d")
        .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("日期")])))?;
    if title.is_empty() || title.chars().count() > 200 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("名称")])));
    }
    // A district office holds events in its own district.
    let region = match user.user.role {
        Role::District => user.user.region_code.clone(),
        _ => Some(form.region.as_str().to_owned()).filter(|r| !r.is_empty()),
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
    let who = form.who.trim();
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
    let outcome = form.outcome.trim();
    if who.chars().count() > 200 || outcome.chars().count() > 1000 {
        return Err(bad(i18n::t("内容过长").to_owned()));
    }
    let amt = match form.amount.trim() {
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
    let stage = form.stage.as_str();
    if !fin::LISTING_STAGES.contains(&stage) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("阶段")])));
    }
    st.store
        .set_listing_stage(&uscc, stage, form.note.trim(), Some(user.user.id))
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

pub(super) struct StatsInput {
    from: String,
    to: String,
    regions: Option<Vec<String>>,
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
