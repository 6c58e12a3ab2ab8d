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

-- The audit log is sealed into a hash chain: each sealed record carries its place in the chain
-- (seq), the hash of the record before it and its own hash over both; `zjtx audit verify`
-- recomputes it.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_seq ON audit_log (seq);
CREATE INDEX audit_unsealed ON audit_log (id) WHERE seq IS NULL;

-- Audit records are kept at least 180 days (等保 level 3 asks six months): the database refuses
-- to delete a younger one, whoever asks.
CREATE FUNCTION audit_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.at > EXTRACT(EPOCH FROM now())::bigint - 15552000 THEN
        RAISE EXCEPTION 'audit records are kept at least 180 days';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER audit_keep BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_keep();
