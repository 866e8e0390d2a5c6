//! The deadlines as an iCalendar feed (RFC 5545) that a team can subscribe
//! to. Each pending deadline is an all-day event; it names the incident by
//! its reference and codes only (no patient data).

use irmer_core::incident::CivilDate;
use irmer_store::Summary;
use irmer_store::register::summary_view;
use time::OffsetDateTime;

fn now_date(now: OffsetDateTime) -> CivilDate {
    irmer_core::lifecycle::uk_date(now)
}

fn compact(date: CivilDate) -> String {
    date.to_string().replace('-', "")
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (continuation lines start with a space).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// One all-day event.
fn event(
    out: &mut String,
    uid: &str,
    stamp: &str,
    due: CivilDate,
    summary: &str,
    description: &str,
) {
    fold("BEGIN:VEVENT", out);
    fold(&format!("UID:{}@irmer", escape(uid)), out);
    fold(&format!("DTSTAMP:{stamp}"), out);
    fold(&format!("DTSTART;VALUE=DATE:{}", compact(due)), out);
    fold(
        &format!("DTEND;VALUE=DATE:{}", compact(due.plus_days(1))),
        out,
    );
    fold(&format!("SUMMARY:{}", escape(summary)), out);
    fold(&format!("DESCRIPTION:{}", escape(description)), out);
    fold("END:VEVENT", out);
}

/// The feed: each pending deadline, and each open task's due date (the
/// incident's reference and the task's kind only).
pub fn calendar(
    records: &[Summary],
    tasks: &[irmer_store::tasks::TaskRecord],
    now: OffsetDateTime,
) -> String {
    let stamp = now
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//irmer//IR(ME)R deadlines//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:IR(ME)R deadlines",
    ] {
        fold(line, &mut out);
    }
    for r in records {
        let view = summary_view(r, now_date(now));
        let authority = view.authority.map(str::to_uppercase).unwrap_or_default();
        let codes = if view.codes.is_empty() {
            String::new()
        } else {
            format!(" ({})", view.codes.join(" "))
        };
        let (kind, what, due) = match (r.index.notified_on, r.index.notify_by, r.index.report_by) {
            (None, Some(due), _) => ("notify", format!("Notify {authority}"), due),
            (Some(_), _, Some(due)) if r.index.report_sent_on.is_none() => (
                "report",
                format!("Send the investigation report to {authority}"),
                due,
            ),
            _ => continue,
        };
        event(
            &mut out,
            &format!("{}-{kind}", r.reference),
            &stamp,
            due,
            &format!("{what}: {}{codes}", r.reference),
            &format!(
                "IR(ME)R incident {} is due on {due} (no later than).",
                r.reference
            ),
        );
    }
    for t in tasks {
        event(
            &mut out,
            &format!("{}-task-{}", t.incident, t.row.kind.id()),
            &stamp,
            t.row.due,
            &format!("{}: {}", t.row.kind.label(), t.incident),
            &format!(
                "A task of IR(ME)R incident {}, due on {}.",
                t.incident, t.row.due
            ),
        );
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_folded_at_75_octets() {
        let mut out = String::new();
        fold(&"x".repeat(160), &mut out);
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() <= 75));
        assert!(lines[1].starts_with(' '));
        assert_eq!(escape("a,b;c\\d"), "a\\,b\\;c\\\\d");
    }
}
