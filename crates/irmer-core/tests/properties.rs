//! Properties that must hold for every input.

use irmer_core::assessment::{Outcome, Status};
use irmer_core::incident::{Modality, Nation};
use irmer_core::quantity::{Factor, Quantity};
use irmer_core::{
    CriterionId, GuidanceVersion, Incident, NotificationCode, Settings, assess, parse_incident,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A decimal with up to 3 places, as JSON text, 0 to 100.
fn decimal() -> impl Strategy<Value = String> {
    (0u32..100_000).prop_map(|n| format!("{}.{:03}", n / 1000, n % 1000))
}

fn number(text: &str) -> Value {
    serde_json::from_str(text).expect("number")
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)]
}

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(options)
}

type Verif = (
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<&'static str>,
    bool,
);
type Deliv = (&'static str, &'static str, u32, u32);

/// Who, where, what: the facts every incident has.
fn facts() -> BoxedStrategy<Value> {
    (
        pick(&["england", "wales", "scotland", "northern-ireland"]),
        proptest::sample::select(Modality::ALL.to_vec()),
        pick(&["accidental", "unintended", "intended", "none"]),
        pick(&["patient", "patient", "patient", "public", "worker"]),
        proptest::bool::weighted(0.05),
        1u32..4,
        proptest::bool::weighted(0.1),
        opt(0u32..100),
        opt(pick(&["adult", "child"])),
        opt(proptest::sample::subsequence(vec!["procedural", "human", "systematic", "equipment"], 0..=4)),
        1u32..28,
    )
        .prop_map(|(nation, modality, exposure, person, before, people, theme, age, group, errors, day)| {
            let mut i = json!({"nation": nation, "discovered": format!("2026-03-{day:02}"), "modality": modality.as_str(),
                "exposure": exposure, "person": person, "people": people, "theme": theme});
            if before { i["before_clinical_use"] = json!(true); }
            match (age, group) {
                (Some(a), _) => i["patient"] = json!({"age": a}),
                (None, Some(g)) => i["patient"] = json!({"age_group": g}),
                _ => {}
            }
            if let Some(e) = errors { i["errors"] = json!(e); }
            i
        })
        .boxed()
}

/// Doses, counts and events of imaging and nuclear medicine.
fn imaging() -> BoxedStrategy<Value> {
    (
        opt((opt(decimal()), opt(decimal()), pick(&["mSv", "mSv", "mSv", "mGy"]))),
        any::<bool>(),
        opt(1u32..6),
        opt((opt(1u32..6), opt(0u32..30), opt(0u32..30), opt(pick(&["set-up", "equipment", "protocol"])), any::<bool>())),
        opt((opt(decimal()), any::<bool>())),
        opt(decimal()),
        opt((pick(&["Tc-99m MDP", "99mTc-MDP", "Tc-99m MAA", "I-131"]), pick(&["Tc-99m MDP", "Tc99m HDP", "I-131"]))),
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(dose, tissue, scans, verification, foetus, infant, rp, cs, voluntary): (_, _, _, Option<Verif>, _, _, _, _, _)| {
            let mut i = json!({"tissue_reaction": tissue, "clinically_significant": cs, "voluntary": voluntary});
            if let Some((intended, received, unit)) = dose {
                let mut d = json!({"unit": unit});
                if let Some(x) = intended { d["intended"] = number(&x); }
                if let Some(x) = received { d["received"] = number(&x); }
                i["dose"] = d;
            }
            if let Some(s) = scans { i["planning_scans"] = json!(s); }
            if let Some((inf, int, add, cause, thematic)) = verification {
                let mut v = json!({"thematic": thematic});
                if let Some(x) = inf { v["images_in_fraction"] = json!(x); }
                if let Some(x) = int { v["intended_images"] = json!(x); }
                if let Some(x) = add { v["additional_images"] = json!(x); }
                if let Some(x) = cause { v["cause"] = json!(x); }
                i["verification"] = v;
            }
            if let Some((d, intended)) = foetus {
                let mut f = json!({"intended": intended});
                if let Some(x) = d { f["dose_mgy"] = number(&x); }
                i["foetus"] = f;
            }
            if let Some(x) = infant { i["infant_dose_msv"] = number(&x); }
            if let Some((a, b)) = rp { i["radiopharmaceutical"] = json!({"intended": a, "administered": b}); }
            i
        })
        .boxed()
}

