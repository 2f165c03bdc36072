//! The act of closure of a project (acta de cierre), one per project, with its figures.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "project_closures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub closed_on: DbDate,
    pub reason: String,
    pub disbursed: Dec,
    pub executed: Dec,
    pub balance: Dec,
    pub refund_value: Dec,
    pub refund_on: Option<DbDate>,
    pub refund_reference: String,
    pub physical: Dec,
    pub financial: Dec,
    pub management: Dec,
    pub lines: String,
    pub observations: String,
    pub signed_by: i32,
    pub representative_name: String,
    pub representative_document: String,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
