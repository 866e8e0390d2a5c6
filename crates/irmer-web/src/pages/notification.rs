//! The notification summary's page: what to enter on the authority's
//! form (built and checked for identifiers by the register), or what
//! stopped it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::notification::Notification;
use maud::html;

use super::{ForPage, PageResult, enc, incident_for, show, show_as};
use crate::app::{App, PageUser};
use crate::html::Section;

/// What to enter on the authority's form, in its order, with nothing that
/// identifies a person: no free text, no exact age, no dates of birth.
pub(super) async fn notification<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::See).await?;
    let rows = match app.register.notification(&rec).await.for_page(&p)? {
        Notification::Cleared(rows) => rows,
        Notification::Blocked(blocked) => {
            let body = html! {
                span class="caption" { "Incident " (rec.reference) }
                h1 { "Notification summary" }
                div class="notice warning" role="alert" {
                    p { "This summary is not shown: irmer found what may identify a person in it." }
                    ul { @for (row, kind) in &blocked { li { (row) ": " (kind.describe()) } } }
                    p { "Change the incident so that it identifies no one (for example its reference), then come back." }
                }
                p { a href={ "/incidents/" (enc(&rec.reference)) } { "Back to the incident" } }
            };
            return Ok(show_as(
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Notification summary",
                Section::Register,
                body,
            ));
        }
    };
    let text: String = rows.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    let body = html! {
        span class="caption" { "Incident " (rec.reference) }
        h1 { "Notification summary" }
        p class="lead" { "What to enter on the " (rec.assessment.authority.map_or("enforcing authority", |a| a.name())) "'s IR(ME)R notification form, in its order." }
        @if let Some(authority) = rec.assessment.authority {
            h2 { "How to notify the " (authority.name()) }
            p { (authority.how_to_notify()) }
            p { "Then record the notification, with the authority's reference, on the incident's page." }
        }
        div class="notice warning" {
            p { "Nothing here identifies a person: the description, exact age and dates of birth are left out. Write the form's brief description yourself, without names, NHS or hospital numbers." }
        }
        dl class="summary" {
            @for (k, v) in &rows { dt { (k) } dd { (v) } }
        }
        h2 { "All of it, to copy" }
        pre class="copy-block" id="notification-text" { (text) }
        button class="secondary" type="button" data-copy="notification-text" hidden { "Copy to clipboard" }
        p { a href={ "/incidents/" (enc(&rec.reference)) } { "Back to the incident" } }
    };
    Ok(show(&p, "Notification summary", Section::Register, body))
}
