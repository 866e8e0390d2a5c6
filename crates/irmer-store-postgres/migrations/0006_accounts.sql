-- Accounts: the organisation's sites and departments, users and their
-- roles (by id), sign-in sessions and API tokens (digests only), settings,
-- drafts, and an append-only audit log of administration.
CREATE TABLE sites (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE departments (
    id      BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id),
    name    TEXT   NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE users (
    id                   BIGSERIAL   PRIMARY KEY,
    username             TEXT        NOT NULL UNIQUE,
    display_name         TEXT        NOT NULL,
    role                 TEXT        NOT NULL CHECK (role IN ('reporter', 'investigator', 'adviser', 'administrator', 'auditor')),
    department_id        BIGINT      REFERENCES departments (id),
    password_hash        TEXT,
    must_change_password BOOLEAN     NOT NULL DEFAULT FALSE,
    failed_attempts      INTEGER     NOT NULL DEFAULT 0,
    locked_until         TIMESTAMPTZ,
    disabled             BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    id_digest  TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    csrf       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id         BIGSERIAL   PRIMARY KEY,
    digest     TEXT        NOT NULL UNIQUE,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    name       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked    BOOLEAN     NOT NULL DEFAULT FALSE
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE drafts (
    id         BIGSERIAL   PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    form       TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX drafts_user ON drafts (user_id);

CREATE TABLE audit_log (
    id     BIGSERIAL   PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    actor  TEXT        NOT NULL,
    action TEXT        NOT NULL,
    detail TEXT        NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Whose an incident is: who may see it.
ALTER TABLE incidents ADD COLUMN department_id BIGINT;
ALTER TABLE incidents ADD COLUMN reported_by BIGINT;
CREATE INDEX incidents_department ON incidents (department_id, discovered) WHERE department_id IS NOT NULL;
CREATE INDEX incidents_reported_by ON incidents (reported_by, discovered) WHERE reported_by IS NOT NULL;
