//! Project formulations (Art. 18-22) and their versions: a draft is edited in place, and each
//! save after a submission or a return keeps a new version (Art. 23-24).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000005_formulations"
    }
}

fn col(name: &'static str) -> Alias {
    Alias::new(name)
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
        let tables = [
            Table::create()
                .table(col("formulations"))
                .col(pk_auto(col("id")))
                // Unique across calls: a project code names one project (see `formulations`).
                .col(string(col("code")))
                .col(integer_null(col("call_id")))
                .col(string(col("title")))
                // Not a foreign key: a draft may name a municipality that is still wrong.
                .col(string(col("municipality_code")))
                .col(string(col("status")))
                .col(text_null(col("return_reason")))
                .col(integer_null(col("created_by")))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut fk("formulations", "call_id", "calls", "id"))
                .to_owned(),
            Table::create()
                .table(col("formulation_versions"))
                .col(pk_auto(col("id")))
                .col(integer(col("formulation_id")))
                .col(integer(col("number")))
                .col(text(col("content")))
                .col(string_len(col("content_sha256"), 64))
                .col(text_null(col("note")))
                .col(boolean_null(col("viable")))
                .col(string_null(col("irr")))
                .col(string(col("rule_set_id")))
                .col(string_null(col("rule_set_hash")))
                .col(integer_null(col("created_by")))
                .col(instant("created_at"))
                .foreign_key(&mut fk(
                    "formulation_versions",
                    "formulation_id",
                    "formulations",
                    "id",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("formulations", &["code"], true),
            index("formulations", &["call_id", "status"], false),
            index("formulations", &["status"], false),
            index("formulation_versions", &["formulation_id", "number"], true),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
