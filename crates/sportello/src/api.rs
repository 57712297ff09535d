//! The foundation's JSON endpoints under `/api/v1`: service state and the caller's session.
//! Business areas add their own `api.rs` and list their paths in `http/openapi.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::http::error::{AppError, Problem};
use crate::http::extract::RequireSession;
use crate::http::security::cookie;
use crate::identity::accounts::Role;
use crate::identity::session;

/// The state of the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stato {
    /// Always `sportello`.
    pub servizio: String,
    /// Version of the running build.
    pub versione: String,
    /// Name of the institution.
    pub ente: String,
}

/// The caller's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sessione {
    /// Display name of the logged-in person.
    pub nome: String,
    pub ruolo: Role,
    /// Codice fiscale, for citizens.
    pub codice_fiscale: Option<String>,
    /// When the session ends at the latest (RFC 3339 would need a clock library here;
    /// milliseconds since the Unix epoch are unambiguous).
    pub scade_il_ms: i64,
}

/// State of the service.
#[utoipa::path(
    get,
    path = "/api/v1/stato",
    tag = "sistema",
    summary = "State of the service",
    description = "Name, version and institution of this Sportello. Needs no login.",
    responses((status = 200, description = "The service is up.", body = Stato)),
)]
pub async fn stato(State(app): State<AppState>) -> Json<Stato> {
    Json(Stato {
        servizio: "sportello".to_owned(),
        versione: env!("CARGO_PKG_VERSION").to_owned(),
        ente: app.institution.to_string(),
    })
}

/// The caller's session.
#[utoipa::path(
    get,
    path = "/api/v1/sessione",
    tag = "sessione",
    summary = "Who is logged in",
    description = "The person the session cookie belongs to. Any node answers for a session opened on any other.",
    security(("sessione" = []), ("app" = [])),
    responses(
        (status = 200, description = "The session is live.", body = Sessione),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn sessione(RequireSession(session): RequireSession) -> Json<Sessione> {
    Json(Sessione {
        nome: session.account.display_name,
        ruolo: session.account.role,
        codice_fiscale: session.account.codice_fiscale,
        scade_il_ms: session.expires_at,
    })
}

/// Ends the caller's session (logout).
#[utoipa::path(
    delete,
    path = "/api/v1/sessione",
    tag = "sessione",
    summary = "Log out",
    description = "Ends the session (cookie) or the app token (bearer) on every node and clears the cookie.",
    security(("sessione" = []), ("app" = [])),
    responses(
        (status = 204, description = "The session is over."),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn termina_sessione(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let name = session::cookie_name(app.config.cookie_secure);
    if let Some(token) = cookie(&headers, name).or_else(|| crate::identity::api::bearer(&headers)) {
        crate::identity::login::logout(&app.db, token, &current.account.id).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, crate::identity::login::clear_cookie(&app));
    Ok(response)
}
