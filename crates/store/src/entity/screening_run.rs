//! One batch screening of a call: its inputs (by hash), rule set, status and counts.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "screening_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    /// queued, running, succeeded or failed.
    pub status: String,
    pub rule_set_id: String,
    pub rule_set_hash: String,
    pub as_of: DbDate,
    pub arel_max_pct: Option<Dec>,
    pub arel_cap_smmlv: Option<Dec>,
    pub keep_going: bool,
    /// SHA-256 of the inputs and settings: the same job runs once per call.
    pub job_key: String,
    /// JSON: the files given, with their names and hashes.
    pub inputs: String,
    pub households_total: i32,
    pub eligible_total: i32,
    pub error_count: i32,
    /// JSON: the first row errors, as `{file, line, column, value, message}`.
    pub errors: String,
    /// Why a run failed, when not for row errors.
    pub failure: Option<String>,
    /// JSON: `{bytes_read, total_bytes, rows, stored}`.
    pub progress: String,
    pub created_by: Option<i32>,
    pub created_at: DbTimestamp,
    pub finished_at: Option<DbTimestamp>,
    /// The counts by reason, municipality and level, stored when the run succeeded
    /// (`screening::StoredRunCounts` as JSON); none for older runs, counted on reading.
    pub counts: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
