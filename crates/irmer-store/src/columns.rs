//! Rows to the domain, once for every backend. A backend implements
//! [`Columns`] for its row type, saying only how it reads a column (SQLite
//! keeps dates and times as text, PostgreSQL as DATE and TIMESTAMPTZ); what
//! a row means, and the column lists the backends select, live here.

use irmer_core::Outcome;
use irmer_core::incident::{CivilDate, ExposureKind, Modality};
use irmer_core::lifecycle::IncidentStatus;
use time::OffsetDateTime;

use crate::accounts::{Role, User};
use crate::{Event, EventKind, Index, Owner, State, StoreError, Stored, Summary};

/// One row's columns, by name, as the backend stores them.
pub trait Columns {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
    fn opt_date(&self, column: &str) -> Result<Option<CivilDate>, StoreError>;
    fn time(&self, column: &str) -> Result<OffsetDateTime, StoreError>;
    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError>;

    fn date(&self, column: &str) -> Result<CivilDate, StoreError> {
        self.opt_date(column)?
            .ok_or_else(|| corrupt(column, "NULL"))
    }
}

/// A value in the database that the domain cannot read: a bug or damage.
pub fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("unreadable {what} in the database: {value:?}"))
}

/// The outbox's columns.
pub const OUTBOX_COLUMNS: &str = "id, message_id, sender, recipient, subject, body, status, attempts, created_at, next_attempt_at, last_error, sent_at";

/// A row of the outbox.
pub fn queued(row: &impl Columns) -> Result<crate::mail::Queued, StoreError> {
    let status = row.text("status")?;
    Ok(crate::mail::Queued {
        id: row.int("id")?,
        mail: crate::mail::Mail {
            message_id: row.text("message_id")?,
            from: row.text("sender")?,
            to: row.text("recipient")?,
            subject: row.text("subject")?,
            body: row.text("body")?,
        },
        status: crate::mail::MailStatus::parse(&status)
            .ok_or_else(|| corrupt("status", &status))?,
        attempts: u32::try_from(row.int("attempts")?).unwrap_or(u32::MAX),
        created_at: row.time("created_at")?,
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        sent_at: row.opt_time("sent_at")?,
    })
}

/// A send's columns.
pub const SEND_COLUMNS: &str = "id, reference, kind, authority, idempotency_key, body, actor, status, attempts, created_at, next_attempt_at, last_error, authority_reference, sent_at";

/// A row of the sends to an authority.
pub fn send(row: &impl Columns) -> Result<crate::sends::Sending, StoreError> {
    let kind = row.text("kind")?;
    let status = row.text("status")?;
    Ok(crate::sends::Sending {
        id: row.int("id")?,
        reference: row.text("reference")?,
        kind: crate::sends::SendKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        authority: row.text("authority")?,
        idempotency_key: row.text("idempotency_key")?,
        body: row.text("body")?,
        actor: row.text("actor")?,
        status: crate::mail::MailStatus::parse(&status)
            .ok_or_else(|| corrupt("status", &status))?,
        attempts: u32::try_from(row.int("attempts")?).unwrap_or(u32::MAX),
        created_at: row.time("created_at")?,
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        authority_reference: row.opt_text("authority_reference")?,
        sent_at: row.opt_time("sent_at")?,
    })
}

/// A notification's columns (the authority's register).
pub const NOTIFICATION_COLUMNS: &str = "reference, authority, series, organisation_name, organisation_code, contact_name, contact_email, facts, summary, provider_codes, assessment, codes, modality, discovered, report_due, status, received_at, risk, inspector_id, sub_modality, causes, report_received_at, provider_type, chief_executive";

/// A case event's columns.
pub const CASE_EVENT_COLUMNS: &str = "id, reference, kind, at, actor_id, actor, details";

/// A row of the authority's notifications.
pub fn notification(row: &impl Columns) -> Result<crate::authority::Notification, StoreError> {
    let series = row.text("series")?;
    Ok(crate::authority::Notification {
        reference: row.text("reference")?,
        authority: row.text("authority")?,
        series: crate::authority::Series::parse(&series)
            .ok_or_else(|| corrupt("series", &series))?,
        organisation_name: row.text("organisation_name")?,
        organisation_code: row.opt_text("organisation_code")?,
        provider_type: row.opt_text("provider_type")?,
        chief_executive: row.opt_text("chief_executive")?,
        contact_name: row.opt_text("contact_name")?,
        contact_email: row.text("contact_email")?,
        facts: row.text("facts")?,
        summary: row.text("summary")?,
        provider_codes: row.text("provider_codes")?,
        assessment: row.text("assessment")?,
        codes: row.text("codes")?,
        modality: row.text("modality")?,
        discovered: row.date("discovered")?,
        report_due: row.date("report_due")?,
        status: row.text("status")?,
        received_at: row.time("received_at")?,
        risk: row
            .opt_text("risk")?
            .map(|r| crate::case::Risk::parse(&r).ok_or_else(|| corrupt("risk", &r)))
            .transpose()?,
        inspector_id: row.opt_int("inspector_id")?,
        sub_modality: row.opt_text("sub_modality")?,
        causes: row.text("causes")?,
        report_received_at: row.opt_time("report_received_at")?,
    })
}

