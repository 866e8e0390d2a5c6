//! `irmer explain CODE`.

use std::process::ExitCode;

use irmer_core::guidance::explain::{all_codes, explain};
use irmer_core::{CriterionId, GuidanceVersion, Settings, assess, parse_incident};

use crate::text::wrap;

pub fn run(
    code: Option<&str>,
    guidance: GuidanceVersion,
    settings: &Settings,
) -> anyhow::Result<ExitCode> {
    let Some(code) = code else {
        println!("Notification codes (guidance {guidance}); `irmer explain CODE` for one:\n");
        for id in all_codes() {
            println!("  {:<5} {}", id.as_str(), explain(id).category);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let Some(id) = CriterionId::parse(code) else {
        let known: Vec<&str> = all_codes().map(CriterionId::as_str).collect();
        eprintln!(
            "irmer: unknown notification code {code:?}; known codes: {}",
            known.join(", ")
        );
        return Ok(ExitCode::from(2));
    };
    let e = explain(id);
    let title = match id {
        CriterionId::Code(_) => format!("Code {}", id.as_str()),
        CriterionId::Letter(_) => format!("Complementary code {}", id.as_str()),
    };
    println!("{title}: {}\n", e.category);
    section("What the guidance says", e.guidance);
    section("How irmer reads it", e.reading);
    println!("Example");
    println!("  {}", e.example);
    let incident = parse_incident(e.example)
        .map_err(|err| anyhow::anyhow!("the example for {code} is not valid: {err}"))?;
    let assessment = assess(&incident, guidance, settings);
    let codes: Vec<String> = assessment.codes.iter().map(ToString::to_string).collect();
    let codes = if codes.is_empty() {
        "no codes".to_owned()
    } else {
        format!("codes {}", codes.join(", "))
    };
    println!("  -> {}, {codes}", assessment.outcome);
    if let Some(c) = assessment.criterion(id) {
        for line in wrap(
            &format!("{} {}: {}", c.code, c.status.as_str(), c.reason),
            74,
        ) {
            println!("     {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn section(title: &str, body: &str) {
    println!("{title}");
    for line in wrap(body, 76) {
        println!("  {line}");
    }
    println!();
}
