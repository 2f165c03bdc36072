//! Persistence for vereda: one set of entities and migrations for SQLite (the embedded
//! default) and PostgreSQL (production), chosen by the URL scheme.
//!
//! Every change goes through a repository function that takes the [`Actor`] making it and
//! appends to the audit log in the same transaction (see [`audit`]).
//!
//! [`Actor`]: vereda_domain::audit::Actor

pub mod accounts;
pub mod acts;
pub mod api_tokens;
pub mod audit;
mod bulk;
pub mod bulk_decisions;
pub mod connect;
mod custody;
pub mod demo;
pub mod entity;
pub mod followup;
pub mod formulations;
pub mod households;
pub mod inbox;
pub mod jobs;
pub mod ledger;
pub mod lists;
mod migration;
pub mod operations;
pub mod parcels;
pub mod petitions;
pub mod portfolio;
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

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

pub use connect::{ConnectSettings, PoolUse};
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
    /// The database could not be reached or refused the connection (TLS, network, password,
    /// wait): the message names the kind, the URL without its password and the detail.
    #[error("{0}")]
    Connection(Message),
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

/// How many values one `IN (…)` list binds at most: far under SQLite's 32,766 variables and
/// PostgreSQL's 65,535 parameters, whatever else the statement binds. Longer lists are read in
/// chunks of this size.
pub(crate) const IN_LIST_LIMIT: usize = 1_000;

/// The database, open.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// The database file, for SQLite on disk.
    sqlite_file: Option<std::path::PathBuf>,
    /// The most connections the pool opens.
    max_connections: u32,
    /// SQLite's writers, one at a time in the order they asked (see [`Store::write_transaction`]).
    writers: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// The key of PostgreSQL's advisory lock that migrations run under (`vereda` in ASCII).
pub const MIGRATION_LOCK: i64 = 0x7665_7265_6461;

