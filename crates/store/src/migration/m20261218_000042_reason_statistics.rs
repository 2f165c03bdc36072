//! PostgreSQL keeps statistics of a screening result's reasons as the results list filters them
//! (`';' || reasons || ';'`, so a code is matched whole), issue 15: a reason within a
//! municipality, one page of a million results. Without them the planner guesses the reason's
//! `LIKE` matches one result in two hundred and reads the municipality's every result to sort
//! them; with them it knows a common reason is common and walks the run's results in their
//! order until the page is full.
//!
//! Statistics on an expression are PostgreSQL 14's; on 13 nothing is made and the plans stay
//! as they were. SQLite has none to keep: it walks the run in order already.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261218_000042_reason_statistics"
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
                "DO $$
                 BEGIN
                     IF current_setting('server_version_num')::int >= 140000 THEN
                         EXECUTE $s$CREATE STATISTICS st_screening_results_reasons
                                  ON ((';' || reasons || ';')) FROM screening_results$s$;
                     END IF;
                 END
                 $$;",
            )
            .await?;
        Ok(())
    }
}
