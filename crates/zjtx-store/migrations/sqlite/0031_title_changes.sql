-- Every change of a title — granted, extended, re-imported, removed — noted by the database itself
-- (triggers, in the writer's transaction), so that no writer can miss one: the bulk exchange's
-- incremental sync of titles reads them after a cursor. One row per title: its state now (NULL
-- valid_until: removed) and when it last changed. Titles held before this migration start as
-- changed at its moment.
CREATE TABLE title_changes (
    uscc        TEXT NOT NULL,
    tier        TEXT NOT NULL,
    valid_until TEXT,
    source      TEXT NOT NULL,
    changed_at  INTEGER NOT NULL,
    PRIMARY KEY (uscc, tier)
);
CREATE INDEX title_changes_at ON title_changes (changed_at, uscc, tier);
INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
    SELECT uscc, tier, valid_until, source, CAST(strftime('%s', 'now') AS INTEGER) FROM titles;

CREATE TRIGGER titles_noted_insert AFTER INSERT ON titles BEGIN
    INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
    VALUES (NEW.uscc, NEW.tier, NEW.valid_until, NEW.source, CAST(strftime('%s', 'now') AS INTEGER))
    ON CONFLICT (uscc, tier) DO UPDATE SET valid_until = excluded.valid_until,
        source = excluded.source, changed_at = excluded.changed_at;
END;
CREATE TRIGGER titles_noted_update AFTER UPDATE ON titles BEGIN
    INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
    VALUES (NEW.uscc, NEW.tier, NEW.valid_until, NEW.source, CAST(strftime('%s', 'now') AS INTEGER))
    ON CONFLICT (uscc, tier) DO UPDATE SET valid_until = excluded.valid_until,
        source = excluded.source, changed_at = excluded.changed_at;
END;
CREATE TRIGGER titles_noted_delete AFTER DELETE ON titles BEGIN
    INSERT INTO title_changes (uscc, tier, valid_until, source, changed_at)
    VALUES (OLD.uscc, OLD.tier, NULL, OLD.source, CAST(strftime('%s', 'now') AS INTEGER))
    ON CONFLICT (uscc, tier) DO UPDATE SET valid_until = NULL,
        source = excluded.source, changed_at = excluded.changed_at;
END;
