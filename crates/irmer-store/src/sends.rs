//! What the employer sends to its enforcing authority's irmer: the
//! notification of an incident (later its report), and a licensing
//! breach on the authority's own licensing breach form, each queued once per
//! incident and kind (so an incident never makes two notifications), sent
//! by a worker with retries and the same Idempotency-Key each time, and
//! the authority's reference kept when it answers. A failure stays
//! visible, with its reason, until it is sent.

use std::future::Future;

use serde::Serialize;
use time::OffsetDateTime;

use crate::StoreError;
use crate::mail::MailStatus;

/// What is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SendKind {
    Notification,
    Report,
    /// A licensing breach, to the authority's licensing breach form.
    LicenceBreach,
}

impl SendKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SendKind::Notification => "notification",
            SendKind::Report => "report",
            SendKind::LicenceBreach => "licence-breach",
        }
    }

    pub fn parse(text: &str) -> Option<SendKind> {
        [
            SendKind::Notification,
            SendKind::Report,
            SendKind::LicenceBreach,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A send to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSend {
    /// The incident's reference.
    pub reference: String,
    pub kind: SendKind,
    /// `cqc`, `hiw`, `his` or `rqia`.
    pub authority: String,
    pub idempotency_key: String,
    /// The request body (JSON), built when queued.
    pub body: String,
    pub actor: String,
    pub at: OffsetDateTime,
}

/// A send and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sending {
    pub id: i64,
    pub reference: String,
    pub kind: SendKind,
    pub authority: String,
    pub idempotency_key: String,
    pub body: String,
    pub actor: String,
    /// The same three states as a mail's.
    pub status: MailStatus,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub authority_reference: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendAttempt {
    Sent {
        at: OffsetDateTime,
        authority_reference: String,
    },
    /// Not sent; try again at `retry_at`, or never (`None`).
    NotSent {
        error: String,
        retry_at: Option<OffsetDateTime>,
    },
}

/// A backend's sends. Each method is one transaction.
pub trait SendStore: Clone + Send + Sync + 'static {
    /// Queues a send; `Duplicate` (naming the incident) when one of that
    /// kind was queued for it already.
    fn queue_send(&self, new: &NewSend) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Queued sends due at `now`, oldest first.
    fn due_sends(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Sending>, StoreError>> + Send;

    fn record_send(
        &self,
        id: i64,
        attempt: &SendAttempt,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The sends of one incident.
    fn sends_of(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Vec<Sending>, StoreError>> + Send;

    /// Sends not (yet) sent after an attempt: failed, or queued with an
    /// error (the dashboard's list), newest first.
    fn troubled_sends(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Sending>, StoreError>> + Send;
}
