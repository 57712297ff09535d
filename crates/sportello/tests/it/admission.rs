//! The click-day gate (http/admission.rs): beyond capacity, logins and filings are told when
//! to come back (503, `Retry-After`, the people ahead; a waiting-room page in a browser),
//! nothing is written for them, and they get in when they come back.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, RETRY_AFTER};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};
use crate::kit::{Browser, api_login, citizen, exec, scalar, text};
use crate::on_both_backends;

on_both_backends!(beyond_capacity_people_are_told_when_to_come_back_and_then_get_in);

const PEOPLE: usize = 60;

async fn beyond_capacity_people_are_told_when_to_come_back_and_then_get_in(backend: Backend) {
    // One at a time, two may wait, for 50 ms at most: a small site's gate under a crowd.
    let app = TestApp::spawn_with(
        backend,
        &[
            ("admission_max_in_flight", "1"),
            ("admission_max_waiting", "2"),
            ("admission_max_wait_ms", "50"),
        ],
    )
    .await;
    let mut people = Vec::new();
    for n in 0..PEOPLE {
        let cf = sportello::loadgen::synthetic_cf(n as u64);
        people.push(citizen(&app, &cf, &format!("Persona in coda {n}")).await);
    }

    // Everyone at once through the app's login.
    let mut tasks = Vec::new();
    for person in &people {
        let (client, url, body) = (
            app.client.clone(),
            app.url("/api/v1/auth/pin"),
            json!({ "codice_fiscale": person.cf, "pin": person.pin }),
        );
        tasks.push(tokio::spawn(async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            let status = response.status();
            let retry = response
                .headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned());
            let kind = response
                .headers()
                .get(CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, retry, kind, body)
        }));
    }
    let mut admitted = 0;
    let mut refused = Vec::new();
    for (index, task) in tasks.into_iter().enumerate() {
        let (status, retry, kind, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => admitted += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                let seconds: u64 = retry.expect("Retry-After").parse().unwrap();
                assert!((1..=60).contains(&seconds), "an honest wait: {seconds}");
                assert_eq!(kind.as_deref(), Some("application/problem+json"));
                assert_eq!(body["code"], "sala-d-attesa");
                assert!(
                    body["detail"].as_str().unwrap().contains("Davanti a te"),
                    "says how many are ahead: {body}"
                );
                refused.push(index);
            }
            other => panic!("only admitted or told to come back, got {other}"),
        }
    }
    assert!(
        !refused.is_empty(),
        "a crowd of {PEOPLE} on a gate of 1 + 2 meets the waiting room"
    );
    assert!(admitted > 0);
    assert_eq!(
        app.count("sessions").await,
        admitted,
        "nothing written for those told to come back"
    );

    // They come back, and get in.
    for index in refused {
        let person = &people[index];
        let again = api_login(&app, &json!({ "codice_fiscale": person.cf, "pin": person.pin })).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    }
    assert_eq!(app.count("sessions").await, i64::try_from(PEOPLE).unwrap());

    // A crowd of browsers meets the waiting-room page, in plain Italian, with a way on.
    let mut browser = Browser::new(&app);
    let form = browser.get("/accedi").await;
    let token = form.csrf();
    let cookie = browser.cookie_header();
    let mut tasks = Vec::new();
    for person in &people {
        let (client, url, cookie, token) = (
            app.client.clone(),
            app.url("/accedi"),
            cookie.clone(),
            token.clone(),
        );
        let (cf, pin) = (person.cf.clone(), person.pin.clone());
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .header(ACCEPT, "text/html")
                .header(COOKIE, cookie)
                .form(&[("_csrf", token.as_str()), ("codice_fiscale", &cf), ("pin", &pin)])
                .send()
                .await
                .unwrap();
            let status = response.status();
            let retry = response.headers().get(RETRY_AFTER).is_some();
            (status, retry, response.text().await.unwrap())
        }));
    }
    let mut pages = 0;
    for task in tasks {
        let (status, retry, html) = task.await.unwrap();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(retry, "Retry-After on the page too");
            assert!(
                html.contains("Sala d&#39;attesa") || html.contains("Sala d'attesa"),
                "{html}"
            );
            assert!(html.contains("Davanti a te"));
            // A login form holds the PIN: never written back into a page, nothing to send again.
            assert!(!html.contains("Invia di nuovo"), "{html}");
            assert!(!people.iter().any(|p| html.contains(&p.pin)), "a PIN on the page");
            pages += 1;
        } else {
            assert_eq!(status, StatusCode::SEE_OTHER, "admitted: logged in");
        }
    }
    assert!(pages > 0, "the browser crowd met the waiting room too");

    // Filing from the summary page, everyone at once: those turned away get a page with the
    // same form to send again with one button (no JavaScript, nothing to fill in again), and
    // sending it files their application, once.
    let mut browsers = Vec::new();
    for person in &people {
        let mut browser = Browser::logged_in(&app, person).await;
        let token = browser.token().await;
        browsers.push((browser, token));
    }
    exec(&app.db, "UPDATE sessions SET auth_level = 'dispositivo'").await;
    let mut drafts = Vec::new();
    for (browser, _) in &browsers {
        let made = app
            .client
            .post(app.url("/api/v1/domande"))
            .header(COOKIE, browser.cookie_header())
            .json(&json!({"modulo": "certificato-residenza",
                "risposte": {"intestatario": "se-stesso", "uso": "bollo", "copie": "1", "email": "coda@example.it"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), StatusCode::CREATED);
        let made: Value = made.json().await.unwrap();
        drafts.push(made["id"].as_str().unwrap().to_owned());
    }
    let mut tasks = Vec::new();
    for ((browser, token), draft) in browsers.iter().zip(&drafts) {
        let (client, url, cookie, token) = (
            app.client.clone(),
            app.url(&format!("/area-personale/domande/{draft}/invio")),
            browser.cookie_header(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .header(COOKIE, &cookie)
                .form(&[("_csrf", token.as_str())])
                .send()
                .await
                .unwrap();
            (response.status(), cookie, response.text().await.unwrap())
        }));
    }
    let mut turned_away = Vec::new();
    for (task, draft) in tasks.into_iter().zip(&drafts) {
        let (status, cookie, html) = task.await.unwrap();
        match status {
            StatusCode::SEE_OTHER => {}
            StatusCode::SERVICE_UNAVAILABLE => turned_away.push((draft.clone(), cookie, html)),
            other => panic!("filed or told to come back, got {other}: {html}"),
        }
    }
    assert!(
        !turned_away.is_empty(),
        "a crowd of {PEOPLE} filings meets the waiting room"
    );
    for (draft, cookie, html) in &turned_away {
        assert_eq!(
            state(&app, draft).await,
            "bozza",
            "nothing filed for those turned away"
        );
        let action = format!("/area-personale/domande/{draft}/invio");
        assert!(html.contains("Invia di nuovo"), "{html}");
        let fields = hidden_fields(html, &action);
        assert_eq!(fields.len(), 1, "the form's one field, the token: {fields:?}");
        let again = app
            .client
            .post(app.url(&format!("/area-personale/domande/{draft}/invio")))
            .header(COOKIE, cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::SEE_OTHER, "sent again, filed");
        assert_eq!(state(&app, draft).await, "presentata");
    }
    assert_eq!(
        scalar(&app.db, "SELECT COUNT(*) FROM domande WHERE state = 'presentata'").await,
        i64::try_from(PEOPLE).unwrap(),
        "everyone filed, once"
    );
}

async fn state(app: &TestApp, draft: &str) -> String {
    text(
        &app.db,
        &format!("SELECT state FROM domande WHERE id = '{draft}'"),
    )
    .await
}

/// The `name`/`value` pairs of the hidden inputs of the page's form that posts to `action`,
/// as the browser would send them back.
fn hidden_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&#43;", "+")
                .replace("&#x2B;", "+")
                .replace("&amp;", "&"),
        )
    };
    let marker = format!("action=\"{action}\"");
    let Some(at) = html.find(&marker) else {
        return Vec::new();
    };
    let form = &html[at..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    form.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}
