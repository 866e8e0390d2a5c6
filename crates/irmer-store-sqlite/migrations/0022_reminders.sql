-- Reminders by e-mail (irmer_store::reminders): a user's address to send
-- them to, and each reminder queued once. A reminder's key names what it
-- is about and when (a task's id, stage and due date; a licence's number,
-- expiry and weeks before it; the recipient); it is written in the same
-- transaction as its mail in the outbox, so a sweep that runs twice, or
-- after a crash, queues nothing twice.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE TABLE reminders (
    key       TEXT    PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    at        TEXT    NOT NULL
) STRICT;
