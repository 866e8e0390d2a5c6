//! irmer-store: the incident register.
//!
//! - [`Store`]: what a storage backend does (SQLite in `irmer-store-sqlite`,
//!   PostgreSQL in `irmer-store-postgres`). A backend stores and returns
//!   rows; it never decides anything.
//! - [`register::Register`]: the one write path. It parses, patches and
//!   re-assesses with the engine, checks the incident's life, and hands the
//!   backend an event to append together with the new current state.
//! - [`testsuite`]: the tests every backend must pass, written once.
//!
//! History is never overwritten: every change is an appended event (who,
//! when, what changed from what, why), and the current state is the fold of
//! the events ([`register::replay`]), kept beside them for queries in the
//! same transaction.

use std::future::Future;
use std::path::Path;

use irmer_core::Outcome;
use irmer_core::incident::{CivilDate, ExposureKind, Modality};
use irmer_core::lifecycle::IncidentStatus;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub mod accounts;
pub mod activity;
pub mod authority;
pub mod case;
pub mod columns;
pub mod counts;
pub mod export;
pub mod identity;
pub mod licences;
pub mod mail;
pub mod notification;
pub mod register;
pub mod reminders;
pub mod report;
pub mod sends;
pub mod tasks;
#[cfg(feature = "testsuite")]
pub mod testsuite;
pub mod theme;

/// What can go wrong in a backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no incident with reference {0:?}")]
    NotFound(String),
    #[error("an incident with reference {0:?} is already in the register")]
    Duplicate(String),
    /// A stale write: the incident changed since the version the writer saw.
    #[error(
        "incident {reference:?} is at version {current}, not {expected}: reload it and apply the change again"
    )]
    Conflict {
        reference: String,
        expected: i64,
        current: i64,
    },
    #[error("{0} is not supported by this database")]
    Unsupported(&'static str),
    #[error("database: {0}")]
    Backend(String),
}

/// The columns a backend keeps beside the facts so that it can filter and
/// sort without reading them (all derived from facts, assessment and
/// milestones by the register).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub modality: Modality,
    pub nation: String,
    pub discovered: CivilDate,
    pub guidance: String,
    pub outcome: Outcome,
    /// The notification codes, space-separated (`"2.2 E2.2"`).
    pub codes: String,
    pub notify_by: Option<CivilDate>,
    pub report_by: Option<CivilDate>,
    pub notified_on: Option<CivilDate>,
    pub report_sent_on: Option<CivilDate>,
    pub closed_on: Option<CivilDate>,
    /// The next deadline still to be met, if any (for "overdue", "due within
    /// N days" and the deadlines list).
    pub next_due: Option<CivilDate>,
    /// What happened to the individual (`None`: a near miss).
    pub exposure: ExposureKind,
    /// The coded causes, tier-3 codes space-separated (`""`: not coded).
    pub causes: String,
}

/// The current state of an incident, as a backend stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub status: IncidentStatus,
    /// The incident's facts in the contract's JSON.
    pub facts: String,
    /// The current assessment's JSON.
    pub assessment: String,
    /// The milestones' JSON.
    pub milestones: String,
    pub index: Index,
}

