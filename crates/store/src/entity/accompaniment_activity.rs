//! An activity of a project's accompaniment plan (Art. 36, 18.5), scheduled and delivered.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "accompaniment_activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub topic: String,
    pub scheduled_on: DbDate,
    pub delivered_on: Option<DbDate>,
    pub families: Option<i32>,
    pub women: Option<i32>,
    pub men: Option<i32>,
    pub evidence_sha256: Option<String>,
    pub evidence_name: Option<String>,
    pub recorded_by: i32,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
