//! The investigation report sent to the authority within 12 weeks of
//! discovery: the sections the guidance lists ("Keeping records of
//! investigations"), each filled from the register where it can be and
//! edited by the investigator. Every save is a new version; a version is
//! final only when no required section is empty.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::register::{IncidentRecord, Register, RegisterError};
use crate::{Filter, Sort, Store, StoreError};

/// A section of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// Its key in the stored document and in forms.
    pub key: &'static str,
    pub title: &'static str,
    /// What the guidance asks of it.
    pub asks: &'static str,
}

/// The sections, in the report's order. All are required.
pub const SECTIONS: &[Section] = &[
    Section {
        key: "what_happened",
        title: "What happened",
        asks: "What happened, in order, from the referral to the discovery.",
    },
    Section {
        key: "doses",
        title: "Intended and unintended doses",
        asks: "An estimate of the dose(s) received by the exposed individual(s): the intended and the unintended dose.",
    },
    Section {
        key: "causes",
        title: "Causes and contributory factors",
        asks: "A detailed account of the causes and contributory factors.",
    },
    Section {
        key: "previous_incidents",
        title: "Similar previous incidents and trends",
        asks: "Whether similar previous incidents have occurred where individuals might have been over- or under-exposed, or any trend that shows a possible systematic failure.",
    },
    Section {
        key: "csaue_procedure",
        title: "Clinically significant: regulation 8(1)",
        asks: "Whether the local procedure for clinically significant exposures (regulation 8(1), schedule 2(l)) has been applied, if the exposure meets the threshold for being clinically significant.",
    },
    Section {
        key: "learning",
        title: "Learning, corrective measures and how they were shared",
        asks: "The learning from the investigation, the corrective measures adopted, and how they have been shared.",
    },
];

/// A report's contents: the text of each section, and the similar
/// incidents the investigator confirmed (references).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDocument {
    #[serde(default)]
    pub sections: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub similar: Vec<String>,
}

impl ReportDocument {
    /// Reads a report document from its JSON; an error names the field
    /// and, for malformed JSON, the line and column.
    pub fn from_json(text: &str) -> Result<ReportDocument, irmer_core::parse::InputError> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            irmer_core::parse::InputError {
                field: if path == "." { String::new() } else { path },
                message: inner.to_string(),
                position: None,
            }
        })
    }

    pub fn text(&self, key: &str) -> &str {
        self.sections.get(key).map_or("", |t| t.trim())
    }

    /// The required sections still empty, in the report's order.
    pub fn missing(&self) -> Vec<&'static Section> {
        SECTIONS
            .iter()
            .filter(|s| self.text(s.key).is_empty())
            .collect()
    }

    /// A first draft from the register: the description, the doses as
    /// recorded, the errors, and what the facts say of clinical
    /// significance. The investigator edits every section.
    pub fn prefilled(rec: &IncidentRecord) -> ReportDocument {
        ReportDocument::prefilled_with(rec, &irmer_stats::taxonomy::Taxonomy::default())
    }

    /// The first draft, its causes section starting from the coded causes
    /// in words, each with its tiers (`Operator › Pre-exposure checks ›
    /// Wrong protocol or settings selected`), and the contributing factors.
    pub fn prefilled_with(
        rec: &IncidentRecord,
        taxonomy: &irmer_stats::taxonomy::Taxonomy,
    ) -> ReportDocument {
        let facts = serde_json::to_value(&rec.incident).unwrap_or(Value::Null);
        let mut sections = std::collections::BTreeMap::new();
        let mut put = |key: &str, text: String| {
            if !text.trim().is_empty() {
                sections.insert(key.to_owned(), text);
            }
        };
        let i = &rec.incident;
        let mut what = i.description.clone().unwrap_or_default();
        if let Some(action) = &i.immediate_action {
            what = format!("{what}\n\nImmediate action: {action}")
                .trim()
                .to_owned();
        }
        put("what_happened", what);
        put("doses", doses_text(&facts));
        let mut causes = Vec::new();
        for code in &i.causes {
            causes.push(match taxonomy.path(code) {
                Some([one, two, three]) => {
                    format!("Cause: {} › {} › {}.", one.name, two.name, three.name)
                }
                None => format!("Cause: {code}."),
            });
        }
        if !i.contributing_factors.is_empty() {
            causes.push(format!(
                "Contributing factors: {}.",
                i.contributing_factors.join("; ")
            ));
        }
        if let Some(errors) = &i.errors {
            let names: Vec<&str> = errors.iter().map(|e| e.as_str()).collect();
            causes.push(if names.is_empty() {
                "No error was recorded (for example, a technical repeat).".to_owned()
            } else {
                format!("Errors recorded: {}.", names.join(", "))
            });
        }
        put("causes", causes.join("\n"));
        if !i.clinically_significant {
            put(
                "csaue_procedure",
                "The exposure was not judged clinically significant, so the procedure under regulation 8(1) did not apply.".to_owned(),
            );
        }
        ReportDocument {
            sections,
            similar: Vec::new(),
        }
    }
}

