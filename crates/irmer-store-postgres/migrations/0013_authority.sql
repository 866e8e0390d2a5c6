-- The enforcing authority's register (irmer_store::authority): the
-- notifications received, numbered per series and year without gaps, and
-- the organisations' tokens for the notifications API (digests only).
CREATE TABLE notification_numbers (
    series TEXT    NOT NULL,
    year   INTEGER NOT NULL,
    last   BIGINT  NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE organisation_tokens (
    id                BIGSERIAL   PRIMARY KEY,
    organisation_name TEXT        NOT NULL,
    organisation_code TEXT,
    digest            BYTEA       NOT NULL UNIQUE,
    created_at        TIMESTAMPTZ NOT NULL,
    revoked_at        TIMESTAMPTZ
);

CREATE TABLE notifications (
    id                BIGSERIAL   PRIMARY KEY,
    reference         TEXT        NOT NULL UNIQUE,
    authority         TEXT        NOT NULL,
    series            TEXT        NOT NULL CHECK (series IN ('irmer', 'licence')),
    organisation_name TEXT        NOT NULL,
    organisation_code TEXT,
    contact_name      TEXT,
    contact_email     TEXT        NOT NULL,
    facts             TEXT        NOT NULL,
    summary           TEXT        NOT NULL,
    provider_codes    TEXT        NOT NULL,
    assessment        TEXT        NOT NULL,
    codes             TEXT        NOT NULL,
    modality          TEXT        NOT NULL,
    discovered        DATE        NOT NULL,
    report_due        DATE        NOT NULL,
    status            TEXT        NOT NULL,
    token_id          BIGINT      REFERENCES organisation_tokens (id),
    idempotency_key   TEXT,
    received_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (token_id, idempotency_key)
);
CREATE INDEX notifications_queue ON notifications (status, received_at);
