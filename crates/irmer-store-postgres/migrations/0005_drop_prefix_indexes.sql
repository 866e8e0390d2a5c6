-- incidents_modality_due and incidents_outcome_due begin with these columns
-- and serve the same lookups; every insert was maintaining both.
DROP INDEX incidents_modality;
DROP INDEX incidents_outcome;
