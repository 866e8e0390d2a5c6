//! The public notification form, for a provider without an irmer of its
//! own, in the order of CQC's portal: what was being done (the modality),
//! then one page with the organisation, the contact details, the incident
//! (the same modality-aware questions as an employer's form) and a
//! summary; then check your answers; then send. No account is needed; the
//! organisation and a contact e-mail are required. What it sends is read
//! by the same rules as the API ([`crate::intake::read`]): identifiers are
//! refused by field, the incident is re-assessed, the reference numbered
//! and the acknowledgement queued in one transaction.
//!
//! Its forms are [`PublicForm`]s (a double-submitted CSRF cookie checked
//! before the handler). The check page carries a random key: sent twice (a
//! double click, a reload), it is one notification.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use irmer_core::assessment::EnforcingAuthority;
use irmer_core::incident::Modality;
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use irmer_store::authority::AuthorityStore;
use irmer_store::mail::MailStore;
use irmer_web::App;
use irmer_web::app::ClientAddress;
use irmer_web::pages::kit::{
    Answers, PageError, PageResult, PublicForm, Section, answers_list, assessment_panel,
    error_summary, field_id, incident_from, modality_groups, page, public_token, questions_for,
    respond,
};
use maud::{Markup, html};
use serde_json::{Value, json};

use crate::pages::CaseConfig;
use crate::{intake, licence};

/// How many sends the public forms accept from one client address in an
/// hour: far above any provider's need (a few notifications a year), low
/// enough that the forms cannot be used to flood the register or to send
/// acknowledgements to someone else's inbox.
pub const SENDS_PER_HOUR: usize = 20;

/// The most client addresses counted at once (the counts are in memory).
const CLIENTS_MAX: usize = 100_000;

/// The public forms' sends counted by client address over the last hour.
#[derive(Clone, Debug, Default)]
pub struct SendLimit(
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<time::OffsetDateTime>>>>,
);

impl SendLimit {
    /// Whether `client` may send at `now`; counted when it may.
    pub fn allow(&self, client: &str, now: time::OffsetDateTime) -> bool {
        let hour_ago = now - time::Duration::HOUR;
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !counts.contains_key(client) && counts.len() >= CLIENTS_MAX {
            counts.retain(|_, sends| sends.iter().any(|t| *t > hour_ago));
            if counts.len() >= CLIENTS_MAX {
                return false;
            }
        }
        let sends = counts.entry(client.to_owned()).or_default();
        sends.retain(|t| *t > hour_ago);
        if sends.len() >= SENDS_PER_HOUR {
            return false;
        }
        sends.push(now);
        true
    }
}

/// 429: too many sends from the client's address.
fn too_many() -> PageError {
    PageError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many sends",
        format!(
            "This address has sent {SENDS_PER_HOUR} forms in the last hour. Try again later; if you need to send more, e-mail us."
        ),
    )
}

/// The form's own fields (the incident's are the employer's form's).
const OWN: &[&str] = &[
    "organisation.name",
    "organisation.code",
    "organisation.type",
    "organisation.chief_executive",
    "contact.name",
    "contact.email",
    "summary",
    "codes",
];

/// A public page: no menu, the form's CSRF cookie set.
fn public_page(
    app_token: (String, axum::http::HeaderValue),
    status: StatusCode,
    title: &str,
    body: impl FnOnce(&str) -> Markup,
) -> Response {
    let (token, cookie) = app_token;
    let mut r = respond(status, page(title, Section::None, None, body(&token)));
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

fn nation_of(authority: EnforcingAuthority) -> &'static str {
    match authority {
        EnforcingAuthority::Cqc => "england",
        EnforcingAuthority::Hiw => "wales",
        EnforcingAuthority::His => "scotland",
        EnforcingAuthority::Rqia => "northern-ireland",
    }
}

