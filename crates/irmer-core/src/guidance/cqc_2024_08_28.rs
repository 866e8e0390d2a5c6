//! The notification criteria of the IR(ME)R guidance updated 28 August 2024,
//! read as `shared/spec/interpretations.md` says.
//!
//! Every threshold and factor of the table is a constant below; every reading
//! of an unclear edge is named in a `READING_*` note that the assessment
//! carries whenever the reading decided something.

use std::borrow::Cow;

use crate::assessment::{
    Assessment, CriterionResult, Deadlines, Duty, EnforcingAuthority, OtherBody, OtherReport,
    Outcome, Status,
};
use crate::codes::{Criterion, CriterionId, Letter, NotificationCode};
use crate::guidance::{GuidanceVersion, Settings};
use crate::incident::{
    AgeGroup, DeliveryScope, Dose, DoseUnit, ErrorKind, Errors, ExposureCategory, ExposureKind,
    GeographicalMiss, Incident, Modality, Nation, Patient, Person, Structure, VerificationCause,
};
use crate::quantity::{Factor, Quantity};
use crate::radiopharmaceutical::same_radiopharmaceutical;

// ---- The table's thresholds and factors, exact. ----

/// Code 1 (England) and 2.1: adult threshold, mSv effective dose.
pub const ADULT_MSV: Quantity = Quantity::whole(3);
/// Code 1 (England) and 2.1: child threshold, mSv effective dose.
pub const CHILD_MSV: Quantity = Quantity::whole(1);
/// Band edges of the intended dose for codes 2.1–2.4, mSv.
pub const BAND_2_2_FROM: Quantity = Quantity::from_parts(3, 1);
pub const BAND_2_3_FROM: Quantity = Quantity::from_parts(25, 1);
pub const BAND_2_3_TO: Quantity = Quantity::whole(10);
/// Code 2.2: 10 or more times intended.
pub const FACTOR_2_2: Factor = Factor::new(10, 1);
/// Code 2.3: 25 mSv or above.
pub const THRESHOLD_2_3_MSV: Quantity = Quantity::whole(25);
/// Code 2.4: 2.5 or more times intended.
pub const FACTOR_2_4: Factor = Factor::new(5, 2);
/// Code 4.1: planning scans in total, the intended one included.
pub const PLANNING_SCANS: u32 = 3;
/// Code 4.2a: images in a single fraction, the intended one included.
pub const IMAGES_IN_FRACTION: u32 = 3;
/// Codes 4.2b/c: additional images at least this fraction of the intended.
pub const ADDITIONAL_IMAGES: Factor = Factor::new(1, 2);
/// Code 5: foetal dose, mGy.
pub const FOETAL_MGY: Quantity = Quantity::whole(10);
/// Code 6: breast-feeding infant effective dose, mSv.
pub const INFANT_MSV: Quantity = Quantity::whole(1);
/// Code 8.1: whole course, 1.1 or more times intended.
pub const OVER_COURSE: Factor = Factor::new(11, 10);
/// Code 8.1: any fraction, 1.2 or more times intended.
pub const OVER_FRACTION: Factor = Factor::new(12, 10);
/// Code 8.2: whole course, 0.9 or less times intended (PTV).
pub const UNDER_COURSE: Factor = Factor::new(9, 10);
/// Code 9.2: the miss must exceed this multiple of the error margin.
pub const MISS_MARGIN: Factor = Factor::new(5, 2);
/// Code 10.1 (SIRT): outside ±20%.
pub const SIRT_LOW: Factor = Factor::new(8, 10);
pub const SIRT_HIGH: Factor = Factor::new(12, 10);
/// Code 10.2: outside ±10%.
pub const NMT_LOW: Factor = Factor::new(9, 10);
pub const NMT_HIGH: Factor = Factor::new(11, 10);

// ---- Readings of unclear edges (interpretations.md), named when applied. ----

pub const READING_BAND_EDGE: &str = "reading: the intended dose sits exactly on a band edge (0.3, 2.5 or 10 mSv); the bands are 2.1 < 0.3 <= 2.2 < 2.5 <= 2.3 <= 10 < 2.4, and the adult thresholds meet at the edges, so the edge changes only the code's label";
pub const READING_V_DROPPED: &str = "reading: V is dropped on a statutory notification (voluntary applies only to incidents known not to be statutory)";
pub const READING_V_WAITS: &str =
    "reading: V waits until the statutory question is decided (the outcome stays undetermined)";
pub const READING_MISS_NOT_8_2: &str = "reading: with a geographical miss the under-dose is judged under 9.1/9.2 only, so 8.2 is not applicable; 8.1 is still assessed";
pub const READING_NO_CATEGORY: &str = "reading: a complementary code needs a category code, and none could be found; the outcome stands, the letter is left out of codes until the missing facts are given";
pub const READING_TECHNICAL_REPEAT: &str = "reading: errors [] is positive evidence of no procedural, human, systematic or equipment error (a technical repeat), which is not a SAUE";
pub const READING_ABSENT_ERRORS: &str = "reading: errors not given is unknown: code 6 needs a failure in procedure, so it stays undetermined";
pub const NOTE_NEAR_MISS: &str = "a near miss: no statutory criterion applies; record and investigate it (regulation 8(3)); it may be notified voluntarily (V) to share learning";
pub const READING_C_NOT_EXPOSURE: &str = "reading: clinically_significant is set, but C applies to accidental or unintended exposures; apply the employer's own procedure and the duty of candour as it requires";

/// The criteria a modality's exposure category can reach (the contract's
/// table), in the table's order.
pub fn criteria_for(modality: Modality) -> &'static [Criterion] {
    use Criterion::*;
    match modality.category() {
        ExposureCategory::Diagnostic if modality.is_nuclear_medicine() => {
            &[C1, C2_1, C2_2, C2_3, C2_4, C5, C6, C7]
        }
        ExposureCategory::Diagnostic => &[C1, C2_1, C2_2, C2_3, C2_4, C5],
        ExposureCategory::Interventional => &[C1, C2_1, C2_2, C2_3, C2_4, C3, C5],
        ExposureCategory::RadiotherapyPlanning => &[C1, C2_1, C2_2, C2_3, C2_4, C4_1, C5],
        ExposureCategory::RadiotherapyVerification => {
            &[C1, C2_1, C2_2, C2_3, C2_4, C4_2a, C4_2b, C4_2c, C5]
        }
        ExposureCategory::RadiotherapyTreatment => &[C1, C5, C8_1, C8_2, C9_1, C9_2],
        ExposureCategory::Sirt => &[C1, C5, C6, C7, C10_1],
        ExposureCategory::NuclearMedicineTherapy => &[C1, C5, C6, C7, C10_2],
    }
}

