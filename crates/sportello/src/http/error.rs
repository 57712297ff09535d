//! One error type for handlers, and one place that renders every error response.
//!
//! Handlers return [`AppError`]; it becomes a bare response carrying an [`ErrorInfo`]. The
//! [`render`] step of the edge middleware then writes the body in the caller's language: RFC 9457
//! `application/problem+json` under `/api`, an HTML page with a way forward elsewhere. It
//! also catches error responses that axum or tower produced on their own (405, 413, 408,
//! a panic), so no plain-text error ever leaves the server.

use axum::extract::FromRequest;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::i18n::Lang;
pub use super::i18n::Message;
use super::page::{ErrorPage, PageContext};
use super::request_id::RequestId;
use crate::app::AppState;
use crate::storage::StorageError;

/// What a request can fail with, named for the caller, not for the library that failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body could not be read: malformed JSON, wrong content type…; keeps the status.
    #[error("unreadable request ({0}): {1}")]
    Unreadable(StatusCode, String),
    #[error("invalid fields: {0:?}")]
    Invalid(Vec<FieldError>),
    /// One value that is wrong in a way the caller can be told precisely (422): `code` is the
    /// problem's code and the field error's, `detail` the localized explanation.
    #[error("invalid {field}: {code}")]
    InvalidValue {
        field: &'static str,
        code: &'static str,
        detail: Message,
    },
    #[error("not authenticated")]
    Unauthenticated,
    /// Also someone else's object: we never confirm that it exists.
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A form without a valid CSRF token: usually a page left open too long.
    #[error("form token missing or wrong")]
    FormExpired,
    /// More people than the site can serve at this moment: 503 with `Retry-After`, and how
    /// many are ahead (the waiting room's honest position and estimate).
    #[error("busy: {ahead} ahead, retry after {retry_after:?}")]
    Busy {
        retry_after: std::time::Duration,
        ahead: usize,
    },
    /// Too many attempts: 429 with `Retry-After`.
    #[error("rate limited for {0:?}")]
    Limited(std::time::Duration),
    /// A precise refusal: the status, a stable code and a message that says what to do.
    #[error("refused ({code})")]
    Refused {
        status: StatusCode,
        code: &'static str,
        message: Message,
    },
    #[error("database unavailable: {0}")]
    Unavailable(#[source] StorageError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// One invalid field: its name and a stable code (also a Fluent message id).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Unavailable(_) => Self::Unavailable(err),
            StorageError::Unstorable(_) => {
                tracing::warn!(error = %err, "input the database cannot store reached it");
                Self::Invalid(Vec::new())
            }
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        Self::Unreadable(rejection.status(), rejection.body_text())
    }
}

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        Self::Unreadable(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Unreadable(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        // A path that does not parse names nothing that exists.
        Self::NotFound
    }
}

/// What the renderer needs to write an error body, carried in the response's extensions.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    /// Stable code: the problem's `code` and the suffix of its Fluent message id.
    pub code: &'static str,
    pub detail: Option<String>,
    /// A localized detail, written in the caller's language with the body; wins over `detail`.
    pub detail_message: Option<Message>,
    pub errors: Vec<FieldError>,
    /// Seconds for `Retry-After` (429).
    pub retry_after: Option<u64>,
    /// A page form the waiting room can send again as it was (see `http::admission`).
    pub resend: Option<Resend>,
}

/// A form submission turned away by the waiting room, to offer again with one button: the
/// same fields to the same address. Never built from a form that holds a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resend {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl ErrorInfo {
    /// The generic description of a status produced outside our handlers.
    pub fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            401 => "non-autenticato",
            403 => "non-consentito",
            404 => "non-trovato",
            405 => "metodo-non-consentito",
            408 => "tempo-scaduto",
            413 => "troppo-grande",
            422 => "dati-non-validi",
            429 => "troppe-richieste",
            503 => "non-disponibile",
            400..=499 => "richiesta-illeggibile",
            _ => "errore-interno",
        };
        Self {
            status,
            code,
            detail: None,
            detail_message: None,
            errors: Vec::new(),
            retry_after: None,
            resend: None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = match &self {
            Self::Unreadable(status, text) => {
                let status = if status.is_client_error() {
                    *status
                } else {
                    StatusCode::BAD_REQUEST
                };
                ErrorInfo {
                    detail: Some(text.clone()),
                    ..ErrorInfo::for_status(status)
                }
            }
            Self::Invalid(errors) => ErrorInfo {
                errors: errors.clone(),
                ..ErrorInfo::for_status(StatusCode::UNPROCESSABLE_ENTITY)
            },
            Self::InvalidValue { field, code, detail } => ErrorInfo {
                code,
                detail_message: Some(detail.clone()),
                errors: vec![FieldError {
                    field: (*field).to_owned(),
                    code: (*code).to_owned(),
                }],
                ..ErrorInfo::for_status(StatusCode::UNPROCESSABLE_ENTITY)
            },
            Self::Unauthenticated => ErrorInfo::for_status(StatusCode::UNAUTHORIZED),
            Self::NotFound => ErrorInfo::for_status(StatusCode::NOT_FOUND),
            Self::Forbidden(why) => ErrorInfo {
                detail: Some((*why).to_owned()),
                ..ErrorInfo::for_status(StatusCode::FORBIDDEN)
            },
            Self::FormExpired => ErrorInfo {
                code: "modulo-scaduto",
                ..ErrorInfo::for_status(StatusCode::FORBIDDEN)
            },
            Self::Limited(wait) => {
                let seconds = wait.as_secs().max(1);
                ErrorInfo {
                    detail_message: Some(
                        Message::new("limited-detail").arg("minutes", seconds.div_ceil(60).to_string()),
                    ),
                    retry_after: Some(seconds),
                    ..ErrorInfo::for_status(StatusCode::TOO_MANY_REQUESTS)
                }
            }
            Self::Refused {
                status,
                code,
                message,
            } => ErrorInfo {
                code,
                detail_message: Some(message.clone()),
                ..ErrorInfo::for_status(*status)
            },
            Self::Busy { retry_after, ahead } => {
                let seconds = retry_after.as_secs().max(1);
                ErrorInfo {
                    code: "sala-d-attesa",
                    detail_message: Some(
                        Message::new("busy-detail")
                            .number("ahead", i64::try_from(*ahead).unwrap_or(i64::MAX))
                            .number("seconds", i64::try_from(seconds).unwrap_or(i64::MAX)),
                    ),
                    retry_after: Some(seconds),
                    ..ErrorInfo::for_status(StatusCode::SERVICE_UNAVAILABLE)
                }
            }
            Self::Unavailable(_) => ErrorInfo::for_status(StatusCode::SERVICE_UNAVAILABLE),
            Self::Internal(_) => ErrorInfo::for_status(StatusCode::INTERNAL_SERVER_ERROR),
        };
        if info.status.is_server_error() && !matches!(self, Self::Busy { .. }) {
            // Logged once, here; the cause never reaches the client. (A full waiting room is
            // the site working as designed, not an error.)
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = info.status.into_response();
        if let Some(seconds) = info.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(info);
        response
    }
}

