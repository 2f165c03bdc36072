//! The award's amounts as the chain of custody sets them (Art. 7, 27, 29, 31): the approved
//! version's evaluated maximum, and the director's written motivation when the contribution is
//! lower, which the resolution states.
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000012_award_amounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let columns = [
            // Null for awards issued before the maximum was recorded.
            exact_decimal_null(backend, "evaluated_maximum"),
            text_null(col("lowering_motivation")),
        ];
        for column in columns {
            manager
                .alter_table(Table::alter().table(col("awards")).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
