//! Several `sportello serve` processes on one PostgreSQL behave as one site.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;
use sportello::jobs::{NewJob, enqueue, queue};

use crate::helpers::{self, Node, TestApp, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_share_sessions_and_run_each_job_once() {
    let url = helpers::fresh_postgres_database().await;
    let dir = tempfile::tempdir().unwrap();
    // Both start at once: migrations run once under PostgreSQL's advisory lock.
    let (a, b) = tokio::join!(
        Node::start(&url, "nodo-a", dir.path(), &[]),
        Node::start(&url, "nodo-b", dir.path(), &[])
    );
    let db = helpers::open(&url).await;

    // A session opened "on A" (a row in the shared database) is valid on B, and a logout on
    // B ends it on A.
    let app = TestApp::spawn_on(&url, dir.path().join("c"), &[("jobs_enabled", "false")]).await;
    let cookie = app.login_as("RSSMRA80A01H501U", "Mario Rossi").await;
    let client = helpers::client();
    for node in [&a, &b] {
        let me = client
            .get(format!("{}/api/v1/sessione", node.base_url))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        let body: Value = me.json().await.unwrap();
        assert_eq!(body["nome"], "Mario Rossi");
    }
    let logout = client
        .delete(format!("{}/api/v1/sessione", b.base_url))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let on_a = client
        .get(format!("{}/api/v1/sessione", a.base_url))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(on_a.status(), StatusCode::UNAUTHORIZED);

    // 200 jobs enqueued; both nodes' runners race for them; each runs exactly once.
    let mut ids = Vec::new();
    for i in 0..200 {
        let job = NewJob::new(sportello::JOB_PURGE_SESSIONS, Value::Null).dedupe(format!("prova-{i}"));
        ids.push(enqueue(&db, job).await.unwrap().unwrap());
    }
    let all_done = eventually(Duration::from_secs(60), || {
        let db = db.clone();
        let ids = ids.clone();
        async move {
            for id in &ids {
                if queue::find(&db, id).await.unwrap().unwrap().state != "done" {
                    return false;
                }
            }
            true
        }
    })
    .await;
    assert!(all_done, "every job ran");
    for id in &ids {
        let job = queue::find(&db, id).await.unwrap().unwrap();
        assert_eq!(job.attempts, 1, "job {id} was claimed more than once");
    }

    app.stop().await;
    a.terminate().await;
    b.terminate().await;
}
