//! The read connections of a database file, handed out without sqlx's pool.
//!
//! sqlx's pool pings a connection when it takes one back (and, unless told
//! not to, when it hands one out): for SQLite a ping is a round trip to the
//! connection's own thread, and each round trip is two or more context
//! switches, which on this project's machines cost more CPU than the
//! queries themselves (BENCHMARKS.md, issue 16). A SQLite connection is a
//! file this process holds open; it cannot hang up, so here a connection
//! goes back to the set as it is.
//!
//! A query abandoned halfway (its request dropped) is ended on the
//! connection's thread: it stops at the first row nobody takes, resets the
//! statement (so no read snapshot stays open), and only then takes the next
//! command (tested below). Nothing begins a transaction on these
//! connections, which are opened read-only.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};

use irmer_store::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Where reads go: a fixed set of read-only connections to a file, or (for
/// a private in-memory database, which lives in its one connection) the
/// writer's pool.
pub enum Readers {
    Own {
        /// The connections not lent out. Invariant: at least as many as
        /// the semaphore's available permits.
        idle: Mutex<Vec<SqliteConnection>>,
        permits: Semaphore,
    },
    Shared(SqlitePool),
}

/// A connection lent out; it goes back when dropped.
pub enum Reader<'a> {
    Own {
        conn: Option<SqliteConnection>,
        idle: &'a Mutex<Vec<SqliteConnection>>,
        _permit: SemaphorePermit<'a>,
    },
    Shared(PoolConnection<Sqlite>),
}

impl Readers {
    /// Opens `n` connections with `options` (which should be read-only).
    pub async fn open(options: &SqliteConnectOptions, n: usize) -> Result<Self, StoreError> {
        let mut idle = Vec::with_capacity(n);
        for _ in 0..n {
            idle.push(options.connect().await.map_err(crate::backend)?);
        }
        Ok(Readers::Own {
            idle: Mutex::new(idle),
            permits: Semaphore::new(n),
        })
    }

    /// A connection, waiting for one to be given back if all are lent.
    pub async fn get(&self) -> Result<Reader<'_>, StoreError> {
        match self {
            Readers::Own { idle, permits } => {
                let permit = permits.acquire().await.map_err(crate::backend)?;
                let conn = idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop()
                    .ok_or_else(|| StoreError::Backend("no read connection left".into()))?;
                Ok(Reader::Own {
                    conn: Some(conn),
                    idle,
                    _permit: permit,
                })
            }
            Readers::Shared(pool) => Ok(Reader::Shared(
                pool.acquire().await.map_err(crate::backend)?,
            )),
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        // The connection goes back before the permit (a field) is released.
        if let Reader::Own { conn, idle, .. } = self {
            if let Some(conn) = conn.take() {
                idle.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(conn);
            }
        }
    }
}

const LENT: &str = "a lent connection is present until it is dropped";

impl Deref for Reader<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Reader::Own { conn, .. } => conn.as_ref().expect(LENT),
            Reader::Shared(conn) => conn,
        }
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Reader::Own { conn, .. } => conn.as_mut().expect(LENT),
            Reader::Shared(conn) => conn,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::TryStreamExt;
    use sqlx::Row;

    use super::*;

    /// A database file of 1,000 numbered rows, and one read connection.
    async fn one_reader(name: &str) -> (Readers, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("irmer-readers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let options = SqliteConnectOptions::new()
            .filename(dir.join("r.db"))
            .create_if_missing(true);
        let mut writer = options.connect().await.expect("the file opens");
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(&mut writer)
            .await
            .expect("table");
        sqlx::query(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000)
             INSERT INTO t SELECT n FROM c",
        )
        .execute(&mut writer)
        .await
        .expect("rows");
        let readers = Readers::open(&options.read_only(true), 1)
            .await
            .expect("the reader opens");
        (readers, dir)
    }

    #[tokio::test]
    async fn a_query_abandoned_halfway_leaves_the_connection_usable() {
        let (readers, dir) = one_reader("abandoned").await;
        {
            let mut conn = readers.get().await.expect("a connection");
            let mut rows = sqlx::query("SELECT n FROM t ORDER BY n").fetch(&mut *conn);
            let first = rows.try_next().await.expect("a row").expect("one row");
            assert_eq!(first.get::<i64, _>(0), 1);
            // The stream and the connection are dropped with 999 rows unread.
        }
        let mut conn = readers.get().await.expect("the same connection, back");
        let (sum,): (i64,) = sqlx::query_as("SELECT sum(n) FROM t")
            .fetch_one(&mut *conn)
            .await
            .expect("the next query runs");
        assert_eq!(sum, 500_500);
        drop(conn);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_lent_connection_is_not_lent_twice() {
        let (readers, dir) = one_reader("lent").await;
        let held = readers.get().await.expect("a connection");
        let waited = tokio::time::timeout(Duration::from_millis(200), readers.get()).await;
        assert!(
            waited.is_err(),
            "the only connection was lent a second time"
        );
        drop(held);
        let again = tokio::time::timeout(Duration::from_secs(5), readers.get()).await;
        assert!(
            matches!(again, Ok(Ok(_))),
            "the connection did not come back"
        );
        drop(again);
        let _ = std::fs::remove_dir_all(dir);
    }
}
