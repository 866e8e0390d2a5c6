-- The outbox (irmer_store::mail): every e-mail, queued in the transaction
-- of what causes it, then sent by the worker with retries.
CREATE TABLE outbox (
    id              BIGSERIAL   PRIMARY KEY,
    message_id      TEXT        NOT NULL UNIQUE,
    sender          TEXT        NOT NULL,
    recipient       TEXT        NOT NULL,
    subject         TEXT        NOT NULL,
    body            TEXT        NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        BIGINT      NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
