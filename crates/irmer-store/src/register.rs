//! The register: the one way incidents are recorded and changed.
//!
//! Every write parses its input with the core's one reader, runs the
//! engine, checks the incident's life, and appends an event together with
//! the new current state in one transaction of the backend. Nothing is
//! updated in place without an event.

use std::sync::Arc;

use irmer_core::assessment::Assessment;
use irmer_core::incident::{CivilDate, Incident, Reference};
use irmer_core::lifecycle::{
    self, DeadlineStatus, IncidentStatus, Milestones, Transition, TransitionError,
};
use irmer_core::parse::InputError;
use irmer_core::patch::{FieldChange, apply_patch};
use irmer_core::{GuidanceVersion, Outcome, Settings, assess};
use irmer_stats::taxonomy::Taxonomy;
use serde_json::Value;
use time::OffsetDateTime;

use crate::counts::{COUNTS_FRESH_FOR, CountCache, StatusCounts};
use crate::identity::Identity;
use crate::{
    Change, Event, EventKind, Filter, Index, NewIncident, Owner, Sort, State, Store, StoreError,
    Stored,
};

/// Why a register operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The input is not a valid incident or change (names the field).
    #[error("{0}")]
    Invalid(#[from] InputError),
    /// The step is not possible in the incident's current state.
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored data could not be read back: a bug or a damaged database.
    #[error("stored incident {reference:?} could not be read: {why}")]
    Corrupt { reference: String, why: String },
}

fn invalid(field: &str, message: impl Into<String>) -> RegisterError {
    RegisterError::Invalid(InputError {
        field: field.to_owned(),
        message: message.into(),
        position: None,
    })
}

/// Dates a register cannot hold: after today (the UK date), or an exposure
/// after its discovery. `irmer assess` judges any date; the register keeps
/// only what can have happened.
fn check_dates(incident: &Incident, today: CivilDate) -> Result<(), RegisterError> {
    if incident.discovered > today {
        return Err(invalid(
            "discovered",
            format!(
                "the date the incident was discovered must be today ({today}, UK) or in the past, found {}",
                incident.discovered
            ),
        ));
    }
    if let Some(occurred) = incident.occurred {
        if occurred > today {
            return Err(invalid(
                "occurred",
                format!(
                    "the date of the exposure must be today ({today}, UK) or in the past, found {occurred}"
                ),
            ));
        }
        if occurred > incident.discovered {
            return Err(invalid(
                "occurred",
                format!(
                    "the exposure ({occurred}) cannot come after its discovery ({})",
                    incident.discovered
                ),
            ));
        }
    }
    Ok(())
}

/// The scanner for text as it is entered: every fixed kind (health
/// numbers, dates of birth, postcodes, telephone numbers, e-mail addresses,
/// names after a title).
fn entry_scanner() -> Option<&'static irmer_scan::Scanner> {
    static SCANNER: std::sync::OnceLock<Option<irmer_scan::Scanner>> = std::sync::OnceLock::new();
    SCANNER
        .get_or_init(|| irmer_scan::Scanner::new(&irmer_scan::Rules::default()).ok())
        .as_ref()
}

/// Free text is kept for good (the original account can never change):
/// what identifies a person is refused as it is typed, naming the field,
/// the kind and where, never echoing it. Who an incident is about is
/// recorded apart (its identity).
pub fn check_free_text(field: &str, text: &str) -> Result<(), RegisterError> {
    let Some(scanner) = entry_scanner() else {
        return Ok(());
    };
    let found = scanner.scan(text);
    if found.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{} at line {}, column {}",
                f.kind.describe(),
                f.line,
                f.column
            )
        })
        .collect();
    Err(invalid(
        field,
        format!(
            "this text would identify a person ({}): remove it; who the incident is about is recorded apart, on its \"Who is involved\" page",
            list.join("; ")
        ),
    ))
}

/// The incident's free text (title, description, immediate action,
/// contributing factors) holds
/// no identifier; with `before`, only what changed is checked (text
/// accepted before the scanner learned a new pattern stays).
fn check_free_texts(incident: &Incident, before: Option<&Incident>) -> Result<(), RegisterError> {
    let texts = |i: &Incident| {
        [
            ("title", i.title.clone()),
            ("description", i.description.clone()),
            ("immediate_action", i.immediate_action.clone()),
        ]
    };
    let old = before.map(texts);
    for (n, (field, text)) in texts(incident).into_iter().enumerate() {
        let unchanged = old.as_ref().is_some_and(|o| o[n].1 == text);
        if let (Some(text), false) = (text, unchanged) {
            check_free_text(field, &text)?;
        }
    }
    for factor in &incident.contributing_factors {
        if !before.is_some_and(|b| b.contributing_factors.contains(factor)) {
            check_free_text("contributing_factors", factor)?;
        }
    }
    Ok(())
}

/// Every free text of an incident checked for identifiers, as the
/// register checks a new report (for an intake that keeps incidents of
/// its own, such as the authority's).
pub fn check_incident_texts(incident: &Incident) -> Result<(), RegisterError> {
    check_free_texts(incident, None)
}

/// A step's date must be today or in the past.
fn check_step_date(step: &Transition, today: CivilDate) -> Result<(), RegisterError> {
    if let Transition::Close { findings, .. } | Transition::CloseLocally { findings, .. } = step {
        check_free_text("findings", findings)?;
    }
    let (date, what) = match step {
        Transition::StartInvestigation | Transition::Reopen => return Ok(()),
        Transition::RecordNotification { date, .. } => (date, "the notification"),
        Transition::RecordReportSent { date } => (date, "the report's sending"),
        Transition::Close { date, .. } | Transition::CloseLocally { date, .. } => {
            (date, "the closing")
        }
    };
    if *date > today {
        return Err(invalid(
            "date",
            format!("the date of {what} must be today ({today}, UK) or in the past, found {date}"),
        ));
    }
    Ok(())
}

