-- Chain matchmaking events (产业链“百场万企”对接, issue 12): an event of a chain, its parties by
-- role (registry firms by code, others by name) and its outcomes, each moving intention → signed →
-- executed (or cancelled). Amounts in yuan (units of 1/10000 万元), dates 'YYYY-MM-DD', instants
-- Unix seconds.

CREATE TABLE chain_events (
    id          INTEGER PRIMARY KEY,
    chain       TEXT NOT NULL REFERENCES chains(name),
    title       TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    organiser   TEXT NOT NULL,
    place       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region_code TEXT,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX chain_events_held ON chain_events (held_on, chain);

CREATE TABLE chain_event_parties (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES chain_events(id),
    role     TEXT NOT NULL,
    uscc     TEXT REFERENCES enterprises(uscc),
    name     TEXT NOT NULL,
    UNIQUE (event_id, role, name)
);
CREATE INDEX chain_event_parties_uscc ON chain_event_parties (uscc, event_id);

CREATE TABLE chain_outcomes (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES chain_events(id),
    party_id   INTEGER NOT NULL REFERENCES chain_event_parties(id),
    kind       TEXT NOT NULL,
    amount     INTEGER,
    status     TEXT NOT NULL,
    note       TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
CREATE INDEX chain_outcomes_event ON chain_outcomes (event_id);
