-- Digital engineering service providers (数字工程服务商, issue 13): a provider account's profile,
-- its service records to registry firms, and the city's published yearly selections. Money in
-- units of 0.0001 万元; the index as its decimal text.

CREATE TABLE providers (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE provider_records (
    id           INTEGER PRIMARY KEY,
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    client_uscc  TEXT NOT NULL REFERENCES enterprises(uscc),
    year         INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    level_before INTEGER NOT NULL,
    level_after  INTEGER NOT NULL,
    satisfaction INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX provider_records_year ON provider_records (year, provider_id);

CREATE TABLE provider_selections (
    year         INTEGER NOT NULL,
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    rank         INTEGER NOT NULL,
    idx          TEXT NOT NULL,
    award        INTEGER NOT NULL,
    published_on TEXT NOT NULL,
    PRIMARY KEY (year, provider_id)
);