/// RFC 9457 problem details; `code` and `errors` are extension members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, human-readable summary, in the caller's language.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code.
    pub code: String,
    /// The invalid fields, for 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, to quote to the help desk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Is this request for the JSON API (problem+json errors) or for a page (HTML errors)?
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// What the renderer needs to know about the request an error answers.
pub struct ErrorContext {
    pub api: bool,
    pub lang: Lang,
    pub request_id: RequestId,
    pub uri: axum::http::Uri,
}

/// Writes the body of an error response in the right format and language; other responses
/// pass through untouched.
pub fn render(app: &AppState, ctx: ErrorContext, response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None => {
            // Already in our format (a page that re-renders its own form with errors).
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            if content_type
                .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/problem+json"))
            {
                return response;
            }
            ErrorInfo::for_status(status)
        }
    };
    let (mut parts, _) = response.into_parts();
    parts.extensions.remove::<ErrorInfo>();
    parts.headers.remove(header::CONTENT_LENGTH);
    let detail = match &info.detail_message {
        Some(message) => Some(app.i18n.message(ctx.lang, message)),
        None => info.detail.clone(),
    };
    let body = if ctx.api {
        let problem = Problem {
            kind: format!("/problemi/{}", info.code),
            title: app.i18n.get(ctx.lang, &format!("problem-{}", info.code)),
            status: status.as_u16(),
            detail,
            code: info.code.to_owned(),
            errors: info.errors,
            request_id: Some(ctx.request_id.0),
        };
        let json = serde_json::to_string(&problem).unwrap_or_else(|_| "{}".to_owned());
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        axum::body::Body::from(json)
    } else {
        let mut page = ErrorPage::new(
            PageContext::new(app, ctx.lang, &ctx.uri),
            &info,
            Some(ctx.request_id),
        );
        if info.detail_message.is_some() {
            page.message = detail;
        }
        let html: Html<String> = page.render_html();
        let (html_parts, body) = html.into_response().into_parts();
        if let Some(ct) = html_parts.headers.get(header::CONTENT_TYPE) {
            parts.headers.insert(header::CONTENT_TYPE, ct.clone());
        }
        body
    };
    Response::from_parts(parts, body)
}

/// `Json<T>` whose rejection is our problem+json, not axum's plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_stable_codes() {
        assert_eq!(ErrorInfo::for_status(StatusCode::NOT_FOUND).code, "non-trovato");
        assert_eq!(
            ErrorInfo::for_status(StatusCode::PAYLOAD_TOO_LARGE).code,
            "troppo-grande"
        );
        assert_eq!(
            ErrorInfo::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).code,
            "richiesta-illeggibile"
        );
        assert_eq!(
            ErrorInfo::for_status(StatusCode::BAD_GATEWAY).code,
            "errore-interno"
        );
    }

    /// Every code an error can carry, for the message checks below.
    const CODES: &[&str] = &[
        "non-autenticato",
        "non-consentito",
        "non-trovato",
        "metodo-non-consentito",
        "tempo-scaduto",
        "troppo-grande",
        "dati-non-validi",
        "troppe-richieste",
        "non-disponibile",
        "richiesta-illeggibile",
        "errore-interno",
        "modulo-scaduto",
        "credenziali-errate",
        "pin-non-utilizzabile",
    ];

    #[test]
    fn every_status_code_has_a_known_code() {
        for status in 400..600u16 {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(CODES.contains(&ErrorInfo::for_status(status).code), "{status}");
        }
    }

    #[test]
    fn every_code_has_its_messages_in_both_languages() {
        let i18n = crate::http::i18n::I18n::load().unwrap();
        for code in CODES {
            let info = ErrorInfo {
                code,
                ..ErrorInfo::for_status(StatusCode::BAD_REQUEST)
            };
            let (heading, detail) = crate::http::page::ErrorPage::message_ids(&info);
            for lang in crate::http::i18n::Lang::ALL {
                for id in [format!("problem-{code}"), heading.to_owned(), detail.to_owned()] {
                    assert!(i18n.has(lang, &id), "{id} missing in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn api_paths_are_told_apart() {
        assert!(is_api_path("/api/v1/x"));
        assert!(is_api_path("/api"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/"));
    }
}
