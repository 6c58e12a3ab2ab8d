-- The public titled list (a decision's title in force) read by date, so that a screening's
-- candidates do not scan every title of the registry. Partial: an index led by `source` drew the
-- import's `DELETE … WHERE source = 'import' AND uscc IN (…)` away from the primary key into a
-- scan of every imported title (the 100,000-row import into a million: 12 s → 26 s).
CREATE INDEX titles_public ON titles (valid_until, uscc) WHERE source = 'decision';
