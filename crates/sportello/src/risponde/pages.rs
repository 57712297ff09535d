//! The citizen's pages: the list of questions, a new question (to the contact center or
//! straight to the sede), and one question with its timeline, messages, reply, rating and
//! reopening. Every form works without JavaScript and carries the CSRF token; a delegate
//! or intermediary acting for the citizen sees and asks within their basis, audited.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::MailboxLetter;
use super::model::{self, Action, FieldProblem, Rating, Refusal, State as QState, TOPICS};
use super::store::{self, Change, NewAttachment, NewMessage, NewQuestion, Question};
use crate::app::AppState;
use crate::audit::Entry;
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::i18n::Lang;
use crate::http::page::{self, PageContext, local_date, local_time, see_other};
use crate::identity::accounts::{Account, Role};
use crate::identity::session::Session;
use crate::read_pool;
use crate::storage::files::FileKey;
use crate::storage::{Db, StorageError, now_ms};

/// Whose questions this session reaches, and as whom it writes.
#[derive(Debug, Clone)]
pub struct Asker {
    pub citizen: Account,
    /// The account typing (the citizen, or the delegate / intermediary / desk operator).
    pub holder: Account,
    /// `cittadino`, `delegato`, `intermediario`, `pue`.
    pub role: &'static str,
    /// Acting for someone: every read and write is audited.
    pub acting: bool,
}

/// The citizen whose questions `session` may read and ask: their own, or within the acting
/// basis (a delegation; a mandate for every service or for `risponde`; a desk session).
pub async fn asker(db: &Db, session: &Session) -> Result<Asker, AppError> {
    let Some(acting) = &session.acting_for else {
        if !matches!(session.account.role, Role::Cittadino | Role::Intermediario) {
            return Err(AppError::Forbidden("citizens only"));
        }
        return Ok(Asker {
            citizen: session.account.clone(),
            holder: session.account.clone(),
            role: "cittadino",
            acting: false,
        });
    };
    let role = match acting.basis.split_once(':') {
        Some(("delega", _)) => "delegato",
        Some(("pue", _)) => "pue",
        Some(("mandato", id)) => {
            let service: Option<String> = read_pool!(db, |pool| sqlx::query_scalar(
                "SELECT service FROM mandati WHERE id = $1"
            )
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(StorageError::from))?;
            if !matches!(service.as_deref(), Some("*") | Some(super::SERVICE)) {
                return Err(AppError::Refused {
                    status: StatusCode::FORBIDDEN,
                    code: "non-consentito",
                    message: Message::new("risponde-basis-denied"),
                });
            }
            "intermediario"
        }
        _ => return Err(AppError::Forbidden("basis")),
    };
    Ok(Asker {
        citizen: acting.citizen.clone(),
        holder: session.account.clone(),
        role,
        acting: true,
    })
}

impl Asker {
    /// An audit entry for an access by someone acting for the citizen.
    pub fn entry(&self, action: &'static str) -> Entry {
        Entry::new(action)
            .actor(self.holder.id.as_str())
            .subject(self.citizen.id.as_str())
            .detail("ruolo", self.role)
    }

    /// Records a read when acting for the citizen.
    pub async fn audit_read(&self, db: &Db, what: &str) -> Result<(), AppError> {
        if self.acting {
            crate::audit::record(db, &self.entry("quesito.consultato").detail("cosa", what)).await?;
        }
        Ok(())
    }
}

/// A question as a row of the citizen's list.
pub struct Row {
    pub id: String,
    pub number: String,
    pub subject: String,
    pub topic: String,
    pub state: String,
    pub created: String,
}

fn row(page: &PageContext, q: &Question) -> Row {
    Row {
        id: q.id.clone(),
        number: q.number.clone(),
        subject: q.subject.clone(),
        topic: page.t(&format!("risponde-topic-{}", q.topic)),
        state: page.t(&q.state().label_id()),
        created: local_date(q.created_at),
    }
}

#[derive(Template)]
#[template(path = "risponde/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<Row>,
}

