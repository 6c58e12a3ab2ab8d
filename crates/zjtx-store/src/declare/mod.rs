//! Declaration, review and recognition of titles: batches, declarations and their evidence,
//! reviews at each level, the expert pool and its draw, the public notice and its objections,
//! decisions, titles after recognition, and in-app messages.
//!
//! Every change of state is one transaction together with its audit record (and the messages it
//! sends): a step that is refused changes nothing, and no step happens without its record.

use serde::Serialize;
use sqlx::Row;

use super::{Bind, Result, Store, StoreError, now, safe};

pub use zjtx_core::workflow::declaration::{
    Decision as ReviewDecision, Level as ReviewLevel, Status,
};
pub use zjtx_core::workflow::title::Event as TitleEventKind;

#[derive(Clone, Debug, Serialize)]
pub struct Batch {
    pub id: i64,
    pub tier: String,
    pub year: i64,
    pub rules: String,
    pub title: String,
    pub declare_until: String,
    pub district_until: String,
    pub city_until: String,
    pub notice_days: i64,
    pub notice_from: Option<String>,
    pub notice_until: Option<String>,
    pub quota: Option<i64>,
    pub experts_per: i64,
    pub archived: bool,
}

pub struct NewBatch {
    pub tier: String,
    pub year: i64,
    pub rules: String,
    pub title: String,
    pub declare_until: String,
    pub district_until: String,
    pub city_until: String,
    pub notice_days: i64,
    pub quota: Option<i64>,
    pub experts_per: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Declaration {
    pub id: i64,
    pub batch_id: i64,
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub ecosystem: Option<String>,
    pub status: Status,
    /// The declared figures: template cells as JSON `{key: text}`.
    pub cells: String,
    pub pledged_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
    /// Its own public notice window, once it went on notice.
    pub notice_from: Option<String>,
    pub notice_until: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub declaration_id: i64,
    pub rule_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub id: i64,
    pub declaration_id: i64,
    pub level: ReviewLevel,
    pub reviewer_id: i64,
    pub reviewer: String,
    pub decision: ReviewDecision,
    pub reason: String,
    /// JSON `{rule id: {"agree": bool, "reason": text}}`.
    pub opinions: String,
    pub score: Option<i64>,
    pub at: i64,
    /// JSON `{"scores": reason, "evaluation": reason}`: what the city approved against.
    pub overrides: Option<String>,
}

pub struct NewReview<'a> {
    pub level: ReviewLevel,
    pub reviewer_id: i64,
    pub decision: ReviewDecision,
    pub reason: &'a str,
    pub opinions: &'a str,
    pub score: Option<i64>,
    pub overrides: Option<&'a str>,
}

/// A draw round's published commitment: the SHA-256 of its seed, fixed before the draw.
#[derive(Clone, Debug, Serialize)]
pub struct SeedCommit {
    pub round: i64,
    pub commitment: String,
    pub committed_at: i64,
}

/// What makes an expert of an account: their name, fields, employer and declared conflicts
/// `(USCC, employment | shareholding | relation)`.
pub struct NewExpert<'a> {
    pub name: &'a str,
    pub fields: &'a str,
    pub employer_uscc: Option<&'a str>,
    pub conflicts: &'a [(String, String)],
}

