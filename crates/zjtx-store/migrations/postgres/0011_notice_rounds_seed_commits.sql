-- Notices come in rounds, like draws: each declaration carries its own notice window, so one
-- approved after the batch's first notice goes on a notice of its own.
ALTER TABLE declarations ADD COLUMN notice_from TEXT;
ALTER TABLE declarations ADD COLUMN notice_until TEXT;
UPDATE declarations SET
    notice_from = (SELECT b.notice_from FROM batches b WHERE b.id = declarations.batch_id),
    notice_until = (SELECT b.notice_until FROM batches b WHERE b.id = declarations.batch_id)
    WHERE status IN ('notice', 'recognised', 'refused');

-- The draw's seed is fixed before it can be known: a random seed per round, of which only the
-- SHA-256 is published (the commitment) until the draw reveals it.
CREATE TABLE seed_commits (
    batch_id     BIGINT NOT NULL REFERENCES batches(id),
    round        BIGINT NOT NULL,
    seed         TEXT NOT NULL,
    commitment   TEXT NOT NULL,
    committed_at BIGINT NOT NULL,
    PRIMARY KEY (batch_id, round)
);

-- A city approval without every drawn expert's score, or a recognition against a failing
-- evaluation, carries its reason: JSON {"scores": reason, "evaluation": reason}.
ALTER TABLE reviews ADD COLUMN overrides TEXT;

-- Sign-in attempts counted per source and account name (known or not) in a window: a source is
-- slowed down, an account is never locked for everyone.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts     BIGINT NOT NULL
);
