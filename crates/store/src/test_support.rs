//! Fresh, isolated databases for tests: a new SQLite file, or a new PostgreSQL database
//! created from `VEREDA_TEST_POSTGRES_URL`. Tests never share one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::ConnectionTrait;

use crate::{Store, StoreError, StoreResult};

/// The variable that names the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "VEREDA_TEST_POSTGRES_URL";
/// When set, a missing PostgreSQL server fails the tests instead of skipping them (CI).
pub const REQUIRE_POSTGRES_VAR: &str = "VEREDA_REQUIRE_POSTGRES";

/// A migrated database that lives as long as this value (SQLite) or until the next test run
/// sweeps it (PostgreSQL).
pub struct TestDatabase {
    pub store: Store,
    pub url: String,
    _dir: Option<TempDir>,
}

/// A temporary directory removed on drop, without pulling a crate into the library.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The SQL statements a store ran since the last [`StatementLog::take`], to catch queries run
/// once per row (N+1) by counting them for a few rows and for many.
#[derive(Clone, Debug, Default)]
pub struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    /// The statements run since the last call, oldest first; the log starts empty again.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Store {
    /// Logs every statement this store (and every clone made of it afterwards) runs, in
    /// transactions too. Clones made before keep running unlogged: the callback lives in
    /// each copy of the connection.
    pub fn log_statements(&mut self) -> StatementLog {
        let log = StatementLog::default();
        let sink = log.clone();
        self.db.set_metric_callback(move |info| {
            sink.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(info.statement.to_string());
        });
        log
    }
}

/// A new, migrated SQLite database in its own file.
pub async fn sqlite() -> StoreResult<TestDatabase> {
    let dir = std::env::temp_dir().join(format!("vereda_test_{}", unique_suffix()));
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::Connect(format!("{}: {e}", dir.display())))?;
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestDatabase {
        store,
        url,
        _dir: Some(TempDir(dir)),
    })
}

/// Why the PostgreSQL suite cannot run here, if it cannot.
pub fn postgres_unavailable_reason() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => None,
        _ => Some(format!(
            "{POSTGRES_URL_VAR} is not set (for example postgres://postgres@127.0.0.1:5432/test)"
        )),
    }
}

/// Whether a missing PostgreSQL server must fail the run.
pub fn postgres_required() -> bool {
    std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v == "1" || v == "true")
}

/// A new, migrated PostgreSQL database, or `None` (with the reason printed) when the suite
/// is not configured here. Panics when it is required but unavailable.
pub async fn postgres() -> Option<TestDatabase> {
    if let Some(reason) = postgres_unavailable_reason() {
        assert!(
            !postgres_required(),
            "the PostgreSQL suite is required but {reason}"
        );
        eprintln!("skipped on PostgreSQL: {reason}");
        return None;
    }
    match create_postgres_database().await {
        Ok(db) => Some(db),
        Err(e) => panic!("cannot create a PostgreSQL test database: {e}"),
    }
}

async fn create_postgres_database() -> StoreResult<TestDatabase> {
    let url = create_empty_postgres_database().await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestDatabase {
        store,
        url,
        _dir: None,
    })
}

/// The URL of a new PostgreSQL database with nothing in it, not even the schema (for tests
/// of migrating itself), or `None` (with the reason printed) when the suite is not
/// configured here.
pub async fn postgres_empty() -> Option<String> {
    if let Some(reason) = postgres_unavailable_reason() {
        assert!(
            !postgres_required(),
            "the PostgreSQL suite is required but {reason}"
        );
        eprintln!("skipped on PostgreSQL: {reason}");
        return None;
    }
    match create_empty_postgres_database().await {
        Ok(url) => Some(url),
        Err(e) => panic!("cannot create a PostgreSQL test database: {e}"),
    }
}

async fn create_empty_postgres_database() -> StoreResult<String> {
    let admin_url = std::env::var(POSTGRES_URL_VAR).map_err(|e| StoreError::Connect(e.to_string()))?;
    let admin = Store::connect(&admin_url).await?;
    let now = jiff::Timestamp::now().as_second();
    let name = format!("vereda_test_{now}_{}", unique_suffix());
    sweep_old_databases(&admin, now).await?;
    admin
        .connection()
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| StoreError::BadDatabaseUrl(admin_url.clone()))?;
    Ok(format!("{base}/{name}"))
}

/// Drops test databases left by runs more than an hour old.
async fn sweep_old_databases(admin: &Store, now: i64) -> StoreResult<()> {
    use sea_orm::Statement;
    let rows = admin
        .connection()
        .query_all_raw(Statement::from_string(
            admin.backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'vereda_test_%'",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "datname")?;
        let created = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(now);
        if now - created > 3600 {
            let _ = admin
                .connection()
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
    Ok(())
}

/// Gives an account the territorial office of `department` (two DIVIPOLA digits), creating
/// the office the first time, so that a territorial role reaches that department's records.
pub async fn assign_office_in(
    store: &Store,
    actor: &vereda_domain::audit::Actor,
    account_id: i32,
    department: &str,
) -> StoreResult<i32> {
    let office = match store
        .territorial_offices()
        .await?
        .into_iter()
        .find(|o| o.department_code == department)
    {
        Some(office) => office.id,
        None => {
            let code = vereda_domain::territory::DepartmentCode::parse(department)
                .map_err(|e| StoreError::Fault(e.to_string()))?;
            store
                .create_territorial_office(actor, &format!("Dirección Territorial {department}"), code)
                .await?
                .id
        }
    };
    store
        .assign_territorial_office(actor, account_id, Some(office))
        .await?;
    Ok(office)
}

/// The worked example of docs/formulation.md, as shipped: 20 families, not viable (their
/// income is below the floor of Art. 19.6).
pub fn cocoa() -> vereda_domain::finance::Formulation {
    toml::from_str(include_str!("../../../examples/cacao-tumaco.toml"))
        .unwrap_or_else(|e| panic!("the cocoa example does not parse: {e}"))
}

/// The worked example for its first 10 families: the same project, whose income per family
/// then passes the floor of Art. 19.6, so every legal check of the evaluation is met.
pub fn viable_cocoa() -> vereda_domain::finance::Formulation {
    let mut project = cocoa();
    project.frame.households.truncate(10);
    project
}

// The demo walks the same steps; one piece of code for both.
pub use crate::demo::{make_households_ready, notify_award};
