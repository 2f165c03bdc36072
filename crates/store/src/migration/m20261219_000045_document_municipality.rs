//! A household's document keeps the household's municipality (issue 15 part 3), as a screening
//! result does: a call's documents within a municipality or an office's reach are then read by
//! an index of their own, `(call_id, municipality_code, received_on, id)`, in the list's
//! default order, instead of matching the municipality's households again for each page and
//! each chunk of a download (100,000 lines took 27 s on SQLite, 8.2 s on PostgreSQL).
//!
//! The municipality is the household's when the document is recorded; a later screening that
//! moves the household moves its documents in the same transaction
//! (`screening::move_documents`). Documents recorded before are given it here. The column is
//! `NOT NULL`; SQLite adds such a column only with a default, which every insert overrides.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use super::columns::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261219_000045_document_municipality"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE household_documents ADD COLUMN municipality_code TEXT NOT NULL DEFAULT ''",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE household_documents SET municipality_code = (SELECT h.municipality_code \
             FROM households h WHERE h.id = household_documents.household_id)",
        )
        .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE household_documents ALTER COLUMN municipality_code DROP DEFAULT",
            )
            .await?;
        }
        manager
            .create_index(index(
                "household_documents",
                &["call_id", "municipality_code", "received_on", "id"],
                false,
            ))
            .await?;
        Ok(())
    }
}
