//! Notifications: the citizen's choices, alerts on every channel (a real SMTP server, real
//! HTTP gateways), durability across an SMTP outage and a restart, the staff's dead letters,
//! and the app's push devices.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use sportello::config::Config;
use sportello::identity::accounts::Role;
use sportello::notify::alerts::{self, Alert};

use crate::helpers::{Backend, TestApp, eventually, free_port, test_config};
use crate::kit::{
    Browser, Person, Reply, api_login, audited, citizen, exec, rome_date, scalar, staff_browser, staff_member,
};
use crate::notify::{smtp_server, unique_address};
use crate::on_both_backends;

on_both_backends!(
    preferences_have_defaults_save_and_clear_refusals,
    a_delegate_or_staff_cannot_change_a_citizens_preferences,
    an_alert_goes_out_on_every_chosen_channel_without_personal_data,
    an_email_survives_an_smtp_outage_and_a_restart,
    queueing_an_alert_does_not_wait_for_a_slow_mail_server,
    staff_see_dead_letters_masked_and_retry_them,
    the_app_registers_lists_and_removes_its_phones,
);

const PUBLIC_URL: &str = "https://servizi.example.it";
const MAILBOX_LINK: &str = "https://servizi.example.it/area-personale/cassetta";
const ANNA_CF: &str = "BNCNNA52T45F205Q";
const MARIO_CF: &str = "RSSMRA80A01H501U";
const DARIO_CF: &str = "DRAMNC60A01F205U";

/// Gives `person` a registration profile with these contacts.
async fn profile(app: &TestApp, person: &Person, email: Option<&str>, mobile: Option<&str>) {
    let quote = |v: Option<&str>| v.map_or_else(|| "NULL".to_owned(), |v| format!("'{v}'"));
    let (given, surname) = person.name.split_once(' ').unwrap();
    exec(
        &app.db,
        &format!(
            "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code,
                 email, mobile, address_street, address_cap, address_comune, address_provincia, updated_at)
             VALUES ('{}', '{given}', '{surname}', '1980-01-01', 'H501', {}, {},
                     'Via Roma 1', '00100', 'Roma', 'RM', 0)",
            person.id,
            quote(email),
            quote(mobile)
        ),
    )
    .await;
}

