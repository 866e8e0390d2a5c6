//! The incident, exactly as `shared/spec/incident-format.md` defines it.
//!
//! Field names are `snake_case`, enum values `kebab-case`; unknown fields are
//! refused. Optional fields come in two kinds (see `interpretations.md`,
//! "Absent facts"): a measurement left out is unknown (`Option`, and the
//! criterion that needs it is undetermined); an extra event left out did not
//! happen (`bool` defaulting to `false`, or an `Option` whose absence the
//! engine reads as "none").

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};

use crate::quantity::Quantity;
use crate::wire::{self, is_false, quantity_field, serialize_opt_quantity, serialize_quantity};

/// Expands to `as_str`, `ALL` and `Display` for a kebab-case enum.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Reads the value's name.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == text)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// Where the exposure took place: picks the enforcing authority and the
    /// code 1 rule.
    Nation {
        England = "england",
        Wales = "wales",
        Scotland = "scotland",
        NorthernIreland = "northern-ireland",
    }
);

named_enum!(
    /// What was being done; it determines the exposure category.
    Modality {
        Radiography = "radiography",
        Fluoroscopy = "fluoroscopy",
        Ct = "ct",
        Mammography = "mammography",
        Dental = "dental",
        Dxa = "dxa",
        NuclearMedicine = "nuclear-medicine",
        Pet = "pet",
        InterventionalRadiology = "interventional-radiology",
        InterventionalCardiology = "interventional-cardiology",
        InterventionalCt = "interventional-ct",
        RtPlanningScan = "rt-planning-scan",
        RtVerificationImaging = "rt-verification-imaging",
        ExternalBeam = "external-beam",
        Brachytherapy = "brachytherapy",
        IntraoperativeRadiotherapy = "intraoperative-radiotherapy",
        Sirt = "sirt",
        NuclearMedicineTherapy = "nuclear-medicine-therapy",
    }
);

/// The exposure category a modality implies (the contract's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExposureCategory {
    /// Diagnostic, including diagnostic nuclear medicine.
    Diagnostic,
    Interventional,
    RadiotherapyPlanning,
    RadiotherapyVerification,
    RadiotherapyTreatment,
    Sirt,
    NuclearMedicineTherapy,
}

impl ExposureCategory {
    pub const fn describe(self) -> &'static str {
        match self {
            ExposureCategory::Diagnostic => "diagnostic imaging",
            ExposureCategory::Interventional => "interventional radiology or cardiology",
            ExposureCategory::RadiotherapyPlanning => "radiotherapy planning imaging",
            ExposureCategory::RadiotherapyVerification => "radiotherapy verification imaging",
            ExposureCategory::RadiotherapyTreatment => "radiotherapy treatment",
            ExposureCategory::Sirt => "selective internal radiation therapy",
            ExposureCategory::NuclearMedicineTherapy => "nuclear medicine therapy",
        }
    }
}

impl Modality {
    /// Its name for people.
    pub const fn label(self) -> &'static str {
        use Modality::*;
        match self {
            Radiography => "Radiography (plain X-ray)",
            Fluoroscopy => "Fluoroscopy",
            Ct => "CT",
            Mammography => "Mammography",
            Dental => "Dental",
            Dxa => "DXA (bone densitometry)",
            NuclearMedicine => "Nuclear medicine (diagnostic)",
            Pet => "PET",
            InterventionalRadiology => "Interventional radiology",
            InterventionalCardiology => "Interventional cardiology",
            InterventionalCt => "Interventional CT",
            RtPlanningScan => "Radiotherapy planning scan",
            RtVerificationImaging => "Radiotherapy verification imaging",
            ExternalBeam => "External beam radiotherapy",
            Brachytherapy => "Brachytherapy",
            IntraoperativeRadiotherapy => "Intraoperative radiotherapy",
            Sirt => "SIRT (selective internal radiation therapy)",
            NuclearMedicineTherapy => "Nuclear medicine therapy",
        }
    }

    pub const fn category(self) -> ExposureCategory {
        use Modality::*;
        match self {
            Radiography | Fluoroscopy | Ct | Mammography | Dental | Dxa | NuclearMedicine | Pet => {
                ExposureCategory::Diagnostic
            }
            InterventionalRadiology | InterventionalCardiology | InterventionalCt => {
                ExposureCategory::Interventional
            }
            RtPlanningScan => ExposureCategory::RadiotherapyPlanning,
            RtVerificationImaging => ExposureCategory::RadiotherapyVerification,
            ExternalBeam | Brachytherapy | IntraoperativeRadiotherapy => {
                ExposureCategory::RadiotherapyTreatment
            }
            Sirt => ExposureCategory::Sirt,
            NuclearMedicineTherapy => ExposureCategory::NuclearMedicineTherapy,
        }
    }

    /// Administers a radioactive substance (codes 6 and 7 can apply).
    pub const fn is_nuclear_medicine(self) -> bool {
        matches!(
            self,
            Modality::NuclearMedicine
                | Modality::Pet
                | Modality::Sirt
                | Modality::NuclearMedicineTherapy
        )
    }
}

