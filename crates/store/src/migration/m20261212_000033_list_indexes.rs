//! The staff lists' filters and sorts in the query (issue 15 part 3, issue 18 part 2): indexes
//! in each list's order, (…, sort column, id), so neither a deep page nor a filter reads a
//! whole call; and `formulations.search_key` (`vereda_domain::text::formulation_search_key`
//! of the title and code), keyed here for the formulations stored before, a page at a time.

use sea_orm::{DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

use super::columns::{col, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261212_000033_list_indexes"
    }
}

/// Formulations keyed per read.
const PAGE: i64 = 1000;

/// Each index: its table and columns.
const INDEXES: [(&str, &[&str]); 7] = [
    // A call's households in registration order (the default sort, keyset downloads).
    ("households", &["call_id", "id"]),
    // A call's letters by delivery status, kind and recipient, each then by id.
    ("letters", &["call_id", "status", "id"]),
    ("letters", &["call_id", "kind", "id"]),
    ("letters", &["call_id", "recipient", "id"]),
    // The formulations by title, municipality and last change.
    ("formulations", &["search_key", "id"]),
    ("formulations", &["municipality_code", "id"]),
    ("formulations", &["updated_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_unprepared("ALTER TABLE formulations ADD COLUMN search_key TEXT NOT NULL DEFAULT ''")
            .await?;
        let read = match backend {
            DatabaseBackend::Postgres => {
                "SELECT id, code, title FROM formulations WHERE id > $1 ORDER BY id LIMIT $2"
            }
            _ => "SELECT id, code, title FROM formulations WHERE id > ? ORDER BY id LIMIT ?",
        };
        let mut last_id = 0i64;
        loop {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    read,
                    [last_id.into(), PAGE.into()],
                ))
                .await?;
            let Some(last) = rows.last() else { break };
            last_id = i64::from(last.try_get::<i32>("", "id")?);
            for row in &rows {
                let id: i32 = row.try_get("", "id")?;
                let code: String = row.try_get("", "code")?;
                let title: String = row.try_get("", "title")?;
                let update = Query::update()
                    .table(col("formulations"))
                    .value(
                        col("search_key"),
                        vereda_domain::text::formulation_search_key(&title, &code),
                    )
                    .and_where(Expr::col(col("id")).eq(id))
                    .to_owned();
                db.execute(&update).await?;
            }
        }
        for (table, columns) in INDEXES {
            manager.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }
}
