//! The durable job queue on real databases: one claim per job under concurrency, retries with
//! backoff, dead letters, dedupe, and resumption after a crash.

use crate::common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{fast_jobs, Engine, TestDb};
use replydesk::config::JobsConfig;
use replydesk::db::entities::job;
use replydesk::jobs::{status, Enqueue, Job, JobError, Queue, Retry, Worker};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

#[derive(Debug, Serialize, Deserialize)]
struct Ping {
    n: u32,
}

impl Job for Ping {
    const KIND: &'static str = "test_ping";
    const MAX_ATTEMPTS: i32 = 3;
}

on_both_engines!(
    each_job_is_claimed_once_under_concurrency,
    failures_retry_with_backoff_then_die,
    a_crashed_worker_job_is_resumed,
    dedupe_keys_make_enqueue_idempotent,
    worker_runs_handlers_until_shutdown,
    a_running_job_renews_its_claim,
    claims_left_by_a_crash_are_released_at_boot_on_sqlite,
);

async fn locked_until(queue: &Queue, id: i32) -> Option<chrono::DateTime<chrono::Utc>> {
    queue
        .get(id)
        .await
        .expect("get")
        .and_then(|row| row.locked_until)
}

/// The heartbeat: a job that runs longer than its lease keeps its claim (no other worker
/// takes it over), so the lease can be short and a crash is recovered from quickly.
async fn a_running_job_renews_its_claim(engine: Engine) {
    let db = TestDb::new(engine).await;
    let config = JobsConfig {
        lease: Duration::from_secs(3),
        ..fast_jobs()
    };
    let queue = Queue::new(db.connect().await, config.clone());
    let release = Arc::new(tokio::sync::Notify::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let mut worker = Worker::new(queue.clone(), "steady");
    {
        let (release, runs) = (release.clone(), runs.clone());
        worker.register(move |_: Ping, _| {
            let (release, runs) = (release.clone(), runs.clone());
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                release.notified().await;
                Ok(())
            }
        });
    }
    let (stop, stopped) = watch::channel(false);
    let mut running = worker.spawn(stopped);
    let id = queue
        .enqueue(queue.connection(), &Ping { n: 1 }, Enqueue::default())
        .await
        .expect("enqueue")
        .expect("id");
    let first = common::eventually("the job to be claimed", || async {
        locked_until(&queue, id).await
    })
    .await;
    let renewed = common::eventually("the claim to be renewed", || async {
        locked_until(&queue, id).await.filter(|at| *at > first)
    })
    .await;
    assert!(renewed > first);
    // Another process finds nothing to take over while the job runs.
    let other = Queue::new(db.connect().await, config);
    assert!(other
        .claim("other", &[Ping::KIND])
        .await
        .expect("claim")
        .is_none());
    release.notify_one();
    common::eventually("the job to finish", || async {
        let row = queue.get(id).await.expect("get").expect("row");
        (row.status == status::DONE).then_some(())
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "run once, never taken over");
    stop.send(true).expect("stop");
    while running.join_next().await.is_some() {}
}

async fn claims_left_by_a_crash_are_released_at_boot_on_sqlite(engine: Engine) {
    let db = TestDb::new(engine).await;
    let crashed = Queue::new(db.connect().await, slow_clock_jobs());
    let id = crashed
        .enqueue(crashed.connection(), &Ping { n: 9 }, Enqueue::default())
        .await
        .expect("enqueue")
        .expect("id");
    crashed
        .claim("killed-process", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("job");
    drop(crashed);
    // The next server on the same database.
    let app = common::TestApp::start(db.config()).await;
    let row = app_queue(&app).get(id).await.expect("get").expect("row");
    match engine {
        // One process per SQLite file: the claim was the dead process's, freed at once.
        Engine::Sqlite => {
            assert_eq!(row.status, status::QUEUED);
            assert_eq!(row.locked_by, None);
        }
        // PostgreSQL may have other live replicas: only the (short) lease frees it.
        Engine::Postgres => assert_eq!(row.locked_by.as_deref(), Some("killed-process")),
    }
    app.stop().await;
}

fn app_queue(app: &common::TestApp) -> Queue {
    Queue::new(app.db.clone(), fast_jobs())
}

async fn each_job_is_claimed_once_under_concurrency(engine: Engine) {
    let db = TestDb::new(engine).await;
    let seed = Queue::new(db.connect().await, fast_jobs());
    for n in 0..60 {
        seed.enqueue(seed.connection(), &Ping { n }, Enqueue::default())
            .await
            .expect("enqueue");
    }
    // Four claimers on two separate pools: two server processes with two workers each.
    let pools = [db.connect().await, db.connect().await];
    let mut tasks = Vec::new();
    for i in 0..4 {
        let queue = Queue::new(pools[i % 2].clone(), fast_jobs());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = queue
                .claim(&format!("w{i}"), &[Ping::KIND])
                .await
                .expect("claim")
            {
                mine.push(job.id);
                assert!(queue
                    .complete(&job, &format!("w{i}"))
                    .await
                    .expect("complete"));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("claimer"));
    }
    let unique: HashSet<i32> = all.iter().copied().collect();
    assert_eq!(all.len(), 60, "every job claimed exactly once in total");
    assert_eq!(unique.len(), 60, "no job claimed twice");
    let counts = seed.counts().await.expect("counts");
    assert_eq!((counts.queued, counts.running, counts.dead), (0, 0, 0));
}

/// Moves a job's clock instead of waiting for it: its retry is due now, or its lease has run
/// out. Tests that sleep past a deadline pass or fail with the machine's speed.
async fn due_now(queue: &Queue, id: i32) {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(past))
        .col_expr(job::Column::LockedUntil, Expr::value(past))
        .filter(job::Column::Id.eq(id))
        .exec(queue.connection())
        .await
        .expect("back-date the job");
}

/// A queue whose delays are long enough that "not yet" holds on any machine.
fn slow_clock_jobs() -> JobsConfig {
    JobsConfig {
        lease: Duration::from_secs(600),
        backoff_base: Duration::from_secs(60),
        backoff_max: Duration::from_secs(3600),
        ..fast_jobs()
    }
}

async fn failures_retry_with_backoff_then_die(engine: Engine) {
    let db = TestDb::new(engine).await;
    let queue = Queue::new(db.connect().await, slow_clock_jobs());
    let id = queue
        .enqueue(queue.connection(), &Ping { n: 1 }, Enqueue::default())
        .await
        .expect("enqueue")
        .expect("new job");

    let first = queue
        .claim("w", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(first.attempt, 1);
    let before = chrono::Utc::now();
    assert!(queue
        .fail(&first, "w", "timeout talking to provider", Retry::Backoff)
        .await
        .expect("fail"));
    let after = chrono::Utc::now();
    let row = queue.get(id).await.expect("get").expect("row");
    assert_eq!(row.status, status::QUEUED);
    assert_eq!(
        row.last_error.as_deref(),
        Some("timeout talking to provider")
    );
    // Backoff: base (60 s) × 2^0, plus up to a quarter of jitter.
    let base = chrono::Duration::seconds(60);
    assert!(row.run_at >= before + base, "{} {before}", row.run_at);
    assert!(row.run_at <= after + base * 5 / 4, "{} {after}", row.run_at);
    assert!(
        queue
            .claim("w", &[Ping::KIND])
            .await
            .expect("claim")
            .is_none(),
        "not due yet"
    );

    due_now(&queue, id).await;
    let second = queue
        .claim("w", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("due again");
    assert_eq!(second.attempt, 2);
    let before = chrono::Utc::now();
    assert!(queue
        .fail(&second, "w", "still failing", Retry::Backoff)
        .await
        .expect("fail"));
    let row = queue.get(id).await.expect("get").expect("row");
    assert!(row.run_at >= before + base * 2, "second delay doubles");

    due_now(&queue, id).await;
    let third = queue
        .claim("w", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("due again");
    assert_eq!(third.attempt, 3);
    assert!(queue
        .fail(&third, "w", "gave up", Retry::Backoff)
        .await
        .expect("fail"));
    let row = queue.get(id).await.expect("get").expect("row");
    assert_eq!(row.status, status::DEAD, "dead after MAX_ATTEMPTS");
    assert_eq!(row.last_error.as_deref(), Some("gave up"));
    assert_eq!(row.attempts, 3);
    assert_eq!(queue.counts().await.expect("counts").dead, 1);

    // A permanent failure is dead at once.
    queue
        .enqueue(queue.connection(), &Ping { n: 2 }, Enqueue::default())
        .await
        .expect("enqueue");
    let job = queue
        .claim("w", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("due");
    assert!(queue
        .fail(&job, "w", "recipient blocked", Retry::Never)
        .await
        .expect("fail"));
    assert_eq!(
        queue.get(job.id).await.expect("get").expect("row").status,
        status::DEAD
    );
}

async fn a_crashed_worker_job_is_resumed(engine: Engine) {
    let db = TestDb::new(engine).await;
    let config = slow_clock_jobs();
    let crashed = Queue::new(db.connect().await, config.clone());
    crashed
        .enqueue(crashed.connection(), &Ping { n: 7 }, Enqueue::default())
        .await
        .expect("enqueue");
    let lost = crashed
        .claim("dead-process", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("job");
    drop(crashed); // the process dies holding the claim

    // A new process (fresh pool) does not see it while the lease holds…
    let survivor = Queue::new(db.connect().await, config);
    assert!(survivor
        .claim("new-process", &[Ping::KIND])
        .await
        .expect("claim")
        .is_none());
    // …and takes it over once the lease has run out.
    due_now(&survivor, lost.id).await;
    let resumed = survivor
        .claim("new-process", &[Ping::KIND])
        .await
        .expect("claim")
        .expect("resumed");
    assert_eq!(resumed.id, lost.id);
    assert_eq!(resumed.attempt, 2);
    // The dead process's late answer is ignored; the new owner's counts.
    assert!(!survivor
        .complete(&lost, "dead-process")
        .await
        .expect("complete"));
    assert!(survivor
        .complete(&resumed, "new-process")
        .await
        .expect("complete"));
    assert_eq!(
        survivor
            .get(lost.id)
            .await
            .expect("get")
            .expect("row")
            .status,
        status::DONE
    );
}

async fn dedupe_keys_make_enqueue_idempotent(engine: Engine) {
    let db = TestDb::new(engine).await;
    let queue = Queue::new(db.connect().await, fast_jobs());
    let key = || Enqueue {
        dedupe_key: Some("wamid.HBgL123".into()),
        ..Enqueue::default()
    };
    let first = queue
        .enqueue(queue.connection(), &Ping { n: 1 }, key())
        .await
        .expect("enqueue");
    let again = queue
        .enqueue(queue.connection(), &Ping { n: 1 }, key())
        .await
        .expect("enqueue");
    assert!(first.is_some());
    assert!(again.is_none(), "a retried webhook enqueues nothing");
    assert_eq!(queue.counts().await.expect("counts").queued, 1);

    // Enqueued inside a transaction that rolls back: no job.
    use sea_orm::TransactionTrait;
    let txn = queue.connection().begin().await.expect("begin");
    queue
        .enqueue(&txn, &Ping { n: 2 }, Enqueue::default())
        .await
        .expect("enqueue");
    txn.rollback().await.expect("rollback");
    assert_eq!(queue.counts().await.expect("counts").queued, 1);
}

async fn worker_runs_handlers_until_shutdown(engine: Engine) {
    let db = TestDb::new(engine).await;
    let queue = Queue::new(db.connect().await, fast_jobs());
    let seen = Arc::new(AtomicUsize::new(0));
    let mut worker = Worker::new(queue.clone(), "test");
    {
        let seen = seen.clone();
        worker.register(move |job: Ping, ctx| {
            let seen = seen.clone();
            async move {
                // Job 3 fails once, then succeeds on retry.
                if job.n == 3 && ctx.attempt == 1 {
                    return Err(JobError::Retry("flaky".into()));
                }
                if job.n == 4 {
                    panic!("handler bug");
                }
                seen.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
    }
    let (stop, stopped) = watch::channel(false);
    let mut running = worker.spawn(stopped);
    for n in 1..=4 {
        queue
            .enqueue(queue.connection(), &Ping { n }, Enqueue::default())
            .await
            .expect("enqueue");
    }
    // Wait (bounded) for the three good jobs; the panicking one keeps retrying until it is dead.
    for _ in 0..200 {
        let counts = queue.counts().await.expect("counts");
        if seen.load(Ordering::SeqCst) == 3 && counts.dead == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    let counts = queue.counts().await.expect("counts");
    assert_eq!((counts.queued, counts.running, counts.dead), (0, 0, 1));
    stop.send(true).expect("stop");
    while running.join_next().await.is_some() {}
}
