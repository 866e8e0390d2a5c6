-- The incident register: the current state of each incident (a projection
-- kept in the same transaction as its events) and the append-only history.
-- JSON is kept as text, exactly as written (the reporter's original account
-- must not be reformatted); cast to jsonb to query it.

CREATE TABLE incidents (
    id             BIGSERIAL   PRIMARY KEY,
    reference      TEXT        NOT NULL UNIQUE,
    version        BIGINT      NOT NULL,
    status         TEXT        NOT NULL,
    facts          TEXT        NOT NULL,
    original       TEXT        NOT NULL,
    assessment     TEXT        NOT NULL,
    milestones     TEXT        NOT NULL,
    modality       TEXT        NOT NULL,
    nation         TEXT        NOT NULL,
    discovered     DATE        NOT NULL,
    guidance       TEXT        NOT NULL,
    outcome        TEXT        NOT NULL,
    codes          TEXT        NOT NULL,
    notify_by      DATE,
    report_by      DATE,
    notified_on    DATE,
    report_sent_on DATE,
    closed_on      DATE,
    next_due       DATE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX incidents_discovered ON incidents (discovered);
CREATE INDEX incidents_next_due ON incidents (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX incidents_status ON incidents (status);
CREATE INDEX incidents_outcome ON incidents (outcome);
CREATE INDEX incidents_modality ON incidents (modality);

CREATE TABLE incident_events (
    incident_id BIGINT      NOT NULL REFERENCES incidents (id),
    seq         BIGINT      NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    kind        TEXT        NOT NULL,
    reason      TEXT,
    data        TEXT        NOT NULL,
    changes     TEXT        NOT NULL,
    facts       TEXT,
    assessment  TEXT,
    PRIMARY KEY (incident_id, seq)
);

-- History is never overwritten.
CREATE FUNCTION incident_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the incident history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER incident_events_no_change BEFORE UPDATE OR DELETE ON incident_events
    FOR EACH ROW EXECUTE FUNCTION incident_events_append_only();
