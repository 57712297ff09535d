//! The one path pages and the API take: who may see and act on whose applications, drafts
//! saved step by step, filing exactly once, withdrawal, documents sent on request. Ownership
//! is in every query (the citizen's account), acts for someone else are audited, and a
//! refusal says what to do in plain words.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::form::{self, Answers, FieldKind, FieldProblem, FormDefinition, Prefill};
use super::model::{self, Atto, Presentatore, Stato};
use super::store::{self, Attachment, Domanda, Drafted, Filed, Filing, NewDraft, NewEvent};
use crate::app::AppState;
use crate::audit::Entry;
use crate::http::error::{AppError, Message};
use crate::identity::accounts::{Account, Role};
use crate::identity::session::Session;
use crate::jobs::queue::NewJob;
use crate::read_pool;
use crate::storage::files::FileKey;
use crate::storage::{Db, StorageError, now_ms};

/// The service code a mandate names to cover applications (`*` covers everything).
pub const SERVICE: &str = "domande";

/// The job that tells the citizen of a new state (mailbox letter and alert).
pub const JOB_NOTICE: &str = "domande.avviso";

/// Whose applications a session reaches, and as whom it acts.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub citizen: Account,
    /// The account acting (the citizen, or the delegate / intermediary / desk operator).
    pub holder: Account,
    pub as_: Presentatore,
    /// How the holder logged in allows acts with legal effect.
    pub may_file: bool,
}

impl Applicant {
    pub fn acting(&self) -> bool {
        self.as_ != Presentatore::Cittadino
    }

    /// An audit entry naming the holder and the citizen.
    pub fn entry(&self, action: &'static str) -> Entry {
        Entry::new(action)
            .actor(self.holder.id.as_str())
            .subject(self.citizen.id.as_str())
            .detail("come", self.as_.code())
    }

    /// Audit entry for a change: always written (a change has legal weight).
    fn change_entry(&self, action: &'static str, domanda: &str) -> Entry {
        self.entry(action).detail("domanda", domanda)
    }

    /// Records a read when acting for the citizen.
    pub async fn audit_read(&self, db: &Db, what: &str) -> Result<(), AppError> {
        if self.acting() {
            crate::audit::record(db, &self.entry("domanda.consultata").detail("cosa", what)).await?;
        }
        Ok(())
    }
}

fn refused(status: StatusCode, code: &'static str, message: &'static str) -> AppError {
    AppError::Refused {
        status,
        code,
        message: Message::new(message),
    }
}

/// The citizen whose applications `session` reaches: their own, or within the acting basis
/// (a delegation; a mandate for every service or for `domande`; a desk session).
pub async fn applicant(db: &Db, session: &Session) -> Result<Applicant, AppError> {
    let Some(acting) = &session.acting_for else {
        if session.account.role != Role::Cittadino {
            return Err(refused(
                StatusCode::FORBIDDEN,
                "non-consentito",
                "domande-solo-cittadini",
            ));
        }
        // A PIN dispositivo, SPID or CIE: an ordinary PIN reads but does not file.
        return Ok(Applicant {
            citizen: session.account.clone(),
            holder: session.account.clone(),
            as_: Presentatore::Cittadino,
            may_file: session.is_dispositivo() || matches!(session.auth_method.as_str(), "spid" | "cie"),
        });
    };
    let as_ = Presentatore::from_basis(Some(&acting.basis)).ok_or(AppError::Forbidden("basis"))?;
    if let Some(("mandato", id)) = acting.basis.split_once(':') {
        let service: Option<String> = read_pool!(db, |pool| sqlx::query_scalar(
            "SELECT service FROM mandati WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(StorageError::from))?;
        if !matches!(service.as_deref(), Some("*") | Some(SERVICE)) {
            return Err(refused(
                StatusCode::FORBIDDEN,
                "non-consentito",
                "domande-mandato-non-copre",
            ));
        }
    }
    Ok(Applicant {
        citizen: acting.citizen.clone(),
        holder: session.account.clone(),
        as_,
        // The delegation, mandate or desk session was checked when it was opened.
        may_file: true,
    })
}

/// The form an application was filled in on.
pub fn form_of(app: &AppState, domanda: &Domanda) -> Result<Arc<FormDefinition>, AppError> {
    let version = u32::try_from(domanda.form_version).unwrap_or_default();
    app.forms
        .current()
        .version(&domanda.form_code, version)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "form {}@{} is not loaded",
                domanda.form_code,
                domanda.form_version
            ))
        })
}

