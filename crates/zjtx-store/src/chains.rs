//! Chain work (issue 12): matchmaking events of a chain, their parties and their outcomes, and the
//! bureau's line counted from them. Each write is one transaction with its audit record; an
//! outcome's step is guarded on the status it starts from, so a double submit changes nothing.

use serde::Serialize;
use sqlx::Row;
use zjtx_core::workflow::chain_event::{self as flow, Kind, OutcomeKind, Role, Status};

use super::declare::{audit, stmt};
use super::{Bind, Result, Segment, Store, StoreError, decoded, now, safe};

#[derive(Clone, Debug, Serialize)]
pub struct ChainEvent {
    pub id: i64,
    pub chain: String,
    pub title: String,
    pub held_on: String,
    pub organiser: String,
    pub place: String,
    #[serde(serialize_with = "key_of_kind")]
    pub kind: Kind,
    pub region_code: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChainParty {
    pub id: i64,
    pub event_id: i64,
    #[serde(serialize_with = "key_of_role")]
    pub role: Role,
    pub uscc: Option<String>,
    pub name: String,
}

/// Reads a `chain_outcomes` row joined with its party's name (any backend's row type).
macro_rules! outcome_row {
    ($r:expr) => {{
        let r = $r;
        ChainOutcome {
            id: r.try_get("id")?,
            event_id: r.try_get("event_id")?,
            party_id: r.try_get("party_id")?,
            party: r.try_get("party")?,
            kind: decoded("kind", r.try_get("kind")?, OutcomeKind::from_key)?,
            amount: r.try_get("amount")?,
            status: decoded("status", r.try_get("status")?, Status::from_key)?,
            note: r.try_get("note")?,
            reason: r.try_get("reason")?,
        }
    }};
}

#[derive(Clone, Debug, Serialize)]
pub struct ChainOutcome {
    pub id: i64,
    pub event_id: i64,
    pub party_id: i64,
    pub party: String,
    #[serde(serialize_with = "key_of_outcome")]
    pub kind: OutcomeKind,
    /// Yuan (units of 1/10000 万元).
    pub amount: Option<i64>,
    #[serde(serialize_with = "key_of_status")]
    pub status: Status,
    pub note: String,
    pub reason: String,
}

fn key_of_kind<S: serde::Serializer>(v: &Kind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(v.key())
}
fn key_of_role<S: serde::Serializer>(v: &Role, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(v.key())
}
fn key_of_outcome<S: serde::Serializer>(
    v: &OutcomeKind,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(v.key())
}
fn key_of_status<S: serde::Serializer>(v: &Status, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(v.key())
}

/// Which events: a year, a chain, a district, the districts a user may see, a firm's own.
#[derive(Clone, Debug, Default)]
pub struct ChainFilter {
    pub year: Option<i32>,
    pub chain: Option<String>,
    pub region: Option<String>,
    /// The user's districts (`None`: all).
    pub regions: Option<Vec<String>>,
    /// Only events this firm took part in.
    pub uscc: Option<String>,
}

/// The bureau's line for a set of events. Orders, financing and projects count signed and
/// executed outcomes only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChainSummary {
    pub events: i64,
    /// Distinct registry firms that took part.
    pub firms: i64,
    /// Parties of every kind, each time they took part.
    pub participations: i64,
    /// Yuan.
    pub orders: i64,
    pub financing: i64,
    pub projects: i64,
}

/// The rest of the bureau's line for the same year, chain and district: the catalogue's listed
/// products and their firms, and open challenges published and results accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChainLineMore {
    pub catalogue_products: i64,
    pub catalogue_firms: i64,
    pub challenges_published: i64,
    pub challenges_accepted: i64,
}

