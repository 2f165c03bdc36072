//! A territorial office taking part in a call.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "call_offices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub call_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub territorial_office_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
