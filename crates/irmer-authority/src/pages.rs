//! The enforcing authority's pages, for its staff (inspectors, authority
//! administrators, analysts), on the same accounts, sessions and checks
//! as an employer's ([`irmer_web::pages::kit`]): the queue (untriaged,
//! oldest first; the signed-in inspector's open cases; reports due soon or
//! overdue), every notification by stage, one case (what was sent, the
//! authority's reading against the provider's codes, the reports, the
//! 12-week clock, the history, and a form for each step its stage
//! allows), the annual figures, and the outbox.
//!
//! Every form is a [`SignedForm`] (CSRF checked before the handler);
//! steps need [`Action::Investigate`] (an analyst reads only); the
//! outbox needs an [`Administrator`].

use axum::Router;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use irmer_core::assessment::EnforcingAuthority;
use irmer_core::incident::CivilDate;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action, Role, User};
use irmer_store::authority::{AuthorityStore, Notification, Series};
use irmer_store::case::{CaseFilter, Risk, Stage};
use irmer_store::mail::MailStore;
use irmer_web::App;
use irmer_web::pages::kit::{
    Answers, ForPage, PageError, PageResult, PageUser, Section, SignedForm, allow, csrf_field, day,
    enc, error_summary, field_id, moment, see_other, show, show_as, status_of,
};
use maud::{Markup, html};
use serde_json::Value;

use crate::case::{self, Actor, Refusal, Step, Taken};

/// What the pages need beyond the employer's [`App`]: whose register this
/// is and where its e-mail comes from.
#[derive(Clone, Debug)]
pub struct CaseConfig {
    pub authority: EnforcingAuthority,
    pub mail_from: String,
    /// The public forms' sends by client address.
    pub sends: crate::public::SendLimit,
}

/// The longest list a page shows.
const PAGE_SIZE: u32 = 50;

/// The staff pages; add [`irmer_web::pages::account_routes`] for signing
/// in and the staff accounts, and a [`CaseConfig`] extension.
pub fn routes<S: Store + AccountStore + AuthorityStore + MailStore>() -> Router<App<S>> {
    Router::new()
        .route("/", get(queue::<S>))
        .route("/cases", get(cases::<S>))
        .route("/cases/{reference}", get(case_page::<S>))
        .route(
            "/cases/{reference}/steps",
            axum::routing::post(take_step::<S>),
        )
        .route("/notify", get(crate::public::start::<S>))
        .route(
            "/notify/check",
            axum::routing::post(crate::public::check::<S>),
        )
        .route(
            "/notify/submit",
            axum::routing::post(crate::public::submit::<S>),
        )
        .route(
            "/notify/report",
            get(crate::public::report_start::<S>)
                .post(crate::public::report_submit::<S>)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::report::REPORT_MAX + 256 * 1024,
                )),
        )
        .route("/notify/licence", get(crate::public::breach_start::<S>))
        .route(
            "/notify/licence/check",
            axum::routing::post(crate::public::breach_check::<S>),
        )
        .route(
            "/notify/licence/submit",
            axum::routing::post(crate::public::breach_submit::<S>),
        )
        .route(
            "/cases/{reference}/reports/{file}",
            get(report_document::<S>),
        )
        .route("/annual", get(annual_page::<S>))
        .route("/annual/figures.html", get(annual_html::<S>))
        .route("/annual/figures.csv", get(annual_csv::<S>))
        .route("/annual/figures.pdf", get(annual_pdf::<S>))
        .route("/admin", get(|| async { see_other("/admin/users") }))
        .route(
            "/admin/organisations",
            get(crate::admin::organisations::<S>).post(crate::admin::make_organisation_token::<S>),
        )
        .route(
            "/admin/organisations/{id}/revoke",
            axum::routing::post(crate::admin::revoke_organisation_token::<S>),
        )
}

/// The forms these pages post to: the staff's each behind a
/// [`SignedForm`], the public forms' behind a
/// [`irmer_web::pages::kit::PublicForm`] (the report upload: a
/// [`irmer_web::pages::kit::PublicUpload`]).
pub const FORM_ROUTES: &[&str] = &[
    "/cases/{reference}/steps",
    "/notify/check",
    "/notify/submit",
    "/notify/licence/check",
    "/notify/licence/submit",
    "/notify/report",
    "/admin/organisations",
    "/admin/organisations/{id}/revoke",
];

