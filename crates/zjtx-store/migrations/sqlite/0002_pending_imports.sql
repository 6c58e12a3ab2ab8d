-- Uploaded template files awaiting the uploader's confirmation, kept in the database so that any
-- instance can show the preview and commit it. Removed once committed or discarded.
CREATE TABLE pending_imports (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    filename   TEXT NOT NULL,
    content    BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
