//! A household keeps its verification status beside its search key (issue 15 part 3): the
//! verification list of a million-household call, with a status and a search both given, then
//! tests each household's own row for both instead of looking up each match's decision (the
//! count of the pending among a search that matches most of a call read every household's
//! decision: 351 ms on SQLite).
//!
//! The decision row (`household_verifications`) stays the record; the store writes the status
//! here in the transaction that decides or reopens it (`verification::keep_household_status`).
//! A household without a decision row is pending, the column's default. Households decided
//! before are given their status here.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261219_000044_household_verification_status"
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
            "ALTER TABLE households ADD COLUMN verification_status TEXT NOT NULL DEFAULT 'pending'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE households SET verification_status = (SELECT v.status FROM \
             household_verifications v WHERE v.household_id = households.id) \
             WHERE id IN (SELECT household_id FROM household_verifications)",
        )
        .await?;
        Ok(())
    }
}
