//! The `irmer` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use irmer_core::{GuidanceVersion, Settings};

mod assess;
mod explain;
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
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("irmer: {err:#}");
            ExitCode::from(1)
        }
    }
}
