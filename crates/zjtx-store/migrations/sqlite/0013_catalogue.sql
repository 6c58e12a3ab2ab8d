-- The quality-product catalogue (优质产品推荐目录, issue 12): products titled firms submit for a
-- year, their review, public notice and listing, and the objections to them. Dates 'YYYY-MM-DD',
-- instants Unix seconds. An entry keeps its firm's district at submission, for the district's
-- review and scope.

CREATE TABLE catalogue_entries (
    id           INTEGER PRIMARY KEY,
    uscc         TEXT NOT NULL REFERENCES enterprises(uscc),
    region_code  TEXT,
    year         INTEGER NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    notice_from  TEXT,
    notice_until TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX catalogue_entries_year ON catalogue_entries (year, status);
CREATE INDEX catalogue_entries_uscc ON catalogue_entries (uscc);

CREATE TABLE catalogue_objections (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES catalogue_entries(id),
    text       TEXT NOT NULL,
    user_id    INTEGER,
    status     TEXT NOT NULL,
    resolution TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX catalogue_objections_entry ON catalogue_objections (entry_id, status);