named_enum!(
    /// What happened to the individual the incident is about.
    ExposureKind {
        /// No exposure of any kind was intended for them (e.g. wrong patient).
        Accidental = "accidental",
        /// An exposure was intended, but what they received was significantly
        /// greater or different.
        Unintended = "unintended",
        /// Their own exposure went as intended; the incident concerns
        /// something else (a foetus, an infant, a licence).
        Intended = "intended",
        /// A near miss: nothing was delivered.
        None = "none",
    }
);

impl ExposureKind {
    /// In words, as a person would say it.
    pub const fn words(self) -> &'static str {
        match self {
            ExposureKind::Accidental => "Accidental: no exposure was intended for them",
            ExposureKind::Unintended => {
                "Unintended: an exposure was intended, but what they received was significantly greater or different"
            }
            ExposureKind::Intended => {
                "Their own exposure was as intended; the incident concerns another (an unborn child, an infant, a licence)"
            }
            ExposureKind::None => "Near miss: nothing was delivered",
        }
    }
}

impl ErrorKind {
    /// In words: "Human error", "Equipment fault"…
    pub const fn words(self) -> &'static str {
        match self {
            ErrorKind::Procedural => "Procedural failure",
            ErrorKind::Human => "Human error",
            ErrorKind::Systematic => "Systematic failure",
            ErrorKind::Equipment => "Equipment fault",
        }
    }
}

named_enum!(
    /// Who was exposed.
    #[derive(Default)]
    Person {
        #[default]
        Patient = "patient",
        /// Outside IR(ME)R: reported to HSE.
        Public = "public",
        /// Outside IR(ME)R: reported to HSE.
        Worker = "worker",
    }
);

named_enum!(
    AgeGroup {
        Adult = "adult",
        Child = "child",
    }
);

named_enum!(
    /// What went wrong.
    ErrorKind {
        Procedural = "procedural",
        Human = "human",
        Systematic = "systematic",
        Equipment = "equipment",
    }
);

named_enum!(
    DoseUnit {
        Msv = "mSv",
        Mgy = "mGy",
        MgyCm = "mGy.cm",
        GyCm2 = "Gy.cm2",
        Mbq = "MBq",
    }
);

named_enum!(
    VerificationCause {
        SetUp = "set-up",
        Equipment = "equipment",
        Protocol = "protocol",
    }
);

named_enum!(
    Structure {
        /// Planning target volume.
        Ptv = "ptv",
        /// Organ at risk.
        Oar = "oar",
    }
);

named_enum!(
    DeliveryScope {
        Course = "course",
        Fraction = "fraction",
    }
);

named_enum!(
    #[derive(Default)]
    GeographicalMiss {
        #[default]
        None = "none",
        Total = "total",
        Partial = "partial",
    }
);

/// A civil date (`YYYY-MM-DD`, UK), between 1900 and 2999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(pub(crate) time::Date);

