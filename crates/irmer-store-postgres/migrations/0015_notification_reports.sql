-- The investigation reports providers send for their notifications, each
-- kept as received (its text scanned for identifiers before it is
-- accepted), newest the current one. A report sent again with the same
-- Idempotency-Key is the version it made the first time.
CREATE TABLE notification_reports (
    id           BIGSERIAL   PRIMARY KEY,
    reference    TEXT        NOT NULL REFERENCES notifications (reference),
    version      BIGINT      NOT NULL,
    content_type TEXT        NOT NULL,
    body         TEXT        NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    idempotency_key TEXT,
    UNIQUE (reference, version),
    UNIQUE (reference, idempotency_key)
);
