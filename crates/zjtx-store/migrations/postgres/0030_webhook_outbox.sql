-- Webhook events written in the transaction of the step they announce (a transactional outbox:
-- a step that commits always has its event, one that rolls back never does). The webhook worker
-- turns each into deliveries for the subscriptions it concerns, and removes it in the same
-- transaction.
CREATE TABLE webhook_outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event      TEXT NOT NULL,
    ref_id     BIGINT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
