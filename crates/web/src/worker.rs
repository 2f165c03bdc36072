//! The job worker: every server claims durable jobs from the database
//! ([`vereda_store::jobs`]) one at a time, renews its lease while it works, and on stopping
//! hands its job back so another server (or itself, restarted) resumes it from its
//! checkpoint. A server never fails or takes another server's job while that server's lease
//! is alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::SignedDuration;
use tokio::sync::Notify;
use vereda_store::jobs::{Job, JobKind};
use vereda_store::screening::JobLease;

use crate::AppState;
use crate::job_context::JobContext;

/// How long a claimed job stays a server's without a renewal, unless configured
/// ([`crate::WebConfig::job_lease`]).
pub const JOB_LEASE_SECONDS: u64 = 30;
/// How often an idle server looks for jobs queued by others or left by a stopped one, unless
/// configured ([`crate::WebConfig::job_poll`]).
pub const JOB_POLL_SECONDS: u64 = 2;
/// How long a stopping server waits for its job to reach a checkpoint and be handed back.
pub const STOP_WITHIN_SECONDS: u64 = 20;

/// This server's worker: cheap to clone, one per process.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    owner: String,
    lease: Duration,
    poll: Duration,
    started: AtomicBool,
    stopping: Arc<AtomicBool>,
    wake: Notify,
    stopped: Notify,
    idle: AtomicBool,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("owner", &self.inner.owner)
            .finish()
    }
}

impl Worker {
    pub fn new(lease: Duration, poll: Duration) -> Worker {
        Worker {
            inner: Arc::new(Inner {
                owner: owner_name(),
                lease,
                poll,
                started: AtomicBool::new(false),
                stopping: Arc::new(AtomicBool::new(false)),
                wake: Notify::new(),
                stopped: Notify::new(),
                idle: AtomicBool::new(true),
            }),
        }
    }

    /// The name this server claims jobs under: host, process and a random part.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    fn lease(&self) -> SignedDuration {
        SignedDuration::try_from(self.inner.lease).unwrap_or(SignedDuration::from_secs(30))
    }

    /// Starts the worker loop once (later calls do nothing), and wakes it.
    pub fn start(&self, state: &AppState) {
        if !self.inner.started.swap(true, Ordering::SeqCst) {
            let (worker, state) = (self.clone(), state.clone());
            tokio::spawn(async move { worker.run(state).await });
        }
        self.inner.wake.notify_one();
    }

    /// True once the server is stopping: a job checkpoints and hands itself back.
    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }

    /// Stops claiming, lets the running job reach its checkpoint and hand itself back, and
    /// returns when it has, or after `within`.
    pub async fn stop(&self, within: Duration) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
        if !self.inner.started.load(Ordering::SeqCst) || self.inner.idle.load(Ordering::SeqCst) {
            return;
        }
        if tokio::time::timeout(within, self.inner.stopped.notified())
            .await
            .is_err()
        {
            tracing::warn!(owner = %self.owner(), "the running job did not stop in time; its lease will expire");
        }
    }

    async fn run(&self, state: AppState) {
        let kinds = JobKind::ALL;
        while !self.is_stopping() {
            match state.store.claim_job(self.owner(), &kinds, self.lease()).await {
                Ok(Some(job)) => {
                    self.inner.idle.store(false, Ordering::SeqCst);
                    self.run_job(&state, job).await;
                    self.inner.idle.store(true, Ordering::SeqCst);
                    if self.is_stopping() {
                        self.inner.stopped.notify_one();
                    }
                }
                Ok(None) => {
                    let _ = tokio::time::timeout(self.inner.poll, self.inner.wake.notified()).await;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot claim a job");
                    tokio::time::sleep(self.inner.poll).await;
                }
            }
        }
        self.inner.stopped.notify_one();
    }

    /// Runs a claimed job while a heartbeat renews its lease.
    async fn run_job(&self, state: &AppState, job: Job) {
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let (store, owner, lease, lost) = (
                state.store.clone(),
                self.owner().to_owned(),
                self.lease(),
                lost.clone(),
            );
            let every = self.inner.lease / 3;
            let id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match store.renew_job_lease(id, &owner, lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(job = id, "the job's lease was taken over; stopping its work");
                            lost.store(true, Ordering::SeqCst);
                            return;
                        }
                        Err(error) => tracing::warn!(job = id, %error, "cannot renew the job's lease"),
                    }
                }
            })
        };
        let context = JobContext {
            lease: JobLease {
                job_id: job.id,
                owner: self.owner().to_owned(),
            },
            checkpoint: job.checkpoint,
            lost: lost.clone(),
            stopping: self.inner.stopping.clone(),
        };
        tracing::info!(
            job = job.id,
            kind = job.kind.as_str(),
            checkpoint = job.checkpoint,
            attempt = job.attempts,
            "job claimed"
        );
        match job.kind {
            JobKind::Screening => crate::screening::run_job(state, &job.payload, &context).await,
            JobKind::InboxDigest => crate::inbox::run_digest_job(state, &job.payload, &context).await,
            JobKind::BulkDecision => crate::bulk_decisions::run_job(state, &job.payload, &context).await,
            JobKind::OfferLetters => {
                crate::bulk_decisions::run_offer_letters(state, &job.payload, &context).await
            }
        }
        heartbeat.abort();
        if context.should_stop() && !lost.load(Ordering::SeqCst) {
            match state.store.release_job(job.id, self.owner()).await {
                Ok(true) => tracing::info!(job = job.id, "job handed back at its checkpoint"),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(job = job.id, %error, "cannot hand the job back; its lease will expire")
                }
            }
        }
    }
}

/// This process's name as a claimant of jobs and letters: host, process id and a random part.
pub fn server_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(owner_name)
}

fn owner_name() -> String {
    use rand::Rng;
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "vereda".to_owned());
    let nonce: u32 = rand::rng().random();
    format!("{host}:{}:{nonce:08x}", std::process::id())
}

/// The worker's timings: configured, else the defaults.
pub fn timings(config: &crate::WebConfig) -> (Duration, Duration) {
    (
        config.job_lease.unwrap_or(Duration::from_secs(JOB_LEASE_SECONDS)),
        config.job_poll.unwrap_or(Duration::from_secs(JOB_POLL_SECONDS)),
    )
}
