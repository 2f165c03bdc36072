//! Each project's stored summary keeps what the open data's tables put beside it: the award's
//! date and committed money, the payment and its date, what the controlled account executed, the
//! date of closure (issue 17 part 7), and the values of its filters as lists (`facet_lists`),
//! so a table of every project reads one row per project and nothing else.
//!
//! The summaries are the domain's to compute: this migration empties them, and the first start
//! after it fills them again (`portfolio::fill_missing_summaries`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261216_000040_summary_money"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let date = |name: &'static str| {
            let mut column = iso_date(name);
            column.null();
            column
        };
        let columns = [
            date("awarded_on"),
            exact_decimal_null(backend, "committed"),
            exact_decimal_null(backend, "disbursed"),
            date("disbursed_on"),
            exact_decimal_null(backend, "executed"),
            date("closed_on"),
            // `{"department": ["18"], "funder": […], …}`, each list sorted.
            text(col("facet_lists")).default("{}").to_owned(),
        ];
        // SQLite alters one column per statement.
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(col("project_summaries"))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for table in ["project_summary_facets", "project_rollups", "project_summaries"] {
            db.execute_unprepared(&format!("DELETE FROM {table}")).await?;
        }
        Ok(())
    }
}
