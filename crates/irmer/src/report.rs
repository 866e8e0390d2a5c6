//! `irmer report REF`: save a version of the investigation report from a
//! JSON file, list similar incidents, or export it (PDF, HTML or text) through
//! the identifier gate, recording the export in the incident's history.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Scope};
use irmer_store::register::Register;
use irmer_store::report::{Export, ReportDocument};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The incident's reference.
    reference: String,
    /// Export format.
    #[arg(long, value_enum, default_value = "pdf")]
    format: Format,
    /// Where to write the export (`-` or nothing: standard output).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Export this saved version (default: the latest; a prefilled draft
    /// when none is saved yet).
    #[arg(long)]
    version: Option<i64>,
    /// Replace each identifier found by its role or kind instead of
    /// refusing to export.
    #[arg(long)]
    redact: bool,
    /// Save a new version from this JSON file (`{"sections": {...},
    /// "similar": [...]}`) instead of exporting.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// With --save: mark the version final (refused while a section is
    /// empty).
    #[arg(long = "final", requires = "save")]
    make_final: bool,
    /// List incidents like this one in the DAYS before it, to confirm in
    /// the report's `similar`.
    #[arg(long, value_name = "DAYS", conflicts_with = "save")]
    similar: Option<u16>,
    /// A local hospital number mask (`#` a digit, `@` a letter), besides
    /// those set in the web application's administration. Repeatable.
    #[arg(long = "hospital-number", value_name = "MASK")]
    hospital_numbers: Vec<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Pdf,
    Html,
    Text,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Text => "text",
        }
    }
}

pub async fn run<S: Store + AccountStore>(
    register: &Register<S>,
    args: ReportArgs,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let reference = args.reference.as_str();
    let rec = register.get(reference).await?;
    let versions = register.reports(reference).await?;
    let latest = versions.last().map_or(0, |v| v.version);
    if let Some(file) = &args.save {
        let text = read(file)?;
        let document = ReportDocument::from_json(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a report document: {e}", file.display()))?;
        let saved = match register
            .save_report(
                reference,
                latest,
                &document,
                args.make_final,
                actor,
                Scope::Organisation,
            )
            .await
        {
            Ok(saved) => saved,
            // A refused section names its field (exit status 2).
            Err(e) => return Ok(crate::register::report_error(&e)),
        };
        let missing: Vec<&str> = saved.document.missing().iter().map(|s| s.title).collect();
        println!(
            "{reference}: saved report version {} ({}){}",
            saved.version,
            if saved.is_final { "final" } else { "draft" },
            if missing.is_empty() {
                String::new()
            } else {
                format!("; still empty: {}", missing.join("; "))
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(days) = args.similar {
        for c in register.similar_candidates(reference, days, None).await? {
            println!(
                "{}  {}  {}  codes {}  ({})",
                c.reference,
                c.discovered,
                c.modality.as_str(),
                if c.codes.is_empty() {
                    "none".into()
                } else {
                    c.codes.join(",")
                },
                c.shared.join("; ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let version = match args.version {
        Some(n) => versions
            .into_iter()
            .find(|v| v.version == n)
            .with_context(|| format!("{reference} has no report version {n} (latest: {latest})"))?,
        None => register.report_or_draft(reference, actor).await?,
    };
    let similar: Vec<_> = register
        .similar_rows(&version.document, Scope::Organisation)
        .await?
        .iter()
        .map(irmer_report::SimilarRow::of)
        .collect();
    let scanner = register
        .scanner_for(reference, &args.hospital_numbers)
        .await?;
    let (organisation, place) =
        irmer_store::accounts::report_origin(register.store(), rec.owner.department).await?;
    let origin = irmer_report::Origin {
        organisation,
        place,
    };
    let content = irmer_report::content(&rec, &version, &similar, &origin);
    let cleared = match irmer_report::gate(content, &scanner, args.redact) {
        Ok(c) => c,
        Err(found) => {
            eprintln!(
                "irmer: {reference}: the report was not written: it contains {} identifier{}:",
                found.len(),
                if found.len() == 1 { "" } else { "s" }
            );
            for f in &found {
                eprintln!(
                    "  {}, line {}, column {}: {} {:?}",
                    f.place,
                    f.line,
                    f.column,
                    f.kind.describe(),
                    f.text
                );
            }
            eprintln!(
                "Remove them from the report, or export with --redact to replace them by role."
            );
            return Ok(ExitCode::from(1));
        }
    };
    let now = register.now();
    let bytes = match args.format {
        Format::Pdf => irmer_pdf::pdf(&cleared, now).map_err(anyhow::Error::msg)?,
        Format::Html => irmer_report::html(&cleared, now).into_bytes(),
        Format::Text => irmer_report::text(&cleared, now).into_bytes(),
    };
    write(args.output.as_deref(), &bytes)?;
    register
        .record_export(
            reference,
            &Export {
                report_version: version.version,
                format: args.format.as_str(),
                redacted: cleared.redacted.len(),
                bytes: &bytes,
            },
            actor,
        )
        .await?;
    eprintln!(
        "irmer: {reference}: report version {} ({}) written as {}{}; recorded in the history",
        version.version,
        if version.is_final { "final" } else { "draft" },
        args.format.as_str(),
        if cleared.redacted.is_empty() {
            String::new()
        } else {
            format!(", {} identifiers redacted", cleared.redacted.len())
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn read(file: &Path) -> anyhow::Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Writes the whole file or nothing: a temporary file beside it, renamed.
fn write(output: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
        Some(p) if p == Path::new("-") => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
        Some(p) => {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name else {
                bail!("{}: not a file name", p.display());
            };
            let tmp = p.with_file_name(format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    Ok(())
}
