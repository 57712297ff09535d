//! `GET /api/v1/codice-fiscale/{code}`: the decoded code, or a precise 422 in the caller's
//! language. No database is involved, so SQLite is enough.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

async fn app() -> TestApp {
    TestApp::spawn(Backend::Sqlite).await
}

async fn problem(app: &TestApp, code: &str, lang: &str) -> Value {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/codice-fiscale/{code}")))
        .header(ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/problem+json",
        "{code}"
    );
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_code_is_decoded() {
    let app = app().await;
    let response = app.get("/api/v1/codice-fiscale/RSSMRA80A01H501U").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // The path is personal data: no shared cache may keep the answer.
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "codice_fiscale": "RSSMRA80A01H501U",
            "valid": true,
            "sex": "M",
            "birth_date": "1980-01-01",
            "birthplace_code": "H501",
            "birthplace_name": "Roma",
            "birthplace_province": "RM",
            "birthplace_kind": "comune",
            "omocode": false,
        })
    );

    let body: Value = app
        .get("/api/v1/codice-fiscale/MLLJGN61L15Z112F")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["sex"], "M");
    assert_eq!(body["birthplace_name"], "Germania");
    assert_eq!(body["birthplace_kind"], "stato_estero");
    assert!(body.get("birthplace_province").is_none(), "{body}");

    let body: Value = app
        .get("/api/v1/codice-fiscale/BNCGNN95B68F205B")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&body["sex"], &body["birth_date"]),
        (&json!("F"), &json!("1995-02-28"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_is_normalised_and_omocodes_are_decoded() {
    let app = app().await;
    let response = app.get("/api/v1/codice-fiscale/rss%20mra%2080a01%20h501u").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["codice_fiscale"], "RSSMRA80A01H501U");

    let body: Value = app
        .get("/api/v1/codice-fiscale/rssmra80a01h5l1f")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["codice_fiscale"], "RSSMRA80A01H5L1F");
    assert_eq!(body["omocode"], true);
    assert_eq!(body["birthplace_code"], "H501");
    assert_eq!(body["birth_date"], "1980-01-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_check_character_is_explained_in_both_languages() {
    let app = app().await;
    let it = problem(&app, "RSSMRA80A01H501X", "it").await;
    assert_eq!(it["status"], 422);
    assert_eq!(it["code"], "cf-controllo");
    assert_eq!(it["type"], "/problemi/cf-controllo");
    assert_eq!(it["title"], "Il codice fiscale contiene un errore");
    let detail = it["detail"].as_str().unwrap();
    assert!(detail.contains("dovrebbe essere «U», non «X»"), "{detail}");
    assert_eq!(
        it["errors"],
        json!([{ "field": "codice_fiscale", "code": "cf-controllo" }])
    );

    let en = problem(&app, "RSSMRA80A01H501X", "en").await;
    assert_eq!(en["code"], "cf-controllo");
    assert_eq!(en["title"], "The codice fiscale contains a mistake");
    let detail = en["detail"].as_str().unwrap();
    assert!(detail.contains("it should be “U”, not “X”"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_mistake_is_named() {
    let app = app().await;
    let cases = [
        ("RSSMRA80A01H501", "cf-lunghezza", "ne hai scritti 15"),
        ("R5SMRA80A01H501U", "cf-carattere", "Il 2° carattere"),
        ("RSSMRA80F01H501U", "cf-mese", "«F»"),
        ("RSSMRA80D31H501U", "cf-giorno", "aprile non ha 31 giorni"),
        // A code whose check character is right but whose birthplace does not exist.
        ("RSSMRA80A01M999L", "cf-comune", "«M999»"),
    ];
    for (code, expected, text) in cases {
        let body = problem(&app, code, "it").await;
        assert_eq!(body["code"], expected, "{code}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(text), "{code}: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_paths_get_a_client_error() {
    let app = app().await;
    // Long, but under the server's header limits: a precise 422.
    let long = "A".repeat(4000);
    let body = problem(&app, &long, "it").await;
    assert_eq!(body["code"], "cf-lunghezza");
    assert!(body["detail"].as_str().unwrap().contains("4000"));
    // Near the longest URI a client can send (64 KiB): still a clean client error.
    let huge = "A".repeat(60_000);
    let response = app.get(&format!("/api/v1/codice-fiscale/{huge}")).await;
    let status = response.status();
    assert!(status.is_client_error(), "{status}");
    // Percent-encoding that is not UTF-8, a slash, and nothing at all.
    for path in [
        "/api/v1/codice-fiscale/%FF%FE",
        "/api/v1/codice-fiscale/RSS/MRA",
        "/api/v1/codice-fiscale/",
    ] {
        let response = app.get(path).await;
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_is_in_the_openapi_document() {
    let app = app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let op = &doc["paths"]["/api/v1/codice-fiscale/{code}"]["get"];
    assert!(op.is_object(), "{op}");
    assert!(op["responses"]["422"].is_object());
    assert!(doc["components"]["schemas"]["CodiceFiscaleInfo"].is_object());
}
