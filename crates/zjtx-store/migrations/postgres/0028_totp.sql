-- The second factor (issue 18): an account's TOTP secret (RFC 6238), confirmed once its owner
-- entered a first code; the last time step accepted, so that a code is used once.
CREATE TABLE totp (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id),
    secret       TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0
);

-- A sign-in whose password was right and whose second factor is still to come.
CREATE TABLE pending_logins (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    expires_at BIGINT NOT NULL
);
