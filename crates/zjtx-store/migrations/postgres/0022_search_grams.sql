-- Chinese search (issue 15): each enterprise's name and main products as grams (characters,
-- neighbouring pairs, the name's start), written by the import in its transaction; see search.rs.
CREATE TABLE enterprise_grams (
    gram BIGINT NOT NULL,
    uscc TEXT NOT NULL,
    PRIMARY KEY (gram, uscc)
);
