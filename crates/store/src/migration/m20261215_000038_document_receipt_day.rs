//! The day a household brought a document, as the officer records it (issue 18 part 4): an
//! officer entering a paper document received days earlier gives that day, and the list of a
//! call's documents filters and sorts on it. `received_at` stays the instant of recording.
//!
//! The documents recorded before were received the day they were recorded, read in Colombia
//! (UTC−5 all year, as `vereda_domain::calendar::date_in_colombia`). The column is `NOT NULL`;
//! SQLite adds such a column only with a default, which every insert overrides.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use super::columns::{add_filled_text, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261215_000038_document_receipt_day"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let day_in_colombia = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "to_char(TIMESTAMP 'epoch' + (received_at / 1000000 - 18000) * INTERVAL '1 second', 'YYYY-MM-DD')"
            }
            _ => "strftime('%Y-%m-%d', received_at / 1000000 - 18000, 'unixepoch')",
        };
        add_filled_text(manager, "household_documents", "received_on", day_in_colombia).await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_household_documents_call_id_received_at_id")
            .await?;
        manager
            .create_index(index(
                "household_documents",
                &["call_id", "received_on", "id"],
                false,
            ))
            .await?;
        Ok(())
    }
}