/// An incident in the register, read back and checked.
#[derive(Clone, Debug)]
pub struct IncidentRecord {
    pub reference: String,
    /// Increases by one with every event; writers send the version they saw.
    pub version: i64,
    /// Its department and reporter (who may see it).
    pub owner: Owner,
    pub status: IncidentStatus,
    pub incident: Incident,
    /// The current assessment, as stored (with its guidance version).
    pub assessment: Assessment,
    pub outcome: Outcome,
    pub milestones: Milestones,
    /// The reporter's original account, as first submitted.
    pub original: Value,
    pub index: Index,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl IncidentRecord {
    /// The two clocks on `today` (`None` when not notifiable).
    pub fn deadline_status(&self, today: CivilDate) -> Option<DeadlineStatus> {
        let deadlines = match (self.index.notify_by, self.index.report_by) {
            (Some(notify_by), Some(report_by)) => Some(irmer_core::assessment::Deadlines {
                notify_by,
                report_by,
            }),
            _ => None,
        };
        lifecycle::deadline_status(self.outcome, deadlines, &self.milestones, today)
    }
}

/// A record as the API, `--json` and exports show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RecordView<'a> {
    pub reference: &'a str,
    pub version: i64,
    pub status: IncidentStatus,
    pub incident: &'a Incident,
    pub assessment: &'a Assessment,
    pub milestones: &'a Milestones,
    /// The two clocks on the day the view was made (`null`: not notifiable).
    pub deadline_status: Option<DeadlineStatus>,
    /// The reporter's original account, as first submitted.
    pub original: &'a Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl IncidentRecord {
    pub fn view(&self, today: CivilDate) -> RecordView<'_> {
        RecordView {
            reference: &self.reference,
            version: self.version,
            status: self.status,
            incident: &self.incident,
            assessment: &self.assessment,
            milestones: &self.milestones,
            deadline_status: self.deadline_status(today),
            original: &self.original,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A summary as a list shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SummaryView<'a> {
    pub reference: &'a str,
    pub version: i64,
    pub status: IncidentStatus,
    pub nation: &'a str,
    pub modality: irmer_core::incident::Modality,
    pub discovered: CivilDate,
    pub outcome: Outcome,
    pub codes: Vec<&'a str>,
    /// The enforcing authority to notify (`null` unless notifiable or voluntary).
    pub authority: Option<&'static str>,
    pub notify_by: Option<CivilDate>,
    pub report_by: Option<CivilDate>,
    pub notified_on: Option<CivilDate>,
    pub report_sent_on: Option<CivilDate>,
    pub closed_on: Option<CivilDate>,
    pub deadline_status: Option<DeadlineStatus>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The two clocks from indexed columns.
pub fn summary_deadlines(index: &Index, today: CivilDate) -> Option<DeadlineStatus> {
    let deadlines = match (index.notify_by, index.report_by) {
        (Some(notify_by), Some(report_by)) => Some(irmer_core::assessment::Deadlines {
            notify_by,
            report_by,
        }),
        _ => None,
    };
    let milestones = Milestones {
        notified_on: index.notified_on,
        report_sent_on: index.report_sent_on,
        ..Milestones::default()
    };
    lifecycle::deadline_status(index.outcome, deadlines, &milestones, today)
}

pub fn summary_view(s: &crate::Summary, today: CivilDate) -> SummaryView<'_> {
    let i = &s.index;
    let authority = matches!(i.outcome, Outcome::Notifiable | Outcome::Voluntary)
        .then(|| {
            irmer_core::incident::Nation::ALL
                .iter()
                .find(|n| n.as_str() == i.nation)
                .map(|n| irmer_core::assessment::EnforcingAuthority::for_nation(*n).id())
        })
        .flatten();
    SummaryView {
        reference: &s.reference,
        version: s.version,
        status: s.status,
        nation: &i.nation,
        modality: i.modality,
        discovered: i.discovered,
        outcome: i.outcome,
        codes: i.codes.split_whitespace().collect(),
        authority,
        notify_by: i.notify_by,
        report_by: i.report_by,
        notified_on: i.notified_on,
        report_sent_on: i.report_sent_on,
        closed_on: i.closed_on,
        deadline_status: summary_deadlines(i, today),
        updated_at: s.updated_at,
    }
}

/// One history entry, read back.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub kind: EventKind,
    pub reason: Option<String>,
    pub data: Value,
    pub changes: Vec<FieldChange>,
    pub facts: Option<Value>,
    pub assessment: Option<Value>,
}

/// How an import went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    /// Already in the register with the same facts: nothing done.
    pub unchanged: u64,
    /// Refused lines: (line number, message). Nothing was written for them.
    pub refused: Vec<(u64, String)>,
}

/// The source of "now" (UTC); a test fixes it.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The most incidents written in one import transaction: fewer commits
/// write each hot index page to the WAL fewer times (10,000 rather than
/// 2,000: about 15% faster into SQLite, for 75 MB more memory at the
/// peak; BENCHMARKS.md, issue 16).
pub const IMPORT_BATCH: usize = 10000;

#[derive(Clone)]
pub struct Register<S> {
    store: S,
    guidance: GuidanceVersion,
    /// Shared by every clone: an administrator's change applies to the
    /// next assessment made anywhere.
    settings: Arc<std::sync::RwLock<Settings>>,
    /// The days to each kind of task's due date, shared the same way.
    pub(crate) task_days: Arc<std::sync::RwLock<irmer_core::tasks::TaskDays>>,
    clock: Clock,
    /// The dashboard's counts, shared by every clone (see `counts`).
    counts: Arc<CountCache>,
    /// The cause taxonomy an incident's causes are checked against.
    taxonomy: Arc<Taxonomy>,
}

