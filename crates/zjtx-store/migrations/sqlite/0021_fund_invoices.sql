-- The invoice files behind a funding application's investment lines (issue 13), stored by their
-- SHA-256 in the evidence directory like a declaration's evidence.

CREATE TABLE fund_invoices (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES fund_applications(id),
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    INTEGER NOT NULL,
    uploaded_by    INTEGER
);
CREATE INDEX fund_invoices_application ON fund_invoices (application_id);
CREATE INDEX fund_invoices_sha256 ON fund_invoices (sha256);
