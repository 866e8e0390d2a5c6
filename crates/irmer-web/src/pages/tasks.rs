//! An incident's tasks on its page: each with its state, due date, owner
//! and the other body's reference; for investigators, a form to record it
//! done (the date, the reference, a note), not needed (the reason), due
//! on another date, or assigned to one user (or back to the role). The
//! dashboard lists the user's open and overdue ones.

use axum::extract::{Path, State};
use irmer_core::incident::CivilDate;
use irmer_core::tasks::{TaskStatus, TaskStep};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action, Scope};
use irmer_store::register::{IncidentRecord, RegisterError};
use irmer_store::tasks::{TaskFilter, TaskRecord};
use maud::{Markup, html};

use super::{ForPage, PageError, PageResult, SignedForm, capital, enc, incident_for, see_other};
use crate::app::{App, PageUser};
use crate::dates::day;
use crate::html::{csrf_field, field_id};

/// The incident's tasks, and who may be given one.
pub(super) struct Tasks {
    pub list: Vec<TaskRecord>,
    /// Users who may sign in and act on tasks (id, username, name);
    /// whether one can see the incident is checked when assigned.
    pub owners: Vec<(i64, String, String)>,
}

/// The incident's tasks.
pub(super) async fn of<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
) -> Result<Tasks, PageError> {
    let list = app
        .register
        .store()
        .tasks(&TaskFilter {
            incident: Some(rec.reference.clone()),
            ..TaskFilter::default()
        })
        .await
        .for_page(p)?;
    let owners = if list.is_empty() || !p.user.may(Action::Investigate) {
        Vec::new()
    } else {
        app.accounts
            .store()
            .users()
            .await
            .for_page(p)?
            .into_iter()
            .filter(|u| !u.disabled && u.may(Action::Investigate))
            .map(|u| (u.id, u.username, u.display_name))
            .collect()
    };
    Ok(Tasks { list, owners })
}

fn status_tag(t: &TaskRecord, today: CivilDate) -> Markup {
    let (words, class) = match t.row.status {
        TaskStatus::Done => ("Done", "met"),
        TaskStatus::NotNeeded => ("Not needed", ""),
        TaskStatus::Open if t.row.due < today => ("Overdue", "overdue"),
        TaskStatus::Open if today.days_until(t.row.due) <= 3 => ("Due soon", "due-soon"),
        TaskStatus::Open => ("Open", ""),
    };
    html! { strong class={ "tag " (class) } { (words) } }
}

