//! Click day, replayed: synthetic citizens with valid codici fiscali and known PINs (seeded by
//! `sportello admin synthetic-citizens`), and the load generator `sportello loadgen`, where
//! each citizen logs in with the PIN and files one application through the API, as the mobile
//! app does.
//!
//! Arrivals are open-loop: citizen `i` arrives at `i × duration / citizens` whatever happened
//! to the others, and its latency counts from that instant, so a slow server cannot hide its
//! queue by slowing the generator (no coordinated omission). A `503` or `429` with
//! `Retry-After` is the server admitting fairly: the citizen waits as told and tries again,
//! and that wait is part of its latency. Anything else that is not a protocol number is an
//! error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::identity::codice_fiscale::{self, PersonalData, Sex};
use crate::identity::pin::{ALPHABET, PIN_LEN, Pin, PinKey};
use crate::storage::{Db, StorageError, now_ms};
use crate::{audit_append, write_pool};

/// Belfiore codes the synthetic citizens are born in (big comuni, so the codes are real).
const BIRTHPLACES: [&str; 10] = [
    "H501", "F205", "F839", "L219", "G273", "A944", "D612", "A662", "C351", "L736",
];
/// Days of birth dates spread from 1 January 1940.
const BIRTH_DAYS: u64 = 23_000;

/// The codice fiscale of synthetic citizen `index` (distinct for every index below 920,000;
/// above that the given name changes too).
pub fn synthetic_cf(index: u64) -> String {
    synthetic_person(index).0
}

/// Codice fiscale, birth date (ISO) and Belfiore code of synthetic citizen `index`.
fn synthetic_person(index: u64) -> (String, String, &'static str) {
    let day = index % BIRTH_DAYS;
    let sex = if (index / BIRTH_DAYS).is_multiple_of(2) {
        Sex::M
    } else {
        Sex::F
    };
    let place = BIRTHPLACES[((index / (2 * BIRTH_DAYS)) % 10) as usize];
    let names = ["Cittadino", "Utente", "Persona", "Richiedente", "Soggetto"];
    let given = names[((index / (20 * BIRTH_DAYS)) % 5) as usize];
    let birth = jiff::civil::date(1940, 1, 1)
        .checked_add(jiff::Span::new().days(i64::try_from(day).unwrap_or(0)))
        .unwrap_or_else(|_| jiff::civil::date(1940, 1, 1));
    let cf = codice_fiscale::encode(&PersonalData {
        surname: "Sintetico".to_owned(),
        given_name: given.to_owned(),
        sex,
        birth_date: birth,
        birthplace_code: place.to_owned(),
    })
    .map(|cf| cf.as_str().to_owned())
    .unwrap_or_default();
    (cf, birth.to_string(), place)
}

/// The PIN of a synthetic citizen: derived from the codice fiscale, so the generator knows
/// it without a file. These accounts exist for load tests only: never seed them on a site
/// that real people use.
pub fn synthetic_pin(cf: &str) -> Option<Pin> {
    let digest = Sha256::digest(format!("sportello-loadgen-pin:{cf}").as_bytes());
    let text: String = digest
        .iter()
        .take(PIN_LEN)
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    Pin::parse(&text).ok()
}

