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
        let scope_len = wh.len();
        // The filters `enterprise_counts` counts by (column, value), to read the total there when
        // they are the only conditions.
        let mut counted: Vec<(&str, String)> = Vec::new();
        if let Some(r) = f.region.as_deref().filter(|r| !r.is_empty()) {
            wh.push(format!("{region_col} = ?"));
            binds.push(r.to_owned());
            counted.push(("region_code", r.to_owned()));
        }
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
        for (col, v) in [
            ("size", &f.size),
            ("top_tier", &f.top_tier),
            ("ecosystem", &f.ecosystem),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                wh.push(format!("e.{col} = ?"));
                binds.push(v.to_owned());
                counted.push((col, v.to_owned()));
            }
        }
        // A chain filter drives the list from the (chain, uscc) index: the tags of one chain in key
        // order, each joined to its enterprise, so that a page or a capped count reads only as
        // many tags as it needs. (As `IN (subquery)` SQLite built the chain's whole list on every
        // request, 4–20 ms on 1,000,000 enterprises; as a correlated EXISTS it probed every
        // enterprise.) The key column is then the tag's, so that the order comes from that index,
        // and so is the region: "a chain in a district" reads (chain, region, uscc) in order.
        // A title without a chain drives the list the same way from the (tier, uscc) index of the
        // titles: a tier's holders in key order, each joined to its enterprise (as a correlated
        // EXISTS it probed every enterprise until enough held the title: 0.3 s to count the
        // little giants of 1,000,000 enterprises, 7 ms so).
        let title = f.title.as_deref().filter(|v| !v.is_empty());
        let (from, key) = match (chain, title) {
            (Some(c), _) => {
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
            (None, Some(tier)) => {
                wh.push("tt.tier = ? AND tt.valid_until >= ?".into());
                binds.push(tier.to_owned());
                binds.push(f.today.format("%Y-%m-%d").to_string());
                (
                    "titles tt JOIN enterprises e ON e.uscc = tt.uscc",
                    "tt.uscc",
                )
            }
            (None, None) => ("enterprises e", "e.uscc"),
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
        if let Some(tier) = title.filter(|_| chain.is_some()) {
            wh.push("EXISTS (SELECT 1 FROM titles t WHERE t.uscc = e.uscc AND t.tier = ? AND t.valid_until >= ?)".into());
            binds.push(tier.to_owned());
            binds.push(f.today.format("%Y-%m-%d").to_string());
        }
        // A search: a code matches exactly (by the primary key); anything else goes through the
        // search index this instance keeps in memory (`search.rs`).
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
            // Filtered by district, tier, size and ecosystem alone (or not at all): the exact
            // total, as the dashboard counts it.
            let total = if scope.uscc.is_none() && wh.len() == scope_len + counted.len() {
                Some(self.counted(scope, &counted).await?)
            } else {
                None
            };
            return self
                .list_by_key(from, key, wh, binds, chain.is_some(), f, total)
                .await;
        };
        // Where the index looks: the scope and the filters it keeps (`search::ATTRS`); every
        // other condition is the database's.
        let mut within = crate::search::Within {
            code: scope.uscc.clone(),
            ..Default::default()
        };
        within.attrs[0] = scope.regions.clone();
        for (col, v) in &counted {
            let Some(i) = crate::search::ATTRS.iter().position(|a| a == col) else {
                continue;
            };
            within.attrs[i] = Some(match within.attrs[i].take() {
                Some(vs) => vs.into_iter().filter(|x| x == v).collect(),
                None => vec![v.clone()],
            });
        }
        let others = wh.len() > scope_len + counted.len();
        self.expensive(self.search_page(sq, within, others, from, key, wh, binds, f))
            .await
    }

    /// A search's page and its count (see `list`): the index finds, ranks and counts the
    /// matches; the database reads the page's rows — and, when the list has conditions of its
    /// own (a chain, a tier, …), decides them on the matches in the index's order, a chunk at a
    /// time, the count then capped as a list's is. Every page is read with the list's whole
    /// condition, scope included, so that a firm changed since the index last read it is shown
    /// only as the database has it.
    ///
    /// Whether the index holds every change the page's rows show is read with the rows, in the
    /// same statement (one snapshot), instead of by a query of its own before each search: the
    /// counter of search generations commits in order (`fresh_search`), so when the rows'
    /// snapshot reads a generation the index has read, the index holds every change that
    /// snapshot sees. When it reads a later one, the index reads the changes and the search is
    /// made again — once: by then the index holds every change committed before this request
    /// began, which is what a search before this one promised too. A search that reads no row
    /// (no match) asks the counter alone.
    #[allow(clippy::too_many_arguments)]
    async fn search_page(
        &self,
        sq: crate::search::Query,
        within: crate::search::Within,
        others: bool,
        from: &str,
        key: &str,
        wh: Vec<String>,
        binds: Vec<String>,
        f: &Filter,
    ) -> Result<ListPage> {
        if self.search.generation().is_none() {
            self.fresh_search().await?;
        }
        let mut again = true;
        loop {
            let held = self.search.generation().unwrap_or(0);
            let (page, seen) = self
                .search_once(&sq, &within, others, from, key, &wh, &binds, f)
                .await?;
            let seen = match seen {
                Some(g) => g,
                None => self.search_counter().await?,
            };
            if seen > held && again {
                self.refresh_search_to(seen).await?;
                again = false;
                continue;
            }
            return Ok(page);
        }
    }

    /// One reading of a search's page (`search_page`) on the index as it stands, with the
    /// search generation the rows' snapshot read (`None` when no row was read).
    #[allow(clippy::too_many_arguments)]
    async fn search_once(
        &self,
        sq: &crate::search::Query,
        within: &crate::search::Within,
        others: bool,
        from: &str,
        key: &str,
        wh: &[String],
        binds: &[String],
        f: &Filter,
    ) -> Result<(ListPage, Option<i64>)> {
        use crate::search::{Key, Want};
        let limit = usize::try_from(f.per_page.clamp(1, 200)).unwrap_or(20);
        let after = f.after.as_deref().and_then(Key::parse);
        let before = f.before.as_deref().and_then(Key::parse);
        let want = match (&before, others) {
            (Some(b), false) => Want::Before(b.clone(), limit + 1),
            (None, false) => Want::After(after.clone(), limit + 1),
            (_, true) => Want::AllAfter(None),
        };
        // A search answered before and not changed since is recalled here, at once. Otherwise
        // one reading few entries (`Index::cost`: a pair's page, a rare pair) runs on this
        // thread — handing it to another costs more than it does; one reading many (a pair
        // narrowed by district, a run confirmed on many texts, single characters: a
        // millisecond to tens of them at a million firms) on a thread of its own, so that the
        // requests sharing this one are not held up behind it.
        const INLINE: usize = 20_000;
        let (recalled, cost) = {
            let ix = self
                .search
                .index
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match ix.recalled(sq, within, &want) {
                Some(found) => (Some(found), 0),
                None => (None, ix.cost(sq, within, &want)),
            }
        };
        let found = match recalled {
            Some(found) => found,
            None if cost > INLINE => {
                let (state, sq, within) = (self.search.clone(), sq.clone(), within.clone());
                tokio::task::spawn_blocking(move || {
                    let ix = state
                        .index
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    ix.search(&sq, &within, &want)
                })
                .await
                .map_err(|e| StoreError::Conflict(format!("the search failed: {e}")))?
            }
            None => self
                .search
                .index
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .search(sq, within, &want),
        };
        let cond = if wh.is_empty() {
            String::new()
        } else {
            format!("{} AND ", wh.join(" AND "))
        };
        // The rows of some codes that meet the list's conditions, in the order of the codes, and
        // the search generation of their snapshot (`search_page`; `None` when no row was read).
        // SQLite keeps the statement prepared, its list of codes padded to a power of two (the
        // last code repeated) so that a few texts serve every page; PostgreSQL plans each anew
        // (a kept statement there may switch to a plan made for no code in particular).
        let sqlite = matches!(self.db, Db::Sqlite(_));
        let rows_of = |codes: Vec<Key>| {
            let slots = if sqlite {
                codes.len().next_power_of_two().max(8)
            } else {
                codes.len()
            };
            let sql = format!(
                "SELECT {ROW_COLS}, (SELECT n FROM search_generation WHERE id = 1) AS search_seen \
                 FROM {from} LEFT JOIN regions r ON r.code = e.region_code WHERE {cond}{key} IN ({})",
                vec!["?"; slots].join(", ")
            );
            let mut b = binds.to_vec();
            b.extend(codes.iter().map(|k| k.code.clone()));
            if let Some(last) = codes.last() {
                b.resize(binds.len() + slots, last.code.clone());
            }
            async move {
                if codes.is_empty() {
                    return Ok((Vec::new(), None));
                }
                let sql = self.sql(&sql).into_owned();
                let (rows, seen): (Vec<EnterpriseRow>, Option<i64>) = on_pool!(self, p => {
                    let mut q = sqlx::query(safe(&sql)).persistent(sqlite);
                    for v in &b {
                        q = q.bind(v);
                    }
                    let rows = q.fetch_all(p).await?;
                    let seen = match rows.first() {
                        Some(r) => Some(r.try_get::<i64, _>("search_seen")?),
                        None => None,
                    };
                    (rows.iter().map(|r| Ok(enterprise_row!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?, seen)
                });
                let mut by_code: std::collections::HashMap<String, EnterpriseRow> =
                    rows.into_iter().map(|r| (r.uscc.clone(), r)).collect();
                Ok::<_, StoreError>((
                    codes
                        .into_iter()
                        .filter_map(|k| by_code.remove(&k.code).map(|r| (k, r)))
                        .collect::<Vec<_>>(),
                    seen,
                ))
            }
        };
        if !others {
            let more = found.keys.len() > limit;
            let mut keys = found.keys;
            if more {
                if before.is_some() {
                    keys.remove(0);
                } else {
                    keys.truncate(limit);
                }
            }
            let (page, seen) = rows_of(keys).await?;
            let first = page.first().map(|(k, _)| k.cursor());
            let last = page.last().map(|(k, _)| k.cursor());
            let (next, prev) = if before.is_some() {
                (last, if more { first } else { None })
            } else {
                (if more { last } else { None }, after.as_ref().and(first))
            };
            return Ok((
                ListPage {
                    total: i64::try_from(found.total)
                        .unwrap_or(i64::MAX)
                        .min(if found.capped { COUNT_CAP } else { i64::MAX }),
                    total_capped: found.capped,
                    items: page.into_iter().map(|(_, r)| r).collect(),
                    next,
                    prev,
                },
                seen,
            ));
        }
        // Conditions of the database's: the matches in order, a chunk at a time, until the page
        // is full and the count reaches its cap (or the matches run out).
        const CHUNK: usize = 500;
        let (mut total, mut items, mut more, mut seen) = (0i64, Vec::new(), false, None);
        // Backwards, the last `limit + 1` matches before the cursor (one more tells whether
        // there is a page before them).
        let mut prev_keys: std::collections::VecDeque<(Key, EnterpriseRow)> =
            std::collections::VecDeque::new();
        for chunk in found.keys.chunks(CHUNK) {
            // Once the count is past its cap, only the page's chunks are still read.
            let past_before = before
                .as_ref()
                .is_some_and(|b| chunk.first().is_some_and(|k| k >= b));
            if total > COUNT_CAP && (more || past_before) {
                break;
            }
            let (rows, read) = rows_of(chunk.to_vec()).await?;
            seen = seen.max(read);
            for (k, r) in rows {
                total += 1;
                let is_after = after.as_ref().is_none_or(|a| k > *a);
                let is_before = before.as_ref().is_some_and(|b| k < *b);
                if before.is_some() {
                    if is_before {
                        prev_keys.push_back((k, r));
                        if prev_keys.len() > limit + 1 {
                            prev_keys.pop_front();
                        }
                    }
                } else if is_after {
                    if items.len() < limit {
                        items.push((k, r));
                    } else {
                        more = true;
                    }
                }
            }
        }
        let (items, next, prev) = if before.is_some() {
            let n = prev_keys.len();
            let page: Vec<(Key, EnterpriseRow)> = prev_keys
                .into_iter()
                .skip(n.saturating_sub(limit))
                .collect();
            let prev = (n > limit)
                .then(|| page.first().map(|(k, _)| k.cursor()))
                .flatten();
            let next = page.last().map(|(k, _)| k.cursor());
            (page, next, prev)
        } else {
            let next = more
                .then(|| items.last().map(|(k, _): &(Key, EnterpriseRow)| k.cursor()))
                .flatten();
            let prev = after.as_ref().and(items.first().map(|(k, _)| k.cursor()));
            (items, next, prev)
        };
        Ok((
            ListPage {
                total: total.min(COUNT_CAP),
                total_capped: total > COUNT_CAP,
                items: items.into_iter().map(|(_, r)| r).collect(),
                next,
                prev,
            },
            seen,
        ))
    }

    /// Brings this instance's search index up to the store: built from every enterprise the
    /// first time, then from those whose search generation is greater than the one it has read.
    /// A writer takes the next generation in its transaction and holds that row until it commits
    /// (`SEARCH_GENERATION_NEXT`), so generations commit in order: once the counter reads g,
    /// every change up to g is committed and is read here — read again if it was read already,
    /// which changes nothing. One refresh at a time per instance; the others wait for it.
    pub async fn fresh_search(&self) -> Result<()> {
        let g = self.search_counter().await?;
        if self.search.generation() == Some(g) {
            return Ok(());
        }
        self.refresh_search_to(g).await
    }

    /// The search generation committed last.
    async fn search_counter(&self) -> Result<i64> {
        let counter = self.sql("SELECT n FROM search_generation WHERE id = 1");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&counter)).fetch_one(p).await?.try_get::<i64, _>("n")?
        }))
    }

    /// Brings the index up to at least generation `g` (`fresh_search`).
    async fn refresh_search_to(&self, g: i64) -> Result<()> {
        // The refresh runs on its own: a request that gives up waiting (its time limit) leaves
        // it to finish for the next.
        let me = self.clone();
        tokio::spawn(async move { me.refresh_search(g).await })
            .await
            .map_err(|e| StoreError::Conflict(format!("the search index failed: {e}")))?
    }

    /// `fresh_search`'s reading, up to at least generation `g`.
    async fn refresh_search(&self, g: i64) -> Result<()> {
        let _one = self.search.refresh.lock().await;
        let have = self.search.generation();
        if have.is_some_and(|h| h >= g) {
            return Ok(());
        }
        // Pages of enterprises: all of them in code order, or the changed in generation order.
        const PAGE: i64 = 20_000;
        let sql = match have {
            None => self.sql(
                "SELECT uscc, name, main_products, region_code, top_tier, size, ecosystem, search_seq \
                 FROM enterprises WHERE uscc > ? ORDER BY uscc LIMIT ?",
            ),
            Some(_) => self.sql(
                "SELECT uscc, name, main_products, region_code, top_tier, size, ecosystem, search_seq \
                 FROM enterprises WHERE search_seq > ? AND (search_seq > ? OR (search_seq = ? AND uscc > ?)) \
                 ORDER BY search_seq, uscc LIMIT ?",
            ),
        }
        .into_owned();
        let (mut seq, mut code) = (have.unwrap_or(0), String::new());
        loop {
            /// A code, a name, products, the `ATTRS` and a search generation.
            struct Row(String, String, Option<String>, [Option<String>; 4], i64);
            let rows: Vec<Row> = on_pool!(self, p => {
                let mut q = sqlx::query(safe(&sql)).persistent(false);
                q = match have {
                    None => q.bind(code.clone()),
                    Some(h) => q.bind(h).bind(seq).bind(seq).bind(code.clone()),
                };
                let rows = q.bind(PAGE).fetch_all(p).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut attrs: [Option<String>; 4] = Default::default();
                    for (a, col) in attrs.iter_mut().zip(crate::search::ATTRS) {
                        *a = r.try_get(col)?;
                    }
                    out.push(Row(
                        r.try_get("uscc")?,
                        r.try_get("name")?,
                        r.try_get("main_products")?,
                        attrs,
                        r.try_get("search_seq")?,
                    ));
                }
                out
            });
            let Some(last) = rows.last() else { break };
            (seq, code) = (last.4, last.0.clone());
            let full = rows.len() as i64 == PAGE;
            let state = self.search.clone();
            tokio::task::spawn_blocking(move || {
                let mut ix = state
                    .index
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for Row(uscc, name, products, attrs, _) in &rows {
                    ix.upsert(&crate::search::Entry {
                        code: uscc,
                        name,
                        products: products.as_deref(),
                        attrs: [0, 1, 2, 3].map(|i| attrs[i].as_deref()),
                    });
                }
            })
            .await
            .map_err(|e| StoreError::Conflict(format!("the search index failed: {e}")))?;
            if !full {
                break;
            }
        }
        *self
            .search
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(g);
        Ok(())
    }

    /// How many enterprises within `scope` (districts only) have the values `counted` of
    /// `enterprise_counts`' columns: exact, from the counts every import and move keeps.
    async fn counted(&self, scope: &Scope, counted: &[(&str, String)]) -> Result<i64> {
        let Some((mut wh, mut binds)) = scope_cond(scope, "c.region_code") else {
            return Ok(0);
        };
        for (col, v) in counted {
            wh.push(format!("c.{col} = ?"));
            binds.push(v.clone());
        }
        let cond = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        let sql = self
            .sql(&format!(
                "SELECT CAST(COALESCE(SUM(c.n), 0) AS BIGINT) AS n FROM enterprise_counts c {cond}"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &binds {
                q = q.bind(b);
            }
            q.fetch_one(p).await?.try_get::<i64, _>("n")?
        }))
    }

    /// A page and its count in key order (no search, or a search by code): the count `total`
    /// when it is known (exact), else counted up to `COUNT_CAP`.
    #[allow(clippy::too_many_arguments)]
    async fn list_by_key(
        &self,
        from: &str,
        key: &str,
        wh: Vec<String>,
        binds: Vec<String>,
        by_chain: bool,
        f: &Filter,
        known: Option<i64>,
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
        let total: i64 = match known {
            Some(n) => n,
            None => on_pool!(self, p => {
                let mut q = sqlx::query(safe(&count_sql));
                for b in &binds {
                    q = q.bind(b);
                }
                q.fetch_one(p).await?.try_get("n")?
            }),
        };
        let capped = known.is_none() && total > COUNT_CAP;
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
            total: if capped { COUNT_CAP } else { total },
            total_capped: capped,
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
    pub(crate) async fn rows_page(
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
        // The counts by district and by ecosystem are those the lists read (`counted`).
        let (by_region, by_eco) = match scope_cond(scope, "c.region_code") {
            Some((cw, _)) if scope.uscc.is_none() => {
                let c = if cw.is_empty() {
                    "1 = 1".to_owned()
                } else {
                    cw.join(" AND ")
                };
                (
                    format!(
                        "SELECT NULLIF(c.region_code, '') AS k, r.name AS label, c.top_tier AS tier, CAST(SUM(c.n) AS BIGINT) AS n \
                         FROM enterprise_counts c LEFT JOIN regions r ON r.code = c.region_code WHERE {c} \
                         GROUP BY c.region_code, r.name, c.top_tier HAVING SUM(c.n) > 0"
                    ),
                    format!(
                        "SELECT NULLIF(c.ecosystem, '') AS k, NULLIF(c.ecosystem, '') AS label, c.top_tier AS tier, \
                         CAST(SUM(c.n) AS BIGINT) AS n FROM enterprise_counts c WHERE {c} \
                         GROUP BY c.ecosystem, c.top_tier HAVING SUM(c.n) > 0"
                    ),
                )
            }
            _ => (
                format!(
                    "SELECT e.region_code AS k, r.name AS label, e.top_tier AS tier, COUNT(*) AS n FROM enterprises e \
                     LEFT JOIN regions r ON r.code = e.region_code WHERE {cond} GROUP BY e.region_code, r.name, e.top_tier"
                ),
                format!(
                    "SELECT e.ecosystem AS k, e.ecosystem AS label, e.top_tier AS tier, COUNT(*) AS n FROM enterprises e \
                     WHERE {cond} GROUP BY e.ecosystem, e.top_tier"
                ),
            ),
        };
        let by_region = self.sql(&by_region).into_owned();
        let by_eco = self.sql(&by_eco).into_owned();
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

/// The search index an instance keeps, and what of the store it has read.
#[derive(Default)]
pub(crate) struct Searchable {
    index: std::sync::RwLock<crate::search::Index>,
    /// The search generation read up to (`None`: not built yet).
    read: std::sync::Mutex<Option<i64>>,
    /// Held by the one refresh at a time.
    refresh: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Searchable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searchable")
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

impl Searchable {
    /// The search generation the index has read up to.
    fn generation(&self) -> Option<i64> {
        *self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