/// The doses as the facts record them, in words.
fn doses_text(facts: &Value) -> String {
    let mut lines = Vec::new();
    let n = |v: &Value| match v {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let dose = &facts["dose"];
    if let Some(unit) = dose["unit"].as_str() {
        let mut parts = Vec::new();
        if let Some(i) = n(&dose["intended"]) {
            parts.push(format!("intended {i} {unit}"));
        }
        if let Some(r) = n(&dose["received"]) {
            parts.push(format!("received {r} {unit}"));
        }
        if !parts.is_empty() {
            lines.push(format!("Dose: {}.", parts.join(", ")));
        }
    }
    if let Some(deliveries) = facts["therapy"]["deliveries"].as_array() {
        for d in deliveries {
            let structure = d["structure"].as_str().unwrap_or("?").to_uppercase();
            let scope = match d["scope"].as_str() {
                Some("fraction") => "one fraction",
                _ => "the whole course",
            };
            let (i, g) = (n(&d["intended_gy"]), n(&d["delivered_gy"]));
            lines.push(format!(
                "{structure}, {scope}: intended {} Gy, delivered {} Gy.",
                i.as_deref().unwrap_or("?"),
                g.as_deref().unwrap_or("?")
            ));
        }
    }
    let activity = &facts["activity"];
    if activity.is_object() {
        let fields: Vec<String> = activity
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| n(v).map(|v| format!("{} {v}", k.replace('_', " "))))
            .collect();
        if !fields.is_empty() {
            lines.push(format!("Activity: {}.", fields.join(", ")));
        }
    }
    lines.join("\n")
}

/// One saved version of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportVersion {
    pub version: i64,
    pub document: ReportDocument,
    /// Marked final (no required section empty when saved).
    #[serde(rename = "final")]
    pub is_final: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
}

/// A report version as a backend keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    pub version: i64,
    /// `ReportDocument` as JSON.
    pub document: String,
    pub is_final: bool,
    pub at: OffsetDateTime,
    pub actor: String,
}

/// A report as it left, for the history.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    pub report_version: i64,
    pub format: &'a str,
    pub redacted: usize,
    pub bytes: &'a [u8],
}

/// The most characters a section may hold.
const LONGEST_SECTION: usize = 50_000;
/// The most similar incidents confirmed on one report.
const MOST_SIMILAR: usize = 100;
/// The most incidents read when looking for similar ones.
const MOST_SEARCHED: u32 = 1000;

/// An incident that may be like this one, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub reference: String,
    pub discovered: irmer_core::incident::CivilDate,
    pub modality: irmer_core::incident::Modality,
    pub codes: Vec<String>,
    /// What it shares with this one: "same modality", "category 2.2",
    /// "errors: human"…
    pub shared: Vec<String>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RegisterError {
    RegisterError::Invalid(irmer_core::parse::InputError {
        field: field.into(),
        message: message.into(),
        position: None,
    })
}

impl<S: Store> Register<S> {
    /// Every saved version of the incident's report, oldest first.
    pub async fn reports(&self, reference: &str) -> Result<Vec<ReportVersion>, RegisterError> {
        self.store()
            .reports(reference)
            .await?
            .into_iter()
            .map(|row| {
                let document =
                    serde_json::from_str(&row.document).map_err(|e| RegisterError::Corrupt {
                        reference: reference.to_owned(),
                        why: format!("report version {}: {e}", row.version),
                    })?;
                Ok(ReportVersion {
                    version: row.version,
                    document,
                    is_final: row.is_final,
                    at: row.at,
                    actor: row.actor,
                })
            })
            .collect()
    }

