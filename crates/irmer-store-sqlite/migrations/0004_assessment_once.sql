-- The current assessment is the latest event's (every event records the
-- assessment made at that change): keep it once.
ALTER TABLE incident_documents DROP COLUMN assessment;
