//! Durability: a server killed with SIGKILL under write load loses no acknowledged write and
//! duplicates none, on SQLite and on PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{self, Backend, Node, fresh_database};
use crate::on_both_backends;

on_both_backends!(acknowledged_writes_survive_sigkill_exactly_once);

/// Concurrent writers of the shape of a click day: many clients, each sending small writes
/// over a keep-alive connection as fast as the server answers.
const CLIENTS: usize = 16;

/// Acknowledged writes before the kill: 300 in the test command; more for a long run
/// (`SPORTELLO_TEST_DURABILITY_WRITES=50000`, docs/testing.md).
fn writes_before_kill() -> usize {
    std::env::var("SPORTELLO_TEST_DURABILITY_WRITES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

async fn acknowledged_writes_survive_sigkill_exactly_once(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let node = Node::start(
        &url,
        "vittima",
        dir.path(),
        &[("SPORTELLO_JOBS_ENABLED", "false")],
    )
    .await;
    let base = node.base_url.clone();

    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let attempted = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for client_no in 0..CLIENTS {
        let (base, acknowledged, attempted, stop) = (
            base.clone(),
            acknowledged.clone(),
            attempted.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let client = helpers::client();
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                seq += 1;
                let marker = format!("durabilita {client_no}-{seq}: il modulo non si legge");
                attempted.lock().await.push(marker.clone());
                let sent = client
                    .post(format!("{base}/api/v1/segnalazioni-accessibilita"))
                    .json(&json!({ "descrizione": marker }))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        // Acknowledged only once the whole answer has arrived.
                        if let Ok(body) = response.json::<Value>().await {
                            let id = body["id"].as_str().unwrap_or_default().to_owned();
                            acknowledged.lock().await.push((marker, id));
                        }
                    }
                    Ok(response) => panic!("unexpected status {} before the kill", response.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }

    // Let the load build up, then kill the server mid-write.
    let loaded = helpers::eventually(Duration::from_secs(600), || {
        let acknowledged = acknowledged.clone();
        async move { acknowledged.lock().await.len() >= writes_before_kill() }
    })
    .await;
    assert!(
        loaded,
        "the load reached {} acknowledged writes",
        writes_before_kill()
    );
    node.kill().await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    // The server comes back on the same database (SQLite recovers its WAL on open).
    let node = Node::start(
        &url,
        "risorto",
        dir.path(),
        &[("SPORTELLO_JOBS_ENABLED", "false")],
    )
    .await;
    let db = helpers::open(&url).await;
    let rows: Vec<(String, String)> = sportello::read_pool!(&db, |pool| {
        sqlx::query_as("SELECT id, descrizione FROM segnalazioni_accessibilita")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let acknowledged = acknowledged.lock().await;
    let attempted = attempted.lock().await;
    for (marker, id) in acknowledged.iter() {
        let copies: Vec<_> = rows.iter().filter(|(_, d)| d == marker).collect();
        assert_eq!(
            copies.len(),
            1,
            "acknowledged write {marker:?} is there exactly once"
        );
        assert_eq!(&copies[0].0, id, "with the id the client was given");
    }
    for marker in attempted.iter() {
        let copies = rows.iter().filter(|(_, d)| d == marker).count();
        assert!(copies <= 1, "no write is stored twice: {marker:?}");
    }
    assert!(rows.len() <= attempted.len(), "nothing appeared that nobody sent");
    // And the restarted server takes writes again.
    let again = helpers::client()
        .post(format!("{}/api/v1/segnalazioni-accessibilita", node.base_url))
        .json(&json!({ "descrizione": "dopo il riavvio funziona" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    node.terminate().await;
}
