//! The back office of the questions: queues per team and sede, the overdue queue for
//! supervisors, one question (every opening audited), assignment, internal notes, answers
//! (free or from a canned answer), forwarding to a sede, merging duplicates, and the canned
//! answers themselves.

use askama::Template;
use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::MailboxLetter;
use super::model::{self, Action, FieldProblem, Refusal, State as QState, TOPICS};
use super::pages::{
    ShownEvent, Upload, author_label, closure_letter, discard_files, event_text, it, read_upload, send_file,
    store_files,
};
use super::store::{self, Canned, Change, NewMessage, Question, QueueRow, Scope};
use crate::app::AppState;
use crate::audit::Entry;
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, local_date, local_time, see_other};
use crate::identity::accounts::Role;
use crate::identity::session::Session;
use crate::storage::now_ms;

/// The queues `session` works on: administrators all (supervisors), the contact center
/// theirs, a sede operator their sede's. Anyone else: 403.
pub async fn scope_of(app: &AppState, session: &Session) -> Result<Scope, AppError> {
    match session.account.role {
        Role::Amministratore => Ok(Scope::All),
        Role::OperatoreContactCenter => Ok(Scope::ContactCenter),
        Role::OperatoreSede => match store::staff_sede(&app.db, &session.account.id).await? {
            Some(sede) => Ok(Scope::Sede(sede)),
            None => Err(AppError::Forbidden("no sede")),
        },
        _ => Err(AppError::Forbidden("role")),
    }
}

/// The question `id` if it is in `scope` (otherwise 404: never confirm it exists).
async fn in_scope(app: &AppState, scope: &Scope, id: &str) -> Result<Question, AppError> {
    store::find(&app.db, id)
        .await?
        .filter(|q| scope.covers(q))
        .ok_or(AppError::NotFound)
}

/// A queue row as shown.
pub struct Line {
    pub id: String,
    pub number: String,
    pub subject: String,
    pub topic: String,
    pub state: String,
    pub where_: String,
    pub assignee: String,
    pub citizen: String,
    pub due: String,
    pub late: bool,
}

fn line(page: &PageContext, r: QueueRow, now: i64) -> Line {
    let state = QState::parse(&r.state).unwrap_or(QState::Inviata);
    Line {
        late: model::overdue(state, r.due_at, now),
        state: page.t(&state.label_id()),
        topic: page.t(&format!("risponde-topic-{}", r.topic)),
        where_: match r.team.as_str() {
            "sede" => r.sede_name.unwrap_or_default(),
            _ => page.t("risponde-office-contact-center"),
        },
        assignee: r.assignee_name.unwrap_or_default(),
        due: local_date(r.due_at - 1),
        id: r.id,
        number: r.number,
        subject: r.subject,
        citizen: r.citizen_name,
    }
}

