//! The chain map (产业链图谱) of an ecosystem, made from the records: for each chain, its firms by
//! tier — titled (a title valid today) and candidates (passing the tier now without its title) —
//! and the chains where the city has no SRDI or little-giant firm yet (补短板 targets). A district
//! office reads its own districts.

use super::*;
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
    let count = |chain: &str, title: Option<&str>, candidate: Option<&str>| {
        let (st, scope, chain) = (st.clone(), scope.clone(), chain.to_owned());
        let (title, candidate) = (title.map(str::to_owned), candidate.map(str::to_owned));
        async move {
            let page = st
                .store
                .list(
                    &Filter {
                        chain: Some(chain.clone()),
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
    let mut rows = Vec::new();
    for c in st
        .store
        .chains()
        .await?
        .into_iter()
        .filter(|c| c.ecosystem == ecosystem)
    {
        let mut tiers = Vec::new();
        let mut titled_upper = 0;
        for (key, label) in [
            ("innovative", i18n::t("创新型")),
            ("srdi", i18n::t("专精特新")),
            ("giant", i18n::t("小巨人")),
        ] {
            let (n, titled) = count(&c.name, Some(key), None).await?;
            let (_, candidates) = count(&c.name, None, Some(key)).await?;
            if key != "innovative" {
                titled_upper += n;
            }
            tiers.push((label, titled, candidates));
        }
        rows.push(ChainRow {
            gap: titled_upper == 0,
            name: c.name,
            name_en: c.name_en,
            tiers,
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
        ecosystem,
        ecosystems,
        rows,
    })
}