impl ChainFilter {
    /// The conditions on a record of a firm (its code in `uscc_col`, its district in
    /// `region_col`): of the chain — the record's own `chain_col`, or else the firm carrying it —,
    /// in the district, within the scope; and their binds.
    fn firm_cond(
        &self,
        uscc_col: &str,
        region_col: &str,
        chain_col: Option<&str>,
    ) -> (String, Vec<String>) {
        let mut wh = vec!["1 = 1".to_owned()];
        let mut binds = Vec::new();
        if let Some(c) = self.chain.as_deref().filter(|c| !c.is_empty()) {
            wh.push(match chain_col {
                Some(col) => format!("{col} = ?"),
                None => format!(
                    "EXISTS (SELECT 1 FROM enterprise_chains ch WHERE ch.uscc = {uscc_col} AND ch.chain = ?)"
                ),
            });
            binds.push(c.to_owned());
        }
        if let Some(r) = self.region.as_deref().filter(|r| !r.is_empty()) {
            wh.push(format!("{region_col} = ?"));
            binds.push(r.to_owned());
        }
        if let Some(rs) = &self.regions {
            if rs.is_empty() {
                wh.push("1 = 0".into());
            } else {
                wh.push(format!(
                    "{region_col} IN ({})",
                    vec!["?"; rs.len()].join(", ")
                ));
                binds.extend(rs.iter().cloned());
            }
        }
        (wh.join(" AND "), binds)
    }

    /// The WHERE clause over `chain_events e` and its binds: the firm conditions on the event's
    /// own chain and district, its year, and (for a firm) the events it took part in.
    fn cond(&self) -> (String, Vec<String>) {
        let (base, mut binds) = self.firm_cond("", "e.region_code", Some("e.chain"));
        let mut wh = vec![base];
        if let Some(y) = self.year {
            wh.push("e.held_on >= ? AND e.held_on <= ?".into());
            binds.push(format!("{y:04}-01-01"));
            binds.push(format!("{y:04}-12-31"));
        }
        if let Some(u) = &self.uscc {
            wh.push(
                "EXISTS (SELECT 1 FROM chain_event_parties p WHERE p.event_id = e.id AND p.uscc = ?)"
                    .into(),
            );
            binds.push(u.clone());
        }
        (wh.join(" AND "), binds)
    }
}

