//! The authority's HTTP API: `POST /api/v1/notifications` (and
//! `POST /api/v1/licence-breaches`, the licensing breach form's) for
//! employers' systems, each with its organisation's token
//! (`Authorization: Bearer irmer_org_…`), answering `201 {"reference": …}`; with an
//! `Idempotency-Key`, a retry answers the first reference (200) and sends
//! no second e-mail. Errors are problem+json naming the field.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use irmer_core::assessment::EnforcingAuthority;
use irmer_store::authority::{AuthorityStore, NewReport};
use irmer_store::mail::MailStore;
use irmer_web::Problem;
use serde_json::json;
use time::OffsetDateTime;

use crate::intake;

/// The largest body accepted.
pub const BODY_LIMIT: usize = 256 * 1024;
/// The longest Idempotency-Key.
pub const KEY_MAX: usize = 200;

/// What the handlers share.
#[derive(Clone)]
pub struct AuthorityApp<S> {
    pub store: S,
    pub authority: EnforcingAuthority,
    /// The acknowledgements' sender (`Name <address>` or an address).
    pub mail_from: String,
    pub clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
}

impl<S> AuthorityApp<S> {
    pub fn new(store: S, authority: EnforcingAuthority, mail_from: String) -> Self {
        AuthorityApp {
            store,
            authority,
            mail_from,
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }
}

pub fn router<S: AuthorityStore + MailStore>(app: AuthorityApp<S>) -> Router {
    Router::new()
        .route("/api/v1/notifications", post(notify::<S>))
        .route("/api/v1/licence-breaches", post(breach::<S>))
        .route(
            "/api/v1/notifications/{reference}/report",
            post(report::<S>).layer(DefaultBodyLimit::max(crate::report::REPORT_MAX)),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "no-route",
                "No such resource",
                "the notifications API is POST /api/v1/notifications (and POST /api/v1/licence-breaches)",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
        .layer(axum::middleware::map_response(irmer_web::security_headers))
}

fn unauthenticated(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Authentication required",
        detail,
    )
}

fn internal(e: impl std::fmt::Display) -> Problem {
    eprintln!("irmer: authority: {e}");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "the notification could not be recorded; it was logged. Send it again (with the same Idempotency-Key).",
    )
}

/// The request's Idempotency-Key, if it gave one: 1 to [`KEY_MAX`]
/// visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    if text.is_empty() || text.len() > KEY_MAX || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-header",
            "Invalid header",
            format!("Idempotency-Key: 1 to {KEY_MAX} visible ASCII characters"),
        )
        .field("Idempotency-Key"));
    }
    Ok(Some(text.to_owned()))
}

/// The organisation whose token the request carries.
async fn organisation<S: AuthorityStore>(
    store: &S,
    headers: &HeaderMap,
) -> Result<irmer_store::authority::OrganisationToken, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            unauthenticated("send the organisation's token: Authorization: Bearer irmer_org_…")
        })?;
    store
        .organisation_token(&crate::digest(token.trim()))
        .await
        .map_err(internal)?
        .ok_or_else(|| unauthenticated("the token is not known or has been revoked"))
}