/// The applicant's application `id`, or 404 (also when it is someone else's).
pub async fn find(app: &AppState, applicant: &Applicant, id: &str) -> Result<Domanda, AppError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound);
    }
    store::find_for_citizen(&app.db, id, &applicant.citizen.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// What the institute already knows, as answers for the fields that ask to be pre-filled.
async fn prefill(db: &Db, citizen: &Account, form: &FormDefinition) -> Result<Answers, AppError> {
    type Profile = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        String,
    );
    let profile: Option<Profile> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT given_name, surname, birth_date, email, mobile, address_street, address_cap,
                address_comune, address_provincia
           FROM citizen_profiles WHERE account_id = $1"
    )
    .bind(&citizen.id)
    .fetch_optional(pool)
    .await
    .map_err(StorageError::from))?;
    let mut answers = Map::new();
    let Some((given, surname, birth, email, mobile, street, cap, comune, provincia)) = profile else {
        return Ok(Answers(answers));
    };
    for field in form.steps.iter().flat_map(|step| step.fields.iter()) {
        let value = match field.prefill {
            Some(Prefill::Nome) => Some(Value::from(given.clone())),
            Some(Prefill::Cognome) => Some(Value::from(surname.clone())),
            Some(Prefill::CodiceFiscale) => citizen.codice_fiscale.clone().map(Value::from),
            Some(Prefill::DataNascita) => Some(Value::from(birth.clone())),
            Some(Prefill::Email) => email.clone().map(Value::from),
            Some(Prefill::Telefono) => mobile.clone().map(Value::from),
            Some(Prefill::Indirizzo) => Some(serde_json::json!({
                "via": street, "cap": cap, "comune": comune, "provincia": provincia,
            })),
            Some(Prefill::ComuneResidenza) => Some(Value::from(comune.clone())),
            // No IBAN is on file yet: the field starts empty.
            Some(Prefill::Iban) | None => None,
        };
        if let Some(value) = value {
            answers.insert(field.id.clone(), value);
        }
    }
    Ok(Answers(answers))
}

/// Opens a draft of the latest version of form `code`. With a creation key already used,
/// returns the draft made then. `appeal_of`: the rejected application a ricorso contests.
/// `filled`: answers already checked on every step (the API's all-at-once creation), stored
/// with the draft in the same insert, so a retry with the key never finds it half-made.
pub async fn open_draft(
    app: &AppState,
    applicant: &Applicant,
    code: &str,
    create_key: Option<String>,
    appeal_of: Option<&Domanda>,
    filled: Option<Answers>,
) -> Result<(String, bool), AppError> {
    let form = app.forms.current().latest(code).ok_or_else(|| {
        refused(
            StatusCode::NOT_FOUND,
            "modulo-sconosciuto",
            "domande-modulo-sconosciuto",
        )
    })?;
    if let Some(original) = appeal_of
        && original.stato()? != Stato::Respinta
    {
        return Err(refused(
            StatusCode::CONFLICT,
            "ricorso-non-ammesso",
            "domande-ricorso-non-ammesso",
        ));
    }
    // Answers given whole (the app's "fill in and send later") need no pre-filling: one read
    // less per draft on a busy day.
    let mut answers = match &filled {
        Some(_) => Answers::default(),
        None => prefill(&app.db, &applicant.citizen, &form).await?,
    };
    if let Some(original) = appeal_of
        && let Some(protocol) = &original.protocol
        && let Some(field) = form
            .steps
            .iter()
            .flat_map(|step| step.fields.iter())
            .find(|field| field.id.contains("protocollo"))
    {
        answers.0.insert(field.id.clone(), Value::from(protocol.clone()));
    }
    let step = match filled {
        Some(filled) => {
            answers = filled;
            i64::try_from(form.steps.len()).unwrap_or(i64::MAX)
        }
        None => 0,
    };
    let answers = serde_json::to_string(&answers).map_err(|err| AppError::Internal(err.into()))?;
    let audit = applicant
        .acting()
        .then(|| applicant.entry("domanda.bozza").detail("modulo", code));
    let draft = NewDraft {
        id: uuid::Uuid::now_v7().to_string(),
        account_id: applicant.citizen.id.clone(),
        form_code: form.code.clone(),
        form_version: i64::from(form.version),
        created_by: applicant.holder.id.clone(),
        create_key,
        answers,
        step,
        appeal_of: appeal_of.map(|d| d.id.clone()),
        now: now_ms(),
        audit,
    };
    // Opened in the writer's batches: on a click day the first click of every browser is a
    // write, and one transaction each would halve what the node can take.
    let drafted = app.filings.open_draft(draft).await?;
    match drafted {
        Drafted::New(id) => Ok((id, true)),
        Drafted::Existing(id) => Ok((id, false)),
        Drafted::TooMany => Err(refused(
            StatusCode::CONFLICT,
            "troppe-bozze",
            "domande-troppe-bozze",
        )),
    }
}