#[derive(Clone, Debug, Serialize)]
pub struct ExpertRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    /// Comma-separated.
    pub fields: String,
    pub employer_uscc: Option<String>,
    pub active: bool,
    /// (USCC, kind).
    pub conflicts: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DrawRow {
    pub batch_id: i64,
    pub round: i64,
    pub seed: String,
    pub k: i64,
    pub inputs: String,
    pub result: String,
    pub drawn_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Objection {
    pub id: i64,
    pub declaration_id: i64,
    pub filer: String,
    pub contact: String,
    pub text: String,
    pub filed_at: i64,
    pub upheld: Option<bool>,
    pub resolution: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub id: i64,
    pub declaration_id: i64,
    pub uscc: String,
    pub tier: String,
    pub outcome: String,
    pub rules: String,
    pub as_of: String,
    pub cells: String,
    /// The engine's evaluation with its trace, as JSON.
    pub evaluation: String,
    /// The reviewers' actions and the objections, as JSON.
    pub reviews: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub decided_at: i64,
}

pub struct NewDecision<'a> {
    pub declaration_id: i64,
    pub uscc: &'a str,
    pub tier: &'a str,
    pub outcome: &'a str,
    pub rules: &'a str,
    pub as_of: &'a str,
    pub cells: &'a str,
    pub evaluation: &'a str,
    pub reviews: &'a str,
    pub valid_from: Option<&'a str>,
    pub valid_until: Option<&'a str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TitleEvent {
    pub uscc: String,
    pub tier: String,
    pub kind: TitleEventKind,
    pub year: Option<i64>,
    pub detail: String,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TitledRow {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub tier: String,
    pub valid_until: String,
    pub decision_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub id: i64,
    pub text: String,
    /// The same in English ('' for messages sent before both were kept).
    pub text_en: String,
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

/// A message to a user, sent with a step.
pub struct Message<'a> {
    pub user_id: i64,
    /// In Chinese.
    pub text: String,
    /// In English.
    pub text_en: String,
    pub link: &'a str,
}

macro_rules! batch_row {
    ($r:expr) => {{
        let r = $r;
        Batch {
            id: r.try_get("id")?,
            tier: r.try_get("tier")?,
            year: r.try_get("year")?,
            rules: r.try_get("rules")?,
            title: r.try_get("title")?,
            declare_until: r.try_get("declare_until")?,
            district_until: r.try_get("district_until")?,
            city_until: r.try_get("city_until")?,
            notice_days: r.try_get("notice_days")?,
            notice_from: r.try_get("notice_from")?,
            notice_until: r.try_get("notice_until")?,
            quota: r.try_get("quota")?,
            experts_per: r.try_get("experts_per")?,
            archived: r.try_get::<i64, _>("archived")? != 0,
        }
    }};
}

macro_rules! declaration_row {
    ($r:expr) => {{
        let r = $r;
        Declaration {
            id: r.try_get("id")?,
            batch_id: r.try_get("batch_id")?,
            uscc: r.try_get("uscc")?,
            name: r.try_get("name")?,
            region_code: r.try_get("region_code")?,
            ecosystem: r.try_get("ecosystem")?,
            status: {
                let s: String = r.try_get("status")?;
                Status::parse(&s).ok_or_else(|| {
                    sqlx::Error::Decode(format!("unknown declaration status {s:?}").into())
                })?
            },
            cells: r.try_get("cells")?,
            pledged_at: r.try_get("pledged_at")?,
            submitted_at: r.try_get("submitted_at")?,
            updated_at: r.try_get("updated_at")?,
            notice_from: r.try_get("notice_from")?,
            notice_until: r.try_get("notice_until")?,
        }
    }};
}

const DECLARATION_COLS: &str = "d.id, d.batch_id, d.uscc, e.name, d.region_code, d.ecosystem, d.status, d.cells, \
     d.pledged_at, d.submitted_at, d.updated_at, d.notice_from, d.notice_until \
     FROM declarations d JOIN enterprises e ON e.uscc = d.uscc";

/// One statement of a transaction.
pub(crate) struct Stmt<'a> {
    sql: String,
    binds: Vec<Bind<'a>>,
}

pub(crate) fn stmt<'a>(sql: impl Into<String>, binds: Vec<Bind<'a>>) -> Stmt<'a> {
    Stmt {
        sql: sql.into(),
        binds,
    }
}

