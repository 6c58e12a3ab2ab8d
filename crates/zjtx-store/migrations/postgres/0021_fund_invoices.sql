-- The invoice files behind a funding application's investment lines (issue 13), stored by their
-- SHA-256 in the evidence directory like a declaration's evidence.

CREATE TABLE fund_invoices (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES fund_applications(id),
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL,
    uploaded_by    BIGINT
);
CREATE INDEX fund_invoices_application ON fund_invoices (application_id);
CREATE INDEX fund_invoices_sha256 ON fund_invoices (sha256);
