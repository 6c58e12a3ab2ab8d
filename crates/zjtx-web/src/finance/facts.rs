//! What an institution knows of a firm: consented facts and matching.

use super::*;

/// The tiers whose title an enterprise holds today.
pub(super) async fn held_titles(st: &AppState, uscc: &str) -> Result<Vec<String>, AppError> {
    Ok(in_force(st, &st.store.titles(uscc).await?))
}

/// Of an enterprise's titles (`Store::titles`: tier, valid until), the tiers in force today.
fn in_force(st: &AppState, titles: &[(String, String)]) -> Vec<String> {
    let today = st.today().to_string();
    titles
        .iter()
        .filter(|(_, until)| *until >= today)
        .map(|(t, _)| t.clone())
        .collect()
}

/// What matching knows of an enterprise: its titles in force and the tiers it meets now.
pub(super) async fn facts(st: &AppState, row: &EnterpriseRow) -> Result<Facts, AppError> {
    Ok(facts_from(row, held_titles(st, &row.uscc).await?))
}

/// An enterprise's facts from its row and the titles it holds: the titles, and the tiers it
/// meets now.
pub(super) fn facts_from(row: &EnterpriseRow, held: Vec<String>) -> Facts {
    let mut tiers = held;
    for (t, v) in [
        ("innovative", &row.innovative),
        ("tech_sme", &row.tech_sme),
        ("srdi", &row.srdi),
        ("giant", &row.giant),
    ] {
        if *v == Verdict::Pass && !tiers.iter().any(|x| x == t) {
            tiers.push(t.to_owned());
        }
    }
    Facts {
        tiers,
        size: row.size.key().to_owned(),
        revenue: row.revenue,
        district: row.region_code.clone(),
        ecosystem: row.ecosystem.clone(),
    }
}

/// What an institution may use of an enterprise to evaluate it: the facts, with every fact that no
/// consent in force covers (nor the public titled list) left blank, and the match rules that such
/// a blank leaves undecided.
pub struct Consented {
    pub facts: Facts,
    pub undecided: Vec<&'static str>,
}

impl Consented {
    /// Whether a match can hold: every missed rule is one the consents leave undecided.
    pub(super) fn possible(&self, m: &Match) -> bool {
        m.reasons
            .iter()
            .all(|r| r.met || self.undecided.contains(&r.rule))
    }
}

/// Reads an enterprise's facts for institution `inst`, within its consents in force, for product
/// eligibility, need routing, screening and alerts. Tiers come from the public titled list, plus
/// valid titles under `titles` and tiers met now under `evaluations`; size and ecosystem under
/// `profile`; revenue under `financials`: the figure, or under a predicates-only consent only the
/// lower bound of the band it already discloses (a floor the institution chooses must not find
/// the figure by bisection); the district is public. Logs the categories read as `route`, when a
/// consent was used.
pub async fn consented_facts(
    st: &AppState,
    user_id: i64,
    inst: i64,
    row: &EnterpriseRow,
    route: &str,
) -> Result<Consented, AppError> {
    let today = st.today().to_string();
    let consents = st.store.consents_in_force(&row.uscc, inst, &today).await?;
    let held = held_titles(st, &row.uscc).await?;
    let public: Vec<String> = st
        .store
        .titled(&today, Some(&row.uscc))
        .await?
        .into_iter()
        .map(|t| t.tier)
        .collect();
    let (c, used) = consented(row, held, &public, &consents, disclosure_rules(st)?);
    if let Some((cats, first)) = used {
        st.store
            .log_access(&row.uscc, inst, user_id, &cats, route, Some(first))
            .await?;
    }
    Ok(c)
}

/// How a read of many firms is logged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum LogAs {
    /// A row per firm read, with the categories used.
    Each,
    /// One row for the read of every firm consenting to the institution today (`set` must be
    /// those firms, with or without the public titled list): each firm's log shows it under its
    /// consents in force (`Store::access_log`).
    Consenting,
}

