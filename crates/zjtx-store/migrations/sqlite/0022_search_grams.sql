-- Chinese search (issue 15): each enterprise's name and main products as grams (characters,
-- neighbouring pairs, the name's start), written by the import in its transaction; see search.rs.
-- Keyed by gram then code, so that one gram's enterprises are read in code order (a page, a
-- capped count) and one enterprise's gram is found by its key.
CREATE TABLE enterprise_grams (
    gram INTEGER NOT NULL,
    uscc TEXT NOT NULL,
    PRIMARY KEY (gram, uscc)
) WITHOUT ROWID;
