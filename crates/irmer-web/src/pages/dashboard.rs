//! The dashboard: counts by status, the open incidents soonest deadline
//! first, and the user's saved drafts ("Your reports" for a reporter).

use axum::extract::{RawQuery, State};
use irmer_core::lifecycle::IncidentStatus;
use irmer_store::accounts::{AccountStore, Action, Role};
use irmer_store::{Filter, Sort, Store};
use maud::html;

use super::register::summary_table;
use super::reporting::drafts_notice;
use super::{ForPage, PageResult, Places, show, status_words};
use crate::app::{App, PageUser};
use crate::html::Section;

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