/// The configuration a node with `extra` runs with (for calling `alert` as a handler would).
fn config_of(app: &TestApp, extra: &[(&'static str, &str)]) -> Config {
    let mut all = vec![("public_url", PUBLIC_URL)];
    all.extend_from_slice(extra);
    test_config(&app.database_url, std::env::temp_dir().join("unused-files"), &all)
}

async fn preferences_row(app: &TestApp, account: &str) -> i64 {
    scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM notification_preferences WHERE account_id = '{account}'"),
    )
    .await
}

async fn save(browser: &mut Browser, fields: &[(&str, &str)]) -> Reply {
    let form = browser.get("/area-personale/notifiche").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let token = form.csrf();
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    browser.post("/area-personale/notifiche", &all).await
}

fn checked(reply: &Reply, id: &str) -> bool {
    let Some(start) = reply.body.find(&format!("id=\"{id}\"")) else {
        panic!("no field {id}: {}", reply.body)
    };
    let end = start + reply.body[start..].find('>').unwrap();
    reply.body[start..end].contains("checked")
}

async fn preferences_have_defaults_save_and_clear_refusals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    profile(&app, &anna, Some("anna.bianchi@example.it"), None).await;

    // Defaults: email because an address is on file, Italian; the contacts are shown.
    let mut a = Browser::logged_in(&app, &anna).await;
    let area = a.get("/area-personale").await;
    assert!(
        area.has("href=\"/area-personale/notifiche\""),
        "linked from the area"
    );
    let page = a.get("/area-personale/notifiche").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("anna.bianchi@example.it"));
    assert!(checked(&page, "campo-email") && !checked(&page, "campo-sms") && !checked(&page, "campo-push"));
    assert!(checked(&page, "campo-lingua") && !checked(&page, "campo-lingua-en"));
    // Mario has no address on file: nothing is chosen for him.
    let mut m = Browser::logged_in(&app, &mario).await;
    let page = m.get("/area-personale/notifiche").await;
    assert!(!checked(&page, "campo-email"));

    // SMS with no mobile on file: refused, said clearly next to the field, nothing saved.
    let refused = save(&mut a, &[("email", "1"), ("sms", "1"), ("lingua", "it")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.has("Non abbiamo un tuo numero di cellulare"),
        "{}",
        refused.body
    );
    assert!(refused.has("href=\"#campo-sms\"") && refused.has("aria-invalid=\"true\""));
    assert!(checked(&refused, "campo-sms"), "the choice is kept on the page");
    assert_eq!(preferences_row(&app, &anna.id).await, 0);
    // The app with no phone registered, and an unknown language: refused too.
    let refused = save(&mut a, &[("push", "1"), ("lingua", "fr")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("href=\"#campo-push\"") && refused.has("href=\"#campo-lingua\""));
    assert_eq!(preferences_row(&app, &anna.id).await, 0);

    // Without the CSRF token: 403, nothing saved.
    let forged = a
        .post("/area-personale/notifiche", &[("email", "1"), ("lingua", "en")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(preferences_row(&app, &anna.id).await, 0);

    // Saved, then shown (post/redirect/get).
    let saved = save(&mut a, &[("lingua", "en")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/area-personale/notifiche?salvate=1");
    let page = a.get(saved.location()).await;
    assert!(page.has("Preferenze salvate."));
    assert!(!checked(&page, "campo-email") && checked(&page, "campo-lingua-en"));
    let sql = format!(
        "SELECT email + 2 * sms + 4 * push FROM notification_preferences WHERE account_id = '{}'",
        anna.id
    );
    assert_eq!(scalar(&app.db, &sql).await, 0);
    let saved = save(&mut a, &[("email", "1"), ("lingua", "it")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(scalar(&app.db, &sql).await, 1);
    assert_eq!(preferences_row(&app, &anna.id).await, 1, "one row per citizen");
    app.stop().await;
}

async fn a_delegate_or_staff_cannot_change_a_citizens_preferences(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let dario = citizen(&app, DARIO_CF, "Dario Mancini").await;
    profile(
        &app,
        &anna,
        Some("anna.bianchi@example.it"),
        Some("+393471234567"),
    )
    .await;
    let mut a = Browser::logged_in(&app, &anna).await;
    let token = a.token().await;
    let made = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", &token),
                ("delegato", DARIO_CF),
                ("dal", &rome_date(0)),
                ("al", &rome_date(30)),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);

    // Dario acts for Anna: her preferences are not his to see or change (403).
    let mut d = Browser::logged_in(&app, &dario).await;
    let token = d.token().await;
    let acting = d
        .post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token)])
        .await;
    assert_eq!(acting.status, StatusCode::SEE_OTHER);
    let area = d.get("/area-personale").await;
    assert!(!area.has("/area-personale/notifiche"), "no link while acting");
    let page = d.get("/area-personale/notifiche").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.has("anna.bianchi@example.it") && !page.has("3471234567"));
    let token = d.token().await;
    let post = d
        .post(
            "/area-personale/notifiche",
            &[("_csrf", token.as_str()), ("sms", "1"), ("lingua", "en")],
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    assert_eq!(preferences_row(&app, &anna.id).await, 0);

    // Staff have the back office, not a citizen's page.
    let member = staff_member(&app, "elisa.marino", "Elisa Marino", Role::OperatoreSede).await;
    let mut s = staff_browser(&app, &member).await;
    assert_eq!(
        s.get("/area-personale/notifiche").await.status,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

/// What a fake gateway saw.
type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A real HTTP server on port 0 standing in for a gateway: answers 503 to the first
/// `fail_first` requests, then 200.
async fn gateway(path: &'static str, fail_first: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let router = axum::Router::new().route(
        path,
        axum::routing::post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push((headers, body));
                if log.len() <= fail_first {
                    (AxumStatus::SERVICE_UNAVAILABLE, "busy")
                } else {
                    (AxumStatus::OK, "{\"accepted\":true}")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, seen)
}

/// The messages the SMTP sink received for `recipient`: (decoded JSON, raw .eml path).
fn received(dir: &Path, recipient: &str) -> Vec<(Value, std::path::PathBuf)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(decoded) = serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        if decoded["rcpt_tos"]
            .as_array()
            .is_some_and(|to| to.iter().any(|t| t == recipient))
        {
            found.push((decoded, path.with_extension("eml")));
        }
    }
    found
}

/// The decoded text/html part of a raw message (Python's standard email package).
fn html_part(eml: &Path) -> String {
    let script = "import email, email.policy, sys\n\
                  m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)\n\
                  p = m.get_body(preferencelist=('html',))\n\
                  print(p.get_content() if p is not None else '')";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(eml)
        .output()
        .expect("python3 (needed by the SMTP sink anyway)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn job_state(app: &TestApp, channel: &str) -> Vec<(String, i32)> {
    sportello::read_pool!(&app.db, |pool| sqlx::query_as::<_, (String, i32)>(
        "SELECT j.state, j.attempts FROM jobs j JOIN notify_outbox o ON j.dedupe_key = 'notifiche:' || o.id
          WHERE o.channel = $1 ORDER BY o.created_at"
    )
    .bind(channel)
    .fetch_all(pool)
    .await)
    .unwrap()
}

/// Shortens the backoff of waiting notification jobs (instead of waiting 10 s).
async fn due_now(app: &TestApp) {
    exec(
        &app.db,
        "UPDATE jobs SET run_at = 0 WHERE state = 'queued' AND kind LIKE 'notifiche.%'",
    )
    .await;
}

async fn app_token(app: &TestApp, person: &Person) -> String {
    let login = api_login(app, &json!({ "codice_fiscale": person.cf, "pin": person.pin })).await;
    assert_eq!(login.status, StatusCode::CREATED, "{}", login.body);
    login.json()["token"].as_str().unwrap().to_owned()
}

async fn register_phone(app: &TestApp, bearer: &str, body: &Value) -> Reply {
    Reply::read(
        app.client
            .post(app.url("/api/v1/dispositivi"))
            .header(AUTHORIZATION, format!("Bearer {bearer}"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Asserts that `text` carries nothing that identifies the person.
fn no_personal_data(text: &str, person: &Person) {
    for personal in [
        person.name.as_str(),
        "Anna",
        "Bianchi",
        person.cf.as_str(),
        "anna.bianchi",
    ] {
        assert!(!text.contains(personal), "`{personal}` in: {text}");
    }
}

async fn an_alert_goes_out_on_every_chosen_channel_without_personal_data(backend: Backend) {
    let (smtp, dir) = smtp_server();
    let (sms_url, sms_seen) = gateway("/sms", 0).await;
    let (push_url, push_seen) = gateway("/push", 1).await;
    let extra = [
        ("smtp_url", format!("smtp://{smtp}")),
        (
            "mail_from",
            "\"INPS Sportello\" <noreply@sportello.example.it>".to_owned(),
        ),
        ("sms_gateway_url", sms_url),
        ("push_gateway_url", push_url),
        ("push_gateway_token", "gettone-push".to_owned()),
    ];
    let extra: Vec<(&'static str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut with_public = vec![("public_url", PUBLIC_URL)];
    with_public.extend_from_slice(&extra);
    let app = TestApp::spawn_with(backend, &with_public).await;
    let config = config_of(&app, &extra);
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let address = unique_address("anna.bianchi");
    profile(&app, &anna, Some(&address), Some("+393471234567")).await;
    let bearer = app_token(&app, &anna).await;
    let phone = register_phone(
        &app,
        &bearer,
        &json!({ "token": "fcm-token-anna-1", "piattaforma": "android", "etichetta": "Telefono" }),
    )
    .await;
    assert_eq!(phone.status, StatusCode::CREATED, "{}", phone.body);
    let mut a = Browser::logged_in(&app, &anna).await;
    let saved = save(
        &mut a,
        &[("email", "1"), ("sms", "1"), ("push", "1"), ("lingua", "it")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    alerts::alert(&app.db, &config, &anna.id, Alert::NewMessage)
        .await
        .unwrap();
    let queued = scalar(&app.db, "SELECT COUNT(*) FROM notify_outbox").await;
    assert_eq!(queued, 3, "one message per chosen channel");

    // Email: both parts, the link, nothing about Anna.
    let arrived = eventually(Duration::from_secs(20), || {
        let (dir, address) = (dir.clone(), address.clone());
        async move { !received(&dir, &address).is_empty() }
    })
    .await;
    assert!(arrived, "the email reached the SMTP server");
    let (decoded, eml) = received(&dir, &address).remove(0);
    assert_eq!(decoded["content_type"], "multipart/alternative");
    let subject = decoded["subject"].as_str().unwrap();
    let text = decoded["text"].as_str().unwrap();
    let html = html_part(&eml);
    assert!(
        text.contains("Hai un nuovo messaggio") && text.contains(MAILBOX_LINK),
        "{text}"
    );
    assert!(
        html.contains(&format!("href=\"{MAILBOX_LINK}\"")) && html.contains("lang=\"it\""),
        "{html}"
    );
    for part in [subject, text, html.as_str()] {
        no_personal_data(part, &anna);
    }

    // SMS: the link, nothing about Anna.
    let sms = eventually(Duration::from_secs(20), || async {
        !sms_seen.lock().unwrap().is_empty()
    })
    .await;
    assert!(sms);
    let (_, body) = sms_seen.lock().unwrap()[0].clone();
    assert_eq!(body["to"], "+393471234567");
    assert!(body["text"].as_str().unwrap().contains(MAILBOX_LINK));
    no_personal_data(&body.to_string(), &anna);

    // Push: the gateway first answers 503 (retried with backoff), then takes it.
    let retried = eventually(Duration::from_secs(20), || async {
        job_state(&app, "push").await == vec![("queued".to_owned(), 1)]
    })
    .await;
    assert!(retried, "503 is retried: {:?}", job_state(&app, "push").await);
    due_now(&app).await;
    let pushed = eventually(Duration::from_secs(20), || async {
        job_state(&app, "push").await == vec![("done".to_owned(), 2)]
    })
    .await;
    assert!(pushed, "{:?}", job_state(&app, "push").await);
    {
        let seen = push_seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        let (headers, body) = &seen[1];
        assert_eq!(headers["authorization"], "Bearer gettone-push");
        assert_eq!(
            headers["idempotency-key"], seen[0].0["idempotency-key"],
            "the same key on retry"
        );
        assert_eq!(body["token"], "fcm-token-anna-1");
        assert_eq!(body["platform"], "android");
        assert_eq!(body["link"], MAILBOX_LINK);
        assert_eq!(body["title"], "hai un nuovo messaggio");
        no_personal_data(&body.to_string(), &anna);
    }
    let used = scalar(
        &app.db,
        "SELECT COUNT(*) FROM push_devices WHERE last_used_at IS NOT NULL",
    )
    .await;
    assert_eq!(used, 1);

    // In English when she chose English; only the email channel now.
    let saved = save(&mut a, &[("email", "1"), ("lingua", "en")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    alerts::alert(&app.db, &config, &anna.id, Alert::QuestionAnswered)
        .await
        .unwrap();
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM notify_outbox").await, 4);
    let second = eventually(Duration::from_secs(20), || {
        let (dir, address) = (dir.clone(), address.clone());
        async move { received(&dir, &address).len() == 2 }
    })
    .await;
    assert!(second);
    let english = received(&dir, &address)
        .into_iter()
        .find(|(d, _)| d["text"].as_str().unwrap().contains("answer to your question"));
    let (decoded, eml) = english.expect("the English email");
    assert!(html_part(&eml).contains("lang=\"en\""));
    no_personal_data(decoded["text"].as_str().unwrap(), &anna);
    app.stop().await;
}

async fn an_email_survives_an_smtp_outage_and_a_restart(backend: Backend) {
    let (smtp, dir) = smtp_server();
    let down = format!("smtp://127.0.0.1:{}", free_port());
    let from = "noreply@sportello.example.it";
    let node = TestApp::spawn_with(
        backend,
        &[
            ("smtp_url", down.as_str()),
            ("mail_from", from),
            ("public_url", PUBLIC_URL),
        ],
    )
    .await;
    let anna = citizen(&node, ANNA_CF, "Anna Bianchi").await;
    let address = unique_address("anna");
    profile(&node, &anna, Some(&address), None).await;
    let config = config_of(&node, &[("smtp_url", down.as_str()), ("mail_from", from)]);
    alerts::alert(&node.db, &config, &anna.id, Alert::NewMessage)
        .await
        .unwrap();
    let failed = eventually(Duration::from_secs(20), || async {
        job_state(&node, "email").await == vec![("queued".to_owned(), 1)]
    })
    .await;
    assert!(
        failed,
        "SMTP down: retried later: {:?}",
        job_state(&node, "email").await
    );
    let error = sportello::read_pool!(&node.db, |pool| sqlx::query_scalar::<_, Option<String>>(
        "SELECT last_error FROM notify_outbox"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert!(error.is_some(), "the outbox keeps the last error");
    assert!(received(&dir, &address).is_empty());

    // The process stops; a new one starts on the same database with the server reachable.
    let database_url = node.database_url.clone();
    let files = tempfile::tempdir().unwrap();
    let _keep = node.stop().await;
    let up = format!("smtp://{smtp}");
    let node = TestApp::spawn_on(
        &database_url,
        files.path().to_path_buf(),
        &[
            ("smtp_url", up.as_str()),
            ("mail_from", from),
            ("public_url", PUBLIC_URL),
        ],
    )
    .await;
    due_now(&node).await;
    let arrived = eventually(Duration::from_secs(20), || {
        let (dir, address) = (dir.clone(), address.clone());
        async move { !received(&dir, &address).is_empty() }
    })
    .await;
    assert!(arrived, "delivered after the restart");
    let done = eventually(Duration::from_secs(10), || async {
        job_state(&node, "email").await == vec![("done".to_owned(), 2)]
    })
    .await;
    assert!(done, "{:?}", job_state(&node, "email").await);
    // Exactly once: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received(&dir, &address).len(), 1);
    node.stop().await;
}

/// A mail server that accepts connections and never says a word.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, handle)
}

async fn queueing_an_alert_does_not_wait_for_a_slow_mail_server(backend: Backend) {
    let (silent, server) = silent_server().await;
    let from = "noreply@sportello.example.it";
    let extra = [
        ("smtp_url", silent.as_str()),
        ("mail_from", from),
        ("smtp_timeout_ms", "1000"),
    ];
    let app = TestApp::spawn_with(backend, &extra).await;
    let config = config_of(&app, &extra);
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    profile(&app, &anna, Some("anna.bianchi@example.it"), None).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        alerts::alert(&app.db, &config, &anna.id, Alert::ApplicationStatus)
            .await
            .unwrap();
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest < Duration::from_millis(500), "alert waited {slowest:?}");
    // The job runner is stuck on the silent server meanwhile, and the web still answers.
    let running = eventually(Duration::from_secs(10), || async {
        job_state(&app, "email").await.iter().any(|(s, _)| s == "running")
    })
    .await;
    assert!(running, "{:?}", job_state(&app, "email").await);
    let started = Instant::now();
    assert_eq!(app.get("/api/v1/stato").await.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(500));
    // The attempt times out and the message waits for the next one; nothing is lost.
    let retried = eventually(Duration::from_secs(20), || async {
        let jobs = job_state(&app, "email").await;
        jobs.len() == 5 && jobs.iter().all(|(s, a)| s == "queued" && *a == 1)
    })
    .await;
    assert!(retried, "{:?}", job_state(&app, "email").await);
    server.abort();
    app.stop().await;
}

async fn staff_see_dead_letters_masked_and_retry_them(backend: Backend) {
    let (smtp, dir) = smtp_server();
    let down = format!("smtp://127.0.0.1:{}", free_port());
    let from = "noreply@sportello.example.it";
    let node = TestApp::spawn_with(backend, &[("smtp_url", down.as_str()), ("mail_from", from)]).await;
    let anna = citizen(&node, ANNA_CF, "Anna Bianchi").await;
    let address = unique_address("marta");
    profile(&node, &anna, Some(&address), None).await;
    let config = config_of(&node, &[("smtp_url", down.as_str()), ("mail_from", from)]);
    alerts::alert(&node.db, &config, &anna.id, Alert::NewMessage)
        .await
        .unwrap();
    let failed = eventually(Duration::from_secs(20), || async {
        job_state(&node, "email").await == vec![("queued".to_owned(), 1)]
    })
    .await;
    assert!(failed);
    // The last attempt: two instead of ten, so the test does not wait an hour and a half.
    exec(
        &node.db,
        "UPDATE jobs SET max_attempts = 2 WHERE kind = 'notifiche.email'",
    )
    .await;
    due_now(&node).await;
    let dead = eventually(Duration::from_secs(20), || async {
        job_state(&node, "email").await == vec![("dead".to_owned(), 2)]
    })
    .await;
    assert!(dead, "buried: {:?}", job_state(&node, "email").await);

    // Who may not look: a citizen, a contact-center operator, an editor.
    let member = staff_member(&node, "elisa.marino", "Elisa Marino", Role::OperatoreSede).await;
    let contact = staff_member(&node, "paolo.conti", "Paolo Conti", Role::OperatoreContactCenter).await;
    let editor = staff_member(&node, "sara.ricci", "Sara Ricci", Role::Redattore).await;
    let message = sportello::read_pool!(&node.db, |pool| sqlx::query_scalar::<_, String>(
        "SELECT id FROM notify_outbox"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let a = Browser::logged_in(&node, &anna).await;
    for mut intruder in [
        a,
        staff_browser(&node, &contact).await,
        staff_browser(&node, &editor).await,
    ] {
        let page = intruder.get("/backoffice/notifiche").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(!page.has("example.it"));
        let token = intruder.token().await;
        let retry = intruder
            .post(
                "/backoffice/notifiche/riprova",
                &[("_csrf", token.as_str()), ("messaggio", message.as_str())],
            )
            .await;
        assert_eq!(retry.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(job_state(&node, "email").await, vec![("dead".to_owned(), 2)]);

    // The sede operator sees it, masked, with the error and the attempts.
    let mut s = staff_browser(&node, &member).await;
    let home = s.get("/backoffice").await;
    assert!(home.has("href=\"/backoffice/notifiche\""));
    let page = s.get("/backoffice/notifiche").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("m•••@example.it"), "{}", page.body);
    assert!(!page.has(&address) && !page.has("Anna") && !page.has(ANNA_CF));
    assert!(page.has("2 / 2") && page.has("Riprova"));
    assert!(page.has(&format!("name=\"messaggio\" value=\"{message}\"")));

    // The mail server is back (a node that can reach it); "Riprova" puts it back in the queue.
    let database_url = node.database_url.clone();
    let files = tempfile::tempdir().unwrap();
    let _keep = node.stop().await;
    let up = format!("smtp://{smtp}");
    let node = TestApp::spawn_on(
        &database_url,
        files.path().to_path_buf(),
        &[("smtp_url", up.as_str()), ("mail_from", from)],
    )
    .await;
    let mut s = s.at(&node.base_url);
    let retry_without_token = s
        .post(
            "/backoffice/notifiche/riprova",
            &[("messaggio", message.as_str())],
        )
        .await;
    assert_eq!(retry_without_token.status, StatusCode::FORBIDDEN);
    assert_eq!(audited(&node.db, "notifiche.riprova", None).await, 0);
    let token = s.token().await;
    let retry = s
        .post(
            "/backoffice/notifiche/riprova",
            &[("_csrf", token.as_str()), ("messaggio", message.as_str())],
        )
        .await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER);
    assert_eq!(retry.location(), "/backoffice/notifiche?riprova=in-coda");
    assert_eq!(audited(&node.db, "notifiche.riprova", None).await, 1);
    let arrived = eventually(Duration::from_secs(20), || {
        let (dir, address) = (dir.clone(), address.clone());
        async move { !received(&dir, &address).is_empty() }
    })
    .await;
    assert!(arrived, "delivered after Riprova");
    let done = eventually(Duration::from_secs(10), || async {
        job_state(&node, "email").await == vec![("done".to_owned(), 1)]
    })
    .await;
    assert!(done, "{:?}", job_state(&node, "email").await);
    let page = s.get("/backoffice/notifiche").await;
    assert!(page.has("Nessun messaggio non consegnato."), "{}", page.body);
    // A second Riprova does nothing.
    let again = s
        .post(
            "/backoffice/notifiche/riprova",
            &[("_csrf", token.as_str()), ("messaggio", message.as_str())],
        )
        .await;
    assert_eq!(again.location(), "/backoffice/notifiche?riprova=no");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received(&dir, &address).len(), 1, "delivered once");
    node.stop().await;
}

async fn the_app_registers_lists_and_removes_its_phones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let bearer = app_token(&app, &anna).await;
    let made = register_phone(
        &app,
        &bearer,
        &json!({ "token": "apns-abc", "piattaforma": "ios" }),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let device = made.json();
    assert_eq!(device["piattaforma"], "ios");
    assert_eq!(device["etichetta"], "iPhone");
    assert!(device.get("token").is_none(), "the token is never given back");
    let id = device["id"].as_str().unwrap().to_owned();
    // The same token again: one row.
    let again = register_phone(
        &app,
        &bearer,
        &json!({ "token": "apns-abc", "piattaforma": "ios", "etichetta": "iPhone di Anna" }),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["id"], id.as_str());
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM push_devices").await, 1);

    // Bad input: 422 problem+json with a stable code, nothing stored.
    for body in [
        json!({ "token": "", "piattaforma": "ios" }),
        json!({ "token": "a b", "piattaforma": "ios" }),
        json!({ "token": "x", "piattaforma": "windows" }),
        json!({ "token": "x", "piattaforma": "android", "etichetta": "x".repeat(61) }),
        json!({ "token": "x".repeat(5000), "piattaforma": "android" }),
    ] {
        let refused = register_phone(&app, &bearer, &body).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.json()["code"], "dispositivo-non-valido");
    }
    let not_json = Reply::read(
        app.client
            .post(app.url("/api/v1/dispositivi"))
            .header(AUTHORIZATION, format!("Bearer {bearer}"))
            .header(CONTENT_TYPE, "application/json")
            .body("[1, 2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(not_json.status.is_client_error());
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM push_devices").await, 1);

    // Only from the app; not without a session.
    let mut browser = Browser::logged_in(&app, &anna).await;
    let from_browser = Reply::read(
        app.client
            .post(app.url("/api/v1/dispositivi"))
            .header(COOKIE, browser.session_cookie())
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "token": "y", "piattaforma": "ios" }).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(from_browser.status, StatusCode::FORBIDDEN);
    let anonymous = app
        .client
        .get(app.url("/api/v1/dispositivi"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Listed to Anna (app or browser), not to Mario; Mario cannot remove it.
    let list = browser.get("/api/v1/dispositivi").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json().as_array().unwrap().len(), 1);
    let page = browser.get("/area-personale/notifiche").await;
    assert!(page.has("iPhone di Anna"));
    let mario_bearer = app_token(&app, &mario).await;
    let delete = |bearer: String, id: String| {
        let app = &app;
        async move {
            app.client
                .delete(app.url(&format!("/api/v1/dispositivi/{id}")))
                .header(AUTHORIZATION, format!("Bearer {bearer}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let mario_list = Reply::read(
        app.client
            .get(app.url("/api/v1/dispositivi"))
            .header(AUTHORIZATION, format!("Bearer {mario_bearer}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mario_list.json(), json!([]));
    assert_eq!(delete(mario_bearer, id.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(
        delete(bearer.clone(), "nessuno".to_owned()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM push_devices").await, 1);
    assert_eq!(delete(bearer.clone(), id.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(bearer, id).await, StatusCode::NOT_FOUND);
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM push_devices").await, 0);
    app.stop().await;
}
