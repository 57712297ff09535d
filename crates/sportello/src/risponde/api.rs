//! The questions in the JSON API, for the mobile app: list, ask (no attachments), read,
//! reply, rate. Errors are problem+json: someone else's question is 404, a reply to a closed
//! question and a second rating are 409.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Action, FieldProblem};
use super::pages::{self, Asker, RateOutcome, asker, author_label_code};
use super::store::{self, NewMessage, NewQuestion, Question};
use crate::app::AppState;
use crate::http::error::{ApiJson, AppError, FieldError, Message, Problem};
use crate::http::extract::RequireSession;
use crate::storage::now_ms;

/// A question in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Quesito {
    pub id: String,
    /// `Q-2026-000123`.
    pub numero: String,
    pub argomento: String,
    /// `risponde` (contact center) or `sede` ("Scrivi alla sede").
    pub tipo: String,
    pub oggetto: String,
    /// `inviata`, `presa-in-carico`, `inoltrata`, `risposta`, `chiusa`, `riaperta`.
    pub stato: String,
    pub riferimento_domanda: Option<String>,
    /// When the answer is due (ms since the Unix epoch).
    pub scadenza_ms: i64,
    pub creato_il_ms: i64,
    pub aggiornato_il_ms: i64,
}

impl From<&Question> for Quesito {
    fn from(q: &Question) -> Self {
        Self {
            id: q.id.clone(),
            numero: q.number.clone(),
            argomento: q.topic.clone(),
            tipo: q.kind.clone(),
            oggetto: q.subject.clone(),
            stato: q.state.clone(),
            riferimento_domanda: q.application_ref.clone(),
            scadenza_ms: q.due_at,
            creato_il_ms: q.created_at,
            aggiornato_il_ms: q.updated_at,
        }
    }
}

/// A message of a question (staff notes are never here).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessaggioQuesito {
    /// `cittadino`, `delegato`, `intermediario`, `pue`, `contact-center`, `sede`, `amministratore`.
    pub autore: String,
    pub testo: String,
    pub il_ms: i64,
}

/// A step of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evento {
    /// `inviata`, `presa-in-carico`, `inoltrata`, `risposta`, `messaggio`, `riaperta`, `valutata`, `chiusa`, `unita`.
    pub tipo: String,
    pub dettaglio: String,
    pub il_ms: i64,
}

/// A question with its messages and timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuesitoDettaglio {
    #[serde(flatten)]
    pub quesito: Quesito,
    pub messaggi: Vec<MessaggioQuesito>,
    pub eventi: Vec<Evento>,
    pub valutato: bool,
}

/// A new question.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NuovoQuesito {
    #[schema(schema_with = topic_codes)]
    pub argomento: String,
    /// One line: 1–150 characters, no control characters, not only spaces.
    // The patterns state what `model::subject` and `model::body` accept (a little stricter:
    // they start and end with a visible character), so a schema-valid question is filed.
    #[schema(
        max_length = 150,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\s]([^\u0000-\u001F\u007F-\u009F]{0,148}[^\u0000-\u001F\u007F-\u009F\s])?$"
    )]
    pub oggetto: String,
    /// 10–5000 characters, line breaks allowed; HTML is kept as text.
    #[schema(
        min_length = 10,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\s][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{8,4998}[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\s]$"
    )]
    pub testo: String,
    /// The application the question is about, if any: letters, digits, `-` and `/`, at most 40.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9/-]{0,40}$")]
    pub riferimento_domanda: Option<String>,
    /// `true`: "Scrivi alla sede", straight to the citizen's sede.
    #[serde(default)]
    pub alla_sede: bool,
}

/// The topics a question may be about (`schema_with` replaces the field's doc comment).
fn topic_codes() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some("The topic: one of the service's topic codes."))
        .enum_values(Some(model::TOPICS.iter().map(|t| t.code)))
        .build()
}

/// A reply.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NuovoMessaggio {
    /// 10–5000 characters, line breaks allowed; HTML is kept as text.
    #[schema(
        min_length = 10,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\s][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{8,4998}[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\s]$"
    )]
    pub testo: String,
}

