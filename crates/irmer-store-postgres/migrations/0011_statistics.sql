-- What the statistics count, beside the other narrow columns, so that a
-- year's counts read the narrow table only: the exposure (a near miss is
-- "none") and the coded causes (tier-3 codes, space-separated).
ALTER TABLE incidents
    ADD COLUMN exposure TEXT NOT NULL DEFAULT '',
    ADD COLUMN causes TEXT NOT NULL DEFAULT '';

UPDATE incidents i SET
    exposure = coalesce(d.facts::jsonb ->> 'exposure', ''),
    causes = coalesce(
        (SELECT string_agg(c, ' ') FROM jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(d.facts::jsonb -> 'causes') = 'array'
                 THEN d.facts::jsonb -> 'causes' ELSE '[]'::jsonb END) c), '')
FROM incident_documents d
WHERE d.incident_id = i.id;
