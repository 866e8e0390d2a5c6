//! `irmer assess`: stream incidents in, assessments out.
//!
//! Memory stays flat in the size of the input: one line is held at a time
//! (at most [`MAX_LINE`] bytes), and output is written as it is produced.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use irmer_core::parse::InputError;
use irmer_core::{GuidanceVersion, Incident, Settings, assess, parse_incident_slice};

use crate::text;

/// The longest line (one incident) accepted: 1 MiB.
pub const MAX_LINE: usize = 1 << 20;

pub fn run(
    file: Option<&Path>,
    json: bool,
    guidance: GuidanceVersion,
    settings: &Settings,
) -> anyhow::Result<ExitCode> {
    let input: Box<dyn Read> = match file {
        None if io::stdin().is_terminal() => {
            eprintln!(
                "irmer: reading incidents (JSON) from the terminal; end with Ctrl-D, or give a FILE"
            );
            Box::new(io::stdin().lock())
        }
        None => Box::new(io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(io::stdin().lock()),
        Some(p) => Box::new(File::open(p).with_context(|| format!("cannot read {}", p.display()))?),
    };
    let reader = BufReader::with_capacity(256 * 1024, input);
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(BLOCK, stdout);
    let mut sink = Sink {
        json,
        guidance,
        settings,
        assessed: 0,
        pending: Vec::with_capacity(BLOCK + 8192),
    };
    let bad = match stream(reader, &mut out, &mut sink).and_then(|bad| {
        out.write_all(&sink.pending)?;
        Ok(bad)
    }) {
        Ok(bad) => bad,
        // A closed pipe (`irmer assess big.jsonl | head`) is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("while assessing"),
    };
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e).context("writing output"),
        _ => {}
    }
    if bad == 0 && sink.assessed == 0 {
        eprintln!("irmer: no incident in the input");
    }
    if bad > 0 {
        eprintln!(
            "irmer: {bad} incident{} refused, {} assessed",
            if bad == 1 { "" } else { "s" },
            sink.assessed
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

struct Sink<'a> {
    json: bool,
    guidance: GuidanceVersion,
    settings: &'a Settings,
    assessed: u64,
    /// JSON lines not yet handed to the writer.
    pending: Vec<u8>,
}

/// The output block size, and the writer's buffer size.
const BLOCK: usize = 256 * 1024;

impl Sink<'_> {
    fn accept(
        &mut self,
        out: &mut impl Write,
        incident: &Incident,
        line: Option<u64>,
    ) -> io::Result<()> {
        let assessment = assess(incident, self.guidance, self.settings);
        if self.json {
            // JSON lines are gathered here and handed over in blocks at
            // least as large as the writer's buffer, which it passes
            // straight through without copying.
            assessment.write_json(&mut self.pending);
            self.pending.push(b'\n');
            if self.pending.len() >= BLOCK {
                out.write_all(&self.pending)?;
                self.pending.clear();
            }
        } else {
            if self.assessed > 0 {
                out.write_all(b"\n")?;
            }
            text::write_assessment(out, incident, &assessment, line)?;
        }
        self.assessed += 1;
        Ok(())
    }
}

fn report(line: Option<u64>, error: &InputError) {
    let mut at = match line {
        Some(n) => format!("line {n}"),
        None => String::from("input"),
    };
    if let Some(position) = error.position {
        // In JSON Lines mode the document is the line; in document mode the
        // position's line is the file's line.
        if line.is_none() {
            at = format!("line {}", position.line);
        }
        at.push_str(&format!(", column {}", position.column));
    }
    eprintln!("{at}: {error}");
}

/// Reads JSON Lines, or one JSON document spread over several lines.
/// Returns the number of refused incidents.
fn stream(mut reader: impl BufRead, out: &mut impl Write, sink: &mut Sink) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(4096);
    let mut line_no: u64 = 0;
    let mut bad: u64 = 0;
    let mut first = true;
    loop {
        buf.clear();
        let read = read_line(&mut reader, &mut buf)?;
        let Some(complete) = read else { break };
        line_no += 1;
        if !complete {
            report(
                Some(line_no),
                &InputError {
                    field: String::new(),
                    message: format!(
                        "longer than {} bytes; one incident a line is expected",
                        MAX_LINE
                    ),
                    position: None,
                },
            );
            bad += 1;
            continue;
        }
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if first {
            first = false;
            // An incomplete first line is the start of one document written
            // over several lines.
            if starts_multi_line_document(trimmed) {
                let mut document = std::mem::take(&mut buf);
                reader
                    .take(64 * MAX_LINE as u64)
                    .read_to_end(&mut document)?;
                let offset = line_no - 1;
                return match parse_incident_slice(&document) {
                    Ok(incident) => sink.accept(out, &incident, None).map(|()| 0),
                    Err(mut error) => {
                        if let Some(position) = error.position.as_mut() {
                            position.line += offset as usize;
                        }
                        report(None, &error);
                        Ok(1)
                    }
                };
            }
        }
        match parse_incident_slice(trimmed) {
            Ok(incident) => sink.accept(out, &incident, Some(line_no))?,
            Err(error) => {
                report(Some(line_no), &error);
                bad += 1;
            }
        }
    }
    Ok(bad)
}

/// `true` when `line` is an unfinished JSON object (the rest follows on the
/// next lines).
fn starts_multi_line_document(line: &[u8]) -> bool {
    line.first() == Some(&b'{')
        && serde_json::from_slice::<serde_json::Value>(line).is_err_and(|e| e.is_eof())
}

/// Reads one line into `buf` (without its end). `None` at the end of input;
/// `Some(false)` when the line was longer than [`MAX_LINE`] (it is skipped).
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(Some(true));
    }
    if buf.len() <= MAX_LINE {
        return Ok(Some(true)); // the last line, without an end
    }
    // Too long: skip to the end of the line without holding it.
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                break;
            }
            None => {
                let len = available.len();
                reader.consume(len);
            }
        }
    }
    Ok(Some(false))
}