impl CivilDate {
    /// Reads `YYYY-MM-DD`, exactly that form.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = u8::try_from(digits(5..7)?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        Self::from_ymd(year, month, day)
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        (1900..=2999).contains(&year).then_some(CivilDate(date))
    }

    /// This date plus `days` calendar days. Always defined: the year range
    /// leaves room for any deadline.
    pub fn plus_days(self, days: u16) -> CivilDate {
        CivilDate(
            self.0
                .checked_add(time::Duration::days(i64::from(days)))
                .unwrap_or(self.0),
        )
    }

    /// Calendar days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: CivilDate) -> i64 {
        (other.0 - self.0).whole_days()
    }

    pub fn date(self) -> time::Date {
        self.0
    }

    /// As GOV.UK writes it: `28 November 2026`.
    pub fn words(self) -> String {
        crate::lifecycle::long_date(self.0)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), self.0.month() as u8, self.0.day());
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for CivilDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CivilDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = CivilDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CivilDate, E> {
                CivilDate::parse(v).ok_or_else(|| {
                    E::custom(format!(
                        "expected a real date as YYYY-MM-DD between 1900 and 2999, found {v:?}"
                    ))
                })
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

/// A time of day, `HH:MM` on the 24-hour clock (UK local time): when an
/// exposure took place, as incident systems record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

impl TimeOfDay {
    /// `HH:MM`, 00:00 to 23:59, two digits each.
    pub fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.split_once(':')?;
        let two = |t: &str| {
            (t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u8>().ok())
                .flatten()
        };
        let (hour, minute) = (two(h)?, two(m)?);
        (hour < 24 && minute < 60).then_some(TimeOfDay { hour, minute })
    }

    pub const fn hour(self) -> u8 {
        self.hour
    }

    pub const fn minute(self) -> u8 {
        self.minute
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;
        impl Visitor<'_> for TimeVisitor {
            type Value = TimeOfDay;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time of day as HH:MM")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeOfDay, E> {
                TimeOfDay::parse(v).ok_or_else(|| {
                    E::custom(format!(
                        "expected a time of day as HH:MM on the 24-hour clock (00:00 to 23:59), found {v:?}"
                    ))
                })
            }
        }
        deserializer.deserialize_str(TimeVisitor)
    }
}

/// The longest title: a line, as an incident system's list shows it.
pub const TITLE_MAX: usize = 200;

/// The employer's own reference: 1 to 100 printable characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("expected a reference of 1 to 100 characters, found an empty text".into());
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(format!(
                "expected a reference of 1 to 100 characters, found {} characters",
                trimmed.chars().count()
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("expected a reference without control characters".into());
        }
        Ok(Reference(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;
        impl Visitor<'_> for RefVisitor {
            type Value = Reference;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a reference of 1 to 100 characters")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Reference, E> {
                Reference::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(RefVisitor)
    }
}

/// The patient's age: whole years, or only the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PatientWire", into = "PatientWire")]
pub enum Patient {
    Age(u8),
    Group(AgeGroup),
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatientWire {
    #[serde(
        default,
        deserialize_with = "age",
        skip_serializing_if = "Option::is_none"
    )]
    age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    age_group: Option<AgeGroup>,
}

fn age<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    struct Age(u8);
    impl<'de> Deserialize<'de> for Age {
        fn deserialize<D2: Deserializer<'de>>(d: D2) -> Result<Self, D2::Error> {
            let years = wire::whole(d, 0, 130, "a whole number of years from 0 to 130")?;
            Ok(Age(u8::try_from(years).unwrap_or(u8::MAX)))
        }
    }
    Ok(Option::<Age>::deserialize(d)?.map(|a| a.0))
}

impl TryFrom<PatientWire> for Patient {
    type Error = String;
    fn try_from(wire: PatientWire) -> Result<Self, String> {
        match (wire.age, wire.age_group) {
            (Some(age), None) => Ok(Patient::Age(age)),
            (None, Some(group)) => Ok(Patient::Group(group)),
            (Some(_), Some(_)) => Err(
                "expected either age or age_group, not both (give the age when it is known)".into(),
            ),
            (None, None) => Err("expected age (whole years) or age_group (adult or child)".into()),
        }
    }
}

impl From<Patient> for PatientWire {
    fn from(patient: Patient) -> Self {
        match patient {
            Patient::Age(age) => PatientWire {
                age: Some(age),
                age_group: None,
            },
            Patient::Group(group) => PatientWire {
                age: None,
                age_group: Some(group),
            },
        }
    }
}

/// The errors named on an incident, as a set (order and repeats do not
/// matter). `Some(empty)` is positive evidence that nothing went wrong.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Errors(u8);

impl Errors {
    pub const NONE: Errors = Errors(0);

    pub fn of(kinds: &[ErrorKind]) -> Self {
        kinds.iter().fold(Errors(0), |set, &k| set.with(k))
    }

    pub const fn with(self, kind: ErrorKind) -> Self {
        Errors(self.0 | (1 << kind as u8))
    }

    pub const fn contains(self, kind: ErrorKind) -> bool {
        self.0 & (1 << kind as u8) != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = ErrorKind> {
        ErrorKind::ALL
            .iter()
            .copied()
            .filter(move |&k| self.contains(k))
    }
}

impl Serialize for Errors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for kind in self.iter() {
            seq.serialize_element(&kind)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Errors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ErrorsVisitor;
        impl<'de> Visitor<'de> for ErrorsVisitor {
            type Value = Errors;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of procedural, human, systematic, equipment ([] for none)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Errors, A::Error> {
                let mut set = Errors::NONE;
                while let Some(kind) = seq.next_element::<ErrorKind>()? {
                    set = set.with(kind);
                }
                Ok(set)
            }
        }
        deserializer.deserialize_seq(ErrorsVisitor)
    }
}

