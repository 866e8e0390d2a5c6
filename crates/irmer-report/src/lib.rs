//! irmer-report: the investigation report as it leaves for the
//! enforcing authority.
//!
//! [`content`] gathers what the report says from the register: the
//! incident's reference, authority, codes and dates, the sections of a
//! saved report version, and the similar incidents confirmed. [`gate`]
//! scans every text of it with the identifier scanner (the incident's
//! recorded people and numbers, and the administrator's hospital number
//! masks): an identifier blocks the export, unless redaction was asked
//! for, which replaces each one by role ("[patient]", "[radiographer 1]").
//! Only content that has passed the gate can be rendered: [`html`] and
//! [`text`] take a [`Cleared`], which nothing else can make.

pub mod charts;
pub mod committee;

use irmer_core::incident::CivilDate;
use irmer_scan::{Kind, Scanner};
use irmer_store::register::IncidentRecord;
use irmer_store::report::{ReportVersion, SECTIONS, Section};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

/// A similar incident confirmed on the report, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimilarRow {
    pub reference: String,
    pub discovered: CivilDate,
    pub modality: &'static str,
    pub codes: String,
}

impl SimilarRow {
    pub fn of(rec: &IncidentRecord) -> SimilarRow {
        SimilarRow {
            reference: rec.reference.clone(),
            discovered: rec.incident.discovered,
            modality: rec.incident.modality.label(),
            codes: codes(rec),
        }
    }
}

fn codes(rec: &IncidentRecord) -> String {
    let codes: Vec<String> = rec.assessment.codes.iter().map(|c| c.to_string()).collect();
    if codes.is_empty() {
        "none".into()
    } else {
        codes.join(", ")
    }
}

/// Everything the report says, before the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    pub reference: String,
    pub version: i64,
    pub is_final: bool,
    /// (label, value), in order.
    pub header: Vec<(&'static str, String)>,
    /// Each section with its text (empty when not written).
    pub sections: Vec<(&'static Section, String)>,
    pub similar: Vec<SimilarRow>,
}

/// Where the report comes from: the employer's name, and the incident's
/// site and department. Both go through the gate like every other text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub organisation: Option<String>,
    /// `Radiology (North site)`; `None` for the whole organisation.
    pub place: Option<String>,
}

/// The sign-off the employer completes before the report is sent: a
/// heading, what it attests, and the lines to fill in.
pub const SIGN_OFF: (&str, &str, [&str; 4]) = (
    "Sign-off",
    "Signed for the employer, who has read this report and approves it to be sent to the enforcing authority.",
    ["Name", "Role", "Signature", "Date"],
);

/// What the report says of one incident, from one saved version.
pub fn content(
    rec: &IncidentRecord,
    report: &ReportVersion,
    similar: &[SimilarRow],
    origin: &Origin,
) -> Content {
    let a = &rec.assessment;
    let date = |d: Option<CivilDate>| d.map_or_else(|| "not yet".to_owned(), |d| d.to_string());
    let prepared = if report.version == 0 {
        "not saved yet (a first draft from the register)".to_owned()
    } else {
        format!(
            "{}, version {} saved on {}",
            report.actor,
            report.version,
            day(report.at)
        )
    };
    let header = vec![
        (
            "Organisation",
            origin
                .organisation
                .clone()
                .unwrap_or_else(|| "not recorded".into()),
        ),
        (
            "Site and department",
            origin
                .place
                .clone()
                .unwrap_or_else(|| "the whole organisation".into()),
        ),
        ("Prepared by", prepared),
        ("Incident reference", rec.reference.clone()),
        (
            "Authority's reference",
            rec.milestones
                .authority_reference
                .clone()
                .unwrap_or_else(|| "not recorded".into()),
        ),
        (
            "Enforcing authority",
            a.authority
                .map_or_else(|| "none".to_owned(), |x| x.name().to_owned()),
        ),
        ("Notification codes", codes(rec)),
        ("Modality", rec.incident.modality.label().to_owned()),
        ("Discovered", rec.incident.discovered.to_string()),
        ("Notified", date(rec.milestones.notified_on)),
        ("Notify by", date(a.deadlines.map(|d| d.notify_by))),
        ("Report by", date(a.deadlines.map(|d| d.report_by))),
    ];
    Content {
        reference: rec.reference.clone(),
        version: report.version,
        is_final: report.is_final,
        header,
        sections: SECTIONS
            .iter()
            .map(|s| (s, report.document.text(s.key).to_owned()))
            .collect(),
        similar: similar.to_vec(),
    }
}

/// An identifier found in the report: where, what, and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The header field or section it is in.
    pub place: String,
    /// Line and column within that text (1-based).
    pub line: usize,
    pub column: usize,
    pub kind: Kind,
    pub text: String,
}

/// Content that has passed the identifier gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleared {
    content: Content,
    /// What was redacted on the way (empty when nothing was found).
    pub redacted: Vec<Found>,
}

impl Cleared {
    pub fn content(&self) -> &Content {
        &self.content
    }
}

