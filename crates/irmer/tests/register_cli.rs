//! The register's commands, run as the real binary on a fresh SQLite file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Register {
    dir: PathBuf,
}

impl Register {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("irmer-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        Register { dir }
    }

    fn db(&self) -> String {
        self.dir
            .join("data")
            .join("irmer.db")
            .to_string_lossy()
            .into_owned()
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_irmer"))
            .arg("--database")
            .arg(self.db())
            .args(["--actor", "tester"])
            .args(args)
            .env_remove("IRMER_DATABASE_URL")
            .output()
            .expect("irmer runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn show(&self, reference: &str) -> Value {
        serde_json::from_str(&self.ok(&["incident", "show", reference, "--json"])).expect("json")
    }
}

impl Drop for Register {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn examples() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/incidents.jsonl")
        .to_string_lossy()
        .into_owned()
}

const CT: &str = r#"{"reference":"CT-9","nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"intended":0.5,"received":6}}"#;

#[test]
fn add_update_step_and_show_the_history() {
    let r = Register::new("life");
    let added = r.ok(&["incident", "add", &r.file("ct.json", CT)]);
    assert!(added.starts_with("recorded CT-9 (version 1)"), "{added}");
    assert!(
        added.contains("NOTIFIABLE to the Care Quality Commission (CQC): codes 2.2"),
        "{added}"
    );

    // A typo is refused with the field and changes nothing.
    let typo = r.run(&[
        "incident",
        "update",
        "CT-9",
        "--patch",
        &r.file("typo.json", r#"{"dose":{"recieved":3}}"#),
        "--reason",
        "x",
    ]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("dose.recieved: unknown field"));
    // A stale version is refused.
    let patch = r.file("patch.json", r#"{"dose":{"intended":1}}"#);
    let stale = r.run(&[
        "incident",
        "update",
        "CT-9",
        "--patch",
        &patch,
        "--reason",
        "recalculated",
        "--version",
        "7",
    ]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("is at version 1, not 7"),
        "{}",
        String::from_utf8_lossy(&stale.stderr)
    );
    assert_eq!(r.show("CT-9")["version"], 1);

    let updated = r.ok(&[
        "incident",
        "update",
        "CT-9",
        "--patch",
        &patch,
        "--reason",
        "dose recalculated by the MPE",
        "--version",
        "1",
    ]);
    assert!(updated.contains("NOT NOTIFIABLE"), "{updated}");
    let shown = r.show("CT-9");
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["assessment"]["outcome"], "not-notifiable");
    assert_eq!(
        shown["original"]["dose"]["intended"],
        serde_json::json!(0.5)
    );
    let history = shown["history"].as_array().expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["actor"], "tester");
    assert_eq!(history[1]["reason"], "dose recalculated by the MPE");
    assert_eq!(history[1]["changes"][0]["field"], "dose.intended");

    let step = r.run(&[
        "incident",
        "step",
        "CT-9",
        "record-notification",
        "--authority-reference",
        "X",
    ]);
    assert_eq!(step.status.code(), Some(2), "nothing to notify");
    r.ok(&[
        "incident",
        "step",
        "CT-9",
        "close-locally",
        "--date",
        "2026-02-01",
        "--findings",
        "Dose within limits after review.",
    ]);
    assert_eq!(r.show("CT-9")["status"], "closed-locally");
    let text = r.ok(&["incident", "show", "CT-9"]);
    assert!(
        text.contains("v3 ") && text.contains("close-locally by tester"),
        "{text}"
    );
    // Reopened only with a reason.
    let no_reason = r.run(&["incident", "step", "CT-9", "reopen"]);
    assert_eq!(no_reason.status.code(), Some(2));
    r.ok(&[
        "incident",
        "step",
        "CT-9",
        "reopen",
        "--reason",
        "The dose was recalculated",
    ]);
    assert_eq!(r.show("CT-9")["status"], "investigating");

    let missing = r.run(&["incident", "show", "NOPE"]);
    assert_eq!(missing.status.code(), Some(3));
}

#[test]
fn import_twice_creates_nothing_new_and_names_bad_lines() {
    let r = Register::new("import");
    let first = r.ok(&["import", &examples()]);
    assert_eq!(
        first.trim(),
        "imported 7 new, 0 already in the register unchanged, 0 refused"
    );
    let second = r.ok(&["import", &examples()]);
    assert_eq!(
        second.trim(),
        "imported 0 new, 7 already in the register unchanged, 0 refused"
    );

    let bad = r.file(
        "bad.jsonl",
        &format!(
            "{CT}\n{{\"nation\":\"england\"\n\n{}\n",
            CT.replace("\"ct\"", "\"xray\"").replace("CT-9", "CT-10")
        ),
    );
    let out = r.run(&["import", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: column 19: not valid JSON: the incident's object is not closed"),
        "{err}"
    );
    assert!(err.contains("line 4: modality: expected one of"), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 1 new"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let list = r.ok(&["incident", "list", "--json"]);
    assert_eq!(list.lines().count(), 8);
    let notifiable = r.ok(&[
        "incident",
        "list",
        "--outcome",
        "notifiable",
        "--modality",
        "ct",
        "--json",
    ]);
    let refs: Vec<String> = notifiable
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["reference"]
                .as_str()
                .expect("ref")
                .to_owned()
        })
        .collect();
    assert_eq!(refs, ["EX-002", "CT-9"], "most recently discovered first");
    // Search by reference, any case; an unknown code refused by name.
    let found = r.ok(&["incident", "list", "--search", "ct-9", "--json"]);
    assert_eq!(found.lines().count(), 1, "{found}");
    assert!(found.contains("\"CT-9\""), "{found}");
    let out = r.run(&["incident", "list", "--code", "9.9z"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("expected a notification code"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn csv_import_names_the_line_and_field() {
    let r = Register::new("csv");
    let csv = r.file(
        "incidents.csv",
        "reference,nation,discovered,modality,exposure,patient.age,errors,dose.intended,dose.received,description\n\
         C-1,england,2026-01-20,ct,unintended,34,human,0.5,6,\"Wrong protocol, repeated\"\n\
         C-2,wales,2026-01-21,dental,none,,human,,,Near miss\n\
         C-3,england,2026-01-22,ct,unintended,thirty,human,0.5,6,\n",
    );
    let out = r.run(&["import", &csv]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            r#"line 4: patient.age: expected a whole number of years from 0 to 130, found "thirty""#
        ),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2 new"));
    let c1 = r.show("C-1");
    assert_eq!(c1["assessment"]["codes"], serde_json::json!(["2.2"]));
    assert_eq!(c1["incident"]["description"], "Wrong protocol, repeated");
    // Again: nothing new.
    assert!(
        String::from_utf8_lossy(&r.run(&["import", &csv]).stdout)
            .contains("imported 0 new, 2 already in the register unchanged")
    );
    let bad = r.file("bad.csv", "reference,therapy.deliveries\nX,1\n");
    let out = r.run(&["import", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("import such incidents as JSON Lines"));
}

#[test]
fn deadlines_export_and_backup() {
    let r = Register::new("export");
    r.ok(&["import", &examples()]);
    let due = r.ok(&["deadlines", "--json"]);
    let order: Vec<String> = due
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["reference"]
                .as_str()
                .expect("ref")
                .to_owned()
        })
        .collect();
    // Soonest notification deadline first (all five are overdue by now).
    assert_eq!(order, ["EX-001", "EX-004", "EX-002", "EX-005", "EX-003"]);

    let csv = r.ok(&["export", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "reference,status,nation,modality,exposure,discovered,occurred,outcome,codes,category_code,authority,notify_by,notified_on,authority_reference,report_by,report_sent_on,closed_on,deadline,patient_age,age_group,people,errors,dose_received_msv,description"
        )
    );
    let first = lines.next().expect("a row");
    assert!(first.starts_with("EX-001,reported,england,nuclear-medicine,accidental,2026-01-20,,notifiable,1,1,cqc,2026-02-03,,,2026-04-14,"), "{first}");
    assert_eq!(csv.lines().count(), 8);

    // JSON Lines export imports into another register with the same facts.
    let exported = r.dir.join("export.jsonl");
    let out = r.run(&["export", "-o", exported.to_str().expect("path")]);
    assert!(out.status.success());
    let other = Register::new("export-other");
    assert!(
        other
            .ok(&["import", exported.to_str().expect("path")])
            .contains("imported 7 new")
    );
    assert_eq!(
        other.show("EX-003")["incident"],
        r.show("EX-003")["incident"]
    );

    let copy = r.dir.join("backup.db");
    r.ok(&["backup", copy.to_str().expect("path")]);
    let out = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args([
            "--database",
            copy.to_str().expect("path"),
            "incident",
            "list",
            "--json",
        ])
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
    assert_eq!(
        r.run(&["backup", copy.to_str().expect("path")])
            .status
            .code(),
        Some(1),
        "never overwrites"
    );
}

#[test]
fn tokens_are_listed_without_the_token_and_revoked() {
    let reg = Register::new("tokens");
    reg.ok(&["user", "add", "bridge", "--role", "investigator"]);
    let token = reg.ok(&["token", "create", "bridge", "--label", "pacs bridge"]);
    let token = token.trim();
    assert!(token.starts_with("irmer_"), "{token}");
    let listed = reg.ok(&["token", "list"]);
    assert!(!listed.contains(token), "{listed}");
    let row = listed
        .lines()
        .find(|l| l.contains("pacs bridge"))
        .expect("the token's row");
    assert!(row.contains("bridge") && row.ends_with("live"), "{row}");
    let id = row.split_whitespace().next().expect("id").to_owned();
    reg.ok(&["user", "add", "other", "--role", "reporter"]);
    assert_eq!(
        reg.ok(&["token", "list", "other"]).lines().count(),
        1,
        "only the header"
    );
    let out = reg.run(&["token", "list", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user \"nobody\""));

    assert!(reg.ok(&["token", "revoke", &id]).contains("revoked token"));
    let row = reg.ok(&["token", "list", "bridge"]);
    assert!(row.trim_end().ends_with("revoked"), "{row}");
    let again = reg.run(&["token", "revoke", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
    let none = reg.run(&["token", "revoke", "9999"]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("no token with id 9999"));
}

#[test]
fn a_report_is_saved_gated_exported_and_recorded() {
    let reg = Register::new("report");
    reg.ok(&["incident", "add", &reg.file("ct.json", CT)]);
    // Before any save: a prefilled draft, missing sections shown as such.
    let draft = reg.ok(&["report", "CT-9", "--format", "text"]);
    assert!(draft.contains("Version 0, draft"), "{draft}");
    assert!(draft.contains("5. Clinically significant"), "{draft}");
    assert!(draft.contains("Not written yet."), "{draft}");

    let sections = |extra: &str| {
        format!(
            r#"{{"sections": {{"what_happened": "The wrong protocol was chosen.{extra}", "doses": "0.5 mSv intended, 6 mSv received.",
               "causes": "Similar protocol names.", "previous_incidents": "None in the last year.",
               "csaue_procedure": "Not clinically significant.", "learning": "Protocols renamed; shared at the team meeting."}}}}"#
        )
    };
    let wrong = reg.file("wrong.json", r#"{"sections": {}, "similar": "CT-1"}"#);
    let refused = reg.run(&["report", "CT-9", "--save", &wrong]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("similar: invalid type: string"), "{why}");
    let partial = reg.file("partial.json", r#"{"sections": {"what_happened": "x"}}"#);
    let refused = reg.run(&["report", "CT-9", "--save", &partial, "--final"]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("sections.doses") && why.contains("Learning"),
        "{why}"
    );
    // A name after a title is refused as it is typed: nothing is saved.
    let with_name = reg.file("named.json", &sections(" Dr Khan was told."));
    let refused = reg.run(&["report", "CT-9", "--save", &with_name, "--final"]);
    assert_eq!(refused.status.code(), Some(2));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("sections.what_happened: this text would identify a person (name after a title at line 1, column 32)")
            && !why.contains("Khan"),
        "{why}"
    );
    // A local hospital number is a pattern only the export knows.
    let with_number = reg.file("numbered.json", &sections(" RXH1234567 was told."));
    let saved = reg.ok(&["report", "CT-9", "--save", &with_number, "--final"]);
    assert!(saved.contains("saved report version 1 (final)"), "{saved}");

    // An identifier blocks the export and writes nothing.
    let out = reg.dir.join("report.html");
    let out_s = out.to_string_lossy().into_owned();
    let mask = ["--hospital-number", "RXH#######"];
    let blocked = reg.run(
        &[
            &["report", "CT-9", "--format", "html", "-o", &out_s][..],
            &mask,
        ]
        .concat(),
    );
    assert_eq!(blocked.status.code(), Some(1));
    let why = String::from_utf8_lossy(&blocked.stderr);
    assert!(
        why.contains("What happened, line 1, column 32: hospital number \"RXH1234567\""),
        "{why}"
    );
    assert!(!out.exists());
    // Redacted, it is written, and the history says so.
    reg.ok(&[
        &[
            "report", "CT-9", "--format", "html", "-o", &out_s, "--redact",
        ][..],
        &mask,
    ]
    .concat());
    let pdf = reg.dir.join("report.pdf");
    let pdf_s = pdf.to_string_lossy().into_owned();
    reg.ok(&[&["report", "CT-9", "-o", &pdf_s, "--redact"][..], &mask].concat());
    assert!(
        std::fs::read(&pdf).expect("written").starts_with(b"%PDF-"),
        "PDF is the default"
    );
    let html = std::fs::read_to_string(&out).expect("written");
    assert!(
        html.contains("[hospital number] was told.") && !html.contains("RXH1234567"),
        "{html}"
    );
    let shown = reg.ok(&["incident", "show", "CT-9"]);
    assert!(shown.contains("report-exported by tester"), "{shown}");
    // Clean, it is written as is.
    let clean = reg.file("clean.json", &sections(""));
    reg.ok(&["report", "CT-9", "--save", &clean, "--final"]);
    let text = reg.ok(&["report", "CT-9", "--format", "text"]);
    assert!(
        text.contains("Version 2, final") && text.contains("Protocols renamed"),
        "{text}"
    );
    assert!(reg.run(&["report", "CT-9", "--version", "7"]).status.code() == Some(1));
}

#[test]
fn the_csv_export_goes_through_the_identifier_gate() {
    let r = Register::new("csv-gate");
    // A reference typed as a telephone number.
    let incident = r.file(
        "phone.json",
        r#"{"reference": "T-0161-496-0160", "nation": "england", "discovered": "2026-02-20", "modality": "ct", "exposure": "unintended", "errors": ["human"]}"#,
    );
    r.ok(&["incident", "add", &incident]);
    let path = r.dir.join("out.csv");
    let out = r.run(&[
        "export",
        "--format",
        "csv",
        "-o",
        path.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("row 1 (T-0161-496-0160): telephone number"),
        "{stderr}"
    );
    assert!(!path.exists(), "a blocked export writes nothing");
}

/// Incidents in the financial year 2025 and either side of it, some coded.
fn year_of_incidents() -> String {
    let mut lines = Vec::new();
    let ct = |reference: &str, discovered: &str, causes: &str| {
        format!(
            r#"{{"reference":"{reference}","nation":"england","discovered":"{discovered}","modality":"ct","exposure":"unintended","patient":{{"age_group":"adult"}},"errors":["human"],"dose":{{"unit":"mSv","intended":0.5,"received":6}},"causes":[{causes}]}}"#
        )
    };
    lines.push(ct("Y-1", "2025-03-31", ""));
    lines.push(ct(
        "Y-2",
        "2025-04-01",
        r#""operator.patient-identification.wrong-patient","referrer.incorrect-referral.wrong-patient""#,
    ));
    lines.push(ct(
        "Y-3",
        "2025-06-15",
        r#""operator.patient-identification.wrong-patient","operator.pre-exposure-checks.wrong-protocol""#,
    ));
    lines.push(ct("Y-4", "2026-03-31", ""));
    lines.push(
        r#"{"reference":"Y-5","nation":"wales","discovered":"2025-09-02","modality":"dental","exposure":"none","errors":["human"],"causes":["operator.pre-exposure-checks.wrong-protocol"]}"#
            .to_owned(),
    );
    lines.push(ct("Y-6", "2026-04-01", ""));
    lines.join("\n") + "\n"
}

#[test]
fn stats_count_a_financial_year_by_cause_and_say_what_is_wrong() {
    let reg = Register::new("stats");
    let file = reg.file("year.jsonl", &year_of_incidents());
    reg.ok(&["import", &file]);
    let out = reg.ok(&[
        "stats",
        "--financial-year",
        "2025",
        "--by",
        "cause-tier1",
        "--format",
        "json",
    ]);
    let stats: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(stats["from"], "2025-04-01");
    assert_eq!(stats["to"], "2026-03-31");
    assert_eq!(stats["by"], serde_json::json!(["cause-tier1"]));
    let groups: Vec<(Value, u64, u64, u64)> = stats["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["key"]["cause-tier1"].clone(),
                g["incidents"].as_u64().expect("n"),
                g["notifiable"].as_u64().expect("n"),
                g["near_misses"].as_u64().expect("n"),
            )
        })
        .collect();
    // Y-2 to Y-5: Y-3's two operator causes count once under the operator.
    assert_eq!(
        groups,
        [
            (Value::from("operator"), 3, 2, 1),
            (Value::from("referrer"), 1, 1, 0),
            (Value::Null, 1, 1, 0),
        ]
    );
    assert_eq!(stats["total"]["incidents"], 4);
    assert_eq!(stats["total"]["near_misses"], 1);
    // The register lists by a coded cause, whole codes only.
    let coded = reg.ok(&[
        "incident",
        "list",
        "--cause",
        "operator.pre-exposure-checks.wrong-protocol",
        "--json",
    ]);
    let refs: Vec<&str> = coded
        .lines()
        .map(|l| {
            if l.contains("\"Y-5\"") {
                "Y-5"
            } else if l.contains("\"Y-3\"") {
                "Y-3"
            } else {
                "?"
            }
        })
        .collect();
    assert_eq!(refs, ["Y-5", "Y-3"], "{coded}");
    // The committee's report for the year: HTML to standard output, PDF
    // to a file only.
    let page = reg.ok(&["committee", "--financial-year", "2025"]);
    assert!(
        page.contains("Incidents from 1 April 2025 to 31 March 2026</strong>, covering the whole organisation."),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">Total</th><td class=\"n\">4</td>"),
        "{page}"
    );
    let out = reg.run(&["committee", "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
    let pdf = reg.dir.join("committee.pdf");
    let pdf = pdf.to_string_lossy();
    reg.ok(&[
        "committee",
        "--financial-year",
        "2025",
        "--format",
        "pdf",
        "-o",
        &pdf,
    ]);
    let bytes = std::fs::read(&*pdf).expect("the PDF");
    assert!(bytes.starts_with(b"%PDF-"));
    let out = reg.run(&["committee", "--financial-year", "last"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--financial-year"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = reg.run(&["incident", "list", "--cause", "operator.pre-exposure"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("expected a tier-3 cause code"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The CSV and the table say the same.
    let csv = reg.ok(&[
        "stats",
        "--from",
        "2025-04-01",
        "--to",
        "2026-03-31",
        "--by",
        "nation",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv,
        "nation,incidents,notifiable,voluntary,undetermined,not_notifiable,out_of_scope,near_misses\n\
         england,3,3,0,0,0,0,0\nwales,1,0,0,0,1,0,1\ntotal,4,3,0,0,1,0,1\n"
    );
    let table = reg.ok(&["stats", "--financial-year", "2025", "--by", "cause-tier3"]);
    assert!(
        table.contains("Operator › Pre-exposure checks › Wrong protocol or settings selected"),
        "{table}"
    );
    // The monthly series, every month present.
    let out = reg.ok(&["trends", "--financial-year", "2025", "--format", "json"]);
    let trends: Value = serde_json::from_str(&out).expect("json");
    let series = trends["groups"][0]["series"].as_array().expect("series");
    assert_eq!(series.len(), 12);
    assert_eq!(
        series[0],
        serde_json::json!({"month": "2025-04", "count": 1})
    );
    assert_eq!(
        series[11],
        serde_json::json!({"month": "2026-03", "count": 1})
    );
    assert_eq!(trends["groups"][0]["verdict"], "common-cause");
    assert!(trends["groups"][0]["mean"].is_number());
    // Bad options: exit 2, the option named, what is accepted.
    for (args, says) in [
        (
            &["stats", "--by", "colour"][..],
            "unknown field \"colour\"; accepted: modality, sub-modality",
        ),
        (
            &["stats", "--financial-year", "last"][..],
            "--financial-year: \"last\" is not a year",
        ),
        (
            &["stats", "--from", "2026-01-01", "--to", "2025-01-01"][..],
            "--from: the start 2026-01-01 is after the end 2025-01-01",
        ),
        (
            &["stats", "--from", "2026-02-30"][..],
            "--from: \"2026-02-30\" is not a date",
        ),
        (
            &["stats", "--financial-year", "2025", "--to", "2025-05-01"][..],
            "--financial-year: give a financial year or --from and --to, not both",
        ),
        (
            &["trends", "--by", "month"][..],
            "--by: month is the series itself",
        ),
    ] {
        let out = reg.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn tasks_are_listed_and_done_from_the_command_line() {
    let r = Register::new("tasks");
    let file = r.file(
        "tasks.jsonl",
        concat!(
            r#"{"reference":"T-1","nation":"england","discovered":"2026-01-10","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"clinically_significant":true,"dose":{"unit":"mSv","intended":0.5,"received":6}}"#,
            "\n",
            r#"{"reference":"T-2","nation":"scotland","discovered":"2026-01-12","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["equipment"],"dose":{"unit":"mSv","intended":0.5,"received":6}}"#,
            "\n",
            r#"{"reference":"T-3","nation":"england","discovered":"2026-01-12","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":0.5,"received":6}}"#,
            "\n"
        ),
    );
    r.ok(&["import", &file]);
    let lines: Vec<Value> = r
        .ok(&["tasks", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .map(|t| {
            (
                t["incident"].as_str().expect("incident"),
                t["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("T-1", "inform-referrer"),
            ("T-1", "inform-practitioner"),
            ("T-1", "inform-patient"),
            ("T-1", "duty-of-candour"),
            ("T-2", "report-iric"),
        ],
        "an equipment fault in Scotland goes to IRIC; T-3 names none"
    );
    assert!(
        lines
            .iter()
            .all(|t| t["status"] == "open" && t["owner"] == "role:investigator")
    );
    assert_eq!(lines[0]["due"], "2026-01-24");
    // Done with the IRIC reference; twice: refused, exit 2.
    let iric = lines[4]["id"].to_string();
    let done: Value = serde_json::from_str(&r.ok(&[
        "task",
        "done",
        &iric,
        "--date",
        "2026-01-15",
        "--reference",
        "IRIC/2026/0042",
    ]))
    .expect("json");
    assert_eq!(
        (done["status"].as_str(), done["reference"].as_str()),
        (Some("done"), Some("IRIC/2026/0042"))
    );
    let again = r.run(&["task", "done", &iric]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already done"));
    let before = r.run(&[
        "task",
        "done",
        &lines[0]["id"].to_string(),
        "--date",
        "2026-01-01",
    ]);
    assert_eq!(before.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&before.stderr).contains("before the incident was discovered"));
    assert_eq!(r.run(&["task", "done", "99999"]).status.code(), Some(1));
    let nobody = r.run(&["task", "assign", &lines[1]["id"].to_string(), "nobody"]);
    assert_eq!(nobody.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("owner: no user is named 'nobody'"));
    // Not needed, with the reason; the open ones and the overdue ones.
    r.ok(&[
        "task",
        "not-needed",
        &lines[3]["id"].to_string(),
        "--reason",
        "Told in clinic the same day",
    ]);
    let open = r.ok(&["tasks", "--open"]);
    assert_eq!(open.lines().count(), 3, "{open}");
    let overdue = r.ok(&[
        "tasks",
        "--overdue",
        "--incident",
        "T-1",
        "--format",
        "json",
    ]);
    assert_eq!(
        overdue.lines().count(),
        3,
        "due in January, open: overdue now"
    );
    // Each step is in the incident's history.
    let shown = r.show("T-1");
    let tasks = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "task")
        .count();
    assert_eq!(
        tasks, 2,
        "made, then not needed (the refused steps wrote nothing)"
    );
}

#[test]
fn the_licence_register_is_imported_and_listed() {
    let r = Register::new("licences");
    let bad = r.file(
        "bad.csv",
        "holder,name,site,number,procedures,start,expiry\nnurse,X,Site,N-1,Tc-99m,2024-01-01,2025-01-01\nemployer,X,Site,N-2,Tc-99m,2025-01-01,2024-01-01\n",
    );
    let out = r.run(&["licences", "import", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: holder") && err.contains("line 3: expiry"),
        "{err}"
    );
    assert_eq!(r.ok(&["licences", "list"]), "", "nothing saved");
    let good = r.file(
        "good.csv",
        "holder,name,site,number,procedures,start,expiry\n\
         employer,Northshire Hospitals NHS Trust,Royal Infirmary,E-1,Tc-99m MDP,2024-01-01,2028-12-31\n\
         practitioner,Dr A Consultant,Royal Infirmary,P-1,Tc-99m MDP,2021-06-01,2026-01-31\n",
    );
    r.ok(&["licences", "import", &good]);
    let listed = r.ok(&["licences", "list"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.lines().next().expect("a line").starts_with("P-1"),
        "soonest expiry first"
    );
    let due = r.ok(&["licences", "list", "--due"]);
    assert!(
        due.starts_with("P-1") && due.lines().count() == 1,
        "expired: due: {due}"
    );
}
