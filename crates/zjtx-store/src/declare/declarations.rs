//! Declarations.

use super::*;

impl Store {
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
                    Bind::S(r.level.as_str()),
                    Bind::I(r.reviewer_id),
                    Bind::S(r.decision.as_str()),
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
                        Bind::S(review.level.as_str()),
                        Bind::I(review.reviewer_id),
                        Bind::S(review.decision.as_str()),
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
                    level: {
                        let l: String = r.try_get("level")?;
                        ReviewLevel::parse(&l).ok_or_else(|| {
                            sqlx::Error::Decode(format!("unknown review level {l:?}").into())
                        })?
                    },
                    reviewer_id: r.try_get("reviewer_id")?,
                    reviewer: r.try_get("username")?,
                    decision: {
                        let d: String = r.try_get("decision")?;
                        ReviewDecision::parse(&d).ok_or_else(|| {
                            sqlx::Error::Decode(format!("unknown review decision {d:?}").into())
                        })?
                    },
                    reason: r.try_get("reason")?,
                    opinions: r.try_get("opinions")?,
                    score: r.try_get("score")?,
                    at: r.try_get("at")?,
                    overrides: r.try_get("overrides")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}