/// Radiotherapy delivery and nuclear medicine therapy activity.
fn therapy() -> BoxedStrategy<Value> {
    (
        opt(proptest::collection::vec(
            (
                pick(&["ptv", "oar"]),
                pick(&["course", "fraction"]),
                1u32..80_000,
                0u32..100_000,
            ),
            0..3,
        )),
        pick(&["none", "total", "partial"]),
        opt(decimal()),
        opt(1u32..20),
        opt((opt(1u32..10_000), opt(0u32..12_000))),
    )
        .prop_map(
            |(deliveries, miss, miss_mm, margin_mm, activity): (Option<Vec<Deliv>>, _, _, _, _)| {
                let mut t = json!({"geographical_miss": miss});
                if let Some(ds) = deliveries {
                    t["deliveries"] = ds
                        .iter()
                        .map(|(s, sc, i, d)| {
                            json!({"structure": s, "scope": sc,
                    "intended_gy": number(&format!("{}.{:03}", i / 1000, i % 1000)),
                    "delivered_gy": number(&format!("{}.{:03}", d / 1000, d % 1000))})
                        })
                        .collect();
                }
                if let Some(x) = miss_mm {
                    t["miss_mm"] = number(&x);
                }
                if let Some(x) = margin_mm {
                    t["margin_mm"] = json!(x);
                }
                let mut i = json!({"therapy": t});
                if let Some((p, d)) = activity {
                    let mut a = json!({});
                    if let Some(x) = p {
                        a["prescribed_mbq"] = json!(x);
                    }
                    if let Some(x) = d {
                        a["delivered_mbq"] = json!(x);
                    }
                    i["activity"] = a;
                }
                i
            },
        )
        .boxed()
}

/// A valid incident in the contract's JSON, any modality, any facts.
fn incident_json() -> BoxedStrategy<Value> {
    (facts(), imaging(), therapy())
        .prop_map(|(mut i, imaging, therapy)| {
            for part in [imaging, therapy] {
                for (k, v) in part.as_object().expect("object") {
                    i[k] = v.clone();
                }
            }
            // An accidental exposure has no intended dose.
            if i["exposure"] == "accidental" {
                if let Some(d) = i.get_mut("dose").and_then(Value::as_object_mut) {
                    d.remove("intended");
                }
            }
            i
        })
        .boxed()
}

/// An accidental or unintended exposure of a patient with an effective dose
/// received in mSv (and an intended one when unintended).
fn dosed_incident() -> BoxedStrategy<Value> {
    (
        incident_json(),
        pick(&["accidental", "unintended"]),
        decimal(),
        decimal(),
    )
        .prop_map(|(mut i, exposure, intended, received)| {
            i["exposure"] = json!(exposure);
            i["person"] = json!("patient");
            i["before_clinical_use"] = json!(false);
            i["dose"] = json!({"unit": "mSv", "received": number(&received)});
            if exposure == "unintended" {
                i["dose"]["intended"] = number(&intended);
            }
            i
        })
        .boxed()
}

fn parse(value: &Value) -> Incident {
    parse_incident(&value.to_string())
        .unwrap_or_else(|e| panic!("generated incident refused: {e}\n{value}"))
}

