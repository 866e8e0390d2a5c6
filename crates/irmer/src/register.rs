//! The register's commands: `incident add|list|show|update|step`,
//! `deadlines`, `import`, `export`, `backup`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use irmer_core::Outcome;
use irmer_core::incident::{CivilDate, Modality};
use irmer_core::lifecycle::{IncidentStatus, Transition};
use irmer_core::parse::InputError;
use irmer_store::accounts::AccountStore;
use irmer_store::export::CsvExport;
use irmer_store::register::{Register, RegisterError, summary_view};
use irmer_store::sends::SendStore;
use irmer_store::{Filter, Sort, Store, StoreError};

use crate::text;

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Record an incident (one JSON incident in the contract's format).
    Add {
        /// The file; `-` or nothing for standard input.
        file: Option<PathBuf>,
    },
    /// List incidents, most recently discovered first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many at most.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// How many to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// One record as JSON per line.
        #[arg(long)]
        json: bool,
    },
    /// Show an incident: its facts, its current assessment and its whole
    /// history.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Change facts with a JSON merge patch (`null` removes a field).
    Update {
        reference: String,
        /// The patch file; `-` for standard input.
        #[arg(long)]
        patch: PathBuf,
        /// Why (kept in the history).
        #[arg(long)]
        reason: String,
        /// The version you read; a stale version is refused. Without it, the
        /// current version is used.
        #[arg(long)]
        version: Option<i64>,
    },
    /// Send a notifiable incident to its enforcing authority's irmer (once;
    /// `irmer authority connect` first): every text checked for
    /// identifiers, posted with a fixed Idempotency-Key, the authority's
    /// reference recorded with the record-notification step. Exit status 1
    /// when it is refused or not yet delivered (it stays queued and `irmer
    /// serve` retries it).
    Send {
        reference: String,
        /// Send the final investigation report (after the notification)
        /// instead: as text, through the identifier gate; its step
        /// (record-report-sent) recorded.
        #[arg(long, conflicts_with = "licence_breach")]
        report: bool,
        /// Send the incident's licensing breach to the authority's
        /// licensing breach form instead, saying what was wrong:
        /// no-licence, expired, not-covered or other.
        #[arg(long, value_name = "KIND")]
        licence_breach: Option<String>,
        /// With --licence-breach: the site (the installation the
        /// employer's licence is for), if the incident's department names
        /// none or another.
        #[arg(long, requires = "licence_breach")]
        site: Option<String>,
    },
    /// Take a step in the incident's life.
    Step {
        reference: String,
        action: Action,
        /// The date of the step (YYYY-MM-DD); today if not given.
        #[arg(long, value_parser = parse_date)]
        date: Option<CivilDate>,
        /// The enforcing authority's reference number (record-notification).
        #[arg(long)]
        authority_reference: Option<String>,
        /// What the investigation found (close, close-locally).
        #[arg(long)]
        findings: Option<String>,
        /// Why (kept in the history; required to reopen).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        version: Option<i64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Action {
    StartInvestigation,
    RecordNotification,
    RecordReportSent,
    Close,
    CloseLocally,
    /// Open a closed incident again (needs --reason).
    Reopen,
}

#[derive(Args, Default)]
pub struct FilterArgs {
    /// Only this status (repeatable).
    #[arg(long, value_parser = parse_status)]
    status: Vec<IncidentStatus>,
    /// Only this modality (repeatable).
    #[arg(long, value_parser = parse_modality)]
    modality: Vec<Modality>,
    /// Only this outcome (repeatable).
    #[arg(long, value_parser = parse_outcome)]
    outcome: Vec<Outcome>,
    /// Only incidents with this notification code (e.g. 2.2, M2.1).
    #[arg(long, value_parser = parse_code)]
    code: Option<String>,
    /// Only incidents coded with this cause, a tier-3 code of the taxonomy
    /// (e.g. operator.pre-exposure-checks.wrong-protocol).
    #[arg(long, value_parser = parse_cause)]
    cause: Option<String>,
    /// Text in the reference or the description (any case).
    #[arg(long)]
    search: Option<String>,
    /// Only this department's incidents, by number (repeatable).
    #[arg(long)]
    department: Vec<i64>,
    /// Only the incidents of this site's departments, by number.
    #[arg(long)]
    site: Option<i64>,
    /// Only incidents with a deadline missed and not yet met.
    #[arg(long)]
    overdue: bool,
    /// Only incidents with a deadline to meet within N days.
    #[arg(long)]
    due_within: Option<u32>,
    /// Discovered on or after this date.
    #[arg(long, value_parser = parse_date)]
    discovered_from: Option<CivilDate>,
    /// Discovered on or before this date.
    #[arg(long, value_parser = parse_date)]
    discovered_to: Option<CivilDate>,
}