/// A case's reference from the address: `NotFound` unless it is one of
/// this register's.
async fn case_of<S: Store + AuthorityStore>(
    app: &App<S>,
    p: &PageUser,
    reference: &str,
) -> Result<Notification, PageError> {
    app.register
        .store()
        .notification(reference)
        .await
        .for_page(p)?
        .ok_or_else(|| {
            PageError::not_found(format!("There is no notification {reference}.")).for_user(p)
        })
}

/// The staff who may be assigned a case (inspectors and administrators,
/// not disabled).
async fn inspectors<S: AccountStore>(store: &S) -> Result<Vec<User>, irmer_store::StoreError> {
    Ok(store
        .users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled && matches!(u.role, Role::Investigator | Role::Administrator))
        .collect())
}

fn stage_tag(n: &Notification) -> Markup {
    let class = match n.stage() {
        Stage::Received => "tag due-soon",
        Stage::Closed => "tag met",
        _ => "tag",
    };
    html! { strong class=(class) { (n.stage().label()) } }
}

/// The report's clock in words, and its tag's class.
fn report_clock(n: &Notification, today: CivilDate) -> (String, &'static str) {
    if n.series == Series::Licence && n.report_received_at.is_none() {
        return ("none owed (a licensing breach)".into(), "");
    }
    if let Some(at) = n.report_received_at {
        return (format!("received {}", moment(at)), "met");
    }
    let left = today.days_until(n.report_due);
    let days = |d: i64| format!("{d} day{}", if d == 1 { "" } else { "s" });
    match left {
        l if l < 0 => (
            format!("overdue by {} (was due {})", days(-l), day(n.report_due)),
            "overdue",
        ),
        0 => (format!("due today ({})", day(n.report_due)), "due-soon"),
        l if l <= 14 => (
            format!("due in {} ({})", days(l), day(n.report_due)),
            "due-soon",
        ),
        l => (format!("due in {} ({})", days(l), day(n.report_due)), ""),
    }
}

fn case_table(caption: &str, list: &[Notification], today: CivilDate) -> Markup {
    html! {
        div class="table-wrap" {
            table class="stack" {
                caption { (caption) }
                thead { tr {
                    th scope="col" { "Reference" } th scope="col" { "Organisation" }
                    th scope="col" { "Modality" } th scope="col" { "Received" }
                    th scope="col" { "Stage" } th scope="col" { "Report" }
                } }
                tbody {
                    @for n in list {
                        @let (clock, class) = report_clock(n, today);
                        tr {
                            td data-label="Reference" { a href={ "/cases/" (enc(&n.reference)) } { (n.reference) } }
                            td data-label="Organisation" { (n.organisation_name) }
                            td data-label="Modality" { (modality_label(&n.modality)) }
                            td data-label="Received" { (moment(n.received_at)) }
                            td data-label="Stage" { (stage_tag(n)) }
                            td data-label="Report" { strong class={ "tag " (class) } { (clock) } }
                        }
                    }
                }
            }
        }
    }
}

fn modality_label(id: &str) -> &str {
    irmer_core::incident::Modality::parse(id).map_or(id, |m| m.label())
}

async fn queue<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    // After a password change (the page redirects here with `?changed`).
    let changed = raw.as_deref() == Some("changed=password");
    let store = app.register.store();
    let today = irmer_core::lifecycle::uk_date(app.register.now());
    let untriaged = store
        .notifications(&CaseFilter::queue(), PAGE_SIZE, 0)
        .await
        .for_page(&p)?;
    let mine = store
        .notifications(
            &CaseFilter {
                inspector: Some(p.user.id),
                ..CaseFilter::open()
            },
            PAGE_SIZE,
            0,
        )
        .await
        .for_page(&p)?;
    let waiting = store
        .notifications(
            &CaseFilter {
                without_report: true,
                ..CaseFilter::open()
            },
            1000,
            0,
        )
        .await
        .for_page(&p)?;
    let chasing: Vec<Notification> = waiting
        .into_iter()
        .filter(|n| n.series == Series::Irmer && today.days_until(n.report_due) <= 14)
        .collect();
    let body = html! {
        @if changed { div class="notice success" role="status" { p { "Your password has been changed." } } }
        h1 { "Queue" }
        p class="lead" { (p.authority.map_or("", |a| a.name())) ": IR(ME)R notifications received." }
        h2 { "Awaiting triage" }
        @if untriaged.is_empty() { p { "Every notification received has been triaged." } }
        @else { (case_table("Awaiting triage, oldest first", &untriaged, today)) }
        h2 { "Your open cases" }
        @if mine.is_empty() { p { "No open case is assigned to you." } }
        @else { (case_table("Assigned to you, oldest first", &mine, today)) }
        h2 { "Reports due soon or overdue" }
        p class="hint" { "The provider is chased by e-mail 14 days before the report date and on the first day it is overdue." }
        @if chasing.is_empty() { p { "No report is due in the next 14 days or overdue." } }
        @else { (case_table("Reports due in 14 days or overdue", &chasing, today)) }
    };
    Ok(show(&p, "Queue", Section::Dashboard, body))
}

