//! Operations endpoints: liveness, readiness, metrics, and the API document.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::app::AppState;
use crate::http::error::AppError;
use crate::http::openapi;
use crate::http::page::{self, ApiDocsPage, PageContext};
use crate::identity::session;
use crate::jobs::queue;

/// `/healthz`: the process is up and answering.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `/readyz`: the database answers within two seconds; a balancer should send traffic here.
pub async fn readyz(State(app): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), app.db.ping()).await {
        Ok(Ok(())) => "ready\n".into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "not ready: database");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: database did not answer in time");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `/metrics`: Prometheus text format.
pub async fn metrics(State(app): State<AppState>) -> Result<Response, AppError> {
    // Site-wide gauges come from the database; a failure there must not hide the node's own metrics.
    if let (Ok(jobs), Ok(sessions)) = (queue::counts(&app.db).await, session::count_open(&app.db).await) {
        app.metrics.set_gauges(&jobs, sessions);
    }
    let text = app
        .metrics
        .encode()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("metrics: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

/// `/api/v1/openapi.json`.
pub async fn openapi_json(State(app): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        app.openapi_json.to_string(),
    )
        .into_response()
}

/// `/api/v1/docs`: the readable reference.
pub async fn api_docs(page: PageContext) -> Result<Html<String>, AppError> {
    page::render(&ApiDocsPage {
        page,
        operations: openapi::operations(),
        openapi_url: "/api/v1/openapi.json".to_owned(),
    })
}