/// `GET /notify`: the modality first; with `?modality=`, the form.
pub async fn start<S: Store + AccountStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let q = Answers::parse(raw.unwrap_or_default().as_bytes());
    let token = public_token(&app, &headers)?;
    let chosen = q.get("modality").map(Modality::parse);
    match chosen {
        Some(Some(m)) => {
            let answers = Answers(vec![
                ("modality".into(), m.as_str().into()),
                ("nation".into(), nation_of(config.authority).into()),
                ("dose.unit".into(), "mSv".into()),
            ]);
            Ok(form_page(token, &config, m, &answers, &[]))
        }
        choice => {
            let error = choice.is_some();
            let errors: Vec<(String, String)> = if error {
                vec![("modality".into(), "Choose what was being done".into())]
            } else {
                Vec::new()
            };
            Ok(public_page(
                token,
                if error {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::OK
                },
                "Notify a significant accidental or unintended exposure",
                |_| {
                    html! {
                        (error_summary(&errors))
                        span class="caption" { (config.authority.name()) }
                        h1 { "Notify a significant accidental or unintended exposure" }
                        p { "Under IR(ME)R 2017, tell us within 2 weeks of discovering a significant accidental or unintended exposure. You will get an e-mail with your notification reference; send the full investigation report, anonymised, within 12 weeks of discovery." }
                        p { "Do not include anything that identifies a patient: no names, NHS or hospital numbers, dates of birth, addresses or telephone numbers. The form refuses them." }
                        form method="get" action="/notify" novalidate {
                            fieldset class="field" {
                                legend id=(field_id("modality")) { h2 { "What was being done?" } }
                                @for (category, modalities) in modality_groups() {
                                    h3 { (category.describe()) }
                                    @for m in modalities {
                                        label class="choice" {
                                            input type="radio" name="modality" value=(m.as_str());
                                            " " (m.label())
                                        }
                                    }
                                }
                            }
                            button type="submit" { "Continue" }
                        }
                    }
                },
            ))
        }
    }
}

fn own_field(
    answers: &Answers,
    errors: &[(String, String)],
    name: &str,
    label: &str,
    hint: &str,
    kind: &str,
) -> Markup {
    let id = field_id(name);
    let error = errors.iter().find(|(f, _)| f == name).map(|(_, m)| m);
    let described = {
        let mut d = Vec::new();
        if !hint.is_empty() {
            d.push(format!("{id}-hint"));
        }
        if error.is_some() {
            d.push(format!("{id}-error"));
        }
        (!d.is_empty()).then(|| d.join(" "))
    };
    let value = answers.get(name).unwrap_or_default();
    html! {
        div class={ "field" @if error.is_some() { " error" } } {
            label for=(id) { (label) }
            @if !hint.is_empty() { span class="hint" id={ (id) "-hint" } { (hint) } }
            @if let Some(e) = error { span class="error-message" id={ (id) "-error" } { span class="visually-hidden" { "Error: " } (e) } }
            @if kind == "textarea" {
                textarea id=(id) name=(name) rows="6" aria-describedby=[described] { (value) }
            } @else {
                input type=(kind) id=(id) name=(name) value=(value) aria-describedby=[described] autocomplete="off" spellcheck="false";
            }
        }
    }
}

fn form_page(
    token: (String, axum::http::HeaderValue),
    config: &CaseConfig,
    modality: Modality,
    answers: &Answers,
    errors: &[(String, String)],
) -> Response {
    let incident_errors: Vec<(String, String)> = errors
        .iter()
        .filter(|(f, _)| !OWN.contains(&f.as_str()))
        .cloned()
        .collect();
    public_page(
        token,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        "Notify a significant accidental or unintended exposure",
        |csrf| {
            html! {
                (error_summary(errors))
                span class="caption" { (config.authority.name()) " · " (modality.label()) }
                h1 { "Notify a significant accidental or unintended exposure" }
                p { a href="/notify" { "Change what was being done" } }
                form method="post" action="/notify/check" novalidate {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="modality" value=(modality.as_str());
                    h2 { "Your organisation" }
                    (own_field(answers, errors, "organisation.name", "Name of the organisation (the employer under IR(ME)R)", "", "text"))
                    (own_field(answers, errors, "organisation.code", "Organisation code (optional)", "Its ODS code, for example RXX.", "text"))
                    (radios(answers, errors, "organisation.type", "What kind of provider (optional)", irmer_store::authority::PROVIDER_TYPES))
                    (own_field(answers, errors, "organisation.chief_executive", "Your chief executive's e-mail address (optional)", "When we close the notification, we tell them.", "email"))
                    h2 { "Contact details" }
                    (own_field(answers, errors, "contact.name", "Contact name or role (optional)", "For example: Radiation protection adviser.", "text"))
                    (own_field(answers, errors, "contact.email", "Contact e-mail address", "Your acknowledgement and our questions go here.", "email"))
                    h2 { "The incident" }
                    (questions_for(modality, answers, &incident_errors))
                    h2 { "Summary" }
                    (own_field(answers, errors, "summary", "What happened, and what you have done so far", "No patient identifiers.", "textarea"))
                    (own_field(answers, errors, "codes", "The notification codes you have assessed (optional)", "Separated by spaces, for example 2.1 or 4.2a. We also read the criteria from your answers.", "text"))
                    button type="submit" { "Continue" }
                }
            }
        },
    )
}

