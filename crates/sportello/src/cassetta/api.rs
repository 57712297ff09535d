//! The mailbox over `/api/v1/cassetta` for the mobile app: the same service as the pages
//! (bearer token or session cookie), so ownership, delegation scope and audit are the same.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::pages::rfc3339;
use super::{Filter, Message, service};
use crate::app::AppState;
use crate::http::error::{AppError, Problem};
use crate::http::extract::RequireSession;

/// One letter in the mailbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Messaggio {
    pub id: String,
    /// `decisione`, `richiesta-documenti`, `avviso-pagamento`, `pin`, `risposta` or `comunicazione`.
    pub tipo: String,
    /// The subject.
    pub oggetto: String,
    /// The office that sent it, e.g. `Sede di Roma Centro`.
    pub mittente: String,
    /// A protocol, application or question number, if any.
    pub riferimento: Option<String>,
    /// When it was filed, RFC 3339.
    pub data: String,
    /// Whether it has been opened.
    pub letto: bool,
    /// Size of the PDF in bytes.
    pub dimensione_byte: i64,
    /// Where to download the PDF.
    pub pdf: String,
}

impl From<&Message> for Messaggio {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            tipo: m.kind.code().to_owned(),
            oggetto: m.subject.clone(),
            mittente: m.sender_office.clone(),
            riferimento: m.reference.clone(),
            data: rfc3339(m.created_at),
            letto: m.read_at.is_some(),
            dimensione_byte: m.size_bytes,
            pdf: format!("/api/v1/cassetta/{}/pdf", m.id),
        }
    }
}

/// A page of the mailbox, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Cassetta {
    /// At most 20.
    pub messaggi: Vec<Messaggio>,
    /// Pass it as `prima_di` for the next (older) page; absent on the last page.
    pub prima_di: Option<String>,
}

/// The list's filters. The schemas say exactly what is accepted (anything else is a 422).
/// (`schema_with` replaces a field's doc comment, hence the descriptions in the functions.)
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CassettaParams {
    #[param(schema_with = text_schema)]
    pub q: Option<String>,
    #[param(schema_with = kind_schema)]
    pub tipo: Option<String>,
    #[param(schema_with = state_schema)]
    pub stato: Option<String>,
    #[param(schema_with = cursor_schema)]
    pub prima_di: Option<String>,
}

fn text_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "Words to find in the subject or the reference, at most 100 characters. Empty: no search.",
        ))
        .max_length(Some(super::SEARCH_MAX))
        .build()
}

fn kind_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("Only letters of this kind. Empty: every kind."))
        .enum_values(Some(
            std::iter::once("").chain(super::MessageKind::ALL.iter().map(|k| k.code())),
        ))
        .build()
}

fn state_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "`da-leggere`: only unread letters; `letti`: only read ones. Empty: all.",
        ))
        .enum_values(Some(["", "da-leggere", "letti"]))
        .build()
}

fn cursor_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "The `prima_di` of the previous page: the next page starts after it. Empty: the newest letters.",
        ))
        .pattern(Some(CURSOR_PATTERN))
        .build()
}

/// A cursor as `Cursor::encode` writes it (milliseconds, `_`, a letter's id), or nothing.
const CURSOR_PATTERN: &str = "^([0-9]{1,18}_[0-9a-fA-F-]{36})?$";

/// The caller's mailbox (or the mailbox of the citizen they act for).
#[utoipa::path(
    get,
    path = "/api/v1/cassetta",
    operation_id = "cassetta_elenco",
    tag = "cassetta",
    summary = "List the mailbox",
    description = "Letters from the institute, newest first, 20 at a time; search and filters as on the page. A delegate or intermediary sees the mailbox of the citizen they act for only if their delegation covers it; each such read is recorded.",
    params(CassettaParams),
    security(("sessione" = []), ("app" = [])),
    responses(
        (status = 200, description = "One page of letters.", body = Cassetta),
        (status = 400, description = "The query string cannot be read.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The session may not read this mailbox (staff, a mandate for other services).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid (unknown kind or state, text too long, bad cursor).", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    RequireSession(session): RequireSession,
    Query(params): Query<CassettaParams>,
) -> Result<Json<Cassetta>, AppError> {
    let filter = Filter::parse(
        params.q.as_deref(),
        params.tipo.as_deref(),
        params.stato.as_deref(),
        params.prima_di.as_deref(),
    )?;
    let listing = service::list(&app, &session, &filter).await?;
    Ok(Json(Cassetta {
        messaggi: listing.messages.iter().map(Messaggio::from).collect(),
        prima_di: listing.next.map(|cursor| cursor.encode()),
    }))
}

/// One letter; opening it marks it read.
#[utoipa::path(
    get,
    path = "/api/v1/cassetta/{id}",
    operation_id = "cassetta_lettera",
    tag = "cassetta",
    summary = "Open a letter",
    description = "The letter's details; it is marked read.",
    params(("id" = String, Path, description = "The letter's id", pattern = "^[0-9a-fA-F-]{36}$")),
    security(("sessione" = []), ("app" = [])),
    responses(
        (status = 200, description = "The letter.", body = Messaggio),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The session may not read this mailbox.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such letter in this mailbox.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn show(
    State(app): State<AppState>,
    RequireSession(session): RequireSession,
    Path(id): Path<String>,
) -> Result<Json<Messaggio>, AppError> {
    let (message, _) = service::open(&app, &session, &id).await?;
    Ok(Json(Messaggio::from(&message)))
}

/// The letter as a PDF.
#[utoipa::path(
    get,
    path = "/api/v1/cassetta/{id}/pdf",
    operation_id = "cassetta_pdf",
    tag = "cassetta",
    summary = "Download a letter",
    description = "The letter as a PDF attachment.",
    params(("id" = String, Path, description = "The letter's id", pattern = "^[0-9a-fA-F-]{36}$")),
    security(("sessione" = []), ("app" = [])),
    responses(
        (status = 200, description = "The PDF.", content_type = "application/pdf"),
        (status = 401, description = "No live session.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The session may not read this mailbox.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such letter in this mailbox.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn pdf(
    State(app): State<AppState>,
    RequireSession(session): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (message, pdf) = service::download(&app, &session, &id).await?;
    service::pdf_response(&message, pdf)
}
