//! Mail for `irmer serve` and `irmer authority serve`: the SMTP server
//! and the sender, from flags or the environment. Without SMTP, mail
//! stays queued in the outbox (listed under Administration, Outbox) until
//! a server is configured.

use clap::Args;

#[derive(Args, Clone, Debug)]
pub struct MailArgs {
    /// The SMTP server: smtp://host:port, smtp://host:port?tls=required
    /// (STARTTLS), smtps://host:port; user:password@ when it asks.
    #[arg(long, env = "IRMER_SMTP_URL", hide_env_values = true)]
    pub smtp: Option<String>,
    /// The sender of irmer's mail, e.g. "IR(ME)R <irmer@trust.nhs.uk>".
    #[arg(long, env = "IRMER_MAIL_FROM")]
    pub mail_from: Option<String>,
}

impl MailArgs {
    /// The SMTP server, if any, and the sender (`default_from` when none
    /// is given), each checked.
    pub fn setup(&self, default_from: &str) -> anyhow::Result<(Option<irmer_mail::Smtp>, String)> {
        let from = self
            .mail_from
            .clone()
            .unwrap_or_else(|| default_from.to_owned());
        irmer_mail::new_message_id(&from).map_err(|e| anyhow::anyhow!("--mail-from: {e}"))?;
        let smtp = self
            .smtp
            .as_deref()
            .map(irmer_mail::Smtp::new)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--smtp: {e}"))?;
        Ok((smtp, from))
    }
}

/// How often the mail worker looks for mail due.
pub const MAIL_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs the worker that sends the outbox, when SMTP is configured.
pub fn spawn_worker<S: irmer_store::mail::MailStore>(store: &S, smtp: Option<irmer_mail::Smtp>) {
    if let Some(smtp) = smtp {
        tokio::spawn(irmer_mail::worker(
            store.clone(),
            smtp,
            MAIL_EVERY,
            time::OffsetDateTime::now_utc,
        ));
    }
}
