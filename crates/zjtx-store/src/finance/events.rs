//! Events and the listing pipeline.

use super::*;

impl Store {
    pub async fn create_fin_event(
        &self,
        title: &str,
        held_on: &str,
        region: Option<&str>,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO fin_events (title, held_on, region_code, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                vec![Bind::S(title), Bind::S(held_on), Bind::OS(region), Bind::I(now())],
            ),
            "event.create",
            "event",
            title,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("not created".into()))
    }

    pub async fn add_participant(
        &self,
        event: i64,
        uscc: Option<&str>,
        institution: Option<i64>,
        outcome: &str,
        amount: Option<i64>,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("event:{event}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO fin_event_participants (event_id, uscc, institution_id, outcome, amount) \
                     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM fin_events WHERE id = ?)",
                    vec![
                        Bind::I(event),
                        Bind::OS(uscc),
                        Bind::OI(institution),
                        Bind::S(outcome),
                        Bind::OI(amount),
                        Bind::I(event),
                    ],
                ),
                audit(actor, "event.participant", &target, outcome),
            ],
            Some("no such event"),
        )
        .await
    }

    /// Events in some regions (all when `None`), newest first, with their participants.
    pub async fn fin_events(&self, regions: Option<&[String]>) -> Result<Vec<FinEvent>> {
        let mut events: Vec<FinEvent> = rows!(
            self,
            "SELECT * FROM fin_events ORDER BY held_on DESC, id DESC",
            [],
            |r| FinEvent {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                held_on: r.try_get("held_on")?,
                region_code: r.try_get("region_code")?,
                participants: Vec::new(),
            }
        );
        if let Some(rs) = regions {
            events.retain(|e| e.region_code.as_ref().is_some_and(|c| rs.contains(c)));
        }
        let parts: Vec<(i64, String, String, Option<i64>)> = rows!(
            self,
            "SELECT p.event_id, COALESCE(p.uscc, CAST(p.institution_id AS TEXT)) AS who, p.outcome, p.amount \
             FROM fin_event_participants p ORDER BY p.event_id",
            [],
            |r| (
                r.try_get("event_id")?,
                r.try_get::<Option<String>, _>("who")?.unwrap_or_default(),
                r.try_get("outcome")?,
                r.try_get("amount")?
            )
        );
        for e in &mut events {
            e.participants = parts
                .iter()
                .filter(|p| p.0 == e.id)
                .map(|p| (p.1.clone(), p.2.clone(), p.3))
                .collect();
        }
        Ok(events)
    }

    pub async fn set_listing_stage(
        &self,
        uscc: &str,
        stage: zjtx_core::workflow::listing::Stage,
        note: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("enterprise:{uscc}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO listing_history (uscc, stage, note, at, by_user) \
                     SELECT uscc, ?, ?, ?, ? FROM enterprises WHERE uscc = ?",
                    vec![
                        Bind::S(stage.key()),
                        Bind::S(note),
                        Bind::I(now()),
                        Bind::OI(actor),
                        Bind::S(uscc),
                    ],
                ),
                stmt(
                    "DELETE FROM listing_pipeline WHERE uscc = ?",
                    vec![Bind::S(uscc)],
                ),
                stmt(
                    "INSERT INTO listing_pipeline (uscc, stage, updated_at) VALUES (?, ?, ?)",
                    vec![Bind::S(uscc), Bind::S(stage.key()), Bind::I(now())],
                ),
                audit(actor, "listing.stage", &target, stage.key()),
            ],
            Some("no such enterprise"),
        )
        .await
    }

    /// The stage a firm has reached in the pipeline, if it is in it.
    pub async fn listing_stage(
        &self,
        uscc: &str,
    ) -> Result<Option<zjtx_core::workflow::listing::Stage>> {
        let stages: Vec<String> = rows!(
            self,
            "SELECT stage FROM listing_pipeline WHERE uscc = ?",
            [Bind::S(uscc)],
            |r| r.try_get("stage")?
        );
        Ok(match stages.first() {
            None => None,
            Some(s) => Some(
                zjtx_core::workflow::listing::Stage::from_key(s).ok_or_else(|| {
                    sqlx::Error::Decode(format!("listing stage: unknown key {s:?}").into())
                })?,
            ),
        })
    }

    pub async fn listing_pipeline(&self) -> Result<Vec<Listing>> {
        Ok(rows!(
            self,
            "SELECT l.*, e.name, e.region_code FROM listing_pipeline l JOIN enterprises e ON e.uscc = l.uscc ORDER BY l.stage, l.uscc",
            [],
            |r| Listing {
                uscc: r.try_get("uscc")?,
                name: r.try_get("name")?,
                region_code: r.try_get("region_code")?,
                stage: r.try_get("stage")?,
                updated_at: r.try_get("updated_at")?,
            }
        ))
    }

    pub async fn listing_history(&self, uscc: &str) -> Result<Vec<(String, String, i64)>> {
        Ok(rows!(
            self,
            "SELECT stage, note, at FROM listing_history WHERE uscc = ? ORDER BY at, id",
            [Bind::S(uscc)],
            |r| (r.try_get("stage")?, r.try_get("note")?, r.try_get("at")?)
        ))
    }
}
