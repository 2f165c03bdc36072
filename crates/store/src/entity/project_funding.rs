//! An investment amount by organisation, role and currency.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::Dec;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "project_funding")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub position: i32,
    /// The organisation's name.
    pub source: String,
    /// `donor`, `institute` or `counterpart` (`monitoring::FundingRole`).
    pub role: String,
    pub currency: String,
    pub amount: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