/// A step that did not pass: every problem, and the values as typed (to show them again).
#[derive(Debug)]
pub struct StepRefused {
    pub problems: Vec<FieldProblem>,
    pub input: Map<String, Value>,
}

/// How saving a step ended.
#[derive(Debug)]
pub enum StepOutcome {
    Saved,
    Refused(StepRefused),
}

/// Drops answers of fields that the other answers now hide (a "no" that hides a follow-up).
fn prune_hidden(form: &FormDefinition, answers: &mut Answers) {
    loop {
        let hidden: Vec<String> = form
            .steps
            .iter()
            .flat_map(|step| step.fields.iter())
            .filter(|field| answers.0.contains_key(&field.id) && !form::is_visible(form, field, answers))
            .map(|field| field.id.clone())
            .collect();
        if hidden.is_empty() {
            return;
        }
        for id in hidden {
            answers.0.remove(&id);
        }
    }
}

/// Validates and saves one step of a draft. `revision` is the draft's revision the page or
/// client read: a change made meanwhile elsewhere (another device) is a conflict.
pub async fn save_step(
    app: &AppState,
    applicant: &Applicant,
    domanda: &Domanda,
    step: usize,
    input: Map<String, Value>,
) -> Result<StepOutcome, AppError> {
    if domanda.stato()? != Stato::Bozza {
        return Err(refused(
            StatusCode::CONFLICT,
            "domanda-gia-presentata",
            "domande-gia-presentata",
        ));
    }
    let form = form_of(app, domanda)?;
    if step >= form.steps.len() {
        return Err(AppError::NotFound);
    }
    let mut answers = domanda.answers()?;
    let today = model::giorno_di(now_ms());
    let values = match form::validate_step(&form, step, &input, &answers, today) {
        Ok(values) => values,
        Err(problems) => return Ok(StepOutcome::Refused(StepRefused { problems, input })),
    };
    for field in &form.steps[step].fields {
        answers.0.remove(&field.id);
    }
    answers.0.extend(values.0);
    // Every attachment named must be one uploaded to this draft.
    let uploaded = store::attachments(&app.db, &domanda.id).await?;
    let mut problems = Vec::new();
    for field in &form.steps[step].fields {
        if let FieldKind::Attachment(_) = field.kind
            && let Some(value) = answers.0.get(&field.id)
            && !value
                .as_str()
                .is_some_and(|id| uploaded.iter().any(|a| a.id == id && a.field == field.id))
        {
            problems.push(FieldProblem {
                field: field.id.clone(),
                code: "allegato-sconosciuto",
                args: Vec::new(),
            });
        }
    }
    if !problems.is_empty() {
        return Ok(StepOutcome::Refused(StepRefused { problems, input }));
    }
    prune_hidden(&form, &mut answers);
    let text = serde_json::to_string(&answers).map_err(|err| AppError::Internal(err.into()))?;
    let audit = applicant
        .acting()
        .then(|| applicant.change_entry("domanda.passo", &domanda.id));
    let step_reached = i64::try_from(step + 1).unwrap_or(i64::MAX);
    if store::save_draft(
        &app.db,
        &domanda.id,
        &applicant.citizen.id,
        domanda.revision,
        &text,
        step_reached,
        now_ms(),
        audit.as_ref(),
    )
    .await?
    {
        Ok(StepOutcome::Saved)
    } else {
        Err(refused(
            StatusCode::CONFLICT,
            "bozza-modificata",
            "domande-bozza-modificata",
        ))
    }
}