async fn cases<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let q = Answers::parse(raw.unwrap_or_default().as_bytes());
    let stage = q.get("stage").and_then(Stage::parse);
    let page: u64 = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .filter(|v| (1..=100_000).contains(v))
        .unwrap_or(1);
    let filter = CaseFilter {
        stages: stage.into_iter().collect(),
        ..CaseFilter::default()
    };
    let today = irmer_core::lifecycle::uk_date(app.register.now());
    let list = app
        .register
        .store()
        .notifications(&filter, PAGE_SIZE + 1, (page - 1) * u64::from(PAGE_SIZE))
        .await
        .for_page(&p)?;
    let more = list.len() > PAGE_SIZE as usize;
    let list = &list[..list.len().min(PAGE_SIZE as usize)];
    let link = |n: u64| match stage {
        Some(s) => format!("/cases?stage={}&page={n}", s.as_str()),
        None => format!("/cases?page={n}"),
    };
    let body = html! {
        h1 { "Notifications" }
        form method="get" action="/cases" class="filters" {
            div class="field" {
                label for=(field_id("stage")) { "Stage" }
                select id=(field_id("stage")) name="stage" {
                    option value="" { "Any" }
                    @for s in Stage::ALL { option value=(s.as_str()) selected[stage == Some(s)] { (s.label()) } }
                }
            }
            div class="field" { button type="submit" class="secondary" { "Show" } }
        }
        @if list.is_empty() { p { "No notification." } }
        @else { (case_table("Notifications, oldest first", list, today)) }
        nav aria-label="Pages" {
            @if page > 1 { a href=(link(page - 1)) { "Previous page" } " " }
            @if more { a href=(link(page + 1)) { "Next page" } }
        }
    };
    Ok(show(&p, "Notifications", Section::Register, body))
}

async fn case_page<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let n = case_of(&app, &p, &reference).await?;
    // The notice a step's redirect names, from the list: nothing typed
    // into an address is shown.
    let done = raw
        .as_deref()
        .and_then(|q| q.strip_prefix("done="))
        .and_then(done_words);
    case_again(&app, &p, &n, &Answers::default(), &[], done).await
}

