//! Webhooks: institutions' subscriptions and their deliveries.

use super::*;

/// A subscription.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Webhook {
    pub id: i64,
    pub institution_id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    /// The events subscribed, comma-separated keys.
    pub events: String,
    pub created_at: i64,
}

/// An event a step wrote in its own transaction, before it becomes deliveries.
#[derive(Clone, Debug)]
pub struct OutboxEvent {
    pub id: i64,
    /// `need.posted`, `consent.granted`, `consent.revoked`, `application.step`.
    pub event: String,
    /// The need, consent or application.
    pub ref_id: i64,
    /// For an application's step: `from>to` (the first: `applied`).
    pub detail: String,
    pub created_at: i64,
}

/// One event to one subscription.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A delivery due, with where and how it goes.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

macro_rules! delivery_row {
    ($r:expr) => {{
        let r = $r;
        Delivery {
            id: r.try_get("id")?,
            webhook_id: r.try_get("webhook_id")?,
            event: r.try_get("event")?,
            payload: r.try_get("payload")?,
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            next_at: r.try_get("next_at")?,
            last_status: r.try_get("last_status")?,
            last_error: r.try_get("last_error")?,
            created_at: r.try_get("created_at")?,
            delivered_at: r.try_get("delivered_at")?,
        }
    }};
}

impl Store {
    /// Subscribes institution `inst` to `events` at `url`; returns the id. Audited.
    pub async fn create_webhook(
        &self,
        inst: i64,
        url: &str,
        secret: &str,
        events: &str,
        actor: i64,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO webhooks (institution_id, url, secret, events, created_by, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                vec![
                    Bind::I(inst),
                    Bind::S(url),
                    Bind::S(secret),
                    Bind::S(events),
                    Bind::I(actor),
                    Bind::I(now()),
                ],
            ),
            "webhook.create",
            "webhook",
            url,
            Some(actor),
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the subscription was not created".into()))
    }

