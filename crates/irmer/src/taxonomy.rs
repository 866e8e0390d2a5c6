//! `irmer taxonomy`: the cause taxonomy, shipped and local, checked and
//! listed; and its loading, which `irmer serve` does before it starts.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use irmer_stats::taxonomy::{Taxonomy, TaxonomyError};

/// The shipped taxonomy with the local file's codes, or why not (the
/// file, the line and the reason).
pub fn load(local: Option<&Path>) -> Result<Taxonomy, TaxonomyError> {
    let shipped = Taxonomy::shipped()?;
    let Some(path) = local else {
        return Ok(shipped);
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TaxonomyError {
        file: name.clone(),
        line: 0,
        reason: format!("cannot be read: {e}"),
    })?;
    Taxonomy::parse(&name, &text, Some(&shipped))
}

pub fn run(local: Option<&Path>, json: bool) -> ExitCode {
    let taxonomy = match load(local) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("irmer: the cause taxonomy: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let written = if json {
        let text = serde_json::to_string(&taxonomy).unwrap_or_default();
        writeln!(out, "{text}")
    } else {
        crate::text::taxonomy(&mut out, &taxonomy)
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("irmer: {e}");
            ExitCode::FAILURE
        }
    }
}
