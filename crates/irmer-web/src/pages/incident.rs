//! The incident page (assessment, facts, history, the reporter's original
//! account, comments) and what changes it: its steps, comments and the
//! change of its facts.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use irmer_core::Outcome;
use irmer_core::incident::CivilDate;
use irmer_core::lifecycle::Transition;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::register::{HistoryEntry, IncidentRecord, RegisterError};
use irmer_store::{EventKind, Store};
use maud::{Markup, html};
use serde_json::Value;

use super::reporting::{incident_from, report_body};
use super::{
    ForPage, PageError, PageResult, Places, SignedForm, capital, enc, incident_for, see_other,
    show, show_as, status_words,
};
use crate::app::{App, PageUser};
use crate::form::{self, Answers};
use crate::html::{
    Section, assessment_panel, clocks, csrf_field, error_summary, field_id, outcome_tag,
};

pub(super) async fn incident_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let record = incident_for(&app, &p, &reference, Action::See).await?;
    let history = app.register.history(&reference).await.for_page(&p)?;
    let places = Places::load(&app).await.for_page(&p)?;
    let notice = match raw.as_deref() {
        Some("changed=1") => Some("Change saved and the incident assessed again."),
        Some("step=1") => Some("Step recorded."),
        Some("commented=1") => Some("Comment added."),
        Some("identity=1") => Some("Who is involved: saved, apart from the facts."),
        _ => None,
    };
    Ok(show(
        &p,
        &format!("Incident {}", record.reference),
        Section::Register,
        incident_body(&app, &p, (&record, &places), &history, notice, &[]),
    ))
}

