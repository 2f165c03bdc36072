//! A project's payments out of its controlled account on one day, added up (Art. 34): kept by
//! `record_movements` with the movements, read by the card, the open data and IATI.

use sea_orm::entity::prelude::*;

use crate::types::{DbDate, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_expenditures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub spent_on: DbDate,
    /// The payments of that day.
    pub amount: Dec,
    /// The payments up to that day, included: the project's latest row holds its total.
    pub executed: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
