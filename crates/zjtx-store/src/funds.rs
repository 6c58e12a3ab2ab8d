//! Funding programmes (issue 13): calls (each with its programme file, frozen), budgets by level,
//! applications and their awards, and the money paid and recovered. Every step is one
//! transaction with its audit record, written only if the application is still where the step
//! started — and an approval only while both budgets hold it, a payment or a recovery only within
//! its level's share, checked in the same statement.

use serde::Serialize;
use sqlx::Row;
use zjtx_core::workflow::fund::{Cause, Level, Money, Status};

use super::declare::{audit, stmt};
use super::{Bind, Result, Store, StoreError, decoded, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct FundCall {
    pub id: i64,
    pub programme_id: String,
    pub year: i64,
    pub category: String,
    pub title: String,
    pub opens_on: String,
    pub closes_on: String,
    /// The programme file the call was opened under.
    pub programme: String,
    /// Units of 0.0001 万元: the budgets of every level, approved awards, payments, recoveries.
    pub budget: i64,
    pub committed: i64,
    pub paid: i64,
    pub recovered: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FundApplication {
    pub id: i64,
    pub call_id: i64,
    pub programme_id: String,
    /// The call's title, as people read it.
    pub call_title: String,
    pub uscc: String,
    pub firm: String,
    pub region_code: Option<String>,
    pub code: String,
    pub name: String,
    /// The project as a projects file's row (`PROJECT_COLUMNS` order).
    pub cells: Vec<String>,
    pub invoices: String,
    pub status: Status,
    pub reason: String,
    pub amount: Option<i64>,
    pub city: Option<i64>,
    pub district: Option<i64>,
    /// The award's trace, as JSON.
    pub award: Option<String>,
    pub decided_on: Option<String>,
    /// Paid and recovered so far, by the city and by the district.
    pub paid_city: i64,
    pub paid_district: i64,
    pub recovered_city: i64,
    pub recovered_district: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FundMoney {
    pub id: i64,
    pub application_id: i64,
    /// `payment` or `recovery`.
    pub kind: String,
    pub level: Level,
    pub amount: i64,
    pub on_day: String,
    pub reference: String,
    pub cause: String,
}

/// Which applications: a call's, the districts a user may see, one firm's, some statuses.
#[derive(Clone, Debug, Default)]
pub struct FundFilter {
    pub call_id: Option<i64>,
    pub regions: Option<Vec<String>>,
    pub uscc: Option<String>,
    pub statuses: Vec<Status>,
}

const MOVED: &str = "the application has moved on";

const APP_SELECT: &str = "SELECT a.*, c.programme_id, c.title AS call_title, e.name AS firm, \
    (SELECT CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) FROM fund_money m WHERE m.application_id = a.id AND m.kind = 'payment' AND m.level = 'city') AS paid_city, \
    (SELECT CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) FROM fund_money m WHERE m.application_id = a.id AND m.kind = 'payment' AND m.level = 'district') AS paid_district, \
    (SELECT CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) FROM fund_money m WHERE m.application_id = a.id AND m.kind = 'recovery' AND m.level = 'city') AS recovered_city, \
    (SELECT CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) FROM fund_money m WHERE m.application_id = a.id AND m.kind = 'recovery' AND m.level = 'district') AS recovered_district \
    FROM fund_applications a JOIN fund_calls c ON c.id = a.call_id JOIN enterprises e ON e.uscc = a.uscc";

impl Store {
    /// What the programmes read of a registry firm on `today` (its titles then valid, its chains,
    /// its latest digital level); `None` when it is not registered.
    pub async fn firm_facts(
        &self,
        uscc: &str,
        today: &str,
    ) -> Result<Option<zjtx_core::programme::FirmFacts>> {
        let Some(row) = self.enterprise(uscc).await? else {
            return Ok(None);
        };
        let titles = self
            .titles(uscc)
            .await?
            .into_iter()
            .filter(|(_, until)| until.as_str() >= today)
            .map(|(t, _)| t)
            .collect();
        let digital_level = self
            .years(uscc)
            .await?
            .first()
            .and_then(|(_, e)| e.digital_level)
            .filter(|l| *l > 0)
            .map(|l| zjtx_core::num::Dec4::whole(i64::from(l)));
        Ok(Some(zjtx_core::programme::FirmFacts {
            uscc: row.uscc.clone(),
            name: row.name.clone(),
            district: row.region_code.clone(),
            industry_code: Some(row.industry_code.clone()),
            ecosystem: row.ecosystem.clone(),
            size: Some(row.size.key().to_owned()),
            titles,
            chains: self.chains_of(uscc).await?,
            digital_level,
        }))
    }

    /// Opens a call of a programme with its file and the city's and the districts' budgets.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_call(
        &self,
        programme_id: &str,
        year: i32,
        category: &str,
        title: &str,
        window: (&str, &str),
        programme: &str,
        budgets: &[(String, i64)],
        actor: Option<i64>,
    ) -> Result<i64> {
        let id = self
            .insert_id(
                stmt(
                    "INSERT INTO fund_calls (programme_id, year, category, title, opens_on, closes_on, programme, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    vec![
                        Bind::S(programme_id),
                        Bind::I(i64::from(year)),
                        Bind::S(category),
                        Bind::S(title),
                        Bind::S(window.0),
                        Bind::S(window.1),
                        Bind::S(programme),
                        Bind::I(now()),
                    ],
                ),
                "fund.call.open",
                "fund_call",
                programme_id,
                actor,
                "a call of this programme exists",
            )
            .await?
            .ok_or_else(|| StoreError::Conflict("the call was not opened".into()))?;
        for (level, amount) in budgets {
            self.set_budget(id, level, *amount, actor).await?;
        }
        Ok(id)
    }

    /// Sets (or replaces) a level's budget of a call.
    pub async fn set_budget(
        &self,
        call: i64,
        level: &str,
        amount: i64,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("fund_call:{call}");
        let detail = format!("{level} = {amount}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO fund_budgets (call_id, level, amount) VALUES (?, ?, ?) \
                     ON CONFLICT (call_id, level) DO UPDATE SET amount = excluded.amount",
                    vec![Bind::I(call), Bind::S(level), Bind::I(amount)],
                ),
                audit(actor, "fund.budget", &target, &detail),
            ],
            None,
        )
        .await
    }

    /// A call's budgets: (level, amount).
    pub async fn budgets(&self, call: i64) -> Result<Vec<(String, i64)>> {
        Ok(rows!(
            self,
            "SELECT level, amount FROM fund_budgets WHERE call_id = ? ORDER BY level",
            [Bind::I(call)],
            |r| (r.try_get("level")?, r.try_get("amount")?)
        ))
    }

    /// What the approved awards of a call commit at a level (`city`, or a district's code).
    pub async fn committed(&self, call: i64, level: &str) -> Result<i64> {
        let v: Vec<i64> = if level == "city" {
            rows!(
                self,
                "SELECT CAST(COALESCE(SUM(city), 0) AS BIGINT) AS n FROM fund_applications WHERE call_id = ? AND status = 'approved'",
                [Bind::I(call)],
                |r| r.try_get("n")?
            )
        } else {
            rows!(
                self,
                "SELECT CAST(COALESCE(SUM(district), 0) AS BIGINT) AS n FROM fund_applications WHERE call_id = ? AND status = 'approved' AND region_code = ?",
                [Bind::I(call), Bind::S(level)],
                |r| r.try_get("n")?
            )
        };
        Ok(v.first().copied().unwrap_or(0))
    }

    /// What a level's budget of a call has left after its approved awards (0 without a budget).
    pub async fn budget_left(&self, call: i64, level: &str) -> Result<i64> {
        let budget = self
            .budgets(call)
            .await?
            .into_iter()
            .find(|(l, _)| l == level)
            .map_or(0, |(_, v)| v);
        Ok(budget - self.committed(call, level).await?)
    }

    /// Every call, newest year first, with its totals.
    pub async fn calls(&self) -> Result<Vec<FundCall>> {
        self.call_rows("1 = 1", None).await
    }

    pub async fn call(&self, id: i64) -> Result<Option<FundCall>> {
        Ok(self
            .call_rows("c.id = ?", Some(id))
            .await?
            .into_iter()
            .next())
    }

    async fn call_rows(&self, cond: &str, id: Option<i64>) -> Result<Vec<FundCall>> {
        let sql = format!(
            "SELECT c.*, \
               (SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) FROM fund_budgets b WHERE b.call_id = c.id) AS budget, \
               (SELECT CAST(COALESCE(SUM(a.amount), 0) AS BIGINT) FROM fund_applications a WHERE a.call_id = c.id AND a.status = 'approved') AS committed, \
               (SELECT CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) FROM fund_money m JOIN fund_applications a ON a.id = m.application_id WHERE a.call_id = c.id AND m.kind = 'payment') AS paid, \
               (SELECT CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) FROM fund_money m JOIN fund_applications a ON a.id = m.application_id WHERE a.call_id = c.id AND m.kind = 'recovery') AS recovered \
             FROM fund_calls c WHERE {cond} ORDER BY c.year DESC, c.id"
        );
        let sql = self.sql(&sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            if let Some(i) = id {
                q = q.bind(i);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                out.push(FundCall {
                    id: r.try_get("id")?,
                    programme_id: r.try_get("programme_id")?,
                    year: r.try_get("year")?,
                    category: r.try_get("category")?,
                    title: r.try_get("title")?,
                    opens_on: r.try_get("opens_on")?,
                    closes_on: r.try_get("closes_on")?,
                    programme: r.try_get("programme")?,
                    budget: r.try_get("budget")?,
                    committed: r.try_get("committed")?,
                    paid: r.try_get("paid")?,
                    recovered: r.try_get("recovered")?,
                });
            }
            out
        }))
    }

    /// An enterprise's application to a call (its district kept for the district's review); once
    /// per project code and call.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_fund(
        &self,
        call: i64,
        uscc: &str,
        code: &str,
        name: &str,
        cells: &[String],
        invoices: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        let cells = serde_json::to_string(cells).unwrap_or_default();
        self.insert_id(
            stmt(
                "INSERT INTO fund_applications (call_id, uscc, region_code, code, name, cells, invoices, status, created_at, updated_at) \
                 SELECT ?, uscc, region_code, ?, ?, ?, ?, 'submitted', ?, ? FROM enterprises WHERE uscc = ? RETURNING id",
                vec![
                    Bind::I(call),
                    Bind::S(code),
                    Bind::S(name),
                    Bind::S(&cells),
                    Bind::S(invoices),
                    Bind::I(now()),
                    Bind::I(now()),
                    Bind::S(uscc),
                ],
            ),
            "fund.apply",
            "fund_application",
            code,
            actor,
            "this project has already applied to this call",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("no such enterprise".into()))
    }

    /// The firm's changed application, sent back for review; refused unless it was returned.
    pub async fn resubmit_fund(
        &self,
        id: i64,
        name: &str,
        cells: &[String],
        invoices: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let cells = serde_json::to_string(cells).unwrap_or_default();
        let target = format!("fund_application:{id}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE fund_applications SET name = ?, cells = ?, invoices = ?, status = 'submitted', reason = '', updated_at = ? \
                     WHERE id = ? AND status = 'returned'",
                    vec![
                        Bind::S(name),
                        Bind::S(&cells),
                        Bind::S(invoices),
                        Bind::I(now()),
                        Bind::I(id),
                    ],
                ),
                audit(actor, "fund.resubmit", &target, ""),
            ],
            Some(MOVED),
        )
        .await
    }

    /// A review or a rejection: from `from` to `to`, with the reason.
    pub async fn fund_step(
        &self,
        id: i64,
        from: Status,
        to: Status,
        reason: &str,
        action: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("fund_application:{id}");
        let detail = format!("{} → {}: {reason}", from.key(), to.key());
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE fund_applications SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?",
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
            Some(MOVED),
        )
        .await
    }

    /// The city's approval with its award, in one transaction: refused unless the application is
    /// still recommended and both budgets still hold the award (checked in the statement); a
    /// lower unpaid award of the same project elsewhere is superseded.
    #[allow(clippy::too_many_arguments)]
    pub async fn approve_fund(
        &self,
        app: &FundApplication,
        amounts: (i64, i64, i64),
        award: &str,
        day: &str,
        supersede: Option<i64>,
        actor: Option<i64>,
    ) -> Result<()> {
        let (amount, city, district) = amounts;
        let target = format!("fund_application:{}", app.id);
        let region = app.region_code.clone().unwrap_or_default();
        let detail = format!("{amount} (city {city}, district {district})");
        let mut stmts = vec![stmt(
            "UPDATE fund_applications SET status = 'approved', amount = ?, city = ?, district = ?, award = ?, decided_on = ?, updated_at = ? \
             WHERE id = ? AND status = 'recommended' \
             AND (SELECT CAST(COALESCE(SUM(o.city), 0) AS BIGINT) FROM fund_applications o WHERE o.call_id = ? AND o.status = 'approved') + ? \
                 <= (SELECT COALESCE(MAX(b.amount), 0) FROM fund_budgets b WHERE b.call_id = ? AND b.level = 'city') \
             AND (SELECT CAST(COALESCE(SUM(o.district), 0) AS BIGINT) FROM fund_applications o WHERE o.call_id = ? AND o.status = 'approved' AND o.region_code = ?) + ? \
                 <= (SELECT COALESCE(MAX(b.amount), 0) FROM fund_budgets b WHERE b.call_id = ? AND b.level = ?)",
            vec![
                Bind::I(amount),
                Bind::I(city),
                Bind::I(district),
                Bind::S(award),
                Bind::S(day),
                Bind::I(now()),
                Bind::I(app.id),
                Bind::I(app.call_id),
                Bind::I(city),
                Bind::I(app.call_id),
                Bind::I(app.call_id),
                Bind::S(&region),
                Bind::I(district),
                Bind::I(app.call_id),
                Bind::S(&region),
            ],
        )];
        let other_target = supersede.map(|o| format!("fund_application:{o}"));
        if let Some(o) = supersede {
            stmts.push(stmt(
                "UPDATE fund_applications SET status = 'superseded', reason = ?, updated_at = ? WHERE id = ? AND status = 'approved' \
                 AND NOT EXISTS (SELECT 1 FROM fund_money m WHERE m.application_id = ?)",
                vec![
                    Bind::S("superseded by a higher award of the same project"),
                    Bind::I(now()),
                    Bind::I(o),
                    Bind::I(o),
                ],
            ));
        }
        stmts.push(audit(actor, "fund.approve", &target, &detail));
        if let Some(t) = &other_target {
            stmts.push(audit(actor, "fund.supersede", t, &target));
        }
        self.exec_tx(
            stmts,
            Some("the application has moved on, or a budget no longer holds it"),
        )
        .await
    }

    pub async fn fund_applications(&self, f: &FundFilter) -> Result<Vec<FundApplication>> {
        let mut wh = vec!["1 = 1".to_owned()];
        let mut binds: Vec<String> = Vec::new();
        if let Some(c) = f.call_id {
            wh.push("a.call_id = CAST(? AS BIGINT)".into());
            binds.push(c.to_string());
        }
        if let Some(rs) = &f.regions {
            if rs.is_empty() {
                wh.push("1 = 0".into());
            } else {
                wh.push(format!(
                    "a.region_code IN ({})",
                    vec!["?"; rs.len()].join(", ")
                ));
                binds.extend(rs.iter().cloned());
            }
        }
        if let Some(u) = &f.uscc {
            wh.push("a.uscc = ?".into());
            binds.push(u.clone());
        }
        if !f.statuses.is_empty() {
            wh.push(format!(
                "a.status IN ({})",
                vec!["?"; f.statuses.len()].join(", ")
            ));
            binds.extend(f.statuses.iter().map(|s| s.key().to_owned()));
        }
        let sql = format!("{APP_SELECT} WHERE {} ORDER BY a.id", wh.join(" AND "));
        let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        self.fund_rows(&sql, &binds).await
    }

    pub async fn fund_application(&self, id: i64) -> Result<Option<FundApplication>> {
        let sql = format!("{APP_SELECT} WHERE a.id = ?");
        Ok(self
            .fund_rows(&sql, &[Bind::I(id)])
            .await?
            .into_iter()
            .next())
    }

    /// The approved awards of a project (by its registration code) other than `except`.
    pub async fn awards_of_project(&self, code: &str, except: i64) -> Result<Vec<FundApplication>> {
        let sql = format!("{APP_SELECT} WHERE a.code = ? AND a.status = 'approved' AND a.id <> ?");
        self.fund_rows(&sql, &[Bind::S(code), Bind::I(except)])
            .await
    }

    async fn fund_rows(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<FundApplication>> {
        let sql = self.sql(sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in binds {
                q = b.bind_to(q);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                let cells: String = r.try_get("cells")?;
                out.push(FundApplication {
                    id: r.try_get("id")?,
                    call_id: r.try_get("call_id")?,
                    programme_id: r.try_get("programme_id")?,
                    call_title: r.try_get("call_title")?,
                    uscc: r.try_get("uscc")?,
                    firm: r.try_get("firm")?,
                    region_code: r.try_get("region_code")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    cells: serde_json::from_str(&cells)
                        .map_err(|e| sqlx::Error::Decode(format!("cells: {e}").into()))?,
                    invoices: r.try_get("invoices")?,
                    status: decoded("status", r.try_get("status")?, Status::from_key)?,
                    reason: r.try_get("reason")?,
                    amount: r.try_get("amount")?,
                    city: r.try_get("city")?,
                    district: r.try_get("district")?,
                    award: r.try_get("award")?,
                    decided_on: r.try_get("decided_on")?,
                    paid_city: r.try_get("paid_city")?,
                    paid_district: r.try_get("paid_district")?,
                    recovered_city: r.try_get("recovered_city")?,
                    recovered_district: r.try_get("recovered_district")?,
                });
            }
            out
        }))
    }

    /// An instalment (`payment`) or a recovery of an award, guarded in the statement: a payment
    /// within what is left of the level's share, a recovery within what the level paid and has
    /// not recovered.
    pub async fn fund_money(
        &self,
        app: i64,
        m: &Money,
        cause: Option<Cause>,
        actor: Option<i64>,
    ) -> Result<i64> {
        let on = m.on.to_string();
        let level = m.level.key();
        let (kind, guard) = match cause {
            None => (
                "payment",
                "(CASE WHEN ? = 'city' THEN a.city ELSE a.district END) >= ? + \
                 (SELECT COALESCE(SUM(x.amount), 0) FROM fund_money x WHERE x.application_id = a.id AND x.kind = 'payment' AND x.level = ?) \
                 AND a.status = 'approved'",
            ),
            Some(_) => (
                "recovery",
                "(SELECT COALESCE(SUM(x.amount), 0) FROM fund_money x WHERE x.application_id = a.id AND x.kind = 'payment' AND x.level = ?) \
                 >= ? + (SELECT COALESCE(SUM(x.amount), 0) FROM fund_money x WHERE x.application_id = a.id AND x.kind = 'recovery' AND x.level = ?) \
                 AND a.status IN ('approved', 'superseded')",
            ),
        };
        let sql = format!(
            "INSERT INTO fund_money (application_id, kind, level, amount, on_day, reference, cause, user_id, created_at) \
             SELECT a.id, ?, ?, ?, ?, ?, ?, ?, ? FROM fund_applications a WHERE a.id = ? AND {guard} RETURNING id"
        );
        let mut binds = vec![
            Bind::S(kind),
            Bind::S(level),
            Bind::I(m.amount.units()),
            Bind::S(&on),
            Bind::S(&m.reference),
            Bind::S(cause.map_or("", |c| c.key())),
            Bind::OI(actor),
            Bind::I(now()),
            Bind::I(app),
        ];
        match cause {
            None => binds.extend([Bind::S(level), Bind::I(m.amount.units()), Bind::S(level)]),
            Some(_) => binds.extend([Bind::S(level), Bind::I(m.amount.units()), Bind::S(level)]),
        }
        let detail = format!("{kind} {level} {} {}", m.amount, m.reference);
        self.insert_id(
            stmt(sql, binds),
            &format!("fund.{kind}"),
            "fund_money",
            &detail,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| {
            StoreError::Conflict(format!(
                "the {kind} exceeds what is left of the {level} share, or the award has moved on"
            ))
        })
    }

    /// The money paid and recovered of an award, oldest first.
    pub async fn money_of(&self, app: i64) -> Result<Vec<FundMoney>> {
        Ok(rows!(
            self,
            "SELECT * FROM fund_money WHERE application_id = ? ORDER BY on_day, id",
            [Bind::I(app)],
            |r| FundMoney {
                id: r.try_get("id")?,
                application_id: r.try_get("application_id")?,
                kind: r.try_get("kind")?,
                level: decoded("level", r.try_get("level")?, Level::from_key)?,
                amount: r.try_get("amount")?,
                on_day: r.try_get("on_day")?,
                reference: r.try_get("reference")?,
                cause: r.try_get("cause")?,
            }
        ))
    }
}

