//! Tasks on SQLite: listed with their incident's reference, and
//! written with the incident's `task` event ([`upsert`], called by
//! `append` in its transaction).

use irmer_store::StoreError;
use irmer_store::accounts::Scope;
use irmer_store::columns::{self, TASK_COLUMNS};
use irmer_store::tasks::{TaskFilter, TaskRecord, TaskRow, TaskStore};
use sqlx::QueryBuilder;
use time::OffsetDateTime;

use crate::{Columns, SqliteStore, backend, timestamp};

/// Writes each row as its kind's task of the incident (added, or replacing
/// the one there).
pub(crate) async fn upsert(
    tx: &mut sqlx::SqliteConnection,
    incident_id: i64,
    rows: &[TaskRow],
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    for row in rows {
        sqlx::query(
            "INSERT INTO incident_tasks (incident_id, kind, status, owner_role, owner_user_id, due, done_on,
                reference, note, reason, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (incident_id, kind) DO UPDATE SET status = excluded.status,
                owner_role = excluded.owner_role, owner_user_id = excluded.owner_user_id,
                due = excluded.due, done_on = excluded.done_on, reference = excluded.reference,
                note = excluded.note, reason = excluded.reason, updated_at = excluded.updated_at",
        )
        .bind(incident_id)
        .bind(row.kind.id())
        .bind(row.status.as_str())
        .bind(row.owner_role.map(|r| r.as_str()))
        .bind(row.owner_user)
        .bind(row.due.to_string())
        .bind(row.done_on.map(|d| d.to_string()))
        .bind(&row.reference)
        .bind(&row.note)
        .bind(&row.reason)
        .bind(timestamp(at))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// Task rows a chunk of 2,000 a statement (11 parameters a row; SQLite
/// allows 32,766 in a statement).
const ROWS: usize = 2000;

/// Writes the tasks of new incidents (none of which has a task yet), a
/// multi-row statement a chunk: (incident id, row, when).
pub(crate) async fn insert_new(
    conn: &mut sqlx::SqliteConnection,
    rows: &[(i64, &TaskRow, OffsetDateTime)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS) {
        let mut q = QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO incident_tasks (incident_id, kind, status, owner_role, owner_user_id, due, done_on,
                reference, note, reason, updated_at) ",
        );
        q.push_values(chunk, |mut b, (id, row, at)| {
            b.push_bind(*id)
                .push_bind(row.kind.id())
                .push_bind(row.status.as_str())
                .push_bind(row.owner_role.map(|r| r.as_str()))
                .push_bind(row.owner_user)
                .push_bind(row.due.to_string())
                .push_bind(row.done_on.map(|d| d.to_string()))
                .push_bind(row.reference.clone())
                .push_bind(row.note.clone())
                .push_bind(row.reason.clone())
                .push_bind(timestamp(*at));
        });
        q.build().execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

impl TaskStore for SqliteStore {
    async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>, StoreError> {
        let mut q = QueryBuilder::new(format!(
            "SELECT {TASK_COLUMNS} FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id WHERE TRUE"
        ));
        if let Some(r) = &filter.incident {
            q.push(" AND i.reference = ").push_bind(r.clone());
        }
        if filter.open || filter.overdue_on.is_some() {
            q.push(" AND t.status = 'open'");
        }
        if let Some(d) = filter.overdue_on {
            q.push(" AND t.due < ").push_bind(d.to_string());
        }
        match filter.scope {
            None | Some(Scope::Organisation) => {}
            Some(Scope::Department { department, user }) => {
                q.push(" AND (i.department_id = ")
                    .push_bind(department)
                    .push(" OR i.reported_by = ")
                    .push_bind(user)
                    .push(")");
            }
            Some(Scope::OwnReports { user }) => {
                q.push(" AND i.reported_by = ").push_bind(user);
            }
        }
        let rows = q
            .build()
            .fetch_all(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        let mut tasks = rows
            .iter()
            .map(|r| columns::task(&Columns(r)))
            .collect::<Result<Vec<_>, _>>()?;
        irmer_store::tasks::in_order(&mut tasks);
        Ok(tasks)
    }

    async fn task(&self, id: i64) -> Result<Option<TaskRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        row.map(|r| columns::task(&Columns(&r))).transpose()
    }
}
