//! The field visit of a parcel (Art. 13), with optimistic locking.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "parcel_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub parcel_id: i32,
    pub visit_date: DbDate,
    pub latitude: Dec,
    pub longitude: Dec,
    /// JSON: `[{condition, met, notes}]`.
    pub conditions: String,
    pub visited_by: Option<i32>,
    pub recorded_at: DbTimestamp,
    pub lock_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
