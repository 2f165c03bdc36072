//! The outcome of a household's verification (Art. 11, 45), with optimistic locking.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "household_verifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    /// `vereda_domain::verification::VerificationStatus`.
    pub status: String,
    /// The officer's motivation (not eligible, withdrawal).
    pub reasons: Option<String>,
    /// The screening's reason codes at the time of the decision, joined by `;`.
    pub reason_codes: String,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DbTimestamp>,
    pub lock_version: i32,
    /// The household's call, kept with its decision (a household never changes call).
    pub call_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
