-- no-transaction
-- Experts get accounts: the users table's role check gains 'expert'. SQLite cannot alter a check,
-- so the table is rebuilt (the documented procedure: foreign keys off, copy, swap, on again).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('city', 'district', 'enterprise', 'institution', 'provider', 'expert')),
    region_code   TEXT REFERENCES regions(code),
    uscc          TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL
);
INSERT INTO users_new (id, username, password_hash, role, region_code, uscc, disabled, failed_logins, locked_until, created_at)
    SELECT id, username, password_hash, role, region_code, uscc, disabled, failed_logins, locked_until, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- Declaration, review and recognition of titles (issue 4). Dates are 'YYYY-MM-DD' text; instants
-- are Unix seconds.

-- A yearly batch per tier: its rule set, its windows and its quota.
CREATE TABLE batches (
    id              INTEGER PRIMARY KEY,
    tier            TEXT NOT NULL CHECK (tier IN ('innovative', 'srdi', 'giant')),
    year            INTEGER NOT NULL,
    rules           TEXT NOT NULL,
    title           TEXT NOT NULL,
    declare_until   TEXT NOT NULL,
    district_until  TEXT NOT NULL,
    city_until      TEXT NOT NULL,
    notice_days     INTEGER NOT NULL,
    notice_from     TEXT,
    notice_until    TEXT,
    quota           INTEGER,
    experts_per     INTEGER NOT NULL,
    archived        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    created_by      INTEGER,
    UNIQUE (tier, year)
);

-- An enterprise's declaration in a batch: the figures it declares (template cells as JSON, like
-- enterprise_years), where it stands, and its pledge.
CREATE TABLE declarations (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES batches(id),
    uscc         TEXT NOT NULL REFERENCES enterprises(uscc),
    region_code  TEXT,
    ecosystem    TEXT,
    status       TEXT NOT NULL,
    cells        TEXT NOT NULL,
    pledged_at   INTEGER,
    submitted_at INTEGER,
    updated_at   INTEGER NOT NULL,
    UNIQUE (batch_id, uscc)
);
CREATE INDEX declarations_queue ON declarations (status, region_code, batch_id);

-- Evidence files: stored on disk by their SHA-256, described here.
CREATE TABLE evidence (
    id             INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL REFERENCES declarations(id),
    rule_id        TEXT NOT NULL,
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    INTEGER NOT NULL,
    uploaded_by    INTEGER
);
CREATE INDEX evidence_declaration ON evidence (declaration_id, rule_id);

-- Every reviewer's action on a declaration: level (district, city, expert), decision, reason, and
-- per-rule opinions as JSON {rule id: {"agree": bool, "reason": text}}; an expert's score.
CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL REFERENCES declarations(id),
    level          TEXT NOT NULL,
    reviewer_id    INTEGER NOT NULL,
    decision       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    opinions       TEXT NOT NULL,
    score          INTEGER,
    at             INTEGER NOT NULL
);
CREATE INDEX reviews_declaration ON reviews (declaration_id, at);

-- The expert pool: each expert has an account (role expert), fields, and an employer.
CREATE TABLE experts (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL UNIQUE REFERENCES users(id),
    name          TEXT NOT NULL,
    fields        TEXT NOT NULL,
    employer_uscc TEXT,
    active        INTEGER NOT NULL DEFAULT 1
);

-- Conflicts of interest: employment, shareholding, relation.
CREATE TABLE expert_conflicts (
    expert_id INTEGER NOT NULL REFERENCES experts(id),
    uscc      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('employment', 'shareholding', 'relation')),
    PRIMARY KEY (expert_id, uscc, kind)
);

-- A published draw: its seed, what it was drawn from, and the result (JSON), so anyone can
-- recompute it.
CREATE TABLE draws (
    id        INTEGER PRIMARY KEY,
    batch_id  INTEGER NOT NULL UNIQUE REFERENCES batches(id),
    seed      TEXT NOT NULL,
    k         INTEGER NOT NULL,
    inputs    TEXT NOT NULL,
    result    TEXT NOT NULL,
    drawn_at  INTEGER NOT NULL,
    drawn_by  INTEGER
);
CREATE TABLE expert_assignments (
    declaration_id INTEGER NOT NULL REFERENCES declarations(id),
    expert_id      INTEGER NOT NULL REFERENCES experts(id),
    PRIMARY KEY (declaration_id, expert_id)
);

-- Objections filed during the public notice, and how the bureau resolved them.
CREATE TABLE objections (
    id             INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL REFERENCES declarations(id),
    filer          TEXT NOT NULL,
    contact        TEXT NOT NULL,
    text           TEXT NOT NULL,
    filed_at       INTEGER NOT NULL,
    upheld         INTEGER,
    resolution     TEXT,
    resolved_at    INTEGER,
    resolved_by    INTEGER
);
CREATE INDEX objections_declaration ON objections (declaration_id);

-- The decision record: everything a recognition (or refusal) was decided on, frozen.
CREATE TABLE decisions (
    id             INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL UNIQUE REFERENCES declarations(id),
    uscc           TEXT NOT NULL,
    tier           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    rules          TEXT NOT NULL,
    as_of          TEXT NOT NULL,
    cells          TEXT NOT NULL,
    evaluation     TEXT NOT NULL,
    reviews        TEXT NOT NULL,
    valid_from     TEXT,
    valid_until    TEXT,
    decided_at     INTEGER NOT NULL,
    decided_by     INTEGER
);

-- Titles granted by a decision are the platform's own; an import of figures replaces only the
-- titles that came with the figures.
ALTER TABLE titles ADD COLUMN source TEXT NOT NULL DEFAULT 'import';
ALTER TABLE titles ADD COLUMN decision_id INTEGER;

-- What happened to a title after recognition: yearly updates, major changes, re-review,
-- revocation.
CREATE TABLE title_events (
    id      INTEGER PRIMARY KEY,
    uscc    TEXT NOT NULL,
    tier    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    year    INTEGER,
    detail  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    by_user INTEGER
);
CREATE INDEX title_events_uscc ON title_events (uscc, tier, at);

-- Revocation bars new declarations until this date.
CREATE TABLE bans (
    uscc    TEXT PRIMARY KEY,
    until   TEXT NOT NULL,
    reason  TEXT NOT NULL
);

-- In-app messages.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    text       TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);

COMMIT;
PRAGMA foreign_keys = ON;
