//! Latency of the mailbox page for a citizen with 5,000 letters.
//!
//! `mailbox-bench`: starts Sportello in-process on a fresh SQLite file, files 5,000 letters
//! for one citizen (rows only: the list never reads the PDFs), opens a session for them, then
//! asks for the mailbox page 3,000 times in a row over one keep-alive connection, cycling
//! through the first page, a search and a filter (kind + unread). Every request goes through
//! the whole stack: session lookup, header badge count, list query, template. Prints
//! `mailbox letters: N requests: R p50_ms: X p99_ms: Y`.
//! Run it in release: `cargo run --release -p sportello-bench --bin mailbox-bench`.

use std::time::{Duration, Instant};

use sportello::cassetta::{self, Message, MessageKind};
use sportello::config::Layers;
use sportello::identity::accounts::{self, NewAccount, Role};
use sportello::identity::session::{self, Lifetime};
use sportello::storage::files::FileKey;

const LETTERS: i64 = 5_000;
const REQUESTS: usize = 3_000;
const WARM_UP: usize = 100;

const PAGES: [&str; 3] = [
    "/area-personale/cassetta",
    "/area-personale/cassetta?q=numero+4242",
    "/area-personale/cassetta?tipo=avviso-pagamento&stato=da-leggere",
];

#[tokio::main]
async fn main() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = Layers::defaults()
        .flag("bind", "bench", Some("127.0.0.1:0".to_owned()))
        .flag(
            "database_url",
            "bench",
            Some(format!("sqlite://{}", dir.path().join("bench.db").display())),
        )
        .flag(
            "files_dir",
            "bench",
            Some(dir.path().join("files").display().to_string()),
        )
        .flag("cookie_secure", "bench", Some("false".to_owned()))
        .flag("log_level", "bench", Some("warn".to_owned()))
        .build()
        .map_err(|e| e.to_string())?;
    let server = sportello::Server::build(config)
        .await
        .map_err(|e| e.to_string())?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    let db = server.db().clone();

    let account = accounts::create(
        &db,
        &NewAccount {
            codice_fiscale: Some("RSSMRA80A01H501U"),
            display_name: "Mario Rossi",
            role: Role::Cittadino,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let kinds = MessageKind::ALL;
    let start = 1_700_000_000_000i64;
    for n in 0..LETTERS {
        let kind = kinds[usize::try_from(n).unwrap_or(0) % kinds.len()];
        let message = Message {
            id: format!("01900000-0000-7000-8000-{n:012x}"),
            account_id: account.clone(),
            kind,
            subject: format!("{} numero {n}", label(kind)),
            sender_office: "Sede di Roma Centro".to_owned(),
            reference: Some(format!("PRAT-2026-{n:06}")),
            file_key: FileKey::generate("cassetta").as_str().to_owned(),
            size_bytes: 18_000,
            created_at: start + n * 3_600_000,
            // One letter in ten is still unread.
            read_at: (n % 10 != 0).then_some(start + n * 3_600_000 + 60_000),
        };
        cassetta::insert(&db, &message).await.map_err(|e| e.to_string())?;
    }
    let token = session::create(
        &db,
        &account,
        Lifetime {
            idle: Duration::from_secs(3_600),
            absolute: Duration::from_secs(12 * 3_600),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let cookie = format!("sportello={token}");

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));

    // One connection, kept alive: requests go one after the other.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|e| e.to_string())?;
    let base = format!("http://{addr}");
    let fetch = |path: &'static str| {
        let request = client
            .get(format!("{base}{path}"))
            .header(reqwest::header::COOKIE, cookie.as_str());
        async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response.text().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("{path}: {status}"));
            }
            Ok::<_, String>(body)
        }
    };
    // The pages show what they should.
    let first = fetch(PAGES[0]).await?;
    let search = fetch(PAGES[1]).await?;
    let filtered = fetch(PAGES[2]).await?;
    if !first.contains("numero 4999") || !first.contains("prima_di=") {
        return Err("the first page does not show the newest letters".to_owned());
    }
    if !search.contains("numero 4242") || search.contains("numero 4243") {
        return Err("the search does not find its letter".to_owned());
    }
    if !filtered.contains("Avviso di pagamento numero") || filtered.contains("Decisione numero") {
        return Err("the filter does not filter".to_owned());
    }
    for i in 0..WARM_UP {
        fetch(PAGES[i % PAGES.len()]).await?;
    }
    let mut latencies = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        let started = Instant::now();
        fetch(PAGES[i % PAGES.len()]).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64) * q) as usize)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    println!(
        "mailbox letters: {LETTERS} requests: {REQUESTS} p50_ms: {:.2} p99_ms: {:.2}",
        at(0.50),
        at(0.99)
    );
    let _ = stop.send(());
    serving
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn label(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Decisione => "Decisione",
        MessageKind::RichiestaDocumenti => "Richiesta di documenti",
        MessageKind::AvvisoPagamento => "Avviso di pagamento",
        MessageKind::Pin => "Lettera del PIN",
        MessageKind::Risposta => "Risposta",
        MessageKind::Comunicazione => "Comunicazione",
    }
}
