//! On PostgreSQL a screening result's run and call are checked by one foreign key, and its
//! municipality by its household's, instead of one key each (issue 15: a million results in a
//! minute). PostgreSQL checks every foreign key of an inserted row with a trigger of its own,
//! a query per row and key; four of them were a third of a result's insert.
//!
//! - `(run_id, call_id)` references `screening_runs (id, call_id)`: stronger than the two keys
//!   it replaces, since a result's call must now be its run's.
//! - The result's `municipality_code` is its household's, written together from the same row
//!   of the file; the household's key to `municipalities` checks it.
//!
//! SQLite keeps its keys: it checks one with an index probe inside the insert, and changing
//! a key there means rebuilding the table.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261217_000041_result_run_key"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ix_screening_runs_id_call_id ON screening_runs (id, call_id);
                 ALTER TABLE screening_results
                     DROP CONSTRAINT fk_screening_results_call_id,
                     DROP CONSTRAINT fk_screening_results_run_id,
                     DROP CONSTRAINT fk_screening_results_municipality_code,
                     ADD CONSTRAINT fk_screening_results_run_id_call_id
                         FOREIGN KEY (run_id, call_id) REFERENCES screening_runs (id, call_id)
                         ON DELETE RESTRICT;",
            )
            .await?;
        Ok(())
    }
}
