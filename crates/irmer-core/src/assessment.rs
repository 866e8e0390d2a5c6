//! The assessment: what the engine decided, and why.

use std::borrow::Cow;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{Criterion, CriterionId, NotificationCode};
use crate::guidance::GuidanceVersion;
use crate::incident::{CivilDate, Nation};

/// The decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A statutory notification under regulation 8(4).
    Notifiable,
    /// Not statutory, but the employer asked to notify for learning (V).
    Voluntary,
    NotNotifiable,
    /// A criterion that could make it notifiable lacks the facts.
    Undetermined,
    /// Not a medical exposure under IR(ME)R (public, worker, or equipment not
    /// yet in clinical use): see the other bodies to tell.
    OutOfScope,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Notifiable,
        Outcome::Voluntary,
        Outcome::NotNotifiable,
        Outcome::Undetermined,
        Outcome::OutOfScope,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Notifiable => "notifiable",
            Outcome::Voluntary => "voluntary",
            Outcome::NotNotifiable => "not-notifiable",
            Outcome::Undetermined => "undetermined",
            Outcome::OutOfScope => "out-of-scope",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The outcome in words for people.
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Notifiable => "Notifiable",
            Outcome::Voluntary => "Voluntary notification",
            Outcome::NotNotifiable => "Not notifiable",
            Outcome::Undetermined => "Undetermined: facts missing",
            Outcome::OutOfScope => "Outside IR(ME)R",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one criterion stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Met,
    NotMet,
    Undetermined,
    NotApplicable,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "not-met",
            Status::Undetermined => "undetermined",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// One criterion considered, with a one-line reason quoting the figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub code: CriterionId,
    pub status: Status,
    pub reason: Cow<'static, str>,
}

/// The IR(ME)R enforcing authority of a nation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnforcingAuthority {
    Cqc,
    Hiw,
    His,
    Rqia,
}

impl EnforcingAuthority {
    pub const fn for_nation(nation: Nation) -> Self {
        match nation {
            Nation::England => EnforcingAuthority::Cqc,
            Nation::Wales => EnforcingAuthority::Hiw,
            Nation::Scotland => EnforcingAuthority::His,
            Nation::NorthernIreland => EnforcingAuthority::Rqia,
        }
    }

    pub const ALL: [EnforcingAuthority; 4] = [
        EnforcingAuthority::Cqc,
        EnforcingAuthority::Hiw,
        EnforcingAuthority::His,
        EnforcingAuthority::Rqia,
    ];

    /// `cqc`, `hiw`, `his` or `rqia`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == text)
    }

    pub const fn id(self) -> &'static str {
        match self {
            EnforcingAuthority::Cqc => "cqc",
            EnforcingAuthority::Hiw => "hiw",
            EnforcingAuthority::His => "his",
            EnforcingAuthority::Rqia => "rqia",
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            EnforcingAuthority::Cqc => "Care Quality Commission",
            EnforcingAuthority::Hiw => "Healthcare Inspectorate Wales",
            EnforcingAuthority::His => "Healthcare Improvement Scotland",
            EnforcingAuthority::Rqia => "Regulation and Quality Improvement Authority",
        }
    }

    /// How and where to notify it, as the guidance (28 August 2024) and the
    /// authorities' own pages give it; where they disagree, both.
    pub const fn how_to_notify(self) -> &'static str {
        match self {
            EnforcingAuthority::Cqc => {
                "On CQC's online form \u{201c}IR(ME)R incident report form: statutory notification\u{201d} (portal.cqc.org.uk/irmer-saue). CQC's automated e-mail gives the notification reference. If the form fails, e-mail IRMER@cqc.org.uk. A licensing breach has its own CQC form."
            }
            EnforcingAuthority::Hiw => {
                "On HIW's IR(ME)R Incident Notification Form, e-mailed to IRMERIncidents@Wales.GSI.Gov.uk."
            }
            EnforcingAuthority::His => {
                "Through HIS's online IR(ME)R notification portal (access is asked for by e-mail). The guidance gives hcis.irmer@nhs.net; HIS's pages also give his.irmer@nhs.scot."
            }
            EnforcingAuthority::Rqia => {
                "To RQIA, under IR(ME)R (Northern Ireland) 2018, by its current notification route: irmer found no RQIA form text to confirm it."
            }
        }
    }
}

impl<'de> Deserialize<'de> for EnforcingAuthority {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            id: String,
        }
        let wire = Wire::deserialize(deserializer)?;
        [
            EnforcingAuthority::Cqc,
            EnforcingAuthority::Hiw,
            EnforcingAuthority::His,
            EnforcingAuthority::Rqia,
        ]
        .into_iter()
        .find(|a| a.id() == wire.id)
        .ok_or_else(|| {
            serde::de::Error::custom(format!("unknown enforcing authority {:?}", wire.id))
        })
    }
}