/// A rating of the answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Valutazione {
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub velocita: i64,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub completezza: i64,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub chiarezza: i64,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub utilita: i64,
    /// Did the answer solve the problem? `true` closes the question.
    pub risolto: bool,
}

/// An integer as JSON Schema means it: `5` and `5.0` are the same integer.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Ok(value as i64)
    } else {
        Err(serde::de::Error::custom("expected a whole number"))
    }
}

fn invalid(errors: Vec<(&str, FieldProblem)>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|(field, problem)| FieldError {
                field: field.to_owned(),
                code: format!("risponde-error-{field}-{}", problem.code()),
            })
            .collect(),
    )
}

fn conflict(id: &'static str, code: &'static str) -> AppError {
    AppError::Refused {
        status: StatusCode::CONFLICT,
        code,
        message: Message::new(id),
    }
}

/// List the caller's questions (or, acting for a citizen, theirs).
#[utoipa::path(
    get,
    path = "/api/v1/quesiti",
    operation_id = "quesiti_elenco",
    tag = "quesiti",
    summary = "List questions",
    responses(
        (status = 200, description = "The questions, newest first.", body = [Quesito]),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Acting for someone without a basis that covers questions.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn list(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    asker.audit_read(&app.db, "elenco").await?;
    let questions = store::list_for_citizen(&app.db, &asker.citizen.id).await?;
    Ok(Json(questions.iter().map(Quesito::from).collect::<Vec<_>>()).into_response())
}

/// Ask a question.
#[utoipa::path(
    post,
    path = "/api/v1/quesiti",
    operation_id = "quesito_nuovo",
    tag = "quesiti",
    summary = "Ask a question",
    description = "Files a question with the contact center, or (`alla_sede`) with the citizen's sede. \
                   The acknowledgement with the number also goes to the mailbox. Attachments are \
                   accepted by the web form only.",
    request_body = NuovoQuesito,
    responses(
        (status = 201, description = "Filed.", body = Quesito),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or out of its limits.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn create(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    ApiJson(body): ApiJson<NuovoQuesito>,
) -> Result<Response, AppError> {
    let asker: Asker = asker(&app.db, &current).await?;
    let mut errors = Vec::new();
    let topic = model::topic(&body.argomento);
    if topic.is_none() {
        errors.push(("argomento", FieldProblem::Unknown));
    }
    let subject = model::subject(&body.oggetto)
        .map_err(|p| errors.push(("oggetto", p)))
        .ok();
    let text = model::body(&body.testo)
        .map_err(|p| errors.push(("testo", p)))
        .ok();
    let reference = model::reference(body.riferimento_domanda.as_deref().unwrap_or_default())
        .map_err(|p| errors.push(("riferimento", p)))
        .ok()
        .flatten();
    let sede = store::competent_sede(
        &app.db,
        &asker.citizen.id,
        super::pages::routing_topic(body.alla_sede, topic),
    )
    .await?;
    if body.alla_sede && sede.is_none() {
        errors.push(("alla_sede", FieldProblem::Unknown));
    }
    let (Some(topic), Some(subject), Some(text), true) = (topic, subject, text, errors.is_empty()) else {
        return Err(invalid(errors));
    };
    let new = NewQuestion {
        account_id: asker.citizen.id.clone(),
        asked_by: asker.holder.id.clone(),
        topic,
        to_sede: body.alla_sede,
        subject,
        application_ref: reference,
        message: NewMessage {
            author_id: asker.holder.id.clone(),
            author_role: asker.role.to_owned(),
            body: text,
            internal: false,
            attachments: Vec::new(),
        },
        sede,
    };
    let created = pages::submit(&app, &asker, &new).await?;
    let q = store::find(&app.db, &created.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(Quesito::from(&q))).into_response())
}

async fn own(app: &AppState, asker: &Asker, id: &str) -> Result<Question, AppError> {
    store::for_citizen(&app.db, id, &asker.citizen.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Read a question: messages (never staff notes) and timeline.
#[utoipa::path(
    get,
    path = "/api/v1/quesiti/{id}",
    operation_id = "quesito",
    tag = "quesiti",
    summary = "Read a question",
    params(("id" = String, Path, description = "The question's id.")),
    responses(
        (status = 200, description = "The question.", body = QuesitoDettaglio),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question among the caller's.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn show(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    let q = own(&app, &asker, &id).await?;
    asker.audit_read(&app.db, q.number.as_str()).await?;
    let messages = store::messages(&app.db, &q.id, false)
        .await?
        .into_iter()
        .map(|m| MessaggioQuesito {
            autore: author_label_code(&m.author_role).to_owned(),
            testo: m.body,
            il_ms: m.created_at,
        })
        .collect();
    let events = store::events(&app.db, &q.id)
        .await?
        .into_iter()
        .map(|e| Evento {
            tipo: e.kind,
            dettaglio: e.detail,
            il_ms: e.at,
        })
        .collect();
    let rated = store::rating(&app.db, &q.id).await?.is_some();
    Ok(Json(QuesitoDettaglio {
        quesito: Quesito::from(&q),
        messaggi: messages,
        eventi: events,
        valutato: rated,
    })
    .into_response())
}

/// Reply to a question (after an answer, a reply reopens it).
#[utoipa::path(
    post,
    path = "/api/v1/quesiti/{id}/messaggi",
    operation_id = "quesito_risposta",
    tag = "quesiti",
    summary = "Reply to a question",
    params(("id" = String, Path, description = "The question's id.")),
    request_body = NuovoMessaggio,
    responses(
        (status = 201, description = "Added.", body = Quesito),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The question is closed.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The text is empty or out of its limits.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn reply(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NuovoMessaggio>,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    let q = own(&app, &asker, &id).await?;
    let change = match pages::citizen_change(
        &app,
        &asker,
        &q,
        Action::CitizenReply,
        &body.testo,
        Vec::new(),
        now_ms(),
    ) {
        Ok(change) => change,
        Err((id, StatusCode::CONFLICT)) => return Err(conflict(id, "quesito-chiuso")),
        Err(_) => {
            let problem = model::body(&body.testo).err().unwrap_or(FieldProblem::Missing);
            return Err(invalid(vec![("testo", problem)]));
        }
    };
    if !store::apply(&app.db, &change).await? {
        return Err(conflict("risponde-error-moved", "quesito-cambiato"));
    }
    let q = store::find(&app.db, &q.id).await?.ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(Quesito::from(&q))).into_response())
}

/// Rate the answer, once.
#[utoipa::path(
    post,
    path = "/api/v1/quesiti/{id}/valutazione",
    operation_id = "quesito_valutazione",
    tag = "quesiti",
    summary = "Rate the answer",
    params(("id" = String, Path, description = "The question's id.")),
    request_body = Valutazione,
    responses(
        (status = 201, description = "Recorded.", body = Quesito),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already rated, or not answered yet.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A score is not 1–5.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn rate(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Valutazione>,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    let q = own(&app, &asker, &id).await?;
    let scores = [
        Some(body.velocita),
        Some(body.completezza),
        Some(body.chiarezza),
        Some(body.utilita),
    ];
    match pages::rate_question(&app, &asker, &q, scores, Some(body.risolto)).await? {
        RateOutcome::Done => {
            let q = store::find(&app.db, &q.id).await?.ok_or(AppError::NotFound)?;
            Ok((StatusCode::CREATED, Json(Quesito::from(&q))).into_response())
        }
        RateOutcome::Invalid(fields) => Err(AppError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: f.to_owned(),
                    code: format!("risponde-error-rating-{f}"),
                })
                .collect(),
        )),
        RateOutcome::Conflict(id) => Err(conflict(
            id,
            if id == "risponde-error-rated" {
                "gia-valutato"
            } else {
                "senza-risposta"
            },
        )),
    }
}
