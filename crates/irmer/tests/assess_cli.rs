//! `irmer assess` and `irmer explain`, run as a person or a script would.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn irmer(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(args)
        .env_remove("IRMER_GUIDANCE")
        .env_remove("IRMER_CHILD_AGE_UNDER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("irmer runs");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        // The child may stop reading early; a broken pipe is fine.
        let _ = input.write_all(text.as_bytes());
    });
    let output = child.wait_with_output().expect("irmer finishes");
    writer.join().expect("writer");
    output
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

const GOOD: &str = r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"intended":0.5,"received":6}}"#;

#[test]
fn json_output_matches_every_public_scenario_in_input_order() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/scenarios-public.jsonl");
    let scenarios: Vec<Value> = std::fs::read_to_string(path)
        .expect("scenarios")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let input: String = scenarios
        .iter()
        .map(|s| format!("{}\n", s["incident"]))
        .collect();
    let out = irmer(&["assess", "--json"], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), scenarios.len());
    for (scenario, got) in scenarios.iter().zip(&lines) {
        let id = &scenario["id"];
        let expected = &scenario["expected"];
        assert_eq!(got["outcome"], expected["outcome"], "{id}");
        let mut codes: Vec<&str> = got["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| c.as_str().expect("str"))
            .collect();
        codes.sort();
        let mut want: Vec<&str> = expected["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| c.as_str().expect("str"))
            .collect();
        want.sort();
        assert_eq!(codes, want, "{id}");
        assert_eq!(
            got["authority"].get("id").unwrap_or(&Value::Null),
            &expected["authority"],
            "{id}"
        );
        if let Some(deadlines) = expected.get("deadlines") {
            assert_eq!(&got["deadlines"], deadlines, "{id}");
        }
        assert_eq!(got["guidance"], "cqc-2024-08-28");
        // Every criterion comes with a status and a reason.
        for c in got["criteria"].as_array().expect("criteria") {
            assert!(
                !c["reason"].as_str().expect("reason").is_empty(),
                "{id}: {c}"
            );
        }
    }
}

#[test]
fn bad_lines_are_named_and_the_good_ones_still_assessed() {
    let lines = [
        GOOD,
        r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","patient":{"age":"thirty"}}"#,
        r#"{"nation":"england","discovered":"2026-01-20","modality":"xray","exposure":"unintended"}"#,
        r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","dose":{"received":-2}}"#,
        r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","dose":{"recieved":3}}"#,
        r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","people":"two"}"#,
        r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","#,
        "",
        r#"{"nation":"wales","discovered":"2026-01-20","modality":"dental","exposure":"accidental","errors":["human"]}"#,
        r#"{"nation":"england","modality":"ct","exposure":"unintended"}"#,
    ];
    let out = irmer(&["assess", "--json"], &lines.join("\n"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let expected = [
        r#"line 2: patient.age: expected a whole number of years from 0 to 130, found "thirty""#,
        r#"line 3: modality: expected one of radiography, fluoroscopy, ct,"#,
        "line 4: dose.received: expected a dose, a number 0 or more, found -2 (negative)",
        r#"line 5: dose.recieved: unknown field; expected one of unit, intended, received (did you mean "received"?)"#,
        r#"line 6: people: expected a whole number of people, 1 or more, found "two""#,
        "line 7, column 62: not valid JSON: the document ends too early",
        "line 10: discovered: required, but missing",
        "irmer: 7 incidents refused, 2 assessed",
    ];
    let err_lines: Vec<&str> = err.lines().collect();
    assert_eq!(err_lines.len(), expected.len(), "{err}");
    for (got, want) in err_lines.iter().zip(expected) {
        assert!(got.starts_with(want), "got:  {got}\nwant: {want}");
    }
    let assessed: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(assessed.len(), 2);
    assert_eq!(assessed[0]["codes"], serde_json::json!(["2.2"]));
    assert_eq!(assessed[1]["authority"]["id"], "hiw");
}

#[test]
fn one_document_over_several_lines() {
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(GOOD).expect("json"))
        .expect("pretty");
    let out = irmer(&["assess", "--json", "-"], &pretty);
    assert!(out.status.success(), "{}", stderr(&out));
    let a: Value = serde_json::from_str(stdout(&out).trim()).expect("one assessment");
    assert_eq!(a["outcome"], "notifiable");

    // An error in it is located by the document's own line.
    let broken = pretty.replace("\"ct\"", "\"ctt\"");
    let out = irmer(&["assess"], &broken);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("input: modality: expected one of"),
        "{}",
        stderr(&out)
    );
    let unclosed = pretty.trim_end().trim_end_matches('}').to_owned();
    let out = irmer(&["assess"], &unclosed);
    assert!(stderr(&out).starts_with("line "), "{}", stderr(&out));
}

#[test]
fn readable_output_puts_the_decision_first() {
    let out = irmer(&["assess"], GOOD);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .expect("heading")
            .starts_with("Incident (line 1): ct unintended exposure, England")
    );
    assert_eq!(
        lines.next(),
        Some("NOTIFIABLE to the Care Quality Commission (CQC): codes 2.2")
    );
    assert!(text.contains("notify by     2026-02-03"), "{text}");
    assert!(text.contains("report by     2026-04-14"), "{text}");
    assert!(text.contains("met          2.2   intended 0.5 mSv is in the 0.3-2.5 mSv band; total 6 mSv\n                     is 12x intended, at least 10x"), "{text}");
    let why = text.find("\nWhy").expect("why");
    let todo = text.find("\nWhat to do").expect("what to do");
    assert!(why < todo);
}

#[test]
fn a_file_argument_and_settings_are_honoured() {
    let dir = std::env::temp_dir().join(format!("irmer-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("one.json");
    std::fs::write(&file, r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"accidental","patient":{"age":16},"errors":["human"],"dose":{"received":2}}"#).expect("write");
    let path = file.to_str().expect("path");
    let default: Value =
        serde_json::from_str(&stdout(&irmer(&["assess", "--json", path], ""))).expect("json");
    assert_eq!(default["outcome"], "notifiable");
    let sixteen: Value = serde_json::from_str(&stdout(&irmer(
        &["--child-age-under", "16", "assess", "--json", path],
        "",
    )))
    .expect("json");
    assert_eq!(sixteen["outcome"], "not-notifiable");
    let out = irmer(
        &["assess", dir.join("absent.json").to_str().expect("path")],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    let out = irmer(&["--guidance", "cqc-1999", "assess"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown guidance version"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_overlong_line_is_refused_without_losing_the_next() {
    let long = format!(
        r#"{{"nation":"england","description":"{}"}}"#,
        "x".repeat(1_100_000)
    );
    let out = irmer(&["assess", "--json"], &format!("{long}\n{GOOD}\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("line 1: longer than 1048576 bytes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn explain_every_code() {
    for code in [
        "1", "2.1", "2.2", "2.3", "2.4", "3", "4.1", "4.2a", "4.2b", "4.2c", "5", "6", "7", "8.1",
        "8.2", "9.1", "9.2", "10.1", "10.2", "M", "E", "V", "C",
    ] {
        let out = irmer(&["explain", code], "");
        assert!(out.status.success(), "{code}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("What the guidance says"), "{code}");
        assert!(text.contains("How irmer reads it"), "{code}");
        assert!(
            text.contains("-> notifiable") || text.contains("-> voluntary"),
            "{code}: {text}"
        );
        assert!(text.contains(&format!("{code} met:")), "{code}: {text}");
    }
    let out = irmer(&["explain", "4.3"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("known codes: 1, 2.1"),
        "{}",
        stderr(&out)
    );
}
