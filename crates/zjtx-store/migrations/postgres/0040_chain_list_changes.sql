-- The chain lists — the chains and their segments a firm can be tagged with — are read on every
-- enterprise page of a user who tags; an instance keeps them in memory and must know when any
-- writer on any instance changed them (issue 15). The database counts every change
-- (a statement trigger, in the writer's transaction). Writers of the counter wait for each other
-- on its one row, so it only grows and a commit that changed the lists has moved it: a reader
-- that reads the counter before the lists it keeps is behind exactly when the counter has moved
-- since. The bureau edits the chain lists a few times a year; the row's lock costs nothing there.
CREATE TABLE chain_list_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO chain_list_changes (id, n) VALUES (1, 0);

CREATE FUNCTION note_chain_list_change() RETURNS trigger AS $$
BEGIN
    UPDATE chain_list_changes SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER chains_list_changed AFTER INSERT OR UPDATE OR DELETE ON chains
    FOR EACH STATEMENT EXECUTE FUNCTION note_chain_list_change();
CREATE TRIGGER segments_list_changed AFTER INSERT OR UPDATE OR DELETE ON segments
    FOR EACH STATEMENT EXECUTE FUNCTION note_chain_list_change();
