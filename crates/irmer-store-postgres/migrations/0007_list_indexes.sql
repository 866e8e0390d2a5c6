-- Lists sorted by the next deadline (the dashboard, the deadlines feed)
-- walk one index in that order. PostgreSQL sorts NULLs last in ascending
-- order, so a whole-table index serves `ORDER BY next_due NULLS LAST`
-- (incidents without a deadline last), which the partial one could not.
DROP INDEX incidents_next_due;
CREATE INDEX incidents_due_order ON incidents (next_due, discovered, id);

-- Each notification code of each incident, so that the register's code
-- filter looks codes up instead of scanning every incident's list. Kept by
-- a trigger from incidents.codes (space-separated).
CREATE TABLE incident_codes (
    code        TEXT   NOT NULL,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (code, incident_id)
);

INSERT INTO incident_codes (code, incident_id)
    SELECT DISTINCT c, i.id FROM incidents i, unnest(string_to_array(i.codes, ' ')) c
    WHERE c <> '';

CREATE FUNCTION incident_codes_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM incident_codes WHERE incident_id = NEW.id;
    END IF;
    INSERT INTO incident_codes (code, incident_id)
        SELECT DISTINCT c, NEW.id FROM unnest(string_to_array(NEW.codes, ' ')) c
        WHERE c <> '';
    RETURN NULL;
END
$$;

CREATE TRIGGER incident_codes_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_codes_sync();
CREATE TRIGGER incident_codes_update AFTER UPDATE OF codes ON incidents
    FOR EACH ROW WHEN (OLD.codes IS DISTINCT FROM NEW.codes) EXECUTE FUNCTION incident_codes_sync();
