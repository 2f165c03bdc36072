//! What the operator watches: the work waiting in the queues, for `/metrics`.

use sea_orm::{ConnectionTrait, Statement};

use crate::{Store, StoreResult};

/// How much work of one kind waits or runs, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    pub count: i64,
    /// When the oldest of them was created, in microseconds since the Unix epoch.
    pub oldest_created_micros: Option<i64>,
}

/// The queues: screenings queued and running, letters pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Queues {
    pub screenings_queued: QueueDepth,
    pub screenings_running: QueueDepth,
    pub letters_pending: QueueDepth,
}

impl Store {
    /// The queues' depths and oldest entries, in one statement each (counted by the
    /// database, never loaded).
    pub async fn queues(&self) -> StoreResult<Queues> {
        let screenings = self
            .db
            .query_all_raw(Statement::from_string(
                self.backend(),
                "SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM jobs \
                 WHERE kind = 'screening' AND status IN ('queued', 'running') GROUP BY status",
            ))
            .await?;
        let mut queues = Queues::default();
        for row in screenings {
            let status: String = row.try_get("", "status")?;
            let depth = QueueDepth {
                count: row.try_get("", "n")?,
                oldest_created_micros: row.try_get("", "oldest")?,
            };
            match status.as_str() {
                "queued" => queues.screenings_queued = depth,
                _ => queues.screenings_running = depth,
            }
        }
        let letters = self
            .db
            .query_one_raw(Statement::from_string(
                self.backend(),
                "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM letters WHERE status = 'pending'",
            ))
            .await?;
        if let Some(row) = letters {
            queues.letters_pending = QueueDepth {
                count: row.try_get("", "n")?,
                oldest_created_micros: row.try_get("", "oldest")?,
            };
        }
        Ok(queues)
    }
}