/// `GET /area-personale/quesiti`.
pub async fn list(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    asker.audit_read(&app.db, "elenco").await?;
    let questions = store::list_for_citizen(&app.db, &asker.citizen.id).await?;
    let rows = questions.iter().map(|q| row(&page, q)).collect();
    Ok(page::render(&ListPage { page, rows })?.into_response())
}

/// What the new-question form holds.
#[derive(Debug, Clone, Default)]
pub struct NewInput {
    pub argomento: String,
    pub riferimento: String,
    pub oggetto: String,
    pub testo: String,
    pub to_sede: bool,
}

#[derive(Template)]
#[template(path = "risponde/new.html")]
pub struct NewPage {
    pub page: PageContext,
    pub csrf: String,
    pub input: NewInput,
    pub topics: Vec<(&'static str, String)>,
    pub sede_name: String,
    pub errors: Vec<(String, String)>,
}

impl NewPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }
}

fn topics(page: &PageContext) -> Vec<(&'static str, String)> {
    TOPICS.iter().map(|t| (t.code, page.t(&t.label_id()))).collect()
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    sede: Option<String>,
}

/// `GET /area-personale/quesiti/nuovo` (`?sede=1`: "Scrivi alla sede").
pub async fn new_form(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    let to_sede = query.sede.as_deref() == Some("1");
    let sede_name = match to_sede {
        // "Scrivi alla sede": the sede of the citizen's residence, whatever the topic.
        true => store::competent_sede(&app.db, &asker.citizen.id, "")
            .await?
            .map(|s| s.nome)
            .unwrap_or_default(),
        false => String::new(),
    };
    let view = NewPage {
        csrf: current.csrf_token.clone(),
        input: NewInput {
            to_sede,
            ..NewInput::default()
        },
        topics: topics(&page),
        sede_name,
        errors: Vec::new(),
        page,
    };
    Ok(page::render(&view)?.into_response())
}

