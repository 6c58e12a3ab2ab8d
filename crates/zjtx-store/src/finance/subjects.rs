//! What an institution's matching reads of many firms at once: screening, a product's eligible
//! list and need routing each read their firms in one joined query — the firm, the titles it
//! holds, its public titles and this institution's consents in force — instead of a handful of
//! queries per firm; and the reads are logged in one transaction.

use super::*;
use crate::listing::{ROW_COLS, enterprise_row};
use crate::{Db, EnterpriseRow, decoded};
use zjtx_core::{Size, TopTier, Verdict};

/// Which firms a matching reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct SubjectSet<'a> {
    /// Firms with a consent in force for the institution.
    pub consenting: bool,
    /// Firms on the public titled list (a decision's title in force).
    pub titled: bool,
    /// Firms with an open financing need.
    pub open_needs: bool,
    /// Only this firm (still only if it is in one of the sets above).
    pub only: Option<&'a str>,
    /// Conditions on the firm's own record that every firm returned meets: a superset of what
    /// the caller then decides on what consent shows (`Narrow`).
    pub narrow: Narrow<'a>,
    /// A page of firms in code order: after this code, at most `limit` firms.
    pub after: Option<&'a str>,
    pub limit: Option<i64>,
}

/// Conditions a matching can put to the database before consent decides: each holds for every
/// firm the exact check could pass (a district is public; a tier is held or met; a size, an
/// ecosystem or a revenue floor is what the record says, and a banded revenue is never above the
/// figure), so narrowing by them loses no firm.
#[derive(Clone, Copy, Debug, Default)]
pub struct Narrow<'a> {
    pub region: Option<&'a str>,
    pub tier: Option<&'a str>,
    pub size: Option<&'a str>,
    pub ecosystem: Option<&'a str>,
    /// Units of 1/10000 万元.
    pub revenue_min: Option<i64>,
    /// Judge the conditions as the institution may see each firm, not only by its record: the
    /// set returned is then exactly the firms that pass (see `AsSeen`).
    pub as_seen: Option<AsSeen>,
}

/// How an institution sees a firm, for judging conditions in the database exactly as the
/// screening judges them on the facts consent leaves (`consented` in the web crate): the district
/// is public; a tier is met when it is on the public titled list, or the firm holds its title and
/// a consent covers `titles`, or it meets the tier now (without the title) and a consent covers
/// `evaluations`; size and ecosystem need `profile`; a revenue floor needs `financials` — the
/// figure under a consent that shows figures, the lower bound of the figure's band under a
/// predicates-only one.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsSeen {
    /// The least revenue (stored units) whose band's lower bound reaches the floor: the lowest
    /// band bound at or above it (`None` when no band does). Only read with `revenue_min`.
    pub banded_revenue_min: Option<i64>,
}

/// A firm as a matching sees it, before consent decides what of it may be used.
#[derive(Clone, Debug)]
pub struct Subject {
    pub row: EnterpriseRow,
    /// Tiers whose title the firm holds today (whatever its source).
    pub held: Vec<String>,
    /// Tiers of the public titled list: a decision's title in force today.
    pub public: Vec<String>,
    /// The institution's consents from this firm in force today.
    pub consents: Vec<Consent>,
}

/// Where the store stood when a reader began reading what screenings show (the firms' records,
/// their titles and the consents) or what the whole-register pages compute from (records, titles,
/// yearly figures, chain tags): read it before the rows, then `subjects_changed_since` says
/// whether any of them changed since, whoever wrote (see migrations 0035 and 0036).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectsMark(String);

/// How long PostgreSQL's notes of changes are kept (`forget_subject_changes`): a reader must read
/// again well before a mark is this old.
pub const SUBJECT_CHANGES_KEPT_SECS: i64 = 86_400;

/// One read of a firm's data by an institution, for the access log.
pub struct AccessRead<'a> {
    pub uscc: &'a str,
    pub categories: String,
    pub consent: i64,
}

/// Rows per statement of the access log's batch insert (7 parameters each, well within both
/// backends' limits).
const LOG_CHUNK: usize = 500;

