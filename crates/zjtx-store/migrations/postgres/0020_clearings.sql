-- The two clearings (两清零, issue 14): each year's listed firms (a snapshot of the registry's
-- figures of that year, taken by the city; a firm listed the year before on the same list is a
-- re-entry), their follow-up actions, and their clearance. Money in units of 0.0001 万元.

CREATE TABLE clearing_items (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year        BIGINT NOT NULL,
    list        TEXT NOT NULL,
    uscc        TEXT NOT NULL REFERENCES enterprises(uscc),
    region_code TEXT,
    revenue     BIGINT NOT NULL,
    status      TEXT NOT NULL,
    reentry     BIGINT NOT NULL DEFAULT 0,
    reason      TEXT NOT NULL DEFAULT '',
    cleared_on  TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (year, list, uscc)
);
CREATE INDEX clearing_items_region ON clearing_items (year, region_code);

CREATE TABLE clearing_actions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id    BIGINT NOT NULL REFERENCES clearing_items(id),
    on_day     TEXT NOT NULL,
    text       TEXT NOT NULL,
    user_id    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX clearing_actions_item ON clearing_actions (item_id);
