-- Every change of a title — granted, extended, re-imported, removed — noted by the database itself
-- (a trigger, in the writer's transaction), so that no writer can miss one: the bulk exchange's
-- incremental sync of titles reads them after a cursor. One row per title: its state now (NULL
-- valid_until: removed) and when it last changed. Titles held before this migration start as
-- changed at its moment.
CREATE TABLE title_changes (
    uscc        TEXT NOT NULL,
    tier        TEXT NOT NULL,
    valid_until TEXT,
    source      TEXT NOT NULL,
    changed_at  BIGINT NOT NULL,
    PRIMARY KEY (uscc, tier)
);
CREATE INDEX title_changes_at ON title_changes (changed_at, uscc, tier);
INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
    SELECT uscc, tier, valid_until, source, EXTRACT(EPOCH FROM clock_timestamp())::BIGINT FROM titles;

CREATE FUNCTION note_title_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
        VALUES (OLD.uscc, OLD.tier, NULL, OLD.source, EXTRACT(EPOCH FROM clock_timestamp())::BIGINT)
        ON CONFLICT (uscc, tier) DO UPDATE SET valid_until = NULL,
            source = EXCLUDED.source, changed_at = EXCLUDED.changed_at;
        RETURN OLD;
    END IF;
    INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
    VALUES (NEW.uscc, NEW.tier, NEW.valid_until, NEW.source, EXTRACT(EPOCH FROM clock_timestamp())::BIGINT)
    ON CONFLICT (uscc, tier) DO UPDATE SET valid_until = EXCLUDED.valid_until,
        source = EXCLUDED.source, changed_at = EXCLUDED.changed_at;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER titles_noted AFTER INSERT OR UPDATE OR DELETE ON titles
    FOR EACH ROW EXECUTE FUNCTION note_title_change();
