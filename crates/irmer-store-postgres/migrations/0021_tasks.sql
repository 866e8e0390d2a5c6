-- What a decision obliges, as tasks (irmer_store::tasks): at most one of
-- each kind an incident, its current state; every change to it is also an
-- event of the incident's history (kind 'task', with the task's new state),
-- written in the same transaction, so the table is the fold of those events.
CREATE TABLE incident_tasks (
    id            BIGSERIAL   PRIMARY KEY,
    incident_id   BIGINT      NOT NULL REFERENCES incidents (id),
    kind          TEXT        NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('open', 'done', 'not-needed')),
    owner_role    TEXT,
    owner_user_id BIGINT      REFERENCES users (id),
    due           DATE        NOT NULL,
    done_on       DATE,
    reference     TEXT,
    note          TEXT,
    reason        TEXT,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (incident_id, kind)
);
CREATE INDEX incident_tasks_due ON incident_tasks (status, due);
