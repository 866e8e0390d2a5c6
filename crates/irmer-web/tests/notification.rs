//! The notification summary's rows for a known incident: a snapshot
//! (UPDATE_SNAPSHOTS=1 to accept a reviewed change).

use irmer_core::Settings;
use irmer_store::testsuite::{ct, register};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notification_summary_matches_its_snapshot() {
    let r = register(
        irmer_store_sqlite::SqliteStore::in_memory()
            .await
            .expect("SQLite"),
    );
    let mut child = ct("NS-1", "2026-02-20");
    child["patient"] = serde_json::json!({"age": 9});
    child["occurred"] = serde_json::json!("2026-02-18");
    r.report(&child, "rep").await.expect("report");
    let rec = r.get("NS-1").await.expect("record");
    let rows = irmer_store::notification::rows(&rec, Settings::default());
    let text: String = rows.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/notification.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).expect("write");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text == expected,
        "the notification summary changed: review it, then run UPDATE_SNAPSHOTS=1 cargo test -p irmer-web --test notification\n{text}"
    );
    // The exact age never leaves: only the group; nor the description.
    assert!(text.contains("Age group: child"), "{text}");
    assert!(rows.iter().all(|(_, v)| v != "9"), "{text}");
    assert!(!text.contains("wrong protocol"), "{text}");
}
