//! Every threshold of the table, on both sides of its edge, through one
//! helper: `check(incident, code, status)`.

use irmer_core::assessment::{Outcome, Status};
use irmer_core::{CriterionId, GuidanceVersion, Settings, assess, parse_incident};
use serde_json::{Value, json};

fn incident(modality: &str, exposure: &str, extra: Value) -> Value {
    let mut i = json!({"nation": "england", "discovered": "2026-01-20", "modality": modality, "exposure": exposure, "errors": ["human"]});
    for (k, v) in extra.as_object().expect("object") {
        i[k] = v.clone();
    }
    i
}

fn assessment_with(i: &Value, settings: &Settings) -> irmer_core::Assessment {
    let incident = parse_incident(&i.to_string()).unwrap_or_else(|e| panic!("{e}: {i}"));
    assess(&incident, GuidanceVersion::LATEST, settings)
}

#[track_caller]
fn check(i: Value, code: &str, expected: Status) {
    let a = assessment_with(&i, &Settings::default());
    let id = CriterionId::parse(code).expect("code");
    let c = a
        .criterion(id)
        .unwrap_or_else(|| panic!("{code} not considered for {i}"));
    assert_eq!(c.status, expected, "{code}: {} for {i}", c.reason);
}

fn diagnostic(exposure: &str, patient: Value, intended: &str, received: &str) -> Value {
    let mut dose = json!({"received": serde_json::from_str::<Value>(received).expect("n")});
    if !intended.is_empty() {
        dose["intended"] = serde_json::from_str(intended).expect("n");
    }
    incident("ct", exposure, json!({"patient": patient, "dose": dose}))
}

#[test]
fn code_1_in_england() {
    let adult = json!({"age": 40});
    let child = json!({"age": 10});
    check(
        diagnostic("accidental", adult.clone(), "", "3"),
        "1",
        Status::Met,
    );
    check(
        diagnostic("accidental", adult.clone(), "", "2.999"),
        "1",
        Status::NotMet,
    );
    check(
        diagnostic("accidental", child.clone(), "", "1"),
        "1",
        Status::Met,
    );
    check(
        diagnostic("accidental", child, "", "0.999"),
        "1",
        Status::NotMet,
    );
    check(
        diagnostic("accidental", json!({"age": 17}), "", "1"),
        "1",
        Status::Met,
    );
    check(
        diagnostic("accidental", json!({"age": 18}), "", "1"),
        "1",
        Status::NotMet,
    );
    check(
        diagnostic("accidental", json!({"age_group": "child"}), "", "1"),
        "1",
        Status::Met,
    );
    // No age: the dose decides at 3 mSv and under 1 mSv; between, it cannot.
    let mut no_age = diagnostic("accidental", adult, "", "3");
    no_age.as_object_mut().expect("o").remove("patient");
    check(no_age.clone(), "1", Status::Met);
    no_age["dose"]["received"] = json!(0.99);
    check(no_age.clone(), "1", Status::NotMet);
    no_age["dose"]["received"] = json!(1);
    check(no_age, "1", Status::Undetermined);
}

#[test]
fn code_1_elsewhere_is_every_accidental_exposure() {
    for nation in ["wales", "scotland", "northern-ireland"] {
        let mut i = diagnostic("accidental", json!({"age": 40}), "", "0.001");
        i["nation"] = json!(nation);
        check(i.clone(), "1", Status::Met);
        i.as_object_mut().expect("o").remove("dose");
        check(i, "1", Status::Met);
    }
}

