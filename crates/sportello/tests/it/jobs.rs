//! The job queue: claim, retry with backoff, dead letters, leases.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sportello::jobs::runner::RunnerSettings;
use sportello::jobs::{Handlers, JobContext, NewJob, Runner, enqueue, leases, queue};
use sportello::storage::files::FileStore;
use sportello::storage::now_ms;
use tokio::sync::watch;

use crate::helpers::{Backend, eventually, fresh_database, open};
use crate::on_both_backends;

on_both_backends!(
    enqueue_is_idempotent_by_key,
    concurrent_claimers_never_share_a_job,
    failures_back_off_then_go_to_the_dead_letters,
    the_runner_runs_jobs_and_buries_failures,
    leases_are_exclusive_until_they_expire,
);

async fn enqueue_is_idempotent_by_key(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = open(&url).await;
    let first = enqueue(&db, NewJob::new("prova", json!({"n": 1})).dedupe("k"))
        .await
        .unwrap();
    let second = enqueue(&db, NewJob::new("prova", json!({"n": 2})).dedupe("k"))
        .await
        .unwrap();
    assert!(first.is_some());
    assert!(second.is_none(), "same key, no second job");
    assert!(
        enqueue(&db, NewJob::new("prova", Value::Null))
            .await
            .unwrap()
            .is_some(),
        "no key, always added"
    );
    assert_eq!(queue::counts(&db).await.unwrap(), vec![("queued".to_owned(), 2)]);
}

async fn concurrent_claimers_never_share_a_job(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = open(&url).await;
    for i in 0..100 {
        enqueue(&db, NewJob::new("prova", json!({ "n": i })))
            .await
            .unwrap();
    }
    let mut claimers = Vec::new();
    for node in 0..6 {
        let db = db.clone();
        claimers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = queue::claim(&db, &format!("nodo-{node}"), 7, Duration::from_secs(60))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    break;
                }
                mine.extend(batch.into_iter().map(|job| job.id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 100, "every job claimed");
    assert_eq!(all.len(), 100, "no job claimed twice");
}

async fn failures_back_off_then_go_to_the_dead_letters(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = open(&url).await;
    let id = enqueue(&db, NewJob::new("prova", Value::Null).max_attempts(2))
        .await
        .unwrap()
        .unwrap();
    let lease = Duration::from_secs(60);

    let first = queue::claim(&db, "nodo", 10, lease).await.unwrap().pop().unwrap();
    assert_eq!(first.attempts, 1);
    let before = now_ms();
    assert_eq!(
        queue::fail(&db, &first, "nodo", "smtp down", false)
            .await
            .unwrap(),
        sportello::jobs::JobState::Queued
    );
    let row = queue::find(&db, &id).await.unwrap().unwrap();
    assert_eq!(row.state, "queued");
    assert!(
        row.run_at >= before + 9_000,
        "waits about 10 s before the next attempt"
    );
    assert!(
        queue::claim(&db, "nodo", 10, lease).await.unwrap().is_empty(),
        "not due yet"
    );

    // Make it due, fail it again: attempts are used up.
    sportello::write_pool!(&db, |pool| sqlx::query("UPDATE jobs SET run_at = 0")
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    let second = queue::claim(&db, "nodo", 10, lease).await.unwrap().pop().unwrap();
    assert_eq!(second.attempts, 2);
    // Another node cannot complete or fail a job it does not hold.
    assert!(!queue::complete(&db, &id, "altro-nodo").await.unwrap());
    assert_eq!(
        queue::fail(&db, &second, "nodo", "still down", false)
            .await
            .unwrap(),
        sportello::jobs::JobState::Dead
    );
    let dead = queue::dead_letters(&db, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("still down"));

    assert!(
        queue::retry_dead(&db, &id).await.unwrap(),
        "an operator can put it back"
    );
    let again = queue::claim(&db, "nodo", 10, lease).await.unwrap().pop().unwrap();
    assert!(queue::complete(&db, &again.id, "nodo").await.unwrap());
    assert_eq!(queue::find(&db, &id).await.unwrap().unwrap().state, "done");
}

async fn the_runner_runs_jobs_and_buries_failures(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let db = open(&url).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let mut handlers = Handlers::default();
    let counter = runs.clone();
    handlers.register("conta", move |_ctx, payload: Value| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(payload["n"].as_u64().unwrap_or(0) as usize, Ordering::SeqCst);
            Ok(())
        }
    });
    handlers.register("rotto", |_ctx, _payload| async { Err("always fails".into()) });
    handlers.register("panico", |_ctx, _payload| async { panic!("handler bug") });
    let files = FileStore::open(&sportello::config::FilesBackend::Local {
        dir: dir.path().join("f"),
    })
    .unwrap();
    let runner = Runner::new(
        JobContext {
            db: db.clone(),
            files,
        },
        handlers,
        Vec::new(),
        RunnerSettings {
            node: "nodo".to_owned(),
            concurrency: 3,
            poll_interval: Duration::from_millis(20),
            lease: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
        },
    );
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(runner.run(stopped));

    for n in 1..=10 {
        enqueue(&db, NewJob::new("conta", json!({ "n": n })))
            .await
            .unwrap();
    }
    let broken = enqueue(&db, NewJob::new("rotto", Value::Null).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    let panicky = enqueue(&db, NewJob::new("panico", Value::Null).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    let unknown = enqueue(&db, NewJob::new("sconosciuto", Value::Null).max_attempts(1))
        .await
        .unwrap()
        .unwrap();

    let settled = eventually(Duration::from_secs(20), || {
        let db = db.clone();
        async move {
            let counts = queue::counts(&db).await.unwrap();
            counts == vec![("dead".to_owned(), 3), ("done".to_owned(), 10)]
        }
    })
    .await;
    assert!(settled, "counts: {:?}", queue::counts(&db).await.unwrap());
    assert_eq!(runs.load(Ordering::SeqCst), 55, "each job ran once");
    for id in [&broken, &panicky, &unknown] {
        let row = queue::find(&db, id).await.unwrap().unwrap();
        assert_eq!(row.state, "dead");
        assert!(row.last_error.is_some());
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}

async fn leases_are_exclusive_until_they_expire(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = open(&url).await;
    let long = Duration::from_secs(60);
    assert!(
        leases::try_acquire(&db, "pianificatore", "a", long)
            .await
            .unwrap()
    );
    assert!(
        !leases::try_acquire(&db, "pianificatore", "b", long)
            .await
            .unwrap(),
        "held by a"
    );
    assert!(
        leases::try_acquire(&db, "pianificatore", "a", long)
            .await
            .unwrap(),
        "a renews"
    );
    leases::release(&db, "pianificatore", "b").await.unwrap();
    assert!(
        !leases::try_acquire(&db, "pianificatore", "b", long)
            .await
            .unwrap(),
        "b cannot release a's lease"
    );
    leases::release(&db, "pianificatore", "a").await.unwrap();
    assert!(
        leases::try_acquire(&db, "pianificatore", "b", Duration::from_millis(1))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        leases::try_acquire(&db, "pianificatore", "a", long)
            .await
            .unwrap(),
        "an expired lease is free"
    );
}
