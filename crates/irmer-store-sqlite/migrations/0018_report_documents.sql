-- A report sent as a PDF keeps the PDF as it came beside the text irmer read
-- from it (and checked for identifiers).
ALTER TABLE notification_reports ADD COLUMN document BLOB;