/// The case page, with a form's errors and what was typed (422), or a
/// notice after a step.
async fn case_again<S: Store + AccountStore + AuthorityStore>(
    app: &App<S>,
    p: &PageUser,
    n: &Notification,
    typed: &Answers,
    errors: &[(String, String)],
    done: Option<&str>,
) -> PageResult {
    let store = app.register.store();
    let history = store.case_events(&n.reference).await.for_page(p)?;
    let reports = store.reports_of(&n.reference).await.for_page(p)?;
    let staff = inspectors(store).await.for_page(p)?;
    let today = irmer_core::lifecycle::uk_date(app.register.now());
    let (clock, class) = report_clock(n, today);
    let inspector = n
        .inspector_id
        .and_then(|id| staff.iter().find(|u| u.id == id))
        .map(|u| u.display_name.as_str());
    let differs = !n.provider_codes.is_empty() && n.provider_codes != n.codes;
    let may_act = p.user.may(Action::Investigate) && n.stage() != Stage::Closed;
    let title = format!("Notification {}", n.reference);
    let body = html! {
        span class="caption" { (n.organisation_name) }
        h1 { (title) }
        (error_summary(errors))
        @if let Some(d) = done { div class="notice success" role="status" { p { (d) } } }
        dl class="summary" {
            dt { "Stage" } dd { (stage_tag(n)) }
            dt { "Risk" } dd { (n.risk.map_or("Not triaged", Risk::label)) }
            dt { "Inspector" } dd { (inspector.unwrap_or("None assigned")) }
            dt { "Organisation" } dd { (n.organisation_name) @if let Some(c) = &n.organisation_code { " (" (c) ")" } }
            dt { "Contact" } dd { @if let Some(c) = &n.contact_name { (c) ", " } (n.contact_email) }
            dt { "Chief executive" } dd { (n.chief_executive.as_deref().unwrap_or("Not given")) }
            dt { "Received" } dd { (moment(n.received_at)) }
            dt { "Discovered" } dd { (day(n.discovered)) }
            dt { "Investigation report" } dd { strong class={ "tag " (class) } { (clock) } }
            @if n.series == Series::Licence {
                (breach_rows(&n.facts))
            } @else {
                dt { "Modality" } dd { (modality_label(&n.modality)) }
                dt { "Codes the provider gave" } dd { @if n.provider_codes.is_empty() { "None given" } @else { (n.provider_codes) } }
                dt { "Codes irmer reads from the facts" } dd {
                    @if n.codes.is_empty() { "None" } @else { (n.codes) }
                    @if differs { br; strong class="tag due-soon" { "Differs from the provider's" } }
                }
            }
            dt { "Category" } dd {
                @if n.causes.is_empty() { "Not categorised" }
                @else { (n.sub_modality.as_deref().and_then(irmer_stats::taxonomy::SubModality::parse).map_or("", |s| s.label())) "; causes " (n.causes) }
            }
        }
        h2 { "Summary" }
        p class="copy-block" { (n.summary) }
        h2 { "Investigation reports" }
        @if reports.is_empty() { p { "None received yet." } }
        @for r in reports.iter().rev() {
            h3 { "Version " (r.version) ", received " (moment(r.received_at)) }
            @if let Some(d) = &r.document {
                p {
                    a href={ "/cases/" (enc(&n.reference)) "/reports/" (r.version) ".pdf" } { "The PDF as sent, version " (r.version) } " (" (d.len().div_ceil(1024)) " KB). Its text, as irmer read it and checked it for identifiers:"
                }
            }
            div class="copy-block" { (r.body) }
        }
        @if may_act { (step_forms(p, n, &staff, typed)) }
        h2 { "History" }
        ol class="timeline" {
            @for e in &history {
                li {
                    strong { (case::kind_label(&e.kind)) } " by " (e.actor) ", " (moment(e.at))
                    (event_details(&e.details))
                }
            }
        }
    };
    Ok(show_as(
        p,
        status_of(errors),
        &title,
        Section::Register,
        body,
    ))
}

/// A licensing breach's facts, as the provider gave them.
fn breach_rows(facts: &str) -> Markup {
    use crate::licence::{HOLDERS, KINDS, label};
    let v: Value = serde_json::from_str(facts).unwrap_or(Value::Null);
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    html! {
        dt { "Kind" } dd { strong class="tag" { "Licensing breach (regulation 5)" } }
        dt { "Whose licence" } dd { (label(HOLDERS, &text("holder"))) }
        dt { "What was wrong" } dd { (label(KINDS, &text("kind"))) }
        dt { "Installation" } dd { (text("site")) }
        dt { "Substance or procedure" } dd { (text("substance")) }
        dt { "Patients" } dd { (v.get("patients").map(Value::to_string).unwrap_or_default()) }
        dt { "ARSAC Support Unit notified" } dd { @if v.get("arsac_told") == Some(&Value::Bool(true)) { "Yes" } @else { "Not when it was sent" } }
    }
}

