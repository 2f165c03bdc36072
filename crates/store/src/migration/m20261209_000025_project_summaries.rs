//! Stored project summaries (issue 18 part 9, issue 17 part 5): what the portfolio's card and
//! the follow-up roll-up show of each project, kept in the transaction of every step that
//! changes it, so `/proyectos`, its filters and its roll-ups read one row per project instead
//! of recomputing everything per request.
//!
//! `project_summaries`: one row per project, with its status as the records give it before the
//! period's end (the end is compared with today when read), its totals by currency as JSON, the
//! mean advance of its indicators, and its physical, financial and management progress once
//! awarded. `project_summary_facets`: the values each filter matches (department, PDET
//! subregion, value chain, funder, municipality), one row each. `project_rollups`: each
//! project's indicators added up by roll-up key, in millionths (exact integers, summed by SQL). The rows are filled by the store at the first
//! start after this migration (`Store::migrate`), since the status and progress are the
//! domain's to compute.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000025_project_summaries"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("project_summaries"))
                .col(integer(col("project_id")).primary_key().to_owned())
                .col(string(col("code")))
                .col(text(col("title")))
                // The code, title and value chains folded for accents and case: what the search matches.
                .col(text(col("search")))
                // The language of its title (`es`, `en`).
                .col(string(col("language")).default("es"))
                .col(iso_date("period_start"))
                .col(iso_date("period_end"))
                .col(string(col("recorded_status")))
                .col(text(col("totals")))
                .col(integer(col("indicators")))
                .col(integer(col("municipalities")))
                .col(string(col("territory")))
                .col(integer_null(col("advance_percent")))
                .col(exact_decimal_null(backend, "physical"))
                .col(exact_decimal_null(backend, "financial"))
                .col(exact_decimal_null(backend, "management"))
                .col(string_null(col("office_code")))
                .col(string_null(col("call_code")))
                .col(instant("refreshed_at"))
                .foreign_key(&mut owned_by("project_summaries", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_summary_facets"))
                .col(integer(col("project_id")))
                .col(string(col("kind")))
                .col(string(col("value")))
                .primary_key(
                    Index::create()
                        .col(col("project_id"))
                        .col(col("kind"))
                        .col(col("value")),
                )
                .foreign_key(&mut owned_by("project_summary_facets", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_rollups"))
                .col(integer(col("project_id")))
                .col(string(col("rollup_key")))
                .col(string(col("unit")))
                // In millionths, so a roll-up adds them up exactly in SQL on both backends.
                .col(big_integer(col("current_micros")))
                .col(big_integer(col("goal_micros")))
                .primary_key(Index::create().col(col("project_id")).col(col("rollup_key")))
                .foreign_key(&mut owned_by("project_rollups", "project_id", "projects"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index("project_summaries", &["code"], true),
            index("project_summaries", &["recorded_status", "period_end"], false),
            index("project_summary_facets", &["kind", "value"], false),
            index("project_rollups", &["rollup_key"], false),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
