//! Email through a real SMTP server (aiosmtpd, started by scripts/test) and SMS through a
//! real HTTP server, both sent by the job runner.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use sportello::notify::{self, DeliveryState, Email, MobileNumber, Sms};

use crate::helpers::{Backend, TestApp, eventually, free_port};
use crate::on_both_backends;

on_both_backends!(
    an_email_reaches_the_mail_server_in_utf8,
    a_refused_recipient_buries_the_job_at_once,
    a_busy_or_absent_mail_server_means_retry_until_it_is_back,
    an_sms_is_posted_to_the_gateway_with_its_token,
    without_a_mail_server_emails_wait_or_go_to_the_log,
);

/// The test SMTP server's address and the directory it writes messages into. Missing is a
/// failure, never a skip: scripts/test always starts the server.
pub fn smtp_server() -> (String, PathBuf) {
    let addr = std::env::var("SPORTELLO_TEST_SMTP").unwrap_or_else(|_| {
        panic!("SPORTELLO_TEST_SMTP is not set: run the suite with scripts/test, which starts an SMTP server")
    });
    let dir = std::env::var("SPORTELLO_TEST_SMTP_DIR").unwrap_or_else(|_| {
        panic!(
            "SPORTELLO_TEST_SMTP_DIR is not set: run the suite with scripts/test, which starts an SMTP server"
        )
    });
    (addr, PathBuf::from(dir))
}

/// The message the sink received for `recipient`, decoded by Python's email package.
pub fn received_for(dir: &std::path::Path, recipient: &str) -> Option<(Value, String)> {
    // Other tests write into the same directory at the same time: a file caught half-written
    // is skipped (it is someone else's or will be read whole on the next look), not the end.
    for entry in std::fs::read_dir(dir).ok()? {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Some(decoded) = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        else {
            continue;
        };
        if decoded["rcpt_tos"]
            .as_array()
            .is_some_and(|to| to.iter().any(|t| t == recipient))
        {
            let raw = std::fs::read_to_string(path.with_extension("eml")).ok()?;
            return Some((decoded, raw));
        }
    }
    None
}

pub fn unique_address(local: &str) -> String {
    format!("{local}.{}@example.it", uuid::Uuid::new_v4().simple())
}

async fn mail_app(backend: Backend, smtp_url: &str) -> TestApp {
    TestApp::spawn_with(
        backend,
        &[
            ("smtp_url", smtp_url),
            ("mail_from", "\"INPS Sportello\" <noreply@sportello.example.it>"),
            ("smtp_timeout_ms", "3000"),
        ],
    )
    .await
}

/// The job that sends a message, as (state, attempts, last_error).
async fn job_of(app: &TestApp, message_id: &str) -> (String, i32, Option<String>) {
    let key = format!("notifiche:{message_id}");
    sportello::read_pool!(&app.db, |pool| {
        sqlx::query_as::<_, (String, i32, Option<String>)>(
            "SELECT state, attempts, last_error FROM jobs WHERE dedupe_key = $1",
        )
        .bind(&key)
        .fetch_one(pool)
        .await
    })
    .unwrap()
}