/// The body the API takes, from the form's answers and the incident's
/// JSON.
fn body_of(answers: &Answers, incident: &str) -> Value {
    let text = |k: &str| {
        answers
            .get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| Value::String(v.to_owned()))
            .unwrap_or(Value::Null)
    };
    let codes: Vec<Value> = answers
        .get("codes")
        .unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|c| !c.is_empty())
        .map(|c| Value::String(c.to_owned()))
        .collect();
    json!({
        "organisation": {"name": text("organisation.name"), "code": text("organisation.code"), "type": text("organisation.type"), "chief_executive": text("organisation.chief_executive")},
        "contact": {"name": text("contact.name"), "email": text("contact.email")},
        "incident": serde_json::from_str::<Value>(incident).unwrap_or(Value::Null),
        "summary": text("summary"),
        "codes": codes,
    })
}

/// The form's answers read as a notification, or every error found by
/// field: the required fields of its own, then the incident's, then the
/// intake's rules (identifiers, e-mail, codes) one at a time.
fn read(answers: &Answers) -> Result<intake::Submission, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let blank = |k: &str| answers.get(k).is_none_or(|v| v.trim().is_empty());
    if blank("organisation.name") {
        errors.push((
            "organisation.name".to_owned(),
            "Enter the organisation's name".to_owned(),
        ));
    }
    if blank("contact.email") {
        errors.push((
            "contact.email".to_owned(),
            "Enter a contact e-mail address".to_owned(),
        ));
    }
    if blank("summary") {
        errors.push(("summary".to_owned(), "Enter a summary".to_owned()));
    }
    let incident = match incident_from(answers) {
        Ok((_, json)) => Some(json),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let Some(incident) = incident.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let body = body_of(answers, &incident);
    intake::read(body.to_string().as_bytes()).map_err(|e| {
        let field = match e.field.strip_prefix("incident.") {
            Some(path) => path.to_owned(),
            None if e.field.starts_with("codes") => "codes".to_owned(),
            None => e.field.clone(),
        };
        vec![(field, irmer_web::pages::kit::capital(&e.message))]
    })
}

/// `POST /notify/check`: the answers checked; the form again with its
/// errors, or the answers to check with the key that sends them once.
pub async fn check<S: Store + AccountStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    headers: HeaderMap,
    PublicForm(answers): PublicForm,
) -> PageResult {
    let token = public_token(&app, &headers)?;
    let Some(modality) = answers.get("modality").and_then(Modality::parse) else {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Start again",
            "The form did not say what was being done. Start the notification again.",
        ));
    };
    let change = answers.get("action") == Some("change");
    let answers = without(&answers, &["csrf", "key", "action"]);
    if change {
        return Ok(form_page(token, &config, modality, &answers, &[]));
    }
    let submission = match read(&answers) {
        Ok(s) => s,
        Err(errors) => return Ok(form_page(token, &config, modality, &answers, &errors)),
    };
    let key = irmer_store::accounts::secret().map_err(failed)?;
    let assessment = intake::assess(&submission.incident);
    Ok(public_page(
        token,
        StatusCode::OK,
        "Check your answers before sending",
        |csrf| {
            html! {
                span class="caption" { (config.authority.name()) }
                h1 { "Check your answers before sending" }
                h2 { "Your organisation and contact" }
                dl class="summary" {
                    dt { "Organisation" } dd { (submission.organisation_name) @if let Some(c) = &submission.organisation_code { " (" (c) ")" } }
                    dt { "Chief executive" } dd { (submission.chief_executive.as_deref().unwrap_or("Not given")) }
                    dt { "Kind of provider" } dd { (submission.provider_type.as_deref().map_or("Not given", |t| licence::label(irmer_store::authority::PROVIDER_TYPES, t))) }
                    dt { "Contact" } dd { @if let Some(n) = &submission.contact_name { (n) ", " } (submission.contact_email) }
                }
                h2 { "The incident" }
                (answers_list(&answers))
                h2 { "Summary" }
                p class="copy-block" { (submission.summary) }
                dl class="summary" {
                    dt { "Your codes" } dd { @if submission.provider_codes.is_empty() { "None given" } @else { (submission.provider_codes.join(" ")) } }
                }
                h2 { "How irmer reads the criteria" }
                (assessment_panel(&assessment))
                (send_or_change(csrf, &key, &answers, "/notify", "Send the notification"))
            }
        },
    ))
}

