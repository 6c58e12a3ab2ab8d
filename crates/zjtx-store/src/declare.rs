//! Declaration, review and recognition of titles: batches, declarations and their evidence,
//! reviews at each level, the expert pool and its draw, the public notice and its objections,
//! decisions, titles after recognition, and in-app messages.
//!
//! Every change of state is one transaction together with its audit record (and the messages it
//! sends): a step that is refused changes nothing, and no step happens without its record.

use serde::Serialize;
use sqlx::Row;

use super::{Bind, Result, Store, StoreError, now, safe};

pub use zjtx_core::workflow::declaration::Status;

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
    pub level: String,
    pub reviewer_id: i64,
    pub reviewer: String,
    pub decision: String,
    pub reason: String,
    /// JSON `{rule id: {"agree": bool, "reason": text}}`.
    pub opinions: String,
    pub score: Option<i64>,
    pub at: i64,
    /// JSON `{"scores": reason, "evaluation": reason}`: what the city approved against.
    pub overrides: Option<String>,
}

pub struct NewReview<'a> {
    pub level: &'a str,
    pub reviewer_id: i64,
    pub decision: &'a str,
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
    pub kind: String,
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
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

/// A message to a user, sent with a step.
pub struct Message<'a> {
    pub user_id: i64,
    pub text: String,
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
            "INSERT INTO notifications (user_id, text, link, created_at) VALUES (?, ?, ?, ?)",
            vec![
                Bind::I(m.user_id),
                Bind::S(&m.text),
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
        let sql = self.sql(&insert.sql).into_owned();
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

    // ---- batches ------------------------------------------------------------------------------

    pub async fn create_batch(&self, b: &NewBatch, actor: Option<i64>) -> Result<i64> {
        let sql = self.sql(
            "INSERT INTO batches (tier, year, rules, title, declare_until, district_until, city_until, notice_days, \
             quota, experts_per, archived, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
        );
        let audit_sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, 'batch.create', ?, ?)",
        );
        let res: std::result::Result<i64, sqlx::Error> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let id: i64 = sqlx::query(safe(&sql))
                    .bind(&b.tier).bind(b.year).bind(&b.rules).bind(&b.title).bind(&b.declare_until)
                    .bind(&b.district_until).bind(&b.city_until).bind(b.notice_days).bind(b.quota)
                    .bind(b.experts_per).bind(now()).bind(actor)
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                sqlx::query(safe(&audit_sql)).bind(now()).bind(actor).bind(format!("batch:{id}"))
                    .bind(format!("{} {} {}", b.tier, b.year, b.rules)).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(id)
            }.await
        });
        match res {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                format!("a {} batch for {} already exists", b.tier, b.year),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn batches(&self) -> Result<Vec<Batch>> {
        let sql = self.sql("SELECT * FROM batches ORDER BY year DESC, tier");
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(batch_row!(r));
            }
            out
        }))
    }

    pub async fn batch(&self, id: i64) -> Result<Option<Batch>> {
        let sql = self.sql("SELECT * FROM batches WHERE id = ?");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Some(batch_row!(&r)),
                None => None,
            }
        }))
    }

    pub async fn archive_batch(&self, id: i64, actor: Option<i64>) -> Result<()> {
        let target = format!("batch:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE batches SET archived = 1 WHERE id = ? AND archived = 0",
                    vec![Bind::I(id)],
                ),
                audit(actor, "batch.archive", &target, ""),
            ],
            Some("the batch is already archived"),
        )
        .await
    }

    /// Opens a round of the public notice of a batch: every approved declaration goes on it, for
    /// the days from `from` to `until` (its own window); the batch keeps the first day and the
    /// latest end. Refused when no declaration is approved.
    pub async fn publish_notice(
        &self,
        batch: i64,
        from: &str,
        until: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("batch:{batch}");
        let detail = format!("{from} – {until}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE batches SET notice_from = COALESCE(notice_from, ?), notice_until = ? WHERE id = ? \
                     AND EXISTS (SELECT 1 FROM declarations WHERE batch_id = ? AND status = 'approved')",
                    vec![Bind::S(from), Bind::S(until), Bind::I(batch), Bind::I(batch)],
                ),
                stmt(
                    "UPDATE declarations SET status = 'notice', notice_from = ?, notice_until = ?, updated_at = ? \
                     WHERE batch_id = ? AND status = 'approved'",
                    vec![Bind::S(from), Bind::S(until), Bind::I(now()), Bind::I(batch)],
                ),
                audit(actor, "batch.notice", &target, &detail),
            ],
            Some("no declaration is approved and waiting for the notice"),
        )
        .await
    }

    /// Moves a notice window (the bureau correcting a date; also how tests reach its end).
    pub async fn set_notice_window(
        &self,
        batch: i64,
        from: &str,
        until: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("batch:{batch}");
        let detail = format!("{from} – {until}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE batches SET notice_from = ?, notice_until = ? WHERE id = ? AND notice_from IS NOT NULL",
                    vec![Bind::S(from), Bind::S(until), Bind::I(batch)],
                ),
                stmt(
                    "UPDATE declarations SET notice_from = ?, notice_until = ? WHERE batch_id = ? AND status = 'notice'",
                    vec![Bind::S(from), Bind::S(until), Bind::I(batch)],
                ),
                audit(actor, "batch.notice_window", &target, &detail),
            ],
            Some("the batch has no notice yet"),
        )
        .await
    }

    // ---- declarations -------------------------------------------------------------------------

    /// Starts a declaration with the enterprise's figures; refused while the enterprise is barred,
    /// or when it already declared in the batch.
    pub async fn open_declaration(
        &self,
        batch: i64,
        uscc: &str,
        cells: &str,
        today: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        if let Some((until, reason)) = self.ban(uscc, today).await? {
            return Err(StoreError::Conflict(format!(
                "barred from declaring until {until}: {reason}"
            )));
        }
        let sql = self.sql(
            "INSERT INTO declarations (batch_id, uscc, region_code, ecosystem, status, cells, updated_at) \
             SELECT ?, uscc, region_code, ecosystem, 'draft', ?, ? FROM enterprises WHERE uscc = ? RETURNING id",
        );
        let audit_sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, 'declaration.open', ?, ?)",
        );
        let res: std::result::Result<Option<i64>, sqlx::Error> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let Some(row) = sqlx::query(safe(&sql)).bind(batch).bind(cells).bind(now()).bind(uscc)
                    .fetch_optional(&mut *tx).await? else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                sqlx::query(safe(&audit_sql)).bind(now()).bind(actor).bind(format!("declaration:{id}"))
                    .bind(format!("batch {batch}, {uscc}")).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(id))
            }.await
        });
        match res {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(StoreError::Conflict(format!(
                "{uscc} is not in the registry"
            ))),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                "this enterprise has already declared in this batch".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn declaration(&self, id: i64) -> Result<Option<Declaration>> {
        let sql = self
            .sql(&format!("SELECT {DECLARATION_COLS} WHERE d.id = ?"))
            .into_owned();
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Some(declaration_row!(&r)),
                None => None,
            }
        }))
    }

    /// Declarations of a batch in some states (all states when empty), within some regions (all
    /// when `None`), in id order.
    pub async fn declarations(
        &self,
        batch: i64,
        states: &[Status],
        regions: Option<&[String]>,
    ) -> Result<Vec<Declaration>> {
        let mut sql = format!("SELECT {DECLARATION_COLS} WHERE d.batch_id = ?");
        if !states.is_empty() {
            sql.push_str(&format!(
                " AND d.status IN ({})",
                vec!["?"; states.len()].join(", ")
            ));
        }
        if let Some(r) = regions {
            if r.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(
                " AND d.region_code IN ({})",
                vec!["?"; r.len()].join(", ")
            ));
        }
        sql.push_str(" ORDER BY d.id");
        let sql = self.sql(&sql);
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql)).bind(batch);
            for s in states {
                q = q.bind(s.as_str());
            }
            for r in regions.unwrap_or_default() {
                q = q.bind(r);
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(declaration_row!(r));
            }
            out
        }))
    }

    /// An enterprise's declarations, newest first.
    pub async fn declarations_of(&self, uscc: &str) -> Result<Vec<Declaration>> {
        let sql = self
            .sql(&format!(
                "SELECT {DECLARATION_COLS} WHERE d.uscc = ? ORDER BY d.id DESC"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).bind(uscc).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(declaration_row!(r));
            }
            out
        }))
    }

    /// Saves the declared figures while the enterprise may still change them.
    pub async fn save_declaration(&self, id: i64, cells: &str, actor: Option<i64>) -> Result<()> {
        let target = format!("declaration:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE declarations SET cells = ?, updated_at = ? WHERE id = ? AND status IN ('draft', 'returned')",
                    vec![Bind::S(cells), Bind::I(now()), Bind::I(id)],
                ),
                audit(actor, "declaration.save", &target, ""),
            ],
            Some("the declaration can no longer be changed"),
        )
        .await
    }

    /// Moves a declaration from one of `from` to `to`, with its audit record, an optional review
    /// and messages, in one transaction; refused (nothing changes) from any other state.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition(
        &self,
        id: i64,
        from: &[Status],
        to: Status,
        actor: Option<i64>,
        action: &str,
        detail: &str,
        review: Option<NewReview<'_>>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        let target = format!("declaration:{id}");
        let t = now();
        let submitting = to == Status::Submitted;
        let mut binds = vec![Bind::S(to.as_str()), Bind::I(t)];
        let mut sql = String::from("UPDATE declarations SET status = ?, updated_at = ?");
        if submitting {
            sql.push_str(", submitted_at = ?, pledged_at = ?");
            binds.push(Bind::I(t));
            binds.push(Bind::I(t));
        }
        sql.push_str(&format!(
            " WHERE id = ? AND status IN ({})",
            vec!["?"; from.len()].join(", ")
        ));
        binds.push(Bind::I(id));
        binds.extend(from.iter().map(|s| Bind::S(s.as_str())));
        let mut stmts = vec![stmt(sql, binds), audit(actor, action, &target, detail)];
        if let Some(r) = &review {
            stmts.push(stmt(
                "INSERT INTO reviews (declaration_id, level, reviewer_id, decision, reason, opinions, score, at, overrides) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    Bind::I(id),
                    Bind::S(r.level),
                    Bind::I(r.reviewer_id),
                    Bind::S(r.decision),
                    Bind::S(r.reason),
                    Bind::S(r.opinions),
                    Bind::OI(r.score),
                    Bind::I(t),
                    Bind::OS(r.overrides),
                ],
            ));
        }
        stmts.extend(messages(msgs));
        self.exec_tx(
            stmts,
            Some(&format!(
                "declaration {id} is not in a state that allows this"
            )),
        )
        .await
    }

    /// An expert's score (no change of state): recorded once per expert.
    pub async fn record_score(
        &self,
        id: i64,
        review: NewReview<'_>,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("declaration:{id}");
        let detail = format!("score {}", review.score.unwrap_or_default());
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO reviews (declaration_id, level, reviewer_id, decision, reason, opinions, score, at) \
                     SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS \
                     (SELECT 1 FROM reviews WHERE declaration_id = ? AND level = 'expert' AND reviewer_id = ?)",
                    vec![
                        Bind::I(id),
                        Bind::S(review.level),
                        Bind::I(review.reviewer_id),
                        Bind::S(review.decision),
                        Bind::S(review.reason),
                        Bind::S(review.opinions),
                        Bind::OI(review.score),
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::I(review.reviewer_id),
                    ],
                ),
                audit(actor, "declaration.score", &target, &detail),
            ],
            Some("this expert has already scored this declaration"),
        )
        .await
    }

    pub async fn reviews(&self, declaration: i64) -> Result<Vec<Review>> {
        let sql = self.sql(
            "SELECT r.*, u.username FROM reviews r JOIN users u ON u.id = r.reviewer_id \
             WHERE r.declaration_id = ? ORDER BY r.at, r.id",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(declaration).fetch_all(p).await?.iter()
                .map(|r| Ok(Review {
                    id: r.try_get("id")?,
                    declaration_id: r.try_get("declaration_id")?,
                    level: r.try_get("level")?,
                    reviewer_id: r.try_get("reviewer_id")?,
                    reviewer: r.try_get("username")?,
                    decision: r.try_get("decision")?,
                    reason: r.try_get("reason")?,
                    opinions: r.try_get("opinions")?,
                    score: r.try_get("score")?,
                    at: r.try_get("at")?,
                    overrides: r.try_get("overrides")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    // ---- evidence -----------------------------------------------------------------------------

    /// Whether any evidence record holds the file of this SHA-256.
    pub async fn evidence_exists(&self, sha256: &str) -> Result<bool> {
        let sql = self.sql("SELECT 1 AS one FROM evidence WHERE sha256 = ? LIMIT 1");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(sha256).fetch_optional(p).await?.is_some()
        }))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_evidence(
        &self,
        declaration: i64,
        rule_id: &str,
        filename: &str,
        content_type: &str,
        size: i64,
        sha256: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("declaration:{declaration}");
        let detail = format!("{rule_id} {filename} {sha256}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO evidence (declaration_id, rule_id, filename, content_type, size, sha256, uploaded_at, uploaded_by) \
                     SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS \
                     (SELECT 1 FROM declarations WHERE id = ? AND status IN ('draft', 'returned'))",
                    vec![
                        Bind::I(declaration),
                        Bind::S(rule_id),
                        Bind::S(filename),
                        Bind::S(content_type),
                        Bind::I(size),
                        Bind::S(sha256),
                        Bind::I(now()),
                        Bind::OI(actor),
                        Bind::I(declaration),
                    ],
                ),
                audit(actor, "evidence.add", &target, &detail),
            ],
            Some("the declaration can no longer be changed"),
        )
        .await
    }

    pub async fn evidence_of(&self, declaration: i64) -> Result<Vec<Evidence>> {
        self.evidence_where("declaration_id = ?", declaration).await
    }

    pub async fn evidence(&self, id: i64) -> Result<Option<Evidence>> {
        Ok(self.evidence_where("id = ?", id).await?.into_iter().next())
    }

    async fn evidence_where(&self, cond: &str, v: i64) -> Result<Vec<Evidence>> {
        let sql = self
            .sql(&format!(
                "SELECT * FROM evidence WHERE {cond} ORDER BY rule_id, id"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(v).fetch_all(p).await?.iter()
                .map(|r| Ok(Evidence {
                    id: r.try_get("id")?,
                    declaration_id: r.try_get("declaration_id")?,
                    rule_id: r.try_get("rule_id")?,
                    filename: r.try_get("filename")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    uploaded_at: r.try_get("uploaded_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    // ---- experts and the draw -----------------------------------------------------------------

    /// Adds an expert to the pool (an account of role `expert`), with their conflicts.
    pub async fn add_expert(
        &self,
        user_id: i64,
        name: &str,
        fields: &str,
        employer_uscc: Option<&str>,
        conflicts: &[(String, String)],
        actor: Option<i64>,
    ) -> Result<i64> {
        let sql = self.sql(
            "INSERT INTO experts (user_id, name, fields, employer_uscc, active) \
             SELECT id, ?, ?, ?, 1 FROM users WHERE id = ? AND role = 'expert' RETURNING id",
        );
        let conflict_sql = self
            .sql("INSERT INTO expert_conflicts (expert_id, uscc, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
        let audit_sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, 'expert.add', ?, ?)",
        );
        let res: std::result::Result<Option<i64>, sqlx::Error> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let Some(row) = sqlx::query(safe(&sql)).bind(name).bind(fields).bind(employer_uscc).bind(user_id)
                    .fetch_optional(&mut *tx).await? else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                // Employment is a conflict by itself.
                let employment = employer_uscc.map(|u| (u.to_owned(), "employment".to_owned()));
                for (uscc, kind) in conflicts.iter().cloned().chain(employment) {
                    sqlx::query(safe(&conflict_sql)).bind(id).bind(uscc).bind(kind).execute(&mut *tx).await?;
                }
                sqlx::query(safe(&audit_sql)).bind(now()).bind(actor).bind(format!("expert:{id}"))
                    .bind(format!("{name} ({fields})")).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(id))
            }.await
        });
        match res {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(StoreError::Conflict(
                "the account does not exist or is not an expert's".into(),
            )),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                "this account is already in the pool".into(),
            )),
            Err(sqlx::Error::Database(d)) if d.is_check_violation() => Err(StoreError::Conflict(
                "a conflict is employment, shareholding or relation".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn experts(&self) -> Result<Vec<ExpertRow>> {
        let sql = self.sql(
            "SELECT x.*, u.username FROM experts x JOIN users u ON u.id = x.user_id ORDER BY x.id",
        );
        let csql = self.sql(
            "SELECT expert_id, uscc, kind FROM expert_conflicts ORDER BY expert_id, uscc, kind",
        );
        Ok(on_pool!(self, p => {
            let conflicts: Vec<(i64, String, String)> = sqlx::query(safe(&csql)).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("expert_id")?, r.try_get("uscc")?, r.try_get("kind")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
            sqlx::query(safe(&sql)).fetch_all(p).await?.iter()
                .map(|r| {
                    let id: i64 = r.try_get("id")?;
                    Ok(ExpertRow {
                        id,
                        user_id: r.try_get("user_id")?,
                        username: r.try_get("username")?,
                        name: r.try_get("name")?,
                        fields: r.try_get("fields")?,
                        employer_uscc: r.try_get("employer_uscc")?,
                        active: r.try_get::<i64, _>("active")? != 0,
                        conflicts: conflicts.iter().filter(|c| c.0 == id).map(|c| (c.1.clone(), c.2.clone())).collect(),
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Records a round of a batch's draw and its assignments: the next round number, refused if
    /// another round took it meanwhile or if a declaration already has experts.
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_arguments)]
    pub async fn record_draw(
        &self,
        batch: i64,
        seed: &str,
        k: i64,
        inputs: &str,
        result: &str,
        assignments: &[(i64, i64)],
        next: (&str, &str),
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("batch:{batch}");
        let detail = format!("seed {seed:?}, {} assignments", assignments.len());
        let (next_seed, next_commitment) = next;
        let mut stmts = vec![
            stmt(
                "INSERT INTO draws (batch_id, round, seed, k, inputs, result, drawn_at, drawn_by) \
                 SELECT ?, COALESCE(MAX(round), 0) + 1, ?, ?, ?, ?, ?, ? FROM draws WHERE batch_id = ?",
                vec![
                    Bind::I(batch),
                    Bind::S(seed),
                    Bind::I(k),
                    Bind::S(inputs),
                    Bind::S(result),
                    Bind::I(now()),
                    Bind::OI(actor),
                    Bind::I(batch),
                ],
            ),
            audit(actor, "batch.draw", &target, &detail),
            // The next round's seed, committed now.
            stmt(
                "INSERT INTO seed_commits (batch_id, round, seed, commitment, committed_at) \
                 SELECT ?, MAX(round) + 1, ?, ?, ? FROM draws WHERE batch_id = ?",
                vec![
                    Bind::I(batch),
                    Bind::S(next_seed),
                    Bind::S(next_commitment),
                    Bind::I(now()),
                    Bind::I(batch),
                ],
            ),
        ];
        for (d, e) in assignments {
            stmts.push(stmt(
                "INSERT INTO expert_assignments (declaration_id, expert_id) VALUES (?, ?)",
                vec![Bind::I(*d), Bind::I(*e)],
            ));
        }
        match self.exec_tx(stmts, None).await {
            Err(StoreError::Db(sqlx::Error::Database(d))) if d.is_unique_violation() => Err(
                StoreError::Conflict("experts were drawn meanwhile; draw again".into()),
            ),
            other => other,
        }
    }

    /// Commits the seed of a batch's next round, unless one is committed already (the first
    /// commitment stands).
    pub async fn commit_seed(
        &self,
        batch: i64,
        seed: &str,
        commitment: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("batch:{batch}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO seed_commits (batch_id, round, seed, commitment, committed_at) \
                     SELECT ?, COALESCE((SELECT MAX(round) FROM draws WHERE batch_id = ?), 0) + 1, ?, ?, ? \
                     WHERE NOT EXISTS (SELECT 1 FROM seed_commits c WHERE c.batch_id = ? \
                       AND c.round = COALESCE((SELECT MAX(round) FROM draws WHERE batch_id = ?), 0) + 1)",
                    vec![
                        Bind::I(batch),
                        Bind::I(batch),
                        Bind::S(seed),
                        Bind::S(commitment),
                        Bind::I(now()),
                        Bind::I(batch),
                        Bind::I(batch),
                    ],
                ),
                audit(actor, "batch.seed_commit", &target, commitment),
            ],
            None,
        )
        .await
    }

    /// The seed committed for a batch's next round, with its commitment (secret until drawn).
    pub async fn next_seed(&self, batch: i64) -> Result<Option<(String, String)>> {
        let sql = self.sql(
            "SELECT seed, commitment FROM seed_commits WHERE batch_id = ? \
             AND round = COALESCE((SELECT MAX(round) FROM draws WHERE batch_id = ?), 0) + 1",
        );
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(batch).bind(batch).fetch_optional(p).await? {
                Some(r) => Some((r.try_get("seed")?, r.try_get("commitment")?)),
                None => None,
            }
        }))
    }

    /// Every published commitment of a batch, round by round (never the seeds).
    pub async fn seed_commits(&self, batch: i64) -> Result<Vec<SeedCommit>> {
        let sql = self.sql(
            "SELECT round, commitment, committed_at FROM seed_commits WHERE batch_id = ? ORDER BY round",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(batch).fetch_all(p).await?.iter()
                .map(|r| Ok(SeedCommit {
                    round: r.try_get("round")?,
                    commitment: r.try_get("commitment")?,
                    committed_at: r.try_get("committed_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// A batch's draws, round by round.
    pub async fn draws_of(&self, batch: i64) -> Result<Vec<DrawRow>> {
        let sql = self.sql("SELECT * FROM draws WHERE batch_id = ? ORDER BY round");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(batch).fetch_all(p).await?.iter()
                .map(|r| Ok(DrawRow {
                    batch_id: r.try_get("batch_id")?,
                    round: r.try_get("round")?,
                    seed: r.try_get("seed")?,
                    k: r.try_get("k")?,
                    inputs: r.try_get("inputs")?,
                    result: r.try_get("result")?,
                    drawn_at: r.try_get("drawn_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The expert (pool member) of an account.
    pub async fn expert_of_user(&self, user_id: i64) -> Result<Option<i64>> {
        let sql = self.sql("SELECT id FROM experts WHERE user_id = ? AND active = 1");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(user_id).fetch_optional(p).await? {
                Some(r) => Some(r.try_get("id")?),
                None => None,
            }
        }))
    }

    /// The declarations assigned to an expert, and the experts of a declaration.
    pub async fn assigned_to(&self, expert: i64) -> Result<Vec<Declaration>> {
        let sql = self
            .sql(&format!(
                "SELECT {DECLARATION_COLS} JOIN expert_assignments a ON a.declaration_id = d.id \
             WHERE a.expert_id = ? ORDER BY d.id"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).bind(expert).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(declaration_row!(r));
            }
            out
        }))
    }

    pub async fn experts_of(&self, declaration: i64) -> Result<Vec<i64>> {
        let sql = self.sql(
            "SELECT expert_id FROM expert_assignments WHERE declaration_id = ? ORDER BY expert_id",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(declaration).fetch_all(p).await?.iter()
                .map(|r| r.try_get("expert_id"))
                .collect::<std::result::Result<Vec<i64>, sqlx::Error>>()?
        }))
    }

    // ---- notice and objections ----------------------------------------------------------------

    /// Files an objection against a declaration on notice (anyone may, without an account).
    pub async fn file_objection(
        &self,
        declaration: i64,
        filer: &str,
        contact: &str,
        text: &str,
    ) -> Result<()> {
        let target = format!("declaration:{declaration}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO objections (declaration_id, filer, contact, text, filed_at) \
                     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM declarations WHERE id = ? AND status = 'notice')",
                    vec![
                        Bind::I(declaration),
                        Bind::S(filer),
                        Bind::S(contact),
                        Bind::S(text),
                        Bind::I(now()),
                        Bind::I(declaration),
                    ],
                ),
                audit(None, "objection.file", &target, filer),
            ],
            Some("the declaration is not on public notice"),
        )
        .await
    }

    pub async fn objections(&self, declaration: i64) -> Result<Vec<Objection>> {
        let sql =
            self.sql("SELECT * FROM objections WHERE declaration_id = ? ORDER BY filed_at, id");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(declaration).fetch_all(p).await?.iter()
                .map(|r| Ok(Objection {
                    id: r.try_get("id")?,
                    declaration_id: r.try_get("declaration_id")?,
                    filer: r.try_get("filer")?,
                    contact: r.try_get("contact")?,
                    text: r.try_get("text")?,
                    filed_at: r.try_get("filed_at")?,
                    upheld: r.try_get::<Option<i64>, _>("upheld")?.map(|v| v != 0),
                    resolution: r.try_get("resolution")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Resolves an open objection; upheld, the declaration is refused.
    pub async fn resolve_objection(
        &self,
        objection: i64,
        upheld: bool,
        resolution: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("objection:{objection}");
        let mut stmts = vec![
            stmt(
                "UPDATE objections SET upheld = ?, resolution = ?, resolved_at = ?, resolved_by = ? \
                 WHERE id = ? AND upheld IS NULL",
                vec![
                    Bind::I(i64::from(upheld)),
                    Bind::S(resolution),
                    Bind::I(now()),
                    Bind::OI(actor),
                    Bind::I(objection),
                ],
            ),
            audit(
                actor,
                if upheld {
                    "objection.uphold"
                } else {
                    "objection.dismiss"
                },
                &target,
                resolution,
            ),
        ];
        if upheld {
            stmts.push(stmt(
                "UPDATE declarations SET status = 'refused', updated_at = ? WHERE status = 'notice' \
                 AND id = (SELECT declaration_id FROM objections WHERE id = ?)",
                vec![Bind::I(now()), Bind::I(objection)],
            ));
        }
        self.exec_tx(stmts, Some("the objection does not exist or is resolved"))
            .await
    }

    // ---- decisions and titles -----------------------------------------------------------------

    /// Records a recognition: the declaration is recognised, its decision record frozen, the
    /// title granted with its validity, all at once.
    pub async fn recognise(
        &self,
        d: &NewDecision<'_>,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<i64> {
        let target = format!("declaration:{}", d.declaration_id);
        let until = d.valid_until.unwrap_or_default();
        let mut stmts = vec![
            stmt(
                "UPDATE declarations SET status = 'recognised', updated_at = ? WHERE id = ? AND status = 'notice' \
                 AND NOT EXISTS (SELECT 1 FROM objections WHERE declaration_id = ? AND upheld IS NULL)",
                vec![
                    Bind::I(now()),
                    Bind::I(d.declaration_id),
                    Bind::I(d.declaration_id),
                ],
            ),
            stmt(
                "INSERT INTO decisions (declaration_id, uscc, tier, outcome, rules, as_of, cells, evaluation, reviews, \
                 valid_from, valid_until, decided_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    Bind::I(d.declaration_id),
                    Bind::S(d.uscc),
                    Bind::S(d.tier),
                    Bind::S(d.outcome),
                    Bind::S(d.rules),
                    Bind::S(d.as_of),
                    Bind::S(d.cells),
                    Bind::S(d.evaluation),
                    Bind::S(d.reviews),
                    Bind::OS(d.valid_from),
                    Bind::OS(d.valid_until),
                    Bind::I(now()),
                    Bind::OI(actor),
                ],
            ),
            stmt(
                "DELETE FROM titles WHERE uscc = ? AND tier = ?",
                vec![Bind::S(d.uscc), Bind::S(d.tier)],
            ),
            stmt(
                "INSERT INTO titles (uscc, tier, valid_until, source, decision_id) \
                 SELECT ?, ?, ?, 'decision', id FROM decisions WHERE declaration_id = ?",
                vec![
                    Bind::S(d.uscc),
                    Bind::S(d.tier),
                    Bind::S(until),
                    Bind::I(d.declaration_id),
                ],
            ),
            stmt(
                "INSERT INTO title_events (uscc, tier, kind, detail, at, by_user) VALUES (?, ?, 'granted', ?, ?, ?)",
                vec![
                    Bind::S(d.uscc),
                    Bind::S(d.tier),
                    Bind::S(until),
                    Bind::I(now()),
                    Bind::OI(actor),
                ],
            ),
            audit(actor, "declaration.recognise", &target, until),
        ];
        stmts.extend(messages(msgs));
        self.exec_tx(
            stmts,
            Some("the declaration is not on notice, or an objection is still open"),
        )
        .await?;
        let sql = self.sql("SELECT id FROM decisions WHERE declaration_id = ?");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(d.declaration_id).fetch_one(p).await?.try_get("id")?
        }))
    }

    pub async fn decision(&self, id: i64) -> Result<Option<Decision>> {
        Ok(self
            .decisions_where("id = ?", Bind::I(id))
            .await?
            .into_iter()
            .next())
    }

    pub async fn decisions_of(&self, uscc: &str) -> Result<Vec<Decision>> {
        self.decisions_where("uscc = ?", Bind::S(uscc)).await
    }

    async fn decisions_where(&self, cond: &str, v: Bind<'_>) -> Result<Vec<Decision>> {
        let sql = self
            .sql(&format!(
                "SELECT * FROM decisions WHERE {cond} ORDER BY id DESC"
            ))
            .into_owned();
        Ok(on_pool!(self, p => {
            let q = v.bind_to(sqlx::query(safe(&sql)));
            q.fetch_all(p).await?.iter()
                .map(|r| Ok(Decision {
                    id: r.try_get("id")?,
                    declaration_id: r.try_get("declaration_id")?,
                    uscc: r.try_get("uscc")?,
                    tier: r.try_get("tier")?,
                    outcome: r.try_get("outcome")?,
                    rules: r.try_get("rules")?,
                    as_of: r.try_get("as_of")?,
                    cells: r.try_get("cells")?,
                    evaluation: r.try_get("evaluation")?,
                    reviews: r.try_get("reviews")?,
                    valid_from: r.try_get("valid_from")?,
                    valid_until: r.try_get("valid_until")?,
                    decided_at: r.try_get("decided_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The public list: titles granted by a decision and valid on `today`, of every enterprise
    /// or (`uscc`) of one, read by its key.
    pub async fn titled(&self, today: &str, uscc: Option<&str>) -> Result<Vec<TitledRow>> {
        let sql = self.sql(
            "SELECT t.uscc, e.name, e.region_code, t.tier, t.valid_until, t.decision_id FROM titles t \
             JOIN enterprises e ON e.uscc = t.uscc WHERE t.source = 'decision' AND t.valid_until >= ? \
             AND (? = '' OR t.uscc = ?) ORDER BY t.tier, e.region_code, t.uscc",
        );
        let u = uscc.unwrap_or("");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(today).bind(u).bind(u).fetch_all(p).await?.iter()
                .map(|r| Ok(TitledRow {
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    region_code: r.try_get("region_code")?,
                    tier: r.try_get("tier")?,
                    valid_until: r.try_get("valid_until")?,
                    decision_id: r.try_get("decision_id")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Records an event of a title (yearly update, major change, re-review) and, when given, its
    /// new validity.
    #[allow(clippy::too_many_arguments)]
    pub async fn title_event(
        &self,
        uscc: &str,
        tier: &str,
        kind: &str,
        year: Option<i64>,
        detail: &str,
        new_until: Option<&str>,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("title:{uscc}:{tier}");
        let action = format!("title.{kind}");
        let mut stmts = vec![
            stmt(
                "INSERT INTO title_events (uscc, tier, kind, year, detail, at, by_user) \
                 SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM titles WHERE uscc = ? AND tier = ? AND source = 'decision')",
                vec![
                    Bind::S(uscc),
                    Bind::S(tier),
                    Bind::S(kind),
                    Bind::OI(year),
                    Bind::S(detail),
                    Bind::I(now()),
                    Bind::OI(actor),
                    Bind::S(uscc),
                    Bind::S(tier),
                ],
            ),
            audit(actor, &action, &target, detail),
        ];
        if let Some(u) = new_until {
            stmts.push(stmt(
                "UPDATE titles SET valid_until = ? WHERE uscc = ? AND tier = ?",
                vec![Bind::S(u), Bind::S(uscc), Bind::S(tier)],
            ));
        }
        self.exec_tx(
            stmts,
            Some("the enterprise holds no such title granted here"),
        )
        .await
    }

    pub async fn title_events(&self, uscc: &str) -> Result<Vec<TitleEvent>> {
        let sql = self.sql("SELECT * FROM title_events WHERE uscc = ? ORDER BY at, id");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(uscc).fetch_all(p).await?.iter()
                .map(|r| Ok(TitleEvent {
                    uscc: r.try_get("uscc")?,
                    tier: r.try_get("tier")?,
                    kind: r.try_get("kind")?,
                    year: r.try_get("year")?,
                    detail: r.try_get("detail")?,
                    at: r.try_get("at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Revokes every title of an enterprise (falsified data cancels all of them), bars it from
    /// declaring until `ban_until`, and records why.
    pub async fn revoke(
        &self,
        uscc: &str,
        reason: &str,
        ban_until: &str,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        let target = format!("enterprise:{uscc}");
        let mut stmts = vec![
            stmt(
                "INSERT INTO title_events (uscc, tier, kind, detail, at, by_user) \
                 SELECT uscc, tier, 'revoked', ?, ?, ? FROM titles WHERE uscc = ?",
                vec![
                    Bind::S(reason),
                    Bind::I(now()),
                    Bind::OI(actor),
                    Bind::S(uscc),
                ],
            ),
            stmt("DELETE FROM titles WHERE uscc = ?", vec![Bind::S(uscc)]),
            stmt("DELETE FROM bans WHERE uscc = ?", vec![Bind::S(uscc)]),
            stmt(
                "INSERT INTO bans (uscc, until, reason) VALUES (?, ?, ?)",
                vec![Bind::S(uscc), Bind::S(ban_until), Bind::S(reason)],
            ),
            audit(actor, "title.revoke", &target, reason),
        ];
        stmts.extend(messages(msgs));
        self.exec_tx(stmts, Some("the enterprise holds no title to revoke"))
            .await
    }

    /// The ban in force on `today`, if any: (until, reason).
    pub async fn ban(&self, uscc: &str, today: &str) -> Result<Option<(String, String)>> {
        let sql = self.sql("SELECT until, reason FROM bans WHERE uscc = ? AND until >= ?");
        Ok(on_pool!(self, p => {
            match sqlx::query(safe(&sql)).bind(uscc).bind(today).fetch_optional(p).await? {
                Some(r) => Some((r.try_get("until")?, r.try_get("reason")?)),
                None => None,
            }
        }))
    }

    // ---- messages -----------------------------------------------------------------------------

    /// The accounts to tell about a declaration: its enterprise's, and its district office's.
    pub async fn recipients(
        &self,
        uscc: &str,
        region: Option<&str>,
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let sql = self.sql(
            "SELECT id, role FROM users WHERE disabled = 0 AND ((role = 'enterprise' AND uscc = ?) \
             OR (role = 'district' AND region_code = ?))",
        );
        let rows: Vec<(i64, String)> = on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(uscc).bind(region).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("role")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let of = |role: &str| {
            rows.iter()
                .filter(|(_, r)| r == role)
                .map(|(id, _)| *id)
                .collect()
        };
        Ok((of("enterprise"), of("district")))
    }

    pub async fn notifications(&self, user_id: i64) -> Result<Vec<Notification>> {
        let sql = self.sql(
            "SELECT * FROM notifications WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 200",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(user_id).fetch_all(p).await?.iter()
                .map(|r| Ok(Notification {
                    id: r.try_get("id")?,
                    text: r.try_get("text")?,
                    link: r.try_get("link")?,
                    created_at: r.try_get("created_at")?,
                    read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Sends in-app messages outside a workflow step (the daily digest).
    pub async fn notify(&self, msgs: &[Message<'_>]) -> Result<()> {
        self.exec_tx(messages(msgs).collect(), None).await
    }

    pub async fn mark_read(&self, user_id: i64) -> Result<()> {
        self.exec(
            "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
            &[Bind::I(now()), Bind::I(user_id)],
        )
        .await?;
        Ok(())
    }
}
