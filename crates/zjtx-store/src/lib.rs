//! ZJTX storage: SQLite (one file, WAL) as the embedded default and PostgreSQL for deployments with
//! several application instances, behind one `Store`. SQL lives only here. Each backend has its own
//! numbered migrations (`migrations/sqlite`, `migrations/postgres`), run at start-up and by
//! `zjtx migrate`; landed migrations are never edited.
//!
//! Queries are written once with `?` placeholders (numbered `$n` for PostgreSQL at run time) and
//! run against whichever pool is in use; every integer column decodes to `i64` on both.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use zjtx_core::Enterprise;
use zjtx_core::enterprise::{COLUMNS, DISTRICTS, HeaderMap};

mod model;
pub mod search;
pub use model::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://PATH or postgres://…")]
    Url(String),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data could not be read back: {0}")]
    Corrupt(String),
    /// An expensive query (a search) found no free share of the database, or ran too long: the
    /// request may be tried again; other requests were not held up by it.
    #[error("busy: {0}")]
    Busy(&'static str),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The database's pool, SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database, with the audit records of reads that wait to be written (`audit_read`).
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    reads: std::sync::Arc<std::sync::Mutex<Vec<audit::PendingRead>>>,
    /// The share that expensive queries (searches) may hold at once (`expensive_places`), so
    /// that no number of searches can starve the other requests.
    expensive: std::sync::Arc<tokio::sync::Semaphore>,
    /// The listed products, kept for the pages that match a firm against all of them
    /// (`listed_products`).
    listed: std::sync::Arc<std::sync::Mutex<Option<finance::ListedCache>>>,
    /// The chain lists, kept while their change counter stands (`chain_lists`).
    lists: std::sync::Arc<firm_file::KeptLists>,
    /// The search index this instance keeps (`listing::Searchable`).
    search: std::sync::Arc<listing::Searchable>,
}

/// A cell of `enterprise_counts`: district, tier, size, ecosystem ('' for a district or an
/// ecosystem not set).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CountKey(String, String, String, String);

impl CountKey {
    fn of(region: Option<&str>, tier: String, size: String, ecosystem: Option<String>) -> CountKey {
        CountKey(
            region.unwrap_or_default().to_owned(),
            tier,
            size,
            ecosystem.unwrap_or_default(),
        )
    }
}

/// Changes to `enterprise_counts` a writer makes in its transaction.
#[derive(Default)]
struct Counts(std::collections::HashMap<CountKey, i64>);

impl Counts {
    fn add(&mut self, k: CountKey, n: i64) {
        *self.0.entry(k).or_default() += n;
    }

    /// The statements adding the changes (none when they cancel out), a thousand cells each.
    fn upserts<DB: sqlx::Database>(self) -> Vec<sqlx::QueryBuilder<DB>>
    where
        String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        let mut changes: Vec<(CountKey, i64)> =
            self.0.into_iter().filter(|(_, n)| *n != 0).collect();
        // In key order, so that concurrent writers lock the rows in the same order.
        changes.sort_by(|a, b| {
            (&a.0.0, &a.0.1, &a.0.2, &a.0.3).cmp(&(&b.0.0, &b.0.1, &b.0.2, &b.0.3))
        });
        changes
            .chunks(1000)
            .map(|part| {
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "INSERT INTO enterprise_counts (region_code, top_tier, size, ecosystem, n) ",
                );
                qb.push_values(part.to_vec(), |mut b, (k, n)| {
                    b.push_bind(k.0)
                        .push_bind(k.1)
                        .push_bind(k.2)
                        .push_bind(k.3)
                        .push_bind(n);
                });
                qb.push(
                    " ON CONFLICT (region_code, top_tier, size, ecosystem) DO UPDATE SET n = enterprise_counts.n + excluded.n",
                );
                qb
            })
            .collect()
    }
}

/// Takes the next search generation within a writer's transaction, which then holds the row until
/// it commits: generations commit in order (see migration 0032 and `Store::fresh_search`).
const SEARCH_GENERATION_NEXT: &str =
    "UPDATE search_generation SET n = n + 1 WHERE id = 1 RETURNING n";

/// The connections of each pool (SQLite, PostgreSQL).
const POOL_SQLITE: u32 = 8;
const POOL_POSTGRES: u32 = 16;

/// How many expensive queries (searches) may run at once: a quarter of the pool's connections,
/// and no more than the machine has cores. A search's work is mostly the instance's own (its
/// index, on the CPU), not the database's: more searches at once than cores only take the CPU
/// from the lists and pages running beside them (measured in docs/PERFORMANCE.md, §3).
fn expensive_places(pool: u32, cores: usize) -> usize {
    usize::try_from(pool / 4).unwrap_or(1).min(cores).max(1)
}
/// How long an expensive query waits for its share of the pool, and how long it may run.
pub const EXPENSIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
pub const EXPENSIVE_RUN: std::time::Duration = std::time::Duration::from_secs(5);
/// PostgreSQL's bound on any one statement (a backstop: pages' queries take milliseconds).
const STATEMENT_TIMEOUT: &str = "30s";

/// Reads a `users` row (any backend's row type).
macro_rules! user_row {
    ($r:expr) => {{
        let r = $r;
        let role: String = r.try_get("role")?;
        User {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            password_hash: r.try_get("password_hash")?,
            role: Role::parse(&role)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role:?}").into()))?,
            region_code: r.try_get("region_code")?,
            uscc: r.try_get("uscc")?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get("locked_until")?,
            email: r.try_get("email")?,
            institution_id: r.try_get("institution_id")?,
        }
    }};
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Begins a transaction that reads and then writes. SQLite takes the write lock at its start
/// (`BEGIN IMMEDIATE`), waiting its turn within the busy timeout: a deferred transaction that
/// reads first fails at once when it comes to write if another connection wrote meanwhile
/// (SQLITE_BUSY_SNAPSHOT — seen sealing the audit log beside a demo's writes). A transaction whose
/// first statement writes needs none of this.
macro_rules! begin_write {
    ($p:expr, $db:ty) => {
        if <$db as sqlx::Database>::NAME == "SQLite" {
            $p.begin_with(safe("BEGIN IMMEDIATE")).await
        } else {
            $p.begin().await
        }
    };
}

/// Runs a query on either pool and maps every row with `$make` (`$r` names the row).
macro_rules! rows {
    ($self:expr, $sql:expr, [$($b:expr),*], |$r:ident| $make:expr) => {{
        let sql = $self.sql($sql).into_owned();
        on_pool!($self, p => {
            let q = sqlx::query(safe(&sql));
            $(let q = $b.bind_to(q);)*
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for $r in &rows {
                out.push($make);
            }
            out
        })
    }};
}

/// Rewrites `?` placeholders as `$1, $2, …` for PostgreSQL (outside quoted literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let (mut n, mut quoted) = (0, false);
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Copies the enterprises' regions onto their chain tags; followed by a list of `?` USCCs and `)`.
const SYNC_TAG_REGIONS: &str = "UPDATE enterprise_chains SET region_code = \
     (SELECT e.region_code FROM enterprises e WHERE e.uscc = enterprise_chains.uscc) WHERE uscc IN (";

