//! After recognition.

use super::*;

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
pub(super) fn owes_update(valid_from: Option<&str>, year: i32) -> bool {
    title_flow::owes_update(valid_from.and_then(date), year)
}

/// A refusal of the title workflow as the user reads it.
pub(super) fn title_refused(r: title_flow::Refusal) -> AppError {
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
pub(super) fn title_seat(user: &CurrentUser) -> title_flow::Seat {
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
pub(super) fn update_deadline(
    sets: &[zjtx_core::RuleSet],
    rules: &str,
    year: i32,
) -> Option<NaiveDate> {
    sets.iter()
        .find(|r| r.id == rules)
        .and_then(|r| r.titles.update_due(year))
}

pub(super) async fn granted_titles(st: &AppState, uscc: &str) -> Result<Vec<TitleView>, AppError> {
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

pub(super) fn event_label(k: Event) -> &'static str {
    match k {
        Event::Granted => i18n::t("认定"),
        Event::Update => i18n::t("年度信息更新"),
        Event::UpdateLate => i18n::t("逾期更新（失去复核资格）"),
        Event::Change => i18n::t("重大变化报告"),
        Event::RereviewPass => i18n::t("复核通过"),
        Event::RereviewFail => i18n::t("复核未通过"),
        Event::Revoked => i18n::t("撤销"),
    }
}

pub(super) async fn titles_scope(
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
pub(super) async fn title_action(
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
                crate::common::local_day(e.at),
                glossary::tier_by_key(&e.tier, lang()),
                event_label(e.kind),
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
    /// Ticked to revoke (which cannot be undone).
    #[serde(default)]
    pub confirm: String,
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
    // A change is reported against a title the firm holds.
    granted_titles(&st, &row.uscc)
        .await?
        .into_iter()
        .find(|t| t.tier_key == tier)
        .ok_or(AppError::NotFound)?;
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

/// Re-review of a title within its rule set's re-review window: eligible only with an on-time
/// yearly update of last year where one was owed; the latest figures are evaluated under the rule
/// set the title was granted under (a 2022 title keeps the 2022 rules); passing extends the
/// validity by that rule set's validity (`[titles]`).
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
    let updated = st
        .store
        .title_events(&row.uscc)
        .await?
        .iter()
        .any(|e| e.tier == tier && e.kind == Event::Update && e.year == Some(year));
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

/// Revocation: every title of the enterprise is cancelled at once and it may not declare for the
/// ban of the rules in force today (`[titles] ban_months`).
pub async fn revoke(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
    Form(f): Form<TitleForm>,
) -> Result<Redirect, AppError> {
    let row = title_action(&st, &user, &f.csrf, &uscc, Role::City).await?;
    crate::common::confirmed(&f.confirm)?;
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
    let text = i18n::both(|| i18n::f("称号已撤销：{}", &[&reason]));
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
