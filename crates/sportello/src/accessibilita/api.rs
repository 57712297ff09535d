//! `POST /api/v1/segnalazioni-accessibilita`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{NuovaSegnalazione, SegnalazioneInput};
use super::store;
use crate::app::AppState;
use crate::http::error::{ApiJson, AppError, Problem};
use crate::http::i18n::Lang;

/// The receipt of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegnalazioneRicevuta {
    /// Reference of the report.
    pub id: String,
    /// When it was received, in milliseconds since the Unix epoch.
    pub ricevuta_il_ms: i64,
}

/// Report an accessibility problem.
#[utoipa::path(
    post,
    path = "/api/v1/segnalazioni-accessibilita",
    tag = "accessibilita",
    summary = "Report an accessibility problem",
    description = "Anyone, logged in or not, can report a part of the site they cannot use. \
                   Every invalid field is reported at once in `errors`.",
    request_body = SegnalazioneInput,
    responses(
        (status = 201, description = "The report was received.", body = SegnalazioneRicevuta),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some fields are not valid.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(app): State<AppState>,
    Extension(lang): Extension<Lang>,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<(StatusCode, Json<SegnalazioneRicevuta>), AppError> {
    // A JSON object first: serde's derived `Deserialize` also takes a struct written as an
    // array of its fields (`["…", null, null]` was stored), which the documented schema, an
    // object, does not allow.
    let input: SegnalazioneInput = serde_json::from_value(serde_json::Value::Object(body))
        .map_err(|err| AppError::Unreadable(StatusCode::UNPROCESSABLE_ENTITY, err.to_string()))?;
    let report = NuovaSegnalazione::try_from(&input).map_err(AppError::Invalid)?;
    let receipt = store::insert(&app.db, &report, lang.code()).await?;
    Ok((
        StatusCode::CREATED,
        Json(SegnalazioneRicevuta {
            id: receipt.id,
            ricevuta_il_ms: receipt.ricevuta_il,
        }),
    ))
}
