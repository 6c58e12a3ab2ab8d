//! The chain map (产业链图谱) of an ecosystem, made from the records: for each chain, its firms by
//! tier — titled (a title valid today) and candidates (passing the tier now without its title) —
//! and the chains where the city has no SRDI or little-giant firm yet (补短板 targets); likewise
//! each chain's segments (细分赛道). A district office reads its own districts. The city keeps the
//! taxonomy here: chains and segments added, renamed, retired.

use super::*;
use axum::response::Redirect;
use zjtx_store::Filter;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MapQuery {
    pub ecosystem: String,
}

/// A count as the page shows it (`2000+` where the list's count stops).
pub struct Count {
    pub n: String,
    pub link: String,
}

pub struct ChainRow {
    pub name: String,
    pub name_en: String,
    /// (tier label, titled, candidates) for innovative, SRDI and little giant.
    pub tiers: Vec<(&'static str, Count, Count)>,
    pub gap: bool,
    /// Its segments in force, each counted the same way.
    pub segments: Vec<SegmentRow>,
}

pub struct SegmentRow {
    pub name: String,
    pub tiers: Vec<(&'static str, Count, Count)>,
    pub gap: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_map.html")]
pub struct MapPage {
    pub tr: Tr,
    pub nav: Nav,
    pub ecosystem: String,
    pub ecosystems: Vec<&'static str>,
    pub rows: Vec<ChainRow>,
    pub gaps: Vec<String>,
    /// Segments without an SRDI or little-giant firm, as `chain · segment`.
    pub segment_gaps: Vec<String>,
    pub has_segments: bool,
    pub is_city: bool,
}

/// `GET /chains/map?ecosystem=`.
pub async fn map(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MapQuery>,
) -> Result<MapPage, AppError> {
    let ecosystems = zjtx_core::enterprise::ECOSYSTEMS.to_vec();
    let ecosystem = if ecosystems.contains(&q.ecosystem.trim()) {
        q.ecosystem.trim().to_owned()
    } else {
        ecosystems[0].to_owned()
    };
    let scope = user.scope(&st.store).await?;
    let today = st.today();
    let count =
        |chain: &str, segment: Option<&str>, title: Option<&str>, candidate: Option<&str>| {
            let (st, scope, chain) = (st.clone(), scope.clone(), chain.to_owned());
            let segment = segment.map(str::to_owned);
            let (title, candidate) = (title.map(str::to_owned), candidate.map(str::to_owned));
            async move {
                let page = st
                    .store
                    .list(
                        &Filter {
                            chain: Some(chain.clone()),
                            segment: segment.clone(),
                            title: title.clone(),
                            candidate: candidate.clone(),
                            per_page: 1,
                            today,
                            ..Filter::default()
                        },
                        &scope,
                    )
                    .await?;
                let query = serde_urlencoded::to_string([
                    ("chain", Some(chain)),
                    ("segment", segment),
                    ("title", title),
                    ("candidate", candidate),
                ])
                .unwrap_or_default();
                Ok::<_, AppError>((
                    page.total,
                    Count {
                        n: if page.total_capped {
                            format!("{}+", page.total)
                        } else {
                            page.total.to_string()
                        },
                        link: format!("/enterprises?{query}"),
                    },
                ))
            }
        };
    // The innovative, SRDI and little-giant counts of a chain (or one of its segments), and
    // whether it has no SRDI or little-giant firm.
    let tiers_of = |chain: String, segment: Option<String>| {
        let count = &count;
        async move {
            let mut tiers = Vec::new();
            let mut titled_upper = 0;
            for (key, label) in [
                ("innovative", i18n::t("创新型")),
                ("srdi", i18n::t("专精特新")),
                ("giant", i18n::t("小巨人")),
            ] {
                let (n, titled) = count(&chain, segment.as_deref(), Some(key), None).await?;
                let (_, candidates) = count(&chain, segment.as_deref(), None, Some(key)).await?;
                if key != "innovative" {
                    titled_upper += n;
                }
                tiers.push((label, titled, candidates));
            }
            Ok::<_, AppError>((tiers, titled_upper == 0))
        }
    };
    let segments = st.store.segments().await?;
    let mut rows = Vec::new();
    for c in st
        .store
        .chains()
        .await?
        .into_iter()
        .filter(|c| c.ecosystem == ecosystem && c.retired_on.is_none())
    {
        let (tiers, gap) = tiers_of(c.name.clone(), None).await?;
        let mut segs = Vec::new();
        for g in segments
            .iter()
            .filter(|g| g.chain == c.name && g.retired_on.is_none())
        {
            let (tiers, gap) = tiers_of(c.name.clone(), Some(g.name.clone())).await?;
            segs.push(SegmentRow {
                name: g.name.clone(),
                tiers,
                gap,
            });
        }
        rows.push(ChainRow {
            gap,
            name: c.name,
            name_en: c.name_en,
            tiers,
            segments: segs,
        });
    }
    Ok(MapPage {
        tr: Tr,
        nav: Nav::of(&user),
        gaps: rows
            .iter()
            .filter(|r| r.gap)
            .map(|r| r.name.clone())
            .collect(),
        segment_gaps: rows
            .iter()
            .flat_map(|r| {
                r.segments
                    .iter()
                    .filter(|g| g.gap)
                    .map(move |g| format!("{} · {}", r.name, g.name))
            })
            .collect(),
        has_segments: rows.iter().any(|r| !r.segments.is_empty()),
        is_city: user.user.role == zjtx_store::Role::City,
        ecosystem,
        ecosystems,
        rows,
    })
}

/// The taxonomy forms: add (ecosystem, name, English name), rename (name → new name), retire.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TaxonomyForm {
    pub csrf: String,
    pub ecosystem: String,
    pub name: String,
    pub name_en: String,
    pub new_name: String,
    /// For a segment: its chain (adding), or `chain|segment` in `name` (renaming, retiring).
    pub chain: String,
}

pub(crate) fn taxonomy_refused(r: zjtx_core::workflow::taxonomy::Refusal) -> AppError {
    use zjtx_core::workflow::taxonomy::Refusal;
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::BadName => {
            AppError::BadRequest(i18n::t("名称不能为空、不超过50字，且不含逗号、分号或竖线").into())
        }
        Refusal::UnknownEcosystem => {
            AppError::BadRequest(i18n::f("{}：格式有误", &[&i18n::t("产业生态圈")]))
        }
        Refusal::Taken => AppError::Store(zjtx_store::StoreError::Conflict(
            i18n::t("已有同名产业链或细分赛道").into(),
        )),
        Refusal::NoSuchChain | Refusal::NoSuchSegment => AppError::NotFound,
        Refusal::SegmentNotOpen(c, g) => {
            AppError::Store(zjtx_store::StoreError::Conflict(i18n::f(
                "细分赛道“{}”不可标注：须属于企业已标注的产业链且未停用",
                &[&format!("{c} · {g}")],
            )))
        }
    }
}

/// The chains as the taxonomy rules read them: (name, retired).
async fn known(st: &AppState) -> Result<Vec<(String, bool)>, AppError> {
    Ok(st
        .store
        .chains()
        .await?
        .into_iter()
        .map(|c| (c.name, c.retired_on.is_some()))
        .collect())
}

fn as_known(k: &[(String, bool)]) -> Vec<zjtx_core::workflow::taxonomy::Known<'_>> {
    k.iter()
        .map(|(name, retired)| zjtx_core::workflow::taxonomy::Known {
            name,
            retired: *retired,
        })
        .collect()
}

