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
/// public titles and district only). The database judges the conditions as the institution sees
/// each firm (`AsSeen`), so that a page is read as a page and the total counted without the rows;
/// each firm read is judged once more here on the facts consent leaves (`consented`), the check
/// the database's must agree with. The read is logged once for every consenting firm
/// (`LogAs::Consenting`), or for the one firm of an alert. `page`: after this code, at most so
/// many firms.
pub(super) async fn screen_rows(
    st: &AppState,
    user_id: i64,
    inst: i64,
    q: &ScreenQuery,
    only: Option<&str>,
    page: Option<(Option<&str>, i64)>,
) -> Result<Vec<ScreenRow>, AppError> {
    let (route, log) = match only {
        Some(_) => ("alert", LogAs::Each),
        None => ("screening", LogAs::Consenting),
    };
    let min = revenue_floor(q)?;
    let mut set = screen_set(st, q, min, true)?;
    set.only = only;
    if let Some((after, limit)) = page {
        set.after = after;
        set.limit = Some(limit);
    }
    let mut out = Vec::new();
    for (s, c) in consented_many(st, user_id, inst, set, route, log).await? {
        if passes(q, min, &c) {
            out.push(screen_row(s));
        }
    }
    Ok(out)
}

/// The revenue floor of a screening, stored units.
fn revenue_floor(q: &ScreenQuery) -> Result<Option<i64>, AppError> {
    Ok(match q.revenue_min.trim() {
        "" => None,
        v => Some(amount(v, i18n::t("营业收入下限"))?),
    })
}

/// The firms a screening reads: every firm the institution may screen, narrowed by the
/// database — exactly as the institution sees them (`as_seen`), or only by their records (a
/// superset; the judgment is then all `passes`').
fn screen_set<'a>(
    st: &AppState,
    q: &'a ScreenQuery,
    revenue_min: Option<i64>,
    as_seen: bool,
) -> Result<zjtx_store::SubjectSet<'a>, AppError> {
    let given = |v: &'a String| Some(v.as_str()).filter(|v| !v.is_empty());
    let banded_revenue_min = match revenue_min {
        Some(m) => disclosure_rules(st)?.banded_revenue_min(m),
        None => None,
    };
    Ok(zjtx_store::SubjectSet {
        consenting: true,
        titled: true,
        narrow: zjtx_store::Narrow {
            region: given(&q.region),
            tier: given(&q.tier),
            size: given(&q.size),
            ecosystem: given(&q.ecosystem),
            revenue_min,
            as_seen: as_seen.then_some(zjtx_store::AsSeen { banded_revenue_min }),
        },
        ..Default::default()
    })
}

/// Whether a firm passes a screening on what the institution may use of it.
fn passes(q: &ScreenQuery, min: Option<i64>, c: &Consented) -> bool {
    let f = &c.facts;
    let ok_tier = q.tier.is_empty() || f.tiers.contains(&q.tier);
    let ok_size = q.size.is_empty() || f.size == q.size;
    let ok_eco = q.ecosystem.is_empty() || f.ecosystem.as_deref() == Some(q.ecosystem.as_str());
    let ok_region = q.region.is_empty() || f.district.as_deref() == Some(q.region.as_str());
    let ok_rev = min.is_none_or(|m| f.revenue.is_some_and(|r| r >= m));
    ok_tier && ok_size && ok_eco && ok_region && ok_rev
}

/// How `screened_codes` finds the firms passing a screening.
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Judged {
    /// As the database judges them (what a screening reads when the institution's firms are not
    /// kept in memory): the rows as the database returns them, not judged again.
    Database,
    /// By reading every firm the records allow and judging each on its consented facts.
    Each,
    /// From the institution's screening kept in memory (`ScreenCache`), as the pages read it.
    Kept,
}

