//! Case handling (istruttoria) in the back office: the queue of the operator's sede with
//! filters, one application (every opening audited), assignment, internal notes, a request
//! for documents with a deadline, and the decision with a written reason. Decisions are final;
//! an act on a case that moved meanwhile (another operator, a second click) is refused.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::model::{self, Atto, Presentatore, Stato};
use super::pages::{
    EventView, FileView, Reader, SectionView, attachment_response, italian, pdf_response, receipt_data,
    sections,
};
use super::phrase::Phrase;
use super::receipt;
use super::service::{self, notice_job};
use super::store::{self, Change, Domanda, NewEvent, QueueFilter};
use crate::app::AppState;
use crate::audit::Entry;
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, local_time, see_other};
use crate::identity::accounts::Role;
use crate::identity::session::Session;
use crate::storage::now_ms;

/// Which applications an operator handles: their sede's (administrators: every sede).
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Sede(String, String),
}

impl Scope {
    fn sede_id(&self) -> Option<&str> {
        match self {
            Self::All => None,
            Self::Sede(id, _) => Some(id),
        }
    }

    fn covers(&self, domanda: &Domanda) -> bool {
        match self {
            Self::All => true,
            Self::Sede(id, _) => domanda.sede_id.as_deref() == Some(id.as_str()),
        }
    }
}

pub async fn scope_of(app: &AppState, session: &Session) -> Result<Scope, AppError> {
    if session.acting_for.is_some() {
        return Err(AppError::Forbidden("acting"));
    }
    match session.account.role {
        Role::Amministratore => Ok(Scope::All),
        Role::OperatoreSede => match store::staff_sede(&app.db, &session.account.id).await? {
            Some((id, nome)) => Ok(Scope::Sede(id, nome)),
            None => Err(AppError::Forbidden("no sede")),
        },
        _ => Err(AppError::Forbidden("role")),
    }
}

/// The filed application `id` if it is in `scope` (otherwise 404: never confirm it exists).
async fn in_scope(app: &AppState, scope: &Scope, id: &str) -> Result<Domanda, AppError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound);
    }
    store::find(&app.db, id)
        .await?
        .filter(|d| d.state != "bozza" && scope.covers(d))
        .ok_or(AppError::NotFound)
}

/// A queue row as shown.
pub struct Line {
    pub id: String,
    pub protocol: String,
    pub title: Phrase,
    pub citizen: String,
    pub state: String,
    pub filed: String,
    pub assignee: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "domande/queue.html")]
pub struct QueuePage {
    pub page: PageContext,
    pub heading: String,
    pub lines: Vec<Line>,
    pub states: Vec<(&'static str, String)>,
    pub forms: Vec<(String, String)>,
    pub stato: String,
    pub modulo: String,
    pub mie: bool,
    pub libere: bool,
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    stato: Option<String>,
    modulo: Option<String>,
    mie: Option<String>,
    libere: Option<String>,
}

/// `GET /backoffice/domande`: the sede's queue, open cases first, oldest first.
pub async fn queue(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let mie = query.mie.as_deref() == Some("1");
    let libere = query.libere.as_deref() == Some("1");
    let forms = app.forms.current();
    let filter = QueueFilter {
        state: query.stato.as_deref().and_then(Stato::parse),
        form_code: query.modulo.clone().filter(|code| forms.latest(code).is_some()),
        assigned_to: mie.then(|| current.account.id.clone()),
        unassigned: libere,
    };
    let rows = store::queue(&app.db, scope.sede_id(), &filter).await?;
    let lines = rows
        .into_iter()
        .map(|r| Line {
            title: forms
                .latest(&r.form_code)
                .map_or_else(|| Phrase::plain(&r.form_code), |f| italian(&page, &f.title.it)),
            state: page.t(&Stato::parse(&r.state).unwrap_or(Stato::Presentata).label_id()),
            filed: r.submitted_at.map(local_time).unwrap_or_default(),
            assignee: r.assigned_name.unwrap_or_default(),
            due: r
                .integration_due
                .as_deref()
                .map(super::italian_date)
                .unwrap_or_default(),
            protocol: r.protocol.unwrap_or_default(),
            citizen: r.citizen_name,
            id: r.id,
        })
        .collect();
    let view = QueuePage {
        heading: match &scope {
            Scope::All => page.t("domande-queue-all"),
            Scope::Sede(_, nome) => format!("{} – {nome}", page.t("domande-queue-heading")),
        },
        lines,
        states: Stato::ALL
            .into_iter()
            .filter(|s| *s != Stato::Bozza)
            .map(|s| (s.code(), page.t(&s.label_id())))
            .collect(),
        forms: forms
            .all()
            .map(|f| (f.code.clone(), f.title.it.clone()))
            .collect(),
        stato: filter.state.map(|s| s.code().to_owned()).unwrap_or_default(),
        modulo: filter.form_code.unwrap_or_default(),
        mie,
        libere,
        page,
    };
    Ok(page::render(&view)?.into_response())
}

/// An internal note as shown.
pub struct NoteView {
    pub author: String,
    pub at: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "domande/case.html")]
