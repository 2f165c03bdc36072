//! One budget year's call (vigencia).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub program_id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub budget_year: i16,
    pub budget_cop: Dec,
    pub smmlv_cop: Dec,
    pub rule_set_id: String,
    pub line: String,
    pub status: String,
    pub created_at: DbTimestamp,
    /// AREL calls: the maximum co-financing, in % of the project (Art. 43).
    pub arel_max_pct: Option<Dec>,
    /// AREL calls: the cap per family, in SMMLV (Art. 43).
    pub arel_cap_smmlv: Option<Dec>,
    /// How many households the call holds, kept with their registration (migration 39,
    /// `programs::count_households`).
    pub households: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
