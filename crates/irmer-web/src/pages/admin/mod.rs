//! Administration, one page a concern: [`users`] (roles, scope, one-time
//! passwords, locks), [`places`] (sites and departments), [`settings`]
//! (assessment settings and hospital number patterns), everyone's live API
//! tokens and the audit log. Administrators only: every handler here takes
//! an [`Administrator`] or an [`super::guard::AdminForm`], which refuse
//! anyone else before it runs.
//!
//! Every form answers with a redirect (post/redirect/get) to its page with
//! a notice, so reloading never does it twice; a form with errors is shown
//! again, 422, with what was typed. A one-time password is shown once on a
//! page of its own ([`crate::shown_once`]).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use maud::{Markup, html};

use super::{Administrator, PageResult, show_as, tokens};
use crate::app::{App, PageUser};
use crate::html::{Section, error_summary};

pub(super) mod outbox;
pub(super) mod places;
pub(super) mod settings;
pub(super) mod users;

/// The administration pages, in the order of the sub-navigation:
/// (address, title, what it holds).
const PAGES: &[(&str, &str, &str)] = &[
    (
        "/admin/users",
        "Users",
        "Accounts, roles and what each can see; one-time passwords and locks.",
    ),
    (
        "/admin/places",
        "Sites and departments",
        "Where incidents happen and whom users belong to.",
    ),
    (
        "/admin/settings",
        "Settings",
        "The organisation's name on reports, the child age cut-off, the nation for new reports, the window for possible themes and the months of silence flagged.",
    ),
    (
        "/admin/hospital-numbers",
        "Hospital numbers",
        "The patterns of local hospital numbers that irmer looks for before anything leaves.",
    ),
    (
        "/admin/activity",
        "Activity",
        "Examinations per modality, for incidents per 10,000 and the low-reporting flags.",
    ),
    (
        "/admin/licences",
        "ARSAC licences",
        "The licences held for administering radioactive substances, and those due for renewal.",
    ),
    (
        "/admin/authority",
        "Enforcing authorities",
        "Where \u{201c}Send\u{201d} sends a notifiable incident: each authority's irmer and your organisation's token.",
    ),
    (
        "/admin/tokens",
        "API tokens",
        "Everyone's live tokens, to revoke.",
    ),
    (
        "/admin/audit",
        "Audit log",
        "Administration and sign-in events.",
    ),
    (
        "/admin/outbox",
        "Outbox",
        "Every e-mail irmer sends: reminders of tasks due and of ARSAC licences to renew, and whether each was sent.",
    ),
];

/// An enforcing authority's administration pages (the organisations'
/// tokens and the outbox are `irmer_authority`'s).
const AUTHORITY_PAGES: &[(&str, &str, &str)] = &[
    (
        "/admin/users",
        "Staff",
        "Inspectors, authority administrators and analysts; one-time passwords and locks.",
    ),
    (
        "/admin/organisations",
        "Organisations' tokens",
        "The tokens employers' systems send notifications with.",
    ),
    (
        "/admin/outbox",
        "Outbox",
        "Every e-mail: acknowledgements, requests, chasers and closures, and whether each was sent.",
    ),
    (
        "/admin/audit",
        "Audit log",
        "Administration and sign-in events.",
    ),
];

/// An administration page: the sub-navigation, the error summary and a
/// notice, then the page's own body.
pub fn admin_show(
    p: &PageUser,
    status: StatusCode,
    here: &str,
    (notice, errors): (Option<&str>, &[(String, String)]),
    body: Markup,
) -> Response {
    let pages = if p.authority.is_some() {
        AUTHORITY_PAGES
    } else {
        PAGES
    };
    let title = pages
        .iter()
        .find(|(path, ..)| *path == here)
        .map_or("Administration", |(_, t, _)| t);
    let body = html! {
        nav class="sub-nav" aria-label="Administration" {
            ul {
                @if p.authority.is_none() {
                    li { a href="/admin" aria-current=[(here == "/admin").then_some("page")] { "Overview" } }
                }
                @for (path, t, _) in pages {
                    li { a href=(path) aria-current=[(*path == here).then_some("page")] { (t) } }
                }
            }
        }
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        (body)
    };
    show_as(
        p,
        status,
        &format!("{title} – Administration"),
        Section::Admin,
        body,
    )
}

/// The notice a redirect's query names (`?done=…`), from the page's own
/// list: nothing typed into an address is ever shown.
pub fn notice<'a>(raw: Option<&str>, notices: &[(&str, &'a str)]) -> Option<&'a str> {
    let done = raw?.strip_prefix("done=")?;
    notices.iter().find(|(k, _)| *k == done).map(|(_, n)| *n)
}

pub(super) async fn admin_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
) -> PageResult {
    let store = app.accounts.store();
    let users = store.users().await?;
    let locks = store.locks(app.register.now()).await?;
    let one_time = users
        .iter()
        .filter(|u| u.must_change_password && !u.disabled)
        .count();
    let body = html! {
        h1 { "Administration" }
        p { (users.len()) " users, " (locks.len()) " sign-in locks in force, " (one_time) " still to choose their password." }
        ul class="link-list" {
            @for (path, t, what) in PAGES {
                li { a href=(path) { (t) } br; span class="hint" { (what) } }
            }
        }
    };
    Ok(admin_show(&p, StatusCode::OK, "/admin", (None, &[]), body))
}

pub(super) async fn tokens_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let store = app.accounts.store();
    let users = store.users().await?;
    let live: Vec<_> = store
        .tokens(None)
        .await?
        .into_iter()
        .filter(|t| !t.revoked)
        .collect();
    let holder = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or(format!("user {id}"), |u| u.username.clone())
    };
    let body = html! {
        h1 { "API tokens" }
        @if live.is_empty() {
            p { "No live tokens." }
        } @else {
            (tokens::token_table(&p, &live, Some(&holder)))
        }
        p class="hint" { "Each user makes their own tokens on their account page; " code { "irmer token create NAME" } " makes one from the command line." }
    };
    let done = notice(
        raw.as_deref(),
        &[("revoked", "The token is revoked: it no longer works.")],
    );
    Ok(admin_show(
        &p,
        StatusCode::OK,
        "/admin/tokens",
        (done, &[]),
        body,
    ))
}

pub(super) async fn audit_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
) -> PageResult {
    let log = app.accounts.store().audit_log(200).await?;
    let body = html! {
        h1 { "Audit log" }
        p class="hint" { "Administration and sign-in events, newest first (the latest 200). Changes to incidents are in each incident's history." }
        ul { @for e in &log { li { (crate::dates::moment(e.at)) ": " strong { (e.actor) } " " (e.action) " " (e.detail) } } }
    };
    Ok(admin_show(
        &p,
        StatusCode::OK,
        "/admin/audit",
        (None, &[]),
        body,
    ))
}