pub struct CasePage {
    pub page: PageContext,
    pub csrf: String,
    pub d: Domanda,
    pub title: Phrase,
    pub state: String,
    pub citizen: String,
    pub filed_at: String,
    pub filed_by: String,
    pub assignee: String,
    pub mine: bool,
    pub events: Vec<EventView>,
    pub notes: Vec<NoteView>,
    pub sections: Vec<SectionView>,
    pub files: Vec<FileView>,
    /// The acts possible now: (code, label).
    pub acts: Vec<(&'static str, String)>,
    pub errors: Vec<(String, String)>,
    pub notice: Option<String>,
    pub motivazione: String,
    pub scadenza: String,
}

impl CasePage {
    /// The message for one field of the acts form, shown next to it.
    pub fn error_for(&self, target: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(Debug, Deserialize)]
pub struct CaseQuery {
    esito: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "one page, built from its parts")]
async fn render_case(
    app: &AppState,
    page: PageContext,
    session: &Session,
    domanda: Domanda,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    motivazione: String,
    scadenza: String,
) -> Result<Response, AppError> {
    let form = service::form_of(app, &domanda)?;
    let stato = domanda.stato()?;
    let citizen: Option<(String, Option<String>)> = crate::read_pool!(&app.db, |pool| sqlx::query_as(
        "SELECT display_name, codice_fiscale FROM accounts WHERE id = $1"
    )
    .bind(&domanda.account_id)
    .fetch_optional(pool)
    .await
    .map_err(crate::storage::StorageError::from))?;
    let citizen = citizen
        .map(|(name, cf)| format!("{name} ({})", cf.unwrap_or_default()))
        .unwrap_or_default();
    let assignee = match &domanda.assigned_to {
        Some(id) => crate::read_pool!(&app.db, |pool| sqlx::query_scalar::<_, String>(
            "SELECT display_name FROM accounts WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(crate::storage::StorageError::from))?
        .unwrap_or_default(),
        None => String::new(),
    };
    let events = store::events(&app.db, &domanda.id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: local_time(e.at),
            state: page.t(&Stato::parse(&e.state).unwrap_or(Stato::Bozza).label_id()),
            note: e.note,
        })
        .collect();
    let notes = store::notes(&app.db, &domanda.id)
        .await?
        .into_iter()
        .map(|n| NoteView {
            author: n.author_name,
            at: local_time(n.created_at),
            body: n.body,
        })
        .collect();
    let attachments = store::attachments(&app.db, &domanda.id).await?;
    let files = attachments
        .iter()
        .map(|a| FileView {
            href: format!("/backoffice/domande/{}/allegati/{}", domanda.id, a.id),
            name: a.name.clone(),
        })
        .collect();
    let acts = [
        Atto::AvviaIstruttoria,
        Atto::ChiediIntegrazione,
        Atto::Accogli,
        Atto::Respingi,
    ]
    .into_iter()
    .filter(|atto| model::prossimo(stato, *atto).is_ok())
    .map(|atto| (atto.code(), page.t(&format!("domande-atto-{}", atto.code()))))
    .collect();
    let filed_by = match domanda.submitted_as.as_deref().and_then(Presentatore::parse) {
        Some(Presentatore::Cittadino) | None => page.t("domande-filed-by-cittadino"),
        Some(other) => format!(
            "{} ({})",
            page.t(&other.label_id()),
            domanda.submitted_by_name.clone().unwrap_or_default()
        ),
    };
    let view = CasePage {
        csrf: session.csrf_token.clone(),
        title: italian(&page, &form.title.it),
        state: page.t(&stato.label_id()),
        citizen,
        filed_at: domanda.submitted_at.map(local_time).unwrap_or_default(),
        filed_by,
        mine: domanda.assigned_to.as_deref() == Some(session.account.id.as_str()),
        assignee,
        events,
        notes,
        sections: sections(&form, &domanda.answers()?, &attachments, Reader::Staff(&page)),
        files,
        acts,
        errors,
        notice,
        motivazione,
        scadenza,
        d: domanda,
        page,
    };
    Ok(page::render(&view)?.into_response())
}

fn audit_open(session: &Session, domanda: &Domanda, what: &str) -> Entry {
    Entry::new("domanda.aperta")
        .actor(session.account.id.as_str())
        .subject(domanda.account_id.as_str())
        .detail("domanda", domanda.id.as_str())
        .detail("cosa", what)
}

/// `GET /backoffice/domande/{id}`: one application; the opening is audited.
pub async fn case(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let domanda = in_scope(&app, &scope, &id).await?;
    crate::audit::record(&app.db, &audit_open(&current, &domanda, "pratica")).await?;
    let notice = query
        .esito
        .as_deref()
        .filter(|e| matches!(*e, "fatto" | "nota" | "assegnata"))
        .map(|e| page.t(&format!("domande-notice-office-{e}")));
    render_case(
        &app,
        page,
        &current,
        domanda,
        Vec::new(),
        notice,
        String::new(),
        String::new(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    /// `me` to take the case, empty to free it.
    assegnatario: Option<String>,
    revisione: Option<i64>,
}

/// `POST /backoffice/domande/{id}/assegna`: take a case (or free it).
pub async fn assign(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let domanda = in_scope(&app, &scope, &id).await?;
    if domanda.stato()?.is_final() {
        return Err(service::rifiuto(model::Rifiuto::GiaConclusa));
    }
    let to = match form.assegnatario.as_deref() {
        Some("me") => Some(current.account.id.as_str()),
        _ => None,
    };
    let audit = Entry::new("domanda.assegnata")
        .actor(current.account.id.as_str())
        .subject(domanda.account_id.as_str())
        .detail("domanda", domanda.id.as_str())
        .detail("a", to.unwrap_or("nessuno"));
    let revision = form.revisione.unwrap_or(domanda.revision);
    if !store::assign(&app.db, &domanda.id, revision, to, now_ms(), &audit).await? {
        return Err(changed());
    }
    Ok(see_other(&format!("/backoffice/domande/{id}?esito=assegnata")))
}

fn changed() -> AppError {
    AppError::Refused {
        status: StatusCode::CONFLICT,
        code: "domanda-cambiata",
        message: Message::new("domande-cambiata"),
    }
}

#[derive(Debug, Deserialize)]
pub struct ActForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    atto: Option<String>,
    motivazione: Option<String>,
    /// The deadline of a request for documents, `YYYY-MM-DD`.
    scadenza: Option<String>,
    /// The revision the operator saw: a case that moved since is not acted on blindly.
    revisione: Option<i64>,
}

/// The most days a citizen may be given to send documents (the 2026 rules say 30; a sede may
/// give fewer, never more than this).
pub const MAX_INTEGRATION_DAYS: i64 = 90;

/// `POST /backoffice/domande/{id}/atto`: open the case, ask for documents, or decide.
pub async fn act(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let domanda = in_scope(&app, &scope, &id).await?;
    let atto = form
        .atto
        .as_deref()
        .and_then(Atto::parse)
        .filter(|a| a.by_office())
        .ok_or(AppError::InvalidValue {
            field: "atto",
            code: "atto-sconosciuto",
            detail: Message::new("domande-atto-sconosciuto"),
        })?;
    let from = domanda.stato()?;
    let to = model::prossimo(from, atto).map_err(service::rifiuto)?;
    let motivazione = form.motivazione.clone().unwrap_or_default();
    let scadenza = form.scadenza.clone().unwrap_or_default();
    let mut errors = Vec::new();
    let needs_reason = matches!(atto, Atto::ChiediIntegrazione | Atto::Accogli | Atto::Respingi);
    let reason = if needs_reason {
        match model::motivazione(&motivazione) {
            Ok(reason) => Some(reason),
            Err(code) => {
                errors.push(("campo-motivazione".to_owned(), page.t(code)));
                None
            }
        }
    } else {
        None
    };
    let today = model::giorno_di(now_ms());
    let due = if atto == Atto::ChiediIntegrazione {
        match scadenza.trim().parse::<jiff::civil::Date>() {
            Ok(date)
                if date > today
                    && date <= today.saturating_add(jiff::Span::new().days(MAX_INTEGRATION_DAYS)) =>
            {
                Some(date.to_string())
            }
            _ => {
                errors.push(("campo-scadenza".to_owned(), page.t("domande-scadenza-non-valida")));
                None
            }
        }
    } else {
        None
    };
    if !errors.is_empty() {
        let response =
            render_case(&app, page, &current, domanda, errors, None, motivazione, scadenza).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response());
    }
    let now = now_ms();
    let event = NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        at: now,
        state: to,
        actor_id: Some(current.account.id.clone()),
        actor_role: "sede",
        note: reason.clone(),
    };
    let change = Change {
        id: domanda.id.clone(),
        from,
        revision: form.revisione.unwrap_or(domanda.revision),
        to,
        // Whoever opens or decides a case holds it.
        assigned_to: Some(current.account.id.clone()),
        decision_reason: to.is_final().then(|| reason.clone()).flatten(),
        integration_due: due,
        job: Some(notice_job(&domanda.id, &event.id)),
        event,
        audit: Entry::new("domanda.atto")
            .actor(current.account.id.as_str())
            .subject(domanda.account_id.as_str())
            .detail("domanda", domanda.id.as_str())
            .detail("atto", atto.code())
            .detail("stato", to.code()),
    };
    if !store::change(&app.db, &change).await? {
        return Err(changed());
    }
    Ok(see_other(&format!("/backoffice/domande/{id}?esito=fatto")))
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    testo: Option<String>,
}

/// `POST /backoffice/domande/{id}/note`: an internal note, never shown to the citizen.
pub async fn note(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let scope = scope_of(&app, &current).await?;
    let domanda = in_scope(&app, &scope, &id).await?;
    let body = match model::motivazione(form.testo.as_deref().unwrap_or_default()) {
        Ok(body) => body,
        Err(code) => {
            let errors = vec![("campo-nota".to_owned(), page.t(code))];
            let response = render_case(
                &app,
                page,
                &current,
                domanda,
                errors,
                None,
                String::new(),
                String::new(),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response());
        }
    };
    let audit = Entry::new("domanda.nota")
        .actor(current.account.id.as_str())
        .subject(domanda.account_id.as_str())
        .detail("domanda", domanda.id.as_str());
    store::add_note(&app.db, &domanda.id, &current.account.id, &body, now_ms(), &audit).await?;
    Ok(see_other(&format!("/backoffice/domande/{id}?esito=nota")))
}

/// `GET /backoffice/domande/{id}/allegati/{file}` (audited).
pub async fn attachment(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let domanda = in_scope(&app, &scope, &id).await?;
    let attachment = store::attachments(&app.db, &domanda.id)
        .await?
        .into_iter()
        .find(|a| a.id == file)
        .ok_or(AppError::NotFound)?;
    crate::audit::record(&app.db, &audit_open(&current, &domanda, "allegato")).await?;
    attachment_response(&app, &attachment).await
}

/// `GET /backoffice/domande/{id}/ricevuta.pdf` (audited).
pub async fn receipt(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let scope = scope_of(&app, &current).await?;
    let domanda = in_scope(&app, &scope, &id).await?;
    crate::audit::record(&app.db, &audit_open(&current, &domanda, "ricevuta")).await?;
    let data = receipt_data(&app, &domanda).await?;
    let name = format!("ricevuta-{}.pdf", data.protocol);
    Ok(pdf_response(&name, receipt::render(&data)))
}