/// A multipart form read whole: text fields, and files that passed the checks.
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<(String, &'static str, Vec<u8>)>,
    /// Per-file problems, as Fluent ids (the first wins).
    pub file_error: Option<&'static str>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Text fields longer than this are not read further (the limits are far below it).
const FIELD_BYTES_MAX: usize = 256 * 1024;

fn multipart_error(err: axum::extract::multipart::MultipartError) -> AppError {
    AppError::Unreadable(err.status(), err.body_text())
}

/// Reads a multipart body. Files are judged by their bytes: PDF, JPEG or PNG, at most 5 MB
/// each, at most 3; an empty file part (no file chosen) is ignored.
pub async fn read_upload(request: Request, app: &AppState) -> Result<Upload, AppError> {
    let mut multipart = Multipart::from_request(request, app)
        .await
        .map_err(|rejection| AppError::Unreadable(rejection.status(), rejection.body_text()))?;
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let limit = if file_name.is_some() {
            model::ATTACHMENT_BYTES_MAX
        } else {
            FIELD_BYTES_MAX
        };
        let mut bytes = Vec::new();
        let mut too_big = false;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > limit {
                too_big = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            None => {
                if too_big {
                    // Far beyond any limit: the field's own check reports it as too long.
                    bytes.truncate(FIELD_BYTES_MAX);
                }
                upload
                    .fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
            Some(file_name) => {
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                let problem = if too_big {
                    Some("risponde-error-attachment-size")
                } else if upload.files.len() >= model::ATTACHMENTS_MAX {
                    Some("risponde-error-attachment-count")
                } else {
                    match model::sniff(&bytes) {
                        None => Some("risponde-error-attachment-type"),
                        Some(mime) => {
                            upload
                                .files
                                .push((model::safe_file_name(&file_name, mime), mime, bytes));
                            None
                        }
                    }
                };
                if upload.file_error.is_none() {
                    upload.file_error = problem;
                }
            }
        }
    }
    Ok(upload)
}

/// Stores checked files; on failure removes those already stored.
pub async fn store_files(
    app: &AppState,
    files: Vec<(String, &'static str, Vec<u8>)>,
) -> Result<Vec<NewAttachment>, AppError> {
    let mut stored = Vec::new();
    for (name, mime, bytes) in files {
        let key = FileKey::generate("quesiti");
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        if let Err(err) = app.files.put(&key, bytes).await {
            discard_files(app, &stored).await;
            return Err(AppError::Internal(anyhow::Error::new(err)));
        }
        stored.push(NewAttachment {
            file_key: key.as_str().to_owned(),
            name,
            mime: mime.to_owned(),
            size,
        });
    }
    Ok(stored)
}

/// Removes files whose database rows were never written.
pub async fn discard_files(app: &AppState, files: &[NewAttachment]) {
    for file in files {
        if let Ok(key) = FileKey::parse(&file.file_key) {
            let _ = app.files.delete(&key).await;
        }
    }
}

fn field_message(page: &PageContext, field: &str, problem: FieldProblem) -> (String, String) {
    (
        field.to_owned(),
        page.t(&format!("risponde-error-{field}-{}", problem.code())),
    )
}

/// The topic that routes a question: none for "Scrivi alla sede" (the citizen's own sede, as
/// the form showed it), the question's topic otherwise.
pub fn routing_topic(to_sede: bool, topic: Option<model::Topic>) -> &'static str {
    match (to_sede, topic) {
        (false, Some(topic)) => topic.code,
        _ => "",
    }
}

/// `POST /area-personale/quesiti/nuovo` (multipart).
pub async fn create(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    request: Request,
) -> Result<Response, AppError> {
    let upload = read_upload(request, &app).await?;
    csrf.verify(upload.fields.get("_csrf").map(String::as_str))?;
    let asker = asker(&app.db, &current).await?;
    let input = NewInput {
        argomento: upload.field("argomento").to_owned(),
        riferimento: upload.field("riferimento").to_owned(),
        oggetto: upload.field("oggetto").to_owned(),
        testo: upload.field("testo").to_owned(),
        to_sede: upload.field("sede") == "1",
    };
    let mut errors = Vec::new();
    let topic = model::topic(&input.argomento);
    if topic.is_none() {
        errors.push(field_message(&page, "argomento", FieldProblem::Missing));
    }
    let reference = model::reference(&input.riferimento)
        .map_err(|p| errors.push(field_message(&page, "riferimento", p)))
        .ok()
        .flatten();
    let subject = model::subject(&input.oggetto)
        .map_err(|p| errors.push(field_message(&page, "oggetto", p)))
        .ok();
    let body = model::body(&input.testo)
        .map_err(|p| errors.push(field_message(&page, "testo", p)))
        .ok();
    if let Some(id) = upload.file_error {
        errors.push(("allegati".to_owned(), page.t(id)));
    }
    let sede = store::competent_sede(&app.db, &asker.citizen.id, routing_topic(input.to_sede, topic)).await?;
    if input.to_sede && sede.is_none() {
        errors.push(("argomento".to_owned(), page.t("risponde-error-no-sede")));
    }
    let (Some(topic), Some(subject), Some(body), true) = (topic, subject, body, errors.is_empty()) else {
        let view = NewPage {
            csrf: current.csrf_token.clone(),
            sede_name: sede.map(|s| s.nome).unwrap_or_default(),
            input,
            topics: topics(&page),
            errors,
            page,
        };
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    let attachments = store_files(&app, upload.files).await?;
    let new = NewQuestion {
        account_id: asker.citizen.id.clone(),
        asked_by: asker.holder.id.clone(),
        topic,
        to_sede: input.to_sede,
        subject,
        application_ref: reference,
        message: NewMessage {
            author_id: asker.holder.id.clone(),
            author_role: asker.role.to_owned(),
            body,
            internal: false,
            attachments: attachments.clone(),
        },
        sede,
    };
    let created = match submit(&app, &asker, &new).await {
        Ok(created) => created,
        Err(err) => {
            discard_files(&app, &attachments).await;
            return Err(err);
        }
    };
    Ok(see_other(&format!(
        "/area-personale/quesiti/{}?inviato=1",
        created.id
    )))
}

/// Files a question and sends the acknowledgement to the mailbox (pages and API).
pub async fn submit(app: &AppState, asker: &Asker, new: &NewQuestion) -> Result<store::Created, AppError> {
    let entry = asker
        .entry("quesito.inviato")
        .detail("argomento", new.topic.code)
        .detail("alla_sede", new.to_sede);
    let office = match (&new.sede, new.to_sede) {
        (Some(sede), true) => sede.nome.clone(),
        _ => it(app, &Message::new("risponde-office-contact-center")),
    };
    // The acknowledgement carries the number, known only inside the transaction: its job is
    // made there, so the question and its letter are written together.
    let acknowledgement = |created: &store::Created| {
        Some(
            MailboxLetter {
                account_id: new.account_id.clone(),
                kind: "comunicazione",
                subject: it(
                    app,
                    &Message::new("risponde-letter-received-subject").arg("numero", created.number.clone()),
                ),
                sender_office: office.clone(),
                paragraphs: vec![it(
                    app,
                    &Message::new("risponde-letter-received")
                        .arg("numero", created.number.clone())
                        .arg("oggetto", new.subject.clone())
                        .arg("scadenza", local_date(created.due_at - 1)),
                )],
                reference: Some(created.number.clone()),
            }
            .job(),
        )
    };
    let created = store::create_with(&app.db, new, &entry, now_ms(), &acknowledgement).await?;
    Ok(created)
}

/// A text in Italian, for letters (the mailbox keeps the institution's language).
pub fn it(app: &AppState, message: &Message) -> String {
    app.i18n.message(Lang::It, message)
}

/// A message as the citizen sees it.
pub struct ShownMessage {
    pub author: String,
    pub mine: bool,
    pub body: String,
    pub at: String,
    pub attachments: Vec<(String, String)>,
}

/// A timeline step as shown.
pub struct ShownEvent {
    pub at: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "risponde/show.html")]
pub struct ShowPage {
    pub page: PageContext,
    pub csrf: String,
    pub q: Question,
    pub topic: String,
    pub state: String,
    pub due: String,
    pub events: Vec<ShownEvent>,
    pub messages: Vec<ShownMessage>,
    pub can_reply: bool,
    pub can_rate: bool,
    pub can_reopen: bool,
    pub rated: bool,
    pub closed: bool,
    pub merged_number: Option<String>,
    pub notice: Option<String>,
    pub errors: Vec<(String, String)>,
    pub draft: String,
}

impl ShowPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn criteria(&self) -> Vec<(&'static str, String)> {
        Rating::CRITERIA
            .iter()
            .map(|c| (*c, self.page.t(&format!("risponde-rating-{c}"))))
            .collect()
    }
}

