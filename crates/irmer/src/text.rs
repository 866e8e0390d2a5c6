//! The assessment for a person to read: the decision first, then each
//! criterion that mattered and why, then what to do next and by when.

use std::io::{self, Write};

use irmer_core::Incident;
use irmer_core::assessment::{Assessment, CriterionResult, Duty, Outcome, Status};

const WIDTH: usize = 78;

pub fn write_assessment(
    out: &mut impl Write,
    incident: &Incident,
    a: &Assessment,
    line: Option<u64>,
) -> io::Result<()> {
    let mut heading = String::from("Incident");
    if let Some(reference) = &incident.reference {
        heading.push(' ');
        heading.push_str(reference.as_str());
    }
    if let Some(line) = line {
        heading.push_str(&format!(" (line {line})"));
    }
    heading.push_str(&format!(
        ": {} {} exposure, {}, discovered {}",
        incident.modality,
        incident.exposure,
        incident.nation_name(),
        incident.discovered
    ));
    writeln!(out, "{heading}")?;

    let codes: Vec<String> = a.codes.iter().map(ToString::to_string).collect();
    let codes = if codes.is_empty() {
        String::new()
    } else {
        format!(": codes {}", codes.join(", "))
    };
    match a.outcome {
        Outcome::Notifiable => {
            let authority = a
                .authority
                .map_or("the enforcing authority".to_owned(), authority_text);
            writeln!(out, "NOTIFIABLE to {authority}{codes}")?;
            if a.codes.is_empty() {
                writeln!(
                    out,
                    "  (the category code is not yet known: see the missing facts below)"
                )?;
            }
        }
        Outcome::Voluntary => {
            let authority = a
                .authority
                .map_or("the enforcing authority".to_owned(), authority_text);
            writeln!(
                out,
                "VOLUNTARY notification to {authority}{codes} (not statutory, no statutory deadline)"
            )?;
        }
        Outcome::NotNotifiable => {
            writeln!(out, "NOT NOTIFIABLE: investigate and record it locally")?
        }
        Outcome::Undetermined => writeln!(
            out,
            "UNDETERMINED: it may be notifiable; give {} to decide",
            a.missing.join(", ")
        )?,
        Outcome::OutOfScope => writeln!(out, "OUT OF SCOPE of IR(ME)R: not a medical exposure")?,
    }
    if let Some(d) = a.deadlines {
        writeln!(
            out,
            "  notify by     {}  (as soon as possible; no later than 14 days after discovery)",
            d.notify_by
        )?;
        writeln!(
            out,
            "  report by     {}  (the investigation report, 12 weeks after discovery)",
            d.report_by
        )?;
    }

    let decisive: Vec<_> = a
        .criteria
        .iter()
        .filter(|c| matches!(c.status, Status::Met | Status::Undetermined))
        .collect();
    let not_met: Vec<_> = a
        .criteria
        .iter()
        .filter(|c| c.status == Status::NotMet)
        .collect();
    let not_applicable = a
        .criteria
        .iter()
        .filter(|c| c.status == Status::NotApplicable)
        .count();
    write_criteria(out, "Why", &decisive)?;
    write_criteria(out, "Also considered", &not_met)?;
    if not_applicable > 0 {
        let noun = if not_applicable == 1 {
            "criterion"
        } else {
            "criteria"
        };
        writeln!(
            out,
            "  ({not_applicable} {noun} not applicable to this exposure; --json lists each with the reason)"
        )?;
    }

    writeln!(out, "\nWhat to do")?;
    if let (Outcome::Notifiable, Some(authority)) = (a.outcome, a.authority) {
        let by = a
            .deadlines
            .map(|d| format!(" by {}", d.notify_by))
            .unwrap_or_default();
        write_item(
            out,
            "-",
            &format!(
                "notify {}{by}, as soon as possible",
                authority_text(authority)
            ),
        )?;
        if let Some(d) = a.deadlines {
            write_item(
                out,
                "-",
                &format!(
                    "send the anonymised investigation report by {}",
                    d.report_by
                ),
            )?;
        }
    }
    if let (Outcome::Voluntary, Some(authority)) = (a.outcome, a.authority) {
        write_item(
            out,
            "-",
            &format!(
                "notify {} voluntarily, to share learning",
                authority_text(authority)
            ),
        )?;
    }
    for report in &a.other_reports {
        write_item(
            out,
            "-",
            &format!(
                "tell the {} ({}): {}",
                report.to.name(),
                report.to.id().to_uppercase(),
                report.why
            ),
        )?;
    }
    for duty in &a.duties {
        write_item(out, "-", duty.describe())?;
    }
    if a.outcome == Outcome::Undetermined || !a.missing.is_empty() {
        write_item(out, "-", &format!("find out {}", a.missing.join(", ")))?;
    }
    if !a.duties.contains(&Duty::DutyOfCandour) && a.outcome == Outcome::Notifiable {
        write_item(
            out,
            "-",
            "decide under the employer's procedure whether it is clinically significant (then: duty of candour)",
        )?;
    }

    if !a.notes.is_empty() {
        writeln!(out, "\nReadings applied")?;
        for note in &a.notes {
            write_item(out, "-", note.trim_start_matches("reading: "))?;
        }
    }
    let category = a.category_code.map_or("none".to_owned(), |c| c.to_string());
    writeln!(out, "\nCategory code {category}; guidance {}", a.guidance)?;
    Ok(())
}

fn write_criteria(
    out: &mut impl Write,
    title: &str,
    criteria: &[&CriterionResult],
) -> io::Result<()> {
    if criteria.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title}")?;
    for c in criteria {
        let label = format!("{:<12} {:<5}", c.status.as_str(), c.code.as_str());
        write_item(out, &label, &c.reason)?;
    }
    Ok(())
}

fn authority_text(authority: irmer_core::assessment::EnforcingAuthority) -> String {
    format!(
        "the {} ({})",
        authority.name(),
        authority.id().to_uppercase()
    )
}

/// Writes `label  text`, wrapping `text` under itself.
fn write_item(out: &mut impl Write, label: &str, text: &str) -> io::Result<()> {
    let indent = 2 + label.chars().count() + 1;
    let lines = wrap(text, WIDTH.saturating_sub(indent).max(30));
    for (n, line) in lines.iter().enumerate() {
        if n == 0 {
            writeln!(out, "  {label} {line}")?;
        } else {
            writeln!(out, "{:indent$}{line}", "")?;
        }
    }
    Ok(())
}

/// Greedy word wrap.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}
