//! The edge of the site: one middleware that every request and response passes through.
//!
//! It gives the request its id and language, runs it inside a log span, writes error bodies
//! (problem+json or a page), adds the security headers and records metrics. One layer rather
//! than five: each axum middleware boxes a future and clones the state, and together they
//! cost more than rendering a page (measured, docs/performance.md).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::error::{self, ErrorContext};
use super::{request_id, security};
use crate::app::AppState;

pub async fn edge(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id::for_request(request.headers());
    let lang = security::negotiate(request.headers());
    // A public page already rendered for this language (anonymous, no query string): answer
    // here, without the inner layers and the handler. The page is the same bytes the handler
    // would send; headers, request id and metrics are the same as on the full path.
    if request.method() == Method::GET
        && let Some(generation) = app.pages.for_request(request.uri().query(), request.headers())
        && let Some(page) = generation.get(request.uri().path(), lang)
    {
        let mut response = page.respond(request.headers(), app.pages.max_age());
        if request.uri().path().matches('/').count() == 2 {
            app.catalog.count_visit(request.uri().path());
        }
        security::apply(response.headers_mut(), app.config.hsts, lang);
        request_id::echo(&id, response.headers_mut());
        let route = request.extensions().get::<MatchedPath>();
        app.metrics.observe(
            &Method::GET,
            route.map(MatchedPath::as_str),
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        return response;
    }
    request.extensions_mut().insert(id.clone());
    request.extensions_mut().insert(lang);
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let uri = request.uri().clone();
    // The path only: query strings can carry personal data (a codice fiscale in a search).
    let span = tracing::info_span!(
        "request",
        id = %id.0,
        method = %method,
        path = logged_path(uri.path(), route.as_ref())
    );

    let response = next.run(request).instrument(span.clone()).await;

    let ctx = ErrorContext {
        api: error::is_api_path(uri.path()),
        lang,
        request_id: id.clone(),
        uri,
    };
    let mut response = error::render(&app, ctx, response);
    security::apply(response.headers_mut(), app.config.hsts, lang);
    request_id::echo(&id, response.headers_mut());
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    app.metrics
        .observe(&method, route.as_ref().map(MatchedPath::as_str), status, seconds);
    // The access log: off at the default level (it would double the log volume of a busy
    // site), on with `log_level = "debug"`.
    span.in_scope(|| tracing::debug!(status, ms = seconds * 1000.0, "answered"));
    response
}

/// Routes whose path parameters are personal data: logged as their pattern.
const PERSONAL_ROUTES: &[&str] = &["/api/v1/codice-fiscale/{code}"];

/// The path as it goes into the log.
fn logged_path<'a>(path: &'a str, route: Option<&'a MatchedPath>) -> &'a str {
    match route {
        Some(route) if PERSONAL_ROUTES.contains(&route.as_str()) => route.as_str(),
        _ => path,
    }
}
