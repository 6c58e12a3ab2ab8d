-- ZJTX schema, PostgreSQL: the same tables as the SQLite schema, with BIGINT for every integer so that both decode to i64. Integers are 64-bit; money is in units of 1/10000 万元 (one yuan), exact.
-- Dates are 'YYYY-MM-DD' text (ordered as text); instants are Unix seconds.

-- Regions form a hierarchy (province → city → district); a user's scope is a region and its
-- descendants, so one deployment can serve a province as well as a city.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code)
);

-- One row per enterprise: identity, and its latest evaluation kept for filtering and counting
-- (recomputed on every import of a newer or equal year).
CREATE TABLE enterprises (
    uscc          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    region_code   TEXT REFERENCES regions(code),
    industry_code TEXT NOT NULL,
    ecosystem     TEXT,
    latest_year   BIGINT NOT NULL,
    rules         TEXT NOT NULL,
    size          TEXT NOT NULL,
    innovative    TEXT NOT NULL,
    tech_sme      TEXT NOT NULL,
    srdi          TEXT NOT NULL,
    giant         TEXT NOT NULL,
    top_tier      TEXT NOT NULL,
    revenue       BIGINT,
    employees     BIGINT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX enterprises_region ON enterprises (region_code, uscc);
CREATE INDEX enterprises_top_tier ON enterprises (top_tier, uscc);
CREATE INDEX enterprises_name ON enterprises (name);

-- The template row of each enterprise and reference year, as JSON {column key: cell text}: history
-- is kept, and zjtx-core parses it back with the same parser as a file import.
CREATE TABLE enterprise_years (
    uscc        TEXT NOT NULL REFERENCES enterprises(uscc),
    year        BIGINT NOT NULL,
    cells       TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (uscc, year)
);

-- Titles held, with their validity.
CREATE TABLE titles (
    uscc        TEXT NOT NULL REFERENCES enterprises(uscc),
    tier        TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    PRIMARY KEY (uscc, tier)
);
CREATE INDEX titles_until ON titles (valid_until);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('city', 'district', 'enterprise', 'institution', 'provider')),
    region_code   TEXT REFERENCES regions(code),
    uscc          TEXT,
    disabled      BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL
);

-- Server-side sessions, so that any instance can serve any request. Only a hash of the cookie's
-- token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Who did or read what, when.
CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      BIGINT NOT NULL,
    user_id BIGINT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT
);
CREATE INDEX audit_target ON audit_log (target, at);