impl Store {
    /// Adds a chain to an ecosystem (the core checked the name is new).
    pub async fn add_chain(
        &self,
        ecosystem: &str,
        name: &str,
        name_en: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("chain:{name}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO chains (name, ecosystem, name_en) VALUES (?, ?, ?)",
                    vec![Bind::S(name), Bind::S(ecosystem), Bind::S(name_en)],
                ),
                audit(actor, "chain.add", &target, ecosystem),
            ],
            None,
        )
        .await
        .map_err(|e| match e {
            StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                StoreError::Conflict("a chain of that name exists".into())
            }
            e => e,
        })
    }

    /// Renames a chain in force; its tags, events, challenges and segments follow, in one
    /// transaction (the new row is written first, the references moved, the old row removed).
    pub async fn rename_chain(&self, from: &str, to: &str, actor: Option<i64>) -> Result<()> {
        let target = format!("chain:{to}");
        let detail = format!("{from} → {to}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO chains (name, ecosystem, name_en) \
                     SELECT ?, ecosystem, name_en FROM chains WHERE name = ? AND retired_on IS NULL",
                    vec![Bind::S(to), Bind::S(from)],
                ),
                stmt("UPDATE enterprise_chains SET chain = ? WHERE chain = ?", vec![Bind::S(to), Bind::S(from)]),
                stmt("UPDATE chain_events SET chain = ? WHERE chain = ?", vec![Bind::S(to), Bind::S(from)]),
                stmt("UPDATE challenges SET chain = ? WHERE chain = ?", vec![Bind::S(to), Bind::S(from)]),
                stmt("UPDATE segments SET chain = ? WHERE chain = ?", vec![Bind::S(to), Bind::S(from)]),
                stmt("UPDATE enterprise_segments SET chain = ? WHERE chain = ?", vec![Bind::S(to), Bind::S(from)]),
                stmt("DELETE FROM chains WHERE name = ?", vec![Bind::S(from)]),
                audit(actor, "chain.rename", &target, &detail),
            ],
            Some("no chain in force has that name"),
        )
        .await
    }

    /// Retires a chain in force on `day`.
    pub async fn retire_chain(&self, name: &str, day: &str, actor: Option<i64>) -> Result<()> {
        let target = format!("chain:{name}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE chains SET retired_on = ? WHERE name = ? AND retired_on IS NULL",
                    vec![Bind::S(day), Bind::S(name)],
                ),
                audit(actor, "chain.retire", &target, day),
            ],
            Some("no chain in force has that name"),
        )
        .await
    }

    /// Every segment, of every chain, retired ones included.
    pub async fn segments(&self) -> Result<Vec<Segment>> {
        Ok(rows!(
            self,
            "SELECT chain, name, retired_on FROM segments ORDER BY chain, name",
            [],
            |r| Segment {
                chain: r.try_get("chain")?,
                name: r.try_get("name")?,
                retired_on: r.try_get("retired_on")?,
            }
        ))
    }

    /// Adds a segment to a chain (the core checked the chain is in force and the name new).
    pub async fn add_segment(&self, chain: &str, name: &str, actor: Option<i64>) -> Result<()> {
        let target = format!("segment:{chain}/{name}");
        self.exec_tx(
            vec![
                stmt(
                    "INSERT INTO segments (chain, name) SELECT ?, ? WHERE EXISTS \
                     (SELECT 1 FROM chains WHERE name = ? AND retired_on IS NULL)",
                    vec![Bind::S(chain), Bind::S(name), Bind::S(chain)],
                ),
                audit(actor, "segment.add", &target, ""),
            ],
            Some("no chain in force has that name"),
        )
        .await
        .map_err(|e| match e {
            StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                StoreError::Conflict("a segment of that name exists".into())
            }
            e => e,
        })
    }

    /// Renames a segment in force; its tags follow, in one transaction.
    pub async fn rename_segment(
        &self,
        chain: &str,
        from: &str,
        to: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("segment:{chain}/{to}");
        let detail = format!("{from} → {to}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE segments SET name = ? WHERE chain = ? AND name = ? AND retired_on IS NULL",
                    vec![Bind::S(to), Bind::S(chain), Bind::S(from)],
                ),
                stmt(
                    "UPDATE enterprise_segments SET segment = ? WHERE chain = ? AND segment = ?",
                    vec![Bind::S(to), Bind::S(chain), Bind::S(from)],
                ),
                audit(actor, "segment.rename", &target, &detail),
            ],
            Some("no segment in force has that name"),
        )
        .await
    }

    /// Retires a segment in force on `day`.
    pub async fn retire_segment(
        &self,
        chain: &str,
        name: &str,
        day: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("segment:{chain}/{name}");
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE segments SET retired_on = ? WHERE chain = ? AND name = ? AND retired_on IS NULL",
                    vec![Bind::S(day), Bind::S(chain), Bind::S(name)],
                ),
                audit(actor, "segment.retire", &target, day),
            ],
            Some("no segment in force has that name"),
        )
        .await
    }

    /// The segments a firm carries, as (chain, segment), sorted.
    pub async fn segments_of(&self, uscc: &str) -> Result<Vec<(String, String)>> {
        Ok(rows!(
            self,
            "SELECT chain, segment FROM enterprise_segments WHERE uscc = ? ORDER BY chain, segment",
            [Bind::S(uscc)],
            |r| (r.try_get("chain")?, r.try_get("segment")?)
        ))
    }

    /// Replaces a firm's segments (the core checked each), in one transaction with its audit.
    pub async fn set_segments(
        &self,
        uscc: &str,
        segments: &[(String, String)],
        actor: Option<i64>,
    ) -> Result<()> {
        let detail = segments
            .iter()
            .map(|(c, s)| format!("{c}/{s}"))
            .collect::<Vec<_>>()
            .join("、");
        let mut stmts = vec![stmt(
            "DELETE FROM enterprise_segments WHERE uscc = ?",
            vec![Bind::S(uscc)],
        )];
        for (c, seg) in segments {
            stmts.push(stmt(
                "INSERT INTO enterprise_segments (uscc, chain, segment) VALUES (?, ?, ?)",
                vec![Bind::S(uscc), Bind::S(c), Bind::S(seg)],
            ));
        }
        stmts.push(audit(actor, "segment.tag", uscc, &detail));
        self.exec_tx(stmts, None).await
    }

    /// Records an event; its id.
    pub async fn create_chain_event(&self, e: &flow::Event, actor: Option<i64>) -> Result<i64> {
        let held_on = e.held_on.to_string();
        self.insert_id(
            stmt(
                "INSERT INTO chain_events (chain, title, held_on, organiser, place, kind, region_code, created_by, created_at) \
                 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chains WHERE name = ?) RETURNING id",
                vec![
                    Bind::S(&e.chain),
                    Bind::S(&e.title),
                    Bind::S(&held_on),
                    Bind::S(&e.organiser),
                    Bind::S(&e.place),
                    Bind::S(e.kind.key()),
                    Bind::OS(e.region.as_deref()),
                    Bind::OI(actor),
                    Bind::I(now()),
                    Bind::S(&e.chain),
                ],
            ),
            "chain_event.create",
            "chain_event",
            &e.title,
            actor,
            "",
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("no such chain".into()))
    }

    /// Adds a party: a registry firm (named as registered) or another party by name; `None` when
    /// the firm is not in the registry. Taking part twice in the same role is refused.
    pub async fn add_chain_party(
        &self,
        event: i64,
        role: Role,
        party: &flow::Party,
        actor: Option<i64>,
    ) -> Result<Option<i64>> {
        let detail = format!(
            "{}:{}",
            role.key(),
            match party {
                flow::Party::Firm(u) => u.as_str().to_owned(),
                flow::Party::Named(n) => n.clone(),
            }
        );
        let insert = match party {
            flow::Party::Firm(u) => stmt(
                "INSERT INTO chain_event_parties (event_id, role, uscc, name) \
                 SELECT ?, ?, en.uscc, en.name FROM enterprises en \
                 WHERE en.uscc = ? AND EXISTS (SELECT 1 FROM chain_events WHERE id = ?) RETURNING id",
                vec![
                    Bind::I(event),
                    Bind::S(role.key()),
                    Bind::S(u.as_str()),
                    Bind::I(event),
                ],
            ),
            flow::Party::Named(n) => stmt(
                "INSERT INTO chain_event_parties (event_id, role, uscc, name) \
                 SELECT ?, ?, NULL, ? WHERE EXISTS (SELECT 1 FROM chain_events WHERE id = ?) RETURNING id",
                vec![
                    Bind::I(event),
                    Bind::S(role.key()),
                    Bind::S(n),
                    Bind::I(event),
                ],
            ),
        };
        self.insert_id(
            insert,
            "chain_event.party",
            "chain_event_party",
            &detail,
            actor,
            "already a party in this role",
        )
        .await
    }

    /// Records an outcome for a party of the event; `None` when the party is not the event's.
    pub async fn add_chain_outcome(
        &self,
        event: i64,
        party: i64,
        o: &flow::Outcome,
        actor: Option<i64>,
    ) -> Result<Option<i64>> {
        let detail = format!("{}:{}", o.kind.key(), o.status.key());
        self.insert_id(
            stmt(
                "INSERT INTO chain_outcomes (event_id, party_id, kind, amount, status, note, updated_at) \
                 SELECT ?, p.id, ?, ?, ?, ?, ? FROM chain_event_parties p WHERE p.id = ? AND p.event_id = ? RETURNING id",
                vec![
                    Bind::I(event),
                    Bind::S(o.kind.key()),
                    Bind::OI(o.amount),
                    Bind::S(o.status.key()),
                    Bind::S(&o.note),
                    Bind::I(now()),
                    Bind::I(party),
                    Bind::I(event),
                ],
            ),
            "chain_event.outcome",
            "chain_outcome",
            &detail,
            actor,
            "",
        )
        .await
    }

    /// Moves an outcome from `from` to `to` (as the core allowed); refused when it is no longer at
    /// `from` (a second click, or someone else first).
    pub async fn set_chain_outcome_status(
        &self,
        id: i64,
        from: Status,
        to: Status,
        reason: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("chain_outcome:{id}");
        let detail = format!("{} → {}", from.key(), to.key());
        self.exec_tx(
            vec![
                stmt(
                    "UPDATE chain_outcomes SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?",
                    vec![Bind::S(to.key()), Bind::S(reason), Bind::I(now()), Bind::I(id), Bind::S(from.key())],
                ),
                audit(actor, "chain_event.outcome_status", &target, &detail),
            ],
            Some("the outcome has moved on"),
        )
        .await
    }

    /// Events matching a filter, newest first.
    pub async fn chain_events(&self, f: &ChainFilter) -> Result<Vec<ChainEvent>> {
        let (wh, binds) = f.cond();
        let sql =
            format!("SELECT e.* FROM chain_events e WHERE {wh} ORDER BY e.held_on DESC, e.id DESC");
        let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        self.chain_event_rows(&sql, &binds).await
    }

    /// One event.
    pub async fn chain_event(&self, id: i64) -> Result<Option<ChainEvent>> {
        Ok(self
            .chain_event_rows(
                "SELECT e.* FROM chain_events e WHERE e.id = ?",
                &[Bind::I(id)],
            )
            .await?
            .into_iter()
            .next())
    }

    async fn chain_event_rows(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<ChainEvent>> {
        let sql = self.sql(sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in binds {
                q = b.bind_to(q);
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(ChainEvent {
                    id: r.try_get("id")?,
                    chain: r.try_get("chain")?,
                    title: r.try_get("title")?,
                    held_on: r.try_get("held_on")?,
                    organiser: r.try_get("organiser")?,
                    place: r.try_get("place")?,
                    kind: decoded("kind", r.try_get("kind")?, Kind::from_key)?,
                    region_code: r.try_get("region_code")?,
                });
            }
            out
        }))
    }

    /// The parties of an event, in the order they were added.
    pub async fn chain_parties(&self, event: i64) -> Result<Vec<ChainParty>> {
        Ok(rows!(
            self,
            "SELECT * FROM chain_event_parties WHERE event_id = ? ORDER BY id",
            [Bind::I(event)],
            |r| ChainParty {
                id: r.try_get("id")?,
                event_id: r.try_get("event_id")?,
                role: decoded("role", r.try_get("role")?, Role::from_key)?,
                uscc: r.try_get("uscc")?,
                name: r.try_get("name")?,
            }
        ))
    }

    /// The outcomes of an event.
    pub async fn chain_outcomes(&self, event: i64) -> Result<Vec<ChainOutcome>> {
        self.chain_outcome_rows("o.event_id = ?", event).await
    }

    /// One outcome.
    pub async fn chain_outcome(&self, id: i64) -> Result<Option<ChainOutcome>> {
        Ok(self
            .chain_outcome_rows("o.id = ?", id)
            .await?
            .into_iter()
            .next())
    }

    async fn chain_outcome_rows(&self, cond: &str, v: i64) -> Result<Vec<ChainOutcome>> {
        let sql = format!(
            "SELECT o.*, p.name AS party FROM chain_outcomes o JOIN chain_event_parties p ON p.id = o.party_id \
             WHERE {cond} ORDER BY o.id"
        );
        Ok(rows!(self, &sql, [Bind::I(v)], |r| outcome_row!(r)))
    }

    /// The registry firms behind the line's "firms": each distinct firm with the number of the
    /// picked events it took part in, by code.
    pub async fn chain_firms(&self, f: &ChainFilter) -> Result<Vec<(String, String, i64)>> {
        let (wh, binds) = f.cond();
        let sql = format!(
            "SELECT p.uscc, MIN(p.name) AS name, COUNT(DISTINCT e.id) AS n FROM chain_event_parties p \
             JOIN chain_events e ON e.id = p.event_id WHERE {wh} AND p.uscc IS NOT NULL \
             GROUP BY p.uscc ORDER BY p.uscc"
        );
        let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        let sql = self.sql(&sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &binds {
                q = b.bind_to(q);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                out.push((r.try_get("uscc")?, r.try_get("name")?, r.try_get("n")?));
            }
            out
        }))
    }

    /// The outcomes behind one figure of the line: those of `kind` that count (signed or
    /// executed), each with its event's date and title, in the events' order.
    pub async fn chain_counted(
        &self,
        f: &ChainFilter,
        kind: OutcomeKind,
    ) -> Result<Vec<(String, String, ChainOutcome)>> {
        let (wh, binds) = f.cond();
        let sql = format!(
            "SELECT o.*, p.name AS party, e.held_on AS ev_on, e.title AS ev_title FROM chain_outcomes o \
             JOIN chain_event_parties p ON p.id = o.party_id JOIN chain_events e ON e.id = o.event_id \
             WHERE {wh} AND o.kind = ? AND o.status IN ('signed', 'executed') ORDER BY e.held_on, o.id"
        );
        let mut all: Vec<Bind<'_>> = binds.iter().map(|b| Bind::S(b)).collect();
        all.push(Bind::S(kind.key()));
        let sql = self.sql(&sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &all {
                q = b.bind_to(q);
            }
            let mut out = Vec::new();
            for r in &q.fetch_all(p).await? {
                out.push((
                    r.try_get("ev_on")?,
                    r.try_get("ev_title")?,
                    outcome_row!(r),
                ));
            }
            out
        }))
    }

    /// The bureau's line for the events a filter picks.
    pub async fn chain_summary(&self, f: &ChainFilter) -> Result<ChainSummary> {
        let (wh, binds) = f.cond();
        let sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM chain_events e WHERE {wh}) AS events, \
               (SELECT COUNT(DISTINCT p.uscc) FROM chain_event_parties p JOIN chain_events e ON e.id = p.event_id WHERE {wh} AND p.uscc IS NOT NULL) AS firms, \
               (SELECT COUNT(*) FROM chain_event_parties p JOIN chain_events e ON e.id = p.event_id WHERE {wh}) AS participations, \
               (SELECT CAST(COALESCE(SUM(o.amount), 0) AS BIGINT) FROM chain_outcomes o JOIN chain_events e ON e.id = o.event_id WHERE {wh} AND o.kind = 'order' AND o.status IN ('signed', 'executed')) AS orders, \
               (SELECT CAST(COALESCE(SUM(o.amount), 0) AS BIGINT) FROM chain_outcomes o JOIN chain_events e ON e.id = o.event_id WHERE {wh} AND o.kind = 'financing' AND o.status IN ('signed', 'executed')) AS financing, \
               (SELECT COUNT(*) FROM chain_outcomes o JOIN chain_events e ON e.id = o.event_id WHERE {wh} AND o.kind = 'project' AND o.status IN ('signed', 'executed')) AS projects"
        );
        let sql = self.sql(&sql).into_owned();
        // The same binds for each of the six sub-queries, in order.
        let all: Vec<&String> = (0..6).flat_map(|_| binds.iter()).collect();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &all {
                q = q.bind(b.as_str());
            }
            let r = q.fetch_one(p).await?;
            ChainSummary {
                events: r.try_get("events")?,
                firms: r.try_get("firms")?,
                participations: r.try_get("participations")?,
                orders: r.try_get("orders")?,
                financing: r.try_get("financing")?,
                projects: r.try_get("projects")?,
            }
        }))
    }
}

