//! Letters keep their facts, not prose (one voice): `letters.facts` holds
//! `vereda_domain::verification::LetterFacts` as JSON; the text is written out from the
//! catalogue when shown or sent, and the text as sent is kept in `subject` and `body` with the
//! delivery. Letters written before keep the text they were written with.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000027_letter_facts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(col("letters"))
                    .add_column(text_null(col("facts")))
                    .to_owned(),
            )
            .await
    }
}
