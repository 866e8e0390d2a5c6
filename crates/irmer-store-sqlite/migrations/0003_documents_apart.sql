-- Keep the incidents table narrow (the columns lists filter, sort and show),
-- so that lists and counts read little; the JSON documents live beside it.
CREATE TABLE incident_documents (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    facts       TEXT NOT NULL,
    original    TEXT NOT NULL,
    assessment  TEXT NOT NULL,
    milestones  TEXT NOT NULL
) STRICT;

INSERT INTO incident_documents (incident_id, facts, original, assessment, milestones)
    SELECT id, facts, original, assessment, milestones FROM incidents;

ALTER TABLE incidents DROP COLUMN facts;
ALTER TABLE incidents DROP COLUMN original;
ALTER TABLE incidents DROP COLUMN assessment;
ALTER TABLE incidents DROP COLUMN milestones;

CREATE INDEX incidents_modality_due ON incidents (modality, next_due);
CREATE INDEX incidents_outcome_due ON incidents (outcome, next_due);
