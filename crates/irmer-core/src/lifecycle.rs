//! The incident's life in the register, and the state of its two clocks.
//!
//! reported -> investigating -> notified (date, the authority's reference)
//! -> report sent (date) -> closed; or closed locally when it is not
//! notifiable. Milestone dates are recorded facts; the deadlines come from
//! the engine. Pure: "today" is always an argument.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::assessment::{Deadlines, Outcome};
use crate::incident::CivilDate;

/// Where an incident stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentStatus {
    Reported,
    Investigating,
    Notified,
    ReportSent,
    Closed,
    ClosedLocally,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 6] = [
        IncidentStatus::Reported,
        IncidentStatus::Investigating,
        IncidentStatus::Notified,
        IncidentStatus::ReportSent,
        IncidentStatus::Closed,
        IncidentStatus::ClosedLocally,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Reported => "reported",
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Notified => "notified",
            IncidentStatus::ReportSent => "report-sent",
            IncidentStatus::Closed => "closed",
            IncidentStatus::ClosedLocally => "closed-locally",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        IncidentStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub const fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Closed | IncidentStatus::ClosedLocally)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The recorded milestones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_on: Option<CivilDate>,
    /// The enforcing authority's notification reference number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_sent_on: Option<CivilDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<CivilDate>,
    /// What the investigation found, recorded on closing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<String>,
}

/// A step in the incident's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Transition {
    StartInvestigation,
    RecordNotification {
        date: CivilDate,
        authority_reference: String,
    },
    RecordReportSent {
        date: CivilDate,
    },
    Close {
        date: CivilDate,
        findings: String,
    },
    CloseLocally {
        date: CivilDate,
        findings: String,
    },
    /// A closed incident opened again (new facts, a finding in doubt): back
    /// to where it stood before closing, its closing date and findings
    /// cleared (both stay in the history). The reason is the step's own,
    /// required by the register.
    Reopen,
}

impl Transition {
    pub const fn name(&self) -> &'static str {
        match self {
            Transition::StartInvestigation => "start-investigation",
            Transition::RecordNotification { .. } => "record-notification",
            Transition::RecordReportSent { .. } => "record-report-sent",
            Transition::Close { .. } => "close",
            Transition::CloseLocally { .. } => "close-locally",
            Transition::Reopen => "reopen",
        }
    }
}

/// Why a step is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TransitionError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> TransitionError {
    TransitionError {
        field,
        message: message.into(),
    }
}

/// Applies a step: the new status and milestones, or why not.
pub fn apply(
    status: IncidentStatus,
    milestones: &Milestones,
    outcome: Outcome,
    discovered: CivilDate,
    transition: &Transition,
) -> Result<(IncidentStatus, Milestones), TransitionError> {
    use IncidentStatus::*;
    let mut next = milestones.clone();
    let not_before_discovery = |date: CivilDate, field: &'static str| {
        if date < discovered {
            Err(refuse(
                field,
                format!("expected a date on or after discovery ({discovered}), found {date}"),
            ))
        } else {
            Ok(())
        }
    };
    let findings_text = |findings: &str| {
        let findings = findings.trim();
        if findings.is_empty() {
            Err(refuse(
                "findings",
                "expected what the investigation found, found an empty text",
            ))
        } else {
            Ok(findings.to_owned())
        }
    };
    let new_status = match (status, transition) {
        (Reported, Transition::StartInvestigation) => Investigating,
        (
            Reported | Investigating,
            Transition::RecordNotification {
                date,
                authority_reference,
            },
        ) => {
            if matches!(outcome, Outcome::NotNotifiable | Outcome::OutOfScope) {
                return Err(refuse(
                    "action",
                    format!(
                        "the current assessment is {outcome}: nothing to notify (correct the facts first if they are wrong)"
                    ),
                ));
            }
            not_before_discovery(*date, "date")?;
            let reference = authority_reference.trim();
            if reference.is_empty() || reference.chars().count() > 100 {
                return Err(refuse(
                    "authority_reference",
                    "expected the authority's reference number (1 to 100 characters)",
                ));
            }
            next.notified_on = Some(*date);
            next.authority_reference = Some(reference.to_owned());
            Notified
        }
        (Notified, Transition::RecordReportSent { date }) => {
            let notified = milestones.notified_on.unwrap_or(discovered);
            if *date < notified {
                return Err(refuse(
                    "date",
                    format!(
                        "expected a date on or after the notification ({notified}), found {date}"
                    ),
                ));
            }
            next.report_sent_on = Some(*date);
            ReportSent
        }
        (ReportSent, Transition::Close { date, findings }) => {
            not_before_discovery(*date, "date")?;
            next.findings = Some(findings_text(findings)?);
            next.closed_on = Some(*date);
            Closed
        }
        (Reported | Investigating, Transition::CloseLocally { date, findings }) => {
            if matches!(outcome, Outcome::Notifiable | Outcome::Undetermined) {
                return Err(refuse(
                    "action",
                    format!(
                        "the current assessment is {outcome}: a notifiable (or possibly notifiable) incident is notified, reported and then closed, not closed locally"
                    ),
                ));
            }
            not_before_discovery(*date, "date")?;
            next.findings = Some(findings_text(findings)?);
            next.closed_on = Some(*date);
            ClosedLocally
        }
        (Closed | ClosedLocally, Transition::Reopen) => {
            next.closed_on = None;
            next.findings = None;
            if status == Closed {
                ReportSent
            } else {
                Investigating
            }
        }
        (from, step) => {
            return Err(refuse(
                "action",
                format!(
                    "{} is not possible when the incident is {from}{}",
                    step.name(),
                    allowed_from(from)
                ),
            ));
        }
    };
    Ok((new_status, next))
}

