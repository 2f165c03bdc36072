//! A photo of a supervision visit, kept under its SHA-256, with where it was taken.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "visit_photos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub visit_id: i32,
    pub project_id: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub latitude: Dec,
    pub longitude: Dec,
    pub uploaded_by: Option<i32>,
    pub uploaded_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
