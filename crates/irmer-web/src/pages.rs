//! The web application's pages: sign-in, the dashboard, reporting an
//! incident, the incident page and its notification summary, the register
//! with its CSV export, and administration. Server-rendered HTML that works
//! without JavaScript; every form carries the session's CSRF token; every
//! page checks the user's role and scope.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use irmer_core::incident::{CivilDate, Modality};
use irmer_core::lifecycle::{IncidentStatus, Transition};
use irmer_core::{Outcome, Settings};
use irmer_store::accounts::{
    AccountError, AccountStore, Action, Role, SESSION_FOR, User, same_secret, secret,
};
use irmer_store::export::CsvExport;
use irmer_store::register::{HistoryEntry, IncidentRecord, RegisterError, summary_deadlines};
use irmer_store::{Filter, Owner, Sort, Store, StoreError, Summary};
use maud::{Markup, html};
use serde_json::Value;

use crate::app::{
    App, ClientAddress, PageUser, SESSION_COOKIE, SIGN_IN_COOKIE, action_words, cookie, set_cookie,
};
use crate::form::{self, Answers};
mod identity;
mod report;
mod tokens;

use crate::html::{
    Section, assessment_panel, clocks, csrf_field, error_summary, field_id, outcome_tag,
    outcome_words, page, respond,
};

pub fn routes<S: Store + AccountStore>() -> Router<App<S>> {
    Router::new()
        .route(
            "/static/irmer.css",
            get(|| async { asset(crate::html::CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/irmer.js",
            get(|| async { asset(crate::html::JS, "text/javascript; charset=utf-8") }),
        )
        .route("/sign-in", get(sign_in_page::<S>).post(sign_in::<S>))
        .route("/sign-out", post(sign_out::<S>))
        .route(
            "/account/password",
            get(password_page::<S>).post(change_password::<S>),
        )
        .route(
            "/account/tokens",
            get(tokens::tokens_page::<S>).post(tokens::make_token::<S>),
        )
        .route(
            "/account/tokens/{id}/revoke",
            post(tokens::revoke_token::<S>),
        )
        .route("/", get(dashboard::<S>))
        .route("/report", get(choose_modality::<S>).post(report::<S>))
        .route("/report/form", get(report_form::<S>))
        .route("/report/preview", post(preview::<S>))
        .route("/incidents", get(register_page::<S>))
        .route("/incidents.csv", get(register_csv::<S>))
        .route("/incidents/{reference}", get(incident_page::<S>))
        .route(
            "/incidents/{reference}/edit",
            get(edit_page::<S>).post(edit::<S>),
        )
        .route(
            "/incidents/{reference}/identity",
            get(identity::identity_page::<S>).post(identity::save_identity::<S>),
        )
        .route(
            "/incidents/{reference}/report",
            get(report::report_page::<S>).post(report::save_report::<S>),
        )
        .route(
            "/incidents/{reference}/report.html",
            get(report::report_html::<S>),
        )
        .route(
            "/incidents/{reference}/report.pdf",
            get(report::report_pdf::<S>),
        )
        .route("/incidents/{reference}/steps", post(step::<S>))
        .route("/incidents/{reference}/comments", post(comment::<S>))
        .route(
            "/incidents/{reference}/notification",
            get(notification::<S>),
        )
        .route("/admin", get(admin_page::<S>))
        .route("/admin/users", post(add_user::<S>))
        .route("/admin/users/{id}", post(change_user::<S>))
        .route("/admin/sites", post(add_site::<S>))
        .route("/admin/departments", post(add_department::<S>))
        .route("/admin/settings", post(change_settings::<S>))
        .route("/admin/hospital-numbers", post(change_masks::<S>))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// A page that could not be shown: its status and what to tell the person.
pub struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
    who: Option<Box<(User, String)>>,
}

impl PageError {
    fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        PageError {
            status,
            title,
            message: message.into(),
            who: None,
        }
    }

    fn forbidden(action: Action) -> Self {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            format!("Your role does not allow you to {}.", action_words(action)),
        )
    }

    fn for_user(mut self, p: &PageUser) -> Self {
        self.who = Some(Box::new((p.user.clone(), p.csrf.clone())));
        self
    }
}

impl From<RegisterError> for PageError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Store(StoreError::NotFound(r)) => PageError::new(
                StatusCode::NOT_FOUND,
                "Page not found",
                format!("There is no incident {r:?} that you can see."),
            ),
            RegisterError::Store(StoreError::Conflict { .. }) => PageError::new(
                StatusCode::CONFLICT,
                "Someone else changed this incident",
                format!("{e} Go back, reload the page, and make your change again."),
            ),
            RegisterError::Invalid(_) | RegisterError::Transition(_) => PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "There is a problem",
                e.to_string(),
            ),
            other => PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                other.to_string(),
            ),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        RegisterError::from(e).into()
    }
}

impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(s) => s.into(),
            other => PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "There is a problem",
                other.to_string(),
            ),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let who = self.who.as_deref().map(|(u, c)| (u, c.as_str()));
        respond(
            self.status,
            page(
                self.title,
                Section::None,
                who,
                html! {
                    h1 { (self.title) }
                    p class="lead" { (self.message) }
                    p { a href="/" { "Go to the dashboard" } }
                },
            ),
        )
    }
}

type PageResult = Result<Response, PageError>;

/// A failure, as a page for the signed-in user.
trait ForPage<T> {
    fn for_page(self, p: &PageUser) -> Result<T, PageError>;
}

impl<T, E: Into<PageError>> ForPage<T> for Result<T, E> {
    fn for_page(self, p: &PageUser) -> Result<T, PageError> {
        self.map_err(|e| e.into().for_user(p))
    }
}

/// Refuses a form whose CSRF token is missing or not this session's.
fn check_csrf(answers: &Answers, p: &PageUser) -> Result<(), PageError> {
    match answers.get("csrf") {
        Some(token) if same_secret(token, &p.csrf) => Ok(()),
        _ => Err(PageError::new(
            StatusCode::FORBIDDEN,
            "The form has expired",
            "This form was not sent from your current session (its security token is missing or wrong). Go back, reload the page and try again.",
        )
        .for_user(p)),
    }
}

fn allow(p: &PageUser, action: Action) -> Result<(), PageError> {
    if p.user.may(action) {
        Ok(())
    } else {
        Err(PageError::forbidden(action).for_user(p))
    }
}

fn show(p: &PageUser, title: &str, section: Section, body: Markup) -> Response {
    show_as(p, StatusCode::OK, title, section, body)
}