async fn outbox_content(app: &TestApp, message_id: &str) -> Option<String> {
    sportello::read_pool!(&app.db, |pool| sqlx::query_scalar::<_, Option<String>>(
        "SELECT content FROM notify_outbox WHERE id = $1"
    )
    .bind(message_id)
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn an_email_reaches_the_mail_server_in_utf8(backend: Backend) {
    let (addr, dir) = smtp_server();
    let app = mail_app(backend, &format!("smtp://{addr}")).await;
    let to = unique_address("niccolo");
    let email = Email {
        to: to.clone(),
        subject: "Il tuo PIN: la prima metà".to_owned(),
        text_body: "Gentile Niccolò,\nla prima metà del tuo PIN è: AB12CD34.\nPerché è diviso? Così è più sicuro — l’altra metà arriva per posta.\n".to_owned(),
        html_body: None,
    };
    let id = notify::enqueue_email(&app.db, &email).await.unwrap();
    let arrived = eventually(Duration::from_secs(20), || {
        let (dir, to) = (dir.clone(), to.clone());
        async move { received_for(&dir, &to).is_some() }
    })
    .await;
    assert!(arrived, "the email reached the SMTP server");
    let (decoded, raw) = received_for(&dir, &to).unwrap();
    assert_eq!(decoded["to"], to.as_str());
    assert_eq!(decoded["subject"], "Il tuo PIN: la prima metà");
    assert_eq!(decoded["from"], "INPS Sportello <noreply@sportello.example.it>");
    assert_eq!(decoded["mail_from"], "noreply@sportello.example.it");
    assert_eq!(decoded["content_type"], "text/plain");
    assert_eq!(decoded["charset"], "utf-8");
    assert_eq!(
        decoded["text"].as_str().unwrap().replace("\r\n", "\n").trim_end(),
        email.text_body.trim_end()
    );
    assert_eq!(
        decoded["message_id"],
        format!("<{id}@sportello.example.it>").as_str()
    );
    assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");

    let sent = eventually(Duration::from_secs(10), || async {
        notify::delivery(&app.db, &id).await.unwrap().unwrap().state == DeliveryState::Sent
    })
    .await;
    assert!(sent, "the outbox says sent");
    assert_eq!(
        outbox_content(&app, &id).await,
        None,
        "the text (with the PIN) is cleared"
    );
    // The handler marks the message sent, then the runner marks its job done in a second
    // step: wait for that one too rather than race it.
    let done = eventually(Duration::from_secs(10), || async {
        job_of(&app, &id).await.0 == "done"
    })
    .await;
    assert!(done, "the job is done: {:?}", job_of(&app, &id).await);

    // Bad input never reaches the queue.
    let bad = Email {
        to: "non è un indirizzo".to_owned(),
        ..email
    };
    assert!(matches!(
        notify::enqueue_email(&app.db, &bad).await,
        Err(notify::NotifyError::BadAddress(_))
    ));
    app.stop().await;
}

async fn a_refused_recipient_buries_the_job_at_once(backend: Backend) {
    let (addr, _dir) = smtp_server();
    let app = mail_app(backend, &format!("smtp://{addr}")).await;
    let email = Email {
        to: "rifiuta@example.it".to_owned(),
        subject: "Prova".to_owned(),
        text_body: "Questo messaggio sarà rifiutato.".to_owned(),
        html_body: None,
    };
    let id = notify::enqueue_email(&app.db, &email).await.unwrap();
    let buried = eventually(Duration::from_secs(20), || async {
        job_of(&app, &id).await.0 == "dead"
    })
    .await;
    assert!(
        buried,
        "a 5xx answer buries the job: {:?}",
        job_of(&app, &id).await
    );
    let (_, attempts, error) = job_of(&app, &id).await;
    assert_eq!(attempts, 1, "no retry after a permanent refusal");
    assert!(error.unwrap_or_default().contains("550"));
    let delivery = notify::delivery(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(delivery.state, DeliveryState::Failed);
    assert!(delivery.last_error.unwrap_or_default().contains("550"));
    assert_eq!(outbox_content(&app, &id).await, None);
    app.stop().await;
}

async fn a_busy_or_absent_mail_server_means_retry_until_it_is_back(backend: Backend) {
    let (addr, dir) = smtp_server();
    // A 451 from a real server: tried again later.
    let app = mail_app(backend, &format!("smtp://{addr}")).await;
    let busy = notify::enqueue_email(
        &app.db,
        &Email {
            to: "occupato@example.it".to_owned(),
            subject: "Prova".to_owned(),
            text_body: "Riprova più tardi.".to_owned(),
            html_body: None,
        },
    )
    .await
    .unwrap();
    let retried = eventually(Duration::from_secs(20), || async {
        let (state, attempts, _) = job_of(&app, &busy).await;
        state == "queued" && attempts == 1
    })
    .await;
    assert!(
        retried,
        "a 4xx answer is retried: {:?}",
        job_of(&app, &busy).await
    );
    assert!(job_of(&app, &busy).await.2.unwrap_or_default().contains("451"));
    assert_eq!(
        notify::delivery(&app.db, &busy).await.unwrap().unwrap().state,
        DeliveryState::Queued
    );
    let database_url = app.database_url.clone();
    let files_dir = tempfile::tempdir().unwrap();
    let files = files_dir.path().join("files");
    // Keeps the SQLite database the next nodes open.
    let _database_dir = app.stop().await;

    // No server at all (connection refused): queued again with a backoff.
    let down = format!("smtp://127.0.0.1:{}", free_port());
    let node = TestApp::spawn_on(
        &database_url,
        files.clone(),
        &[
            ("smtp_url", down.as_str()),
            ("mail_from", "noreply@sportello.example.it"),
        ],
    )
    .await;
    let to = unique_address("ritardo");
    let id = notify::enqueue_email(
        &node.db,
        &Email {
            to: to.clone(),
            subject: "Arriverà".to_owned(),
            text_body: "Questo messaggio arriva quando il server torna.".to_owned(),
            html_body: None,
        },
    )
    .await
    .unwrap();
    let failed_once = eventually(Duration::from_secs(20), || async {
        let (state, attempts, _) = job_of(&node, &id).await;
        state == "queued" && attempts == 1
    })
    .await;
    assert!(
        failed_once,
        "connection refused is retried: {:?}",
        job_of(&node, &id).await
    );
    assert!(received_for(&dir, &to).is_none());
    node.stop().await;

    // The server is back: a node that can reach it sends the message on the next attempt
    // (the backoff is shortened instead of waiting 10 s).
    let node = TestApp::spawn_on(
        &database_url,
        files,
        &[
            ("smtp_url", format!("smtp://{addr}").as_str()),
            ("mail_from", "noreply@sportello.example.it"),
        ],
    )
    .await;
    sportello::write_pool!(&node.db, |pool| sqlx::query(
        "UPDATE jobs SET run_at = 0 WHERE dedupe_key = $1"
    )
    .bind(format!("notifiche:{id}"))
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    let arrived = eventually(Duration::from_secs(20), || {
        let (dir, to) = (dir.clone(), to.clone());
        async move { received_for(&dir, &to).is_some() }
    })
    .await;
    assert!(arrived, "delivered once the server is back");
    let done = eventually(Duration::from_secs(10), || async {
        job_of(&node, &id).await.0 == "done"
    })
    .await;
    assert!(done, "{:?}", job_of(&node, &id).await);
    assert_eq!(job_of(&node, &id).await.1, 2, "sent on the second attempt");
    node.stop().await;
}

/// What the fake gateway saw.
type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A real HTTP server on port 0 standing in for an SMS gateway: refuses texts containing
/// "rifiuta" with 422, accepts the rest.
async fn sms_gateway() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let log = log.clone();
            async move {
                let refuse = body["text"].as_str().unwrap_or("").contains("rifiuta");
                log.lock().unwrap().push((headers, body));
                if refuse {
                    (StatusCode::UNPROCESSABLE_ENTITY, "numero non raggiungibile")
                } else {
                    (StatusCode::OK, "{\"accepted\":true}")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, seen)
}

async fn an_sms_is_posted_to_the_gateway_with_its_token(backend: Backend) {
    let (url, seen) = sms_gateway().await;
    let app = TestApp::spawn_with(
        backend,
        &[
            ("sms_gateway_url", url.as_str()),
            ("sms_gateway_token", "gettone-segreto"),
        ],
    )
    .await;
    let sms = Sms {
        to: MobileNumber::parse("+39 333 123 4567").unwrap(),
        text: "Prima metà del PIN: AB12CD34".to_owned(),
    };
    let id = notify::enqueue_sms(&app.db, &sms).await.unwrap();
    let sent = eventually(Duration::from_secs(20), || async {
        notify::delivery(&app.db, &id).await.unwrap().unwrap().state == DeliveryState::Sent
    })
    .await;
    assert!(sent, "sent: {:?}", job_of(&app, &id).await);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (headers, body) = &seen[0];
        assert_eq!(headers["authorization"], "Bearer gettone-segreto");
        assert_eq!(headers["idempotency-key"], id.as_str());
        assert_eq!(body["to"], "+393331234567");
        assert_eq!(body["text"], "Prima metà del PIN: AB12CD34");
        assert_eq!(body["reference"], id.as_str());
    }
    assert_eq!(outbox_content(&app, &id).await, None);

    let refused = notify::enqueue_sms(
        &app.db,
        &Sms {
            to: MobileNumber::parse("3471234567").unwrap(),
            text: "rifiuta questo".to_owned(),
        },
    )
    .await
    .unwrap();
    let buried = eventually(Duration::from_secs(20), || async {
        job_of(&app, &refused).await.0 == "dead"
    })
    .await;
    assert!(buried, "a 4xx from the gateway buries the job");
    assert_eq!(job_of(&app, &refused).await.1, 1);
    assert_eq!(
        notify::delivery(&app.db, &refused).await.unwrap().unwrap().state,
        DeliveryState::Failed
    );
    app.stop().await;
}

async fn without_a_mail_server_emails_wait_or_go_to_the_log(backend: Backend) {
    let email = Email {
        to: "mario.rossi@example.it".to_owned(),
        subject: "Prova".to_owned(),
        text_body: "Testo".to_owned(),
        html_body: None,
    };
    // Unconfigured: the email waits and its attempts fail, to be retried once SMTP is set.
    let app = TestApp::spawn(backend).await;
    let id = notify::enqueue_email(&app.db, &email).await.unwrap();
    // Attempts are counted when a job is claimed: wait until the first one has failed and the
    // job is back in the queue (not merely claimed).
    let failed = eventually(Duration::from_secs(20), || async {
        let (state, attempts, _) = job_of(&app, &id).await;
        attempts == 1 && state == "queued"
    })
    .await;
    assert!(failed);
    let (state, _, error) = job_of(&app, &id).await;
    assert_eq!(state, "queued");
    assert!(error.unwrap_or_default().contains("smtp_url"));
    assert!(
        outbox_content(&app, &id).await.is_some(),
        "kept for the next attempt"
    );
    app.stop().await;

    // Development and demo: written to the log and counted as sent.
    let app = TestApp::spawn_with(backend, &[("notify_log_fallback", "true")]).await;
    let id = notify::enqueue_email(&app.db, &email).await.unwrap();
    let sms = notify::enqueue_sms(
        &app.db,
        &Sms {
            to: MobileNumber::parse("3331234567").unwrap(),
            text: "Prova".to_owned(),
        },
    )
    .await
    .unwrap();
    let logged = eventually(Duration::from_secs(20), || async {
        notify::delivery(&app.db, &id).await.unwrap().unwrap().state == DeliveryState::Sent
            && notify::delivery(&app.db, &sms).await.unwrap().unwrap().state == DeliveryState::Sent
    })
    .await;
    assert!(logged);
    app.stop().await;
}
