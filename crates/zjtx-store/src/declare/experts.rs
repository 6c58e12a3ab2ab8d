//! Experts and the draw.

use super::*;
use crate::NewUser;

impl Store {
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
        self.enroll_expert(
            Ok(user_id),
            &NewExpert {
                name,
                fields,
                employer_uscc,
                conflicts,
            },
            actor,
        )
        .await
    }

    /// Opens an account of role `expert` and adds it to the pool, in one transaction: a name
    /// taken, or anything refused, leaves no account behind.
    pub async fn add_expert_account(
        &self,
        user: &NewUser,
        expert: &NewExpert<'_>,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.enroll_expert(Err(user), expert, actor).await
    }

    async fn enroll_expert(
        &self,
        account: std::result::Result<i64, &NewUser>,
        x: &NewExpert<'_>,
        actor: Option<i64>,
    ) -> Result<i64> {
        let user_sql = self.sql(
            "INSERT INTO users (username, password_hash, role, region_code, uscc, disabled, failed_logins, created_at) \
             VALUES (?, ?, 'expert', NULL, NULL, 0, 0, ?) RETURNING id",
        );
        let sql = self.sql(
            "INSERT INTO experts (user_id, name, fields, employer_uscc, active) \
             SELECT id, ?, ?, ?, 1 FROM users WHERE id = ? AND role = 'expert' RETURNING id",
        );
        let conflict_sql = self
            .sql("INSERT INTO expert_conflicts (expert_id, uscc, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
        let audit_sql = self.sql(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, 'expert.add', ?, ?)",
        );
        let (name, fields) = (x.name, x.fields);
        let mut taken_name = false;
        let res: std::result::Result<Option<i64>, sqlx::Error> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let user_id = match account {
                    Ok(id) => id,
                    Err(u) => match sqlx::query(safe(&user_sql)).bind(&u.username).bind(&u.password_hash)
                        .bind(now()).fetch_one(&mut *tx).await {
                        Ok(r) => r.try_get::<i64, _>("id")?,
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            taken_name = true;
                            return Ok(None);
                        }
                        Err(e) => return Err(e),
                    },
                };
                let Some(row) = sqlx::query(safe(&sql)).bind(name).bind(fields).bind(x.employer_uscc).bind(user_id)
                    .fetch_optional(&mut *tx).await? else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                // Employment is a conflict by itself.
                let employment = x.employer_uscc.map(|u| (u.to_owned(), "employment".to_owned()));
                for (uscc, kind) in x.conflicts.iter().cloned().chain(employment) {
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
            Ok(None) if taken_name => Err(StoreError::Conflict("the account name is taken".into())),
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

    /// Takes an expert out of the draw, or back into it, with its audit record in one
    /// transaction; false when there is no such expert.
    pub async fn set_expert_active(
        &self,
        id: i64,
        active: bool,
        actor: Option<i64>,
    ) -> Result<bool> {
        let target = format!("expert:{id}");
        let action = if active {
            "expert.activate"
        } else {
            "expert.deactivate"
        };
        let stmts = vec![
            stmt(
                "UPDATE experts SET active = ? WHERE id = ?",
                vec![Bind::I(i64::from(active)), Bind::I(id)],
            ),
            audit(actor, action, &target, ""),
        ];
        absent_is_false(self.exec_tx(stmts, Some("absent")).await)
    }

    /// Declares a conflict of interest of an expert (employment, shareholding, relation), with
    /// its audit record in one transaction; false when there is no such expert or it was
    /// declared already.
    pub async fn add_expert_conflict(
        &self,
        id: i64,
        uscc: &str,
        kind: &str,
        actor: Option<i64>,
    ) -> Result<bool> {
        let target = format!("expert:{id}");
        let detail = format!("{uscc} {kind}");
        let stmts = vec![
            stmt(
                "INSERT INTO expert_conflicts (expert_id, uscc, kind) SELECT id, ?, ? FROM experts \
                 WHERE id = ? ON CONFLICT DO NOTHING",
                vec![Bind::S(uscc), Bind::S(kind), Bind::I(id)],
            ),
            audit(actor, "expert.conflict", &target, &detail),
        ];
        absent_is_false(self.exec_tx(stmts, Some("absent")).await)
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
}

/// A guarded step's refusal for want of its row, as `false`.
fn absent_is_false(r: Result<()>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict(m)) if m == "absent" => Ok(false),
        Err(e) => Err(e),
    }
}