/// Stores an uploaded file for an `allegato` field of a draft (or `integrazione` for the
/// documents an office asked for), checked on its bytes. Returns the attachment's id.
pub async fn upload(
    app: &AppState,
    applicant: &Applicant,
    domanda: &Domanda,
    field_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<Result<String, FieldProblem>, AppError> {
    let rule = if field_id == "integrazione" {
        form::AttachmentRule {
            types: vec![form::FileType::Pdf, form::FileType::Jpeg, form::FileType::Png],
            max_bytes: INTEGRATION_BYTES_MAX,
        }
    } else {
        let form = form_of(app, domanda)?;
        let Some(FieldKind::Attachment(rule)) = form
            .steps
            .iter()
            .flat_map(|step| step.fields.iter())
            .find(|field| field.id == field_id)
            .map(|field| field.kind.clone())
        else {
            return Err(AppError::NotFound);
        };
        rule
    };
    let kind = match form::check_upload(&rule, &bytes) {
        Ok(kind) => kind,
        Err(mut problem) => {
            problem.field = field_id.to_owned();
            return Ok(Err(problem));
        }
    };
    let key = FileKey::generate("domande");
    let attachment = Attachment {
        id: uuid::Uuid::now_v7().to_string(),
        domanda_id: domanda.id.clone(),
        field: field_id.to_owned(),
        file_key: key.as_str().to_owned(),
        name: crate::risponde::model::safe_file_name(file_name, kind.mime()),
        mime: kind.mime().to_owned(),
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: hex::encode(Sha256::digest(&bytes)),
        created_at: now_ms(),
    };
    app.files
        .put(&key, bytes)
        .await
        .map_err(|err| AppError::Internal(anyhow::Error::new(err)))?;
    if store::add_attachment(&app.db, &attachment, &applicant.citizen.id, &applicant.holder.id).await? {
        Ok(Ok(attachment.id))
    } else {
        let _ = app.files.delete(&key).await;
        Err(refused(
            StatusCode::CONFLICT,
            "domanda-gia-presentata",
            "domande-gia-presentata",
        ))
    }
}

/// The largest document sent on an office's request.
pub const INTEGRATION_BYTES_MAX: usize = 5 * 1024 * 1024;

/// Why a draft cannot be filed yet, for the summary page and the API.
#[derive(Debug)]
pub enum NotReady {
    /// Fields to fix, and the first step with problems.
    Problems(usize, Vec<FieldProblem>),
    /// The form was updated since the draft was opened: the draft now uses the new version;
    /// check the answers again.
    FormUpdated,
}

/// Files a draft, exactly once: a second call (double click, retry, reload) returns the
/// same protocol number. `Ok(Err(_))`: not ready; nothing changed.
pub async fn file(
    app: &AppState,
    applicant: &Applicant,
    domanda: &Domanda,
) -> Result<Result<String, NotReady>, AppError> {
    if let Some(protocol) = &domanda.protocol {
        return Ok(Ok(protocol.clone()));
    }
    if domanda.stato()? != Stato::Bozza {
        return Err(AppError::NotFound);
    }
    if !applicant.may_file {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "pin-dispositivo-richiesto",
            "domande-serve-dispositivo",
        ));
    }
    let form = form_of(app, domanda)?;
    let now = now_ms();
    if let Some(latest) = app.forms.current().latest(&domanda.form_code)
        && latest.version != form.version
    {
        move_to_version(app, applicant, domanda, &latest).await?;
        return Ok(Err(NotReady::FormUpdated));
    }
    filing_period(&form, now)?;
    let answers = domanda.answers()?;
    if let Err((step, problems)) = form::validate_all(&form, &answers, model::giorno_di(now)) {
        return Ok(Err(NotReady::Problems(step, problems)));
    }
    let (sede_id, sede_code) = match store::competent_sede(&app.db, &applicant.citizen.id).await? {
        Some((id, code, _)) => (Some(id), code),
        None => (None, "NAZ".to_owned()),
    };
    let event = NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        at: now,
        state: Stato::Presentata,
        actor_id: Some(applicant.holder.id.clone()),
        actor_role: applicant.as_.code(),
        note: None,
    };
    let filing = Filing {
        id: domanda.id.clone(),
        account_id: applicant.citizen.id.clone(),
        revision: domanda.revision,
        ente: ente(&form).to_owned(),
        sede_id,
        sede_code,
        submitted_by: applicant.holder.id.clone(),
        submitted_as: applicant.as_.code(),
        submitted_by_name: applicant.holder.display_name.clone(),
        verify_code: verify_code()?,
        event,
        audit: applicant.change_entry("domanda.presentata", &domanda.id),
    };
    match app.filings.file_draft(filing).await? {
        Filed::Now(protocol) | Filed::Already(protocol) => Ok(Ok(protocol)),
        Filed::Changed => Err(refused(
            StatusCode::CONFLICT,
            "bozza-modificata",
            "domande-bozza-modificata",
        )),
        Filed::Missing => Err(AppError::NotFound),
    }
}

