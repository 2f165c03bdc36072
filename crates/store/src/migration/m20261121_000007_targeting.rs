//! Calls with their AREL limits (Art. 43) and the targeting of municipalities (Art. 5, 6, 8,
//! 30): the institute's interventions per municipality of a call, and the numbered technical
//! documents of focus and prioritization generated for it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000007_targeting"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // SQLite takes one change per ALTER TABLE. Both are empty for general calls.
        let added: [(&str, ColumnDef); 2] = [
            ("calls", exact_decimal_null(backend, "arel_max_pct")),
            ("calls", exact_decimal_null(backend, "arel_cap_smmlv")),
        ];
        for (table, mut column) in added {
            manager
                .alter_table(
                    Table::alter()
                        .table(col(table))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let tables = [
            Table::create()
                .table(col("institute_interventions"))
                .col(id())
                .col(integer(col("call_id")))
                .col(string_len(col("dane_code"), 5))
                .col(integer(col("count")))
                // `csv` (an imported file) or `manual`.
                .col(string(col("source")))
                .col(instant("updated_at"))
                .foreign_key(&mut owned_by("institute_interventions", "call_id", "calls"))
                .foreign_key(&mut fk(
                    "institute_interventions",
                    "dane_code",
                    "municipalities",
                    "dane_code",
                ))
                .to_owned(),
            Table::create()
                .table(col("targeting_documents"))
                .col(id())
                .col(integer(col("call_id")))
                .col(integer(col("number")))
                // JSON: `vereda_domain::targeting::Weights` as given.
                .col(text(col("weights")))
                // JSON: the candidates (`Candidate`) the ranking was computed from.
                .col(text(col("inputs")))
                // JSON: the ranking (`Ranked`), first to last.
                .col(text(col("ranking")))
                .col(exact_decimal(backend, "budget_cop"))
                .col(exact_decimal(backend, "cofinancing_per_family_cop"))
                .col(integer(col("families_per_project")))
                .col(big_integer(col("families")))
                .col(big_integer(col("projects")))
                .col(exact_decimal(backend, "remainder_cop"))
                .col(integer_null(col("created_by")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("targeting_documents", "call_id", "calls"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index("institute_interventions", &["call_id", "dane_code"], true),
            index("targeting_documents", &["call_id", "number"], true),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
