//! The assessment for a person to read: the decision first, then each
//! criterion that mattered and why, then what to do next and by when.

use std::io::{self, Write};

use irmer_core::Incident;
use irmer_core::assessment::{Assessment, CriterionResult, Duty, Outcome, Status};
use irmer_core::lifecycle::Milestones;

const WIDTH: usize = 78;

pub fn write_assessment(
    out: &mut impl Write,
    incident: &Incident,
    a: &Assessment,
    line: Option<u64>,
) -> io::Result<()> {
    write_assessment_with(out, incident, a, line, &Milestones::default())
}

/// The same, for an incident in the register: steps already taken are
/// shown as done.
pub fn write_assessment_with(
    out: &mut impl Write,
    incident: &Incident,
    a: &Assessment,
    line: Option<u64>,
    done: &Milestones,
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
        match (done.notified_on, &done.authority_reference) {
            (Some(on), reference) => write_item(
                out,
                "-",
                &format!(
                    "done: notified {} on {on} (reference {})",
                    authority_text(authority),
                    reference.as_deref().unwrap_or("-")
                ),
            )?,
            (None, _) => {
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
            }
        }
        match (done.report_sent_on, a.deadlines) {
            (Some(on), _) => write_item(
                out,
                "-",
                &format!("done: investigation report sent on {on}"),
            )?,
            (None, Some(d)) => write_item(
                out,
                "-",
                &format!(
                    "send the anonymised investigation report by {}",
                    d.report_by
                ),
            )?,
            (None, None) => {}
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

/// `irmer incident show`: the record, its assessment and its history.
pub fn write_record(
    out: &mut impl Write,
    record: &irmer_store::register::IncidentRecord,
    history: &[irmer_store::register::HistoryEntry],
    today: irmer_core::incident::CivilDate,
) -> io::Result<()> {
    writeln!(
        out,
        "{}  version {}  status {}",
        record.reference, record.version, record.status
    )?;
    let m = &record.milestones;
    if let Some(on) = m.notified_on {
        writeln!(
            out,
            "  notified      {on}  authority reference {}",
            m.authority_reference.as_deref().unwrap_or("-")
        )?;
    }
    if let Some(on) = m.report_sent_on {
        writeln!(out, "  report sent   {on}")?;
    }
    if let Some(on) = m.closed_on {
        writeln!(
            out,
            "  closed        {on}: {}",
            m.findings.as_deref().unwrap_or("")
        )?;
    }
    writeln!(
        out,
        "  deadline      {}",
        crate::register::next_clock(record.deadline_status(today))
    )?;
    if let Some(description) = &record.incident.description {
        write_item(out, " ", &format!("account: {description}"))?;
    }
    writeln!(out)?;
    write_assessment_with(
        out,
        &record.incident,
        &record.assessment,
        None,
        &record.milestones,
    )?;
    writeln!(out, "\nHistory")?;
    for e in history {
        let at =
            e.at.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .unwrap_or_default();
        writeln!(
            out,
            "  v{} {} {} by {}",
            e.version,
            at,
            e.kind.as_str(),
            e.actor
        )?;
        if let Some(reason) = &e.reason {
            write_item(out, "   ", &format!("why: {reason}"))?;
        }
        for c in &e.changes {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or("(none)".to_owned(), |v| v.to_string())
            };
            let line = if e.kind == irmer_store::EventKind::IdentityChanged {
                format!("{} (the values are kept apart)", c.field)
            } else {
                format!("{}: {} -> {}", c.field, show(&c.old), show(&c.new))
            };
            write_item(out, "   ", &line)?;
        }
    }
    Ok(())
}