/// Refuses filing outside the form's period (before `apertura`, from `chiusura`).
pub fn filing_period(form: &FormDefinition, now: i64) -> Result<(), AppError> {
    let at = jiff::Timestamp::from_millisecond(now).unwrap_or_default();
    if form.opens_at.is_some_and(|opens| at < opens) {
        return Err(refused(
            StatusCode::CONFLICT,
            "modulo-non-ancora-aperto",
            "domande-non-ancora-aperto",
        ));
    }
    if form.closes_at.is_some_and(|closes| at >= closes) {
        return Err(refused(
            StatusCode::CONFLICT,
            "modulo-chiuso",
            "domande-modulo-chiuso",
        ));
    }
    Ok(())
}

/// Files an application in one go, without a draft (the app sends every answer at once): the
/// click-day path, through the node's filing writer (group commit). `answers` were checked
/// step by step by the caller; they are checked whole here. With an idempotency key already
/// used, returns the application made then. `Ok(Ok((id, filed)))`: `filed` is the protocol
/// number and instant, `None` for an earlier application found by its key.
pub async fn file_at_once(
    app: &AppState,
    applicant: &Applicant,
    form: &FormDefinition,
    answers: &Answers,
    create_key: Option<String>,
) -> Result<Result<(String, Option<(String, i64)>), NotReady>, AppError> {
    if !applicant.may_file {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "pin-dispositivo-richiesto",
            "domande-serve-dispositivo",
        ));
    }
    let now = now_ms();
    filing_period(form, now)?;
    if let Err((step, problems)) = form::validate_all(form, answers, model::giorno_di(now)) {
        return Ok(Err(NotReady::Problems(step, problems)));
    }
    let (sede_id, sede_code) = match store::competent_sede(&app.db, &applicant.citizen.id).await? {
        Some((id, code, _)) => (Some(id), code),
        None => (None, "NAZ".to_owned()),
    };
    let id = uuid::Uuid::now_v7().to_string();
    let event = NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        at: now,
        state: Stato::Presentata,
        actor_id: Some(applicant.holder.id.clone()),
        actor_role: applicant.as_.code(),
        note: None,
    };
    let filing = super::writer::NewFiling {
        id: id.clone(),
        account_id: applicant.citizen.id.clone(),
        form_code: form.code.clone(),
        form_version: i64::from(form.version),
        answers: serde_json::to_string(answers).map_err(|err| AppError::Internal(err.into()))?,
        steps: i64::try_from(form.steps.len()).unwrap_or(0),
        create_key,
        ente: ente(form).to_owned(),
        sede_id,
        sede_code,
        submitted_by: applicant.holder.id.clone(),
        submitted_as: applicant.as_.code(),
        submitted_by_name: applicant.holder.display_name.clone(),
        verify_code: verify_code()?,
        event,
        audit: applicant
            .change_entry("domanda.presentata", &id)
            .detail("modulo", form.code.as_str()),
    };
    Ok(Ok(match app.filings.file(filing).await? {
        super::writer::Outcome::Filed(protocol) => (id, Some((protocol, now))),
        super::writer::Outcome::Existing(existing) => (existing, None),
    }))
}

/// The protocol prefix of a form's institution.
pub fn ente(form: &FormDefinition) -> &'static str {
    match form.authority {
        form::Authority::Inps => "INPS",
        form::Authority::Comune => "COMUNE",
    }
}

/// The code printed in a receipt's QR code: 16 random letters and digits.
fn verify_code() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| AppError::Internal(anyhow::anyhow!("random: {err}")))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Moves a draft to a newer version of its form, keeping the answers of fields that still
/// exist (they are checked again before filing).
async fn move_to_version(
    app: &AppState,
    applicant: &Applicant,
    domanda: &Domanda,
    latest: &FormDefinition,
) -> Result<(), AppError> {
    let mut answers = domanda.answers()?;
    let ids: Vec<&str> = latest
        .steps
        .iter()
        .flat_map(|step| step.fields.iter().map(|field| field.id.as_str()))
        .collect();
    answers.0.retain(|id, _| ids.contains(&id.as_str()));
    let text = serde_json::to_string(&answers).map_err(|err| AppError::Internal(err.into()))?;
    let version = i64::from(latest.version);
    let audit = applicant.change_entry("domanda.modulo-aggiornato", &domanda.id);
    let moved = crate::write_pool!(&app.db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE domande SET form_version = $1, answers = $2, step = 0, updated_at = $3, revision = revision + 1
             WHERE id = $4 AND account_id = $5 AND state = 'bozza' AND revision = $6",
        )
        .bind(version)
        .bind(&text)
        .bind(now_ms())
        .bind(&domanda.id)
        .bind(&applicant.citizen.id)
        .bind(domanda.revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1 {
            crate::audit_append!(tx, &audit);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done == 1)
    }
    .await)
    .map_err(StorageError::from)?;
    if moved {
        Ok(())
    } else {
        Err(refused(
            StatusCode::CONFLICT,
            "bozza-modificata",
            "domande-bozza-modificata",
        ))
    }
}

