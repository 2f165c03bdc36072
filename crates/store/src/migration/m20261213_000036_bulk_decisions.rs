//! Decisions in bulk run as jobs (issue 18 part 3): `bulk_decisions`, what was asked (the
//! call, the decision, its motivation, the filter of the call's verification list, who asked
//! and how many households matched then), and `bulk_decision_households`, each household the
//! job planned with the version of its decision read then, and its outcome once decided
//! (`decided`, or the refusal's code and, as JSON, its message with its arguments). Unique on the request and the household: planned once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261213_000036_bulk_decisions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(col("bulk_decisions"))
                .col(id())
                .col(integer(col("call_id")))
                .col(string(col("status")))
                .col(text(col("reasons")))
                .col(string(col("search")))
                .col(string_null(col("municipality_code")))
                .col(string_null(col("verification_status")))
                .col(integer(col("requested_by")))
                .col(instant("requested_at"))
                .col(big_integer(col("matching")))
                .col(big_integer_null(col("finished_at")))
                .foreign_key(&mut fk("bulk_decisions", "call_id", "calls", "id"))
                .foreign_key(&mut fk("bulk_decisions", "requested_by", "users", "id"))
                .to_owned(),
            Table::create()
                .table(col("bulk_decision_households"))
                .col(id())
                .col(integer(col("bulk_decision_id")))
                .col(integer(col("household_id")))
                .col(string(col("external_id")))
                .col(integer(col("lock_version")))
                .col(string_null(col("outcome")))
                .col(text_null(col("problem")))
                .col(integer_null(col("letter_id")))
                .foreign_key(&mut owned_by(
                    "bulk_decision_households",
                    "bulk_decision_id",
                    "bulk_decisions",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(index(
                "bulk_decision_households",
                &["bulk_decision_id", "household_id"],
                true,
            ))
            .await
    }
}
