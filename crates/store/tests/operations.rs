//! Running the store in production: the pool's settings, TLS to PostgreSQL, migrations under
//! an advisory lock, decimals read alike on both backends, the SQLite backup while writing, the
//! rows already stored given what migrations 44 and 45 add.

use std::time::Duration;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use vereda_store::types::Dec;
use vereda_store::{ConnectSettings, Store, StoreError};

fn code(error: &StoreError) -> &str {
    match error {
        StoreError::Connection(message) | StoreError::Invalid(message) => message.code(),
        other => panic!("not a typed connection error: {other:?}"),
    }
}

/// The test server's URL with `sslmode` (and more) added.
fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

async fn scalar_text(store: &Store, sql: &str) -> String {
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(store.backend(), sql))
        .await
        .expect("the query runs")
        .expect("a row");
    row.try_get_by_index::<String>(0).expect("text")
}

#[tokio::test]
async fn the_pool_takes_its_size_and_sqlite_its_busy_timeout_from_the_settings() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = format!("sqlite://{}", dir.path().join("pool.db").display());
    let settings = ConnectSettings {
        max_connections: Some(3),
        busy_timeout: Some(Duration::from_millis(2500)),
        ..ConnectSettings::default()
    };
    let store = Store::connect_with(&url, &settings).await.expect("opens");
    assert_eq!(store.pool_use().max, 3);
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA busy_timeout",
        ))
        .await
        .expect("pragma")
        .expect("a row");
    assert_eq!(row.try_get_by_index::<i64>(0).expect("a number"), 2500);
    let defaults = Store::connect(&url).await.expect("opens");
    assert_eq!(
        defaults.pool_use().max,
        vereda_store::connect::DEFAULT_SQLITE_CONNECTIONS
    );
}

#[tokio::test]
async fn postgres_takes_the_pool_size_and_the_statement_timeout_from_the_settings() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    let settings = ConnectSettings {
        max_connections: Some(4),
        statement_timeout: Some(Duration::from_millis(200)),
        ..ConnectSettings::default()
    };
    let store = Store::connect_with(&db.url, &settings).await.expect("opens");
    assert_eq!(store.pool_use().max, 4);
    assert_eq!(scalar_text(&store, "SHOW statement_timeout").await, "200ms");
    let slow = store.connection().execute_unprepared("SELECT pg_sleep(2)").await;
    assert!(slow.is_err(), "a statement over the limit is stopped");
}

#[tokio::test]
async fn postgres_honours_sslmode_and_says_a_tls_failure_as_a_typed_error() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    // Plain text and "TLS if the server offers it" both connect.
    for mode in ["disable", "prefer"] {
        let store = Store::connect(&with_query(&db.url, &format!("sslmode={mode}")))
            .await
            .unwrap_or_else(|e| panic!("sslmode={mode}: {e}"));
        store.ping().await.expect("answers");
    }
    let disabled = Store::connect(&with_query(&db.url, "sslmode=disable"))
        .await
        .expect("opens");
    let server_has_tls = scalar_text(&disabled, "SHOW ssl").await == "on";
    let encrypted =
        "SELECT CASE WHEN ssl THEN 'yes' ELSE 'no' END FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    assert_eq!(
        scalar_text(&disabled, encrypted).await,
        "no",
        "sslmode=disable is plain text"
    );
    let required = Store::connect(&with_query(&db.url, "sslmode=require")).await;
    if server_has_tls {
        // TLS is built in: the session is encrypted.
        let required = required.expect("sslmode=require connects to a server with TLS");
        assert_eq!(scalar_text(&required, encrypted).await, "yes");
        // The test server's certificate is its own (snakeoil): checking it against the web's
        // roots fails, said by its kind, not a crash.
        let verified = Store::connect(&with_query(&db.url, "sslmode=verify-full")).await;
        let error = verified.expect_err("a self-signed certificate does not verify");
        assert_eq!(code(&error), "store-connect-tls", "{error:?}");
    } else {
        let error = required.expect_err("sslmode=require on a server without TLS");
        assert_eq!(code(&error), "store-connect-tls");
    }
    // A CA file that is not there is named before any connection.
    let missing = ConnectSettings {
        ssl_root_cert: Some("/nonexistent/ca.pem".into()),
        ..ConnectSettings::default()
    };
    let error = Store::connect_with(&db.url, &missing)
        .await
        .expect_err("a missing CA file");
    assert_eq!(code(&error), "store-connect-ca_unreadable");
}

