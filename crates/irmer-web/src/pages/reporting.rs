//! Reporting an incident: the modality first (it decides which criteria
//! apply, and so the questions), then the form with the live assessment
//! beside it; drafts; and the preview the page's script asks for.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use irmer_core::Outcome;
use irmer_core::incident::Modality;
use irmer_store::accounts::{AccountStore, Action, Draft};
use irmer_store::register::{IncidentRecord, RegisterError};
use irmer_store::{Owner, Store, StoreError};
use maud::{Markup, html};

use super::{
    PageError, PageResult, Places, SignedForm, allow, capital, enc, incident_for, see_other, show,
    show_as,
};
use crate::app::{App, PageUser};
use crate::form::{self, Answers};
use crate::html::{Section, assessment_panel, csrf_field, error_summary, field_id};

pub(super) async fn choose_modality<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
) -> PageResult {
    allow(&p, Action::Report)?;
    let drafts = app.accounts.store().drafts(p.user.id).await?;
    let places = places_to_choose(&app, &p).await?;
    Ok(show(
        &p,
        "Report an incident",
        Section::Report,
        modality_question(&p, &drafts, places.as_ref(), None),
    ))
}

/// The departments a report may be placed in, for a user who belongs to
/// none (who sees the whole organisation); `None` for anyone else, whose
/// reports belong to their own department.
async fn places_to_choose<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
) -> Result<Option<Places>, StoreError> {
    if p.user.department_id.is_some() {
        return Ok(None);
    }
    let places = Places::load(app.accounts.store()).await?;
    Ok((!places.departments.is_empty()).then_some(places))
}

/// The department a new report belongs to: the reporter's own, or for a
/// user of the whole organisation the one chosen (`department`, checked
/// to exist), or none.
async fn department_of_report<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    answers: &Answers,
) -> Result<Result<Option<i64>, (String, String)>, StoreError> {
    if p.user.department_id.is_some() {
        return Ok(Ok(p.user.department_id));
    }
    let Some(chosen) = answers.get("department") else {
        return Ok(Ok(None));
    };
    let places = Places::load(app.accounts.store()).await?;
    Ok(chosen
        .parse::<i64>()
        .ok()
        .filter(|id| places.departments.iter().any(|d| d.id == *id))
        .map(Some)
        .ok_or_else(|| {
            (
                "modality".to_owned(),
                "The department chosen is not one of your organisation's: start again from Report an incident".to_owned(),
            )
        }))
}

