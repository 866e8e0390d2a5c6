//! Guidance versions. Each version is a set of rules; the engine picks the
//! rules by the version, so a later guidance can be added beside this one
//! and old assessments stay explainable by the rules they used.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::assessment::Assessment;
use crate::incident::Incident;

pub mod cqc_2024_08_28;
pub mod explain;

/// A version of the enforcing authorities' guidance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GuidanceVersion {
    /// "Ionising Radiation (Medical Exposure) Regulations (IR(ME)R)",
    /// guidance updated 28 August 2024.
    #[default]
    Cqc20240828,
}

impl GuidanceVersion {
    pub const ALL: [GuidanceVersion; 1] = [GuidanceVersion::Cqc20240828];
    pub const LATEST: GuidanceVersion = GuidanceVersion::Cqc20240828;

    pub const fn as_str(self) -> &'static str {
        match self {
            GuidanceVersion::Cqc20240828 => "cqc-2024-08-28",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        GuidanceVersion::ALL
            .into_iter()
            .find(|g| g.as_str() == text.trim())
    }
}

impl fmt::Display for GuidanceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GuidanceVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GuidanceVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        GuidanceVersion::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown guidance version {text:?}")))
    }
}

/// Local settings that the guidance leaves to the employer or that this
/// project reads (see `interpretations.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// A patient younger than this (in whole years) is a child for the
    /// child thresholds. Default 18.
    pub child_age_under: u8,
}

impl Settings {
    pub const DEFAULT_CHILD_AGE_UNDER: u8 = 18;
    /// The cut-off must lie in this range.
    pub const CHILD_AGE_RANGE: std::ops::RangeInclusive<u8> = 1..=25;
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            child_age_under: Self::DEFAULT_CHILD_AGE_UNDER,
        }
    }
}

/// Assesses an incident under a guidance version. Pure: the same incident,
/// version and settings always give the same assessment.
pub fn assess(incident: &Incident, guidance: GuidanceVersion, settings: &Settings) -> Assessment {
    match guidance {
        GuidanceVersion::Cqc20240828 => cqc_2024_08_28::assess(incident, settings),
    }
}
