//! The incident register in SQLite: the embedded default. One file, created
//! on first use, in WAL mode with `synchronous = FULL`, so that a write that
//! was acknowledged survives a crash, a kill or a power cut.
//!
//! Writes go through one connection (SQLite has one writer at a time, and
//! one connection avoids lock upgrades failing under load); reads use a
//! pool and see the last committed state.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
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
use readers::Readers;

mod accounts;
mod authority;
mod mail;
mod readers;
mod sends;
mod tasks;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The register in a SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: Arc<Readers>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// The writer's pool, which hands out its connection without pinging it
/// first: a SQLite connection is a file this process holds open, so the
/// ping (sqlx's default, to find a server that hung up) only costs a round
/// trip to the connection's thread (see [`readers`]).
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

impl SqliteStore {
    /// Opens (creating it and its folder if need be) the database at
    /// `path`, and applies the migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A connection's thread hands rows over through a channel of
            // this many; sqlx's default of 50 made the thread wait, and
            // then be woken, in the middle of every list page of 50 (read
            // as 51, to know whether more follow).
            .row_buffer_size(irmer_store::MAX_PAGE as usize + 1);
        Self::with_options(options, 4).await
    }

    /// A private in-memory database (tests).
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(backend)?;
        // One connection for both: an in-memory database lives in its
        // connection.
        let pool = pool_options()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(SqliteStore {
            writer: pool.clone(),
            reader: Arc::new(Readers::Shared(pool)),
        })
    }

    async fn with_options(
        options: SqliteConnectOptions,
        readers: usize,
    ) -> Result<Self, StoreError> {
        // The writer keeps a 64 MiB page cache: imports update seven indexes.
        let writer = pool_options()
            .max_connections(1)
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await
            .map_err(backend)?;
        MIGRATOR.run(&writer).await.map_err(backend)?;
        optimize(&writer).await?;
        let reader = Readers::open(&options.read_only(true), readers).await?;
        Ok(SqliteStore {
            writer,
            reader: Arc::new(reader),
        })
    }
}

impl SqliteStore {
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
    ) -> Result<(Vec<SqliteRow>, bool), StoreError> {
        let mut conn = self.reader.get().await?;
        let order = match sort {
            Sort::DiscoveredNewest => " ORDER BY discovered DESC, id DESC",
            Sort::DiscoveredOldest => " ORDER BY discovered, id",
            Sort::NextDue => " ORDER BY coalesce(next_due, 'z'), discovered, id",
            Sort::Reference => " ORDER BY reference",
        };
        // A deferred join: the page's ids chosen first from the narrow
        // table (from an index alone where one holds the filter's and the
        // order's columns), then only those rows read whole. Without it a
        // filter matching thousands read every match's row to sort them.
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {columns} FROM {from} WHERE incidents.id IN (SELECT id FROM incidents"
        ));
        push_filter(&mut q, filter);
        q.push(order);
        q.push(" LIMIT ").push_bind(i64::from(limit) + 1);
        q.push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        q.push(")");
        q.push(order);
        let mut rows = q.build().fetch_all(&mut *conn).await.map_err(backend)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}

/// Lets SQLite refresh the statistics (sqlite_stat1 and, as the bundled
/// library is built with STAT4, sqlite_stat4) by which its planner chooses
/// between a filter's index and the sort's: without them, a list of
/// 100,000 incidents filtered by modality and outcome was read through the
/// wrong index and took 60 ms. `PRAGMA optimize = 0x10002` checks every
/// table and analyses those whose size changed much since; without the
/// 0x10 bit it reads whole indexes (the sampled analysis of a plain
/// `PRAGMA optimize` estimated 2,000 incidents for a status that 100,000
/// had, and misled the planner). About 0.1 s for 100,000 incidents. Run at
/// opening and after an import.
async fn optimize(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query("PRAGMA optimize = 0x10002")
        .execute(pool)
        .await
        .map_err(backend)?;
    Ok(())
}

