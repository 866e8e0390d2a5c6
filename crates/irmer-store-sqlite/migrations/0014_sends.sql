-- What the employer sends to its enforcing authority's irmer (a
-- notification, later the report): one row per incident and kind, so an
-- incident never makes two notifications; sent by a worker with retries,
-- the same Idempotency-Key each time; the authority's reference kept.
CREATE TABLE authority_sends (
    id                  INTEGER PRIMARY KEY,
    reference           TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('notification', 'report')),
    authority           TEXT    NOT NULL,
    idempotency_key     TEXT    NOT NULL UNIQUE,
    body                TEXT    NOT NULL,
    actor               TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL,
    next_attempt_at     TEXT    NOT NULL,
    last_error          TEXT,
    authority_reference TEXT,
    sent_at             TEXT,
    UNIQUE (reference, kind)
) STRICT;
CREATE INDEX authority_sends_due ON authority_sends (status, next_attempt_at);
