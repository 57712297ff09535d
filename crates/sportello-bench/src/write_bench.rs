//! Small write transactions per second through Sportello's own storage code.
//!
//! `write-bench [DATABASE_URL] [SECONDS] [CLIENTS]`: CLIENTS tasks each store accessibility
//! reports (one INSERT, one transaction each) as fast as they can for SECONDS, through the
//! same pools the server uses (on SQLite: the single writer connection). Prints transactions
//! per second and latency percentiles. With no URL, a fresh SQLite file in a temp dir.

use std::time::{Duration, Instant};

use sportello::accessibilita::model::NuovaSegnalazione;
use sportello::accessibilita::store;
use sportello::config::Layers;

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = args
        .next()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let clients: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(32);

    let config = Layers::defaults()
        .flag("database_url", "bench", Some(url.clone()))
        .flag(
            "database_max_connections",
            "bench",
            Some(clients.min(64).to_string()),
        )
        .flag("database_acquire_timeout_ms", "bench", Some("30000".to_owned()))
        .build()
        .map_err(|e| e.to_string())?;
    let db = sportello::open_database(&config, true)
        .await
        .map_err(|e| e.to_string())?;
    let report = NuovaSegnalazione {
        descrizione: "Il pulsante Invia non si raggiunge con la tastiera.".to_owned(),
        pagina: Some("/servizi".to_owned()),
        email: None,
    };

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let db = db.clone();
        let report = report.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                store::insert(&db, &report, "it")
                    .await
                    .map_err(|e| e.to_string())?;
                latencies.push(started.elapsed());
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| e.to_string())??);
    }
    latencies.sort();
    let count = latencies.len();
    let at = |q: f64| {
        latencies
            .get(((count as f64) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    let backend = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    println!(
        "{backend}: {clients} clients, {seconds} s: {count} transactions, {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms",
        count as f64 / seconds as f64,
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
    );
    db.close().await;
    Ok(())
}