    /// The latest saved version, or (numbered 0) the first draft from the
    /// register when none is saved.
    pub async fn report_or_draft(
        &self,
        reference: &str,
        actor: &str,
    ) -> Result<ReportVersion, RegisterError> {
        let rec = self.get(reference).await?;
        Ok(self
            .reports(reference)
            .await?
            .into_iter()
            .last()
            .unwrap_or_else(|| ReportVersion {
                version: 0,
                document: ReportDocument::prefilled_with(&rec, self.taxonomy()),
                is_final: false,
                at: self.now(),
                actor: actor.to_owned(),
            }))
    }

    /// The administrator's local hospital number masks.
    pub async fn hospital_number_masks(&self) -> Result<Vec<String>, RegisterError>
    where
        S: crate::accounts::AccountStore,
    {
        let setting = self.store().setting(crate::identity::MASKS_SETTING).await?;
        Ok(crate::identity::masks_of(setting.as_deref()))
    }

    /// The identifier scanner for what leaves about this incident: its
    /// recorded people and numbers, the administrator's hospital number
    /// masks and any `extra` masks.
    pub async fn scanner_for(
        &self,
        reference: &str,
        extra: &[String],
    ) -> Result<irmer_scan::Scanner, RegisterError>
    where
        S: crate::accounts::AccountStore,
    {
        let identity = self.identity(reference).await?.unwrap_or_default();
        let mut masks = self.hospital_number_masks().await?;
        masks.extend(extra.iter().cloned());
        irmer_scan::Scanner::new(&identity.scan_rules(&masks)).map_err(|e| {
            invalid(
                e.field,
                format!(
                    "{}: the text cannot be checked for identifiers with this rule",
                    e.message
                ),
            )
        })
    }

