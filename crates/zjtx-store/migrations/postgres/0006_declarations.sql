-- Experts get accounts: the users table's role check gains 'expert'.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('city', 'district', 'enterprise', 'institution', 'provider', 'expert'));

-- Declaration, review and recognition of titles (issue 4). Dates are 'YYYY-MM-DD' text; instants
-- are Unix seconds.

-- A yearly batch per tier: its rule set, its windows and its quota.
CREATE TABLE batches (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tier            TEXT NOT NULL CHECK (tier IN ('innovative', 'srdi', 'giant')),
    year            BIGINT NOT NULL,
    rules           TEXT NOT NULL,
    title           TEXT NOT NULL,
    declare_until   TEXT NOT NULL,
    district_until  TEXT NOT NULL,
    city_until      TEXT NOT NULL,
    notice_days     BIGINT NOT NULL,
    notice_from     TEXT,
    notice_until    TEXT,
    quota           BIGINT,
    experts_per     BIGINT NOT NULL,
    archived        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    created_by      BIGINT,
    UNIQUE (tier, year)
);

-- An enterprise's declaration in a batch: the figures it declares (template cells as JSON, like
-- enterprise_years), where it stands, and its pledge.
CREATE TABLE declarations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id     BIGINT NOT NULL REFERENCES batches(id),
    uscc         TEXT NOT NULL REFERENCES enterprises(uscc),
    region_code  TEXT,
    ecosystem    TEXT,
    status       TEXT NOT NULL,
    cells        TEXT NOT NULL,
    pledged_at   BIGINT,
    submitted_at BIGINT,
    updated_at   BIGINT NOT NULL,
    UNIQUE (batch_id, uscc)
);
CREATE INDEX declarations_queue ON declarations (status, region_code, batch_id);

-- Evidence files: stored on disk by their SHA-256, described here.
CREATE TABLE evidence (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    rule_id        TEXT NOT NULL,
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL,
    uploaded_by    BIGINT
);
CREATE INDEX evidence_declaration ON evidence (declaration_id, rule_id);

-- Every reviewer's action on a declaration: level (district, city, expert), decision, reason, and
-- per-rule opinions as JSON {rule id: {"agree": bool, "reason": text}}; an expert's score.
CREATE TABLE reviews (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    level          TEXT NOT NULL,
    reviewer_id    BIGINT NOT NULL,
    decision       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    opinions       TEXT NOT NULL,
    score          BIGINT,
    at             BIGINT NOT NULL
);
CREATE INDEX reviews_declaration ON reviews (declaration_id, at);

-- The expert pool: each expert has an account (role expert), fields, and an employer.
CREATE TABLE experts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL UNIQUE REFERENCES users(id),
    name          TEXT NOT NULL,
    fields        TEXT NOT NULL,
    employer_uscc TEXT,
    active        BIGINT NOT NULL DEFAULT 1
);

-- Conflicts of interest: employment, shareholding, relation.
CREATE TABLE expert_conflicts (
    expert_id BIGINT NOT NULL REFERENCES experts(id),
    uscc      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('employment', 'shareholding', 'relation')),
    PRIMARY KEY (expert_id, uscc, kind)
);

-- A published draw: its seed, what it was drawn from, and the result (JSON), so anyone can
-- recompute it.
CREATE TABLE draws (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id  BIGINT NOT NULL UNIQUE REFERENCES batches(id),
    seed      TEXT NOT NULL,
    k         BIGINT NOT NULL,
    inputs    TEXT NOT NULL,
    result    TEXT NOT NULL,
    drawn_at  BIGINT NOT NULL,
    drawn_by  BIGINT
);
CREATE TABLE expert_assignments (
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    expert_id      BIGINT NOT NULL REFERENCES experts(id),
    PRIMARY KEY (declaration_id, expert_id)
);

-- Objections filed during the public notice, and how the bureau resolved them.
CREATE TABLE objections (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    filer          TEXT NOT NULL,
    contact        TEXT NOT NULL,
    text           TEXT NOT NULL,
    filed_at       BIGINT NOT NULL,
    upheld         BIGINT,
    resolution     TEXT,
    resolved_at    BIGINT,
    resolved_by    BIGINT
);
CREATE INDEX objections_declaration ON objections (declaration_id);

-- The decision record: everything a recognition (or refusal) was decided on, frozen.
CREATE TABLE decisions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id BIGINT NOT NULL UNIQUE REFERENCES declarations(id),
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
    decided_at     BIGINT NOT NULL,
    decided_by     BIGINT
);

-- Titles granted by a decision are the platform's own; an import of figures replaces only the
-- titles that came with the figures.
ALTER TABLE titles ADD COLUMN source TEXT NOT NULL DEFAULT 'import';
ALTER TABLE titles ADD COLUMN decision_id BIGINT;

-- What happened to a title after recognition: yearly updates, major changes, re-review,
-- revocation.
CREATE TABLE title_events (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uscc    TEXT NOT NULL,
    tier    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    year    BIGINT,
    detail  TEXT NOT NULL,
    at      BIGINT NOT NULL,
    by_user BIGINT
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
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    text       TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);