impl Serialize for EnforcingAuthority {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EnforcingAuthority", 2)?;
        s.serialize_field("id", self.id())?;
        s.serialize_field("name", self.name())?;
        s.end()
    }
}

/// The two statutory dates, counted in calendar days from discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// Notify the authority no later than this (and as soon as possible).
    pub notify_by: CivilDate,
    /// Send the investigation report no later than this.
    pub report_by: CivilDate,
}

impl Deadlines {
    pub const NOTIFY_DAYS: u16 = 14;
    pub const REPORT_DAYS: u16 = 84;

    pub fn from_discovery(discovered: CivilDate) -> Self {
        Deadlines {
            notify_by: discovered.plus_days(Self::NOTIFY_DAYS),
            report_by: discovered.plus_days(Self::REPORT_DAYS),
        }
    }
}

/// Another body to tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OtherBody {
    /// Medicines and Healthcare products Regulatory Agency (England, Wales).
    Mhra,
    /// Incident Reporting and Investigation Centre, Health Facilities Scotland.
    Iric,
    /// Northern Ireland Adverse Incident Centre.
    Niaic,
    /// Administration of Radioactive Substances Advisory Committee.
    Arsac,
    /// Health and Safety Executive.
    Hse,
}

impl OtherBody {
    pub const fn id(self) -> &'static str {
        match self {
            OtherBody::Mhra => "mhra",
            OtherBody::Iric => "iric",
            OtherBody::Niaic => "niaic",
            OtherBody::Arsac => "arsac",
            OtherBody::Hse => "hse",
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            OtherBody::Mhra => "Medicines and Healthcare products Regulatory Agency",
            OtherBody::Iric => {
                "Health Facilities Scotland Incident Reporting and Investigation Centre"
            }
            OtherBody::Niaic => "Northern Ireland Adverse Incident Centre",
            OtherBody::Arsac => "ARSAC Support Unit",
            OtherBody::Hse => "Health and Safety Executive",
        }
    }

    /// Where device incidents go in each nation.
    pub const fn device_body(nation: Nation) -> Self {
        match nation {
            Nation::England | Nation::Wales => OtherBody::Mhra,
            Nation::Scotland => OtherBody::Iric,
            Nation::NorthernIreland => OtherBody::Niaic,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherReport {
    pub to: OtherBody,
    pub why: Cow<'static, str>,
}

/// What the employer must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Duty {
    /// Regulation 8(3): investigate and keep a record, near misses included.
    InvestigateAndRecord,
    /// For a clinically significant exposure.
    DutyOfCandour,
    /// Regulation 8(1): inform the referrer, the practitioner and the patient.
    InformReferrerPractitionerPatient,
}

impl Duty {
    pub const fn as_str(self) -> &'static str {
        match self {
            Duty::InvestigateAndRecord => "investigate-and-record",
            Duty::DutyOfCandour => "duty-of-candour",
            Duty::InformReferrerPractitionerPatient => "inform-referrer-practitioner-patient",
        }
    }

    pub const fn describe(self) -> &'static str {
        match self {
            Duty::InvestigateAndRecord => {
                "investigate and keep a record of the analysis (regulation 8(3)), near misses included"
            }
            Duty::DutyOfCandour => "apply the duty of candour",
            Duty::InformReferrerPractitionerPatient => {
                "inform the referrer, the practitioner and the patient (or their representative) of the outcome of the analysis (regulation 8(1))"
            }
        }
    }
}

/// The decision on one incident. It reads back from its own JSON (the
/// register stores it so).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub guidance: GuidanceVersion,
    pub outcome: Outcome,
    /// Every code to enter on the notification.
    pub codes: Vec<NotificationCode>,
    /// The most relevant exposure category, met or not.
    pub category_code: Option<Criterion>,
    pub criteria: Vec<CriterionResult>,
    pub authority: Option<EnforcingAuthority>,
    pub deadlines: Option<Deadlines>,
    pub other_reports: Vec<OtherReport>,
    pub duties: Vec<Duty>,
    /// Dotted field paths whose absence left a criterion undetermined.
    pub missing: Vec<Cow<'static, str>>,
    /// The readings of the guidance applied where they decided something.
    pub notes: Vec<Cow<'static, str>>,
}

impl Assessment {
    pub fn criterion(&self, id: CriterionId) -> Option<&CriterionResult> {
        self.criteria.iter().find(|c| c.code == id)
    }

