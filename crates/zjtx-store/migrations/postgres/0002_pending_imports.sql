-- Uploaded template files awaiting the uploader's confirmation, kept in the database so that any
-- instance can show the preview and commit it. Removed once committed or discarded.
CREATE TABLE pending_imports (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    filename   TEXT NOT NULL,
    content    BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
