-- The server's scheduled work (issue 18): one row per job, claimed for a day by one instance
-- (an insert or an update that only one of several instances can win), so that the daily work
-- runs once however many instances serve.
CREATE TABLE scheduled_runs (
    name        TEXT PRIMARY KEY,
    day         TEXT NOT NULL,
    owner       TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    outcome     TEXT
);

-- Where the audit chain begins once records past their retention were removed from its start:
-- the last removed record's position and hash, so the kept chain still verifies link by link.
CREATE TABLE audit_anchor (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL,
    removed BIGINT NOT NULL,
    at      BIGINT NOT NULL
);
