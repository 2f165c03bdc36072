//! A project's disbursement requirements and its single payment (Art. 32-33).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "disbursements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub formulation_id: i32,
    pub joint_account_evidence: Option<String>,
    pub policy_evidence: Option<String>,
    pub policy_approved_by: Option<i32>,
    pub amount: Option<Dec>,
    pub paid_on: Option<DbDate>,
    pub paid_by: Option<i32>,
    pub lock_version: i32,
    pub updated_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
