//! Project formulations (Art. 18-22) and their versions: a draft is edited in place, and each
//! save after a submission or a return keeps a new version (Art. 23-24).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000005_formulations"
    }
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