#[test]
fn intended_dose_bands() {
    let adult = json!({"age_group": "adult"});
    // 2.1: intended under 0.3.
    check(
        diagnostic("unintended", adult.clone(), "0.299", "3"),
        "2.1",
        Status::Met,
    );
    check(
        diagnostic("unintended", adult.clone(), "0.299", "2.99"),
        "2.1",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", json!({"age": 5}), "0.1", "1"),
        "2.1",
        Status::Met,
    );
    check(
        diagnostic("unintended", json!({"age": 5}), "0.1", "0.999"),
        "2.1",
        Status::NotMet,
    );
    // 2.2: 0.3 <= intended < 2.5, 10x.
    check(
        diagnostic("unintended", adult.clone(), "0.3", "3"),
        "2.2",
        Status::Met,
    );
    check(
        diagnostic("unintended", adult.clone(), "0.3", "2.9999"),
        "2.2",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", adult.clone(), "2.49", "24.9"),
        "2.2",
        Status::Met,
    );
    check(
        diagnostic("unintended", adult.clone(), "2.49", "24.89"),
        "2.2",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", adult.clone(), "0.3", "3"),
        "2.1",
        Status::NotApplicable,
    );
    // 2.3: 2.5 <= intended <= 10, 25 mSv.
    check(
        diagnostic("unintended", adult.clone(), "2.5", "25"),
        "2.3",
        Status::Met,
    );
    check(
        diagnostic("unintended", adult.clone(), "10", "24.999"),
        "2.3",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", adult.clone(), "10", "25"),
        "2.3",
        Status::Met,
    );
    // 2.4: intended over 10, 2.5x.
    check(
        diagnostic("unintended", adult.clone(), "10.001", "25.0025"),
        "2.4",
        Status::Met,
    );
    check(
        diagnostic("unintended", adult.clone(), "10.001", "25.0024"),
        "2.4",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", adult.clone(), "40", "100"),
        "2.4",
        Status::Met,
    );
    check(
        diagnostic("unintended", adult.clone(), "40", "99.99"),
        "2.4",
        Status::NotMet,
    );
    // Lower than intended is never notifiable outside radiotherapy.
    check(
        diagnostic("unintended", adult.clone(), "40", "1"),
        "2.4",
        Status::NotMet,
    );
    // An edge note when the intended dose sits on a band edge.
    let a = assessment_with(
        &diagnostic("unintended", adult, "2.5", "25"),
        &Settings::default(),
    );
    assert!(
        a.notes.iter().any(|n| n.contains("band edge")),
        "{:?}",
        a.notes
    );
}

#[test]
fn bands_without_an_intended_dose() {
    let adult = json!({"age_group": "adult"});
    check(
        diagnostic("unintended", adult.clone(), "", "0.99"),
        "2.2",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", adult.clone(), "", "2.99"),
        "2.2",
        Status::NotMet,
    );
    check(
        diagnostic("unintended", adult, "", "3"),
        "2.2",
        Status::Undetermined,
    );
    check(
        diagnostic("unintended", json!({"age_group": "child"}), "", "1"),
        "2.1",
        Status::Undetermined,
    );
}

#[test]
fn another_unit_leaves_msv_criteria_undetermined() {
    let mut i = diagnostic("unintended", json!({"age_group": "adult"}), "1", "100");
    i["dose"]["unit"] = json!("mGy");
    check(i.clone(), "2.2", Status::Undetermined);
    let a = assessment_with(&i, &Settings::default());
    assert_eq!(a.outcome, Outcome::Undetermined);
    assert!(a.missing.iter().any(|m| m == "dose.received"));
}

#[test]
fn code_3_tissue_reaction() {
    let i = |reaction: bool, errors: Value| {
        incident(
            "interventional-cardiology",
            "unintended",
            json!({"tissue_reaction": reaction, "errors": errors}),
        )
    };
    check(i(true, json!([])), "3", Status::Met);
    check(i(false, json!(["human"])), "3", Status::NotMet);
}

#[test]
fn code_4_1_planning_scans() {
    let i = |n: u32| {
        incident(
            "rt-planning-scan",
            "unintended",
            json!({"planning_scans": n}),
        )
    };
    check(i(3), "4.1", Status::Met);
    check(i(2), "4.1", Status::NotMet);
    check(
        incident("rt-planning-scan", "unintended", json!({})),
        "4.1",
        Status::Undetermined,
    );
    check(i(2), "2.1", Status::NotApplicable);
}