/// The account id of a synthetic citizen: stable, so seeding twice adds nothing.
fn synthetic_account_id(cf: &str) -> String {
    let digest = Sha256::digest(format!("sportello-loadgen-account:{cf}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string()
}

/// Rows per insert statement when seeding.
const SEED_CHUNK: u64 = 200;

/// Creates synthetic citizens `0..count` that do not exist yet, each with an active PIN
/// dispositivo and a residence in Rome, in transactions of a few thousand rows. Returns how
/// many accounts were added. One audit entry records the seeding.
pub async fn seed(db: &Db, key: &PinKey, count: u64) -> Result<u64, StorageError> {
    let mut added = 0;
    let now = now_ms();
    let year = 365 * 86_400_000_i64;
    let mut start = 0;
    while start < count {
        let end = (start + SEED_CHUNK * 10).min(count);
        let people: Vec<(String, String, Pin, String, &str)> = (start..end)
            .filter_map(|i| {
                let (cf, birth, place) = synthetic_person(i);
                let pin = synthetic_pin(&cf)?;
                Some((synthetic_account_id(&cf), cf, pin, birth, place))
            })
            .collect();
        let entry = crate::audit::Entry::new("cittadini-sintetici.creati")
            .detail("da", i64::try_from(start).unwrap_or(0))
            .detail("a", i64::try_from(end).unwrap_or(0));
        let inserted = write_pool!(db, |pool| {
            async {
            let mut tx = pool.begin().await?;
            let mut inserted = 0;
            for chunk in people.chunks(usize::try_from(SEED_CHUNK).unwrap_or(200)) {
                let rows = |columns: usize| {
                    (0..chunk.len())
                        .map(|r| {
                            let params: Vec<String> =
                                (1..=columns).map(|c| format!("${}", r * columns + c)).collect();
                            format!("({})", params.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let sql = format!(
                    "INSERT INTO accounts (id, codice_fiscale, display_name, role, created_at) VALUES {}
                     ON CONFLICT DO NOTHING",
                    rows(5)
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, cf, ..) in chunk {
                    query = query
                        .bind(id)
                        .bind(cf)
                        .bind(format!("Cittadino sintetico {}", &cf[6..11]))
                        .bind("cittadino")
                        .bind(now);
                }
                inserted += query.execute(&mut *tx).await?.rows_affected();
                let sql = format!(
                    "INSERT INTO pins (id, account_id, secret_hash, state, level, channel, issued_at, activate_by,
                        activated_at, expires_at) VALUES {} ON CONFLICT DO NOTHING",
                    rows(10)
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, _, pin, ..) in chunk {
                    query = query
                        .bind(uuid::Uuid::now_v7().to_string())
                        .bind(id)
                        .bind(key.hash(id, pin))
                        .bind("attivo")
                        .bind("dispositivo")
                        .bind("email")
                        .bind(now)
                        .bind(now + year)
                        .bind(now)
                        .bind(now + year);
                }
                query.execute(&mut *tx).await?;
                let sql = format!(
                    "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code,
                        address_street, address_cap, address_comune, address_provincia, updated_at) VALUES {}
                     ON CONFLICT DO NOTHING",
                    profile_rows(chunk.len())
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, _, _, birth, place) in chunk {
                    query = query.bind(id).bind(birth).bind(*place);
                }
                query.execute(&mut *tx).await?;
            }
            audit_append!(tx, &entry);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(inserted)
        }
        .await
        })?;
        added += inserted;
        start = end;
    }
    Ok(added)
}

/// `(account, 'Cittadino', 'Sintetico', birth date, birthplace, Rome address…)` rows with 3
/// parameters each.
fn profile_rows(count: usize) -> String {
    (0..count)
        .map(|r| {
            format!(
                "(${}, 'Cittadino', 'Sintetico', ${}, ${}, 'Via del Corso 1', '00186', 'Roma', 'RM', 0)",
                r * 3 + 1,
                r * 3 + 2,
                r * 3 + 3
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What to replay.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    pub citizens: u64,
    pub duration: Duration,
    /// Requests in flight at most (the generator's own sockets).
    pub concurrency: usize,
    /// The first synthetic citizen (to run again with fresh people).
    pub first: u64,
    /// Save a draft, then file it (the pages' path), instead of filing in one request.
    pub drafts: bool,
}

/// The answers of a bonus asilo nido application for citizen `index`.
pub fn answers(index: u64) -> Value {
    let child = codice_fiscale::encode(&PersonalData {
        surname: "Sintetico".to_owned(),
        given_name: "Bambino".to_owned(),
        sex: if index.is_multiple_of(2) { Sex::M } else { Sex::F },
        birth_date: jiff::civil::date(2025, 3, 10),
        birthplace_code: "H501".to_owned(),
    })
    .map(|cf| cf.as_str().to_owned())
    .unwrap_or_default();
    json!({
        "cf_figlio": child,
        "data_nascita_figlio": "2025-03-10",
        "nome_nido": "Asilo nido comunale Il Girasole",
        "comune_nido": "Roma",
        "tipo_nido": if index.is_multiple_of(3) { "privato" } else { "pubblico" },
        "mesi": 10,
        "retta_mensile": "350,00",
        "iban": "IT60X0542811101000000123456",
    })
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Applications whose protocol number the client holds.
    pub submissions: u64,
    pub errors: u64,
    /// `503`/`429` answers that told the client when to come back.
    pub deferred: u64,
    pub elapsed: Duration,
    /// Milliseconds from each citizen's arrival to their protocol number, sorted.
    pub latencies: Vec<f64>,
    /// The first few errors, to say what went wrong.
    pub samples: Vec<String>,
}

impl Summary {
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    pub fn rate(&self) -> f64 {
        self.submissions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The one line the issue asks for.
    pub fn line(&self) -> String {
        format!(
            "submissions/s: {:.1} p50_ms: {:.1} p99_ms: {:.1} errors: {}",
            self.rate(),
            self.percentile(50.0),
            self.percentile(99.0),
            self.errors
        )
    }
}

#[derive(Default)]
struct Counters {
    deferred: AtomicU64,
}

enum Outcome {
    Filed(f64),
    Failed(String),
}

/// Sends `request` until it is not deferred: a `503`/`429` with `Retry-After` waits as told.
async fn send(
    request: impl Fn() -> reqwest::RequestBuilder,
    counters: &Counters,
) -> Result<reqwest::Response, String> {
    loop {
        let response = request().send().await.map_err(|err| format!("request: {err}"))?;
        let status = response.status();
        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<f64>().ok());
            if let Some(seconds) = wait {
                counters.deferred.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs_f64(seconds.clamp(0.05, 30.0))).await;
                continue;
            }
        }
        return Ok(response);
    }
}

async fn citizen(
    client: &reqwest::Client,
    url: &str,
    run: &str,
    index: u64,
    drafts: bool,
    counters: &Counters,
) -> Result<(), String> {
    let cf = synthetic_cf(index);
    let pin = synthetic_pin(&cf).ok_or("no PIN")?;
    let login = send(
        || {
            client
                .post(format!("{url}/api/v1/auth/pin"))
                .json(&json!({ "codice_fiscale": cf, "pin": pin.as_str() }))
        },
        counters,
    )
    .await?;
    if login.status() != reqwest::StatusCode::CREATED {
        return Err(format!("login: {}", login.status()));
    }
    let token: Value = login.json().await.map_err(|err| format!("login body: {err}"))?;
    let token = token["token"].as_str().ok_or("login: no token")?.to_owned();
    let key = format!("loadgen-{run}-{index}");
    let body = json!({ "modulo": "bonus-asilo-nido", "risposte": answers(index), "invia": !drafts });
    let created = send(
        || {
            client
                .post(format!("{url}/api/v1/domande"))
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&body)
        },
        counters,
    )
    .await?;
    let filed = if drafts {
        let status = created.status();
        let draft: Value = created
            .json()
            .await
            .map_err(|err| format!("draft body ({status}): {err}"))?;
        let id = draft["id"].as_str().ok_or(format!("draft: {status}"))?.to_owned();
        send(
            || {
                client
                    .post(format!("{url}/api/v1/domande/{id}/invio"))
                    .bearer_auth(&token)
            },
            counters,
        )
        .await?
    } else {
        created
    };
    let status = filed.status();
    let view: Value = filed
        .json()
        .await
        .map_err(|err| format!("filing body ({status}): {err}"))?;
    match view["protocollo"].as_str() {
        Some(protocol) if !protocol.is_empty() => Ok(()),
        _ => Err(format!(
            "filing: {status} {}",
            view.get("code").and_then(Value::as_str).unwrap_or_default()
        )),
    }
}

/// Replays the click day and measures it.
pub async fn run(options: &Options) -> Result<Summary, String> {
    let url = options.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .map_err(|err| err.to_string())?;
    let run = format!("{:x}", now_ms());
    let counters = Arc::new(Counters::default());
    let gate = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let spacing = options.duration.as_secs_f64() / options.citizens.max(1) as f64;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut results = Vec::new();
    for n in 0..options.citizens {
        let arrival = start + Duration::from_secs_f64(spacing * n as f64);
        tokio::time::sleep_until(arrival.into()).await;
        let permit = gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|err| err.to_string())?;
        let (client, url, run, counters) = (client.clone(), url.clone(), run.clone(), counters.clone());
        let (index, drafts) = (options.first + n, options.drafts);
        tasks.spawn(async move {
            let outcome = match citizen(&client, &url, &run, index, drafts, &counters).await {
                Ok(()) => Outcome::Filed(arrival.elapsed().as_secs_f64() * 1000.0),
                Err(err) => Outcome::Failed(err),
            };
            drop(permit);
            outcome
        });
        // Collect finished tasks as we go, so the set does not grow on long runs.
        while let Some(done) = tasks.try_join_next() {
            results.push(done);
        }
    }
    let mut summary = Summary::default();
    while let Some(done) = tasks.join_next().await {
        results.push(done);
    }
    summary.elapsed = start.elapsed();
    for done in results {
        match done {
            Ok(Outcome::Filed(ms)) => {
                summary.submissions += 1;
                summary.latencies.push(ms);
            }
            Ok(Outcome::Failed(err)) => {
                summary.errors += 1;
                if summary.samples.len() < 5 {
                    summary.samples.push(err);
                }
            }
            Err(err) => {
                summary.errors += 1;
                summary.samples.push(err.to_string());
            }
        }
    }
    summary.deferred = counters.deferred.load(Ordering::Relaxed);
    summary.latencies.sort_by(f64::total_cmp);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::codice_fiscale::CodiceFiscale;

    #[test]
    fn synthetic_codes_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..200_000).step_by(7) {
            let cf = synthetic_cf(i);
            assert!(CodiceFiscale::parse(&cf).is_ok(), "{i}: {cf}");
            assert!(seen.insert(cf), "{i} repeats a code");
        }
        assert!(synthetic_pin(&synthetic_cf(3)).is_some());
        assert_ne!(synthetic_pin(&synthetic_cf(3)), synthetic_pin(&synthetic_cf(4)));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let summary = Summary {
            submissions: 100,
            latencies: (1..=100).map(f64::from).collect(),
            elapsed: Duration::from_secs(10),
            ..Summary::default()
        };
        assert_eq!(summary.percentile(50.0), 50.0);
        assert_eq!(summary.percentile(99.0), 99.0);
        assert_eq!(
            summary.line(),
            "submissions/s: 10.0 p50_ms: 50.0 p99_ms: 99.0 errors: 0"
        );
    }
}
