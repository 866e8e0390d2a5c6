//! irmer-mail: e-mail from the outbox ([`irmer_store::mail`]).
//!
//! Nothing here decides what to send: a mail is queued by whatever causes
//! it, in the same transaction. [`deliver_due`] sends what is due over
//! SMTP (lettre: `smtp://` plain, `smtp://…?tls=required` for STARTTLS,
//! `smtps://` for TLS, with `user:password@` when the server asks) and
//! records each attempt: sent; refused for now (a 4xx reply, or no
//! answer), tried again after a backoff; refused for good (a 5xx reply,
//! or an address that is not one), kept as failed with the reply. The
//! Message-ID was fixed when the mail was queued, so a mail sent again
//! after a crash between the server's acceptance and the record is the
//! same message to the receiving systems.
//!
//! Without SMTP configured the worker does not run and mail stays queued,
//! visible on the administration page, until it is.

use std::time::Duration;

use irmer_store::StoreError;
pub use irmer_store::mail::is_email;
use irmer_store::mail::{Attempt, Mail, MailStore};
use lettre::Address;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use time::OffsetDateTime;

#[cfg(feature = "sink")]
pub mod sink;

/// How many mails one pass of the worker sends at most.
pub const BATCH: u32 = 50;
/// Attempts before a mail that is refused for now is given up.
pub const MOST_ATTEMPTS: u32 = 12;
/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why mail cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP address {url}: {why}")]
    Url { url: String, why: String },
    #[error("the sender {0:?} is not an e-mail address")]
    From(String),
}

/// The SMTP server the worker sends through.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The address without its password, for logs and pages.
    pub shown: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp").field("shown", &self.shown).finish()
    }
}

/// The URL with any password replaced, to be shown.
pub fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let name = user.split(':').next().unwrap_or_default();
            format!("{}{name}:…@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Smtp {
    /// The server at `url` (`smtp://host:port`, `smtps://…`,
    /// `smtp://…?tls=required`, credentials as `user:password@`).
    pub fn new(url: &str) -> Result<Smtp, MailError> {
        let shown = without_password(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url {
                url: shown.clone(),
                why: e.to_string(),
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Smtp { transport, shown })
    }
}

/// A new Message-ID for mail from `from`: random, at the sender's domain
/// ([`irmer_store::mail::message_id`]).
pub fn new_message_id(from: &str) -> Result<String, MailError> {
    irmer_store::mail::message_id(from).ok_or_else(|| MailError::From(from.to_owned()))
}

/// The wait before attempt `attempt` + 1 after `attempt` failed for now:
/// 1, 2, 4 … minutes, at most 6 hours; `None` once [`MOST_ATTEMPTS`]
/// have been made.
pub fn backoff(attempt: u32) -> Option<time::Duration> {
    if attempt >= MOST_ATTEMPTS {
        return None;
    }
    let minutes = 1i64 << attempt.saturating_sub(1).min(20);
    Some(time::Duration::minutes(minutes.min(360)))
}

/// `Name <address>` or a bare address as a mailbox; the name may hold
/// anything (it is quoted as it goes out: "CQC IR(ME)R" is a name, not a
/// comment).
fn mailbox(text: &str, what: &str) -> Result<Mailbox, String> {
    let text = text.trim();
    let (name, address) = match text.rsplit_once('<') {
        Some((name, rest)) if rest.ends_with('>') => {
            let name = name.trim().trim_matches('"').trim();
            (
                (!name.is_empty()).then(|| name.to_owned()),
                &rest[..rest.len() - 1],
            )
        }
        _ => (None, text),
    };
    let address: Address = address
        .trim()
        .parse()
        .map_err(|e| format!("the {what} {text:?}: {e}"))?;
    Ok(Mailbox::new(name, address))
}

/// The message as it goes over SMTP.
pub fn message(mail: &Mail) -> Result<Message, String> {
    let from = mailbox(&mail.from, "sender")?;
    let to = mailbox(&mail.to, "recipient")?;
    Message::builder()
        .message_id(Some(mail.message_id.clone()))
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u32,
    /// Refused for now: due again later.
    pub deferred: u32,
    /// Refused for good, or out of attempts.
    pub failed: u32,
}

/// Sends the mail due at `now`, recording each attempt. `clock` gives the
/// time a mail was accepted.
pub async fn deliver_due<S: MailStore>(
    store: &S,
    smtp: &Smtp,
    now: OffsetDateTime,
    clock: impl Fn() -> OffsetDateTime,
) -> Result<Delivered, StoreError> {
    let mut done = Delivered::default();
    for queued in store.due_mail(now, BATCH).await? {
        let attempt = match message(&queued.mail) {
            Err(why) => Attempt::NotSent {
                error: why,
                retry_at: None,
            },
            Ok(message) => match smtp.transport.send(message).await {
                Ok(_) => Attempt::Sent { at: clock() },
                Err(e) => {
                    let retry_at = if e.is_permanent() {
                        None
                    } else {
                        backoff(queued.attempts + 1).map(|wait| clock() + wait)
                    };
                    Attempt::NotSent {
                        error: e.to_string(),
                        retry_at,
                    }
                }
            },
        };
        match &attempt {
            Attempt::Sent { .. } => done.sent += 1,
            Attempt::NotSent {
                retry_at: Some(_), ..
            } => done.deferred += 1,
            Attempt::NotSent { retry_at: None, .. } => done.failed += 1,
        }
        store.record_attempt(queued.id, &attempt).await?;
    }
    Ok(done)
}

/// Runs [`deliver_due`] every `every` for as long as the process lives
/// (spawned by the server when SMTP is configured). An error of the store
/// is reported and the next pass tries again.
pub async fn worker<S: MailStore>(
    store: S,
    smtp: Smtp,
    every: Duration,
    clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
) {
    loop {
        if let Err(e) = deliver_due(&store, &smtp, clock(), &clock).await {
            eprintln!("irmer: mail: {e}");
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_six_hours_then_gives_up() {
        assert_eq!(backoff(1), Some(time::Duration::minutes(1)));
        assert_eq!(backoff(2), Some(time::Duration::minutes(2)));
        assert_eq!(backoff(5), Some(time::Duration::minutes(16)));
        assert_eq!(backoff(10), Some(time::Duration::minutes(360)));
        assert_eq!(backoff(MOST_ATTEMPTS), None);
    }

    #[test]
    fn addresses() {
        for good in ["rpa@trust.nhs.uk", "a.b-c@x.example.org", "x+y@d.co"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "rpa",
            "rpa@",
            "@trust.nhs.uk",
            "rpa@trust",
            "a@b@c.uk",
            "a b@c.uk",
            "<a@b.uk>",
            "a@.uk",
            "a@b..uk",
            "a@b.uk.",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            without_password("smtps://irmer:s3cret@mail.example.org:465"),
            "smtps://irmer:…@mail.example.org:465"
        );
        assert_eq!(
            without_password("smtp://127.0.0.1:25"),
            "smtp://127.0.0.1:25"
        );
    }

    #[test]
    fn message_ids_are_at_the_senders_domain_and_differ() {
        let a = new_message_id("irmer@cqc.example.org").expect("id");
        let b = new_message_id("irmer@cqc.example.org").expect("id");
        assert!(
            a.starts_with('<') && a.ends_with("@cqc.example.org>"),
            "{a}"
        );
        assert_ne!(a, b);
        assert!(new_message_id("not an address").is_err());
    }
}
