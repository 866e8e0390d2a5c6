-- The provider's chief executive's e-mail address, as the notification gives
-- it: the closure e-mail goes there (the inspector may correct it).
ALTER TABLE notifications ADD COLUMN chief_executive TEXT;
