//! A document a household brought for its verification (Art. 11), kept by its SHA-256.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "household_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    /// `vereda_domain::verification::DocumentKind`.
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub received_by: Option<i32>,
    /// When it was recorded.
    pub received_at: DbTimestamp,
    /// The day the household brought it, as the officer gave it (migration 38).
    pub received_on: DbDate,
    /// The household's call, kept with the document (migration 37): a call's documents list.
    pub call_id: Option<i32>,
    /// The household's municipality, kept with the document (migration 45): a call's
    /// documents within a municipality or a reach.
    pub municipality_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
