-- A licensing breach is sent too, to the authority's licensing breach
-- form: one more kind of send. SQLite cannot change a CHECK, so the
-- table is made again with every row kept.
CREATE TABLE authority_sends_next (
    id                  INTEGER PRIMARY KEY,
    reference           TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('notification', 'report', 'licence-breach')),
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
INSERT INTO authority_sends_next
    (id, reference, kind, authority, idempotency_key, body, actor, status, attempts,
     created_at, next_attempt_at, last_error, authority_reference, sent_at)
SELECT id, reference, kind, authority, idempotency_key, body, actor, status, attempts,
       created_at, next_attempt_at, last_error, authority_reference, sent_at
FROM authority_sends;
DROP TABLE authority_sends;
ALTER TABLE authority_sends_next RENAME TO authority_sends;
CREATE INDEX authority_sends_due ON authority_sends (status, next_attempt_at);
