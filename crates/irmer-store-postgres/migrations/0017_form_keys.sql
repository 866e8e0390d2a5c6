-- A notification sent by the public form carries the key of the page that
-- sent it: sent twice (a double click, a reload), it is one notification.
-- (Keys with a token are unique per token; without one, unique here.)
CREATE UNIQUE INDEX notifications_form_key ON notifications (idempotency_key)
    WHERE token_id IS NULL AND idempotency_key IS NOT NULL;
