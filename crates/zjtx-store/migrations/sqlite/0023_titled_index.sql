-- The public titled list (a decision's title in force) read by source and date, so that a
-- screening's candidates do not scan every title of the registry.
CREATE INDEX titles_source ON titles (source, valid_until, uscc);
