-- What the statistics count, beside the other narrow columns, so that a
-- year's counts read the narrow table only: the exposure (a near miss is
-- "none") and the coded causes (tier-3 codes, space-separated).
ALTER TABLE incidents ADD COLUMN exposure TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN causes TEXT NOT NULL DEFAULT '';

UPDATE incidents SET
    exposure = coalesce(
        (SELECT json_extract(d.facts, '$.exposure') FROM incident_documents d
         WHERE d.incident_id = incidents.id), ''),
    causes = coalesce(
        (SELECT group_concat(c.value, ' ') FROM incident_documents d, json_each(d.facts, '$.causes') c
         WHERE d.incident_id = incidents.id), '');
