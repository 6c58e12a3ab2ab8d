-- The finance zone (issue 5): institutions and their staff, products (reviewed by the bureau
-- before they are listed), financing needs and responses, consent the firm controls and every
-- access it allows, saved screenings, applications and their outcomes, matchmaking events, and
-- the listing-reserve pipeline. Amounts are in yuan (units of 1/10000 万元), dates 'YYYY-MM-DD',
-- instants Unix seconds.

CREATE TABLE institutions (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('bank', 'guarantee', 'insurer', 'fund')),
    created_at INTEGER NOT NULL
);
ALTER TABLE users ADD COLUMN institution_id INTEGER REFERENCES institutions(id);

CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    min_amount     INTEGER NOT NULL,
    max_amount     INTEGER NOT NULL,
    term_min       INTEGER NOT NULL,
    term_max       INTEGER NOT NULL,
    rate_kind      TEXT NOT NULL CHECK (rate_kind IN ('fixed', 'lpr')),
    rate_bp        INTEGER NOT NULL,
    collateral     TEXT NOT NULL,
    repayment      TEXT NOT NULL,
    channel        TEXT NOT NULL,
    eligibility    TEXT NOT NULL,
    status         TEXT NOT NULL,
    review_reason  TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX products_status ON products (status, institution_id);

CREATE TABLE needs (
    id          INTEGER PRIMARY KEY,
    uscc        TEXT NOT NULL REFERENCES enterprises(uscc),
    amount      INTEGER NOT NULL,
    purpose     TEXT NOT NULL,
    term_months INTEGER NOT NULL,
    collateral  TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX needs_uscc ON needs (uscc, status);

CREATE TABLE need_responses (
    id             INTEGER PRIMARY KEY,
    need_id        INTEGER NOT NULL REFERENCES needs(id),
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    product_id     INTEGER REFERENCES products(id),
    text           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    uscc            TEXT NOT NULL REFERENCES enterprises(uscc),
    institution_id  INTEGER NOT NULL REFERENCES institutions(id),
    categories      TEXT NOT NULL,
    predicates_only INTEGER NOT NULL,
    purpose         TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX consents_pair ON consents (institution_id, uscc);
CREATE INDEX consents_uscc ON consents (uscc);

-- Every read of an enterprise's data by an institution, with the consent it relied on.
CREATE TABLE data_access (
    id             INTEGER PRIMARY KEY,
    uscc           TEXT NOT NULL,
    institution_id INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    categories     TEXT NOT NULL,
    route          TEXT NOT NULL,
    consent_id     INTEGER,
    at             INTEGER NOT NULL
);
CREATE INDEX data_access_uscc ON data_access (uscc, at);

CREATE TABLE saved_searches (
    id             INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    name           TEXT NOT NULL,
    filter         TEXT NOT NULL,
    seen           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE applications (
    id              INTEGER PRIMARY KEY,
    uscc            TEXT NOT NULL REFERENCES enterprises(uscc),
    product_id      INTEGER NOT NULL REFERENCES products(id),
    institution_id  INTEGER NOT NULL REFERENCES institutions(id),
    need_id         INTEGER REFERENCES needs(id),
    amount          INTEGER NOT NULL,
    status          TEXT NOT NULL,
    granted_amount  INTEGER,
    granted_on      TEXT,
    disbursed_on    TEXT,
    decline_reason  TEXT,
    region_code     TEXT,
    created_on      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX applications_uscc ON applications (uscc);
CREATE INDEX applications_institution ON applications (institution_id, status);

CREATE TABLE application_steps (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    status         TEXT NOT NULL,
    detail         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    by_user        INTEGER
);

CREATE TABLE fin_events (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    region_code TEXT,
    created_at  INTEGER NOT NULL
);
CREATE TABLE fin_event_participants (
    event_id       INTEGER NOT NULL REFERENCES fin_events(id),
    uscc           TEXT,
    institution_id INTEGER,
    outcome        TEXT NOT NULL,
    amount         INTEGER
);

CREATE TABLE listing_pipeline (
    uscc       TEXT PRIMARY KEY REFERENCES enterprises(uscc),
    stage      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE listing_history (
    id      INTEGER PRIMARY KEY,
    uscc    TEXT NOT NULL,
    stage   TEXT NOT NULL,
    note    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    by_user INTEGER
);
