-- Search moves into each instance's memory (issue 15): the gram table goes; each enterprise
-- notes the generation of the last change to what search reads (its name, products, district),
-- and one row counts the generations. A writer takes the next generation in its transaction (the
-- row stays locked until it commits), so generations commit in order and an instance that has
-- read up to generation g reads what changed after it as the enterprises with a greater one.
DROP TABLE enterprise_grams;
CREATE TABLE search_generation (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO search_generation (id, n) VALUES (1, 1);
ALTER TABLE enterprises ADD COLUMN search_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX enterprises_search_seq ON enterprises (search_seq, uscc);
