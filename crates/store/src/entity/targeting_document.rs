//! One numbered version of a call's technical document of focus and prioritization (Art. 8).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "targeting_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    /// 1, 2, … within the call.
    pub number: i32,
    /// JSON: `vereda_domain::targeting::Weights`.
    pub weights: String,
    /// JSON: `Vec<vereda_domain::targeting::Candidate>`.
    pub inputs: String,
    /// JSON: `Vec<vereda_domain::targeting::Ranked>`.
    pub ranking: String,
    pub budget_cop: Dec,
    pub cofinancing_per_family_cop: Dec,
    pub families_per_project: i32,
    pub families: i64,
    pub projects: i64,
    pub remainder_cop: Dec,
    pub created_by: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
