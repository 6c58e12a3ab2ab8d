-- Draws come in rounds: districts recommend over weeks, and each round draws experts for the
-- declarations recommended since the last one. One row per (batch, round).
ALTER TABLE draws ADD COLUMN round BIGINT NOT NULL DEFAULT 1;
ALTER TABLE draws DROP CONSTRAINT draws_batch_id_key;
ALTER TABLE draws ADD CONSTRAINT draws_batch_round UNIQUE (batch_id, round);