/// `consented_facts` for many firms at once: the firms of `set`, read in one query, each with
/// what the institution may use of it; the reads logged (`LogAs`) in one statement or
/// transaction.
pub(super) async fn consented_many(
    st: &AppState,
    user_id: i64,
    inst: i64,
    set: zjtx_store::SubjectSet<'_>,
    route: &str,
    log: LogAs,
) -> Result<Vec<(zjtx_store::Subject, Consented)>, AppError> {
    let today = st.today().to_string();
    let rules = disclosure_rules(st)?;
    let subjects = st.store.subjects(inst, &today, set).await?;
    let mut out = Vec::with_capacity(subjects.len());
    let mut used = Vec::new();
    for s in subjects {
        let (c, u) = consented(&s.row, s.held.clone(), &s.public, &s.consents, rules);
        used.push(u);
        out.push((s, c));
    }
    match log {
        LogAs::Consenting => {
            st.store
                .log_access_set(inst, user_id, route, &today)
                .await?;
        }
        LogAs::Each => {
            let reads: Vec<zjtx_store::AccessRead> = out
                .iter()
                .zip(used)
                .filter_map(|((s, _), u)| {
                    u.map(|(categories, consent)| zjtx_store::AccessRead {
                        uscc: &s.row.uscc,
                        categories,
                        consent,
                    })
                })
                .collect();
            st.store.log_accesses(&reads, inst, user_id, route).await?;
        }
    }
    Ok(out)
}

/// Every firm consenting to the institution today (not the public titled list) with what the
/// institution may use of it, handed to `each` as (code, name, facts) in code order: from the
/// institution's screening kept in memory (`ScreenCache`, checked against the store on this
/// request), or, when it has too many firms to keep, read in one joined query
/// (`consented_many`). The read is logged under `route` as one read of the consenting firms.
pub(super) async fn each_consenting(
    st: &AppState,
    user_id: i64,
    inst: i64,
    route: &str,
    mut each: impl FnMut(&str, &str, &Consented),
) -> Result<(), AppError> {
    if let Some(kept) = st.screenings.get(st, inst).await? {
        let today = st.today().to_string();
        st.store
            .log_access_set(inst, user_id, route, &today)
            .await?;
        for f in kept.firms.iter().filter(|f| f.consented) {
            each(&f.uscc, &f.name, &f.c);
        }
        return Ok(());
    }
    let set = zjtx_store::SubjectSet {
        consenting: true,
        ..Default::default()
    };
    for (s, c) in consented_many(st, user_id, inst, set, route, LogAs::Consenting).await? {
        each(&s.row.uscc, &s.row.name, &c);
    }
    Ok(())
}

/// What an institution may use of a firm (see `consented_facts`), from the firm's row, the tiers
/// whose title it holds, its public titles and the institution's consents in force; with the
/// categories used and the first consent that allowed them, for the access log (`None` when no
/// consent was used).
pub(super) fn consented(
    row: &EnterpriseRow,
    held: Vec<String>,
    public: &[String],
    consents: &[Consent],
    rules: &fin::Disclosure,
) -> (Consented, Option<(String, i64)>) {
    // How each category is shown decides what the institution may know (`consent::shown`).
    let covers = |c: &str| consent::shown(consents, c).map(consent::Shown::consent);
    let all = facts_from(row, held.clone());
    let mut tiers: Vec<String> = public.to_vec();
    let mut used: Vec<(&str, i64)> = Vec::new();
    for t in &all.tiers {
        let source = if held.contains(t) {
            covers("titles").map(|k| ("titles", k))
        } else {
            covers("evaluations").map(|k| ("evaluations", k))
        };
        if let Some(u) = source
            && !tiers.contains(t)
        {
            tiers.push(t.clone());
            used.push(u);
        }
    }
    let profile = covers("profile");
    let financials = consent::shown(consents, "financials");
    let money = financials.filter(|s| !s.predicates_only());
    let banded = financials.filter(|s| s.predicates_only());
    used.extend(profile.map(|k| ("profile", k)));
    used.extend(financials.map(|s| ("financials", s.consent())));
    let mut undecided = Vec::new();
    if covers("titles").is_none() || covers("evaluations").is_none() {
        undecided.push("tier");
    }
    if profile.is_none() {
        undecided.extend(["size", "ecosystem"]);
    }
    if money.is_none() {
        undecided.push("revenue");
    }
    used.sort_unstable();
    used.dedup_by_key(|(c, _)| *c);
    let logged = used.first().map(|(_, first)| {
        let cats: Vec<&str> = used.iter().map(|(c, _)| *c).collect();
        (cats.join(","), *first)
    });
    let c = Consented {
        facts: Facts {
            tiers,
            size: if profile.is_some() {
                all.size
            } else {
                String::new()
            },
            revenue: match (money, banded) {
                (Some(_), _) => all.revenue,
                (None, Some(_)) => all.revenue.map(|r| rules.revenue_band(r).from * 10_000),
                (None, None) => None,
            },
            district: all.district,
            ecosystem: if profile.is_some() {
                all.ecosystem
            } else {
                None
            },
        },
        undecided,
    };
    (c, logged)
}

