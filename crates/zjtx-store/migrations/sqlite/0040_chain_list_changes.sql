-- The chain lists — the chains and their segments a firm can be tagged with — are read on every
-- enterprise page of a user who tags; an instance keeps them in memory and must know when any
-- writer on any instance changed them (issue 15). The database counts every change
-- (triggers, in the writer's transaction): a reader that reads the counter before the lists it
-- keeps is behind exactly when the counter has moved since. The counter only grows.
CREATE TABLE chain_list_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO chain_list_changes (id, n) VALUES (1, 0);

CREATE TRIGGER chains_list_changed_insert AFTER INSERT ON chains BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER chains_list_changed_update AFTER UPDATE ON chains BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER chains_list_changed_delete AFTER DELETE ON chains BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_list_changed_insert AFTER INSERT ON segments BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_list_changed_update AFTER UPDATE ON segments BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_list_changed_delete AFTER DELETE ON segments BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
END;
