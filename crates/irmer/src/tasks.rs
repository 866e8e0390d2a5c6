//! `irmer tasks` and `irmer task done|not-needed|due`: what a decision
//! obliges, listed and tracked to done from the command line; and
//! `irmer licences import|list`, the ARSAC licence register.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use irmer_core::incident::CivilDate;
use irmer_core::tasks::TaskStep;
use irmer_store::Store;
use irmer_store::register::{Register, RegisterError};
use irmer_store::tasks::{TaskFilter, TaskRecord};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TasksFormat {
    Table,
    Json,
}

/// The arguments of `irmer tasks`.
#[derive(clap::Args)]
pub struct TasksArgs {
    /// Only this incident's.
    #[arg(long, value_name = "REF")]
    incident: Option<String>,
    /// Only open ones.
    #[arg(long)]
    open: bool,
    /// Only open ones past their due date (today, in the UK).
    #[arg(long)]
    overdue: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: TasksFormat,
}

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Mark a task done (today unless --date), with the other body's
    /// reference (a Yellow Card, IRIC, NIAIC, ARSAC or HSE reference) and a
    /// note.
    Done {
        id: i64,
        #[arg(long, value_parser = parse_date)]
        date: Option<CivilDate>,
        #[arg(long)]
        reference: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark a task not needed, with the reason.
    NotNeeded {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Give a task another due date.
    Due {
        id: i64,
        #[arg(value_parser = parse_date)]
        date: CivilDate,
    },
    /// Assign an open task to a user who may act on tasks and see the
    /// incident; without USER, back to the investigators.
    Assign { id: i64, user: Option<String> },
}

fn parse_date(text: &str) -> Result<CivilDate, String> {
    CivilDate::parse(text).ok_or_else(|| format!("{text:?}: expected a date, YYYY-MM-DD"))
}

/// One task as a line of JSON: `id`, `incident`, `kind`, `status`, `due`,
/// `owner`, `reference`, and what else it has.
fn json_of(t: &TaskRecord) -> serde_json::Value {
    serde_json::json!({
        "id": t.id,
        "incident": t.incident,
        "kind": t.row.kind.id(),
        "status": t.row.status.as_str(),
        "due": t.row.due.to_string(),
        "owner": t.row.owner_user.map_or_else(
            || t.row.owner_role.map(|r| format!("role:{}", r.as_str())).unwrap_or_default(),
            |u| format!("user:{u}"),
        ),
        "reference": t.row.reference,
        "done_on": t.row.done_on.map(|d| d.to_string()),
        "note": t.row.note,
        "reason": t.row.reason,
    })
}

pub async fn list<S: Store>(register: &Register<S>, args: TasksArgs) -> anyhow::Result<ExitCode> {
    let filter = TaskFilter {
        incident: args.incident,
        open: args.open,
        overdue_on: args.overdue.then(|| register.today()),
        scope: None,
    };
    let tasks = register.store().tasks(&filter).await?;
    let mut out = std::io::stdout().lock();
    for t in &tasks {
        match args.format {
            TasksFormat::Json => writeln!(out, "{}", json_of(t))?,
            TasksFormat::Table => writeln!(
                out,
                "{:>6}  {:<20}  {:<20}  {:<10}  due {}{}",
                t.id,
                t.incident,
                t.row.kind.id(),
                t.row.status.as_str(),
                t.row.due,
                t.row
                    .reference
                    .as_deref()
                    .map(|r| format!("  ref {r}"))
                    .unwrap_or_default()
            )?,
        }
    }
    if args.format == TasksFormat::Table && tasks.is_empty() {
        eprintln!("irmer: no task");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn step<S: Store + irmer_store::accounts::AccountStore>(
    register: &Register<S>,
    command: TaskCommand,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let (id, step) = match command {
        TaskCommand::Assign { id, user } => {
            let assigned = register.assign_task(id, user.as_deref(), actor).await;
            return answer(id, assigned);
        }
        TaskCommand::Done {
            id,
            date,
            reference,
            note,
        } => (
            id,
            TaskStep::Done {
                on: date.unwrap_or_else(|| register.today()),
                reference,
                note,
            },
        ),
        TaskCommand::NotNeeded { id, reason } => (id, TaskStep::NotNeeded { reason }),
        TaskCommand::Due { id, date } => (id, TaskStep::Due { on: date }),
    };
    answer(id, register.task_step(id, &step, actor).await)
}

/// The task after a step, or the error: exit 2 naming the field, 1 for no
/// such task.
fn answer(id: i64, result: Result<TaskRecord, RegisterError>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(t) => {
            println!("{}", json_of(&t));
            Ok(ExitCode::SUCCESS)
        }
        Err(RegisterError::Invalid(e)) => {
            eprintln!("irmer: {}: {}", e.field, e.message);
            Ok(ExitCode::from(2))
        }
        Err(RegisterError::Transition(e)) => {
            eprintln!("irmer: {}: {}", e.field, e.message);
            Ok(ExitCode::from(2))
        }
        Err(RegisterError::Store(irmer_store::StoreError::NotFound(_))) => {
            eprintln!("irmer: no task {id}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// `irmer licences …`: the ARSAC licence register.
#[derive(Subcommand)]
pub enum LicenceCommand {
    /// Replace the register with a CSV file (header
    /// holder,name,site,number,procedures,start,expiry). Every bad line is
    /// named and nothing is saved (exit status 2).
    Import { file: std::path::PathBuf },
    /// The licences, soonest expiry first; --due: only those expiring
    /// within 14 weeks or expired.
    List {
        #[arg(long)]
        due: bool,
    },
}

pub async fn licences<S: Store + irmer_store::accounts::AccountStore>(
    register: &Register<S>,
    command: LicenceCommand,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    match command {
        LicenceCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            match irmer_core::licences::read_csv(&text) {
                Err(errors) => {
                    for (line, message) in errors {
                        eprintln!("irmer: {}, line {line}: {message}", file.display());
                    }
                    Ok(ExitCode::from(2))
                }
                Ok(licences) => {
                    let store = register.store();
                    store
                        .set_setting(irmer_store::licences::SETTING, &text)
                        .await?;
                    irmer_store::accounts::AccountStore::audit(
                        store,
                        &irmer_store::accounts::AuditEntry {
                            at: register.now(),
                            actor: actor.to_owned(),
                            action: "change-licences".into(),
                            detail: format!("{} licences", licences.len()),
                        },
                    )
                    .await?;
                    eprintln!("irmer: {} licences in the register", licences.len());
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        LicenceCommand::List { due } => {
            let (_, mut licences) = register.licences().await?;
            let today = register.today();
            let shown: Vec<&irmer_core::licences::Licence> = if due {
                irmer_store::licences::due_for_renewal(&licences, today)
            } else {
                licences.sort_by_key(|l| l.expiry);
                licences.iter().collect()
            };
            let mut out = std::io::stdout().lock();
            for l in shown {
                writeln!(
                    out,
                    "{}  {:<12}  {}  {} to {}  {}",
                    l.number,
                    l.holder.as_str(),
                    l.site,
                    l.start,
                    l.expiry,
                    l.covers.join("; ")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
