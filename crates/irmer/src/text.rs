//! The assessment for a person to read: the decision first, then each
//! criterion that mattered and why, then what to do next and by when.

use std::io::{self, Write};

use irmer_core::Incident;
use irmer_core::assessment::{Assessment, CriterionResult, Duty, Outcome, Status};
use irmer_core::incident::CivilDate;
use irmer_core::lifecycle::{ClockState, DeadlineStatus, Milestones};
use irmer_store::Summary;
use irmer_store::register::summary_view;

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
    today: CivilDate,
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
        next_clock(record.deadline_status(today))
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

fn clock_text(state: &ClockState) -> String {
    match *state {
        ClockState::Open { due, days_left } => format!("due {due} ({days_left} days)"),
        ClockState::DueSoon { due, days_left: 0 } => format!("DUE TODAY {due}"),
        ClockState::DueSoon { due, days_left } => format!(
            "due soon {due} ({days_left} day{})",
            if days_left == 1 { "" } else { "s" }
        ),
        ClockState::Overdue { due, days_late } => format!(
            "OVERDUE since {due} ({days_late} day{} late)",
            if days_late == 1 { "" } else { "s" }
        ),
        ClockState::Met { on, .. } => format!("met {on}"),
        ClockState::MetLate { on, days_late, .. } => format!("met late {on} ({days_late} days)"),
    }
}

/// The pending clock, for a person.
fn next_clock(status: Option<DeadlineStatus>) -> String {
    match status {
        None => String::from("-"),
        Some(s) if s.notify.is_pending() => format!("notify: {}", clock_text(&s.notify)),
        Some(s) if s.report.is_pending() => format!("report: {}", clock_text(&s.report)),
        Some(_) => String::from("deadlines met"),
    }
}

/// The register's list: one incident a line.
pub fn write_summaries(
    out: &mut impl Write,
    items: &[Summary],
    today: CivilDate,
) -> io::Result<()> {
    writeln!(
        out,
        "{:<20} {:<14} {:<10} {:<26} {:<14} {:<14} DEADLINE",
        "REFERENCE", "STATUS", "DISCOVERED", "MODALITY", "OUTCOME", "CODES"
    )?;
    for s in items {
        let v = summary_view(s, today);
        writeln!(
            out,
            "{:<20} {:<14} {:<10} {:<26} {:<14} {:<14} {}",
            v.reference,
            v.status.as_str(),
            v.discovered,
            v.modality.as_str(),
            v.outcome.as_str(),
            if v.codes.is_empty() {
                "-".into()
            } else {
                v.codes.join(",")
            },
            next_clock(v.deadline_status)
        )?;
    }
    Ok(())
}

/// `irmer deadlines`: one incident a line, its pending clock last.
pub fn write_deadlines(
    out: &mut impl Write,
    items: &[Summary],
    today: CivilDate,
) -> io::Result<()> {
    writeln!(
        out,
        "{:<20} {:<14} {:<8} DEADLINE",
        "REFERENCE", "STATUS", "AUTHORITY"
    )?;
    for s in items {
        let v = summary_view(s, today);
        let authority = v.authority.map(str::to_uppercase).unwrap_or_default();
        writeln!(
            out,
            "{:<20} {:<14} {:<9} {}",
            v.reference,
            v.status.as_str(),
            authority,
            next_clock(v.deadline_status)
        )?;
    }
    Ok(())
}

/// The cause taxonomy as an indented list: each tier under its parent,
/// with its code, name and where it comes from.
pub fn taxonomy(out: &mut impl Write, t: &irmer_stats::taxonomy::Taxonomy) -> std::io::Result<()> {
    writeln!(
        out,
        "Cause taxonomy {} ({} codes)",
        t.version,
        t.entries.len()
    )?;
    let mut write = |e: &irmer_stats::taxonomy::Entry| {
        let indent = "  ".repeat(usize::from(e.tier.0 - 1));
        writeln!(out, "{indent}{}  {} [{}]", e.code, e.name, e.source)
    };
    for one in t.tier(1) {
        write(one)?;
        for two in t.tier(2).filter(|e| e.parent.as_deref() == Some(&one.code)) {
            write(two)?;
            for three in t.tier(3).filter(|e| e.parent.as_deref() == Some(&two.code)) {
                write(three)?;
            }
        }
    }
    Ok(())
}
