-- The chains and their segments (the bureau's catalogue of what a firm can be tagged with) are
-- read on every enterprise page of a user who tags; an instance keeps them in memory and must
-- know when any writer on any instance changed them (issue 15). The database counts every change
-- (triggers, in the writer's transaction): a reader that reads the counter before the lists it
-- keeps is behind exactly when the counter has moved since. The counter only grows.
CREATE TABLE catalogue_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO catalogue_changes (id, n) VALUES (1, 0);

CREATE TRIGGER chains_catalogue_insert AFTER INSERT ON chains BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER chains_catalogue_update AFTER UPDATE ON chains BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER chains_catalogue_delete AFTER DELETE ON chains BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_catalogue_insert AFTER INSERT ON segments BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_catalogue_update AFTER UPDATE ON segments BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_catalogue_delete AFTER DELETE ON segments BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
