-- The enforcing authority's register (irmer_store::authority): the
-- notifications received, numbered per series and year without gaps, and
-- the organisations' tokens for the notifications API (digests only).
CREATE TABLE notification_numbers (
    series TEXT    NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (series, year)
) STRICT;

CREATE TABLE organisation_tokens (
    id                INTEGER PRIMARY KEY,
    organisation_name TEXT    NOT NULL,
    organisation_code TEXT,
    digest            BLOB    NOT NULL UNIQUE,
    created_at        TEXT    NOT NULL,
    revoked_at        TEXT
) STRICT;

CREATE TABLE notifications (
    id                INTEGER PRIMARY KEY,
    reference         TEXT    NOT NULL UNIQUE,
    authority         TEXT    NOT NULL,
    series            TEXT    NOT NULL CHECK (series IN ('irmer', 'licence')),
    organisation_name TEXT    NOT NULL,
    organisation_code TEXT,
    contact_name      TEXT,
    contact_email     TEXT    NOT NULL,
    facts             TEXT    NOT NULL,
    summary           TEXT    NOT NULL,
    provider_codes    TEXT    NOT NULL,
    assessment        TEXT    NOT NULL,
    codes             TEXT    NOT NULL,
    modality          TEXT    NOT NULL,
    discovered        TEXT    NOT NULL,
    report_due        TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    token_id          INTEGER REFERENCES organisation_tokens (id),
    idempotency_key   TEXT,
    received_at       TEXT    NOT NULL,
    UNIQUE (token_id, idempotency_key)
) STRICT;
CREATE INDEX notifications_queue ON notifications (status, received_at);
