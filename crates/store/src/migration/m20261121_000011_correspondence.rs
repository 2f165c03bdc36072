//! Correspondence with the households (Art. 46): the head's e-mail address and postal address
//! on the household, and the address a letter was sent to, so letters can go by SMTP.
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000011_correspondence"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ("households", string_null(col("email"))),
            ("households", text_null(col("correspondence_address"))),
            // The e-mail address an SMTP letter went to; null for the outbox.
            ("letters", string_null(col("email"))),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(col(table)).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
