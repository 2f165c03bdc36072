//! A household a decision in bulk planned, with its decision's version read then, and its
//! outcome (`crate::bulk_decisions`).

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "bulk_decision_households")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub bulk_decision_id: i32,
    pub household_id: i32,
    pub external_id: String,
    /// The version of the household's decision when it was planned: it is decided with it.
    pub lock_version: i32,
    /// `decided`, the code of its refusal, or none while planned.
    pub outcome: Option<String>,
    /// A refusal's message (code and arguments) as JSON: words only when shown.
    pub problem: Option<String>,
    /// The letter written with its decision.
    pub letter_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