impl Store {
    /// The firms of `set` for institution `inst` on `today`, in code order, each with its titles
    /// and the institution's consents in force: one query, whatever the number of firms.
    pub async fn subjects(
        &self,
        inst: i64,
        today: &str,
        set: SubjectSet<'_>,
    ) -> Result<Vec<Subject>> {
        let Some((firms, mut binds)) = candidates(inst, today, &set) else {
            return Ok(Vec::new());
        };
        // A firm with k titles and m consents comes as k × m rows (both are a handful); they are
        // folded back into one subject below.
        let sql = format!(
            "WITH s AS ({firms}) \
             SELECT {ROW_COLS}, t.tier AS t_tier, t.source AS t_source, \
                    c.id AS c_id, c.categories AS c_categories, c.predicates_only AS c_predicates, \
                    c.purpose AS c_purpose, c.valid_from AS c_from, c.valid_until AS c_until, \
                    (SELECT name FROM institutions WHERE id = c.institution_id) AS c_institution \
             FROM s JOIN enterprises e ON e.uscc = s.uscc \
             LEFT JOIN regions r ON r.code = e.region_code \
             LEFT JOIN titles t ON t.uscc = e.uscc AND t.valid_until >= ? \
             LEFT JOIN consents c ON c.uscc = e.uscc AND c.institution_id = ? AND c.revoked_at IS NULL \
                  AND c.valid_from <= ? AND c.valid_until >= ? \
             ORDER BY e.uscc, t.tier, c.id"
        );
        binds.extend([
            Bind::S(today),
            Bind::I(inst),
            Bind::S(today),
            Bind::S(today),
        ]);
        type Part = (EnterpriseRow, Option<(String, String)>, Option<Consent>);
        let sql = self.sql(&sql).into_owned();
        let parts: Vec<Part> = on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &binds {
                q = b.bind_to(q);
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let row = enterprise_row!(r);
                let title = match r.try_get::<Option<String>, _>("t_tier")? {
                    Some(t) => Some((t, r.try_get::<Option<String>, _>("t_source")?.unwrap_or_default())),
                    None => None,
                };
                let consent = match r.try_get::<Option<i64>, _>("c_id")? {
                    Some(id) => Some(Consent {
                        id,
                        uscc: row.uscc.clone(),
                        institution_id: inst,
                        institution: r.try_get::<Option<String>, _>("c_institution")?.unwrap_or_default(),
                        categories: r.try_get::<Option<String>, _>("c_categories")?.unwrap_or_default(),
                        predicates_only: r.try_get::<Option<i64>, _>("c_predicates")?.unwrap_or(0) != 0,
                        purpose: r.try_get::<Option<String>, _>("c_purpose")?.unwrap_or_default(),
                        valid_from: r.try_get::<Option<String>, _>("c_from")?.unwrap_or_default(),
                        valid_until: r.try_get::<Option<String>, _>("c_until")?.unwrap_or_default(),
                        revoked: false,
                    }),
                    None => None,
                };
                out.push((row, title, consent));
            }
            out
        });
        let mut subjects: Vec<Subject> = Vec::new();
        for (row, title, consent) in parts {
            if subjects.last().is_none_or(|s| s.row.uscc != row.uscc) {
                subjects.push(Subject {
                    row,
                    held: Vec::new(),
                    public: Vec::new(),
                    consents: Vec::new(),
                });
            }
            let Some(s) = subjects.last_mut() else {
                continue;
            };
            if let Some((tier, source)) = title {
                if !s.held.contains(&tier) {
                    s.held.push(tier.clone());
                }
                if source == "decision" && !s.public.contains(&tier) {
                    s.public.push(tier);
                }
            }
            if let Some(c) = consent
                && !s.consents.iter().any(|k| k.id == c.id)
            {
                s.consents.push(c);
            }
        }
        // Newest consent first, as `consents` gives them.
        for s in &mut subjects {
            s.consents.sort_by_key(|c| std::cmp::Reverse(c.id));
        }
        Ok(subjects)
    }

    /// How many firms `subjects` would give without its page (`after`, `limit`), counted up to
    /// `cap` (each set's side read only that far): the count, and whether it reached the cap.
    pub async fn subjects_count(
        &self,
        inst: i64,
        today: &str,
        set: SubjectSet<'_>,
        cap: i64,
    ) -> Result<(i64, bool)> {
        let whole = SubjectSet {
            after: None,
            limit: None,
            ..set
        };
        let mut total = 0;
        for (side, binds) in sides(inst, today, &whole) {
            let sql = self
                .sql(&format!(
                    "SELECT COUNT(*) AS n FROM ({side} LIMIT {}) s",
                    cap + 1 - total
                ))
                .into_owned();
            total += on_pool!(self, p => {
                let mut q = sqlx::query(safe(&sql));
                for b in &binds {
                    q = b.bind_to(q);
                }
                q.fetch_one(p).await?.try_get::<i64, _>("n")?
            });
            if total > cap {
                return Ok((cap, true));
            }
        }
        Ok((total, false))
    }

    /// The store's state now, for `subjects_changed_since`: SQLite's count of changes (one
    /// writer at a time, so the count read before the rows covers them), PostgreSQL's snapshot
    /// (the transactions it sees).
    pub async fn subjects_mark(&self) -> Result<SubjectsMark> {
        Ok(SubjectsMark(match &self.db {
            Db::Sqlite(p) => sqlx::query("SELECT n FROM subject_changes WHERE id = 1")
                .fetch_one(p)
                .await?
                .try_get::<i64, _>("n")?
                .to_string(),
            Db::Postgres(p) => sqlx::query("SELECT pg_current_snapshot()::text AS s")
                .fetch_one(p)
                .await?
                .try_get::<String, _>("s")?,
        }))
    }

    /// Whether a firm's record, a title or a consent changed (committed) since `mark` was read.
    pub async fn subjects_changed_since(&self, mark: &SubjectsMark) -> Result<bool> {
        Ok(match &self.db {
            Db::Sqlite(_) => self.subjects_mark().await? != *mark,
            // A transaction noted since the snapshot, or in progress when it was taken, is not
            // visible in it; one that has not committed yet is not visible here either.
            Db::Postgres(p) => sqlx::query(
                "SELECT 1 AS one FROM subject_changes \
                 WHERE xid >= pg_snapshot_xmin($1::pg_snapshot) \
                 AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot) LIMIT 1",
            )
            .bind(&mark.0)
            .fetch_optional(p)
            .await?
            .is_some(),
        })
    }

    /// Forgets PostgreSQL's notes of changes older than `before` (Unix seconds): a reader must
    /// not keep what it read longer than the notes are kept. Nothing to forget on SQLite.
    pub async fn forget_subject_changes(&self, before: i64) -> Result<u64> {
        match &self.db {
            Db::Sqlite(_) => Ok(0),
            Db::Postgres(p) => Ok(sqlx::query("DELETE FROM subject_changes WHERE at < $1")
                .bind(before)
                .execute(p)
                .await?
                .rows_affected()),
        }
    }

    /// Logs an institution's reads of many firms' data in one transaction (`log_access` for each).
    pub async fn log_accesses(
        &self,
        reads: &[AccessRead<'_>],
        institution: i64,
        user_id: i64,
        route: &str,
    ) -> Result<()> {
        if reads.is_empty() {
            return Ok(());
        }
        let at = now();
        let mut stmts = Vec::new();
        for chunk in reads.chunks(LOG_CHUNK) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let mut binds = Vec::with_capacity(chunk.len() * 7);
            for a in chunk {
                binds.extend([
                    Bind::S(a.uscc),
                    Bind::I(institution),
                    Bind::I(user_id),
                    Bind::S(&a.categories),
                    Bind::S(route),
                    Bind::I(a.consent),
                    Bind::I(at),
                ]);
            }
            stmts.push(stmt(
                format!(
                    "INSERT INTO data_access (uscc, institution_id, user_id, categories, route, consent_id, at) VALUES {values}"
                ),
                binds,
            ));
        }
        self.exec_tx(stmts, None).await
    }
}

