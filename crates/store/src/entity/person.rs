//! A member of a household.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbDate;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "persons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    pub document_type: String,
    pub document: String,
    pub document_key: String,
    pub first_name: String,
    pub last_name: String,
    pub sex: String,
    pub birth_date: Option<DbDate>,
    pub is_head: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
