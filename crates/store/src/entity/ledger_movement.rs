//! A movement of a project's controlled account (Art. 29 par.), signed by an officer's account
//! and by the families' representative.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "ledger_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub moved_on: DbDate,
    pub value: Dec,
    pub kind: String,
    pub plan_line: Option<i32>,
    pub source: Option<String>,
    pub supplier_name: String,
    pub supplier_nit: Option<String>,
    pub reference: String,
    pub document_sha256: Option<String>,
    pub document_name: Option<String>,
    pub officer_id: i32,
    pub representative_name: String,
    pub representative_document: String,
    /// The earlier movement with the same date, value and reference, when the officer
    /// confirmed this one is not that one again.
    pub duplicate_of: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
