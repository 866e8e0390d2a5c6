//! The committee's report for a financial year, as HTML and as PDF read
//! back with pdftotext: the totals, the tables, the control chart, the
//! theme confirmed and the learning, every identifier replaced.

use std::process::Command;

use irmer_core::incident::CivilDate;
use irmer_core::lifecycle::Transition;
use irmer_report::committee::{Period, committee, html};
use irmer_store::accounts::{AccountStore, Scope};
use irmer_store::testsuite::{ct, near_miss, register_at};
use irmer_store::theme::Within;
use serde_json::json;

const GENERATED: time::OffsetDateTime = time::macros::datetime!(2026-06-01 09:00 UTC);
const CAUSE: &str = "operator.pre-exposure-checks.wrong-protocol";

fn pdftotext(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("irmer-committee-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("committee.pdf");
    std::fs::write(&path, bytes).expect("write");
    let out = Command::new("pdftotext")
        .args(["-layout", &path.to_string_lossy(), "-"])
        .output()
        .expect("pdftotext runs: install poppler-utils (scripts/test.sh does)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_report_counts_the_year_and_keeps_identifiers_out() {
    if Command::new("pdftotext").arg("-v").output().is_err() {
        let message = "pdftotext is missing: the committee PDF test cannot run; scripts/test.sh installs poppler-utils";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("\n!!! SKIPPED: {message} !!!\n");
        return;
    }
    let store = irmer_store_sqlite::SqliteStore::in_memory()
        .await
        .expect("SQLite");
    let r = register_at(store, GENERATED);
    for (n, day) in ["2025-05-10", "2025-08-02", "2025-11-20", "2026-02-14"]
        .iter()
        .enumerate()
    {
        let mut v = ct(&format!("C-{n}"), day);
        v["causes"] = json!([CAUSE]);
        r.report(&v, "rep").await.expect("report");
    }
    // Outside the year: not counted.
    r.report(&ct("C-OUT", "2026-04-02"), "rep")
        .await
        .expect("report");
    r.report(&near_miss("NM-1", "2025-09-09"), "rep")
        .await
        .expect("report");
    r.set_identity("NM-1", &json!({"patient": {"name": "Jane Smith"}}), "lead")
        .await
        .expect("identity");
    let close = Transition::CloseLocally {
        date: CivilDate::parse("2025-09-20").expect("date"),
        findings: "Jane Smith's request was caught at the checklist.\n\nChecklist now asks twice."
            .into(),
    };
    r.transition("NM-1", 2, &close, None, "lead")
        .await
        .expect("closed");
    let all = Some(Scope::Organisation);
    r.confirm_theme(
        "C-3",
        1,
        CAUSE,
        "Four wrong protocols in a year",
        "lead",
        Within::new(all, 12),
    )
    .await
    .expect("theme");

    r.store()
        .set_setting(
            irmer_stats::activity::SETTING,
            "ct 2025 1000\ndental 2025 10000",
        )
        .await
        .expect("activity");
    let (from, to) = irmer_stats::tally::financial_year(2025).expect("year");
    let period = Period {
        from,
        to,
        scope: all,
        covering: "covering the whole organisation",
    };
    let c = committee(&r, &period).await.expect("committee");
    assert_eq!(c.total.incidents, 5);
    assert_eq!(c.total.near_misses, 1);
    assert_eq!(c.total.notifiable, 4);
    assert_eq!(c.trend.months.len(), 12);
    assert_eq!(c.trend.chart.points.iter().sum::<u64>(), 5);
    assert_eq!(c.themes.len(), 1);
    assert_eq!(c.themes[0].reference, "C-3");
    assert_eq!(c.themes[0].shared_with, ["C-2", "C-1", "C-0"]);
    assert_eq!(c.learning.len(), 1);
    assert!(
        c.learning[0].text.starts_with("[patient]'s request"),
        "{}",
        c.learning[0].text
    );
    assert_eq!(c.redacted, 1);
    // 5 in 11,000 is 4.5 per 10,000; dental's 1.0 is under half of it.
    assert!(
        c.flags().contains(
            &"Dental: 1.0 incidents per 10,000 examinations, under half the organisation's 4.5."
                .to_owned()
        ),
        "{:?}",
        c.flags()
    );

    let page = html(&c, GENERATED);
    for expected in [
        "Radiation protection committee report",
        "Incidents from 1 April 2025 to 31 March 2026</strong>, covering the whole organisation.",
        "<svg class=\"chart\"",
        "Four wrong protocols in a year",
        "Checklist now asks twice.",
        "1 were replaced by their role or kind",
        "<th scope=\"row\">CT</th><td class=\"n\">4</td><td class=\"n\">4</td>",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    assert!(!page.contains("Jane"), "{page}");
    assert!(!page.contains("C-OUT"));

    let bytes = irmer_pdf::committee_pdf(&c, GENERATED).expect("typeset");
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdftotext(&bytes);
    for expected in [
        "Radiation protection committee report",
        "1. The period in numbers",
        "Incidents a month",
        "Themes confirmed",
        "Reporting rates and low reporting",
        "under half the organisation",
        "Four wrong protocols in a year",
        "[patient]'s request was caught at the checklist.",
        "Checklist now asks twice.",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(!text.contains("Jane"), "{text}");
}
