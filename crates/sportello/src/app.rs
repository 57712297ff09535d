//! The application state and the router: every area's routes, wrapped in the shared layers.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::http::i18n::I18n;
use crate::http::metrics::Metrics;
use crate::http::request_id::RequestId;
use crate::http::{assets, error, metrics, request_id, security};
use crate::identity::session::Lifetime;
use crate::storage::Db;
use crate::storage::files::FileStore;
use crate::{accessibilita, api, ops, site};

/// What every handler can reach. Cheap to clone; nothing in it is per-node state that
/// another node would need (that lives in the database).
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub i18n: Arc<I18n>,
    pub metrics: Arc<Metrics>,
    pub files: FileStore,
    pub institution: Arc<str>,
    pub openapi_json: Arc<str>,
}

impl AppState {
    pub fn session_lifetime(&self) -> Lifetime {
        Lifetime {
            idle: self.config.session_idle,
            absolute: self.config.session_absolute,
        }
    }
}

/// The whole site.
pub fn router(state: AppState) -> Router {
    let mut routes = Router::new().route("/", get(site::home));
    for text in site::TEXT_PAGES {
        routes = routes.route(text.path, get(site::text_page));
    }
    let routes = routes
        .route(
            "/accessibilita",
            get(accessibilita::pages::show).post(accessibilita::pages::submit),
        )
        .route("/accessibilita/inviata", get(accessibilita::pages::sent))
        .route(
            "/api/v1/segnalazioni-accessibilita",
            post(accessibilita::api::create),
        )
        .route("/lingua/{code}", get(site::switch_language))
        .route("/static/{hash}/{*path}", get(assets::serve))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/openapi.json", get(ops::openapi_json))
        .route("/api/v1/docs", get(ops::api_docs))
        .route("/api/v1/stato", get(api::stato))
        .route(
            "/api/v1/sessione",
            get(api::sessione).delete(api::termina_sessione),
        )
        .fallback(site::not_found);

    let config = state.config.clone();
    // Listed innermost first: each `.layer` wraps everything above it.
    routes
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .extensions()
                .get::<RequestId>()
                .map_or("", |id| id.0.as_str());
            // The path only: query strings can carry personal data (a codice fiscale in a search).
            tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
        }))
        .layer(middleware::from_fn(request_id::assign))
        .with_state(state)
}
