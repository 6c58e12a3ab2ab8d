-- Open challenges (揭榜挂帅, issue 12): technical needs firms post, the applications of other
-- firms, the milestones of each selected solver's work, and the supplier lists accepted solvers
-- join. Dates 'YYYY-MM-DD', instants Unix seconds, money in units of 0.0001 万元, flags 0/1.
-- An anonymous challenge keeps its poster here: the web shows it to the city bureau and the
-- poster only.

CREATE TABLE challenges (
    id           INTEGER PRIMARY KEY,
    poster_uscc  TEXT NOT NULL REFERENCES enterprises(uscc),
    chain        TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    indicators   TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    budget       INTEGER,
    reward       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    anonymous    INTEGER NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    subsidy      INTEGER NOT NULL DEFAULT 0,
    published_on TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX challenges_status ON challenges (status, deadline);
CREATE INDEX challenges_poster ON challenges (poster_uscc);

CREATE TABLE challenge_applications (
    id               INTEGER PRIMARY KEY,
    challenge_id     INTEGER NOT NULL REFERENCES challenges(id),
    uscc             TEXT NOT NULL REFERENCES enterprises(uscc),
    team             TEXT NOT NULL,
    capability       TEXT NOT NULL,
    plan             TEXT NOT NULL,
    status           TEXT NOT NULL,
    score_team       INTEGER,
    score_capability INTEGER,
    score_plan       INTEGER,
    score_fit        INTEGER,
    reason           TEXT NOT NULL DEFAULT '',
    investment       INTEGER,
    subsidy          INTEGER,
    decided_on       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (challenge_id, uscc)
);
CREATE INDEX challenge_applications_uscc ON challenge_applications (uscc, status);

CREATE TABLE challenge_milestones (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES challenge_applications(id),
    title          TEXT NOT NULL,
    due            TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence       TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX challenge_milestones_application ON challenge_milestones (application_id);

CREATE TABLE suppliers (
    buyer_uscc    TEXT NOT NULL REFERENCES enterprises(uscc),
    supplier_uscc TEXT NOT NULL REFERENCES enterprises(uscc),
    challenge_id  INTEGER NOT NULL REFERENCES challenges(id),
    since         TEXT NOT NULL,
    PRIMARY KEY (buyer_uscc, supplier_uscc)
);
