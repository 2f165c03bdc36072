//! A requested change of an investment plan: new amounts by line, until the territorial
//! director approves or returns it.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "plan_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub base_version: i32,
    /// `{"line": "amount", …}`.
    pub amounts: String,
    pub motivation: String,
    pub status: String,
    pub requested_by: i32,
    pub requested_at: DbTimestamp,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DbTimestamp>,
    pub review_motivation: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