fn back(ecosystem: &str) -> Redirect {
    let q = serde_urlencoded::to_string([("ecosystem", ecosystem.trim())]).unwrap_or_default();
    Redirect::to(&format!("/chains/map?{q}"))
}

/// `POST /chains`: the city adds a chain to an ecosystem.
pub async fn add_chain(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TaxonomyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let k = known(&st).await?;
    let city = user.user.role == zjtx_store::Role::City;
    let name = zjtx_core::workflow::taxonomy::add(city, &as_known(&k), &f.ecosystem, &f.name)
        .map_err(taxonomy_refused)?;
    let en: String = f.name_en.trim().chars().take(100).collect();
    st.store
        .add_chain(f.ecosystem.trim(), &name, &en, Some(user.user.id))
        .await?;
    Ok(back(&f.ecosystem))
}

/// `POST /chains/rename`: its tags and events follow.
pub async fn rename_chain(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TaxonomyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let k = known(&st).await?;
    let city = user.user.role == zjtx_store::Role::City;
    let to = zjtx_core::workflow::taxonomy::rename(city, &as_known(&k), &f.name, &f.new_name)
        .map_err(taxonomy_refused)?;
    st.store
        .rename_chain(f.name.trim(), &to, Some(user.user.id))
        .await?;
    Ok(back(&f.ecosystem))
}