/// The district code of an enterprise's district as its row names it, if it is one of the city's.
fn region_of(e: &Enterprise) -> Option<&'static str> {
    e.district
        .as_deref()
        .and_then(|d| DISTRICTS.iter().find(|(_, n)| *n == d))
        .map(|(c, _)| *c)
}

/// The validity of each title an import row carries, as `(tier, until)`.
fn titles_of(e: &Enterprise) -> impl Iterator<Item = (&'static str, String)> + '_ {
    [
        ("innovative", e.innovative_until),
        ("tech_sme", e.tech_sme_until),
        ("srdi", e.srdi_until),
        ("giant", e.giant_until),
    ]
    .into_iter()
    .filter_map(|(tier, u)| u.map(|u| (tier, u.format("%Y-%m-%d").to_string())))
}

/// How an import's upsert of an enterprise replaces a stored row: wholly, when the file's year is
/// as recent as the stored one or more.
const ENTERPRISE_UPSERT: &str = " ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, \
     region_code = excluded.region_code, industry_code = excluded.industry_code, \
     ecosystem = excluded.ecosystem, latest_year = excluded.latest_year, rules = excluded.rules, \
     size = excluded.size, innovative = excluded.innovative, tech_sme = excluded.tech_sme, \
     srdi = excluded.srdi, giant = excluded.giant, top_tier = excluded.top_tier, \
     revenue = excluded.revenue, employees = excluded.employees, updated_at = excluded.updated_at, \
     main_products = excluded.main_products, search_seq = excluded.search_seq \
     WHERE excluded.latest_year >= enterprises.latest_year";
const YEAR_UPSERT: &str = " ON CONFLICT (uscc, year) DO UPDATE SET cells = excluded.cells, \
     imported_at = excluded.imported_at";

type Evaluated = (Enterprise, zjtx_core::Summary);

/// Writes one chunk of an import on SQLite (its enterprises, their chain tags' district, their
/// yearly rows and the titles the file carries), a row of bound values per record; returns the
/// yearly rows written.
async fn write_chunk_sqlite(
    c: &mut sqlx::SqliteConnection,
    chunk: &[&Evaluated],
    as_of: NaiveDate,
    t: i64,
    generation: i64,
) -> Result<usize> {
    type Db = sqlx::Sqlite;
    let codes = || chunk.iter().map(|(e, _)| e.uscc.as_str().to_owned());
    let mut qb = sqlx::QueryBuilder::<Db>::new(
        "INSERT INTO enterprises (uscc, name, region_code, industry_code, ecosystem, latest_year, \
         rules, size, innovative, tech_sme, srdi, giant, top_tier, revenue, employees, updated_at, \
         main_products, search_seq) ",
    );
    qb.push_values(chunk, |mut b, (e, s)| {
        b.push_bind(e.uscc.as_str().to_owned())
            .push_bind(e.name.clone())
            .push_bind(region_of(e))
            .push_bind(e.industry_code.to_string())
            .push_bind(e.ecosystem.clone())
            .push_bind(i64::from(e.reference_year(as_of)))
            .push_bind(s.rules)
            .push_bind(s.size.key())
            .push_bind(s.innovative.key())
            .push_bind(s.tech_sme.key())
            .push_bind(s.srdi.key())
            .push_bind(s.giant.key())
            .push_bind(s.top_tier.key())
            .push_bind(e.revenue.map(|w| w.units()))
            .push_bind(e.employees.map(i64::from))
            .push_bind(t)
            .push_bind(e.main_products.clone())
            .push_bind(generation);
    });
    qb.push(ENTERPRISE_UPSERT);
    qb.build().execute(&mut *c).await?;

    // An enterprise that moved district takes its chain tags along.
    in_list::<Db>(SYNC_TAG_REGIONS, codes())
        .build()
        .execute(&mut *c)
        .await?;

    let mut qb = sqlx::QueryBuilder::<Db>::new(
        "INSERT INTO enterprise_years (uscc, year, cells, imported_at) ",
    );
    qb.push_values(chunk, |mut b, (e, _)| {
        b.push_bind(e.uscc.as_str().to_owned())
            .push_bind(i64::from(e.reference_year(as_of)))
            .push_bind(cells_of(e))
            .push_bind(t);
    });
    qb.push(YEAR_UPSERT);
    let years = qb.build().execute(&mut *c).await?.rows_affected() as usize;

    // Titles granted here by a decision are not the file's to replace.
    in_list::<Db>(
        "DELETE FROM titles WHERE source = 'import' AND uscc IN (",
        codes(),
    )
    .build()
    .execute(&mut *c)
    .await?;
    let titles: Vec<(&str, &str, String)> = chunk
        .iter()
        .flat_map(|(e, _)| titles_of(e).map(|(tier, until)| (e.uscc.as_str(), tier, until)))
        .collect();
    if !titles.is_empty() {
        let mut qb = sqlx::QueryBuilder::<Db>::new("INSERT INTO titles (uscc, tier, valid_until) ");
        qb.push_values(titles, |mut b, (u, tier, until)| {
            b.push_bind(u.to_owned()).push_bind(tier).push_bind(until);
        });
        qb.push(" ON CONFLICT (uscc, tier) DO NOTHING");
        qb.build().execute(&mut *c).await?;
    }
    Ok(years)
}

/// The same as `write_chunk_sqlite` on PostgreSQL, each column bound as one array and the rows
/// made by `UNNEST`: a chunk's statements carry a few parameters, not 18 per firm, and the same
/// text for every chunk (the titles' insert too, whose count of rows varies), so the client
/// encodes a few arrays instead of tens of thousands of values and the server parses each
/// statement once per import (docs/PERFORMANCE.md, "The import's own work").
async fn write_chunk_pg(
    c: &mut sqlx::PgConnection,
    chunk: &[&Evaluated],
    as_of: NaiveDate,
    t: i64,
    generation: i64,
) -> Result<usize> {
    let n = chunk.len();
    let mut uscc = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut region = Vec::with_capacity(n);
    let mut industry = Vec::with_capacity(n);
    let mut ecosystem = Vec::with_capacity(n);
    let mut year = Vec::with_capacity(n);
    let mut rules = Vec::with_capacity(n);
    let mut size = Vec::with_capacity(n);
    let mut innovative = Vec::with_capacity(n);
    let mut tech_sme = Vec::with_capacity(n);
    let mut srdi = Vec::with_capacity(n);
    let mut giant = Vec::with_capacity(n);
    let mut top_tier = Vec::with_capacity(n);
    let mut revenue = Vec::with_capacity(n);
    let mut employees = Vec::with_capacity(n);
    let mut products = Vec::with_capacity(n);
    let mut cells = Vec::with_capacity(n);
    let (mut title_uscc, mut title_tier, mut title_until) = (Vec::new(), Vec::new(), Vec::new());
    for (e, s) in chunk {
        uscc.push(e.uscc.as_str());
        name.push(e.name.as_str());
        region.push(region_of(e));
        industry.push(e.industry_code.to_string());
        ecosystem.push(e.ecosystem.as_deref());
        year.push(i64::from(e.reference_year(as_of)));
        rules.push(s.rules);
        size.push(s.size.key());
        innovative.push(s.innovative.key());
        tech_sme.push(s.tech_sme.key());
        srdi.push(s.srdi.key());
        giant.push(s.giant.key());
        top_tier.push(s.top_tier.key());
        revenue.push(e.revenue.map(|w| w.units()));
        employees.push(e.employees.map(i64::from));
        products.push(e.main_products.as_deref());
        cells.push(cells_of(e));
        for (tier, until) in titles_of(e) {
            title_uscc.push(e.uscc.as_str());
            title_tier.push(tier);
            title_until.push(until);
        }
    }
    let sql = format!(
        "INSERT INTO enterprises (uscc, name, region_code, industry_code, ecosystem, latest_year, \
         rules, size, innovative, tech_sme, srdi, giant, top_tier, revenue, employees, updated_at, \
         main_products, search_seq) \
         SELECT uscc, name, region_code, industry_code, ecosystem, latest_year, rules, size, \
         innovative, tech_sme, srdi, giant, top_tier, revenue, employees, $16, main_products, $17 \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], \
         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], \
         $14::bigint[], $15::bigint[], $18::text[]) AS r(uscc, name, region_code, industry_code, \
         ecosystem, latest_year, rules, size, innovative, tech_sme, srdi, giant, top_tier, revenue, \
         employees, main_products){ENTERPRISE_UPSERT}"
    );
    sqlx::query(safe(&sql))
        .bind(&uscc)
        .bind(&name)
        .bind(&region)
        .bind(&industry)
        .bind(&ecosystem)
        .bind(&year)
        .bind(&rules)
        .bind(&size)
        .bind(&innovative)
        .bind(&tech_sme)
        .bind(&srdi)
        .bind(&giant)
        .bind(&top_tier)
        .bind(&revenue)
        .bind(&employees)
        .bind(t)
        .bind(generation)
        .bind(&products)
        .execute(&mut *c)
        .await?;

    // An enterprise that moved district takes its chain tags along.
    sqlx::query(
        "UPDATE enterprise_chains SET region_code = (SELECT e.region_code FROM enterprises e \
         WHERE e.uscc = enterprise_chains.uscc) WHERE uscc = ANY($1)",
    )
    .bind(&uscc)
    .execute(&mut *c)
    .await?;

    let sql = format!(
        "INSERT INTO enterprise_years (uscc, year, cells, imported_at) \
         SELECT uscc, year, cells, $4 FROM UNNEST($1::text[], $2::bigint[], $3::text[]) \
         AS r(uscc, year, cells){YEAR_UPSERT}"
    );
    let years = sqlx::query(safe(&sql))
        .bind(&uscc)
        .bind(&year)
        .bind(&cells)
        .bind(t)
        .execute(&mut *c)
        .await?
        .rows_affected() as usize;

    // Titles granted here by a decision are not the file's to replace.
    sqlx::query("DELETE FROM titles WHERE source = 'import' AND uscc = ANY($1)")
        .bind(&uscc)
        .execute(&mut *c)
        .await?;
    if !title_uscc.is_empty() {
        sqlx::query(
            "INSERT INTO titles (uscc, tier, valid_until) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]) \
             ON CONFLICT (uscc, tier) DO NOTHING",
        )
        .bind(&title_uscc)
        .bind(&title_tier)
        .bind(&title_until)
        .execute(&mut *c)
        .await?;
    }
    Ok(years)
}

/// `sql` (ending in `IN (`) followed by one bound value per code and `)`.
fn in_list<DB: sqlx::Database>(
    sql: &'static str,
    codes: impl Iterator<Item = String>,
) -> sqlx::QueryBuilder<DB>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut qb = sqlx::QueryBuilder::<DB>::new(sql);
    let mut list = qb.separated(", ");
    for c in codes {
        list.push_bind(c);
    }
    qb.push(")");
    qb
}

