//! The jobs of work on more households of a call than one request takes: a decision in bulk
//! (`vereda_store::bulk_decisions`) plans the next chunk of the filter's households, decides
//! each planned one and sends the letters written, until none is left; a large call's offer
//! letters are written chunk after chunk (`Store::write_offer_letters_chunk`). Each stops when
//! this server stops or loses the job's lease, and the next attempt goes on from its
//! checkpoint.

use vereda_store::StoreError;
use vereda_store::bulk_decisions::BULK_CHUNK;

use crate::AppState;
use crate::job_context::JobContext;

/// Runs the job of decision in bulk `payload` (its id) and ends it, unless it was stopped.
pub async fn run_job(state: &AppState, payload: &str, context: &JobContext) {
    let done = match payload.trim().parse::<i32>() {
        Ok(id) => match work(state, id, context).await {
            Ok(true) => state.store.finish_bulk_decision(id).await.map(|()| true),
            other => other,
        },
        Err(_) => Err(StoreError::Fault(format!(
            "a decision in bulk's job names no decision: {payload:?}"
        ))),
    };
    end(state, context, done, "decision in bulk").await;
}

/// Ends a job by how its work went: `Ok(false)`, stopped, leaves it to the worker (handed
/// back or taken over); otherwise succeeded or failed.
async fn end(state: &AppState, context: &JobContext, done: Result<bool, StoreError>, what: &str) {
    let succeeded = match done {
        Ok(false) => return,
        Ok(true) => true,
        Err(error) => {
            tracing::error!(%error, job = what, "the job stopped on an error");
            false
        }
    };
    if let Err(error) = (state.store)
        .finish_job(context.lease.job_id, &context.lease.owner, succeeded)
        .await
    {
        tracing::warn!(%error, job = what, "could not end the job");
    }
}

/// Decides chunk after chunk; `Ok(true)` once nothing is left, `Ok(false)` when stopped.
async fn work(state: &AppState, id: i32, context: &JobContext) -> Result<bool, StoreError> {
    let bulk = state.store.bulk_deciding(id).await?;
    let today = state.config.today();
    let mut checkpoint = context.checkpoint;
    loop {
        let undecided = state.store.bulk_undecided(id, BULK_CHUNK).await?;
        if undecided.is_empty() {
            if context.should_stop() {
                return Ok(false);
            }
            match (state.store)
                .plan_bulk_chunk(&context.lease, id, checkpoint, BULK_CHUNK)
                .await?
            {
                None => return Ok(false),
                Some((0, _)) => return Ok(true),
                Some((_, next)) => checkpoint = next,
            }
            continue;
        }
        let mut letters = Vec::with_capacity(undecided.len());
        for planned in &undecided {
            if context.should_stop() {
                break;
            }
            if let Some(letter) = state.store.decide_planned(&bulk, planned, today).await? {
                letters.push(letter);
            }
        }
        tracing::info!(
            decision = id,
            letters = letters.len(),
            "a chunk of a decision in bulk decided"
        );
        state.outbox.dispatch(&state.store, &bulk.actor, letters).await;
        if context.should_stop() {
            return Ok(false);
        }
    }
}

/// Writes the offer letters of call `payload` (its id) and ends the job, unless it was stopped.
pub async fn run_offer_letters(state: &AppState, payload: &str, context: &JobContext) {
    let done = match payload.trim().parse::<i32>() {
        Ok(call_id) => write_letters(state, call_id, context).await,
        Err(_) => Err(StoreError::Fault(format!(
            "an offer letters' job names no call: {payload:?}"
        ))),
    };
    end(state, context, done, "offer letters").await;
}

/// Writes chunk after chunk and sends each; `Ok(true)` once every household has its letter.
async fn write_letters(state: &AppState, call_id: i32, context: &JobContext) -> Result<bool, StoreError> {
    let actor = vereda_domain::audit::Actor::system("offer-letters");
    let mut checkpoint = context.checkpoint;
    loop {
        if context.should_stop() {
            return Ok(false);
        }
        match (state.store)
            .write_offer_letters_chunk(&context.lease, call_id, checkpoint, BULK_CHUNK)
            .await?
        {
            None => return Ok(false),
            Some((letters, _)) if letters.is_empty() => return Ok(true),
            Some((letters, next)) => {
                checkpoint = next;
                tracing::info!(
                    call = call_id,
                    letters = letters.len(),
                    "a chunk of offer letters written"
                );
                state.outbox.dispatch(&state.store, &actor, letters).await;
            }
        }
    }
}
