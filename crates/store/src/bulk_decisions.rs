//! Decisions in bulk beyond what one request takes (issue 18 part 3): one verification
//! decision for every household a filter of a call's verification list matches, however many,
//! run as a durable job (`JobKind::BulkDecision`, keyed by the request's id) in chunks, each
//! household still decided on its own through [`Store::decide_verification`] as the account
//! that asked, within its reach.
//!
//! Exactly once, across crashes and servers: a chunk's households are planned first, each
//! with the version of its decision read then, in the transaction that advances the job's
//! checkpoint (the last household id planned). Each planned household is then decided with
//! that version and its outcome recorded. An attempt that takes the job over decides the
//! planned households without an outcome with the versions planned: one the lost attempt had
//! already decided refuses as changed meanwhile, and is recorded decided when its decision is
//! the one asked (its letter was written with it, and goes out from the outbox's pending
//! letters), so no household is decided twice and none gets two letters.

use jiff::civil::Date;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use vereda_domain::accounts::Permission;
use vereda_domain::audit::Actor;
use vereda_domain::verification::VerificationStatus;

use crate::entity::{bulk_decision, bulk_decision_household, household, household_verification, user};
use crate::jobs::{Job, JobKind};
use crate::lists::{HouseholdList, Paging};
use crate::scope::{Target, check_may};
use crate::screening::JobLease;
use crate::types::DbTimestamp;
use crate::verification::{Decision, LetterRecord};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt};

/// Households planned (and then decided) per chunk of a job.
pub const BULK_CHUNK: u64 = 500;

/// The outcome of a household decided as asked.
const DECIDED: &str = "decided";

/// What a decision in bulk asks: the decision, its motivation, and the filter of the call's
/// verification list whose households it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRequest {
    pub call_id: i32,
    pub status: VerificationStatus,
    pub reasons: String,
    pub search: String,
    pub municipality: Option<String>,
    pub verification_status: Option<VerificationStatus>,
}

/// A household of a decision in bulk that was refused, with the refusal's code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkRefusal {
    pub household_id: i32,
    pub external_id: String,
    pub problem: Message,
}

/// A decision in bulk and how far its job got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkDecision {
    pub id: i32,
    pub call_id: i32,
    pub status: VerificationStatus,
    pub reasons: String,
    pub requested_by: i32,
    pub requested_at: jiff::Timestamp,
    /// How many households the filter matched when it was asked.
    pub matching: u64,
    pub planned: u64,
    pub decided: u64,
    pub refused: u64,
    pub finished_at: Option<jiff::Timestamp>,
    /// The first refusals, in household order (at most [`REFUSALS_SHOWN`]).
    pub refusals: Vec<BulkRefusal>,
}

/// Refusals a decision in bulk shows.
pub const REFUSALS_SHOWN: u64 = 200;

/// What a decision in bulk's job decides with, read once for all its households: the request,
/// its decision and motivation, and the account that asked, as whom each one is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDeciding {
    pub id: i32,
    pub status: VerificationStatus,
    pub reasons: String,
    pub requested_by: i32,
    pub actor: Actor,
}

/// A household planned and not decided yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub household_id: i32,
    pub lock_version: i32,
}

fn not_found(id: i32) -> StoreError {
    StoreError::NotFound {
        entity: "bulk decision",
        id: id.to_string(),
    }
}

fn status_of(row: &bulk_decision::Model) -> StoreResult<VerificationStatus> {
    row.status
        .parse()
        .map_err(|e| corrupt("bulk decision", row.id, e))
}

