//! A visit of the surveillance team to a project (Art. 34-35), its team and findings as JSON.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "supervision_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub visited_on: DbDate,
    pub team: String,
    pub findings: String,
    pub environmental: String,
    pub legal: String,
    pub rating: i32,
    pub recorded_by: i32,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