/// The steps [`apply`] can take from this status with this outcome, by
/// name (`start-investigation`, `record-notification`,
/// `record-report-sent`, `close`, `close-locally`, `reopen`), in the order of the
/// incident's life: what a page offers.
pub fn possible_steps(status: IncidentStatus, outcome: Outcome) -> Vec<&'static str> {
    use IncidentStatus::*;
    let notifiable = !matches!(outcome, Outcome::NotNotifiable | Outcome::OutOfScope);
    let local = !matches!(outcome, Outcome::Notifiable | Outcome::Undetermined);
    let mut steps = Vec::new();
    if status == Reported {
        steps.push("start-investigation");
    }
    if matches!(status, Reported | Investigating) && notifiable {
        steps.push("record-notification");
    }
    if status == Notified {
        steps.push("record-report-sent");
    }
    if status == ReportSent {
        steps.push("close");
    }
    if matches!(status, Reported | Investigating) && local {
        steps.push("close-locally");
    }
    if !status.is_open() {
        steps.push("reopen");
    }
    steps
}

fn allowed_from(status: IncidentStatus) -> &'static str {
    match status {
        IncidentStatus::Reported => {
            " (possible: start-investigation, record-notification, close-locally)"
        }
        IncidentStatus::Investigating => " (possible: record-notification, close-locally)",
        IncidentStatus::Notified => " (possible: record-report-sent)",
        IncidentStatus::ReportSent => " (possible: close)",
        IncidentStatus::Closed | IncidentStatus::ClosedLocally => " (possible: reopen)",
    }
}

/// How one clock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ClockState {
    /// Not yet due; `days_left` calendar days to go (0: due today).
    Open {
        due: CivilDate,
        days_left: i64,
    },
    /// Due within the "due soon" window.
    DueSoon {
        due: CivilDate,
        days_left: i64,
    },
    Overdue {
        due: CivilDate,
        days_late: i64,
    },
    Met {
        due: CivilDate,
        on: CivilDate,
    },
    MetLate {
        due: CivilDate,
        on: CivilDate,
        days_late: i64,
    },
}

impl ClockState {
    pub const fn label(&self) -> &'static str {
        match self {
            ClockState::Open { .. } => "open",
            ClockState::DueSoon { .. } => "due-soon",
            ClockState::Overdue { .. } => "overdue",
            ClockState::Met { .. } => "met",
            ClockState::MetLate { .. } => "met-late",
        }
    }

    pub const fn due(&self) -> CivilDate {
        match *self {
            ClockState::Open { due, .. }
            | ClockState::DueSoon { due, .. }
            | ClockState::Overdue { due, .. }
            | ClockState::Met { due, .. }
            | ClockState::MetLate { due, .. } => due,
        }
    }

    pub const fn is_pending(&self) -> bool {
        matches!(
            self,
            ClockState::Open { .. } | ClockState::DueSoon { .. } | ClockState::Overdue { .. }
        )
    }
}

