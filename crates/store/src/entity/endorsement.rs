//! The families' endorsement of one version of a formulation (Art. 25).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "endorsements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub formulation_id: i32,
    pub version_number: i32,
    pub endorsed_on: DbDate,
    pub families_endorsing: i32,
    pub households: i32,
    pub minutes: String,
    pub recorded_by: Option<i32>,
    pub recorded_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