/// `POST /chains/retire`: kept with its history, offered no more.
pub async fn retire_chain(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TaxonomyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let k = known(&st).await?;
    let city = user.user.role == zjtx_store::Role::City;
    zjtx_core::workflow::taxonomy::retire(city, &as_known(&k), &f.name)
        .map_err(taxonomy_refused)?;
    st.store
        .retire_chain(f.name.trim(), &st.today().to_string(), Some(user.user.id))
        .await?;
    Ok(back(&f.ecosystem))
}

/// The segments of a chain as the taxonomy rules read them.
async fn known_segments(st: &AppState, chain: &str) -> Result<Vec<(String, bool)>, AppError> {
    Ok(st
        .store
        .segments()
        .await?
        .into_iter()
        .filter(|g| g.chain == chain)
        .map(|g| (g.name, g.retired_on.is_some()))
        .collect())
}

/// `chain|segment` as the rename and retire forms send it.
fn chain_and_segment(v: &str) -> Result<(String, String), AppError> {
    v.split_once('|')
        .map(|(c, g)| (c.trim().to_owned(), g.trim().to_owned()))
        .ok_or(AppError::NotFound)
}

/// A rename or retire form of a segment (`name` = `chain|segment`), its token checked: whether
/// the user is the city, the chain, the segment, and the chain's segments.
async fn segment_form(
    st: &AppState,
    user: &CurrentUser,
    f: &TaxonomyForm,
) -> Result<(bool, String, String, Vec<(String, bool)>), AppError> {
    user.check_csrf(&f.csrf)?;
    let (chain, name) = chain_and_segment(&f.name)?;
    let segs = known_segments(st, &chain).await?;
    Ok((user.user.role == zjtx_store::Role::City, chain, name, segs))
}

/// `POST /chains/segments`: the city adds a segment to a chain in force.
pub async fn add_segment(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TaxonomyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let city = user.user.role == zjtx_store::Role::City;
    let chains = known(&st).await?;
    let segs = known_segments(&st, f.chain.trim()).await?;
    let name = zjtx_core::workflow::taxonomy::add_segment(
        city,
        &as_known(&chains),
        &as_known(&segs),
        &f.chain,
        &f.name,
    )
    .map_err(taxonomy_refused)?;
    st.store
        .add_segment(f.chain.trim(), &name, Some(user.user.id))
        .await?;
    Ok(back(&f.ecosystem))
}

/// `POST /chains/segments/rename`: its tags follow.
pub async fn rename_segment(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TaxonomyForm>,
) -> Result<Redirect, AppError> {
    let (city, chain, from, segs) = segment_form(&st, &user, &f).await?;
    let to =
        zjtx_core::workflow::taxonomy::rename_segment(city, &as_known(&segs), &from, &f.new_name)
            .map_err(taxonomy_refused)?;
    st.store
        .rename_segment(&chain, &from, &to, Some(user.user.id))
        .await?;
    Ok(back(&f.ecosystem))
}

/// `POST /chains/segments/retire`: kept with its tags, offered no more.
pub async fn retire_segment(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TaxonomyForm>,
) -> Result<Redirect, AppError> {
    let (city, chain, name, segs) = segment_form(&st, &user, &f).await?;
    zjtx_core::workflow::taxonomy::retire_segment(city, &as_known(&segs), &name)
        .map_err(taxonomy_refused)?;
    st.store
        .retire_segment(&chain, &name, &st.today().to_string(), Some(user.user.id))
        .await?;
    Ok(back(&f.ecosystem))
}