#[derive(Template)]
#[template(path = "risponde/queue.html")]
pub struct QueuePage {
    pub page: PageContext,
    pub heading: String,
    pub lines: Vec<Line>,
    pub states: Vec<(&'static str, String)>,
    pub topics: Vec<(&'static str, String)>,
    pub stato: String,
    pub argomento: String,
    pub ritardo: bool,
    pub supervisor: bool,
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    stato: Option<String>,
    argomento: Option<String>,
    ritardo: Option<String>,
}

/// `GET /backoffice/risponde`: the caller's queue, with filters (`?ritardo=1`: overdue only,
/// the supervisors' "da lavorare in ritardo").
pub async fn queue(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let filter = store::Filter {
        state: query
            .stato
            .as_deref()
            .and_then(QState::parse)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        topic: query
            .argomento
            .as_deref()
            .and_then(model::topic)
            .map(|t| t.code.to_owned())
            .unwrap_or_default(),
        overdue: query.ritardo.as_deref() == Some("1"),
    };
    let now = now_ms();
    let rows = store::queue(&app.db, &scope, &filter, now).await?;
    let heading = match (&scope, filter.overdue) {
        (_, true) => page.t("risponde-queue-overdue"),
        (Scope::All, false) => page.t("risponde-queue-all"),
        (Scope::ContactCenter, false) => page.t("risponde-queue-contact-center"),
        (Scope::Sede(_), false) => page.t("risponde-queue-sede"),
    };
    let view = QueuePage {
        heading,
        lines: rows.into_iter().map(|r| line(&page, r, now)).collect(),
        states: QState::ALL
            .iter()
            .map(|s| (s.as_str(), page.t(&s.label_id())))
            .collect(),
        topics: TOPICS.iter().map(|t| (t.code, page.t(&t.label_id()))).collect(),
        stato: filter.state,
        argomento: filter.topic,
        ritardo: filter.overdue,
        supervisor: scope == Scope::All,
        page,
    };
    Ok(page::render(&view)?.into_response())
}

/// A message as staff see it (notes included, marked).
pub struct StaffMessage {
    pub author: String,
    pub role: String,
    pub internal: bool,
    pub body: String,
    pub at: String,
    pub attachments: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "risponde/staff_show.html")]
pub struct StaffShowPage {
    pub page: PageContext,
    pub csrf: String,
    pub q: Question,
    pub citizen_name: String,
    pub citizen_cf: String,
    pub topic: String,
    pub state: String,
    pub due: String,
    pub late: bool,
    pub where_: String,
    pub assignee: String,
    pub events: Vec<ShownEvent>,
    pub messages: Vec<StaffMessage>,
    pub colleagues: Vec<(String, String)>,
    pub sedi: Vec<(String, String)>,
    pub canned: Vec<Canned>,
    pub draft: String,
    pub open: bool,
    /// Answered: staff may close it, with a reason.
    pub can_close: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

async fn staff_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    q: Question,
    draft: String,
    notice: Option<String>,
    error: Option<String>,
) -> Result<StaffShowPage, AppError> {
    let citizen = crate::identity::accounts::find(&app.db, &q.account_id).await?;
    let events = store::events(&app.db, &q.id)
        .await?
        .iter()
        .map(|e| ShownEvent {
            at: local_time(e.at),
            text: event_text(&page, e),
        })
        .collect();
    let attachments = store::attachments(&app.db, &q.id, true).await?;
    let messages = store::messages(&app.db, &q.id, true)
        .await?
        .into_iter()
        .map(|m| StaffMessage {
            role: author_label(&page, &m.author_role),
            internal: m.internal != 0,
            attachments: attachments
                .iter()
                .filter(|a| a.message_id == m.id)
                .map(|a| {
                    (
                        format!("/backoffice/risponde/{}/allegati/{}", q.id, a.id),
                        a.name.clone(),
                    )
                })
                .collect(),
            author: m.author_name,
            body: m.body,
            at: local_time(m.created_at),
        })
        .collect();
    let sede = match &q.sede_id {
        Some(id) => store::sede(&app.db, id).await?,
        None => None,
    };
    let where_ = match (q.team.as_str(), &sede) {
        ("sede", Some(sede)) => sede.nome.clone(),
        _ => page.t("risponde-office-contact-center"),
    };
    let assignee = match &q.assigned_to {
        Some(id) => crate::identity::accounts::find(&app.db, id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let state = q.state();
    let now = now_ms();
    Ok(StaffShowPage {
        csrf: current.csrf_token.clone(),
        citizen_name: citizen
            .as_ref()
            .map(|c| c.display_name.clone())
            .unwrap_or_default(),
        citizen_cf: citizen.and_then(|c| c.codice_fiscale).unwrap_or_default(),
        topic: page.t(&format!("risponde-topic-{}", q.topic)),
        state: page.t(&state.label_id()),
        due: local_date(q.due_at - 1),
        late: q.overdue(now),
        where_,
        assignee,
        events,
        messages,
        colleagues: store::colleagues(&app.db, &q).await?,
        sedi: store::sedi(&app.db)
            .await?
            .into_iter()
            .filter(|s| !(q.team == "sede" && q.sede_id.as_deref() == Some(s.id.as_str())))
            .map(|s| (s.id, s.nome))
            .collect(),
        canned: store::canned(&app.db, &q.topic).await?,
        draft,
        open: state != QState::Chiusa,
        can_close: state == QState::Risposta,
        notice,
        error,
        q,
        page,
    })
}

fn opened_entry(current: &Session, q: &Question) -> Entry {
    Entry::new("quesito.aperto")
        .actor(current.account.id.as_str())
        .subject(q.account_id.as_str())
        .detail("quesito", q.id.as_str())
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    risposta_tipo: Option<String>,
    fatto: Option<String>,
}

/// `GET /backoffice/risponde/{id}`: one question. Every opening is audited (the citizen sees
/// who looked on their activity page). `?risposta_tipo=<id>` puts a canned answer in the
/// answer box, to edit before sending.
pub async fn show(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    crate::audit::record(&app.db, &opened_entry(&current, &q)).await?;
    let draft = match query.risposta_tipo.as_deref() {
        Some(canned) => store::canned_one(&app.db, canned)
            .await?
            .map(|c| c.body)
            .unwrap_or_default(),
        None => String::new(),
    };
    let notice = query
        .fatto
        .as_deref()
        .filter(|f| {
            matches!(
                *f,
                "assegnato" | "nota" | "risposta" | "inoltrato" | "unito" | "chiuso"
            )
        })
        .map(|f| page.t(&format!("risponde-staff-done-{f}")));
    let view = staff_page(&app, page, &current, q, draft, notice, None).await?;
    Ok(page::render(&view)?.into_response())
}

async fn refuse(
    app: &AppState,
    page: PageContext,
    current: &Session,
    q: Question,
    draft: String,
    message: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let error = Some(page.t(message));
    let view = staff_page(app, page, current, q, draft, None, error).await?;
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

/// Why a staff action stopped: refused (the question's page again, with the message and
/// status), or failed.
enum Step {
    Refuse(&'static str, StatusCode),
    Failed(AppError),
}

impl<E: Into<AppError>> From<E> for Step {
    fn from(err: E) -> Self {
        Self::Failed(err.into())
    }
}

/// The state `action` leads to, or the refusal (409).
fn transition(q: &Question, action: Action) -> Result<QState, Step> {
    model::next(q.state(), action).map_err(|refusal| Step::Refuse(refusal_id(refusal), StatusCode::CONFLICT))
}

/// A checked text, or the refusal (422).
fn checked_text(text: &str) -> Result<String, Step> {
    model::body(text).map_err(|problem| Step::Refuse(text_problem(problem), StatusCode::UNPROCESSABLE_ENTITY))
}

/// Applies the change, or refuses (409) if the question moved meanwhile.
async fn commit(app: &AppState, change: &Change) -> Result<(), Step> {
    if store::apply(&app.db, change).await? {
        Ok(())
    } else {
        Err(Step::Refuse("risponde-error-moved", StatusCode::CONFLICT))
    }
}

/// The response to a staff action: its own (a redirect), or the question's page with the
/// refusal and the text the operator typed.
async fn finish(
    app: &AppState,
    page: PageContext,
    current: &Session,
    q: Question,
    draft: String,
    outcome: Result<Response, Step>,
) -> Result<Response, AppError> {
    match outcome {
        Ok(response) => Ok(response),
        Err(Step::Failed(err)) => Err(err),
        Err(Step::Refuse(message, status)) => refuse(app, page, current, q, draft, message, status).await,
    }
}

fn done(q: &Question, what: &str) -> Response {
    see_other(&format!("/backoffice/risponde/{}?fatto={what}", q.id))
}

fn refusal_id(refusal: Refusal) -> &'static str {
    match refusal {
        Refusal::Closed => "risponde-error-closed",
        Refusal::NotNow => "risponde-error-not-now",
    }
}

fn staff_role(scope: &Scope) -> &'static str {
    match scope {
        Scope::Sede(_) => "sede",
        Scope::ContactCenter => "contact-center",
        Scope::All => "amministratore",
    }
}

fn staff_entry(current: &Session, q: &Question, action: &'static str) -> Entry {
    Entry::new(action)
        .actor(current.account.id.as_str())
        .subject(q.account_id.as_str())
}

fn staff_message(current: &Session, scope: &Scope, body: String, internal: bool) -> NewMessage {
    NewMessage {
        author_id: current.account.id.clone(),
        author_role: staff_role(scope).to_owned(),
        body,
        internal,
        attachments: Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    a: Option<String>,
}

/// `POST /backoffice/risponde/{id}/assegna`: to me, or to a colleague of the same queue.
pub async fn assign(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let outcome = async {
        let target = match form.a.as_deref() {
            Some("me") | None => current.account.id.clone(),
            Some(other) => other.to_owned(),
        };
        let colleagues = store::colleagues(&app.db, &q).await?;
        if !colleagues.iter().any(|(id, _)| *id == target) {
            return Err(Step::Refuse(
                "risponde-error-assignee",
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        let to = transition(&q, Action::TakeCharge)?;
        let mut change = Change::new(
            &q,
            to,
            staff_entry(&current, &q, "quesito.assegnato").detail("a", target.as_str()),
            now_ms(),
        );
        change.assign = Some(Some(target));
        if q.state() != QState::PresaInCarico {
            change.event = Some(("presa-in-carico", String::new()));
        }
        commit(&app, &change).await?;
        Ok(done(&q, "assegnato"))
    }
    .await;
    finish(&app, page, &current, q, String::new(), outcome).await
}

#[derive(Debug, Deserialize)]
pub struct TextForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    testo: Option<String>,
}

fn text_problem(problem: FieldProblem) -> &'static str {
    match problem {
        FieldProblem::Missing => "risponde-error-testo-missing",
        FieldProblem::TooShort => "risponde-error-testo-too-short",
        FieldProblem::TooLong => "risponde-error-testo-too-long",
        _ => "risponde-error-testo-control",
    }
}

/// `POST /backoffice/risponde/{id}/nota`: an internal note, never shown to the citizen.
pub async fn note(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let outcome = async {
        let body = checked_text(form.testo.as_deref().unwrap_or_default())?;
        // A note is possible in any state, even closed: the "change" keeps its state.
        let mut change = Change::new(&q, q.state(), staff_entry(&current, &q, "quesito.nota"), now_ms());
        change.message = Some(staff_message(&current, &scope, body, true));
        commit(&app, &change).await?;
        Ok(done(&q, "nota"))
    }
    .await;
    finish(&app, page, &current, q, String::new(), outcome).await
}

/// Reads a staff form that may carry files: `multipart/form-data` (the answer form, with
/// attachments) or a plain urlencoded form (the same fields, no files).
async fn read_fields(request: Request, app: &AppState) -> Result<Upload, AppError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        return read_upload(request, app).await;
    }
    let Form(fields) = Form::<HashMap<String, String>>::from_request(request, app).await?;
    Ok(Upload {
        fields,
        ..Upload::default()
    })
}

/// `POST /backoffice/risponde/{id}/risposta` (multipart, or urlencoded without files): the
/// answer, with up to three attachments (PDF, JPEG or PNG, 5 MB each, judged by their bytes
/// like the citizen's); it goes to the citizen's mailbox.
pub async fn answer(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    // Whose queue it is in, before reading a byte of the body.
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let upload = read_fields(request, &app).await?;
    csrf.verify(upload.fields.get("_csrf").map(String::as_str))?;
    let text = upload.field("testo").to_owned();
    let outcome = async {
        let to = transition(&q, Action::Answer)?;
        let body = checked_text(&text)?;
        if let Some(problem) = upload.file_error {
            return Err(Step::Refuse(problem, StatusCode::UNPROCESSABLE_ENTITY));
        }
        let office = office_name(&app, &q).await?;
        let mut change = Change::new(&q, to, staff_entry(&current, &q, "quesito.risposto"), now_ms());
        change.answered = true;
        change.event = Some(("risposta", String::new()));
        if q.assigned_to.is_none() {
            change.assign = Some(Some(current.account.id.clone()));
        }
        change.jobs.push(
            MailboxLetter {
                account_id: q.account_id.clone(),
                kind: "risposta",
                subject: it(
                    &app,
                    &Message::new("risponde-letter-answer-subject").arg("numero", q.number.clone()),
                ),
                sender_office: office,
                paragraphs: body.split("\n\n").map(str::to_owned).collect(),
                reference: Some(q.number.clone()),
            }
            .job(),
        );
        // Files last: everything that can refuse has been checked.
        let attachments = store_files(&app, upload.files).await?;
        let mut message = staff_message(&current, &scope, body, false);
        message.attachments = attachments.clone();
        change.message = Some(message);
        if let Err(step) = commit(&app, &change).await {
            discard_files(&app, &attachments).await;
            return Err(step);
        }
        Ok(done(&q, "risposta"))
    }
    .await;
    finish(&app, page, &current, q, text, outcome).await
}

async fn office_name(app: &AppState, q: &Question) -> Result<String, AppError> {
    if q.team == "sede"
        && let Some(id) = &q.sede_id
        && let Some(sede) = store::sede(&app.db, id).await?
    {
        return Ok(sede.nome);
    }
    Ok(it(app, &Message::new("risponde-office-contact-center")))
}

#[derive(Debug, Deserialize)]
pub struct ForwardForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    sede: Option<String>,
    nota: Option<String>,
}

/// `POST /backoffice/risponde/{id}/inoltra`: to a sede (from the contact center, or from one
/// sede to another), with an optional internal note.
pub async fn forward(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<ForwardForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let outcome = async {
        let target = match form.sede.as_deref() {
            Some(id) => store::sede(&app.db, id).await?,
            None => None,
        };
        let target = target
            .filter(|s| !(q.team == "sede" && q.sede_id.as_deref() == Some(s.id.as_str())))
            .ok_or(Step::Refuse(
                "risponde-error-sede",
                StatusCode::UNPROCESSABLE_ENTITY,
            ))?;
        let to = transition(&q, Action::Forward)?;
        let note = form.nota.as_deref().unwrap_or_default();
        let note = if note.trim().is_empty() {
            None
        } else {
            Some(checked_text(note)?)
        };
        let mut change = Change::new(
            &q,
            to,
            staff_entry(&current, &q, "quesito.inoltrato").detail("sede", target.id.as_str()),
            now_ms(),
        );
        change.route = Some(("sede", target.id.clone()));
        change.event = Some(("inoltrata", target.nome.clone()));
        change.message = note.map(|body| staff_message(&current, &scope, body, true));
        change.jobs.push(
            MailboxLetter {
                account_id: q.account_id.clone(),
                kind: "comunicazione",
                subject: it(
                    &app,
                    &Message::new("risponde-letter-forwarded-subject").arg("numero", q.number.clone()),
                ),
                sender_office: it(&app, &Message::new("risponde-office-contact-center")),
                paragraphs: vec![it(
                    &app,
                    &Message::new("risponde-letter-forwarded")
                        .arg("numero", q.number.clone())
                        .arg("sede", target.nome.clone()),
                )],
                reference: Some(q.number.clone()),
            }
            .job(),
        );
        commit(&app, &change).await?;
        // The sede operator who forwarded it no longer sees it: back to the queue.
        if scope.covers(&Question {
            team: "sede".to_owned(),
            sede_id: Some(target.id),
            ..q.clone()
        }) {
            Ok(done(&q, "inoltrato"))
        } else {
            Ok(see_other("/backoffice/risponde"))
        }
    }
    .await;
    finish(&app, page, &current, q, String::new(), outcome).await
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    numero: Option<String>,
}

/// `POST /backoffice/risponde/{id}/unisci`: this question duplicates another of the same
/// citizen (`numero`): it closes, pointing to the other.
pub async fn merge(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let outcome = async {
        let number = form.numero.unwrap_or_default().trim().to_uppercase();
        let target = store::by_number(&app.db, &number, &q.account_id)
            .await?
            .filter(|t| t.id != q.id && t.state() != QState::Chiusa)
            .ok_or(Step::Refuse(
                "risponde-error-merge-target",
                StatusCode::UNPROCESSABLE_ENTITY,
            ))?;
        let to = transition(&q, Action::Merge)?;
        let mut change = Change::new(
            &q,
            to,
            staff_entry(&current, &q, "quesito.unito").detail("in", target.id.as_str()),
            now_ms(),
        );
        change.merged_into = Some(target.id.clone());
        change.event = Some(("unita", target.number.clone()));
        change.jobs.push(
            MailboxLetter {
                account_id: q.account_id.clone(),
                kind: "comunicazione",
                subject: it(
                    &app,
                    &Message::new("risponde-letter-closed-subject").arg("numero", q.number.clone()),
                ),
                sender_office: office_name(&app, &q).await?,
                paragraphs: vec![it(
                    &app,
                    &Message::new("risponde-letter-merged")
                        .arg("numero", q.number.clone())
                        .arg("altro", target.number.clone()),
                )],
                reference: Some(q.number.clone()),
            }
            .job(),
        );
        commit(&app, &change).await?;
        Ok(done(&q, "unito"))
    }
    .await;
    finish(&app, page, &current, q, String::new(), outcome).await
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    motivo: Option<String>,
}

/// `POST /backoffice/risponde/{id}/chiudi`: closes an answered question, with a reason the
/// citizen reads in the timeline and in the closure letter.
pub async fn close(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let outcome = async {
        let to = transition(&q, Action::Close)?;
        let reason = model::subject(form.motivo.as_deref().unwrap_or_default())
            .map_err(|_| Step::Refuse("risponde-error-motivo", StatusCode::UNPROCESSABLE_ENTITY))?;
        let mut change = Change::new(&q, to, staff_entry(&current, &q, "quesito.chiuso"), now_ms());
        change.event = Some(("chiusa", reason.clone()));
        let mut letter = closure_letter(&app, &q, Some(&reason));
        letter.sender_office = office_name(&app, &q).await?;
        change.jobs.push(letter.job());
        commit(&app, &change).await?;
        Ok(done(&q, "chiuso"))
    }
    .await;
    finish(&app, page, &current, q, String::new(), outcome).await
}

/// `GET /backoffice/risponde/{id}/allegati/{allegato}`.
pub async fn attachment(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let q = in_scope(&app, &scope, &id).await?;
    let found = store::attachments(&app.db, &q.id, true)
        .await?
        .into_iter()
        .find(|a| a.id == file)
        .ok_or(AppError::NotFound)?;
    crate::audit::record(
        &app.db,
        &opened_entry(&current, &q).detail("allegato", found.id.as_str()),
    )
    .await?;
    send_file(&app, &found).await
}

#[derive(Template)]
#[template(path = "risponde/canned.html")]
pub struct CannedPage {
    pub page: PageContext,
    pub csrf: String,
    pub answers: Vec<Canned>,
    pub topics: Vec<(&'static str, String)>,
    pub editing: Option<Canned>,
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl CannedPage {
    pub fn topic_name(&self, code: &str) -> String {
        self.page.t(&format!("risponde-topic-{code}"))
    }
}

async fn canned_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    editing: Option<Canned>,
    error: Option<String>,
) -> Result<CannedPage, AppError> {
    Ok(CannedPage {
        csrf: current.csrf_token.clone(),
        answers: store::canned(&app.db, "").await?,
        topics: TOPICS.iter().map(|t| (t.code, page.t(&t.label_id()))).collect(),
        editing,
        error,
        notice: None,
        page,
    })
}

fn require_admin(current: &Session) -> Result<(), AppError> {
    if current.account.role == Role::Amministratore {
        Ok(())
    } else {
        Err(AppError::Forbidden("role"))
    }
}

#[derive(Debug, Deserialize)]
pub struct CannedQuery {
    modifica: Option<String>,
    fatto: Option<String>,
}

/// `GET /backoffice/risponde/risposte-tipo` (administrators).
pub async fn canned_list(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<CannedQuery>,
) -> Result<Response, AppError> {
    require_admin(&current)?;
    let editing = match query.modifica.as_deref() {
        Some(id) => store::canned_one(&app.db, id).await?,
        None => None,
    };
    let notice = (query.fatto.as_deref() == Some("eliminata")).then(|| page.t("risponde-canned-deleted"));
    let mut view = canned_page(&app, page, &current, editing, None).await?;
    view.notice = notice;
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct CannedForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    argomento: Option<String>,
    titolo: Option<String>,
    testo: Option<String>,
}

async fn save_canned(
    app: &AppState,
    page: PageContext,
    current: &Session,
    id: Option<&str>,
    form: CannedForm,
) -> Result<Response, AppError> {
    let topic = form.argomento.as_deref().and_then(model::topic);
    let title = model::subject(form.titolo.as_deref().unwrap_or_default());
    let body = model::body(form.testo.as_deref().unwrap_or_default());
    let (Some(topic), Ok(title), Ok(body)) = (topic, title, body) else {
        let view = canned_page(
            app,
            page.clone(),
            current,
            None,
            Some(page.t("risponde-error-canned")),
        )
        .await?;
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    if !store::save_canned(
        &app.db,
        id,
        topic.code,
        &title,
        &body,
        Some(&current.account.id),
        now_ms(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/backoffice/risponde/risposte-tipo"))
}

/// `POST /backoffice/risponde/risposte-tipo`: a new canned answer.
pub async fn canned_create(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<CannedForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    require_admin(&current)?;
    save_canned(&app, page, &current, None, form).await
}

/// `POST /backoffice/risponde/risposte-tipo/{id}`: changes a canned answer.
pub async fn canned_update(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<CannedForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    require_admin(&current)?;
    save_canned(&app, page, &current, Some(&id), form).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// `POST /backoffice/risponde/risposte-tipo/{id}/elimina`: removes a canned answer (answers
/// already sent keep their text: they were copied, not linked).
pub async fn canned_delete(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    require_admin(&current)?;
    if !store::delete_canned(&app.db, &id, &current.account.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/backoffice/risponde/risposte-tipo?fatto=eliminata"))
}
