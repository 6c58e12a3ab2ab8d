-- What a screening shows of a firm depends on its record, its titles and the institution's
-- consents; an instance keeps each institution's screening in memory (the web's `ScreenCache`)
-- and must know when any of these changed, by any writer on any instance. The database itself
-- notes every transaction that changed them (a trigger per statement, in the writer's
-- transaction, so that no writer can miss one): one row per transaction, by its id. A reader
-- takes a snapshot before the rows it keeps and is behind exactly when a noted transaction is
-- not visible in that snapshot and has committed since (`pg_visible_in_snapshot`). Writers take
-- no lock here: each inserts its own key.
CREATE TABLE subject_changes (
    xid xid8   PRIMARY KEY,
    at  BIGINT NOT NULL
);
CREATE INDEX subject_changes_at ON subject_changes (at);

CREATE FUNCTION note_subject_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO subject_changes (xid, at)
    VALUES (pg_current_xact_id(), EXTRACT(EPOCH FROM clock_timestamp())::BIGINT)
    ON CONFLICT (xid) DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER enterprises_subject_changed AFTER INSERT OR UPDATE OR DELETE ON enterprises
    FOR EACH STATEMENT EXECUTE FUNCTION note_subject_change();
CREATE TRIGGER titles_subject_changed AFTER INSERT OR UPDATE OR DELETE ON titles
    FOR EACH STATEMENT EXECUTE FUNCTION note_subject_change();
CREATE TRIGGER consents_subject_changed AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH STATEMENT EXECUTE FUNCTION note_subject_change();
