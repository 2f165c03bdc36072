//! Stored expenditures (issue 17, scale): each project's payments out of its controlled account
//! added up by day (`amount`), with what they executed up to that day (`executed`), kept by
//! `record_movements` in the movements' own transaction. IATI reads a row per project and day
//! instead of every movement; the open data read each project's latest row (its total). Filled
//! here from the movements stored before, a page of movements at a time.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;
use crate::entity::{ledger_movement, project_expenditure};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261213_000034_project_expenditures"
    }
}

/// Movements read per page of the backfill.
const PAGE: u64 = 10_000;
/// Rows per insert (well under SQLite's bound on parameters).
const CHUNK: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(col("project_expenditures"))
                    .col(id())
                    .col(integer(col("project_id")))
                    .col(iso_date("spent_on"))
                    .col(exact_decimal(backend, "amount"))
                    .col(exact_decimal(backend, "executed"))
                    .foreign_key(&mut owned_by("project_expenditures", "project_id", "projects"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("project_expenditures", &["project_id", "spent_on"], true))
            .await?;
        let db = manager.get_connection();
        let mut spent: BTreeMap<(i32, jiff::civil::Date), Decimal> = BTreeMap::new();
        let mut last_id = 0;
        loop {
            let rows = ledger_movement::Entity::find()
                .filter(ledger_movement::Column::Id.gt(last_id))
                .filter(
                    ledger_movement::Column::Kind.eq(vereda_domain::ledger::MovementKind::Payment.as_str()),
                )
                .order_by_asc(ledger_movement::Column::Id)
                .limit(PAGE)
                .all(db)
                .await?;
            let Some(last) = rows.last() else { break };
            last_id = last.id;
            for m in rows {
                *spent.entry((m.project_id, m.moved_on.0)).or_default() += m.value.0;
            }
        }
        let mut running: Option<(i32, Decimal)> = None;
        let mut rows: Vec<project_expenditure::ActiveModel> = Vec::with_capacity(spent.len());
        for ((project_id, day), amount) in spent {
            // The map is in (project, day) order: the running total restarts with each project.
            let executed = match running {
                Some((project, before)) if project == project_id => before + amount,
                _ => amount,
            };
            running = Some((project_id, executed));
            rows.push(project_expenditure::ActiveModel {
                project_id: Set(project_id),
                spent_on: Set(crate::types::DbDate(day)),
                amount: Set(crate::types::Dec(amount)),
                executed: Set(crate::types::Dec(executed)),
                ..Default::default()
            });
        }
        for chunk in rows.chunks(CHUNK) {
            project_expenditure::Entity::insert_many(chunk.to_vec())
                .exec(db)
                .await?;
        }
        Ok(())
    }
}