fn date(d: Option<CivilDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Binds the index columns, in the order both the insert and the update
/// of `incidents` name them (modality … next_due, exposure, causes).
trait BindIndex<'q> {
    fn bind_index(self, i: &'q Index) -> Self;
}

impl<'q> BindIndex<'q> for sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    fn bind_index(self, i: &'q Index) -> Self {
        self.bind(i.modality.as_str())
            .bind(&i.nation)
            .bind(i.discovered.to_string())
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
    conn: &mut SqliteConnection,
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
    .bind(timestamp(e.at))
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
async fn insert_codes(
    conn: &mut SqliteConnection,
    codes: &[(&str, i64)],
) -> Result<(), StoreError> {
    for chunk in codes.chunks(10_000) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO incident_codes (code, incident_id) ",
        );
        q.push_values(chunk, |mut row, (code, id)| {
            row.push_bind(*code).push_bind(*id);
        });
        q.build().execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Incidents a multi-row statement inserts (21 parameters a row; SQLite
/// allows 32,766 in a statement).
const CHUNK: usize = 1000;

/// Inserts the incidents of `chunk` whose reference is free, with their
/// documents and first events. Returns, for each position of the chunk,
/// whether that incident was created: a reference taken before, or earlier
/// in the same chunk, is left as it is.
async fn insert_chunk<'a>(
    conn: &mut SqliteConnection,
    chunk: &'a [NewIncident],
) -> Result<Vec<bool>, StoreError> {
    let mut q = QueryBuilder::<'a, Sqlite>::new(
        "INSERT INTO incidents (reference, version, status, modality, nation, discovered, guidance, outcome, codes,
             notify_by, report_by, notified_on, report_sent_on, closed_on, next_due, exposure, causes,
             created_at, updated_at, department_id, reported_by) ",
    );
    q.push_values(chunk, |mut row, new| {
        let i = &new.state.index;
        let at = timestamp(new.event.at);
        row.push_bind(new.reference.as_str())
            .push_bind(new.version())
            .push_bind(new.state.status.as_str())
            .push_bind(i.modality.as_str())
            .push_bind(i.nation.as_str())
            .push_bind(i.discovered.to_string())
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
            .push_bind(at.clone())
            .push_bind(at)
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
    // Within a chunk, the first of two equal references is the one created.
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
    if !created.is_empty() {
        let mut docs = QueryBuilder::<'a, Sqlite>::new(
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
        // Each incident's first event, and its task event if it has one.
        let all: Vec<(i64, &'a Event, &'a str)> = created
            .iter()
            .flat_map(|(new, id)| {
                new.events()
                    .map(move |e| (*id, e, new.state.assessment.as_str()))
            })
            .collect();
        let mut events = QueryBuilder::<'a, Sqlite>::new(
            "INSERT INTO incident_events (incident_id, seq, at, actor, kind, reason, data, changes, facts, assessment) ",
        );
        events.push_values(all, |mut row, (id, e, assessment)| {
            row.push_bind(id)
                .push_bind(e.seq)
                .push_bind(timestamp(e.at))
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
    }
    Ok(flags)
}

async fn update_documents(
    conn: &mut SqliteConnection,
    id: i64,
    s: &State,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE incident_documents SET facts = $2, milestones = $3 WHERE incident_id = $1")
        .bind(id)
        .bind(&s.facts)
        .bind(&s.milestones)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// A SQLite row's columns: dates as `YYYY-MM-DD` text, times as RFC 3339
/// text.
pub(crate) struct Columns<'r>(pub &'r SqliteRow);

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
        self.opt_text(column)?
            .map(|t| CivilDate::parse(&t).ok_or_else(|| corrupt(column, &t)))
            .transpose()
    }
    fn time(&self, column: &str) -> Result<OffsetDateTime, StoreError> {
        read_time(&self.text(column)?)
    }

    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.opt_text(column)?.as_deref().map(read_time).transpose()
    }
}

fn read_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| corrupt("timestamp", text))
}

fn read_stored(row: &SqliteRow) -> Result<Stored, StoreError> {
    columns::stored(&Columns(row))
}

fn read_summary(row: &SqliteRow) -> Result<Summary, StoreError> {
    columns::summary(&Columns(row))
}

/// ` AND column IN (…)`, when there are values.
fn push_in(
    q: &mut QueryBuilder<'_, Sqlite>,
    column: &str,
    values: impl Iterator<Item = &'static str>,
) {
    let mut values = values.peekable();
    if values.peek().is_none() {
        return;
    }
    let first = values.next().unwrap_or_default();
    if values.peek().is_none() {
        // One value: an equality, which the planner always seeks in the
        // index (with `IN (?)` SQLite 3.46 may scan the whole index).
        q.push(format!(" AND {column} = ")).push_bind(first);
        return;
    }
    q.push(format!(" AND {column} IN ("));
    let mut list = q.separated(", ");
    list.push_bind(first);
    for v in values {
        list.push_bind(v);
    }
    list.push_unseparated(")");
}

