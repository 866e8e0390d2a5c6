-- A filter by modality or outcome with a deadline (`overdue=true`), listed
-- newest first: the index also holds the discovery, so a page's
-- incidents are chosen from the index alone (the list's inner select,
-- then one row read for each of the page's incidents) rather than by
-- reading every match's row to sort them.
DROP INDEX incidents_modality_due;
DROP INDEX incidents_outcome_due;
CREATE INDEX incidents_modality_due ON incidents (modality, coalesce(next_due, 'z'), discovered);
CREATE INDEX incidents_outcome_due ON incidents (outcome, coalesce(next_due, 'z'), discovered);
