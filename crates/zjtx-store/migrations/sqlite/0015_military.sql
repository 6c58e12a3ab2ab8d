-- Military–civil fusion (issue 12): the firms the city bureau records as holding a military-
-- industry qualification, with the certificate's date.
CREATE TABLE military_quals (
    uscc         TEXT PRIMARY KEY REFERENCES enterprises(uscc),
    certified_on TEXT NOT NULL,
    note         TEXT NOT NULL,
    set_by       INTEGER,
    set_at       INTEGER NOT NULL
);
