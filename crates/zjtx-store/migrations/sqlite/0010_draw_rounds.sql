-- Draws come in rounds: districts recommend over weeks, and each round draws experts for the
-- declarations recommended since the last one. The one-draw-per-batch rule becomes one row per
-- (batch, round); SQLite rebuilds the table to change its constraint (nothing references it).
CREATE TABLE draws_new (
    id        INTEGER PRIMARY KEY,
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    round     INTEGER NOT NULL,
    seed      TEXT NOT NULL,
    k         INTEGER NOT NULL,
    inputs    TEXT NOT NULL,
    result    TEXT NOT NULL,
    drawn_at  INTEGER NOT NULL,
    drawn_by  INTEGER,
    UNIQUE (batch_id, round)
);
INSERT INTO draws_new (id, batch_id, round, seed, k, inputs, result, drawn_at, drawn_by)
    SELECT id, batch_id, 1, seed, k, inputs, result, drawn_at, drawn_by FROM draws;
DROP TABLE draws;
ALTER TABLE draws_new RENAME TO draws;
