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

on_both_backends!(
    acknowledged_writes_survive_sigkill_exactly_once,
    filed_applications_survive_sigkill_exactly_once_with_gap_free_numbers
);

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

/// Acknowledged filings before the kill (`SPORTELLO_TEST_DURABILITY_FILINGS` for a long run).
fn filings_before_kill() -> usize {
    std::env::var("SPORTELLO_TEST_DURABILITY_FILINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
}

/// The click day's own path under SIGKILL: synthetic citizens log in with their PIN and file a
/// bonus asilo nido application each through the API (the filing writer's group commit), as
/// `sportello loadgen` does. After the restart every protocol number a client received is
/// there once, on the application it was given for; the numbers are gap-free (a transaction
/// that died took none); and a retry with the same key returns the same application.
async fn filed_applications_survive_sigkill_exactly_once_with_gap_free_numbers(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let node = Node::start(
        &url,
        "vittima",
        dir.path(),
        &[("SPORTELLO_JOBS_ENABLED", "false")],
    )
    .await;
    let citizens = u64::try_from(filings_before_kill() * 4).unwrap();
    {
        let db = helpers::open(&url).await;
        let key = sportello::identity::pins::load_key(&db, None).await.unwrap();
        sportello::loadgen::seed(&db, &key, citizens).await.unwrap();
        db.close().await;
    }
    let base = node.base_url.clone();
    // (idempotency key, application id, protocol number) the clients were given.
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client_no in 0..CLIENTS as u64 {
        let (base, acknowledged, stop) = (base.clone(), acknowledged.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let client = helpers::client();
            let mut index = client_no;
            while !stop.load(Ordering::Relaxed) && index < citizens {
                let cf = sportello::loadgen::synthetic_cf(index);
                let pin = sportello::loadgen::synthetic_pin(&cf).unwrap();
                let Ok(login) = client
                    .post(format!("{base}/api/v1/auth/pin"))
                    .json(&json!({ "codice_fiscale": cf, "pin": pin.as_str() }))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                else {
                    break;
                };
                let Ok(token) = login.json::<Value>().await else {
                    break;
                };
                let token = token["token"].as_str().unwrap_or_default().to_owned();
                let key = format!("durabilita-{index}");
                let sent = client
                    .post(format!("{base}/api/v1/domande"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&json!({
                        "modulo": "bonus-asilo-nido",
                        "risposte": sportello::loadgen::answers(index),
                        "invia": true,
                    }))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        if let Ok(body) = response.json::<Value>().await {
                            let id = body["id"].as_str().unwrap_or_default().to_owned();
                            let protocol = body["protocollo"].as_str().unwrap_or_default().to_owned();
                            acknowledged.lock().await.push((key, id, protocol));
                        }
                    }
                    Ok(response) => panic!("unexpected status {} before the kill", response.status()),
                    Err(_) => break,
                }
                index += CLIENTS as u64;
            }
        }));
    }
    let loaded = helpers::eventually(Duration::from_secs(600), || {
        let acknowledged = acknowledged.clone();
        async move { acknowledged.lock().await.len() >= filings_before_kill() }
    })
    .await;
    assert!(loaded, "the load reached {} filings", filings_before_kill());
    node.kill().await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let node = Node::start(
        &url,
        "risorto",
        dir.path(),
        &[("SPORTELLO_JOBS_ENABLED", "false")],
    )
    .await;
    let db = helpers::open(&url).await;
    let rows: Vec<(String, Option<String>, Option<String>)> = sportello::read_pool!(&db, |pool| {
        sqlx::query_as("SELECT id, create_key, protocol FROM domande")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let acknowledged = acknowledged.lock().await;
    for (key, id, protocol) in acknowledged.iter() {
        let copies: Vec<_> = rows
            .iter()
            .filter(|(_, k, _)| k.as_deref() == Some(key.as_str()))
            .collect();
        assert_eq!(copies.len(), 1, "filing {key} is there exactly once");
        assert_eq!(&copies[0].0, id, "with the id the client was given");
        assert_eq!(
            copies[0].2.as_deref(),
            Some(protocol.as_str()),
            "and its protocol number"
        );
    }
    let mut sequences: Vec<u64> = rows
        .iter()
        .filter_map(|(_, _, p)| p.as_deref())
        .filter_map(sportello::domande::model::Protocollo::parse)
        .map(|p| p.sequenza)
        .collect();
    sequences.sort_unstable();
    let expected: Vec<u64> = (1..=u64::try_from(rows.len()).unwrap()).collect();
    assert_eq!(sequences, expected, "protocol numbers are gap-free and unique");
    // A retry of an acknowledged filing, after the restart, is the same application.
    let (key, id, _) = &acknowledged[0];
    let index: u64 = key.trim_start_matches("durabilita-").parse().unwrap();
    let cf = sportello::loadgen::synthetic_cf(index);
    let pin = sportello::loadgen::synthetic_pin(&cf).unwrap();
    let client = helpers::client();
    let token: Value = client
        .post(format!("{}/api/v1/auth/pin", node.base_url))
        .json(&json!({ "codice_fiscale": cf, "pin": pin.as_str() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = client
        .post(format!("{}/api/v1/domande", node.base_url))
        .bearer_auth(token["token"].as_str().unwrap())
        .header("Idempotency-Key", key)
        .json(&json!({
            "modulo": "bonus-asilo-nido",
            "risposte": sportello::loadgen::answers(index),
            "invia": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK, "a retry finds the first filing");
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["id"].as_str(), Some(id.as_str()));
    db.close().await;
    node.terminate().await;
}
