//! The public notice.

use super::*;

pub async fn publish_notice(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::Confirmed>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    crate::common::confirmed(&f.confirm)?;
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
    /// The city whose bureau issues the notice, and how to reach it (`notice.contact`).
    pub city: String,
    pub contact: String,
    pub batches: Vec<NoticeBatch>,
    pub filed: bool,
}

/// Whether a declaration's own notice window includes `today`.
pub(super) fn on_notice(d: &Declaration, today: NaiveDate) -> bool {
    flow::on_notice(notice_window(d), today)
}

/// Whether a declaration's own notice window has ended before `today`.
pub(super) fn notice_ended(d: &Declaration, today: NaiveDate) -> bool {
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
            city: regions
                .iter()
                .find(|r| r.kind == "city")
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            contact: st.notice_contact.clone(),
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
    let resolution = f.resolution.trim();
    if resolution.is_empty() {
        return Err(AppError::BadRequest(i18n::t("请写明处理意见").into()));
    }
    let upheld = match f.upheld.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest(i18n::t("请选择异议是否成立").into())),
    };
    // The workflow decides on the declaration's state (on notice); the store on the objection's
    // (still open), in the same statement that records the resolution.
    let o = st.store.objection(id).await?.ok_or(AppError::NotFound)?;
    let d = declaration_or_404(&st, o.declaration_id).await?;
    flow::resolve_objection(d.status, flow::Seat::City, upheld).map_err(refused)?;
    st.store
        .resolve_objection(id, upheld, resolution, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/batches").into_response())
}
