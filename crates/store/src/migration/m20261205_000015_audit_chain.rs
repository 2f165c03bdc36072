//! Chains the audit log: each entry carries the hash of the entry before it (`prev_hash`) and
//! its own (`hash`, `audit::entry_hash`). Entries written before this migration are hashed
//! here, in the order of their ids, starting from the genesis hash; the append-only triggers
//! are set aside for that one update and put back. A unique index on `prev_hash` refuses two
//! entries linking to the same one (a fork).

use sea_orm::{DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

use super::m20261121_000003_append_only_audit::APPEND_ONLY_MESSAGE;
use crate::audit::{ChainFields, GENESIS_HASH, entry_hash};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000015_audit_chain"
    }
}

/// Entries hashed per statement.
const PAGE: i64 = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on both backends: on SQLite the triggers are dropped and created again
    /// on the same connection, and nothing is left half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for column in ["prev_hash", "hash"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE audit_log ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
            ))
            .await?;
        }
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER audit_log_no_update").await?;
            }
        }
        let mut previous = GENESIS_HASH.to_owned();
        let mut last_id = 0i64;
        loop {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        DatabaseBackend::Postgres => {
                            "SELECT id, at, actor, actor_user_id, entity, entity_id, action, before, after
                             FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
                        }
                        _ => {
                            "SELECT id, at, actor, actor_user_id, entity, entity_id, action, before, after
                             FROM audit_log WHERE id > ? ORDER BY id LIMIT ?"
                        }
                    },
                    [last_id.into(), PAGE.into()],
                ))
                .await?;
            if rows.is_empty() {
                break;
            }
            let mut prev_cases = String::new();
            let mut hash_cases = String::new();
            let mut ids = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = row.try_get("", "id")?;
                let actor: String = row.try_get("", "actor")?;
                let entity: String = row.try_get("", "entity")?;
                let entity_id: String = row.try_get("", "entity_id")?;
                let action: String = row.try_get("", "action")?;
                let before: Option<String> = row.try_get("", "before")?;
                let after: Option<String> = row.try_get("", "after")?;
                let hash = entry_hash(&ChainFields {
                    at: row.try_get("", "at")?,
                    actor: &actor,
                    actor_user_id: row.try_get("", "actor_user_id")?,
                    entity: &entity,
                    entity_id: &entity_id,
                    action: &action,
                    before: before.as_deref(),
                    after: after.as_deref(),
                    prev_hash: &previous,
                });
                // Ids are integers and hashes hexadecimal: nothing here needs quoting.
                prev_cases.push_str(&format!(" WHEN {id} THEN '{previous}'"));
                hash_cases.push_str(&format!(" WHEN {id} THEN '{hash}'"));
                ids.push(id.to_string());
                previous = hash;
                last_id = id;
            }
            db.execute_unprepared(&format!(
                "UPDATE audit_log SET prev_hash = CASE id{prev_cases} END, hash = CASE id{hash_cases} END
                 WHERE id IN ({})",
                ids.join(",")
            ))
            .await?;
        }
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
                    .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                     BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;"
                ))
                .await?;
            }
        }
        db.execute_unprepared("CREATE UNIQUE INDEX audit_log_prev_hash ON audit_log (prev_hash)")
            .await?;
        Ok(())
    }
}