pub fn assess(incident: &Incident, settings: &Settings) -> Assessment {
    let mut judge = Judge {
        i: incident,
        settings,
        criteria: Vec::with_capacity(12),
        missing: Vec::new(),
        notes: Vec::new(),
    };
    let mut criteria = criteria_for(incident.modality).iter().copied().peekable();
    while let Some(code) = criteria.next() {
        if code == Criterion::C2_1 {
            judge.bands();
            // The band judgement covers 2.1 to 2.4.
            while criteria
                .next_if(|c| matches!(c, Criterion::C2_2 | Criterion::C2_3 | Criterion::C2_4))
                .is_some()
            {}
        } else {
            judge.criterion(code);
        }
    }
    judge.finish()
}

struct Judge<'a> {
    i: &'a Incident,
    settings: &'a Settings,
    criteria: Vec<CriterionResult>,
    missing: Vec<Cow<'static, str>>,
    notes: Vec<Cow<'static, str>>,
}

/// A dose read for a criterion stated in mSv.
enum Msv {
    Value(Quantity),
    Missing,
    OtherUnit(DoseUnit),
}

enum AgeClass {
    Adult,
    Child,
    Unknown,
}

type Reason = Cow<'static, str>;

impl Judge<'_> {
    fn push(&mut self, code: Criterion, status: Status, reason: impl Into<Reason>) {
        self.criteria.push(CriterionResult {
            code: CriterionId::Code(code),
            status,
            reason: reason.into(),
        });
    }

    fn undetermined(
        &mut self,
        code: Criterion,
        reason: impl Into<Reason>,
        missing: &[&'static str],
    ) {
        for path in missing {
            self.miss(path);
        }
        self.push(code, Status::Undetermined, reason);
    }

    fn miss(&mut self, path: &'static str) {
        if !self.missing.iter().any(|m| m == path) {
            self.missing.push(Cow::Borrowed(path));
        }
    }

    fn note(&mut self, note: impl Into<Reason>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// `errors: []`: nothing went wrong.
    fn no_error(&self) -> bool {
        self.i.errors == Some(Errors::NONE)
    }

    fn technical_repeat(&mut self, code: Criterion) {
        self.note(READING_TECHNICAL_REPEAT);
        self.push(
            code,
            Status::NotMet,
            "errors [] records no procedural, human, systematic or equipment error (e.g. a technical repeat): not a SAUE",
        );
    }

    fn out_of_scope(&self) -> Option<&'static str> {
        if self.i.before_clinical_use {
            return Some(
                "the equipment was not yet in clinical use (e.g. a critical examination): not a medical exposure under IR(ME)R; report an over-exposure to HSE",
            );
        }
        match self.i.person {
            Person::Patient => None,
            Person::Public => Some(
                "a member of the public was exposed: outside IR(ME)R; report an over-exposure to HSE (IRR17 regulation 26)",
            ),
            Person::Worker => Some(
                "a worker was exposed: outside IR(ME)R; report an over-exposure to HSE (IRR17 regulation 26)",
            ),
        }
    }

    /// Why `code` cannot apply to this exposure, if it cannot.
    fn gate(&self, code: Criterion) -> Option<&'static str> {
        if let Some(why) = self.out_of_scope() {
            return Some(why);
        }
        let exposure = self.i.exposure;
        if exposure == ExposureKind::None {
            return Some("a near miss: nothing was delivered");
        }
        match code {
            Criterion::C1 => (exposure != ExposureKind::Accidental)
                .then_some("for accidental exposures only (no exposure of any kind was intended)"),
            Criterion::C5 | Criterion::C6 => None,
            _ => match exposure {
                ExposureKind::Accidental => {
                    Some("for unintended exposures only; an accidental one is judged under code 1")
                }
                ExposureKind::Intended => {
                    Some("for unintended exposures only; this exposure went as intended")
                }
                _ => None,
            },
        }
    }

    fn dose_msv(&self, pick: fn(&Dose) -> Option<Quantity>) -> Msv {
        match self.i.dose {
            None => Msv::Missing,
            Some(dose) => match pick(&dose) {
                None => Msv::Missing,
                Some(_) if dose.unit != DoseUnit::Msv => Msv::OtherUnit(dose.unit),
                Some(value) => Msv::Value(value),
            },
        }
    }

    fn age_class(&mut self) -> AgeClass {
        let under = self.settings.child_age_under;
        match self.i.patient {
            Some(Patient::Age(age)) => {
                let near = matches!(age, 16 | 17) || (age < under && age + 2 >= under);
                let child = age < under;
                if near {
                    self.note(format!(
                        "reading: age {age} is read as {} (the child thresholds apply under {under}, a setting; the guidance's footnote on who is a child is not in the text this project holds)",
                        if child { "a child" } else { "an adult" }
                    ));
                }
                if child {
                    AgeClass::Child
                } else {
                    AgeClass::Adult
                }
            }
            Some(Patient::Group(AgeGroup::Adult)) => AgeClass::Adult,
            Some(Patient::Group(AgeGroup::Child)) => AgeClass::Child,
            None => AgeClass::Unknown,
        }
    }

    fn age_text(&self) -> String {
        match self.i.patient {
            Some(Patient::Age(age)) => format!("age {age}"),
            Some(Patient::Group(group)) => group.as_str().to_owned(),
            None => "age not given".to_owned(),
        }
    }

    /// Code 1 (England) and 2.1: 3 mSv or above for an adult, 1 mSv or above
    /// for a child.
    fn age_threshold(&mut self, code: Criterion, received: Quantity, lead: &str) {
        let who = self.age_text();
        match self.age_class() {
            AgeClass::Adult => {
                let met = received >= ADULT_MSV;
                let side = if met { "at least" } else { "under" };
                let status = if met { Status::Met } else { Status::NotMet };
                self.push(code, status, format!("{lead}total {received} mSv is {side} the adult threshold of 3 mSv ({who})"));
            }
            AgeClass::Child => {
                let met = received >= CHILD_MSV;
                let side = if met { "at least" } else { "under" };
                let status = if met { Status::Met } else { Status::NotMet };
                self.push(code, status, format!("{lead}total {received} mSv is {side} the child threshold of 1 mSv ({who}, a child)"));
            }
            AgeClass::Unknown if received >= ADULT_MSV => {
                self.push(code, Status::Met, format!("{lead}total {received} mSv meets even the adult threshold of 3 mSv (age not given)"));
            }
            AgeClass::Unknown if received < CHILD_MSV => {
                self.push(code, Status::NotMet, format!("{lead}total {received} mSv is under even the child threshold of 1 mSv (age not given)"));
            }
            AgeClass::Unknown => self.undetermined(
                code,
                format!("{lead}total {received} mSv reaches the child threshold (1 mSv) but not the adult one (3 mSv), and no age is given"),
                &["patient.age"],
            ),
        }
    }

    fn criterion(&mut self, code: Criterion) {
        if let Some(why) = self.gate(code) {
            self.push(code, Status::NotApplicable, why);
            return;
        }
        match code {
            Criterion::C1 => self.code_1(),
            Criterion::C3 => self.code_3(),
            Criterion::C4_1 => self.code_4_1(),
            Criterion::C4_2a => self.code_4_2a(),
            Criterion::C4_2b => self.code_4_2bc(Criterion::C4_2b),
            Criterion::C4_2c => self.code_4_2bc(Criterion::C4_2c),
            Criterion::C5 => self.code_5(),
            Criterion::C6 => self.code_6(),
            Criterion::C7 => self.code_7(),
            Criterion::C8_1 => self.code_8_1(),
            Criterion::C8_2 => self.code_8_2(),
            Criterion::C9_1 => self.code_9_1(),
            Criterion::C9_2 => self.code_9_2(),
            Criterion::C10_1 => self.code_10(Criterion::C10_1, SIRT_LOW, SIRT_HIGH, "20%"),
            Criterion::C10_2 => self.code_10(Criterion::C10_2, NMT_LOW, NMT_HIGH, "10%"),
            Criterion::C2_1 | Criterion::C2_2 | Criterion::C2_3 | Criterion::C2_4 => self.bands(),
        }
    }

    fn code_1(&mut self) {
        let code = Criterion::C1;
        if self.no_error() {
            return self.technical_repeat(code);
        }
        let elsewhere = match self.i.nation {
            Nation::England => None,
            Nation::Wales => {
                Some("in Wales every accidental exposure is notifiable, whatever the dose")
            }
            Nation::Scotland => {
                Some("in Scotland every accidental exposure is notifiable, whatever the dose")
            }
            Nation::NorthernIreland => Some(
                "in Northern Ireland every accidental exposure is notifiable, whatever the dose",
            ),
        };
        if let Some(reason) = elsewhere {
            return self.push(code, Status::Met, reason);
        }
        match self.dose_msv(|d| d.received) {
            Msv::Value(received) => self.age_threshold(code, received, "accidental exposure in England: "),
            Msv::Missing => self.undetermined(
                code,
                "accidental exposure in England: the effective dose received is needed (3 mSv adult, 1 mSv child)",
                &["dose.received"],
            ),
            Msv::OtherUnit(unit) => self.undetermined(
                code,
                format!("accidental exposure in England: the dose is given in {unit}, but the thresholds are in mSv effective dose"),
                &["dose.received"],
            ),
        }
    }

    /// Codes 2.1 to 2.4: the intended dose picks the band; the band's own
    /// criterion is judged, the other three are not applicable.
    fn bands(&mut self) {
        const BANDS: [Criterion; 4] = [
            Criterion::C2_1,
            Criterion::C2_2,
            Criterion::C2_3,
            Criterion::C2_4,
        ];
        let category = self.i.modality.category();
        let imaging_count_test = match category {
            ExposureCategory::RadiotherapyPlanning => Some(
                "no dose given: for radiotherapy planning imaging the scan count (4.1) is the test",
            ),
            ExposureCategory::RadiotherapyVerification => Some(
                "no dose given: for radiotherapy verification imaging the image counts (4.2a-c) are the test",
            ),
            _ => None,
        };
        if let (Some(why), None) = (imaging_count_test, self.i.dose) {
            for code in BANDS {
                self.push(code, Status::NotApplicable, why);
            }
            return;
        }
        if let Some(why) = self.gate(Criterion::C2_1) {
            for code in BANDS {
                self.push(code, Status::NotApplicable, why);
            }
            return;
        }
        if self.no_error() {
            for code in BANDS {
                self.technical_repeat(code);
            }
            return;
        }
        let received = self.dose_msv(|d| d.received);
        let intended = match self.dose_msv(|d| d.intended) {
            Msv::Value(intended) => intended,
            Msv::OtherUnit(unit) => {
                for code in BANDS {
                    self.undetermined(
                        code,
                        format!("the dose is given in {unit}, but 2.1-2.4 are stated in mSv effective dose"),
                        &["dose.intended", "dose.received"],
                    );
                }
                return;
            }
            Msv::Missing => return self.bands_without_intended(received),
        };
        let band = if intended < BAND_2_2_FROM {
            Criterion::C2_1
        } else if intended < BAND_2_3_FROM {
            Criterion::C2_2
        } else if intended <= BAND_2_3_TO {
            Criterion::C2_3
        } else {
            Criterion::C2_4
        };
        if intended == BAND_2_2_FROM || intended == BAND_2_3_FROM || intended == BAND_2_3_TO {
            self.note(READING_BAND_EDGE);
        }
        for code in BANDS {
            if code == band {
                self.band(code, intended, &received);
            } else {
                self.push(
                    code,
                    Status::NotApplicable,
                    format!("intended {intended} mSv is in the {} band", band.as_str()),
                );
            }
        }
    }

    /// No intended dose: the band is unknown, but a small enough total
    /// cannot meet any band's criterion.
    fn bands_without_intended(&mut self, received: Msv) {
        const BANDS: [Criterion; 4] = [
            Criterion::C2_1,
            Criterion::C2_2,
            Criterion::C2_3,
            Criterion::C2_4,
        ];
        let adult = matches!(self.age_class(), AgeClass::Adult);
        let decided = match received {
            Msv::Value(r) if r < CHILD_MSV => Some(format!(
                "intended dose not given, but the total {r} mSv is under 1 mSv, below every 2.1-2.4 threshold"
            )),
            Msv::Value(r) if adult && r < ADULT_MSV => Some(format!(
                "intended dose not given, but the total {r} mSv is under 3 mSv, below every adult 2.1-2.4 threshold"
            )),
            _ => None,
        };
        let missing: &[&'static str] = match received {
            Msv::Value(_) => &["dose.intended"],
            _ => &["dose.intended", "dose.received"],
        };
        for code in BANDS {
            match &decided {
                Some(reason) => self.push(code, Status::NotMet, reason.clone()),
                None => self.undetermined(
                    code,
                    "the intended dose is needed: it picks the band (2.1-2.4) and the factor",
                    missing,
                ),
            }
        }
    }

    fn band(&mut self, code: Criterion, intended: Quantity, received: &Msv) {
        let received = match received {
            Msv::Value(r) => *r,
            _ => {
                return self.undetermined(
                    code,
                    format!(
                        "intended {intended} mSv; the total effective dose received (mSv) is needed"
                    ),
                    &["dose.received"],
                );
            }
        };
        match code {
            Criterion::C2_1 => {
                let lead = format!("intended {intended} mSv is under 0.3 mSv; ");
                self.age_threshold(code, received, &lead);
            }
            Criterion::C2_2 | Criterion::C2_4 => {
                let (factor, band) = if code == Criterion::C2_2 {
                    (FACTOR_2_2, "in the 0.3-2.5 mSv band")
                } else {
                    (FACTOR_2_4, "over 10 mSv")
                };
                let met = received.at_least_times(factor, intended);
                let ratio = received.ratio_text(factor, intended);
                let side = if met { "at least" } else { "under" };
                let status = if met { Status::Met } else { Status::NotMet };
                self.push(code, status, format!("intended {intended} mSv is {band}; total {received} mSv is {ratio} intended, {side} {factor}x"));
            }
            _ => {
                let met = received >= THRESHOLD_2_3_MSV;
                let side = if met { "at least" } else { "under" };
                let status = if met { Status::Met } else { Status::NotMet };
                self.push(code, status, format!("intended {intended} mSv is in the 2.5-10 mSv band; total {received} mSv is {side} 25 mSv"));
            }
        }
    }

    fn code_3(&mut self) {
        if self.i.tissue_reaction {
            self.push(Criterion::C3, Status::Met, "an observable tissue reaction resulted (notifiable with or without a procedural failure)");
        } else {
            self.push(Criterion::C3, Status::NotMet, "no observable tissue reaction recorded so far (a reaction that appears later is a change to the incident)");
        }
    }

    fn code_4_1(&mut self) {
        let code = Criterion::C4_1;
        if self.no_error() {
            return self.technical_repeat(code);
        }
        match self.i.planning_scans {
            None => self.undetermined(
                code,
                "the number of planning scans acquired is needed",
                &["planning_scans"],
            ),
            Some(n) if n >= PLANNING_SCANS => self.push(
                code,
                Status::Met,
                format!(
                    "{n} planning scans acquired, at least 3 (the intended scan repeated twice)"
                ),
            ),
            Some(n) => self.push(
                code,
                Status::NotMet,
                format!("{n} planning scans acquired, under 3"),
            ),
        }
    }

    fn code_4_2a(&mut self) {
        let code = Criterion::C4_2a;
        if self.no_error() {
            return self.technical_repeat(code);
        }
        let Some(v) = self.i.verification else {
            return self.undetermined(
                code,
                "the verification imaging counts are needed",
                &["verification.images_in_fraction"],
            );
        };
        match (v.images_in_fraction, v.cause) {
            (None, _) => self.undetermined(code, "the most images taken in any single fraction is needed", &["verification.images_in_fraction"]),
            (Some(n), _) if n < IMAGES_IN_FRACTION => {
                self.push(code, Status::NotMet, format!("at most {n} images in a single fraction (intended included), under 3"));
            }
            (Some(n), None) => self.undetermined(
                code,
                format!("{n} images in a single fraction, but no cause (set-up, equipment or protocol) is given"),
                &["verification.cause"],
            ),
            (Some(n), Some(cause)) => self.push(
                code,
                Status::Met,
                format!("{n} images in a single fraction (intended included), at least 3, after a {cause} error"),
            ),
        }
    }

    /// 4.2b (protocol failure) and 4.2c (thematic hardware or software
    /// failure): additional images at least 50% of the intended, over the
    /// course.
    fn code_4_2bc(&mut self, code: Criterion) {
        if self.no_error() {
            return self.technical_repeat(code);
        }
        let wanted = if code == Criterion::C4_2b {
            VerificationCause::Protocol
        } else {
            VerificationCause::Equipment
        };
        let Some(v) = self.i.verification else {
            return self.undetermined(
                code,
                "the verification imaging counts are needed",
                &[
                    "verification.intended_images",
                    "verification.additional_images",
                ],
            );
        };
        if let Some(cause) = v.cause {
            if cause != wanted {
                let needs = if wanted == VerificationCause::Protocol {
                    "a protocol failure"
                } else {
                    "a hardware or software (equipment) failure"
                };
                return self.push(
                    code,
                    Status::NotMet,
                    format!("the cause is {cause}, not {needs}"),
                );
            }
        }
        if code == Criterion::C4_2c && !v.thematic {
            return self.push(
                code,
                Status::NotMet,
                "the failure is not recorded as thematic (persistent or repeated)",
            );
        }
        let (Some(intended), Some(additional)) = (v.intended_images, v.additional_images) else {
            let mut missing = Vec::new();
            if v.intended_images.is_none() {
                missing.push("verification.intended_images");
            }
            if v.additional_images.is_none() {
                missing.push("verification.additional_images");
            }
            return self.undetermined(
                code,
                "the intended and additional image counts over the course are needed",
                &missing,
            );
        };
        let met = additional >= 1
            && u64::from(additional) * u64::from(ADDITIONAL_IMAGES.den)
                >= u64::from(intended) * u64::from(ADDITIONAL_IMAGES.num);
        let counts =
            format!("{additional} additional images against {intended} intended over the course");
        if !met {
            return self.push(code, Status::NotMet, format!("{counts}: under 50% more"));
        }
        match v.cause {
            None => self.undetermined(
                code,
                format!("{counts}: at least 50% more, but no cause is given"),
                &["verification.cause"],
            ),
            Some(_) if code == Criterion::C4_2b => self.push(
                code,
                Status::Met,
                format!("{counts}: at least 50% more, from a protocol failure"),
            ),
            Some(_) => self.push(
                code,
                Status::Met,
                format!(
                    "{counts}: at least 50% more, from a thematic hardware or software failure"
                ),
            ),
        }
    }

    fn code_5(&mut self) {
        let code = Criterion::C5;
        match self.i.foetus {
            None => self.push(code, Status::NotMet, "no foetus exposed"),
            Some(f) if f.intended => self.push(code, Status::NotMet, "the foetal exposure was intended"),
            Some(f) => match f.dose_mgy {
                None => self.undetermined(code, "an unintended foetal exposure: the foetal dose (mGy) is needed", &["foetus.dose_mgy"]),
                Some(d) if d >= FOETAL_MGY => self.push(
                    code,
                    Status::Met,
                    format!("unintended foetal dose {d} mGy, at least 10 mGy (with or without a procedural failure)"),
                ),
                Some(d) => self.push(code, Status::NotMet, format!("unintended foetal dose {d} mGy, under 10 mGy")),
            },
        }
    }

    fn code_6(&mut self) {
        let code = Criterion::C6;
        let Some(dose) = self.i.infant_dose_msv else {
            return self.push(code, Status::NotMet, "no breast-feeding infant exposed");
        };
        if dose < INFANT_MSV {
            return self.push(
                code,
                Status::NotMet,
                format!("infant effective dose {dose} mSv, under 1 mSv"),
            );
        }
        match self.i.errors {
            None => {
                self.note(READING_ABSENT_ERRORS);
                self.undetermined(
                    code,
                    format!("infant effective dose {dose} mSv, at least 1 mSv, but whether there was a failure in procedure is not known"),
                    &["errors"],
                );
            }
            Some(errors) if errors.is_empty() => self.push(
                code,
                Status::NotMet,
                format!("infant effective dose {dose} mSv, at least 1 mSv, but errors [] records no failure in procedure"),
            ),
            Some(errors) => {
                let named: Vec<&str> = errors.iter().map(ErrorKind::as_str).collect();
                self.push(
                    code,
                    Status::Met,
                    format!("infant effective dose {dose} mSv, at least 1 mSv, after a failure in procedure ({})", named.join(", ")),
                );
            }
        }
    }

    fn code_7(&mut self) {
        let code = Criterion::C7;
        match &self.i.radiopharmaceutical {
            None => self.push(code, Status::NotMet, "no other radiopharmaceutical than intended recorded"),
            Some(r) if same_radiopharmaceutical(&r.intended, &r.administered) => self.push(
                code,
                Status::NotMet,
                format!("{:?} and {:?} are the same radiopharmaceutical, written differently", r.administered, r.intended),
            ),
            Some(r) => self.push(
                code,
                Status::Met,
                format!("{:?} administered instead of {:?}: an incorrect radiopharmaceutical, whatever the dose", r.administered, r.intended),
            ),
        }
    }

    fn deliveries(&self) -> Option<&[crate::incident::Delivery]> {
        self.i
            .therapy
            .as_ref()
            .and_then(|t| t.deliveries.as_deref())
            .filter(|d| !d.is_empty())
    }

    fn code_8_1(&mut self) {
        let code = Criterion::C8_1;
        let Some(deliveries) = self.deliveries() else {
            return self.undetermined(
                code,
                "the delivered and intended doses are needed",
                &["therapy.deliveries"],
            );
        };
        match deliveries.iter().find(|d| over_factor(d).is_some()) {
            Some(d) => {
                let factor = over_factor(d).unwrap_or(OVER_COURSE);
                let reason = format!("{}, at least {factor}x", delivery_text(d, factor));
                self.push(code, Status::Met, reason);
            }
            None => {
                let list: Vec<String> = deliveries
                    .iter()
                    .map(|d| {
                        delivery_text(
                            d,
                            if d.scope == DeliveryScope::Course {
                                OVER_COURSE
                            } else {
                                OVER_FRACTION
                            },
                        )
                    })
                    .collect();
                self.push(
                    code,
                    Status::NotMet,
                    format!("no delivery reaches 1.1x intended (whole course) or 1.2x (any fraction): {}", list.join("; ")),
                );
            }
        }
    }

    fn code_8_2(&mut self) {
        let code = Criterion::C8_2;
        let miss = self
            .i
            .therapy
            .as_ref()
            .map(|t| t.geographical_miss)
            .unwrap_or_default();
        if miss != GeographicalMiss::None {
            self.note(READING_MISS_NOT_8_2);
            return self.push(
                code,
                Status::NotApplicable,
                format!(
                    "a {miss} geographical miss: the under-dose is judged under 9.1/9.2, not 8.2"
                ),
            );
        }
        let Some(deliveries) = self.deliveries() else {
            return self.undetermined(
                code,
                "the delivered and intended doses are needed",
                &["therapy.deliveries"],
            );
        };
        let ptv_course: Vec<_> = deliveries
            .iter()
            .filter(|d| d.structure == Structure::Ptv && d.scope == DeliveryScope::Course)
            .collect();
        if ptv_course.is_empty() {
            return self.undetermined(
                code,
                "no whole-course delivery to the planning target volume (PTV) is given",
                &["therapy.deliveries"],
            );
        }
        match ptv_course
            .iter()
            .find(|d| d.delivered_gy.at_most_times(UNDER_COURSE, d.intended_gy))
        {
            Some(d) => {
                let reason = format!("{}, at most 0.9x", delivery_text(d, UNDER_COURSE));
                self.push(code, Status::Met, reason);
            }
            None => {
                let list: Vec<String> = ptv_course
                    .iter()
                    .map(|d| delivery_text(d, UNDER_COURSE))
                    .collect();
                self.push(
                    code,
                    Status::NotMet,
                    format!(
                        "above 0.9x intended over the whole course: {}",
                        list.join("; ")
                    ),
                );
            }
        }
    }

    fn code_9_1(&mut self) {
        let miss = self
            .i
            .therapy
            .as_ref()
            .map(|t| t.geographical_miss)
            .unwrap_or_default();
        if miss == GeographicalMiss::Total {
            self.push(Criterion::C9_1, Status::Met, "a total geographical miss (notifiable even for a single fraction or a significant part of one)");
        } else {
            self.push(
                Criterion::C9_1,
                Status::NotMet,
                "no total geographical miss recorded",
            );
        }
    }

    /// 9.2 is three-valued (interpretations.md, "Radiotherapy delivery"):
    /// not met as soon as one condition is known to fail, met when all
    /// hold, otherwise undetermined with what would decide it.
    fn code_9_2(&mut self) {
        let code = Criterion::C9_2;
        let Some(therapy) = self
            .i
            .therapy
            .as_ref()
            .filter(|t| t.geographical_miss == GeographicalMiss::Partial)
        else {
            return self.push(
                code,
                Status::NotMet,
                "no partial geographical miss recorded",
            );
        };
        // First condition: the miss exceeds 2.5x the margin ("exceeds" is
        // strict). Some(true/false) when both sizes are given.
        let size = match (therapy.miss_mm, therapy.margin_mm) {
            (Some(miss), Some(margin)) => {
                let limit = format!("2.5x the {margin} mm margin");
                if miss.cmp_times(MISS_MARGIN, margin) == std::cmp::Ordering::Greater {
                    Ok(format!("a partial miss of {miss} mm exceeds {limit}"))
                } else {
                    return self.push(
                        code,
                        Status::NotMet,
                        format!("a partial miss of {miss} mm does not exceed {limit}"),
                    );
                }
            }
            (miss, margin) => {
                let mut missing = Vec::new();
                if miss.is_none() {
                    missing.push("therapy.miss_mm");
                }
                if margin.is_none() {
                    missing.push("therapy.margin_mm");
                }
                Err(missing)
            }
        };
        // Second condition: a delivery meets the 8.1 or the 8.2 factor.
        let factor = match self.deliveries() {
            None => Err("the doses are needed to test the 8.1 and 8.2 factors".to_string()),
            Some(deliveries) => {
                let over = deliveries
                    .iter()
                    .find_map(|d| over_factor(d).map(|f| (d, f)));
                let ptv_course: Vec<_> = deliveries
                    .iter()
                    .filter(|d| d.structure == Structure::Ptv && d.scope == DeliveryScope::Course)
                    .collect();
                let under = ptv_course
                    .iter()
                    .find(|d| d.delivered_gy.at_most_times(UNDER_COURSE, d.intended_gy));
                match (over, under) {
                    (Some((d, f)), _) => {
                        Ok(format!("{} meets the 8.1 factor", delivery_text(d, f)))
                    }
                    (None, Some(d)) => Ok(format!(
                        "{} meets the 8.2 factor",
                        delivery_text(d, UNDER_COURSE)
                    )),
                    (None, None) if ptv_course.is_empty() => Err(
                        "no delivery meets the 8.1 factor, and without a whole-course delivery to the PTV the 8.2 factor cannot be tested"
                            .to_string(),
                    ),
                    (None, None) => {
                        let size_text = match &size {
                            Ok(text) => format!("{text}, but "),
                            Err(_) => "a partial miss (its size not yet given), but ".to_string(),
                        };
                        return self.push(
                            code,
                            Status::NotMet,
                            format!("{size_text}no delivery meets the 8.1 or 8.2 factor"),
                        );
                    }
                }
            }
        };
        match (size, factor) {
            (Ok(size), Ok(factor)) => self.push(code, Status::Met, format!("{size}, and {factor}")),
            (Ok(size), Err(why)) => {
                self.undetermined(code, format!("{size}; {why}"), &["therapy.deliveries"])
            }
            (Err(missing), Ok(factor)) => self.undetermined(
                code,
                format!("a partial miss, and {factor}: the size of the miss and the local error margin (mm) are needed"),
                &missing,
            ),
            (Err(mut missing), Err(why)) => {
                missing.push("therapy.deliveries");
                self.undetermined(
                    code,
                    format!("a partial miss: the size of the miss and the local error margin (mm) are needed; {why}"),
                    &missing,
                )
            }
        }
    }

    fn code_10(&mut self, code: Criterion, low: Factor, high: Factor, band: &str) {
        let activity = self.i.activity.unwrap_or(crate::incident::Activity {
            prescribed_mbq: None,
            delivered_mbq: None,
        });
        let (Some(prescribed), Some(delivered)) = (activity.prescribed_mbq, activity.delivered_mbq)
        else {
            let mut missing = Vec::new();
            if activity.prescribed_mbq.is_none() {
                missing.push("activity.prescribed_mbq");
            }
            if activity.delivered_mbq.is_none() {
                missing.push("activity.delivered_mbq");
            }
            return self.undetermined(
                code,
                "the prescribed and delivered activities (MBq) are needed",
                &missing,
            );
        };
        let lead = format!("delivered {delivered} MBq against {prescribed} MBq prescribed");
        // "Outside" is strict: exactly ±20% (±10%) is inside.
        if delivered.cmp_times(low, prescribed) == std::cmp::Ordering::Less {
            let ratio = delivered.ratio_text(low, prescribed);
            self.push(
                code,
                Status::Met,
                format!("{lead}: {ratio}, outside -{band}"),
            );
        } else if delivered.cmp_times(high, prescribed) == std::cmp::Ordering::Greater {
            let ratio = delivered.ratio_text(high, prescribed);
            self.push(
                code,
                Status::Met,
                format!("{lead}: {ratio}, outside +{band}"),
            );
        } else {
            let ratio = delivered.ratio_text(Factor::new(1, 1), prescribed);
            self.push(
                code,
                Status::NotMet,
                format!("{lead}: {ratio}, within +/-{band} (the edge itself is inside)"),
            );
        }
    }

    /// The complementary letters, the outcome, and everything that follows
    /// from it.
    fn finish(mut self) -> Assessment {
        let i = self.i;
        if i.exposure == ExposureKind::None && self.out_of_scope().is_none() {
            self.note(NOTE_NEAR_MISS);
        }
        let out_of_scope = self.out_of_scope();
        let harmful = matches!(
            i.exposure,
            ExposureKind::Accidental | ExposureKind::Unintended
        );
        let equipment = i.errors.is_some_and(|e| e.contains(ErrorKind::Equipment));

        // M: several people, or a theme.
        let multiple = i.people >= 2 || i.theme;
        let (m_status, m_reason): (Status, Reason) = if let Some(why) = out_of_scope {
            (Status::NotApplicable, why.into())
        } else if !harmful {
            (
                Status::NotApplicable,
                "M is for accidental or unintended exposures".into(),
            )
        } else if !multiple {
            (
                Status::NotMet,
                "one individual, and not part of an identified theme".into(),
            )
        } else if self.no_error() {
            self.note(READING_TECHNICAL_REPEAT);
            (
                Status::NotMet,
                "errors [] records no error: technical repeats are not SAUE, however many".into(),
            )
        } else if i.people >= 2 {
            (Status::Met, format!("{} individuals exposed in this incident: notifiable regardless of each one's dose", i.people).into())
        } else {
            (
                Status::Met,
                "part of an identified theme: notifiable regardless of each individual's dose"
                    .into(),
            )
        };

        // C: clinically significant.
        let (c_status, c_reason): (Status, Reason) = if !i.clinically_significant {
            (Status::NotMet, "not judged clinically significant".into())
        } else if let Some(why) = out_of_scope {
            (Status::NotApplicable, why.into())
        } else if !harmful {
            self.note(READING_C_NOT_EXPOSURE);
            (
                Status::NotApplicable,
                "C is for accidental or unintended exposures".into(),
            )
        } else {
            (Status::Met, "judged clinically significant under the employer's procedure (a CSAUE): a statutory notification whatever the thresholds".into())
        };

        // E: a descriptor only.
        let (e_status, e_reason): (Status, Reason) = if equipment {
            (Status::Met, "equipment was a direct cause: E is added to any notification made; alone it makes nothing notifiable".into())
        } else {
            (Status::NotMet, "no equipment error recorded".into())
        };

        let met_codes: Vec<Criterion> = self
            .criteria
            .iter()
            .filter(|c| c.status == Status::Met)
            .filter_map(|c| match c.code {
                CriterionId::Code(code) => Some(code),
                CriterionId::Letter(_) => None,
            })
            .collect();
        let any_undetermined = self
            .criteria
            .iter()
            .any(|c| c.status == Status::Undetermined);
        let statutory = !met_codes.is_empty() || m_status == Status::Met || c_status == Status::Met;

        let outcome = if out_of_scope.is_some() {
            Outcome::OutOfScope
        } else if statutory {
            Outcome::Notifiable
        } else if any_undetermined {
            Outcome::Undetermined
        } else if i.voluntary {
            Outcome::Voluntary
        } else {
            Outcome::NotNotifiable
        };

        // V: voluntary, only on an incident known not to be statutory.
        let (v_status, v_reason): (Status, Reason) = if !i.voluntary {
            (Status::NotMet, "no voluntary notification asked for".into())
        } else {
            match outcome {
                Outcome::Voluntary => (
                    Status::Met,
                    "not statutory; notified voluntarily to share learning".into(),
                ),
                Outcome::Notifiable => {
                    self.note(READING_V_DROPPED);
                    (
                        Status::NotMet,
                        "dropped: this is a statutory notification".into(),
                    )
                }
                Outcome::Undetermined => {
                    self.note(READING_V_WAITS);
                    (Status::Undetermined, "the statutory question comes first: give the missing facts, then V can be decided".into())
                }
                _ => (
                    Status::NotApplicable,
                    out_of_scope
                        .unwrap_or("not a medical exposure under IR(ME)R")
                        .into(),
                ),
            }
        };

        for (letter, status, reason) in [
            (Letter::M, m_status, m_reason),
            (Letter::E, e_status, e_reason),
            (Letter::V, v_status, v_reason),
            (Letter::C, c_status, c_reason),
        ] {
            self.criteria.push(CriterionResult {
                code: CriterionId::Letter(letter),
                status,
                reason,
            });
        }

        let category_code = match met_codes.first() {
            Some(&code) => Ok(code),
            None => self.category_from_facts(),
        };

        let mut codes: Vec<NotificationCode> = met_codes
            .iter()
            .map(|&c| NotificationCode::Bare(c))
            .collect();
        let letters: Vec<Letter> = match outcome {
            Outcome::Notifiable => [
                (Letter::M, m_status == Status::Met),
                (Letter::E, equipment),
                (Letter::C, c_status == Status::Met),
            ]
            .into_iter()
            .filter_map(|(l, on)| on.then_some(l))
            .collect(),
            Outcome::Voluntary => {
                let mut letters = Vec::with_capacity(2);
                if equipment {
                    letters.push(Letter::E);
                }
                letters.push(Letter::V);
                letters
            }
            _ => Vec::new(),
        };
        match category_code {
            Ok(category) => codes.extend(
                letters
                    .iter()
                    .map(|&l| NotificationCode::Complementary(l, category)),
            ),
            Err(missing) if !letters.is_empty() => {
                self.note(READING_NO_CATEGORY);
                if let Some(path) = missing {
                    self.miss(path);
                }
            }
            Err(_) => {}
        }

        let authority = matches!(outcome, Outcome::Notifiable | Outcome::Voluntary)
            .then(|| EnforcingAuthority::for_nation(i.nation));
        let deadlines =
            (outcome == Outcome::Notifiable).then(|| Deadlines::from_discovery(i.discovered));

        let mut other_reports = Vec::new();
        if equipment {
            other_reports.push(OtherReport {
                to: OtherBody::device_body(i.nation),
                why: "equipment was a direct cause: report the device incident (good practice even below the SAUE criteria)".into(),
            });
        }
        if i.licence.is_some_and(|l| l.breached()) {
            other_reports.push(OtherReport {
                to: OtherBody::Arsac,
                why: "a radioactive substance was administered without the appropriate licence (regulation 5): notify the ARSAC Support Unit, and a copy to the enforcing authority is encouraged".into(),
            });
        }
        if out_of_scope.is_some() {
            other_reports.push(OtherReport {
                to: OtherBody::Hse,
                why: out_of_scope.unwrap_or_default().into(),
            });
        }

        let mut duties = vec![Duty::InvestigateAndRecord];
        if c_status == Status::Met {
            duties.push(Duty::DutyOfCandour);
            duties.push(Duty::InformReferrerPractitionerPatient);
        }

        Assessment {
            guidance: GuidanceVersion::Cqc20240828,
            outcome,
            codes,
            category_code: category_code.ok(),
            criteria: self.criteria,
            authority,
            deadlines,
            other_reports,
            duties,
            missing: self.missing,
            notes: self.notes,
        }
    }

    /// The category the facts point to when no criterion is met
    /// (interpretations.md, "The category code"). `Err` carries the field
    /// that would give it, if one would.
    fn category_from_facts(&self) -> Result<Criterion, Option<&'static str>> {
        let i = self.i;
        if i.exposure == ExposureKind::Accidental {
            return Ok(Criterion::C1);
        }
        if i.exposure == ExposureKind::Intended {
            if i.foetus.is_some() {
                return Ok(Criterion::C5);
            }
            if i.infant_dose_msv.is_some() {
                return Ok(Criterion::C6);
            }
        }
        if i.radiopharmaceutical
            .as_ref()
            .is_some_and(|r| !same_radiopharmaceutical(&r.intended, &r.administered))
        {
            return Ok(Criterion::C7);
        }
        match i.modality.category() {
            ExposureCategory::Interventional => Ok(Criterion::C3),
            ExposureCategory::RadiotherapyPlanning => Ok(Criterion::C4_1),
            ExposureCategory::RadiotherapyVerification => {
                match i.verification.and_then(|v| v.cause) {
                    Some(VerificationCause::SetUp) => Ok(Criterion::C4_2a),
                    Some(VerificationCause::Protocol) => Ok(Criterion::C4_2b),
                    // A thematic equipment fault is 4.2c; a single one is
                    // the "hardware or software failure" of 4.2a.
                    Some(VerificationCause::Equipment) => {
                        Ok(if i.verification.is_some_and(|v| v.thematic) {
                            Criterion::C4_2c
                        } else {
                            Criterion::C4_2a
                        })
                    }
                    None => Err(Some("verification.cause")),
                }
            }
            ExposureCategory::RadiotherapyTreatment => {
                let miss = i
                    .therapy
                    .as_ref()
                    .map(|t| t.geographical_miss)
                    .unwrap_or_default();
                match miss {
                    GeographicalMiss::Total => return Ok(Criterion::C9_1),
                    GeographicalMiss::Partial => return Ok(Criterion::C9_2),
                    GeographicalMiss::None => {}
                }
                let Some(deliveries) = self.deliveries() else {
                    return Err(Some("therapy.deliveries"));
                };
                if deliveries.iter().any(|d| d.delivered_gy > d.intended_gy) {
                    Ok(Criterion::C8_1)
                } else if deliveries
                    .iter()
                    .any(|d| d.structure == Structure::Ptv && d.delivered_gy < d.intended_gy)
                {
                    Ok(Criterion::C8_2)
                } else {
                    // An organ at risk receiving less than planned, or every
                    // delivery as planned: nothing points to a category.
                    Err(None)
                }
            }
            ExposureCategory::Sirt => Ok(Criterion::C10_1),
            ExposureCategory::NuclearMedicineTherapy => Ok(Criterion::C10_2),
            ExposureCategory::Diagnostic => match self.dose_msv(|d| d.intended) {
                Msv::Value(intended) if intended < BAND_2_2_FROM => Ok(Criterion::C2_1),
                Msv::Value(intended) if intended < BAND_2_3_FROM => Ok(Criterion::C2_2),
                Msv::Value(intended) if intended <= BAND_2_3_TO => Ok(Criterion::C2_3),
                Msv::Value(_) => Ok(Criterion::C2_4),
                _ => Err(Some("dose.intended")),
            },
        }
    }
}

/// The 8.1 factor a delivery meets, if any.
fn over_factor(d: &crate::incident::Delivery) -> Option<Factor> {
    let factor = match d.scope {
        DeliveryScope::Course => OVER_COURSE,
        DeliveryScope::Fraction => OVER_FRACTION,
    };
    (d.delivered_gy > d.intended_gy && d.delivered_gy.at_least_times(factor, d.intended_gy))
        .then_some(factor)
}

fn delivery_text(d: &crate::incident::Delivery, factor: Factor) -> String {
    let structure = match d.structure {
        Structure::Ptv => "PTV",
        Structure::Oar => "OAR",
    };
    let scope = match d.scope {
        DeliveryScope::Course => "whole course",
        DeliveryScope::Fraction => "one fraction",
    };
    format!(
        "{structure} {scope}: {} Gy delivered against {} Gy intended, {}",
        d.delivered_gy,
        d.intended_gy,
        d.delivered_gy.ratio_text(factor, d.intended_gy)
    )
}