#[tokio::test]
async fn a_refused_connection_never_says_the_password() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    let Some((scheme, rest)) = db.url.split_once("://") else {
        panic!("a URL: {}", db.url)
    };
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let url = format!("{scheme}://nadie:s3creta-larga@{host}");
    let error = Store::connect(&url).await.expect_err("an unknown user");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("s3creta-larga"), "{shown}");
    assert!(
        matches!(code(&error), "store-connect-refused" | "store-connect-tls"),
        "{error:?}"
    );
}

#[tokio::test]
async fn two_servers_migrating_a_fresh_postgres_database_together_both_succeed() {
    let Some(url) = vereda_store::test_support::postgres_empty().await else {
        return;
    };
    let first = Store::connect(&url).await.expect("the first server connects");
    let second = Store::connect(&url).await.expect("the second server connects");
    assert!(first.pending_migrations().await.expect("read") > 0);
    let (a, b) = tokio::join!(first.migrate(), second.migrate());
    a.expect("the first migrates");
    b.expect("the second migrates (or finds nothing left)");
    assert_eq!(first.pending_migrations().await.expect("read"), 0);
    assert!(second.ready().await.expect("answers"));
    // The reference data was loaded once.
    let departments = scalar_text(&first, "SELECT CAST(COUNT(*) AS TEXT) FROM departments").await;
    let third = Store::connect(&url).await.expect("a third server");
    third.migrate().await.expect("nothing to do");
    assert_eq!(
        scalar_text(&third, "SELECT CAST(COUNT(*) AS TEXT) FROM departments").await,
        departments
    );
}

/// Reads a decimal column the way every repository does (through [`Dec`]).
async fn read_dec(store: &Store, sql: &str) -> Decimal {
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(store.backend(), sql))
        .await
        .expect("the query runs")
        .expect("a row");
    row.try_get::<Dec>("", "v").expect("a decimal").0
}

#[tokio::test]
async fn decimals_read_the_same_text_on_both_backends() {
    let sqlite = vereda_store::test_support::sqlite().await.expect("SQLite");
    // SQLite keeps the text written; PostgreSQL's NUMERIC(24, 6) pads it.
    let cases = [
        ("'933000000'", "933000000"),
        ("'1.500000'", "1.5"),
        ("'0.000000'", "0"),
    ];
    for (literal, expected) in cases {
        let read = read_dec(&sqlite.store, &format!("SELECT {literal} AS v")).await;
        assert_eq!(read.to_string(), expected, "SQLite {literal}");
    }
    let Some(postgres) = vereda_store::test_support::postgres().await else {
        return;
    };
    for (literal, expected) in cases {
        let read = read_dec(
            &postgres.store,
            &format!("SELECT CAST({literal} AS NUMERIC(24, 6)) AS v"),
        )
        .await;
        assert_eq!(read.to_string(), expected, "PostgreSQL {literal}");
    }
}

