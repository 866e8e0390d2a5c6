//! The register's CSV export, one for the command line and the web
//! application: its columns, formula defusing, and the identifier gate.
//!
//! Every row is scanned before anything is written, with that incident's
//! recorded identity (names, numbers, date of birth), the administrator's
//! hospital number masks and every fixed kind (health numbers, dates of
//! birth, postcodes…): references, authority references and descriptions
//! are typed by people. A finding stops the whole export, each one named
//! by row, reference and kind.

use irmer_core::incident::{CivilDate, DoseUnit, Patient};
use irmer_core::lifecycle::{ClockState, DeadlineStatus};

use crate::accounts::AccountStore;
use crate::register::{IncidentRecord, Register, RegisterError};
use crate::{Filter, Sort, Store};

/// The CSV columns, in order (documented in the README).
pub const CSV_COLUMNS: [&str; 24] = [
    "reference",
    "status",
    "nation",
    "modality",
    "exposure",
    "discovered",
    "occurred",
    "outcome",
    "codes",
    "category_code",
    "authority",
    "notify_by",
    "notified_on",
    "authority_reference",
    "report_by",
    "report_sent_on",
    "closed_on",
    "deadline",
    "patient_age",
    "age_group",
    "people",
    "errors",
    "dose_received_msv",
    "description",
];

/// What may identify someone in an export's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowFinding {
    /// The data row, from 1 (the header is not counted).
    pub row: u64,
    pub reference: String,
    /// What the scanner found, as words ("NHS number").
    pub kind: &'static str,
    /// The text found.
    pub text: String,
}

/// The export: the whole CSV, or what stopped it.
#[derive(Debug)]
pub enum CsvExport {
    Cleared { csv: String, rows: u64 },
    Blocked(Vec<RowFinding>),
}

/// A text cell that a spreadsheet will not run as a formula, quoted when
/// it must be.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The next pending clock: `notify overdue 2026-03-06`, `report open
/// 2026-05-15`, `met` when both are met, empty when not notifiable.
fn next_clock(status: Option<DeadlineStatus>) -> String {
    let Some(s) = status else {
        return String::new();
    };
    let pending = |which: &str, c: &ClockState| match *c {
        ClockState::Open { due, .. } => Some(format!("{which} open {due}")),
        ClockState::DueSoon { due, .. } => Some(format!("{which} due-soon {due}")),
        ClockState::Overdue { due, .. } => Some(format!("{which} overdue {due}")),
        ClockState::Met { .. } | ClockState::MetLate { .. } => None,
    };
    pending("notify", &s.notify)
        .or_else(|| pending("report", &s.report))
        .unwrap_or_else(|| "met".to_owned())
}

/// One incident's row, its cells already made safe.
pub fn csv_row(r: &IncidentRecord, today: CivilDate) -> Vec<String> {
    let i = &r.incident;
    let a = &r.assessment;
    let date = |d: Option<CivilDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let (age, group) = match i.patient {
        Some(Patient::Age(n)) => (n.to_string(), String::new()),
        Some(Patient::Group(g)) => (String::new(), g.as_str().to_owned()),
        None => (String::new(), String::new()),
    };
    let dose = i
        .dose
        .filter(|d| d.unit == DoseUnit::Msv)
        .and_then(|d| d.received)
        .map(|q| q.to_string())
        .unwrap_or_default();
    vec![
        cell(&r.reference),
        r.status.as_str().into(),
        i.nation.as_str().into(),
        i.modality.as_str().into(),
        i.exposure.as_str().into(),
        i.discovered.to_string(),
        date(i.occurred),
        r.outcome.as_str().into(),
        a.codes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        a.category_code.map(|c| c.to_string()).unwrap_or_default(),
        a.authority.map(|x| x.id().to_owned()).unwrap_or_default(),
        date(r.index.notify_by),
        date(r.milestones.notified_on),
        cell(
            r.milestones
                .authority_reference
                .as_deref()
                .unwrap_or_default(),
        ),
        date(r.index.report_by),
        date(r.milestones.report_sent_on),
        date(r.milestones.closed_on),
        next_clock(r.deadline_status(today)),
        age,
        group,
        i.people.to_string(),
        i.errors
            .map(|e| e.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        dose,
        cell(i.description.as_deref().unwrap_or_default()),
    ]
}

impl<S: Store + AccountStore> Register<S> {
    /// The incidents `filter` selects (its scope included) as CSV, each row
    /// through the identifier gate with that incident's recorded identity.
    pub async fn csv_export(
        &self,
        filter: &Filter,
        sort: Sort,
    ) -> Result<CsvExport, RegisterError> {
        let today = self.today();
        let masks = self.hospital_number_masks().await?;
        let plain = irmer_scan::Scanner::new(&irmer_scan::Rules {
            hospital_numbers: masks.clone(),
            ..irmer_scan::Rules::default()
        })
        .map_err(|e| {
            // A mask saved before masks were checked: say which, as an input.
            RegisterError::Invalid(irmer_core::parse::InputError {
                field: e.field,
                message: format!(
                    "{}: the export cannot be checked for identifiers with this rule",
                    e.message
                ),
                position: None,
            })
        })?;
        let mut csv = CSV_COLUMNS.join(",");
        csv.push_str("\r\n");
        let mut found = Vec::new();
        let (mut offset, mut row) = (0u64, 0u64);
        loop {
            let (items, more) = self.list(filter, sort, crate::MAX_PAGE, offset).await?;
            for record in &items {
                row += 1;
                let line = csv_row(record, today).join(",");
                // That incident's people and numbers as well; a rule that
                // cannot be compiled was refused when saved.
                let own = match self.identity(&record.reference).await? {
                    Some(identity) => irmer_scan::Scanner::new(&identity.scan_rules(&masks)).ok(),
                    None => None,
                };
                let findings = own.as_ref().unwrap_or(&plain).scan(&line);
                found.extend(findings.into_iter().map(|f| RowFinding {
                    row,
                    reference: record.reference.clone(),
                    kind: f.kind.describe(),
                    text: line[f.range].to_owned(),
                }));
                csv.push_str(&line);
                csv.push_str("\r\n");
            }
            offset += items.len() as u64;
            if !more {
                break;
            }
        }
        Ok(if found.is_empty() {
            CsvExport::Cleared { csv, rows: row }
        } else {
            CsvExport::Blocked(found)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_defused_and_quoted() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("plain"), "plain");
    }
}
