//! `irmer scan FILE`: the identifier scanner on any text.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use irmer_scan::{Person, Rules, Scanner};

/// Prints each finding as `LINE:COLUMN KIND TEXT`; exits 1 when there is
/// any, 0 when there is none, 2 when the text or the rules cannot be read.
pub fn run(file: Option<&Path>, masks: &[String], names: &[String]) -> ExitCode {
    match scan(file, masks, names) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(1),
        Err(e) => {
            eprintln!("irmer: {e}");
            ExitCode::from(2)
        }
    }
}

fn scan(file: Option<&Path>, masks: &[String], names: &[String]) -> std::io::Result<usize> {
    let rules = Rules {
        hospital_numbers: masks.to_vec(),
        known_numbers: Vec::new(),
        people: names
            .iter()
            .map(|n| Person {
                role: "person".into(),
                name: n.clone(),
                date_of_birth: None,
            })
            .collect(),
    };
    let scanner = Scanner::new(&rules).map_err(|e| {
        let field = e
            .field
            .replace("hospital_numbers", "--hospital-number")
            .replace("people", "--name");
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{field}: {}", e.message),
        )
    })?;
    let mut bytes = Vec::new();
    let name = match file {
        None => {
            std::io::stdin().read_to_end(&mut bytes)?;
            "standard input".to_owned()
        }
        Some(p) if p == Path::new("-") => {
            std::io::stdin().read_to_end(&mut bytes)?;
            "standard input".to_owned()
        }
        Some(p) => {
            bytes = std::fs::read(p).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot read {}: {e}", p.display()))
            })?;
            p.display().to_string()
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // Scanned all the same: identifiers are ASCII, and a name's
            // accented letters only lose their match.
            eprintln!(
                "irmer: {name} is not UTF-8 text (first bad byte at offset {}); scanning it with the bad bytes replaced",
                e.utf8_error().valid_up_to()
            );
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    let found = scanner.scan(&text);
    let mut out = std::io::stdout().lock();
    for f in &found {
        writeln!(
            out,
            "{}:{} {} {}",
            f.line,
            f.column,
            f.kind,
            text[f.range.clone()].replace('\n', " ")
        )?;
    }
    out.flush()?;
    eprintln!(
        "irmer: {} in {name}",
        match found.len() {
            0 => "no identifier found".to_owned(),
            1 => "1 identifier found".to_owned(),
            n => format!("{n} identifiers found"),
        }
    );
    Ok(found.len())
}
