//! Durable jobs: long work queued in the database and run by whichever server claims it.
//!
//! A server claims a job under a lease (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so two
//! servers never take the same job; on SQLite the immediate write transaction serialises
//! claims) and renews the lease while it works. Another server takes a running job over only
//! once its lease has expired, so a restart never touches another server's live job. A job's
//! work advances its `checkpoint` in the same transaction as the work itself
//! ([`advance_checkpoint`]), so a job taken over resumes exactly where the last one stopped.
//! Jobs are unique by kind and key: submitting the same work again finds the same job.

use jiff::{SignedDuration, Timestamp};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::entity::job;
use crate::types::DbTimestamp;
use crate::{Store, StoreError, StoreResult};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A batch screening of a call's households (`screening_runs`).
    Screening,
    /// The day's letters of the staff inbox (`Store::write_digests`); key the day.
    InboxDigest,
    /// A verification decision for every household of a call's filter
    /// (`crate::bulk_decisions`); key the request's id.
    BulkDecision,
    /// The offer's letters of a large call (`Store::write_offer_letters_chunk`); key the call.
    OfferLetters,
}

impl JobKind {
    pub const ALL: [JobKind; 4] = [
        JobKind::Screening,
        JobKind::InboxDigest,
        JobKind::BulkDecision,
        JobKind::OfferLetters,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Screening => "screening",
            JobKind::InboxDigest => "inbox_digest",
            JobKind::BulkDecision => "bulk_decision",
            JobKind::OfferLetters => "offer_letters",
        }
    }

    fn parse(text: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: i32,
    pub kind: JobKind,
    pub key: String,
    pub status: JobStatus,
    pub payload: String,
    pub owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub attempts: u32,
    pub checkpoint: u64,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

fn job_from(row: job::Model) -> StoreResult<Job> {
    let kind = JobKind::parse(&row.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("job {} has an unknown kind {}", row.id, row.kind)))?;
    let status = JobStatus::parse(&row.status)
        .ok_or_else(|| StoreError::Corrupt(format!("job {} has an unknown status {}", row.id, row.status)))?;
    Ok(Job {
        id: row.id,
        kind,
        key: row.job_key,
        status,
        payload: row.payload,
        owner: row.owner,
        lease_until: row.lease_until.map(|t| t.0),
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        checkpoint: u64::try_from(row.checkpoint).unwrap_or(0),
        created_at: row.created_at.0,
        started_at: row.started_at.map(|t| t.0),
        finished_at: row.finished_at.map(|t| t.0),
    })
}

fn lease_end(lease: SignedDuration) -> DbTimestamp {
    DbTimestamp(
        Timestamp::now()
            .saturating_add(lease)
            .unwrap_or_else(|_| Timestamp::now()),
    )
}

