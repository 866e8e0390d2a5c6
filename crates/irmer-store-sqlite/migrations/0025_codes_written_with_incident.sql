-- A new incident's codes are written by the statements that write it (an
-- import's many rows at once) rather than by a trigger row by row; a
-- change of codes is still kept by incident_codes_update.
DROP TRIGGER incident_codes_insert;
