use std::sync::Arc;
use std::time::Duration;

use app::model::JobCounts;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, Set, SqlErr,
};
use tokio::sync::Notify;

use super::{status, Job, QueueError};
use crate::config::JobsConfig;
use crate::db::entities::job::{self, Column, Entity};
use crate::db::Engine;

/// Options for one enqueue.
#[derive(Debug, Clone, Default)]
pub struct Enqueue {
    /// Run no earlier than this (default: now).
    pub run_at: Option<DateTime<Utc>>,
    /// A second enqueue with the same key is a no-op (e.g. the WhatsApp message id).
    pub dedupe_key: Option<String>,
}

/// Whether and when a failed job runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// After the exponential backoff.
    Backoff,
    /// After the backoff, but no sooner than this.
    After(Duration),
    /// Dead now.
    Never,
}

/// A job a worker has claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i32,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    /// The request that enqueued the job (see `telemetry`).
    pub request_id: Option<String>,
}

#[derive(Clone)]
pub struct Queue {
    db: DatabaseConnection,
    config: JobsConfig,
    /// Wakes this process's workers when it enqueues; other replicas find work by polling.
    wake: Arc<Notify>,
}

/// Delay before attempt `attempt + 1`: base · 2^(attempt−1), capped.
pub fn backoff(config: &JobsConfig, attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    config
        .backoff_base
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(config.backoff_max)
}

/// Spreads retries that failed together (a rate limit hits many sends at once) over the next
/// quarter of their delay, so they do not come back together.
fn jitter(delay: Duration) -> Duration {
    use rand::Rng;
    delay.mul_f64(1.0 + rand::thread_rng().gen_range(0.0..0.25))
}

