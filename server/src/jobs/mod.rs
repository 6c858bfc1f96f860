//! Durable background work.
//!
//! A job is a row in `jobs`: enqueued (possibly inside the caller's transaction, so the work
//! exists exactly when the data that asked for it does), claimed atomically by one worker
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers, so one guarded
//! `UPDATE … RETURNING` is atomic there), retried with exponential backoff (plus up to 25 %
//! jitter), and dead after its last attempt with the error kept. A claim is a lease: if the
//! worker dies, the job is claimed again once the lease runs out, so a crash loses nothing.
//! Handlers must be idempotent (use [`JobContext::id`] as the idempotency key of anything they
//! send).
//!
//! ```text
//! #[derive(Serialize, Deserialize)]
//! struct SendReply { message_id: i32 }
//! impl Job for SendReply { const KIND: &'static str = "send_reply"; }
//!
//! queue.enqueue(&txn, &SendReply { message_id }, Enqueue::default()).await?;
//! worker.register(|job: SendReply, ctx| async move { /* … */ Ok(()) });
//! ```

pub mod kinds;
mod queue;
mod worker;

pub use queue::{backoff, Claimed, Enqueue, Queue, Retry};
pub use worker::{JobContext, Worker};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A kind of background work, with its payload.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// Stored in the row; must never change once jobs of this kind have been enqueued.
    const KIND: &'static str;
    /// Attempts before the job is declared dead.
    const MAX_ATTEMPTS: i32 = 5;
}

/// Why a job run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (timeouts, 5xx, rate limits).
    #[error("{0}")]
    Retry(String),
    /// Worth trying again, but not before this long (a rate limit that says how long).
    #[error("{0}")]
    RetryAfter(String, std::time::Duration),
    /// Will never succeed (bad payload, a permanent refusal): dead at once.
    #[error("{0}")]
    Permanent(String),
    /// Not yet: run again after this long, without using up an attempt (waiting out a window).
    #[error("deferred for {0:?}")]
    Defer(std::time::Duration),
}

/// The database failing is worth trying again: it is usually a restart or a full pool.
impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Retry(format!("database: {e}"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("payload could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Job states as stored.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const DEAD: &str = "dead";
}
