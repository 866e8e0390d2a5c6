-- Reminders by e-mail (irmer_store::reminders): a user's address to send
-- them to, and each reminder queued once (its key written in the same
-- transaction as its mail in the outbox).
ALTER TABLE users ADD COLUMN email TEXT;
CREATE TABLE reminders (
    key       TEXT        PRIMARY KEY,
    outbox_id BIGINT      NOT NULL REFERENCES outbox (id),
    at        TIMESTAMPTZ NOT NULL
);
