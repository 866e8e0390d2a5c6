//! Who an incident is about (the patient, the staff involved), on a page of
//! its own so that it is never on screen by accident: investigators and
//! administrators only. The incident page links to it; nothing else shows
//! it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::identity::{Identity, Patient, StaffMember};
use irmer_store::register::RegisterError;
use maud::{Markup, html};
use serde_json::json;

use super::{ForPage, PageError, PageResult, SignedForm, enc, incident_for, see_other, show_as};
use crate::app::{App, PageUser};
use crate::form::Answers;
use crate::html::{Section, csrf_field, error_summary, field_id};

/// Blank staff rows offered below those recorded.
const BLANK_STAFF_ROWS: usize = 2;

pub(super) async fn identity_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    incident_for(&app, &p, &reference, Action::HandleIdentity).await?;
    let identity = app
        .register
        .identity(&reference)
        .await
        .for_page(&p)?
        .unwrap_or_default();
    Ok(identity_form(
        &p,
        &reference,
        &identity,
        &[],
        StatusCode::OK,
    ))
}

fn identity_form(
    p: &PageUser,
    reference: &str,
    id: &Identity,
    errors: &[(String, String)],
    status: StatusCode,
) -> axum::response::Response {
    let error_for = |f: &str| errors.iter().find(|(n, _)| n == f).map(|(_, m)| m.clone());
    let field = |name: &str, label: &str, hint: &str, value: Option<&str>| {
        let e = error_for(name);
        let hint_id = format!("{}-hint", field_id(name));
        html! {
            div class={ "field" @if e.is_some() { " error" } } {
                label for=(field_id(name)) { (label) }
                @if !hint.is_empty() { span class="hint" id=(hint_id) { (hint) } }
                @if let Some(e) = e { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                input type="text" id=(field_id(name)) name=(name) value=[value] autocomplete="off" spellcheck="false"
                    aria-describedby=[(!hint.is_empty()).then_some(&hint_id)];
            }
        }
    };
    let rows = id.staff.len() + BLANK_STAFF_ROWS;
    let body: Markup = html! {
        (error_summary(errors))
        span class="caption" { "Incident " (reference) }
        h1 { "Who is involved" }
        div class="notice" {
            p { "Kept apart from the incident's facts. Only investigators and administrators see this page. "
                "It is never written into a report, a notification summary, an export or the API's records; "
                "irmer looks for these names and numbers in everything that leaves, and blocks it until they are removed." }
        }
        form method="post" action={ "/incidents/" (enc(reference)) "/identity" } novalidate {
            (csrf_field(&p.csrf))
            fieldset {
                legend { h2 { "The patient" } }
                (field("patient.name", "Name", "As on the request, for example Jane Smith.", id.patient.name.as_deref()))
                (field("patient.health_number", "NHS, CHI or H&C number", "Ten digits; spaces are fine. The check digit is checked.", id.patient.health_number.as_deref()))
                (field("patient.date_of_birth", "Date of birth", "YYYY-MM-DD, for example 1958-02-03.", id.patient.date_of_birth.as_deref()))
                (field("patient.hospital_number", "Hospital number", "", id.patient.hospital_number.as_deref()))
            }
            fieldset {
                legend { h2 { "Staff involved" } }
                p class="hint" { "Each by what they did (radiographer, referrer, practitioner, operator): a redaction writes that in their place, numbered, such as [radiographer 1]. Leave a row empty to remove it." }
                @for i in 0..rows {
                    @let s = id.staff.get(i);
                    div class="columns" {
                        (field(&format!("staff.{i}.role"), &format!("Role {}", i + 1), "", s.map(|s| s.role.as_str())))
                        (field(&format!("staff.{i}.name"), &format!("Name {}", i + 1), "", s.map(|s| s.name.as_str())))
                    }
                }
            }
            button type="submit" { "Save" }
        }
        p { a href={ "/incidents/" (enc(reference)) } { "Back to the incident" } }
    };
    show_as(p, status, "Who is involved", Section::Register, body)
}

/// The identity the form describes (rows with neither role nor name are
/// dropped; a row with one of them is sent on, to be refused by name).
fn from_form(a: &Answers) -> Identity {
    let text = |name: &str| {
        a.get(name)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let mut staff = Vec::new();
    for i in 0.. {
        let (role, name) = (
            a.get(&format!("staff.{i}.role")),
            a.get(&format!("staff.{i}.name")),
        );
        if role.is_none() && name.is_none() {
            break;
        }
        let (role, name) = (role.unwrap_or("").trim(), name.unwrap_or("").trim());
        if !role.is_empty() || !name.is_empty() {
            staff.push(StaffMember {
                role: role.to_owned(),
                name: name.to_owned(),
            });
        }
    }
    Identity {
        patient: Patient {
            name: text("patient.name"),
            health_number: text("patient.health_number"),
            date_of_birth: text("patient.date_of_birth"),
            hospital_number: text("patient.hospital_number"),
        },
        staff,
    }
}

pub(super) async fn save_identity<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    incident_for(&app, &p, &reference, Action::HandleIdentity).await?;
    let identity = from_form(&a);
    let value = serde_json::to_value(&identity).unwrap_or_else(|_| json!({}));
    match app
        .register
        .set_identity(&reference, &value, &p.user.username)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/incidents/{}?identity=1",
            enc(&reference)
        ))),
        Err(RegisterError::Invalid(e)) => {
            // staff[0].role is the form's staff.0.role.
            let field = e.field.replace('[', ".").replace(']', "");
            let message = format!("{}: {}", field_label(&field), e.message);
            Ok(identity_form(
                &p,
                &reference,
                &identity,
                &[(field, message)],
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

fn field_label(field: &str) -> String {
    match field {
        "patient.name" => "Name".into(),
        "patient.health_number" => "NHS, CHI or H&C number".into(),
        "patient.date_of_birth" => "Date of birth".into(),
        "patient.hospital_number" => "Hospital number".into(),
        other => match other.strip_prefix("staff.") {
            Some(rest) => {
                let (i, what) = rest.split_once('.').unwrap_or((rest, "entry"));
                let n = i.parse::<usize>().map_or(0, |i| i + 1);
                format!("Staff {n}, {what}")
            }
            None => "This answer".into(),
        },
    }
}
