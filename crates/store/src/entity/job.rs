//! A durable job: long work (a screening, a notice) queued in the database and claimed by one
//! server at a time under a lease (see `crate::jobs`).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What the job does (`crate::jobs::JobKind`).
    pub kind: String,
    /// Unique per kind: submitting the same work again finds this job.
    pub job_key: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// What the job needs, as JSON written by its kind.
    pub payload: String,
    /// The server holding the lease while it runs.
    pub owner: Option<String>,
    pub lease_until: Option<DbTimestamp>,
    /// How many times a server took the job.
    pub attempts: i32,
    /// How far the work is durably done (a screening: how many results are stored).
    pub checkpoint: i64,
    pub created_at: DbTimestamp,
    pub started_at: Option<DbTimestamp>,
    pub finished_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
