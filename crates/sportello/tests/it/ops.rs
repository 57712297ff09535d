//! Operations endpoints and the API's error contract.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use serde_json::Value;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    health_readiness_and_metrics,
    openapi_document_is_served_and_readable,
    api_errors_are_localised_problem_documents,
    oversized_bodies_are_refused_with_413,
    readiness_fails_when_the_database_is_gone,
);

async fn health_readiness_and_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    app.get("/").await;
    app.get("/non-esiste").await;
    let metrics = app.get("/metrics").await;
    assert!(
        metrics.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("sportello_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"}"),
        "per-route counter:\n{text}"
    );
    assert!(
        text.contains("sportello_http_requests_total{method=\"GET\",route=\"(unmatched)\",status=\"404\"}")
    );
    assert!(
        text.contains("sportello_http_request_duration_seconds_bucket{"),
        "latency histogram"
    );
    assert!(text.contains("sportello_jobs{state=\"dead\"}"), "job gauges");
    assert!(!text.contains("/non-esiste"), "raw paths never become labels");
}

async fn openapi_document_is_served_and_readable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/api/v1/stato", "/api/v1/sessione"] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let page = app.get("/api/v1/docs").await.text().await.unwrap();
    assert!(
        page.contains("/api/v1/sessione") && page.contains("DELETE"),
        "reference lists operations"
    );
    assert!(
        page.contains("href=\"/api/v1/openapi.json\""),
        "links the document"
    );
    let stato: Value = app.get("/api/v1/stato").await.json().await.unwrap();
    assert_eq!(stato["servizio"], "sportello");
    assert_eq!(stato["ente"], "Comune di Prova");
}

async fn api_errors_are_localised_problem_documents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/api/v1/non-esiste").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let italian: Value = response.json().await.unwrap();
    assert_eq!(italian["status"], 404);
    assert_eq!(italian["code"], "non-trovato");
    assert_eq!(italian["type"], "/problemi/non-trovato");
    assert_eq!(italian["request_id"], request_id.as_str());
    let english: Value = app
        .client
        .get(app.url("/api/v1/non-esiste"))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(english["code"], "non-trovato");
    assert_ne!(english["title"], italian["title"], "title follows the language");

    let wrong_method = app.client.put(app.url("/api/v1/stato")).send().await.unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.headers()[CONTENT_TYPE], "application/problem+json");
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["code"], "metodo-non-consentito");

    let unauthenticated = app.get("/api/v1/sessione").await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthenticated.headers()[CONTENT_TYPE],
        "application/problem+json"
    );
}

async fn oversized_bodies_are_refused_with_413(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("max_body_bytes", "1024")]).await;
    let response = app
        .client
        .delete(app.url("/api/v1/sessione"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    let page = app
        .client
        .post(app.url("/"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

async fn readiness_fails_when_the_database_is_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    app.db.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    // Pages that need the database answer 503, never 500.
    let api = app
        .client
        .get(app.url("/api/v1/sessione"))
        .header("cookie", format!("sportello={}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()[CONTENT_TYPE], "application/problem+json");
}