/// The user's saved, unsent reports, each a link back to its form
/// (nothing when there are none).
pub(super) fn drafts_notice(drafts: &[Draft]) -> Markup {
    html! {
        @if !drafts.is_empty() {
            div class="notice" {
                h2 { "Your saved drafts" }
                ul {
                    @for d in drafts {
                        @let a = Answers(form_urlencoded::parse(d.form.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect());
                        li {
                            a href={ "/report/form?draft=" (d.id) } {
                                (a.get("modality").and_then(Modality::parse).map_or("Incident", Modality::label))
                                @if let Some(day) = a.get("discovered") { ", discovered " (day) }
                            }
                            " (saved " (crate::dates::moment(d.updated_at)) ")"
                        }
                    }
                }
            }
        }
    }
}

fn modality_question(
    p: &PageUser,
    drafts: &[Draft],
    places: Option<&Places>,
    error: Option<&str>,
) -> Markup {
    let errors: Vec<(String, String)> = error
        .map(|e| ("modality".to_owned(), e.to_owned()))
        .into_iter()
        .collect();
    html! {
        (error_summary(&errors))
        (drafts_notice(drafts))
        form method="get" action="/report/form" novalidate {
            div class={ "field" @if error.is_some() { " error" } } {
                fieldset aria-describedby="modality-hint" {
                    legend { h1 { "What was being done?" } }
                    span class="hint" id="modality-hint" { "The modality decides which criteria apply, and so which questions come next. Signed in as " (p.user.display_name) "." }
                    @if let Some(e) = error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                    @for (n, (category, modalities)) in form::modality_groups().into_iter().enumerate() {
                        h2 class="caption" { (capital(category.describe())) }
                        div class="choices" {
                            @for (i, m) in modalities.iter().enumerate() {
                                @let id = if n == 0 && i == 0 { field_id("modality") } else { format!("{}-{}", field_id("modality"), m.as_str()) };
                                label for=(id) { input type="radio" id=(id) name="modality" value=(m.as_str()); span { (m.label()) } }
                            }
                        }
                    }
                }
            }
            @if let Some(places) = places {
                div class="field" {
                    label for=(field_id("department")) { "Where did it happen?" }
                    span class="hint" id="department-hint" { "The department the report belongs to: its investigators see it. You see the whole organisation, so choose." }
                    select id=(field_id("department")) name="department" aria-describedby="department-hint" {
                        option value="" { "The whole organisation" }
                        @for d in &places.departments { option value=(d.id) { (places.department(Some(d.id))) } }
                    }
                }
            }
            button type="submit" { "Continue" }
        }
    }
}

/// The default nation for new reports (an administrator's setting).
pub(super) async fn default_nation<S: AccountStore>(app: &App<S>) -> Result<String, StoreError> {
    Ok(app
        .accounts
        .store()
        .setting("default_nation")
        .await?
        .unwrap_or_else(|| "england".to_owned()))
}

pub(super) async fn report_form<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    allow(&p, Action::Report)?;
    let query = Answers::parse(raw.unwrap_or_default().as_bytes());
    let mut answers = match query.get("draft").and_then(|d| d.parse::<i64>().ok()) {
        Some(id) => {
            let drafts = app.accounts.store().drafts(p.user.id).await?;
            let draft = drafts.into_iter().find(|d| d.id == id).ok_or_else(|| {
                PageError::not_found("There is no such draft of yours.").for_user(&p)
            })?;
            let mut a = Answers::parse(draft.form.as_bytes());
            a.0.push(("draft".into(), id.to_string()));
            a
        }
        None => query,
    };
    let Some(modality) = form::modality(&answers) else {
        let drafts = app.accounts.store().drafts(p.user.id).await?;
        let places = places_to_choose(&app, &p).await?;
        return Ok(show_as(
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Report an incident",
            Section::Report,
            modality_question(
                &p,
                &drafts,
                places.as_ref(),
                Some("Choose what was being done"),
            ),
        ));
    };
    if answers.get("nation").is_none() {
        answers
            .0
            .push(("nation".into(), default_nation(&app).await?));
    }
    if answers.get("dose.unit").is_none() {
        answers.0.push(("dose.unit".into(), "mSv".into()));
    }
    Ok(show(
        &p,
        "Report an incident",
        Section::Report,
        report_body(&app, &p, modality, &answers, &[], None, None),
    ))
}

/// The report form with the assessment beside it.
pub(super) fn report_body<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    modality: Modality,
    answers: &Answers,
    errors: &[(String, String)],
    notice: Option<&str>,
    edit: Option<&IncidentRecord>,
) -> Markup {
    let action = match edit {
        Some(rec) => format!("/incidents/{}/edit", enc(&rec.reference)),
        None => "/report".to_owned(),
    };
    let title = match edit {
        Some(rec) => format!("Change incident {}", rec.reference),
        None => "Report an incident".to_owned(),
    };
    let reason_error = errors
        .iter()
        .find(|(f, _)| f == "reason")
        .map(|(_, m)| m.clone());
    html! {
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        span class="caption" { (modality.label()) " · " (modality.category().describe()) }
        h1 { (title) }
        div class="columns" {
            form method="post" action=(action) data-preview="/report/preview" novalidate {
                (csrf_field(&p.csrf))
                input type="hidden" name="modality" value=(modality.as_str());
                @if let Some(d) = answers.get("draft") { input type="hidden" name="draft" value=(d); }
                @if edit.is_none() {
                    @if let Some(d) = answers.get("department") { input type="hidden" name="department" value=(d); }
                }
                @if let Some(rec) = edit { input type="hidden" name="version" value=(rec.version); }
                @if edit.is_none() {
                    p { a href="/report" { "Change the modality" } }
                }
                (form::questions_for(modality, answers, errors))
                @if edit.is_some() {
                    div class={ "field" @if reason_error.is_some() { " error" } } {
                        label for=(field_id("reason")) { "Why are you making this change?" }
                        span class="hint" id={ (field_id("reason")) "-hint" } { "Recorded in the history with your name. For example: dose recalculated by the MPE." }
                        @if let Some(e) = &reason_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                        input type="text" id=(field_id("reason")) name="reason" value=(answers.get("reason").unwrap_or_default()) aria-describedby={ (field_id("reason")) "-hint" };
                    }
                    button type="submit" name="action" value="save" { "Save the change" }
                } @else {
                    button type="submit" name="action" value="submit" { "Submit the report" }
                    button class="secondary" type="submit" name="action" value="draft" { "Save as draft" }
                }
                button class="secondary" type="submit" name="action" value="preview" { "Check the assessment" }
            }
            aside aria-labelledby="assessment-title" {
                h2 id="assessment-title" { "Assessment so far" }
                div id="assessment" aria-live="polite" { (preview_panel(app, answers)) }
            }
        }
    }
}