#[tokio::test]
async fn a_sqlite_backup_taken_while_writing_opens_and_passes_the_integrity_check() {
    let db = vereda_store::test_support::sqlite().await.expect("SQLite");
    db.store
        .connection()
        .execute_unprepared("CREATE TABLE busy (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
        .await
        .expect("a table");
    let writer = {
        let store = db.store.clone();
        tokio::spawn(async move {
            let mut written = 0u32;
            for i in 0..400 {
                store
                    .connection()
                    .execute_unprepared(&format!("INSERT INTO busy (note) VALUES ('fila {i}')"))
                    .await
                    .expect("a write during the backup");
                written += 1;
                tokio::task::yield_now().await;
            }
            written
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().expect("a directory");
    let copy = dir.path().join("copia.db");
    db.store.backup_sqlite(&copy).await.expect("the backup");
    assert_eq!(
        writer.await.expect("the writer"),
        400,
        "no write failed meanwhile"
    );
    let restored = Store::connect(&format!("sqlite://{}", copy.display()))
        .await
        .expect("the copy opens");
    assert_eq!(scalar_text(&restored, "PRAGMA integrity_check").await, "ok");
    assert_eq!(restored.pending_migrations().await.expect("read"), 0);
    // A second backup to the same file is refused by SQLite, not overwritten.
    assert!(db.store.backup_sqlite(&copy).await.is_err());
}

#[tokio::test]
async fn postgres_refuses_the_sqlite_backup_pointing_to_pg_dump() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let error = db
        .store
        .backup_sqlite(&dir.path().join("x.db"))
        .await
        .expect_err("not SQLite");
    assert_eq!(code(&error), "store-backup-postgres");
}

#[tokio::test]
async fn the_queues_count_what_waits() {
    let db = vereda_store::test_support::sqlite().await.expect("SQLite");
    let queues = db.store.queues().await.expect("the queues");
    assert_eq!(queues.screenings_queued.count, 0);
    assert_eq!(queues.letters_pending.count, 0);
    assert_eq!(queues.letters_pending.oldest_created_micros, None);
}

/// Migrates `store` to before migrations 44 and 45, writes two households (one decided), each
/// with a document, then migrates the rest: the rows already there are given the household's
/// status and the document its household's municipality.
async fn rows_before_migrations_44_and_45_are_given_their_status_and_municipality(store: &Store) {
    use sea_orm_migration::MigratorTrait;
    let before_44 = vereda_store::Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261219_000044_household_verification_status")
        .expect("migration 44");
    vereda_store::Migrator::up(
        store.connection(),
        Some(u32::try_from(before_44).expect("a count")),
    )
    .await
    .expect("migrated to 43");
    for statement in [
        "INSERT INTO households (call_id, external_id, municipality_code, sisben_area, displaced,
           ethnic_group, ethnic_community_registered, program_line, created_at, search_key)
         VALUES (NULL, 'M-1', '52001', '3', FALSE, 'none', FALSE, 'general', 0, 'ana m-1'),
                (NULL, 'M-2', '18001', '3', FALSE, 'none', FALSE, 'general', 0, 'luz m-2')",
        "INSERT INTO household_verifications (household_id, status, reason_codes, lock_version, call_id)
         SELECT id, 'eligible', '', 1, NULL FROM households WHERE external_id = 'M-1'",
        "INSERT INTO household_documents (household_id, kind, file_name, content_type, size_bytes,
           sha256, received_by, received_at, received_on, call_id)
         SELECT id, 'identity', 'cedula.pdf', 'application/pdf', 1, 'x', NULL, 0, '2026-03-02', NULL
         FROM households",
    ] {
        store
            .connection()
            .execute_unprepared(statement)
            .await
            .expect("rows of before");
    }
    store.migrate().await.expect("migrations 44 and 45");
    let read = |sql: &'static str| async move {
        store
            .connection()
            .query_all_raw(Statement::from_string(store.backend(), sql))
            .await
            .expect("read")
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("text"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        read("SELECT verification_status FROM households ORDER BY external_id").await,
        ["eligible", "pending"]
    );
    assert_eq!(
        read("SELECT d.municipality_code FROM household_documents d JOIN households h ON h.id = d.household_id ORDER BY h.external_id").await,
        ["52001", "18001"]
    );
}

#[tokio::test]
async fn rows_before_migrations_44_and_45_are_given_their_status_and_municipality_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "vereda_test_backfill_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).expect("a directory");
    let store = Store::connect(&format!("sqlite://{}", dir.join("test.db").display()))
        .await
        .expect("an empty SQLite database");
    rows_before_migrations_44_and_45_are_given_their_status_and_municipality(&store).await;
    store.close().await.expect("closed");
    std::fs::remove_dir_all(&dir).expect("removed");
}

#[tokio::test]
async fn rows_before_migrations_44_and_45_are_given_their_status_and_municipality_on_postgres() {
    let Some(url) = vereda_store::test_support::postgres_empty().await else {
        return;
    };
    let store = Store::connect(&url).await.expect("an empty PostgreSQL database");
    rows_before_migrations_44_and_45_are_given_their_status_and_municipality(&store).await;
}