    /// Saves a new version of the report over version `expected` (0 for
    /// the first). Final only when no required section is empty: the
    /// refusal names the first and lists them all.
    pub async fn save_report(
        &self,
        reference: &str,
        expected: i64,
        document: &ReportDocument,
        make_final: bool,
        actor: &str,
        scope: crate::accounts::Scope,
    ) -> Result<ReportVersion, RegisterError> {
        let actor = actor.trim();
        if actor.is_empty() {
            return Err(invalid("actor", "required, but empty"));
        }
        let mut document = document.clone();
        for (key, text) in &mut document.sections {
            if !SECTIONS.iter().any(|s| s.key == key) {
                let known: Vec<&str> = SECTIONS.iter().map(|s| s.key).collect();
                return Err(invalid(
                    format!("sections.{key}"),
                    format!("no such section; known: {}", known.join(", ")),
                ));
            }
            *text = text.trim().to_owned();
            if text.chars().count() > LONGEST_SECTION {
                return Err(invalid(
                    format!("sections.{key}"),
                    format!("at most {LONGEST_SECTION} characters"),
                ));
            }
            crate::register::check_free_text(&format!("sections.{key}"), text)?;
        }
        document.sections.retain(|_, t| !t.is_empty());
        // Each once, in the order given.
        let mut seen = std::collections::HashSet::new();
        document.similar.retain(|r| seen.insert(r.clone()));
        if document.similar.len() > MOST_SIMILAR {
            return Err(invalid(
                "similar",
                format!("at most {MOST_SIMILAR} incidents"),
            ));
        }
        for (i, r) in document.similar.iter().enumerate() {
            if r == reference {
                return Err(invalid(
                    format!("similar[{i}]"),
                    "an incident is not similar to itself",
                ));
            }
            // Out of the saver's scope reads exactly as not there.
            match self.get_in(r, scope).await {
                Ok(_) => {}
                Err(RegisterError::Store(StoreError::NotFound(_))) => {
                    return Err(invalid(
                        format!("similar[{i}]"),
                        format!("{r:?}: no such incident"),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let missing = document.missing();
        if make_final && !missing.is_empty() {
            let titles: Vec<&str> = missing.iter().map(|s| s.title).collect();
            return Err(invalid(
                format!("sections.{}", missing[0].key),
                format!(
                    "the report cannot be final while sections are empty: {}",
                    titles.join("; ")
                ),
            ));
        }
        let row = ReportRow {
            version: expected + 1,
            document: serde_json::to_string(&document).unwrap_or_default(),
            is_final: make_final,
            at: self.now(),
            actor: actor.to_owned(),
        };
        self.store().save_report(reference, expected, &row).await?;
        Ok(ReportVersion {
            version: row.version,
            document,
            is_final: make_final,
            at: row.at,
            actor: row.actor,
        })
    }

    /// Records in the history that the report left: the version, the
    /// format, how many identifiers were redacted and the SHA-256 digest of
    /// what was written.
    pub async fn record_export(
        &self,
        reference: &str,
        export: &Export<'_>,
        actor: &str,
    ) -> Result<IncidentRecord, RegisterError> {
        let data = serde_json::json!({
            "report_version": export.report_version,
            "format": export.format,
            "redacted": export.redacted,
            "bytes": export.bytes.len(),
            "sha256": crate::accounts::digest_bytes(export.bytes),
        });
        self.append_aside(
            reference,
            actor,
            crate::register::Aside::new(crate::EventKind::ReportExported, data.to_string()),
        )
        .await
    }

    /// The similar incidents confirmed on a report, as listed, that
    /// `scope` covers (the others are left out, unseen).
    pub async fn similar_rows(
        &self,
        document: &ReportDocument,
        scope: crate::accounts::Scope,
    ) -> Result<Vec<IncidentRecord>, RegisterError> {
        let mut rows = Vec::new();
        for r in &document.similar {
            match self.get_in(r, scope).await {
                Ok(rec) => rows.push(rec),
                Err(RegisterError::Store(StoreError::NotFound(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(rows)
    }

    /// Incidents discovered in the `days` before this one (and on its
    /// day) that share its modality, its category, a code or an error,
    /// most shared first: candidates for the investigator to confirm.
    pub async fn similar_candidates(
        &self,
        reference: &str,
        days: u16,
        scope: Option<crate::accounts::Scope>,
    ) -> Result<Vec<Candidate>, RegisterError> {
        let rec = self.get(reference).await?;
        let day = rec.incident.discovered;
        let from = day
            .date()
            .checked_sub(time::Duration::days(i64::from(days)))
            .and_then(|d| {
                irmer_core::incident::CivilDate::from_ymd(d.year(), u8::from(d.month()), d.day())
            });
        let filter = Filter {
            discovered_from: from,
            discovered_to: Some(day),
            scope,
            ..Filter::default()
        };
        let (others, _) = self
            .list(&filter, Sort::DiscoveredNewest, MOST_SEARCHED, 0)
            .await?;
        let errors = |r: &IncidentRecord| -> Vec<&'static str> {
            r.incident
                .errors
                .iter()
                .flat_map(|e| e.iter().map(|k| k.as_str()))
                .collect()
        };
        let own_errors = errors(&rec);
        let own_codes: Vec<String> = rec.assessment.codes.iter().map(|c| c.to_string()).collect();
        let mut found: Vec<Candidate> = others
            .iter()
            .filter(|o| o.reference != rec.reference)
            .filter_map(|o| {
                let mut shared = Vec::new();
                if o.incident.modality == rec.incident.modality {
                    shared.push("same modality".to_owned());
                }
                if let (Some(a), Some(b)) =
                    (o.assessment.category_code, rec.assessment.category_code)
                {
                    if a == b {
                        shared.push(format!("category {a}"));
                    }
                }
                let codes: Vec<String> = o.assessment.codes.iter().map(|c| c.to_string()).collect();
                let common: Vec<&String> = codes.iter().filter(|c| own_codes.contains(c)).collect();
                if !common.is_empty() {
                    shared.push(format!(
                        "codes {}",
                        common
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let errs: Vec<&str> = errors(o)
                    .into_iter()
                    .filter(|e| own_errors.contains(e))
                    .collect();
                if !errs.is_empty() {
                    shared.push(format!("errors: {}", errs.join(", ")));
                }
                (!shared.is_empty()).then(|| Candidate {
                    reference: o.reference.clone(),
                    discovered: o.incident.discovered,
                    modality: o.incident.modality,
                    codes,
                    shared,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.shared
                .len()
                .cmp(&a.shared.len())
                .then(b.discovered.cmp(&a.discovered))
        });
        Ok(found)
    }
}