/// The text of a timeline step.
pub fn event_text(page: &PageContext, event: &store::Event) -> String {
    let label = page.t(&format!("risponde-event-{}", event.kind));
    if event.detail.is_empty() {
        label
    } else {
        format!("{label}: {}", event.detail)
    }
}

/// Who wrote a message, as the citizen reads it (staff by office, not by name).
pub fn author_label(page: &PageContext, role: &str) -> String {
    page.t(&format!("risponde-author-{role}"))
}

async fn show_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    q: Question,
    notice: Option<String>,
    errors: Vec<(String, String)>,
    draft: String,
) -> Result<ShowPage, AppError> {
    let events = store::events(&app.db, &q.id)
        .await?
        .iter()
        .map(|e| ShownEvent {
            at: local_time(e.at),
            text: event_text(&page, e),
        })
        .collect();
    let attachments = store::attachments(&app.db, &q.id, false).await?;
    let messages = store::messages(&app.db, &q.id, false)
        .await?
        .into_iter()
        .map(|m| ShownMessage {
            author: author_label(&page, &m.author_role),
            mine: matches!(
                m.author_role.as_str(),
                "cittadino" | "delegato" | "intermediario" | "pue"
            ),
            attachments: attachments
                .iter()
                .filter(|a| a.message_id == m.id)
                .map(|a| {
                    (
                        format!("/area-personale/quesiti/{}/allegati/{}", q.id, a.id),
                        a.name.clone(),
                    )
                })
                .collect(),
            body: m.body,
            at: local_time(m.created_at),
        })
        .collect();
    let rated = store::rating(&app.db, &q.id).await?.is_some();
    let state = q.state();
    let merged_number = match &q.merged_into {
        Some(target) => store::find(&app.db, target).await?.map(|t| t.number),
        None => None,
    };
    Ok(ShowPage {
        csrf: current.csrf_token.clone(),
        topic: page.t(&format!("risponde-topic-{}", q.topic)),
        state: page.t(&state.label_id()),
        due: local_date(q.due_at - 1),
        can_reply: state.awaits_answer(),
        can_rate: model::may_rate(state, q.answered_at.is_some(), rated).is_ok(),
        can_reopen: state == QState::Risposta,
        closed: state == QState::Chiusa,
        rated,
        merged_number,
        events,
        messages,
        notice,
        errors,
        draft,
        q,
        page,
    })
}

