//! Tasks as the register keeps them: the current state of each task of an
//! incident (at most one of each kind), written with the incident's `task`
//! event in one transaction ([`crate::Change::tasks`]). What a task is,
//! which an assessment names and what a step may do are the core's
//! ([`irmer_core::tasks`]).

use std::future::Future;

use irmer_core::incident::CivilDate;
use irmer_core::tasks::{TaskDays, TaskKind, TaskStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::accounts::{Role, Scope};

/// A task's state, as a `task` event carries it and the table keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub kind: TaskKind,
    pub status: TaskStatus,
    /// The role that owns it (by default the investigators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_role: Option<Role>,
    /// The user who owns it, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_user: Option<i64>,
    pub due: CivilDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_on: Option<CivilDate>,
    /// The other body's reference (Yellow Card, IRIC, NIAIC, ARSAC, HSE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why it is not needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TaskRow {
    /// A new task: open, owned by [`DEFAULT_OWNER`], due on `due`.
    pub fn open(kind: TaskKind, due: CivilDate) -> TaskRow {
        TaskRow {
            kind,
            status: TaskStatus::Open,
            owner_role: Some(DEFAULT_OWNER),
            owner_user: None,
            due,
            done_on: None,
            reference: None,
            note: None,
            reason: None,
        }
    }
}

/// A task with its id and incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskRecord {
    pub id: i64,
    /// The incident's reference.
    pub incident: String,
    #[serde(flatten)]
    pub row: TaskRow,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Which tasks a list holds (all when default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub incident: Option<String>,
    /// Only open ones.
    pub open: bool,
    /// Only open ones due before this day.
    pub overdue_on: Option<CivilDate>,
    /// Only those of incidents in this scope.
    pub scope: Option<Scope>,
}

/// A backend's tasks.
pub trait TaskStore: Clone + Send + Sync + 'static {
    /// The tasks the filter holds, [`in_order`].
    fn tasks(
        &self,
        filter: &TaskFilter,
    ) -> impl Future<Output = Result<Vec<TaskRecord>, StoreError>> + Send;

    /// One task by its id.
    fn task(&self, id: i64) -> impl Future<Output = Result<Option<TaskRecord>, StoreError>> + Send;
}

/// Tasks in the order lists show them: by due date, then incident, then
/// kind in [`TaskKind::ALL`]'s order.
pub fn in_order(tasks: &mut [TaskRecord]) {
    tasks.sort_by(|a, b| {
        (a.row.due, &a.incident, a.row.kind).cmp(&(b.row.due, &b.incident, b.row.kind))
    });
}

/// The tasks a history's `task` events leave (each event's rows replace
/// those of the same kind): what the table must hold.
pub fn fold(events: &[serde_json::Value]) -> Result<Vec<TaskRow>, String> {
    let mut rows: Vec<TaskRow> = Vec::new();
    for data in events {
        let changed: Vec<TaskRow> = serde_json::from_value(
            data.get("tasks")
                .cloned()
                .ok_or("a task event without tasks")?,
        )
        .map_err(|e| e.to_string())?;
        for row in changed {
            match rows.iter_mut().find(|r| r.kind == row.kind) {
                Some(r) => *r = row,
                None => rows.push(row),
            }
        }
    }
    rows.sort_by_key(|r| r.kind);
    Ok(rows)
}

/// The default owner of a new task: the investigators (the IR(ME)R lead
/// or quality team).
pub const DEFAULT_OWNER: Role = Role::Investigator;
/// The setting that holds the administrator's days to each kind of task's
/// due date ([`TaskDays::to_setting`]).
pub const TASK_DAYS_SETTING: &str = "task_days";

