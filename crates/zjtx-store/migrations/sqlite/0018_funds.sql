-- Funding programmes (issue 13): the calls the city opens (each with the programme file it was
-- opened under, frozen, so that every award re-runs to the same amount), their budgets by level
-- ('city' or a district's code), the applications with their project (the projects file's cells),
-- invoices and award (its trace, as JSON), and the money paid and recovered. Money in units of
-- 0.0001 万元; dates 'YYYY-MM-DD'; instants Unix seconds.

CREATE TABLE fund_calls (
    id           INTEGER PRIMARY KEY,
    programme_id TEXT NOT NULL UNIQUE,
    year         INTEGER NOT NULL,
    category     TEXT NOT NULL,
    title        TEXT NOT NULL,
    opens_on     TEXT NOT NULL,
    closes_on    TEXT NOT NULL,
    programme    TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE fund_budgets (
    call_id INTEGER NOT NULL REFERENCES fund_calls(id),
    level   TEXT NOT NULL,
    amount  INTEGER NOT NULL,
    PRIMARY KEY (call_id, level)
);

CREATE TABLE fund_applications (
    id          INTEGER PRIMARY KEY,
    call_id     INTEGER NOT NULL REFERENCES fund_calls(id),
    uscc        TEXT NOT NULL REFERENCES enterprises(uscc),
    region_code TEXT,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    cells       TEXT NOT NULL,
    invoices    TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    amount      INTEGER,
    city        INTEGER,
    district    INTEGER,
    award       TEXT,
    decided_on  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (call_id, code)
);
CREATE INDEX fund_applications_call ON fund_applications (call_id, status);
CREATE INDEX fund_applications_code ON fund_applications (code, status);
CREATE INDEX fund_applications_uscc ON fund_applications (uscc);

CREATE TABLE fund_money (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES fund_applications(id),
    kind           TEXT NOT NULL,
    level          TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    on_day         TEXT NOT NULL,
    reference      TEXT NOT NULL,
    cause          TEXT NOT NULL DEFAULT '',
    user_id        INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX fund_money_application ON fund_money (application_id, kind, level);
