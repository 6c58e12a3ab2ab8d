//! Batches.

use super::*;
use zjtx_core::workflow::batch as batch_flow;

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
    /// The experts per declaration a new batch proposes.
    pub experts_per: u32,
}

pub async fn batches(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<BatchesPage, AppError> {
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
        experts_per: st
            .rules
            .first()
            .map_or(1, |r| r.common.declaration.experts_per_default),
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
    let sets: Vec<&str> = st.rules.iter().map(|r| r.id.as_str()).collect();
    let policy = &st
        .rules
        .first()
        .ok_or_else(|| AppError::Internal("no rule set".into()))?
        .common
        .declaration;
    let seat = match user.user.role {
        Role::City => batch_flow::Seat::City,
        _ => batch_flow::Seat::Other,
    };
    let plan = batch_flow::open(
        seat,
        &batch_flow::Draft {
            tier: &f.tier,
            year: &f.year,
            rules: &f.rules,
            title: &f.title,
            declare_until: &f.declare_until,
            district_until: &f.district_until,
            city_until: &f.city_until,
            notice_days: &f.notice_days,
            quota: &f.quota,
            experts_per: &f.experts_per,
        },
        &sets,
        policy,
        st.today(),
    )
    .map_err(batch_refusal)?;
    let id = open_batch(
        &st.store,
        &NewBatch {
            tier: plan.tier.key().to_owned(),
            year: i64::from(plan.year),
            rules: plan.rules,
            title: plan.title,
            declare_until: plan.declare_until.to_string(),
            district_until: plan.district_until.to_string(),
            city_until: plan.city_until.to_string(),
            notice_days: i64::from(plan.notice_days),
            quota: plan.quota.map(i64::from),
            experts_per: i64::from(plan.experts_per),
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

pub(super) async fn batch_or_404(st: &AppState, id: i64) -> Result<Batch, AppError> {
    st.store.batch(id).await?.ok_or(AppError::NotFound)
}

pub async fn batch(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<BatchPage, AppError> {
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
        Role::Enterprise => Vec::new(),
        _ => batch_declarations(&st, &user, id).await?,
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

/// The declarations of a batch a seat may see: the city those it reviews (recommended on), a
/// district its firms' once submitted, an enterprise its own; nobody else any.
pub(crate) async fn batch_declarations(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Vec<Declaration>, AppError> {
    Ok(match user.user.role {
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
        Role::Enterprise => match &user.user.uscc {
            Some(u) => st
                .store
                .declarations_of(u)
                .await?
                .into_iter()
                .filter(|d| d.batch_id == id)
                .collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    })
}

pub async fn archive_batch(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::Confirmed>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    crate::common::confirmed(&f.confirm)?;
    let b = batch_or_404(&st, id).await?;
    let seat = match user.user.role {
        Role::City => batch_flow::Seat::City,
        _ => batch_flow::Seat::Other,
    };
    batch_flow::archive(seat, b.archived).map_err(batch_refusal)?;
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
    let until = date(&b.declare_until)
        .ok_or_else(|| AppError::Internal(format!("batch {id} date {:?}", b.declare_until)))?;
    batch_flow::may_start(b.archived, until, today).map_err(|r| match r {
        batch_flow::Refusal::Archived => conflict(i18n::t("批次已归档")),
        _ => conflict(i18n::t("申报已截止")),
    })?;
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

/// A refused batch step as the page shows it: each bad field named.
fn batch_refusal(r: batch_flow::Refusal) -> AppError {
    use batch_flow::{Field, Refusal};
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::Invalid(fields) => AppError::BadRequest(
            fields
                .into_iter()
                .map(|f| {
                    let name = match f {
                        Field::Tier => "梯度",
                        Field::Rules => "规则",
                        Field::Year => "年度",
                        Field::Title => "名称",
                        Field::DeclareUntil => "申报截止",
                        Field::DistrictUntil => "区县审核截止",
                        Field::CityUntil => "市级审核截止",
                        Field::NoticeDays => "公示天数",
                        Field::Quota => "名额",
                        Field::ExpertsPer => "每份专家数",
                    };
                    i18n::f("{}：格式有误", &[&i18n::t(name)])
                })
                .collect::<Vec<_>>()
                .join(i18n::t("；")),
        ),
        Refusal::DatesOutOfOrder => {
            AppError::BadRequest(i18n::t("截止日期应依次为：申报 ≤ 区县审核 ≤ 市级审核").into())
        }
        Refusal::DeadlinePast => AppError::BadRequest(i18n::t("申报截止日期已过").into()),
        Refusal::Archived => conflict(i18n::t("批次已归档")),
    }
}
