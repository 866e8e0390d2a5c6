//! The `irmer` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use irmer_core::{GuidanceVersion, Settings};

mod accounts;
mod assess;
mod authority;
mod csv_import;
mod database;
mod explain;
mod mail;
mod register;
mod report;
mod scan;
mod stats;
mod tasks;
mod taxonomy;
mod text;

/// Record, assess and report accidental and unintended exposures under
/// IR(ME)R 2017.
#[derive(Parser)]
#[command(name = "irmer", version, about, max_term_width = 100)]
struct Cli {
    /// The guidance version whose criteria decide.
    #[arg(long, global = true, env = "IRMER_GUIDANCE", default_value = GuidanceVersion::LATEST.as_str(), value_parser = parse_guidance)]
    guidance: GuidanceVersion,

    /// A patient younger than this many whole years is a child for the
    /// child dose thresholds.
    #[arg(long, global = true, env = "IRMER_CHILD_AGE_UNDER", default_value_t = Settings::DEFAULT_CHILD_AGE_UNDER,
          value_parser = clap::value_parser!(u8).range(1..=25))]
    child_age_under: u8,

    /// The register: a SQLite file path (created on first use) or a
    /// postgres:// URL.
    #[arg(long, global = true, env = "IRMER_DATABASE_URL", default_value = database::DEFAULT_DATABASE)]
    database: String,

    /// Who is making changes, as the history records it.
    #[arg(long, global = true, env = "IRMER_ACTOR")]
    actor: Option<String>,

    /// A file of local cause codes, added to the shipped taxonomy (TOML in
    /// its form; it adds codes and never changes or removes one). Checked
    /// at start: the server does not start on a broken one.
    #[arg(long, global = true, env = "IRMER_TAXONOMY")]
    taxonomy: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide whether incidents are notifiable, and explain why.
    ///
    /// Reads one JSON incident, or JSON Lines (one incident a line), from
    /// FILE or standard input. A bad line is reported on standard error
    /// (line, field, what was expected) and the others are still assessed;
    /// the exit status is then 2.
    Assess {
        /// The file to read; `-` or nothing for standard input.
        file: Option<std::path::PathBuf>,
        /// Print one assessment as JSON per line, in input order.
        #[arg(long)]
        json: bool,
    },
    /// Explain a notification code: the guidance's words, how irmer reads
    /// them, and a worked example.
    Explain {
        /// A code such as 1, 2.2, 4.2b, 10.1, or a letter M, E, V, C.
        /// Without one, every code is listed.
        code: Option<String>,
    },
    /// Record, list, show and change incidents in the register.
    #[command(subcommand)]
    Incident(register::IncidentCommand),
    /// What is due, soonest first: every incident with a deadline to meet.
    Deadlines {
        /// Only what is due within N days (overdue included).
        #[arg(long)]
        within: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Import incidents from JSON Lines (one incident a line) or CSV (a
    /// header of field paths such as patient.age, one incident a row), each
    /// with its reference. Importing the same file again creates nothing new.
    Import {
        /// The file; `-` for standard input.
        file: std::path::PathBuf,
        /// jsonl or csv; by default from the file's extension (.csv is CSV).
        #[arg(long, value_enum)]
        format: Option<register::ImportFormat>,
    },
    /// Export the register (all incidents, or those the filters select).
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: register::ExportFormat,
        #[command(flatten)]
        filter: register::FilterArgs,
        /// The file to write; standard output if not given.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
    /// Serve the web application, the JSON API (/api/v1/) and the
    /// deadlines calendar. On first start, with no users, an administrator
    /// is created and its one-time password printed.
    Serve {
        /// The address to listen on.
        #[arg(long, env = "IRMER_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Send cookies without `Secure`: only for plain HTTP on a name
        /// other than localhost (put TLS in front instead where you can).
        #[arg(long)]
        insecure_cookies: bool,
        /// Seconds a client has to send a request's headers, from opening
        /// the connection or from the previous response (idle keep-alive
        /// connections close then too).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        header_timeout: u64,
        /// Connections open at once; by default the open-file limit less
        /// 64 (at most 10,000). Over it, the connection idle longest closes.
        #[arg(long, value_parser = clap::value_parser!(u64).range(16..=100_000))]
        max_connections: Option<u64>,
        /// The address of a reverse proxy in front of irmer whose
        /// X-Forwarded-For header is believed (repeat for several). The
        /// sign-in lock-out then counts the client's address, not the
        /// proxy's. Without it, X-Forwarded-For is ignored.
        #[arg(
            long = "trusted-proxy",
            env = "IRMER_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// SMTP for reminders (tasks due soon and overdue to their owners,
        /// ARSAC licences due for renewal to the administrators) and their
        /// sender; users' addresses are set under Administration, Users.
        #[command(flatten)]
        mail: mail::MailArgs,
        /// The application's address as users reach it, for the links in
        /// reminders (e.g. https://irmer.trust.nhs.uk).
        #[arg(long, env = "IRMER_BASE_URL")]
        base_url: Option<String>,
    },
    /// The year's statistics: incidents counted by the date they were
    /// discovered, grouped by one or more fields, near misses and
    /// non-notifiable incidents apart from notifiable ones. An incident
    /// with several codes or causes counts once in each of its groups and
    /// once in the total. By default the current financial year.
    ///
    /// Exit status 2 for an unknown field, a year that is not a year or
    /// --from after --to.
    Stats {
        #[command(flatten)]
        period: stats::PeriodArgs,
        /// Group by: modality, sub-modality, category, code, outcome,
        /// exposure (a near miss is `none`), nation, cause-tier1,
        /// cause-tier2, cause-tier3, site, department, month. Repeatable.
        #[arg(long, value_name = "FIELD", value_parser = stats::parse_field)]
        by: Vec<irmer_stats::tally::Field>,
        #[arg(long, value_enum, default_value = "table")]
        format: stats::StatsFormat,
    },
    /// Monthly counts as XmR control charts ("Making data count"): the
    /// mean, the process limits and every special-cause signal (a point
    /// outside the limits, a run of 7 on one side of the mean, a trend of
    /// 6, 2 of 3 beyond two thirds of the way to a limit), for all
    /// incidents or each group. By default the last 24 months.
    Trends {
        #[command(flatten)]
        period: stats::PeriodArgs,
        /// Group by a field as `irmer stats` does (not month). Repeatable.
        #[arg(long, value_name = "FIELD", value_parser = stats::parse_field)]
        by: Vec<irmer_stats::tally::Field>,
        #[arg(long, value_enum, default_value = "table")]
        format: stats::TrendsFormat,
    },
    /// The radiation protection committee's report for a period (by
    /// default the current financial year): the totals, the counts by
    /// modality, duty holder and department with their charts, the monthly
    /// control chart, the signals, the themes confirmed and the learning
    /// from the incidents closed; every text checked for identifiers and
    /// each one found replaced by its role or kind.
    ///
    /// Exit status 2 for a period that is not one, or a PDF without
    /// --output.
    Committee {
        #[command(flatten)]
        period: stats::PeriodArgs,
        #[arg(long, value_enum, default_value = "html")]
        format: stats::CommitteeFormat,
        /// The file to write (HTML goes to standard output without one).
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// The cause taxonomy (the CQC's three-tier detailed error type, with
    /// any local codes from --taxonomy): checked, then listed.
    ///
    /// Exit status 2 when the taxonomy is broken, naming the file, the line
    /// and the reason.
    Taxonomy {
        /// Print the codes as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find what identifies a person in a text (NHS, CHI and H&C numbers,
    /// dates of birth, postcodes, telephone numbers, e-mail addresses,
    /// hospital numbers, names after a title, the names given).
    ///
    /// Prints each finding as `LINE:COLUMN KIND TEXT`. Exit status 1 when
    /// anything was found, 0 when nothing was, 2 when the text or a rule
    /// cannot be read.
    Scan {
        /// The file to read; `-` or nothing for standard input.
        file: Option<std::path::PathBuf>,
        /// A local hospital number's mask: `#` a digit, `@` a letter,
        /// anything else itself (e.g. RXH#######). Repeatable.
        #[arg(long = "hospital-number", value_name = "MASK")]
        hospital_numbers: Vec<String>,
        /// A person's name to find in any case or order. Repeatable.
        #[arg(long = "name", value_name = "NAME")]
        names: Vec<String>,
    },
    /// The investigation report: export it through the identifier gate
    /// (`--format pdf|html|text -o FILE`, `--redact`), save a version from a
    /// JSON file (`--save FILE [--final]`), or list similar incidents
    /// (`--similar DAYS`). Exit status 1 when identifiers block the export.
    Report(report::ReportArgs),
    /// What the decisions oblige, as tasks: informing the referrer, the
    /// practitioner and the patient, the duty of candour, and the reports
    /// to the MHRA, IRIC, NIAIC, ARSAC or HSE. One per line; --format json
    /// for one object a line (id, incident, kind, status, due, owner,
    /// reference).
    Tasks(tasks::TasksArgs),
    /// A step on a task: done (with the other body's reference), not
    /// needed (with the reason), or another due date. Exit status 2 for a
    /// step refused (already done, a date before the discovery), 1 for no
    /// such task.
    #[command(subcommand)]
    Task(tasks::TaskCommand),
    /// The ARSAC licence register: import it from CSV (holder, name,
    /// site, number, procedures, start, expiry), list it, or list those
    /// due for renewal (within 14 weeks).
    #[command(subcommand)]
    Licences(tasks::LicenceCommand),
    /// Users and their roles.
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Run as the enforcing authority (CQC, HIW, HIS or RQIA): receive
    /// notifications from employers' systems and acknowledge them.
    #[command(subcommand)]
    Authority(authority::AuthorityCommand),
    /// A consistent copy of the SQLite register, made while it is in use.
    Backup {
        /// The new file (must not exist).
        path: std::path::PathBuf,
    },
}

fn parse_guidance(text: &str) -> Result<GuidanceVersion, String> {
    GuidanceVersion::parse(text).ok_or_else(|| {
        let known: Vec<&str> = GuidanceVersion::ALL.iter().map(|g| g.as_str()).collect();
        format!(
            "unknown guidance version {text:?}; known: {}",
            known.join(", ")
        )
    })
}

fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn run_register(
    command: Command,
    database: &str,
    guidance: GuidanceVersion,
    settings: Settings,
    (actor, taxonomy): (&str, irmer_stats::taxonomy::Taxonomy),
) -> anyhow::Result<ExitCode> {
    let db = database::open(database).await?;
    with_register!(db, guidance, settings, taxonomy, |register| {
        register.load_task_days().await?;
        match command {
            Command::Incident(c) => register::incident(&register, c, actor).await,
            Command::Deadlines { within, json } => {
                register::deadlines(&register, within, json).await
            }
            Command::Import { file, format } => {
                register::import(&register, &file, format, actor).await
            }
            Command::Export {
                format,
                filter,
                output,
            } => register::export(&register, format, &filter, output.as_deref()).await,
            Command::Backup { path } => register::backup(&register, &path).await,
            Command::Stats { period, by, format } => {
                stats::stats(&register, &period, &by, format).await
            }
            Command::Trends { period, by, format } => {
                stats::trends(&register, &period, &by, format).await
            }
            Command::Committee {
                period,
                format,
                output,
            } => stats::committee(&register, &period, format, output.as_deref()).await,
            Command::Report(args) => report::run(&register, args, actor).await,
            Command::Serve {
                bind,
                insecure_cookies,
                header_timeout,
                max_connections,
                trusted_proxies,
                mail,
                base_url,
            } => {
                let mut limits = irmer_web::server::Limits::for_this_process();
                limits.header_read = std::time::Duration::from_secs(header_timeout);
                if let Some(n) = max_connections {
                    limits.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
                }
                let mut app = irmer_web::App::new(register);
                app.secure_cookies = !insecure_cookies;
                app.trusted_proxies = trusted_proxies;
                if let Some(url) = &base_url {
                    if !(url.starts_with("https://") || url.starts_with("http://"))
                        || url.contains(char::is_whitespace)
                    {
                        eprintln!(
                            "irmer: --base-url: expected https://… (the address users reach irmer at), not {url:?}"
                        );
                        return Ok(ExitCode::from(2));
                    }
                }
                let (smtp, from) = mail.setup("irmer@localhost.invalid")?;
                let sender = irmer_store::reminders::Sender { from, base_url };
                serve(app, &bind, database, limits, (smtp, sender)).await
            }
            Command::Tasks(args) => tasks::list(&register, args).await,
            Command::Task(c) => tasks::step(&register, c, actor).await,
            Command::Licences(c) => tasks::licences(&register, c, actor).await,
            Command::User(c) => accounts::user(register.store().clone(), c, actor).await,
            Command::Token(c) => accounts::token(register.store().clone(), c, actor).await,
            Command::Authority(c) => authority::run(register, c, database).await,
            Command::Assess { .. }
            | Command::Explain { .. }
            | Command::Scan { .. }
            | Command::Taxonomy { .. } => unreachable!("handled without a register"),
        }
    })
}

async fn serve<
    S: irmer_store::Store + irmer_store::accounts::AccountStore + irmer_store::sends::SendStore,
>(
    app: irmer_web::App<S>,
    bind: &str,
    database: &str,
    limits: irmer_web::server::Limits,
    (smtp, sender): (Option<irmer_mail::Smtp>, irmer_store::reminders::Sender),
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    app.load_settings().await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener.local_addr()?;
    // The first line on standard output says where (tests read it). A
    // closed standard output does not stop the server.
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "irmer: listening on http://{address}/ (register: {}; mail: {})",
        database::redact(database),
        smtp.as_ref()
            .map_or("not configured: reminders stay queued", |s| s
                .shown
                .as_str())
    );
    if let Some((name, password)) = app.accounts.first_administrator(app.register.now()).await? {
        let _ = writeln!(
            out,
            "irmer: first start: sign in as {name} with the one-time password {password} (shown only now; you then choose your own)"
        );
    }
    let _ = out.flush();
    // Notifications queued for the enforcing authority: posted, retried.
    tokio::spawn(irmer_web::send::worker(
        app.register.clone(),
        std::time::Duration::from_secs(30),
    ));
    // Reminders queued once each; sent when SMTP is configured.
    tokio::spawn(reminders(app.register.clone(), sender));
    mail::spawn_worker(app.register.store(), smtp);
    irmer_web::serve(listener, irmer_web::router(app), limits).await?;
    Ok(ExitCode::SUCCESS)
}

/// How often the reminders due are looked for (and once at the start).
const REMIND_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Queues the reminders due, every [`REMIND_EVERY`]; a failure is logged
/// and tried again next time.
async fn reminders<S: irmer_store::Store + irmer_store::accounts::AccountStore>(
    register: irmer_store::register::Register<S>,
    sender: irmer_store::reminders::Sender,
) {
    let mut tick = tokio::time::interval(REMIND_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = register.remind(&sender).await {
            eprintln!("irmer: reminders: {e}");
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = Settings {
        child_age_under: cli.child_age_under,
    };
    let result = match cli.command {
        Command::Assess { file, json } => {
            assess::run(file.as_deref(), json, cli.guidance, &settings)
        }
        Command::Explain { code } => explain::run(code.as_deref(), cli.guidance, &settings),
        Command::Scan {
            file,
            hospital_numbers,
            names,
        } => return scan::run(file.as_deref(), &hospital_numbers, &names),
        Command::Taxonomy { json } => return taxonomy::run(cli.taxonomy.as_deref(), json),
        command => {
            // Causes are checked against it: the server, or any command
            // on the register, does not start on a broken taxonomy.
            let taxonomy = match taxonomy::load(cli.taxonomy.as_deref()) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("irmer: the cause taxonomy: {e}");
                    return ExitCode::from(2);
                }
            };
            let actor = cli.actor.clone().unwrap_or_else(default_actor);
            runtime().and_then(|rt| {
                rt.block_on(run_register(
                    command,
                    &cli.database,
                    cli.guidance,
                    settings,
                    (&actor, taxonomy),
                ))
            })
        }
    };
    match result {
        Ok(code) => code,
        // Output piped into `head` or `less` and closed early is not a failure.
        Err(err)
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("irmer: {err:#}");
            ExitCode::from(1)
        }
    }
}
