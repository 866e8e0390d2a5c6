//! "Send to CQC" (or HIW, HIS, RQIA) on a notifiable incident's page: the
//! state of its notification to the authority's irmer, and the form that
//! queues it (investigators); the worker posts it at once and retries it.
//! A licensing breach (notifiable or not) has its own panel, for the
//! authority's licensing breach form. The dashboard lists what could not
//! be sent, with the reason.

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
    /// Whether the incident is to be notified (or voluntarily).
    pub notifiable: bool,
    /// Whether it is a licensing breach (its own form).
    pub licensing: bool,
    pub notification: Option<Sending>,
    pub report: Option<Sending>,
    pub breach: Option<Sending>,
    /// The site of the incident's department, to start the breach's from.
    pub site: Option<String>,
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
    let authority = rec
        .assessment
        .authority
        .unwrap_or(EnforcingAuthority::for_nation(rec.incident.nation));
    let notifiable = matches!(rec.outcome, Outcome::Notifiable | Outcome::Voluntary);
    let licensing = send::licensing_breach(rec);
    if !p.user.may(Action::Investigate) || !(notifiable || licensing) {
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
        notifiable,
        licensing,
        notification: of(SendKind::Notification),
        report: of(SendKind::Report),
        breach: of(SendKind::LicenceBreach),
        site: if licensing {
            send::site_of(&app.register, rec).await.for_page(p)?
        } else {
            None
        },
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
        @if s.notifiable { (notification_panel(p, rec, s, who)) }
        @if s.licensing { (breach_panel(p, rec, s, who)) }
    }
}

/// The licensing breach form's panel: sent, refused, queued, or the form
/// that sends it (with what was wrong).
fn breach_panel(p: &PageUser, rec: &IncidentRecord, s: &SendState, who: &str) -> Markup {
    html! {
        section class="panel" id=(field_id("licence-breach")) tabindex="-1" aria-labelledby="licence-breach-heading" {
            h2 id="licence-breach-heading" { "Licensing breach" }
            p { "A radioactive substance administered without the appropriate ARSAC licence is a breach of regulation 5: notify the ARSAC Support Unit (its task is below)"
                @if s.authority == EnforcingAuthority::Cqc { ", and tell the CQC on its licensing breach form" } @else { ", and a copy to " (who) " is encouraged" }
                ". With a significant accidental or unintended exposure, the statutory notification is made as well." }
            @match &s.breach {
                Some(b) if b.status == MailStatus::Sent => {
                    p { "Sent to " (who) "'s licensing breach form by irmer on " (crate::dates::moment(b.sent_at.unwrap_or(b.created_at))) ". " (who) "'s reference: " strong { (b.authority_reference.as_deref().unwrap_or_default()) } "." }
                }
                Some(b) if b.status == MailStatus::Failed => {
                    div class="notice warning" { p { (who) " refused it: " (b.last_error.as_deref().unwrap_or_default()) } }
                }
                Some(b) => {
                    p { "Queued on " (crate::dates::moment(b.created_at)) "; irmer is sending it." }
                    @if let Some(e) = &b.last_error { div class="notice warning" { p { "Not sent yet: " (e) ". irmer tries again." } } }
                }
                None if !s.connected => {
                    p { "irmer is not connected to " (who) "'s irmer: use " (who) "'s own licensing breach form, and record its reference on the task." }
                }
                None => {
                    form method="post" action={ "/incidents/" (enc(&rec.reference)) "/send-licence-breach" } novalidate {
                        (csrf_field(&p.csrf))
                        fieldset {
                            legend { "What was wrong" }
                            @for (n, (value, label)) in irmer_core::licences::BREACH_KINDS.iter().enumerate() {
                                div class="radio" {
                                    input type="radio" id={ (field_id("breach-kind")) "-" (n) } name="kind" value=(value) required[n == 0];
                                    label for={ (field_id("breach-kind")) "-" (n) } { (label) }
                                }
                            }
                        }
                        div class="field" {
                            label for=(field_id("site")) { "Site (the installation)" }
                            input type="text" id=(field_id("site")) name="site" maxlength="200" value=(s.site.as_deref().unwrap_or_default());
                        }
                        p { "irmer sends whose licence was missing, the site, the substance administered, the discovery date, whether the ARSAC Support Unit was told (its task done) and the summary, after checking each for anything that identifies a person." }
                        button type="submit" { "Send to " (who) "'s licensing breach form" }
                    }
                }
            }
        }
    }
}

/// The notification's panel (and the report's, once notified).
fn notification_panel(p: &PageUser, rec: &IncidentRecord, s: &SendState, who: &str) -> Markup {
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
    queue_and_send(app, p, reference, What::Notification).await
}

pub(super) async fn send_report<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, _a): SignedForm,
) -> PageResult {
    queue_and_send(app, p, reference, What::Report).await
}

pub(super) async fn send_licence_breach<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let what = a.get("kind").unwrap_or_default().to_owned();
    let site = a.get("site").map(str::to_owned);
    queue_and_send(app, p, reference, What::LicenceBreach(what, site)).await
}

/// Which send a form queues.
enum What {
    Notification,
    Report,
    /// With what was wrong and the site as typed.
    LicenceBreach(String, Option<String>),
}

async fn queue_and_send<S: Store + AccountStore>(
    app: App<S>,
    p: PageUser,
    reference: String,
    what: What,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let actor = &p.user.username;
    let (queued, field) = match &what {
        What::Report => (
            send::queue_report(&app.register, &rec.reference, actor).await,
            "send",
        ),
        What::Notification => (
            send::queue_notification(&app.register, &rec.reference, actor).await,
            "send",
        ),
        What::LicenceBreach(kind, site) => (
            send::queue_licence_breach(&app.register, &rec.reference, kind, site.as_deref(), actor)
                .await,
            "licence-breach",
        ),
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
                &[(field.into(), message)],
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