fn without(answers: &Answers, names: &[&str]) -> Answers {
    Answers(
        answers
            .0
            .iter()
            .filter(|(k, _)| !names.contains(&k.as_str()))
            .cloned()
            .collect(),
    )
}

/// A failure of the register or the mail, as the page's internal error
/// (logged, never shown).
fn failed(e: impl std::fmt::Display) -> PageError {
    PageError::from(irmer_web::Problem::from(
        irmer_store::register::RegisterError::from(irmer_store::StoreError::Backend(e.to_string())),
    ))
}

/// The key a check page gave its send form (64 hex digits), if it is one.
fn key_of(answers: &Answers) -> Option<String> {
    answers
        .get("key")
        .filter(|k| k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// A check page's two forms: send (with the key that makes a second send
/// the same), and change (the form again, filled in). `base` is the
/// form's address (`/notify` or `/notify/licence`).
fn send_or_change(csrf: &str, key: &str, answers: &Answers, base: &str, send: &str) -> Markup {
    html! {
        form method="post" action={ (base) "/submit" } novalidate {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="key" value=(key);
            @for (k, v) in &answers.0 { input type="hidden" name=(k) value=(v); }
            p { "By sending this you confirm that it holds nothing that identifies a patient." }
            button type="submit" { (send) }
        }
        form method="post" action={ (base) "/check" } novalidate {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="action" value="change";
            @for (k, v) in &answers.0 { input type="hidden" name=(k) value=(v); }
            button class="secondary" type="submit" { "Change your answers" }
        }
    }
}

/// Numbers and keeps a notification from a form, its acknowledgement
/// (`ack(reference, message_id)`) queued in the same transaction.
async fn keep<S: AuthorityStore>(
    store: &S,
    config: &CaseConfig,
    new: &irmer_store::authority::NewNotification,
    ack: impl Fn(&str, String) -> irmer_store::mail::Mail + Sync,
) -> Result<irmer_store::authority::Received, PageError> {
    let message_id = irmer_mail::new_message_id(&config.mail_from).map_err(failed)?;
    store
        .receive(new, &|reference| ack(reference, message_id.clone()))
        .await
        .map_err(failed)
}

/// `POST /notify/submit`: read again, numbered, acknowledged; the
/// confirmation with the reference. The page's key makes a second send
/// the first one's reference.
pub async fn submit<S: Store + AccountStore + AuthorityStore + MailStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    PublicForm(answers): PublicForm,
) -> PageResult {
    if !config.sends.allow(&client, app.register.now()) {
        return Err(too_many());
    }
    let token = public_token(&app, &headers)?;
    let key = key_of(&answers);
    let Some(modality) = answers.get("modality").and_then(Modality::parse) else {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Start again",
            "The form did not say what was being done. Start the notification again.",
        ));
    };
    let answers = without(&answers, &["csrf", "key", "action"]);
    let (submission, key) = match (read(&answers), key) {
        (Ok(s), Some(k)) => (s, k),
        (Err(errors), _) => return Ok(form_page(token, &config, modality, &answers, &errors)),
        (Ok(_), None) => return Ok(form_page(token, &config, modality, &answers, &[])),
    };
    let store = app.register.store();
    let now = app.register.now();
    let new = intake::new_notification(config.authority, &submission, None, Some(key), now);
    let received = keep(store, &config, &new, |reference, message_id| {
        intake::acknowledgement(
            config.authority,
            &config.mail_from,
            &new,
            reference,
            message_id,
        )
    })
    .await?;
    Ok(public_page(
        token,
        StatusCode::OK,
        "Notification sent",
        |_| {
            html! {
                div class="confirmation" {
                    h1 { "Notification sent" }
                    p { "Your IR(ME)R notification reference is" br; strong { (received.reference) } }
                }
                p { "We have sent an e-mail to " (new.contact_email) " with the reference and what happens next. Quote the reference in all correspondence about this incident." }
                h2 { "What happens next" }
                p { "If we need more details we may contact you. Otherwise we will wait for your full investigation report, anonymised, due by " strong { (new.report_due.words()) } " (12 weeks from the discovery of the incident on " (new.discovered.words()) ")." }
                p { a href="/notify" { "Notify another exposure" } }
            }
        },
    ))
}