impl Store {
    /// The catalogue and challenge figures of the bureau's line for a year, a filter's chain and
    /// district: products listed in that year's catalogue and their firms (of firms carrying the
    /// chain); challenges of the chain published in the year (by the district's posters); results
    /// accepted in the year (of the district's solvers).
    pub async fn chain_line_more(&self, f: &ChainFilter, year: i32) -> Result<ChainLineMore> {
        let (cat, cat_b) = f.firm_cond("c.uscc", "c.region_code", None);
        let (ch, ch_b) = f.firm_cond("g.poster_uscc", "pe.region_code", Some("g.chain"));
        let (ac, ac_b) = f.firm_cond("a.uscc", "ae.region_code", Some("ag.chain"));
        let y = format!("{year:04}");
        let sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM catalogue_entries c WHERE c.status = 'listed' AND c.year = CAST(? AS BIGINT) AND {cat}) AS products, \
               (SELECT COUNT(DISTINCT c.uscc) FROM catalogue_entries c WHERE c.status = 'listed' AND c.year = CAST(? AS BIGINT) AND {cat}) AS firms, \
               (SELECT COUNT(*) FROM challenges g JOIN enterprises pe ON pe.uscc = g.poster_uscc \
                 WHERE g.published_on >= ? AND g.published_on <= ? AND {ch}) AS published, \
               (SELECT COUNT(*) FROM challenge_applications a JOIN enterprises ae ON ae.uscc = a.uscc \
                 JOIN challenges ag ON ag.id = a.challenge_id WHERE a.status = 'accepted' AND a.decided_on >= ? AND a.decided_on <= ? AND {ac}) AS accepted"
        );
        let (from, to) = (format!("{y}-01-01"), format!("{y}-12-31"));
        let mut all: Vec<String> = Vec::new();
        for b in [
            vec![y.clone()],
            cat_b.clone(),
            vec![y.clone()],
            cat_b,
            vec![from.clone(), to.clone()],
            ch_b,
            vec![from, to],
            ac_b,
        ] {
            all.extend(b);
        }
        let sql = self.sql(&sql).into_owned();
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(safe(&sql));
            for b in &all {
                q = q.bind(b.as_str());
            }
            let r = q.fetch_one(p).await?;
            ChainLineMore {
                catalogue_products: r.try_get("products")?,
                catalogue_firms: r.try_get("firms")?,
                challenges_published: r.try_get("published")?,
                challenges_accepted: r.try_get("accepted")?,
            }
        }))
    }
}

