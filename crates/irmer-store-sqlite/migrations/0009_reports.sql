-- Investigation reports: every saved version kept (never updated in place).
CREATE TABLE incident_reports (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    version     INTEGER NOT NULL,
    document    TEXT    NOT NULL,
    final       INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    PRIMARY KEY (incident_id, version)
) STRICT;

CREATE TRIGGER incident_reports_no_update BEFORE UPDATE ON incident_reports
BEGIN SELECT RAISE(ABORT, 'report versions are never changed'); END;
CREATE TRIGGER incident_reports_no_delete BEFORE DELETE ON incident_reports
BEGIN SELECT RAISE(ABORT, 'report versions are never deleted'); END;
