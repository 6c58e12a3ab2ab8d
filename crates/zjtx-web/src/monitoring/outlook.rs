//! Looking ahead and looking back (issue 14): firms projected to qualify for their next tier at
//! their own recent growth, and programme recipients against similar non-recipients in the years
//! after their award. Both read the registry's yearly records; the arithmetic is
//! `zjtx_core::monitor` (`project`, `compare`).

use super::*;
use zjtx_core::trace::IdSet;

/// A firm the projection reaches.
pub struct ProjectedRow {
    pub uscc: String,
    pub name: String,
    pub district: String,
    pub tier: &'static str,
    /// 1 or 2 years.
    pub years: u32,
    /// Meets every condition of the tier then (rather than some of those it misses today).
    pub qualifies: bool,
    /// The conditions growth would meet: (id, the clause's words).
    pub met: Vec<(String, String)>,
    /// The conditions it would still miss.
    pub missing: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "projected.html")]
pub struct ProjectedPage {
    pub tr: Tr,
    pub nav: Nav,
    pub today: String,
    /// The page of the list shown.
    pub list: Paged<ProjectedRow>,
    /// (tier, within one year, within two years) of those qualifying outright.
    pub counts: Vec<(&'static str, usize, usize)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProjectedQuery {
    pub page: String,
}

/// Conditions as people read them: each id with its clause from the firm's own trace (the part
/// after the document reference, "上年度营业收入1500万元以上…"), the id alone if the trace lacks it.
/// Conditions worded alike (the parts of one clause, each year of "近2年每年…") are shown once,
/// with their ids together.
fn conditions(ev: &zjtx_core::Evaluation, set: IdSet) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for id in set.iter() {
        let words = ev
            .entry(id)
            .map(|t| {
                t.clause
                    .rsplit_once('：')
                    .map_or(t.clause.as_str(), |(_, w)| w)
                    .to_owned()
            })
            .unwrap_or_else(|| id.as_str().to_owned());
        match out.iter_mut().find(|(_, w)| *w == words) {
            Some((ids, _)) => {
                ids.push(' ');
                ids.push_str(id.as_str());
            }
            None => out.push((id.as_str().to_owned(), words)),
        }
    }
    out
}

fn minus(a: IdSet, b: IdSet) -> IdSet {
    let mut out = IdSet::default();
    for id in a.iter().filter(|id| !b.contains(*id)) {
        out.insert(id);
    }
    out
}

/// Where the projection takes one firm: its next tier with thresholds (SRDI, else the little
/// giant), and the first of one or two years in which it qualifies, or else the nearest it gets
/// — only when growth meets some of the conditions it misses today and breaks none it meets.
pub fn project_firm(
    rules: &[zjtx_core::rules::RuleSet],
    e: &zjtx_core::enterprise::Enterprise,
    today: chrono::NaiveDate,
) -> Option<(&'static str, u32, bool, IdSet, IdSet)> {
    use zjtx_core::Verdict::Pass;
    let rs = zjtx_core::rule_set_for(rules, today)?;
    let now = zjtx_core::evaluate(e, rs, today);
    let (tier, failed_now) = if now.srdi != Pass {
        ("srdi", now.srdi_failed)
    } else if now.giant != Pass {
        ("giant", now.giant_failed)
    } else {
        return None;
    };
    let mut nearest = None;
    for years in 1..=2u32 {
        let p = zjtx_core::monitor::project(e, years)?;
        let on = today.checked_add_months(chrono::Months::new(12 * years))?;
        let rs = zjtx_core::rule_set_for(rules, on)?;
        let s = zjtx_core::evaluate(&p, rs, on);
        let (v, failed) = if tier == "srdi" {
            (s.srdi, s.srdi_failed)
        } else {
            (s.giant, s.giant_failed)
        };
        if v == Pass {
            return Some((tier, years, true, failed_now, IdSet::default()));
        }
        let subset = failed.iter().all(|id| failed_now.contains(id));
        if subset
            && failed.len() < failed_now.len()
            && nearest.is_none_or(|(_, f): (u32, IdSet)| failed.len() < f.len())
        {
            nearest = Some((years, failed));
        }
    }
    nearest.map(|(years, failed)| (tier, years, false, minus(failed_now, failed), failed))
}