/// A posted need's terms, for matching.
pub(super) fn need_terms(n: &zjtx_store::Need) -> fin::Need {
    fin::Need {
        amount: n.amount,
        term_months: n.term_months,
        collateral: n
            .collateral
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

pub(super) fn terms(p: &Product) -> fin::Terms {
    fin::Terms {
        min_amount: p.min_amount,
        max_amount: p.max_amount,
        term_min: p.term_min,
        term_max: p.term_max,
        collateral: p.collateral.split(',').map(str::to_owned).collect(),
    }
}

pub(super) fn eligibility(p: &Product) -> Eligibility {
    serde_json::from_str(&p.eligibility).unwrap_or_default()
}

/// A reason of a match, for reading.
pub fn reason_text(r: &fin::Reason) -> String {
    let what = kind_label(r.rule);
    let money = |v: &str| v.parse::<i64>().map(|u| wan(Some(u))).unwrap_or_default();
    let (required, found) = match r.rule {
        "revenue" => (money(&r.required), money(&r.found)),
        "amount" => {
            let (a, b) = r.required.split_once('–').unwrap_or(("", ""));
            (format!("{}–{}", money(a), money(b)), money(&r.found))
        }
        "tier" => (
            r.required
                .split('、')
                .map(|t| glossary::tier_short(t, lang()))
                .collect::<Vec<_>>()
                .join("、"),
            r.found
                .split('、')
                .filter(|t| !t.is_empty())
                .map(|t| glossary::tier_short(t, lang()))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        "size" => (
            r.required
                .split('、')
                .map(|t| glossary::size_by_key(t, lang()))
                .collect::<Vec<_>>()
                .join("、"),
            glossary::size_by_key(&r.found, lang()).to_owned(),
        ),
        "collateral" => (
            labels(&r.required.replace('、', ",")),
            labels(&r.found.replace('、', ",")),
        ),
        _ => (r.required.clone(), r.found.clone()),
    };
    let mut s = i18n::f("{}：要求 {}，实际 {}", &[&what, &required, &found]);
    if let Some(short) = r.short_by {
        s.push_str(&i18n::f("，差 {} 万元", &[&wan(Some(short))]));
    }
    s
}

pub struct MatchView {
    pub p: Product,
    pub eligible: bool,
    pub met: Vec<String>,
    pub missed: Vec<String>,
}

/// The listed products for an enterprise (and need), ranked, each with its reasons.
pub(super) async fn matches(
    st: &AppState,
    row: &EnterpriseRow,
    need: Option<&fin::Need>,
) -> Result<Vec<MatchView>, AppError> {
    let f = facts(st, row).await?;
    let products = st.store.listed_products().await?;
    let mut items: Vec<(i64, Match, i64)> = products
        .iter()
        .map(|p| {
            (
                p.id,
                fin::check(&eligibility(p), &terms(p), &f, need),
                p.max_amount,
            )
        })
        .collect();
    fin::rank(&mut items);
    Ok(items
        .into_iter()
        .filter_map(|(id, m, _)| {
            let p = products.iter().find(|p| p.id == id)?.clone();
            Some(MatchView {
                eligible: m.eligible,
                met: m
                    .reasons
                    .iter()
                    .filter(|r| r.met)
                    .map(reason_text)
                    .collect(),
                missed: m
                    .reasons
                    .iter()
                    .filter(|r| !r.met)
                    .map(reason_text)
                    .collect(),
                p,
            })
        })
        .collect())
}

/// How many listed products an enterprise misses only for want of the next tier: the line the
/// scorecard's gaps link to ("reaching SRDI would open these 6 products"). `titles` are the
/// enterprise's titles as the page has read them (`Store::titles`).
pub async fn opened_by_next_tier(
    st: &AppState,
    row: &EnterpriseRow,
    titles: &[(String, String)],
) -> Result<Option<(&'static str, usize)>, AppError> {
    let f = facts_from(row, in_force(st, titles));
    let Some(next) = fin::next_tier(&f.tiers) else {
        return Ok(None);
    };
    let mut up = f.clone();
    up.tiers.push(next.to_owned());
    let n = st
        .store
        .listed_products()
        .await?
        .iter()
        .filter(|p| {
            let (el, t) = (eligibility(p), terms(p));
            let now = fin::check(&el, &t, &f, None);
            now.only_tier_missing() && fin::check(&el, &t, &up, None).eligible
        })
        .count();
    Ok((n > 0).then_some((next, n)))
}