impl FilterArgs {
    pub fn filter(&self, today: CivilDate) -> Filter {
        Filter {
            status: self.status.clone(),
            modality: self.modality.clone(),
            outcome: self.outcome.clone(),
            code: self.code.clone(),
            cause: self.cause.clone(),
            discovered_from: self.discovered_from,
            discovered_to: self.discovered_to,
            due_before: self.overdue.then_some(today),
            due_by: self
                .due_within
                .map(|n| today.plus_days(u16::try_from(n).unwrap_or(u16::MAX))),
            scope: None,
            search: self.search.clone(),
            departments: self.department.clone(),
            site: self.site,
        }
    }
}

fn parse_cause(text: &str) -> Result<String, String> {
    let whole =
        text.split('.').count() == 3 && text.split('.').all(irmer_core::incident::is_code_part);
    if whole {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "expected a tier-3 cause code such as operator.pre-exposure-checks.wrong-protocol, found {text:?}"
        ))
    }
}

fn parse_code(text: &str) -> Result<String, String> {
    irmer_core::NotificationCode::parse(text)
        .map(|_| text.to_owned())
        .ok_or_else(|| {
            format!("expected a notification code such as 2.2, 4.2a or M2.1, found {text:?}")
        })
}

pub fn parse_date(text: &str) -> Result<CivilDate, String> {
    CivilDate::parse(text).ok_or_else(|| format!("expected a date as YYYY-MM-DD, found {text:?}"))
}

fn parse_status(text: &str) -> Result<IncidentStatus, String> {
    IncidentStatus::parse(text).ok_or_else(|| {
        let all: Vec<&str> = IncidentStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("expected one of {}", all.join(", "))
    })
}

fn parse_modality(text: &str) -> Result<Modality, String> {
    Modality::ALL
        .iter()
        .copied()
        .find(|m| m.as_str() == text)
        .ok_or_else(|| {
            let all: Vec<&str> = Modality::ALL.iter().map(|m| m.as_str()).collect();
            format!("expected one of {}", all.join(", "))
        })
}

fn parse_outcome(text: &str) -> Result<Outcome, String> {
    Outcome::ALL
        .into_iter()
        .find(|o| o.as_str() == text)
        .ok_or_else(|| {
            let all: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
            format!("expected one of {}", all.join(", "))
        })
}

/// A register error for a person: invalid input exits 2, the rest 1.
pub fn report_error(err: &RegisterError) -> ExitCode {
    match err {
        RegisterError::Invalid(e) => eprintln!("irmer: {}", located(e)),
        other => eprintln!("irmer: {other}"),
    }
    match err {
        RegisterError::Invalid(_) | RegisterError::Transition(_) => ExitCode::from(2),
        RegisterError::Store(StoreError::NotFound(_)) => ExitCode::from(3),
        _ => ExitCode::from(1),
    }
}

fn read_input(file: Option<&Path>) -> anyhow::Result<String> {
    let mut text = String::new();
    match file {
        None => io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?,
        Some(p) if p == Path::new("-") => io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?,
        Some(p) => File::open(p)
            .and_then(|mut f| f.read_to_string(&mut text))
            .with_context(|| format!("cannot read {}", p.display()))?,
    };
    Ok(text)
}

/// The version a change is made against: the one given (a stale one is
/// then refused), or the current one.
async fn version_to_change<S: Store>(
    register: &Register<S>,
    reference: &str,
    given: Option<i64>,
) -> Result<i64, RegisterError> {
    match given {
        Some(v) => Ok(v),
        None => Ok(register.get(reference).await?.version),
    }
}

fn located(error: &InputError) -> String {
    match error.position {
        Some(p) => format!("line {}, column {}: {error}", p.line, p.column),
        None => error.to_string(),
    }
}

