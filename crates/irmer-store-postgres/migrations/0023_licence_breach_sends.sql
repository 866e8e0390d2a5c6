-- A licensing breach is sent too, to the authority's licensing breach
-- form: one more kind of send.
ALTER TABLE authority_sends DROP CONSTRAINT authority_sends_kind_check;
ALTER TABLE authority_sends ADD CONSTRAINT authority_sends_kind_check
    CHECK (kind IN ('notification', 'report', 'licence-breach'));
