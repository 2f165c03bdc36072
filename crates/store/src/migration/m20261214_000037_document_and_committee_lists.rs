//! A call's documents and the committee's items as staff lists (issue 18 part 2).
//!
//! `household_documents.call_id` is the call of the document's household, kept with the
//! document when it is received (a household never changes call: `households` is unique on
//! `(call_id, external_id)` and a screening updates a household only within its call), and set
//! here for the documents received before. A call's documents are then read a page at a time
//! from an index in each of the list's orders, (call_id, sort column, id), without first
//! gathering every household of the call. The committee's items are read through their session
//! and formulation: the sessions by date, the items by concept, each then by id.

use sea_orm_migration::prelude::*;

use super::columns::{add_household_call, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261214_000037_document_and_committee_lists"
    }
}

/// Each index: its table and columns.
const INDEXES: [(&str, &[&str]); 6] = [
    // A call's documents by the day received (newest first), by kind and by household.
    ("household_documents", &["call_id", "received_at", "id"]),
    ("household_documents", &["call_id", "kind", "id"]),
    ("household_documents", &["call_id", "household_id", "id"]),
    // The sessions by date (their list, the items sorted by session date).
    ("committee_sessions", &["held_on", "id"]),
    // The items by concept (the filter and the sort).
    ("agenda_items", &["concept", "id"]),
    // A formulation's undecided objections (the items' pending objections).
    ("objections", &["formulation_id", "decision"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_household_call(manager.get_connection(), "household_documents").await?;
        for (table, columns) in INDEXES {
            manager.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }
}
