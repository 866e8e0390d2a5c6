//! A possible theme (code M): the incidents that share a coded cause with
//! this one within the window and the user's scope, and the decision: confirm
//! it (the incident's `theme` is set, and the engine adds M) or dismiss it
//! (not suggested again for the same incidents), with a reason either way.
//! Investigators and administrators.

use axum::extract::{Path, State};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::register::{IncidentRecord, RegisterError};
use irmer_store::theme::{Decided, Decision, Suggestion, Within};
use maud::{Markup, html};

use super::{
    ForPage, PageError, PageResult, SignedForm, capital, enc, incident_for, see_other, show_as,
    status_of,
};
use crate::app::{App, PageUser};
use crate::html::{Section, csrf_field, error_summary, field_id};

pub(super) async fn theme_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    theme_again(&app, &p, &rec, ("", ""), &[]).await
}

async fn theme_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
    (cause_typed, reason_typed): (&str, &str),
    errors: &[(String, String)],
) -> PageResult {
    let window = app.register.theme_window().await.for_page(p)?;
    let found = suggested(app, p, rec).await?;
    let decided = app
        .register
        .theme_decisions(&rec.reference)
        .await
        .for_page(p)?;
    let r = enc(&rec.reference);
    let error_for = |f: &str| errors.iter().find(|(n, _)| n == f).map(|(_, m)| m.clone());
    let body = html! {
        (error_summary(errors))
        span class="caption" { "Incident " (rec.reference) }
        h1 { "Possible theme" }
        p { "Incidents that share a coded cause with this one, discovered within " (window) " months either side of it, among those you may see. Confirming a theme marks this incident as part of it: the assessment then applies code M (notifiable whatever each individual's dose, for an accidental or unintended exposure with an error). Dismissing it says why it is not one; it is not suggested again for the same incidents." }
        @if rec.incident.theme {
            div class="notice" { p { "This incident is already part of a confirmed theme." } }
        } @else if found.is_empty() {
            p { "No theme is suggested for this incident now." }
        }
        div id=(field_id("cause")) tabindex="-1" {
            @for s in &found {
                (suggestion(p, rec, s, (cause_typed, reason_typed), &error_for))
            }
        }
        @if !decided.is_empty() {
            h2 { "Decisions" }
            ul {
                @for d in &decided { li { (decision_words(app, d)) } }
            }
        }
        p { a href={ "/incidents/" (r) } { "Back to the incident" } }
    };
    Ok(show_as(
        p,
        status_of(errors),
        &format!("Possible theme: incident {}", rec.reference),
        Section::Register,
        body,
    ))
}

/// The themes suggested for the incident, for a user who may decide them
/// (none for anyone else).
pub(super) async fn suggested<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
) -> Result<Vec<Suggestion>, PageError> {
    if !p.user.may(Action::Investigate) {
        return Ok(Vec::new());
    }
    let window = app.register.theme_window().await.for_page(p)?;
    app.register
        .theme_suggestions(rec, Within::new(Some(p.user.scope()), window))
        .await
        .for_page(p)
}

/// The incident page's notice of a possible theme.
pub(super) fn notice(rec: &IncidentRecord, found: &[Suggestion]) -> Markup {
    html! {
        @if !found.is_empty() {
            div class="notice" {
                h2 { "Possible theme" }
                ul {
                    @for s in found {
                        li { (s.incidents.len()) @if s.more { " or more" } " other " (if s.incidents.len() == 1 && !s.more { "incident shares" } else { "incidents share" }) " the cause " strong { (s.cause_words) } "." }
                    }
                }
                p { a href={ "/incidents/" (enc(&rec.reference)) "/theme" } { "Review the possible theme" } }
            }
        }
    }
}