/// Scans every text of the report. Identifiers block it (the error lists
/// each), or with `redact` are replaced by role and kind.
pub fn gate(content: Content, scanner: &Scanner, redact: bool) -> Result<Cleared, Vec<Found>> {
    let mut content = content;
    let mut found = Vec::new();
    let mut each = |place: &str, text: &mut String| {
        let r = scanner.redact(text);
        for f in &r.findings {
            found.push(Found {
                place: place.to_owned(),
                line: f.line,
                column: f.column,
                kind: f.kind,
                text: text[f.range.clone()].to_owned(),
            });
        }
        if redact {
            *text = r.text;
        }
    };
    for (label, value) in &mut content.header {
        each(label, value);
    }
    for (section, text) in &mut content.sections {
        each(section.title, text);
    }
    for row in &mut content.similar {
        each("Similar incidents", &mut row.reference);
    }
    if !found.is_empty() && !redact {
        return Err(found);
    }
    Ok(Cleared {
        content,
        redacted: found,
    })
}

fn status_words(c: &Content) -> String {
    format!(
        "Version {}, {}",
        c.version,
        if c.is_final { "final" } else { "draft" }
    )
}

fn day(t: OffsetDateTime) -> String {
    t.date().to_string()
}

/// The report as a self-contained HTML page (styles inline, nothing
/// fetched), with the sections in the guidance's order.
pub fn html(cleared: &Cleared, generated: OffsetDateTime) -> String {
    let c = &cleared.content;
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Investigation report, incident " (c.reference) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    p class="caption" { "IR(ME)R 2017, regulation 8(4): significant accidental or unintended exposure" }
                    h1 { "Investigation report, incident " (c.reference) }
                    p class="status" { (status_words(c)) ". Made by irmer on " (day(generated)) "." }
                    table class="header" {
                        tbody {
                            @for (label, value) in &c.header {
                                tr { th scope="row" { (label) } td { (value) } }
                            }
                        }
                    }
                    @for (n, (section, text)) in c.sections.iter().enumerate() {
                        section {
                            h2 { (n + 1) ". " (section.title) }
                            @if text.is_empty() {
                                p class="missing" { "Not written yet. " (section.asks) }
                            } @else {
                                @for para in paragraphs(text) {
                                    p { @for (i, line) in para.lines().enumerate() { @if i > 0 { br; } (line) } }
                                }
                            }
                            @if section.key == "previous_incidents" && !c.similar.is_empty() {
                                table class="similar" {
                                    caption { "Similar incidents in the register, confirmed by the investigator" }
                                    thead { tr { th scope="col" { "Reference" } th scope="col" { "Discovered" } th scope="col" { "Modality" } th scope="col" { "Codes" } } }
                                    tbody {
                                        @for s in &c.similar {
                                            tr { td { (s.reference) } td { (s.discovered) } td { (s.modality) } td { (s.codes) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    section class="sign-off" {
                        h2 { (SIGN_OFF.0) }
                        p { (SIGN_OFF.1) }
                        table class="header" {
                            tbody { @for line in SIGN_OFF.2 { tr { th scope="row" { (line) } td {} } } }
                        }
                    }
                    footer {
                        p {
                            "Anonymised: no patient-identifiable information, and the names of individual people redacted. "
                            "irmer scanned every text of this report for identifiers before it was made"
                            @if cleared.redacted.is_empty() { "; none was found." }
                            @else { "; " (cleared.redacted.len()) " were replaced by their role or kind." }
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}

/// The same report as plain text (what a PDF or an e-mail carries).
pub fn text(cleared: &Cleared, generated: OffsetDateTime) -> String {
    let c = &cleared.content;
    let mut out = format!(
        "Investigation report, incident {}\n{}. Made by irmer on {}.\n\n",
        c.reference,
        status_words(c),
        day(generated)
    );
    for (label, value) in &c.header {
        out.push_str(&format!("{label}: {value}\n"));
    }
    for (n, (section, text)) in c.sections.iter().enumerate() {
        out.push_str(&format!("\n{}. {}\n", n + 1, section.title));
        if text.is_empty() {
            out.push_str(&format!("Not written yet. {}\n", section.asks));
        } else {
            out.push_str(text);
            out.push('\n');
        }
        if section.key == "previous_incidents" {
            for s in &c.similar {
                out.push_str(&format!(
                    "- {} (discovered {}, {}, codes {})\n",
                    s.reference, s.discovered, s.modality, s.codes
                ));
            }
        }
    }
    out.push_str(&format!("\n{}\n{}\n", SIGN_OFF.0, SIGN_OFF.1));
    for line in SIGN_OFF.2 {
        out.push_str(&format!("{line}: ______________________________\n"));
    }
    out
}

/// Paragraphs: text split at blank lines.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;line-height:1.5;color:#0b0c0c;margin:0}\
main{max-width:46rem;margin:0 auto;padding:1.5rem}\
h1{font-size:1.8rem;margin:.2rem 0 .5rem}h2{font-size:1.25rem;margin-top:1.8rem;border-top:1px solid #b1b4b6;padding-top:.8rem}\
.caption{color:#505a5f;margin:0}.status{color:#505a5f}.missing{color:#d4351c}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #b1b4b6}\
.header th{width:14rem}.sign-off td{height:2.2rem}caption{text-align:left;font-weight:600;padding:.3rem 0}\
footer{margin-top:2rem;border-top:2px solid #0b0c0c;font-size:.9rem;color:#505a5f}";
