//! A verification decision asked for every household of a call's filter, run as a job
//! (`crate::bulk_decisions`).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "bulk_decisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    /// `vereda_domain::verification::VerificationStatus`: the decision asked.
    pub status: String,
    /// The one motivation of every household's decision.
    pub reasons: String,
    /// The list's filter: its words, municipality and verification status.
    pub search: String,
    pub municipality_code: Option<String>,
    pub verification_status: Option<String>,
    /// The account that asked: each household is decided as it, within its reach.
    pub requested_by: i32,
    pub requested_at: DbTimestamp,
    /// How many households the filter matched when it was asked.
    pub matching: i64,
    pub finished_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