/// The engine's answer for the facts entered so far, or what stops it.
fn preview_panel<S: Store>(app: &App<S>, answers: &Answers) -> Markup {
    match incident_from(answers) {
        Ok((incident, _)) => assessment_panel(&irmer_core::assess(
            &incident,
            app.register.guidance(),
            &app.register.settings(),
        )),
        Err(errors) => html! {
            p { "The assessment appears when these are answered:" }
            ul { @for (_, m) in errors.iter().take(5) { li { (m) } } }
        },
    }
}

fn in_form_order(mut errors: Vec<(String, String)>) -> Vec<(String, String)> {
    form::in_form_order(&mut errors);
    errors
}

/// The answers as an incident (and its JSON), or every error by field at
/// once: past an error, the form is read on with a stand-in answer there
/// (never kept), until it reads or an error comes back to a field already
/// in error (a consequence of a stand-in, not shown).
pub fn incident_from(
    answers: &Answers,
) -> Result<(irmer_core::incident::Incident, String), Vec<(String, String)>> {
    let (mut root, mut errors) = form::incident_value(answers)?;
    for (field, _) in &errors {
        form::stand_in(&mut root, field);
    }
    // Each round finds a new field in error or stops; a form has no more
    // fields than questions.
    for _ in 0..=form::questions().count() {
        let json = serde_json::Value::Object(root.clone()).to_string();
        let e = match irmer_core::parse_incident(&json) {
            Ok(incident) if errors.is_empty() => return Ok((incident, json)),
            Ok(_) => return Err(in_form_order(errors)),
            Err(e) => e,
        };
        let field = form::field_for(&e.field);
        if errors.iter().any(|(f, _)| *f == field) {
            return Err(in_form_order(errors));
        }
        let message = match e.message.strip_prefix("required, but missing") {
            Some(_) => form::missing_message(&field),
            None => {
                let label = form::questions()
                    .find(|q| q.name == field)
                    .map_or("This answer", |q| q.label);
                format!("{label}: {}", e.message)
            }
        };
        let more = form::stand_in(&mut root, &field);
        errors.push((field, message));
        if !more {
            return Err(in_form_order(errors));
        }
    }
    Err(in_form_order(errors))
}

