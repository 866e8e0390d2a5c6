//! "Send to CQC" (or HIW, HIS, RQIA) on a notifiable incident's page: the
//! state of its notification to the authority's irmer, and the form that
//! queues it (investigators); the worker posts it at once and retries it.
//! The dashboard lists what could not be sent, with the reason.

use axum::extract::{Path, State};
use irmer_core::Outcome;
use irmer_core::assessment::EnforcingAuthority;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::mail::MailStatus;
use irmer_store::register::IncidentRecord;
use irmer_store::sends::{SendKind, Sending};
use maud::{Markup, html};

use super::{ForPage, PageError, PageResult, SignedForm, enc, incident_for, see_other};
use crate::app::{App, PageUser};
use crate::html::{csrf_field, field_id};
use crate::send::{self, SendError};

/// What the incident page shows of sending to the authority.
pub(super) struct SendState {
    pub authority: EnforcingAuthority,
    pub connected: bool,
    pub notification: Option<Sending>,
    pub report: Option<Sending>,
    /// Whether a final version of the investigation report is saved.
    pub final_report: bool,
}

/// The state for a notifiable incident (none for anyone who may not send,
/// or an incident that is not to be notified).
pub(super) async fn state<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
) -> Result<Option<SendState>, PageError> {
    let Some(authority) = rec.assessment.authority else {
        return Ok(None);
    };
    if !p.user.may(Action::Investigate)
        || !matches!(rec.outcome, Outcome::Notifiable | Outcome::Voluntary)
    {
        return Ok(None);
    }
    let store = app.register.store();
    let connected = send::connection(store, authority)
        .await
        .for_page(p)?
        .is_some();
    let sends = store.sends_of(&rec.reference).await.for_page(p)?;
    let of = |kind| sends.iter().find(|s| s.kind == kind).cloned();
    let final_report = app
        .register
        .reports(&rec.reference)
        .await
        .for_page(p)?
        .last()
        .is_some_and(|v| v.is_final);
    Ok(Some(SendState {
        authority,
        connected,
        notification: of(SendKind::Notification),
        report: of(SendKind::Report),
        final_report,
    }))
}

/// CQC, HIW, HIS or RQIA.
fn short(a: EnforcingAuthority) -> String {
    a.id().to_ascii_uppercase()
}

/// The panel on the incident page.
pub(super) fn panel(p: &PageUser, rec: &IncidentRecord, s: Option<&SendState>) -> Markup {
    let Some(s) = s else {
        return html! {};
    };
    let who = &short(s.authority);
    html! {
        section class="panel" id=(field_id("send")) tabindex="-1" aria-labelledby="send-heading" {
            h2 id="send-heading" { "Notification to " (who) }
            @match &s.notification {
                Some(n) if n.status == MailStatus::Sent => {
                    p { "Sent by irmer on " (crate::dates::moment(n.sent_at.unwrap_or(n.created_at))) ". " (who) "'s reference: " strong { (n.authority_reference.as_deref().unwrap_or_default()) } "." }
                }
                Some(n) if n.status == MailStatus::Failed => {
                    div class="notice warning" { p { (who) " refused it: " (n.last_error.as_deref().unwrap_or_default()) } }
                    p { "Correct what it names, then notify " (who) " by its own form and record the notification below." }
                }
                Some(n) => {
                    p { "Queued on " (crate::dates::moment(n.created_at)) "; irmer is sending it." }
                    @if let Some(e) = &n.last_error { div class="notice warning" { p { "Not sent yet (" (n.attempts) " attempt" @if n.attempts != 1 { "s" } "): " (e) ". irmer tries again." } } }
                }
                None if rec.milestones.notified_on.is_some() => {
                    p { "The notification was recorded by hand." }
                }
                None if !s.connected => {
                    p { "irmer is not connected to " (who) "'s irmer: notify " (who) " by its own form, then record the notification below. An administrator can connect it (" code { "irmer authority connect" } ")." }
                }
                None => {
                    form method="post" action={ "/incidents/" (enc(&rec.reference)) "/send" } {
                        (csrf_field(&p.csrf))
                        p { "irmer sends the incident's facts, its summary and the codes to " (who) "'s irmer, after checking every text for anything that identifies a person, and records the reference " (who) " answers with." }
                        button type="submit" { "Send to " (who) }
                    }
                }
            }
            @if s.connected && rec.milestones.authority_reference.is_some() {
                h3 { "The investigation report" }
                @match &s.report {
                    Some(r) if r.status == MailStatus::Sent => {
                        p { "Sent by irmer on " (crate::dates::moment(r.sent_at.unwrap_or(r.created_at))) "." }
                    }
                    Some(r) if r.status == MailStatus::Failed => {
                        div class="notice warning" { p { (who) " refused it: " (r.last_error.as_deref().unwrap_or_default()) } }
                    }
                    Some(r) => {
                        p { "Queued; irmer is sending it." }
                        @if let Some(e) = &r.last_error { div class="notice warning" { p { "Not sent yet: " (e) ". irmer tries again." } } }
                    }
                    None if rec.milestones.report_sent_on.is_some() => {
                        p { "The report's sending was recorded by hand." }
                    }
                    None if s.final_report => {
                        form method="post" action={ "/incidents/" (enc(&rec.reference)) "/send-report" } {
                            (csrf_field(&p.csrf))
                            p { "irmer sends the final version as text, after checking it for anything that identifies a person." }
                            button type="submit" { "Send the report to " (who) }
                        }
                    }
                    None => {
                        p { "Save a final version of the investigation report to send it from here." }
                    }
                }
            }
        }
    }
}

pub(super) async fn send_incident<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, _a): SignedForm,
) -> PageResult {
    queue_and_send(app, p, reference, false).await
}

pub(super) async fn send_report<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, _a): SignedForm,
) -> PageResult {
    queue_and_send(app, p, reference, true).await
}

async fn queue_and_send<S: Store + AccountStore>(
    app: App<S>,
    p: PageUser,
    reference: String,
    report: bool,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let queued = if report {
        send::queue_report(&app.register, &rec.reference, &p.user.username).await
    } else {
        send::queue_notification(&app.register, &rec.reference, &p.user.username).await
    };
    match queued {
        Ok(_) => {
            // Posted now rather than at the worker's next pass.
            let register = app.register.clone();
            let actor = p.user.username.clone();
            tokio::spawn(async move {
                if let Ok(http) = send::http() {
                    let _ = send::deliver_sends(&register, &http, register.now(), &actor).await;
                }
            });
            Ok(see_other(&format!("/incidents/{}?sent=1", enc(&reference))))
        }
        Err(SendError::Register(e)) => Err(PageError::from(e).for_user(&p)),
        Err(e) => {
            let message = match e {
                SendError::Refused { field, message } => format!("Not sent: {field}: {message}"),
                other => format!("Not sent: {other}"),
            };
            super::incident::incident_again(
                &app,
                &p,
                &rec,
                &Default::default(),
                &[("send".into(), message)],
            )
            .await
        }
    }
}

/// The dashboard's list: notifications that could not be sent.
pub(super) async fn troubled<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
) -> Result<Vec<Sending>, PageError> {
    if !p.user.may(Action::Investigate) {
        return Ok(Vec::new());
    }
    let all = app.register.store().troubled_sends(20).await.for_page(p)?;
    // Only what the user may see.
    let mut mine = Vec::new();
    for s in all {
        if app
            .register
            .get_in(&s.reference, p.user.scope())
            .await
            .is_ok()
        {
            mine.push(s);
        }
    }
    Ok(mine)
}