/// An event's details, each in words.
fn event_details(details: &str) -> Markup {
    let v: Value = serde_json::from_str(details).unwrap_or(Value::Null);
    let Some(o) = v.as_object() else {
        return html! {};
    };
    fn label(k: &str) -> &str {
        match k {
            "risk" => "Risk",
            "reason" => "Reason",
            "visit_considered" => "Site visit or inspection considered",
            "inspector" => "Inspector",
            "message" => "Message",
            "received_on" => "Received on",
            "reply" => "Reply",
            "note" => "Note",
            "on" => "On",
            "chief_executive" => "Closure e-mail to",
            "sub_modality" => "Sub-modality",
            "causes" => "Causes",
            "version" => "Version",
            "content_type" => "Format",
            "when" => "Chaser",
            "report_due" => "Report due",
            "by" => "Sent by",
            "provider_codes" => "Provider's codes",
            "codes" => "irmer's reading",
            other => other,
        }
    }
    let words = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Null => "none".into(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    html! {
        @for (k, v) in o {
            br; (label(k)) ": " (words(v))
        }
    }
}

fn textarea(typed: &Answers, name: &str, label: &str, hint: &str) -> Markup {
    html! {
        div class="field" {
            label for=(field_id(name)) { (label) }
            @if !hint.is_empty() { span class="hint" id={ (field_id(name)) "-hint" } { (hint) } }
            textarea id=(field_id(name)) name=(name) rows="4"
                aria-describedby=[(!hint.is_empty()).then(|| format!("{}-hint", field_id(name)))] {
                (typed.get(name).unwrap_or_default())
            }
        }
    }
}

fn date_field(typed: &Answers, name: &str, label: &str) -> Markup {
    html! {
        div class="field" {
            label for=(field_id(name)) { (label) }
            input class="short" type="date" id=(field_id(name)) name=(name) value=(typed.get(name).unwrap_or_default());
        }
    }
}

/// A form for one step: its heading, the CSRF token, the step's name.
fn step_form(
    p: &PageUser,
    n: &Notification,
    step: &str,
    heading: &str,
    fields: Markup,
    button: &str,
) -> Markup {
    html! {
        section class="panel" aria-labelledby={ "step-" (step) } {
            h3 id={ "step-" (step) } { (heading) }
            form method="post" action={ "/cases/" (enc(&n.reference)) "/steps" } novalidate {
                (csrf_field(&p.csrf))
                input type="hidden" name="step" value=(step);
                (fields)
                button type="submit" { (button) }
            }
        }
    }
}

fn step_forms(p: &PageUser, n: &Notification, staff: &[User], typed: &Answers) -> Markup {
    let stage = n.stage();
    let triaged = stage != Stage::Received;
    let typed_for = |step: &str| {
        if typed.get("step") == Some(step) {
            typed.clone()
        } else {
            Answers::default()
        }
    };
    let t = typed_for("triage");
    let chosen_risk = t.get("risk").or(n.risk.map(Risk::as_str));
    let chosen_inspector = t
        .get("inspector")
        .and_then(|v| v.parse::<i64>().ok())
        .or(n.inspector_id)
        .or(Some(p.user.id));
    let sub_default = irmer_core::incident::Modality::parse(&n.modality)
        .map(irmer_stats::taxonomy::SubModality::of);
    let c = typed_for("categorise");
    let chosen_sub = c
        .get("sub_modality")
        .map(str::to_owned)
        .or(n.sub_modality.clone())
        .or(sub_default.map(|s| s.as_str().to_owned()));
    let chosen_causes: Vec<String> = if c.get("step").is_some() {
        c.all("causes").into_iter().map(str::to_owned).collect()
    } else {
        n.causes.split_whitespace().map(str::to_owned).collect()
    };
    let taxonomy = irmer_stats::taxonomy::Taxonomy::shipped().unwrap_or_default();
    html! {
        h2 { "Steps" }
        p class="hint" { "Each step is kept in the history below with your name and the time; nothing in it can be changed afterwards. Write nothing that identifies a patient." }
        (step_form(p, n, "triage", if triaged { "Triage again" } else { "Triage" }, html! {
            fieldset class="field" {
                legend { "Risk" }
                @for r in Risk::ALL {
                    label class="choice" {
                        input type="radio" name="risk" id={ (field_id("risk")) @if r != Risk::Low { "-" (r.as_str()) } } value=(r.as_str()) checked[chosen_risk == Some(r.as_str())];
                        " " (r.label())
                    }
                }
            }
            (textarea(&t, "reason", "Why this risk", ""))
            div class="field" {
                label class="choice" {
                    input type="checkbox" id=(field_id("visit_considered")) name="visit_considered" value="yes" checked[t.get("visit_considered") == Some("yes")];
                    " A site visit or inspection is considered"
                }
            }
            div class="field" {
                label for=(field_id("inspector")) { "Inspector" }
                select id=(field_id("inspector")) name="inspector" {
                    option value="" { "None assigned" }
                    @for u in staff { option value=(u.id) selected[chosen_inspector == Some(u.id)] { (u.display_name) } }
                }
            }
        }, "Save the triage"))
        (step_form(p, n, "request", "Ask the provider for more details", html! {
            p class="hint" { "An e-mail to " (n.contact_email) ", quoting " (n.reference) "." }
            (textarea(&typed_for("request"), "message", "What you need to know", ""))
        }, "Send the request"))
        (step_form(p, n, "reply", "Record the provider's reply", html! {
            (date_field(&typed_for("reply"), "received_on", "Received on"))
            (textarea(&typed_for("reply"), "reply", "The reply", "Paste what matters; nothing that identifies a patient."))
        }, "Record the reply"))
        @if triaged && (n.report_received_at.is_some() || n.series == Series::Licence) {
            (step_form(p, n, "review", "Review the report", html! {
                (textarea(&typed_for("review"), "note", "Findings of the review", ""))
            }, "Save the review"))
        }
        (step_form(p, n, "correspondence", "Record correspondence", html! {
            (date_field(&typed_for("correspondence"), "on", "Date"))
            (textarea(&typed_for("correspondence"), "note", "What was said", ""))
        }, "Record the correspondence"))
        (step_form(p, n, "visit", "Record a site visit", html! {
            (date_field(&typed_for("visit"), "on", "Date of the visit"))
            (textarea(&typed_for("visit"), "note", "What was found", ""))
        }, "Record the visit"))
        (step_form(p, n, "categorise", "Categorise for internal reporting", html! {
            div class="field" {
                label for=(field_id("sub_modality")) { "Sub-modality" }
                select id=(field_id("sub_modality")) name="sub_modality" {
                    @for s in irmer_stats::taxonomy::SubModality::ALL {
                        option value=(s.as_str()) selected[chosen_sub.as_deref() == Some(s.as_str())] { (s.label()) }
                    }
                }
            }
            fieldset class="field" {
                legend id=(field_id("causes")) { "Causes (tier 3 of the detailed error type)" }
                @for one in taxonomy.tier(1) {
                    details {
                        summary { (one.code) " " (one.name) }
                        @for two in taxonomy.tier(2).filter(|e| e.parent.as_deref() == Some(one.code.as_str())) {
                            p { strong { (two.code) " " (two.name) } }
                            @for three in taxonomy.tier(3).filter(|e| e.parent.as_deref() == Some(two.code.as_str())) {
                                @let id = format!("cause-{}", three.code.replace('.', "-"));
                                label class="choice" for=(id) {
                                    input type="checkbox" id=(id) name="causes" value=(three.code) checked[chosen_causes.contains(&three.code)];
                                    " " (three.code) " " (three.name)
                                }
                            }
                        }
                    }
                }
            }
        }, "Save the category"))
        @if triaged {
            @if stage != Stage::ProvisionallyClosed {
                (step_form(p, n, "provisional", "Close provisionally", html! {
                    (textarea(&typed_for("provisional"), "note", "What is still owed", ""))
                }, "Close provisionally"))
            }
            @if matches!(stage, Stage::Reviewing | Stage::ProvisionallyClosed) {
                (step_form(p, n, "close", "Close the notification", html! {
                    div class="field" {
                        label for=(field_id("chief_executive")) { "The provider's chief executive's e-mail address" }
                        span class="hint" id="chief-executive-hint" { "The closure e-mail goes to them." @if n.chief_executive.is_some() { " The notification gave this address." } }
                        input type="email" id=(field_id("chief_executive")) name="chief_executive" autocomplete="off" spellcheck="false" aria-describedby="chief-executive-hint" value=(typed_for("close").get("chief_executive").or(n.chief_executive.as_deref()).unwrap_or_default());
                    }
                    (textarea(&typed_for("close"), "note", "The closure's findings, for the e-mail", ""))
                }, "Close and send the e-mail"))
            }
        }
    }
}

/// The step a form describes, or what is wrong with it.
fn step_of(a: &Answers, staff: &[User]) -> Result<Step, Refusal> {
    let text = |name: &str| a.get(name).unwrap_or_default().trim().to_owned();
    let date = |name: &'static str| {
        CivilDate::parse(a.get(name).unwrap_or_default().trim()).ok_or(Refusal {
            field: name,
            message: "Enter a date, like 2026-12-04".into(),
        })
    };
    Ok(match a.get("step").unwrap_or_default() {
        "triage" => Step::Triage {
            risk: a.get("risk").and_then(Risk::parse).ok_or(Refusal {
                field: "risk",
                message: "Choose a risk level".into(),
            })?,
            reason: text("reason"),
            visit_considered: a.get("visit_considered") == Some("yes"),
            inspector: match a.get("inspector").unwrap_or_default() {
                "" => None,
                id => Some(
                    id.parse::<i64>()
                        .ok()
                        .and_then(|id| staff.iter().find(|u| u.id == id))
                        .map(|u| (u.id, u.display_name.clone()))
                        .ok_or(Refusal {
                            field: "inspector",
                            message: "Choose an inspector from the list".into(),
                        })?,
                ),
            },
        },
        "request" => Step::RequestDetails {
            message: text("message"),
        },
        "reply" => Step::RecordReply {
            received_on: date("received_on")?,
            reply: text("reply"),
        },
        "review" => Step::Review { note: text("note") },
        "correspondence" => Step::Correspondence {
            on: date("on")?,
            note: text("note"),
        },
        "visit" => Step::SiteVisit {
            on: date("on")?,
            note: text("note"),
        },
        "provisional" => Step::ProvisionallyClose { note: text("note") },
        "close" => Step::Close {
            chief_executive: text("chief_executive"),
            note: text("note"),
        },
        "categorise" => Step::Categorise {
            sub_modality: text("sub_modality"),
            causes: a.all("causes").into_iter().map(str::to_owned).collect(),
        },
        _ => {
            return Err(Refusal {
                field: "step",
                message: "Choose a step".into(),
            });
        }
    })
}

