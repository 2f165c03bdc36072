//! A version of a project's investment plan (Art. 19.6, 19.8, 29 par.): its lines as JSON and
//! their SHA-256, frozen.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "investment_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub version: i32,
    pub lines: String,
    pub total: Dec,
    pub sha256: String,
    pub origin: String,
    pub change_id: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
