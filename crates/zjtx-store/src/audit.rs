//! The audit log's hash chain. Records are written by every step, in its own transaction and
//! without coordination; sealing then gives each record, in the order it is sealed, a place in
//! the chain (`seq`), the hash of the record before it and its own hash:
//!
//! `hash = SHA-256("{seq}|{id}|{at}|{user_id}|{action}|{target}|{detail}|{prev_hash}")`
//!
//! (blank for a missing value; the first record's `prev_hash` is 64 zeros). Changing, removing or
//! reordering a sealed record breaks every hash after it, which `verify_audit` finds. One sealer
//! runs at a time: PostgreSQL takes a transaction-scoped advisory lock, SQLite writes one at a time.
//! Records are sealed once they are `SETTLE_SECS` old, so that a transaction still open cannot
//! commit a record behind the chain's head unnoticed (it would be sealed later, at a later `seq`).

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Db, Result, Store, now, safe};

/// Seconds a record waits before it is sealed.
pub const SETTLE_SECS: i64 = 2;
/// Records sealed in one transaction (and one UPDATE) at the most: short transactions, so that
/// writers are never held up for long.
pub const SEAL_BATCH: usize = 1000;
/// Read records held in memory before a request writes them itself: the background flush
/// (`flush_reads`, every second in the server) normally writes them long before this many wait.
pub const READS_HELD: usize = 4000;
/// Rows in one multi-row insert of read records (5 parameters each).
const READS_PER_INSERT: usize = 400;
/// Audit records younger than this are never removed (等保 level 3: six months; the database's
/// trigger refuses it too).
pub const KEEP_AT_LEAST_SECS: i64 = 180 * 86_400;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What checking the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCheck {
    pub sealed: i64,
    pub unsealed: i64,
    /// The last sealed record's hash: note it, and a later check shows the chain still ends in it.
    pub head: Option<String>,
    /// The first sealed record (seq, id) whose hash does not hold.
    pub broken: Option<(i64, i64)>,
    /// The time of the oldest record kept.
    pub oldest_at: Option<i64>,
    /// Where the kept chain begins when its start was removed by retention: the last removed
    /// record's position and hash, and how many records were removed in all.
    pub anchor: Option<(i64, String, i64)>,
}

/// A read's audit record waiting to be written.
#[derive(Clone, Debug)]
pub(crate) struct PendingRead {
    at: i64,
    user_id: Option<i64>,
    action: String,
    target: Option<String>,
    detail: String,
}

struct Rec {
    id: i64,
    at: i64,
    user_id: Option<i64>,
    action: String,
    target: Option<String>,
    detail: Option<String>,
}

