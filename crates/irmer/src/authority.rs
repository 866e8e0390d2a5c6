//! `irmer authority …`: the same binary as the enforcing authority (CQC,
//! HIW, HIS or RQIA): its own register, receiving notifications from
//! employers' systems and acknowledging each by e-mail.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use irmer_core::assessment::EnforcingAuthority;
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use irmer_store::authority::AuthorityStore;
use irmer_store::mail::MailStore;
use irmer_store::register::Register;
use irmer_store::sends::SendStore;

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
        /// SMTP and the acknowledgements' sender, e.g. "CQC IR(ME)R
        /// <irmer@cqc.org.uk>".
        #[command(flatten)]
        mail: crate::mail::MailArgs,
        /// Session cookies without `Secure`: only for plain HTTP on a name
        /// other than localhost (put TLS in front instead where you can).
        #[arg(long)]
        insecure_cookies: bool,
    },
    /// Organisations' tokens for the notifications API.
    #[command(subcommand)]
    Token(OrganisationTokenCommand),
    /// The notifications received, oldest first: reference, status,
    /// organisation, modality, the provider's codes and the authority's
    /// reading (marked where they differ), the report's due date.
    List {
        /// One notification as JSON per line.
        #[arg(long)]
        json: bool,
    },
    /// One notification: what was sent, the authority's assessment and the
    /// reports received.
    Show { reference: String },
    /// The year's figures as the authorities publish them: notifications
    /// received in a financial year (by default the current one) by
    /// modality, sub-modality, code, kind of provider and cause tier, as
    /// CSV, a page of HTML, or PDF.
    Annual {
        #[command(flatten)]
        period: crate::stats::PeriodArgs,
        /// cqc, hiw, his or rqia (named on the page).
        #[arg(long, env = "IRMER_AUTHORITY", value_parser = irmer_authority::parse_authority)]
        authority: EnforcingAuthority,
        #[arg(long, value_enum, default_value = "csv")]
        format: AnnualFormat,
        /// The file to write; standard output without one.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// As an employer: connect to an authority's irmer, so that `irmer
    /// incident send REF` (and the server's worker) can send notifications.
    Connect {
        /// cqc, hiw, his or rqia.
        #[arg(long, value_parser = irmer_authority::parse_authority)]
        authority: EnforcingAuthority,
        /// The authority's irmer, e.g. https://irmer.cqc.example.org
        #[arg(long)]
        url: String,
        /// The organisation's token the authority issued.
        #[arg(long, env = "IRMER_AUTHORITY_TOKEN", hide_env_values = true)]
        token: String,
        /// Where the authority's acknowledgement and questions go.
        #[arg(long)]
        contact_email: String,
        #[arg(long)]
        contact_name: Option<String>,
        /// The organisation's ODS code.
        #[arg(long)]
        code: Option<String>,
        /// The organisation's name, as the authority knows it (also on
        /// every investigation report; the settings page sets it too).
        #[arg(long)]
        organisation: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AnnualFormat {
    Csv,
    Html,
    Pdf,
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

pub async fn run<S: Store + AuthorityStore + MailStore + AccountStore>(
    register: Register<S>,
    command: AuthorityCommand,
    database: &str,
) -> anyhow::Result<ExitCode> {
    let store = register.store().clone();
    match command {
        AuthorityCommand::List { json } => {
            let mut out = std::io::stdout().lock();
            let mut offset = 0;
            loop {
                let page = store
                    .notifications(&irmer_store::case::CaseFilter::default(), 500, offset)
                    .await?;
                for n in &page {
                    if json {
                        serde_json::to_writer(&mut out, n)?;
                        writeln!(out)?;
                    } else {
                        let differs = !n.provider_codes.is_empty() && n.provider_codes != n.codes;
                        writeln!(
                            out,
                            "{}  {:<20}  {}  {:<12}  codes {}{}  {}",
                            n.reference,
                            n.status,
                            match n.report_received_at {
                                Some(_) => format!("report received ({})", n.report_due),
                                None => format!("report due {}", n.report_due),
                            },
                            n.modality,
                            if n.codes.is_empty() { "none" } else { &n.codes },
                            if differs {
                                format!(" (provider: {})", n.provider_codes)
                            } else {
                                String::new()
                            },
                            n.organisation_name
                        )?;
                    }
                }
                if page.len() < 500 {
                    break;
                }
                offset += 500;
            }
            Ok(ExitCode::SUCCESS)
        }
        AuthorityCommand::Annual {
            period,
            authority,
            format,
            output,
        } => {
            let today = irmer_core::lifecycle::uk_date(time::OffsetDateTime::now_utc());
            let (from, to) = match crate::stats::resolve(
                &period,
                today,
                irmer_stats::tally::current_financial_year(today),
            ) {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            let mut all = Vec::new();
            loop {
                let page = store
                    .notifications(
                        &irmer_store::case::CaseFilter::default(),
                        1000,
                        all.len() as u64,
                    )
                    .await?;
                let done = page.len() < 1000;
                all.extend(page);
                if done {
                    break;
                }
            }
            let year = irmer_authority::annual::annual(&all, from, to);
            let bytes = match format {
                AnnualFormat::Csv => irmer_authority::annual::csv(&year).into_bytes(),
                AnnualFormat::Html => irmer_authority::annual::html(&year, authority).into_bytes(),
                AnnualFormat::Pdf => {
                    irmer_authority::annual::pdf(&year, authority, time::OffsetDateTime::now_utc())
                        .map_err(|e| anyhow::anyhow!("the PDF: {e}"))?
                }
            };
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().lock().write_all(&bytes)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        AuthorityCommand::Show { reference } => {
            let Some(n) = store.notification(&reference).await? else {
                eprintln!("irmer: no notification {reference:?}");
                return Ok(ExitCode::from(1));
            };
            let reports = store.reports_of(&reference).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{}  ({}, received {})",
                n.reference,
                n.status,
                n.received_at.date()
            )?;
            writeln!(
                out,
                "Organisation: {}{}",
                n.organisation_name,
                n.organisation_code
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            )?;
            writeln!(
                out,
                "Contact: {}{}",
                n.contact_name
                    .as_deref()
                    .map(|c| format!("{c}, "))
                    .unwrap_or_default(),
                n.contact_email
            )?;
            writeln!(
                out,
                "Discovered {}; report due {}",
                n.discovered, n.report_due
            )?;
            writeln!(
                out,
                "Codes: {} (provider: {})",
                if n.codes.is_empty() { "none" } else { &n.codes },
                if n.provider_codes.is_empty() {
                    "none given"
                } else {
                    &n.provider_codes
                }
            )?;
            writeln!(out, "\nSummary:\n{}", n.summary)?;
            match irmer_core::parse::parse_incident(&n.facts) {
                Ok(incident) => {
                    let assessment = irmer_authority::intake::assess(&incident);
                    writeln!(out)?;
                    crate::text::write_assessment(&mut out, &incident, &assessment, None)?;
                }
                Err(e) => writeln!(out, "\nThe facts cannot be read: {e}")?,
            }
            for r in &reports {
                writeln!(
                    out,
                    "\nReport, version {} (received {}):\n{}",
                    r.version,
                    r.received_at.date(),
                    r.body
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        AuthorityCommand::Connect {
            authority,
            url,
            token,
            contact_email,
            contact_name,
            code,
            organisation,
        } => {
            let url = url.trim().trim_end_matches('/').to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                eprintln!("irmer: --url: expected http:// or https:// and the authority's address");
                return Ok(ExitCode::from(2));
            }
            if !irmer_mail::is_email(contact_email.trim()) {
                eprintln!("irmer: --contact-email: {contact_email:?} is not an e-mail address");
                return Ok(ExitCode::from(2));
            }
            use irmer_web::send as c;
            store.set_setting(&c::url_setting(authority), &url).await?;
            store
                .set_setting(&c::token_setting(authority), token.trim())
                .await?;
            store
                .set_setting(c::CONTACT_EMAIL_SETTING, contact_email.trim())
                .await?;
            store
                .set_setting(
                    c::CONTACT_NAME_SETTING,
                    contact_name.as_deref().unwrap_or_default().trim(),
                )
                .await?;
            if let Some(code) = code {
                store
                    .set_setting(c::ORGANISATION_CODE_SETTING, code.trim())
                    .await?;
            }
            if let Some(name) = organisation {
                store
                    .set_setting(irmer_store::accounts::ORGANISATION_SETTING, name.trim())
                    .await?;
            }
            eprintln!("irmer: connected to {} at {url}", authority.name());
            Ok(ExitCode::SUCCESS)
        }
        AuthorityCommand::Token(OrganisationTokenCommand::Create { organisation, code }) => {
            let organisation = organisation.trim();
            if let Err((field, message)) =
                irmer_authority::check_organisation(organisation, code.as_deref())
            {
                eprintln!("irmer: --{field}: {message}");
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
            mail,
            insecure_cookies,
        } => {
            let (smtp, mail_from) = mail.setup(&format!("irmer@{}.invalid", authority.id()))?;
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
            let mut web = irmer_web::App::new(register);
            web.secure_cookies = !insecure_cookies;
            web.authority = Some(authority);
            if let Some((name, password)) =
                web.accounts.first_administrator(web.register.now()).await?
            {
                let _ = writeln!(
                    out,
                    "irmer: first start: sign in as {name} with the one-time password {password} (shown only now; you then choose your own)"
                );
            }
            let _ = out.flush();
            // Reports due soon or overdue: chased once each, by e-mail.
            tokio::spawn(chaser(store.clone(), authority, mail_from.clone()));
            crate::mail::spawn_worker(&store, smtp);
            let config = irmer_authority::pages::CaseConfig {
                authority,
                mail_from: mail_from.clone(),
                sends: irmer_authority::public::SendLimit::default(),
            };
            let app = irmer_authority::api::AuthorityApp::new(store, authority, mail_from);
            let limits = irmer_web::server::Limits::for_this_process();
            irmer_web::serve(listener, irmer_authority::router(app, web, config), limits).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// How often the chasers are looked for.
const CHASE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Queues the chasers that are due, every [`CHASE_EVERY`]; a failure is
/// logged and tried again next time.
async fn chaser<S: AuthorityStore>(store: S, authority: EnforcingAuthority, mail_from: String) {
    let mut tick = tokio::time::interval(CHASE_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = irmer_authority::case::chase(
            &store,
            authority,
            &mail_from,
            time::OffsetDateTime::now_utc(),
        )
        .await
        {
            eprintln!("irmer: chasers: {e}");
        }
    }
}

/// What `irmer incident send` sends.
pub enum Sent {
    Notification,
    Report,
    /// To the licensing breach form, with what was wrong and the site.
    LicenceBreach(String, Option<String>),
}

/// `irmer incident send REF [--report | --licence-breach KIND]`: queue
/// the send and post it now.
pub async fn send<S: Store + AccountStore + SendStore>(
    register: &Register<S>,
    reference: &str,
    what: Sent,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    use irmer_store::sends::SendKind;
    use irmer_web::send::{self, SendError};
    let (kind, queued) = match &what {
        Sent::Report => (
            SendKind::Report,
            send::queue_report(register, reference, actor).await,
        ),
        Sent::Notification => (
            SendKind::Notification,
            send::queue_notification(register, reference, actor).await,
        ),
        Sent::LicenceBreach(k, site) => (
            SendKind::LicenceBreach,
            send::queue_licence_breach(register, reference, k, site.as_deref(), actor).await,
        ),
    };
    match queued {
        Ok(_) => {}
        Err(SendError::Register(e)) => return Ok(crate::register::report_error(&e)),
        Err(e @ SendError::AlreadySent) => {
            eprintln!("irmer: {reference}: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            eprintln!("irmer: {reference}: {e}");
            return Ok(ExitCode::from(2));
        }
    }
    let http = send::http().map_err(anyhow::Error::msg)?;
    if let Err(e) = send::deliver_sends(register, &http, register.now(), actor).await {
        return Ok(crate::register::report_error(&e));
    }
    let sent = register.store().sends_of(reference).await?;
    match sent.iter().find(|s| s.kind == kind) {
        Some(s) if s.authority_reference.is_some() => {
            println!(
                "sent {reference}: the authority's reference is {}",
                s.authority_reference.as_deref().unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(s) => {
            eprintln!(
                "irmer: {reference}: not sent ({}): {}",
                if s.status == irmer_store::mail::MailStatus::Failed {
                    "refused"
                } else {
                    "queued; the server retries it"
                },
                s.last_error.as_deref().unwrap_or("no answer")
            );
            Ok(ExitCode::from(1))
        }
        None => Ok(ExitCode::from(1)),
    }
}
