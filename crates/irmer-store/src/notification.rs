//! The notification summary: what to enter on the enforcing authority's
//! IR(ME)R notification form, in its order, from the facts and the
//! engine's decision, with nothing that identifies a person (no free text,
//! no exact age, no dates of birth), and every row through the identifier
//! gate before it is shown.

use irmer_core::Settings;
use irmer_core::incident::Patient;

use crate::Store;
use crate::accounts::AccountStore;
use crate::register::{IncidentRecord, Register, RegisterError};

/// The summary, or the rows that stopped it.
#[derive(Debug)]
pub enum Notification {
    /// Each row as (what the form asks, the answer).
    Cleared(Vec<(&'static str, String)>),
    /// Each row that may identify someone, with what was found in it.
    Blocked(Vec<(&'static str, irmer_scan::Kind)>),
}

impl<S: Store + AccountStore> Register<S> {
    /// The incident's notification summary, scanned with its recorded
    /// people and numbers and the hospital number masks (a reference typed
    /// as a name, say, stops it).
    pub async fn notification(&self, rec: &IncidentRecord) -> Result<Notification, RegisterError> {
        let rows = rows(rec, self.settings());
        let scanner = self.scanner_for(&rec.reference, &[]).await?;
        let blocked: Vec<(&'static str, irmer_scan::Kind)> = rows
            .iter()
            .flat_map(|(k, v)| scanner.scan(v).into_iter().map(move |f| (*k, f.kind)))
            .collect();
        Ok(if blocked.is_empty() {
            Notification::Cleared(rows)
        } else {
            Notification::Blocked(blocked)
        })
    }
}

fn capital(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The notification's rows, from the facts and the engine's decision.
pub fn rows(rec: &IncidentRecord, settings: Settings) -> Vec<(&'static str, String)> {
    let i = &rec.incident;
    let a = &rec.assessment;
    let mut rows: Vec<(&'static str, String)> = Vec::new();
    rows.push((
        "Enforcing authority",
        a.authority.map_or("none".into(), |x| {
            format!("{} ({})", x.name(), x.id().to_uppercase())
        }),
    ));
    rows.push(("Your reference", rec.reference.clone()));
    rows.push((
        "Date of the incident",
        i.occurred.map_or("not known".into(), |d| d.to_string()),
    ));
    rows.push(("Date discovered", i.discovered.to_string()));
    rows.push(("Modality", i.modality.label().to_owned()));
    rows.push((
        "Exposure category",
        capital(i.modality.category().describe()),
    ));
    // One row of codes: each with its words, the category code marked.
    let codes: Vec<String> = a
        .codes
        .iter()
        .map(|c| {
            let category =
                matches!(c, irmer_core::NotificationCode::Bare(k) if Some(*k) == a.category_code);
            format!(
                "{c}{} ({})",
                if category { ", the category code" } else { "" },
                c.title()
            )
        })
        .collect();
    rows.push((
        "Notification codes",
        if codes.is_empty() {
            "none".into()
        } else {
            codes.join("; ")
        },
    ));
    rows.push(("Type of exposure", i.exposure.words().to_owned()));
    rows.push(("Individuals exposed", i.people.to_string()));
    let age = match &i.patient {
        Some(Patient::Age(years)) => if *years < settings.child_age_under {
            "child"
        } else {
            "adult"
        }
        .to_owned(),
        Some(Patient::Group(g)) => g.as_str().to_owned(),
        None => "not known".into(),
    };
    rows.push(("Age group", age));
    if let Some(d) = &i.dose {
        rows.push((
            "Dose intended",
            d.intended
                .as_ref()
                .map_or("not given".into(), |q| format!("{q} {}", d.unit.as_str())),
        ));
        rows.push((
            "Dose received (total)",
            d.received
                .as_ref()
                .map_or("not given".into(), |q| format!("{q} {}", d.unit.as_str())),
        ));
    }
    rows.push((
        "What went wrong",
        match &i.errors {
            None => "not yet known".into(),
            Some(e) if e.is_empty() => "No error (for example a technical repeat)".into(),
            Some(e) => e.iter().map(|k| k.words()).collect::<Vec<_>>().join(", "),
        },
    ));
    rows.push((
        "Clinically significant",
        if i.clinically_significant {
            "Yes"
        } else {
            "No"
        }
        .into(),
    ));
    rows.push(("Outcome", a.outcome.label().to_owned()));
    if let Some(d) = a.deadlines {
        rows.push(("Notify by", d.notify_by.to_string()));
        rows.push(("Investigation report by", d.report_by.to_string()));
    }
    if !a.other_reports.is_empty() {
        rows.push((
            "Also tell",
            a.other_reports
                .iter()
                .map(|o| o.to.name())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    rows
}
