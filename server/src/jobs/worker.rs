use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::{Claimed, Job, JobError, Queue, Retry};
use crate::telemetry;

/// What a handler knows about the run it is in.
#[derive(Debug, Clone, Copy)]
pub struct JobContext {
    /// Stable across retries: the idempotency key for anything the handler sends.
    pub id: i32,
    pub attempt: i32,
}

type Handler =
    Arc<dyn Fn(String, JobContext) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// Runs registered job kinds from the queue until shutdown.
pub struct Worker {
    queue: Queue,
    name: String,
    handlers: HashMap<&'static str, Handler>,
}

impl Worker {
    /// `name` identifies this process in claims (e.g. host and pid).
    pub fn new(queue: Queue, name: impl Into<String>) -> Self {
        Self {
            queue,
            name: name.into(),
            handlers: HashMap::new(),
        }
    }

    pub fn register<J, F, Fut>(&mut self, handler: F) -> &mut Self
    where
        J: Job,
        F: Fn(J, JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            J::KIND,
            Arc::new(move |payload: String, ctx: JobContext| {
                let handler = handler.clone();
                Box::pin(async move {
                    let job: J = serde_json::from_str(&payload).map_err(|e| {
                        JobError::Permanent(format!("payload does not decode: {e}"))
                    })?;
                    handler(job, ctx).await
                }) as BoxFuture<'static, Result<(), JobError>>
            }),
        );
        self
    }

    /// Starts `workers` loops; they stop claiming when `shutdown` turns true and finish the job
    /// in hand (an interrupted one is claimed again after its lease).
    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> JoinSet<()> {
        let mut set = JoinSet::new();
        if self.handlers.is_empty() {
            return set;
        }
        let this = Arc::new(self);
        for slot in 0..this.queue.config().workers.max(1) {
            let this = this.clone();
            let shutdown = shutdown.clone();
            set.spawn(async move { this.run(slot, shutdown).await });
        }
        set
    }

    async fn run(&self, slot: usize, mut shutdown: watch::Receiver<bool>) {
        let me = format!("{}#{slot}", self.name);
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        while !*shutdown.borrow() {
            match self.queue.claim(&me, &kinds).await {
                Ok(Some(job)) => self.execute(&me, job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = self.queue.wake().notified() => {}
                        _ = tokio::time::sleep(self.queue.config().poll_interval) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming a job failed");
                    tokio::select! {
                        _ = tokio::time::sleep(self.queue.config().poll_interval) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
    }

    /// Runs one job. Its outcome is written back even if the handler panics.
    pub async fn execute(&self, me: &str, job: Claimed) {
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            return;
        };
        let ctx = JobContext {
            id: job.id,
            attempt: job.attempt,
        };
        // The job's span carries its id, kind and the request that enqueued it; jobs it
        // enqueues keep that request id.
        let span = tracing::info_span!(
            "job",
            job = job.id,
            kind = %job.kind,
            attempt = job.attempt,
            request_id = tracing::field::Empty,
        );
        let work = handler(job.payload.clone(), ctx);
        let mut task = match job.request_id.clone() {
            Some(id) => {
                span.record("request_id", id.as_str());
                tokio::spawn(telemetry::with_request_id(id, work).instrument(span.clone()))
            }
            None => tokio::spawn(work.instrument(span.clone())),
        };
        // The heartbeat: the claim is renewed well before its lease runs out, for as long as
        // the handler runs.
        let beat = (self.queue.config().lease / 3).max(std::time::Duration::from_millis(10));
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
        let outcome = loop {
            tokio::select! {
                outcome = &mut task => break outcome,
                _ = heartbeat.tick() => match self.queue.renew(&job, me).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job = job.id, "job claim lost while running"),
                    Err(e) => tracing::warn!(job = job.id, error = %e, "renewing a job claim failed"),
                },
            }
        };
        // A failure is logged by the queue, in the job's span.
        let written = async {
            match outcome {
                Ok(Ok(())) => self.queue.complete(&job, me).await,
                Ok(Err(JobError::Retry(e))) => self.queue.fail(&job, me, &e, Retry::Backoff).await,
                Ok(Err(JobError::RetryAfter(e, after))) => {
                    self.queue.fail(&job, me, &e, Retry::After(after)).await
                }
                Ok(Err(JobError::Permanent(e))) => {
                    self.queue.fail(&job, me, &e, Retry::Never).await
                }
                Ok(Err(JobError::Defer(delay))) => self.queue.defer(&job, me, delay).await,
                Err(panic) => {
                    let error = format!("handler panicked: {panic}");
                    self.queue.fail(&job, me, &error, Retry::Backoff).await
                }
            }
        }
        .instrument(span)
        .await;
        match written {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                job = job.id,
                "job outcome not recorded: its claim was taken over"
            ),
            Err(e) => tracing::error!(job = job.id, error = %e, "recording a job outcome failed"),
        }
    }
}
