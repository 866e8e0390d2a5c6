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
use irmer_store::theme::Suggestion;
use irmer_store::{EventKind, Store};
use maud::{Markup, html};
use serde_json::Value;

use super::reporting::{incident_from, report_body};
use super::{
    ForPage, PageError, PageResult, Places, SignedForm, capital, enc, incident_for, see_other,
    show, show_as, status_of, status_words,
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
    let places = Places::load(app.accounts.store()).await.for_page(&p)?;
    let themes = super::themes::suggested(&app, &p, &record).await?;
    let sending = super::sending::state(&app, &p, &record).await?;
    let tasks = super::tasks::of(&app, &p, &record).await?;
    let licence = licence_of(&app, &record, &places).await?;
    let notice = match raw.as_deref() {
        Some("changed=1") => Some("Change saved and the incident assessed again."),
        Some("step=1") => Some("Step recorded."),
        Some("commented=1") => Some("Comment added."),
        Some("identity=1") => Some("Who is involved: saved, apart from the facts."),
        Some("theme=confirmed") => Some("Theme confirmed: the incident was assessed again."),
        Some("theme=dismissed") => Some("Theme dismissed."),
        Some("sent=1") => Some("Queued for the authority: irmer is sending it now."),
        Some("task=1") => Some("Task saved."),
        _ => None,
    };
    Ok(show(
        &p,
        &format!("Incident {}", record.reference),
        Section::Register,
        incident_body(
            &app,
            &p,
            (&record, &places),
            Panels {
                history: &history,
                themes: &themes,
                sending: sending.as_ref(),
                tasks: &tasks,
                licence: licence.as_ref(),
            },
            (notice, &Answers::default()),
            &[],
        ),
    ))
}

/// What the incident page shows beside the incident itself.
struct Panels<'a> {
    history: &'a [HistoryEntry],
    themes: &'a [Suggestion],
    sending: Option<&'a super::sending::SendState>,
    tasks: &'a super::tasks::Tasks,
    licence: Option<&'a irmer_store::licences::LicenceFinding>,
}