quantity_field!(
    dose_value,
    opt_dose_value,
    wire::quantity,
    "a dose, a number 0 or more"
);
quantity_field!(
    gy,
    gy_opt,
    wire::quantity,
    "a dose in Gy, a number 0 or more"
);
quantity_field!(
    intended_gy,
    intended_gy_opt,
    wire::positive_quantity,
    "a dose in Gy, a number greater than 0"
);
quantity_field!(
    mgy,
    opt_mgy,
    wire::quantity,
    "a dose in mGy, a number 0 or more"
);
quantity_field!(
    msv,
    opt_msv,
    wire::quantity,
    "a dose in mSv, a number 0 or more"
);
quantity_field!(
    mm,
    opt_mm,
    wire::quantity,
    "a distance in mm, a number 0 or more"
);
quantity_field!(
    margin,
    opt_margin,
    wire::positive_quantity,
    "a distance in mm, a number greater than 0"
);
quantity_field!(
    mbq,
    opt_mbq,
    wire::quantity,
    "an activity in MBq, a number 0 or more"
);
quantity_field!(
    prescribed,
    opt_prescribed,
    wire::positive_quantity,
    "an activity in MBq, a number greater than 0"
);

/// The effective dose to the individual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dose {
    #[serde(default = "default_unit", deserialize_with = "unit")]
    pub unit: DoseUnit,
    #[serde(
        default,
        deserialize_with = "opt_dose_value",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub intended: Option<Quantity>,
    /// The total from the incident: intended + over-exposure + repeats.
    #[serde(
        default,
        deserialize_with = "opt_dose_value",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub received: Option<Quantity>,
}

fn default_unit() -> DoseUnit {
    DoseUnit::Msv
}

/// Radiotherapy verification imaging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// The most images in any single fraction, the intended one included.
    #[serde(
        default,
        deserialize_with = "opt_images_in_fraction",
        skip_serializing_if = "Option::is_none"
    )]
    pub images_in_fraction: Option<u32>,
    /// Intended images over the whole course.
    #[serde(
        default,
        deserialize_with = "opt_image_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub intended_images: Option<u32>,
    /// Additional images over the whole course.
    #[serde(
        default,
        deserialize_with = "opt_image_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub additional_images: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<VerificationCause>,
    /// A thematic (persistent or repeated) hardware or software failure.
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub thematic: bool,
}

fn opt_whole<'de, D: Deserializer<'de>>(
    d: D,
    min: u32,
    max: u32,
    expecting: &'static str,
) -> Result<Option<u32>, D::Error> {
    struct Count(u32);
    struct Seed {
        min: u32,
        max: u32,
        expecting: &'static str,
    }
    impl<'de> de::DeserializeSeed<'de> for Seed {
        type Value = Count;
        fn deserialize<D2: Deserializer<'de>>(self, d: D2) -> Result<Count, D2::Error> {
            wire::whole(d, self.min, self.max, self.expecting).map(Count)
        }
    }
    struct OptVisitor(Seed);
    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0.expecting)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<u32>, D2::Error> {
            de::DeserializeSeed::deserialize(self.0, d).map(|c| Some(c.0))
        }
    }
    d.deserialize_option(OptVisitor(Seed {
        min,
        max,
        expecting,
    }))
}

const MAX_COUNT: u32 = 100_000;

fn opt_images_in_fraction<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    opt_whole(d, 1, MAX_COUNT, "a whole number of images, 1 or more")
}

fn opt_image_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    opt_whole(d, 0, MAX_COUNT, "a whole number of images, 0 or more")
}

fn opt_planning_scans<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    opt_whole(d, 1, MAX_COUNT, "a whole number of scans, 1 or more")
}

fn people<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(opt_whole(d, 1, 100_000_000, "a whole number of people, 1 or more")?.unwrap_or(1))
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// A foetus was exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Foetus {
    #[serde(
        default,
        deserialize_with = "opt_mgy",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub dose_mgy: Option<Quantity>,
    /// Whether foetal exposure was intended.
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub intended: bool,
}

