//! An indicator of a project's results framework.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::Dec;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub number: i32,
    pub name: String,
    pub unit: String,
    pub baseline: Dec,
    pub goal: Dec,
    pub higher_is_better: bool,
    pub by_sex: bool,
    pub status: String,
    pub featured: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