fn incident_body<S: Store>(
    app: &App<S>,
    p: &PageUser,
    (rec, places): (&IncidentRecord, &Places),
    history: &[HistoryEntry],
    notice: Option<&str>,
    errors: &[(String, String)],
) -> Markup {
    let today = app.register.today();
    let r = enc(&rec.reference);
    let facts = serde_json::to_value(&rec.incident).unwrap_or(Value::Null);
    let answers = Answers::from_facts(&facts);
    let comments: Vec<&HistoryEntry> = history
        .iter()
        .filter(|h| h.kind == EventKind::Comment)
        .collect();
    html! {
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        span class="caption" { (rec.incident.modality.label()) " · " (places.department(rec.owner.department)) " · discovered " (crate::dates::day(rec.incident.discovered)) }
        h1 { "Incident " (rec.reference) }
        p {
            strong { "Status: " (status_words(rec.status)) } " · " (outcome_tag(rec.outcome))
            @if let Some(theirs) = &rec.milestones.authority_reference { " · The authority's reference: " strong { (theirs) } }
        }
        p { (clocks(rec.deadline_status(today).as_ref())) }
        p {
            @if p.user.may(Action::Investigate) { a class="button secondary" href={ "/incidents/" (r) "/edit" } { "Change the facts" } }
            @if p.user.may(Action::HandleIdentity) { a class="button secondary" href={ "/incidents/" (r) "/identity" } { "Who is involved" } }
            @if p.user.may(Action::Investigate) && matches!(rec.outcome, Outcome::Notifiable | Outcome::Voluntary) {
                a class="button secondary" href={ "/incidents/" (r) "/report" } { "Investigation report" }
            }
            @if matches!(rec.outcome, Outcome::Notifiable | Outcome::Voluntary) {
                a class="button secondary" href={ "/incidents/" (r) "/notification" } { "Notification summary" }
            }
        }
        div class="columns" {
            div {
                h2 { "Assessment" }
                div class="panel" { (assessment_panel(&rec.assessment)) }
                h2 { "Facts" }
                (form::answers_list(&answers))
                h2 { "History" }
                ol class="timeline" {
                    @for h in history {
                        li {
                            strong { (event_words(h)) } " by " (h.actor) ", " (crate::dates::moment(h.at))
                            @if let Some(reason) = &h.reason { br; "Reason: " (reason) }
                            @if h.kind == EventKind::ReportExported {
                                br; "Version " (h.data.get("report_version").map(Value::to_string).unwrap_or_default())
                                " as " (h.data.get("format").and_then(Value::as_str).unwrap_or_default())
                                ", " (h.data.get("redacted").map(Value::to_string).unwrap_or_default()) " identifiers redacted, SHA-256 "
                                code { (h.data.get("sha256").and_then(Value::as_str).unwrap_or_default()) }
                            }
                            @if h.kind == EventKind::Comment {
                                br; q { (h.data.get("comment").and_then(Value::as_str).unwrap_or_default()) }
                            }
                            @let changes: Vec<_> = h.changes.iter().collect();
                            @if !changes.is_empty() {
                                ul {
                                    @for c in changes {
                                        @if h.kind == EventKind::IdentityChanged {
                                            li { code { (c.field) } " (the values are kept apart)" }
                                        } @else {
                                            li { code { (c.field) } ": " (json_words(c.old.as_ref())) " → " (json_words(c.new.as_ref())) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "The reporter's original account" }
                p class="hint" { "As first submitted; later changes never alter it." }
                (form::answers_list(&Answers::from_facts(&rec.original)))
                details {
                    summary { "As recorded (the contract's JSON)" }
                    pre class="original" { (serde_json::to_string_pretty(&rec.original).unwrap_or_default()) }
                }
            }
            aside {
                @if p.user.may(Action::Investigate) { (step_forms(p, rec, today)) }
                h2 { "Comments (" (comments.len()) ")" }
                @if p.user.may(Action::Comment) {
                    form method="post" action={ "/incidents/" (r) "/comments" } novalidate {
                        (csrf_field(&p.csrf))
                        div class="field" {
                            label for=(field_id("comment")) { "Add a comment" }
                            span class="hint" id="comment-hint" { "For example the MPE's dose estimate. Never a patient's name or number." }
                            textarea id=(field_id("comment")) name="comment" rows="4" aria-describedby="comment-hint" {}
                        }
                        button type="submit" { "Add comment" }
                    }
                }
            }
        }
    }
}

fn json_words(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn event_words(h: &HistoryEntry) -> &'static str {
    use EventKind::*;
    match h.kind {
        Reported => "Reported",
        FactsChanged => "Facts changed",
        StartInvestigation => "Investigation started",
        RecordNotification => "Authority notified",
        RecordReportSent => "Investigation report sent",
        Close => "Closed",
        CloseLocally => "Closed locally",
        Comment => "Comment",
        IdentityChanged => "Identity changed",
        ReportExported => "Investigation report exported",
    }
}

/// The forms for the steps that fit the incident's state and outcome now
/// (`possible_steps`, held to the lifecycle's rules by its test), and
/// nothing else.
fn step_forms(p: &PageUser, rec: &IncidentRecord, today: CivilDate) -> Markup {
    let r = enc(&rec.reference);
    let steps = irmer_core::lifecycle::possible_steps(rec.status, rec.outcome);
    let can = |step: &str| steps.contains(&step);
    let date_field = |id: &str| {
        html! {
            div class="field" {
                label for=(field_id(id)) { "Date" }
                input class="short" type="date" id=(field_id(id)) name="date" value=(today);
            }
        }
    };
    let close = |action: &str, heading: &str, hint: &str| {
        html! {
            form method="post" action={ "/incidents/" (r) "/steps" } {
                h3 { (heading) }
                (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                input type="hidden" name="action" value=(action);
                (date_field("close-date"))
                div class="field" {
                    label for=(field_id("findings")) { "Findings" }
                    span class="hint" id="findings-hint" { (hint) }
                    textarea id=(field_id("findings")) name="findings" rows="3" aria-describedby="findings-hint" {}
                }
                button class="secondary" type="submit" { "Close the incident" }
            }
        }
    };
    html! {
        @if !steps.is_empty() {
            h2 { "Record a step" }
            @if can("start-investigation") {
                form method="post" action={ "/incidents/" (r) "/steps" } {
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="start-investigation";
                    button class="secondary" type="submit" { "Start the investigation" }
                }
            }
            @if can("record-notification") {
                form method="post" action={ "/incidents/" (r) "/steps" } {
                    h3 { "The authority was notified" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="record-notification";
                    (date_field("notified-date"))
                    div class="field" {
                        label for=(field_id("authority_reference")) { "The authority's reference" }
                        span class="hint" id="authority-reference-hint" { "From its acknowledgement e-mail." }
                        input type="text" id=(field_id("authority_reference")) name="authority_reference" aria-describedby="authority-reference-hint";
                    }
                    button class="secondary" type="submit" { "Record the notification" }
                }
            }
            @if can("record-report-sent") {
                form method="post" action={ "/incidents/" (r) "/steps" } {
                    h3 { "The investigation report was sent" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="record-report-sent";
                    (date_field("report-date"))
                    button class="secondary" type="submit" { "Record the report" }
                }
            }
            @if can("close") {
                (close("close", "Close: the authority has closed it", "What the investigation found and what changed, as agreed with the authority."))
            }
            @if can("close-locally") {
                (close("close-locally", "Close locally", "Not notifiable: what the investigation found and what changed. Never a patient's name or number."))
            }
            @if !can("close") && !can("close-locally") {
                p class="hint" { "Closing locally needs an assessment of not notifiable; a notifiable incident closes once the authority has been notified and sent the investigation report." }
            }
        }
    }
}

pub(super) async fn step<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let version = a
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(rec.version);
    let mut wire = serde_json::Map::new();
    for key in ["action", "date", "authority_reference", "findings"] {
        if let Some(v) = a.get(key) {
            wire.insert(key.into(), Value::from(v));
        }
    }
    let parsed: Result<Transition, String> =
        serde_json::from_value(Value::Object(wire)).map_err(|e| e.to_string());
    let result = match parsed {
        Ok(step) => app
            .register
            .transition(&reference, version, &step, None, &p.user.username)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!("The step is not complete: {e}")),
    };
    // The error links to the date of the form that was sent.
    let step_field = match a.get("action") {
        Some("record-notification") => "notified-date",
        Some("record-report-sent") => "report-date",
        _ => "close-date",
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/incidents/{}?step=1", enc(&reference)))),
        Err(message) => {
            incident_again(&app, &p, &rec, &[(step_field.into(), capital(&message))]).await
        }
    }
}

/// The incident page again with a form's error (422).
async fn incident_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
    errors: &[(String, String)],
) -> PageResult {
    let history = app.register.history(&rec.reference).await.for_page(p)?;
    let places = Places::load(app).await.for_page(p)?;
    Ok(show_as(
        p,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("Incident {}", rec.reference),
        Section::Register,
        incident_body(app, p, (rec, &places), &history, None, errors),
    ))
}

pub(super) async fn comment<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Comment).await?;
    match app
        .register
        .comment(
            &reference,
            a.get("comment").unwrap_or_default(),
            &p.user.username,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/incidents/{}?commented=1",
            enc(&reference)
        ))),
        Err(RegisterError::Invalid(_)) => {
            incident_again(
                &app,
                &p,
                &rec,
                &[("comment".into(), "Enter a comment".into())],
            )
            .await
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

pub(super) async fn edit_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let facts = serde_json::to_value(&rec.incident).unwrap_or(Value::Null);
    let answers = Answers::from_facts(&facts);
    Ok(show(
        &p,
        &format!("Change incident {reference}"),
        Section::Register,
        report_body(
            &app,
            &p,
            rec.incident.modality,
            &answers,
            &[],
            None,
            Some(&rec),
        ),
    ))
}

pub(super) async fn edit<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let modality = rec.incident.modality;
    let again = |errors: Vec<(String, String)>, status: StatusCode| {
        show_as(
            &p,
            status,
            &format!("Change incident {reference}"),
            Section::Register,
            report_body(&app, &p, modality, &a, &errors, None, Some(&rec)),
        )
    };
    if a.get("action") == Some("preview") {
        return Ok(again(Vec::new(), StatusCode::OK));
    }
    let json = match incident_from(&a) {
        Ok((_, json)) => json,
        Err(errors) => return Ok(again(errors, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let Some(reason) = a.get("reason") else {
        return Ok(again(
            vec![("reason".into(), "Say why you are making this change".into())],
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let mut old = serde_json::to_value(&rec.incident).unwrap_or(Value::Null);
    let mut new: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    // The form asks what this modality needs: facts it does not ask (an
    // import's, say) are kept as they are. The reference never changes.
    form::keep_unasked(&old, &mut new, modality);
    for v in [&mut old, &mut new] {
        if let Value::Object(m) = v {
            m.remove("reference");
        }
    }
    let version = a
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(rec.version);
    match app
        .register
        .amend(
            &reference,
            version,
            &irmer_core::patch::merge_patch_from(&old, &new),
            reason,
            &p.user.username,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/incidents/{}?changed=1",
            enc(&reference)
        ))),
        Err(RegisterError::Invalid(e)) => Ok(again(
            vec![(form::field_for(&e.field), e.to_string())],
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}
