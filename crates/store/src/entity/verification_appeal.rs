//! A recurso de reposición against a not-eligible verification decision (Ley 1437 de 2011, Art.
//! 74, 76) and its decision.
//! The appellant's name and text are personal data.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "verification_appeals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    pub appellant_name: String,
    pub appeal_text: String,
    pub document_name: Option<String>,
    pub document_sha256: Option<String>,
    pub filed_on: DbDate,
    pub filed_at: DbTimestamp,
    /// Filed after the window: received, and it does not hold the decision's firmness.
    pub late: bool,
    pub recorded_by: i32,
    /// `vereda_domain::acts::AppealOutcome`.
    pub outcome: Option<String>,
    pub decision_reasons: Option<String>,
    pub decided_on: Option<DbDate>,
    pub decided_by: Option<i32>,
    pub decision_year: Option<i32>,
    pub decision_sequence: Option<i32>,
    /// `RRV-{year}-{sequence:04}`.
    pub decision_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