impl Store {
    /// Opens `sqlite://PATH` (created if missing, in WAL mode) or `postgres://…` with the
    /// default pool and timeouts.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        Store::connect_with(url, &ConnectSettings::default()).await
    }

    /// Opens the database with the operator's settings (see [`ConnectSettings`]). On
    /// PostgreSQL the URL's `sslmode` (disable, allow, prefer, require, verify-ca,
    /// verify-full) and `sslrootcert` are honoured; a connection that fails is a
    /// [`StoreError::Connection`] naming its kind.
    pub async fn connect_with(url: &str, settings: &ConnectSettings) -> StoreResult<Store> {
        if url.starts_with("sqlite:") {
            let (db, sqlite_file, max_connections) = connect::sqlite(url, settings).await?;
            Ok(Store {
                db,
                sqlite_file,
                max_connections,
                writers: Some(std::sync::Arc::new(tokio::sync::Mutex::new(()))),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (db, max_connections) = connect::postgres(url, settings).await?;
            Ok(Store {
                db,
                sqlite_file: None,
                max_connections,
                writers: None,
            })
        } else {
            Err(StoreError::BadDatabaseUrl(format!(
                "unsupported database URL {:?}: use sqlite://PATH (for example sqlite://vereda.db) or postgres://USER@HOST:PORT/DATABASE",
                redact_password(url)
            )))
        }
    }

    /// The pool's connections: open, idle and the most it opens.
    pub fn pool_use(&self) -> PoolUse {
        let (size, idle) = match self.backend() {
            DatabaseBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX))
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX))
            }
        };
        PoolUse {
            size,
            idle,
            max: self.max_connections,
        }
    }

    /// Brings the schema up to date and loads the reference data on first run. A schema already
    /// up to date is only read, so the application may run as a role that owns nothing (see the
    /// README: the owner runs migrations; the application may only INSERT and SELECT the audit
    /// log).
    ///
    /// On PostgreSQL the migrations run under an advisory lock ([`MIGRATION_LOCK`]), so
    /// several servers (or `vereda migrate`s) starting together on a fresh database take
    /// turns: the first migrates, the others find nothing left to do.
    pub async fn migrate(&self) -> StoreResult<()> {
        if self.pending_migrations().await? == 0 {
            return Ok(());
        }
        if self.backend() != DatabaseBackend::Postgres {
            return self.migrate_and_fill().await;
        }
        // A session lock, held by one connection set apart while the pool migrates; closing
        // that connection releases it whatever happens.
        let pool = self.db.get_postgres_connection_pool();
        let mut lock = pool
            .acquire()
            .await
            .map_err(|e| StoreError::Database(DbErr::Custom(e.to_string())))?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *lock)
            .await
            .map_err(|e| StoreError::Database(DbErr::Custom(e.to_string())))?;
        let migrated = match self.pending_migrations().await {
            Ok(0) => Ok(()),
            Ok(_) => self.migrate_and_fill().await,
            Err(error) => Err(error),
        };
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *lock)
            .await;
        if unlocked.is_err() {
            let _ = lock.close().await;
        }
        migrated
    }

    /// The migrations, then the stored summaries of the projects that have none: they are the
    /// domain's to compute, so the migration that made their table leaves them to the store.
    async fn migrate_and_fill(&self) -> StoreResult<()> {
        Migrator::up(&self.db, None).await?;
        let txn = self.write_transaction().await?;
        portfolio::fill_missing_summaries(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether the database answers and its schema is current: what `/readyz` asks.
    pub async fn ready(&self) -> StoreResult<bool> {
        self.ping().await?;
        Ok(self.pending_migrations().await? == 0)
    }

    /// Writes a consistent copy of the SQLite database to `dest` (`VACUUM INTO`), while
    /// others keep reading and writing. `dest` must not exist. Refused on PostgreSQL, whose
    /// copy is `pg_dump`'s (see the README).
    pub async fn backup_sqlite(&self, dest: &std::path::Path) -> StoreResult<()> {
        use sea_orm::ConnectionTrait;
        if self.backend() != DatabaseBackend::Sqlite {
            return Err(StoreError::Invalid(Message::new("store-backup-postgres")));
        }
        let target = dest.to_str().ok_or_else(|| {
            StoreError::Invalid(Message::new("store-backup-path").with("path", dest.display().to_string()))
        })?;
        self.db
            .execute_unprepared(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
            .await?;
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

    /// A transaction for a step that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two steps at the same moment wait for each other instead of
    /// one failing when it upgrades a stale read snapshot. SQLite's own wait polls and is not
    /// fair: a short write could starve behind a long run of chunk transactions and fail with
    /// "database is locked". So this process's writers first queue, first come first served,
    /// for their turn; the busy timeout is left for other processes.
    pub(crate) async fn write_transaction(&self) -> StoreResult<WriteTransaction> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let turn = match &self.writers {
            Some(writers) => Some(writers.clone().lock_owned().await),
            None => None,
        };
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTransaction { txn, _turn: turn })
    }

    /// The raw connection, for tests and for health checks.
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

/// A write transaction holding its writer's turn until it commits or is dropped.
pub(crate) struct WriteTransaction {
    txn: sea_orm::DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTransaction {
    type Target = sea_orm::DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}

impl WriteTransaction {
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
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

/// `text` with LIKE's wildcards and its escape (`\\`) escaped, for `LIKE ... ESCAPE '\\'`.
pub(crate) fn like_escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            other => vec![other],
        })
        .collect()
}

/// How many rows `select` matches, as one `COUNT(*)` over its condition (not SeaORM's count
/// over a subquery of every column, which keeps an index from answering it alone).
pub(crate) async fn count_rows<E: sea_orm::EntityTrait>(
    select: sea_orm::Select<E>,
    db: &impl sea_orm::ConnectionTrait,
) -> StoreResult<u64> {
    use sea_orm::{QuerySelect, sea_query::Expr};
    let n: Option<i64> = select
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// The rows of `select` whose `column` is one of `ids`, each id asked once and at most
/// [`IN_LIST_LIMIT`] in a statement, however many there are.
pub(crate) async fn find_in<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    select: sea_orm::Select<E>,
    column: E::Column,
    ids: impl IntoIterator<Item = i32>,
) -> StoreResult<Vec<E::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let ids: Vec<i32> = ids
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_LIST_LIMIT) {
        rows.extend(
            select
                .clone()
                .filter(column.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
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

    #[tokio::test]
    async fn a_list_of_ids_longer_than_a_statement_takes_is_read_in_chunks_each_id_once() {
        use sea_orm::{ActiveValue::Set, EntityTrait};
        let store = Store::connect("sqlite::memory:").await.expect("store");
        store.migrate().await.expect("migrate");
        // More ids than SQLite binds in one statement (32,766).
        let programs: Vec<_> = (0..33_000)
            .map(|n| entity::program::ActiveModel {
                code: Set(format!("P{n}")),
                name: Set(format!("Program {n}")),
                description: Set(String::new()),
                created_at: Set(types::DbTimestamp::now()),
                ..Default::default()
            })
            .collect();
        for chunk in programs.chunks(5_000) {
            entity::program::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(store.connection())
                .await
                .expect("programs");
        }
        let mut ids: Vec<i32> = entity::program::Entity::find()
            .all(store.connection())
            .await
            .expect("all")
            .iter()
            .map(|p| p.id)
            .collect();
        ids.sort_unstable();
        assert_eq!(ids.len(), 33_000);
        // Every id twice, and one that is not there.
        let asked = ids.iter().chain(ids.iter()).copied().chain([i32::MAX]);
        let mut found: Vec<i32> = find_in(
            store.connection(),
            entity::program::Entity::find(),
            entity::program::Column::Id,
            asked,
        )
        .await
        .expect("found")
        .iter()
        .map(|p| p.id)
        .collect();
        found.sort_unstable();
        assert_eq!(found, ids);
    }

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