/// The notice after a step, by the event's kind.
fn done_words(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "triaged" => "The triage is saved.",
        "details-requested" => "The request is queued to send by e-mail.",
        "reply-recorded" => "The reply is recorded.",
        "reviewed" => "The review is saved.",
        "correspondence" => "The correspondence is recorded.",
        "site-visit" => "The visit is recorded.",
        "provisionally-closed" => "The notification is closed provisionally.",
        "closed" => "The notification is closed; the e-mail to the chief executive is queued.",
        "categorised" => "The category is saved.",
        _ => return None,
    })
}

async fn take_step<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    Extension(config): Extension<CaseConfig>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Investigate)?;
    let n = case_of(&app, &p, &reference).await?;
    let store = app.register.store();
    let staff = inspectors(store).await.for_page(&p)?;
    let refused = |r: Refusal| vec![(r.field.to_owned(), r.message)];
    let step = match step_of(&a, &staff) {
        Ok(s) => s,
        Err(r) => return case_again(&app, &p, &n, &a, &refused(r), None).await,
    };
    let actor = Actor {
        authority: config.authority,
        mail_from: &config.mail_from,
        user_id: Some(p.user.id),
        name: &p.user.display_name,
    };
    match case::take(store, &n, &step, &actor, app.register.now())
        .await
        .for_page(&p)?
    {
        // Post/redirect/get: reloading the page does not take it again.
        Taken::Done(_) => Ok(see_other(&format!(
            "/cases/{}?done={}",
            enc(&reference),
            step.kind()
        ))),
        Taken::Refused(r) => case_again(&app, &p, &n, &a, &refused(r), None).await,
    }
}