impl Store {
    /// Asks a decision in bulk (`VerifyHouseholds` on the call) and queues its job, keyed by
    /// the request's id; `matching` is how many households the filter matched when the
    /// officer confirmed. Returns the request and its job.
    pub async fn request_bulk_decision(
        &self,
        actor: &Actor,
        request: &BulkRequest,
        matching: u64,
    ) -> StoreResult<(BulkDecision, Job)> {
        let Some(requested_by) = actor.user_id() else {
            return Err(StoreError::Forbidden(Message::new("scope-error-not_permitted")));
        };
        check_may(
            &self.db,
            actor,
            Permission::VerifyHouseholds,
            Target::Call(request.call_id),
        )
        .await?;
        if request.status == VerificationStatus::Pending {
            return Err(StoreError::Invalid(Message::new("verification-error-status")));
        }
        if request.status != VerificationStatus::Eligible && request.reasons.trim().is_empty() {
            return Err(StoreError::Invalid(Message::new("verification-error-reasons")));
        }
        let txn = self.write_transaction().await?;
        let row = audit::insert(
            &txn,
            actor,
            bulk_decision::ActiveModel {
                call_id: Set(request.call_id),
                status: Set(request.status.to_string()),
                reasons: Set(request.reasons.trim().to_owned()),
                search: Set(request.search.trim().to_owned()),
                municipality_code: Set(request.municipality.clone().filter(|m| !m.is_empty())),
                verification_status: Set(request.verification_status.map(|s| s.to_string())),
                requested_by: Set(requested_by),
                requested_at: Set(DbTimestamp::now()),
                matching: Set(i64::try_from(matching).unwrap_or(i64::MAX)),
                finished_at: Set(None),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        let job = self
            .enqueue_job(JobKind::BulkDecision, &row.id.to_string(), &row.id.to_string())
            .await?;
        let decision = self
            .bulk_decision(row.id)
            .await?
            .ok_or_else(|| not_found(row.id))?;
        Ok((decision, job))
    }

    /// A decision in bulk with its counts and first refusals.
    pub async fn bulk_decision(&self, id: i32) -> StoreResult<Option<BulkDecision>> {
        let Some(row) = bulk_decision::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        use bulk_decision_household::Column as B;
        let of_this = || bulk_decision_household::Entity::find().filter(B::BulkDecisionId.eq(id));
        let planned = crate::count_rows(of_this(), &self.db).await?;
        let decided = crate::count_rows(of_this().filter(B::Outcome.eq(DECIDED)), &self.db).await?;
        let refused_rows = || {
            of_this()
                .filter(B::Outcome.is_not_null())
                .filter(B::Outcome.ne(DECIDED))
        };
        let refused = crate::count_rows(refused_rows(), &self.db).await?;
        let refusals = refused_rows()
            .order_by_asc(B::HouseholdId)
            .limit(REFUSALS_SHOWN)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| {
                let code = r.outcome.clone().unwrap_or_default();
                BulkRefusal {
                    household_id: r.household_id,
                    external_id: r.external_id,
                    // A problem that does not read back is still its code.
                    problem: (r.problem.as_deref())
                        .and_then(|json| serde_json::from_str(json).ok())
                        .unwrap_or_else(|| Message::stored(code)),
                }
            })
            .collect();
        Ok(Some(BulkDecision {
            id,
            call_id: row.call_id,
            status: status_of(&row)?,
            reasons: row.reasons,
            requested_by: row.requested_by,
            requested_at: row.requested_at.0,
            matching: u64::try_from(row.matching).unwrap_or(0),
            planned,
            decided,
            refused,
            finished_at: row.finished_at.map(|t| t.0),
            refusals,
        }))
    }

    /// The account a decision in bulk acts as: the one that asked.
    async fn bulk_actor(&self, row: &bulk_decision::Model) -> StoreResult<Actor> {
        let account = user::Entity::find_by_id(row.requested_by)
            .one(&self.db)
            .await?
            .ok_or_else(|| corrupt("bulk decision", row.id, "its account is missing"))?;
        Ok(Actor::User {
            id: account.id,
            email: account.email,
        })
    }

    /// The planned households of a decision in bulk not decided yet, at most `limit`, in
    /// household order.
    pub async fn bulk_undecided(&self, id: i32, limit: u64) -> StoreResult<Vec<Planned>> {
        use bulk_decision_household::Column as B;
        Ok(bulk_decision_household::Entity::find()
            .filter(B::BulkDecisionId.eq(id))
            .filter(B::Outcome.is_null())
            .order_by_asc(B::HouseholdId)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| Planned {
                household_id: r.household_id,
                lock_version: r.lock_version,
            })
            .collect())
    }