/// A firm the bureau records as military-industry qualified, and what it passes without holding.
#[derive(Clone, Debug, Serialize)]
pub struct MilitaryFirm {
    pub uscc: String,
    pub name: String,
    pub region_code: Option<String>,
    pub certified_on: String,
    pub note: String,
    /// The tiers (innovative, srdi, giant) it passes today without holding their title.
    pub candidate_for: Vec<String>,
}

impl Store {
    /// Records (or replaces) a firm's military-industry qualification.
    pub async fn set_military(
        &self,
        uscc: &str,
        certified_on: &str,
        note: &str,
        actor: Option<i64>,
    ) -> Result<()> {
        let target = format!("enterprise:{uscc}");
        self.exec_tx(
            vec![
                stmt("DELETE FROM military_quals WHERE uscc = ?", vec![Bind::S(uscc)]),
                stmt(
                    "INSERT INTO military_quals (uscc, certified_on, note, set_by, set_at) SELECT uscc, ?, ?, ?, ? FROM enterprises WHERE uscc = ?",
                    vec![Bind::S(certified_on), Bind::S(note), Bind::OI(actor), Bind::I(now()), Bind::S(uscc)],
                ),
                audit(actor, "military.set", &target, certified_on),
            ],
            None,
        )
        .await
    }

