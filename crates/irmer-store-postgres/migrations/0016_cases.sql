-- Case handling at the enforcing authority (irmer_store::case): each
-- notification's stage, triage and category, when its last report came,
-- and its history, append-only. A chaser is an event with a `once` key
-- (unique per notification), so that it is sent once whatever runs.
ALTER TABLE notifications ADD COLUMN risk TEXT;
ALTER TABLE notifications ADD COLUMN inspector_id BIGINT REFERENCES users (id);
ALTER TABLE notifications ADD COLUMN sub_modality TEXT;
ALTER TABLE notifications ADD COLUMN causes TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN report_received_at TIMESTAMPTZ;
UPDATE notifications SET
    report_received_at = (SELECT max(r.received_at) FROM notification_reports r
                          WHERE r.reference = notifications.reference),
    status = 'received'
WHERE status = 'report-received';

CREATE TABLE notification_events (
    id        BIGSERIAL   PRIMARY KEY,
    reference TEXT        NOT NULL REFERENCES notifications (reference),
    kind      TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    actor_id  BIGINT,
    actor     TEXT        NOT NULL,
    details   TEXT        NOT NULL,
    once      TEXT,
    UNIQUE (reference, once)
);
CREATE INDEX notification_events_of ON notification_events (reference, id);

CREATE FUNCTION notification_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a notification''s history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notification_events_no_change BEFORE UPDATE OR DELETE ON notification_events
    FOR EACH ROW EXECUTE FUNCTION notification_events_append_only();
