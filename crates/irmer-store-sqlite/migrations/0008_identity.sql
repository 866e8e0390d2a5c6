-- Who the incident is about (the patient, the staff involved), kept apart
-- from the facts: read only by investigators and administrators, never in
-- a list, a summary, the history or an export.
CREATE TABLE incident_identity (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    document    TEXT NOT NULL
) STRICT;