    /// Clears it.
    pub async fn clear_military(&self, uscc: &str, actor: Option<i64>) -> Result<()> {
        let target = format!("enterprise:{uscc}");
        self.exec_tx(
            vec![
                stmt(
                    "DELETE FROM military_quals WHERE uscc = ?",
                    vec![Bind::S(uscc)],
                ),
                audit(actor, "military.clear", &target, ""),
            ],
            Some("not recorded as qualified"),
        )
        .await
    }

    /// A firm's qualification: (certificate date, note).
    pub async fn military_of(&self, uscc: &str) -> Result<Option<(String, String)>> {
        let v: Vec<(String, String)> = rows!(
            self,
            "SELECT certified_on, note FROM military_quals WHERE uscc = ?",
            [Bind::S(uscc)],
            |r| (r.try_get("certified_on")?, r.try_get("note")?)
        );
        Ok(v.into_iter().next())
    }

    /// The qualified firms in some districts (all when `None`), each with the tiers it passes
    /// today without their title; `only_candidates` keeps those with at least one.
    pub async fn military_firms(
        &self,
        regions: Option<&[String]>,
        today: &str,
        only_candidates: bool,
    ) -> Result<Vec<MilitaryFirm>> {
        let mut firms: Vec<MilitaryFirm> = Vec::new();
        let cand = |tier: &str| {
            format!(
                "CASE WHEN e.{tier} = 'pass' AND NOT EXISTS (SELECT 1 FROM titles t WHERE t.uscc = e.uscc AND t.tier = '{tier}' AND t.valid_until >= ?) THEN 1 ELSE 0 END AS c_{tier}"
            )
        };
        let sql = format!(
            "SELECT m.uscc, e.name, e.region_code, m.certified_on, m.note, {}, {}, {} \
             FROM military_quals m JOIN enterprises e ON e.uscc = m.uscc ORDER BY m.uscc",
            cand("innovative"),
            cand("srdi"),
            cand("giant")
        );
        type Row = (String, String, Option<String>, String, String, [i64; 3]);
        let rows: Vec<Row> = rows!(
            self,
            &sql,
            [Bind::S(today), Bind::S(today), Bind::S(today)],
            |r| (
                r.try_get("uscc")?,
                r.try_get("name")?,
                r.try_get("region_code")?,
                r.try_get("certified_on")?,
                r.try_get("note")?,
                [
                    r.try_get::<i64, _>("c_innovative")?,
                    r.try_get::<i64, _>("c_srdi")?,
                    r.try_get::<i64, _>("c_giant")?
                ]
            )
        );
        for (uscc, name, region_code, certified_on, note, c) in rows {
            if let Some(rs) = regions
                && !region_code.as_ref().is_some_and(|r| rs.contains(r))
            {
                continue;
            }
            let candidate_for: Vec<String> = ["innovative", "srdi", "giant"]
                .iter()
                .zip(c)
                .filter(|(_, n)| *n == 1)
                .map(|(t, _)| (*t).to_owned())
                .collect();
            if only_candidates && candidate_for.is_empty() {
                continue;
            }
            firms.push(MilitaryFirm {
                uscc,
                name,
                region_code,
                certified_on,
                note,
                candidate_for,
            });
        }
        Ok(firms)
    }
}
