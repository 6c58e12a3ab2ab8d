//! The register as the bureau reads it: the filtered, paged list and the dashboard's aggregates.

use super::*;
use zjtx_core::{Size, TopTier, Verdict};

/// The columns of a list row (`e` the enterprise, `r` its region).
pub(crate) const ROW_COLS: &str = "e.uscc, e.name, e.region_code, r.name AS region_name, e.industry_code, e.ecosystem, e.latest_year, \
     e.rules, e.size, e.innovative, e.tech_sme, e.srdi, e.giant, e.top_tier, e.revenue, e.employees";

/// An `EnterpriseRow` from a row holding `ROW_COLS`.
macro_rules! enterprise_row {
    ($r:ident) => {
        EnterpriseRow {
            uscc: $r.try_get("uscc")?,
            name: $r.try_get("name")?,
            region_code: $r.try_get("region_code")?,
            region_name: $r.try_get("region_name")?,
            industry_code: $r.try_get("industry_code")?,
            ecosystem: $r.try_get("ecosystem")?,
            latest_year: $r.try_get("latest_year")?,
            rules: $r.try_get("rules")?,
            size: decoded("size", $r.try_get("size")?, Size::from_key)?,
            innovative: decoded("innovative", $r.try_get("innovative")?, Verdict::from_key)?,
            tech_sme: decoded("tech_sme", $r.try_get("tech_sme")?, Verdict::from_key)?,
            srdi: decoded("srdi", $r.try_get("srdi")?, Verdict::from_key)?,
            giant: decoded("giant", $r.try_get("giant")?, Verdict::from_key)?,
            top_tier: decoded("top_tier", $r.try_get("top_tier")?, TopTier::from_key)?,
            revenue: $r.try_get("revenue")?,
            employees: $r.try_get("employees")?,
        }
    };
}
pub(crate) use enterprise_row;