impl<S: Store> Register<S> {
    pub fn new(store: S, guidance: GuidanceVersion, settings: Settings) -> Self {
        Register {
            store,
            guidance,
            settings: Arc::new(std::sync::RwLock::new(settings)),
            task_days: Arc::default(),
            clock: Arc::new(OffsetDateTime::now_utc),
            counts: Arc::new(CountCache::new(COUNTS_FRESH_FOR)),
            // The shipped file is checked by irmer-stats' tests; a build
            // with a damaged one knows no cause, and refuses every code.
            taxonomy: Arc::new(Taxonomy::shipped().unwrap_or_default()),
        }
    }

    /// The same register checking causes against `taxonomy` (the shipped
    /// one with an administrator's local codes).
    pub fn with_taxonomy(mut self, taxonomy: Taxonomy) -> Self {
        self.taxonomy = Arc::new(taxonomy);
        self
    }

    /// The cause taxonomy causes are checked against.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// Each cause the incident adds (not in `before`) is a tier-3 code of
    /// the taxonomy. A code recorded before stays, whatever the taxonomy
    /// now holds.
    fn check_causes(
        &self,
        incident: &Incident,
        before: Option<&Incident>,
    ) -> Result<(), RegisterError> {
        for (i, code) in incident.causes.iter().enumerate() {
            if before.is_some_and(|b| b.causes.contains(code)) {
                continue;
            }
            if self.taxonomy.get(code).is_none_or(|e| e.tier.0 != 3) {
                return Err(invalid(
                    "causes",
                    format!(
                        "causes[{i}]: {code} is not a tier-3 code of the cause taxonomy {} (irmer taxonomy lists them)",
                        self.taxonomy.version
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The same register, reusing its dashboard counts for at most
    /// `fresh_for` when this process has written nothing (tests).
    pub fn with_counts_fresh_for(mut self, fresh_for: std::time::Duration) -> Self {
        self.counts = Arc::new(CountCache::new(fresh_for));
        self
    }

    /// The same register with another clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn guidance(&self) -> GuidanceVersion {
        self.guidance
    }

    /// The local settings now in force.
    pub fn settings(&self) -> Settings {
        *self
            .settings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the local settings for every assessment made from now on
    /// (stored incidents are re-assessed at their next change).
    pub fn set_settings(&self, settings: Settings) {
        *self
            .settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = settings;
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// Today's date in the UK.
    pub fn today(&self) -> CivilDate {
        lifecycle::uk_date(self.now())
    }

    /// Records a new incident from its JSON (the contract's format). A
    /// reference is assigned when it has none.
    pub async fn report(
        &self,
        submitted: &Value,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        self.report_text(&submitted.to_string(), actor).await
    }

    /// The same, from the JSON text as submitted, which is kept exactly as
    /// it was sent (the reporter's original account).
    pub async fn report_text(
        &self,
        submitted: &str,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        self.report_as(
            submitted,
            actor,
            Owner::default(),
            crate::accounts::Scope::Organisation,
        )
        .await
    }

    /// The same, for a department and a reporting user (who may then see it).
    ///
    /// Only a reporter who sees the whole organisation (`scope`) may choose
    /// the reference: references are unique in the whole register, so a
    /// refusal of a taken one would tell a department's user that an
    /// incident they may not see exists.
    pub async fn report_as(
        &self,
        submitted: &str,
        actor: &str,
        owner: Owner,
        scope: crate::accounts::Scope,
    ) -> Result<IncidentRecord, RegisterError> {
        let actor = actor_name(actor)?;
        let _writing = self.counts.writing();
        let mut incident = self.check_report(submitted, scope)?;
        if incident.reference.is_none() {
            incident.reference = Some(new_reference(incident.discovered));
        }
        let mut new = self.new_incident(&incident, submitted, actor)?;
        new.owner = owner;
        self.store.create(&new).await?;
        self.get(&new.reference).await
    }

    /// What [`Register::report_as`] would refuse in a report, found
    /// without recording anything (for a last look before it is sent): the
    /// contract, the reference rule, dates that cannot be true and
    /// identifiers in the description. A reference already taken is found
    /// only when it is recorded.
    pub fn check_report(
        &self,
        submitted: &str,
        scope: crate::accounts::Scope,
    ) -> Result<Incident, RegisterError> {
        let incident = irmer_core::parse_incident(submitted)?;
        if incident.reference.is_some() && scope != crate::accounts::Scope::Organisation {
            return Err(invalid(
                "reference",
                "only a user who sees the whole organisation chooses an incident's reference (it must be unique in the whole register); leave it out and one is given",
            ));
        }
        check_dates(&incident, self.today())?;
        check_free_texts(&incident, None)?;
        self.check_causes(&incident, None)?;
        Ok(incident)
    }

    /// The incident to create, with the tasks its assessment names.
    fn new_incident(
        &self,
        incident: &Incident,
        submitted: &str,
        actor: &str,
    ) -> Result<NewIncident, RegisterError> {
        check_dates(incident, self.today())?;
        check_free_texts(incident, None)?;
        self.check_causes(incident, None)?;
        let reference = incident
            .reference
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let assessment = assess(incident, self.guidance, &self.settings());
        let milestones = Milestones::default();
        let status = IncidentStatus::Reported;
        let state = state(incident, &assessment, status, &milestones)?;
        let at = self.now();
        let tasks = crate::tasks::first_tasks(
            &assessment,
            incident,
            &self.task_days(),
            Event {
                seq: 2,
                at,
                actor: actor.to_owned(),
                kind: EventKind::Task,
                reason: None,
                data: String::new(),
                changes: "[]".into(),
                facts: None,
                assessment: None,
            },
        );
        Ok(NewIncident {
            reference,
            owner: Owner::default(),
            original: submitted.trim().to_owned(),
            event: Event {
                seq: 1,
                at,
                actor: actor.to_owned(),
                kind: EventKind::Reported,
                reason: None,
                data: "{}".into(),
                changes: "[]".into(),
                facts: Some(state.facts.clone()),
                assessment: None,
            },
            state,
            tasks,
        })
    }

    /// Changes facts with a JSON merge patch. `reason` is required. A patch
    /// that changes nothing writes nothing and returns the incident as it is.
    pub async fn amend(
        &self,
        reference: &str,
        expected_version: i64,
        patch: &Value,
        reason: &str,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        let edit = Edit {
            expected_version,
            patch,
            reason,
            actor,
        };
        self.amend_as(reference, edit, EventKind::FactsChanged, None)
            .await
    }

    /// [`Register::amend`], recorded as an event of `kind` whose data is
    /// `data` (the patch itself when `None`).
    pub(crate) async fn amend_as(
        &self,
        reference: &str,
        edit: Edit<'_>,
        kind: EventKind,
        data: Option<String>,
    ) -> Result<IncidentRecord, RegisterError> {
        let Edit {
            expected_version,
            patch,
            reason,
            actor,
        } = edit;
        let actor = actor_name(actor)?;
        let reason = reason_text(reason)?;
        if patch.get("reference").is_some() {
            return Err(invalid(
                "reference",
                "the reference identifies the incident and cannot be changed",
            ));
        }
        let _writing = self.counts.writing();
        let current = self.at_version(reference, expected_version).await?;
        let (incident, changes) = apply_patch(&current.incident, patch)?;
        if changes.is_empty() {
            return Ok(current);
        }
        check_dates(&incident, self.today())?;
        check_free_texts(&incident, Some(&current.incident))?;
        self.check_causes(&incident, Some(&current.incident))?;
        let assessment = assess(&incident, self.guidance, &self.settings());
        let state = state(&incident, &assessment, current.status, &current.milestones)?;
        let mut changes = changes;
        outcome_change(current.outcome, assessment.outcome, &mut changes);
        let change = Change {
            reference: reference.to_owned(),
            expected_version,
            event: Event {
                seq: expected_version + 1,
                at: self.now(),
                actor: actor.to_owned(),
                kind,
                reason: Some(reason.to_owned()),
                data: data.unwrap_or_else(|| patch.to_string()),
                changes: to_json(&changes),
                facts: Some(state.facts.clone()),
                assessment: None,
            },
            state,
            identity: None,
            tasks: Vec::new(),
        };
        self.store.append(&change).await?;
        let rec = self.get(reference).await?;
        self.follow_if_named(rec, Some(&current.assessment), actor)
            .await
    }

    /// Whether [`Register::transition`] would take this step on the
    /// incident as read, without taking it: every check but the version's
    /// (a page's "check before closing").
    pub fn check_step(
        &self,
        current: &IncidentRecord,
        step: &Transition,
        reason: Option<&str>,
    ) -> Result<(), RegisterError> {
        self.step_reason(step, reason)?;
        self.next_state(current, step).map(|_| ())
    }

    /// A step's reason, checked (a reopening needs one); its date and
    /// findings checked too.
    fn step_reason(
        &self,
        step: &Transition,
        reason: Option<&str>,
    ) -> Result<Option<String>, RegisterError> {
        let reason = match reason {
            Some(r) => Some(reason_text(r)?.to_owned()),
            None if *step == Transition::Reopen => {
                return Err(invalid(
                    "reason",
                    "expected why the incident is reopened (a closed incident is opened again only with a reason)",
                ));
            }
            None => None,
        };
        check_step_date(step, self.today())?;
        Ok(reason)
    }

    /// The assessment now and the status and milestones after the step.
    /// The engine runs again on every change: the stored decision is
    /// always the current guidance's.
    fn next_state(
        &self,
        current: &IncidentRecord,
        step: &Transition,
    ) -> Result<(Assessment, (IncidentStatus, Milestones)), RegisterError> {
        let assessment = assess(&current.incident, self.guidance, &self.settings());
        let next = lifecycle::apply(
            current.status,
            &current.milestones,
            assessment.outcome,
            current.incident.discovered,
            step,
        )?;
        Ok((assessment, next))
    }

    /// Takes a step in the incident's life (records a notification, a
    /// report sent, a closure…).
    pub async fn transition(
        &self,
        reference: &str,
        expected_version: i64,
        step: &Transition,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        let actor = actor_name(actor)?;
        let reason = self.step_reason(step, reason)?;
        let _writing = self.counts.writing();
        let current = self.at_version(reference, expected_version).await?;
        let (assessment, (status, milestones)) = self.next_state(&current, step)?;
        let old = serde_json::to_value(&current.milestones).unwrap_or(Value::Null);
        let new = serde_json::to_value(&milestones).unwrap_or(Value::Null);
        let mut changes = vec![FieldChange {
            field: "status".into(),
            old: Some(Value::from(current.status.as_str())),
            new: Some(Value::from(status.as_str())),
        }];
        irmer_core::patch::diff("", Some(&old), Some(&new), &mut changes);
        outcome_change(current.outcome, assessment.outcome, &mut changes);
        let state = state(&current.incident, &assessment, status, &milestones)?;
        let change = Change {
            reference: reference.to_owned(),
            expected_version,
            event: Event {
                seq: expected_version + 1,
                at: self.now(),
                actor: actor.to_owned(),
                kind: event_kind(step),
                reason,
                data: serde_json::to_string(step).unwrap_or_default(),
                changes: to_json(&changes),
                facts: None,
                assessment: None,
            },
            state,
            identity: None,
            tasks: Vec::new(),
        };
        self.store.append(&change).await?;
        let rec = self.get(reference).await?;
        self.follow_if_named(rec, Some(&current.assessment), actor)
            .await
    }

    /// Adds a comment (an adviser's opinion, an investigator's note): an
    /// event of its own in the history; facts and assessment unchanged. A
    /// comment does not depend on what it follows, so it is appended to the
    /// latest version, whichever that is.
    pub async fn comment(
        &self,
        reference: &str,
        text: &str,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        let actor = actor_name(actor)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("comment", "required, but empty"));
        }
        if text.chars().count() > 10_000 {
            return Err(invalid("comment", "at most 10,000 characters"));
        }
        check_free_text("comment", text)?;
        let data = serde_json::json!({ "comment": text }).to_string();
        self.append_aside(reference, actor, Aside::new(EventKind::Comment, data))
            .await
    }

    /// The identity kept apart (patient, staff), if one was recorded.
    pub async fn identity(&self, reference: &str) -> Result<Option<Identity>, RegisterError> {
        match self.store.identity(reference).await? {
            None => Ok(None),
            Some(text) => {
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| RegisterError::Corrupt {
                        reference: reference.to_owned(),
                        why: format!("identity: {e}"),
                    })
            }
        }
    }

    /// Replaces the identity with the one given (its JSON; see
    /// `Identity::from_json`). The history records which fields changed,
    /// never their values; an identity that changes nothing writes nothing.
    pub async fn set_identity(
        &self,
        reference: &str,
        identity: &Value,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        let actor = actor_name(actor)?;
        let new = Identity::from_json(identity)?;
        let old = self.identity(reference).await?.unwrap_or_default();
        let fields = old.changed_fields(&new);
        if fields.is_empty() {
            return self.get(reference).await;
        }
        let changes: Vec<FieldChange> = fields
            .iter()
            .map(|f| FieldChange {
                field: (*f).to_owned(),
                old: None,
                new: None,
            })
            .collect();
        self.append_aside(
            reference,
            actor,
            Aside {
                changes: to_json(&changes),
                identity: Some(to_json(&new)),
                ..Aside::new(EventKind::IdentityChanged, "{}".into())
            },
        )
        .await
    }

    /// Appends an event that changes neither facts nor status (a comment,
    /// an identity change). It does not depend on what it follows, so it
    /// goes after the latest version, whichever that is.
    pub(crate) async fn append_aside(
        &self,
        reference: &str,
        actor: &str,
        aside: Aside,
    ) -> Result<IncidentRecord, RegisterError> {
        let Aside {
            kind,
            reason,
            data,
            changes,
            identity,
        } = aside;
        let _writing = self.counts.writing();
        for _ in 0..5 {
            let current = self.get(reference).await?;
            let state = state(
                &current.incident,
                &current.assessment,
                current.status,
                &current.milestones,
            )?;
            let change = Change {
                reference: reference.to_owned(),
                expected_version: current.version,
                event: Event {
                    seq: current.version + 1,
                    at: self.now(),
                    actor: actor.to_owned(),
                    kind,
                    reason: reason.clone(),
                    data: data.clone(),
                    changes: changes.clone(),
                    facts: None,
                    assessment: None,
                },
                state,
                identity: identity.clone(),
                tasks: Vec::new(),
            };
            match self.store.append(&change).await {
                Err(StoreError::Conflict { .. }) => continue,
                other => other?,
            }
            return self.get(reference).await;
        }
        Err(StoreError::Backend("the incident kept changing; try again".into()).into())
    }

    /// Appends a `task` event whose data and task rows `compute` makes
    /// from the incident and its tasks as they are now (`None`: nothing to
    /// write); tried again on a concurrent change. The incident after, or
    /// `None` when there was nothing to write.
    pub(crate) async fn append_tasks(
        &self,
        reference: &str,
        actor: &str,
        compute: impl Fn(
            &IncidentRecord,
            &[crate::tasks::TaskRecord],
        ) -> Result<Option<(String, Vec<crate::tasks::TaskRow>)>, RegisterError>,
    ) -> Result<Option<IncidentRecord>, RegisterError> {
        let _writing = self.counts.writing();
        for _ in 0..5 {
            let current = self.get(reference).await?;
            let tasks = self
                .store
                .tasks(&crate::tasks::TaskFilter {
                    incident: Some(current.reference.clone()),
                    ..crate::tasks::TaskFilter::default()
                })
                .await?;
            let Some((data, rows)) = compute(&current, &tasks)? else {
                return Ok(None);
            };
            let change = Change {
                reference: reference.to_owned(),
                expected_version: current.version,
                event: Event {
                    seq: current.version + 1,
                    at: self.now(),
                    actor: actor.to_owned(),
                    kind: EventKind::Task,
                    reason: None,
                    data,
                    changes: "[]".into(),
                    facts: None,
                    assessment: None,
                },
                state: state(
                    &current.incident,
                    &current.assessment,
                    current.status,
                    &current.milestones,
                )?,
                identity: None,
                tasks: rows,
            };
            match self.store.append(&change).await {
                Err(StoreError::Conflict { .. }) => continue,
                other => other?,
            }
            return Ok(Some(self.get(reference).await?));
        }
        Err(StoreError::Backend("the incident kept changing; try again".into()).into())
    }

    /// The incident, if it is still at the version the writer saw
    /// (`Conflict` otherwise: the backend checks again when it writes).
    async fn at_version(
        &self,
        reference: &str,
        expected_version: i64,
    ) -> Result<IncidentRecord, RegisterError> {
        let current = self.get(reference).await?;
        if current.version != expected_version {
            return Err(StoreError::Conflict {
                reference: reference.to_owned(),
                expected: expected_version,
                current: current.version,
            }
            .into());
        }
        Ok(current)
    }

    pub async fn get(&self, reference: &str) -> Result<IncidentRecord, RegisterError> {
        match self.store.get(reference).await? {
            Some(stored) => read_record(stored),
            None => Err(StoreError::NotFound(reference.to_owned()).into()),
        }
    }

    /// The record, if `scope` covers it: one outside the scope is
    /// `NotFound`, exactly as one that does not exist, so that its
    /// existence is not told. Every reference a user sends goes through
    /// this.
    pub async fn get_in(
        &self,
        reference: &str,
        scope: crate::accounts::Scope,
    ) -> Result<IncidentRecord, RegisterError> {
        let record = self.get(reference).await?;
        if scope.covers(&record.owner) {
            Ok(record)
        } else {
            Err(StoreError::NotFound(reference.to_owned()).into())
        }
    }

    pub async fn history(&self, reference: &str) -> Result<Vec<HistoryEntry>, RegisterError> {
        let events = self
            .store
            .history(reference)
            .await?
            .ok_or_else(|| StoreError::NotFound(reference.to_owned()))?;
        events
            .into_iter()
            .map(|e| read_event(reference, e))
            .collect()
    }

    pub async fn list(
        &self,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<IncidentRecord>, bool), RegisterError> {
        let page = self
            .store
            .list(filter, sort, limit.min(crate::MAX_PAGE), offset)
            .await?;
        let items = page
            .items
            .into_iter()
            .map(read_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, page.more))
    }

    /// The statistics of the incidents discovered from `from` to `to`
    /// (both included) that `scope` lets its user see, grouped `by` these
    /// fields; `places` names departments and sites.
    pub async fn statistics(
        &self,
        from: CivilDate,
        to: CivilDate,
        by: &[irmer_stats::tally::Field],
        scope: Option<crate::accounts::Scope>,
        places: &irmer_stats::tally::Places,
    ) -> Result<irmer_stats::tally::Statistics, RegisterError> {
        let filter = Filter {
            discovered_from: Some(from),
            discovered_to: Some(to),
            scope,
            ..Filter::default()
        };
        let mut tally = irmer_stats::tally::Tally::new(by, places);
        self.store.tally(&filter, &mut tally).await?;
        Ok(tally.finish(from, to))
    }

    /// How many incidents the filter selects.
    pub async fn count(&self, filter: &Filter) -> Result<u64, RegisterError> {
        Ok(self.store.count(filter).await?)
    }

    /// How many incidents of each status the filter selects, every status
    /// listed (in lifecycle order), zero where there are none.
    pub async fn count_by_status(
        &self,
        filter: &Filter,
    ) -> Result<Vec<(IncidentStatus, u64)>, RegisterError> {
        let found = self.store.count_by_status(filter).await?;
        Ok(IncidentStatus::ALL
            .iter()
            .map(|s| {
                let n = found.iter().find(|(f, _)| f == s).map_or(0, |(_, n)| *n);
                (*s, n)
            })
            .collect())
    }

    /// The dashboard's counts for a scope: incidents by status and those
    /// overdue today. Kept between loads until the next write through this
    /// register, and for at most a few seconds (see `counts`).
    pub async fn status_counts(
        &self,
        scope: Option<crate::accounts::Scope>,
    ) -> Result<StatusCounts, RegisterError> {
        let today = self.today();
        let key = (scope, today);
        if let Some(kept) = self.counts.get(&key) {
            return Ok(kept);
        }
        let generation = self.counts.generation();
        let all = Filter {
            scope,
            ..Filter::default()
        };
        let overdue = Filter {
            due_before: Some(today),
            scope,
            ..Filter::default()
        };
        let (by_status, overdue) =
            tokio::try_join!(self.count_by_status(&all), self.count(&overdue))?;
        let counts = StatusCounts { overdue, by_status };
        self.counts.put(key, generation, counts.clone());
        Ok(counts)
    }

    /// Summaries, as a list page shows them.
    pub async fn summaries(
        &self,
        filter: &Filter,
        sort: Sort,
        limit: u32,
        offset: u64,
    ) -> Result<crate::SummaryPage, RegisterError> {
        Ok(self
            .store
            .summaries(filter, sort, limit.min(crate::MAX_PAGE), offset)
            .await?)
    }

    /// Every incident with a deadline still to meet (due on or before
    /// `due_by`, if given), soonest first.
    pub async fn deadlines(
        &self,
        due_by: Option<CivilDate>,
        scope: Option<crate::accounts::Scope>,
    ) -> Result<Vec<crate::Summary>, RegisterError> {
        let filter = Filter {
            due_by: due_by.or(CivilDate::from_ymd(2999, 12, 31)),
            scope,
            ..Filter::default()
        };
        let mut all = Vec::new();
        loop {
            let page = self
                .summaries(&filter, Sort::NextDue, crate::MAX_PAGE, all.len() as u64)
                .await?;
            all.extend(page.items);
            if !page.more {
                return Ok(all);
            }
        }
    }

    /// Imports incidents: one JSON incident a line, with its line number.
    /// Every incident needs a reference, which makes importing the same
    /// file twice create nothing new. A refused line is reported and the
    /// others are imported.
    pub async fn import(
        &self,
        lines: impl IntoIterator<Item = (u64, String)>,
        actor: &str,
    ) -> Result<ImportReport, RegisterError> {
        let actor = actor_name(actor)?;
        let _writing = self.counts.writing();
        let mut report = ImportReport::default();
        let mut batch = Batch::default();
        // One batch is written (on the database's thread) while the next is
        // prepared (parsed, assessed, serialised here); batches are written
        // in order, each after the one before has been settled.
        let mut writing: Option<tokio::task::JoinHandle<Written>> = None;
        for (line, text) in lines {
            let prepared = irmer_core::parse_incident(&text).map_err(RegisterError::from).and_then(|incident| {
                if incident.reference.is_none() {
                    return Err(invalid(
                        "reference",
                        "required when importing, so that importing the same file again creates nothing new",
                    ));
                }
                self.new_incident(&incident, &text, actor)
            });
            match prepared {
                Ok(new) => {
                    batch.lines.push(line);
                    batch.news.push(new);
                }
                Err(RegisterError::Invalid(e)) => report.refused.push((line, located(&e))),
                Err(e) => report.refused.push((line, e.to_string())),
            }
            if batch.news.len() >= IMPORT_BATCH {
                if let Some(previous) = writing.take() {
                    settle(previous, &mut report).await?;
                }
                let full = std::mem::take(&mut batch);
                let store = self.store.clone();
                writing = Some(tokio::spawn(async move {
                    let outcomes = store.create_many(&full.news).await;
                    (full, outcomes)
                }));
            }
        }
        if let Some(previous) = writing.take() {
            settle(previous, &mut report).await?;
        }
        if !batch.news.is_empty() {
            let outcomes = self.store.create_many(&batch.news).await?;
            tally(&batch, outcomes, &mut report);
        }
        if report.created > 0 {
            self.store.refresh_statistics().await?;
        }
        report.refused.sort_by_key(|(line, _)| *line);
        Ok(report)
    }
}

/// A batch and what writing it gave.
type Written = (Batch, Result<Vec<Option<String>>, StoreError>);

async fn settle(
    handle: tokio::task::JoinHandle<Written>,
    report: &mut ImportReport,
) -> Result<(), RegisterError> {
    let (batch, outcomes) = handle
        .await
        .map_err(|e| StoreError::Backend(format!("the import's writer stopped: {e}")))?;
    tally(&batch, outcomes?, report);
    Ok(())
}

/// Counts a written batch into the report.
fn tally(batch: &Batch, outcomes: Vec<Option<String>>, report: &mut ImportReport) {
    for ((line, new), existing) in batch.lines.iter().zip(&batch.news).zip(outcomes) {
        match existing {
            None => report.created += 1,
            Some(facts) if same_facts(&facts, &new.state.facts) => report.unchanged += 1,
            Some(_) => report.refused.push((
                *line,
                format!(
                    "reference: {:?} is already in the register with other facts; change it with `irmer incident update`",
                    new.reference
                ),
            )),
        }
    }
}

/// Incidents ready to be written together, with their line numbers.
#[derive(Default)]
struct Batch {
    lines: Vec<u64>,
    news: Vec<NewIncident>,
}

/// An input error with its column, when the JSON itself is malformed.
fn located(e: &InputError) -> String {
    match e.position {
        Some(p) => format!("column {}: {e}", p.column),
        None => e.to_string(),
    }
}

fn same_facts(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Records in the history when the engine's decision changed.
fn outcome_change(old: Outcome, new: Outcome, changes: &mut Vec<FieldChange>) {
    if old != new {
        changes.push(FieldChange {
            field: "assessment.outcome".into(),
            old: Some(Value::from(old.as_str())),
            new: Some(Value::from(new.as_str())),
        });
    }
}

fn event_kind(step: &Transition) -> EventKind {
    match step {
        Transition::StartInvestigation => EventKind::StartInvestigation,
        Transition::RecordNotification { .. } => EventKind::RecordNotification,
        Transition::RecordReportSent { .. } => EventKind::RecordReportSent,
        Transition::Close { .. } => EventKind::Close,
        Transition::CloseLocally { .. } => EventKind::CloseLocally,
        Transition::Reopen => EventKind::Reopen,
    }
}

fn actor_name(actor: &str) -> Result<&str, RegisterError> {
    let actor = actor.trim();
    if actor.is_empty() || actor.chars().count() > 100 {
        return Err(invalid(
            "actor",
            "expected who makes the change (1 to 100 characters)",
        ));
    }
    Ok(actor)
}

pub(crate) fn reason_text(reason: &str) -> Result<&str, RegisterError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "reason",
            "expected why the change is made (the history keeps it)",
        ));
    }
    if reason.chars().count() > 2000 {
        return Err(invalid("reason", "expected at most 2000 characters"));
    }
    check_free_text("reason", reason)?;
    Ok(reason)
}

