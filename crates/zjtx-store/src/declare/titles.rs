//! Decisions and titles.

use super::*;

impl Store {
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

    pub(crate) async fn decisions_where(&self, cond: &str, v: Bind<'_>) -> Result<Vec<Decision>> {
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
                    kind: {
                        let k: String = r.try_get("kind")?;
                        TitleEventKind::parse(&k).ok_or_else(|| {
                            sqlx::Error::Decode(format!("unknown title event {k:?}").into())
                        })?
                    },
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
}
