//! The pages' shared parts: the layout, the error summary, tags and the
//! assessment panel. Server-rendered with maud (escaped by default); no
//! external fonts, scripts or stylesheets.

use crate::dates::day;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use irmer_core::Outcome;
use irmer_core::assessment::{Assessment, EnforcingAuthority, Status};
use irmer_core::lifecycle::{ClockState, DeadlineStatus};
use irmer_store::accounts::{Action, User};
use maud::{DOCTYPE, Markup, html};

/// The pages' CSS, the charts' rules after it.
pub static CSS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{}{}",
        include_str!("../static/irmer.css"),
        irmer_report::charts::STYLE
    )
});
pub const JS: &str = include_str!("../static/irmer.js");

/// The navigation's sections (the one a page belongs to is marked current).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Report,
    Register,
    Deadlines,
    Statistics,
    Admin,
    Account,
    None,
}

/// Who a page is for: the signed-in user, their session's CSRF token,
/// and the enforcing authority when the register is one (its own menu and
/// names for the roles).
#[derive(Clone, Copy)]
pub struct Who<'a> {
    pub user: &'a User,
    pub csrf: &'a str,
    pub authority: Option<EnforcingAuthority>,
}

/// A whole page for a signed-in user (or `None` on the sign-in page).
pub fn page(title: &str, section: Section, who: Option<Who<'_>>, body: Markup) -> Markup {
    let link = |href: &str, text: &str, s: Section| {
        html! {
            li { a href=(href) aria-current=[(section == s).then_some("page")] { (text) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – irmer" }
                link rel="stylesheet" href="/static/irmer.css";
            }
            body {
                a class="skip-link" href="#main" { "Skip to main content" }
                header class="site" {
                    div class="width" {
                        a class="logo" href="/" { "irmer" }
                        @if let Some(Who { user, csrf, authority: Some(a) }) = who {
                            nav aria-label="Main" {
                                ul {
                                    (link("/", "Queue", Section::Dashboard))
                                    (link("/cases", "Notifications", Section::Register))
                                    (link("/annual", "Annual figures", Section::Statistics))
                                    @if user.may(Action::Administer) {
                                        (link("/admin", "Administration", Section::Admin))
                                    }
                                    (link("/account/password", "Your account", Section::Account))
                                }
                            }
                            form method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(csrf);
                                span class="who" { (user.display_name) " (" (user.role.label_at_authority()) ", " (a.id().to_ascii_uppercase()) ") " }
                                button class="link" type="submit" { "Sign out" }
                            }
                        } @else if let Some(Who { user, csrf, .. }) = who {
                            nav aria-label="Main" {
                                ul {
                                    (link("/", "Dashboard", Section::Dashboard))
                                    @if user.may(Action::Report) {
                                        (link("/report", "Report an incident", Section::Report))
                                    }
                                    (link("/incidents", "Register", Section::Register))
                                    (link("/deadlines", "Deadlines", Section::Deadlines))
                                    (link("/statistics", "Statistics", Section::Statistics))
                                    @if user.may(Action::Administer) {
                                        (link("/admin", "Administration", Section::Admin))
                                    }
                                    (link("/account/password", "Your account", Section::Account))
                                }
                            }
                            form method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(csrf);
                                span class="who" { (user.display_name) " (" (user.role.label()) ") " }
                                button class="link" type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" class="width" tabindex="-1" { (body) }
                footer class="width" {
                    "irmer: IR(ME)R accidental and unintended exposures. Criteria: CQC guidance of 28 August 2024."
                }
                script src="/static/irmer.js" defer {}
            }
        }
    }
}

/// The pages' content security policy: nothing from elsewhere, no inline
/// script or style, no framing.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A report's HTML (its styles are inline, so that the file stands alone):
/// no script, nothing fetched, no forms, no framing.
pub const DOCUMENT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Everything else (JSON, CSV, PDF, calendars): nothing at all.
pub const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML page. Its security headers come from [`security_headers`].
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut r = (status, markup.into_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// The security headers of every response, pages, API and files alike,
/// set in one layer (a handler can only make them stricter or name its own
/// policy): a content security policy by content type (the pages' unless
/// the handler set one), `nosniff`, no framing, `Referrer-Policy:
/// same-origin`, and `Cache-Control: no-store` unless the handler chose
/// caching (the static assets).
pub async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let html = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if html { PAGE_CSP } else { DATA_CSP }),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// The id of a form field's input, from its name.
pub fn field_id(name: &str) -> String {
    format!("f-{}", name.replace(['.', '_'], "-"))
}

/// "There is a problem", linking to each field in error.
pub fn error_summary(errors: &[(String, String)]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 id="error-summary-title" { "There is a problem" }
                ul {
                    @for (field, message) in errors {
                        li { a href={ "#" (field_id(field)) } { (message) } }
                    }
                }
            }
        }
    }
}

