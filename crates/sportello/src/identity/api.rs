//! Identity endpoints of the JSON API: PIN login for the mobile app (bearer tokens).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::login::{self, ClientAddr, LoginFailure};
use super::pin::PinFormatError;
use super::pins::Refusal;
use super::session::Kind;
use crate::app::AppState;
use crate::http::error::{ApiJson, AppError, FieldError, Message, Problem};

/// Codice fiscale and PIN.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PinLogin {
    /// 16 characters; lower case and spaces are accepted.
    #[schema(
        example = "RSSMRA80A01H501U",
        pattern = "^ *([A-Za-z0-9] *){16}$",
        format = "codice-fiscale"
    )]
    pub codice_fiscale: String,
    /// The whole 16-character PIN (spaces and dashes between groups are accepted).
    #[schema(pattern = "^ *([A-HJ-NP-Za-hj-np-z2-9][ -]*){16}$")]
    pub pin: String,
    /// A name for this device, shown on the citizen's security page ("Telefono di Mario").
    #[serde(default)]
    #[schema(max_length = 80)]
    pub dispositivo: Option<String>,
}

/// A bearer token for the app.
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    /// Send it as `Authorization: Bearer <token>`. Shown once: only its hash is kept.
    pub token: String,
    /// Always `Bearer`.
    pub tipo: String,
    /// When the token expires at the latest (ms since the Unix epoch).
    pub scade_il_ms: i64,
}

/// Log in with codice fiscale and PIN (mobile app).
#[utoipa::path(
    post,
    path = "/api/v1/auth/pin",
    tag = "sessione",
    summary = "Log in with codice fiscale and PIN",
    description = "Returns a bearer token for the app. The token is listed on the citizen's security \
                   page, where it can be revoked, and ends with `DELETE /api/v1/sessione`. Wrong \
                   credentials get the same answer whether or not the person exists; after 5 wrong \
                   PINs in a row the PIN locks (429 with the time to retry).",
    request_body = PinLogin,
    responses(
        (status = 201, description = "Logged in.", body = Token),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Codice fiscale or PIN not correct.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "PIN not active, expired or void.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed codice fiscale or PIN.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts or PIN locked.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn pin_login(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PinLogin>,
) -> Result<Response, AppError> {
    let label: Option<String> = body
        .dispositivo
        .as_deref()
        .map(|d| d.chars().filter(|c| !c.is_control()).take(80).collect::<String>())
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let outcome = login::pin_login(
        &app,
        &client,
        &body.codice_fiscale,
        &body.pin,
        Kind::App,
        label.as_deref(),
        None,
    )
    .await?;
    match outcome {
        Ok(done) => Ok((
            StatusCode::CREATED,
            Json(Token {
                token: done.token,
                tipo: "Bearer".to_owned(),
                scade_il_ms: done.expires_at,
            }),
        )
            .into_response()),
        Err(failure) => Err(api_failure(failure)),
    }
}

/// The API's answer to a failed login.
pub fn api_failure(failure: LoginFailure) -> AppError {
    let field = |field: &str, code: &str| {
        AppError::Invalid(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
        }])
    };
    match failure {
        LoginFailure::Limited(wait) => AppError::Limited(wait),
        LoginFailure::CodiceFiscale(code, detail) => AppError::InvalidValue {
            field: "codice_fiscale",
            code,
            detail,
        },
        LoginFailure::PinFormat(PinFormatError::Length { .. }) => field("pin", "pin-lunghezza"),
        LoginFailure::PinFormat(PinFormatError::Character { .. }) => field("pin", "pin-carattere"),
        LoginFailure::Refused(Refusal::Locked { until }) => {
            let wait_ms = until.saturating_sub(crate::storage::now_ms()).max(1000);
            AppError::Limited(std::time::Duration::from_millis(
                u64::try_from(wait_ms).unwrap_or(1000),
            ))
        }
        LoginFailure::Refused(Refusal::Wrong) => AppError::Refused {
            status: StatusCode::UNAUTHORIZED,
            code: "credenziali-errate",
            message: Message::new("login-error-wrong"),
        },
        LoginFailure::Refused(refusal) => AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "pin-non-utilizzabile",
            message: super::pages::refusal_message(&refusal),
        },
    }
}

/// The bearer token in `Authorization`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}
