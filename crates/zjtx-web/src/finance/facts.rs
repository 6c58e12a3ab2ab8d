//! What an institution knows of a firm: consented facts and matching.

use super::*;

/// What matching knows of an enterprise: its titles in force and the tiers it meets now.
/// The tiers whose title an enterprise holds today.
pub(super) async fn held_titles(st: &AppState, uscc: &str) -> Result<Vec<String>, AppError> {
    let today = st.today().to_string();
    Ok(st
        .store
        .titles(uscc)
        .await?
        .into_iter()
        .filter(|(_, until)| *until >= today)
        .map(|(t, _)| t)
        .collect())
}

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
    let rules = disclosure_rules(st)?;
    // How each category is shown decides what the institution may know (`consent::shown`).
    let covers = |c: &str| consent::shown(&consents, c).map(consent::Shown::consent);
    let titles = held_titles(st, &row.uscc).await?;
    let all = facts_from(row, titles.clone());
    let mut tiers: Vec<String> = st
        .store
        .titled(&today, Some(&row.uscc))
        .await?
        .into_iter()
        .map(|t| t.tier)
        .collect();
    let mut used: Vec<(&str, i64)> = Vec::new();
    for t in &all.tiers {
        let held = titles.contains(t);
        let source = if held {
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
    let financials = consent::shown(&consents, "financials");
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
    if let Some((_, first)) = used.first() {
        let cats: Vec<&str> = used.iter().map(|(c, _)| *c).collect();
        st.store
            .log_access(
                &row.uscc,
                inst,
                user_id,
                &cats.join(","),
                route,
                Some(*first),
            )
            .await?;
    }
    Ok(Consented {
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
    })
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
    let products = st.store.products(Some("listed"), None).await?;
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
/// scorecard's gaps link to ("reaching SRDI would open these 6 products").
pub async fn opened_by_next_tier(
    st: &AppState,
    row: &EnterpriseRow,
) -> Result<Option<(&'static str, usize)>, AppError> {
    let f = facts(st, row).await?;
    let Some(next) = fin::next_tier(&f.tiers) else {
        return Ok(None);
    };
    let mut up = f.clone();
    up.tiers.push(next.to_owned());
    let n = st
        .store
        .products(Some("listed"), None)
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