/// The licensing breach form's answers as the body [`licence::read`]
/// takes.
fn breach_body(a: &Answers) -> Value {
    let text = |k: &str| {
        a.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map_or(Value::Null, |v| Value::String(v.to_owned()))
    };
    let patients = a
        .get("breach.patients")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map_or(Value::Null, |v| {
            v.parse::<u64>()
                .map_or_else(|_| Value::String(v.to_owned()), Value::from)
        });
    let told = match a.get("breach.arsac_told") {
        Some("yes") => Value::Bool(true),
        Some("no") => Value::Bool(false),
        _ => Value::Null,
    };
    json!({
        "organisation": {"name": text("organisation.name"), "code": text("organisation.code")},
        "contact": {"name": text("contact.name"), "email": text("contact.email")},
        "breach": {
            "discovered": text("breach.discovered"),
            "holder": text("breach.holder"),
            "kind": text("breach.kind"),
            "site": text("breach.site"),
            "substance": text("breach.substance"),
            "patients": patients,
            "arsac_told": told,
        },
        "summary": text("summary"),
    })
}

fn radios(
    a: &Answers,
    errors: &[(String, String)],
    name: &str,
    legend: &str,
    options: &[(&str, &str)],
) -> Markup {
    let error = errors.iter().find(|(f, _)| f == name).map(|(_, m)| m);
    html! {
        fieldset class={ "field" @if error.is_some() { " error" } } {
            legend { (legend) }
            @if let Some(e) = error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
            @for (i, (value, label)) in options.iter().enumerate() {
                @let id = if i == 0 { field_id(name) } else { format!("{}-{i}", field_id(name)) };
                label class="choice" for=(id) {
                    input type="radio" id=(id) name=(name) value=(value) checked[a.get(name) == Some(*value)];
                    " " (label)
                }
            }
        }
    }
}

fn breach_form(
    token: (String, axum::http::HeaderValue),
    config: &CaseConfig,
    a: &Answers,
    errors: &[(String, String)],
) -> Response {
    public_page(
        token,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        "Tell us about a licensing breach",
        |csrf| {
            html! {
                (error_summary(errors))
                span class="caption" { (config.authority.name()) }
                h1 { "Tell us about a licensing breach" }
                p { "IR(ME)R regulation 5: a radioactive substance was administered without the appropriate ARSAC licence (the employer's for the installation, or the practitioner's). Notify the ARSAC Support Unit of any licensing breach; we also ask you to tell us here. A breach that also caused a significant accidental or unintended exposure is notified on the " a href="/notify" { "notification form" } " as well." }
                form method="post" action="/notify/licence/check" novalidate {
                    input type="hidden" name="csrf" value=(csrf);
                    h2 { "Your organisation" }
                    (own_field(a, errors, "organisation.name", "Name of the organisation (the employer under IR(ME)R)", "", "text"))
                    (own_field(a, errors, "organisation.code", "Organisation code (optional)", "Its ODS code, for example RXX.", "text"))
                    h2 { "Contact details" }
                    (own_field(a, errors, "contact.name", "Contact name or role (optional)", "", "text"))
                    (own_field(a, errors, "contact.email", "Contact e-mail address", "Your acknowledgement and our questions go here.", "email"))
                    h2 { "The breach" }
                    (own_field(a, errors, "breach.discovered", "Date discovered", "", "date"))
                    (radios(a, errors, "breach.holder", "Whose licence", licence::HOLDERS))
                    (radios(a, errors, "breach.kind", "What was wrong", licence::KINDS))
                    (own_field(a, errors, "breach.site", "The installation (site) where it was administered", "", "text"))
                    (own_field(a, errors, "breach.substance", "The radioactive substance or procedure", "For example: Tc-99m MDP bone scan.", "text"))
                    (own_field(a, errors, "breach.patients", "How many patients were administered", "", "text"))
                    (radios(a, errors, "breach.arsac_told", "Have you notified the ARSAC Support Unit?", &[("yes", "Yes"), ("no", "Not yet")]))
                    h2 { "Summary" }
                    (own_field(a, errors, "summary", "What happened, and what you have done", "No patient identifiers.", "textarea"))
                    button type="submit" { "Continue" }
                }
            }
        },
    )
}

