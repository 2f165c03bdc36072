//! An objection against a project, a family or a parcel, and its decision (Art. 24.6).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "objections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub formulation_id: i32,
    /// project, family or parcel.
    pub target: String,
    pub target_ref: String,
    pub filed_by: String,
    pub text: String,
    pub recorded_by: Option<i32>,
    pub filed_at: DbTimestamp,
    pub session_id: Option<i32>,
    /// upheld or rejected, once decided.
    pub decision: Option<String>,
    pub reasons: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