/// What kind of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// The incident was recorded: the reporter's original account.
    Reported,
    /// Facts were changed (a merge patch) and the incident re-assessed.
    FactsChanged,
    StartInvestigation,
    RecordNotification,
    RecordReportSent,
    Close,
    CloseLocally,
    /// A comment; facts and assessment unchanged.
    Comment,
    /// The identity (patient, staff) changed: the event names the fields,
    /// never their values.
    IdentityChanged,
    /// The investigation report left irmer (a file, a download): which
    /// version, in which format, what was redacted, and its digest.
    ReportExported,
    /// A closed incident opened again, with the reason.
    Reopen,
    /// A theme decided (code M): confirmed (the facts' `theme` set, so the
    /// engine adds M) or dismissed, with the cause, the incidents it was
    /// shared with and the reason.
    Theme,
    /// Tasks added, changed or done (`{"tasks": [the new state of each]}`,
    /// with the step or why): facts and assessment unchanged.
    Task,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::Reported,
        EventKind::FactsChanged,
        EventKind::StartInvestigation,
        EventKind::RecordNotification,
        EventKind::RecordReportSent,
        EventKind::Close,
        EventKind::CloseLocally,
        EventKind::Comment,
        EventKind::IdentityChanged,
        EventKind::ReportExported,
        EventKind::Reopen,
        EventKind::Theme,
        EventKind::Task,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Reported => "reported",
            EventKind::FactsChanged => "facts-changed",
            EventKind::StartInvestigation => "start-investigation",
            EventKind::RecordNotification => "record-notification",
            EventKind::RecordReportSent => "record-report-sent",
            EventKind::Close => "close",
            EventKind::CloseLocally => "close-locally",
            EventKind::Comment => "comment",
            EventKind::IdentityChanged => "identity-changed",
            EventKind::ReportExported => "report-exported",
            EventKind::Reopen => "reopen",
            EventKind::Theme => "theme",
            EventKind::Task => "task",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One entry of an incident's history, as a backend stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 1 for the report; the incident's version after this event.
    pub seq: i64,
    /// When (UTC).
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    pub kind: EventKind,
    /// Why (required for every change after the report).
    pub reason: Option<String>,
    /// The request itself: the merge patch, or the step's details (JSON).
    pub data: String,
    /// What changed: a JSON array of `{field, old, new}`.
    pub changes: String,
    /// The facts after the event, when it changed them (JSON).
    pub facts: Option<String>,
    /// The assessment made at this change (JSON, with the guidance version
    /// it used), as read back. On writing, leave it `None`: the backend
    /// records the new state's assessment with the event, so the two can
    /// never differ.
    pub assessment: Option<String>,
}

/// Whose an incident is: the department it belongs to and the user who
/// reported it (both `None` for an import or the command line). Set when
/// it is recorded; it decides who may see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    pub department: Option<i64>,
    pub reported_by: Option<i64>,
}

/// An incident to create: its reference, first state and first event.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub reference: String,
    pub owner: Owner,
    /// The reporter's original account, exactly as submitted (JSON), kept
    /// unchanged beside later edits.
    pub original: String,
    pub state: State,
    pub event: Event,
    /// The tasks its assessment names, written in the same transaction as
    /// a second event (a `task` event, seq 2) and its rows: an incident
    /// is never recorded without the duties it obliges.
    pub tasks: Option<(Event, Vec<tasks::TaskRow>)>,
}

impl NewIncident {
    /// Its version once written: 1, or 2 with its task event.
    pub fn version(&self) -> i64 {
        self.tasks.as_ref().map_or(self.event.seq, |(e, _)| e.seq)
    }

    /// Its events, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        std::iter::once(&self.event).chain(self.tasks.iter().map(|(e, _)| e))
    }
}

/// A change to append: the version the writer saw, the event and the state
/// after it.
#[derive(Clone, Debug)]
pub struct Change {
    pub reference: String,
    pub expected_version: i64,
    pub state: State,
    pub event: Event,
    /// A new identity (JSON), written in the same transaction; `None`
    /// leaves it as it is.
    pub identity: Option<String>,
    /// Tasks to write in the same transaction (each replaces the task of
    /// its kind, or is added): a `task` event's.
    pub tasks: Vec<tasks::TaskRow>,
}

/// An incident as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub reference: String,
    pub version: i64,
    pub owner: Owner,
    pub original: String,
    pub state: State,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Filters for a list; every filter given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Vec<IncidentStatus>,
    pub modality: Vec<Modality>,
    pub outcome: Vec<Outcome>,
    /// A notification code, exact (`2.2`, `M2.1`).
    pub code: Option<String>,
    /// A coded cause (a tier-3 code of the taxonomy), exact.
    pub cause: Option<String>,
    pub discovered_from: Option<CivilDate>,
    pub discovered_to: Option<CivilDate>,
    /// Only incidents with a deadline still to meet that is before this day
    /// (today, for "overdue").
    pub due_before: Option<CivilDate>,
    /// Only incidents with a deadline still to meet on or before this day
    /// (today + N, for "due within N days").
    pub due_by: Option<CivilDate>,
    /// Only what a user may see (`None`: everything).
    pub scope: Option<accounts::Scope>,
    /// Text in the reference, the title or the description, any case (ASCII), as
    /// typed (`%` and `_` are themselves).
    pub search: Option<String>,
    /// Only incidents owned by one of these departments.
    pub departments: Vec<i64>,
    /// Only incidents owned by a department of this site.
    pub site: Option<i64>,
}

