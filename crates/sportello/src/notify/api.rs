//! `/api/v1/dispositivi`: the mobile app registers the phone's push token, lists and removes
//! the caller's phones.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::devices::{self, Device};
use super::push::Platform;
use crate::app::AppState;
use crate::http::error::{ApiJson, AppError, Message, Problem};
use crate::identity::session::{Kind, Session};

/// A phone to register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NuovoDispositivo {
    /// The token the platform's push service (FCM, APNs) gave the app; 1 to 4096 characters,
    /// no spaces.
    #[schema(min_length = 1, max_length = 4096, pattern = r"^[!-~]{1,4096}$")]
    pub token: String,
    /// `android` or `ios`.
    #[schema(value_type = super::Platform, example = "android")]
    pub piattaforma: String,
    /// A name the person recognises, e.g. "Telefono di Anna"; at most 60 characters.
    /// Default: the platform's name.
    #[schema(max_length = 60, pattern = r"^[^\u0000-\u001F\u007F-\u009F]{0,60}$")]
    pub etichetta: Option<String>,
}

/// A registered phone. The token is never given back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dispositivo {
    pub id: String,
    pub piattaforma: Platform,
    pub etichetta: String,
    /// Registered at, in milliseconds since the Unix epoch.
    pub registrato_il_ms: i64,
    /// Last notification handed to the push gateway, in milliseconds since the Unix epoch.
    pub ultimo_uso_ms: Option<i64>,
}

impl From<Device> for Dispositivo {
    fn from(device: Device) -> Self {
        Self {
            id: device.id,
            piattaforma: device.platform,
            etichetta: device.label,
            registrato_il_ms: device.created_at,
            ultimo_uso_ms: device.last_used_at,
        }
    }
}

/// A citizen's own session: devices are the holder's, never changed while acting for someone.
fn holder(session: Session) -> Result<Session, AppError> {
    if session.account.role.is_staff() {
        return Err(AppError::Forbidden("staff have no app devices"));
    }
    if session.acting_for.is_some() {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "non-consentito",
            message: Message::new("notifiche-acting-not-allowed"),
        });
    }
    Ok(session)
}

fn invalid(field: &'static str, message: &'static str) -> AppError {
    AppError::InvalidValue {
        field,
        code: "dispositivo-non-valido",
        detail: Message::new(message),
    }
}

/// Register this phone for push notifications.
#[utoipa::path(
    post,
    path = "/api/v1/dispositivi",
    operation_id = "dispositivo_nuovo",
    tag = "notifiche",
    summary = "Register the phone for push notifications",
    description = "From the app (bearer token): stores the push token so that alerts reach this phone \
                   when the person chose app notifications. Registering the same token again updates it \
                   (and moves it to the caller, if the phone changed hands).",
    security(("app" = [])),
    request_body = NuovoDispositivo,
    responses(
        (status = 201, description = "Registered.", body = Dispositivo),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an app session, staff, or acting for someone else.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Token, platform or label not valid (`dispositivo-non-valido`).", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn register(
    State(app): State<AppState>,
    crate::http::extract::RequireSession(current): crate::http::extract::RequireSession,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<(StatusCode, Json<Dispositivo>), AppError> {
    let current = holder(current)?;
    if current.kind != Kind::App {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "non-consentito",
            message: Message::new("notifiche-api-app-only"),
        });
    }
    let input: NuovoDispositivo = serde_json::from_value(serde_json::Value::Object(body))
        .map_err(|err| AppError::Unreadable(StatusCode::UNPROCESSABLE_ENTITY, err.to_string()))?;
    let token = input.token.trim();
    if token.is_empty() || token.len() > 4096 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("token", "notifiche-api-bad-token"));
    }
    let platform = Platform::parse(&input.piattaforma)
        .ok_or_else(|| invalid("piattaforma", "notifiche-api-bad-platform"))?;
    let label = match input.etichetta.as_deref().map(str::trim) {
        None | Some("") => match platform {
            Platform::Android => "Android".to_owned(),
            Platform::Ios => "iPhone".to_owned(),
        },
        Some(label) if label.chars().count() <= 60 && !label.chars().any(char::is_control) => {
            label.to_owned()
        }
        Some(_) => return Err(invalid("etichetta", "notifiche-api-bad-label")),
    };
    let device = devices::register(&app.db, &current.account.id, token, platform, &label).await?;
    Ok((StatusCode::CREATED, Json(device.into())))
}

/// The caller's phones.
#[utoipa::path(
    get,
    path = "/api/v1/dispositivi",
    operation_id = "dispositivi_elenco",
    tag = "notifiche",
    summary = "List my phones",
    description = "The phones registered for the caller's push notifications, newest first.",
    security(("sessione" = []), ("app" = [])),
    responses(
        (status = 200, description = "The phones.", body = Vec<Dispositivo>),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Staff, or acting for someone else.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    crate::http::extract::RequireSession(current): crate::http::extract::RequireSession,
) -> Result<Json<Vec<Dispositivo>>, AppError> {
    let current = holder(current)?;
    let list = devices::of_account(&app.db, &current.account.id).await?;
    Ok(Json(list.into_iter().map(Dispositivo::from).collect()))
}

/// Remove one of the caller's phones.
#[utoipa::path(
    delete,
    path = "/api/v1/dispositivi/{id}",
    tag = "notifiche",
    summary = "Remove a phone",
    description = "The phone gets no more push notifications. Another person's phone, or an unknown id, is 404.",
    security(("sessione" = []), ("app" = [])),
    params(("id" = String, Path, description = "The phone's id, from the list.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Staff, or acting for someone else.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such phone of the caller's.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove(
    State(app): State<AppState>,
    crate::http::extract::RequireSession(current): crate::http::extract::RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let current = holder(current)?;
    if id.len() > 64 || !devices::remove(&app.db, &current.account.id, &id).await? {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
