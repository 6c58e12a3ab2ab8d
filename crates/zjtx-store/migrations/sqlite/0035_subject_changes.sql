-- What a screening shows of a firm depends on its record, its titles and the institution's
-- consents; an instance keeps each institution's screening in memory (the web's `ScreenCache`)
-- and must know when any of these changed, by any writer on any instance. The database itself
-- counts every change (triggers, in the writer's transaction, so that no writer can miss one):
-- SQLite has one writer at a time, so a reader that reads the counter before the rows it keeps
-- is behind exactly when the counter has moved since.
CREATE TABLE subject_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO subject_changes (id, n) VALUES (1, 0);

CREATE TRIGGER enterprises_subject_insert AFTER INSERT ON enterprises BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprises_subject_update AFTER UPDATE ON enterprises BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER enterprises_subject_delete AFTER DELETE ON enterprises BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER titles_subject_insert AFTER INSERT ON titles BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER titles_subject_update AFTER UPDATE ON titles BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER titles_subject_delete AFTER DELETE ON titles BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER consents_subject_insert AFTER INSERT ON consents BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER consents_subject_update AFTER UPDATE ON consents BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER consents_subject_delete AFTER DELETE ON consents BEGIN
    UPDATE subject_changes SET n = n + 1 WHERE id = 1;
END;