/// A change of facts as a writer asks for it.
pub(crate) struct Edit<'a> {
    pub expected_version: i64,
    pub patch: &'a Value,
    pub reason: &'a str,
    pub actor: &'a str,
}

/// An event beside the facts (a comment, an identity, a decision): it
/// changes neither the facts nor the assessment.
pub(crate) struct Aside {
    pub kind: EventKind,
    pub reason: Option<String>,
    pub data: String,
    pub changes: String,
    pub identity: Option<String>,
}

impl Aside {
    pub(crate) fn new(kind: EventKind, data: String) -> Self {
        Aside {
            kind,
            reason: None,
            data,
            changes: "[]".into(),
            identity: None,
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The state a backend stores for an incident.
fn state(
    incident: &Incident,
    assessment: &Assessment,
    status: IncidentStatus,
    milestones: &Milestones,
) -> Result<State, RegisterError> {
    let facts = serde_json::to_string(incident).map_err(|e| invalid("", e.to_string()))?;
    let mut assessment_json = Vec::with_capacity(2048);
    assessment.write_json(&mut assessment_json);
    let assessment_json =
        String::from_utf8(assessment_json).map_err(|e| invalid("", e.to_string()))?;
    Ok(State {
        status,
        facts,
        assessment: assessment_json,
        milestones: to_json(milestones),
        index: index(incident, assessment, milestones),
    })
}

fn index(incident: &Incident, assessment: &Assessment, milestones: &Milestones) -> Index {
    let deadlines = assessment.deadlines;
    let next_due = deadlines.and_then(|d| {
        if milestones.notified_on.is_none() {
            Some(d.notify_by)
        } else if milestones.report_sent_on.is_none() {
            Some(d.report_by)
        } else {
            None
        }
    });
    let codes: Vec<String> = assessment.codes.iter().map(ToString::to_string).collect();
    Index {
        modality: incident.modality,
        nation: incident.nation.as_str().to_owned(),
        discovered: incident.discovered,
        guidance: assessment.guidance.as_str().to_owned(),
        outcome: assessment.outcome,
        codes: codes.join(" "),
        notify_by: deadlines.map(|d| d.notify_by),
        report_by: deadlines.map(|d| d.report_by),
        notified_on: milestones.notified_on,
        report_sent_on: milestones.report_sent_on,
        closed_on: milestones.closed_on,
        next_due,
        exposure: incident.exposure,
        causes: incident.causes.join(" "),
    }
}

fn read_record(stored: Stored) -> Result<IncidentRecord, RegisterError> {
    let corrupt = |why: String| RegisterError::Corrupt {
        reference: stored.reference.clone(),
        why,
    };
    let incident =
        irmer_core::parse_incident(&stored.state.facts).map_err(|e| corrupt(e.to_string()))?;
    let assessment: Assessment =
        serde_json::from_str(&stored.state.assessment).map_err(|e| corrupt(e.to_string()))?;
    let milestones: Milestones =
        serde_json::from_str(&stored.state.milestones).map_err(|e| corrupt(e.to_string()))?;
    let original: Value =
        serde_json::from_str(&stored.original).map_err(|e| corrupt(e.to_string()))?;
    Ok(IncidentRecord {
        reference: stored.reference,
        version: stored.version,
        owner: stored.owner,
        status: stored.state.status,
        outcome: stored.state.index.outcome,
        incident,
        assessment,
        milestones,
        original,
        index: stored.state.index,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    })
}

fn read_event(reference: &str, e: Event) -> Result<HistoryEntry, RegisterError> {
    let corrupt = |why: String| RegisterError::Corrupt {
        reference: reference.to_owned(),
        why,
    };
    let json =
        |text: &str| serde_json::from_str::<Value>(text).map_err(|err| corrupt(err.to_string()));
    Ok(HistoryEntry {
        version: e.seq,
        at: e.at,
        actor: e.actor,
        kind: e.kind,
        reason: e.reason,
        data: json(&e.data)?,
        changes: serde_json::from_str(&e.changes).map_err(|err| corrupt(err.to_string()))?,
        facts: e.facts.as_deref().map(json).transpose()?,
        assessment: e.assessment.as_deref().map(json).transpose()?,
    })
}

/// The state that a history folds to: the facts, the status and the
/// milestones. The register keeps the current state beside the events for
/// queries; this is the proof that it is derived from them (the test suite
/// compares the two).
pub fn replay(history: &[HistoryEntry]) -> Result<(Value, IncidentStatus, Milestones), String> {
    let mut facts: Option<Value> = None;
    let mut status = IncidentStatus::Reported;
    let mut milestones = Milestones::default();
    let mut outcome = Outcome::Undetermined;
    for (n, entry) in history.iter().enumerate() {
        if entry.version != n as i64 + 1 {
            return Err(format!(
                "event {} has version {}, expected {}",
                n + 1,
                entry.version,
                n + 1
            ));
        }
        if let Some(f) = &entry.facts {
            facts = Some(f.clone());
        }
        let discovered = facts
            .as_ref()
            .and_then(|f| f.get("discovered"))
            .and_then(Value::as_str)
            .and_then(CivilDate::parse)
            .ok_or("the history does not start with the reported facts")?;
        match entry.kind {
            EventKind::Reported
            | EventKind::FactsChanged
            | EventKind::Comment
            | EventKind::IdentityChanged
            | EventKind::ReportExported
            | EventKind::Theme
            | EventKind::Task => {}
            _ => {
                let step: Transition =
                    serde_json::from_value(entry.data.clone()).map_err(|e| e.to_string())?;
                (status, milestones) =
                    lifecycle::apply(status, &milestones, outcome, discovered, &step)
                        .map_err(|e| e.to_string())?;
            }
        }
        if let Some(assessment) = &entry.assessment {
            outcome = assessment
                .get("outcome")
                .and_then(Value::as_str)
                .and_then(|o| Outcome::ALL.into_iter().find(|x| x.as_str() == o))
                .ok_or("an assessment without an outcome")?;
        }
    }
    Ok((facts.ok_or("an empty history")?, status, milestones))
}

/// A new reference: `IR-` and the discovery year, then 8 random
/// characters (Crockford base 32: no I, L, O or U).
pub fn new_reference(discovered: CivilDate) -> Reference {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = uuid::Uuid::new_v4();
    let bits = u64::from_le_bytes(random.as_bytes()[..8].try_into().unwrap_or([0; 8]));
    let tail: String = (0..8)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    let year = discovered.date().year();
    Reference::parse(&format!("IR-{year}-{tail}"))
        .unwrap_or_else(|_| unreachable!("a generated reference is valid"))
}