    /// Plans the next `chunk` households of the filter after the job's checkpoint, with the
    /// version of each one's decision, and advances the checkpoint in the same transaction.
    /// Returns how many were planned and the new checkpoint; `Ok(None)` when the lease is no
    /// longer `lease`'s holder's. Nothing planned: nothing is left.
    pub async fn plan_bulk_chunk(
        &self,
        lease: &JobLease,
        id: i32,
        checkpoint: u64,
        chunk: u64,
    ) -> StoreResult<Option<(u64, u64)>> {
        let row = bulk_decision::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        let actor = self.bulk_actor(&row).await?;
        let list = HouseholdList {
            municipality: row.municipality_code.clone(),
            status: match row.verification_status.as_deref() {
                Some(status) => Some(status.parse().map_err(|e| corrupt("bulk decision", id, e))?),
                None => None,
            },
            paging: Paging {
                search: row.search.clone(),
                after: Some(i32::try_from(checkpoint).unwrap_or(i32::MAX)),
                ..Paging::default()
            },
            ..HouseholdList::of_call(row.call_id, self.reach(&actor).await?)
        };
        let txn = self.write_transaction().await?;
        let ids = crate::lists::household_ids_in(&txn, &list, chunk).await?;
        let Some(&last) = ids.last() else {
            txn.commit().await?;
            return Ok(Some((0, checkpoint)));
        };
        let households = household::Entity::find()
            .filter(household::Column::Id.is_in(ids.clone()))
            .all(&txn)
            .await?;
        let versions: std::collections::HashMap<i32, i32> = household_verification::Entity::find()
            .filter(household_verification::Column::HouseholdId.is_in(ids.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|v| (v.household_id, v.lock_version))
            .collect();
        let rows: Vec<bulk_decision_household::ActiveModel> = households
            .iter()
            .map(|h| bulk_decision_household::ActiveModel {
                bulk_decision_id: Set(id),
                household_id: Set(h.id),
                external_id: Set(h.external_id.clone()),
                lock_version: Set(versions.get(&h.id).copied().unwrap_or(0)),
                outcome: Set(None),
                problem: Set(None),
                letter_id: Set(None),
                ..Default::default()
            })
            .collect();
        let planned = rows.len() as u64;
        bulk_decision_household::Entity::insert_many(rows)
            .exec(&txn)
            .await?;
        let at = u64::try_from(last).unwrap_or(0);
        if !crate::jobs::advance_checkpoint(&txn, lease.job_id, &lease.owner, at).await? {
            return Ok(None);
        }
        txn.commit().await?;
        Ok(Some((planned, at)))
    }

    /// Decides one planned household as the decision in bulk asks, and records its outcome:
    /// the letter written with it, if it was decided now.
    pub async fn decide_planned(
        &self,
        bulk: &BulkDeciding,
        planned: &Planned,
        today: Date,
    ) -> StoreResult<Option<LetterRecord>> {
        let decision = Decision {
            status: bulk.status,
            reasons: bulk.reasons.clone(),
            lock_version: planned.lock_version,
        };
        let actor = &bulk.actor;
        let refused = |message: Message| (message.code().to_owned(), Some(message), None);
        let (outcome, problem, letter) = match self
            .decide_verification(actor, planned.household_id, decision, today)
            .await
        {
            Ok((_, letter)) => (DECIDED.to_owned(), None, Some(letter)),
            Err(StoreError::Conflict(message))
                if message.code() == "verification-error-changed_meanwhile" =>
            {
                // Decided as asked by an attempt that was lost before recording it?
                let current = household_verification::Entity::find()
                    .filter(household_verification::Column::HouseholdId.eq(planned.household_id))
                    .one(&self.db)
                    .await?;
                let same = current.is_some_and(|c| {
                    c.status == bulk.status.as_str()
                        && c.decided_by == Some(bulk.requested_by)
                        && c.reasons.as_deref().unwrap_or_default() == bulk.reasons
                });
                if same {
                    (DECIDED.to_owned(), None, None)
                } else {
                    refused(message)
                }
            }
            Err(
                StoreError::Forbidden(message) | StoreError::Invalid(message) | StoreError::Conflict(message),
            ) => refused(message),
            Err(StoreError::NotFound { .. }) => refused(Message::new("verification-error-bulk_not_in_call")),
            Err(other) => return Err(other),
        };
        let problem = match problem {
            Some(message) => {
                Some(serde_json::to_string(&message).map_err(|e| StoreError::Fault(e.to_string()))?)
            }
            None => None,
        };
        use bulk_decision_household::Column as B;
        bulk_decision_household::Entity::update_many()
            .col_expr(B::Outcome, Expr::value(outcome))
            .col_expr(B::Problem, Expr::value(problem))
            .col_expr(B::LetterId, Expr::value(letter.as_ref().map(|l| l.id)))
            .filter(B::BulkDecisionId.eq(bulk.id))
            .filter(B::HouseholdId.eq(planned.household_id))
            .exec(&self.db)
            .await?;
        Ok(letter)
    }

    /// Marks a decision in bulk finished (its job ends beside it).
    pub async fn finish_bulk_decision(&self, id: i32) -> StoreResult<()> {
        bulk_decision::Entity::update_many()
            .col_expr(bulk_decision::Column::FinishedAt, Expr::value(DbTimestamp::now()))
            .filter(bulk_decision::Column::Id.eq(id))
            .filter(bulk_decision::Column::FinishedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// What the job of decision in bulk `id` decides with, and as whom it sends the letters.
    pub async fn bulk_deciding(&self, id: i32) -> StoreResult<BulkDeciding> {
        let row = bulk_decision::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(BulkDeciding {
            id,
            status: status_of(&row)?,
            actor: self.bulk_actor(&row).await?,
            reasons: row.reasons,
            requested_by: row.requested_by,
        })
    }
}
