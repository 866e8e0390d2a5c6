-- Accounts: the organisation's sites and departments, users and their
-- roles (by id), sign-in sessions and API tokens (digests only), settings,
-- drafts, and an append-only audit log of administration.
CREATE TABLE sites (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE departments (
    id      INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites (id),
    name    TEXT    NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    role                 TEXT    NOT NULL CHECK (role IN ('reporter', 'investigator', 'adviser', 'administrator', 'auditor')),
    department_id        INTEGER REFERENCES departments (id),
    password_hash        TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT    NOT NULL
);

CREATE TABLE sessions (
    id_digest  TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    digest     TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE drafts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    form       TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX drafts_user ON drafts (user_id);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Whose an incident is: who may see it.
ALTER TABLE incidents ADD COLUMN department_id INTEGER;
ALTER TABLE incidents ADD COLUMN reported_by INTEGER;
CREATE INDEX incidents_department ON incidents (department_id, discovered) WHERE department_id IS NOT NULL;
CREATE INDEX incidents_reported_by ON incidents (reported_by, discovered) WHERE reported_by IS NOT NULL;
