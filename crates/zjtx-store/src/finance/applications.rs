//! Applications.

use super::*;

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn apply(
        &self,
        uscc: &str,
        product: i64,
        need: Option<i64>,
        amount: i64,
        today: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        // The first step and the event with the application, in one transaction.
        let id = self
            .insert_id_then(
                stmt(
                    "INSERT INTO applications (uscc, product_id, institution_id, need_id, amount, status, region_code, created_on, updated_at) \
                     SELECT e.uscc, p.id, p.institution_id, ?, ?, 'applied', e.region_code, ?, ? \
                     FROM products p, enterprises e WHERE p.id = ? AND p.status = 'listed' AND e.uscc = ? RETURNING id",
                    vec![
                        Bind::OI(need),
                        Bind::I(amount),
                        Bind::S(today),
                        Bind::I(now()),
                        Bind::I(product),
                        Bind::S(uscc),
                    ],
                ),
                "application.apply",
                "application",
                uscc,
                actor,
                "",
                vec![
                    stmt(
                        "INSERT INTO application_steps (application_id, status, detail, at, by_user) VALUES (?, 'applied', '', ?, ?)",
                        vec![Bind::I(now()), Bind::OI(actor)],
                    ),
                    outbox("application.step", None, "applied"),
                ],
            )
            .await?
            .ok_or_else(|| StoreError::Conflict("the product is not listed".into()))?;
        Ok(id)
    }

    pub async fn application(&self, id: i64) -> Result<Option<Application>> {
        let sql = format!("SELECT {APPLICATION_COLS} WHERE a.id = ?");
        Ok(rows!(self, &sql, [Bind::I(id)], |r| application_row!(r))
            .into_iter()
            .next())
    }

    /// Applications of an enterprise (`uscc`) or to an institution (`institution`).
    pub async fn applications(
        &self,
        uscc: Option<&str>,
        institution: Option<i64>,
    ) -> Result<Vec<Application>> {
        let sql = format!(
            "SELECT {APPLICATION_COLS} WHERE (? = '' OR a.uscc = ?) AND (? = 0 OR a.institution_id = ?) ORDER BY a.id DESC"
        );
        let (u, i) = (uscc.unwrap_or(""), institution.unwrap_or(0));
        Ok(rows!(
            self,
            &sql,
            [Bind::S(u), Bind::S(u), Bind::I(i), Bind::I(i)],
            |r| application_row!(r)
        ))
    }

    /// Applications granted or disbursed on a date of `from..=to` (ISO dates), within some
    /// districts (all when `None`), oldest first: the records behind the period's credit figures.
    pub async fn credit_records(
        &self,
        from: &str,
        to: &str,
        regions: Option<&[String]>,
    ) -> Result<Vec<Application>> {
        let sql = format!(
            "SELECT {APPLICATION_COLS} WHERE (a.granted_on >= ? AND a.granted_on <= ?) \
             OR (a.disbursed_on >= ? AND a.disbursed_on <= ?) ORDER BY a.granted_on, a.id"
        );
        let mut all: Vec<Application> = rows!(
            self,
            &sql,
            [Bind::S(from), Bind::S(to), Bind::S(from), Bind::S(to)],
            |r| application_row!(r)
        );
        if let Some(rs) = regions {
            all.retain(|a| a.region_code.as_ref().is_some_and(|c| rs.contains(c)));
        }
        Ok(all)
    }

    pub async fn application_steps(&self, id: i64) -> Result<Vec<Step>> {
        Ok(rows!(
            self,
            "SELECT * FROM application_steps WHERE application_id = ? ORDER BY at, id",
            [Bind::I(id)],
            |r| Step {
                status: r.try_get("status")?,
                detail: r.try_get("detail")?,
                at: r.try_get("at")?,
            }
        ))
    }

    /// Moves an application on (accepted, granted with amount and date, disbursed with its date,
    /// or declined with a reason), with its step, audit record and messages; a disbursement meets
    /// the need it answered.
    #[allow(clippy::too_many_arguments)]
    pub async fn application_step(
        &self,
        id: i64,
        institution: i64,
        from: ApplicationStatus,
        to: ApplicationStatus,
        amount: Option<i64>,
        on: Option<&str>,
        detail: &str,
        actor: Option<i64>,
        msgs: &[Message<'_>],
    ) -> Result<()> {
        use ApplicationStatus as S;
        let set = match to {
            S::Granted => "granted_amount = ?, granted_on = ?",
            S::Disbursed => "disbursed_on = ?",
            S::Declined => "decline_reason = ?",
            S::Applied | S::Accepted => "",
        };
        let to_name = to.as_str();
        let mut binds = vec![Bind::S(to_name), Bind::I(now())];
        match to {
            S::Granted => {
                binds.push(Bind::OI(amount));
                binds.push(Bind::OS(on));
            }
            S::Disbursed => binds.push(Bind::OS(on)),
            S::Declined => binds.push(Bind::S(detail)),
            S::Applied | S::Accepted => {}
        }
        binds.push(Bind::I(id));
        binds.push(Bind::I(institution));
        binds.push(Bind::S(from.as_str()));
        let sql = format!(
            "UPDATE applications SET status = ?, updated_at = ?{}{set} WHERE id = ? AND institution_id = ? AND status = ?",
            if set.is_empty() { "" } else { ", " },
        );
        let target = format!("application:{id}");
        let action = format!("application.{to_name}");
        // The event's detail: where the application came from (what the rows no longer say).
        let step = format!("{}>{to_name}", from.as_str());
        let mut stmts = vec![
            stmt(sql, binds),
            stmt(
                "INSERT INTO application_steps (application_id, status, detail, at, by_user) VALUES (?, ?, ?, ?, ?)",
                vec![
                    Bind::I(id),
                    Bind::S(to_name),
                    Bind::S(detail),
                    Bind::I(now()),
                    Bind::OI(actor),
                ],
            ),
            audit(actor, &action, &target, detail),
            outbox("application.step", Some(id), &step),
        ];
        if to == S::Disbursed {
            stmts.push(stmt(
                "UPDATE needs SET status = 'met' WHERE id = (SELECT need_id FROM applications WHERE id = ?)",
                vec![Bind::I(id)],
            ));
        }
        stmts.extend(messages(msgs));
        self.exec_tx(
            stmts,
            Some("the application is not in a state that allows this"),
        )
        .await
    }
}