/// An enterprise's template row as stored: JSON `{column key: cell text}`, blanks left out, the
/// keys in byte order (as a `serde_json::Map` writes them). Written straight into one buffer: the
/// keys are plain ASCII, each cell's text is escaped by `serde_json`; an import writes one per firm.
pub fn cells_of(e: &Enterprise) -> String {
    static BY_KEY: std::sync::LazyLock<Vec<&'static zjtx_core::enterprise::Column>> =
        std::sync::LazyLock::new(|| {
            let mut c: Vec<_> = COLUMNS.iter().collect();
            c.sort_by_key(|c| c.key);
            c
        });
    let mut out = Vec::with_capacity(1536);
    out.push(b'{');
    for c in BY_KEY.iter() {
        let v = e.get(c.col);
        if v.is_empty() {
            continue;
        }
        if out.len() > 1 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(c.key.as_bytes());
        out.extend_from_slice(b"\":");
        // Writing into a Vec cannot fail, and `serde_json` escapes any text.
        let _ = serde_json::to_writer(&mut out, v.as_str());
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A stored row's cells in the template's column order, each borrowed from the JSON text where it
/// has no escapes (most do not: the text is stored as UTF-8): no map, no string per cell. A key
/// that is not a column is skipped; a value that is not text reads as blank.
struct StoredRow<'a>(Vec<std::borrow::Cow<'a, str>>);

/// One cell's value: its text, or blank when it is not text.
struct CellText<'a>(std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for CellText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CellText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a cell's text")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Owned(v)))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(CellText(std::borrow::Cow::Borrowed("")))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> serde::Deserialize<'de> for StoredRow<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StoredRow<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of cells")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut cells = vec![std::borrow::Cow::Borrowed(""); COLUMNS.len()];
                while let Some(key) = a.next_key::<CellText<'de>>()? {
                    match column_index(&key.0) {
                        Some(i) => cells[i] = a.next_value::<CellText<'de>>()?.0,
                        None => {
                            a.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(StoredRow(cells))
            }
        }
        d.deserialize_map(V)
    }
}

/// A column's place in `COLUMNS` by its key (the map built once per process).
fn column_index(key: &str) -> Option<usize> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| {
            COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| (c.key, i))
                .collect()
        })
        .get(key)
        .copied()
}