/// The codes of the firms of `set`, narrowed and paged, as a query with its parameters; `None`
/// when the set is empty. Each set is a side of its own, disjoint from the sides before it (a
/// titled firm that consents is read as consenting), read in code order from its table's index,
/// so that a page (`after`, `limit`) reads about as many rows as it keeps: every side is cut to
/// the page before the sides are merged.
fn candidates<'a>(
    inst: i64,
    today: &'a str,
    set: &SubjectSet<'a>,
) -> Option<(String, Vec<Bind<'a>>)> {
    let sides = sides(inst, today, set);
    if sides.is_empty() {
        return None;
    }
    let limit = set.limit.map(|l| format!(" ORDER BY x.uscc LIMIT {l}"));
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    for (i, (sql, b)) in sides.into_iter().enumerate() {
        parts.push(format!(
            "SELECT uscc FROM ({sql}{}) s{i}",
            limit.as_deref().unwrap_or_default()
        ));
        binds.extend(b);
    }
    let outer = set
        .limit
        .map(|l| format!(" ORDER BY u.uscc LIMIT {l}"))
        .unwrap_or_default();
    Some((
        format!(
            "SELECT u.uscc FROM ({}) u{outer}",
            parts.join(" UNION ALL ")
        ),
        binds,
    ))
}

