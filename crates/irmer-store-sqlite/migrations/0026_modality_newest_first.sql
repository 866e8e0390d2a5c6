-- A filter by modality listed newest first (the register's default order),
-- with or without a deadline filter (`overdue=true`): the index is read in
-- the list's order, the deadline checked from the index, and the read stops
-- at the page, instead of sorting every match (1,954 overdue CT incidents of
-- 100,000: 1.9 ms for the page's ids, now 0.4 ms; all 5,564 CT incidents:
-- 2.5 ms, now 0.4 ms). `id` is written out so that the deadline can follow
-- it: with the deadline between the discovery and the row id, SQLite's
-- planner sorted again. incidents_modality_due stays for the deadlines'
-- order (next due first). BENCHMARKS.md, issue 16.
CREATE INDEX incidents_modality_discovered ON incidents (modality, discovered, id, coalesce(next_due, 'z'));
