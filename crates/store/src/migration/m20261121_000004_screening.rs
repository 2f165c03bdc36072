//! Batch screening in the web application: the runs (one per uploaded job) and the result of
//! each household of a call, with the facts and cross-checks it was decided on.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000004_screening"
    }
}

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

/// `NUMERIC` on PostgreSQL, `TEXT` on SQLite, nullable (see `types::Dec`).
fn exact_decimal_null(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut column = ColumnDef::new(col(name));
    match backend {
        DatabaseBackend::Postgres => column.decimal_len(24, 6),
        _ => column.text(),
    };
    column.null();
    column
}

/// `YYYY-MM-DD` text (see `types::DbDate`).
fn iso_date(name: &'static str) -> ColumnDef {
    string_len(col(name), 10)
}

/// Microseconds since the Unix epoch (see `types::DbTimestamp`).
fn instant(name: &'static str) -> ColumnDef {
    big_integer(col(name))
}

fn fk(
    from_table: &'static str,
    from_column: &'static str,
    to_table: &'static str,
    to_column: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_column}"))
        .from(col(from_table), col(from_column))
        .to(col(to_table), col(to_column))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(col(table));
    for column in columns {
        statement.col(col(column));
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
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