pub(super) async fn preview<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(_, a): SignedForm,
) -> PageResult {
    let mut r = preview_panel(&app, &a).into_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

pub(super) async fn report<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, mut a): SignedForm,
) -> PageResult {
    allow(&p, Action::Report)?;
    let Some(modality) = form::modality(&a) else {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is a problem",
            "Choose what was being done first.",
        )
        .for_user(&p));
    };
    let draft = a.get("draft").and_then(|d| d.parse::<i64>().ok());
    match a.get("action").unwrap_or("submit") {
        "draft" => {
            let id = app
                .accounts
                .store()
                .save_draft(p.user.id, draft, &a.encode(), app.register.now())
                .await?;
            a.0.retain(|(k, _)| k != "draft");
            a.0.push(("draft".into(), id.to_string()));
            Ok(show(
                &p,
                "Report an incident",
                Section::Report,
                report_body(
                    &app,
                    &p,
                    modality,
                    &a,
                    &[],
                    Some(
                        "Draft saved. You can come back to it from your dashboard or from \u{201c}Report an incident\u{201d}.",
                    ),
                    None,
                ),
            ))
        }
        "preview" => Ok(show(
            &p,
            "Report an incident",
            Section::Report,
            report_body(&app, &p, modality, &a, &[], None, None),
        )),
        "confirm" => match incident_from(&a) {
            Err(errors) => Ok(form_again(&app, &p, modality, &a, &errors)),
            Ok((_, json)) => {
                let department = match department_of_report(&app, &p, &a).await? {
                    Ok(d) => d,
                    Err(e) => return Ok(form_again(&app, &p, modality, &a, &[e])),
                };
                let owner = Owner {
                    department,
                    reported_by: Some(p.user.id),
                };
                let record = match app
                    .register
                    .report_as(&json, &p.user.username, owner, p.user.scope())
                    .await
                {
                    Ok(r) => r,
                    Err(RegisterError::Invalid(e)) => {
                        let errors = vec![(form::field_for(&e.field), e.to_string())];
                        return Ok(form_again(&app, &p, modality, &a, &errors));
                    }
                    Err(RegisterError::Store(StoreError::Duplicate(r))) => {
                        let errors = vec![(
                            "reference".to_owned(),
                            format!(
                                "Your own reference: {r:?} is already in the register; use another or leave it blank"
                            ),
                        )];
                        return Ok(form_again(&app, &p, modality, &a, &errors));
                    }
                    Err(e) => return Err(PageError::from(e).for_user(&p)),
                };
                if let Some(id) = draft {
                    app.accounts.store().delete_draft(p.user.id, id).await?;
                }
                Ok(see_other(&format!(
                    "/incidents/{}/reported",
                    enc(&record.reference)
                )))
            }
        },
        // Sent from the form: checked, then shown whole for a last look.
        _ => match incident_from(&a) {
            Err(errors) => Ok(form_again(&app, &p, modality, &a, &errors)),
            Ok((_, json)) => match app.register.check_report(&json, p.user.scope()) {
                Ok(incident) => Ok(show(
                    &p,
                    "Check your answers",
                    Section::Report,
                    check_answers(&app, &p, modality, &a, &incident),
                )),
                Err(RegisterError::Invalid(e)) => {
                    let errors = vec![(form::field_for(&e.field), e.to_string())];
                    Ok(form_again(&app, &p, modality, &a, &errors))
                }
                Err(e) => Err(PageError::from(e).for_user(&p)),
            },
        },
    }
}

/// The report form again with its errors (422), everything typed kept.
fn form_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    modality: Modality,
    answers: &Answers,
    errors: &[(String, String)],
) -> axum::response::Response {
    show_as(
        p,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Report an incident",
        Section::Report,
        report_body(app, p, modality, answers, errors, None, None),
    )
}

/// The answers in words with the assessment they give, before anything is
/// recorded: send them, or go back to the form with everything kept.
fn check_answers<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    modality: Modality,
    answers: &Answers,
    incident: &irmer_core::incident::Incident,
) -> Markup {
    let assessment =
        irmer_core::assess(incident, app.register.guidance(), &app.register.settings());
    html! {
        span class="caption" { (modality.label()) " · " (modality.category().describe()) }
        h1 { "Check your answers before sending the report" }
        div class="columns" {
            div {
                (form::answers_list(answers))
                form method="post" action="/report" novalidate {
                    (csrf_field(&p.csrf))
                    @for (k, v) in &answers.0 {
                        @if k != "csrf" && k != "action" { input type="hidden" name=(k) value=(v); }
                    }
                    h2 { "Now send the report" }
                    p { "It is recorded with your name and the date, and assessed again against the criteria. The account you give cannot be changed afterwards; later corrections are kept beside it." }
                    button type="submit" name="action" value="confirm" { "Send the report" }
                    button class="secondary" type="submit" name="action" value="preview" { "Change your answers" }
                }
            }
            aside aria-labelledby="assessment-title" {
                h2 id="assessment-title" { "What irmer makes of it" }
                (assessment_panel(&assessment))
            }
        }
    }
}

