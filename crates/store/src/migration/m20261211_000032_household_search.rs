//! Staff lists search households without regard to accents and case: `households.search_key`
//! holds `vereda_domain::text::household_search_key` of the head's name and document and the
//! external id. The households stored before are keyed here, a page at a time in the order of
//! their ids. Indexes on (call_id, search_key) and (call_id, municipality_code) serve a call's
//! list sorted by name and filtered or sorted by municipality.

use sea_orm::{DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

use super::columns::{col, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261211_000032_household_search"
    }
}

/// Households keyed per read.
const PAGE: i64 = 1000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_unprepared("ALTER TABLE households ADD COLUMN search_key TEXT NOT NULL DEFAULT ''")
            .await?;
        let read = match backend {
            DatabaseBackend::Postgres => {
                "SELECT h.id, h.external_id, p.first_name, p.last_name, p.document FROM households h
                 LEFT JOIN persons p ON p.id = (SELECT MIN(id) FROM persons
                   WHERE household_id = h.id AND is_head)
                 WHERE h.id > $1 ORDER BY h.id LIMIT $2"
            }
            _ => {
                "SELECT h.id, h.external_id, p.first_name, p.last_name, p.document FROM households h
                 LEFT JOIN persons p ON p.id = (SELECT MIN(id) FROM persons
                   WHERE household_id = h.id AND is_head)
                 WHERE h.id > ? ORDER BY h.id LIMIT ?"
            }
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
                let external_id: String = row.try_get("", "external_id")?;
                let first: Option<String> = row.try_get("", "first_name")?;
                let last: Option<String> = row.try_get("", "last_name")?;
                let document: Option<String> = row.try_get("", "document")?;
                let name = format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
                let key = vereda_domain::text::household_search_key(
                    &name,
                    document.as_deref().unwrap_or_default(),
                    &external_id,
                );
                let update = Query::update()
                    .table(col("households"))
                    .value(col("search_key"), key)
                    .and_where(Expr::col(col("id")).eq(id))
                    .to_owned();
                db.execute(&update).await?;
            }
        }
        manager
            .create_index(index("households", &["call_id", "search_key"], false))
            .await?;
        manager
            .create_index(index("households", &["call_id", "municipality_code"], false))
            .await
    }
}