/// An invoice file of an application.
#[derive(Clone, Debug, Serialize)]
pub struct FundInvoice {
    pub id: i64,
    pub application_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

impl Store {
    /// Records an invoice file of an application still with its firm (submitted or returned).
    pub async fn add_fund_invoice(
        &self,
        app: i64,
        file: (&str, &str, i64, &str),
        actor: Option<i64>,
    ) -> Result<i64> {
        let (filename, content_type, size, sha256) = file;
        self.insert_id(
            stmt(
                "INSERT INTO fund_invoices (application_id, filename, content_type, size, sha256, uploaded_at, uploaded_by) \
                 SELECT id, ?, ?, ?, ?, ?, ? FROM fund_applications WHERE id = ? AND status IN ('submitted', 'returned') RETURNING id",
                vec![
                    Bind::S(filename),
                    Bind::S(content_type),
                    Bind::I(size),
                    Bind::S(sha256),
                    Bind::I(now()),
                    Bind::OI(actor),
                    Bind::I(app),
                ],
            ),
            "fund.invoice",
            "fund_invoice",
            filename,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the application no longer takes files".into()))
    }

    pub async fn fund_invoices(&self, app: i64) -> Result<Vec<FundInvoice>> {
        self.invoice_rows("application_id = ?", Bind::I(app)).await
    }

    pub async fn fund_invoice(&self, id: i64) -> Result<Option<FundInvoice>> {
        Ok(self
            .invoice_rows("id = ?", Bind::I(id))
            .await?
            .into_iter()
            .next())
    }

    /// Whether any invoice or declaration evidence holds the file of this SHA-256.
    pub async fn stored_file_in_use(&self, sha256: &str) -> Result<bool> {
        let n: Vec<i64> = rows!(
            self,
            "SELECT (SELECT COUNT(*) FROM fund_invoices WHERE sha256 = ?) + (SELECT COUNT(*) FROM evidence WHERE sha256 = ?) AS n",
            [Bind::S(sha256), Bind::S(sha256)],
            |r| r.try_get("n")?
        );
        Ok(n.first().copied().unwrap_or(0) > 0)
    }

    async fn invoice_rows(&self, cond: &str, b: Bind<'_>) -> Result<Vec<FundInvoice>> {
        let sql = format!("SELECT * FROM fund_invoices WHERE {cond} ORDER BY id");
        Ok(rows!(self, &sql, [b], |r| FundInvoice {
            id: r.try_get("id")?,
            application_id: r.try_get("application_id")?,
            filename: r.try_get("filename")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get("size")?,
            sha256: r.try_get("sha256")?,
        }))
    }
}
