-- The deadlines list walks this index in its own order (soonest first).
DROP INDEX incidents_next_due;
CREATE INDEX incidents_next_due ON incidents (next_due, discovered, id) WHERE next_due IS NOT NULL;
