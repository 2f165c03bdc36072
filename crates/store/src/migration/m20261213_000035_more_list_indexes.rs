//! The audit log and a screening's results as staff lists (issue 18 part 2): indexes in each
//! list's order, (…, sort column, id), so a filtered or sorted page reads its rows, not the
//! whole log or run. The searches need no new column: the log's author, table and row id are
//! ASCII and lowered in the query; a result is found through its household's `search_key`.

use sea_orm_migration::prelude::*;

use super::columns::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261213_000035_more_list_indexes"
    }
}

/// Each index: its table and columns.
const INDEXES: [(&str, &[&str]); 7] = [
    // The log by action and by account, newest first; by author, an index on its order.
    ("audit_log", &["action", "id"]),
    ("audit_log", &["actor_user_id", "id"]),
    ("audit_log", &["actor", "id"]),
    // A run's results by the household's id (one a call) and by municipality, then by
    // household (a run holds each once).
    ("screening_results", &["run_id", "external_id"]),
    (
        "screening_results",
        &["run_id", "municipality_code", "household_id"],
    ),
    // Counting a run's (not) eligible results without reading them.
    ("screening_results", &["run_id", "eligible"]),
    // The results page's AREL families of a call (Art. 38 par. 4), not a walk of the call.
    ("households", &["call_id", "program_line"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            manager.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }
}