/// After a report is recorded: its reference, what happens next, who is
/// told, and when the clocks run out.
pub(super) async fn reported<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::See).await?;
    let places = Places::load(app.accounts.store()).await?;
    let a = &rec.assessment;
    let authority = a.authority.map_or("the enforcing authority", |x| x.name());
    let codes: Vec<String> = a.codes.iter().map(ToString::to_string).collect();
    let body = html! {
        div class="confirmation" {
            h1 { "Report sent" }
            p { "Your reference is" br; strong class="reference" { (rec.reference) } }
        }
        h2 { "What happens next" }
        @match a.outcome {
            Outcome::Notifiable => {
                p { "This is a significant accidental or unintended exposure (" (codes.join(", ")) "). " (authority) " must be told:" }
                @if let Some(d) = a.deadlines {
                    ul {
                        li { "notify them by " strong { (crate::dates::day(d.notify_by)) } " (2 weeks from discovery on " (crate::dates::day(rec.incident.discovered)) ")" }
                        li { "send them the investigation report by " strong { (crate::dates::day(d.report_by)) } " (12 weeks)" }
                    }
                }
            }
            Outcome::Voluntary => {
                p { "You asked to notify " (authority) " voluntarily, for learning. It is not a statutory notification and has no deadline." }
            }
            Outcome::NotNotifiable => {
                p { "It is not notifiable. It is kept in the register, investigated and reviewed with the others for themes and trends (regulation 8(3))." }
            }
            Outcome::Undetermined => {
                p { "irmer cannot decide yet whether it must be notified. These facts would decide:" }
                ul { @for m in &a.missing { li { code { (m) } } } }
                p { "An investigator completes them; the clocks start from discovery all the same." }
            }
            Outcome::OutOfScope => {
                p { "It is outside IR(ME)R: it is kept in the register; see below for who to tell." }
            }
        }
        h2 { "Who is told" }
        ul {
            li {
                @match rec.owner.department {
                    Some(_) => { "The investigators of " (places.department(rec.owner.department)) }
                    None => { "The investigators who see the whole organisation" }
                }
                " and the administrators see it now in the register. irmer sends no e-mail."
            }
            @for o in &a.other_reports { li { strong { (o.to.name()) } ": " (o.why) } }
            @for d in &a.duties { li { (capital(d.describe())) "." } }
        }
        p {
            a class="button" href={ "/incidents/" (enc(&rec.reference)) } { "See the incident" }
            " "
            @if p.user.may(Action::Report) { a class="button secondary" href="/report" { "Report another incident" } }
        }
    };
    Ok(show(&p, "Report sent", Section::Report, body))
}

#[cfg(test)]
mod tests {
    use super::incident_from;
    use crate::form::Answers;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        Answers::of(pairs)
    }

    fn fields(errors: &[(String, String)]) -> Vec<&str> {
        errors.iter().map(|(f, _)| f.as_str()).collect()
    }

    /// An empty form names every answer it needs in one go, not one a
    /// submission.
    #[test]
    fn every_error_of_a_form_at_once() {
        let errors = incident_from(&answers(&[("modality", "ct")])).expect_err("empty");
        // In the order of the form, in plain words.
        assert_eq!(fields(&errors), ["discovered", "nation", "exposure"]);
        assert_eq!(errors[0].1, "Enter the date the incident was discovered");
        // An unreadable answer and a missing one, together.
        let errors = incident_from(&answers(&[
            ("modality", "ct"),
            ("discovered", "soon"),
            ("dose.received", "lots"),
        ]))
        .expect_err("invalid");
        let got = fields(&errors);
        for needed in ["discovered", "dose.received", "nation", "exposure"] {
            assert!(got.contains(&needed), "{needed} not named: {errors:?}");
        }
        // Each field once.
        let mut unique = got.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), got.len(), "{errors:?}");
    }

    #[test]
    fn a_complete_form_reads() {
        let (incident, _) = incident_from(&answers(&[
            ("modality", "ct"),
            ("discovered", "2026-02-26"),
            ("nation", "england"),
            ("exposure", "unintended"),
            ("errors", "human"),
            ("patient.age", "40"),
            ("dose.unit", "mSv"),
            ("dose.intended", "0.5"),
            ("dose.received", "6"),
        ]))
        .expect("complete");
        assert_eq!(incident.discovered.to_string(), "2026-02-26");
    }
}
