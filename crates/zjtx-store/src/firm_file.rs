//! What an enterprise page shows of one firm besides its registry row, read in one statement
//! (issue 15): its years, titles, chains, segments and military qualification, and the counter
//! of the chain lists' changes — one round trip where there were five, all of one snapshot. The
//! lists a tagging user chooses from (chains and segments) are kept in memory per instance and
//! read again only when that counter has moved (migration 0040), so that every instance sees the
//! bureau's edit at its next page.

use std::sync::{Arc, Mutex};

use sqlx::Row;
use zjtx_core::Enterprise;

use super::{Bind, ChainRow, Result, Segment, Store, StoreError, enterprise_from_cells, safe};

/// One firm's file beside its registry row, as one statement read it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FirmFile {
    /// Newest year first.
    pub years: Vec<(i64, Enterprise)>,
    /// (tier, valid until), by tier.
    pub titles: Vec<(String, String)>,
    /// The chains it is tagged with, by name.
    pub chains: Vec<String>,
    /// (chain, segment), by chain then segment.
    pub segments: Vec<(String, String)>,
    /// (certified on, note) when it holds the military qualification.
    pub military: Option<(String, String)>,
    /// The chain lists' change counter, read in the same statement (`Store::chain_lists`).
    pub lists_mark: i64,
}

/// The chains (in `Store::chains`' order) and the segments (by chain, then name), as kept.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainLists {
    pub chains: Vec<ChainRow>,
    pub segments: Vec<Segment>,
}

/// The chain lists an instance keeps, with the counter read before they were.
#[derive(Debug, Default)]
pub(crate) struct KeptLists(Mutex<Option<(i64, Arc<ChainLists>)>>);

impl KeptLists {
    fn get(&self, mark: i64) -> Option<Arc<ChainLists>> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref()
            .filter(|(m, _)| *m == mark)
            .map(|(_, l)| l.clone())
    }

    /// Keeps `lists` read after the counter stood at `mark`, unless newer ones are kept.
    fn put(&self, mark: i64, lists: Arc<ChainLists>) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.as_ref().is_none_or(|(m, _)| *m <= mark) {
            *kept = Some((mark, lists));
        }
    }
}

// The branches' rows in one shape: a kind, two texts. Ordered by kind, then by the texts in the
// database's collation, as each list was ordered when read on its own.
const FILE_SQL: &str = "\
    SELECT 'c' AS k, chain AS a, '' AS b FROM enterprise_chains WHERE uscc = ? \
    UNION ALL SELECT 'm', certified_on, note FROM military_quals WHERE uscc = ? \
    UNION ALL SELECT 'n', CAST(n AS TEXT), '' FROM chain_list_changes WHERE id = 1 \
    UNION ALL SELECT 's', chain, segment FROM enterprise_segments WHERE uscc = ? \
    UNION ALL SELECT 't', tier, valid_until FROM titles WHERE uscc = ? \
    UNION ALL SELECT 'y', CAST(year AS TEXT), cells FROM enterprise_years WHERE uscc = ? \
    ORDER BY k, a, b";

impl Store {
    /// The firm's years, titles, chains, segments and military qualification with the chain
    /// lists' counter, in one statement. An unknown code gives an empty file (the caller has
    /// read the registry row first).
    pub async fn firm_file(&self, uscc: &str) -> Result<FirmFile> {
        let rows: Vec<(String, String, String)> = rows!(
            self,
            FILE_SQL,
            [
                Bind::S(uscc),
                Bind::S(uscc),
                Bind::S(uscc),
                Bind::S(uscc),
                Bind::S(uscc)
            ],
            |r| (r.try_get("k")?, r.try_get("a")?, r.try_get("b")?)
        );
        let mut file = FirmFile::default();
        let corrupt = |what: String| StoreError::Corrupt(format!("{uscc}: {what}"));
        for (k, a, b) in rows {
            match k.as_str() {
                "c" => file.chains.push(a),
                "m" => file.military = Some((a, b)),
                "n" => {
                    file.lists_mark = a
                        .parse()
                        .map_err(|_| corrupt(format!("chain lists' counter {a:?}")))?;
                }
                "s" => file.segments.push((a, b)),
                "t" => file.titles.push((a, b)),
                "y" => {
                    let year = a.parse().map_err(|_| corrupt(format!("year {a:?}")))?;
                    let e =
                        enterprise_from_cells(&b).map_err(|e| corrupt(format!("{year}: {e}")))?;
                    file.years.push((year, e));
                }
                other => return Err(corrupt(format!("unknown kind {other:?}"))),
            }
        }
        file.years.sort_by_key(|y| std::cmp::Reverse(y.0));
        Ok(file)
    }

    /// The chain lists' change counter now (`firm_file` reads it too).
    pub async fn chain_lists_mark(&self) -> Result<i64> {
        let n: Vec<i64> = rows!(
            self,
            "SELECT n FROM chain_list_changes WHERE id = 1",
            [],
            |r| r.try_get("n")?
        );
        n.first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt("no chain lists' counter".into()))
    }

    /// The chains and segments as they stood when the counter read `mark` or later: kept from
    /// an earlier read at the same mark, else read now (after the mark was, so never older).
    pub async fn chain_lists(&self, mark: i64) -> Result<Arc<ChainLists>> {
        if let Some(l) = self.lists.get(mark) {
            return Ok(l);
        }
        let lists = Arc::new(ChainLists {
            chains: self.chains().await?,
            segments: self.segments().await?,
        });
        self.lists.put(mark, lists.clone());
        Ok(lists)
    }

    /// The chain lists as they stand now: the counter, then the kept lists if it has not moved.
    pub async fn chain_lists_now(&self) -> Result<Arc<ChainLists>> {
        let mark = self.chain_lists_mark().await?;
        self.chain_lists(mark).await
    }
}
