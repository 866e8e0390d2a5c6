//! The register's test suite on SQLite: in memory, and in a real file.

mod memory {
    irmer_store::backend_tests!(Some(
        irmer_store_sqlite::SqliteStore::in_memory()
            .await
            .expect("in-memory SQLite")
    ));
}

mod file {
    fn path() -> std::path::PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("irmer-sqlite-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("nested").join("irmer.db")
    }

    irmer_store::backend_tests!(Some(
        irmer_store_sqlite::SqliteStore::open(&path())
            .await
            .expect("SQLite file")
    ));
}

#[tokio::test]
async fn backup_makes_a_readable_copy() {
    use irmer_store::Store;
    let dir = std::env::temp_dir().join(format!("irmer-sqlite-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = irmer_store_sqlite::SqliteStore::open(&dir.join("irmer.db"))
        .await
        .expect("open");
    let register = irmer_store::testsuite::register(store.clone());
    register
        .report(&irmer_store::testsuite::ct("B-1", "2026-02-01"), "alice")
        .await
        .expect("report");
    let copy = dir.join("copy.db");
    store.backup(&copy).await.expect("backup");
    let again = store.backup(&copy).await;
    assert!(again.is_err(), "a backup never overwrites a file");
    let restored = irmer_store_sqlite::SqliteStore::open(&copy)
        .await
        .expect("open copy");
    let record = irmer_store::testsuite::register(restored)
        .get("B-1")
        .await
        .expect("in the copy");
    assert_eq!(record.version, 1);
    std::fs::remove_dir_all(&dir).ok();
}
