-- An account's e-mail address, for the messages and digests sent by e-mail when an SMTP relay is
-- configured (off by default).
ALTER TABLE users ADD COLUMN email TEXT;
