//! Opening the database with the operator's settings: the pool's size and timeouts, TLS to
//! PostgreSQL (`sslmode`, `sslrootcert` or [`ConnectSettings::ssl_root_cert`]), SQLite's
//! `busy_timeout`; a failure to connect said as a typed message that never carries the
//! password ([`StoreError::Connection`]).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Message, StoreError, StoreResult, redact_password};

/// The pool's connections on PostgreSQL, unless configured.
pub const DEFAULT_POSTGRES_CONNECTIONS: u32 = 16;
/// The pool's connections on an SQLite file, unless configured.
pub const DEFAULT_SQLITE_CONNECTIONS: u32 = 8;
/// How long a request waits for a free connection (and a new connection to open), unless
/// configured.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an SQLite statement waits for another writer's lock, unless configured.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How to open the database, beyond its URL. `None` everywhere: the defaults above.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectSettings {
    /// The most connections the pool holds (`VEREDA_DB_MAX_CONNECTIONS`).
    pub max_connections: Option<u32>,
    /// How long a request waits for a connection (`VEREDA_DB_ACQUIRE_TIMEOUT_SECONDS`).
    pub acquire_timeout: Option<Duration>,
    /// PostgreSQL stops a statement that runs longer (`statement_timeout`;
    /// `VEREDA_DB_STATEMENT_TIMEOUT_SECONDS`); none: no limit.
    pub statement_timeout: Option<Duration>,
    /// How long an SQLite statement waits for another writer (`VEREDA_SQLITE_BUSY_TIMEOUT_MS`).
    pub busy_timeout: Option<Duration>,
    /// A CA certificate (PEM) PostgreSQL's server certificate must chain to
    /// (`VEREDA_DB_SSL_ROOT_CERT`); the URL's `sslrootcert` says the same. Without either, the
    /// public web roots are trusted.
    pub ssl_root_cert: Option<PathBuf>,
}

/// The pool as opened, for `/metrics` and `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open now.
    pub size: u32,
    /// Of them, waiting for work.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

pub(crate) async fn sqlite(
    url: &str,
    settings: &ConnectSettings,
) -> StoreResult<(DatabaseConnection, Option<PathBuf>, u32)> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadDatabaseUrl(format!("bad SQLite URL {url:?}: {e}")))?
        .create_if_missing(true)
        // WAL with NORMAL sync survives a killed process without losing commits.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(settings.busy_timeout.unwrap_or(DEFAULT_BUSY_TIMEOUT))
        // Reads of whole tables (the open data, a large call's lists) go through a memory map
        // and a 32 MiB page cache per connection instead of a read call per 4 KiB page. The
        // map's pages count in the server's memory: 128 MiB keeps a million-household
        // screening under 1 GB (256 MiB did not).
        .pragma("mmap_size", "134217728")
        .pragma("cache_size", "-32768")
        // A statement's journal (kept to undo one statement of a multi-row insert) stays in
        // memory rather than in a temporary file.
        .pragma("temp_store", "memory")
        // The WAL is copied back into the database by a writer committing past 131,072 pages
        // (512 MiB: some fifty chunks of a large screening), after which it starts over, and
        // by a task of its own every 30 s (`checkpoint_in_background`). Copied less often, a
        // page the chunks keep changing (an index's, at a random place) is written back once
        // for more commits: what bounds a screening's storing on SQLite is what it writes to
        // the disk (`bench/RESULTS.md`). The WAL's file keeps its largest size until the
        // server stops: cutting it back after each copy (`journal_size_limit`) made a million
        // households store 10 % slower.
        .pragma("wal_autocheckpoint", "131072");
    let file = (!in_memory).then(|| options.get_filename().to_path_buf());
    // An in-memory database lives only as long as its one connection.
    let max = if in_memory {
        1
    } else {
        settings
            .max_connections
            .unwrap_or(DEFAULT_SQLITE_CONNECTIONS)
            .max(1)
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(max)
        .acquire_timeout(settings.acquire_timeout.unwrap_or(DEFAULT_ACQUIRE_TIMEOUT))
        .idle_timeout((!in_memory).then_some(Duration::from_secs(600)))
        .max_lifetime((!in_memory).then_some(Duration::from_secs(1800)))
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Connect(format!("{url}: {e}")))?;
    if !in_memory {
        checkpoint_in_background(pool.clone());
    }
    Ok((SqlxSqliteConnector::from_sqlx_sqlite_pool(pool), file, max))
}

