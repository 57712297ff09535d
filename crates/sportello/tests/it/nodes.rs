//! Several `sportello serve` processes on one PostgreSQL behave as one site.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;
use sportello::jobs::{NewJob, enqueue, queue};
use tokio::process::{Child, Command};

use crate::helpers::{self, TestApp, eventually};

/// A `sportello serve` child process on a free port.
struct Node {
    child: Child,
    base_url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    async fn start(database_url: &str, name: &str, files: &std::path::Path) -> Node {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_sportello"))
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database_url,
            ])
            .env("SPORTELLO_COOKIE_SECURE", "false")
            .env("SPORTELLO_NODE_NAME", name)
            .env("SPORTELLO_JOBS_POLL_INTERVAL_MS", "20")
            .env("SPORTELLO_FILES_DIR", files)
            .env("SPORTELLO_DATABASE_MAX_CONNECTIONS", "5")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start sportello");
        let base_url = format!("http://127.0.0.1:{port}");
        let client = helpers::client();
        let up = eventually(Duration::from_secs(30), || {
            let client = client.clone();
            let url = format!("{base_url}/readyz");
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            }
        })
        .await;
        assert!(up, "node {name} did not become ready");
        Node { child, base_url }
    }

    /// SIGTERM, and wait for a clean exit.
    async fn terminate(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "node exits cleanly on SIGTERM: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_share_sessions_and_run_each_job_once() {
    let url = helpers::fresh_postgres_database().await;
    let dir = tempfile::tempdir().unwrap();
    // Both start at once: migrations run once under PostgreSQL's advisory lock.
    let (a, b) = tokio::join!(
        Node::start(&url, "nodo-a", dir.path()),
        Node::start(&url, "nodo-b", dir.path())
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
