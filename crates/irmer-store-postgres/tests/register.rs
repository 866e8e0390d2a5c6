//! The register's test suite on PostgreSQL. It needs a server: set
//! IRMER_TEST_POSTGRES_URL (`.ci/run` starts one and sets it). Without it
//! the suite fails in CI and says so loudly elsewhere.

/// A fresh store in a schema of its own; `None` (skipped, loudly) only
/// outside CI when no server is configured.
async fn store() -> Option<irmer_store_postgres::PgStore> {
    let Ok(url) = std::env::var("IRMER_TEST_POSTGRES_URL") else {
        let message = "IRMER_TEST_POSTGRES_URL is not set: the PostgreSQL suite cannot run \
                       (scripts/start-postgres.sh starts a server and prints the URL)";
        if std::env::var_os("CI").is_some() {
            panic!("{message}");
        }
        // Written to the stderr handle itself: the test harness captures
        // `eprintln!`, and this must be seen.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "\n!!! SKIPPED: {message} !!!\n");
        return None;
    };
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("t_{}_{n}_{nanos}", std::process::id());
    Some(
        irmer_store_postgres::PgStore::connect_in_schema(&url, Some(&schema))
            .await
            .expect("PostgreSQL"),
    )
}

irmer_store::backend_tests!(store().await);