    /// Appends this assessment as one line of compact JSON, exactly as
    /// `serde_json::to_writer` writes it (a test holds the two equal), but
    /// several times faster: streaming millions of assessments is a hot
    /// path, and most of an assessment is text that needs no escaping.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"guidance\":");
        const_str(out, self.guidance.as_str());
        out.extend_from_slice(b",\"outcome\":");
        const_str(out, self.outcome.as_str());
        out.extend_from_slice(b",\"codes\":[");
        for (n, code) in self.codes.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.push(b'"');
            if let NotificationCode::Complementary(letter, _) = code {
                out.extend_from_slice(letter.as_str().as_bytes());
            }
            let (NotificationCode::Bare(c) | NotificationCode::Complementary(_, c)) = code;
            out.extend_from_slice(c.as_str().as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"],\"category_code\":");
        match self.category_code {
            Some(c) => const_str(out, c.as_str()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"criteria\":[");
        for (n, c) in self.criteria.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"code\":");
            const_str(out, c.code.as_str());
            out.extend_from_slice(b",\"status\":");
            const_str(out, c.status.as_str());
            out.extend_from_slice(b",\"reason\":");
            json_str(out, &c.reason);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"authority\":");
        match self.authority {
            Some(a) => {
                out.extend_from_slice(b"{\"id\":");
                const_str(out, a.id());
                out.extend_from_slice(b",\"name\":");
                const_str(out, a.name());
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"deadlines\":");
        match self.deadlines {
            Some(d) => {
                use std::io::Write as _;
                // Writing to a Vec cannot fail.
                let _ = write!(
                    out,
                    "{{\"notify_by\":\"{}\",\"report_by\":\"{}\"}}",
                    d.notify_by, d.report_by
                );
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"other_reports\":[");
        for (n, r) in self.other_reports.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"to\":");
            const_str(out, r.to.id());
            out.extend_from_slice(b",\"why\":");
            json_str(out, &r.why);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"duties\":[");
        for (n, d) in self.duties.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            const_str(out, d.as_str());
        }
        out.extend_from_slice(b"],\"missing\":[");
        for (n, m) in self.missing.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            const_str(out, m);
        }
        out.extend_from_slice(b"],\"notes\":[");
        for (n, note) in self.notes.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            json_str(out, note);
        }
        out.extend_from_slice(b"]}");
    }
}

/// One of this crate's own constant strings (codes, statuses, identifiers,
/// field paths): never anything JSON must escape (a test checks them all).
fn const_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!needs_escape(s.as_bytes()), "{s}");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether a string holds a byte JSON must escape. Fixed-width chunks so
/// that the compiler vectorises the test: most text here needs no escaping.
fn needs_escape(bytes: &[u8]) -> bool {
    let escape = |b: u8| u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(0u8, |acc, &b| acc | escape(b)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| escape(b) != 0)
}

/// A JSON string, escaped as serde_json escapes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
    } else {
        for &b in bytes {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b if b < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
                b => out.push(b),
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_strings_need_no_escaping() {
        let mut constants: Vec<&str> = vec![crate::GuidanceVersion::LATEST.as_str()];
        constants.extend(Outcome::ALL.iter().map(|o| o.as_str()));
        constants.extend(
            [
                Status::Met,
                Status::NotMet,
                Status::Undetermined,
                Status::NotApplicable,
            ]
            .map(Status::as_str),
        );
        constants.extend(Criterion::ALL.map(Criterion::as_str));
        constants.extend(crate::Letter::ALL.map(crate::Letter::as_str));
        for a in [
            EnforcingAuthority::Cqc,
            EnforcingAuthority::Hiw,
            EnforcingAuthority::His,
            EnforcingAuthority::Rqia,
        ] {
            constants.extend([a.id(), a.name()]);
        }
        for b in [
            OtherBody::Mhra,
            OtherBody::Iric,
            OtherBody::Niaic,
            OtherBody::Arsac,
            OtherBody::Hse,
        ] {
            constants.push(b.id());
        }
        constants.extend(
            [
                Duty::InvestigateAndRecord,
                Duty::DutyOfCandour,
                Duty::InformReferrerPractitionerPatient,
            ]
            .map(Duty::as_str),
        );
        for s in constants {
            assert!(!needs_escape(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "plain",
            "quote \" and backslash \\",
            "line\nbreak\ttab\r",
            "\u{1}\u{8}\u{c}\u{1f}",
            "caf\u{e9} \u{2265} 3 mSv",
            "",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(s).expect("json")
            );
        }
    }
}
