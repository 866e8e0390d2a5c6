//! The dashboard: counts by status, the open incidents soonest deadline
//! first, and the user's saved drafts ("Your reports" for a reporter).

use axum::extract::{RawQuery, State};
use irmer_core::lifecycle::IncidentStatus;
use irmer_store::accounts::{AccountStore, Action, Role};
use irmer_store::theme::{Suggestion, Within};
use irmer_store::{Filter, Sort, Store, Summary};
use maud::html;

use super::register::summary_table;
use super::reporting::drafts_notice;
use super::{ForPage, PageError, PageResult, Places, enc, show, status_words};
use crate::app::{App, PageUser};
use crate::html::Section;

/// How many open incidents the dashboard looks at for a possible theme
/// (the first, soonest deadline first), each a few indexed reads.
const THEMES_LOOKED_AT: usize = 10;

/// The open incidents (of those shown) with a theme suggested, for a user
/// who may decide one: the reference, the suggestions and the window.
async fn possible_themes<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    open: &[Summary],
) -> Result<Vec<(String, Vec<Suggestion>, u32)>, PageError> {
    if !p.user.may(Action::Investigate) {
        return Ok(Vec::new());
    }
    let window = app.register.theme_window().await.for_page(p)?;
    let scope = Some(p.user.scope());
    let mut found = Vec::new();
    for s in open
        .iter()
        .filter(|s| !s.index.causes.is_empty())
        .take(THEMES_LOOKED_AT)
    {
        let themes = app
            .register
            .theme_suggestions_for(s, Within::new(scope, window))
            .await
            .for_page(p)?;
        if !themes.is_empty() {
            found.push((s.reference.clone(), themes, window));
        }
    }
    Ok(found)
}

const OPEN: [IncidentStatus; 4] = [
    IncidentStatus::Reported,
    IncidentStatus::Investigating,
    IncidentStatus::Notified,
    IncidentStatus::ReportSent,
];

pub(super) async fn dashboard<S: Store + AccountStore>(
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
    let themes = possible_themes(&app, &p, &open.items).await?;
    let unsent = super::sending::troubled(&app, &p).await?;
    let tasks = super::tasks::mine(&app, &p).await?;
    let (_, licences) = app.register.licences().await?;
    let renewals: Vec<&irmer_core::licences::Licence> = if p.user.may(Action::Investigate) {
        irmer_store::licences::due_for_renewal(&licences, today)
    } else {
        Vec::new()
    };
    let drafts = app.accounts.store().drafts(p.user.id).await?;
    let places = Places::load(app.accounts.store()).await?;
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
        @if !unsent.is_empty() {
            div class="notice warning" {
                h2 { "Notifications not sent" }
                ul {
                    @for s in &unsent {
                        li {
                            a href={ "/incidents/" (enc(&s.reference)) } { (s.reference) } ": "
                            @if s.status == irmer_store::mail::MailStatus::Failed { "refused by the authority: " } @else { "not sent yet, irmer tries again: " }
                            (s.last_error.as_deref().unwrap_or_default())
                        }
                    }
                }
            }
        }
        (super::tasks::dashboard_list(&tasks, today))
        @if !renewals.is_empty() {
            div class="notice warning" {
                h2 { "ARSAC licences to renew" }
                p { "A renewal takes 6 to 8 weeks." }
                ul {
                    @for l in &renewals {
                        li { (l.number) " (" (l.holder.as_str()) ", " (l.site) "): " @if l.expiry < today { "expired on " } @else { "expires on " } (crate::dates::day(l.expiry)) }
                    }
                }
                @if p.user.may(Action::Administer) { p { a href="/admin/licences" { "The licence register" } } }
            }
        }
        @if !themes.is_empty() {
            h2 { "Possible themes" }
            p { "Open incidents that share a coded cause with others within " (themes[0].2) " months. Confirm or dismiss each on its own page." }
            ul {
                @for (reference, found, _) in &themes {
                    li {
                        a href={ "/incidents/" (enc(reference)) "/theme" } { (reference) }
                        ": "
                        @for (n, s) in found.iter().enumerate() {
                            @if n > 0 { "; " }
                            (s.cause_words) " (" (s.incidents.len()) @if s.more { "+" } " other" @if s.incidents.len() != 1 || s.more { "s" } ")"
                        }
                    }
                }
            }
        }
        h2 { "Open incidents, soonest deadline first" }
        @if open.items.is_empty() {
            p { "There are no open incidents." }
        } @else {
            (summary_table(&open.items, today, "Open incidents", &places))
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
