//! The quality-product catalogue (issue 12): entries, their guarded steps, the objections during
//! their notice, and the published catalogue. Every step is one transaction with its audit record,
//! written only if the entry is still in the state the step started from.

use serde::Serialize;
use sqlx::Row;
use zjtx_core::workflow::catalogue::{Entry, Status};

use super::declare::{audit, stmt};
use super::{Bind, Result, Store, StoreError, decoded, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct CatalogueEntry {
    pub id: i64,
    pub uscc: String,
    /// The firm's registered name.
    pub firm: String,
    pub region_code: Option<String>,
    pub year: i32,
    pub name: String,
    pub description: String,
    #[serde(serialize_with = "status_key")]
    pub status: Status,
    pub reason: String,
    pub notice_from: Option<String>,
    pub notice_until: Option<String>,
    /// Whether the firm holds a valid SRDI or little-giant title on the day asked (a listed
    /// product of a firm without one is flagged for review).
    pub titled: bool,
}

fn status_key<S: serde::Serializer>(s: &Status, ser: S) -> std::result::Result<S::Ok, S::Error> {
    ser.serialize_str(s.key())
}

#[derive(Clone, Debug, Serialize)]
pub struct CatalogueObjection {
    pub id: i64,
    pub entry_id: i64,
    pub text: String,
    pub status: String,
    pub resolution: String,
}

/// Which entries: a year, some statuses, the districts a user may see, one firm's.
#[derive(Clone, Debug, Default)]
pub struct CatalogueFilter {
    pub year: Option<i32>,
    pub statuses: Vec<Status>,
    pub regions: Option<Vec<String>>,
    pub uscc: Option<String>,
}

const TITLED: &str = "EXISTS (SELECT 1 FROM titles t WHERE t.uscc = c.uscc AND t.tier IN ('srdi', 'giant') AND t.valid_until >= ?)";

impl Store {
    /// Whether a firm holds a valid SRDI or little-giant title on `today`.
    pub async fn firm_titled(&self, uscc: &str, today: &str) -> Result<bool> {
        let n: Vec<i64> = rows!(
            self,
            "SELECT COUNT(*) AS n FROM titles t WHERE t.uscc = ? AND t.tier IN ('srdi', 'giant') AND t.valid_until >= ?",
            [Bind::S(uscc), Bind::S(today)],
            |r| r.try_get("n")?
        );
        Ok(n.first().copied().unwrap_or(0) > 0)
    }

    /// A firm's submission; its id.
    pub async fn submit_catalogue(&self, uscc: &str, e: &Entry, actor: Option<i64>) -> Result<i64> {
        let year = i64::from(e.year);
        self.insert_id(
            stmt(
                "INSERT INTO catalogue_entries (uscc, region_code, year, name, description, status, created_at, updated_at) \
                 SELECT uscc, region_code, ?, ?, ?, ?, ?, ? FROM enterprises WHERE uscc = ? RETURNING id",
                vec![
                    Bind::I(year),
                    Bind::S(&e.name),
                    Bind::S(&e.description),
                    Bind::S(Status::Submitted.key()),
                    Bind::I(now()),
                    Bind::I(now()),
                    Bind::S(uscc),
                ],
            ),
            "catalogue.submit",
            "catalogue",
            &e.name,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("no such enterprise".into()))
    }

    /// Moves an entry from `from` to `to` (as the core allowed), with the step's reason and, for a
    /// notice, its window; refused when the entry is no longer at `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn catalogue_step(
        &self,
        id: i64,
        from: Status,
        to: Status,
        reason: &str,
        window: Option<(&str, &str)>,
        action: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("catalogue:{id}");
        let detail = format!(
            "{} → {}{}{}",
            from.key(),
            to.key(),
            if reason.is_empty() { "" } else { ": " },
            reason
        );
        let (nf, nu) = window.unzip();
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE catalogue_entries SET status = ?, reason = ?, \
                     notice_from = COALESCE(?, notice_from), notice_until = COALESCE(?, notice_until), updated_at = ? \
                     WHERE id = ? AND status = ?",
                    vec![
                        Bind::S(to.key()),
                        Bind::S(reason),
                        Bind::OS(nf),
                        Bind::OS(nu),
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::S(from.key()),
                    ],
                ),
                audit(actor, action, &target, &detail),
            ],
            Some("the entry has moved on"),
        )
        .await
    }

    /// The firm sends a returned entry back, changed; refused unless it is still returned.
    pub async fn resubmit_catalogue(&self, id: i64, e: &Entry, actor: Option<i64>) -> Result<()> {
        let target = format!("catalogue:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE catalogue_entries SET status = 'submitted', name = ?, description = ?, reason = '', updated_at = ? \
                     WHERE id = ? AND status = 'returned'",
                    vec![Bind::S(&e.name), Bind::S(&e.description), Bind::I(now()), Bind::I(id)],
                ),
                audit(actor, "catalogue.resubmit", &target, &e.name),
            ],
            Some("the entry has moved on"),
        )
        .await
    }

    /// Entries matching a filter, with whether their firm is titled on `today`.
    pub async fn catalogue_entries(
        &self,
        f: &CatalogueFilter,
        today: &str,
    ) -> Result<Vec<CatalogueEntry>> {
        let mut wh = vec!["1 = 1".to_owned()];
        let mut binds: Vec<String> = vec![today.to_owned()];
        if let Some(y) = f.year {
            wh.push("c.year = CAST(? AS BIGINT)".into());
            binds.push(y.to_string());
        }
        if !f.statuses.is_empty() {
            wh.push(format!(
                "c.status IN ({})",
                vec!["?"; f.statuses.len()].join(", ")
            ));
            binds.extend(f.statuses.iter().map(|s| s.key().to_owned()));
        }
        if let Some(rs) = &f.regions {
            if rs.is_empty() {
                wh.push("1 = 0".into());
            } else {
                wh.push(format!(
                    "c.region_code IN ({})",
                    vec!["?"; rs.len()].join(", ")
                ));
                binds.extend(rs.iter().cloned());
            }
        }
        if let Some(u) = &f.uscc {
            wh.push("c.uscc = ?".into());
            binds.push(u.clone());
        }
        let sql = format!(
            "SELECT c.*, e.name AS firm, {TITLED} AS titled FROM catalogue_entries c JOIN enterprises e ON e.uscc = c.uscc \
             WHERE {} ORDER BY c.year DESC, c.uscc, c.id",
            wh.join(" AND ")
        );
        let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        self.catalogue_rows(&sql, &binds).await
    }

    /// One entry.
    pub async fn catalogue_entry(&self, id: i64, today: &str) -> Result<Option<CatalogueEntry>> {
        let sql = format!(
            "SELECT c.*, e.name AS firm, {TITLED} AS titled FROM catalogue_entries c JOIN enterprises e ON e.uscc = c.uscc WHERE c.id = ?"
        );
        Ok(self
            .catalogue_rows(&sql, &[Bind::S(today), Bind::I(id)])
            .await?
            .into_iter()
            .next())
    }

    async fn catalogue_rows(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<CatalogueEntry>> {
        let sql = self.sql(sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in binds {
                q = b.bind_to(q);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                out.push(CatalogueEntry {
                    id: r.try_get("id")?,
                    uscc: r.try_get("uscc")?,
                    firm: r.try_get("firm")?,
                    region_code: r.try_get("region_code")?,
                    year: i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or_default(),
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    status: decoded("status", r.try_get("status")?, Status::from_key)?,
                    reason: r.try_get("reason")?,
                    notice_from: r.try_get("notice_from")?,
                    notice_until: r.try_get("notice_until")?,
                    titled: r.try_get::<bool, _>("titled")?,
                });
            }
            out
        }))
    }

    /// An objection to an entry on notice (the core checked the notice runs).
    pub async fn object_catalogue(&self, entry: i64, text: &str, user: Option<i64>) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO catalogue_objections (entry_id, text, user_id, status, created_at) \
                 SELECT id, ?, ?, 'open', ? FROM catalogue_entries WHERE id = ? AND status = 'notice' RETURNING id",
                vec![Bind::S(text), Bind::OI(user), Bind::I(now()), Bind::I(entry)],
            ),
            "catalogue.object",
            "catalogue_objection",
            text,
            user,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the entry is not on notice".into()))
    }

    pub async fn catalogue_objections(&self, entry: i64) -> Result<Vec<CatalogueObjection>> {
        self.objection_rows("entry_id = ?", entry).await
    }

    pub async fn catalogue_objection(&self, id: i64) -> Result<Option<CatalogueObjection>> {
        Ok(self.objection_rows("id = ?", id).await?.into_iter().next())
    }

    async fn objection_rows(&self, cond: &str, v: i64) -> Result<Vec<CatalogueObjection>> {
        let sql = format!("SELECT * FROM catalogue_objections WHERE {cond} ORDER BY id");
        Ok(rows!(self, &sql, [Bind::I(v)], |r| CatalogueObjection {
            id: r.try_get("id")?,
            entry_id: r.try_get("entry_id")?,
            text: r.try_get("text")?,
            status: r.try_get("status")?,
            resolution: r.try_get("resolution")?,
        }))
    }

    /// Resolves an open objection and, when upheld, rejects its entry — in one transaction.
    pub async fn resolve_catalogue_objection(
        &self,
        objection: i64,
        entry: i64,
        upheld: bool,
        resolution: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("catalogue:{entry}");
        let mut stmts = vec![stmt(
            "UPDATE catalogue_objections SET status = ?, resolution = ? WHERE id = ? AND entry_id = ? AND status = 'open'",
            vec![
                Bind::S(if upheld { "upheld" } else { "dismissed" }),
                Bind::S(resolution),
                Bind::I(objection),
                Bind::I(entry),
            ],
        )];
        if upheld {
            stmts.push(stmt(
                "UPDATE catalogue_entries SET status = 'rejected', reason = ?, updated_at = ? WHERE id = ? AND status = 'notice'",
                vec![Bind::S(resolution), Bind::I(now()), Bind::I(entry)],
            ));
        }
        stmts.push(audit(
            actor,
            if upheld {
                "catalogue.objection.upheld"
            } else {
                "catalogue.objection.dismissed"
            },
            &target,
            resolution,
        ));
        self.exec_tx(stmts, Some("the objection is already resolved"))
            .await
    }
}
