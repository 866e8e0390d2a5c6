//! What every suite over real HTTP shares: the test server on each
//! backend, and a macro that runs a test on both.

// Each test crate includes this file and uses a part of it.
#![allow(dead_code)]

use irmer_web::testclient::Server;

/// The test server on SQLite in memory.
pub fn sqlite() -> Server {
    Server::start(|| async {
        Some(
            irmer_store_sqlite::SqliteStore::in_memory()
                .await
                .expect("SQLite"),
        )
    })
    .expect("server")
}

/// The test server on PostgreSQL, in a schema of the test's own; `None`
/// (said loudly) without `IRMER_TEST_POSTGRES_URL`, a failure in CI.
pub fn postgres(test: &str) -> Option<Server> {
    let Ok(url) = std::env::var("IRMER_TEST_POSTGRES_URL") else {
        let message =
            format!("IRMER_TEST_POSTGRES_URL is not set: the test {test} on PostgreSQL cannot run");
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("\n!!! SKIPPED: {message} !!!\n");
        return None;
    };
    let schema = format!("t_{test}_{}", std::process::id());
    Some(
        Server::start(move || async move {
            Some(
                irmer_store_postgres::PgStore::connect_in_schema(&url, Some(&schema))
                    .await
                    .expect("PostgreSQL"),
            )
        })
        .expect("server"),
    )
}

/// For each named `fn(&Server)` of the module, a test on SQLite and one
/// on PostgreSQL (`NAME::sqlite`, `NAME::postgres`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name(&$crate::common::sqlite());
                }

                #[test]
                fn postgres() {
                    if let Some(server) = $crate::common::postgres(stringify!($name)) {
                        super::$name(&server);
                    }
                }
            }
        )*
    };
}
