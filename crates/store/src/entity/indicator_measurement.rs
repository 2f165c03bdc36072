//! A measurement of an indicator; it counts once approved.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_measurements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub indicator_id: i32,
    pub measured_on: DbDate,
    pub value: Dec,
    pub value_women: Option<Dec>,
    pub value_men: Option<Dec>,
    pub source: Option<String>,
    pub status: String,
    pub submitted_by: Option<String>,
    pub created_at: DbTimestamp,
    pub evidence_document_id: Option<i32>,
    pub submitted_by_user: Option<i32>,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DbTimestamp>,
    pub review_comment: Option<String>,
    pub project_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