/// `GET /cases/{reference}/reports/{version}.pdf`: a report's PDF as the
/// provider sent it (staff only, as every page here).
async fn report_document<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path((reference, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let missing = || PageError::not_found("There is no such report.").for_user(&p);
    let version: i64 = file
        .strip_suffix(".pdf")
        .and_then(|v| v.parse().ok())
        .ok_or_else(missing)?;
    let n = case_of(&app, &p, &reference).await?;
    let reports = app
        .register
        .store()
        .reports_of(&n.reference)
        .await
        .for_page(&p)?;
    let document = reports
        .into_iter()
        .find(|r| r.version == version)
        .and_then(|r| r.document)
        .ok_or_else(missing)?;
    Ok(download(
        document,
        "application/pdf",
        &format!("{}-report-v{version}.pdf", n.reference),
    ))
}

/// Every notification, for the annual figures.
async fn all_notifications<S: AuthorityStore>(
    store: &S,
) -> Result<Vec<Notification>, irmer_store::StoreError> {
    let mut all = Vec::new();
    loop {
        let page = store
            .notifications(&CaseFilter::default(), 1000, all.len() as u64)
            .await?;
        let done = page.len() < 1000;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// The year the current financial year starts in.
fn financial_year_now(today: CivilDate) -> i32 {
    irmer_stats::tally::current_financial_year(today)
        .0
        .date()
        .year()
}

/// The financial year a query names (`?year=2025` for 2025-26), else the
/// current one.
fn year_of(raw: Option<&str>, today: CivilDate) -> Option<i32> {
    let q = Answers::parse(raw.unwrap_or_default().as_bytes());
    match q.get("year") {
        None | Some("") => Some(financial_year_now(today)),
        Some(y) => y.parse().ok().filter(|y| (2000..=2999).contains(y)),
    }
}

async fn annual_page<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let today = irmer_core::lifecycle::uk_date(app.register.now());
    let current = financial_year_now(today);
    let year = year_of(raw.as_deref(), today);
    let errors: Vec<(String, String)> = if year.is_none() {
        vec![(
            "year".into(),
            "Enter the year the financial year starts in, like 2025".into(),
        )]
    } else {
        Vec::new()
    };
    let year = year.unwrap_or(current);
    let body = html! {
        h1 { "Annual figures" }
        (error_summary(&errors))
        p { "Notifications received in a financial year (1 April to 31 March, by the day in the UK), counted by modality, sub-modality and code, and how often the provider's codes differed from irmer's reading, as the authorities publish them." }
        form method="get" action="/annual" class="filters" {
            div class="field" {
                label for=(field_id("year")) { "Financial year starting in" }
                input class="short" type="text" inputmode="numeric" id=(field_id("year")) name="year" value=(year);
            }
            div class="field" { button type="submit" class="secondary" { "Choose" } }
        }
        ul {
            li { a href={ "/annual/figures.html?year=" (year) } { "The figures for " (year) "-" (format!("{:02}", (year + 1) % 100)) " (web page, with charts)" } }
            li { a href={ "/annual/figures.csv?year=" (year) } { "The same as CSV" } }
            li { a href={ "/annual/figures.pdf?year=" (year) } { "The same as PDF" } }
        }
    };
    Ok(show_as(
        &p,
        status_of(&errors),
        "Annual figures",
        Section::Statistics,
        body,
    ))
}

async fn annual_year<S: Store + AccountStore + AuthorityStore>(
    app: &App<S>,
    p: &PageUser,
    raw: Option<&str>,
) -> Result<crate::annual::Annual, PageError> {
    let today = irmer_core::lifecycle::uk_date(app.register.now());
    let year = year_of(raw, today).ok_or_else(|| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Not a year",
            "The year is the one the financial year starts in, like 2025.",
        )
        .for_user(p)
    })?;
    let (from, to) = irmer_stats::tally::financial_year(year).ok_or_else(|| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Not a year",
            "No such financial year.",
        )
        .for_user(p)
    })?;
    let all = all_notifications(app.register.store()).await.for_page(p)?;
    Ok(crate::annual::annual(&all, from, to))
}

