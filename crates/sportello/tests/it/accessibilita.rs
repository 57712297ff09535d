//! The accessibility feedback form and API: CSRF, validation, nothing half-written.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_form_sends_a_report_once,
    a_form_without_its_token_is_refused_and_writes_nothing,
    a_form_with_mistakes_comes_back_with_every_error_and_the_values,
    the_api_takes_reports_and_explains_bad_input,
    a_request_in_flight_finishes_during_shutdown,
);

/// Opens the form: returns the CSRF cookie and the token in the page.
async fn open_form(app: &TestApp) -> (String, String) {
    let page = app.get("/accessibilita").await;
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("hidden token") + marker.len();
    let token = html[start..start + 64].to_owned();
    assert_eq!(cookie, format!("csrf={token}"));
    (cookie, token)
}

async fn the_form_sends_a_report_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cookie, token) = open_form(&app).await;
    let response = app
        .client
        .post(app.url("/accessibilita"))
        .header(COOKIE, &cookie)
        .form(&[
            ("_csrf", token.as_str()),
            ("descrizione", "Il menu non si apre con la tastiera."),
            ("pagina", "/servizi"),
            ("email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/accessibilita/inviata");
    let thanks = app.get("/accessibilita/inviata").await;
    assert_eq!(thanks.status(), StatusCode::OK);
    assert!(thanks.text().await.unwrap().contains("<h1"));
    assert_eq!(app.count("segnalazioni_accessibilita").await, 1);
}

async fn a_form_without_its_token_is_refused_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cookie, token) = open_form(&app).await;
    let body = [("descrizione", "Il menu non si apre con la tastiera.")];
    // No cookie, no token: a cross-site post.
    let forged = app
        .client
        .post(app.url("/accessibilita"))
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        forged.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The cookie without the token, and a token from another browser.
    let no_token = app
        .client
        .post(app.url("/accessibilita"))
        .header(COOKIE, &cookie)
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let (_, other_token) = open_form(&app).await;
    assert_ne!(other_token, token);
    let swapped = app
        .client
        .post(app.url("/accessibilita"))
        .header(COOKIE, &cookie)
        .form(&[
            ("_csrf", other_token.as_str()),
            ("descrizione", "Il menu non si apre con la tastiera."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("segnalazioni_accessibilita").await,
        0,
        "nothing written"
    );
}

async fn a_form_with_mistakes_comes_back_with_every_error_and_the_values(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cookie, token) = open_form(&app).await;
    let response = app
        .client
        .post(app.url("/accessibilita"))
        .header(COOKIE, &cookie)
        .form(&[
            ("_csrf", token.as_str()),
            ("descrizione", "<b>x</b>"),
            ("email", "mario@"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("href=\"#campo-descrizione\"") && html.contains("href=\"#campo-email\""),
        "error summary"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("id=\"errore-email\""));
    assert!(!html.contains("<b>x</b>"), "what was typed comes back escaped");
    assert!(html.contains("&#60;b&#62;x&#60;/b&#62;"), "and kept");
    assert!(html.contains("value=\"mario@\""));
    assert_eq!(app.count("segnalazioni_accessibilita").await, 0);
}

async fn the_api_takes_reports_and_explains_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.url("/api/v1/segnalazioni-accessibilita");
    let created = app
        .client
        .post(&url)
        .json(&json!({ "descrizione": "Il contrasto del testo grigio è troppo basso.", "email": "anna@example.it" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    assert!(body["id"].as_str().is_some_and(|id| id.len() == 36));

    let invalid = app
        .client
        .post(&url)
        .json(&json!({ "descrizione": "breve", "pagina": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.headers()[CONTENT_TYPE], "application/problem+json");
    let problem: Value = invalid.json().await.unwrap();
    assert_eq!(
        problem["errors"],
        json!([{ "field": "descrizione", "code": "descrizione-breve" }, { "field": "pagina", "code": "pagina-non-valida" }])
    );

    // Found by schemathesis: a NUL character was a 500 on PostgreSQL (text cannot hold it), and
    // a JSON array in place of the object was stored.
    let nul = app
        .client
        .post(&url)
        .json(&json!({ "descrizione": "Il pulsante\u{0} non funziona" }))
        .send()
        .await
        .unwrap();
    assert_eq!(nul.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let array = app
        .client
        .post(&url)
        .json(&json!([
            "Il pulsante Invia non si raggiunge con la tastiera.",
            null,
            null
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(array.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(array.headers()[CONTENT_TYPE], "application/problem+json");
    let malformed = app
        .client
        .post(&url)
        .header(CONTENT_TYPE, "application/json")
        .body("{\"descrizione\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(malformed.headers()[CONTENT_TYPE], "application/problem+json");
    let wrong_type = app
        .client
        .post(&url)
        .header(CONTENT_TYPE, "text/plain")
        .body("ciao")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(wrong_type.headers()[CONTENT_TYPE], "application/problem+json");
    let wrong_shape = app
        .client
        .post(&url)
        .json(&json!({ "descrizione": 42 }))
        .send()
        .await
        .unwrap();
    assert!(wrong_shape.status().is_client_error(), "{}", wrong_shape.status());
    let huge = app
        .client
        .post(&url)
        .json(&json!({ "descrizione": "x".repeat(2_000_000) }))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.count("segnalazioni_accessibilita").await,
        1,
        "only the valid report was stored"
    );
}

async fn a_request_in_flight_finishes_during_shutdown(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let body = json!({ "descrizione": "Inviata mentre il server si ferma." }).to_string();
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/segnalazioni-accessibilita HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(10);
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await; // the server is reading the body now
    app.begin_stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight was answered: {answer}"
    );
    let url = app.database_url.clone();
    let _dir = app.stop().await;
    // The server closed its pool on the way out; look with a new one.
    let db = crate::helpers::open(&url).await;
    let stored: i64 = sportello::read_pool!(&db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM segnalazioni_accessibilita")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert_eq!(stored, 1, "and its write is there");
}
