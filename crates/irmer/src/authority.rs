//! `irmer authority …`: the same binary as the enforcing authority (CQC,
//! HIW, HIS or RQIA): its own register, receiving notifications from
//! employers' systems and acknowledging each by e-mail.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use irmer_core::assessment::EnforcingAuthority;
use irmer_store::authority::AuthorityStore;
use irmer_store::mail::MailStore;

/// How often the mail worker looks for mail due.
const MAIL_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Subcommand)]
pub enum AuthorityCommand {
    /// Serve the authority's notifications API (POST /api/v1/notifications,
    /// with an organisation's token) and send the acknowledgements.
    ///
    /// Without --smtp the acknowledgements stay queued in the outbox.
    Serve {
        /// cqc, hiw, his or rqia.
        #[arg(long, env = "IRMER_AUTHORITY", value_parser = irmer_authority::parse_authority)]
        authority: EnforcingAuthority,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// The SMTP server: smtp://host:port, smtp://host:port?tls=required
        /// (STARTTLS), smtps://host:port; user:password@ when it asks.
        #[arg(long, env = "IRMER_SMTP_URL", hide_env_values = true)]
        smtp: Option<String>,
        /// The acknowledgements' sender, e.g. "CQC IR(ME)R <irmer@cqc.org.uk>".
        #[arg(long, env = "IRMER_MAIL_FROM")]
        mail_from: Option<String>,
    },
    /// Organisations' tokens for the notifications API.
    #[command(subcommand)]
    Token(OrganisationTokenCommand),
}

#[derive(Subcommand)]
pub enum OrganisationTokenCommand {
    /// Make a token for an organisation and print it once (only its digest
    /// is kept).
    Create {
        /// The organisation's name.
        #[arg(long)]
        organisation: String,
        /// Its code (an ODS code such as RXX); a notification sent with the
        /// token must give the same.
        #[arg(long)]
        code: Option<String>,
    },
}

pub async fn run<S: AuthorityStore + MailStore>(
    store: S,
    command: AuthorityCommand,
    database: &str,
) -> anyhow::Result<ExitCode> {
    match command {
        AuthorityCommand::Token(OrganisationTokenCommand::Create { organisation, code }) => {
            let organisation = organisation.trim();
            if organisation.is_empty()
                || organisation.chars().count() > irmer_authority::intake::NAME_MAX
            {
                eprintln!(
                    "irmer: --organisation: 1 to {} characters",
                    irmer_authority::intake::NAME_MAX
                );
                return Ok(ExitCode::from(2));
            }
            if let Some(c) = &code
                && (c.is_empty()
                    || c.len() > irmer_authority::intake::CODE_MAX
                    || !c.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                eprintln!("irmer: --code: letters and digits (an ODS code such as RXX)");
                return Ok(ExitCode::from(2));
            }
            let (token, digest) =
                irmer_authority::new_organisation_token().map_err(anyhow::Error::msg)?;
            let id = store
                .add_organisation_token(
                    organisation,
                    code.as_deref(),
                    &digest,
                    time::OffsetDateTime::now_utc(),
                )
                .await?;
            println!("{token}");
            eprintln!(
                "irmer: token {id} for {organisation}: shown only now; only its digest is kept"
            );
            Ok(ExitCode::SUCCESS)
        }
        AuthorityCommand::Serve {
            authority,
            bind,
            smtp,
            mail_from,
        } => {
            let mail_from =
                mail_from.unwrap_or_else(|| format!("irmer@{}.invalid", authority.id()));
            irmer_mail::new_message_id(&mail_from)
                .map_err(|e| anyhow::anyhow!("--mail-from: {e}"))?;
            let smtp = smtp
                .map(|url| irmer_mail::Smtp::new(&url))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--smtp: {e}"))?;
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            let address = listener.local_addr()?;
            let mut out = std::io::stdout();
            let _ = writeln!(
                out,
                "irmer: {} listening on http://{address}/ (register: {}; mail: {})",
                authority.name(),
                crate::database::redact(database),
                smtp.as_ref()
                    .map_or("not configured: acknowledgements stay queued", |s| s
                        .shown
                        .as_str())
            );
            let _ = out.flush();
            if let Some(smtp) = smtp {
                tokio::spawn(irmer_mail::worker(
                    store.clone(),
                    smtp,
                    MAIL_EVERY,
                    time::OffsetDateTime::now_utc,
                ));
            }
            let app = irmer_authority::api::AuthorityApp::new(store, authority, mail_from);
            let limits = irmer_web::server::Limits::for_this_process();
            irmer_web::serve(listener, irmer_authority::api::router(app), limits).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
