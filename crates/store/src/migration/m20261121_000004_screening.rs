//! Batch screening in the web application: the runs (one per uploaded job) and the result of
//! each household of a call, with the facts and cross-checks it was decided on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000004_screening"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("screening_runs"))
                .col(pk_auto(col("id")))
                .col(integer(col("call_id")))
                .col(string(col("status")))
                .col(string(col("rule_set_id")))
                .col(string(col("rule_set_hash")))
                .col(iso_date("as_of"))
                .col(exact_decimal_null(db, "arel_max_pct"))
                .col(exact_decimal_null(db, "arel_cap_smmlv"))
                .col(boolean(col("keep_going")))
                .col(string(col("job_key")))
                .col(text(col("inputs")))
                .col(integer(col("households_total")))
                .col(integer(col("eligible_total")))
                .col(integer(col("error_count")))
                .col(text(col("errors")))
                .col(text_null(col("failure")))
                .col(text(col("progress")))
                .col(integer_null(col("created_by")))
                .col(instant("created_at"))
                .col(instant("finished_at").null())
                .foreign_key(&mut fk("screening_runs", "call_id", "calls", "id"))
                .to_owned(),
            Table::create()
                .table(col("screening_results"))
                .col(pk_auto(col("id")))
                .col(integer(col("call_id")))
                .col(string(col("external_id")))
                .col(integer(col("household_id")))
                .col(integer(col("run_id")))
                .col(integer(col("position")))
                .col(integer(col("line")))
                .col(boolean(col("eligible")))
                .col(small_integer_null(col("sisben_level")))
                .col(exact_decimal_null(db, "cofinancing_max_pct"))
                .col(exact_decimal_null(db, "cap_smmlv"))
                .col(text(col("reasons")))
                .col(string_len(col("municipality_code"), 5))
                .col(string(col("head_document_masked")))
                .col(string(col("rule_set_id")))
                .col(string(col("rule_set_hash")))
                .col(iso_date("as_of"))
                .col(text(col("facts")))
                .col(text(col("cross_checks")))
                .col(instant("screened_at"))
                .foreign_key(&mut fk("screening_results", "call_id", "calls", "id"))
                .foreign_key(&mut fk("screening_results", "household_id", "households", "id"))
                .foreign_key(&mut fk("screening_results", "run_id", "screening_runs", "id"))
                .foreign_key(&mut fk(
                    "screening_results",
                    "municipality_code",
                    "municipalities",
                    "dane_code",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        // `households (call_id, external_id)` is unique since the first migration.
        let indexes = [
            index("screening_runs", &["call_id", "job_key"], true),
            index("screening_runs", &["status"], false),
            index("screening_results", &["call_id", "external_id"], true),
            index("screening_results", &["household_id"], false),
            index("screening_results", &["run_id", "position"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