#[test]
fn code_4_2_verification_images() {
    let v = |fraction: u32, intended: u32, additional: u32, cause: &str, thematic: bool| {
        incident(
            "rt-verification-imaging",
            "unintended",
            json!({"verification": {
            "images_in_fraction": fraction, "intended_images": intended, "additional_images": additional, "cause": cause, "thematic": thematic}}),
        )
    };
    check(v(3, 10, 0, "set-up", false), "4.2a", Status::Met);
    check(v(2, 10, 0, "set-up", false), "4.2a", Status::NotMet);
    check(v(3, 10, 0, "equipment", false), "4.2a", Status::Met);
    check(v(1, 10, 5, "protocol", false), "4.2b", Status::Met);
    check(v(1, 10, 4, "protocol", false), "4.2b", Status::NotMet);
    check(v(1, 9, 5, "protocol", false), "4.2b", Status::Met);
    check(v(1, 9, 4, "protocol", false), "4.2b", Status::NotMet);
    check(v(1, 10, 5, "set-up", false), "4.2b", Status::NotMet);
    check(v(1, 10, 5, "equipment", true), "4.2c", Status::Met);
    check(v(1, 10, 4, "equipment", true), "4.2c", Status::NotMet);
    check(v(1, 10, 5, "equipment", false), "4.2c", Status::NotMet);
    check(v(1, 10, 5, "protocol", true), "4.2c", Status::NotMet);
    // No additional image is never "50% more", even against none intended.
    check(v(1, 0, 0, "protocol", false), "4.2b", Status::NotMet);
    check(v(1, 0, 1, "protocol", false), "4.2b", Status::Met);
}

#[test]
fn code_5_foetal_dose() {
    let f = |dose: &str, intended: bool, exposure: &str| {
        incident(
            "ct",
            exposure,
            json!({"foetus": {"dose_mgy": serde_json::from_str::<Value>(dose).expect("n"), "intended": intended}}),
        )
    };
    check(f("10", false, "intended"), "5", Status::Met);
    check(f("9.999", false, "intended"), "5", Status::NotMet);
    check(f("50", true, "unintended"), "5", Status::NotMet);
    check(f("10", false, "accidental"), "5", Status::Met);
    check(f("10", false, "none"), "5", Status::NotApplicable);
}

#[test]
fn code_6_infant_dose() {
    let i = |dose: &str, errors: Option<Value>| {
        let mut v = incident(
            "nuclear-medicine",
            "intended",
            json!({"infant_dose_msv": serde_json::from_str::<Value>(dose).expect("n")}),
        );
        match errors {
            Some(e) => v["errors"] = e,
            None => {
                v.as_object_mut().expect("o").remove("errors");
            }
        }
        v
    };
    check(i("1", Some(json!(["procedural"]))), "6", Status::Met);
    check(i("0.999", Some(json!(["procedural"]))), "6", Status::NotMet);
    check(i("5", Some(json!([]))), "6", Status::NotMet);
    check(i("5", None), "6", Status::Undetermined);
    check(i("0.5", None), "6", Status::NotMet);
}

#[test]
fn code_7_radiopharmaceutical() {
    let r = |a: &str, b: &str| {
        incident(
            "nuclear-medicine",
            "unintended",
            json!({"radiopharmaceutical": {"intended": a, "administered": b}}),
        )
    };
    check(r("Tc-99m HDP", "Tc-99m MAA"), "7", Status::Met);
    check(r("Tc-99m HDP", "99mTc HDP"), "7", Status::NotMet);
    // A wrong patient given a radiopharmaceutical is code 1, not 7.
    let mut wrong_patient = r("Tc-99m HDP", "Tc-99m MAA");
    wrong_patient["exposure"] = json!("accidental");
    check(wrong_patient, "7", Status::NotApplicable);
}

fn delivery(structure: &str, scope: &str, intended: &str, delivered: &str) -> Value {
    json!({"structure": structure, "scope": scope,
        "intended_gy": serde_json::from_str::<Value>(intended).expect("n"),
        "delivered_gy": serde_json::from_str::<Value>(delivered).expect("n")})
}

fn rt(deliveries: Vec<Value>, miss: Value) -> Value {
    let mut therapy = miss;
    therapy["deliveries"] = json!(deliveries);
    incident("external-beam", "unintended", json!({"therapy": therapy}))
}

