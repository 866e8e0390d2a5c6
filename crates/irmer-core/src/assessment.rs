//! The assessment: what the engine decided, and why.

use std::borrow::Cow;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::codes::{Criterion, CriterionId, NotificationCode};
use crate::guidance::GuidanceVersion;
use crate::incident::{CivilDate, Nation};

/// The decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one criterion stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OtherReport {
    pub to: OtherBody,
    pub why: Cow<'static, str>,
}

/// What the employer must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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

/// The decision on one incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    pub missing: Vec<&'static str>,
    /// The readings of the guidance applied where they decided something.
    pub notes: Vec<Cow<'static, str>>,
}

impl Assessment {
    pub fn criterion(&self, id: CriterionId) -> Option<&CriterionResult> {
        self.criteria.iter().find(|c| c.code == id)
    }
}

impl Serialize for Criterion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