fn suggestion(
    p: &PageUser,
    rec: &IncidentRecord,
    s: &Suggestion,
    (cause_typed, reason_typed): (&str, &str),
    error_for: &dyn Fn(&str) -> Option<String>,
) -> Markup {
    let r = enc(&rec.reference);
    let id = s.cause.replace('.', "-");
    let mine = cause_typed == s.cause;
    let reason_error = if mine { error_for("reason") } else { None };
    let reason_id = if mine {
        field_id("reason")
    } else {
        format!("reason-{id}")
    };
    html! {
        section aria-labelledby={ "theme-" (id) } {
            h2 id={ "theme-" (id) } { (s.cause_words) }
            p { (s.incidents.len()) @if s.more { " or more" } " other " (if s.incidents.len() == 1 && !s.more { "incident shares" } else { "incidents share" }) " this cause:" }
            table class="stack" {
                caption class="visually-hidden" { "Incidents with the cause " (s.cause_words) }
                thead { tr { th scope="col" { "Incident" } th scope="col" { "Discovered" } th scope="col" { "Modality" } th scope="col" { "Codes" } } }
                tbody {
                    @for i in &s.incidents {
                        tr {
                            td data-label="Incident" { a href={ "/incidents/" (enc(&i.reference)) } { (i.reference) } }
                            td data-label="Discovered" { (crate::dates::day(i.discovered)) }
                            td data-label="Modality" { (i.modality.label()) }
                            td data-label="Codes" { (i.codes) @if i.in_theme { " (part of a confirmed theme)" } }
                        }
                    }
                }
            }
            form method="post" action={ "/incidents/" (r) "/theme" } novalidate {
                (csrf_field(&p.csrf))
                input type="hidden" name="version" value=(rec.version);
                input type="hidden" name="cause" value=(s.cause);
                div class={ "field" @if reason_error.is_some() { " error" } } {
                    label for=(reason_id) { "Why is this, or is this not, a theme?" }
                    span class="hint" id={ "hint-" (id) } { "Recorded in the history with your name. Never a name or a number." }
                    @if let Some(e) = &reason_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                    input type="text" id=(reason_id) name="reason" value=(if mine { reason_typed } else { "" }) aria-describedby={ "hint-" (id) };
                }
                button type="submit" name="decision" value="confirm" { "Confirm the theme" }
                " "
                button type="submit" class="secondary" name="decision" value="dismiss" { "Not a theme" }
            }
        }
    }
}

/// A recorded decision in words.
fn decision_words<S: Store>(app: &App<S>, d: &Decided) -> String {
    let cause = irmer_stats::tally::describe(
        irmer_stats::tally::Field::CauseTier3,
        Some(&d.cause),
        app.register.taxonomy(),
    );
    let verb = match d.decision {
        Decision::Confirmed => "Confirmed",
        Decision::Dismissed => "Dismissed",
    };
    format!(
        "{verb}: {cause}, shared with {} (a {}-month window)",
        d.incidents.join(", "),
        d.window_months
    )
}

pub(super) async fn decide_theme<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let cause = a.get("cause").unwrap_or_default();
    let reason = a.get("reason").unwrap_or_default();
    let version = a
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(rec.version);
    let window = app.register.theme_window().await.for_page(&p)?;
    let scope = Some(p.user.scope());
    let actor = &p.user.username;
    let decided = match a.get("decision") {
        Some("confirm") if reason.trim().is_empty() => Err(missing_reason()),
        Some("confirm") => {
            app.register
                .confirm_theme(
                    &reference,
                    version,
                    cause,
                    reason,
                    actor,
                    Within::new(scope, window),
                )
                .await
        }
        Some("dismiss") => {
            app.register
                .dismiss_theme(&reference, cause, reason, actor, Within::new(scope, window))
                .await
        }
        _ => Err(RegisterError::Invalid(irmer_core::parse::InputError {
            field: "decision".into(),
            message: "choose to confirm the theme or to dismiss it".into(),
            position: None,
        })),
    };
    match decided {
        Ok(_) => Ok(see_other(&format!(
            "/incidents/{}?theme={}",
            enc(&reference),
            if a.get("decision") == Some("confirm") {
                "confirmed"
            } else {
                "dismissed"
            }
        ))),
        Err(RegisterError::Invalid(e)) => {
            let field = if e.field == "reason" {
                "reason"
            } else {
                "cause"
            };
            let errors = [(field.to_owned(), capital(&e.message))];
            theme_again(&app, &p, &rec, (cause, reason), &errors).await
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

fn missing_reason() -> RegisterError {
    RegisterError::Invalid(irmer_core::parse::InputError {
        field: "reason".into(),
        message: "say why this is a theme (it is kept in the history)".into(),
        position: None,
    })
}
