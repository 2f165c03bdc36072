//! A household's verification row keeps the household's call (issue 15 part 3): how many of a
//! million-household call's households stand in one status is then counted from an index of
//! the call's decisions, `(call_id, status)`, instead of probing every household of the call for
//! its decision (14 ms instead of 275 ms on PostgreSQL at a million).
//!
//! The call is the household's, set when the row is made; a household never changes call (see
//! migration 37, which keeps it with the household's documents alike). Rows made before are
//! given it here.

use sea_orm_migration::prelude::*;

use super::columns::{add_household_call, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261218_000043_verification_call"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_household_call(manager.get_connection(), "household_verifications").await?;
        manager
            .create_index(index("household_verifications", &["call_id", "status"], false))
            .await?;
        Ok(())
    }
}
