//! The report from a real register: the identifier gate (blocked, or
//! redacted by role) and a snapshot of the HTML.

use irmer_report::{SimilarRow, content, gate, html, text};
use irmer_scan::Kind;
use irmer_store::accounts::Scope;
use irmer_store::report::{ReportDocument, SECTIONS};
use irmer_store::testsuite::{ct, register};
use serde_json::json;

const GENERATED: time::OffsetDateTime = time::macros::datetime!(2026-03-20 09:00 UTC);

async fn setup() -> irmer_store::register::Register<irmer_store_sqlite::SqliteStore> {
    let r = register(
        irmer_store_sqlite::SqliteStore::in_memory()
            .await
            .expect("SQLite"),
    );
    r.report(&ct("RPT-0", "2026-01-12"), "rep")
        .await
        .expect("report");
    r.report(&ct("RPT-1", "2026-02-20"), "rep")
        .await
        .expect("report");
    r.set_identity(
        "RPT-1",
        &json!({"patient": {"name": "Jane Smith", "date_of_birth": "1958-02-03", "hospital_number": "RXH1234567"},
                "staff": [{"role": "radiographer", "name": "Oliver Twist"}]}),
        "lead",
    )
    .await
    .expect("identity");
    r
}

fn filled(extra: &str) -> ReportDocument {
    let mut doc = ReportDocument::default();
    for s in SECTIONS {
        doc.sections.insert(
            s.key.into(),
            format!("The {} of the investigation.", s.title.to_lowercase()),
        );
    }
    doc.sections.insert(
        "what_happened".into(),
        format!(
            "A CT head was repeated with the wrong protocol.\n\nFound at the daily check.{extra}"
        ),
    );
    doc.similar = vec!["RPT-0".into()];
    doc
}

/// RPT-1's report saved (final) with `extra` after what happened, its
/// content, and a scanner for its identity with these masks.
///
/// The register refuses identifiers as they are typed, so `extra` is
/// added to the saved version as text written before that check would be:
/// the gate is what stops it leaving.
async fn saved(extra: &str, masks: &[String]) -> (irmer_report::Content, irmer_scan::Scanner) {
    let r = setup().await;
    let mut version = r
        .save_report("RPT-1", 0, &filled(""), true, "lead", Scope::Organisation)
        .await
        .expect("saved");
    version.document = filled(extra);
    let rec = r.get("RPT-1").await.expect("record");
    let similar = [SimilarRow::of(&r.get("RPT-0").await.expect("record"))];
    let identity = r
        .identity("RPT-1")
        .await
        .expect("identity")
        .expect("recorded");
    let scanner = irmer_scan::Scanner::new(&identity.scan_rules(masks)).expect("rules");
    (content(&rec, &version, &similar, &origin()), scanner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identifier_blocks_the_report_or_is_redacted_by_role() {
    let (c, scanner) = saved(
        " Jane SMITH (DOB 03/02/1958, RXH1234567) was scanned by Oliver Twist; Dr Khan was told.",
        &[],
    )
    .await;

    let blocked = gate(c.clone(), &scanner, false).expect_err("blocked");
    let kinds: Vec<(Kind, &str)> = blocked.iter().map(|f| (f.kind, f.text.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (Kind::RecordedName, "Jane SMITH"),
            (Kind::DateOfBirth, "03/02/1958"),
            (Kind::HospitalNumber, "RXH1234567"),
            (Kind::RecordedName, "Oliver Twist"),
            (Kind::TitledName, "Dr Khan"),
        ]
    );
    assert!(
        blocked
            .iter()
            .all(|f| f.place == "What happened" && f.line == 3)
    );

    let cleared = gate(c, &scanner, true).expect("redacted");
    assert_eq!(cleared.redacted.len(), 5);
    let page = html(&cleared, GENERATED);
    assert!(
        page.contains("[patient] (DOB [date of birth], [hospital number]) was scanned by [radiographer 1]; [person 1] was told."),
        "{page}"
    );
    for secret in ["Jane", "SMITH", "1958", "RXH", "Oliver", "Khan"] {
        assert!(!page.contains(secret), "{secret} in the HTML");
    }
    assert!(page.contains("5 were replaced by their role or kind"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_matches_its_snapshot() {
    let (c, scanner) = saved("", &["RXH#######".into()]).await;
    let cleared = gate(c, &scanner, false).expect("clean");
    assert!(cleared.redacted.is_empty());

    let plain = text(&cleared, GENERATED);
    for s in SECTIONS {
        assert!(plain.contains(s.title), "{} missing", s.title);
    }
    assert!(
        plain.contains("- RPT-0 (discovered 2026-01-12, CT, codes 2.2)"),
        "{plain}"
    );
    for line in [
        "Organisation: Northshire Hospitals NHS Trust",
        "Site and department: Radiology (North site)",
        "Prepared by: lead, version 1 saved on ",
        "Signature: ___",
    ] {
        assert!(plain.contains(line), "{line} missing: {plain}");
    }

    let page = html(&cleared, GENERATED);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/report.html");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, &page).expect("write");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        page == expected,
        "the HTML report changed: review the diff, then run UPDATE_SNAPSHOTS=1 cargo test -p irmer-report to accept it\n{page}"
    );
}

/// The report's origin, as the register would give it.
fn origin() -> irmer_report::Origin {
    irmer_report::Origin {
        organisation: Some("Northshire Hospitals NHS Trust".into()),
        place: Some("Radiology (North site)".into()),
    }
}
