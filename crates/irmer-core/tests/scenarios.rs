//! The public scenarios (`testdata/scenarios-public.jsonl`, a copy of
//! `shared/scenarios/public.jsonl`): every worked incident must give the
//! expected outcome, codes, authority and deadlines.

use std::path::PathBuf;

use irmer_core::{GuidanceVersion, Settings, assess, parse::incident_from_value};
use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn scenarios() -> Vec<Value> {
    let text = std::fs::read_to_string(testdata("scenarios-public.jsonl")).expect("scenario file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("scenario line is JSON"))
        .collect()
}

/// What the assessment says, in the scenario file's terms.
fn observed(incident: &Value) -> Value {
    let incident =
        incident_from_value(incident).unwrap_or_else(|e| panic!("incident refused: {e}"));
    let assessment = assess(&incident, GuidanceVersion::LATEST, &Settings::default());
    let mut codes: Vec<String> = assessment.codes.iter().map(ToString::to_string).collect();
    codes.sort();
    serde_json::json!({
        "outcome": assessment.outcome.as_str(),
        "codes": codes,
        "authority": assessment.authority.map(|a| a.id()),
        "category_code": assessment.category_code.map(|c| c.to_string()),
        "deadlines": assessment.deadlines.map(|d| serde_json::json!({
            "notify_by": d.notify_by.to_string(),
            "report_by": d.report_by.to_string(),
        })),
    })
}

#[test]
fn every_public_scenario_gives_the_expected_assessment() {
    let all = scenarios();
    assert!(all.len() >= 73, "the scenario file has {} cases", all.len());
    let mut failures = Vec::new();
    for scenario in &all {
        let id = scenario["id"].as_str().unwrap_or("?");
        let expected = &scenario["expected"];
        let got = observed(&scenario["incident"]);
        let mut expected_codes: Vec<String> = expected["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| c.as_str().expect("code").to_owned())
            .collect();
        expected_codes.sort();
        let mut wrong = Vec::new();
        if got["outcome"] != expected["outcome"] {
            wrong.push(format!(
                "outcome {} (expected {})",
                got["outcome"], expected["outcome"]
            ));
        }
        if got["codes"] != serde_json::json!(expected_codes) {
            wrong.push(format!(
                "codes {} (expected {:?})",
                got["codes"], expected_codes
            ));
        }
        if got["authority"] != expected["authority"] {
            wrong.push(format!(
                "authority {} (expected {})",
                got["authority"], expected["authority"]
            ));
        }
        // Lines from P68 on may give the category code (null included).
        if let Some(category) = expected.get("category_code") {
            if &got["category_code"] != category {
                wrong.push(format!(
                    "category_code {} (expected {category})",
                    got["category_code"]
                ));
            }
        }
        if let Some(deadlines) = expected.get("deadlines") {
            if &got["deadlines"] != deadlines {
                wrong.push(format!(
                    "deadlines {} (expected {deadlines})",
                    got["deadlines"]
                ));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{id} ({}): {}",
                scenario["source"],
                wrong.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn the_copy_is_in_step_with_the_shared_scenarios() {
    let shared =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scenarios/public.jsonl");
    let Ok(upstream) = std::fs::read(&shared) else {
        // A clone without shared/ beside it: the copy is the reference.
        eprintln!(
            "note: {} not found; the project's copy is used as it is",
            shared.display()
        );
        return;
    };
    let copy = std::fs::read(testdata("scenarios-public.jsonl")).expect("copy");
    assert!(
        copy == upstream,
        "testdata/scenarios-public.jsonl differs from shared/scenarios/public.jsonl: copy the shared file again"
    );
}
