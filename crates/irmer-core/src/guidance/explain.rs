//! What `irmer explain CODE` says: each criterion in the guidance's words,
//! the reading this project applies, and a worked example. The example is an
//! incident that the engine assesses when asked, so it cannot drift from
//! the rules.

use crate::codes::{Criterion, CriterionId, Letter};

/// The explanation of one code.
#[derive(Clone, Copy, Debug)]
pub struct Explanation {
    pub code: CriterionId,
    /// The exposure category, as the table names it.
    pub category: &'static str,
    /// The criterion in the guidance's words.
    pub guidance: &'static str,
    /// How this project reads it.
    pub reading: &'static str,
    /// An example incident (contract JSON) that the criterion decides.
    pub example: &'static str,
}

pub fn explain(code: CriterionId) -> Explanation {
    use Criterion::*;
    let (category, guidance, reading, example) = match code {
        CriterionId::Code(C1) => (
            "Accidental exposure, all modalities including therapy",
            "England only: 3 mSv effective dose or above (adult), 1 mSv effective dose or above (child). Northern Ireland, Scotland and Wales: all, regardless of dose. The criteria apply to the total exposure from the incident, including any intended component plus over-exposure and/or necessary repeat exposures.",
            "For accidental exposures only (no exposure of any kind was intended: a wrong patient). In England the received dose is compared with 3 mSv (adult) or 1 mSv (child), inclusive; a person under 18 is a child (a setting). With no age, a dose of at least 3 mSv or under 1 mSv decides it; between them it is undetermined. Elsewhere every accidental exposure is met, whatever the dose. errors [] (a technical repeat) is never a SAUE.",
            r#"{"nation":"england","discovered":"2026-01-20","modality":"nuclear-medicine","exposure":"accidental","patient":{"age":52},"errors":["human"],"dose":{"unit":"mSv","received":3}}"#,
        ),
        CriterionId::Code(C2_1) => (
            "Unintended exposure, intended dose less than 0.3 mSv",
            "3 mSv or above (adult), 1 mSv or above (child).",
            "Band 2.1 is an intended effective dose under 0.3 mSv. The total received (intended + over-exposure + repeats) is compared with 3 mSv for an adult and 1 mSv for a child (under 18), inclusive, in every nation. With no age, 3 mSv or more is met and under 1 mSv is not.",
            r#"{"nation":"wales","discovered":"2026-05-04","modality":"fluoroscopy","exposure":"unintended","patient":{"age":38},"errors":["human"],"dose":{"unit":"mSv","intended":0.2,"received":3}}"#,
        ),
        CriterionId::Code(C2_2) => (
            "Unintended exposure, intended dose between 0.3 mSv and 2.5 mSv",
            "10 or more times than intended.",
            "Band 2.2 is 0.3 <= intended < 2.5 mSv. Met when total received >= 10 x intended, compared exactly in decimal (0.33 -> 3.3 mSv is exactly 10x). An exposure lower than intended is never notifiable outside radiotherapy.",
            r#"{"nation":"england","discovered":"2026-05-18","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":0.33,"received":3.3}}"#,
        ),
        CriterionId::Code(C2_3) => (
            "Unintended exposure, intended dose between 2.5 mSv and 10 mSv",
            "25 mSv or above.",
            "Band 2.3 is 2.5 <= intended <= 10 mSv. Met when the total received is at least 25 mSv.",
            r#"{"nation":"england","discovered":"2026-05-25","modality":"pet","exposure":"unintended","patient":{"age_group":"adult"},"errors":["procedural"],"dose":{"unit":"mSv","intended":7.5,"received":25}}"#,
        ),
        CriterionId::Code(C2_4) => (
            "Unintended exposure, intended dose more than 10 mSv",
            "2.5 or more times than intended.",
            "Band 2.4 is intended > 10 mSv. Met when total received >= 2.5 x intended, exactly. It applies to interventional exposures too, beside code 3.",
            r#"{"nation":"england","discovered":"2026-06-01","modality":"interventional-ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":14,"received":35}}"#,
        ),
        CriterionId::Code(C3) => (
            "Interventional radiology and cardiology (including interventional CT)",
            "Any unintended exposure resulting in observable tissue reactions, including but not limited to procedural failures or equipment malfunctions.",
            "Met when tissue_reaction is true, with or without an error (errors [] does not exclude it). An absent tissue_reaction means none observed so far; a reaction that appears later is a change to the incident, and the engine re-assesses it. A voluntary notification (V3) is possible where there is no tissue effect.",
            r#"{"nation":"wales","discovered":"2026-06-08","modality":"interventional-radiology","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":20,"received":30},"tissue_reaction":true}"#,
        ),
        CriterionId::Code(C4_1) => (
            "Radiotherapy planning scans",
            "If a planning scan needs to be repeated twice to obtain an appropriate dataset (3 scans in total, including the intended scan).",
            "Met when planning_scans >= 3. The scan count is the category's own test; 2.1-2.4 are assessed for planning imaging only when a dose is given.",
            r#"{"nation":"northern-ireland","discovered":"2026-06-22","modality":"rt-planning-scan","exposure":"unintended","errors":["procedural"],"planning_scans":3}"#,
        ),
        CriterionId::Code(C4_2a) => (
            "Radiotherapy treatment verification images",
            "Set-up error and/or hardware or software failure leads to 3 or more imaging exposures in a single fraction (including the intended image, 3 images in total). This applies to all radiotherapy treatment regimes, including radical short course fractionation.",
            "Met when verification.images_in_fraction >= 3 with any stated cause (set-up, equipment or protocol: the guidance's own example is a set-up error caused by a protocol failure).",
            r#"{"nation":"scotland","discovered":"2026-06-29","modality":"rt-verification-imaging","exposure":"unintended","errors":["human"],"verification":{"images_in_fraction":3,"cause":"set-up"}}"#,
        ),
        CriterionId::Code(C4_2b) => (
            "Radiotherapy treatment verification images",
            "When the number of additional imaging exposures is 50% greater than intended over the course of treatment as a result of protocol failure.",
            "Met when additional_images >= 0.5 x intended_images (inclusive, exact integers) and the cause is protocol.",
            r#"{"nation":"england","discovered":"2026-07-06","modality":"rt-verification-imaging","exposure":"unintended","errors":["procedural"],"verification":{"images_in_fraction":2,"intended_images":8,"additional_images":4,"cause":"protocol"}}"#,
        ),
        CriterionId::Code(C4_2c) => (
            "Radiotherapy treatment verification images",
            "When the number of additional imaging exposures is 50% greater than intended over the course of treatment as a result of thematic hardware or software failure.",
            "Met when additional_images >= 0.5 x intended_images, the cause is equipment and verification.thematic is true (a persistent or repeated failure; absent means not thematic).",
            r#"{"nation":"wales","discovered":"2026-07-13","modality":"rt-verification-imaging","exposure":"unintended","errors":["equipment"],"verification":{"images_in_fraction":2,"intended_images":15,"additional_images":8,"cause":"equipment","thematic":true}}"#,
        ),
        CriterionId::Code(C5) => (
            "Foetal, all modalities",
            "Where there is an unintended foetal exposure AND the resultant foetal dose is 10 mGy or more.",
            "Met when a foetus was exposed, foetus.intended is false and foetus.dose_mgy >= 10 (the table's \"10 mGy or more\" governs the prose's \"over 10 mGy\"), with or without a procedural failure, and whether the mother's own exposure was accidental, unintended or as intended.",
            r#"{"nation":"scotland","discovered":"2026-05-13","modality":"fluoroscopy","exposure":"intended","patient":{"age":27},"errors":["procedural"],"foetus":{"dose_mgy":10,"intended":false}}"#,
        ),
        CriterionId::Code(C6) => (
            "Breast-feeding infant, nuclear medicine only",
            "Where there has been a failure in procedure AND the resultant infant effective dose is 1 mSv or more.",
            "Met when infant_dose_msv >= 1 and errors names any error. With errors not given it is undetermined; errors [] means no failure in procedure.",
            r#"{"nation":"northern-ireland","discovered":"2026-07-01","modality":"pet","exposure":"intended","patient":{"age_group":"adult"},"errors":["procedural"],"infant_dose_msv":1}"#,
        ),
        CriterionId::Code(C7) => (
            "Incorrect radiopharmaceutical",
            "Any administration of the incorrect radiopharmaceutical to a patient, regardless of dose. This applies even when the correct isotope was given but with the wrong tracer.",
            "Met when the administered radiopharmaceutical differs from the intended one. Names are compared ignoring case, spaces, hyphens and how the nuclide is written (Tc-99m, 99mTc and Tc99m are one); the right nuclide with another tracer is different. A wrong patient given a radiopharmaceutical is code 1, not 7.",
            r#"{"nation":"england","discovered":"2026-03-30","modality":"nuclear-medicine","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":0.7,"received":0.9},"radiopharmaceutical":{"intended":"Tc-99m MAG3","administered":"Tc-99m DMSA"}}"#,
        ),
        CriterionId::Code(C8_1) => (
            "Radiotherapy delivered dose (including brachytherapy): therapy over-exposure",
            "Delivered dose to the planned treatment volume or organs at risk is 1.1 or more times (whole course) or 1.2 or more times (any fraction) the intended dose.",
            "Met when any PTV or OAR delivery is >= 1.1 x intended over the course, or >= 1.2 x in any fraction, compared exactly (52.8 Gy against 48 Gy is exactly 1.1x). Still assessed when there is a geographical miss.",
            r#"{"nation":"england","discovered":"2026-09-14","modality":"external-beam","exposure":"unintended","errors":["human"],"therapy":{"deliveries":[{"structure":"ptv","scope":"course","intended_gy":48,"delivered_gy":52.8}]}}"#,
        ),
        CriterionId::Code(C8_2) => (
            "Radiotherapy delivered dose (including brachytherapy): therapy under-exposure",
            "Delivered dose to the planned treatment volume is 0.9 or less times the intended dose (whole course). This excludes where the under-exposure to the target volume is a result of a geographical miss, which is reportable under either 9.1 or 9.2.",
            "Met when a whole-course PTV delivery is <= 0.9 x intended. With a total or partial geographical miss, 8.2 is not applicable and the under-dose is judged under 9.1/9.2.",
            r#"{"nation":"england","discovered":"2026-10-12","modality":"intraoperative-radiotherapy","exposure":"unintended","errors":["procedural"],"therapy":{"deliveries":[{"structure":"ptv","scope":"course","intended_gy":20,"delivered_gy":18}]}}"#,
        ),
        CriterionId::Code(C9_1) => (
            "Radiotherapy geographical miss: total",
            "All total geographical misses, even for a single fraction or significant part thereof.",
            "Met whenever therapy.geographical_miss is total.",
            r#"{"nation":"wales","discovered":"2026-06-08","modality":"brachytherapy","exposure":"unintended","errors":["human"],"therapy":{"geographical_miss":"total"}}"#,
        ),
        CriterionId::Code(C9_2) => (
            "Radiotherapy geographical miss: partial",
            "Where the miss exceeds 2.5 times the locally defined error margin AND the guideline dose factors (codes 8.1 and 8.2) for the planning target volume or organs at risk are exceeded. A surrogate for the locally defined error margin might be a displacement of 2.5 times the local imaging action level.",
            "Met when miss_mm is strictly more than 2.5 x margin_mm (\"exceeds\"; exactly 2.5x is not) and a delivery meets the 8.1 factor or the 8.2 factor. Not met as soon as one condition is known to fail (complete deliveries meeting no factor decide it even before the miss is measured); undetermined while a condition that could hold is unknown, including the 8.2 factor when no whole-course PTV delivery is given.",
            r#"{"nation":"scotland","discovered":"2026-11-16","modality":"external-beam","exposure":"unintended","errors":["human"],"therapy":{"deliveries":[{"structure":"ptv","scope":"course","intended_gy":60,"delivered_gy":57.6},{"structure":"oar","scope":"course","intended_gy":20,"delivered_gy":23}],"geographical_miss":"partial","miss_mm":8,"margin_mm":3}}"#,
        ),
        CriterionId::Code(C10_1) => (
            "Nuclear medicine therapy: selective internal radiation therapy",
            "Delivered activity is outside +/- 20% of the prescribed activity.",
            "Met when delivered/prescribed < 0.8 or > 1.2, strictly: exactly +/-20% is inside.",
            r#"{"nation":"england","discovered":"2026-11-30","modality":"sirt","exposure":"unintended","errors":["human"],"activity":{"prescribed_mbq":1100,"delivered_mbq":1350}}"#,
        ),
        CriterionId::Code(C10_2) => (
            "Nuclear medicine therapy: all other nuclear medicine therapies",
            "Delivered activity is outside +/- 10% of the prescribed activity.",
            "Met when delivered/prescribed < 0.9 or > 1.1, strictly: exactly +/-10% is inside.",
            r#"{"nation":"northern-ireland","discovered":"2026-12-07","modality":"nuclear-medicine-therapy","exposure":"unintended","errors":["human"],"activity":{"prescribed_mbq":7400,"delivered_mbq":6600}}"#,
        ),
        CriterionId::Letter(Letter::M) => (
            "Multiple patients exposed within the same incident or theme (plus the relevant code 1 to 10)",
            "A theme has been identified over a number of incidents. A single incident has involved multiple individuals. A separate, but similar incident has been identified that affects more than one individual. These are notifiable regardless of the doses received by each individual person.",
            "Met when people >= 2 or theme is true, on an accidental or unintended exposure, unless errors [] shows no error at all. It makes the incident notifiable by itself and is entered as M plus the category code (M2.2).",
            r#"{"nation":"england","discovered":"2026-10-05","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["systematic"],"people":5,"dose":{"unit":"mSv","intended":3,"received":4.8}}"#,
        ),
        CriterionId::Letter(Letter::E) => (
            "Equipment fault exposure (plus the relevant code)",
            "Refers to incidents where equipment failures are the direct cause. 'Equipment' includes equipment that delivers radiation and ancillary equipment that directly influences the dose: contrast injectors, software, PACS and RIS, radiotherapy planning systems, treatment recording and verification systems.",
            "Added (E plus the category code) to any notification made, statutory or voluntary, when errors contains equipment; alone it makes nothing notifiable. A device report to the MHRA (England, Wales), IRIC (Scotland) or NIAIC (Northern Ireland) is suggested whatever the outcome.",
            r#"{"nation":"wales","discovered":"2026-07-13","modality":"rt-verification-imaging","exposure":"unintended","errors":["equipment"],"verification":{"images_in_fraction":2,"intended_images":15,"additional_images":8,"cause":"equipment","thematic":true}}"#,
        ),
        CriterionId::Letter(Letter::V) => (
            "Voluntary notification (plus the relevant code)",
            "Incidents that do not necessarily meet the criteria for statutory notification but, because of other significant or unusual circumstances, may be submitted to share learning. These may include near misses, such as wrong treatment plans identified before delivering an exposure.",
            "When voluntary is true on an incident known not to be statutory (near misses included), the outcome is voluntary and V plus the category code is entered. On a statutory incident V is dropped; on an undetermined one the outcome stays undetermined until the statutory question is decided.",
            r#"{"nation":"scotland","discovered":"2026-02-16","modality":"nuclear-medicine-therapy","exposure":"none","errors":["human"],"voluntary":true,"activity":{"prescribed_mbq":5500}}"#,
        ),
        CriterionId::Letter(Letter::C) => (
            "Clinically significant event (plus the relevant code)",
            "Incidents involving 'clinically significant' exposure(s), as the employer's procedure under regulation 8(1) establishes from the professional bodies' guidance. These are also statutory notifications, and the duty of candour applies.",
            "When clinically_significant is true on an accidental or unintended exposure (errors [] does not exclude it; a near miss cannot be one), the incident is a statutory notification whatever the thresholds, C plus the category code is entered, and the duties to inform the referrer, practitioner and patient and the duty of candour are added.",
            r#"{"nation":"england","discovered":"2026-02-02","modality":"fluoroscopy","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"clinically_significant":true,"dose":{"unit":"mSv","intended":1.0,"received":4.0}}"#,
        ),
    };
    Explanation {
        code,
        category,
        guidance,
        reading,
        example,
    }
}

/// Every code that can be explained, in the table's order.
pub fn all_codes() -> impl Iterator<Item = CriterionId> {
    Criterion::ALL
        .into_iter()
        .map(CriterionId::Code)
        .chain(Letter::ALL.into_iter().map(CriterionId::Letter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::Status;
    use crate::{GuidanceVersion, Settings, assess, parse_incident};

    /// Every example shows its own code doing what the text says.
    #[test]
    fn every_example_meets_its_own_criterion() {
        for id in all_codes() {
            let e = explain(id);
            let incident = parse_incident(e.example).unwrap_or_else(|err| panic!("{id}: {err}"));
            let a = assess(&incident, GuidanceVersion::LATEST, &Settings::default());
            let c = a
                .criterion(id)
                .unwrap_or_else(|| panic!("{id}: not among the criteria"));
            assert_eq!(c.status, Status::Met, "{id}: {}", c.reason);
            let codes: Vec<String> = a.codes.iter().map(ToString::to_string).collect();
            assert!(
                codes.iter().any(|code| code.starts_with(id.as_str())),
                "{id}: example codes {codes:?}"
            );
        }
    }
}