    /// The institution's subscriptions in force, newest first.
    pub async fn webhooks(&self, inst: i64) -> Result<Vec<Webhook>> {
        let sql = self.sql(
            "SELECT id, institution_id, url, secret, events, created_at FROM webhooks \
             WHERE institution_id = ? AND removed_at IS NULL ORDER BY id DESC",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(inst).fetch_all(p).await?.iter()
                .map(|r| Ok(Webhook {
                    id: r.try_get("id")?,
                    institution_id: r.try_get("institution_id")?,
                    url: r.try_get("url")?,
                    secret: r.try_get("secret")?,
                    events: r.try_get("events")?,
                    created_at: r.try_get("created_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Ends a subscription of `inst` (its pending deliveries fail); false when it is not one.
    pub async fn remove_webhook(&self, inst: i64, id: i64, actor: i64) -> Result<bool> {
        let t = now();
        let n = self
            .exec(
                "UPDATE webhooks SET removed_at = ? WHERE id = ? AND institution_id = ? AND removed_at IS NULL",
                &[Bind::I(t), Bind::I(id), Bind::I(inst)],
            )
            .await?;
        if n == 1 {
            self.exec(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'subscription removed' \
                 WHERE webhook_id = ? AND status = 'pending'",
                &[Bind::I(id)],
            )
            .await?;
            self.audit(
                Some(actor),
                "webhook.remove",
                Some(&format!("webhook:{id}")),
                "",
            )
            .await?;
        }
        Ok(n == 1)
    }

    /// The working accounts of an institution (not its system keys' accounts), who are told of
    /// its events in the platform.
    pub async fn institution_staff(&self, inst: i64) -> Result<Vec<i64>> {
        let sql = self.sql(
            "SELECT id FROM users WHERE institution_id = ? AND role = 'institution' AND disabled = 0 \
             AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = users.id) ORDER BY id",
        );
        Ok(on_pool!(self, p => {
            sqlx::query_scalar::<_, i64>(safe(&sql)).bind(inst).fetch_all(p).await?
        }))
    }

    /// The institutions subscribed to `event`, each with the account that subscribed first (the
    /// reader its consent-checked events are logged under).
    pub async fn subscribers(&self, event: &str) -> Result<Vec<(i64, i64)>> {
        let sql = self.sql(
            "SELECT institution_id, MIN(created_by) AS by_user FROM webhooks \
             WHERE removed_at IS NULL AND ',' || events || ',' LIKE ? \
             GROUP BY institution_id ORDER BY institution_id",
        );
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(format!("%,{event},%")).fetch_all(p).await?.iter()
                .map(|r| Ok((r.try_get("institution_id")?, r.try_get("by_user")?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The oldest events of the outbox, written by the steps they announce.
    pub async fn outbox_pending(&self, limit: i64) -> Result<Vec<OutboxEvent>> {
        let sql = self.sql("SELECT * FROM webhook_outbox ORDER BY id LIMIT ?");
        Ok(on_pool!(self, p => {
            sqlx::query(safe(&sql)).bind(limit).fetch_all(p).await?.iter()
                .map(|r| Ok(OutboxEvent {
                    id: r.try_get("id")?,
                    event: r.try_get("event")?,
                    ref_id: r.try_get("ref_id")?,
                    detail: r.try_get("detail")?,
                    created_at: r.try_get("created_at")?,
                }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Turns an outbox event into deliveries — each `(institution, event, payload)` to every
    /// subscription of that institution to that event — and in-app messages to the
    /// institutions' staff, and removes it, in one transaction. False (and nothing written) when
    /// another instance took it first.
    pub async fn expand_outbox(
        &self,
        id: i64,
        events: &[(i64, String, String)],
        msgs: &[Message<'_>],
    ) -> Result<bool> {
        let t = now();
        let mut stmts = vec![stmt(
            "DELETE FROM webhook_outbox WHERE id = ?",
            vec![Bind::I(id)],
        )];
        stmts.extend(crate::declare::messages(msgs));
        let patterns: Vec<String> = events.iter().map(|(_, e, _)| format!("%,{e},%")).collect();
        for ((inst, event, payload), pattern) in events.iter().zip(&patterns) {
            stmts.push(stmt(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, next_at, created_at) \
                 SELECT id, ?, ?, 'pending', ?, ? FROM webhooks \
                 WHERE institution_id = ? AND removed_at IS NULL AND ',' || events || ',' LIKE ?",
                vec![
                    Bind::S(event),
                    Bind::S(payload),
                    Bind::I(t),
                    Bind::I(t),
                    Bind::I(*inst),
                    Bind::S(pattern),
                ],
            ));
        }
        match self.exec_tx(stmts, Some("taken")).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Queues `event` for every subscription of `inst` to it; returns how many.
    pub async fn enqueue_event(&self, inst: i64, event: &str, payload: &str) -> Result<u64> {
        let t = now();
        // Events are plain keys (no comma, no wildcard): a LIKE on the comma-bounded list.
        self.exec(
            "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, next_at, created_at) \
             SELECT id, ?, ?, 'pending', ?, ? FROM webhooks \
             WHERE institution_id = ? AND removed_at IS NULL AND ',' || events || ',' LIKE ?",
            &[
                Bind::S(event),
                Bind::S(payload),
                Bind::I(t),
                Bind::I(t),
                Bind::I(inst),
                Bind::S(&format!("%,{event},%")),
            ],
        )
        .await
    }

    /// Claims up to `limit` deliveries due at `at` for `lease_secs` (another worker does not take
    /// them meanwhile), with their subscription's address and secret.
    pub async fn claim_deliveries(
        &self,
        at: i64,
        limit: i64,
        lease_secs: i64,
    ) -> Result<Vec<DueDelivery>> {
        let due = self.sql(
            "SELECT d.*, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?",
        );
        let lease = self.sql(
            "UPDATE webhook_deliveries SET next_at = ? WHERE id = ? AND status = 'pending' AND next_at = ?",
        );
        let mut out = Vec::new();
        on_pool!(self, p => {
            let rows = sqlx::query(safe(&due)).bind(at).bind(limit).fetch_all(p).await?;
            for r in &rows {
                let d = delivery_row!(r);
                // Taken only if no other instance took it first.
                let took = sqlx::query(safe(&lease))
                    .bind(at + lease_secs)
                    .bind(d.id)
                    .bind(d.next_at)
                    .execute(p)
                    .await?
                    .rows_affected();
                if took == 1 {
                    out.push(DueDelivery {
                        url: r.try_get("url")?,
                        secret: r.try_get("secret")?,
                        delivery: d,
                    });
                }
            }
        });
        Ok(out)
    }

    /// Records an attempt: delivered; or, with `retry_at`, tried again then; else failed for good.
    pub async fn record_attempt(
        &self,
        id: i64,
        http_status: Option<i64>,
        error: Option<&str>,
        delivered: bool,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let t = now();
        let status = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        self.exec(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, last_status = ?, \
             last_error = ?, next_at = ?, delivered_at = ? WHERE id = ?",
            &[
                Bind::S(status),
                Bind::OI(http_status),
                Bind::OS(error),
                Bind::I(retry_at.unwrap_or(t)),
                Bind::OI(delivered.then_some(t)),
                Bind::I(id),
            ],
        )
        .await?;
        Ok(())
    }

    /// The latest deliveries to the institution's subscriptions.
    pub async fn deliveries(&self, inst: i64, limit: i64) -> Result<Vec<Delivery>> {
        let sql = self.sql(
            "SELECT d.* FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE w.institution_id = ? ORDER BY d.id DESC LIMIT ?",
        );
        Ok(on_pool!(self, p => {
            let rows = sqlx::query(safe(&sql)).bind(inst).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(delivery_row!(r));
            }
            out
        }))
    }
}
