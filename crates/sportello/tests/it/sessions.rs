//! Sessions live in the database.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, SET_COOKIE};
use serde_json::Value;
use sportello::identity::session::{self, Lifetime};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_session_identifies_its_person_until_logout,
    expired_sessions_are_refused_and_purged
);

async fn a_session_identifies_its_person_until_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mario = app.login_as("RSSMRA80A01H501U", "Mario Rossi").await;
    let anna = app.login_as("BNCNNA52T45F205Q", "Anna Bianchi").await;

    let me = app
        .client
        .get(app.url("/api/v1/sessione"))
        .header(COOKIE, &mario)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.headers()[CACHE_CONTROL], "no-store");
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["nome"], "Mario Rossi");
    assert_eq!(body["codice_fiscale"], "RSSMRA80A01H501U");
    let her: Value = app
        .client
        .get(app.url("/api/v1/sessione"))
        .header(COOKIE, &anna)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(her["nome"], "Anna Bianchi");

    let logout = app
        .client
        .delete(app.url("/api/v1/sessione"))
        .header(COOKIE, &mario)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(
        logout.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie is dead on the server, not only forgotten by the browser.
    let replay = app
        .client
        .get(app.url("/api/v1/sessione"))
        .header(COOKIE, &mario)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let still = app
        .client
        .get(app.url("/api/v1/sessione"))
        .header(COOKIE, &anna)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "logging one person out leaves the others alone"
    );

    for forged in [
        "sportello=nope",
        "sportello=",
        &format!("sportello={}", "0".repeat(64)),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/sessione"))
            .header(COOKIE, forged)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{forged}");
    }
}

async fn expired_sessions_are_refused_and_purged(backend: Backend) {
    // No job runner: its periodic purge would race the one this test makes.
    let app = TestApp::spawn_with(backend, &[("jobs_enabled", "false")]).await;
    let account = sportello::identity::accounts::create(
        &app.db,
        &sportello::identity::accounts::NewAccount {
            codice_fiscale: None,
            display_name: "Breve",
            role: sportello::identity::accounts::Role::OperatoreSede,
        },
    )
    .await
    .unwrap();
    let short = Lifetime {
        idle: Duration::from_secs(1800),
        absolute: Duration::from_millis(1),
    };
    let token = session::create(&app.db, &account, short).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let normal = Lifetime {
        idle: Duration::from_secs(1800),
        absolute: Duration::from_secs(3600),
    };
    assert!(
        session::find_active(&app.db, &token, normal)
            .await
            .unwrap()
            .is_none(),
        "absolute expiry"
    );
    let response = app
        .client
        .get(app.url("/api/v1/sessione"))
        .header(COOKIE, format!("sportello={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let idle_token = session::create(&app.db, &account, normal).await.unwrap();
    let tiny_idle = Lifetime {
        idle: Duration::from_millis(1),
        absolute: Duration::from_secs(3600),
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        session::find_active(&app.db, &idle_token, tiny_idle)
            .await
            .unwrap()
            .is_none(),
        "idle expiry"
    );
    assert_eq!(session::purge_expired(&app.db, normal).await.unwrap(), 1);
    assert!(
        session::find_active(&app.db, &idle_token, normal)
            .await
            .unwrap()
            .is_some(),
        "live one kept"
    );
}