/// A page for the signed-in user with another status (422 with errors).
fn show_as(
    p: &PageUser,
    status: StatusCode,
    title: &str,
    section: Section,
    body: Markup,
) -> Response {
    respond(status, page(title, section, Some((&p.user, &p.csrf)), body))
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A path segment, percent-encoded.
fn enc(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

// ---------------------------------------------------------------- sign-in

async fn sign_in_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let next = next_of(raw.as_deref());
    sign_in_form(&app, &headers, &next, &[], "", StatusCode::OK)
}

/// Where to go after signing in: a path on this site only, else `/`.
fn next_of(raw: Option<&str>) -> String {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .filter(|v| same_site_path(v))
        .unwrap_or_else(|| "/".to_owned())
}

/// A path on this site: `/` then visible ASCII only. No control character
/// or space (browsers drop tabs and newlines, so `/\t/evil.example` is
/// `//evil.example`), no `//` (another host) and no `\` (which browsers
/// read as `/`).
fn same_site_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

fn sign_in_form<S>(
    app: &App<S>,
    headers: &HeaderMap,
    next: &str,
    errors: &[(String, String)],
    username: &str,
    status: StatusCode,
) -> PageResult {
    // The sign-in form's CSRF token lives in a cookie of its own until
    // there is a session (a double-submitted token).
    let token = match cookie(headers, SIGN_IN_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => t.to_owned(),
        _ => secret()?,
    };
    let body = html! {
        div class="columns" {
            div {
                (error_summary(errors))
                h1 { "Sign in" }
                form method="post" action="/sign-in" novalidate {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    @let user_error = errors.iter().find(|(f, _)| f == "username").map(|(_, m)| m);
                    div class={ "field" @if user_error.is_some() { " error" } } {
                        label for=(field_id("username")) { "Username" }
                        @if let Some(e) = user_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                        input type="text" id=(field_id("username")) name="username" value=(username) autocomplete="username" spellcheck="false" autocapitalize="none";
                    }
                    div class="field" {
                        label for=(field_id("password")) { "Password" }
                        input type="password" id=(field_id("password")) name="password" autocomplete="current-password";
                    }
                    button type="submit" { "Sign in" }
                }
            }
        }
    };
    let mut r = respond(status, page("Sign in", Section::None, None, body));
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SIGN_IN_COOKIE,
        &token,
        3600,
        app.secure_cookies,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn sign_in<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    let next = next_of(Some(&format!("next={}", enc(a.get("next").unwrap_or("/")))));
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    let sent = a.get("csrf").unwrap_or_default();
    if expected.is_empty() || !same_secret(sent, expected) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "The form has expired",
            "The sign-in form's security token is missing or wrong (are cookies allowed?). Open the sign-in page again.",
        ));
    }
    let username = a.get("username").unwrap_or_default().to_owned();
    let password =
        a.0.iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
    match app
        .accounts
        .sign_in(&username, password, &address, app.register.now())
        .await
    {
        Ok((user, session)) => {
            let to = if user.must_change_password {
                "/account/password"
            } else {
                next.as_str()
            };
            let mut r = see_other(to);
            if let Ok(v) = HeaderValue::from_str(&set_cookie(
                SESSION_COOKIE,
                &session.id,
                SESSION_FOR.whole_seconds(),
                app.secure_cookies,
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(e @ (AccountError::BadCredentials | AccountError::Locked(_))) => {
            let message = match e {
                AccountError::Locked(_) => capital(&e.to_string()),
                _ => "Enter a correct username and password. After 5 wrong tries in a row, sign-in to that username from this computer stops for 15 minutes.".to_owned(),
            };
            sign_in_form(
                &app,
                &headers,
                &next,
                &[("username".into(), message)],
                &username,
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn sign_out<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    check_csrf(&Answers::parse(&body), &p)?;
    app.accounts.sign_out(&p.session_id).await?;
    let mut r = see_other("/sign-in");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, app.secure_cookies)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn password_page<S: Store + AccountStore>(
    State(_): State<App<S>>,
    p: PageUser,
) -> PageResult {
    Ok(password_form(&p, &[], StatusCode::OK))
}

fn password_form(p: &PageUser, errors: &[(String, String)], status: StatusCode) -> Response {
    let error_for = |f: &str| errors.iter().find(|(n, _)| n == f).map(|(_, m)| m.clone());
    let field = |name: &str, label: &str, hint: &str, autocomplete: &str| {
        let e = error_for(name);
        html! {
            div class={ "field" @if e.is_some() { " error" } } {
                label for=(field_id(name)) { (label) }
                @if !hint.is_empty() { span class="hint" id={ (field_id(name)) "-hint" } { (hint) } }
                @if let Some(e) = e { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                input type="password" id=(field_id(name)) name=(name) autocomplete=(autocomplete)
                    aria-describedby=[(!hint.is_empty()).then(|| format!("{}-hint", field_id(name)))];
            }
        }
    };
    let body = html! {
        (error_summary(errors))
        h1 { "Change your password" }
        @if p.user.must_change_password {
            div class="notice" { p { "You signed in with a one-time password. Choose your own password to go on." } }
        }
        p { "Signed in as " strong { (p.user.username) } " (" (p.user.role.label()) ")." }
        form method="post" action="/account/password" novalidate {
            (csrf_field(&p.csrf))
            (field("current_password", "Current password", "", "current-password"))
            (field("new_password", "New password", "At least 12 characters. A few unrelated words together are long and easy to remember.", "new-password"))
            (field("confirm_password", "New password again", "", "new-password"))
            button type="submit" { "Change password" }
        }
        p { a href="/account/tokens" { "Your API tokens" } }
    };
    show_as(p, status, "Change your password", Section::Account, body)
}

async fn change_password<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ClientAddress(address): ClientAddress,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    let raw = |name: &str| {
        a.0.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (current, new, confirm) = (
        raw("current_password"),
        raw("new_password"),
        raw("confirm_password"),
    );
    if new != confirm {
        return Ok(password_form(
            &p,
            &[(
                "confirm_password".into(),
                "The two new passwords are not the same".into(),
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match app
        .accounts
        .change_password(&p.user, &current, &new, &address, app.register.now())
        .await
    {
        Ok(session) => {
            let mut r = see_other("/?changed=password");
            if let Ok(v) = HeaderValue::from_str(&set_cookie(
                SESSION_COOKIE,
                &session.id,
                SESSION_FOR.whole_seconds(),
                app.secure_cookies,
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(AccountError::Invalid { field, message }) => {
            let field = if field == "password" {
                "new_password"
            } else {
                field
            };
            Ok(password_form(
                &p,
                &[(field.into(), capital(&message))],
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

fn capital(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

// -------------------------------------------------------------- dashboard

const OPEN: [IncidentStatus; 4] = [
    IncidentStatus::Reported,
    IncidentStatus::Investigating,
    IncidentStatus::Notified,
    IncidentStatus::ReportSent,
];

fn status_words(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Reported => "Reported",
        IncidentStatus::Investigating => "Investigating",
        IncidentStatus::Notified => "Notified",
        IncidentStatus::ReportSent => "Report sent",
        IncidentStatus::Closed => "Closed",
        IncidentStatus::ClosedLocally => "Closed locally",
    }
}

async fn dashboard<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let scope = Some(p.user.scope());
    let r = &app.register;
    let today = r.today();
    let open = Filter {
        status: OPEN.to_vec(),
        scope,
        ..Filter::default()
    };
    let (counts, open) = tokio::try_join!(
        r.status_counts(scope),
        r.summaries(&open, Sort::NextDue, 50, 0)
    )
    .for_page(&p)?;
    let drafts = app.accounts.store().drafts(p.user.id).await?;
    let changed = raw.as_deref() == Some("changed=password");
    let reporter = p.user.role == Role::Reporter;
    let body = html! {
        @if changed { div class="notice success" role="status" { p { "Your password has been changed." } } }
        h1 { @if reporter { "Your reports" } @else { "Dashboard" } }
        @if p.user.may(Action::Report) {
            p { a class="button" href="/report" { "Report an incident" } }
        }
        (drafts_notice(&drafts))
        h2 { "Incidents by status" }
        ul class="counts" {
            li { strong { (counts.overdue) } a href="/incidents?overdue=true" { "Overdue" } }
            @for (status, n) in &counts.by_status {
                li { strong { (n) } a href={ "/incidents?status=" (status.as_str()) } { (status_words(*status)) } }
            }
        }
        h2 { "Open incidents, soonest deadline first" }
        @if open.items.is_empty() {
            p { "There are no open incidents." }
        } @else {
            (summary_table(&open.items, today, "Open incidents"))
            @if open.more { p { a href="/incidents?status=reported,investigating,notified,report-sent&sort=next-due" { "See all open incidents" } } }
        }
    };
    Ok(show(
        &p,
        if reporter {
            "Your reports"
        } else {
            "Dashboard"
        },
        Section::Dashboard,
        body,
    ))
}

fn summary_table(items: &[Summary], today: CivilDate, caption: &str) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption class="visually-hidden" { (caption) }
                thead { tr {
                    th scope="col" { "Reference" } th scope="col" { "Discovered" } th scope="col" { "Modality" }
                    th scope="col" { "Status" } th scope="col" { "Outcome and codes" } th scope="col" { "Deadlines" }
                } }
                tbody {
                    @for s in items {
                        tr {
                            td { a href={ "/incidents/" (enc(&s.reference)) } { (s.reference) } }
                            td { (s.index.discovered) }
                            td { (s.index.modality.label()) }
                            td { (status_words(s.status)) }
                            td { (outcome_tag(s.index.outcome)) @if !s.index.codes.is_empty() { " " (s.index.codes.replace(' ', ", ")) } }
                            td { (clocks(summary_deadlines(&s.index, today).as_ref())) }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- report

async fn choose_modality<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
) -> PageResult {
    allow(&p, Action::Report)?;
    let drafts = app.accounts.store().drafts(p.user.id).await?;
    Ok(show(
        &p,
        "Report an incident",
        Section::Report,
        modality_question(&p, &drafts, None),
    ))
}

/// The user's saved, unsent reports, each a link back to its form
/// (nothing when there are none).
fn drafts_notice(drafts: &[irmer_store::accounts::Draft]) -> Markup {
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
                            " (saved " (d.updated_at.date()) ")"
                        }
                    }
                }
            }
        }
    }
}

fn modality_question(
    p: &PageUser,
    drafts: &[irmer_store::accounts::Draft],
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
            button type="submit" { "Continue" }
        }
    }
}

/// The default nation for new reports (an administrator's setting).
async fn default_nation<S: AccountStore>(app: &App<S>) -> Result<String, StoreError> {
    Ok(app
        .accounts
        .store()
        .setting("default_nation")
        .await?
        .unwrap_or_else(|| "england".to_owned()))
}

async fn report_form<S: Store + AccountStore>(
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
                PageError::new(
                    StatusCode::NOT_FOUND,
                    "Page not found",
                    "There is no such draft of yours.",
                )
                .for_user(&p)
            })?;
            let mut a = Answers::parse(draft.form.as_bytes());
            a.0.push(("draft".into(), id.to_string()));
            a
        }
        None => query,
    };
    let Some(modality) = form::modality(&answers) else {
        let drafts = app.accounts.store().drafts(p.user.id).await?;
        return Ok(show_as(
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Report an incident",
            Section::Report,
            modality_question(&p, &drafts, Some("Choose what was being done")),
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
fn report_body<S: Store + AccountStore>(
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

/// The answers as an incident (and its JSON), or the errors by field.
fn incident_from(
    answers: &Answers,
) -> Result<(irmer_core::incident::Incident, String), Vec<(String, String)>> {
    let json = form::to_incident_json(answers)?;
    match irmer_core::parse_incident(&json) {
        Ok(incident) => Ok((incident, json)),
        Err(e) => {
            let field = form::field_for(&e.field);
            let label = form::questions()
                .find(|q| q.name == field)
                .map_or("This answer", |q| q.label);
            let message = match e.message.strip_prefix("required, but missing") {
                Some(_) => format!("{label}: this is required"),
                None => format!("{label}: {}", e.message),
            };
            Err(vec![(field, message)])
        }
    }
}

async fn preview<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    let mut r = preview_panel(&app, &a).into_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

async fn report<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    allow(&p, Action::Report)?;
    let mut a = Answers::parse(&body);
    check_csrf(&a, &p)?;
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
        _ => match incident_from(&a) {
            Err(errors) => Ok(show_as(
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Report an incident",
                Section::Report,
                report_body(&app, &p, modality, &a, &errors, None, None),
            )),
            Ok((_, json)) => {
                let owner = Owner {
                    department: p.user.department_id,
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
                        return Ok(show_as(
                            &p,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "Report an incident",
                            Section::Report,
                            report_body(&app, &p, modality, &a, &errors, None, None),
                        ));
                    }
                    Err(RegisterError::Store(StoreError::Duplicate(r))) => {
                        let errors = vec![(
                            "reference".to_owned(),
                            format!(
                                "Your own reference: {r:?} is already in the register; use another or leave it blank"
                            ),
                        )];
                        return Ok(show_as(
                            &p,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "Report an incident",
                            Section::Report,
                            report_body(&app, &p, modality, &a, &errors, None, None),
                        ));
                    }
                    Err(e) => return Err(PageError::from(e).for_user(&p)),
                };
                if let Some(id) = draft {
                    app.accounts.store().delete_draft(p.user.id, id).await?;
                }
                Ok(see_other(&format!(
                    "/incidents/{}?reported=1",
                    enc(&record.reference)
                )))
            }
        },
    }
}

// -------------------------------------------------------------- incidents

async fn incident_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let record = app.incident_for(&p.user, &reference).await.for_page(&p)?;
    let history = app.register.history(&reference).await.for_page(&p)?;
    let notice = match raw.as_deref() {
        Some("reported=1") => Some("Incident recorded. Its assessment and deadlines are below."),
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
        incident_body(&app, &p, &record, &history, notice, &[]),
    ))
}

fn incident_body<S: Store>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
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
        .filter(|h| h.kind == irmer_store::EventKind::Comment)
        .collect();
    html! {
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        span class="caption" { (rec.incident.modality.label()) " · discovered " (rec.incident.discovered) }
        h1 { "Incident " (rec.reference) }
        p { strong { "Status: " (status_words(rec.status)) } " · " (outcome_tag(rec.outcome)) }
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
                dl class="summary" {
                    @for q in form::questions() {
                        @if let Some(v) = answers.get(q.name) {
                            dt { (q.label) }
                            dd { (answer_words(q, &answers, v)) }
                        }
                    }
                }
                h2 { "History" }
                ol class="timeline" {
                    @for h in history {
                        li {
                            strong { (event_words(h)) } " by " (h.actor) ", " (minute(h.at))
                            @if let Some(reason) = &h.reason { br; "Reason: " (reason) }
                            @if h.kind == irmer_store::EventKind::ReportExported {
                                br; "Version " (h.data.get("report_version").map(Value::to_string).unwrap_or_default())
                                " as " (h.data.get("format").and_then(Value::as_str).unwrap_or_default())
                                ", " (h.data.get("redacted").map(Value::to_string).unwrap_or_default()) " identifiers redacted, SHA-256 "
                                code { (h.data.get("sha256").and_then(Value::as_str).unwrap_or_default()) }
                            }
                            @if h.kind == irmer_store::EventKind::Comment {
                                br; q { (h.data.get("comment").and_then(Value::as_str).unwrap_or_default()) }
                            }
                            @let changes: Vec<_> = h.changes.iter().collect();
                            @if !changes.is_empty() {
                                ul {
                                    @for c in changes {
                                        @if h.kind == irmer_store::EventKind::IdentityChanged {
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
                pre class="original" { (serde_json::to_string_pretty(&rec.original).unwrap_or_default()) }
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

fn minute(t: time::OffsetDateTime) -> String {
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

fn json_words(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn event_words(h: &HistoryEntry) -> &'static str {
    use irmer_store::EventKind::*;
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

fn answer_words(q: &form::Question, answers: &Answers, value: &str) -> String {
    match q.kind {
        form::Kind::YesNo => if value == "yes" { "Yes" } else { "No" }.to_owned(),
        form::Kind::Choice(options) => options
            .iter()
            .find(|(v, _)| *v == value)
            .map_or(value, |(_, l)| l)
            .to_owned(),
        form::Kind::Checks(options) => answers
            .0
            .iter()
            .filter(|(k, _)| k == q.name)
            .map(|(_, v)| {
                options
                    .iter()
                    .find(|(o, _)| o == v)
                    .map_or(v.as_str(), |(_, l)| l)
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => value.to_owned(),
    }
}

fn step_forms(p: &PageUser, rec: &IncidentRecord, today: CivilDate) -> Markup {
    let r = enc(&rec.reference);
    let date_field = |id: &str| {
        html! {
            div class="field" {
                label for=(field_id(id)) { "Date" }
                input class="short" type="date" id=(field_id(id)) name="date" value=(today);
            }
        }
    };
    let open = !matches!(
        rec.status,
        IncidentStatus::Closed | IncidentStatus::ClosedLocally
    );
    html! {
        @if open {
            h2 { "Record a step" }
            @if rec.status == IncidentStatus::Reported {
                form method="post" action={ "/incidents/" (r) "/steps" } {
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="start-investigation";
                    button class="secondary" type="submit" { "Start the investigation" }
                }
            }
            @if rec.milestones.notified_on.is_none() && matches!(rec.outcome, Outcome::Notifiable | Outcome::Voluntary) {
                form method="post" action={ "/incidents/" (r) "/steps" } {
                    h3 { "The authority was notified" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="record-notification";
                    (date_field("notified-date"))
                    div class="field" {
                        label for=(field_id("authority_reference")) { "The authority's reference" }
                        span class="hint" { "From its acknowledgement e-mail." }
                        input type="text" id=(field_id("authority_reference")) name="authority_reference";
                    }
                    button class="secondary" type="submit" { "Record the notification" }
                }
            }
            @if rec.milestones.notified_on.is_some() && rec.milestones.report_sent_on.is_none() {
                form method="post" action={ "/incidents/" (r) "/steps" } {
                    h3 { "The investigation report was sent" }
                    (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                    input type="hidden" name="action" value="record-report-sent";
                    (date_field("report-date"))
                    button class="secondary" type="submit" { "Record the report" }
                }
            }
            form method="post" action={ "/incidents/" (r) "/steps" } {
                h3 { "Close" }
                (csrf_field(&p.csrf)) input type="hidden" name="version" value=(rec.version);
                (date_field("close-date"))
                div class="field" {
                    label for=(field_id("findings")) { "Findings" }
                    textarea id=(field_id("findings")) name="findings" rows="3" {}
                }
                div class="field" {
                    fieldset {
                        legend { "How it closes" }
                        div class="choices" {
                            label for=(field_id("close-kind")) { input type="radio" id=(field_id("close-kind")) name="action" value="close" checked; span { "Closed by the authority" } }
                            label for={ (field_id("close-kind")) "-1" } { input type="radio" id={ (field_id("close-kind")) "-1" } name="action" value="close-locally"; span { "Closed locally (not notifiable)" } }
                        }
                    }
                }
                button class="secondary" type="submit" { "Close the incident" }
            }
        }
    }
}

async fn step<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Investigate)?;
    let rec = app.incident_for(&p.user, &reference).await.for_page(&p)?;
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
            let history = app.register.history(&reference).await.for_page(&p)?;
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    &format!("Incident {reference}"),
                    Section::Register,
                    Some((&p.user, &p.csrf)),
                    incident_body(
                        &app,
                        &p,
                        &rec,
                        &history,
                        None,
                        &[(step_field.into(), capital(&message))],
                    ),
                ),
            ))
        }
    }
}

async fn comment<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Comment)?;
    let rec = app.incident_for(&p.user, &reference).await.for_page(&p)?;
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
            let history = app.register.history(&reference).await.for_page(&p)?;
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    &format!("Incident {reference}"),
                    Section::Register,
                    Some((&p.user, &p.csrf)),
                    incident_body(
                        &app,
                        &p,
                        &rec,
                        &history,
                        None,
                        &[("comment".into(), "Enter a comment".into())],
                    ),
                ),
            ))
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

async fn edit_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    allow(&p, Action::Investigate)?;
    let rec = app.incident_for(&p.user, &reference).await.for_page(&p)?;
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

/// The merge patch that turns `old` into `new` (RFC 7386).
fn merge_patch(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = serde_json::Map::new();
            for (k, ov) in o {
                match n.get(k) {
                    None => {
                        patch.insert(k.clone(), Value::Null);
                    }
                    Some(nv) if nv != ov => {
                        patch.insert(k.clone(), merge_patch(ov, nv));
                    }
                    Some(_) => {}
                }
            }
            for (k, nv) in n {
                if !o.contains_key(k) {
                    patch.insert(k.clone(), nv.clone());
                }
            }
            Value::Object(patch)
        }
        (_, n) => n.clone(),
    }
}

async fn edit<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Investigate)?;
    let rec = app.incident_for(&p.user, &reference).await.for_page(&p)?;
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
            &merge_patch(&old, &new),
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

/// What to enter on the authority's form, in its order, with nothing that
/// identifies a person: no free text, no exact age, no dates of birth.
async fn notification<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    let rec = app.incident_for(&p.user, &reference).await.for_page(&p)?;
    let rows = notification_rows(&rec, app.register.settings());
    // What leaves goes through the identifier scanner, with the incident's
    // recorded people and numbers: a reference typed as a name, say.
    let scanner = app
        .register
        .scanner_for(&reference, &[])
        .await
        .for_page(&p)?;
    let blocked: Vec<(&str, irmer_scan::Kind)> = rows
        .iter()
        .flat_map(|(k, v)| scanner.scan(v).into_iter().map(move |f| (*k, f.kind)))
        .collect();
    if !blocked.is_empty() {
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
    let text: String = rows.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    let body = html! {
        span class="caption" { "Incident " (rec.reference) }
        h1 { "Notification summary" }
        p class="lead" { "What to enter on the " (rec.assessment.authority.map_or("enforcing authority", |a| a.name())) "'s IR(ME)R notification form, in its order." }
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

/// The notification's rows, from the facts and the engine's decision.
pub fn notification_rows(rec: &IncidentRecord, settings: Settings) -> Vec<(&'static str, String)> {
    let i = &rec.incident;
    let a = &rec.assessment;
    let mut rows: Vec<(&'static str, String)> = Vec::new();
    rows.push((
        "Enforcing authority",
        a.authority.map_or("none".into(), |x| {
            format!("{} ({})", x.name(), x.id().to_uppercase())
        }),
    ));
    rows.push(("Your reference", rec.reference.clone()));
    rows.push((
        "Date of the incident",
        i.occurred.map_or("not known".into(), |d| d.to_string()),
    ));
    rows.push(("Date discovered", i.discovered.to_string()));
    rows.push(("Modality", i.modality.label().to_owned()));
    rows.push((
        "Exposure category",
        capital(i.modality.category().describe()),
    ));
    rows.push((
        "Notification category code",
        a.category_code.map_or("none".into(), |c| c.to_string()),
    ));
    rows.push((
        "All notification codes",
        a.codes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    ));
    rows.push(("Type of exposure", i.exposure.as_str().to_owned()));
    rows.push(("Individuals exposed", i.people.to_string()));
    let age = match &i.patient {
        Some(irmer_core::incident::Patient::Age(years)) => if *years < settings.child_age_under {
            "child"
        } else {
            "adult"
        }
        .to_owned(),
        Some(irmer_core::incident::Patient::Group(g)) => g.as_str().to_owned(),
        None => "not known".into(),
    };
    rows.push(("Age group", age));
    if let Some(d) = &i.dose {
        rows.push((
            "Dose intended",
            d.intended
                .as_ref()
                .map_or("not given".into(), |q| format!("{q} {}", d.unit.as_str())),
        ));
        rows.push((
            "Dose received (total)",
            d.received
                .as_ref()
                .map_or("not given".into(), |q| format!("{q} {}", d.unit.as_str())),
        ));
    }
    rows.push((
        "What went wrong",
        match &i.errors {
            None => "not yet known".into(),
            Some(e) if e.is_empty() => "no error".into(),
            Some(e) => e.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
        },
    ));
    rows.push((
        "Clinically significant",
        if i.clinically_significant {
            "yes"
        } else {
            "no"
        }
        .into(),
    ));
    rows.push(("Outcome", outcome_words(a.outcome).to_owned()));
    if let Some(d) = a.deadlines {
        rows.push(("Notify by", d.notify_by.to_string()));
        rows.push(("Investigation report by", d.report_by.to_string()));
    }
    if !a.other_reports.is_empty() {
        rows.push((
            "Also tell",
            a.other_reports
                .iter()
                .map(|o| o.to.name())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    rows
}

// --------------------------------------------------------------- register

const REGISTER_PARAMS: &[&str] = &[
    "status",
    "modality",
    "outcome",
    "code",
    "overdue",
    "due_within",
    "discovered_from",
    "discovered_to",
    "sort",
    "offset",
];

/// The register's filters from the query (empty values ignored).
fn register_query(raw: Option<&str>) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let v = v.trim();
        if v.is_empty() || !REGISTER_PARAMS.contains(&k.as_ref()) {
            continue;
        }
        params
            .entry(k.into_owned())
            .and_modify(|e| {
                e.push(',');
                e.push_str(v);
            })
            .or_insert_with(|| v.to_owned());
    }
    params
}

fn register_filter<S: Store>(
    app: &App<S>,
    p: &PageUser,
    params: &HashMap<String, String>,
) -> Result<(Filter, Sort), (String, String)> {
    let problem_to_error = |e: crate::Problem| {
        let field = e.field.clone().unwrap_or_else(|| "status".to_owned());
        (field, capital(&e.detail))
    };
    let mut filter = crate::filter_from(params, app.register.today()).map_err(problem_to_error)?;
    filter.scope = Some(p.user.scope());
    let sort = crate::sort_from(params).map_err(problem_to_error)?;
    Ok((filter, sort))
}

async fn register_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    const PAGE: u32 = 50;
    let params = register_query(raw.as_deref());
    let today = app.register.today();
    let offset = params
        .get("offset")
        .and_then(|o| o.parse::<u64>().ok())
        .unwrap_or(0);
    let (errors, page_items) = match register_filter(&app, &p, &params) {
        Ok((filter, sort)) => {
            let page = app
                .register
                .summaries(&filter, sort, PAGE, offset)
                .await
                .for_page(&p)?;
            (Vec::new(), Some(page))
        }
        Err(e) => (vec![e], None),
    };
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        if k != "offset" {
            kept.append_pair(k, v);
        }
    }
    let kept = kept.finish();
    let selected = |name: &str, value: &str| {
        params
            .get(name)
            .is_some_and(|v| v.split(',').any(|x| x == value))
    };
    let select = |name: &str, label: &str, options: Vec<(&'static str, &'static str)>| {
        html! {
            div class="field" {
                label for=(field_id(name)) { (label) }
                select id=(field_id(name)) name=(name) {
                    option value="" { "Any" }
                    @for (v, l) in options { option value=(v) selected[selected(name, v)] { (l) } }
                }
            }
        }
    };
    let body = html! {
        (error_summary(&errors))
        h1 { "Register" }
        form method="get" action="/incidents" class="filters" aria-label="Filter the register" {
            (select("status", "Status", IncidentStatus::ALL.iter().map(|s| (s.as_str(), status_words(*s))).collect()))
            (select("modality", "Modality", Modality::ALL.iter().map(|m| (m.as_str(), m.label())).collect()))
            (select("outcome", "Outcome", Outcome::ALL.iter().map(|o| (o.as_str(), outcome_words(*o))).collect()))
            div class="field" {
                label for=(field_id("code")) { "Code" }
                input class="short" type="text" id=(field_id("code")) name="code" value=(params.get("code").map_or("", String::as_str)) placeholder="2.2";
            }
            div class="field" {
                label for=(field_id("discovered_from")) { "Discovered from" }
                input class="short" type="date" id=(field_id("discovered_from")) name="discovered_from" value=(params.get("discovered_from").map_or("", String::as_str));
            }
            div class="field" {
                label for=(field_id("discovered_to")) { "to" }
                input class="short" type="date" id=(field_id("discovered_to")) name="discovered_to" value=(params.get("discovered_to").map_or("", String::as_str));
            }
            div class="field choices" {
                label for=(field_id("overdue")) { input type="checkbox" id=(field_id("overdue")) name="overdue" value="true" checked[selected("overdue", "true")]; span { "Overdue only" } }
            }
            (select("sort", "Sort by", vec![("discovered-newest", "Newest discovered"), ("discovered-oldest", "Oldest discovered"), ("next-due", "Next deadline"), ("reference", "Reference")]))
            div class="field" { button type="submit" { "Apply" } }
        }
        @if let Some(page) = &page_items {
            p {
                "Showing " (offset + 1) " to " (offset + page.items.len() as u64) @if page.more { " (more follow)" } ". "
                a href={ "/incidents.csv?" (kept) } { "Download these as CSV" }
            }
            @if page.items.is_empty() { p { "No incidents match." } }
            @else { (summary_table(&page.items, today, "Incidents")) }
            nav aria-label="Pages" {
                @if offset > 0 { a href={ "/incidents?" (kept) "&offset=" (offset.saturating_sub(u64::from(PAGE))) } { "Previous page" } " " }
                @if page.more { a href={ "/incidents?" (kept) "&offset=" (offset + u64::from(PAGE)) } { "Next page" } }
            }
        }
    };
    Ok(show_as(
        &p,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        },
        "Register",
        Section::Register,
        body,
    ))
}

async fn register_csv<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let params = register_query(raw.as_deref());
    let (filter, sort) = register_filter(&app, &p, &params).map_err(|(_, m)| {
        PageError::new(StatusCode::BAD_REQUEST, "There is a problem", m).for_user(&p)
    })?;
    // One export for the web and the command line: every row through the
    // identifier gate with that incident's recorded identity.
    let out = match app.register.csv_export(&filter, sort).await.for_page(&p)? {
        CsvExport::Cleared { csv, .. } => csv,
        CsvExport::Blocked(found) => {
            let body = html! {
                h1 { "The export identifies someone" }
                div class="notice warning" role="alert" {
                    p { "irmer found what may identify a person in the register's export, so it was not made:" }
                    ul { @for f in &found { li { "Row " (f.row) " (" (f.reference) "): " (f.kind) ", \u{201c}" (f.text) "\u{201d}" } } }
                    p { "Remove them from those incidents, or narrow the filters to leave them out." }
                }
            };
            return Ok(show_as(
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "The export identifies someone",
                Section::Register,
                body,
            ));
        }
    };
    let mut r = out.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"irmer-register.csv\""),
    );
    Ok(r)
}

// ---------------------------------------------------------- administration

async fn admin_page<S: Store + AccountStore>(State(app): State<App<S>>, p: PageUser) -> PageResult {
    allow(&p, Action::Administer)?;
    Ok(show(
        &p,
        "Administration",
        Section::Admin,
        admin_body(&app, &p, None, &[]).await?,
    ))
}

async fn admin_body<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<String>,
    errors: &[(String, String)],
) -> Result<Markup, PageError> {
    let store = app.accounts.store();
    let users = store.users().await?;
    let sites = store.sites().await?;
    let departments = store.departments().await?;
    let log = store.audit_log(30).await?;
    let live_tokens: Vec<_> = store
        .tokens(None)
        .await?
        .into_iter()
        .filter(|t| !t.revoked)
        .collect();
    let nation = default_nation(app).await?;
    let masks = app.register.hospital_number_masks().await?;
    let now = app.register.now();
    let locks = store.locks(now).await?;
    let locked: std::collections::HashSet<&str> =
        locks.iter().map(|l| l.username.as_str()).collect();
    let dept_name = |id: Option<i64>| match id {
        None => "Whole organisation".to_owned(),
        Some(id) => {
            departments
                .iter()
                .find(|d| d.id == id)
                .map_or(format!("department {id}"), |d| {
                    let site = sites
                        .iter()
                        .find(|s| s.id == d.site_id)
                        .map_or("", |s| s.name.as_str());
                    format!("{} ({site})", d.name)
                })
        }
    };
    let dept_select = |id: String, current: Option<i64>| {
        html! {
            select id=(id) name="department" {
                option value="" selected[current.is_none()] { "Whole organisation" }
                @for d in &departments { option value=(d.id) selected[current == Some(d.id)] { (dept_name(Some(d.id))) } }
            }
        }
    };
    let role_select = |id: String, current: Option<Role>| {
        html! {
            select id=(id) name="role" {
                @for r in Role::ALL { option value=(r.as_str()) selected[current == Some(r)] { (r.label()) } }
            }
        }
    };
    Ok(html! {
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        h1 { "Administration" }
        h2 { "Users" }
        div class="table-wrap" {
            table {
                caption class="visually-hidden" { "Users" }
                thead { tr { th scope="col" { "Username" } th scope="col" { "Name" } th scope="col" { "Role and scope" } th scope="col" { "State" } th scope="col" { "Change" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.username) }
                            td { (u.display_name) }
                            td { (u.role.label()) br; (dept_name(u.department_id)) }
                            td {
                                @if u.disabled { "Disabled" }
                                @else if locked.contains(u.username.as_str()) { "Locked" }
                                @else if u.must_change_password { "One-time password" }
                                @else { "Active" }
                            }
                            td {
                                form method="post" action={ "/admin/users/" (u.id) } {
                                    (csrf_field(&p.csrf))
                                    label for={ "role-" (u.id) } class="visually-hidden" { "Role of " (u.username) }
                                    (role_select(format!("role-{}", u.id), Some(u.role)))
                                    label for={ "dept-" (u.id) } class="visually-hidden" { "Department of " (u.username) }
                                    (dept_select(format!("dept-{}", u.id), u.department_id))
                                    button class="secondary" type="submit" name="action" value="save" { "Save" }
                                    @if u.id != p.user.id {
                                        @if u.disabled { button class="secondary" type="submit" name="action" value="enable" { "Enable" } }
                                        @else { button class="secondary" type="submit" name="action" value="disable" { "Disable" } }
                                    }
                                    button class="secondary" type="submit" name="action" value="reset" { "New one-time password" }
                                    @if locked.contains(u.username.as_str()) {
                                        button class="secondary" type="submit" name="action" value="unlock" { "Unlock" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p class="hint" { "A new one-time password ends the user's sessions and revokes their API tokens. Unlock lifts the sign-in locks on a username (after 5 wrong passwords from one address, or 100 from all addresses in an hour)." }
        h3 { "Add a user" }
        form method="post" action="/admin/users" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("username")) { "Username" }
                span class="hint" { "Lower-case letters, digits, dots, hyphens. For example j.smith." }
                input type="text" id=(field_id("username")) name="username" autocomplete="off" spellcheck="false";
            }
            div class="field" {
                label for=(field_id("display_name")) { "Full name" }
                input type="text" id=(field_id("display_name")) name="display_name" autocomplete="off";
            }
            div class="field" { label for=(field_id("role")) { "Role" } (role_select(field_id("role"), Some(Role::Reporter))) }
            div class="field" { label for=(field_id("department")) { "Department" } (dept_select(field_id("department"), None)) }
            button type="submit" { "Add user" }
        }
        h2 { "API tokens" }
        @if live_tokens.is_empty() {
            p { "No live tokens." }
        } @else {
            (tokens::token_table(p, &live_tokens, Some(&|id| users.iter().find(|u| u.id == id).map_or(format!("user {id}"), |u| u.username.clone()))))
        }
        p class="hint" { "Each user makes their own tokens on their account page; " code { "irmer token create NAME" } " makes one from the command line." }
        h2 { "Sites and departments" }
        ul {
            @for s in &sites {
                li { strong { (s.name) } ": "
                    (departments.iter().filter(|d| d.site_id == s.id).map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")) }
            }
        }
        form method="post" action="/admin/sites" novalidate {
            (csrf_field(&p.csrf))
            div class="field" { label for=(field_id("site_name")) { "New site" } input type="text" id=(field_id("site_name")) name="name"; }
            button class="secondary" type="submit" { "Add site" }
        }
        @if !sites.is_empty() {
            form method="post" action="/admin/departments" novalidate {
                (csrf_field(&p.csrf))
                div class="field" {
                    label for=(field_id("site")) { "Site" }
                    select id=(field_id("site")) name="site" { @for s in &sites { option value=(s.id) { (s.name) } } }
                }
                div class="field" { label for=(field_id("department_name")) { "New department" } input type="text" id=(field_id("department_name")) name="name"; }
                button class="secondary" type="submit" { "Add department" }
            }
        }
        h2 { "Settings" }
        form method="post" action="/admin/settings" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("child_age_under")) { "Child age cut-off (years)" }
                span class="hint" id="child-age-hint" { "A patient younger than this is a child for the child thresholds (England, accidental exposures). Default 18. Changes apply to assessments made from now on." }
                input class="short" type="text" inputmode="numeric" id=(field_id("child_age_under")) name="child_age_under" value=(app.register.settings().child_age_under) aria-describedby="child-age-hint";
            }
            div class="field" {
                label for=(field_id("default_nation")) { "Nation for new reports" }
                select id=(field_id("default_nation")) name="default_nation" {
                    @for (v, l) in form::NATIONS { option value=(v) selected[nation == *v] { (l) } }
                }
            }
            button class="secondary" type="submit" { "Save settings" }
        }
        h2 { "Hospital numbers" }
        form method="post" action="/admin/hospital-numbers" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("masks")) { "Patterns of your local hospital numbers" }
                span class="hint" id="masks-hint" { "One a line: # for a digit, @ for a letter, anything else as itself; for example RXH#######. irmer looks for them in every report before it leaves." }
                textarea id=(field_id("masks")) name="masks" rows="3" aria-describedby="masks-hint" { (masks.join("\n")) }
            }
            button class="secondary" type="submit" { "Save patterns" }
        }
        h2 { "Audit log" }
        p class="hint" { "Administration and sign-in events, newest first. Changes to incidents are in each incident's history." }
        ul { @for e in &log { li { (minute(e.at)) ": " strong { (e.actor) } " " (e.action) " " (e.detail) } } }
    })
}

fn department_of(a: &Answers) -> Result<Option<i64>, (String, String)> {
    match a.get("department") {
        None => Ok(None),
        Some(d) => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ("department".to_owned(), "Choose a department".to_owned())),
    }
}

async fn admin_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(show_as(
        p,
        status,
        "Administration",
        Section::Admin,
        admin_body(app, p, notice, &errors).await?,
    ))
}

/// The administration page again with one field's error.
async fn admin_error<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    field: &str,
    message: impl Into<String>,
) -> PageResult {
    admin_again(app, p, None, vec![(field.to_owned(), message.into())]).await
}

/// The end of adding a site or a department: the audit entry and the
/// notice, or the name's error when it is taken.
async fn added<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    created: Result<String, StoreError>,
    (action, kind, field, taken): (&str, &str, &str, String),
) -> PageResult {
    match created {
        Ok(name) => {
            app.accounts
                .audit(app.register.now(), &p.user.username, action, &name)
                .await?;
            admin_again(app, p, Some(format!("{kind} {name} added.")), Vec::new()).await
        }
        Err(StoreError::Duplicate(_)) => admin_error(app, p, field, taken).await,
        Err(e) => Err(PageError::from(e).for_user(p)),
    }
}

async fn add_user<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Administer)?;
    let Some(role) = a.get("role").and_then(Role::parse) else {
        return admin_error(&app, &p, "role", "Choose a role").await;
    };
    let department = match department_of(&a) {
        Ok(d) => d,
        Err(e) => return admin_again(&app, &p, None, vec![e]).await,
    };
    let username = a.get("username").unwrap_or_default();
    match app.accounts.add_user(&p.user.username, app.register.now(), username, a.get("display_name").unwrap_or_default(), role, department).await {
        Ok((user, password)) => admin_again(&app, &p, Some(format!(
            "User {} added. Their one-time password is {password}: give it to them in person; it is shown only now, and they choose their own at first sign-in.",
            user.username)), Vec::new()).await,
        Err(AccountError::Invalid { field, message }) => admin_again(&app, &p, None, vec![(field.into(), capital(&message))]).await,
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

async fn change_user<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Administer)?;
    let store = app.accounts.store();
    let Some(mut user) = store.user(id).await? else {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such user.",
        )
        .for_user(&p));
    };
    let now = app.register.now();
    let action = a.get("action").unwrap_or("save");
    let mut notice = format!("User {} saved.", user.username);
    match action {
        "disable" if user.id == p.user.id => {
            return admin_error(&app, &p, "action", "You cannot disable your own account").await;
        }
        "disable" => {
            user.disabled = true;
            store.delete_sessions_of(user.id).await?;
        }
        "enable" => user.disabled = false,
        "reset" => {
            let password = app.accounts.reset_password(&mut user, now).await?;
            notice = format!(
                "New one-time password for {}: {password} (shown only now). Their sessions have ended and their API tokens are revoked.",
                user.username
            );
        }
        "unlock" => {
            let n = app
                .accounts
                .unlock(&p.user.username, &user.username, now)
                .await?;
            notice = format!("{} unlocked ({n} live locks lifted).", user.username);
        }
        _ => {
            let Some(role) = a.get("role").and_then(Role::parse) else {
                return admin_error(&app, &p, "role", "Choose a role").await;
            };
            if user.id == p.user.id && role != Role::Administrator {
                return admin_error(
                    &app,
                    &p,
                    "role",
                    "You cannot take the administrator role from yourself",
                )
                .await;
            }
            user.role = role;
            user.department_id = match department_of(&a) {
                Ok(d) => d,
                Err(e) => return admin_again(&app, &p, None, vec![e]).await,
            };
        }
    }
    store.update_user(&user).await?;
    app.accounts
        .audit(
            now,
            &p.user.username,
            &format!("user-{action}"),
            &format!(
                "{} ({}, department {:?})",
                user.username,
                user.role.as_str(),
                user.department_id
            ),
        )
        .await?;
    admin_again(&app, &p, Some(notice), Vec::new()).await
}

