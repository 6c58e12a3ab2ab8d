//! The two clearings (issue 14): the yearly snapshot of listed firms, their follow-up actions and
//! clearance. The snapshot adds only firms not yet listed that year (re-running it keeps every
//! follow-up); each step is one guarded transaction with its audit record.

use serde::Serialize;
use sqlx::Row;
use zjtx_core::workflow::clearing::{List, Status};

use super::declare::{audit, stmt};
use super::{Bind, Result, Store, decoded, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct ClearingItem {
    pub id: i64,
    pub year: i64,
    pub list: List,
    pub uscc: String,
    pub firm: String,
    pub region_code: Option<String>,
    /// Units of 0.0001 万元.
    pub revenue: i64,
    pub status: Status,
    /// Listed on the same list the year before.
    pub reentry: bool,
    pub reason: String,
    pub cleared_on: Option<String>,
    pub actions: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClearingAction {
    pub on_day: String,
    pub text: String,
}

const ITEM_SELECT: &str = "SELECT i.*, e.name AS firm, \
    (SELECT COUNT(*) FROM clearing_actions a WHERE a.item_id = i.id) AS actions \
    FROM clearing_items i JOIN enterprises e ON e.uscc = i.uscc";

/// Appends "within these districts" on `col` to a query (none: nothing matches).
fn within(col: &str, regions: Option<&[String]>, sql: &mut String, binds: &mut Vec<String>) {
    if let Some(rs) = regions {
        if rs.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            sql.push_str(&format!(
                " AND {col} IN ({})",
                vec!["?"; rs.len()].join(", ")
            ));
            binds.extend(rs.iter().cloned());
        }
    }
}

/// How long a streamed read of every firm may run on PostgreSQL: its rows are consumed as they
/// arrive, by a computation that at a million firms takes minutes (the pool's usual limit is 30 s).
const WHOLE_READ_LIMIT: &str = "SET LOCAL statement_timeout = '15min'";

/// One firm's figures of a year beside the year before's (`Store::two_years`).
#[derive(Clone, Debug)]
pub struct YearPair {
    pub uscc: String,
    pub name: String,
    pub region: Option<String>,
    pub industry: String,
    /// The template row's cells of the year, as JSON.
    pub cells: String,
    /// The same of the year before, if recorded.
    pub before: Option<String>,
}

/// One firm's latest figures (`Store::latest_cells`).
#[derive(Clone, Debug)]
pub struct Latest {
    pub uscc: String,
    pub name: String,
    pub region: Option<String>,
    /// The template row's cells of its latest year, as JSON.
    pub cells: String,
}

/// A row of either backend, for `Store::stream`'s row makers.
trait RowGet {
    fn text(&self, col: &str) -> std::result::Result<String, sqlx::Error>;
    fn maybe(&self, col: &str) -> std::result::Result<Option<String>, sqlx::Error>;
}

macro_rules! row_get {
    ($($row:ty),*) => {$(
        impl RowGet for $row {
            fn text(&self, col: &str) -> std::result::Result<String, sqlx::Error> {
                self.try_get(col)
            }
            fn maybe(&self, col: &str) -> std::result::Result<Option<String>, sqlx::Error> {
                self.try_get(col)
            }
        }
    )*};
}
row_get!(sqlx::sqlite::SqliteRow, sqlx::postgres::PgRow);

impl Store {
    /// A manufacturing firm's figures of a year, for the lists: (code, district, industry, the
    /// template row's cells as JSON).
    pub async fn clearing_candidates(
        &self,
        year: i32,
        section: &str,
    ) -> Result<Vec<(String, Option<String>, String, String)>> {
        Ok(rows!(
            self,
            "SELECT y.uscc, e.region_code, e.industry_code, y.cells FROM enterprise_years y \
             JOIN enterprises e ON e.uscc = y.uscc WHERE y.year = ? AND e.industry_code LIKE ? ORDER BY y.uscc",
            [Bind::I(i64::from(year)), Bind::S(&format!("{section}%"))],
            |r| (
                r.try_get("uscc")?,
                r.try_get("region_code")?,
                r.try_get("industry_code")?,
                r.try_get("cells")?
            )
        ))
    }

    /// Every firm's figures of a year with those of the year before, if recorded, within some
    /// districts, handed to `each` one firm at a time in code order (streamed: a million firms'
    /// figures are never held at once).
    pub async fn two_years(
        &self,
        year: i32,
        regions: Option<&[String]>,
        each: impl FnMut(YearPair) + Send,
    ) -> Result<()> {
        self.year_rows(year, regions, true, each).await
    }

    /// Every firm's figures of a year alone, as `two_years` hands them but without the year before
    /// (`before` is `None`): half the rows' text to read, for a page that needs one year at a time.
    pub async fn one_year(
        &self,
        year: i32,
        regions: Option<&[String]>,
        each: impl FnMut(YearPair) + Send,
    ) -> Result<()> {
        self.year_rows(year, regions, false, each).await
    }

    /// `two_years` (`with_before`) or `one_year`.
    async fn year_rows(
        &self,
        year: i32,
        regions: Option<&[String]>,
        with_before: bool,
        each: impl FnMut(YearPair) + Send,
    ) -> Result<()> {
        let (before_col, before_join) = if with_before {
            (
                ", p.cells AS before",
                " LEFT JOIN enterprise_years p ON p.uscc = y.uscc AND p.year = y.year - 1",
            )
        } else {
            ("", "")
        };
        let mut sql = format!(
            "SELECT y.uscc, e.name, e.region_code, e.industry_code, y.cells{before_col} \
             FROM enterprise_years y JOIN enterprises e ON e.uscc = y.uscc{before_join} \
             WHERE y.year = CAST(? AS BIGINT)"
        );
        let mut binds = vec![year.to_string()];
        within("e.region_code", regions, &mut sql, &mut binds);
        sql.push_str(" ORDER BY y.uscc");
        self.stream(&sql, &binds, each, |r| {
            Ok(YearPair {
                uscc: r.text("uscc")?,
                name: r.text("name")?,
                region: r.maybe("region_code")?,
                industry: r.text("industry_code")?,
                cells: r.text("cells")?,
                before: if with_before {
                    r.maybe("before")?
                } else {
                    None
                },
            })
        })
        .await
    }

    /// The holders of a tier's title whose title was valid on `day` and granted (3 years before
    /// its end) on or before it: their codes.
    pub async fn title_holders_on(
        &self,
        tier: &str,
        day: &str,
        validity_end: &str,
    ) -> Result<Vec<String>> {
        Ok(rows!(
            self,
            "SELECT uscc FROM titles WHERE tier = ? AND valid_until >= ? AND valid_until <= ? ORDER BY uscc",
            [Bind::S(tier), Bind::S(day), Bind::S(validity_end)],
            |r| r.try_get("uscc")?
        ))
    }

    /// Every firm's latest figures within some districts, handed to `each` one firm at a time in
    /// code order (streamed, as `two_years`).
    pub async fn latest_cells(
        &self,
        regions: Option<&[String]>,
        each: impl FnMut(Latest) + Send,
    ) -> Result<()> {
        let mut sql = "SELECT e.uscc, e.name, e.region_code, y.cells FROM enterprises e \
             JOIN enterprise_years y ON y.uscc = e.uscc AND y.year = e.latest_year WHERE 1 = 1"
            .to_owned();
        let mut binds: Vec<String> = Vec::new();
        within("e.region_code", regions, &mut sql, &mut binds);
        sql.push_str(" ORDER BY e.uscc");
        self.stream(&sql, &binds, each, |r| {
            Ok(Latest {
                uscc: r.text("uscc")?,
                name: r.text("name")?,
                region: r.maybe("region_code")?,
                cells: r.text("cells")?,
            })
        })
        .await
    }

    /// Runs a read of every firm and hands each row, made by `make`, to `each` as it arrives. One
    /// read transaction (one snapshot); on PostgreSQL the statement may run for `WHOLE_READ_LIMIT`
    /// rather than the pool's usual limit, as the rows are consumed while they arrive.
    async fn stream<T, R>(
        &self,
        sql: &str,
        binds: &[String],
        mut each: impl FnMut(T) + Send,
        make: R,
    ) -> Result<()>
    where
        R: Fn(&dyn RowGet) -> std::result::Result<T, sqlx::Error> + Send + Sync,
        T: Send,
    {
        use futures_util::TryStreamExt;
        let sql = self.sql(sql).into_owned();
        macro_rules! run {
            ($p:ident, $db:ty) => {{
                let mut tx = $p.begin().await?;
                if <$db as sqlx::Database>::NAME == "PostgreSQL" {
                    sqlx::query(safe(WHOLE_READ_LIMIT))
                        .execute(&mut *tx)
                        .await?;
                }
                {
                    let mut q = sqlx::query(safe(&sql));
                    for b in binds {
                        q = q.bind(b.as_str());
                    }
                    let mut rows = q.fetch(&mut *tx);
                    let mut n = 0u32;
                    while let Some(r) = rows.try_next().await? {
                        each(make(&r)?);
                        // Rows waiting in the stream's buffer are taken without a pause: now
                        // and then give way, so that whatever races this read (a client gone
                        // away) is heard and may drop it.
                        n = n.wrapping_add(1);
                        if n.is_multiple_of(256) {
                            tokio::task::yield_now().await;
                        }
                    }
                }
                tx.commit().await?;
            }};
        }
        match &self.db {
            crate::Db::Sqlite(p) => run!(p, sqlx::Sqlite),
            crate::Db::Postgres(p) => run!(p, sqlx::Postgres),
        }
        Ok(())
    }

    /// Every chain tag: (code, chain).
    pub async fn chain_tags(&self) -> Result<Vec<(String, String)>> {
        Ok(rows!(
            self,
            "SELECT uscc, chain FROM enterprise_chains ORDER BY uscc, chain",
            [],
            |r| (r.try_get("uscc")?, r.try_get("chain")?)
        ))
    }

    /// Titles of a tier valid on a day and ending before another: their holders' codes.
    pub async fn titles_between(
        &self,
        tier: &str,
        from: &str,
        before: &str,
    ) -> Result<Vec<String>> {
        Ok(rows!(
            self,
            "SELECT uscc FROM titles WHERE tier = ? AND valid_until >= ? AND valid_until < ? ORDER BY uscc",
            [Bind::S(tier), Bind::S(from), Bind::S(before)],
            |r| r.try_get("uscc")?
        ))
    }

    /// Lists firms for a year (those already listed keep their follow-up); how many were added.
    pub async fn snapshot_clearings(
        &self,
        year: i32,
        items: &[(List, String, Option<String>, i64)],
        actor: Option<i64>,
    ) -> Result<usize> {
        let before = self.clearing_items(year, None).await?.len();
        let y = i64::from(year);
        let mut stmts = Vec::with_capacity(items.len() + 1);
        for (list, uscc, region, revenue) in items {
            stmts.push(stmt(
                "INSERT INTO clearing_items (year, list, uscc, region_code, revenue, status, reentry, created_at) \
                 SELECT ?, ?, ?, ?, ?, 'listed', \
                   CASE WHEN EXISTS (SELECT 1 FROM clearing_items p WHERE p.year = ? AND p.list = ? AND p.uscc = ?) THEN 1 ELSE 0 END, ? \
                 WHERE NOT EXISTS (SELECT 1 FROM clearing_items q WHERE q.year = ? AND q.list = ? AND q.uscc = ?)",
                vec![
                    Bind::I(y),
                    Bind::S(list.key()),
                    Bind::S(uscc),
                    Bind::OS(region.as_deref()),
                    Bind::I(*revenue),
                    Bind::I(y - 1),
                    Bind::S(list.key()),
                    Bind::S(uscc),
                    Bind::I(now()),
                    Bind::I(y),
                    Bind::S(list.key()),
                    Bind::S(uscc),
                ],
            ));
        }
        let detail = format!("{} firms considered", items.len());
        let target = format!("clearings:{year}");
        stmts.push(audit(actor, "clearing.snapshot", &target, &detail));
        self.exec_tx(stmts, None).await?;
        Ok(self.clearing_items(year, None).await?.len() - before)
    }

    /// A year's listed firms, within some districts if given.
    pub async fn clearing_items(
        &self,
        year: i32,
        regions: Option<&[String]>,
    ) -> Result<Vec<ClearingItem>> {
        let mut sql = format!("{ITEM_SELECT} WHERE i.year = CAST(? AS BIGINT)");
        let mut binds = vec![year.to_string()];
        within("i.region_code", regions, &mut sql, &mut binds);
        sql.push_str(" ORDER BY i.list, i.region_code, i.uscc");
        let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        self.item_rows(&sql, &binds).await
    }

    pub async fn clearing_item(&self, id: i64) -> Result<Option<ClearingItem>> {
        let sql = format!("{ITEM_SELECT} WHERE i.id = ?");
        Ok(self
            .item_rows(&sql, &[Bind::I(id)])
            .await?
            .into_iter()
            .next())
    }

    async fn item_rows(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<ClearingItem>> {
        let sql = self.sql(sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in binds {
                q = b.bind_to(q);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                out.push(ClearingItem {
                    id: r.try_get("id")?,
                    year: r.try_get("year")?,
                    list: decoded("list", r.try_get("list")?, List::from_key)?,
                    uscc: r.try_get("uscc")?,
                    firm: r.try_get("firm")?,
                    region_code: r.try_get("region_code")?,
                    revenue: r.try_get("revenue")?,
                    status: decoded("status", r.try_get("status")?, Status::from_key)?,
                    reentry: r.try_get::<i64, _>("reentry")? != 0,
                    reason: r.try_get("reason")?,
                    cleared_on: r.try_get("cleared_on")?,
                    actions: r.try_get("actions")?,
                });
            }
            out
        }))
    }

    pub async fn clearing_actions(&self, item: i64) -> Result<Vec<ClearingAction>> {
        Ok(rows!(
            self,
            "SELECT on_day, text FROM clearing_actions WHERE item_id = ? ORDER BY on_day, id",
            [Bind::I(item)],
            |r| ClearingAction {
                on_day: r.try_get("on_day")?,
                text: r.try_get("text")?,
            }
        ))
    }

    /// An action of the follow-up, moving the item from `from` to following.
    pub async fn add_clearing_action(
        &self,
        item: i64,
        from: Status,
        on: &str,
        text: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("clearing_item:{item}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE clearing_items SET status = 'following' WHERE id = ? AND status = ?",
                    vec![Bind::I(item), Bind::S(from.key())],
                ),
                stmt(
                    "INSERT INTO clearing_actions (item_id, on_day, text, user_id, created_at) VALUES (?, ?, ?, ?, ?)",
                    vec![Bind::I(item), Bind::S(on), Bind::S(text), Bind::OI(actor), Bind::I(now())],
                ),
                audit(actor, "clearing.action", &target, text),
            ],
            Some("the item has moved on"),
        )
        .await
    }

    /// A request, a clearance or a sending back: from `from` to `to`, with the reason (and the
    /// day, for a clearance).
    pub async fn clearing_step(
        &self,
        item: i64,
        from: Status,
        to: Status,
        reason: &str,
        cleared_on: Option<&str>,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("clearing_item:{item}");
        let action = format!("clearing.{}", to.key());
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE clearing_items SET status = ?, reason = ?, cleared_on = ? WHERE id = ? AND status = ?",
                    vec![
                        Bind::S(to.key()),
                        Bind::S(reason),
                        Bind::OS(cleared_on),
                        Bind::I(item),
                        Bind::S(from.key()),
                    ],
                ),
                audit(actor, &action, &target, reason),
            ],
            Some("the item has moved on"),
        )
        .await
    }
}
