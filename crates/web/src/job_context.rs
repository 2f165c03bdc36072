//! What a running job knows of its claim (see [`crate::worker`]): its lease, how far earlier
//! attempts got, and whether it must stop at its next checkpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use vereda_store::screening::JobLease;

pub struct JobContext {
    pub lease: JobLease,
    /// How far earlier attempts got.
    pub checkpoint: u64,
    /// Set when the lease was lost to another server.
    pub lost: Arc<AtomicBool>,
    /// Set when this server is stopping.
    pub stopping: Arc<AtomicBool>,
}

impl JobContext {
    /// True when the job must stop at its next checkpoint: the server is stopping, or the
    /// lease was lost to another server.
    pub fn should_stop(&self) -> bool {
        self.lost.load(Ordering::SeqCst) || self.stopping.load(Ordering::SeqCst)
    }
}