/// The tasks a new incident's assessment names, as the task event (`event`
/// with its data filled in: the same as [`Register::follow_tasks`] writes)
/// and its rows, each open, owned by [`DEFAULT_OWNER`], due from the
/// discovery by `days`; `None` when it names none.
///
/// [`Register::follow_tasks`]: crate::register::Register::follow_tasks
pub fn first_tasks(
    assessment: &irmer_core::assessment::Assessment,
    incident: &irmer_core::incident::Incident,
    days: &TaskDays,
    mut event: crate::Event,
) -> Option<(crate::Event, Vec<TaskRow>)> {
    let rows: Vec<TaskRow> = irmer_core::tasks::kinds_for(assessment, incident.nation)
        .into_iter()
        .map(|kind| TaskRow::open(kind, days.due(kind, incident.discovered)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    event.data = followed_assessment(event.seq - 1, &rows);
    Some((event, rows))
}

/// A task event's data when the tasks follow the assessment of `version`
/// (what [`fold`] reads back).
fn followed_assessment(version: i64, rows: &[TaskRow]) -> String {
    serde_json::json!({
        "why": "assessment",
        "version": version,
        "tasks": rows,
    })
    .to_string()
}

impl<S: crate::Store> crate::register::Register<S> {
    /// Brings the incident's tasks in line with its assessment
    /// ([`irmer_core::tasks::follow`]): the kinds named and missing added
    /// (due from the discovery by `days`), open ones no longer named
    /// marked not needed with the reason, ones retired so and named again
    /// opened; one `task` event, or none when nothing changes. Done tasks,
    /// and those someone marked not needed, are left as they are.
    pub async fn follow_tasks(
        &self,
        reference: &str,
        days: &TaskDays,
        actor: &str,
    ) -> Result<(), crate::register::RegisterError> {
        use irmer_core::tasks::{NO_LONGER_NAMED, follow};
        self.append_tasks(reference, actor, |rec, tasks| {
            let current: Vec<(TaskKind, TaskStatus, Option<&str>)> = tasks
                .iter()
                .map(|t| (t.row.kind, t.row.status, t.row.reason.as_deref()))
                .collect();
            let plan = follow(&current, &rec.assessment, rec.incident.nation);
            if plan.is_empty() {
                return Ok(None);
            }
            let existing = |kind: TaskKind| tasks.iter().find(|t| t.row.kind == kind);
            let mut rows = Vec::new();
            for kind in &plan.add {
                rows.push(TaskRow::open(
                    *kind,
                    days.due(*kind, rec.incident.discovered),
                ));
            }
            for kind in &plan.reopen {
                if let Some(t) = existing(*kind) {
                    rows.push(TaskRow {
                        status: TaskStatus::Open,
                        reason: None,
                        ..t.row.clone()
                    });
                }
            }
            for kind in &plan.retire {
                if let Some(t) = existing(*kind) {
                    rows.push(TaskRow {
                        status: TaskStatus::NotNeeded,
                        reason: Some(NO_LONGER_NAMED.to_owned()),
                        ..t.row.clone()
                    });
                }
            }
            Ok(Some((followed_assessment(rec.version, &rows), rows)))
        })
        .await?;
        Ok(())
    }

    /// After a report or a change of facts: when the assessment before or
    /// after names tasks, the tasks follow it ([`Self::follow_tasks`]);
    /// the incident as it is then.
    pub(crate) async fn follow_if_named(
        &self,
        rec: crate::register::IncidentRecord,
        before: Option<&irmer_core::assessment::Assessment>,
        actor: &str,
    ) -> Result<crate::register::IncidentRecord, crate::register::RegisterError> {
        use irmer_core::tasks::kinds_for;
        let nation = rec.incident.nation;
        if kinds_for(&rec.assessment, nation).is_empty()
            && before.is_none_or(|b| kinds_for(b, nation).is_empty())
        {
            return Ok(rec);
        }
        self.follow_tasks(&rec.reference, &self.task_days(), actor)
            .await?;
        self.get(&rec.reference).await
    }

    /// One task, or not found.
    async fn task_by_id(&self, id: i64) -> Result<TaskRecord, crate::register::RegisterError> {
        Ok(self
            .store()
            .task(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("task {id}")))?)
    }

    /// The days from discovery to each kind of task's due date, for the
    /// tasks made from now on.
    pub fn task_days(&self) -> TaskDays {
        self.task_days
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sets the days for every task made from now on, by every clone of
    /// this register (tasks already made keep their due dates).
    pub fn set_task_days(&self, days: TaskDays) {
        *self
            .task_days
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = days;
    }

    /// Reads the administrator's days ([`TASK_DAYS_SETTING`]); a setting
    /// that does not read (only the checked forms write it) leaves the
    /// defaults.
    pub async fn load_task_days(&self) -> Result<(), crate::StoreError>
    where
        S: crate::accounts::AccountStore,
    {
        if let Some(text) = self.store().setting(TASK_DAYS_SETTING).await? {
            if let Ok(days) = TaskDays::from_setting(&text) {
                self.set_task_days(days);
            }
        }
        Ok(())
    }

    /// Takes a step on a task (done, not needed, a new due date): checked
    /// by the core against its state, the incident's discovery and today;
    /// one `task` event. The task after.
    pub async fn task_step(
        &self,
        id: i64,
        step: &irmer_core::tasks::TaskStep,
        actor: &str,
    ) -> Result<TaskRecord, crate::register::RegisterError> {
        use irmer_core::tasks::TaskStep;
        let invalid = |field: &str, message: String| {
            crate::register::RegisterError::Invalid(irmer_core::parse::InputError {
                field: field.to_owned(),
                message,
                position: None,
            })
        };
        let task = self.task_by_id(id).await?;
        let texts = match step {
            TaskStep::Done {
                reference, note, ..
            } => vec![
                ("reference", reference.as_deref()),
                ("note", note.as_deref()),
            ],
            TaskStep::NotNeeded { reason } => vec![("reason", Some(reason.as_str()))],
            TaskStep::Due { .. } => Vec::new(),
        };
        for (field, text) in texts {
            if let Some(t) = text {
                if t.chars().count() > 2000 {
                    return Err(invalid(field, "at most 2,000 characters".into()));
                }
                crate::register::check_free_text(field, t)?;
            }
        }
        let today = self.today();
        self.append_tasks(&task.incident, actor, |rec, tasks| {
            let Some(t) = tasks.iter().find(|t| t.id == id) else {
                return Err(StoreError::NotFound(format!("task {id}")).into());
            };
            // A refusal by the task's state is a conflict (the step is
            // not possible now); one by a field of the step, invalid input.
            step.check(t.row.status, rec.incident.discovered, today)
                .map_err(|r| match r.field {
                    "status" => irmer_core::lifecycle::TransitionError {
                        field: r.field,
                        message: r.message,
                    }
                    .into(),
                    _ => invalid(r.field, r.message),
                })?;
            let row = match step {
                TaskStep::Done {
                    on,
                    reference,
                    note,
                } => TaskRow {
                    status: TaskStatus::Done,
                    done_on: Some(*on),
                    reference: reference.clone(),
                    note: note.clone(),
                    reason: None,
                    ..t.row.clone()
                },
                TaskStep::NotNeeded { reason } => TaskRow {
                    status: TaskStatus::NotNeeded,
                    reason: Some(reason.trim().to_owned()),
                    ..t.row.clone()
                },
                TaskStep::Due { on } => TaskRow {
                    due: *on,
                    ..t.row.clone()
                },
            };
            let why = match step {
                TaskStep::Done { .. } => "done",
                TaskStep::NotNeeded { .. } => "not-needed",
                TaskStep::Due { .. } => "due",
            };
            let data = serde_json::json!({ "why": why, "tasks": [row] });
            Ok(Some((data.to_string(), vec![row])))
        })
        .await?;
        self.task_by_id(id).await
    }

    /// Assigns an open task to a user (by username), or back to its role
    /// (`None`): one `task` event. The user must be able to sign in, act
    /// on tasks (investigators and administrators) and see the incident;
    /// otherwise refused naming the field `owner`, nothing changed.
    pub async fn assign_task(
        &self,
        id: i64,
        to: Option<&str>,
        actor: &str,
    ) -> Result<TaskRecord, crate::register::RegisterError>
    where
        S: crate::accounts::AccountStore,
    {
        use crate::accounts::Action;
        use crate::register::RegisterError;
        let invalid = |message: String| {
            RegisterError::Invalid(irmer_core::parse::InputError {
                field: "owner".to_owned(),
                message,
                position: None,
            })
        };
        let task = self.task_by_id(id).await?;
        let owner = match to.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(name) => {
                let Some(user) = self.store().user_by_name(name).await? else {
                    return Err(invalid(format!("no user is named '{name}'")));
                };
                if user.disabled {
                    return Err(invalid(format!("{name} is disabled")));
                }
                if !user.may(Action::Investigate) {
                    return Err(invalid(format!(
                        "{name} is a {}, who cannot act on tasks",
                        user.role.label().to_lowercase()
                    )));
                }
                match self.get_in(&task.incident, user.scope()).await {
                    Ok(_) => {}
                    Err(RegisterError::Store(StoreError::NotFound(_))) => {
                        return Err(invalid(format!(
                            "{name} cannot see incident {}",
                            task.incident
                        )));
                    }
                    Err(e) => return Err(e),
                }
                Some(user.id)
            }
        };
        self.append_tasks(&task.incident, actor, |_, tasks| {
            let Some(t) = tasks.iter().find(|t| t.id == id) else {
                return Err(StoreError::NotFound(format!("task {id}")).into());
            };
            if t.row.status != TaskStatus::Open {
                return Err(irmer_core::lifecycle::TransitionError {
                    field: "status",
                    message: format!(
                        "the task is {}: only an open task is assigned",
                        t.row.status.as_str()
                    ),
                }
                .into());
            }
            if t.row.owner_user == owner {
                return Ok(None);
            }
            let row = TaskRow {
                owner_user: owner,
                ..t.row.clone()
            };
            let data = serde_json::json!({ "why": "assigned", "tasks": [row] });
            Ok(Some((data.to_string(), vec![row])))
        })
        .await?;
        self.task_by_id(id).await
    }
}
