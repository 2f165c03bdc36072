//! A run's results are no longer indexed by municipality (issue 15: a million results stored
//! in a minute). That index took a million entries at random places of it, about a fifth of
//! what SQLite's storing of a million households took; the households' own index by (call,
//! municipality) serves the same pages, since a result's municipality is its household's
//! (`ResultQuery::condition`).
//!
//! On PostgreSQL that households' index ends with the household's id, so it holds a
//! municipality's households in the order the lists sort them (SQLite's indexes end with the
//! row's id already).

use sea_orm_migration::prelude::*;

use super::columns::dropped_index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261220_000046_result_place_by_household"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(dropped_index(
                "screening_results",
                &["run_id", "municipality_code", "household_id"],
            ))
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "DROP INDEX ix_households_call_id_municipality_code;
                     CREATE INDEX ix_households_call_id_municipality_code_id
                         ON households (call_id, municipality_code, id);",
                )
                .await?;
        }
        Ok(())
    }
}