/// The job that files a letter about event `event_id` in the mailbox and alerts the citizen.
pub fn notice_job(domanda_id: &str, event_id: &str) -> NewJob {
    NewJob::new(
        JOB_NOTICE,
        serde_json::json!({ "domanda": domanda_id, "evento": event_id }),
    )
    .dedupe(format!("domanda-avviso:{event_id}"))
    .max_attempts(10)
}

/// The job that files the letters of several filings at once (a batch of the filing writer):
/// one claim and one completion for the runner instead of one per filing during a peak.
pub fn notice_job_for(event_ids: &[&str]) -> NewJob {
    NewJob::new(JOB_NOTICE, serde_json::json!({ "eventi": event_ids }))
        .dedupe(format!(
            "domande-avvisi:{}",
            event_ids.first().copied().unwrap_or_default()
        ))
        .max_attempts(10)
}

/// Deletes a draft and its files.
pub async fn delete_draft(app: &AppState, applicant: &Applicant, domanda: &Domanda) -> Result<(), AppError> {
    let audit = applicant.change_entry("domanda.bozza-eliminata", &domanda.id);
    let keys = store::delete_draft(&app.db, &domanda.id, &applicant.citizen.id, Some(&audit))
        .await?
        .ok_or_else(|| {
            refused(
                StatusCode::CONFLICT,
                "domanda-gia-presentata",
                "domande-gia-presentata",
            )
        })?;
    for key in keys {
        if let Ok(key) = FileKey::parse(&key) {
            let _ = app.files.delete(&key).await;
        }
    }
    Ok(())
}

/// A citizen-side act on a filed application: withdraw it, or say the documents asked for are
/// sent (they were uploaded as `integrazione` attachments first).
pub async fn citizen_act(
    app: &AppState,
    applicant: &Applicant,
    domanda: &Domanda,
    atto: Atto,
    note: Option<String>,
) -> Result<(), AppError> {
    if atto.by_office() || atto == Atto::Presenta {
        return Err(AppError::Forbidden("office act"));
    }
    if !applicant.may_file {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "pin-dispositivo-richiesto",
            "domande-serve-dispositivo",
        ));
    }
    let from = domanda.stato()?;
    let to = model::prossimo(from, atto).map_err(rifiuto)?;
    if atto == Atto::Integra {
        let sent = store::attachments(&app.db, &domanda.id)
            .await?
            .iter()
            .any(|a| a.field == "integrazione" && a.created_at >= domanda.updated_at);
        if !sent && note.as_deref().is_none_or(str::is_empty) {
            return Err(AppError::InvalidValue {
                field: "documenti",
                code: "integrazione-vuota",
                detail: Message::new("domande-integrazione-vuota"),
            });
        }
    }
    let now = now_ms();
    let event = NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        at: now,
        state: to,
        actor_id: Some(applicant.holder.id.clone()),
        actor_role: applicant.as_.code(),
        note,
    };
    let action = match atto {
        Atto::Ritira => "domanda.ritirata",
        _ => "domanda.integrata",
    };
    let change = store::Change {
        id: domanda.id.clone(),
        from,
        revision: domanda.revision,
        to,
        assigned_to: None,
        decision_reason: None,
        integration_due: None,
        job: Some(notice_job(&domanda.id, &event.id)),
        event,
        audit: applicant.change_entry(action, &domanda.id),
    };
    if store::change(&app.db, &change).await? {
        Ok(())
    } else {
        Err(refused(
            StatusCode::CONFLICT,
            "domanda-cambiata",
            "domande-cambiata",
        ))
    }
}

/// A refusal of the state machine as a 409 with its own code.
pub fn rifiuto(err: model::Rifiuto) -> AppError {
    AppError::Refused {
        status: StatusCode::CONFLICT,
        code: err.code(),
        message: Message::new(match err {
            model::Rifiuto::GiaConclusa => "domande-gia-conclusa",
            model::Rifiuto::FuoriSequenza => "domande-fuori-sequenza",
        }),
    }
}
