//! Persistence for vereda: one set of entities and migrations for SQLite (the embedded
//! default) and PostgreSQL (production), chosen by the URL scheme.
//!
//! Every change goes through a repository function that takes the [`Actor`] making it and
//! appends to the audit log in the same transaction (see [`audit`]).
//!
//! [`Actor`]: vereda_domain::audit::Actor

pub mod accounts;
pub mod api_tokens;
pub mod audit;
mod custody;
pub mod demo;
pub mod entity;
pub mod followup;
pub mod formulations;
pub mod households;
pub mod ledger;
mod migration;
pub mod parcels;
pub mod petitions;
pub mod preparation;
pub mod procedure;
pub mod programs;
pub mod projects;
pub mod scope;
pub mod screening;
pub mod sessions;
pub mod subjects;
pub mod targeting;
pub mod territory;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod types;
pub mod verification;

use std::str::FromStr;
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr, SqlxSqliteConnector};
use sea_orm_migration::MigratorTrait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use migration::Migrator;

/// The default database: a `vereda.db` file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://vereda.db";

pub use vereda_domain::message::{Arg, Message};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    BadDatabaseUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("an account with e-mail {0} already exists")]
    DuplicateEmail(String),
    #[error("{entity} {id} already exists")]
    Duplicate { entity: &'static str, id: String },
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: String },
    /// The request breaks a rule: the message says which, in the catalogue's words.
    #[error("{0}")]
    Invalid(Message),
    /// The record changed since it was read, or is no longer in a state that allows this.
    #[error("{0}")]
    Conflict(Message),
    /// The rules of the procedure forbid this actor to do it (e.g. reviewing their own work).
    #[error("{0}")]
    Forbidden(Message),
    /// A failure that is not the user's doing (writing JSON, hashing): logged, never shown.
    #[error("{0}")]
    Fault(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database, open.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// The database file, for SQLite on disk.
    sqlite_file: Option<std::path::PathBuf>,
}

impl Store {
    /// Opens `sqlite://PATH` (created if missing, in WAL mode) or `postgres://…`.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        let mut sqlite_file = None;
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::BadDatabaseUrl(format!("bad SQLite URL {url:?}: {e}")))?
                .create_if_missing(true)
                // WAL with NORMAL sync survives a killed process without losing commits.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory {
                sqlite_file = Some(options.get_filename().to_path_buf());
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(if in_memory { 1 } else { 8 })
                // An in-memory database lives only as long as its one connection.
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(1800))
                })
                .connect_with(options)
                .await
                .map_err(|e| StoreError::Connect(format!("{url}: {e}")))?;
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .max_connections(16)
                .connect_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            Database::connect(options)
                .await
                .map_err(|e| StoreError::Connect(redact(url, &e.to_string())))?
        } else {
            return Err(StoreError::BadDatabaseUrl(format!(
                "unsupported database URL {:?}: use sqlite://PATH (for example sqlite://vereda.db) or postgres://USER@HOST:PORT/DATABASE",
                redact_password(url)
            )));
        };
        Ok(Store { db, sqlite_file })
    }

    /// Brings the schema up to date and loads the reference data on first run. A schema already
    /// up to date is only read, so the application may run as a role that owns nothing (see the
    /// README: the owner runs migrations; the application may only INSERT and SELECT the audit
    /// log).
    pub async fn migrate(&self) -> StoreResult<()> {
        if self.pending_migrations().await? > 0 {
            Migrator::up(&self.db, None).await?;
        }
        Ok(())
    }

    /// How many migrations have not run yet (read without creating anything).
    pub async fn pending_migrations(&self) -> StoreResult<usize> {
        Ok(Migrator::get_pending_migrations_read_only(&self.db).await?.len())
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            DatabaseBackend::Postgres => "PostgreSQL",
            DatabaseBackend::Sqlite => "SQLite",
            _ => "other",
        }
    }

    /// The SQLite database file, when the database is one (not in memory, not PostgreSQL).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The raw connection, for tests and for health checks.
    /// A transaction for a step that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two steps at the same moment wait for each other instead of
    /// one failing when it upgrades a stale read snapshot.
    pub(crate) async fn write_transaction(&self) -> StoreResult<sea_orm::DatabaseTransaction> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn ping(&self) -> StoreResult<()> {
        self.db.ping().await?;
        Ok(())
    }

    pub async fn close(self) -> StoreResult<()> {
        self.db.close().await?;
        Ok(())
    }
}

/// Hides a password in a URL before it reaches a message or a log.
pub fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn redact(url: &str, message: &str) -> String {
    format!("{}: {message}", redact_password(url))
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`] naming the row; other
/// errors pass through.
pub(crate) fn duplicate_or(
    entity: &'static str,
    id: impl FnOnce() -> String,
) -> impl FnOnce(DbErr) -> StoreError {
    on_duplicate(move || StoreError::Duplicate { entity, id: id() })
}

/// Maps a unique-constraint violation to `refusal` (a race another writer won, a step taken
/// twice); other errors pass through.
pub(crate) fn on_duplicate(refusal: impl FnOnce() -> StoreError) -> impl FnOnce(DbErr) -> StoreError {
    move |error| {
        if is_unique_violation(&error) {
            refusal()
        } else {
            error.into()
        }
    }
}

/// A stored value that no longer parses: the row and what is wrong with it.
pub(crate) fn corrupt(what: &str, id: i32, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} {id}: {error}"))
}

/// Whether a database error is a unique-constraint violation, on either backend.
pub(crate) fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_password("postgres://ana:secreta@db:5432/vereda"),
            "postgres://ana:***@db:5432/vereda"
        );
        assert_eq!(
            redact_password("postgres://ana@db/vereda"),
            "postgres://ana@db/vereda"
        );
        assert_eq!(redact_password("sqlite://vereda.db"), "sqlite://vereda.db");
    }
}
