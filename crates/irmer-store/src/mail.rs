//! The outbox: every e-mail irmer sends is first a row here, written in
//! the same transaction as what causes it, then delivered by a worker
//! (irmer-mail) with retries and backoff. A crash loses none: a queued
//! mail stays queued until the server accepts it. Each keeps the
//! Message-ID it was given when queued, so a retry after a crash between
//! the server's acceptance and the row's update is the same message, which
//! mail systems recognise as a duplicate.

use std::future::Future;

use serde::Serialize;
use time::OffsetDateTime;

use crate::StoreError;

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// `<random@domain>`: stable across retries.
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// Where a queued mail stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailStatus {
    /// Waiting for its next attempt.
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// Refused permanently (a 5xx reply) or after the last attempt.
    Failed,
}

impl MailStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<MailStatus> {
        [MailStatus::Queued, MailStatus::Sent, MailStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A mail in the outbox, with its delivery so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Queued {
    pub id: i64,
    pub mail: Mail,
    pub status: MailStatus,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// The server's last reply, or why it could not be reached.
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Sent {
        at: OffsetDateTime,
    },
    /// Not sent; try again at `retry_at`, or never (`None`: failed).
    NotSent {
        error: String,
        retry_at: Option<OffsetDateTime>,
    },
}

/// Whether `text` is an e-mail address a mail can be sent to: one `@`, a
/// local part, a domain with a dot, no spaces or angle brackets.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && text.len() <= 254
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c))
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// A new Message-ID for mail from `from`: random, at the sender's domain;
/// `None` when `from` has no domain (or the system no randomness).
pub fn message_id(from: &str) -> Option<String> {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .filter(|d| !d.is_empty() && !d.contains(char::is_whitespace))?;
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(format!("<{}@{domain}>", hex::encode(bytes)))
}

/// A backend's outbox. Each method is one transaction.
pub trait MailStore: Clone + Send + Sync + 'static {
    /// Queues a mail on its own (what causes it is written elsewhere);
    /// its id. A Message-ID already queued is refused (`Duplicate`).
    fn queue_mail(
        &self,
        mail: &Mail,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Queues a mail once for `key`: the key and the mail are written in
    /// one transaction, or neither when the key is already there (false).
    /// What a sweep that may run again (after a crash, on two servers)
    /// sends, such as reminders.
    fn queue_once(
        &self,
        key: &str,
        mail: &Mail,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Queued mail whose next attempt is due at `now`, oldest first.
    fn due_mail(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Queued>, StoreError>> + Send;

    /// Records an attempt: the attempts counted, the reply kept.
    fn record_attempt(
        &self,
        id: i64,
        attempt: &Attempt,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The outbox, newest first (the administration page).
    fn outbox(
        &self,
        limit: u32,
        offset: u64,
    ) -> impl Future<Output = Result<Vec<Queued>, StoreError>> + Send;
}