/// The codes of the firms passing a screening, found one of three ways (`Judged`); all must
/// agree, and tests compare them. The reads are logged as a screening's.
#[doc(hidden)]
pub async fn screened_codes(
    st: &AppState,
    user_id: i64,
    inst: i64,
    query: &str,
    how: Judged,
) -> Result<Vec<String>, AppError> {
    let q: ScreenQuery = serde_urlencoded::from_str(query).map_err(|e| bad(e.to_string()))?;
    let min = revenue_floor(&q)?;
    let as_seen = how == Judged::Database;
    if how == Judged::Kept {
        let kept = st
            .screenings
            .get(st, inst)
            .await?
            .ok_or_else(|| conflict("not kept".to_owned()))?;
        let today = st.today().to_string();
        st.store
            .log_access_set(inst, user_id, "screening", &today)
            .await?;
        return Ok(kept
            .firms
            .iter()
            .filter(|f| passes(&q, min, &f.c))
            .map(|f| f.uscc.clone())
            .collect());
    }
    let set = screen_set(st, &q, min, as_seen)?;
    let mut out = Vec::new();
    for (s, c) in consented_many(st, user_id, inst, set, "screening", LogAs::Consenting).await? {
        if as_seen || passes(&q, min, &c) {
            out.push(s.row.uscc);
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

fn seen_row(f: &super::screen_cache::Seen) -> ScreenRow {
    ScreenRow {
        consented: f.consented,
        basis: if f.consented {
            i18n::t("已授权")
        } else {
            i18n::t("公开名单")
        },
        district: f.district.clone(),
        uscc: f.uscc.clone(),
        name: f.name.clone(),
    }
}

/// One page of a screening and how many firms pass, counted up to `COUNT_CAP` (and whether it
/// was reached): judged on the institution's firms kept in memory (`ScreenCache`, checked
/// against the store on this request), or, when it has too many to keep, the page read as a
/// page and the total counted by the database — each set read in code order only as far as the
/// count needs (both judged as the institution sees each firm, `screen_rows`).
pub(super) async fn screen_page(
    st: &AppState,
    user_id: i64,
    inst: i64,
    q: &ScreenQuery,
    after: &str,
) -> Result<(Vec<ScreenRow>, (usize, bool), bool), AppError> {
    let after = Some(after).filter(|a| !a.is_empty());
    let min = revenue_floor(q)?;
    let today = st.today().to_string();
    if let Some(kept) = st.screenings.get(st, inst).await? {
        st.store
            .log_access_set(inst, user_id, "screening", &today)
            .await?;
        let mut passing = kept.firms.iter().filter(|f| passes(q, min, &f.c));
        let mut rows = Vec::with_capacity(SCREEN_PAGE + 1);
        let mut total = 0usize;
        for f in passing.by_ref() {
            total += 1;
            if after.is_none_or(|a| f.uscc.as_str() > a) {
                rows.push(seen_row(f));
                if rows.len() > SCREEN_PAGE {
                    break;
                }
            }
        }
        total += passing.count();
        let more = rows.len() > SCREEN_PAGE;
        rows.truncate(SCREEN_PAGE);
        let cap = usize::try_from(zjtx_store::COUNT_CAP).unwrap_or(usize::MAX);
        return Ok((rows, (total.min(cap), total > cap), more));
    }
    let set = screen_set(st, q, min, true)?;
    let (total, capped) = st
        .store
        .subjects_count(inst, &today, set, zjtx_store::COUNT_CAP)
        .await?;
    let mut rows = screen_rows(
        st,
        user_id,
        inst,
        q,
        None,
        Some((after, SCREEN_PAGE as i64 + 1)),
    )
    .await?;
    let more = rows.len() > SCREEN_PAGE;
    rows.truncate(SCREEN_PAGE);
    Ok((rows, (usize::try_from(total).unwrap_or(0), capped), more))
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
    /// How many firms pass, over every page (up to a bound: `capped` when there are more).
    pub total: usize,
    pub capped: bool,
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
    let (rows, (total, capped), more) =
        screen_page(&st, user.user.id, inst, &q, &paging.after).await?;
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
        capped,
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
    let seen: Vec<String> = screen_rows(&st, user.user.id, inst, &q, None, None)
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
        let rows = screen_rows(st, s.user_id, inst, &q, Some(uscc), None).await?;
        if let Some(r) = rows.iter().find(|r| r.uscc == uscc) {
            let mut all: Vec<String> = seen.iter().map(|x| (*x).to_owned()).collect();
            all.push(uscc.to_owned());
            let link = format!("/finance/enterprises/{uscc}");
            let text =
                i18n::both(|| i18n::f("筛选“{}”有新的符合条件企业：{}", &[&s.name, &r.name]));
            let msgs = [text.to(s.user_id, &link)];
            st.store.search_seen(s.id, &all.join(","), &msgs).await?;
            crate::mail::deliver(st, &msgs);
        }
    }
    Ok(())
}