async fn own_question(app: &AppState, asker: &Asker, id: &str) -> Result<Question, AppError> {
    store::for_citizen(&app.db, id, &asker.citizen.id)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    inviato: Option<String>,
    fatto: Option<String>,
}

/// `GET /area-personale/quesiti/{id}`.
pub async fn show(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    let q = own_question(&app, &asker, &id).await?;
    asker.audit_read(&app.db, q.number.as_str()).await?;
    let notice = if query.inviato.is_some() {
        Some(page.message(&Message::new("risponde-sent").arg("numero", q.number.clone())))
    } else {
        match query.fatto.as_deref() {
            Some("messaggio") => Some(page.t("risponde-done-message")),
            Some("valutazione") => Some(page.t("risponde-done-rating")),
            Some("riaperto") => Some(page.t("risponde-done-reopened")),
            _ => None,
        }
    };
    let view = show_page(&app, page, &current, q, notice, Vec::new(), String::new()).await?;
    Ok(page::render(&view)?.into_response())
}

async fn refuse_on_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    q: Question,
    errors: Vec<(String, String)>,
    draft: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let view = show_page(app, page, current, q, None, errors, draft).await?;
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

/// The citizen's reply or reopening, checked: the change to apply, or the field error and
/// status to show.
pub fn citizen_change(
    app: &AppState,
    asker: &Asker,
    q: &Question,
    action: Action,
    text: &str,
    attachments: Vec<NewAttachment>,
    now: i64,
) -> Result<Change, (&'static str, StatusCode)> {
    let to = match model::next(q.state(), action) {
        Ok(to) => to,
        Err(Refusal::Closed) => return Err(("risponde-error-closed", StatusCode::CONFLICT)),
        Err(Refusal::NotNow) => return Err(("risponde-error-not-now", StatusCode::CONFLICT)),
    };
    let body = model::body(text).map_err(|p| match p {
        FieldProblem::Missing => ("risponde-error-testo-missing", StatusCode::UNPROCESSABLE_ENTITY),
        FieldProblem::TooShort => ("risponde-error-testo-too-short", StatusCode::UNPROCESSABLE_ENTITY),
        FieldProblem::TooLong => ("risponde-error-testo-too-long", StatusCode::UNPROCESSABLE_ENTITY),
        _ => ("risponde-error-testo-control", StatusCode::UNPROCESSABLE_ENTITY),
    })?;
    let action_name = if to == QState::Riaperta {
        "quesito.riaperto"
    } else {
        "quesito.messaggio"
    };
    let mut change = Change::new(q, to, asker.entry(action_name), now);
    change.message = Some(NewMessage {
        author_id: asker.holder.id.clone(),
        author_role: asker.role.to_owned(),
        body,
        internal: false,
        attachments,
    });
    if to == QState::Riaperta && q.state() != QState::Riaperta {
        change.event = Some(("riaperta", String::new()));
        let sla = model::topic(&q.topic).map_or(5, |t| t.sla_days);
        change.due_at = Some(model::due_at(now, sla, None));
    } else {
        change.event = Some(("messaggio", String::new()));
    }
    let _ = app;
    Ok(change)
}

