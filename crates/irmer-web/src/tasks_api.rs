//! The tasks on the API: `GET /api/v1/tasks` (the caller's scope; one
//! object a task) and `POST /api/v1/tasks/{id}/steps` (done, not needed,
//! a new due date; investigators and administrators). A task of an
//! incident outside the caller's scope is "not found", like the incident.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use irmer_core::incident::CivilDate;
use irmer_core::tasks::TaskStep;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::tasks::{TaskFilter, TaskRecord};
use serde_json::{Value, json};

use crate::app::{ApiUser, allow};
use crate::{Problem, json_body, json_response, query};

/// A task as the API shows it.
fn view(t: &TaskRecord) -> Value {
    json!({
        "id": t.id,
        "incident": t.incident,
        "kind": t.row.kind.id(),
        "label": t.row.kind.label(),
        "status": t.row.status.as_str(),
        "due": t.row.due.to_string(),
        "owner": t.row.owner_user.map_or_else(
            || t.row.owner_role.map(|r| format!("role:{}", r.as_str())).unwrap_or_default(),
            |u| format!("user:{u}"),
        ),
        "reference": t.row.reference,
        "done_on": t.row.done_on.map(|d| d.to_string()),
        "note": t.row.note,
        "reason": t.row.reason,
    })
}

fn flag(params: &std::collections::HashMap<String, String>, name: &str) -> Result<bool, Problem> {
    match params.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-parameter",
            "Invalid query parameter",
            format!("{name}: expected true or false, found {other:?}"),
        )
        .field(name)),
    }
}

pub(crate) async fn tasks<S: Store + AccountStore>(
    State(app): State<crate::App<S>>,
    ApiUser(user): ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    allow(&user, Action::See)?;
    let params = query(raw.as_deref(), &["incident", "open", "overdue"])?;
    let today = app.register.today();
    let filter = TaskFilter {
        incident: params.get("incident").cloned(),
        open: flag(&params, "open")?,
        overdue_on: flag(&params, "overdue")?.then_some(today),
        scope: Some(user.scope()),
    };
    let list = app
        .register
        .store()
        .tasks(&filter)
        .await
        .map_err(|e| Problem::from(irmer_store::register::RegisterError::from(e)))?;
    let items: Vec<Value> = list.iter().map(view).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"today": today, "items": items}),
    ))
}

fn not_found(id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!("no task {id}"),
    )
}

/// For an `assign` step, the user to assign to (`None` inside: back to
/// the role); `None` for any other step.
#[allow(clippy::option_option)]
fn owner_of(body: &Value) -> Result<Option<Option<String>>, Problem> {
    let Some(o) = body.as_object() else {
        return Ok(None);
    };
    if o.get("step").and_then(Value::as_str) != Some("assign") {
        return Ok(None);
    }
    if let Some(k) = o.keys().find(|k| !["step", "owner"].contains(&k.as_str())) {
        return Err(Problem::invalid(
            k,
            format!("{k}: not a field of this step"),
        ));
    }
    match o.get("owner") {
        None | Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.trim().to_owned()))),
        Some(_) => Err(Problem::invalid(
            "owner",
            "owner: expected a username or null",
        )),
    }
}

/// The step a body asks for, or the field in error.
fn step_of(body: &Value, today: CivilDate) -> Result<TaskStep, Problem> {
    let Some(o) = body.as_object() else {
        return Err(Problem::invalid("step", "expected a JSON object"));
    };
    let allowed: &[&str] = match o.get("step").and_then(Value::as_str) {
        Some("done") => &["step", "date", "reference", "note"],
        Some("not-needed") => &["step", "reason"],
        Some("due") => &["step", "date"],
        _ => {
            return Err(Problem::invalid(
                "step",
                "expected done, not-needed, due or assign",
            ));
        }
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Problem::invalid(
            k,
            format!("{k}: not a field of this step"),
        ));
    }
    let text = |k: &str| -> Result<Option<String>, Problem> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(Problem::invalid(k, format!("{k}: expected text"))),
        }
    };
    let date = |required: bool| -> Result<Option<CivilDate>, Problem> {
        match text("date")? {
            None if required => Err(Problem::invalid("date", "date: required, but missing")),
            None => Ok(None),
            Some(d) => CivilDate::parse(&d)
                .map(Some)
                .ok_or_else(|| Problem::invalid("date", "date: expected YYYY-MM-DD")),
        }
    };
    Ok(match o.get("step").and_then(Value::as_str) {
        Some("done") => TaskStep::Done {
            on: date(false)?.unwrap_or(today),
            reference: text("reference")?,
            note: text("note")?,
        },
        Some("not-needed") => TaskStep::NotNeeded {
            reason: text("reason")?.unwrap_or_default(),
        },
        _ => TaskStep::Due {
            on: date(true)?.unwrap_or(today),
        },
    })
}

pub(crate) async fn task_step<S: Store + AccountStore>(
    State(app): State<crate::App<S>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    allow(&user, Action::Investigate)?;
    let Ok(number) = id.parse::<i64>() else {
        return Err(not_found(&id));
    };
    // In scope, or not found (whether or not it exists).
    let task = app
        .register
        .store()
        .task(number)
        .await
        .map_err(|e| Problem::from(irmer_store::register::RegisterError::from(e)))?
        .ok_or_else(|| not_found(&id))?;
    app.incident_for(&user, &task.incident, Action::Investigate)
        .await
        .map_err(|_| not_found(&id))?;
    let body = json_body(&body)?;
    let after = match owner_of(&body)? {
        Some(owner) => {
            app.register
                .assign_task(number, owner.as_deref(), &user.username)
                .await
        }
        None => {
            let step = step_of(&body, app.register.today())?;
            app.register.task_step(number, &step, &user.username).await
        }
    }
    .map_err(|e| match e {
        irmer_store::register::RegisterError::Store(irmer_store::StoreError::NotFound(_)) => {
            not_found(&id)
        }
        other => other.into(),
    })?;
    Ok(json_response(StatusCode::OK, &view(&after)))
}
