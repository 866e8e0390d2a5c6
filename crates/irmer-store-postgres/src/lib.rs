//! The incident register in PostgreSQL, chosen by a `postgres://` URL, for a
//! trust that runs several irmer servers against one database.
//!
//! A change locks its incident's row (`SELECT … FOR UPDATE`) before checking
//! the version, so that concurrent writers on any server are serialised
//! per incident and a stale write is refused, never merged.

use std::path::Path;
use std::time::Duration;

use irmer_core::incident::CivilDate;
use irmer_core::lifecycle::IncidentStatus;
use irmer_store::accounts::Scope;
use irmer_store::columns::{self, COLUMNS, EVENTS_OF, NARROW, SUMMARY_COLUMNS, WHOLE, corrupt};
use irmer_store::report::ReportRow;
use irmer_store::{
    Change, Event, Filter, Index, NewIncident, Page, Sort, State, Store, StoreError, Stored,
    Summary, SummaryPage,
};

mod accounts;
mod authority;
mod mail;
mod sends;
mod tasks;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Executor, Postgres, QueryBuilder, Row};
use time::{Date, OffsetDateTime};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl PgStore {
    /// Connects and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_in_schema(url, None).await
    }

    /// The same, inside a schema of its own (created if missing): tests use
    /// one schema each, so each starts from an empty register.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(backend)?;
        let options = options.disable_statement_logging();
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Backend(format!(
                    "unusable schema name {schema:?}"
                )));
            }
            let mut conn = options.connect().await.map_err(backend)?;
            conn.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                .await
                .map_err(backend)?;
        }
        let search_path = schema.map(str::to_owned);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                let search_path = search_path.clone();
                Box::pin(async move {
                    if let Some(schema) = search_path {
                        conn.execute(format!("SET search_path TO {schema}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(PgStore { pool })
    }
}

impl PgStore {
    /// The rows of `columns` that the filter selects, in order, and whether
    /// more match after them.
    async fn select(
        &self,
        columns: &str,
        from: &str,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<PgRow>, bool), StoreError> {
        let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {columns} FROM {from}"));
        push_filter(&mut q, filter);
        q.push(match sort {
            Sort::DiscoveredNewest => " ORDER BY discovered DESC, id DESC",
            Sort::DiscoveredOldest => " ORDER BY discovered, id",
            Sort::NextDue => " ORDER BY next_due NULLS LAST, discovered, id",
            Sort::Reference => " ORDER BY reference COLLATE \"C\"",
        });
        q.push(" LIMIT ").push_bind(i64::from(limit) + 1);
        q.push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let mut rows = q.build().fetch_all(&self.pool).await.map_err(backend)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}

fn date(d: Option<CivilDate>) -> Option<Date> {
    d.map(CivilDate::date)
}

fn civil(d: Date) -> Result<CivilDate, StoreError> {
    CivilDate::from_ymd(d.year(), d.month() as u8, d.day())
        .ok_or_else(|| corrupt("date", &d.to_string()))
}

/// Binds the index columns, in the order both the insert and the update
/// of `incidents` name them (modality … next_due, exposure, causes).
trait BindIndex<'q> {
    fn bind_index(self, i: &'q Index) -> Self;
}

impl<'q> BindIndex<'q> for sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    fn bind_index(self, i: &'q Index) -> Self {
        self.bind(i.modality.as_str())
            .bind(&i.nation)
            .bind(i.discovered.date())
            .bind(&i.guidance)
            .bind(i.outcome.as_str())
            .bind(&i.codes)
            .bind(date(i.notify_by))
            .bind(date(i.report_by))
            .bind(date(i.notified_on))
            .bind(date(i.report_sent_on))
            .bind(date(i.closed_on))
            .bind(date(i.next_due))
            .bind(i.exposure.as_str())
            .bind(&i.causes)
    }
}

async fn insert_event(
    conn: &mut PgConnection,
    incident_id: i64,
    e: &Event,
    assessment: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO incident_events (incident_id, seq, at, actor, kind, reason, data, changes, facts, assessment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(incident_id)
    .bind(e.seq)
    .bind(e.at)
    .bind(&e.actor)
    .bind(e.kind.as_str())
    .bind(&e.reason)
    .bind(&e.data)
    .bind(&e.changes)
    .bind(&e.facts)
    // Every event records the assessment made at that change: the current
    // one is the latest event's.
    .bind(assessment)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// A new incident's codes (code, incident id) into `incident_codes`, which
/// the code filter reads; 10,000 a statement (2 parameters a row). A
/// change of codes is kept there by the `incident_codes_update` trigger.
async fn insert_codes(conn: &mut PgConnection, codes: &[(&str, i64)]) -> Result<(), StoreError> {
    for chunk in codes.chunks(10_000) {
        let mut q =
            QueryBuilder::<Postgres>::new("INSERT INTO incident_codes (code, incident_id) ");
        q.push_values(chunk, |mut row, (code, id)| {
            row.push_bind(*code).push_bind(*id);
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Incidents a multi-row statement inserts (21 parameters a row;
/// PostgreSQL allows 65,535 in a statement).
const CHUNK: usize = 1000;

/// Inserts the incidents of `chunk` whose reference is free, with their
/// documents, events and tasks, a multi-row statement a table (a round
/// trip each, rather than one an incident and table). Returns, for each
/// position of the chunk, whether that incident was created: a reference
/// taken before, or earlier in the same chunk, is left as it is.
async fn insert_chunk<'a>(
    conn: &mut PgConnection,
    chunk: &'a [NewIncident],
) -> Result<Vec<bool>, StoreError> {
    let mut q = QueryBuilder::<'a, Postgres>::new(
        "INSERT INTO incidents (reference, version, status, modality, nation, discovered, guidance, outcome, codes,
             notify_by, report_by, notified_on, report_sent_on, closed_on, next_due, exposure, causes,
             created_at, updated_at, department_id, reported_by) ",
    );
    q.push_values(chunk, |mut row, new| {
        let i = &new.state.index;
        row.push_bind(new.reference.as_str())
            .push_bind(new.version())
            .push_bind(new.state.status.as_str())
            .push_bind(i.modality.as_str())
            .push_bind(i.nation.as_str())
            .push_bind(i.discovered.date())
            .push_bind(i.guidance.as_str())
            .push_bind(i.outcome.as_str())
            .push_bind(i.codes.as_str())
            .push_bind(date(i.notify_by))
            .push_bind(date(i.report_by))
            .push_bind(date(i.notified_on))
            .push_bind(date(i.report_sent_on))
            .push_bind(date(i.closed_on))
            .push_bind(date(i.next_due))
            .push_bind(i.exposure.as_str())
            .push_bind(i.causes.as_str())
            .push_bind(new.event.at)
            .push_bind(new.event.at)
            .push_bind(new.owner.department)
            .push_bind(new.owner.reported_by);
    });
    q.push(" ON CONFLICT (reference) DO NOTHING RETURNING id, reference");
    let rows: Vec<(i64, String)> = q
        .build_query_as()
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    let ids: std::collections::HashMap<String, i64> =
        rows.into_iter().map(|(id, r)| (r, id)).collect();
    let mut seen = std::collections::HashSet::new();
    let flags: Vec<bool> = chunk
        .iter()
        .map(|new| ids.contains_key(&new.reference) && seen.insert(new.reference.as_str()))
        .collect();
    let created: Vec<(&NewIncident, i64)> = chunk
        .iter()
        .zip(&flags)
        .filter(|(_, created)| **created)
        .filter_map(|(new, _)| ids.get(&new.reference).map(|id| (new, *id)))
        .collect();
    if created.is_empty() {
        return Ok(flags);
    }
    let mut docs = QueryBuilder::<'a, Postgres>::new(
        "INSERT INTO incident_documents (incident_id, facts, milestones, original) ",
    );
    docs.push_values(&created, |mut row, (new, id)| {
        row.push_bind(*id)
            .push_bind(new.state.facts.as_str())
            .push_bind(new.state.milestones.as_str())
            .push_bind(new.original.as_str());
    });
    docs.build().execute(&mut *conn).await.map_err(backend)?;
    let codes: Vec<(&'a str, i64)> = created
        .iter()
        .flat_map(|(new, id)| {
            new.state
                .index
                .codes
                .split_whitespace()
                .map(move |c| (c, *id))
        })
        .collect();
    insert_codes(conn, &codes).await?;
    let all: Vec<(i64, &'a Event, &'a str)> = created
        .iter()
        .flat_map(|(new, id)| {
            new.events()
                .map(move |e| (*id, e, new.state.assessment.as_str()))
        })
        .collect();
    let mut events = QueryBuilder::<'a, Postgres>::new(
        "INSERT INTO incident_events (incident_id, seq, at, actor, kind, reason, data, changes, facts, assessment) ",
    );
    events.push_values(all, |mut row, (id, e, assessment)| {
        row.push_bind(id)
            .push_bind(e.seq)
            .push_bind(e.at)
            .push_bind(e.actor.as_str())
            .push_bind(e.kind.as_str())
            .push_bind(e.reason.as_deref())
            .push_bind(e.data.as_str())
            .push_bind(e.changes.as_str())
            .push_bind(e.facts.as_deref())
            .push_bind(assessment);
    });
    events.build().execute(&mut *conn).await.map_err(backend)?;
    let rows: Vec<(i64, &'a irmer_store::tasks::TaskRow, OffsetDateTime)> = created
        .iter()
        .flat_map(|(new, id)| {
            new.tasks
                .iter()
                .flat_map(move |(e, rows)| rows.iter().map(move |r| (*id, r, e.at)))
        })
        .collect();
    tasks::insert_new(conn, &rows).await?;
    Ok(flags)
}

async fn update_documents(conn: &mut PgConnection, id: i64, s: &State) -> Result<(), StoreError> {
    sqlx::query("UPDATE incident_documents SET facts = $2, milestones = $3 WHERE incident_id = $1")
        .bind(id)
        .bind(&s.facts)
        .bind(&s.milestones)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// A PostgreSQL row's columns: dates as DATE, times as TIMESTAMPTZ.
pub(crate) struct Columns<'r>(pub &'r PgRow);

impl irmer_store::columns::Columns for Columns<'_> {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.0.try_get(column).map_err(backend)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.0.try_get(column).map_err(backend)
    }
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.0.try_get(column).map_err(backend)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.0.try_get(column).map_err(backend)
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        self.0.try_get(column).map_err(backend)
    }
    fn opt_date(&self, column: &str) -> Result<Option<CivilDate>, StoreError> {
        let d: Option<Date> = self.0.try_get(column).map_err(backend)?;
        d.map(civil).transpose()
    }
    fn time(&self, column: &str) -> Result<OffsetDateTime, StoreError> {
        self.0.try_get(column).map_err(backend)
    }

    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.0.try_get(column).map_err(backend)
    }
}

fn read_stored(row: &PgRow) -> Result<Stored, StoreError> {
    columns::stored(&Columns(row))
}

fn read_summary(row: &PgRow) -> Result<Summary, StoreError> {
    columns::summary(&Columns(row))
}

/// ` AND column = ANY(…)`, when there are values.
fn push_any<'a>(
    q: &mut QueryBuilder<'_, Postgres>,
    column: &str,
    values: impl Iterator<Item = &'a str>,
) {
    let values: Vec<String> = values.map(str::to_owned).collect();
    if !values.is_empty() {
        q.push(format!(" AND {column} = ANY("))
            .push_bind(values)
            .push(")");
    }
}

fn push_filter(q: &mut QueryBuilder<'_, Postgres>, filter: &Filter) {
    q.push(" WHERE TRUE");
    push_any(q, "status", filter.status.iter().map(|s| s.as_str()));
    push_any(q, "modality", filter.modality.iter().map(|m| m.as_str()));
    push_any(q, "outcome", filter.outcome.iter().map(|o| o.as_str()));
    if let Some(code) = &filter.code {
        // Whole codes only ("2" does not match "2.2"), by their own index.
        q.push(" AND id IN (SELECT incident_id FROM incident_codes WHERE code = ")
            .push_bind(code.clone())
            .push(")");
    }
    if let Some(cause) = &filter.cause {
        // Whole codes only ("A" does not match "AB").
        q.push(" AND (' ' || causes || ' ') LIKE ")
            .push_bind(irmer_store::word_pattern(cause))
            .push(" ESCAPE '\\'");
    }
    if let Some(from) = filter.discovered_from {
        q.push(" AND discovered >= ").push_bind(from.date());
    }
    if let Some(to) = filter.discovered_to {
        q.push(" AND discovered <= ").push_bind(to.date());
    }
    if let Some(before) = filter.due_before {
        q.push(" AND next_due < ").push_bind(before.date());
    }
    if let Some(by) = filter.due_by {
        q.push(" AND next_due <= ").push_bind(by.date());
    }
    if let Some(text) = &filter.search {
        let pattern = irmer_store::like_pattern(text);
        q.push(" AND (reference ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR id IN (SELECT incident_id FROM incident_documents WHERE (facts::jsonb ->> 'description') ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR (facts::jsonb ->> 'title') ILIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    if !filter.departments.is_empty() {
        q.push(" AND department_id IN (");
        let mut ids = q.separated(", ");
        for id in &filter.departments {
            ids.push_bind(*id);
        }
        q.push(")");
    }
    if let Some(site) = filter.site {
        q.push(" AND department_id IN (SELECT id FROM departments WHERE site_id = ")
            .push_bind(site)
            .push(")");
    }
    match filter.scope {
        None | Some(Scope::Organisation) => {}
        Some(Scope::Department { department, user }) => {
            q.push(" AND (department_id = ")
                .push_bind(department)
                .push(" OR reported_by = ")
                .push_bind(user)
                .push(")");
        }
        Some(Scope::OwnReports { user }) => {
            q.push(" AND reported_by = ").push_bind(user);
        }
    }
}

impl Store for PgStore {
    async fn create(&self, new: &NewIncident) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // A report is written as an import of one incident: the same
        // statements, so the two cannot drift apart.
        match insert_chunk(&mut tx, std::slice::from_ref(new)).await?[..] {
            [true] => tx.commit().await.map_err(backend),
            _ => Err(StoreError::Duplicate(new.reference.clone())),
        }
    }

    async fn create_many(&self, batch: &[NewIncident]) -> Result<Vec<Option<String>>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(CHUNK) {
            let created = insert_chunk(&mut tx, chunk).await?;
            for (new, created) in chunk.iter().zip(created) {
                if created {
                    outcomes.push(None);
                } else {
                    let facts: String = sqlx::query_scalar(&format!(
                        "SELECT incident_documents.facts FROM {WHOLE} WHERE reference = $1"
                    ))
                    .bind(&new.reference)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                    outcomes.push(Some(facts));
                }
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(outcomes)
    }

    async fn append(&self, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let found: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, version FROM incidents WHERE reference = $1 FOR UPDATE")
                .bind(&change.reference)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let (id, version) = found.ok_or_else(|| StoreError::NotFound(change.reference.clone()))?;
        if version != change.expected_version {
            return Err(StoreError::Conflict {
                reference: change.reference.clone(),
                expected: change.expected_version,
                current: version,
            });
        }
        insert_event(&mut tx, id, &change.event, &change.state.assessment).await?;
        let s = &change.state;
        let i = &s.index;
        sqlx::query(
            "UPDATE incidents SET version = $1, status = $2, modality = $3, nation = $4, discovered = $5, guidance = $6,
                 outcome = $7, codes = $8, notify_by = $9, report_by = $10, notified_on = $11, report_sent_on = $12,
                 closed_on = $13, next_due = $14, exposure = $15, causes = $16, updated_at = $17
             WHERE id = $18",
        )
        .bind(change.event.seq)
        .bind(s.status.as_str())
        .bind_index(i)
        .bind(change.event.at)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        update_documents(&mut tx, id, s).await?;
        if let Some(identity) = &change.identity {
            sqlx::query(
                "INSERT INTO incident_identity (incident_id, document) VALUES ($1, $2)
                 ON CONFLICT (incident_id) DO UPDATE SET document = excluded.document",
            )
            .bind(id)
            .bind(identity)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tasks::upsert(&mut tx, id, &change.tasks, change.event.at).await?;
        tx.commit().await.map_err(backend)
    }

    async fn get(&self, reference: &str) -> Result<Option<Stored>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {WHOLE} WHERE reference = $1"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(read_stored).transpose()
    }

    async fn identity(&self, reference: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT d.document FROM incidents i LEFT JOIN incident_identity d ON d.incident_id = i.id
             WHERE i.reference = $1",
        )
        .bind(reference)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            None => Err(StoreError::NotFound(reference.to_owned())),
            Some((document,)) => Ok(document),
        }
    }

    async fn reports(&self, reference: &str) -> Result<Vec<ReportRow>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM incidents WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let id = id.ok_or_else(|| StoreError::NotFound(reference.to_owned()))?;
        let rows: Vec<(i64, String, bool, OffsetDateTime, String)> = sqlx::query_as(
            "SELECT version, document, final, at, actor FROM incident_reports
             WHERE incident_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(version, document, is_final, at, actor)| {
                Ok(ReportRow {
                    version,
                    document,
                    is_final,
                    at,
                    actor,
                })
            })
            .collect()
    }

    async fn save_report(
        &self,
        reference: &str,
        expected: i64,
        row: &ReportRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM incidents WHERE reference = $1 FOR UPDATE")
                .bind(reference)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let id = id.ok_or_else(|| StoreError::NotFound(reference.to_owned()))?;
        let latest: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM incident_reports WHERE incident_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        if latest != expected {
            return Err(StoreError::Conflict {
                reference: reference.to_owned(),
                expected,
                current: latest,
            });
        }
        sqlx::query(
            "INSERT INTO incident_reports (incident_id, version, document, final, at, actor)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(expected + 1)
        .bind(&row.document)
        .bind(row.is_final)
        .bind(row.at)
        .bind(&row.actor)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn history(&self, reference: &str) -> Result<Option<Vec<Event>>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM incidents WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        let Some(id) = id else { return Ok(None) };
        let rows = sqlx::query(EVENTS_OF)
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        let events = rows
            .iter()
            .map(|row| columns::event(&Columns(row)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(events))
    }

    async fn list(
        &self,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> Result<Page, StoreError> {
        let (rows, more) = self
            .select(COLUMNS, WHOLE, filter, sort, limit, offset)
            .await?;
        let items = rows
            .iter()
            .map(read_stored)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, more })
    }

    async fn summaries(
        &self,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> Result<SummaryPage, StoreError> {
        let (rows, more) = self
            .select(SUMMARY_COLUMNS, NARROW, filter, sort, limit, offset)
            .await?;
        let items = rows
            .iter()
            .map(read_summary)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SummaryPage { items, more })
    }

    async fn tally(
        &self,
        filter: &Filter,
        tally: &mut irmer_stats::tally::Tally<'_>,
    ) -> Result<(), StoreError> {
        use futures_util::TryStreamExt;
        let needs = tally.needs();
        let (select, group_by) = columns::tally_select(needs, "to_char(discovered, 'YYYY-MM')");
        let mut q = QueryBuilder::<Postgres>::new(select);
        push_filter(&mut q, filter);
        q.push(group_by);
        let mut rows = q.build().fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            columns::tally_row(&Columns(&row), needs, tally)?;
        }
        Ok(())
    }

    async fn count(&self, filter: &Filter) -> Result<u64, StoreError> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM incidents");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn count_by_status(
        &self,
        filter: &Filter,
    ) -> Result<Vec<(IncidentStatus, u64)>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT status, COUNT(*) FROM incidents");
        push_filter(&mut q, filter);
        q.push(" GROUP BY status");
        let rows: Vec<(String, i64)> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.into_iter()
            .map(|(status, n)| {
                IncidentStatus::parse(&status)
                    .map(|s| (s, u64::try_from(n).unwrap_or(0)))
                    .ok_or_else(|| corrupt("status", &status))
            })
            .collect()
    }

    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        // Autovacuum analyses in its own time; after an import the lists
        // should not wait for it.
        sqlx::query("ANALYZE incidents, incident_codes")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn backup(&self, _path: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "backup (use pg_dump or the database's own backups)",
        ))
    }
}
