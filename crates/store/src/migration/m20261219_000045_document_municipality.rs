//! A household's document keeps the household's municipality (issue 15 part 3), as a screening
//! result does: a call's documents within a municipality or an office's reach are then read by
//! an index of their own, `(call_id, municipality_code, received_on, id)`, in the list's
//! default order, instead of matching the municipality's households again for each page and
//! each chunk of a download (100,000 lines took 27 s on SQLite, 8.2 s on PostgreSQL).
//!
//! The municipality is the household's when the document is recorded; a later screening that
//! moves the household moves its documents in the same transaction
//! (`screening::move_documents`). Documents recorded before are given it here.

use sea_orm_migration::prelude::*;

use super::columns::{add_filled_text, index};

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
        add_filled_text(
            manager,
            "household_documents",
            "municipality_code",
            "(SELECT h.municipality_code FROM households h WHERE h.id = household_documents.household_id)",
        )
        .await?;
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