async fn annual_html<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    Extension(config): Extension<CaseConfig>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let year = annual_year(&app, &p, raw.as_deref()).await?;
    let mut r = crate::annual::html(&year, config.authority).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(irmer_web::pages::kit::DOCUMENT_CSP),
    );
    Ok(r)
}

async fn annual_pdf<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    Extension(config): Extension<CaseConfig>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let year = annual_year(&app, &p, raw.as_deref()).await?;
    let now = app.register.now();
    // Typesetting takes a moment: off the async threads.
    let bytes =
        tokio::task::spawn_blocking(move || crate::annual::pdf(&year, config.authority, now))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(|e| {
                PageError::from(irmer_web::Problem::from(
                    irmer_store::register::RegisterError::from(irmer_store::StoreError::Backend(e)),
                ))
                .for_user(&p)
            })?;
    Ok(download(bytes, "application/pdf", "annual-figures.pdf"))
}

async fn annual_csv<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let year = annual_year(&app, &p, raw.as_deref()).await?;
    Ok(download(
        crate::annual::csv(&year),
        "text/csv; charset=utf-8",
        "annual-figures.csv",
    ))
}

/// A file to save: its type, and its name (letters, digits, `-` and `.`
/// only: irmer makes every name it gives).
fn download(body: impl IntoResponse, content_type: &'static str, file_name: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let safe: String = file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