fn read_breach(
    a: &Answers,
    today: irmer_core::incident::CivilDate,
) -> Result<licence::Breach, Vec<(String, String)>> {
    licence::read(&breach_body(a), today)
        .map_err(|e| vec![(e.field, irmer_web::pages::kit::capital(&e.message))])
}

/// `GET /notify/licence`: the licensing breach form.
pub async fn breach_start<S: Store + AccountStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    headers: HeaderMap,
) -> PageResult {
    let token = public_token(&app, &headers)?;
    Ok(breach_form(token, &config, &Answers::default(), &[]))
}

/// `POST /notify/licence/check`: the form again with its error, or the
/// answers to check.
pub async fn breach_check<S: Store + AccountStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    headers: HeaderMap,
    PublicForm(answers): PublicForm,
) -> PageResult {
    let token = public_token(&app, &headers)?;
    let change = answers.get("action") == Some("change");
    let answers = without(&answers, &["csrf", "key", "action"]);
    if change {
        return Ok(breach_form(token, &config, &answers, &[]));
    }
    let breach = match read_breach(&answers, app.register.today()) {
        Ok(b) => b,
        Err(errors) => return Ok(breach_form(token, &config, &answers, &errors)),
    };
    let key = irmer_store::accounts::secret().map_err(failed)?;
    Ok(public_page(
        token,
        StatusCode::OK,
        "Check your answers before sending",
        |csrf| {
            html! {
                span class="caption" { (config.authority.name()) " · licensing breach" }
                h1 { "Check your answers before sending" }
                dl class="summary" {
                    dt { "Organisation" } dd { (breach.organisation_name) @if let Some(c) = &breach.organisation_code { " (" (c) ")" } }
                    dt { "Contact" } dd { @if let Some(n) = &breach.contact_name { (n) ", " } (breach.contact_email) }
                    dt { "Date discovered" } dd { (breach.discovered.words()) }
                    dt { "Whose licence" } dd { (licence::label(licence::HOLDERS, &breach.holder)) }
                    dt { "What was wrong" } dd { (licence::label(licence::KINDS, &breach.kind)) }
                    dt { "Installation" } dd { (breach.site) }
                    dt { "Substance or procedure" } dd { (breach.substance) }
                    dt { "Patients" } dd { (breach.patients) }
                    dt { "ARSAC Support Unit notified" } dd { @if breach.arsac_told { "Yes" } @else { "Not yet" } }
                }
                h2 { "Summary" }
                p class="copy-block" { (breach.summary) }
                (send_or_change(csrf, &key, &answers, "/notify/licence", "Send"))
            }
        },
    ))
}

