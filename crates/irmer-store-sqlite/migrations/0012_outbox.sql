-- The outbox (irmer_store::mail): every e-mail, queued in the transaction
-- of what causes it, then sent by the worker with retries. Times are
-- RFC 3339 in UTC, so that text order is time order.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    sender          TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    sent_at         TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