/// The row of `job` while `worker` still holds this attempt's claim.
fn held_by(job: &Claimed, worker: &str) -> Condition {
    Condition::all()
        .add(Column::Id.eq(job.id))
        .add(Column::Status.eq(status::RUNNING))
        .add(Column::LockedBy.eq(worker))
        .add(Column::Attempts.eq(job.attempt))
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Queue {
    pub fn new(db: DatabaseConnection, config: JobsConfig) -> Self {
        Self {
            db,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The pool this queue uses (for enqueueing outside a transaction).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn config(&self) -> &JobsConfig {
        &self.config
    }

    pub fn wake(&self) -> &Notify {
        &self.wake
    }

    /// Adds a job, on `conn` (the pool, or the caller's transaction). Returns its id, or `None`
    /// when a job with the same dedupe key already exists.
    pub async fn enqueue<J: Job>(
        &self,
        conn: &impl ConnectionTrait,
        job: &J,
        options: Enqueue,
    ) -> Result<Option<i32>, QueueError> {
        let now = Utc::now();
        let row = job::ActiveModel {
            kind: Set(J::KIND.to_owned()),
            payload: Set(serde_json::to_string(job)?),
            status: Set(status::QUEUED.to_owned()),
            attempts: Set(0),
            max_attempts: Set(J::MAX_ATTEMPTS.max(1)),
            run_at: Set(options.run_at.unwrap_or(now)),
            locked_by: Set(None),
            locked_until: Set(None),
            last_error: Set(None),
            dedupe_key: Set(options.dedupe_key),
            request_id: Set(crate::telemetry::request_id()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        match row.insert(conn).await {
            Ok(inserted) => {
                self.wake.notify_waiters();
                Ok(Some(inserted.id))
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Claims the next due job of one of `kinds` for `worker`, or a job whose lease ran out.
    pub async fn claim(&self, worker: &str, kinds: &[&str]) -> Result<Option<Claimed>, DbErr> {
        let now = Utc::now();
        let claimable = || {
            Condition::all()
                .add(Column::Kind.is_in(kinds.iter().copied()))
                .add(
                    Condition::any()
                        .add(
                            Condition::all()
                                .add(Column::Status.eq(status::QUEUED))
                                .add(Column::RunAt.lte(now)),
                        )
                        .add(
                            Condition::all()
                                .add(Column::Status.eq(status::RUNNING))
                                .add(Column::LockedUntil.lt(now)),
                        ),
                )
        };
        let mut next = Query::select();
        next.column(Column::Id)
            .from(Entity)
            .cond_where(claimable())
            .order_by(Column::RunAt, sea_orm::Order::Asc)
            .order_by(Column::Id, sea_orm::Order::Asc)
            .limit(1);
        if Engine::of(&self.db) == Engine::Postgres {
            // Concurrent claimers skip each other's rows instead of waiting on them.
            next.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let claimed = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status::RUNNING))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::LockedBy, Expr::value(worker))
            .col_expr(
                Column::LockedUntil,
                Expr::value(now + to_chrono(self.config.lease)),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            // `id = (sub-select)`, not `id IN (…)`: PostgreSQL runs a scalar sub-select once,
            // but may re-run an IN sub-select per row, and with SKIP LOCKED each run can pick
            // a different row — claiming every due job at once.
            .filter(Expr::col(Column::Id).eq(SimpleExpr::SubQuery(
                None,
                Box::new(next.into_sub_query_statement()),
            )))
            // Checked again on the row itself: what the sub-select saw may have changed.
            .filter(claimable())
            .exec_with_returning(&self.db)
            .await?;
        Ok(claimed.into_iter().next().map(|row| Claimed {
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            attempt: row.attempts,
            max_attempts: row.max_attempts,
            request_id: row.request_id,
        }))
    }

    /// Extends the claim of a job still running (the heartbeat), so a short lease is enough: a
    /// crashed worker's jobs are taken over within one lease, a live one's never. `false` when
    /// the claim is no longer this worker's.
    pub async fn renew(&self, job: &Claimed, worker: &str) -> Result<bool, DbErr> {
        let now = Utc::now();
        let result = Entity::update_many()
            .col_expr(
                Column::LockedUntil,
                Expr::value(now + to_chrono(self.config.lease)),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(held_by(job, worker))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Frees every claim at once (their jobs run again now). Only for a database no other
    /// process works from — SQLite, at boot — where any claim is an earlier process's, cut
    /// off by a crash: its jobs need not wait out their lease.
    pub async fn release_all_claims(&self) -> Result<u64, DbErr> {
        let now = Utc::now();
        let result = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status::QUEUED))
            .col_expr(Column::RunAt, Expr::value(now))
            .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(
                Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Status.eq(status::RUNNING))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Marks a claimed job done. Only the worker holding the claim may.
    pub async fn complete(&self, job: &Claimed, worker: &str) -> Result<bool, DbErr> {
        self.settle(job, worker, status::DONE, Utc::now(), None, false)
            .await
    }

    /// Records a failed attempt: queued again after a backoff, or dead when no attempts remain
    /// or the failure is permanent.
    pub async fn fail(
        &self,
        job: &Claimed,
        worker: &str,
        error: &str,
        retry: Retry,
    ) -> Result<bool, DbErr> {
        let error: String = error.chars().take(2000).collect();
        if retry == Retry::Never || job.attempt >= job.max_attempts {
            tracing::error!(job = job.id, kind = %job.kind, attempts = job.attempt, %error, "job dead");
            self.settle(job, worker, status::DEAD, Utc::now(), Some(error), false)
                .await
        } else {
            let mut delay = jitter(backoff(&self.config, job.attempt));
            if let Retry::After(at_least) = retry {
                delay = delay.max(at_least);
            }
            let run_at = Utc::now() + to_chrono(delay);
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, %error, %run_at, "job failed; will retry");
            self.settle(job, worker, status::QUEUED, run_at, Some(error), false)
                .await
        }
    }

    /// Puts a job back, untouched, to run after `delay`: it waited, it did not fail, so the
    /// attempt is given back. This process's workers are woken when it is due (other replicas
    /// find it by polling).
    pub async fn defer(&self, job: &Claimed, worker: &str, delay: Duration) -> Result<bool, DbErr> {
        let run_at = Utc::now() + to_chrono(delay);
        let written = self
            .settle(job, worker, status::QUEUED, run_at, None, true)
            .await?;
        if written {
            let wake = self.wake.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                wake.notify_waiters();
            });
        }
        Ok(written)
    }

    async fn settle(
        &self,
        job: &Claimed,
        worker: &str,
        new_status: &str,
        run_at: DateTime<Utc>,
        error: Option<String>,
        give_back_attempt: bool,
    ) -> Result<bool, DbErr> {
        let mut update = Entity::update_many()
            .col_expr(Column::Status, Expr::value(new_status))
            .col_expr(Column::RunAt, Expr::value(run_at))
            .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(
                Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()));
        if let Some(error) = error {
            update = update.col_expr(Column::LastError, Expr::value(error));
        }
        if give_back_attempt {
            update = update.col_expr(Column::Attempts, Expr::value(job.attempt - 1));
        }
        // A worker whose lease ran out (and whose job another worker took over) changes nothing.
        let result = update.filter(held_by(job, worker)).exec(&self.db).await?;
        Ok(result.rows_affected == 1)
    }

    pub async fn counts(&self) -> Result<JobCounts, DbErr> {
        let count = |state: &'static str| {
            Entity::find()
                .filter(Column::Status.eq(state))
                .count(&self.db)
        };
        Ok(JobCounts {
            queued: count(status::QUEUED).await?,
            running: count(status::RUNNING).await?,
            dead: count(status::DEAD).await?,
        })
    }

    pub async fn get(&self, id: i32) -> Result<Option<job::Model>, DbErr> {
        Entity::find_by_id(id).one(&self.db).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_only_lengthens_by_up_to_a_quarter() {
        for _ in 0..100 {
            let d = jitter(Duration::from_millis(1000));
            assert!(
                d >= Duration::from_millis(1000) && d < Duration::from_millis(1250),
                "{d:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let config = JobsConfig {
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            ..JobsConfig::default()
        };
        let delays: Vec<u64> = (1..=7).map(|a| backoff(&config, a).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(&config, 0).as_secs(), 2);
        assert_eq!(backoff(&config, i32::MAX), Duration::from_secs(60));
    }
}