/// The sides of `candidates`: each a query of `x.uscc` (distinct) with its parameters.
fn sides<'a>(inst: i64, today: &'a str, set: &SubjectSet<'a>) -> Vec<(String, Vec<Bind<'a>>)> {
    let only = set.only.unwrap_or("");
    // What each set is, on its table `x`; and, for the sets after it, what excludes its firms.
    let consenting = (
        "consents x WHERE x.institution_id = ? AND x.revoked_at IS NULL \
         AND x.valid_from <= ? AND x.valid_until >= ?",
        vec![Bind::I(inst), Bind::S(today), Bind::S(today)],
        "(SELECT 1 FROM consents k0 WHERE k0.uscc = x.uscc AND k0.institution_id = ? \
         AND k0.revoked_at IS NULL AND k0.valid_from <= ? AND k0.valid_until >= ? LIMIT 1) IS NULL",
    );
    let titled = (
        "titles x WHERE x.source = 'decision' AND x.valid_until >= ?",
        vec![Bind::S(today)],
        "(SELECT 1 FROM titles t0 WHERE t0.uscc = x.uscc AND t0.source = 'decision' \
         AND t0.valid_until >= ? LIMIT 1) IS NULL",
    );
    let needs = ("needs x WHERE x.status = 'open'", Vec::new(), "");
    let chosen = [
        (set.consenting, consenting),
        (set.titled, titled),
        (set.open_needs, needs),
    ];
    let (narrow, narrow_binds) = narrowing(inst, today, set);
    let mut out = Vec::new();
    let mut before: Vec<(&str, Vec<Bind<'a>>)> = Vec::new();
    for (wanted, (from, b, excluded)) in chosen {
        if !wanted {
            continue;
        }
        let mut wh = vec!["(? = '' OR x.uscc = ?)".to_owned()];
        let mut binds = b.clone();
        binds.extend([Bind::S(only), Bind::S(only)]);
        for (not, nb) in &before {
            wh.push((*not).to_owned());
            binds.extend(nb.iter().cloned());
        }
        // The firm and the conditions on it: a lookup per row of the set, as a scalar subquery
        // (as a join, PostgreSQL may merge the set with every firm in code order).
        let mut firm = vec!["e.uscc = x.uscc".to_owned()];
        firm.extend(narrow.iter().cloned());
        wh.push(format!(
            "(SELECT 1 FROM enterprises e WHERE {} LIMIT 1) IS NOT NULL",
            firm.join(" AND ")
        ));
        binds.extend(narrow_binds.iter().cloned());
        if let Some(a) = set.after {
            wh.push("x.uscc > ?".into());
            binds.push(Bind::S(a));
        }
        out.push((
            format!(
                "SELECT DISTINCT x.uscc FROM {from} AND {}",
                wh.join(" AND ")
            ),
            binds,
        ));
        before.push((excluded, b));
    }
    out
}

/// The conditions `set.narrow` puts on each firm `e`, with their parameters.
fn narrowing<'a>(inst: i64, today: &'a str, set: &SubjectSet<'a>) -> (Vec<String>, Vec<Bind<'a>>) {
    let n = &set.narrow;
    let mut wh: Vec<String> = Vec::new();
    let mut binds = Vec::new();
    if let Some(seen) = n.as_seen {
        as_seen(inst, today, n, seen, &mut wh, &mut binds);
    }
    for (col, v) in [
        ("region_code", n.region),
        ("size", n.size),
        ("ecosystem", n.ecosystem),
    ] {
        if let Some(v) = v {
            wh.push(format!("e.{col} = ?"));
            binds.push(Bind::S(v));
        }
    }
    if let Some(min) = n.revenue_min.filter(|_| n.as_seen.is_none()) {
        wh.push("e.revenue >= ?".into());
        binds.push(Bind::I(min));
    }
    if let Some(t) = n.tier.filter(|_| n.as_seen.is_none()) {
        match crate::tier_column(t) {
            Some(col) => {
                wh.push(format!(
                    "(e.{col} = 'pass' OR (SELECT 1 FROM titles t2 WHERE t2.uscc = e.uscc AND t2.tier = ? AND t2.valid_until >= ? LIMIT 1) IS NOT NULL)"
                ));
                binds.push(Bind::S(col));
                binds.push(Bind::S(today));
            }
            None => wh.push("1 = 0".into()),
        }
    }
    (wh, binds)
}

