-- Lists sorted by the next deadline (the dashboard, the deadlines feed)
-- walk one index in that order, incidents without a deadline last: the
-- key coalesce(next_due, 'z') sorts after every date, and the filters on
-- deadlines compare the same key so that the same index serves them.
DROP INDEX incidents_next_due;
DROP INDEX incidents_modality_due;
DROP INDEX incidents_outcome_due;
CREATE INDEX incidents_due_order ON incidents (coalesce(next_due, 'z'), discovered, id);
CREATE INDEX incidents_modality_due ON incidents (modality, coalesce(next_due, 'z'));
CREATE INDEX incidents_outcome_due ON incidents (outcome, coalesce(next_due, 'z'));

-- A status filter reads its matches newest first (the register's order)
-- without trusting the planner's estimate: after an import every incident
-- is "reported", and a page of "closed" ones walked all 100,000 by date.
DROP INDEX incidents_status;
CREATE INDEX incidents_status ON incidents (status, discovered);

-- Each notification code of each incident, so that the register's code
-- filter looks codes up instead of scanning every incident's list. Kept by
-- triggers from incidents.codes (space-separated; codes are letters,
-- digits and dots, so they can be read as a JSON array).
CREATE TABLE incident_codes (
    code        TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (code, incident_id)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO incident_codes (code, incident_id)
    SELECT c.value, i.id FROM incidents i, json_each('["' || replace(i.codes, ' ', '","') || '"]') c
    WHERE c.value <> '';

CREATE TRIGGER incident_codes_insert AFTER INSERT ON incidents
BEGIN
    INSERT OR IGNORE INTO incident_codes (code, incident_id)
        SELECT value, NEW.id FROM json_each('["' || replace(NEW.codes, ' ', '","') || '"]')
        WHERE value <> '';
END;

CREATE TRIGGER incident_codes_update AFTER UPDATE OF codes ON incidents
WHEN OLD.codes IS NOT NEW.codes
BEGIN
    DELETE FROM incident_codes WHERE incident_id = NEW.id;
    INSERT OR IGNORE INTO incident_codes (code, incident_id)
        SELECT value, NEW.id FROM json_each('["' || replace(NEW.codes, ' ', '","') || '"]')
        WHERE value <> '';
END;
