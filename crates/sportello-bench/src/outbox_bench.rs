//! Outbox throughput to a real SMTP server.
//!
//! `outbox-bench [EMAILS] [JOBS_CONCURRENCY]`: starts a Sportello node (HTTP, job runner) on a
//! fresh SQLite database in a temp dir, with `smtp_url` pointing at the SMTP server in the
//! environment variable `SPORTELLO_TEST_SMTP` (host:port; start one with
//! `. scripts/lib/smtp-server.sh; smtp_server_start`), enqueues EMAILS emails (default 5000)
//! through `notify::enqueue_email`, exactly as the application does, and waits until the
//! outbox says every one was accepted by the server. Prints
//! `outbox emails: N seconds: S emails/s: R`, measured from the first enqueue to the last
//! delivery. `SPORTELLO_TEST_SMTP=none` measures the queue alone: no SMTP, emails go to the
//! (silent) log instead (`notify_log_fallback`).

use std::time::{Duration, Instant};

use sportello::config::Layers;
use sportello::notify::{self, Email};
use sportello::storage::Db;

async fn sent(db: &Db) -> Result<i64, String> {
    sportello::read_pool!(db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notify_outbox WHERE state = 'sent'"
    )
    .fetch_one(pool)
    .await)
    .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let emails: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5000);
    let concurrency: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(16);
    let smtp = std::env::var("SPORTELLO_TEST_SMTP").map_err(|_| {
        "SPORTELLO_TEST_SMTP is not set: start an SMTP server with `. scripts/lib/smtp-server.sh; smtp_server_start`"
            .to_owned()
    })?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let flag = |layers: Layers, key: &'static str, value: String| layers.flag(key, "bench", Some(value));
    let mut layers = Layers::defaults();
    for (key, value) in [
        ("bind", "127.0.0.1:0".to_owned()),
        (
            "database_url",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        ),
        ("files_dir", dir.path().join("files").display().to_string()),
        (
            "mail_from",
            "\"Sportello\" <noreply@sportello.example.it>".to_owned(),
        ),
        ("jobs_concurrency", concurrency.to_string()),
        ("jobs_poll_interval_ms", "50".to_owned()),
        ("log_level", "warn".to_owned()),
    ] {
        layers = flag(layers, key, value);
    }
    layers = if smtp == "none" {
        flag(layers, "notify_log_fallback", "true".to_owned())
    } else {
        flag(layers, "smtp_url", format!("smtp://{smtp}"))
    };
    let config = layers.build().map_err(|e| e.to_string())?;
    let server = sportello::Server::build(config)
        .await
        .map_err(|e| e.to_string())?;
    let db = server.db().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));

    let started = Instant::now();
    // The application enqueues from many requests at once: a few tasks stand in for them.
    let producers = 8;
    let mut tasks = Vec::new();
    for p in 0..producers {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in (p..emails).step_by(producers) {
                let email = Email {
                    to: format!("cittadino{i}@example.it"),
                    subject: "Hai un nuovo messaggio".to_owned(),
                    text_body: "Hai un nuovo messaggio nella tua cassetta postale.\n\nPer leggerlo, accedi: https://servizi.example.it/area-personale/cassetta\n".to_owned(),
                    html_body: Some("<!DOCTYPE html><html lang=\"it\"><body><p>Hai un nuovo messaggio nella tua cassetta postale.</p><p><a href=\"https://servizi.example.it/area-personale/cassetta\">Apri la cassetta postale</a></p></body></html>".to_owned()),
                };
                notify::enqueue_email(&db, &email).await.map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let enqueued = started.elapsed();
    let target = i64::try_from(emails).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done = sent(&db).await?;
        if done >= target {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {done} of {emails} emails sent after 10 minutes"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "(enqueueing took {:.2} s; jobs_concurrency {concurrency})",
        enqueued.as_secs_f64()
    );
    println!(
        "outbox emails: {emails} seconds: {seconds:.2} emails/s: {:.0}",
        emails as f64 / seconds
    );
    let _ = stop.send(());
    let _ = running.await;
    Ok(())
}