/// The tasks panel on the incident page (nothing when there are none).
pub(super) fn panel(
    p: &PageUser,
    rec: &IncidentRecord,
    Tasks {
        list: tasks,
        owners,
    }: &Tasks,
    today: CivilDate,
    typed: &crate::form::Answers,
) -> Markup {
    let r = enc(&rec.reference);
    let may = p.user.may(Action::Investigate);
    let typed_for = |id: i64| typed.get("task") == Some(id.to_string().as_str());
    html! {
        @if !tasks.is_empty() {
            h2 { "What this decision obliges" }
            p class="hint" { "Made from the assessment's duties and the other bodies it names; they follow the assessment when the facts change (no longer named: marked not needed, with the reason). Each step is in the history." }
            @for t in tasks {
                section class="panel" aria-labelledby={ "task-" (t.id) } {
                    h3 id={ "task-" (t.id) } { (t.row.kind.label()) " " (status_tag(t, today)) }
                    p {
                        "Due " (day(t.row.due))
                        @if let Some(on) = t.row.done_on { " · done " (day(on)) }
                        @if let Some(reference) = &t.row.reference { " · " (t.row.kind.reference_name().unwrap_or("Reference")) ": " strong { (reference) } }
                        @if let Some(reason) = &t.row.reason { " · " (reason) }
                        " · owner: " (owner_of(t, owners))
                    }
                    @if let Some(note) = &t.row.note { p { (note) } }
                    @if may && t.row.status != TaskStatus::Done {
                        @let mine = typed_for(t.id);
                        @let value = |name: &str| if mine { typed.get(name).unwrap_or_default().to_owned() } else { String::new() };
                        form method="post" action={ "/incidents/" (r) "/tasks/" (t.id) } novalidate {
                            (csrf_field(&p.csrf))
                            input type="hidden" name="task" value=(t.id);
                            div class="filters" {
                                div class="field" {
                                    label for={ (field_id("task-date")) "-" (t.id) } { "Date" }
                                    input class="short" type="date" id={ (field_id("task-date")) "-" (t.id) } name="date" value=(value("date"));
                                }
                                @if let Some(name) = t.row.kind.reference_name() {
                                    div class="field" {
                                        label for={ (field_id("task-reference")) "-" (t.id) } { (name) }
                                        input type="text" id={ (field_id("task-reference")) "-" (t.id) } name="reference" value=(value("reference")) autocomplete="off";
                                    }
                                }
                                div class="field" {
                                    label for={ (field_id("task-note")) "-" (t.id) } { "Note or reason" }
                                    input type="text" id={ (field_id("task-note")) "-" (t.id) } name="note" value=(value("note")) autocomplete="off";
                                }
                            }
                            button type="submit" name="action" value="done" { "Done" }
                            @if t.row.status == TaskStatus::Open {
                                button class="secondary" type="submit" name="action" value="not-needed" { "Not needed" }
                            }
                            button class="secondary" type="submit" name="action" value="due" { "Due on the date" }
                        }
                        @if t.row.status == TaskStatus::Open {
                            @let chosen = if mine { typed.get("owner").map(str::to_owned) } else { owners.iter().find(|o| Some(o.0) == t.row.owner_user).map(|o| o.1.clone()) };
                            form method="post" action={ "/incidents/" (r) "/tasks/" (t.id) } novalidate {
                                (csrf_field(&p.csrf))
                                input type="hidden" name="task" value=(t.id);
                                div class="field" {
                                    label for={ (field_id("task-owner")) "-" (t.id) } { "Owner" }
                                    select id={ (field_id("task-owner")) "-" (t.id) } name="owner" {
                                        option value="" selected[chosen.is_none()] { "The investigators (by scope)" }
                                        @for (_, username, name) in owners {
                                            option value=(username) selected[chosen.as_deref() == Some(username.as_str())] { (name) " (" (username) ")" }
                                        }
                                    }
                                }
                                button class="secondary" type="submit" name="action" value="assign" { "Assign" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Who owns a task, in words.
fn owner_of(t: &TaskRecord, owners: &[(i64, String, String)]) -> String {
    match t.row.owner_user {
        Some(id) => owners
            .iter()
            .find(|o| o.0 == id)
            .map_or_else(|| "one user".to_owned(), |o| o.2.clone()),
        None => "the investigators".to_owned(),
    }
}

/// `POST /incidents/{reference}/tasks/{id}`: a step on one of the
/// incident's tasks.
pub(super) async fn task_step<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path((reference, id)): Path<(String, i64)>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let tasks = of(&app, &p, &rec).await?;
    if !tasks.list.iter().any(|t| t.id == id) {
        return Err(
            PageError::not_found(format!("Incident {reference} has no task {id}.")).for_user(&p),
        );
    }
    if a.get("action") == Some("assign") {
        let to = a.get("owner").filter(|o| !o.is_empty());
        return match app.register.assign_task(id, to, &p.user.username).await {
            Ok(_) => Ok(see_other(&format!("/incidents/{}?task=1", enc(&reference)))),
            Err(RegisterError::Invalid(e)) => {
                let errors = vec![(format!("task-owner-{id}"), capital(&e.message))];
                super::incident::incident_again(&app, &p, &rec, &a, &errors).await
            }
            Err(RegisterError::Transition(e)) => {
                let errors = vec![(format!("task-owner-{id}"), capital(&e.message))];
                super::incident::incident_again(&app, &p, &rec, &a, &errors).await
            }
            Err(e) => Err(PageError::from(e).for_user(&p)),
        };
    }
    let text = |k: &str| {
        a.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let date = a.get("date").map(str::trim).filter(|v| !v.is_empty());
    let parsed = date.map(CivilDate::parse);
    let refuse = |message: &str| vec![(format!("task-date-{id}"), message.to_owned())];
    let step = match (a.get("action"), parsed) {
        (_, Some(None)) => {
            return super::incident::incident_again(
                &app,
                &p,
                &rec,
                &a,
                &refuse("Enter the date as a real date, for example 2026-03-01"),
            )
            .await;
        }
        (Some("done"), on) => TaskStep::Done {
            on: on.flatten().unwrap_or_else(|| app.register.today()),
            reference: text("reference"),
            note: text("note"),
        },
        (Some("not-needed"), _) => TaskStep::NotNeeded {
            reason: text("note").unwrap_or_default(),
        },
        (Some("due"), Some(Some(on))) => TaskStep::Due { on },
        (Some("due"), _) => {
            return super::incident::incident_again(
                &app,
                &p,
                &rec,
                &a,
                &refuse("Enter the new due date"),
            )
            .await;
        }
        _ => return Ok(see_other(&format!("/incidents/{}", enc(&reference)))),
    };
    match app.register.task_step(id, &step, &p.user.username).await {
        Ok(_) => Ok(see_other(&format!("/incidents/{}?task=1", enc(&reference)))),
        Err(RegisterError::Invalid(e)) => {
            let field = match e.field.as_str() {
                "reason" | "note" => "task-note",
                "reference" => "task-reference",
                _ => "task-date",
            };
            let errors = vec![(format!("{field}-{id}"), capital(&e.message))];
            super::incident::incident_again(&app, &p, &rec, &a, &errors).await
        }
        Err(RegisterError::Transition(e)) => {
            let errors = vec![(format!("task-date-{id}"), capital(&e.message))];
            super::incident::incident_again(&app, &p, &rec, &a, &errors).await
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

/// The user's open tasks for the dashboard: those of incidents in their
/// scope, owned by their role or by them, overdue first.
pub(super) async fn mine<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
) -> Result<Vec<TaskRecord>, PageError> {
    if !p.user.may(Action::Investigate) {
        return Ok(Vec::new());
    }
    let scope: Scope = p.user.scope();
    let all = app
        .register
        .store()
        .tasks(&TaskFilter {
            open: true,
            scope: Some(scope),
            ..TaskFilter::default()
        })
        .await
        .for_page(p)?;
    Ok(all
        .into_iter()
        .filter(|t| t.row.owner_user.is_none_or(|u| u == p.user.id))
        .collect())
}

/// The dashboard's list of the user's open tasks.
pub(super) fn dashboard_list(tasks: &[TaskRecord], today: CivilDate) -> Markup {
    html! {
        @if !tasks.is_empty() {
            h2 { "Tasks" }
            ul {
                @for t in tasks.iter().take(20) {
                    li {
                        a href={ "/incidents/" (enc(&t.incident)) "#task-" (t.id) } { (t.incident) } ": " (t.row.kind.label()) ", due " (day(t.row.due)) " " (status_tag(t, today))
                    }
                }
            }
            @if tasks.len() > 20 { p { (tasks.len() - 20) " more: " code { "irmer tasks --open" } "." } }
        }
    }
}
