//! SMMLV of a year, with its decree.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::Dec;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "minimum_wages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i16,
    pub amount_cop: Dec,
    pub decree: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
