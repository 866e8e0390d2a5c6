-- The incident register: the current state of each incident (a projection
-- kept in the same transaction as its events) and the append-only history.

CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY,
    reference      TEXT    NOT NULL UNIQUE,
    version        INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    facts          TEXT    NOT NULL,
    original       TEXT    NOT NULL,
    assessment     TEXT    NOT NULL,
    milestones     TEXT    NOT NULL,
    modality       TEXT    NOT NULL,
    nation         TEXT    NOT NULL,
    discovered     TEXT    NOT NULL,  -- YYYY-MM-DD
    guidance       TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    codes          TEXT    NOT NULL,  -- space-separated
    notify_by      TEXT,
    report_by      TEXT,
    notified_on    TEXT,
    report_sent_on TEXT,
    closed_on      TEXT,
    next_due       TEXT,
    created_at     TEXT    NOT NULL,  -- RFC 3339, UTC
    updated_at     TEXT    NOT NULL
) STRICT;

CREATE INDEX incidents_discovered ON incidents (discovered);
CREATE INDEX incidents_next_due ON incidents (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX incidents_status ON incidents (status);
CREATE INDEX incidents_outcome ON incidents (outcome);
CREATE INDEX incidents_modality ON incidents (modality);

CREATE TABLE incident_events (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    seq         INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    reason      TEXT,
    data        TEXT    NOT NULL,
    changes     TEXT    NOT NULL,
    facts       TEXT,
    assessment  TEXT,
    PRIMARY KEY (incident_id, seq)
) STRICT;

-- History is never overwritten.
CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
BEGIN
    SELECT RAISE(ABORT, 'the incident history is append-only');
END;

CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events
BEGIN
    SELECT RAISE(ABORT, 'the incident history is append-only');
END;