/// A webhook event into the outbox, in the step's transaction (`webhooks.rs`): `ref_id` given,
/// or (None) the new row's id as the first parameter of `insert_id_then`.
pub(crate) fn outbox<'a>(event: &'a str, ref_id: Option<i64>, detail: &'a str) -> Stmt<'a> {
    match ref_id {
        Some(id) => stmt(
            "INSERT INTO webhook_outbox (ref_id, event, detail, created_at) VALUES (?, ?, ?, ?)",
            vec![Bind::I(id), Bind::S(event), Bind::S(detail), Bind::I(now())],
        ),
        None => stmt(
            "INSERT INTO webhook_outbox (ref_id, event, detail, created_at) VALUES (?, ?, ?, ?)",
            vec![Bind::S(event), Bind::S(detail), Bind::I(now())],
        ),
    }
}

pub(crate) fn audit<'a>(
    actor: Option<i64>,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
) -> Stmt<'a> {
    stmt(
        "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        vec![
            Bind::I(now()),
            Bind::OI(actor),
            Bind::S(action),
            Bind::S(target),
            Bind::S(detail),
        ],
    )
}

pub(crate) fn messages<'a>(msgs: &'a [Message<'a>]) -> impl Iterator<Item = Stmt<'a>> {
    msgs.iter().map(|m| {
        stmt(
            "INSERT INTO notifications (user_id, text, text_en, link, created_at) VALUES (?, ?, ?, ?, ?)",
            vec![
                Bind::I(m.user_id),
                Bind::S(&m.text),
                Bind::S(&m.text_en),
                Bind::S(m.link),
                Bind::I(now()),
            ],
        )
    })
}

impl Store {
    /// Runs statements in one transaction. When `guard` is given and the first statement changes
    /// no row, nothing is kept and the step is refused with that message.
    pub(crate) async fn exec_tx(&self, stmts: Vec<Stmt<'_>>, guard: Option<&str>) -> Result<()> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (i, s) in stmts.iter().enumerate() {
                let sql = self.sql(&s.sql);
                let mut q = sqlx::query(safe(&sql));
                for b in &s.binds {
                    q = b.bind_to(q);
                }
                let n = q.execute(&mut *tx).await?.rows_affected();
                if i == 0
                    && n == 0
                    && let Some(msg) = guard
                {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict(msg.to_owned()));
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Inserts a row (`insert` ends in `RETURNING id`) and its audit record (target
    /// `{kind}:{id}`) in one transaction. `None` when the insert's own condition let no row in; a
    /// unique violation is refused with `taken`.
    pub(crate) async fn insert_id(
        &self,
        insert: Stmt<'_>,
        action: &str,
        kind: &str,
        detail: &str,
        actor: Option<i64>,
        taken: &str,
    ) -> Result<Option<i64>> {
        self.insert_id_then(insert, action, kind, detail, actor, taken, Vec::new())
            .await
    }

    /// `insert_id`, then `then` in the same transaction, each given the new id as its first
    /// parameter (the rest after it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_id_then(
        &self,
        insert: Stmt<'_>,
        action: &str,
        kind: &str,
        detail: &str,
        actor: Option<i64>,
        taken: &str,
        then: Vec<Stmt<'_>>,
    ) -> Result<Option<i64>> {
        let sql = self.sql(&insert.sql).into_owned();
        let then: Vec<(String, &Stmt<'_>)> = then
            .iter()
            .map(|s| (self.sql(&s.sql).into_owned(), s))
            .collect();
        let audit_sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        );
        let res: std::result::Result<Option<i64>, sqlx::Error> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let mut q = sqlx::query(safe(&sql));
                for b in &insert.binds {
                    q = b.bind_to(q);
                }
                let Some(row) = q.fetch_optional(&mut *tx).await? else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                sqlx::query(safe(&audit_sql)).bind(now()).bind(actor).bind(action)
                    .bind(format!("{kind}:{id}")).bind(detail).execute(&mut *tx).await?;
                for (sql, s) in &then {
                    let mut q = sqlx::query(safe(sql)).bind(id);
                    for b in &s.binds {
                        q = b.bind_to(q);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(Some(id))
            }.await
        });
        match res {
            Ok(v) => Ok(v),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                Err(StoreError::Conflict(taken.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

mod batches;
mod declarations;
mod evidence;
mod experts;
mod messages;
mod notice;
mod titles;
