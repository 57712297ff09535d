//! Extractors shared by pages and the API.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::AppError;
use super::security::cookie;
use crate::app::AppState;
use crate::identity::session::{self, Session};

/// The session cookie's value, if the request has one.
pub fn session_token(parts: &Parts, app: &AppState) -> Option<String> {
    cookie(&parts.headers, session::cookie_name(app.config.cookie_secure)).map(str::to_owned)
}

/// The caller's session, if logged in.
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Option<Session>);

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(found) = parts.extensions.get::<CurrentSession>() {
            return Ok(found.clone());
        }
        // A browser proves itself with the cookie, the app with a bearer token; neither
        // token works in the other's place.
        let found = match session_token(parts, app) {
            Some(token) => session::find_active(&app.db, &token, app.session_lifetime()).await?,
            None => match crate::identity::api::bearer(&parts.headers) {
                Some(token) => {
                    session::find_active_kind(&app.db, token, app.session_lifetime(), session::Kind::App)
                        .await?
                }
                None => None,
            },
        };
        let current = CurrentSession(found);
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// A logged-in caller: no session, no call (401).
#[derive(Debug, Clone)]
pub struct RequireSession(pub Session);

impl FromRequestParts<AppState> for RequireSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        match CurrentSession::from_request_parts(parts, app).await? {
            CurrentSession(Some(session)) => Ok(RequireSession(session)),
            CurrentSession(None) => Err(AppError::Unauthenticated),
        }
    }
}
