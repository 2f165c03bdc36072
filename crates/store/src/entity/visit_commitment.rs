//! A commitment a supervision visit left, with its due date, closed by a later visit.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbDate;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "visit_commitments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub visit_id: i32,
    pub description: String,
    pub due_on: DbDate,
    pub closed_by_visit: Option<i32>,
    pub closed_on: Option<DbDate>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
