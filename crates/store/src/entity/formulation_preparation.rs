//! A record of the preparation of a formulation (Art. 15-17).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "formulation_preparations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub formulation_id: i32,
    /// `vereda_domain::preparation::PreparationKind`.
    pub kind: String,
    pub held_on: Option<DbDate>,
    pub place: Option<String>,
    pub attendees: Option<i32>,
    pub body: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
