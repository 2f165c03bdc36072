//! The resolution awarding a project's co-financing (Art. 27, 31).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "awards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub formulation_id: i32,
    /// The session whose signed minutes hold the positive concept.
    pub session_id: i32,
    pub office_code: String,
    pub year: i32,
    /// 1, 2, … without gaps within the office and year.
    pub sequence: i32,
    /// DT-{office}-{year}-{sequence:03}.
    pub number: String,
    pub awarded_on: DbDate,
    pub motivation: String,
    pub families: i32,
    pub institute_contribution: Dec,
    pub counterpart: Dec,
    pub guarantee: Dec,
    pub obligations: String,
    /// What the approved version's evaluation allowed (Art. 7, 29).
    pub evaluated_maximum: Option<Dec>,
    /// Why the contribution is below that maximum, when it is.
    pub lowering_motivation: Option<String>,
    pub signed_by: Option<i32>,
    pub signed_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