/// A row of a case's history.
pub fn case_event(row: &impl Columns) -> Result<crate::case::CaseEvent, StoreError> {
    Ok(crate::case::CaseEvent {
        id: row.int("id")?,
        reference: row.text("reference")?,
        kind: row.text("kind")?,
        at: row.time("at")?,
        actor_id: row.opt_int("actor_id")?,
        actor: row.text("actor")?,
        details: row.text("details")?,
    })
}

/// An organisation token's columns.
pub const ORGANISATION_TOKEN_COLUMNS: &str =
    "id, organisation_name, organisation_code, created_at, revoked_at";

pub fn organisation_token(
    row: &impl Columns,
) -> Result<crate::authority::OrganisationToken, StoreError> {
    Ok(crate::authority::OrganisationToken {
        id: row.int("id")?,
        organisation_name: row.text("organisation_name")?,
        organisation_code: row.opt_text("organisation_code")?,
        created_at: row.time("created_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

/// The columns of a summary (the narrow table only).
pub const SUMMARY_COLUMNS: &str =
    "reference, version, status, modality, nation, discovered, guidance, outcome, codes,
    notify_by, report_by, notified_on, report_sent_on, closed_on, next_due, exposure, causes, updated_at,
    department_id, reported_by";

/// The columns of a whole record (from [`WHOLE`]).
pub const COLUMNS: &str = "reference, version, status, incident_documents.facts AS facts, original,
    incident_events.assessment AS assessment, milestones, modality, nation, discovered,
    guidance, outcome, codes, notify_by, report_by, notified_on, report_sent_on, closed_on, next_due, exposure, causes, created_at, updated_at,
    department_id, reported_by";

/// The statistics' query: the columns `needs` names, the outcome and the
/// exposure, and how many incidents share them (`n`), grouped by the
/// database, from the narrow table only; `month` is the backend's
/// expression for a date's `YYYY-MM`. The caller adds the filter and
/// then [`tally_group_by`].
pub fn tally_select(needs: irmer_stats::tally::Needs, month: &str) -> (String, String) {
    // The exposure first: grouped by the outcome first, SQLite's planner
    // walks the whole outcome index in order (every incident, 90 ms for
    // 100,000) rather than the period's range of the discovered index and
    // a sort (50 ms). No index starts with the exposure.
    let mut columns: Vec<String> = vec!["exposure".into(), "outcome".into()];
    if needs.month {
        columns.push(format!("{month} AS month"));
    }
    for (wanted, column) in [
        (needs.modality, "modality"),
        (needs.nation, "nation"),
        (needs.codes, "codes"),
        (needs.causes, "causes"),
        (needs.department, "department_id"),
    ] {
        if wanted {
            columns.push(column.into());
        }
    }
    let group: Vec<&str> = columns
        .iter()
        .map(|c| c.rsplit(" AS ").next().unwrap_or(c))
        .collect();
    (
        format!(
            "SELECT {}, COUNT(*) AS n FROM incidents",
            columns.join(", ")
        ),
        format!(" GROUP BY {}", group.join(", ")),
    )
}

/// Counts one row of [`tally_select`] into `tally`.
pub fn tally_row(
    row: &impl Columns,
    needs: irmer_stats::tally::Needs,
    tally: &mut irmer_stats::tally::Tally<'_>,
) -> Result<(), StoreError> {
    let text = |wanted: bool, column: &str| -> Result<String, StoreError> {
        if wanted {
            row.text(column)
        } else {
            Ok(String::new())
        }
    };
    let month = text(needs.month, "month")?;
    let nation = text(needs.nation, "nation")?;
    let codes = text(needs.codes, "codes")?;
    let causes = text(needs.causes, "causes")?;
    let modality = if needs.modality {
        Some(parsed(row, "modality", Modality::parse)?)
    } else {
        None
    };
    let department = if needs.department {
        row.opt_int("department_id")?
    } else {
        None
    };
    tally.add(&irmer_stats::tally::Row {
        count: u64::try_from(row.int("n")?).unwrap_or(0),
        month: &month,
        modality,
        nation: &nation,
        outcome: parsed(row, "outcome", Outcome::parse)?,
        exposure: parsed(row, "exposure", ExposureKind::parse)?,
        codes: &codes,
        causes: &causes,
        department,
    });
    Ok(())
}

/// The narrow table, or both (for whole records).
pub const NARROW: &str = "incidents";
pub const WHOLE: &str = "incidents JOIN incident_documents ON incident_documents.incident_id = incidents.id
    JOIN incident_events ON incident_events.incident_id = incidents.id AND incident_events.seq = incidents.version";

/// An incident's events in order, by the incident's row id (`$1`; SQLite
/// reads `$1` too).
pub const EVENTS_OF: &str = "SELECT seq, at, actor, kind, reason, data, changes, facts, assessment
    FROM incident_events WHERE incident_id = $1 ORDER BY seq";

/// The columns of a user.
pub const USER_COLUMNS: &str = "id, username, display_name, role, department_id, password_hash,
    must_change_password, disabled, created_at, email";

/// The user columns of `users u` in a join (names unchanged).
pub static USER_COLUMNS_OF_U: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    USER_COLUMNS
        .split(',')
        .map(|c| format!("u.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
});

/// A column read by `parse`, or the column named as unreadable.
fn parsed<T>(
    row: &impl Columns,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text = row.text(column)?;
    parse(&text).ok_or_else(|| corrupt(column, &text))
}

pub fn index(row: &impl Columns) -> Result<Index, StoreError> {
    Ok(Index {
        modality: parsed(row, "modality", Modality::parse)?,
        nation: row.text("nation")?,
        discovered: row.date("discovered")?,
        guidance: row.text("guidance")?,
        outcome: parsed(row, "outcome", Outcome::parse)?,
        codes: row.text("codes")?,
        notify_by: row.opt_date("notify_by")?,
        report_by: row.opt_date("report_by")?,
        notified_on: row.opt_date("notified_on")?,
        report_sent_on: row.opt_date("report_sent_on")?,
        closed_on: row.opt_date("closed_on")?,
        next_due: row.opt_date("next_due")?,
        exposure: parsed(row, "exposure", ExposureKind::parse)?,
        causes: row.text("causes")?,
    })
}

fn owner(row: &impl Columns) -> Result<Owner, StoreError> {
    Ok(Owner {
        department: row.opt_int("department_id")?,
        reported_by: row.opt_int("reported_by")?,
    })
}

/// A whole record, from [`COLUMNS`].
pub fn stored(row: &impl Columns) -> Result<Stored, StoreError> {
    Ok(Stored {
        reference: row.text("reference")?,
        version: row.int("version")?,
        owner: owner(row)?,
        original: row.text("original")?,
        state: State {
            status: parsed(row, "status", IncidentStatus::parse)?,
            facts: row.text("facts")?,
            assessment: row.text("assessment")?,
            milestones: row.text("milestones")?,
            index: index(row)?,
        },
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// A summary, from [`SUMMARY_COLUMNS`].
pub fn summary(row: &impl Columns) -> Result<Summary, StoreError> {
    Ok(Summary {
        reference: row.text("reference")?,
        version: row.int("version")?,
        owner: owner(row)?,
        status: parsed(row, "status", IncidentStatus::parse)?,
        index: index(row)?,
        updated_at: row.time("updated_at")?,
    })
}

/// An event, from [`EVENT_COLUMNS`].
pub fn event(row: &impl Columns) -> Result<Event, StoreError> {
    Ok(Event {
        seq: row.int("seq")?,
        at: row.time("at")?,
        actor: row.text("actor")?,
        kind: parsed(row, "kind", EventKind::parse)?,
        reason: row.opt_text("reason")?,
        data: row.text("data")?,
        changes: row.text("changes")?,
        facts: row.opt_text("facts")?,
        assessment: row.opt_text("assessment")?,
    })
}

/// A user, from [`USER_COLUMNS`].
pub fn user(row: &impl Columns) -> Result<User, StoreError> {
    Ok(User {
        id: row.int("id")?,
        username: row.text("username")?,
        display_name: row.text("display_name")?,
        role: parsed(row, "role", Role::parse)?,
        department_id: row.opt_int("department_id")?,
        password_hash: row.opt_text("password_hash")?,
        must_change_password: row.flag("must_change_password")?,
        disabled: row.flag("disabled")?,
        created_at: row.time("created_at")?,
        email: row.opt_text("email")?,
    })
}

/// A task's columns, with its incident's reference (`t`: the tasks,
/// `i`: the incidents).
pub const TASK_COLUMNS: &str = "t.id, i.reference AS incident, t.kind, t.status, t.owner_role, t.owner_user_id, t.due, t.done_on, t.reference, t.note, t.reason, t.updated_at";

/// A row of the tasks.
pub fn task(row: &impl Columns) -> Result<crate::tasks::TaskRecord, StoreError> {
    use irmer_core::tasks::{TaskKind, TaskStatus};
    let kind = row.text("kind")?;
    let status = row.text("status")?;
    Ok(crate::tasks::TaskRecord {
        id: row.int("id")?,
        incident: row.text("incident")?,
        row: crate::tasks::TaskRow {
            kind: TaskKind::parse(&kind).ok_or_else(|| corrupt("task kind", &kind))?,
            status: TaskStatus::parse(&status).ok_or_else(|| corrupt("task status", &status))?,
            owner_role: row
                .opt_text("owner_role")?
                .map(|r| Role::parse(&r).ok_or_else(|| corrupt("owner role", &r)))
                .transpose()?,
            owner_user: row.opt_int("owner_user_id")?,
            due: row.date("due")?,
            done_on: row.opt_date("done_on")?,
            reference: row.opt_text("reference")?,
            note: row.opt_text("note")?,
            reason: row.opt_text("reason")?,
        },
        updated_at: row.time("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A row as text by column name (a missing column is NULL).
    struct Fake(HashMap<&'static str, &'static str>);

    impl Columns for Fake {
        fn text(&self, column: &str) -> Result<String, StoreError> {
            self.opt_text(column)?
                .ok_or_else(|| StoreError::Backend(format!("{column} is NULL")))
        }
        fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
            Ok(self.0.get(column).map(|v| (*v).to_owned()))
        }
        fn int(&self, column: &str) -> Result<i64, StoreError> {
            self.text(column)?.parse().map_err(|_| corrupt(column, ""))
        }
        fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
            self.opt_text(column)?
                .map(|v| v.parse().map_err(|_| corrupt(column, &v)))
                .transpose()
        }
        fn flag(&self, column: &str) -> Result<bool, StoreError> {
            Ok(self.text(column)? == "1")
        }
        fn opt_date(&self, column: &str) -> Result<Option<CivilDate>, StoreError> {
            self.opt_text(column)?
                .map(|v| CivilDate::parse(&v).ok_or_else(|| corrupt(column, &v)))
                .transpose()
        }
        fn time(&self, column: &str) -> Result<OffsetDateTime, StoreError> {
            let text = self.text(column)?;
            OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| corrupt(column, &text))
        }

        fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
            match self.opt_text(column)? {
                None => Ok(None),
                Some(_) => self.time(column).map(Some),
            }
        }
    }

    fn summary_row() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("reference", "CT-1"),
            ("version", "3"),
            ("status", "notified"),
            ("modality", "ct"),
            ("nation", "england"),
            ("discovered", "2026-02-20"),
            ("guidance", "2024-08-28"),
            ("outcome", "notifiable"),
            ("codes", "2.2"),
            ("exposure", "unintended"),
            ("causes", ""),
            ("notify_by", "2026-03-06"),
            ("updated_at", "2026-02-21T10:00:00Z"),
            ("department_id", "2"),
        ])
    }

    #[test]
    fn a_summary_row_reads_into_the_domain() {
        let s = summary(&Fake(summary_row())).expect("readable");
        assert_eq!((s.reference.as_str(), s.version), ("CT-1", 3));
        assert_eq!(s.status, IncidentStatus::Notified);
        assert_eq!(s.index.modality, Modality::Ct);
        assert_eq!(s.index.outcome, Outcome::Notifiable);
        assert_eq!(s.index.notify_by, CivilDate::parse("2026-03-06"));
        assert_eq!(s.index.report_by, None);
        assert_eq!((s.owner.department, s.owner.reported_by), (Some(2), None));
    }

    #[test]
    fn an_unreadable_value_names_its_column() {
        for (column, bad) in [
            ("modality", "xray"),
            ("status", "lost"),
            ("outcome", "maybe"),
            ("discovered", "2026-02-30"),
        ] {
            let mut row = summary_row();
            row.insert(column, bad);
            match summary(&Fake(row)) {
                Err(StoreError::Backend(m)) => {
                    assert!(m.contains(column) && m.contains(bad), "{m}")
                }
                other => panic!("{column}={bad}: {other:?}"),
            }
        }
    }
}