/// The conditions of `n` that consent decides, as the institution sees each firm (`AsSeen`); the
/// district, size and ecosystem values themselves are compared by the caller.
fn as_seen<'a>(
    inst: i64,
    today: &'a str,
    n: &Narrow<'a>,
    seen: AsSeen,
    wh: &mut Vec<String>,
    binds: &mut Vec<Bind<'a>>,
) {
    // A consent of the institution in force covering a category (`Consent::covers`: one of its
    // comma-separated categories); `figures` when it must also show figures.
    let covers = |category: &'static str, figures: bool, binds: &mut Vec<Bind<'a>>| {
        binds.extend([
            Bind::I(inst),
            Bind::S(today),
            Bind::S(today),
            Bind::S(category),
        ]);
        format!(
            "(SELECT 1 FROM consents k WHERE k.uscc = e.uscc AND k.institution_id = ? \
             AND k.revoked_at IS NULL AND k.valid_from <= ? AND k.valid_until >= ? \
             AND (',' || k.categories || ',') LIKE ?{} LIMIT 1) IS NOT NULL",
            if figures {
                " AND k.predicates_only = 0"
            } else {
                ""
            }
        )
    };
    if n.size.is_some() || n.ecosystem.is_some() {
        wh.push(covers("%,profile,%", false, binds));
    }
    if let Some(min) = n.revenue_min {
        let figures = covers("%,financials,%", true, binds);
        binds.push(Bind::I(min));
        match seen.banded_revenue_min {
            Some(banded) => {
                let any = covers("%,financials,%", false, binds);
                binds.push(Bind::I(banded));
                wh.push(format!(
                    "(({figures} AND e.revenue >= ?) OR ({any} AND e.revenue >= ?))"
                ));
            }
            None => wh.push(format!("({figures} AND e.revenue >= ?)")),
        }
    }
    if let Some(t) = n.tier {
        let Some(col) = crate::tier_column(t) else {
            wh.push("1 = 0".into());
            return;
        };
        let title = |public: bool| {
            format!(
                "(SELECT 1 FROM titles t2 WHERE t2.uscc = e.uscc AND t2.tier = ? AND t2.valid_until >= ?{} LIMIT 1)",
                if public {
                    " AND t2.source = 'decision'"
                } else {
                    ""
                }
            )
        };
        let public = title(true);
        binds.extend([Bind::S(col), Bind::S(today)]);
        let held = title(false);
        binds.extend([Bind::S(col), Bind::S(today)]);
        let titles = covers("%,titles,%", false, binds);
        let unheld = title(false);
        binds.extend([Bind::S(col), Bind::S(today)]);
        let evaluations = covers("%,evaluations,%", false, binds);
        wh.push(format!(
            "({public} IS NOT NULL OR ({held} IS NOT NULL AND {titles}) \
             OR (e.{col} = 'pass' AND {unheld} IS NULL AND {evaluations}))"
        ));
    }
}