pub fn outcome_tag(outcome: Outcome) -> Markup {
    html! { strong class={ "tag " (outcome.as_str()) } { (outcome.label()) } }
}

fn status_words(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::NotMet => "not met",
        Status::Undetermined => "undetermined",
        Status::NotApplicable => "not applicable",
    }
}

/// One clock in words, and the tag's class.
pub fn clock_words(state: &ClockState) -> (String, &'static str) {
    let days = |n: i64| format!("{n} day{}", if n == 1 { "" } else { "s" });
    match *state {
        ClockState::Open { due, days_left: 0 } | ClockState::DueSoon { due, days_left: 0 } => {
            (format!("due today ({})", day(due)), "due-soon")
        }
        ClockState::Open { due, days_left } => {
            (format!("due in {} ({})", days(days_left), day(due)), "")
        }
        ClockState::DueSoon { due, days_left } => (
            format!("due in {} ({})", days(days_left), day(due)),
            "due-soon",
        ),
        ClockState::Overdue { due, days_late } => (
            format!("overdue by {} (was due {})", days(days_late), day(due)),
            "overdue",
        ),
        ClockState::Met { on, .. } => (format!("done on {}", day(on)), "met"),
        ClockState::MetLate { on, days_late, .. } => (
            format!("done on {}, {} late", day(on), days(days_late)),
            "overdue",
        ),
    }
}

/// The two clocks, as tags.
pub fn clocks(status: Option<&DeadlineStatus>) -> Markup {
    html! {
        @match status {
            None => { span class="hint" { "no statutory deadline" } }
            Some(s) => {
                @let (notify, nclass) = clock_words(&s.notify);
                @let (report, rclass) = clock_words(&s.report);
                span class={ "tag " (nclass) } { "Notify: " (notify) }
                " "
                span class={ "tag " (rclass) } { "Report: " (report) }
            }
        }
    }
}

/// The engine's decision, explained: outcome, codes, authority and dates,
/// every criterion with its reason, other bodies, duties, missing facts.
pub fn assessment_panel(a: &Assessment) -> Markup {
    html! {
        p class="outcome" { (outcome_tag(a.outcome)) }
        @if !a.codes.is_empty() {
            p { "Notification codes:" }
            ul class="codes" {
                @for c in &a.codes { li { strong { (c.to_string()) } " " (c.title()) } }
            }
        }
        @if let Some(authority) = a.authority {
            p { "Enforcing authority: " strong { (authority.name()) " (" (authority.id().to_uppercase()) ")" } }
        }
        @if let Some(d) = a.deadlines {
            p { "Notify by " strong { (day(d.notify_by)) } "; send the investigation report by " strong { (day(d.report_by)) } "." }
        }
        @if !a.missing.is_empty() {
            div class="notice warning" {
                p { "These facts would decide what is still undetermined:" }
                ul { @for m in &a.missing { li { code { (m) } } } }
            }
        }
        @let shown: Vec<_> = a.criteria.iter().filter(|c| c.status != Status::NotApplicable).collect();
        @if !shown.is_empty() {
            div class="table-wrap" {
                table class="stack" {
                    caption { "Criteria (" (a.guidance.as_str()) ")" }
                    thead { tr { th scope="col" { "Code" } th scope="col" { "Result" } th scope="col" { "Reason" } } }
                    tbody {
                        @for c in shown {
                            tr {
                                td data-label="Code" { strong { (c.code.to_string()) } br; span class="hint" { (c.code.title()) } }
                                td data-label="Result" { span class={ "tag criterion-" (c.status.as_str()) } { (status_words(c.status)) } }
                                td data-label="Reason" { (c.reason) }
                            }
                        }
                    }
                }
            }
        }
        @if !a.other_reports.is_empty() {
            h3 { "Also tell" }
            ul { @for o in &a.other_reports { li { strong { (o.to.name()) } ": " (o.why) } } }
        }
        @if !a.duties.is_empty() {
            h3 { "Duties" }
            ul { @for d in &a.duties { li { (capitalise(d.describe())) } } }
        }
        @if !a.notes.is_empty() {
            details {
                summary { "Readings of the guidance applied" }
                ul { @for n in &a.notes { li { (n) } } }
            }
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A hidden CSRF field.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}