/// `POST /area-personale/quesiti/{id}/messaggi` (multipart): the citizen writes again.
pub async fn reply(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    // Whose question it is, before reading a byte of the body: someone else's is a 404
    // whatever they send.
    let asker = asker(&app.db, &current).await?;
    let q = own_question(&app, &asker, &id).await?;
    let upload = read_upload(request, &app).await?;
    csrf.verify(upload.fields.get("_csrf").map(String::as_str))?;
    let text = upload.field("testo").to_owned();
    if let Some(problem) = upload.file_error {
        let errors = vec![("allegati".to_owned(), page.t(problem))];
        return refuse_on_page(
            &app,
            page,
            &current,
            q,
            errors,
            text,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // Checked before any file is stored: a refused reply writes nothing.
    if let Err((id, status)) = citizen_change(
        &app,
        &asker,
        &q,
        Action::CitizenReply,
        &text,
        Vec::new(),
        now_ms(),
    ) {
        let errors = vec![("testo".to_owned(), page.t(id))];
        return refuse_on_page(&app, page, &current, q, errors, text, status).await;
    }
    let attachments = store_files(&app, upload.files).await?;
    let change = match citizen_change(
        &app,
        &asker,
        &q,
        Action::CitizenReply,
        &text,
        attachments.clone(),
        now_ms(),
    ) {
        Ok(change) => change,
        Err(_) => {
            discard_files(&app, &attachments).await;
            return Err(AppError::Internal(anyhow::anyhow!("reply check changed")));
        }
    };
    if !store::apply(&app.db, &change).await? {
        discard_files(&app, &attachments).await;
        let errors = vec![("testo".to_owned(), page.t("risponde-error-moved"))];
        return refuse_on_page(&app, page, &current, q, errors, text, StatusCode::CONFLICT).await;
    }
    Ok(see_other(&format!(
        "/area-personale/quesiti/{}?fatto=messaggio",
        q.id
    )))
}

#[derive(Debug, Deserialize)]
pub struct ReopenForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    testo: Option<String>,
}

/// `POST /area-personale/quesiti/{id}/riapri`: the answer did not solve the problem.
pub async fn reopen(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<ReopenForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let asker = asker(&app.db, &current).await?;
    let q = own_question(&app, &asker, &id).await?;
    let text = form.testo.unwrap_or_default();
    match citizen_change(&app, &asker, &q, Action::Reopen, &text, Vec::new(), now_ms()) {
        Err((id, status)) => {
            let errors = vec![("motivo".to_owned(), page.t(id))];
            refuse_on_page(&app, page, &current, q, errors, text, status).await
        }
        Ok(change) => {
            if !store::apply(&app.db, &change).await? {
                let errors = vec![("motivo".to_owned(), page.t("risponde-error-moved"))];
                return refuse_on_page(&app, page, &current, q, errors, text, StatusCode::CONFLICT).await;
            }
            Ok(see_other(&format!(
                "/area-personale/quesiti/{}?fatto=riaperto",
                q.id
            )))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RatingForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    velocita: Option<String>,
    completezza: Option<String>,
    chiarezza: Option<String>,
    utilita: Option<String>,
    risolto: Option<String>,
}

/// Why a rating is refused: field errors (422) or a conflict (409).
pub enum RateOutcome {
    Done,
    Invalid(Vec<&'static str>),
    Conflict(&'static str),
}

/// Rates a question (pages and API).
pub async fn rate_question(
    app: &AppState,
    asker: &Asker,
    q: &Question,
    scores: [Option<i64>; 4],
    risolto: Option<bool>,
) -> Result<RateOutcome, AppError> {
    let rated = store::rating(&app.db, &q.id).await?.is_some();
    match model::may_rate(q.state(), q.answered_at.is_some(), rated) {
        Err(model::RatingRefusal::AlreadyRated) => return Ok(RateOutcome::Conflict("risponde-error-rated")),
        Err(model::RatingRefusal::NoAnswerYet) => {
            return Ok(RateOutcome::Conflict("risponde-error-no-answer"));
        }
        Ok(()) => {}
    }
    let rating = match Rating::new(scores, risolto) {
        Ok(rating) => rating,
        Err(fields) => return Ok(RateOutcome::Invalid(fields)),
    };
    let entry = asker
        .entry("quesito.valutato")
        .detail("quesito", q.id.as_str())
        .detail("risolto", rating.risolto);
    let closing = closure_letter(app, q, None).job();
    if !store::rate(&app.db, q, &rating, &entry, now_ms(), Some(&closing)).await? {
        return Ok(RateOutcome::Conflict("risponde-error-rated"));
    }
    Ok(RateOutcome::Done)
}

/// The letter telling the citizen that a question is closed (with staff's reason, if any).
pub fn closure_letter(app: &AppState, q: &Question, reason: Option<&str>) -> MailboxLetter {
    let mut paragraphs = vec![it(
        app,
        &Message::new("risponde-letter-closed").arg("numero", q.number.clone()),
    )];
    if let Some(reason) = reason {
        paragraphs.push(it(
            app,
            &Message::new("risponde-letter-closed-reason").arg("motivo", reason.to_owned()),
        ));
    }
    MailboxLetter {
        account_id: q.account_id.clone(),
        kind: "comunicazione",
        subject: it(
            app,
            &Message::new("risponde-letter-closed-subject").arg("numero", q.number.clone()),
        ),
        sender_office: it(app, &Message::new("risponde-office-contact-center")),
        paragraphs,
        reference: Some(q.number.clone()),
    }
}

fn score(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|v| v.trim().parse().ok())
}

/// `POST /area-personale/quesiti/{id}/valutazione`.
pub async fn rate(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<RatingForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let asker = asker(&app.db, &current).await?;
    let q = own_question(&app, &asker, &id).await?;
    let scores = [
        score(form.velocita.as_deref()),
        score(form.completezza.as_deref()),
        score(form.chiarezza.as_deref()),
        score(form.utilita.as_deref()),
    ];
    let risolto = match form.risolto.as_deref() {
        Some("si") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    match rate_question(&app, &asker, &q, scores, risolto).await? {
        RateOutcome::Done => Ok(see_other(&format!(
            "/area-personale/quesiti/{}?fatto=valutazione",
            q.id
        ))),
        RateOutcome::Invalid(fields) => {
            let errors = fields
                .into_iter()
                .map(|f| (f.to_owned(), page.t(&format!("risponde-error-rating-{f}"))))
                .collect();
            refuse_on_page(
                &app,
                page,
                &current,
                q,
                errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        RateOutcome::Conflict(id) => {
            let errors = vec![("velocita".to_owned(), page.t(id))];
            refuse_on_page(
                &app,
                page,
                &current,
                q,
                errors,
                String::new(),
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

/// `GET /area-personale/quesiti/{id}/allegati/{allegato}`: an attachment the citizen may see.
pub async fn attachment(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let asker = asker(&app.db, &current).await?;
    let q = own_question(&app, &asker, &id).await?;
    let found = store::attachments(&app.db, &q.id, false)
        .await?
        .into_iter()
        .find(|a| a.id == file)
        .ok_or(AppError::NotFound)?;
    asker.audit_read(&app.db, "allegato").await?;
    send_file(&app, &found).await
}

/// An attachment as a download (never rendered inline: the bytes came from a user).
pub async fn send_file(app: &AppState, found: &store::Attachment) -> Result<Response, AppError> {
    let key = FileKey::parse(&found.file_key).map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    let bytes = match app.files.get(&key).await {
        Ok(bytes) => bytes,
        Err(crate::storage::files::FileError::NotFound) => return Err(AppError::NotFound),
        Err(err) => return Err(AppError::Internal(anyhow::Error::new(err))),
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", found.name))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("content-disposition: {e}")))?;
    let content_type = HeaderValue::from_str(&found.mime)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("content-type: {e}")))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The stable code of a message's author for the API (staff by office).
pub fn author_label_code(role: &str) -> &'static str {
    match role {
        "cittadino" => "cittadino",
        "delegato" => "delegato",
        "intermediario" => "intermediario",
        "pue" => "pue",
        "sede" => "sede",
        "amministratore" => "amministratore",
        _ => "contact-center",
    }
}
