-- The provider's type, as the notification gives it (NHS acute trust, other
-- NHS, independent sector, dental practice, other): the annual figures count
-- by it. Optional: NULL when not given.
ALTER TABLE notifications ADD COLUMN provider_type TEXT;