fn incident_body<S: Store>(
    app: &App<S>,
    p: &PageUser,
    (rec, places): (&IncidentRecord, &Places),
    Panels {
        history,
        themes,
        sending,
        tasks,
        licence,
    }: Panels<'_>,
    (notice, typed): (Option<&str>, &Answers),
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
        @if let Some(title) = &rec.incident.title { p class="lead" { (title) } }
        p {
            strong { "Status: " (status_words(rec.status)) } " · " (outcome_tag(rec.outcome))
            @if let Some(theirs) = &rec.milestones.authority_reference { " · The authority's reference: " strong { (theirs) } }
        }
        p { (clocks(rec.deadline_status(today).as_ref())) }
        (super::themes::notice(rec, themes))
        (super::sending::panel(p, rec, sending))
        (licence_notice(licence))
        (super::tasks::panel(p, rec, tasks, today, typed))
        p {
            @if p.user.may(Action::Investigate) { a class="button secondary" href={ "/incidents/" (r) "/edit" } { "Change the facts" } }
            @if p.user.may(Action::Investigate) { a class="button secondary" href={ "/incidents/" (r) "/causes" } { "Code the causes" } }
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
                @if !rec.incident.causes.is_empty() || !rec.incident.contributing_factors.is_empty() {
                    h2 { "Causes" }
                    ul {
                        @for code in &rec.incident.causes {
                            li {
                                @match app.register.taxonomy().path(code) {
                                    Some([one, two, three]) => { (one.name) " › " (two.name) " › " strong { (three.name) } }
                                    None => { code { (code) } }
                                }
                            }
                        }
                    }
                    @if !rec.incident.contributing_factors.is_empty() {
                        p { "Contributing factors: " (rec.incident.contributing_factors.join("; ")) }
                    }
                }
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
                @if p.user.may(Action::Investigate) { (step_forms(p, rec, today, typed)) }
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

/// Whether the incident's administration was covered by the ARSAC
/// licence register (`None`: no substance, or no register kept).
async fn licence_of<S: Store + AccountStore>(
    app: &App<S>,
    rec: &IncidentRecord,
    places: &Places,
) -> Result<Option<irmer_store::licences::LicenceFinding>, PageError> {
    let (_, licences) = app.register.licences().await?;
    Ok(irmer_store::licences::check(
        rec,
        &licences,
        places.site_of(rec.owner.department),
    ))
}

fn licence_notice(finding: Option<&irmer_store::licences::LicenceFinding>) -> Markup {
    use irmer_core::licences::Holder;
    html! {
        @if let Some(f) = finding {
            @if !f.missing.is_empty() {
                div class="notice warning" role="status" {
                    h2 { "Possible licensing breach" }
                    p {
                        "The ARSAC licence register holds no valid "
                        @for (n, h) in f.missing.iter().enumerate() {
                            @if n > 0 { " or " }
                            @match h { Holder::Employer => { "employer's licence for " (f.site.as_deref().unwrap_or("the site")) }, Holder::Practitioner => { "practitioner's licence" } }
                        }
                        " covering " (f.substance) " on " (crate::dates::day(f.day)) ". If none was held, it is a breach of regulation 5: notify the ARSAC Support Unit (and in England, the CQC's licensing breach form)."
                    }
                    @if f.site.is_none() { p { "The incident's department names no site, so the employer's licence was not checked." } }
                }
            }
        }
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
        Reopen => "Reopened",
        Theme if h.data.get("decision").and_then(Value::as_str) == Some("confirmed") => {
            "Theme confirmed"
        }
        Theme => "Theme dismissed",
        Task => match h.data.get("why").and_then(Value::as_str) {
            Some("done") => "Task done",
            Some("not-needed") => "Task marked not needed",
            Some("due") => "Task's due date changed",
            Some("assigned") => "Task assigned",
            _ => "Tasks follow the assessment",
        },
    }
}

/// The forms for the steps that fit the incident's state and outcome now
/// (`possible_steps`, held to the lifecycle's rules by its test), and
/// nothing else; what was typed into one (`typed`) is kept.
fn step_forms(p: &PageUser, rec: &IncidentRecord, today: CivilDate, typed: &Answers) -> Markup {
    let r = enc(&rec.reference);
    let steps = irmer_core::lifecycle::possible_steps(rec.status, rec.outcome);
    let can = |step: &str| steps.contains(&step);
    let mine = |action: &str| typed.get("action") == Some(action);
    let date_field = |id: &str, action: &str| {
        let value = typed
            .get("date")
            .filter(|_| mine(action))
            .map_or_else(|| today.to_string(), str::to_owned);
        html! {
            div class="field" {
                label for=(field_id(id)) { "Date" }
                input class="short" type="date" id=(field_id(id)) name="date" value=(value);
            }
        }
    };
    let kept = |action: &str, name: &str| {
        typed
            .get(name)
            .filter(|_| mine(action))
            .unwrap_or_default()
            .to_owned()
    };
    let close = |action: &str, heading: &str, hint: &str| {
        html! {
            form method="post" action={ "/incidents/" (r) "/steps" } novalidate {
                h3 { (heading) }
                (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                input type="hidden" name="action" value=(action);
                (date_field("close-date", action))
                div class="field" {
                    label for=(field_id("findings")) { "Findings" }
                    span class="hint" id="findings-hint" { (hint) }
                    textarea id=(field_id("findings")) name="findings" rows="3" aria-describedby="findings-hint" { (kept(action, "findings")) }
                }
                button class="secondary" type="submit" { "Continue" }
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
                form method="post" action={ "/incidents/" (r) "/steps" } novalidate {
                    h3 { "The authority was notified" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="record-notification";
                    (date_field("notified-date", "record-notification"))
                    div class="field" {
                        label for=(field_id("authority_reference")) { "The authority's reference" }
                        span class="hint" id="authority-reference-hint" { "From its acknowledgement e-mail." }
                        input type="text" id=(field_id("authority_reference")) name="authority_reference" value=(kept("record-notification", "authority_reference")) aria-describedby="authority-reference-hint";
                    }
                    button class="secondary" type="submit" { "Record the notification" }
                }
            }
            @if can("record-report-sent") {
                form method="post" action={ "/incidents/" (r) "/steps" } novalidate {
                    h3 { "The investigation report was sent" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="record-report-sent";
                    (date_field("report-date", "record-report-sent"))
                    button class="secondary" type="submit" { "Record the report" }
                }
            }
            @if can("close") {
                (close("close", "Close: the authority has closed it", "What the investigation found and what changed, as agreed with the authority. You check it before it is recorded."))
            }
            @if can("close-locally") {
                (close("close-locally", "Close locally", "Not notifiable: what the investigation found and what changed. Never a patient's name or number. You check it before it is recorded."))
            }
            @if can("reopen") {
                form method="post" action={ "/incidents/" (r) "/steps" } novalidate {
                    h3 { "Reopen the incident" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="reopen";
                    div class="field" {
                        label for=(field_id("reopen_reason")) { "Why is it reopened?" }
                        span class="hint" id="reopen-hint" { "For example new facts, or a finding in doubt. The history keeps it, with the closing it undoes." }
                        textarea id=(field_id("reopen_reason")) name="reason" rows="3" aria-describedby="reopen-hint" { (kept("reopen", "reason")) }
                    }
                    button class="secondary" type="submit" { "Reopen the incident" }
                }
            }
            @if rec.status.is_open() && !can("close") && !can("close-locally") {
                p class="hint" { "Closing locally needs an assessment of not notifiable; a notifiable incident closes once the authority has been notified and sent the investigation report." }
            }
        }
    }
}

/// The form's field a step's error belongs to.
fn step_error_field(action: Option<&str>, field: &str) -> &'static str {
    match (action, field) {
        (_, "findings") => "findings",
        (_, "reason") | (Some("reopen"), _) => "reopen_reason",
        (_, "authority_reference") => "authority_reference",
        (Some("record-notification"), _) => "notified-date",
        (Some("record-report-sent"), _) => "report-date",
        _ => "close-date",
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
    let action = a.get("action");
    let step = match serde_json::from_value::<Transition>(Value::Object(wire)) {
        Ok(step) => step,
        Err(e) => {
            let e = e.to_string();
            let missing = e
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("date");
            let message = match missing {
                "findings" => "Enter what the investigation found",
                "authority_reference" => "Enter the authority's reference",
                _ => "Enter the date as a real date, for example 2026-03-01",
            };
            let field = step_error_field(action, missing);
            return incident_again(&app, &p, &rec, &a, &[(field.into(), message.into())]).await;
        }
    };
    let reason = a.get("reason");
    if step == Transition::Reopen && reason.is_none() {
        let message = "Say why the incident is reopened";
        return incident_again(
            &app,
            &p,
            &rec,
            &a,
            &[("reopen_reason".into(), message.into())],
        )
        .await;
    }
    let closing = matches!(
        step,
        Transition::Close { .. } | Transition::CloseLocally { .. }
    );
    let result = match (closing, a.get("confirm")) {
        // Back from the check, to change what was typed.
        (true, Some("change")) => return incident_again(&app, &p, &rec, &a, &[]).await,
        // A closing is recorded only once confirmed on its check page;
        // until then it is checked and shown.
        (true, confirm) if confirm != Some("yes") => {
            match app.register.check_step(&rec, &step, reason) {
                Ok(()) => return Ok(confirm_close(&p, &rec, &step)),
                Err(e) => Err(e),
            }
        }
        _ => app
            .register
            .transition(&reference, version, &step, reason, &p.user.username)
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/incidents/{}?step=1", enc(&reference)))),
        Err(RegisterError::Invalid(e)) => {
            let field = step_error_field(action, &e.field);
            incident_again(&app, &p, &rec, &a, &[(field.into(), capital(&e.message))]).await
        }
        Err(RegisterError::Transition(e)) => {
            let field = step_error_field(action, e.field);
            incident_again(&app, &p, &rec, &a, &[(field.into(), capital(&e.message))]).await
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

/// "Check before closing": what the closing records, and what it means,
/// with the button that records it and one that goes back to change it.
fn confirm_close(
    p: &PageUser,
    rec: &IncidentRecord,
    step: &Transition,
) -> axum::response::Response {
    let r = enc(&rec.reference);
    let (Transition::Close { date, findings } | Transition::CloseLocally { date, findings }) = step
    else {
        // Only a closing is confirmed; anything else goes back to the page.
        return see_other(&format!("/incidents/{r}"));
    };
    let title = format!("Check before closing incident {}", rec.reference);
    let body = html! {
        span class="caption" { "Incident " (rec.reference) }
        h1 { (title) }
        dl class="summary" {
            dt { "Status now" } dd { (status_words(rec.status)) }
            dt { "Assessment" } dd { (outcome_tag(rec.outcome)) }
            dt { "How it closes" } dd {
                @if matches!(step, Transition::Close { .. }) { "The authority has closed its notification" }
                @else { "Locally: not notifiable" }
            }
            dt { "Date closed" } dd { (crate::dates::day(*date)) }
            dt { "Findings" } dd class="prose" { (findings.trim()) }
        }
        p { "Once closed, the incident leaves the open lists and its clocks stop. An investigator or administrator can reopen it, with a reason; the findings stay in its history." }
        form method="post" action={ "/incidents/" (r) "/steps" } novalidate {
            (csrf_field(&p.csrf))
            input type="hidden" name="version" value=(rec.version);
            input type="hidden" name="action" value=(step.name());
            input type="hidden" name="date" value=(date);
            input type="hidden" name="findings" value=(findings);
            button type="submit" name="confirm" value="yes" { "Close the incident" }
            button class="secondary" type="submit" name="confirm" value="change" { "Change the findings" }
        }
    };
    show(p, &title, Section::Register, body)
}

/// The incident page again, with what was typed and a form's error (422)
/// or none (back from a check, 200).
pub(super) async fn incident_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
    typed: &Answers,
    errors: &[(String, String)],
) -> PageResult {
    let history = app.register.history(&rec.reference).await.for_page(p)?;
    let places = Places::load(app.accounts.store()).await.for_page(p)?;
    let themes = super::themes::suggested(app, p, rec).await?;
    let sending = super::sending::state(app, p, rec).await?;
    let tasks = super::tasks::of(app, p, rec).await?;
    let licence = licence_of(app, rec, &places).await?;
    let status = status_of(errors);
    Ok(show_as(
        p,
        status,
        &format!("Incident {}", rec.reference),
        Section::Register,
        incident_body(
            app,
            p,
            (rec, &places),
            Panels {
                history: &history,
                themes: &themes,
                sending: sending.as_ref(),
                tasks: &tasks,
                licence: licence.as_ref(),
            },
            (None, typed),
            errors,
        ),
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
                &a,
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
