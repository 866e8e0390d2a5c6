-- Case handling at the enforcing authority (irmer_store::case): each
-- notification's stage, triage and category, when its last report came,
-- and its history, append-only. A chaser is an event with a `once` key
-- (unique per notification), so that it is sent once whatever runs.
ALTER TABLE notifications ADD COLUMN risk TEXT;
ALTER TABLE notifications ADD COLUMN inspector_id INTEGER REFERENCES users (id);
ALTER TABLE notifications ADD COLUMN sub_modality TEXT;
ALTER TABLE notifications ADD COLUMN causes TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN report_received_at TEXT;
UPDATE notifications SET
    report_received_at = (SELECT max(r.received_at) FROM notification_reports r
                          WHERE r.reference = notifications.reference),
    status = 'received'
WHERE status = 'report-received';

CREATE TABLE notification_events (
    id        INTEGER PRIMARY KEY,
    reference TEXT    NOT NULL REFERENCES notifications (reference),
    kind      TEXT    NOT NULL,
    at        TEXT    NOT NULL,
    actor_id  INTEGER,
    actor     TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    once      TEXT,
    UNIQUE (reference, once)
) STRICT;
CREATE INDEX notification_events_of ON notification_events (reference, id);

CREATE TRIGGER notification_events_no_update BEFORE UPDATE ON notification_events
BEGIN
    SELECT RAISE(ABORT, 'a notification''s history is append-only');
END;

CREATE TRIGGER notification_events_no_delete BEFORE DELETE ON notification_events
BEGIN
    SELECT RAISE(ABORT, 'a notification''s history is append-only');
END;
