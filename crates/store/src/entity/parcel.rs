//! A land parcel (predio) of a household.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::Dec;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "parcels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    pub municipality_code: String,
    pub name: String,
    pub vereda: Option<String>,
    pub land_title_record: Option<String>,
    pub area_ha: Option<Dec>,
    pub land_tenure: String,
    pub latitude: Option<Dec>,
    pub longitude: Option<Dec>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