/// How often the WAL is copied back into an SQLite database besides the writer's own copies.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

/// Copies the WAL back into the database every [`CHECKPOINT_EVERY`] on a connection of its
/// own (a passive checkpoint waits for no one and lets readers and the writer go on), until
/// the pool closes: writes too few to pass the writer's threshold are copied back without
/// waiting for the next large one.
fn checkpoint_in_background(pool: sqlx::SqlitePool) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if pool.is_closed() {
                break;
            }
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(%error, "the SQLite WAL could not be copied back this time");
            }
        }
    });
}

pub(crate) async fn postgres(
    url: &str,
    settings: &ConnectSettings,
) -> StoreResult<(DatabaseConnection, u32)> {
    let mut options = PgConnectOptions::from_str(url).map_err(|e| {
        StoreError::Connection(
            Message::new("store-connect-bad_url")
                .with("url", redact_password(url))
                .with("detail", redact_detail(url, &e.to_string())),
        )
    })?;
    if let Some(ca) = &settings.ssl_root_cert {
        if !ca.is_file() {
            return Err(StoreError::Connection(
                Message::new("store-connect-ca_unreadable").with("file", ca.display().to_string()),
            ));
        }
        options = options.ssl_root_cert(ca);
        // A CA of its own means the operator wants it checked: `prefer` would fall back to
        // plain text, so it becomes `verify-ca`.
        if matches!(
            options.get_ssl_mode(),
            PgSslMode::Prefer | PgSslMode::Allow | PgSslMode::Require
        ) {
            options = options.ssl_mode(PgSslMode::VerifyCa);
        }
    }
    if let Some(limit) = settings.statement_timeout {
        options = options.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
    }
    let options = options.disable_statement_logging();
    let max = settings
        .max_connections
        .unwrap_or(DEFAULT_POSTGRES_CONNECTIONS)
        .max(1);
    let pool = PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(settings.acquire_timeout.unwrap_or(DEFAULT_ACQUIRE_TIMEOUT))
        .idle_timeout(Duration::from_secs(600))
        .max_lifetime(Duration::from_secs(1800))
        .connect_with(options)
        .await
        .map_err(|e| connection_error(url, &e))?;
    Ok((SqlxPostgresConnector::from_sqlx_postgres_pool(pool), max))
}

/// What went wrong opening PostgreSQL, by its kind: TLS, the network, the server's refusal or
/// the wait; the detail has no password.
fn connection_error(url: &str, error: &sqlx::Error) -> StoreError {
    let code = match error {
        sqlx::Error::Tls(_) => "store-connect-tls",
        // rustls' refusals (a certificate that does not verify) come through the TLS stream
        // as invalid data.
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => "store-connect-tls",
        sqlx::Error::Io(_) => "store-connect-unreachable",
        sqlx::Error::PoolTimedOut => "store-connect-timeout",
        sqlx::Error::Database(_) => "store-connect-refused",
        sqlx::Error::Configuration(_) => "store-connect-bad_url",
        _ => "store-connect-failed",
    };
    StoreError::Connection(
        Message::new(code)
            .with("url", redact_password(url))
            .with("detail", redact_detail(url, &error.to_string())),
    )
}

/// A library's words about a connection, with the URL's password taken out should they
/// repeat it.
fn redact_detail(url: &str, detail: &str) -> String {
    match password_of(url) {
        Some(password) if !password.is_empty() => detail.replace(password, "***"),
        _ => detail.to_owned(),
    }
}

fn password_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let at = url.rfind('@')?;
    if at <= scheme_end {
        return None;
    }
    url[scheme_end + 3..at]
        .split_once(':')
        .map(|(_, password)| password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_never_repeats_the_password() {
        assert_eq!(
            redact_detail("postgres://ana:s3creta@db/v", "auth failed for ana:s3creta"),
            "auth failed for ana:***"
        );
        assert_eq!(redact_detail("postgres://ana@db/v", "no"), "no");
    }
}