/// Another radiopharmaceutical than intended may have been administered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radiopharmaceutical {
    #[serde(deserialize_with = "name")]
    pub intended: String,
    #[serde(deserialize_with = "name")]
    pub administered: String,
}

fn name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(de::Error::custom(format!(
            "expected a radiopharmaceutical name of 1 to 200 characters, found {text:?}"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Radiotherapy delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Therapy {
    /// `None`: not given (criteria 8.x and 9.2 undetermined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<Delivery>>,
    #[serde(
        default,
        deserialize_with = "null_is_default",
        skip_serializing_if = "is_no_miss"
    )]
    pub geographical_miss: GeographicalMiss,
    #[serde(
        default,
        deserialize_with = "opt_mm",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub miss_mm: Option<Quantity>,
    /// The locally defined error margin (or the local imaging action level).
    #[serde(
        default,
        deserialize_with = "opt_margin",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub margin_mm: Option<Quantity>,
}

fn is_no_miss(miss: &GeographicalMiss) -> bool {
    *miss == GeographicalMiss::None
}

/// One delivered dose against its intended dose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub structure: Structure,
    pub scope: DeliveryScope,
    #[serde(
        deserialize_with = "intended_gy",
        serialize_with = "serialize_quantity"
    )]
    pub intended_gy: Quantity,
    #[serde(deserialize_with = "gy", serialize_with = "serialize_quantity")]
    pub delivered_gy: Quantity,
}

/// Nuclear medicine therapy activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    #[serde(
        default,
        deserialize_with = "opt_prescribed",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub prescribed_mbq: Option<Quantity>,
    #[serde(
        default,
        deserialize_with = "opt_mbq",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub delivered_mbq: Option<Quantity>,
}

/// ARSAC licensing for administering a radioactive substance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// `Some(false)`: the employer held no appropriate licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<bool>,
    /// `Some(false)`: the practitioner held no appropriate licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<bool>,
}

impl Licence {
    pub fn breached(&self) -> bool {
        self.employer == Some(false) || self.practitioner == Some(false)
    }
}

/// One accidental or unintended exposure (or near miss), as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    pub nation: Nation,
    /// The deadline clocks start here.
    pub discovered: CivilDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred: Option<CivilDate>,
    /// The time of day of the exposure (UK local time), with `occurred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_time: Option<TimeOfDay>,
    /// A short title, as a local incident system lists it (free text;
    /// never read by the criteria engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub modality: Modality,
    pub exposure: ExposureKind,
    #[serde(
        default,
        deserialize_with = "person",
        skip_serializing_if = "is_patient"
    )]
    pub person: Person,
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub before_clinical_use: bool,
    #[serde(
        default = "one",
        deserialize_with = "people",
        skip_serializing_if = "is_one"
    )]
    pub people: u32,
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub theme: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<Patient>,
    /// `None`: not yet known. `Some(empty)`: no error at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Errors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose: Option<Dose>,
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub tissue_reaction: bool,
    #[serde(
        default,
        deserialize_with = "opt_planning_scans",
        skip_serializing_if = "Option::is_none"
    )]
    pub planning_scans: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foetus: Option<Foetus>,
    #[serde(
        default,
        deserialize_with = "opt_msv",
        serialize_with = "serialize_opt_quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub infant_dose_msv: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radiopharmaceutical: Option<Radiopharmaceutical>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub therapy: Option<Therapy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub clinically_significant: bool,
    #[serde(
        default,
        deserialize_with = "wire::flag",
        skip_serializing_if = "is_false"
    )]
    pub voluntary: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<Licence>,
    /// Free text; never read by the criteria engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What was done at once (free text): the patient reviewed, the
    /// equipment taken out of use…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immediate_action: Option<String>,
    /// The investigation's causes: tier-3 codes of the cause taxonomy
    /// (`operator.pre-exposure-checks.wrong-protocol`), checked against it
    /// by the register. Never read by the criteria engine.
    #[serde(
        default,
        deserialize_with = "null_is_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub causes: Vec<String>,
    /// What contributed, a few words each (free text).
    #[serde(
        default,
        deserialize_with = "null_is_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contributing_factors: Vec<String>,
}

/// The most causes, or contributing factors, an incident has.
pub const MOST_CAUSES: usize = 20;
/// The longest contributing factor.
pub const FACTOR_MAX: usize = 200;

/// Whether a text has the shape of a tier-3 cause code: three parts
/// joined by dots, each lower-case letters, digits and hyphens from a
/// letter (whether it is in the taxonomy is the register's check).
pub fn is_cause_code(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| is_code_part(p))
}