/// `POST /api/v1/notifications/{reference}/report`: the provider's
/// anonymised investigation report, as text, for a notification it sent
/// with the same token. Checked for identifiers (refused with their kinds
/// and places, never echoed); kept as a new version; 201 with the
/// version (with an Idempotency-Key used before: the version it made,
/// 200). A reference not sent with this token is a 404, whether or not it
/// exists.
async fn report<S: AuthorityStore + MailStore>(
    State(app): State<AuthorityApp<S>>,
    axum::extract::Path(reference): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let found = organisation(&app.store, &headers).await?;
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such notification",
            format!("no notification {reference:?} was sent with this organisation's token"),
        )
    };
    let sender = app.store.sender(&reference).await.map_err(internal)?;
    if sender.and_then(|s| s.token_id) != Some(found.id) {
        return Err(not_found());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let pdf_text;
    let (text, document) = match content_type.as_str() {
        "text/plain" => (
            std::str::from_utf8(&body).map_err(|e| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-text",
                    "The report is not UTF-8 text",
                    format!("byte {}: not UTF-8", e.valid_up_to()),
                )
            })?,
            None,
        ),
        "application/pdf" => {
            // Read off the async threads: a large PDF takes a while.
            let bytes = body.clone();
            pdf_text = tokio::task::spawn_blocking(move || crate::report::pdf_text(&bytes))
                .await
                .map_err(internal)?
                .map_err(|e| Problem::invalid("report", e.to_string()))?;
            (pdf_text.as_str(), Some(&body[..]))
        }
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send the report as text or PDF",
                format!(
                    "Content-Type {content_type:?}: the report is accepted as text/plain (UTF-8) or application/pdf (with text, which irmer reads and checks for identifiers)"
                ),
            )
            .field("Content-Type"));
        }
    };
    if text.trim().is_empty() {
        return Err(Problem::invalid("report", "the report is empty"));
    }
    irmer_store::register::check_free_text("report", text).map_err(Problem::from)?;
    let key = idempotency_key(&headers)?;
    let report = NewReport {
        content_type: if document.is_some() {
            "application/pdf"
        } else {
            "text/plain"
        },
        body: text,
        document,
        key: key.as_deref(),
        at: (app.clock)(),
    };
    let (version, created) =
        app.store
            .add_report(&reference, &report)
            .await
            .map_err(|e| match e {
                irmer_store::StoreError::NotFound(_) => not_found(),
                other => internal(other),
            })?;
    Ok(answered(
        created,
        &json!({"reference": reference, "version": version}),
    ))
}

/// 201 with the answer when something was made, 200 when a retry found it.
fn answered(created: bool, answer: &serde_json::Value) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

async fn notify<S: AuthorityStore + MailStore>(
    State(app): State<AuthorityApp<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let found = organisation(&app.store, &headers).await?;
    let key = idempotency_key(&headers)?;
    let submission = intake::read(&body).map_err(|e| Problem::input(&e))?;
    same_organisation(&found, submission.organisation_code.as_ref())?;
    let now = (app.clock)();
    let new = intake::new_notification(app.authority, &submission, Some(found.id), key, now);
    let message_id = irmer_mail::new_message_id(&app.mail_from).map_err(internal)?;
    let received = app
        .store
        .receive(&new, &|reference| {
            intake::acknowledgement(
                app.authority,
                &app.mail_from,
                &new,
                reference,
                message_id.clone(),
            )
        })
        .await
        .map_err(internal)?;
    let answer = json!({
        "reference": received.reference,
        "report_due": new.report_due.to_string(),
        "codes": new.codes.split_whitespace().collect::<Vec<_>>(),
    });
    Ok(answered(received.created, &answer))
}

/// The token's organisation code against the one a body gives: another
/// organisation's code is refused.
fn same_organisation(
    found: &irmer_store::authority::OrganisationToken,
    given: Option<&String>,
) -> Result<(), Problem> {
    match (&found.organisation_code, given) {
        (Some(theirs), Some(given)) if !theirs.eq_ignore_ascii_case(given) => {
            Err(Problem::invalid(
                "organisation.code",
                format!("this token was issued to the organisation {theirs}, not {given}"),
            ))
        }
        _ => Ok(()),
    }
}

/// `POST /api/v1/licence-breaches`: a licensing breach, read as the
/// licensing breach form reads it ([`crate::licence::read`]), numbered in
/// its own series and acknowledged by e-mail; with an Idempotency-Key
/// used before, the first reference (200) and no second e-mail.
async fn breach<S: AuthorityStore + MailStore>(
    State(app): State<AuthorityApp<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let found = organisation(&app.store, &headers).await?;
    let key = idempotency_key(&headers)?;
    let now = (app.clock)();
    let breach = intake::json_of(&body)
        .and_then(|v| crate::licence::read(&v, irmer_core::lifecycle::uk_date(now)))
        .map_err(|e| Problem::input(&e))?;
    same_organisation(&found, breach.organisation_code.as_ref())?;
    let mut new = crate::licence::new_breach(app.authority, &breach, key, now);
    new.token_id = Some(found.id);
    let message_id = irmer_mail::new_message_id(&app.mail_from).map_err(internal)?;
    let received = app
        .store
        .receive(&new, &|reference| {
            crate::licence::acknowledgement(
                app.authority,
                &app.mail_from,
                &breach,
                reference,
                message_id.clone(),
            )
        })
        .await
        .map_err(internal)?;
    Ok(answered(
        received.created,
        &json!({"reference": received.reference}),
    ))
}