/// A search text as a LIKE pattern that matches it anywhere, its `%`, `_`
/// and `\` escaped (`ESCAPE '\'`).
pub fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The LIKE pattern that finds a whole code in a space-separated list
/// kept with a space before and after (`' ' || causes || ' '`).
pub fn word_pattern(code: &str) -> String {
    like_pattern(&format!(" {code} "))
}

/// How a list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Most recently discovered first (the register's default).
    #[default]
    DiscoveredNewest,
    DiscoveredOldest,
    /// Soonest pending deadline first; incidents without one last.
    NextDue,
    Reference,
}

/// An incident as a list shows it: the indexed columns only, read without
/// parsing any stored JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub reference: String,
    pub version: i64,
    pub owner: Owner,
    pub status: IncidentStatus,
    pub index: Index,
    pub updated_at: OffsetDateTime,
}

/// One page of summaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryPage {
    pub items: Vec<Summary>,
    /// Whether more match after this page.
    pub more: bool,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Stored>,
    /// Whether more match after this page.
    pub more: bool,
}

/// The most a page may hold.
pub const MAX_PAGE: u32 = 1000;

/// A storage backend. Every method is one transaction.
pub trait Store:
    Clone + Send + Sync + 'static + sends::SendStore + tasks::TaskStore + mail::MailStore
{
    /// Creates an incident with its first event. `Duplicate` when the
    /// reference is taken.
    fn create(&self, new: &NewIncident) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Creates many in one transaction; an incident whose reference is
    /// taken is left as it is. Returns, for each, `None` when it was created
    /// or the stored facts when the reference was already taken.
    fn create_many(
        &self,
        batch: &[NewIncident],
    ) -> impl Future<Output = Result<Vec<Option<String>>, StoreError>> + Send;

    /// Appends an event and replaces the current state, if the incident is
    /// still at `expected_version` (`Conflict` otherwise, `NotFound` when
    /// there is no such incident). The event records the state's
    /// assessment: the current assessment is always the latest event's.
    fn append(&self, change: &Change) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn get(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// The identity kept apart (JSON), if one was recorded; `NotFound`
    /// when there is no such incident.
    fn identity(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Every event of an incident, oldest first (`None`: no such incident).
    fn history(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Vec<Event>>, StoreError>> + Send;

    fn list(
        &self,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// The same selection as [`Store::list`], as summaries (what a list
    /// page shows).
    fn summaries(
        &self,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> impl Future<Output = Result<SummaryPage, StoreError>> + Send;

    /// How many incidents the filter selects (an exact count: it reads
    /// every matching index entry, so lists ask for it only when wanted).
    fn count(&self, filter: &Filter) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// How many incidents of each status the filter selects, in one read
    /// (the dashboard's counts); statuses with none are left out.
    fn count_by_status(
        &self,
        filter: &Filter,
    ) -> impl Future<Output = Result<Vec<(IncidentStatus, u64)>, StoreError>> + Send;

    /// Every saved version of the incident's investigation report, oldest
    /// first; `NotFound` when there is no such incident.
    fn reports(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Vec<report::ReportRow>, StoreError>> + Send;

    /// Adds a version, numbered `expected + 1`: `Conflict` when the latest
    /// is not `expected` (0 for none yet).
    fn save_report(
        &self,
        reference: &str,
        expected: i64,
        row: &report::ReportRow,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Counts every incident the filter selects into `tally`: the database
    /// groups the narrow columns the tally needs and counts
    /// ([`columns::tally_select`]), and the rows (one per combination of
    /// values, not per incident) stream in: memory does not grow with the
    /// number of incidents.
    fn tally(
        &self,
        filter: &Filter,
        tally: &mut irmer_stats::tally::Tally<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A consistent copy of the whole register to `path`, while it is in use.
    fn backup(&self, path: &Path) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Refreshes the statistics by which the database's planner chooses
    /// indexes, after a change of size such as an import. Where the
    /// backend keeps them itself, nothing to do.
    fn refresh_statistics(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(Ok(()))
    }
}
