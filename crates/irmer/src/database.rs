//! Which register: `--database PATH|URL` (or `IRMER_DATABASE_URL`).

use std::path::PathBuf;

use anyhow::Context;
use irmer_store_postgres::PgStore;
use irmer_store_sqlite::SqliteStore;

/// The default SQLite file, relative to the working directory.
pub const DEFAULT_DATABASE: &str = "irmer-data/irmer.db";

/// An opened register database.
pub enum Database {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Where the database is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

pub fn locate(text: &str) -> Location {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Location::Postgres(text.to_owned());
    }
    let path = text
        .strip_prefix("sqlite://")
        .or_else(|| text.strip_prefix("sqlite:"))
        .unwrap_or(text);
    Location::Sqlite(PathBuf::from(path))
}

pub async fn open(text: &str) -> anyhow::Result<Database> {
    match locate(text) {
        Location::Sqlite(path) => {
            let store = SqliteStore::open(&path)
                .await
                .with_context(|| format!("cannot open the register at {}", path.display()))?;
            Ok(Database::Sqlite(store))
        }
        Location::Postgres(url) => {
            let store = PgStore::connect(&url)
                .await
                .with_context(|| format!("cannot open the register at {}", redact(&url)))?;
            Ok(Database::Postgres(store))
        }
    }
}

/// Runs `$body` with `$register` bound to a register on whichever backend
/// `$db` is (the register is generic over its store), checking causes
/// against `$taxonomy`.
#[macro_export]
macro_rules! with_register {
    ($db:expr, $guidance:expr, $settings:expr, $taxonomy:expr, |$register:ident| $body:expr) => {
        match $db {
            $crate::database::Database::Sqlite(store) => {
                let $register = irmer_store::register::Register::new(store, $guidance, $settings)
                    .with_taxonomy($taxonomy);
                $body
            }
            $crate::database::Database::Postgres(store) => {
                let $register = irmer_store::register::Register::new(store, $guidance, $settings)
                    .with_taxonomy($taxonomy);
                $body
            }
        }
    };
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert_eq!(
            locate("postgres://u@h/db"),
            Location::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            locate("sqlite:///tmp/x.db"),
            Location::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            locate("data/irmer.db"),
            Location::Sqlite(PathBuf::from("data/irmer.db"))
        );
    }
}