async fn add_site<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Administer)?;
    let Some(name) = a.get("name") else {
        return admin_error(&app, &p, "site_name", "Enter the site's name").await;
    };
    let created = app
        .accounts
        .store()
        .create_site(name)
        .await
        .map(|site| site.name);
    let taken = format!("There is already a site called {name}");
    added(
        &app,
        &p,
        created,
        ("create-site", "Site", "site_name", taken),
    )
    .await
}

async fn add_department<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Administer)?;
    let store = app.accounts.store();
    let sites = store.sites().await?;
    let site = a
        .get("site")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|id| sites.iter().any(|s| s.id == *id));
    let Some(site) = site else {
        return admin_error(&app, &p, "site", "Choose a site").await;
    };
    let Some(name) = a.get("name") else {
        return admin_error(&app, &p, "department_name", "Enter the department's name").await;
    };
    let created = store.create_department(site, name).await.map(|d| d.name);
    let taken = format!("That site already has a department called {name}");
    added(
        &app,
        &p,
        created,
        ("create-department", "Department", "department_name", taken),
    )
    .await
}

async fn change_settings<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Administer)?;
    let range = Settings::CHILD_AGE_RANGE;
    let age = a
        .get("child_age_under")
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|v| range.contains(v));
    let Some(age) = age else {
        return admin_error(
            &app,
            &p,
            "child_age_under",
            format!(
                "Child age cut-off: enter a whole number of years from {} to {}",
                range.start(),
                range.end()
            ),
        )
        .await;
    };
    let Some(nation) = a
        .get("default_nation")
        .filter(|n| form::NATIONS.iter().any(|(v, _)| v == n))
    else {
        return admin_error(&app, &p, "default_nation", "Choose a nation").await;
    };
    let store = app.accounts.store();
    store
        .set_setting("child_age_under", &age.to_string())
        .await?;
    store.set_setting("default_nation", nation).await?;
    app.register.set_settings(Settings {
        child_age_under: age,
    });
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-settings",
            &format!("child_age_under={age}, default_nation={nation}"),
        )
        .await?;
    admin_again(&app, &p, Some("Settings saved.".into()), Vec::new()).await
}

async fn change_masks<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    check_csrf(&a, &p)?;
    allow(&p, Action::Administer)?;
    let masks = irmer_store::identity::masks_of(a.get("masks"));
    let rules = irmer_scan::Rules {
        hospital_numbers: masks.clone(),
        ..irmer_scan::Rules::default()
    };
    if let Err(e) = irmer_scan::Scanner::new(&rules) {
        let line = e
            .field
            .trim_start_matches("hospital_numbers[")
            .trim_end_matches(']')
            .parse::<usize>()
            .map_or(0, |i| i + 1);
        return admin_error(&app, &p, "masks", format!("Line {line}: {}", e.message)).await;
    }
    let text = masks.join("\n");
    app.accounts
        .store()
        .set_setting(irmer_store::identity::MASKS_SETTING, &text)
        .await?;
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-hospital-number-masks",
            &masks.join(", "),
        )
        .await?;
    admin_again(
        &app,
        &p,
        Some("Hospital number patterns saved.".into()),
        Vec::new(),
    )
    .await
}
