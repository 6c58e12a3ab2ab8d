//! The server's scheduled work: which instance runs a job on a day, and what it did.

use super::*;

/// A job's last run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScheduledRun {
    pub name: String,
    pub day: String,
    pub owner: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: Option<String>,
}

impl Store {
    /// Claims job `name` for `day` for `owner`: true for exactly one of several instances asking
    /// at once. A day already claimed is taken again only when its run is older than
    /// `stale_secs` and never finished (its instance died in it).
    pub async fn claim_run(
        &self,
        name: &str,
        day: &str,
        owner: &str,
        stale_secs: i64,
    ) -> Result<bool> {
        let at = now();
        Ok(self
            .exec(
                "INSERT INTO scheduled_runs (name, day, owner, started_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (name) DO UPDATE SET day = excluded.day, owner = excluded.owner, \
                 started_at = excluded.started_at, finished_at = NULL, outcome = NULL \
                 WHERE scheduled_runs.day < excluded.day \
                 OR (scheduled_runs.day = excluded.day AND scheduled_runs.finished_at IS NULL \
                     AND scheduled_runs.started_at < ?)",
                &[
                    Bind::S(name),
                    Bind::S(day),
                    Bind::S(owner),
                    Bind::I(at),
                    Bind::I(at - stale_secs),
                ],
            )
            .await?
            == 1)
    }

    /// Records the end of a claimed run and what it did.
    pub async fn finish_run(
        &self,
        name: &str,
        day: &str,
        owner: &str,
        outcome: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE scheduled_runs SET finished_at = ?, outcome = ? WHERE name = ? AND day = ? AND owner = ?",
            &[Bind::I(now()), Bind::S(outcome), Bind::S(name), Bind::S(day), Bind::S(owner)],
        )
        .await?;
        Ok(())
    }

    /// Every job's last run.
    pub async fn scheduled_runs(&self) -> Result<Vec<ScheduledRun>> {
        let sql = self.sql(
            "SELECT name, day, owner, started_at, finished_at, outcome FROM scheduled_runs ORDER BY name",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).fetch_all(p).await?.iter()
                .map(|r| Ok(ScheduledRun {
                    name: r.try_get("name")?,
                    day: r.try_get("day")?,
                    owner: r.try_get("owner")?,
                    started_at: r.try_get("started_at")?,
                    finished_at: r.try_get("finished_at")?,
                    outcome: r.try_get("outcome")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Removes the uploaded files whose confirmation time has passed; returns how many.
    pub async fn purge_pending_imports(&self) -> Result<u64> {
        self.exec(
            "DELETE FROM pending_imports WHERE created_at < ?",
            &[Bind::I(now() - Self::PENDING_IMPORT_SECS)],
        )
        .await
    }
}

/// A consent whose last day was `day`, with who is to be told.
#[derive(Clone, Debug)]
pub struct EndedConsent {
    pub uscc: String,
    pub firm: String,
    pub institution: String,
    /// The institution's staff accounts (not its system keys).
    pub staff: Vec<i64>,
}

impl Store {
    /// The consents (not revoked) whose validity ended on `day`.
    pub async fn consents_ended_on(&self, day: &str) -> Result<Vec<EndedConsent>> {
        let sql = self.sql(
            "SELECT c.uscc, e.name AS firm, i.name AS institution, c.institution_id \
             FROM consents c JOIN enterprises e ON e.uscc = c.uscc \
             JOIN institutions i ON i.id = c.institution_id \
             WHERE c.valid_until = ? AND c.revoked_at IS NULL ORDER BY c.id",
        );
        let staff_sql = self.sql(
            "SELECT id FROM users WHERE institution_id = ? AND disabled = 0 \
             AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = users.id) ORDER BY id",
        );
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).bind(day).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let inst: i64 = r.try_get("institution_id")?;
                let staff = sqlx::query_scalar::<_, i64>(safe(&staff_sql))
                    .bind(inst)
                    .fetch_all(p)
                    .await?;
                out.push(EndedConsent {
                    uscc: r.try_get("uscc")?,
                    firm: r.try_get("firm")?,
                    institution: r.try_get("institution")?,
                    staff,
                });
            }
            out
        }))
    }

    /// Titles whose validity ends on `day`: (uscc, tier).
    pub async fn titles_ending_on(&self, day: &str) -> Result<Vec<(String, String)>> {
        let sql =
            self.sql("SELECT uscc, tier FROM titles WHERE valid_until = ? ORDER BY uscc, tier");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(day).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("uscc")?, r.try_get("tier")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}
