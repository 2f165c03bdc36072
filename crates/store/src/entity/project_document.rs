//! A file kept for a project: a public resource, or the evidence of a measurement.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "project_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Also the file's name in the document directory.
    pub sha256: String,
    pub public: bool,
    pub uploaded_by: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