/// `GET /monitoring/projected`: firms whose own recent growth would carry them to their next
/// tier's thresholds within one or two years, with what they would still miss.
pub async fn projected(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<ProjectedQuery>,
) -> Result<ProjectedPage, AppError> {
    let page = page_number(&q.page)?;
    let today = st.today();
    let (regions, scope_key) = whole_scope(&st, &user).await?;
    let rules = st.rules.clone();
    let found = admitted
        .kept(&st, format!("projected {scope_key}"), |c| {
            projected_made(&st, regions, c)
        })
        .await?;
    let counts = ["srdi", "giant"]
        .into_iter()
        .map(|t| {
            let n = |y: u32| {
                found
                    .iter()
                    .filter(|r| r.tier == t && r.qualifies && r.years <= y)
                    .count()
            };
            (zjtx_core::glossary::tier_short(t, i18n::lang()), n(1), n(2))
        })
        .collect();
    // The firms of the page shown are read again for their traces, which name the conditions.
    let mut shown = Paged::of(&found, page, |n| format!("/monitoring/projected?page={n}"));
    let mut rows = Vec::with_capacity(shown.rows.len());
    for f in std::mem::take(&mut shown.rows) {
        let e = st.store.years(&f.uscc).await?.into_iter().next();
        let (met, missing) = match (e, zjtx_core::rule_set_for(&rules, today)) {
            (Some((_, e)), Some(rs)) => {
                let ev = zjtx_core::explain(&e, rs, today);
                (conditions(&ev, f.met), conditions(&ev, f.missing))
            }
            _ => (ids_only(f.met), ids_only(f.missing)),
        };
        rows.push(ProjectedRow {
            uscc: f.uscc,
            name: f.name,
            district: district_name(f.region.as_deref()),
            tier: zjtx_core::glossary::tier_short(f.tier, i18n::lang()),
            years: f.years,
            qualifies: f.qualifies,
            met,
            missing,
        });
    }
    Ok(ProjectedPage {
        tr: Tr,
        nav: Nav::of(&user),
        today: today.to_string(),
        list: shown.with_rows(rows),
        counts,
    })
}

/// Every firm the projection reaches, in the list's order (kept).
async fn projected_made(
    st: &AppState,
    regions: Option<Vec<String>>,
    computing: crate::whole::Computing,
) -> Result<Vec<Found>, AppError> {
    let today = st.today();
    let rules = st.rules.clone();
    // Every firm is projected as its row arrives (the gate of `whole` runs this page off the
    // request threads), keeping only what orders the list.
    let mut found = Vec::new();
    let each = |f: zjtx_store::Latest| {
        let Ok(e) = zjtx_store::enterprise_from_cells(&f.cells) else {
            return;
        };
        if let Some((tier, years, qualifies, met, missing)) = project_firm(&rules, &e, today) {
            found.push(Found {
                uscc: f.uscc,
                name: f.name,
                region: f.region,
                tier,
                years,
                qualifies,
                met,
                missing,
            });
        }
    };
    computing
        .latest_cells(&st.store, regions.as_deref(), each)
        .await?;
    // Those qualifying first, the sooner the better, then the fewer conditions still missed.
    found.sort_by(|a, b| {
        (b.qualifies, a.years, a.missing.len(), &a.uscc).cmp(&(
            a.qualifies,
            b.years,
            b.missing.len(),
            &b.uscc,
        ))
    });
    Ok(found)
}

/// A firm the projection reaches, before its conditions are worded.
#[derive(Clone)]
struct Found {
    uscc: String,
    name: String,
    region: Option<String>,
    tier: &'static str,
    years: u32,
    qualifies: bool,
    met: IdSet,
    missing: IdSet,
}

/// Conditions by their ids alone (a firm whose record changed between the two reads).
fn ids_only(set: IdSet) -> Vec<(String, String)> {
    set.iter()
        .map(|id| (id.as_str().to_owned(), id.as_str().to_owned()))
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CohortQuery {
    pub year: String,
}

/// One later year of the comparison, as the page shows it.
pub struct CohortLine {
    pub year: i32,
    pub r_firms: usize,
    pub r_growth: String,
    pub r_rose: usize,
    pub p_firms: usize,
    pub p_growth: String,
    pub p_rose: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "cohorts.html")]
pub struct CohortsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub recipients: usize,
    pub peers: usize,
    /// Recipients without a record of the year before, or without a peer.
    pub unmatched: usize,
    pub summary: String,
    pub lines: Vec<CohortLine>,
}

fn growth(ppm: Option<i64>) -> String {
    ppm.map(|p| {
        let tenths = p / 1000;
        format!(
            "{}{}.{}%",
            if p < 0 { "-" } else { "" },
            (tenths / 10).abs(),
            (tenths % 10).abs()
        )
    })
    .unwrap_or_else(|| "—".into())
}

