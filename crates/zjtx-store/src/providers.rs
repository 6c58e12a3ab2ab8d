//! Digital engineering service providers (issue 13): profiles, service records and the published
//! yearly selections. A record is written only for a registry firm; a year's selection is
//! published once, whole, in one transaction.

use serde::Serialize;
use sqlx::Row;
use zjtx_core::num::Wan;
use zjtx_core::workflow::provider::{Record, Selected};

use super::declare::{audit, stmt};
use super::{Bind, Result, Store, StoreError, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct Provider {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProviderRecord {
    pub id: i64,
    pub provider_id: i64,
    pub client_uscc: String,
    pub client: String,
    pub record: Record,
}

#[derive(Clone, Debug, Serialize)]
pub struct Selection {
    pub year: i64,
    pub provider_id: i64,
    pub provider: String,
    pub rank: i64,
    pub index: String,
    /// Units of 0.0001 万元.
    pub award: i64,
    pub published_on: String,
}

impl Store {
    /// A provider account's profile, if it has one.
    pub async fn provider_of_user(&self, user: i64) -> Result<Option<Provider>> {
        Ok(self
            .provider_rows("user_id = ?", user)
            .await?
            .into_iter()
            .next())
    }

    pub async fn providers(&self) -> Result<Vec<Provider>> {
        self.provider_rows("1 = ?", 1).await
    }

    async fn provider_rows(&self, cond: &str, v: i64) -> Result<Vec<Provider>> {
        let sql = format!("SELECT id, user_id, name FROM providers WHERE {cond} ORDER BY id");
        Ok(rows!(self, &sql, [Bind::I(v)], |r| Provider {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            name: r.try_get("name")?,
        }))
    }

    /// Creates (or renames) a provider account's profile; its id.
    pub async fn set_provider(&self, user: i64, name: &str) -> Result<i64> {
        let target = format!("provider_user:{user}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO providers (user_id, name, created_at) VALUES (?, ?, ?) \
                     ON CONFLICT (user_id) DO UPDATE SET name = excluded.name",
                    vec![Bind::I(user), Bind::S(name), Bind::I(now())],
                ),
                audit(Some(user), "provider.profile", &target, name),
            ],
            None,
        )
        .await?;
        self.provider_of_user(user)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| StoreError::Conflict("the profile was not written".into()))
    }

    /// A service record to a registry firm; refused when the client is not registered.
    pub async fn add_provider_record(
        &self,
        provider: i64,
        r: &Record,
        actor: Option<i64>,
    ) -> Result<i64> {
        self.insert_id(
            stmt(
                "INSERT INTO provider_records (provider_id, client_uscc, year, value, delivered, accepted, level_before, level_after, satisfaction, created_at) \
                 SELECT ?, uscc, ?, ?, ?, ?, ?, ?, ?, ? FROM enterprises WHERE uscc = ? RETURNING id",
                vec![
                    Bind::I(provider),
                    Bind::I(i64::from(r.year)),
                    Bind::I(r.value.units()),
                    Bind::I(i64::from(r.delivered)),
                    Bind::I(i64::from(r.accepted)),
                    Bind::I(i64::from(r.level_before)),
                    Bind::I(i64::from(r.level_after)),
                    Bind::I(i64::from(r.satisfaction)),
                    Bind::I(now()),
                    Bind::S(&r.client),
                ],
            ),
            "provider.record",
            "provider_record",
            &r.client,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the client is not in the registry".into()))
    }

    /// Records of a year, of one provider or of all.
    pub async fn provider_records(
        &self,
        year: i32,
        provider: Option<i64>,
    ) -> Result<Vec<ProviderRecord>> {
        let sql = format!(
            "SELECT r.*, e.name AS client FROM provider_records r JOIN enterprises e ON e.uscc = r.client_uscc \
             WHERE r.year = ? {} ORDER BY r.provider_id, r.id",
            if provider.is_some() {
                "AND r.provider_id = ?"
            } else {
                "AND 0 = ?"
            }
        );
        Ok(rows!(
            self,
            &sql,
            [Bind::I(i64::from(year)), Bind::I(provider.unwrap_or(0))],
            |r| {
                let small = |k: &str| -> std::result::Result<u8, sqlx::Error> {
                    Ok(u8::try_from(r.try_get::<i64, _>(k)?).unwrap_or(0))
                };
                ProviderRecord {
                    id: r.try_get("id")?,
                    provider_id: r.try_get("provider_id")?,
                    client_uscc: r.try_get("client_uscc")?,
                    client: r.try_get("client")?,
                    record: Record {
                        client: r.try_get("client_uscc")?,
                        year: i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or(0),
                        value: Wan::from_units(r.try_get("value")?).unwrap_or(Wan::ZERO),
                        delivered: u32::try_from(r.try_get::<i64, _>("delivered")?).unwrap_or(0),
                        accepted: r.try_get::<i64, _>("accepted")? != 0,
                        level_before: small("level_before")?,
                        level_after: small("level_after")?,
                        satisfaction: small("satisfaction")?,
                    },
                }
            }
        ))
    }

    /// Publishes a year's selection, once.
    pub async fn publish_selection(
        &self,
        year: i32,
        selected: &[Selected],
        day: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let y = i64::from(year);
        let idx: Vec<String> = selected.iter().map(|s| s.index.to_string()).collect();
        if !self.selections(year).await?.is_empty() {
            return Err(StoreError::Conflict(
                "this year's selection is already published".into(),
            ));
        }
        let mut stmts = Vec::new();
        for (s, i) in selected.iter().zip(&idx) {
            stmts.push(stmt(
                "INSERT INTO provider_selections (year, provider_id, rank, idx, award, published_on) VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    Bind::I(y),
                    Bind::I(s.provider),
                    Bind::I(i64::from(s.rank)),
                    Bind::S(i),
                    Bind::I(s.award.units()),
                    Bind::S(day),
                ],
            ));
        }
        let target = format!("provider_selection:{year}");
        let detail = format!("{} providers", selected.len());
        stmts.push(audit(actor, "provider.publish", &target, &detail));
        // Two publications at once: the second's rows collide on (year, provider) and roll back.
        self.exec_tx(stmts, None).await
    }

    /// A year's published selection, by rank.
    pub async fn selections(&self, year: i32) -> Result<Vec<Selection>> {
        Ok(rows!(
            self,
            "SELECT s.*, p.name AS provider FROM provider_selections s JOIN providers p ON p.id = s.provider_id \
             WHERE s.year = ? ORDER BY s.rank",
            [Bind::I(i64::from(year))],
            |r| Selection {
                year: r.try_get("year")?,
                provider_id: r.try_get("provider_id")?,
                provider: r.try_get("provider")?,
                rank: r.try_get("rank")?,
                index: r.try_get("idx")?,
                award: r.try_get("award")?,
                published_on: r.try_get("published_on")?,
            }
        ))
    }
}