#[test]
fn code_8_delivered_dose() {
    let none = || json!({});
    check(
        rt(vec![delivery("ptv", "course", "60", "66")], none()),
        "8.1",
        Status::Met,
    );
    check(
        rt(vec![delivery("ptv", "course", "60", "65.99")], none()),
        "8.1",
        Status::NotMet,
    );
    check(
        rt(vec![delivery("oar", "fraction", "2", "2.4")], none()),
        "8.1",
        Status::Met,
    );
    check(
        rt(vec![delivery("oar", "fraction", "2", "2.39")], none()),
        "8.1",
        Status::NotMet,
    );
    check(
        rt(vec![delivery("ptv", "course", "60", "54")], none()),
        "8.2",
        Status::Met,
    );
    check(
        rt(vec![delivery("ptv", "course", "60", "54.01")], none()),
        "8.2",
        Status::NotMet,
    );
    // 8.2 is about the PTV over the whole course only.
    check(
        rt(vec![delivery("oar", "course", "60", "10")], none()),
        "8.2",
        Status::Undetermined,
    );
    // With a geographical miss, 8.2 gives way to 9.x; 8.1 still stands.
    check(
        rt(
            vec![delivery("ptv", "course", "60", "30")],
            json!({"geographical_miss": "partial", "miss_mm": 1, "margin_mm": 1}),
        ),
        "8.2",
        Status::NotApplicable,
    );
    check(
        rt(
            vec![delivery("ptv", "course", "60", "66")],
            json!({"geographical_miss": "total"}),
        ),
        "8.1",
        Status::Met,
    );
}

#[test]
fn code_9_geographical_miss() {
    check(
        rt(vec![], json!({"geographical_miss": "total"})),
        "9.1",
        Status::Met,
    );
    check(
        rt(vec![delivery("ptv", "course", "60", "60")], json!({})),
        "9.1",
        Status::NotMet,
    );
    let partial = |miss: &str, d: Value| {
        rt(
            vec![d],
            json!({"geographical_miss": "partial", "miss_mm": serde_json::from_str::<Value>(miss).expect("n"), "margin_mm": 4}),
        )
    };
    check(
        partial("10.01", delivery("ptv", "course", "50", "45")),
        "9.2",
        Status::Met,
    );
    check(
        partial("10", delivery("ptv", "course", "50", "45")),
        "9.2",
        Status::NotMet,
    );
    check(
        partial("10.01", delivery("ptv", "course", "50", "45.01")),
        "9.2",
        Status::NotMet,
    );
    check(
        partial("10.01", delivery("oar", "fraction", "2", "2.4")),
        "9.2",
        Status::Met,
    );
}

/// 9.2 is three-valued: not met as soon as one condition is known to fail,
/// undetermined only while a condition that could still hold is unknown.
#[test]
fn code_9_2_is_three_valued() {
    let partial = |sizes: Value, deliveries: Vec<Value>| {
        let mut miss = json!({"geographical_miss": "partial"});
        for (k, v) in sizes.as_object().expect("object") {
            miss[k] = v.clone();
        }
        rt(deliveries, miss)
    };
    let as_planned = || vec![delivery("ptv", "course", "55", "55")];
    // Sizes unknown, complete deliveries meeting no factor: not met.
    check(partial(json!({}), as_planned()), "9.2", Status::NotMet);
    check(
        partial(json!({"miss_mm": 12}), as_planned()),
        "9.2",
        Status::NotMet,
    );
    // Sizes unknown, a delivery meeting a factor: undetermined on the sizes.
    check(
        partial(json!({}), vec![delivery("ptv", "course", "50", "45")]),
        "9.2",
        Status::Undetermined,
    );
    // The miss exceeds the margin, no PTV whole-course delivery and no 8.1
    // factor: the 8.2 factor cannot be known.
    let oar_only = || vec![delivery("oar", "course", "20", "20.5")];
    check(
        partial(json!({"miss_mm": 12, "margin_mm": 4}), oar_only()),
        "9.2",
        Status::Undetermined,
    );
    // ... but an OAR over the 8.1 factor settles it.
    check(
        partial(
            json!({"miss_mm": 12, "margin_mm": 4}),
            vec![delivery("oar", "course", "20", "22")],
        ),
        "9.2",
        Status::Met,
    );
    // A miss within the margin is not met whatever the doses.
    check(
        partial(json!({"miss_mm": 10, "margin_mm": 4}), oar_only()),
        "9.2",
        Status::NotMet,
    );
    let a = assessment_with(
        &partial(json!({"miss_mm": 12, "margin_mm": 4}), oar_only()),
        &Settings::default(),
    );
    assert!(
        a.missing.iter().any(|m| m == "therapy.deliveries"),
        "{:?}",
        a.missing
    );
}