fn link(seq: i64, r: &Rec, prev: &str) -> String {
    let text = format!(
        "{seq}|{}|{}|{}|{}|{}|{}|{prev}",
        r.id,
        r.at,
        r.user_id.map(|u| u.to_string()).unwrap_or_default(),
        r.action,
        r.target.as_deref().unwrap_or(""),
        r.detail.as_deref().unwrap_or(""),
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn rec(r: &impl RowLike) -> std::result::Result<Rec, sqlx::Error> {
    Ok(Rec {
        id: r.i64("id")?,
        at: r.i64("at")?,
        user_id: r.oi64("user_id")?,
        action: r.s("action")?,
        target: r.os("target")?,
        detail: r.os("detail")?,
    })
}

/// The columns a record is read from, on either backend's rows.
trait RowLike {
    fn i64(&self, c: &str) -> std::result::Result<i64, sqlx::Error>;
    fn oi64(&self, c: &str) -> std::result::Result<Option<i64>, sqlx::Error>;
    fn s(&self, c: &str) -> std::result::Result<String, sqlx::Error>;
    fn os(&self, c: &str) -> std::result::Result<Option<String>, sqlx::Error>;
}

macro_rules! row_like {
    ($t:ty) => {
        impl RowLike for $t {
            fn i64(&self, c: &str) -> std::result::Result<i64, sqlx::Error> {
                self.try_get(c)
            }
            fn oi64(&self, c: &str) -> std::result::Result<Option<i64>, sqlx::Error> {
                self.try_get(c)
            }
            fn s(&self, c: &str) -> std::result::Result<String, sqlx::Error> {
                self.try_get(c)
            }
            fn os(&self, c: &str) -> std::result::Result<Option<String>, sqlx::Error> {
                self.try_get(c)
            }
        }
    };
}
row_like!(sqlx::sqlite::SqliteRow);
row_like!(sqlx::postgres::PgRow);

impl Store {
    /// Records a read (a list page, an enterprise page, an export's rows): like `audit`, but the
    /// record is written with others in one insert by the next `flush_reads` — within about a
    /// second in the server, at once when `READS_HELD` wait, before any reading of the log and at
    /// shutdown. A crash loses at most the reads of that last second; every write of the
    /// platform keeps its record in its own transaction. Reads are many (each page of a list)
    /// and, one insert each, cost the lists half their throughput under load.
    pub async fn audit_read(
        &self,
        user_id: Option<i64>,
        action: &str,
        target: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        let held = {
            let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
            reads.push(PendingRead {
                at: now(),
                user_id,
                action: action.to_owned(),
                target: target.map(str::to_owned),
                detail: detail.to_owned(),
            });
            reads.len()
        };
        if held >= READS_HELD {
            self.flush_reads().await?;
        }
        Ok(())
    }

    /// Writes the read records held in memory; returns how many. On a failure they are kept
    /// for the next flush.
    pub async fn flush_reads(&self) -> Result<usize> {
        let reads = std::mem::take(&mut *self.reads.lock().unwrap_or_else(|e| e.into_inner()));
        if reads.is_empty() {
            return Ok(0);
        }
        let written = self.insert_reads(&reads).await;
        if written.is_err() {
            let mut held = self.reads.lock().unwrap_or_else(|e| e.into_inner());
            let newer = std::mem::replace(&mut *held, reads);
            held.extend(newer);
        }
        written
    }

    async fn insert_reads(&self, reads: &[PendingRead]) -> Result<usize> {
        macro_rules! run {
            ($p:ident) => {{
                let mut tx = $p.begin().await?;
                for chunk in reads.chunks(READS_PER_INSERT) {
                    let values = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
                    let text = format!(
                        "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES {values}"
                    );
                    let sql = self.sql(&text);
                    let mut q = sqlx::query(safe(&sql));
                    for r in chunk {
                        q = q
                            .bind(r.at)
                            .bind(r.user_id)
                            .bind(r.action.as_str())
                            .bind(r.target.as_deref())
                            .bind(r.detail.as_str());
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        match &self.db {
            Db::Sqlite(p) => run!(p),
            Db::Postgres(p) => run!(p),
        }
        Ok(reads.len())
    }

    /// Seals the records old enough into the chain; returns how many. Safe to run from several
    /// instances at once.
    pub async fn seal_audit(&self) -> Result<usize> {
        self.seal_audit_until(now() - SETTLE_SECS).await
    }

    /// Seals the records written at or before `settled` (seconds).
    pub async fn seal_audit_until(&self, settled: i64) -> Result<usize> {
        self.flush_reads().await?;
        let head_sql = self
            .sql("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1");
        let pending_sql = self.sql(
            "SELECT id, at, user_id, action, target, detail FROM audit_log \
             WHERE seq IS NULL AND at <= ? ORDER BY id LIMIT ?",
        );
        macro_rules! run {
            ($p:ident, $db:ty, $lock:expr, $update:expr) => {{
                // It reads the chain's head, then writes (`begin_write`).
                let mut tx = begin_write!($p, $db)?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let (mut seq, mut prev) = match sqlx::query(safe(&head_sql))
                    .fetch_optional(&mut *tx)
                    .await?
                {
                    Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
                    None => (0, GENESIS.to_owned()),
                };
                let rows = sqlx::query(safe(&pending_sql))
                    .bind(settled)
                    .bind(SEAL_BATCH as i64)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut links = Vec::with_capacity(rows.len());
                for r in &rows {
                    let r = rec(r)?;
                    seq += 1;
                    let hash = link(seq, &r, &prev);
                    links.push((r.id, seq, std::mem::replace(&mut prev, hash.clone()), hash));
                }
                if !links.is_empty() {
                    match $update {
                        // PostgreSQL: one statement for the whole batch (a hash join).
                        Some((head, tail)) => {
                            let mut qb = sqlx::QueryBuilder::<$db>::new(head);
                            qb.push_values(&links, |mut b, (id, seq, prev, hash)| {
                                b.push_bind(*id)
                                    .push_bind(*seq)
                                    .push_bind(prev.clone())
                                    .push_bind(hash.clone());
                            });
                            qb.push(tail);
                            qb.build().execute(&mut *tx).await?;
                        }
                        // SQLite, in the process: one prepared update by key per record (its
                        // planner would scan every unsealed record for each of a VALUES list).
                        None => {
                            let one = "UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE id = ? AND seq IS NULL";
                            for (id, seq, prev, hash) in &links {
                                sqlx::query(one)
                                    .bind(*seq)
                                    .bind(prev)
                                    .bind(hash)
                                    .bind(*id)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                }
                tx.commit().await?;
                links.len()
            }};
        }
        Ok(match &self.db {
            Db::Sqlite(p) => run!(p, sqlx::Sqlite, None::<&str>, None::<(&str, &str)>),
            Db::Postgres(p) => run!(
                p,
                sqlx::Postgres,
                Some("SELECT pg_advisory_xact_lock(7347352001)"),
                Some((
                    "UPDATE audit_log AS a SET seq = v.seq, prev_hash = v.prev, hash = v.hash FROM (",
                    ") AS v(id, seq, prev, hash) WHERE a.id = v.id AND a.seq IS NULL",
                ))
            ),
        })
    }

    /// Recomputes the whole chain, in order.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        self.flush_reads().await?;
        let sql = self.sql(
            "SELECT id, at, user_id, action, target, detail, seq, prev_hash, hash FROM audit_log \
             WHERE seq IS NOT NULL AND seq > ? ORDER BY seq LIMIT 10000",
        );
        let counts = self.sql(
            "SELECT COUNT(*) AS n, MIN(at) AS oldest, \
             COALESCE(SUM(CASE WHEN seq IS NULL THEN 1 ELSE 0 END), 0) AS unsealed FROM audit_log",
        );
        let mut check = AuditCheck {
            sealed: 0,
            unsealed: 0,
            head: None,
            broken: None,
            oldest_at: None,
            anchor: None,
        };
        let (mut last, mut prev) = (0i64, GENESIS.to_owned());
        let anchor_sql = "SELECT seq, hash, removed FROM audit_anchor WHERE id = 1";
        // The anchor is only believed when a kept record of the chain, written by the removal,
        // names it: an anchor moved by hand to hide removed records breaks the check.
        let named_sql = self.sql(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'audit_retention' AND target = ?",
        );
        macro_rules! run {
            ($p:ident) => {{
                if let Some(a) = sqlx::query(anchor_sql).fetch_optional($p).await? {
                    let (seq, hash, removed): (i64, String, i64) =
                        (a.try_get("seq")?, a.try_get("hash")?, a.try_get("removed")?);
                    let named: i64 = sqlx::query(safe(&named_sql))
                        .bind(format!("{seq}:{hash}"))
                        .fetch_one($p)
                        .await?
                        .try_get("n")?;
                    if named == 0 {
                        check.broken = Some((seq, 0));
                    }
                    (last, prev) = (seq, hash.clone());
                    check.anchor = Some((seq, hash, removed));
                }
                let r = sqlx::query(safe(&counts)).fetch_one($p).await?;
                let total: i64 = r.try_get("n")?;
                check.unsealed = r.try_get::<i64, _>("unsealed")?;
                check.oldest_at = r.try_get("oldest")?;
                check.sealed = total - check.unsealed;
                'pages: loop {
                    if check.broken.is_some() {
                        break;
                    }
                    let rows = sqlx::query(safe(&sql)).bind(last).fetch_all($p).await?;
                    if rows.is_empty() {
                        break;
                    }
                    for row in &rows {
                        let r = rec(row)?;
                        let seq: i64 = row.try_get("seq")?;
                        let stored_prev: String = row.try_get("prev_hash")?;
                        let hash: String = row.try_get("hash")?;
                        if seq != last + 1 || stored_prev != prev || link(seq, &r, &prev) != hash {
                            check.broken = Some((seq, r.id));
                            break 'pages;
                        }
                        last = seq;
                        prev = hash;
                    }
                }
            }};
        }
        match &self.db {
            Db::Sqlite(p) => run!(p),
            Db::Postgres(p) => run!(p),
        }
        check.head = (last > 0).then_some(prev);
        Ok(check)
    }

    /// Retention: removes from the start of the chain the sealed records written before `cutoff`
    /// (seconds; the database refuses any younger than 180 days). The kept chain's start is
    /// noted (`audit_anchor`), and the removal is itself a record of the chain naming it, so
    /// `verify_audit` checks the kept records link by link from there. Returns how many went.
    pub async fn retire_audit(&self, cutoff: i64) -> Result<u64> {
        if cutoff > now() - KEEP_AT_LEAST_SECS {
            return Err(crate::StoreError::Conflict(
                "audit records are kept at least 180 days".into(),
            ));
        }
        self.seal_audit().await?;
        let first_kept =
            self.sql("SELECT MIN(seq) AS s FROM audit_log WHERE seq IS NOT NULL AND at >= ?");
        let last_gone = self.sql(
            "SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL AND at < ? AND seq < ? \
             ORDER BY seq DESC LIMIT 1",
        );
        let delete = self.sql("DELETE FROM audit_log WHERE seq IS NOT NULL AND seq <= ?");
        let anchor = self.sql(
            "INSERT INTO audit_anchor (id, seq, hash, removed, at) VALUES (1, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
             removed = audit_anchor.removed + excluded.removed, at = excluded.at",
        );
        let named = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) \
             VALUES (?, NULL, 'audit_retention', ?, ?)",
        );
        macro_rules! run {
            ($p:ident, $db:ty, $lock:expr) => {{
                // It reads what to keep, then deletes (`begin_write`).
                let mut tx = begin_write!($p, $db)?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let kept: Option<i64> = sqlx::query(safe(&first_kept))
                    .bind(cutoff)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("s")?;
                let Some(r) = sqlx::query(safe(&last_gone))
                    .bind(cutoff)
                    .bind(kept.unwrap_or(i64::MAX))
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    return Ok(0);
                };
                let (seq, hash): (i64, String) = (r.try_get("seq")?, r.try_get("hash")?);
                let n = sqlx::query(safe(&delete))
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(safe(&anchor))
                    .bind(seq)
                    .bind(&hash)
                    .bind(n as i64)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(safe(&named))
                    .bind(now())
                    .bind(format!("{seq}:{hash}"))
                    .bind(format!("removed {n} records written before {cutoff}"))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                n
            }};
        }
        Ok(match &self.db {
            Db::Sqlite(p) => run!(p, sqlx::Sqlite, None::<&str>),
            Db::Postgres(p) => run!(
                p,
                sqlx::Postgres,
                Some("SELECT pg_advisory_xact_lock(7347352001)")
            ),
        })
    }
}
