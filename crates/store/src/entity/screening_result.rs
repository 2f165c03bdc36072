//! The latest screening decision on one household of a call, with the facts and cross-checks
//! it was taken on, so it can be explained again later.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "screening_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    /// The household's id in the uploaded file (`households.external_id`).
    pub external_id: String,
    pub household_id: i32,
    pub run_id: i32,
    /// The row's place among the run's results (input order).
    pub position: i32,
    /// The row's line in the uploaded file.
    pub line: i32,
    pub eligible: bool,
    pub sisben_level: Option<i16>,
    pub cofinancing_max_pct: Option<Dec>,
    pub cap_smmlv: Option<Dec>,
    /// The reason codes that fired, in byte order, joined by `;`.
    pub reasons: String,
    pub municipality_code: String,
    /// The head's document as shown to every role (the full one stays in `persons`).
    pub head_document_masked: String,
    pub rule_set_id: String,
    pub rule_set_hash: String,
    pub as_of: DbDate,
    /// JSON of the domain's `Household`.
    pub facts: String,
    /// JSON: `{registries, found_in, duplicate_document}`.
    pub cross_checks: String,
    pub screened_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
