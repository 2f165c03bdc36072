//! A project formulation: its identity, call and status. The content is in its versions.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "formulations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `frame.code`, unique across calls.
    pub code: String,
    pub call_id: Option<i32>,
    /// `frame.title` of the latest version.
    pub title: String,
    /// `frame.municipality` of the latest version (DANE code, unchecked in a draft).
    pub municipality_code: String,
    /// draft, submitted, returned or approved.
    pub status: String,
    /// Why the committee last returned it.
    pub return_reason: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
    /// `vereda_domain::text::formulation_search_key` of the title and code (migration 33).
    pub search_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
