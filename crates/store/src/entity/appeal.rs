//! A recurso de reposición (Ley 1437 de 2011, Art. 74, 76) against an award or a household's
//! not-eligible verification decision, and its decision. The appellant's name and text are
//! personal data.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "appeals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `crate::acts::AppealSubject`: `award` or `not_eligible`.
    pub subject: String,
    pub award_id: Option<i32>,
    pub household_id: Option<i32>,
    /// The instant of the not-eligible decision contested.
    pub contested_at: Option<DbTimestamp>,
    pub appellant_name: String,
    pub appeal_text: String,
    pub document_name: Option<String>,
    pub document_sha256: Option<String>,
    pub filed_on: DbDate,
    pub filed_at: DbTimestamp,
    /// Filed after the window: received, and it does not hold the act's firmness.
    pub late: bool,
    pub recorded_by: i32,
    /// `vereda_domain::acts::AppealOutcome`.
    pub outcome: Option<String>,
    pub decision_reasons: Option<String>,
    pub decided_on: Option<DbDate>,
    pub decided_by: Option<i32>,
    pub decision_year: Option<i32>,
    pub decision_sequence: Option<i32>,
    /// `RR-{year}-{sequence:04}` (an award's), `RRV-…` (a not-eligible decision's).
    pub decision_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