/// Days before a deadline from which it shows as due soon.
pub const NOTIFY_DUE_SOON_DAYS: i64 = 3;
pub const REPORT_DUE_SOON_DAYS: i64 = 14;

/// Both clocks of a notifiable incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DeadlineStatus {
    pub notify: ClockState,
    pub report: ClockState,
}

/// The clocks' state on `today`; `None` when nothing runs against a clock
/// (not notifiable).
pub fn deadline_status(
    outcome: Outcome,
    deadlines: Option<Deadlines>,
    milestones: &Milestones,
    today: CivilDate,
) -> Option<DeadlineStatus> {
    let deadlines = deadlines.filter(|_| outcome == Outcome::Notifiable)?;
    Some(DeadlineStatus {
        notify: clock(
            deadlines.notify_by,
            milestones.notified_on,
            today,
            NOTIFY_DUE_SOON_DAYS,
        ),
        report: clock(
            deadlines.report_by,
            milestones.report_sent_on,
            today,
            REPORT_DUE_SOON_DAYS,
        ),
    })
}

fn clock(due: CivilDate, done: Option<CivilDate>, today: CivilDate, soon: i64) -> ClockState {
    match done {
        Some(on) if on <= due => ClockState::Met { due, on },
        Some(on) => ClockState::MetLate {
            due,
            on,
            days_late: due.days_until(on),
        },
        None => {
            let days_left = today.days_until(due);
            if days_left < 0 {
                ClockState::Overdue {
                    due,
                    days_late: -days_left,
                }
            } else if days_left <= soon {
                ClockState::DueSoon { due, days_left }
            } else {
                ClockState::Open { due, days_left }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a page offers is exactly what `apply` accepts, for every
    /// status and outcome.
    #[test]
    fn the_possible_steps_are_those_apply_accepts() {
        let discovered = CivilDate::parse("2026-02-01").expect("date");
        let date = CivilDate::parse("2026-02-10").expect("date");
        let notified = Milestones {
            notified_on: Some(CivilDate::parse("2026-02-05").expect("date")),
            authority_reference: Some("CQC-1".into()),
            ..Milestones::default()
        };
        let steps = [
            Transition::StartInvestigation,
            Transition::RecordNotification {
                date,
                authority_reference: "CQC-1".into(),
            },
            Transition::RecordReportSent { date },
            Transition::Close {
                date,
                findings: "found".into(),
            },
            Transition::CloseLocally {
                date,
                findings: "found".into(),
            },
            Transition::Reopen,
        ];
        for status in IncidentStatus::ALL {
            for outcome in Outcome::ALL {
                let offered = possible_steps(status, outcome);
                for step in &steps {
                    let accepted = apply(status, &notified, outcome, discovered, step).is_ok();
                    assert_eq!(
                        offered.contains(&step.name()),
                        accepted,
                        "{status:?} {outcome:?} {}",
                        step.name()
                    );
                }
            }
        }
    }

    fn d(text: &str) -> CivilDate {
        CivilDate::parse(text).expect("date")
    }

    #[test]
    fn a_notifiable_incident_runs_its_course() {
        let discovered = d("2026-01-20");
        let m = Milestones::default();
        let (s, m) = apply(
            IncidentStatus::Reported,
            &m,
            Outcome::Notifiable,
            discovered,
            &Transition::StartInvestigation,
        )
        .expect("start");
        assert_eq!(s, IncidentStatus::Investigating);
        let notify = Transition::RecordNotification {
            date: d("2026-01-25"),
            authority_reference: " CQC-123 ".into(),
        };
        let (s, m) = apply(s, &m, Outcome::Notifiable, discovered, &notify).expect("notify");
        assert_eq!(
            (s, m.authority_reference.as_deref()),
            (IncidentStatus::Notified, Some("CQC-123"))
        );
        let early = Transition::RecordReportSent {
            date: d("2026-01-24"),
        };
        assert_eq!(
            apply(s, &m, Outcome::Notifiable, discovered, &early)
                .expect_err("before notification")
                .field,
            "date"
        );
        let (s, m) = apply(
            s,
            &m,
            Outcome::Notifiable,
            discovered,
            &Transition::RecordReportSent {
                date: d("2026-03-01"),
            },
        )
        .expect("report");
        let (s, m) = apply(
            s,
            &m,
            Outcome::Notifiable,
            discovered,
            &Transition::Close {
                date: d("2026-03-05"),
                findings: "Protocol changed".into(),
            },
        )
        .expect("close");
        assert_eq!(s, IncidentStatus::Closed);
        assert_eq!(m.findings.as_deref(), Some("Protocol changed"));
        let again = apply(
            s,
            &m,
            Outcome::Notifiable,
            discovered,
            &Transition::StartInvestigation,
        )
        .expect_err("closed");
        assert!(again.message.contains("possible: reopen"), "{again}");
        // Reopened: back to where it stood before closing, the closing
        // cleared, the notification and the report kept.
        let (s, m) =
            apply(s, &m, Outcome::Notifiable, discovered, &Transition::Reopen).expect("reopen");
        assert_eq!(s, IncidentStatus::ReportSent);
        assert_eq!((m.closed_on, m.findings.as_deref()), (None, None));
        assert!(m.notified_on.is_some() && m.report_sent_on.is_some());
        let open = apply(s, &m, Outcome::Notifiable, discovered, &Transition::Reopen)
            .expect_err("an open incident is not reopened");
        assert_eq!(open.field, "action");
    }

    #[test]
    fn a_locally_closed_incident_reopens_to_investigating() {
        let discovered = d("2026-01-20");
        let m = Milestones {
            closed_on: Some(d("2026-01-25")),
            findings: Some("Operator error, retrained".into()),
            ..Milestones::default()
        };
        let (s, m) = apply(
            IncidentStatus::ClosedLocally,
            &m,
            Outcome::NotNotifiable,
            discovered,
            &Transition::Reopen,
        )
        .expect("reopen");
        assert_eq!(s, IncidentStatus::Investigating);
        assert_eq!(m, Milestones::default());
        // Now found notifiable, it can be notified.
        assert!(possible_steps(s, Outcome::Notifiable).contains(&"record-notification"));
    }

    #[test]
    fn only_a_non_notifiable_incident_is_closed_locally() {
        let discovered = d("2026-01-20");
        let close = Transition::CloseLocally {
            date: d("2026-01-21"),
            findings: "Technical repeat".into(),
        };
        let m = Milestones::default();
        assert!(
            apply(
                IncidentStatus::Reported,
                &m,
                Outcome::NotNotifiable,
                discovered,
                &close
            )
            .is_ok()
        );
        assert_eq!(
            apply(
                IncidentStatus::Reported,
                &m,
                Outcome::Notifiable,
                discovered,
                &close
            )
            .expect_err("notifiable")
            .field,
            "action"
        );
        assert_eq!(
            apply(
                IncidentStatus::Reported,
                &m,
                Outcome::Undetermined,
                discovered,
                &close
            )
            .expect_err("undetermined")
            .field,
            "action"
        );
        let notify = Transition::RecordNotification {
            date: d("2026-01-21"),
            authority_reference: "X".into(),
        };
        assert!(
            apply(
                IncidentStatus::Reported,
                &m,
                Outcome::NotNotifiable,
                discovered,
                &notify
            )
            .is_err()
        );
        let blank = Transition::CloseLocally {
            date: d("2026-01-21"),
            findings: "  ".into(),
        };
        assert_eq!(
            apply(
                IncidentStatus::Reported,
                &m,
                Outcome::NotNotifiable,
                discovered,
                &blank
            )
            .expect_err("blank")
            .field,
            "findings"
        );
        let before = Transition::CloseLocally {
            date: d("2026-01-19"),
            findings: "x".into(),
        };
        assert_eq!(
            apply(
                IncidentStatus::Reported,
                &m,
                Outcome::NotNotifiable,
                discovered,
                &before
            )
            .expect_err("early")
            .field,
            "date"
        );
    }

    #[test]
    fn clocks_show_days_left_due_soon_overdue_and_met() {
        let deadlines = Some(Deadlines::from_discovery(d("2026-01-20")));
        let none = Milestones::default();
        let at = |today: &str, m: &Milestones| {
            deadline_status(Outcome::Notifiable, deadlines, m, d(today)).expect("clocks")
        };
        assert_eq!(
            at("2026-01-20", &none).notify,
            ClockState::Open {
                due: d("2026-02-03"),
                days_left: 14
            }
        );
        assert_eq!(
            at("2026-01-31", &none).notify,
            ClockState::DueSoon {
                due: d("2026-02-03"),
                days_left: 3
            }
        );
        assert_eq!(
            at("2026-02-03", &none).notify,
            ClockState::DueSoon {
                due: d("2026-02-03"),
                days_left: 0
            }
        );
        assert_eq!(
            at("2026-02-05", &none).notify,
            ClockState::Overdue {
                due: d("2026-02-03"),
                days_late: 2
            }
        );
        let late = Milestones {
            notified_on: Some(d("2026-02-04")),
            ..Milestones::default()
        };
        assert_eq!(
            at("2026-03-01", &late).notify,
            ClockState::MetLate {
                due: d("2026-02-03"),
                on: d("2026-02-04"),
                days_late: 1
            }
        );
        let on_time = Milestones {
            notified_on: Some(d("2026-02-03")),
            ..Milestones::default()
        };
        assert_eq!(at("2026-03-01", &on_time).notify.label(), "met");
        assert_eq!(
            at("2026-03-01", &on_time).report,
            ClockState::Open {
                due: d("2026-04-14"),
                days_left: 44
            }
        );
        assert_eq!(
            deadline_status(Outcome::NotNotifiable, deadlines, &none, d("2026-01-20")),
            None
        );
    }
}

/// The instant in United Kingdom local time: British Summer Time (UTC+1)
/// runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October; GMT (UTC) the rest of the year.
pub fn uk_time(now: time::OffsetDateTime) -> time::OffsetDateTime {
    let utc = now.to_offset(time::UtcOffset::UTC);
    let year = utc.year();
    let last_sunday = |month: time::Month| {
        let mut day =
            time::Date::from_calendar_date(year, month, month.length(year)).unwrap_or(utc.date());
        while day.weekday() != time::Weekday::Sunday {
            day = day.previous_day().unwrap_or(day);
        }
        day.with_hms(1, 0, 0).map(|t| t.assume_utc()).unwrap_or(utc)
    };
    let summer = utc >= last_sunday(time::Month::March) && utc < last_sunday(time::Month::October);
    let offset = if summer {
        time::UtcOffset::from_hms(1, 0, 0).unwrap_or(time::UtcOffset::UTC)
    } else {
        time::UtcOffset::UTC
    };
    utc.to_offset(offset)
}

/// A date as GOV.UK writes it: `28 November 2026`.
pub fn long_date(d: time::Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// The civil date in the United Kingdom at an instant ([`uk_time`]).
pub fn uk_date(now: time::OffsetDateTime) -> CivilDate {
    CivilDate(uk_time(now).date())
}

#[cfg(test)]
mod uk_tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_uk_date_follows_british_summer_time() {
        // 23:30 UTC in July is 00:30 BST the next day.
        assert_eq!(
            uk_date(datetime!(2026-07-14 23:30 UTC)).to_string(),
            "2026-07-15"
        );
        // In winter the UK is on UTC.
        assert_eq!(
            uk_date(datetime!(2026-01-14 23:30 UTC)).to_string(),
            "2026-01-14"
        );
        // BST starts at 01:00 UTC on the last Sunday of March (29 March 2026)
        // and ends at 01:00 UTC on the last Sunday of October (25 October).
        assert_eq!(
            uk_date(datetime!(2026-03-29 00:59 UTC) + time::Duration::HOUR * 23).to_string(),
            "2026-03-30"
        );
        assert_eq!(
            uk_date(datetime!(2026-10-24 23:30 UTC)).to_string(),
            "2026-10-25"
        );
        assert_eq!(
            uk_date(datetime!(2026-10-25 23:30 UTC)).to_string(),
            "2026-10-25"
        );
    }
}
