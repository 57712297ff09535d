//! The database: SQLite (embedded default) or PostgreSQL (several nodes), one set of code.
//!
//! SQL is written once and compiled once per driver through [`read_pool!`] and
//! [`write_pool!`], so each driver's encoding is checked at build time. SQL that is not
//! portable lives in [`dialect`], the only place that chooses different text per backend.
//!
//! SQLite has a single writer. Instead of letting many connections fight for the write lock
//! (and time out with `SQLITE_BUSY` under load), all writes go through one dedicated writer
//! connection whose pool queues them fairly; reads use a separate pool of read-only
//! connections, which WAL lets run alongside the writer. See docs/architecture.md.

pub mod dialect;
pub mod files;

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::DatabaseUrl;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// A connection to whichever database the configuration names.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite's two pools: one writer connection and several readers.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub read: SqlitePool,
    pub write: SqlitePool,
}

/// Runs the same sqlx expression on the pool for reading. The body is compiled once per
/// driver, so a type one of them cannot bind fails the build.
#[macro_export]
macro_rules! read_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.read;
                $body
            }
            $crate::storage::Db::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

/// Like [`read_pool!`], on the pool for writing (SQLite's single writer connection).
#[macro_export]
macro_rules! write_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.write;
                $body
            }
            $crate::storage::Db::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

/// What the database layer can fail with, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached or is saturated: the caller should answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A uniqueness constraint refused the write.
    #[error("duplicate: {0}")]
    Duplicate(#[source] sqlx::Error),
    /// The database cannot store the value (PostgreSQL text cannot hold U+0000): the
    /// input was bad, so the caller answers 422, never 500. Parsers should refuse such input
    /// first; this is the safety net.
    #[error("value cannot be stored: {0}")]
    Unstorable(#[source] sqlx::Error),
    /// A stored value does not parse back into its domain type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(err)
            }
            // SQLite reports no constraint names: match on the kind only.
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Duplicate(err),
            sqlx::Error::Database(db) if is_busy(db.code().as_deref()) => Self::Unavailable(err),
            // character_not_in_repertoire, untranslatable_character
            sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("22021" | "22P05")) => {
                Self::Unstorable(err)
            }
            _ => Self::Other(err),
        }
    }
}

/// SQLITE_BUSY / SQLITE_LOCKED, and PostgreSQL's "too many connections" and shutdown codes.
fn is_busy(code: Option<&str>) -> bool {
    matches!(code, Some("5" | "6" | "517" | "53300" | "57P01" | "57P03"))
}

/// Why the database could not be opened, for a one-line startup error.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot apply migrations to {url}: {source}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Db {
    /// Connects to the database named by `url`, creating an SQLite file if needed.
    pub async fn connect(url: &DatabaseUrl, settings: &PoolSettings) -> Result<Self, ConnectError> {
        let open_err = |source| ConnectError::Open {
            url: url.redacted(),
            source,
        };
        match url {
            DatabaseUrl::Sqlite(raw) => {
                let base = SqliteConnectOptions::from_str(raw)
                    .map_err(open_err)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL in WAL mode survives a process crash (SIGKILL) without losing a
                    // committed transaction; only a power cut can lose the last few. FULL
                    // would halve write throughput. See docs/architecture.md.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .pragma("temp_store", "memory");
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(base.clone())
                    .await
                    .map_err(open_err)?;
                let read = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(base.read_only(true))
                    .await
                    .map_err(open_err)?;
                Ok(Db::Sqlite(SqliteDb { read, write }))
            }
            DatabaseUrl::Postgres(raw) => {
                let options = PgConnectOptions::from_str(raw)
                    .map_err(open_err)?
                    .application_name("sportello");
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(open_err)?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock meanwhile, so
    /// several nodes starting together migrate once.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(sqlite) => SQLITE_MIGRATIONS.run(&sqlite.write).await,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
    }

    /// Which backend this is, for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A cheap round trip, for the readiness probe.
    pub async fn ping(&self) -> Result<(), StorageError> {
        read_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection (SQLite checkpoints its WAL on the last close).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                sqlite.read.close().await;
                sqlite.write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Milliseconds since the Unix epoch: how every instant is stored.
pub fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A duration in milliseconds, saturating.
pub fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_saturation_codes_mean_unavailable() {
        assert!(is_busy(Some("5")));
        assert!(is_busy(Some("53300")));
        assert!(!is_busy(Some("23505")));
        assert!(!is_busy(None));
    }
}