pub async fn incident<S: Store + AccountStore + SendStore>(
    register: &Register<S>,
    command: IncidentCommand,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let today = register.today();
    let mut out = io::stdout().lock();
    match command {
        IncidentCommand::Send {
            reference,
            report,
            licence_breach,
            site,
        } => {
            use crate::authority::Sent;
            let what = match (report, licence_breach) {
                (_, Some(kind)) => Sent::LicenceBreach(kind, site),
                (true, None) => Sent::Report,
                (false, None) => Sent::Notification,
            };
            crate::authority::send(register, &reference, what, actor).await
        }
        IncidentCommand::Add { file } => {
            let text = read_input(file.as_deref())?;
            match register.report_text(&text, actor).await {
                Ok(record) => {
                    writeln!(
                        out,
                        "recorded {} (version {})",
                        record.reference, record.version
                    )?;
                    text::write_assessment(&mut out, &record.incident, &record.assessment, None)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(report_error(&e)),
            }
        }
        IncidentCommand::List {
            filter,
            limit,
            offset,
            json,
        } => {
            let filter = filter.filter(today);
            let page = register
                .summaries(&filter, Sort::DiscoveredNewest, limit, offset)
                .await;
            let total = register.count(&filter).await;
            let (items, total) = match (page, total) {
                (Ok(page), Ok(total)) => (page.items, total),
                (Err(e), _) | (_, Err(e)) => return Ok(report_error(&e)),
            };
            if json {
                for summary in &items {
                    serde_json::to_writer(&mut out, &summary_view(summary, today))?;
                    writeln!(out)?;
                }
            } else {
                text::write_summaries(&mut out, &items, today)?;
                let shown = items.len() as u64;
                writeln!(
                    out,
                    "{} of {total} incident{}{}",
                    shown,
                    if total == 1 { "" } else { "s" },
                    if offset + shown < total {
                        format!(" (next: --offset {})", offset + shown)
                    } else {
                        String::new()
                    }
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Show { reference, json } => {
            let (record, history) =
                match tokio::try_join!(register.get(&reference), register.history(&reference)) {
                    Ok(both) => both,
                    Err(e) => return Ok(report_error(&e)),
                };
            if json {
                let mut view = serde_json::to_value(record.view(today))?;
                view["history"] = serde_json::to_value(&history)?;
                serde_json::to_writer_pretty(&mut out, &view)?;
                writeln!(out)?;
            } else {
                text::write_record(&mut out, &record, &history, today)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Update {
            reference,
            patch,
            reason,
            version,
        } => {
            let text = read_input(Some(&patch))?;
            let patch = match irmer_core::parse::json_value(text.as_bytes()) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("irmer: {}", located(&e));
                    return Ok(ExitCode::from(2));
                }
            };
            let version = match version_to_change(register, &reference, version).await {
                Ok(v) => v,
                Err(e) => return Ok(report_error(&e)),
            };
            match register
                .amend(&reference, version, &patch, &reason, actor)
                .await
            {
                Ok(record) if record.version == version => {
                    writeln!(
                        out,
                        "{reference}: the patch changes nothing; nothing written"
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Ok(record) => {
                    writeln!(
                        out,
                        "updated {} to version {}",
                        record.reference, record.version
                    )?;
                    text::write_assessment_with(
                        &mut out,
                        &record.incident,
                        &record.assessment,
                        None,
                        &record.milestones,
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(report_error(&e)),
            }
        }
        IncidentCommand::Step {
            reference,
            action,
            date,
            authority_reference,
            findings,
            reason,
            version,
        } => {
            let date = date.unwrap_or(today);
            let missing = |flag: &str| {
                eprintln!("irmer: {flag} is required for this step");
                ExitCode::from(2)
            };
            let step = match action {
                Action::StartInvestigation => Transition::StartInvestigation,
                Action::RecordNotification => match authority_reference {
                    Some(authority_reference) => Transition::RecordNotification {
                        date,
                        authority_reference,
                    },
                    None => return Ok(missing("--authority-reference")),
                },
                Action::RecordReportSent => Transition::RecordReportSent { date },
                Action::Close => match findings {
                    Some(findings) => Transition::Close { date, findings },
                    None => return Ok(missing("--findings")),
                },
                Action::CloseLocally => match findings {
                    Some(findings) => Transition::CloseLocally { date, findings },
                    None => return Ok(missing("--findings")),
                },
                Action::Reopen if reason.is_none() => return Ok(missing("--reason")),
                Action::Reopen => Transition::Reopen,
            };
            let version = match version_to_change(register, &reference, version).await {
                Ok(v) => v,
                Err(e) => return Ok(report_error(&e)),
            };
            match register
                .transition(&reference, version, &step, reason.as_deref(), actor)
                .await
            {
                Ok(record) => {
                    writeln!(
                        out,
                        "{}: {} (version {})",
                        record.reference, record.status, record.version
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(report_error(&e)),
            }
        }
    }
}

pub async fn deadlines<S: Store>(
    register: &Register<S>,
    within: Option<u32>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let today = register.today();
    let due_by = within.map(|n| today.plus_days(u16::try_from(n).unwrap_or(u16::MAX)));
    let items = match register.deadlines(due_by, None).await {
        Ok(items) => items,
        Err(e) => return Ok(report_error(&e)),
    };
    let mut out = io::stdout().lock();
    if json {
        for summary in &items {
            serde_json::to_writer(&mut out, &summary_view(summary, today))?;
            writeln!(out)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if items.is_empty() {
        writeln!(
            out,
            "nothing due{}",
            within
                .map(|n| format!(" within {n} days"))
                .unwrap_or_default()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    text::write_deadlines(&mut out, &items, today)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// One JSON incident a line.
    Jsonl,
    /// A header of the contract's field paths, one incident a row.
    Csv,
}

pub async fn import<S: Store>(
    register: &Register<S>,
    file: &Path,
    format: Option<ImportFormat>,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            File::open(file).with_context(|| format!("cannot read {}", file.display()))?,
        ))
    };
    let csv = format.unwrap_or_else(|| {
        let is_csv = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv {
            ImportFormat::Csv
        } else {
            ImportFormat::Jsonl
        }
    }) == ImportFormat::Csv;
    let mut read_error = None;
    let mut unreadable = Vec::new();
    let result = if csv {
        let rows = match crate::csv_import::rows(reader) {
            Ok(rows) => rows,
            Err(message) => {
                eprintln!("irmer: {message}; nothing imported");
                return Ok(ExitCode::from(2));
            }
        };
        let mut good = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            match row {
                Ok(json) => good.push((line, json)),
                Err(message) => unreadable.push((line, message)),
            }
        }
        register.import(good, actor).await
    } else {
        let lines = reader
            .lines()
            .enumerate()
            .map_while(|(n, line)| match line {
                Ok(line) => Some((n as u64 + 1, line)),
                Err(e) => {
                    read_error = Some(e);
                    None
                }
            })
            .filter(|(_, line)| !line.trim().is_empty());
        register.import(lines, actor).await
    };
    let mut report = match result {
        Ok(r) => r,
        Err(e) => return Ok(report_error(&e)),
    };
    if let Some(e) = read_error {
        return Err(e).context("reading the import file (the lines before were imported)");
    }
    report.refused.extend(unreadable);
    report.refused.sort_by_key(|(line, _)| *line);
    for (line, message) in &report.refused {
        eprintln!("line {line}: {message}");
    }
    println!(
        "imported {} new, {} already in the register unchanged, {} refused",
        report.created,
        report.unchanged,
        report.refused.len()
    );
    Ok(if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// The incidents' facts, one JSON incident a line (importable).
    Jsonl,
    /// One row per incident with its status, outcome, codes and deadlines.
    Csv,
}

pub async fn export<S: Store + AccountStore>(
    register: &Register<S>,
    format: ExportFormat,
    filter: &FilterArgs,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let today = register.today();
    let filter = filter.filter(today);
    // The CSV is made whole and through the identifier gate before a byte
    // is written: a blocked export writes nothing.
    let csv = match format {
        ExportFormat::Jsonl => None,
        ExportFormat::Csv => match register.csv_export(&filter, Sort::Reference).await {
            Ok(CsvExport::Cleared { csv, rows }) => Some((csv, rows)),
            Ok(CsvExport::Blocked(found)) => {
                for f in &found {
                    eprintln!(
                        "row {} ({}): {}, \u{201c}{}\u{201d}",
                        f.row, f.reference, f.kind, f.text
                    );
                }
                eprintln!(
                    "irmer: the export was not made: {} identifier{} found (remove them from those incidents, or narrow the filters)",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                );
                return Ok(ExitCode::from(1));
            }
            Err(e) => return Ok(report_error(&e)),
        },
    };
    let sink: Box<dyn Write> = match output {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot write {}", p.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut out = io::BufWriter::new(sink);
    let count = if let Some((csv, rows)) = csv {
        out.write_all(csv.as_bytes())?;
        rows
    } else {
        // JSON Lines: the register's own backup, exactly as typed (the
        // free text included), importable again.
        let mut offset = 0u64;
        loop {
            let (items, more) = match register
                .list(&filter, Sort::Reference, irmer_store::MAX_PAGE, offset)
                .await
            {
                Ok(page) => page,
                Err(e) => return Ok(report_error(&e)),
            };
            for record in &items {
                serde_json::to_writer(&mut out, &record.incident)?;
                out.write_all(b"\n")?;
            }
            offset += items.len() as u64;
            if !more {
                break;
            }
        }
        offset
    };
    out.flush()?;
    if output.is_some() {
        eprintln!(
            "exported {count} incident{}",
            if count == 1 { "" } else { "s" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn backup<S: Store>(register: &Register<S>, path: &Path) -> anyhow::Result<ExitCode> {
    match register.store().backup(path).await {
        Ok(()) => {
            println!("backed up to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report_error(&RegisterError::Store(e))),
    }
}
