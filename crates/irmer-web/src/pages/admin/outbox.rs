//! The outbox: every e-mail irmer has queued (an employer's reminders, an
//! authority's acknowledgements, requests, chasers and closures) and
//! whether each was sent. Administrators only.

use axum::extract::State;
use axum::http::StatusCode;
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use irmer_store::mail::MailStatus;
use maud::html;

use super::super::{Administrator, ForPage, PageResult};
use super::admin_show;
use crate::app::App;
use crate::dates::moment;

pub(in super::super) async fn outbox<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
) -> PageResult {
    let mail = app.register.store().outbox(200, 0).await.for_page(&p)?;
    let status = |s: MailStatus| match s {
        MailStatus::Queued => ("Waiting to send", "due-soon"),
        MailStatus::Sent => ("Sent", "met"),
        MailStatus::Failed => ("Failed", "overdue"),
    };
    let body = html! {
        h1 { "Outbox" }
        p { "Every e-mail, newest first: it is written here in the same transaction as what causes it and sent by a worker with retries. Without an SMTP server configured (--smtp or IRMER_SMTP_URL), e-mail waits here." }
        @if mail.is_empty() { p { "No e-mail yet." } }
        @else {
            div class="table-wrap" {
                table class="stack" {
                    caption class="visually-hidden" { "E-mail" }
                    thead { tr { th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "Queued" } th scope="col" { "State" } } }
                    tbody {
                        @for q in &mail {
                            @let (words, class) = status(q.status);
                            tr {
                                td data-label="To" { (q.mail.to) }
                                td data-label="Subject" { (q.mail.subject) }
                                td data-label="Queued" { (moment(q.created_at)) }
                                td data-label="State" {
                                    strong class={ "tag " (class) } { (words) }
                                    " after " (q.attempts) " attempt" @if q.attempts != 1 { "s" }
                                    @if let Some(e) = &q.last_error { br; "Last reply: " (e) }
                                    @if q.status == MailStatus::Queued && q.attempts > 0 { br; "Next try " (moment(q.next_attempt_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(admin_show(
        &p,
        StatusCode::OK,
        "/admin/outbox",
        (None, &[]),
        body,
    ))
}