/// `GET /monitoring/cohorts?year=`: the firms awarded by a programme of `year` (any call of that
/// year, approved) against firms not awarded that were alike the year before — same top tier,
/// size and chain — in each later year with records: their median revenue growth since then and
/// how many rose a tier.
pub async fn cohorts(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<CohortQuery>,
) -> Result<CohortsPage, AppError> {
    let year = year_of(&st, &q.year)?;
    let (regions, scope_key) = whole_scope(&st, &user).await?;
    let mut awarded = std::collections::HashSet::new();
    for c in st.store.calls().await? {
        if c.year != i64::from(year) {
            continue;
        }
        for a in st
            .store
            .fund_applications(&zjtx_store::FundFilter {
                call_id: Some(c.id),
                regions: regions.clone(),
                statuses: vec![zjtx_core::workflow::fund::Status::Approved],
                ..Default::default()
            })
            .await?
        {
            awarded.insert(a.uscc);
        }
    }
    // The awards are not the firms' data: read on each request, named in the key.
    let key = format!("cohorts {year} {scope_key} {}", digest_of(&awarded));
    let (recipients, peers, years) = &*admitted
        .kept(&st, key, |c| cohorts_made(&st, year, regions, &awarded, c))
        .await?;
    let (recipients, peers) = (*recipients, *peers);
    Ok(CohortsPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        recipients,
        peers,
        unmatched: awarded.len().saturating_sub(recipients),
        summary: i18n::f(
            "{} 年获批专项资金的企业中，{} 家与上一年度梯度、规模、产业链相同的 {} 家未获支持企业对比；{} 家因缺少上一年度数据或没有可比企业未计入。",
            &[
                &year,
                &recipients,
                &peers,
                &awarded.len().saturating_sub(recipients),
            ],
        ),
        lines: years
            .iter()
            .map(|c| CohortLine {
                year: c.year,
                r_firms: c.recipients.firms,
                r_growth: growth(c.recipients.median_growth_ppm),
                r_rose: c.recipients.rose,
                p_firms: c.peers.firms,
                p_growth: growth(c.peers.median_growth_ppm),
                p_rose: c.peers.rose,
            })
            .collect(),
    })
}

/// The comparison of `compare`: (recipients matched, peers, each later year).
type Cohorts = (usize, usize, Vec<zjtx_core::monitor::CohortYear>);

async fn cohorts_made(
    st: &AppState,
    year: i32,
    regions: Option<Vec<String>>,
    awarded: &std::collections::HashSet<String>,
    computing: crate::whole::Computing,
) -> Result<Cohorts, AppError> {
    // The chain a firm is on: its first tag (tags are kept as they stand, not by year).
    let mut chains: std::collections::HashMap<String, String> = Default::default();
    for (uscc, chain) in st.store.chain_tags().await? {
        chains.entry(uscc).or_insert(chain);
    }
    // A year's figures are judged by the rules in force in the middle of the next year.
    let judge = |cells: &str, y: i32| {
        let e = zjtx_store::enterprise_from_cells(cells).ok()?;
        let on = chrono::NaiveDate::from_ymd_opt(y + 1, 6, 30)?;
        let rs = zjtx_core::rule_set_for(&st.rules, on)?;
        let s = zjtx_core::evaluate(&e, rs, on);
        Some((e.revenue, s.top_tier, s.size))
    };
    let mut members: std::collections::BTreeMap<String, zjtx_core::monitor::Member> =
        Default::default();
    let start = |p: zjtx_store::YearPair| {
        let Some((revenue, tier, size)) = judge(&p.cells, year - 1) else {
            return;
        };
        members.insert(
            p.uscc.clone(),
            zjtx_core::monitor::Member {
                recipient: awarded.contains(&p.uscc),
                tier,
                size,
                chain: chains.get(&p.uscc).cloned().unwrap_or_default(),
                revenue,
                later: Vec::new(),
            },
        );
    };
    computing
        .one_year(&st.store, year - 1, regions.as_deref(), start)
        .await?;
    let last = st.today().year();
    for y in year..=last {
        let later = |p: zjtx_store::YearPair| {
            if let Some(m) = members.get_mut(&p.uscc)
                && let Some((revenue, tier, _)) = judge(&p.cells, y)
            {
                m.later.push((y, revenue, tier));
            }
        };
        computing
            .one_year(&st.store, y, regions.as_deref(), later)
            .await?;
    }
    let all: Vec<zjtx_core::monitor::Member> = members.into_values().collect();
    Ok(zjtx_core::monitor::compare(&all))
}
