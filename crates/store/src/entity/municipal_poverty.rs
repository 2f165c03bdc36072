//! Municipal multidimensional poverty index (IPM), % of persons.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::Dec;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "municipal_poverty")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dane_code: String,
    pub total: Dec,
    pub urban: Option<Dec>,
    pub rural: Option<Dec>,
    pub reference_year: i16,
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
