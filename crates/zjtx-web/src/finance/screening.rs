//! Screening (the institution).

use super::*;

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
    /// Read under a consent in force (otherwise from the public titled list).
    pub consented: bool,
}

/// The enterprises an institution may screen today that pass a screening: those with a consent
/// in force (on the categories the consent covers) and those on the public titled list (on their
/// public titles and district only). The database narrows the firms by their own records first
/// (`Narrow`: it loses none the exact check below could pass); the read is logged once for every
/// consenting firm (`LogAs::Consenting`), or for the one firm of an alert.
pub(super) async fn screen_rows(
    st: &AppState,
    user_id: i64,
    inst: i64,
    q: &ScreenQuery,
    only: Option<&str>,
) -> Result<Vec<ScreenRow>, AppError> {
    let min = match q.revenue_min.trim() {
        "" => None,
        v => Some(amount(v, i18n::t("营业收入下限"))?),
    };
    let (route, log) = match only {
        Some(_) => ("alert", LogAs::Each),
        None => ("screening", LogAs::Consenting),
    };
    let given = |v: &str| Some(v).filter(|v| !v.is_empty()).map(str::to_owned);
    let (region, tier, size, ecosystem) = (
        given(&q.region),
        given(&q.tier),
        given(&q.size),
        given(&q.ecosystem),
    );
    let set = zjtx_store::SubjectSet {
        consenting: true,
        titled: true,
        only,
        narrow: zjtx_store::Narrow {
            region: region.as_deref(),
            tier: tier.as_deref(),
            size: size.as_deref(),
            ecosystem: ecosystem.as_deref(),
            revenue_min: min,
        },
        ..Default::default()
    };
    let mut out = Vec::new();
    for (s, c) in consented_many(st, user_id, inst, set, route, log).await? {
        let f = &c.facts;
        let ok_tier = q.tier.is_empty() || f.tiers.contains(&q.tier);
        let ok_size = q.size.is_empty() || f.size == q.size;
        let ok_eco = q.ecosystem.is_empty() || f.ecosystem.as_deref() == Some(q.ecosystem.as_str());
        let ok_region = q.region.is_empty() || f.district.as_deref() == Some(q.region.as_str());
        let ok_rev = min.is_none_or(|m| f.revenue.is_some_and(|r| r >= m));
        if ok_tier && ok_size && ok_eco && ok_region && ok_rev {
            out.push(screen_row(s));
        }
    }
    Ok(out)
}

fn screen_row(s: zjtx_store::Subject) -> ScreenRow {
    ScreenRow {
        consented: !s.consents.is_empty(),
        basis: if s.consents.is_empty() {
            i18n::t("公开名单")
        } else {
            i18n::t("已授权")
        },
        district: s.row.region_name.clone().unwrap_or_default(),
        uscc: s.row.uscc,
        name: s.row.name,
    }
}

impl ScreenQuery {
    fn is_empty(&self) -> bool {
        [
            &self.tier,
            &self.size,
            &self.region,
            &self.ecosystem,
            &self.revenue_min,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

/// One page of a screening and how many firms pass. Without a condition every firm the bank may
/// screen passes, so the page is read as a page and the total counted; with one, every firm the
/// database keeps is checked and the page cut from them.
pub(super) async fn screen_page(
    st: &AppState,
    user_id: i64,
    inst: i64,
    q: &ScreenQuery,
    after: &str,
) -> Result<(Vec<ScreenRow>, usize, bool), AppError> {
    let after = Some(after).filter(|a| !a.is_empty());
    if q.is_empty() {
        let set = zjtx_store::SubjectSet {
            consenting: true,
            titled: true,
            after,
            limit: Some(SCREEN_PAGE as i64 + 1),
            ..Default::default()
        };
        let today = st.today().to_string();
        let total = st.store.subjects_count(inst, &today, set).await?;
        let mut rows: Vec<ScreenRow> =
            consented_many(st, user_id, inst, set, "screening", LogAs::Consenting)
                .await?
                .into_iter()
                .map(|(s, _)| screen_row(s))
                .collect();
        let more = rows.len() > SCREEN_PAGE;
        rows.truncate(SCREEN_PAGE);
        return Ok((rows, usize::try_from(total).unwrap_or(0), more));
    }
    let all = screen_rows(st, user_id, inst, q, None).await?;
    let total = all.len();
    let mut rows: Vec<ScreenRow> = all
        .into_iter()
        .filter(|r| after.is_none_or(|a| r.uscc.as_str() > a))
        .take(SCREEN_PAGE + 1)
        .collect();
    let more = rows.len() > SCREEN_PAGE;
    rows.truncate(SCREEN_PAGE);
    Ok((rows, total, more))
}

/// Rows shown per page of a screening.
pub(super) const SCREEN_PAGE: usize = 200;

#[derive(Deserialize, Default)]
pub struct ScreenPaging {
    /// The last code of the page before (rows come in code order).
    #[serde(default)]
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "fin_screen.html")]
pub struct ScreenPage {
    pub tr: Tr,
    pub nav: Nav,
    pub q: ScreenQuery,
    pub rows: Vec<ScreenRow>,
    /// How many firms pass, over every page.
    pub total: usize,
    /// The link to the next page, when there is one.
    pub next: Option<String>,
    pub query: String,
    pub ch: Choices,
    pub searches: Vec<zjtx_store::SavedSearch>,
}

pub async fn screen(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ScreenQuery>,
    Query(paging): Query<ScreenPaging>,
) -> Result<ScreenPage, AppError> {
    let inst = institution_of(&user)?;
    let (rows, total, more) = screen_page(&st, user.user.id, inst, &q, &paging.after).await?;
    let query = q.query_string();
    let next = rows
        .last()
        .filter(|_| more)
        .map(|r| format!("/finance/screen?{query}&after={}", r.uscc));
    Ok(ScreenPage {
        tr: Tr,
        nav: Nav::of(&user),
        query,
        rows,
        total,
        next,
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
pub(super) async fn tell_saved_searches(
    st: &AppState,
    inst: i64,
    uscc: &str,
) -> Result<(), AppError> {
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
