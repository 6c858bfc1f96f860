//! Logging: readable lines locally, JSON for log collectors (`LOG_FORMAT=json`), filtered by
//! `RUST_LOG` (default: info for Replydesk, warnings for libraries).
//!
//! Every HTTP request runs in a span carrying its request id (`http::request_id`), and so does
//! every job: a job keeps the id of the request (or job) that enqueued it. One customer's
//! message can so be followed from the webhook through the reply job to the send.

use std::future::Future;

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,replydesk=info,sqlx=warn,sea_orm=warn,tower_sessions=warn";

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = fmt().with_env_filter(filter).with_target(true);
    // `try_init`: tests and the CLI may initialise more than once; the first one wins.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

tokio::task_local! {
    /// The id of the request or job being served by this task.
    static REQUEST_ID: String;
}

/// The request id of the work this task is doing, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `work` as part of request `id` (jobs it enqueues carry the id on).
pub async fn with_request_id<F: Future>(id: String, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}