fn push_filter(q: &mut QueryBuilder<'_, Sqlite>, filter: &Filter) {
    q.push(" WHERE 1 = 1");
    push_in(q, "status", filter.status.iter().map(|s| s.as_str()));
    push_in(q, "modality", filter.modality.iter().map(|m| m.as_str()));
    push_in(q, "outcome", filter.outcome.iter().map(|o| o.as_str()));
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
        q.push(" AND discovered >= ").push_bind(from.to_string());
    }
    if let Some(to) = filter.discovered_to {
        q.push(" AND discovered <= ").push_bind(to.to_string());
    }
    // The deadline key of incidents_due_order (no deadline: 'z', after
    // every date), so that the index serves these filters too.
    if let Some(before) = filter.due_before {
        q.push(" AND coalesce(next_due, 'z') < ")
            .push_bind(before.to_string());
    }
    if let Some(by) = filter.due_by {
        q.push(" AND coalesce(next_due, 'z') <= ")
            .push_bind(by.to_string());
    }
    if let Some(text) = &filter.search {
        let pattern = irmer_store::like_pattern(text);
        q.push(" AND (reference LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR id IN (SELECT incident_id FROM incident_documents WHERE json_extract(facts, '$.description') LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR json_extract(facts, '$.title') LIKE ")
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

impl Store for SqliteStore {
    async fn create(&self, new: &NewIncident) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        // A report is written as an import of one incident: the same
        // statements, so the two cannot drift apart.
        match insert_chunk(&mut tx, std::slice::from_ref(new)).await?[..] {
            [true] => tx.commit().await.map_err(backend),
            _ => Err(StoreError::Duplicate(new.reference.clone())),
        }
    }

    async fn create_many(&self, batch: &[NewIncident]) -> Result<Vec<Option<String>>, StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        // Multi-row statements: three a chunk rather than three an incident
        // (each statement is a round trip to SQLite's thread).
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
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let found: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, version FROM incidents WHERE reference = $1")
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
             WHERE id = $18 AND version = $19",
        )
        .bind(change.event.seq)
        .bind(s.status.as_str())
        .bind_index(i)
        .bind(timestamp(change.event.at))
        .bind(id)
        .bind(version)
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
        .fetch_optional(&mut *self.reader.get().await?)
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
        .fetch_optional(&mut *self.reader.get().await?)
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
            .fetch_optional(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        let id = id.ok_or_else(|| StoreError::NotFound(reference.to_owned()))?;
        let rows: Vec<(i64, String, bool, String, String)> = sqlx::query_as(
            "SELECT version, document, final, at, actor FROM incident_reports
             WHERE incident_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(version, document, is_final, at, actor)| {
                Ok(ReportRow {
                    version,
                    document,
                    is_final,
                    at: read_time(&at)?,
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
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM incidents WHERE reference = $1")
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
        .bind(timestamp(row.at))
        .bind(&row.actor)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn history(&self, reference: &str) -> Result<Option<Vec<Event>>, StoreError> {
        let mut conn = self.reader.get().await?;
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
        let (select, group_by) = columns::tally_select(needs, "substr(discovered, 1, 7)");
        let mut q = QueryBuilder::<Sqlite>::new(select);
        push_filter(&mut q, filter);
        q.push(group_by);
        let mut conn = self.reader.get().await?;
        let mut rows = q.build().fetch(&mut *conn);
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            columns::tally_row(&Columns(&row), needs, tally)?;
        }
        Ok(())
    }

    async fn count(&self, filter: &Filter) -> Result<u64, StoreError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM incidents");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn count_by_status(
        &self,
        filter: &Filter,
    ) -> Result<Vec<(IncidentStatus, u64)>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT status, COUNT(*) FROM incidents");
        push_filter(&mut q, filter);
        q.push(" GROUP BY status");
        let rows: Vec<(String, i64)> = q
            .build_query_as()
            .fetch_all(&mut *self.reader.get().await?)
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
        optimize(&self.writer).await
    }

    async fn backup(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Backend(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Backend("the backup path is not valid text".into()))?;
        // VACUUM INTO writes a consistent snapshot while others keep working.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