/// The category the facts point to when nothing is met (interpretations.md,
/// "The category code", clarified 2026-11-29).
#[test]
fn category_code_from_the_facts() {
    let category = |i: Value| {
        assessment_with(&i, &Settings::default())
            .category_code
            .map(|c| c.to_string())
    };
    let verification = |cause: &str, thematic: bool| {
        incident(
            "rt-verification-imaging",
            "unintended",
            json!({"verification": {"images_in_fraction": 1, "intended_images": 5, "additional_images": 1, "cause": cause, "thematic": thematic}}),
        )
    };
    assert_eq!(
        category(verification("equipment", false)).as_deref(),
        Some("4.2a")
    );
    assert_eq!(
        category(verification("equipment", true)).as_deref(),
        Some("4.2c")
    );
    assert_eq!(
        category(verification("set-up", false)).as_deref(),
        Some("4.2a")
    );
    assert_eq!(
        category(verification("protocol", false)).as_deref(),
        Some("4.2b")
    );
    let none = || json!({});
    assert_eq!(
        category(rt(vec![delivery("oar", "course", "20", "17")], none())),
        None,
        "an organ at risk under-dosed points to no category"
    );
    assert_eq!(
        category(rt(vec![delivery("ptv", "fraction", "2", "1.9")], none())).as_deref(),
        Some("8.2")
    );
    assert_eq!(
        category(rt(vec![delivery("oar", "fraction", "2", "2.1")], none())).as_deref(),
        Some("8.1")
    );
}

#[test]
fn code_10_activity() {
    let a = |modality: &str, p: u32, d: u32| {
        incident(
            modality,
            "unintended",
            json!({"activity": {"prescribed_mbq": p, "delivered_mbq": d}}),
        )
    };
    check(a("sirt", 1000, 1200), "10.1", Status::NotMet);
    check(a("sirt", 1000, 1201), "10.1", Status::Met);
    check(a("sirt", 1000, 800), "10.1", Status::NotMet);
    check(a("sirt", 1000, 799), "10.1", Status::Met);
    check(
        a("nuclear-medicine-therapy", 1000, 1100),
        "10.2",
        Status::NotMet,
    );
    check(
        a("nuclear-medicine-therapy", 1000, 1101),
        "10.2",
        Status::Met,
    );
    check(
        a("nuclear-medicine-therapy", 1000, 900),
        "10.2",
        Status::NotMet,
    );
    check(
        a("nuclear-medicine-therapy", 1000, 899),
        "10.2",
        Status::Met,
    );
}

#[test]
fn the_child_age_cut_off_is_a_setting() {
    let i = diagnostic("accidental", json!({"age": 16}), "", "2");
    let default = assessment_with(&i, &Settings::default());
    assert_eq!(default.outcome, Outcome::Notifiable);
    assert!(
        default
            .notes
            .iter()
            .any(|n| n.contains("age 16 is read as a child")),
        "{:?}",
        default.notes
    );
    let sixteen = assessment_with(
        &i,
        &Settings {
            child_age_under: 16,
        },
    );
    assert_eq!(sixteen.outcome, Outcome::NotNotifiable);
}

#[test]
fn duties_and_other_bodies() {
    let mut i = diagnostic("unintended", json!({"age_group": "adult"}), "1", "2");
    i["clinically_significant"] = json!(true);
    i["errors"] = json!(["equipment"]);
    i["nation"] = json!("scotland");
    let a = assessment_with(&i, &Settings::default());
    let duties: Vec<&str> = a.duties.iter().map(|d| d.as_str()).collect();
    assert_eq!(
        duties,
        [
            "investigate-and-record",
            "duty-of-candour",
            "inform-referrer-practitioner-patient"
        ]
    );
    let bodies: Vec<&str> = a.other_reports.iter().map(|r| r.to.id()).collect();
    assert_eq!(bodies, ["iric"]);
    let codes: Vec<String> = a.codes.iter().map(ToString::to_string).collect();
    assert_eq!(codes, ["E2.2", "C2.2"]);

    let mut worker = diagnostic("accidental", json!({"age_group": "adult"}), "", "20");
    worker["person"] = json!("worker");
    let a = assessment_with(&worker, &Settings::default());
    assert_eq!(a.outcome, Outcome::OutOfScope);
    assert_eq!(
        a.other_reports
            .iter()
            .map(|r| r.to.id())
            .collect::<Vec<_>>(),
        ["hse"]
    );
}