impl Store {
    /// One page of enterprises matching a filter, in USCC order after `filter.after` (keyset
    /// paging, which stays fast however deep the page), with the total count.
    pub async fn list(&self, f: &Filter, scope: &Scope) -> Result<ListPage> {
        let chain = f.chain.as_deref().filter(|v| !v.is_empty());
        // With a chain, the region is read from the tag's copy (see the chain filter below).
        let region_col = if chain.is_some() {
            "ch.region_code"
        } else {
            "e.region_code"
        };
        let Some((mut wh, mut binds)) = scope_cond(scope, region_col) else {
            return Ok(ListPage::default());
        };
        let today = f.today.format("%Y-%m-%d").to_string();
        if let Some(tier) = f.candidate.as_deref().and_then(tier_column) {
            // Passes the tier now but does not hold its title: the proactive-discovery list.
            wh.push(format!("e.{tier} = 'pass' AND NOT EXISTS (SELECT 1 FROM titles t WHERE t.uscc = e.uscc AND t.tier = ? AND t.valid_until >= ?)"));
            binds.push(tier.to_owned());
            binds.push(today.clone());
        }
        if let Some(tier) = f.expiring.as_deref().and_then(tier_column) {
            wh.push("EXISTS (SELECT 1 FROM titles t WHERE t.uscc = e.uscc AND t.tier = ? AND t.valid_until >= ? AND t.valid_until <= ?)".into());
            binds.push(tier.to_owned());
            binds.push(today.clone());
            binds.push(months_after(f.today, f.expiring_months));
        }
        if let Some(r) = f.region.as_deref().filter(|r| !r.is_empty()) {
            wh.push(format!("{region_col} = ?"));
            binds.push(r.to_owned());
        }
        for (col, v) in [
            ("e.size", &f.size),
            ("e.top_tier", &f.top_tier),
            ("e.ecosystem", &f.ecosystem),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                wh.push(format!("{col} = ?"));
                binds.push(v.to_owned());
            }
        }
        // A chain filter drives the list from the (chain, uscc) index: the tags of one chain in key
        // order, each joined to its enterprise, so that a page or a capped count reads only as
        // many tags as it needs. (As `IN (subquery)` SQLite built the chain's whole list on every
        // request, 4–20 ms on 1,000,000 enterprises; as a correlated EXISTS it probed every
        // enterprise.) The key column is then the tag's, so that the order comes from that index,
        // and so is the region: "a chain in a district" reads (chain, region, uscc) in order.
        let (from, key) = match chain {
            Some(c) => {
                wh.push("ch.chain = ?".into());
                binds.push(c.to_owned());
                if let Some(seg) = f.segment.as_deref().filter(|v| !v.is_empty()) {
                    wh.push("EXISTS (SELECT 1 FROM enterprise_segments sg WHERE sg.uscc = ch.uscc AND sg.chain = ch.chain AND sg.segment = ?)".into());
                    binds.push(seg.to_owned());
                }
                (
                    "enterprise_chains ch JOIN enterprises e ON e.uscc = ch.uscc",
                    "ch.uscc",
                )
            }
            None => ("enterprises e", "e.uscc"),
        };
        if let Some(sec) = f.section.as_deref().filter(|v| !v.is_empty()) {
            wh.push("e.industry_code LIKE ?".into());
            binds.push(format!("{sec}%"));
        }
        // Revenue of the latest year, in units of 1/10000 万元; bound as text and cast, since every
        // value of this builder is text.
        if let Some(min) = f.revenue_min {
            wh.push("e.revenue >= CAST(? AS BIGINT)".into());
            binds.push(min.to_string());
        }
        if let Some(max) = f.revenue_max {
            wh.push("e.revenue <= CAST(? AS BIGINT)".into());
            binds.push(max.to_string());
        }
        if let Some(tier) = f.title.as_deref().filter(|v| !v.is_empty()) {
            wh.push("EXISTS (SELECT 1 FROM titles t WHERE t.uscc = e.uscc AND t.tier = ? AND t.valid_until >= ?)".into());
            binds.push(tier.to_owned());
            binds.push(f.today.format("%Y-%m-%d").to_string());
        }
        // A search: a code matches exactly (by the primary key); anything else goes through the
        // gram index (`search.rs`), the list then driven from one gram's entries in code order.
        let mut search = None;
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            if let Ok(code) = zjtx_core::ids::Uscc::parse(q) {
                wh.push("e.uscc = ?".into());
                binds.push(code.to_string());
            } else {
                match crate::search::query(q) {
                    Some(sq) => search = Some(sq),
                    // Nothing a name could contain (only punctuation): nothing matches.
                    None => wh.push("1 = 0".into()),
                }
            }
        }
        let Some(sq) = search else {
            return self
                .list_by_key(from, key, wh, binds, chain.is_some(), f)
                .await;
        };
        if sq.grams.is_empty() {
            // Single characters only: a substring scan in key order, within the searches' share.
            for run in &sq.confirm {
                wh.push("(LOWER(e.name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(e.main_products, '')) LIKE ? ESCAPE '\\')".into());
                let pattern = format!("%{}%", crate::search::like_escape(run));
                binds.push(pattern.clone());
                binds.push(pattern);
            }
            return self
                .expensive(self.list_by_key(from, key, wh, binds, chain.is_some(), f))
                .await;
        }
        self.expensive(self.search_page(sq, chain.is_some(), wh, binds, f))
            .await
    }

    /// A search's page and capped count (see `list`). A match holds every pair of the query in
    /// its name or its products (and each confirmed run as a substring of either). Ranked: names
    /// starting with the query (read from the name-start markers), then firms whose name holds the
    /// query's first pair (read from that pair's name entries), then the others (read from its
    /// product entries, skipping those found by the name) — each rank in code order, so that a
    /// page and a capped count read about as many index entries as they show.
    async fn search_page(
        &self,
        sq: crate::search::Query,
        by_chain: bool,
        wh: Vec<String>,
        binds: Vec<String>,
        f: &Filter,
    ) -> Result<ListPage> {
        use crate::search::{NAME, like_escape};
        // The gram's entries drive, each firm looked up in turn. With a substring to confirm,
        // PostgreSQL misjudges how many names it matches and would rather scan every firm and
        // probe the grams: the lookup is then fenced (`OFFSET 0`) so that it stays a lookup.
        // (Without one it may join a district's firms from their own index, which is faster.)
        let firm = match (&self.db, sq.confirm.is_empty()) {
            (Db::Postgres(_), false) => {
                "CROSS JOIN LATERAL (SELECT * FROM enterprises e0 WHERE e0.uscc = g.uscc OFFSET 0) e"
            }
            _ => "JOIN enterprises e ON e.uscc = g.uscc",
        };
        let chain_join = if by_chain {
            " JOIN enterprise_chains ch ON ch.uscc = g.uscc"
        } else {
            ""
        };
        let from = format!("enterprise_grams g {firm}{chain_join}");
        let from = from.as_str();
        let has = |space: &str| {
            format!(
                "EXISTS (SELECT 1 FROM enterprise_grams {space} WHERE {space}.gram = CAST(? AS BIGINT) AND {space}.uscc = g.uscc)"
            )
        };
        let lead = sq.grams[0];
        let starts = format!("{}%", like_escape(&sq.first));
        // What every match holds beyond its driving entry: the other pairs (name or products), the
        // long runs; and, for ranks 1 and 2, not being of rank 0.
        let common = |rank: u8, exclude_first_rank: bool| {
            let mut w: Vec<String> = Vec::new();
            let mut b: Vec<String> = Vec::new();
            for g in sq.grams.iter().filter(|g| rank == 0 || **g != lead) {
                w.push(format!("({} OR {})", has("gn"), has("gp")));
                b.push((NAME | g).to_string());
                b.push(g.to_string());
            }
            for run in &sq.confirm {
                w.push("(LOWER(e.name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(e.main_products, '')) LIKE ? ESCAPE '\\')".into());
                let pattern = format!("%{}%", like_escape(run));
                b.push(pattern.clone());
                b.push(pattern);
            }
            if rank > 0
                && exclude_first_rank
                && let Some(m) = sq.marker
            {
                w.push(format!(
                    "NOT ({} AND LOWER(e.name) LIKE ? ESCAPE '\\')",
                    has("gm")
                ));
                b.push(m.to_string());
                b.push(starts.clone());
            }
            (w, b)
        };
        // A rank's driving entries and conditions (for a count, without keeping rank 0 apart).
        let rank_of = |rank: u8, for_count: bool| -> Option<(Vec<String>, Vec<String>)> {
            let (mut w, mut b) = (vec!["g.gram = CAST(? AS BIGINT)".to_owned()], Vec::new());
            match rank {
                0 => {
                    b.push(sq.marker?.to_string());
                    w.push("LOWER(e.name) LIKE ? ESCAPE '\\'".into());
                    b.push(starts.clone());
                }
                1 => b.push((NAME | lead).to_string()),
                _ => {
                    b.push(lead.to_string());
                    // A probe per entry, as a scalar subquery: PostgreSQL would turn a top-level
                    // NOT EXISTS into an anti-join hashing every name entry of the pair first.
                    w.push("(SELECT 1 FROM enterprise_grams gx WHERE gx.gram = CAST(? AS BIGINT) AND gx.uscc = g.uscc) IS NULL".into());
                    b.push((NAME | lead).to_string());
                }
            }
            let (cw, cb) = common(rank, !for_count);
            w.extend(cw);
            b.extend(cb);
            let w: Vec<String> = wh.iter().cloned().chain(w).collect();
            let b: Vec<String> = binds.iter().cloned().chain(b).collect();
            Some((w, b))
        };
        // The count: the firms whose name holds the first pair and those whose products alone
        // do are every match. Without a filter or a run to confirm, the index alone answers it.
        let count_from = if wh.is_empty() && sq.confirm.is_empty() {
            "enterprise_grams g"
        } else {
            from
        };
        let mut total = 0i64;
        for rank in [1u8, 2] {
            let Some((w, b)) = rank_of(rank, true) else {
                continue;
            };
            let sql = self
                .sql(&format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {count_from} WHERE {} ORDER BY g.uscc LIMIT {}) t",
                    w.join(" AND "),
                    COUNT_CAP + 1 - total
                ))
                .into_owned();
            total += on_pool!(self, p => {
                let mut q = sqlx::query(safe(&sql)).persistent(false);
                for v in &b {
                    q = q.bind(v);
                }
                q.fetch_one(p).await?.try_get::<i64, _>("n")?
            });
            if total > COUNT_CAP {
                break;
            }
        }
        let (mut rank, mut after) = match f.after.as_deref().and_then(|a| a.split_once(':')) {
            Some((r, u)) => (r.parse::<u8>().unwrap_or(0).min(2), u.to_owned()),
            None => (0, String::new()),
        };
        let limit = i64::from(f.per_page.clamp(1, 200));
        let mut items: Vec<EnterpriseRow> = Vec::new();
        let mut last_rank = rank;
        while rank <= 2 && (items.len() as i64) < limit {
            if let Some((mut w, mut b)) = rank_of(rank, false) {
                w.push("g.uscc > ?".into());
                b.push(after.clone());
                let sql = self
                    .sql(&format!(
                        "SELECT {ROW_COLS} FROM {from} LEFT JOIN regions r ON r.code = e.region_code WHERE {} ORDER BY g.uscc LIMIT ?",
                        w.join(" AND ")
                    ))
                    .into_owned();
                let rows = self
                    .rows_page(&sql, &b, limit - items.len() as i64, false)
                    .await?;
                if !rows.is_empty() {
                    last_rank = rank;
                }
                items.extend(rows);
            }
            rank += 1;
            after.clear();
        }
        let next = (items.len() as i64 == limit)
            .then(|| items.last().map(|i| format!("{last_rank}:{}", i.uscc)))
            .flatten();
        Ok(ListPage {
            total: total.min(COUNT_CAP),
            total_capped: total > COUNT_CAP,
            items,
            next,
            prev: None,
        })
    }

    /// A page and its capped count in key order (no search, or a search by code).
    async fn list_by_key(
        &self,
        from: &str,
        key: &str,
        wh: Vec<String>,
        binds: Vec<String>,
        by_chain: bool,
        f: &Filter,
    ) -> Result<ListPage> {
        let cond = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        // The total is counted up to COUNT_CAP: a paged list needs no more, and the work stays
        // bounded however large the registry (`ListPage::total_capped` says when it was hit).
        // When every condition is on the tag (a chain, with or without a district), the tags alone
        // are counted: each names an existing enterprise, so the count is the same, read from the
        // index without a lookup per row (2,001 lookups cost ~4 ms on 1,000,000 enterprises).
        let count_from = if by_chain && wh.iter().all(|c| c.starts_with("ch.")) {
            "enterprise_chains ch"
        } else {
            from
        };
        let count_sql = self
            .sql(&format!(
                // Ordered by the key so that both planners count from an index instead of
                // scanning the table until enough rows match (PostgreSQL did: 20 ms against 1 ms).
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {count_from} {cond} ORDER BY {key} LIMIT {}) t",
                COUNT_CAP + 1
            ))
            .into_owned();
        // A page forwards (`after`) or backwards (`before`): one row more than shown says whether
        // there is another page that way.
        let before = f.before.clone().filter(|b| !b.is_empty());
        let (op, order) = if before.is_some() {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let page_cond = if wh.is_empty() {
            format!("WHERE {key} {op} ?")
        } else {
            format!("{cond} AND {key} {op} ?")
        };
        let page_sql = self
            .sql(&format!(
                "SELECT {ROW_COLS} FROM {from} LEFT JOIN regions r ON r.code = e.region_code {page_cond} ORDER BY {key} {order} LIMIT ?"
            ))
            .into_owned();
        let limit = i64::from(f.per_page.clamp(1, 200));
        let total: i64 = on_pool!(self, p => {
            let mut q = sqlx::query(safe(&count_sql));
            for b in &binds {
                q = q.bind(b);
            }
            q.fetch_one(p).await?.try_get("n")?
        });
        let mut b = binds;
        let after = f.after.clone().unwrap_or_default();
        b.push(before.clone().unwrap_or_else(|| after.clone()));
        let mut items = self.rows_page(&page_sql, &b, limit + 1, true).await?;
        let more = items.len() as i64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(0));
        let (next, prev) = if before.is_some() {
            items.reverse();
            (
                items.last().map(|i| i.uscc.clone()),
                more.then(|| items.first().map(|i| i.uscc.clone()))
                    .flatten(),
            )
        } else {
            (
                more.then(|| items.last().map(|i| i.uscc.clone())).flatten(),
                (!after.is_empty())
                    .then(|| items.first().map(|i| i.uscc.clone()))
                    .flatten(),
            )
        };
        Ok(ListPage {
            total: total.min(COUNT_CAP),
            total_capped: total > COUNT_CAP,
            items,
            next,
            prev,
        })
    }

    /// The registry's changes for an incremental exchange: the enterprises within `scope` last
    /// changed after the cursor `since` (a change time and a code; `None` from the start) and no
    /// later than `until`, in change order, at most `limit`, each with its change time. A change
    /// is an import of the firm's row or a move between districts.
    pub async fn changed_since(
        &self,
        scope: &Scope,
        since: Option<(i64, &str)>,
        until: i64,
        limit: i64,
    ) -> Result<Vec<(EnterpriseRow, i64)>> {
        let Some((mut wh, binds)) = scope_cond(scope, "e.region_code") else {
            return Ok(Vec::new());
        };
        wh.push("e.updated_at <= CAST(? AS BIGINT)".into());
        wh.push(
            "(e.updated_at > CAST(? AS BIGINT) OR (e.updated_at = CAST(? AS BIGINT) AND e.uscc > ?))"
                .into(),
        );
        let (at, code) = since.unwrap_or((i64::MIN, ""));
        let sql = self
            .sql(&format!(
                "SELECT {ROW_COLS}, e.updated_at AS changed FROM enterprises e LEFT JOIN regions r ON r.code = e.region_code \
                 WHERE {} ORDER BY e.updated_at, e.uscc LIMIT ?",
                wh.join(" AND ")
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &binds {
                q = q.bind(b);
            }
            let rows = q
                .bind(until.to_string())
                .bind(at.to_string())
                .bind(at.to_string())
                .bind(code)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| Ok((enterprise_row!(r), r.try_get::<i64, _>("changed")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The rows of a page query whose last parameter is its limit.
    /// `persistent: false` plans it anew for its parameters each time (a search: PostgreSQL's
    /// generic plan for "this gram", chosen after a few runs of a prepared statement, assumes an
    /// average gram).
    async fn rows_page(
        &self,
        sql: &str,
        binds: &[String],
        limit: i64,
        persistent: bool,
    ) -> Result<Vec<EnterpriseRow>> {
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(sql)).persistent(persistent);
            for b in binds {
                q = q.bind(b);
            }
            let rows = q.bind(limit).fetch_all(p).await?;
            rows.iter().map(|r| Ok(enterprise_row!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Counts for the dashboard, within a scope.
    /// The dashboard's aggregates; titles "expiring" end within `expiring_months` of `today`.
    pub async fn dashboard(
        &self,
        scope: &Scope,
        today: NaiveDate,
        expiring_months: u32,
    ) -> Result<Dashboard> {
        let Some((wh, binds)) = scope_cond(scope, "e.region_code") else {
            return Ok(Dashboard::default());
        };
        let cond = if wh.is_empty() {
            "1 = 1".to_owned()
        } else {
            wh.join(" AND ")
        };
        let by_region = self.sql(&format!(
            "SELECT e.region_code AS k, r.name AS label, e.top_tier AS tier, COUNT(*) AS n FROM enterprises e \
             LEFT JOIN regions r ON r.code = e.region_code WHERE {cond} GROUP BY e.region_code, r.name, e.top_tier"
        )).into_owned();
        let by_eco = self.sql(&format!(
            "SELECT e.ecosystem AS k, e.ecosystem AS label, e.top_tier AS tier, COUNT(*) AS n FROM enterprises e \
             WHERE {cond} GROUP BY e.ecosystem, e.top_tier"
        )).into_owned();
        let candidates = self.sql(&format!(
            "SELECT COUNT(*) AS n FROM enterprises e WHERE {cond} AND e.TIER = 'pass' AND NOT EXISTS \
             (SELECT 1 FROM titles t WHERE t.uscc = e.uscc AND t.tier = ? AND t.valid_until >= ?)"
        )).into_owned();
        let expiring = self.sql(&format!(
            "SELECT t.tier AS tier, COUNT(*) AS n FROM titles t JOIN enterprises e ON e.uscc = t.uscc \
             WHERE {cond} AND t.valid_until >= ? AND t.valid_until <= ? GROUP BY t.tier"
        )).into_owned();
        let today_s = today.format("%Y-%m-%d").to_string();
        let until = months_after(today, expiring_months);
        Ok(on_pool!(self, p => {
            let mut out = Dashboard::default();
            for (sql, into) in [(&by_region, &mut out.by_region), (&by_eco, &mut out.by_ecosystem)] {
                let mut q = sqlx::query(safe(sql));
                for b in &binds {
                    q = q.bind(b);
                }
                for r in q.fetch_all(p).await? {
                    into.push(CountRow { key: r.try_get("k")?, label: r.try_get("label")?, tier: r.try_get("tier")?, n: r.try_get("n")? });
                }
            }
            for tier in ["giant", "srdi", "innovative", "tech_sme"] {
                let sql = candidates.replace("e.TIER", &format!("e.{tier}"));
                let mut q = sqlx::query(safe(&sql));
                for b in &binds {
                    q = q.bind(b);
                }
                let n: i64 = q.bind(tier).bind(&today_s).fetch_one(p).await?.try_get("n")?;
                out.candidates.push((tier.to_owned(), n));
            }
            let mut q = sqlx::query(safe(&expiring));
            for b in &binds {
                q = q.bind(b);
            }
            for r in q.bind(&today_s).bind(&until).fetch_all(p).await? {
                out.expiring.push((r.try_get("tier")?, r.try_get("n")?));
            }
            out
        }))
    }
}