/// Parses stored cells back with the template's own parser; every error, located by column.
pub fn enterprise_from_cells(cells: &str) -> std::result::Result<Enterprise, String> {
    // The template's own keys: the same header for every row, matched once per process (it was
    // a fifth of a monitoring page's time, matched again for each of a register's rows).
    static HEADER: std::sync::OnceLock<std::result::Result<HeaderMap, String>> =
        std::sync::OnceLock::new();
    let header = HEADER
        .get_or_init(|| {
            HeaderMap::parse(COLUMNS.iter().map(|c| c.key)).map_err(|e| format!("{e:?}"))
        })
        .as_ref()
        .map_err(Clone::clone)?;
    let row: StoredRow<'_> = serde_json::from_str(cells).map_err(|e| e.to_string())?;
    header
        .parse_row(2, row.0.iter().map(|c| c.as_ref()))
        .map_err(|errs| {
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
}

/// Lists count their total up to this many rows.
pub const COUNT_CAP: i64 = 2_000;

/// Marks SQL as audited: every statement here is built from constant text and `?` placeholders;
/// values are always bound, never spliced in.
fn safe(sql: &str) -> sqlx::AssertSqlSafe<&str> {
    sqlx::AssertSqlSafe(sql)
}

/// Creates (dropping any earlier one) a PostgreSQL database named `name` on the server of
/// `admin_url`, for a test or a benchmark of its own; returns its URL. `name` must be a plain
/// identifier.
pub async fn fresh_database(admin_url: &str, name: &str) -> Result<String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Url(format!("database name {name:?}")));
    }
    let Db::Postgres(p) = Store::connect(admin_url).await?.db else {
        return Err(StoreError::Url(admin_url.to_owned()));
    };
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(safe(&sql)).execute(&p).await?;
    }
    let base = admin_url.rfind('/').map_or(admin_url, |i| &admin_url[..i]);
    Ok(format!("{base}/{name}"))
}

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Store {
    /// Connects by URL: `sqlite://PATH` (created if missing, WAL) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_sized(url, None).await
    }

    /// As `connect`, with `pool` connections (default: 8 for SQLite, 16 for PostgreSQL).
    pub async fn connect_sized(url: &str, pool: Option<u32>) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let size = pool.unwrap_or(POOL_SQLITE);
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(10))
                // `PRAGMA optimize` (after imports, and in `maintain`) analyses at most about this
                // many rows per index: statistics good enough for the planner at a bounded cost,
                // where an unbounded ANALYZE of a million enterprises takes seconds.
                .pragma("analysis_limit", "1000")
                // A page cache of 64 MiB per connection (the default is 2 MiB): imports insert
                // into b-trees of a million rows at random keys, and lists read index pages that
                // are then found in memory.
                .pragma("cache_size", "-65536");
            let pool = SqlitePoolOptions::new()
                .max_connections(size)
                .connect_with(opts)
                .await?;
            Ok(Store::new(Db::Sqlite(pool), size))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No parallel workers per query: the platform serves many small queries at once, and
            // a plan that spreads one of them over every core starves the others (measured with
            // 50 clients on 2 cores, PERFORMANCE.md §3).
            let opts = sqlx::postgres::PgConnectOptions::from_str(url)?.options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("max_parallel_workers_per_gather", "0"),
            ]);
            let size = pool.unwrap_or(POOL_POSTGRES);
            let pool = PgPoolOptions::new()
                .max_connections(size)
                .connect_with(opts)
                .await?;
            Ok(Store::new(Db::Postgres(pool), size))
        } else {
            Err(StoreError::Url(url.to_owned()))
        }
    }

    fn new(db: Db, pool: u32) -> Store {
        Store {
            db,
            reads: Default::default(),
            listed: Default::default(),
            lists: Default::default(),
            search: Default::default(),
            expensive: std::sync::Arc::new(tokio::sync::Semaphore::new(expensive_places(
                pool,
                std::thread::available_parallelism().map_or(1, usize::from),
            ))),
        }
    }

    /// The expensive queries' share of the pool (for tests that take it whole).
    #[doc(hidden)]
    pub fn expensive_share(&self) -> std::sync::Arc<tokio::sync::Semaphore> {
        self.expensive.clone()
    }

    /// Runs an expensive query within its share of the pool and its time: `Busy` when no share
    /// frees up within `EXPENSIVE_WAIT` or it runs past `EXPENSIVE_RUN` (dropped then: its
    /// connection goes back to the pool).
    pub(crate) async fn expensive<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let _permit = tokio::time::timeout(EXPENSIVE_WAIT, self.expensive.acquire())
            .await
            .map_err(|_| StoreError::Busy("too many searches at once"))?
            .map_err(|_| StoreError::Busy("closed"))?;
        tokio::time::timeout(EXPENSIVE_RUN, work)
            .await
            .map_err(|_| StoreError::Busy("the search took too long"))?
    }

    /// The pool, for what the store does not offer (tests, maintenance).
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> &'static str {
        match &self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// The SQL for this backend.
    fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        match &self.db {
            Db::Sqlite(_) => Cow::Borrowed(sql),
            Db::Postgres(_) => Cow::Owned(numbered(sql)),
        }
    }

    /// Runs the backend's pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::migrate!("./migrations/sqlite").run(p).await?;
                Ok(())
            }
            // Several instances starting together (an upgrade): one takes the lock and migrates;
            // the others wait for it, then find nothing to do. The wait is not bounded by the statement time limit, a migration of a large
            // registry may take longer.
            Db::Postgres(p) => {
                let mut conn = p.acquire().await?;
                sqlx::query("SET statement_timeout = 0")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("SELECT pg_advisory_lock(7347352002)")
                    .execute(&mut *conn)
                    .await?;
                let done = async {
                    sqlx::migrate!("./migrations/postgres")
                        .run(&mut *conn)
                        .await?;
                    Ok::<(), StoreError>(())
                }
                .await;
                let unlocked = sqlx::query("SELECT pg_advisory_unlock(7347352002)")
                    .execute(&mut *conn)
                    .await;
                let reset = sqlx::query("RESET statement_timeout")
                    .execute(&mut *conn)
                    .await;
                done?;
                unlocked?;
                reset?;
                Ok(())
            }
        }
    }

    /// Seeds the reference data, once: the region hierarchy of the model city (Zhejiang → Hangzhou
    /// → its 13 divisions) and the chains named under its ecosystems.
    pub async fn seed_reference(&self) -> Result<()> {
        let sql = self.sql("INSERT INTO regions (code, name, kind, parent_code) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING");
        let chain_sql = self.sql("INSERT INTO chains (name, ecosystem, name_en) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING");
        let count_sql = self.sql("SELECT COUNT(*) AS n FROM chains");
        let mut rows: Vec<(&str, &str, &str, Option<&str>)> = vec![
            ("330000", "浙江省", "province", None),
            ("330100", "杭州市", "city", Some("330000")),
        ];
        rows.extend(
            DISTRICTS
                .iter()
                .map(|(code, name)| (*code, *name, "district", Some("330100"))),
        );
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (code, name, kind, parent) in rows {
                sqlx::query(safe(&sql)).bind(code).bind(name).bind(kind).bind(parent).execute(&mut *tx).await?;
            }
            // The city's chains are seeded into an empty taxonomy only: after that the bureau
            // keeps it (a renamed or retired chain must not come back at the next start).
            let n: i64 = sqlx::query(safe(&count_sql)).fetch_one(&mut *tx).await?.try_get("n")?;
            if n == 0 {
                for c in zjtx_core::enterprise::chains() {
                    sqlx::query(safe(&chain_sql)).bind(c.name).bind(c.ecosystem).bind(c.name_en).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every chain, by ecosystem in the reference order, then by name.
    pub async fn chains(&self) -> Result<Vec<ChainRow>> {
        let sql = self.sql("SELECT name, ecosystem, name_en, retired_on FROM chains");
        let mut rows = on_pool!(self, p => {
            sqlx::query(safe(&sql)).fetch_all(p).await?.iter().map(|r| Ok(ChainRow {
                name: r.try_get("name")?,
                ecosystem: r.try_get("ecosystem")?,
                name_en: r.try_get("name_en")?,
                retired_on: r.try_get("retired_on")?,
            })).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let order = |c: &ChainRow| {
            let eco = zjtx_core::enterprise::ECOSYSTEMS
                .iter()
                .position(|e| *e == c.ecosystem)
                .unwrap_or(usize::MAX);
            let pos = zjtx_core::enterprise::chains()
                .iter()
                .position(|k| k.name == c.name)
                .unwrap_or(usize::MAX);
            (eco, pos, c.name.clone())
        };
        rows.sort_by_cached_key(order);
        Ok(rows)
    }

    /// The chains an enterprise is tagged with, by name.
    pub async fn chains_of(&self, uscc: &str) -> Result<Vec<String>> {
        let sql = self.sql("SELECT chain FROM enterprise_chains WHERE uscc = ? ORDER BY chain");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(uscc).fetch_all(p).await?.iter()
                .map(|r| r.try_get::<String, _>("chain"))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Replaces the chain tags of each listed enterprise, in one transaction: an enterprise not in
    /// the registry, a chain not defined, or a retired chain the enterprise did not already carry
    /// rejects the whole call and changes nothing. Each change is audited in the same transaction.
    pub async fn set_chains(
        &self,
        tags: &[(String, Vec<String>)],
        actor: Option<i64>,
    ) -> Result<()> {
        let all = self.chains().await?;
        let known: std::collections::HashSet<&str> = all.iter().map(|c| c.name.as_str()).collect();
        if let Some(bad) = tags
            .iter()
            .flat_map(|(_, cs)| cs)
            .find(|c| !known.contains(c.as_str()))
        {
            return Err(StoreError::Conflict(format!(
                "{bad:?} is not a defined chain"
            )));
        }
        // A retired chain takes no new tags: a firm keeps one it had, and gains none.
        let retired: std::collections::HashSet<&str> = all
            .iter()
            .filter(|c| c.retired_on.is_some())
            .map(|c| c.name.as_str())
            .collect();
        for (u, cs) in tags {
            if cs.iter().any(|c| retired.contains(c.as_str())) {
                let held = self.chains_of(u).await?;
                if let Some(bad) = cs
                    .iter()
                    .find(|c| retired.contains(c.as_str()) && !held.contains(c))
                {
                    return Err(StoreError::Conflict(format!(
                        "{bad:?} is retired: it takes no new firms"
                    )));
                }
            }
        }
        // A tag list names each enterprise once, so that "replace" has one meaning.
        let mut seen = std::collections::HashSet::with_capacity(tags.len());
        if let Some((u, _)) = tags.iter().find(|(u, _)| !seen.insert(u.as_str())) {
            return Err(StoreError::Conflict(format!(
                "{u} appears twice in one change"
            )));
        }
        const BATCH: usize = 1000;
        let t = now();
        macro_rules! run {
            ($p:ident, $db:ty) => {{
                let mut tx = begin_write!($p, $db)?;
                for chunk in tags.chunks(BATCH) {
                    let mut qb = in_list::<$db>(
                        "SELECT uscc FROM enterprises WHERE uscc IN (",
                        chunk.iter().map(|(u, _)| u.clone()),
                    );
                    let found: std::collections::HashSet<String> = qb
                        .build()
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| r.try_get::<String, _>("uscc"))
                        .collect::<std::result::Result<_, _>>()?;
                    if let Some((u, _)) = chunk.iter().find(|(u, _)| !found.contains(u.as_str())) {
                        // Dropping the transaction rolls back the chunks before this one.
                        return Err(StoreError::Conflict(format!("{u} is not in the registry")));
                    }
                    let mut qb = in_list::<$db>(
                        "DELETE FROM enterprise_chains WHERE uscc IN (",
                        chunk.iter().map(|(u, _)| u.clone()),
                    );
                    qb.build().execute(&mut *tx).await?;
                    let pairs: Vec<(&String, &String)> = chunk
                        .iter()
                        .flat_map(|(u, cs)| {
                            let mut cs: Vec<&String> = cs.iter().collect();
                            cs.sort_unstable();
                            cs.dedup();
                            cs.into_iter().map(move |c| (u, c))
                        })
                        .collect();
                    // Two binds a row: well under both backends' limits per statement.
                    for part in pairs.chunks(4 * BATCH) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO enterprise_chains (uscc, chain) ",
                        );
                        qb.push_values(part, |mut b, (u, c)| {
                            b.push_bind((*u).clone()).push_bind((*c).clone());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    let mut qb =
                        in_list::<$db>(SYNC_TAG_REGIONS, chunk.iter().map(|(u, _)| u.clone()));
                    qb.build().execute(&mut *tx).await?;
                    // One firm: a record about it; a bulk tagging: one record per chunk naming
                    // every firm with its chains (a record per firm was most of the audit log).
                    let (target, detail) = match chunk {
                        [(u, cs)] => (Some(u.clone()), cs.join("、")),
                        _ => (
                            None,
                            chunk
                                .iter()
                                .map(|(u, cs)| format!("{u}={}", cs.join("、")))
                                .collect::<Vec<_>>()
                                .join(";"),
                        ),
                    };
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (",
                    );
                    qb.push_bind(t)
                        .push(", ")
                        .push_bind(actor)
                        .push(", 'chains.set', ")
                        .push_bind(target)
                        .push(", ")
                        .push_bind(detail)
                        .push(")");
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        match &self.db {
            Db::Sqlite(p) => run!(p, sqlx::Sqlite),
            Db::Postgres(p) => run!(p, sqlx::Postgres),
        }
        Ok(())
    }

    /// The codes of a region and all regions below it.
    pub async fn region_and_below(&self, code: &str) -> Result<Vec<String>> {
        let sql = self.sql(
            "WITH RECURSIVE r(code) AS (SELECT code FROM regions WHERE code = ? \
             UNION ALL SELECT g.code FROM regions g JOIN r ON g.parent_code = r.code) SELECT code FROM r",
        );
        let codes = on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(code).fetch_all(p).await?.iter().map(|r| r.try_get::<String, _>("code")).collect::<std::result::Result<Vec<_>, _>>()?
        });
        Ok(codes)
    }

    pub async fn regions(&self) -> Result<Vec<Region>> {
        let sql = self.sql("SELECT code, name, kind, parent_code FROM regions ORDER BY code");
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).fetch_all(p).await?;
            rows.iter().map(|r| Ok(Region {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                parent_code: r.try_get("parent_code")?,
            })).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Imports enterprises (one row each, with their evaluation) in one transaction: all or none.
    /// Identity and the latest evaluation are updated when the row's year is not older than the
    /// stored one; the year's figures replace that year's; titles follow the row. Rows go in
    /// multi-row statements of `BATCH` rows, well under both backends' limits on bound values.
    pub async fn import(
        &self,
        rows: &[(Enterprise, zjtx_core::Summary)],
        actor: Option<i64>,
        as_of: NaiveDate,
    ) -> Result<ImportSummary> {
        let any = ImportGuard {
            regions: None,
            moves: true,
        };
        self.import_as(rows, actor, as_of, &any).await
    }

    /// Moves a registered enterprise to another district (a city action, audited with both
    /// districts); its chain tags follow. Returns the district it was in, `None` if unknown.
    pub async fn move_enterprise(
        &self,
        uscc: &str,
        to: &str,
        actor: Option<i64>,
    ) -> Result<Option<Option<String>>> {
        let t = now();
        macro_rules! run {
            ($p:ident, $db:ty) => {{
                let mut tx = begin_write!($p, $db)?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT region_code, top_tier, size, ecosystem FROM enterprises WHERE uscc = ",
                );
                qb.push_bind(uscc.to_owned());
                let Some(row) = qb.build().fetch_optional(&mut *tx).await? else {
                    return Ok(None);
                };
                let from: Option<String> = row.try_get("region_code")?;
                let (tier, size, ecosystem): (String, String, Option<String>) = (
                    row.try_get("top_tier")?,
                    row.try_get("size")?,
                    row.try_get("ecosystem")?,
                );
                let mut counts = Counts::default();
                counts.add(
                    CountKey::of(
                        from.as_deref(),
                        tier.clone(),
                        size.clone(),
                        ecosystem.clone(),
                    ),
                    -1,
                );
                counts.add(CountKey::of(Some(to), tier, size, ecosystem), 1);
                for mut qb in counts.upserts::<$db>() {
                    qb.build().execute(&mut *tx).await?;
                }
                let generation: i64 = sqlx::query_scalar(SEARCH_GENERATION_NEXT)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut qb =
                    sqlx::QueryBuilder::<$db>::new("UPDATE enterprises SET region_code = ");
                qb.push_bind(to.to_owned())
                    .push(", updated_at = ")
                    .push_bind(t)
                    .push(", search_seq = ")
                    .push_bind(generation)
                    .push(" WHERE uscc = ")
                    .push_bind(uscc.to_owned());
                qb.build().execute(&mut *tx).await?;
                let mut qb = in_list::<$db>(SYNC_TAG_REGIONS, std::iter::once(uscc.to_owned()));
                qb.build().execute(&mut *tx).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (",
                );
                qb.push_bind(t)
                    .push(", ")
                    .push_bind(actor)
                    .push(", 'enterprise.move', ")
                    .push_bind(uscc.to_owned())
                    .push(", ")
                    .push_bind(format!("{} → {to}", from.as_deref().unwrap_or("-")))
                    .push(")");
                qb.build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(from))
            }};
        }
        match &self.db {
            Db::Sqlite(p) => run!(p, sqlx::Sqlite),
            Db::Postgres(p) => run!(p, sqlx::Postgres),
        }
    }

    /// The districts stored for those of `usccs` that are registered: uscc → region code.
    pub async fn stored_regions(
        &self,
        usccs: &[String],
    ) -> Result<std::collections::HashMap<String, Option<String>>> {
        let mut out = std::collections::HashMap::new();
        for chunk in usccs.chunks(1000) {
            on_pool!(self, p => {
                let mut qb = in_list(
                    "SELECT uscc, region_code FROM enterprises WHERE uscc IN (",
                    chunk.iter().cloned(),
                );
                for r in qb.build().fetch_all(p).await? {
                    out.insert(r.try_get("uscc")?, r.try_get("region_code")?);
                }
            });
        }
        Ok(out)
    }

    /// `import` within a guard, judged inside the transaction on the records as stored: a row
    /// outside `guard.regions` (as the file places it, or as the register has it) or one that
    /// would move a registered enterprise to another district refuses the whole import.
    pub async fn import_as(
        &self,
        rows: &[(Enterprise, zjtx_core::Summary)],
        actor: Option<i64>,
        as_of: NaiveDate,
        guard: &ImportGuard,
    ) -> Result<ImportSummary> {
        const BATCH: usize = 1000;
        let mut seen = std::collections::HashSet::with_capacity(rows.len());
        if let Some((e, _)) = rows.iter().find(|(e, _)| !seen.insert(e.uscc.key())) {
            return Err(StoreError::Conflict(format!(
                "{} appears twice in one import",
                e.uscc
            )));
        }
        let t = now();
        let mut summary = ImportSummary {
            enterprises: rows.len(),
            years: 0,
            created: 0,
        };
        let in_scope = |code: Option<&str>| match &guard.regions {
            None => true,
            Some(allowed) => code.is_some_and(|c| allowed.iter().any(|a| a == c)),
        };
        macro_rules! run {
            ($p:ident, $db:ty, $write:path) => {{
                let mut tx = $p.begin().await?;
                // Every statement below reads or writes by key. PostgreSQL plans them on the
                // statistics of the table before the import, which for a small table may favour a
                // sequential scan — then repeated for each chunk of a table growing within the
                // transaction (an import of 100,000 firms into a database of one firm: each
                // chunk's lookup took 2 s). Within this transaction only, it must use the keys.
                if <$db as sqlx::Database>::NAME == "PostgreSQL" {
                    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
                }
                // The search generation of this import (see `next_search_generation`).
                let generation: i64 = sqlx::query_scalar(SEARCH_GENERATION_NEXT).fetch_one(&mut *tx).await?;
                // How the import changes `enterprise_counts`: +1 where a firm now counts, -1
                // where a replaced row counted.
                let mut counts = Counts::default();
                // Written in code order: every index of these tables that ends with the code (the
                // key, the district's, the tier's, the years') then takes its new entries in
                // order, each page of it visited once, instead of one at random per row.
                let mut ordered: Vec<&(Enterprise, zjtx_core::Summary)> = rows.iter().collect();
                ordered.sort_unstable_by(|a, b| a.0.uscc.as_str().cmp(b.0.uscc.as_str()));
                for chunk in ordered.chunks(BATCH) {
                    let mut qb = in_list::<$db>(
                        "SELECT uscc, region_code, top_tier, size, ecosystem, latest_year FROM enterprises WHERE uscc IN (",
                        chunk.iter().map(|(e, _)| e.uscc.as_str().to_owned()),
                    );
                    let mut stored = std::collections::HashMap::new();
                    let mut counted = std::collections::HashMap::new();
                    for r in qb.build().fetch_all(&mut *tx).await? {
                        let uscc: String = r.try_get("uscc")?;
                        let region: Option<String> = r.try_get("region_code")?;
                        let key = CountKey::of(region.as_deref(), r.try_get("top_tier")?, r.try_get("size")?, r.try_get("ecosystem")?);
                        counted.insert(uscc.clone(), (key, r.try_get::<i64, _>("latest_year")?));
                        stored.insert(uscc, region);
                    }
                    for (e, s) in chunk {
                        let key = CountKey::of(region_of(e), s.top_tier.key().to_owned(), s.size.key().to_owned(), e.ecosystem.clone());
                        match counted.remove(e.uscc.as_str()) {
                            None => counts.add(key, 1),
                            // The upsert below replaces a stored row with a year as recent or more.
                            Some((old, year)) if i64::from(e.reference_year(as_of)) >= year => {
                                counts.add(old, -1);
                                counts.add(key, 1);
                            }
                            Some(_) => {}
                        }
                    }
                    summary.created += chunk.len() - stored.len();
                    for (e, _) in chunk {
                        let to = region_of(e);
                        let refused = match stored.get(e.uscc.as_str()) {
                            Some(from) => !in_scope(from.as_deref()) || (!guard.moves && from.as_deref() != to),
                            None => !in_scope(to),
                        };
                        if refused {
                            return Err(StoreError::Conflict(format!(
                                "{} is outside this import's districts or would change district",
                                e.uscc
                            )));
                        }
                    }
                    summary.years += $write(&mut *tx, chunk, as_of, t, generation).await?;
                }
                for mut qb in counts.upserts::<$db>() {
                    qb.build().execute(&mut *tx).await?;
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (");
                qb.push_bind(t).push(", ").push_bind(actor).push(", 'import', NULL, ").push_bind(format!("{} enterprises", rows.len())).push(")");
                qb.build().execute(&mut *tx).await?;
                tx.commit().await?;
            }};
        }
        match &self.db {
            Db::Sqlite(p) => run!(p, sqlx::Sqlite, write_chunk_sqlite),
            Db::Postgres(p) => run!(p, sqlx::Postgres, write_chunk_pg),
        }
        Ok(summary)
    }

    /// Refreshes the planners' statistics after a large import, so that they keep picking the
    /// right indexes (PostgreSQL's autovacuum would get there, but only some time later). It is
    /// maintenance, not part of the import's transaction: the web's commit runs it in the
    /// background once the rows are committed. SQLite's `PRAGMA optimize` analyses a bounded
    /// sample (`analysis_limit`, set on every connection).
    pub async fn refresh_statistics(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => sqlx::query("PRAGMA optimize")
                .execute(p)
                .await
                .map(|_| ())?,
            Db::Postgres(p) => sqlx::query(
                "ANALYZE enterprises, enterprise_years, titles, enterprise_chains, consents",
            )
            .execute(p)
            .await
            .map(|_| ())?,
        }
        Ok(())
    }

    /// The number of enterprises in the registry, uncapped (a full count: for reports, not pages).
    pub async fn count_enterprises(&self) -> Result<i64> {
        let sql = self.sql("SELECT COUNT(*) AS n FROM enterprises");
        Ok(on_pool!(self, p => sqlx::query(safe(&sql)).fetch_one(p).await?.try_get("n")?))
    }

    /// One enterprise's stored row, if any.
    pub async fn enterprise(&self, uscc: &str) -> Result<Option<EnterpriseRow>> {
        let Ok(code) = zjtx_core::ids::Uscc::parse(uscc) else {
            return Ok(None);
        };
        // Read by its key in one statement (as a list searched by code it was counted first: a
        // second round trip on every enterprise page).
        let sql = self
            .sql(&format!(
                "SELECT {} FROM enterprises e LEFT JOIN regions r ON r.code = e.region_code \
                 WHERE e.uscc = ? LIMIT ?",
                listing::ROW_COLS
            ))
            .into_owned();
        Ok(self
            .rows_page(&sql, &[code.to_string()], 1, true)
            .await?
            .into_iter()
            .next())
    }

    /// Every stored year of an enterprise, newest first, parsed back into the template's type.
    pub async fn years(&self, uscc: &str) -> Result<Vec<(i64, Enterprise)>> {
        let sql =
            self.sql("SELECT year, cells FROM enterprise_years WHERE uscc = ? ORDER BY year DESC");
        let rows: Vec<(i64, String)> = on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(uscc).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("year")?, r.try_get("cells")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(year, cells)| {
                let e = enterprise_from_cells(&cells)
                    .map_err(|e| StoreError::Corrupt(format!("{uscc} {year}: {e}")))?;
                Ok((year, e))
            })
            .collect()
    }

    /// The titles in force on `today` of each of `usccs` (at most a page of firms): (uscc, tier),
    /// one query for a page instead of one per firm.
    pub async fn titles_in_force(
        &self,
        usccs: &[String],
        today: &str,
    ) -> Result<Vec<(String, String)>> {
        if usccs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT uscc, tier FROM titles WHERE valid_until >= ? AND uscc IN ({}) ORDER BY uscc, tier",
            vec!["?"; usccs.len()].join(", ")
        );
        let sql = self.sql(&sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql)).bind(today);
            for u in usccs {
                q = q.bind(u);
            }
            q.fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("uscc")?, r.try_get("tier")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Every title in force on `today` of the enterprises within `scope`, by code and tier.
    pub async fn titles_in_scope(&self, scope: &Scope, today: &str) -> Result<Vec<ScopedTitle>> {
        let Some((mut wh, binds)) = scope_cond(scope, "e.region_code") else {
            return Ok(Vec::new());
        };
        wh.push("t.valid_until >= ?".into());
        let sql = self
            .sql(&format!(
                "SELECT t.uscc, e.name, e.region_code, t.tier, t.valid_until, t.source FROM titles t \
                 JOIN enterprises e ON e.uscc = t.uscc WHERE {} ORDER BY t.uscc, t.tier",
                wh.join(" AND ")
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &binds {
                q = q.bind(b);
            }
            q.bind(today).fetch_all(p).await?.iter()
                .map(|r| Ok(ScopedTitle {
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    region_code: r.try_get("region_code")?,
                    tier: r.try_get("tier")?,
                    valid_until: r.try_get("valid_until")?,
                    source: r.try_get("source")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The titles changed after a `(changed_at, uscc, tier)` cursor and at or before `until`, in
    /// the scope, oldest change first: the bulk exchange's incremental sync (`title_changes`,
    /// kept by triggers).
    pub async fn title_changes_since(
        &self,
        scope: &Scope,
        since: Option<(i64, &str, &str)>,
        until: i64,
        limit: i64,
    ) -> Result<Vec<TitleChange>> {
        let Some((mut wh, binds)) = scope_cond(scope, "e.region_code") else {
            return Ok(Vec::new());
        };
        wh.push("c.changed_at <= CAST(? AS BIGINT)".into());
        wh.push(
            "(c.changed_at > CAST(? AS BIGINT) OR (c.changed_at = CAST(? AS BIGINT) AND \
             (c.uscc > ? OR (c.uscc = ? AND c.tier > ?))))"
                .into(),
        );
        let (at, code, tier) = since.unwrap_or((i64::MIN, "", ""));
        let sql = self
            .sql(&format!(
                "SELECT c.uscc, e.name, e.region_code, c.tier, c.valid_until, c.source, c.changed_at \
                 FROM title_changes c JOIN enterprises e ON e.uscc = c.uscc \
                 WHERE {} ORDER BY c.changed_at, c.uscc, c.tier LIMIT ?",
                wh.join(" AND ")
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &binds {
                q = q.bind(b);
            }
            q.bind(until.to_string())
                .bind(at.to_string())
                .bind(at.to_string())
                .bind(code)
                .bind(code)
                .bind(tier)
                .bind(limit)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| Ok(TitleChange {
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    region_code: r.try_get("region_code")?,
                    tier: r.try_get("tier")?,
                    valid_until: r.try_get("valid_until")?,
                    source: r.try_get("source")?,
                    changed_at: r.try_get("changed_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The cursor of the latest title change at or before `until` (where a snapshot of the
    /// titles leaves off), if any.
    pub async fn title_cursor(&self, until: i64) -> Result<Option<(i64, String, String)>> {
        let sql = self.sql(
            "SELECT changed_at, uscc, tier FROM title_changes WHERE changed_at <= CAST(? AS BIGINT) \
             ORDER BY changed_at DESC, uscc DESC, tier DESC LIMIT 1",
        );
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(until.to_string()).fetch_optional(p).await? {
                Some(r) => Some((r.try_get("changed_at")?, r.try_get("uscc")?, r.try_get("tier")?)),
                None => None,
            }
        }))
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// The pool's open connections and how many of them are idle.
    pub fn pool_state(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    /// Writes a consistent copy of a SQLite database to `file` while it stays in use (`VACUUM
    /// INTO`: one read transaction, so the copy is the database as of one moment, whatever is
    /// written meanwhile — not a copy of the file, which a concurrent write could tear). The file
    /// must not exist. PostgreSQL is copied with its own tools (`pg_dump`).
    pub async fn backup_into(&self, file: &std::path::Path) -> Result<()> {
        let Db::Sqlite(p) = &self.db else {
            return Err(StoreError::Conflict(
                "a PostgreSQL database is backed up with pg_dump (see the README)".into(),
            ));
        };
        if file.exists() {
            return Err(StoreError::Conflict(format!(
                "{} exists: a backup never overwrites",
                file.display()
            )));
        }
        let path = file
            .to_str()
            .ok_or_else(|| StoreError::Conflict("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?").bind(path).execute(p).await?;
        Ok(())
    }

    /// Titles held by an enterprise with their validity.
    pub async fn titles(&self, uscc: &str) -> Result<Vec<(String, String)>> {
        let sql = self.sql("SELECT tier, valid_until FROM titles WHERE uscc = ? ORDER BY tier");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(uscc).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("tier")?, r.try_get("valid_until")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}

/// The condition (and its values) that keeps a query within a scope; `None` when the scope is empty.
/// `region_col` is the column that holds the region in the query.
/// A stored key as the core type it names; a key the core does not know is a corrupt row.
pub(crate) fn decoded<T>(
    column: &str,
    v: String,
    parse: fn(&str) -> Option<T>,
) -> std::result::Result<T, sqlx::Error> {
    parse(&v).ok_or_else(|| sqlx::Error::Decode(format!("{column}: unknown key {v:?}").into()))
}

fn scope_cond(scope: &Scope, region_col: &str) -> Option<(Vec<String>, Vec<String>)> {
    let mut wh = Vec::new();
    let mut binds = Vec::new();
    if let Some(regions) = &scope.regions {
        if regions.is_empty() {
            return None;
        }
        wh.push(format!(
            "{region_col} IN ({})",
            vec!["?"; regions.len()].join(", ")
        ));
        binds.extend(regions.iter().cloned());
    }
    if let Some(u) = &scope.uscc {
        wh.push("e.uscc = ?".into());
        binds.push(u.clone());
    }
    Some((wh, binds))
}

/// The verdict column of a tier (only these names ever reach SQL text).
fn tier_column(t: &str) -> Option<&'static str> {
    ["innovative", "tech_sme", "srdi", "giant"]
        .into_iter()
        .find(|c| *c == t)
}

fn months_after(d: NaiveDate, months: u32) -> String {
    (d + chrono::Months::new(months))
        .format("%Y-%m-%d")
        .to_string()
}

#[derive(Clone, Copy)]
enum Bind<'a> {
    I(i64),
    S(&'a str),
    OI(Option<i64>),
    OS(Option<&'a str>),
}

impl Bind<'_> {
    /// Binds the value (owned, so the query does not borrow the statement list).
    fn bind_to<'q, DB: sqlx::Database>(
        &self,
        q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    ) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
    where
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        match self {
            Bind::I(v) => q.bind(*v),
            Bind::S(v) => q.bind((*v).to_owned()),
            Bind::OI(v) => q.bind(*v),
            Bind::OS(v) => q.bind(v.map(str::to_owned)),
        }
    }
}

mod accounts;
mod api_keys;
pub use api_keys::*;
mod audit_log;
mod clock;
pub use clock::Clock;
mod declare;
mod listing;
pub use declare::*;
mod audit;
mod pending_imports;
mod scheduled;
pub use scheduled::ScheduledRun;
mod sessions;
mod totp;
mod webhooks;
pub use audit::{AuditCheck, KEEP_AT_LEAST_SECS, READS_HELD, SEAL_BATCH, SETTLE_SECS};
pub use totp::TotpRow;
pub use webhooks::{Delivery, DueDelivery, OutboxEvent, Webhook};
mod finance;
pub use finance::*;
mod chains;
pub use chains::*;
mod catalogue;
pub use catalogue::*;
mod firm_file;
pub use firm_file::{ChainLists, FirmFile};
mod challenges;
pub use challenges::*;
mod funds;
pub use funds::*;
mod providers;
pub use providers::*;
mod clearings;
pub use clearings::*;

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_postgres_outside_literals() {
        assert_eq!(
            super::numbered("a = ? AND b = '?' AND c = ?"),
            "a = $1 AND b = '?' AND c = $2"
        );
    }

    /// A quarter of the pool, at most one a core, at least one: (pool, cores) → places.
    #[test]
    fn searches_run_at_most_a_quarter_of_the_pool_and_one_a_core() {
        for (pool, cores, places) in [
            (8, 2, 2),
            (16, 2, 2),
            (16, 8, 4),
            (64, 8, 8),
            (16, 1, 1),
            (2, 4, 1),
            (0, 0, 1),
        ] {
            assert_eq!(
                super::expensive_places(pool, cores),
                places,
                "{pool} {cores}"
            );
        }
    }
}
