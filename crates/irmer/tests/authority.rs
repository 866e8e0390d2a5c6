//! The real `irmer authority serve` (SQLite), an organisation's token made
//! with the command line, notifications posted over HTTP, and the
//! acknowledgement received by a real SMTP server (the sink) on loopback.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use irmer_mail::sink::Sink;
use irmer_web::testclient::request;
use serde_json::{Value, json};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn irmer(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db])
        .args(args)
        .env_remove("IRMER_DATABASE_URL")
        .env_remove("IRMER_SMTP_URL")
        .output()
        .expect("irmer runs")
}

/// `irmer authority serve` for CQC on `db`, mailing through the sink:
/// the running server (killed when dropped) and its address.
fn serve_authority(db: &str, sink: &Sink, from: &str) -> (Running, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db, "authority", "serve", "--authority", "cqc"])
        .args([
            "--bind",
            "127.0.0.1:0",
            "--smtp",
            &sink.url(),
            "--mail-from",
            from,
        ])
        .env_remove("IRMER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the authority starts");
    let addr = common::listening(&mut child);
    (Running(child), addr)
}

/// An organisation's token for Northshire (RXX), made with the command
/// line on the authority's register `db`.
fn organisation_token(db: &str) -> String {
    let out = irmer(
        db,
        &[
            "authority",
            "token",
            "create",
            "--organisation",
            "Northshire Hospitals NHS Trust",
            "--code",
            "RXX",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("text")
        .trim()
        .to_owned()
}

fn body(summary: &str, email: &str) -> String {
    json!({
        "organisation": {"name": "Northshire Hospitals NHS Trust", "code": "RXX"},
        "contact": {"name": "Radiation protection adviser", "email": email},
        "incident": {"reference": "NS-2026-114", "nation": "england", "discovered": "2026-11-20", "modality": "ct",
            "exposure": "unintended", "patient": {"age_group": "adult"}, "errors": ["human"],
            "dose": {"unit": "mSv", "intended": 0.5, "received": 6},
            "description": "CT head repeated: the wrong protocol was selected."},
        "summary": summary,
        "codes": ["2.1"]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employers_notification_is_numbered_and_acknowledged_by_email() {
    let sink = Sink::start().await.expect("sink");
    let dir = std::env::temp_dir().join(format!("irmer-authority-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("cqc.db").to_string_lossy().into_owned();
    let token = organisation_token(&db);
    assert!(
        token.starts_with("irmer_org_") && token.len() == 74,
        "{token}"
    );
    let bad = irmer(
        &db,
        &[
            "authority",
            "token",
            "create",
            "--organisation",
            "X",
            "--code",
            "R X",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));

    let (_running, addr) = serve_authority(&db, &sink, "CQC IR(ME)R <irmer@cqc.example.org>");
    let bearer = format!("Bearer {token}");
    let post = |body: &str, key: Option<&str>| {
        let mut headers = vec![
            ("Authorization", bearer.as_str()),
            ("Content-Type", "application/json"),
        ];
        if let Some(k) = key {
            headers.push(("Idempotency-Key", k));
        }
        request(addr, "POST", "/api/v1/notifications", &headers, body).expect("answered")
    };

    // Received: the first reference of the year, the report date, and the
    // authority's reading of the codes.
    let r = post(
        &body(
            "CT head repeated with the wrong protocol.",
            "rpa@northshire.example.org",
        ),
        Some("NS-2026-114"),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // The same security headers as the employer's server.
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let answer: Value = serde_json::from_str(&r.body).expect("json");
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(answer["reference"], format!("CQC-IRMER-{year}-00001"));
    assert_eq!(answer["report_due"], "2027-02-12");
    // Sent again with the same key: the same reference, no second mail.
    let again = post(
        &body(
            "CT head repeated with the wrong protocol.",
            "rpa@northshire.example.org",
        ),
        Some("NS-2026-114"),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains(&format!("CQC-IRMER-{year}-00001")));
    // Another: the next number.
    let second = post(
        &body("A second incident.", "rpa@northshire.example.org"),
        None,
    );
    assert!(
        second.body.contains(&format!("CQC-IRMER-{year}-00002")),
        "{}",
        second.body
    );

    // Refused, naming the field; nothing kept, nothing sent.
    let no_email = post(&body("x", "not an address"), None);
    assert_eq!(no_email.status, 422);
    assert!(
        no_email.body.contains("\"field\":\"contact.email\""),
        "{}",
        no_email.body
    );
    let named = post(
        &body("Mrs Patel was scanned twice.", "rpa@northshire.example.org"),
        None,
    );
    assert_eq!(named.status, 422);
    assert!(
        named.body.contains("\"field\":\"summary\""),
        "{}",
        named.body
    );
    assert!(
        !named.body.contains("Patel"),
        "the identifier is not echoed: {}",
        named.body
    );
    let bad_incident = post(
        &body("x", "rpa@northshire.example.org").replace("\"ct\"", "\"xray\""),
        None,
    );
    assert_eq!(bad_incident.status, 422);
    assert!(
        bad_incident
            .body
            .contains("\"field\":\"incident.modality\""),
        "{}",
        bad_incident.body
    );
    let no_token = request(
        addr,
        "POST",
        "/api/v1/notifications",
        &[("Content-Type", "application/json")],
        "{}",
    )
    .expect("answered");
    assert_eq!(no_token.status, 401);
    let wrong_token = request(
        addr,
        "POST",
        "/api/v1/notifications",
        &[("Authorization", "Bearer irmer_org_00")],
        "{}",
    )
    .expect("answered");
    assert_eq!(wrong_token.status, 401);
    let third = post(&body("A third.", "rpa@northshire.example.org"), None);
    assert!(
        third.body.contains(&format!("CQC-IRMER-{year}-00003")),
        "no number was used by a refusal: {}",
        third.body
    );

    // The report, as text, for a notification sent with this token.
    let first_ref = format!("CQC-IRMER-{year}-00001");
    let upload = |reference: &str, content_type: &str, text: &str, bearer: &str| {
        request(
            addr,
            "POST",
            &format!("/api/v1/notifications/{reference}/report"),
            &[("Authorization", bearer), ("Content-Type", content_type)],
            text,
        )
        .expect("answered")
    };
    let r = upload(
        &first_ref,
        "text/plain; charset=utf-8",
        "The protocols were renamed.",
        &bearer,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.contains("\"version\":1"), "{}", r.body);
    let r = upload(
        &first_ref,
        "text/plain",
        "Corrected: renamed and locked.",
        &bearer,
    );
    assert!(r.body.contains("\"version\":2"), "{}", r.body);
    // With an Idempotency-Key, sent twice: one version.
    let keyed = || {
        request(
            addr,
            "POST",
            &format!("/api/v1/notifications/{first_ref}/report"),
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "text/plain"),
                ("Idempotency-Key", "NS-2026-114-report"),
            ],
            "Final: renamed, locked and audited.",
        )
        .expect("answered")
    };
    let (once, twice) = (keyed(), keyed());
    assert_eq!(
        (once.status, twice.status),
        (201, 200),
        "{} {}",
        once.body,
        twice.body
    );
    assert!(
        once.body.contains("\"version\":3") && twice.body.contains("\"version\":3"),
        "{}",
        twice.body
    );
    let r = upload(
        &first_ref,
        "text/plain",
        "NHS 943 476 5919 was told.",
        &bearer,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("\"field\":\"report\"") && !r.body.contains("5919"),
        "{}",
        r.body
    );
    // A PDF irmer cannot read is refused (it could not be checked); a
    // format it does not take, 415.
    let r = upload(&first_ref, "application/pdf", "%PDF-1.7", &bearer);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("could not be read"), "{}", r.body);
    assert_eq!(
        upload(&first_ref, "image/png", "\u{89}PNG", &bearer).status,
        415
    );
    let r = upload(
        &format!("CQC-IRMER-{year}-09999"),
        "text/plain",
        "x",
        &bearer,
    );
    assert_eq!(r.status, 404);
    assert!(r.body.contains("09999"), "{}", r.body);
    // The inspector's view from the command line.
    let listed = String::from_utf8(irmer(&db, &["authority", "list"]).stdout).expect("text");
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let first_line = listed.lines().next().expect("a line");
    assert!(
        first_line.starts_with(&first_ref)
            && first_line.contains("received  ")
            && first_line.contains("report received (2027-02-12)")
            && first_line.contains("codes 2.2 (provider: 2.1)"),
        "{listed}"
    );
    let shown =
        String::from_utf8(irmer(&db, &["authority", "show", &first_ref]).stdout).expect("text");
    assert!(
        shown.contains("Organisation: Northshire Hospitals NHS Trust (RXX)"),
        "{shown}"
    );
    assert!(shown.contains("Report, version 3"), "{shown}");
    assert!(
        shown.contains("Final: renamed, locked and audited."),
        "{shown}"
    );
    assert_eq!(
        irmer(&db, &["authority", "show", "CQC-IRMER-1999-00001"])
            .status
            .code(),
        Some(1)
    );
    // The year's figures (this financial year: all three).
    let csv = String::from_utf8(irmer(&db, &["authority", "annual", "--authority", "cqc"]).stdout)
        .expect("text");
    assert!(
        csv.contains("total,all,3\n")
            && csv.contains("modality,\"CT\",3\n")
            && csv.contains("code,\"2.2\",3\n"),
        "{csv}"
    );
    assert!(
        csv.contains("codes-differ,provider and authority,3\n"),
        "{csv}"
    );
    let pdf = dir.join("annual.pdf");
    let out = irmer(
        &db,
        &[
            "authority",
            "annual",
            "--authority",
            "cqc",
            "--format",
            "pdf",
            "-o",
            &pdf.to_string_lossy(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = irmer_authority::report::pdf_text(&std::fs::read(&pdf).expect("the PDF"))
        .expect("readable");
    assert!(
        text.contains("Notification code") && text.contains("Kind of provider"),
        "{text}"
    );
    // Another organisation's token is not told the notification exists.
    let other = irmer(
        &db,
        &[
            "authority",
            "token",
            "create",
            "--organisation",
            "Southshire",
        ],
    );
    let other = format!("Bearer {}", String::from_utf8_lossy(&other.stdout).trim());
    let r = upload(&first_ref, "text/plain", "Not theirs.", &other);
    assert_eq!(r.status, 404, "{}", r.body);

    // The acknowledgements arrive: three, each with its reference.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.received().len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = sink.received();
    assert_eq!(got.len(), 3, "{got:?}");
    let first = got
        .iter()
        .find(|m| m.header("Subject").is_some_and(|s| s.contains("-00001")))
        .expect("the first acknowledgement");
    assert_eq!(first.to, ["rpa@northshire.example.org"]);
    let text = first.text();
    let expected = [
        format!("Your IR(ME)R notification reference is CQC-IRMER-{year}-00001."),
        "due by 12 February 2027 (12 weeks from the discovery of the incident on 20 November 2026)"
            .to_owned(),
        // The provider read 2.1; the engine reads the facts as 2.2.
        "You gave the codes 2.1; our reading of the facts you sent gives 2.2.".to_owned(),
        "Organisation: Northshire Hospitals NHS Trust".to_owned(),
    ];
    for e in expected {
        assert!(text.contains(&e), "{e} in {text}");
    }
}

/// The employer's irmer sends to the authority's: a real `irmer authority
/// serve`, the employer's register on its own file, `irmer authority
/// connect` and `irmer incident send` over HTTP on loopback; the
/// authority's reference recorded on the incident with its step, and its
/// acknowledgement received by the SMTP sink.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_employers_irmer_sends_and_records_the_authoritys_reference() {
    let sink = Sink::start().await.expect("sink");
    let dir = std::env::temp_dir().join(format!("irmer-send-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let authority_db = dir.join("cqc.db").to_string_lossy().into_owned();
    let employer_db = dir.join("trust.db").to_string_lossy().into_owned();
    let token = organisation_token(&authority_db);
    let (running, addr) = serve_authority(&authority_db, &sink, "irmer@cqc.example.org");

    // The employer's register: a notifiable CT incident and a near miss.
    let incidents = dir.join("incidents.jsonl");
    std::fs::write(
        &incidents,
        concat!(
            r#"{"reference":"NS-1","nation":"england","discovered":"2026-11-20","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":0.5,"received":6},"title":"CT head repeated with the wrong protocol","description":"The protocol for a different examination was selected."}"#,
            "\n",
            r#"{"reference":"NS-2","nation":"england","discovered":"2026-11-21","modality":"dental","exposure":"none","errors":["human"]}"#,
            "\n",
            r#"{"reference":"NS-3","nation":"england","discovered":"2026-11-22","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"dose":{"unit":"mSv","intended":0.5,"received":7}}"#,
            "\n",
            r#"{"reference":"NS-4","nation":"england","discovered":"2026-11-23","modality":"nuclear-medicine-therapy","exposure":"intended","licence":{"employer":false},"radiopharmaceutical":{"intended":"I-131","administered":"I-131"},"title":"I-131 therapy given as prescribed at a site the employer's licence does not cover"}"#,
            "\n"
        ),
    )
    .expect("write");
    let out = irmer(&employer_db, &["import", &incidents.to_string_lossy()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not connected yet: refused, naming why.
    let out = irmer(&employer_db, &["incident", "send", "NS-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not connected"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("http://{addr}");
    let out = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args([
            "--database",
            &employer_db,
            "authority",
            "connect",
            "--authority",
            "cqc",
            "--url",
            &url,
        ])
        .args([
            "--contact-email",
            "rpa@northshire.example.org",
            "--organisation",
            "Northshire Hospitals NHS Trust",
            "--code",
            "RXX",
        ])
        .env("IRMER_AUTHORITY_TOKEN", &token)
        .env_remove("IRMER_DATABASE_URL")
        .output()
        .expect("irmer runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Sent: the authority's reference, recorded with the step.
    let out = irmer(&employer_db, &["incident", "send", "NS-1"]);
    let year = time::OffsetDateTime::now_utc().year();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!(
            "the authority's reference is CQC-IRMER-{year}-00001"
        )),
        "{said}"
    );
    let shown = irmer(&employer_db, &["incident", "show", "NS-1", "--json"]);
    let record: Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(record["status"], "notified", "{record}");
    assert_eq!(
        record["milestones"]["authority_reference"],
        format!("CQC-IRMER-{year}-00001")
    );
    // Once only.
    let out = irmer(&employer_db, &["incident", "send", "NS-1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sent (or queued) already"));
    // A near miss is not notifiable: refused, nothing sent.
    let out = irmer(&employer_db, &["incident", "send", "NS-2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("outcome:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The report: refused until a final version is saved; then sent as
    // text, kept by the authority, and the step recorded.
    let out = irmer(&employer_db, &["incident", "send", "NS-1", "--report"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("save a final version"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = dir.join("report.json");
    std::fs::write(
        &report,
        r#"{"sections": {"what_happened": "The wrong protocol was chosen.", "doses": "0.5 mSv intended, 6 mSv received.",
            "causes": "Similar protocol names.", "previous_incidents": "None in the last year.",
            "csaue_procedure": "Not clinically significant.", "learning": "Protocols renamed; shared at the team meeting."}}"#,
    )
    .expect("write");
    let out = irmer(
        &employer_db,
        &[
            "report",
            "NS-1",
            "--save",
            &report.to_string_lossy(),
            "--final",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = irmer(&employer_db, &["incident", "send", "NS-1", "--report"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = irmer(&employer_db, &["incident", "show", "NS-1", "--json"]);
    let record: Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(record["status"], "report-sent", "{record}");

    // A licensing breach given as intended: not notifiable, but its own
    // route, the CQC's licensing breach form, tracked as a task.
    let out = irmer(&employer_db, &["incident", "send", "NS-4"]);
    assert_eq!(out.status.code(), Some(2));
    let send_breach = |args: &[&str]| {
        let mut all = vec!["incident", "send", "NS-4", "--licence-breach"];
        all.extend_from_slice(args);
        irmer(&employer_db, &all)
    };
    // No site (an imported incident has no department), then an unknown
    // kind: each refused naming the field, nothing sent.
    for (args, field) in [
        (&["not-covered"][..], "site:"),
        (&["sometimes", "--site", "Northshire General"][..], "kind:"),
    ] {
        let out = send_breach(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(field), "{args:?}: {err}");
    }
    let out = send_breach(&["not-covered", "--site", "Northshire General"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let breach_ref = format!("CQC-LIC-{year}-00001");
    assert!(said.contains(&breach_ref), "{said}");
    let listed = irmer(
        &employer_db,
        &["tasks", "--incident", "NS-4", "--format", "json"],
    );
    let tasks: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let kind = |k: &str| {
        tasks
            .iter()
            .find(|t| t["kind"] == k)
            .unwrap_or_else(|| panic!("{k} in {tasks:?}"))
    };
    assert_eq!(kind("report-licence-breach")["status"], "done");
    assert_eq!(
        kind("report-licence-breach")["reference"],
        breach_ref.as_str()
    );
    assert_eq!(kind("report-arsac")["status"], "open");
    let out = send_breach(&["not-covered", "--site", "Northshire General"]);
    assert_eq!(out.status.code(), Some(1));

    // The authority acknowledged the two it received.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.received().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = sink.received();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.to == ["rpa@northshire.example.org"]));
    for theirs in [format!("CQC-IRMER-{year}-00001"), breach_ref.clone()] {
        assert!(
            got.iter().any(|m| m.text().contains(&theirs)),
            "{theirs} acknowledged"
        );
    }

    // The authority gone: kept, queued for the server to retry.
    drop(running);
    let out = irmer(&employer_db, &["incident", "send", "NS-3"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("queued; the server retries it") && err.contains("could not reach"),
        "{err}"
    );
    // The authority kept the report, as text, under its reference.
    let rt = tokio::runtime::Handle::current();
    let kept = rt
        .spawn(async move {
            use irmer_store::authority::AuthorityStore;
            let store = irmer_store_sqlite::SqliteStore::open(std::path::Path::new(&authority_db))
                .await
                .expect("the authority's register");
            store
                .reports_of(&format!("CQC-IRMER-{year}-00001"))
                .await
                .expect("reports")
        })
        .await
        .expect("task");
    assert_eq!(kept.len(), 1);
    assert!(
        kept[0]
            .body
            .contains("Protocols renamed; shared at the team meeting."),
        "{}",
        kept[0].body
    );
}

/// A licensing breach posted to `POST /api/v1/licence-breaches` with the
/// organisation's token: its own series, once per Idempotency-Key,
/// acknowledged once; each bad field refused by name, nothing numbered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_licensing_breach_is_posted_on_its_own_route() {
    let sink = Sink::start().await.expect("sink");
    let dir = std::env::temp_dir().join(format!("irmer-breach-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("cqc.db").to_string_lossy().into_owned();
    let token = organisation_token(&db);
    let (_running, addr) = serve_authority(&db, &sink, "irmer@cqc.example.org");
    let bearer = format!("Bearer {token}");
    // The breach, with the value at a JSON pointer changed, if given.
    let breach = |change: Option<(&str, Value)>| {
        let mut b = json!({
            "organisation": {"name": "Northshire Hospitals NHS Trust", "code": "RXX"},
            "contact": {"email": "rpa@northshire.example.org"},
            "breach": {"discovered": "2026-11-23", "holder": "employer", "kind": "not-covered",
                "site": "Northshire General", "substance": "I-131", "patients": 1, "arsac_told": true},
            "summary": "I-131 therapy given at a site the licence does not cover."
        });
        if let Some((at, value)) = change {
            *b.pointer_mut(at).expect("a field of the breach") = value;
        }
        b.to_string()
    };
    let good = || breach(None);
    let post = |body: &str, key: Option<&str>, auth: Option<&str>| {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = auth {
            headers.push(("Authorization", a));
        }
        if let Some(k) = key {
            headers.push(("Idempotency-Key", k));
        }
        request(addr, "POST", "/api/v1/licence-breaches", &headers, body).expect("answered")
    };
    let year = time::OffsetDateTime::now_utc().year();
    let first = format!("CQC-LIC-{year}-00001");

    // Refused, each naming its field; nothing numbered.
    let refusals = [
        ("/breach/patients", json!(0), "breach.patients"),
        ("/breach/kind", json!("sometimes"), "breach.kind"),
        ("/organisation/code", json!("RYY"), "organisation.code"),
        ("/summary", json!("Mrs Patel was given I-131."), "summary"),
    ];
    for (at, value, field) in refusals {
        let r = post(&breach(Some((at, value))), None, Some(&bearer));
        assert_eq!(r.status, 422, "{field}: {}", r.body);
        assert!(
            r.body.contains(&format!("\"field\":\"{field}\"")),
            "{}",
            r.body
        );
        assert!(!r.body.contains("Patel"), "not echoed: {}", r.body);
    }
    let not_json = post("{", None, Some(&bearer));
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    let no_token = post(&good(), None, None);
    assert_eq!(no_token.status, 401);

    // Received, then sent again with its key: the same reference.
    let r = post(&good(), Some("NS-4-licence-breach"), Some(&bearer));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.contains(&first), "{}", r.body);
    let again = post(&good(), Some("NS-4-licence-breach"), Some(&bearer));
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains(&first), "{}", again.body);

    // One acknowledgement, with the reference.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.received().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].text().contains(&first), "{}", got[0].text());
}