impl Store {
    /// Queues a job, or finds the one already queued under the same kind and key: a running
    /// or finished job is returned as it is, a failed one is queued again (its checkpoint
    /// kept, so it resumes).
    pub async fn enqueue_job(&self, kind: JobKind, key: &str, payload: &str) -> StoreResult<Job> {
        let txn = self.write_transaction().await?;
        let existing = job::Entity::find()
            .filter(job::Column::Kind.eq(kind.as_str()))
            .filter(job::Column::JobKey.eq(key))
            .one(&txn)
            .await?;
        let row = match existing {
            Some(row) if row.status == JobStatus::Failed.as_str() => {
                let mut again = row.into_active_model();
                again.status = Set(JobStatus::Queued.as_str().to_owned());
                again.payload = Set(payload.to_owned());
                again.owner = Set(None);
                again.lease_until = Set(None);
                again.finished_at = Set(None);
                again.update(&txn).await?
            }
            Some(row) => row,
            None => {
                job::ActiveModel {
                    kind: Set(kind.as_str().to_owned()),
                    job_key: Set(key.to_owned()),
                    status: Set(JobStatus::Queued.as_str().to_owned()),
                    payload: Set(payload.to_owned()),
                    owner: Set(None),
                    lease_until: Set(None),
                    attempts: Set(0),
                    checkpoint: Set(0),
                    created_at: Set(DbTimestamp::now()),
                    started_at: Set(None),
                    finished_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        txn.commit().await?;
        job_from(row)
    }

    /// Claims the oldest job of `kinds` that is queued, or running under an expired lease,
    /// for `owner` until `lease` from now. None when there is nothing to do.
    pub async fn claim_job(
        &self,
        owner: &str,
        kinds: &[JobKind],
        lease: SignedDuration,
    ) -> StoreResult<Option<Job>> {
        let txn = self.write_transaction().await?;
        let now = DbTimestamp::now();
        let mut candidate = job::Entity::find()
            .filter(job::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
            .filter(
                sea_orm::Condition::any()
                    .add(job::Column::Status.eq(JobStatus::Queued.as_str()))
                    .add(
                        sea_orm::Condition::all()
                            .add(job::Column::Status.eq(JobStatus::Running.as_str()))
                            .add(job::Column::LeaseUntil.lt(now)),
                    ),
            )
            .order_by_asc(job::Column::Id)
            .limit(1);
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            QuerySelect::query(&mut candidate).lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let Some(row) = candidate.one(&txn).await? else {
            return Ok(None);
        };
        let attempts = row.attempts + 1;
        let started_at = row.started_at.unwrap_or(now);
        let mut claimed = row.into_active_model();
        claimed.status = Set(JobStatus::Running.as_str().to_owned());
        claimed.owner = Set(Some(owner.to_owned()));
        claimed.lease_until = Set(Some(lease_end(lease)));
        claimed.attempts = Set(attempts);
        claimed.started_at = Set(Some(started_at));
        let row = claimed.update(&txn).await?;
        txn.commit().await?;
        job_from(row).map(Some)
    }

    /// Extends `owner`'s lease on a running job. False when the lease is no longer its own
    /// (it expired and another server took the job over): the work must stop.
    pub async fn renew_job_lease(&self, id: i32, owner: &str, lease: SignedDuration) -> StoreResult<bool> {
        let txn = self.write_transaction().await?;
        let changed = job::Entity::update_many()
            .col_expr(job::Column::LeaseUntil, Expr::value(lease_end(lease)))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::Owner.eq(owner))
            .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(changed.rows_affected == 1)
    }

    /// Hands a running job back to the queue (a server stopping): any server may claim it
    /// at once and resume from its checkpoint.
    pub async fn release_job(&self, id: i32, owner: &str) -> StoreResult<bool> {
        let txn = self.write_transaction().await?;
        let changed = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(JobStatus::Queued.as_str()))
            .col_expr(job::Column::Owner, Expr::value(Option::<String>::None))
            .col_expr(job::Column::LeaseUntil, Expr::value(Option::<DbTimestamp>::None))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::Owner.eq(owner))
            .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(changed.rows_affected == 1)
    }

    /// Ends `owner`'s job as succeeded or failed. False when it was no longer `owner`'s.
    pub async fn finish_job(&self, id: i32, owner: &str, succeeded: bool) -> StoreResult<bool> {
        let txn = self.write_transaction().await?;
        let done = finish_job_in(&txn, id, owner, succeeded).await?;
        txn.commit().await?;
        Ok(done)
    }

    pub async fn job(&self, id: i32) -> StoreResult<Option<Job>> {
        job::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(job_from)
            .transpose()
    }

    pub async fn job_by_key(&self, kind: JobKind, key: &str) -> StoreResult<Option<Job>> {
        job::Entity::find()
            .filter(job::Column::Kind.eq(kind.as_str()))
            .filter(job::Column::JobKey.eq(key))
            .one(&self.db)
            .await?
            .map(job_from)
            .transpose()
    }
}

/// Ends a job inside the transaction that records its outcome, so the outcome and the job's
/// end are one step. False when `owner` no longer holds it.
pub(crate) async fn finish_job_in(
    txn: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    succeeded: bool,
) -> Result<bool, sea_orm::DbErr> {
    let status = if succeeded {
        JobStatus::Succeeded
    } else {
        JobStatus::Failed
    };
    let changed = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status.as_str()))
        .col_expr(job::Column::LeaseUntil, Expr::value(Option::<DbTimestamp>::None))
        .col_expr(job::Column::FinishedAt, Expr::value(DbTimestamp::now()))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Owner.eq(owner))
        .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
        .exec(txn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Moves a job's checkpoint inside the transaction that did the work up to it. False when
/// `owner` no longer holds the job: the caller rolls its work back.
pub(crate) async fn advance_checkpoint(
    txn: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    checkpoint: u64,
) -> Result<bool, sea_orm::DbErr> {
    let changed = job::Entity::update_many()
        .col_expr(
            job::Column::Checkpoint,
            Expr::value(i64::try_from(checkpoint).unwrap_or(i64::MAX)),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Owner.eq(owner))
        .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
        .exec(txn)
        .await?;
    Ok(changed.rows_affected == 1)
}
