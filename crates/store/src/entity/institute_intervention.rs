//! The institute's interventions in a municipality, as counted for a call's targeting (Art. 6.3).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "institute_interventions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    pub dane_code: String,
    pub count: i32,
    /// `csv` or `manual`.
    pub source: String,
    pub updated_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
