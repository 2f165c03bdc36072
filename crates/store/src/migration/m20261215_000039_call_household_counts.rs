//! Each call keeps how many households it holds (`calls.households`), written in the
//! transaction that registers them (`households::create_household`, a screening's chunk), so a
//! call read for any page does not count a million households each time. Set here from the
//! households registered before.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261215_000039_call_household_counts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE calls ADD COLUMN households BIGINT NOT NULL DEFAULT 0")
            .await?;
        db.execute_unprepared(
            "UPDATE calls SET households = (SELECT COUNT(*) FROM households \
             WHERE households.call_id = calls.id)",
        )
        .await?;
        Ok(())
    }
}
