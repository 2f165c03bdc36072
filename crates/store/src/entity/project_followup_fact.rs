//! What a project's follow-up alerts are raised from besides its progress (stored with its
//! summary, in the transaction of every step that changes the project).

use sea_orm::entity::prelude::*;

use crate::types::DbDate;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_followup_facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i32,
    pub paid_on: Option<DbDate>,
    pub last_movement: Option<DbDate>,
    pub closed: bool,
    /// `Vec<vereda_domain::followup::LineOverPlan>` as JSON.
    pub over_plan: String,
    /// `Vec<vereda_domain::followup::OpenCommitment>` as JSON.
    pub open_commitments: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