/// `POST /notify/licence/submit`: numbered in the licensing series,
/// acknowledged; sent twice with the page's key, the same reference.
pub async fn breach_submit<S: Store + AccountStore + AuthorityStore + MailStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    PublicForm(answers): PublicForm,
) -> PageResult {
    if !config.sends.allow(&client, app.register.now()) {
        return Err(too_many());
    }
    let token = public_token(&app, &headers)?;
    let key = key_of(&answers);
    let answers = without(&answers, &["csrf", "key", "action"]);
    let (breach, key) = match (read_breach(&answers, app.register.today()), key) {
        (Ok(b), Some(k)) => (b, k),
        (Err(errors), _) => return Ok(breach_form(token, &config, &answers, &errors)),
        (Ok(_), None) => return Ok(breach_form(token, &config, &answers, &[])),
    };
    let new = licence::new_breach(config.authority, &breach, Some(key), app.register.now());
    let received = keep(
        app.register.store(),
        &config,
        &new,
        |reference, message_id| {
            licence::acknowledgement(
                config.authority,
                &config.mail_from,
                &breach,
                reference,
                message_id,
            )
        },
    )
    .await?;
    Ok(public_page(
        token,
        StatusCode::OK,
        "Licensing breach sent",
        |_| {
            html! {
                div class="confirmation" {
                    h1 { "Licensing breach sent" }
                    p { "Your reference is" br; strong { (received.reference) } }
                }
                p { "We have sent an e-mail to " (breach.contact_email) " with the reference. Quote it in all correspondence about this breach." }
                @if !breach.arsac_told {
                    p { strong { "Notify the ARSAC Support Unit of the breach as well, if you have not." } }
                }
                p { a href="/notify/licence" { "Tell us about another licensing breach" } }
            }
        },
    ))
}

/// The report upload form: the reference, the contact e-mail the
/// notification gave (so that only its sender can add to it), and the
/// report as a PDF or text file, or pasted.
fn report_form(
    token: (String, axum::http::HeaderValue),
    config: &CaseConfig,
    a: &Answers,
    errors: &[(String, String)],
) -> Result<Response, PageError> {
    let key = match key_of(a) {
        Some(k) => k,
        None => irmer_store::accounts::secret().map_err(failed)?,
    };
    let file_error = errors.iter().find(|(f, _)| f == "file").map(|(_, m)| m);
    Ok(public_page(
        token,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        "Send your investigation report",
        |csrf| {
            html! {
                (error_summary(errors))
                span class="caption" { (config.authority.name()) }
                h1 { "Send your investigation report" }
                p { "Send the full investigation report, anonymised, within 12 weeks of the incident's discovery. It is checked for anything that identifies a patient (names, NHS or hospital numbers, dates of birth, addresses, telephone numbers) and refused, with what was found, if it has any." }
                form method="post" action="/notify/report" enctype="multipart/form-data" novalidate {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="key" value=(key);
                    (own_field(a, errors, "reference", "Your notification reference", "From our acknowledgement e-mail, for example CQC-IRMER-2026-00042.", "text"))
                    (own_field(a, errors, "contact.email", "The contact e-mail address the notification gave", "", "email"))
                    div class={ "field" @if file_error.is_some() { " error" } } {
                        label for=(field_id("file")) { "The report as a PDF or a text file (up to 10 MB)" }
                        span class="hint" id="f-file-hint" { "A PDF made from the document (not a scan: its text is checked). If something else on the form needs mending, choose the file again." }
                        @if let Some(e) = file_error { span class="error-message" id="f-file-error" { span class="visually-hidden" { "Error: " } (e) } }
                        input type="file" id=(field_id("file")) name="file" accept=".pdf,.txt,application/pdf,text/plain" aria-describedby={ "f-file-hint" @if file_error.is_some() { " f-file-error" } };
                    }
                    (own_field(a, errors, "report", "Or paste the report's text", "", "textarea"))
                    button type="submit" { "Send the report" }
                }
            }
        },
    ))
}

/// `GET /notify/report`.
pub async fn report_start<S: Store + AccountStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    headers: HeaderMap,
) -> PageResult {
    let token = public_token(&app, &headers)?;
    report_form(token, &config, &Answers::default(), &[])
}

