-- What a decision obliges, as tasks (irmer_store::tasks): at most one of
-- each kind an incident, its current state; every change to it is also an
-- event of the incident's history (kind 'task', with the task's new state),
-- written in the same transaction, so the table is the fold of those events.
CREATE TABLE incident_tasks (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    kind          TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('open', 'done', 'not-needed')),
    owner_role    TEXT,
    owner_user_id INTEGER REFERENCES users (id),
    due           TEXT    NOT NULL,
    done_on       TEXT,
    reference     TEXT,
    note          TEXT,
    reason        TEXT,
    updated_at    TEXT    NOT NULL,
    UNIQUE (incident_id, kind)
) STRICT;
CREATE INDEX incident_tasks_due ON incident_tasks (status, due);