/// One part of a cause code: lower-case letters, digits and hyphens,
/// from a letter.
pub fn is_code_part(part: &str) -> bool {
    part.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn person<'de, D: Deserializer<'de>>(d: D) -> Result<Person, D::Error> {
    Ok(Option::<Person>::deserialize(d)?.unwrap_or_default())
}

/// `null` is absent: the field's default.
fn null_is_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A dose's unit; `null` is absent (mSv).
fn unit<'de, D: Deserializer<'de>>(d: D) -> Result<DoseUnit, D::Error> {
    Ok(Option::<DoseUnit>::deserialize(d)?.unwrap_or_else(default_unit))
}

fn is_patient(person: &Person) -> bool {
    *person == Person::Patient
}

impl Incident {
    /// A minimal incident: the four required facts, everything else absent.
    pub fn new(
        nation: Nation,
        discovered: CivilDate,
        modality: Modality,
        exposure: ExposureKind,
    ) -> Self {
        Incident {
            reference: None,
            nation,
            discovered,
            occurred: None,
            occurred_time: None,
            title: None,
            modality,
            exposure,
            person: Person::Patient,
            before_clinical_use: false,
            people: 1,
            theme: false,
            patient: None,
            errors: None,
            dose: None,
            tissue_reaction: false,
            planning_scans: None,
            verification: None,
            foetus: None,
            infant_dose_msv: None,
            radiopharmaceutical: None,
            therapy: None,
            activity: None,
            clinically_significant: false,
            voluntary: false,
            licence: None,
            description: None,
            immediate_action: None,
            causes: Vec::new(),
            contributing_factors: Vec::new(),
        }
    }

    /// The nation's name as people write it.
    pub const fn nation_name(&self) -> &'static str {
        match self.nation {
            Nation::England => "England",
            Nation::Wales => "Wales",
            Nation::Scotland => "Scotland",
            Nation::NorthernIreland => "Northern Ireland",
        }
    }

    /// Checks what no single field can: facts that contradict each other.
    /// Returns the field path and what was expected.
    pub fn check_consistency(&self) -> Result<(), (&'static str, String)> {
        if self.occurred_time.is_some() && self.occurred.is_none() {
            return Err((
                "occurred_time",
                "expected with occurred (the date of the exposure), found a time without a date"
                    .into(),
            ));
        }
        if self.causes.len() > MOST_CAUSES {
            return Err((
                "causes",
                format!(
                    "expected at most {MOST_CAUSES} causes, found {}",
                    self.causes.len()
                ),
            ));
        }
        for (i, code) in self.causes.iter().enumerate() {
            if !is_cause_code(code) {
                return Err((
                    "causes",
                    format!(
                        "causes[{i}]: expected a tier-3 cause code such as operator.pre-exposure-checks.wrong-protocol (irmer taxonomy lists them), found {code:?}"
                    ),
                ));
            }
            if self.causes[..i].contains(code) {
                return Err(("causes", format!("causes[{i}]: {code} is given twice")));
            }
        }
        if self.contributing_factors.len() > MOST_CAUSES {
            return Err((
                "contributing_factors",
                format!(
                    "expected at most {MOST_CAUSES} contributing factors, found {}",
                    self.contributing_factors.len()
                ),
            ));
        }
        for (i, factor) in self.contributing_factors.iter().enumerate() {
            let n = factor.chars().count();
            if factor.trim().is_empty() || n > FACTOR_MAX {
                return Err((
                    "contributing_factors",
                    format!(
                        "contributing_factors[{i}]: expected 1 to {FACTOR_MAX} characters, found {n}"
                    ),
                ));
            }
        }
        if let Some(title) = &self.title {
            let n = title.chars().count();
            if title.trim().is_empty() || n > TITLE_MAX {
                return Err((
                    "title",
                    format!("expected a title of 1 to {TITLE_MAX} characters, found {n}"),
                ));
            }
        }
        if let Some(occurred) = self.occurred {
            if occurred > self.discovered {
                return Err((
                    "occurred",
                    format!(
                        "expected a date on or before discovered ({}), found {occurred}",
                        self.discovered
                    ),
                ));
            }
        }
        if self.exposure == ExposureKind::Accidental {
            if let Some(intended) = self.dose.and_then(|d| d.intended) {
                if !intended.is_zero() {
                    return Err((
                        "dose.intended",
                        format!(
                            "expected 0 or no intended dose for an accidental exposure (none was intended), found {intended}"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
