//! Open challenges (揭榜挂帅, issue 12): challenges, applications, milestones and supplier lists.
//! Every step is one transaction with its audit record, written only if what it moves is still
//! in the state the step started from (the core decided the step from that state). The rows
//! carry an anonymous challenge's poster: hiding it is the web's duty (`Seat::sees_poster`), and
//! the audit records name the challenge by id only.

use serde::Serialize;
use sqlx::Row;
use zjtx_core::enterprise::RdInstitution;
use zjtx_core::workflow::challenge::{
    Acceptance, AppStatus, Application, CandidateFacts, Challenge, Milestone, MilestoneStatus,
    Mode, Scores, Status,
};

use super::declare::{audit, stmt};
use super::{Bind, Result, Store, StoreError, decoded, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct ChallengeRow {
    pub id: i64,
    pub poster_uscc: String,
    pub poster_name: String,
    pub chain: String,
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub deadline: String,
    /// Units of 0.0001 万元.
    pub budget: Option<i64>,
    pub reward: String,
    pub mode: Mode,
    pub anonymous: bool,
    pub status: Status,
    pub reason: String,
    pub subsidy: bool,
    pub published_on: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChallengeApplication {
    pub id: i64,
    pub challenge_id: i64,
    pub uscc: String,
    pub firm: String,
    pub team: String,
    pub capability: String,
    pub plan: String,
    pub status: AppStatus,
    /// Team, capability, plan, fit — once the poster selected it.
    pub scores: Option<[i64; 4]>,
    pub reason: String,
    pub investment: Option<i64>,
    pub subsidy: Option<i64>,
    pub decided_on: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChallengeMilestone {
    pub id: i64,
    pub application_id: i64,
    pub title: String,
    pub due: String,
    pub status: MilestoneStatus,
    pub evidence: String,
    pub note: String,
}

/// A firm of a buyer's supplier list, and the challenge it came from.
#[derive(Clone, Debug, Serialize)]
pub struct Supplier {
    pub uscc: String,
    pub name: String,
    pub challenge_id: i64,
    pub since: String,
}

/// Which challenges: some statuses, one poster's, one chain's.
#[derive(Clone, Debug, Default)]
pub struct ChallengeFilter {
    pub statuses: Vec<Status>,
    pub poster: Option<String>,
    pub chain: Option<String>,
}

const MOVED: &str = "the challenge has moved on";

/// A challenge's fields as stored, in the column order of `post_challenge` and `revise_challenge`.
fn fields<'a>(c: &'a Challenge, deadline: &'a str) -> Vec<Bind<'a>> {
    vec![
        Bind::S(&c.chain),
        Bind::S(&c.title),
        Bind::S(&c.description),
        Bind::S(&c.indicators),
        Bind::S(deadline),
        Bind::OI(c.budget.map(|b| b.units())),
        Bind::S(&c.reward),
        Bind::S(c.mode.key()),
        Bind::I(i64::from(c.anonymous)),
    ]
}

impl Store {
    /// A firm's challenge, submitted for screening; its id.
    pub async fn post_challenge(
        &self,
        uscc: &str,
        c: &Challenge,
        actor: Option<i64>,
    ) -> Result<i64> {
        let deadline = c.deadline.to_string();
        self.insert_id(
            stmt(
                "INSERT INTO challenges (poster_uscc, chain, title, description, indicators, deadline, budget, reward, mode, anonymous, status, created_at, updated_at) \
                 SELECT uscc, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ? FROM enterprises WHERE uscc = ? RETURNING id",
                [fields(c, &deadline), vec![Bind::I(now()), Bind::I(now()), Bind::S(uscc)]].concat(),
            ),
            "challenge.post",
            "challenge",
            "",
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("no such enterprise".into()))
    }

    /// The poster's revision of a returned challenge, sent back for screening.
    pub async fn revise_challenge(&self, id: i64, c: &Challenge, actor: Option<i64>) -> Result<()> {
        let target = format!("challenge:{id}");
        let deadline = c.deadline.to_string();
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE challenges SET chain = ?, title = ?, description = ?, indicators = ?, deadline = ?, budget = ?, \
                     reward = ?, mode = ?, anonymous = ?, status = 'submitted', reason = '', updated_at = ? \
                     WHERE id = ? AND status = 'returned'",
                    [fields(c, &deadline), vec![Bind::I(now()), Bind::I(id)]].concat(),
                ),
                audit(actor, "challenge.revise", &target, ""),
            ],
            Some(MOVED),
        )
        .await
    }

    /// Moves a challenge from `from` to `to` with the step's reason; a publication records its
    /// day and whether the city subsidises it.
    #[allow(clippy::too_many_arguments)]
    pub async fn challenge_step(
        &self,
        id: i64,
        from: Status,
        to: Status,
        reason: &str,
        published: Option<(&str, bool)>,
        action: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("challenge:{id}");
        let detail = format!("{} → {}: {reason}", from.key(), to.key());
        let (on, subsidy) = published.unzip();
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE challenges SET status = ?, reason = ?, published_on = COALESCE(?, published_on), \
                     subsidy = COALESCE(?, subsidy), updated_at = ? WHERE id = ? AND status = ?",
                    vec![
                        Bind::S(to.key()),
                        Bind::S(reason),
                        Bind::OS(on),
                        Bind::OI(subsidy.map(i64::from)),
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::S(from.key()),
                    ],
                ),
                audit(actor, action, &target, &detail),
            ],
            Some(MOVED),
        )
        .await
    }

    pub async fn challenges(&self, f: &ChallengeFilter) -> Result<Vec<ChallengeRow>> {
        let mut wh = vec!["1 = 1".to_owned()];
        let mut binds: Vec<String> = Vec::new();
        if !f.statuses.is_empty() {
            wh.push(format!(
                "c.status IN ({})",
                vec!["?"; f.statuses.len()].join(", ")
            ));
            binds.extend(f.statuses.iter().map(|s| s.key().to_owned()));
        }
        if let Some(p) = &f.poster {
            wh.push("c.poster_uscc = ?".into());
            binds.push(p.clone());
        }
        if let Some(c) = &f.chain {
            wh.push("c.chain = ?".into());
            binds.push(c.clone());
        }
        let sql = format!(
            "SELECT c.*, e.name AS poster_name FROM challenges c JOIN enterprises e ON e.uscc = c.poster_uscc \
             WHERE {} ORDER BY c.deadline DESC, c.id DESC",
            wh.join(" AND ")
        );
        let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        self.challenge_rows(&sql, &binds).await
    }

    pub async fn challenge(&self, id: i64) -> Result<Option<ChallengeRow>> {
        Ok(self
            .challenge_rows(
                "SELECT c.*, e.name AS poster_name FROM challenges c JOIN enterprises e ON e.uscc = c.poster_uscc WHERE c.id = ?",
                &[Bind::I(id)],
            )
            .await?
            .into_iter()
            .next())
    }

    async fn challenge_rows(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<ChallengeRow>> {
        let sql = self.sql(sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in binds {
                q = b.bind_to(q);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                out.push(ChallengeRow {
                    id: r.try_get("id")?,
                    poster_uscc: r.try_get("poster_uscc")?,
                    poster_name: r.try_get("poster_name")?,
                    chain: r.try_get("chain")?,
                    title: r.try_get("title")?,
                    description: r.try_get("description")?,
                    indicators: r.try_get("indicators")?,
                    deadline: r.try_get("deadline")?,
                    budget: r.try_get("budget")?,
                    reward: r.try_get("reward")?,
                    mode: decoded("mode", r.try_get("mode")?, Mode::from_key)?,
                    anonymous: r.try_get::<i64, _>("anonymous")? != 0,
                    status: decoded("status", r.try_get("status")?, Status::from_key)?,
                    reason: r.try_get("reason")?,
                    subsidy: r.try_get::<i64, _>("subsidy")? != 0,
                    published_on: r.try_get("published_on")?,
                });
            }
            out
        }))
    }

    /// A firm's application to a published challenge; refused once it has applied.
    pub async fn apply_challenge(
        &self,
        challenge: i64,
        uscc: &str,
        a: &Application,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO challenge_applications (challenge_id, uscc, team, capability, plan, status, created_at, updated_at) \
                 SELECT id, ?, ?, ?, ?, 'applied', ?, ? FROM challenges WHERE id = ? AND status = 'published' RETURNING id",
                vec![
                    Bind::S(uscc),
                    Bind::S(&a.team),
                    Bind::S(&a.capability),
                    Bind::S(&a.plan),
                    Bind::I(now()),
                    Bind::I(now()),
                    Bind::I(challenge),
                ],
            ),
            "challenge.apply",
            "challenge_application",
            &format!("challenge:{challenge}"),
            actor,
            "already applied",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict(MOVED.into()))
    }

    /// The applications of a challenge, in the order they came.
    pub async fn challenge_applications(
        &self,
        challenge: i64,
    ) -> Result<Vec<ChallengeApplication>> {
        self.application_rows("a.challenge_id = ?", Bind::I(challenge))
            .await
    }

    pub async fn challenge_application(&self, id: i64) -> Result<Option<ChallengeApplication>> {
        Ok(self
            .application_rows("a.id = ?", Bind::I(id))
            .await?
            .into_iter()
            .next())
    }

    /// A firm's own applications, newest first.
    pub async fn applications_of(&self, uscc: &str) -> Result<Vec<ChallengeApplication>> {
        self.application_rows("a.uscc = ?", Bind::S(uscc)).await
    }

    async fn application_rows(&self, cond: &str, b: Bind<'_>) -> Result<Vec<ChallengeApplication>> {
        let sql = format!(
            "SELECT a.*, e.name AS firm FROM challenge_applications a JOIN enterprises e ON e.uscc = a.uscc \
             WHERE {cond} ORDER BY a.id"
        );
        Ok(rows!(self, &sql, [b], |r| {
            let scores: [Option<i64>; 4] = [
                r.try_get("score_team")?,
                r.try_get("score_capability")?,
                r.try_get("score_plan")?,
                r.try_get("score_fit")?,
            ];
            ChallengeApplication {
                id: r.try_get("id")?,
                challenge_id: r.try_get("challenge_id")?,
                uscc: r.try_get("uscc")?,
                firm: r.try_get("firm")?,
                team: r.try_get("team")?,
                capability: r.try_get("capability")?,
                plan: r.try_get("plan")?,
                status: decoded("status", r.try_get("status")?, AppStatus::from_key)?,
                scores: match scores {
                    [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
                    _ => None,
                },
                reason: r.try_get("reason")?,
                investment: r.try_get("investment")?,
                subsidy: r.try_get("subsidy")?,
                decided_on: r.try_get("decided_on")?,
            }
        }))
    }

    /// Moves an application from `from` to `to` with a reason (the applicant's withdrawal).
    pub async fn challenge_application_step(
        &self,
        id: i64,
        from: AppStatus,
        to: AppStatus,
        reason: &str,
        action: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("challenge_application:{id}");
        let detail = format!("{} → {}: {reason}", from.key(), to.key());
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE challenge_applications SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?",
                    vec![
                        Bind::S(to.key()),
                        Bind::S(reason),
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::S(from.key()),
                    ],
                ),
                audit(actor, action, &target, &detail),
            ],
            Some("the application has moved on"),
        )
        .await
    }

    /// The poster selects an application with its scores and reason: refused unless it is still
    /// applied, its challenge still published, and fewer than `max` are selected.
    pub async fn select_application(
        &self,
        id: i64,
        s: &Scores,
        reason: &str,
        max: u32,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("challenge_application:{id}");
        let detail = format!("{} {reason}", s.total());
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE challenge_applications SET status = 'selected', score_team = ?, score_capability = ?, \
                     score_plan = ?, score_fit = ?, reason = ?, updated_at = ? \
                     WHERE id = ? AND status = 'applied' \
                     AND challenge_id IN (SELECT id FROM challenges WHERE status = 'published') \
                     AND (SELECT COUNT(*) FROM challenge_applications o WHERE o.challenge_id = challenge_applications.challenge_id AND o.status = 'selected') < ?",
                    vec![
                        Bind::I(i64::from(s.team)),
                        Bind::I(i64::from(s.capability)),
                        Bind::I(i64::from(s.plan)),
                        Bind::I(i64::from(s.fit)),
                        Bind::S(reason),
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::I(i64::from(max)),
                    ],
                ),
                audit(actor, "challenge.select", &target, &detail),
            ],
            Some("the application has moved on"),
        )
        .await
    }

    /// The poster starts the work: the challenge goes under way if 1..=`max` are selected, and
    /// the applications not selected are closed as such — in one transaction.
    pub async fn start_challenge(&self, id: i64, max: u32, actor: Option<i64>) -> Result<()> {
        let target = format!("challenge:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE challenges SET status = 'underway', updated_at = ? WHERE id = ? AND status = 'published' \
                     AND (SELECT COUNT(*) FROM challenge_applications a WHERE a.challenge_id = ? AND a.status = 'selected') BETWEEN 1 AND ?",
                    vec![
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::I(id),
                        Bind::I(i64::from(max)),
                    ],
                ),
                stmt(
                    "UPDATE challenge_applications SET status = 'not_selected', updated_at = ? WHERE challenge_id = ? AND status = 'applied'",
                    vec![Bind::I(now()), Bind::I(id)],
                ),
                audit(actor, "challenge.start", &target, ""),
            ],
            Some(MOVED),
        )
        .await
    }

    /// A milestone of a selected solver's work; its id.
    pub async fn add_milestone(
        &self,
        application: i64,
        m: &Milestone,
        actor: Option<i64>,
    ) -> Result<i64> {
        let due = m.due.to_string();
        self.insert_id(
            stmt(
                "INSERT INTO challenge_milestones (application_id, title, due, status, created_at, updated_at) \
                 SELECT id, ?, ?, 'planned', ?, ? FROM challenge_applications WHERE id = ? AND status = 'selected' RETURNING id",
                vec![
                    Bind::S(&m.title),
                    Bind::S(&due),
                    Bind::I(now()),
                    Bind::I(now()),
                    Bind::I(application),
                ],
            ),
            "challenge.milestone",
            "challenge_milestone",
            &m.title,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the application has moved on".into()))
    }

    pub async fn milestones(&self, application: i64) -> Result<Vec<ChallengeMilestone>> {
        self.milestone_rows("application_id = ?", application).await
    }

    pub async fn milestone(&self, id: i64) -> Result<Option<ChallengeMilestone>> {
        Ok(self.milestone_rows("id = ?", id).await?.into_iter().next())
    }

    async fn milestone_rows(&self, cond: &str, v: i64) -> Result<Vec<ChallengeMilestone>> {
        let sql = format!("SELECT * FROM challenge_milestones WHERE {cond} ORDER BY due, id");
        Ok(rows!(self, &sql, [Bind::I(v)], |r| ChallengeMilestone {
            id: r.try_get("id")?,
            application_id: r.try_get("application_id")?,
            title: r.try_get("title")?,
            due: r.try_get("due")?,
            status: decoded("status", r.try_get("status")?, MilestoneStatus::from_key)?,
            evidence: r.try_get("evidence")?,
            note: r.try_get("note")?,
        }))
    }

    /// Moves a milestone from `from` to `to`: a report sets its evidence, a confirmation or a
    /// sending back its note.
    #[allow(clippy::too_many_arguments)]
    pub async fn milestone_step(
        &self,
        id: i64,
        from: MilestoneStatus,
        to: MilestoneStatus,
        evidence: Option<&str>,
        note: &str,
        action: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("challenge_milestone:{id}");
        let detail = format!(
            "{} → {}: {}{note}",
            from.key(),
            to.key(),
            evidence.unwrap_or("")
        );
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE challenge_milestones SET status = ?, evidence = COALESCE(?, evidence), note = ?, updated_at = ? \
                     WHERE id = ? AND status = ?",
                    vec![
                        Bind::S(to.key()),
                        Bind::OS(evidence),
                        Bind::S(note),
                        Bind::I(now()),
                        Bind::I(id),
                        Bind::S(from.key()),
                    ],
                ),
                audit(actor, action, &target, &detail),
            ],
            Some("the milestone has moved on"),
        )
        .await
    }

    /// The poster's decision on a selected solver's result — accepted (with the investment, the
    /// subsidy and, if asked, the solver joining the poster's supplier list) or failed with a
    /// reason — and the challenge closed when no solver is left selected; one transaction. An
    /// acceptance is refused while a milestone is not done.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_application(
        &self,
        app: &ChallengeApplication,
        buyer: &str,
        accepted: Option<(Acceptance, bool)>,
        reason: &str,
        today: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("challenge_application:{}", app.id);
        let (to, inv, sub) = match accepted {
            Some((a, _)) => (
                AppStatus::Accepted,
                a.investment.map(|w| w.units()),
                a.subsidy.map(|w| w.units()),
            ),
            None => (AppStatus::Failed, None, None),
        };
        let mut stmts = vec![stmt(
            "UPDATE challenge_applications SET status = ?, reason = CASE WHEN ? = '' THEN reason ELSE ? END, \
             investment = ?, subsidy = ?, decided_on = ?, updated_at = ? \
             WHERE id = ? AND status = 'selected' \
             AND challenge_id IN (SELECT id FROM challenges WHERE status = 'underway') \
             AND (? = 'failed' OR (EXISTS (SELECT 1 FROM challenge_milestones m WHERE m.application_id = ?) \
                  AND NOT EXISTS (SELECT 1 FROM challenge_milestones m WHERE m.application_id = ? AND m.status <> 'done')))",
            vec![
                Bind::S(to.key()),
                Bind::S(reason),
                Bind::S(reason),
                Bind::OI(inv),
                Bind::OI(sub),
                Bind::S(today),
                Bind::I(now()),
                Bind::I(app.id),
                Bind::S(to.key()),
                Bind::I(app.id),
                Bind::I(app.id),
            ],
        )];
        if let Some((_, true)) = accepted {
            stmts.push(stmt(
                "INSERT INTO suppliers (buyer_uscc, supplier_uscc, challenge_id, since) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (buyer_uscc, supplier_uscc) DO NOTHING",
                vec![
                    Bind::S(buyer),
                    Bind::S(&app.uscc),
                    Bind::I(app.challenge_id),
                    Bind::S(today),
                ],
            ));
        }
        stmts.push(stmt(
            "UPDATE challenges SET status = 'closed', updated_at = ? WHERE id = ? AND status = 'underway' \
             AND NOT EXISTS (SELECT 1 FROM challenge_applications a WHERE a.challenge_id = ? AND a.status = 'selected')",
            vec![Bind::I(now()), Bind::I(app.challenge_id), Bind::I(app.challenge_id)],
        ));
        let detail = match (inv, sub) {
            (_, Some(s)) => format!("{} subsidy {s}", to.key()),
            _ => format!("{} {reason}", to.key()),
        };
        stmts.push(audit(
            actor,
            if to == AppStatus::Accepted {
                "challenge.accept"
            } else {
                "challenge.fail"
            },
            &target,
            &detail,
        ));
        self.exec_tx(stmts, Some("the application has moved on"))
            .await
    }

    /// A buyer's supplier list.
    pub async fn suppliers_of(&self, buyer: &str) -> Result<Vec<Supplier>> {
        Ok(rows!(
            self,
            "SELECT s.supplier_uscc, e.name, s.challenge_id, s.since FROM suppliers s \
             JOIN enterprises e ON e.uscc = s.supplier_uscc WHERE s.buyer_uscc = ? ORDER BY s.since, s.supplier_uscc",
            [Bind::S(buyer)],
            |r| Supplier {
                uscc: r.try_get("supplier_uscc")?,
                name: r.try_get("name")?,
                challenge_id: r.try_get("challenge_id")?,
                since: r.try_get("since")?,
            }
        ))
    }

    /// The firms a recommendation weighs for a challenge of `chain`: those tagged with it and
    /// those of its ecosystem with main products on record (at most `cap`, tagged ones first),
    /// with their titles valid on `today`, their latest R&D institution and their accepted
    /// results.
    pub async fn candidate_facts(
        &self,
        chain: &str,
        ecosystem: &str,
        today: &str,
        cap: i64,
    ) -> Result<Vec<CandidateFacts>> {
        const POOL: &str = "WITH pool AS (SELECT e.uscc FROM enterprises e \
             WHERE e.uscc IN (SELECT uscc FROM enterprise_chains WHERE chain = ?) \
                OR (e.ecosystem = ? AND e.main_products IS NOT NULL AND e.main_products <> '') \
             ORDER BY CASE WHEN e.uscc IN (SELECT uscc FROM enterprise_chains WHERE chain = ?) THEN 0 ELSE 1 END, e.uscc \
             LIMIT ?) ";
        let base: Vec<(String, String, String, String, Option<String>, i64)> = rows!(
            self,
            &format!(
                "{POOL}SELECT e.uscc, e.name, e.size, COALESCE(e.main_products, '') AS products, y.cells, \
                    (SELECT COUNT(*) FROM challenge_applications a WHERE a.uscc = e.uscc AND a.status = 'accepted') AS accepted \
                 FROM pool JOIN enterprises e ON e.uscc = pool.uscc \
                 LEFT JOIN enterprise_years y ON y.uscc = e.uscc AND y.year = e.latest_year ORDER BY e.uscc"
            ),
            [
                Bind::S(chain),
                Bind::S(ecosystem),
                Bind::S(chain),
                Bind::I(cap)
            ],
            |r| (
                r.try_get("uscc")?,
                r.try_get("name")?,
                r.try_get("size")?,
                r.try_get("products")?,
                r.try_get("cells")?,
                r.try_get("accepted")?
            )
        );
        let titles: Vec<(String, String)> = rows!(
            self,
            &format!(
                "{POOL}SELECT t.uscc, t.tier FROM pool JOIN titles t ON t.uscc = pool.uscc WHERE t.valid_until >= ?"
            ),
            [
                Bind::S(chain),
                Bind::S(ecosystem),
                Bind::S(chain),
                Bind::I(cap),
                Bind::S(today)
            ],
            |r| (r.try_get("uscc")?, r.try_get("tier")?)
        );
        let chains: Vec<(String, String)> = rows!(
            self,
            &format!(
                "{POOL}SELECT c.uscc, c.chain FROM pool JOIN enterprise_chains c ON c.uscc = pool.uscc"
            ),
            [
                Bind::S(chain),
                Bind::S(ecosystem),
                Bind::S(chain),
                Bind::I(cap)
            ],
            |r| (r.try_get("uscc")?, r.try_get("chain")?)
        );
        let of = |pairs: &[(String, String)], u: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(k, _)| k == u)
                .map(|(_, v)| v.clone())
                .collect()
        };
        Ok(base
            .into_iter()
            .map(|(uscc, name, size, products, cells, accepted)| {
                let rd_institution = cells
                    .and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
                    .and_then(|v| {
                        v.get("rd_institution")
                            .and_then(|x| x.as_str())
                            .and_then(RdInstitution::parse)
                    });
                CandidateFacts {
                    titles: of(&titles, &uscc),
                    chains: of(&chains, &uscc),
                    uscc,
                    name,
                    large: size == "large",
                    main_products: products,
                    rd_institution,
                    accepted: u32::try_from(accepted).unwrap_or(0),
                }
            })
            .collect())
    }
}
