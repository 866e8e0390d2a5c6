-- Investigation reports: every saved version kept (never updated in place).
CREATE TABLE incident_reports (
    incident_id BIGINT      NOT NULL REFERENCES incidents (id),
    version     BIGINT      NOT NULL,
    document    TEXT        NOT NULL,
    final       BOOLEAN     NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    PRIMARY KEY (incident_id, version)
);

CREATE FUNCTION incident_reports_unchangeable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'report versions are never changed or deleted';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER incident_reports_no_change BEFORE UPDATE OR DELETE ON incident_reports
    FOR EACH ROW EXECUTE FUNCTION incident_reports_unchangeable();
