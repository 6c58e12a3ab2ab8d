-- A read of every firm consenting to an institution at once (a screening, a product's eligible
-- list) is one row here instead of one per firm: the firm's access log shows it for each consent
-- of the firm to that institution that was in force at that moment (granted before, not yet
-- revoked, the day within its dates) — the very consents that put the firm in the read.
CREATE TABLE data_access_sets (
    id             INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    route          TEXT NOT NULL,
    day            TEXT NOT NULL,
    at             INTEGER NOT NULL
);
CREATE INDEX data_access_sets_institution ON data_access_sets (institution_id, at);