/// The report's text and its PDF (if it came as one), or the field in
/// error.
async fn report_text(
    a: &Answers,
    upload: Option<irmer_web::pages::kit::Upload>,
) -> Result<(String, Option<Vec<u8>>), (String, String)> {
    let pasted = a.get("report").map(str::trim).filter(|t| !t.is_empty());
    let err = |f: &str, m: String| (f.to_owned(), m);
    match (upload, pasted) {
        (Some(_), Some(_)) => Err(err(
            "report",
            "Send the file or paste the text, not both".into(),
        )),
        (None, None) => Err(err(
            "file",
            "Choose the report's file, or paste its text".into(),
        )),
        (None, Some(text)) => Ok((text.to_owned(), None)),
        (Some(u), None) => {
            let pdf = u.content_type == "application/pdf"
                || u.file_name.to_ascii_lowercase().ends_with(".pdf");
            if u.bytes.len() > crate::report::REPORT_MAX {
                return Err(err("file", "The file is larger than 10 MB".into()));
            }
            if pdf {
                let bytes = u.bytes.clone();
                let text = tokio::task::spawn_blocking(move || crate::report::pdf_text(&bytes))
                    .await
                    .map_err(|e| err("file", e.to_string()))?
                    .map_err(|e| err("file", irmer_web::pages::kit::capital(&e.to_string())))?;
                Ok((text, Some(u.bytes.to_vec())))
            } else if u.content_type.starts_with("text/")
                || u.file_name.to_ascii_lowercase().ends_with(".txt")
            {
                String::from_utf8(u.bytes.to_vec())
                    .map(|t| (t, None))
                    .map_err(|_| err("file", "The text file is not UTF-8 text".into()))
            } else {
                Err(err("file", "Send a PDF or a text file".into()))
            }
        }
    }
}

/// `POST /notify/report`: the notification found by its reference and
/// contact e-mail (either wrong: the same answer, so that neither is
/// confirmed), the report read and checked, kept as a new version; a
/// second send of the same page is the same version.
pub async fn report_submit<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    axum::Extension(config): axum::Extension<CaseConfig>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    irmer_web::pages::kit::PublicUpload(answers, upload): irmer_web::pages::kit::PublicUpload,
) -> PageResult {
    if !config.sends.allow(&client, app.register.now()) {
        return Err(too_many());
    }
    let token = public_token(&app, &headers)?;
    let a = without(&answers, &["csrf"]);
    let reference = a
        .get("reference")
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let email = a.get("contact.email").unwrap_or_default().trim().to_owned();
    let mut errors = Vec::new();
    if reference.is_empty() {
        errors.push((
            "reference".to_owned(),
            "Enter your notification reference".to_owned(),
        ));
    }
    if email.is_empty() {
        errors.push((
            "contact.email".to_owned(),
            "Enter the contact e-mail address".to_owned(),
        ));
    }
    if !errors.is_empty() {
        return report_form(token, &config, &a, &errors);
    }
    let store = app.register.store();
    let found = store
        .notification(&reference)
        .await
        .map_err(failed)?
        .filter(|n| n.contact_email.eq_ignore_ascii_case(&email));
    let Some(n) = found else {
        let e = (
            "reference".to_owned(),
            "We have no notification with this reference and contact e-mail address: check both against our acknowledgement".to_owned(),
        );
        return report_form(token, &config, &a, &[e]);
    };
    let (text, document) = match report_text(&a, upload).await {
        Ok(t) => t,
        Err(e) => return report_form(token, &config, &a, &[e]),
    };
    if let Err(e) = irmer_store::register::check_free_text("report", &text) {
        let field = if document.is_some() || a.get("report").is_none_or(str::is_empty) {
            "file"
        } else {
            "report"
        };
        return report_form(
            token,
            &config,
            &a,
            &[(
                field.to_owned(),
                irmer_web::pages::kit::capital(&e.to_string()),
            )],
        );
    }
    let key = key_of(&a);
    let report = irmer_store::authority::NewReport {
        content_type: if document.is_some() {
            "application/pdf"
        } else {
            "text/plain"
        },
        body: &text,
        document: document.as_deref(),
        key: key.as_deref(),
        at: app.register.now(),
    };
    let (version, _) = store
        .add_report(&n.reference, &report)
        .await
        .map_err(failed)?;
    Ok(public_page(
        token,
        StatusCode::OK,
        "Report received",
        |_| {
            html! {
                div class="confirmation" {
                    h1 { "Report received" }
                    p { "Version " (version) " of the report for" br; strong { (n.reference) } }
                }
                p { "It holds nothing we could find that identifies a patient. We will review it and contact you if we need more." }
            }
        },
    ))
}