fn run(incident: &Incident) -> irmer_core::Assessment {
    assess(incident, GuidanceVersion::LATEST, &Settings::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The assessment is consistent with itself, whatever the incident.
    #[test]
    fn assessments_are_consistent(value in incident_json()) {
        let incident = parse(&value);
        let a = run(&incident);
        let met = |id: CriterionId| a.criterion(id).is_some_and(|c| c.status == Status::Met);
        let statutory = a.criteria.iter().any(|c| c.status == Status::Met && matches!(c.code, CriterionId::Code(_)))
            || met(CriterionId::Letter(irmer_core::Letter::M))
            || met(CriterionId::Letter(irmer_core::Letter::C));
        prop_assert_eq!(a.outcome == Outcome::Notifiable, statutory);
        prop_assert_eq!(a.deadlines.is_some(), a.outcome == Outcome::Notifiable);
        prop_assert_eq!(a.authority.is_some(), matches!(a.outcome, Outcome::Notifiable | Outcome::Voluntary));
        if a.outcome == Outcome::Undetermined {
            prop_assert!(!a.missing.is_empty(), "undetermined without missing facts");
        }
        for code in &a.codes {
            match code {
                NotificationCode::Bare(c) => prop_assert!(met(CriterionId::Code(*c)), "{} in codes but not met", c),
                NotificationCode::Complementary(_, c) => prop_assert_eq!(Some(*c), a.category_code),
            }
        }
        prop_assert!(a.duties.contains(&irmer_core::assessment::Duty::InvestigateAndRecord));
        // Same facts, same answer.
        prop_assert_eq!(&a, &run(&incident));
        // It reads back from its JSON (the register stores it so).
        let back: irmer_core::Assessment = serde_json::from_str(&serde_json::to_string(&a).expect("json")).expect("reads back");
        prop_assert_eq!(&back, &a);
        // The fast writer writes exactly what serde_json writes.
        let mut fast = Vec::new();
        a.write_json(&mut fast);
        prop_assert_eq!(String::from_utf8(fast).expect("utf-8"), serde_json::to_string(&a).expect("serialises"));
    }

    /// An incident reads back exactly as it was written.
    #[test]
    fn incidents_round_trip(value in incident_json()) {
        let incident = parse(&value);
        let text = serde_json::to_string(&incident).expect("serialises");
        prop_assert_eq!(parse_incident(&text).expect("reads back"), incident);
    }

    /// Raising the dose received never turns a notifiable accidental or
    /// unintended exposure into a non-notifiable one.
    #[test]
    fn more_dose_is_never_less_notifiable(value in dosed_incident(), extra in decimal()) {
        let before = run(&parse(&value)).outcome;
        let received = Quantity::parse(&value["dose"]["received"].to_string()).expect("dose");
        let mut raised = value.clone();
        let sum = received.decimal() + Quantity::parse(&extra).expect("extra").decimal();
        raised["dose"]["received"] = number(&sum.to_string());
        let after = run(&parse(&raised)).outcome;
        if before == Outcome::Notifiable {
            prop_assert_eq!(after, Outcome::Notifiable, "raising the dose by {} changed the outcome", extra);
        }
    }

    /// Making the patient a child never makes a notifiable exposure
    /// non-notifiable.
    #[test]
    fn a_child_is_never_less_protected(value in dosed_incident(), age in 0u32..18) {
        let before = run(&parse(&value)).outcome;
        let mut younger = value.clone();
        younger["patient"] = json!({"age": age});
        if before == Outcome::Notifiable {
            prop_assert_eq!(run(&parse(&younger)).outcome, Outcome::Notifiable);
        }
    }

    /// Factor comparisons agree with integer arithmetic on the same numbers.
    #[test]
    fn factor_comparisons_are_exact(a in 0u64..10_000_000, b in 1u64..10_000_000, scale_a in 0u32..6, scale_b in 0u32..6, num in 1u32..30, den in 1u32..30) {
        let qa = Quantity::parse(&format_scaled(a, scale_a)).expect("a");
        let qb = Quantity::parse(&format_scaled(b, scale_b)).expect("b");
        // a/10^sa * den  vs  num/den... : a * den * 10^sb  vs  b * num * 10^sa
        let lhs = u128::from(a) * u128::from(den) * 10u128.pow(scale_b);
        let rhs = u128::from(b) * u128::from(num) * 10u128.pow(scale_a);
        prop_assert_eq!(qa.cmp_times(Factor::new(num, den), qb), lhs.cmp(&rhs));
    }

    /// No text makes the parser panic, and every refusal names a reason.
    #[test]
    fn parsing_never_panics(text in ".{0,200}") {
        if let Err(e) = parse_incident(&text) {
            prop_assert!(!e.message.is_empty());
        }
    }

    /// Nor does a valid incident with one field replaced by any JSON value.
    #[test]
    fn wrong_values_are_refused_with_the_field(value in incident_json(), field in pick(&["nation", "discovered", "people", "patient", "errors", "dose", "therapy", "activity", "verification", "foetus"]), junk in prop_oneof![Just(json!("x")), Just(json!(-1)), Just(json!([1])), Just(json!({"bogus": 1})), Just(json!(1.5)), Just(json!(true))]) {
        let mut broken = value.clone();
        broken[field] = junk;
        if let Err(e) = parse_incident(&broken.to_string()) {
            prop_assert!(e.field.starts_with(field) || e.field.is_empty(), "error names {} for a broken {}", e.field, field);
        }
    }
}

fn format_scaled(mantissa: u64, scale: u32) -> String {
    if scale == 0 {
        return mantissa.to_string();
    }
    let text = format!("{:0width$}", mantissa, width = scale as usize + 1);
    let (int, frac) = text.split_at(text.len() - scale as usize);
    format!("{int}.{frac}")
}

#[test]
fn nations_have_their_own_authority() {
    let base = |nation: &str| json!({"nation": nation, "discovered": "2026-01-01", "modality": "ct", "exposure": "accidental", "errors": ["human"], "dose": {"received": 5}});
    let ids: Vec<&str> = ["england", "wales", "scotland", "northern-ireland"]
        .iter()
        .map(|n| run(&parse(&base(n))).authority.expect("notifiable").id())
        .collect();
    assert_eq!(ids, ["cqc", "hiw", "his", "rqia"]);
    assert_eq!(Nation::ALL.len(), 4);
}

/// JSON without `null` inside objects, up to three levels deep, with few
/// keys so that old and new documents share members.
fn json_document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        pick(&["a", "b", ""]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::btree_map(pick(&["k", "l", "m", "n"]), inner, 0..4).prop_map(
                |m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The patch made from two documents, applied to the first, gives the
    /// second; between equal documents it changes nothing.
    #[test]
    fn the_patch_between_two_documents_round_trips(old in json_document(), new in json_document()) {
        let patch = irmer_core::patch::merge_patch_from(&old, &new);
        let mut patched = old.clone();
        irmer_core::patch::merge_patch(&mut patched, &patch);
        prop_assert_eq!(&patched, &new, "patch {}", patch);
        let same = irmer_core::patch::merge_patch_from(&new, &new);
        if new.is_object() {
            prop_assert_eq!(same, json!({}));
        }
    }
}
