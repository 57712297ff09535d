//! Applications in the JSON API, for the mobile app: the forms, a draft filled in step by
//! step or all at once, filing (exactly once), withdrawal, the state with its timeline and the
//! receipt. The same service as the pages: the same checks, audit and idempotency.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::form::{self, Condition, ConditionValue, Field, FieldKind, FieldProblem, FormDefinition, Test};
use super::model::{self, Atto};
use super::receipt;
use super::service::{self, NotReady, StepOutcome};
use super::store::{self, Domanda};
use crate::app::AppState;
use crate::http::error::{ApiJson, AppError, FieldError, Message, Problem};
use crate::http::extract::RequireSession;

/// An option of a choice.
#[derive(Debug, Serialize, ToSchema)]
pub struct Opzione {
    pub valore: String,
    /// Italian, always.
    pub etichetta: String,
    /// English, when the form has it (otherwise show `etichetta`, marked as Italian).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etichetta_en: Option<String>,
}

/// When a field is shown (or required): the other field's answer equals `uguale`, is one of
/// `tra`, or is (or is not) `compilato`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Condizione {
    /// The field looked at (`gruppo.campo` for a sibling in a group row).
    pub campo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uguale: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tra: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compilato: Option<bool>,
}

fn condition_value(value: &ConditionValue) -> Value {
    match value {
        ConditionValue::Text(text) => Value::from(text.clone()),
        ConditionValue::Bool(b) => Value::from(*b),
        ConditionValue::Number(n) => Value::from(*n),
    }
}

fn condizione(condition: &Condition) -> Condizione {
    let (uguale, tra, compilato) = match &condition.test {
        Test::Equals(value) => (Some(condition_value(value)), None, None),
        Test::In(values) => (None, Some(values.iter().map(condition_value).collect()), None),
        Test::Filled(filled) => (None, None, Some(*filled)),
    };
    Condizione {
        campo: condition.field.clone(),
        uguale,
        tra,
        compilato,
    }
}

/// A field of a form.
#[derive(Debug, Serialize, ToSchema)]
pub struct Campo {
    pub id: String,
    /// Italian, always.
    pub etichetta: String,
    /// English, when the form has it (otherwise show `etichetta`, marked as Italian).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etichetta_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aiuto: Option<String>,
    /// English `aiuto`, when the form has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aiuto_en: Option<String>,
    /// `testo`, `numero`, `importo`, `data`, `si_no`, `scelta`, `codice_fiscale`, `iban`,
    /// `indirizzo`, `email`, `telefono`, `allegato`, `gruppo`.
    pub tipo: String,
    pub obbligatorio: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mostra_se: Option<Condizione>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub obbligatorio_se: Option<Condizione>,
    /// Text length, number or amount (in cents), group rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opzioni: Vec<Opzione>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub multipla: bool,
    /// File types an `allegato` takes: `pdf`, `jpeg`, `png`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tipi_file: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_byte: Option<i64>,
    /// The fields of each row of a `gruppo` (never groups themselves).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub campi: Vec<Campo>,
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn campo(field: &Field) -> Campo {
    let mut view = Campo {
        id: field.id.clone(),
        etichetta: field.label.it.clone(),
        etichetta_en: field.label.en.clone(),
        aiuto: field.help.as_ref().map(|h| h.it.clone()),
        aiuto_en: field.help.as_ref().and_then(|h| h.en.clone()),
        tipo: field.kind.code().to_owned(),
        obbligatorio: field.required,
        mostra_se: field.show_if.as_ref().map(condizione),
        obbligatorio_se: field.required_if.as_ref().map(condizione),
        min: None,
        max: None,
        opzioni: Vec::new(),
        multipla: false,
        tipi_file: Vec::new(),
        max_byte: None,
        campi: Vec::new(),
    };
    match &field.kind {
        FieldKind::Text { min, max, .. } => {
            view.min = Some(to_i64(*min));
            view.max = Some(to_i64(*max));
        }
        FieldKind::Number { min, max } => (view.min, view.max) = (*min, *max),
        FieldKind::Money { min_cents, max_cents } => (view.min, view.max) = (*min_cents, *max_cents),
        FieldKind::Choice { options, multiple } => {
            view.opzioni = options
                .iter()
                .map(|o| Opzione {
                    valore: o.value.clone(),
                    etichetta: o.label.it.clone(),
                    etichetta_en: o.label.en.clone(),
                })
                .collect();
            view.multipla = *multiple;
        }
        FieldKind::Attachment(rule) => {
            view.tipi_file = rule.types.iter().map(|t| t.code().to_owned()).collect();
            view.max_byte = Some(to_i64(rule.max_bytes));
        }
        FieldKind::Group { fields, min, max } => {
            view.min = Some(to_i64(*min));
            view.max = Some(to_i64(*max));
            view.campi = fields.iter().map(campo).collect();
        }
        _ => {}
    }
    view
}

/// A step of a form.
#[derive(Debug, Serialize, ToSchema)]
pub struct Passo {
    pub id: String,
    /// Italian, always.
    pub titolo: String,
    /// English, when the form has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub titolo_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aiuto: Option<String>,
    /// English `aiuto`, when the form has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aiuto_en: Option<String>,
    pub campi: Vec<Campo>,
}

/// A form, as the app renders it. Its texts are Italian (`titolo`, `etichetta`, …), each with
/// an optional English companion (`titolo_en`, `etichetta_en`, …) as in the form's file: the
/// app shows the English one to an English reader when present, otherwise the Italian one
/// marked as Italian for screen readers. The response is the same whatever the language asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Modulo {
    pub codice: String,
    pub versione: u32,
    /// Italian, always.
    pub titolo: String,
    /// English, when the form has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub titolo_en: Option<String>,
    pub descrizione: String,
    /// English, when the form has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descrizione_en: Option<String>,
    /// `inps` or `comune`.
    pub ente: String,
    /// The catalogue card's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheda: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apertura_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chiusura_ms: Option<i64>,
    /// Applications can be filed now.
    pub aperto: bool,
    pub passi: Vec<Passo>,
}

fn modulo(form: &FormDefinition) -> Modulo {
    Modulo {
        codice: form.code.clone(),
        versione: form.version,
        titolo: form.title.it.clone(),
        titolo_en: form.title.en.clone(),
        descrizione: form.description.it.clone(),
        descrizione_en: form.description.en.clone(),
        ente: form.authority.code().to_owned(),
        scheda: form.card_slug.as_ref().map(|slug| format!("/servizi/{slug}")),
        apertura_ms: form.opens_at.map(|t| t.as_millisecond()),
        chiusura_ms: form.closes_at.map(|t| t.as_millisecond()),
        aperto: form.is_open(jiff::Timestamp::now()),
        passi: form
            .steps
            .iter()
            .map(|step| Passo {
                id: step.id.clone(),
                titolo: step.title.it.clone(),
                titolo_en: step.title.en.clone(),
                aiuto: step.help.as_ref().map(|h| h.it.clone()),
                aiuto_en: step.help.as_ref().and_then(|h| h.en.clone()),
                campi: step.fields.iter().map(campo).collect(),
            })
            .collect(),
    }
}

/// The forms one can fill in.
#[utoipa::path(
    get,
    path = "/api/v1/moduli",
    operation_id = "moduli_elenco",
    tag = "domande",
    summary = "List the application forms",
    responses((status = 200, description = "The latest version of every form.", body = [Modulo])),
)]
pub async fn forms(State(app): State<AppState>) -> Response {
    let forms = app.forms.current();
    Json(forms.all().map(|f| modulo(f)).collect::<Vec<_>>()).into_response()
}

/// One form.
#[utoipa::path(
    get,
    path = "/api/v1/moduli/{codice}",
    operation_id = "modulo",
    tag = "domande",
    summary = "Read an application form",
    params(("codice" = String, Path, description = "The form's code, e.g. `bonus-asilo-nido`.")),
    responses(
        (status = 200, description = "The latest version of the form.", body = Modulo),
        (status = 404, description = "No such form.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn form(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    let form = app.forms.current().latest(&code).ok_or(AppError::NotFound)?;
    Ok(Json(modulo(&form)).into_response())
}

/// A step of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventoDomanda {
    /// The state reached.
    pub stato: String,
    /// What the citizen is told (a reason, the documents needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nota: Option<String>,
    pub il_ms: i64,
}

/// An application.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomandaView {
    pub id: String,
    pub modulo: String,
    pub versione_modulo: i64,
    /// `bozza`, `presentata`, `in-istruttoria`, `richiesta-integrazione`, `integrata`,
    /// `accolta`, `respinta`, `ritirata`.
    pub stato: String,
    /// Send it back with a step to save: a change made elsewhere meanwhile is a conflict.
    pub revisione: i64,
    /// The answers so far (canonical values).
    #[schema(value_type = Object)]
    pub risposte: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocollo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentata_il_ms: Option<i64>,
    /// `cittadino`, `delegato`, `intermediario`, `operatore-pue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentata_da: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motivazione: Option<String>,
    /// Deadline for the documents asked for (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scadenza_integrazione: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ricorso_di: Option<String>,
    pub creata_il_ms: i64,
    pub aggiornata_il_ms: i64,
    pub eventi: Vec<EventoDomanda>,
}

async fn view(app: &AppState, d: &Domanda) -> Result<DomandaView, AppError> {
    let events = if d.state == "bozza" {
        Vec::new()
    } else {
        store::events(&app.db, &d.id)
            .await?
            .into_iter()
            .map(|e| EventoDomanda {
                stato: e.state,
                nota: e.note,
                il_ms: e.at,
            })
            .collect()
    };
    Ok(DomandaView {
        id: d.id.clone(),
        modulo: d.form_code.clone(),
        versione_modulo: d.form_version,
        stato: d.state.clone(),
        revisione: d.revision,
        risposte: serde_json::from_str(&d.answers).unwrap_or(Value::Object(Map::new())),
        protocollo: d.protocol.clone(),
        presentata_il_ms: d.submitted_at,
        presentata_da: d.submitted_as.clone(),
        motivazione: d.decision_reason.clone(),
        scadenza_integrazione: d.integration_due.clone(),
        ricorso_di: d.appeal_of.clone(),
        creata_il_ms: d.created_at,
        aggiornata_il_ms: d.updated_at,
        eventi: events,
    })
}

fn invalid(problems: Vec<FieldProblem>) -> AppError {
    AppError::Invalid(
        problems
            .into_iter()
            .map(|p| FieldError {
                field: p.field,
                code: p.code.to_owned(),
            })
            .collect(),
    )
}

/// The caller's applications (or, acting for a citizen, theirs).
#[utoipa::path(
    get,
    path = "/api/v1/domande",
    operation_id = "domande_elenco",
    tag = "domande",
    summary = "List applications",
    responses(
        (status = 200, description = "Drafts and filed applications, newest first.", body = [DomandaView]),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen, or acting on a basis that does not cover applications.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn list(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    applicant.audit_read(&app.db, "elenco").await?;
    let mut out = Vec::new();
    for d in store::list_for_citizen(&app.db, &applicant.citizen.id).await? {
        out.push(view(&app, &d).await?);
    }
    Ok(Json(out).into_response())
}

/// A new application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NuovaDomanda {
    /// The form's code.
    #[schema(pattern = r"^[a-z0-9-]{1,60}$")]
    pub modulo: String,
    /// Answers to save now, as an object of field id -> value (all the steps at once).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub risposte: Option<Map<String, Value>>,
    /// `true`: file it at once (the answers must be complete).
    #[serde(default)]
    pub invia: bool,
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(model::chiave_idempotenza)
            .map(Some)
            .ok_or(AppError::InvalidValue {
                field: "Idempotency-Key",
                code: "chiave-non-valida",
                detail: Message::new("domande-chiave-non-valida"),
            }),
    }
}

/// Validates every step of `answers` (a flat object of field id -> raw value).
fn check_all(
    form: &FormDefinition,
    answers: &Map<String, Value>,
) -> Result<form::Answers, Vec<FieldProblem>> {
    let today = model::giorno_di(crate::storage::now_ms());
    let mut saved = form::Answers::default();
    let mut problems = Vec::new();
    for (index, step) in form.steps.iter().enumerate() {
        let input: Map<String, Value> = step
            .fields
            .iter()
            .filter_map(|f| answers.get(&f.id).map(|v| (f.id.clone(), v.clone())))
            .collect();
        match form::validate_step(form, index, &input, &saved, today) {
            Ok(values) => saved.0.extend(values.0),
            Err(found) => problems.extend(found),
        }
    }
    let known = |id: &String| form.steps.iter().any(|s| s.fields.iter().any(|f| &f.id == id));
    problems.extend(
        answers
            .keys()
            .filter(|id| !known(id))
            .map(|id| FieldProblem::new(id.clone(), "campo-non-previsto")),
    );
    if problems.is_empty() {
        Ok(saved)
    } else {
        Err(problems)
    }
}

/// Open (and optionally fill and file) an application.
#[utoipa::path(
    post,
    path = "/api/v1/domande",
    operation_id = "domanda_nuova",
    tag = "domande",
    summary = "Open an application",
    description = "Opens a draft of the latest version of a form, pre-filled with what the institute knows. \
                   With `risposte` the answers are checked and saved; with `invia` the application is also filed. \
                   Send an `Idempotency-Key` header (8–100 visible characters, e.g. a UUID): a retry with the same \
                   key returns the same application instead of opening another.",
    params((
        "Idempotency-Key" = Option<String>,
        Header,
        description = "Makes a retry return the same application: 8 to 100 visible ASCII characters (a UUID fits).",
        nullable = false,
        pattern = "^[!-~]{8,100}$"
    )),
    request_body = NuovaDomanda,
    responses(
        (status = 201, description = "Opened (and filed, with `invia`).", body = DomandaView),
        (status = 200, description = "A retry: the application opened by the first request.", body = DomandaView),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Filing needs a PIN dispositivo, SPID or CIE, or a delegation or mandate.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such form.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too many drafts, or the form is not open for filing.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Answers that do not pass, one error per field.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn create(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NuovaDomanda>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let key = idempotency_key(&headers)?;
    let form = app
        .forms
        .current()
        .latest(&body.modulo)
        .ok_or(AppError::NotFound)?;
    if body.invia && !applicant.may_file {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "pin-dispositivo-richiesto",
            message: Message::new("domande-serve-dispositivo"),
        });
    }
    // Checked before anything is stored: a closed period or bad answers leave no draft behind.
    if body.invia {
        service::filing_period(&form, crate::storage::now_ms())?;
    }
    let checked = match &body.risposte {
        Some(answers) => Some(check_all(&form, answers).map_err(invalid)?),
        None if body.invia => return Err(invalid(vec![FieldProblem::new("risposte", "campo-obbligatorio")])),
        None => None,
    };
    if body.invia {
        let answers = checked.unwrap_or_default();
        return match service::file_at_once(&app, &applicant, &form, &answers, key).await? {
            Ok((id, Some((protocol, at)))) => {
                // Built from what was written: no read on the writer after the commit.
                let view = DomandaView {
                    id: id.clone(),
                    modulo: form.code.clone(),
                    versione_modulo: i64::from(form.version),
                    stato: model::Stato::Presentata.code().to_owned(),
                    revisione: 1,
                    risposte: Value::Object(answers.0),
                    protocollo: Some(protocol),
                    presentata_il_ms: Some(at),
                    presentata_da: Some(applicant.as_.code().to_owned()),
                    motivazione: None,
                    scadenza_integrazione: None,
                    ricorso_di: None,
                    creata_il_ms: at,
                    aggiornata_il_ms: at,
                    eventi: vec![EventoDomanda {
                        stato: model::Stato::Presentata.code().to_owned(),
                        nota: None,
                        il_ms: at,
                    }],
                };
                let location = format!("/api/v1/domande/{id}");
                Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view)).into_response())
            }
            Ok((id, None)) => {
                let domanda = fresh(&app, &applicant, &id).await?;
                let location = format!("/api/v1/domande/{id}");
                Ok((
                    StatusCode::OK,
                    [(header::LOCATION, location)],
                    Json(view(&app, &domanda).await?),
                )
                    .into_response())
            }
            Err(NotReady::Problems(_, problems)) => Err(invalid(problems)),
            Err(NotReady::FormUpdated) => Err(form_updated()),
        };
    }
    // The answers go in with the draft: a retry racing the first request finds it complete.
    let (id, created) = service::open_draft(&app, &applicant, &form.code, key, None, checked).await?;
    let domanda = fresh(&app, &applicant, &id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/api/v1/domande/{id}");
    Ok((
        status,
        [(header::LOCATION, location)],
        Json(view(&app, &domanda).await?),
    )
        .into_response())
}

async fn fresh(app: &AppState, applicant: &service::Applicant, id: &str) -> Result<Domanda, AppError> {
    store::find_fresh(&app.db, id, &applicant.citizen.id)
        .await?
        .ok_or(AppError::NotFound)
}

fn form_updated() -> AppError {
    AppError::Refused {
        status: StatusCode::CONFLICT,
        code: "modulo-aggiornato",
        message: Message::new("domande-notice-form-updated"),
    }
}

/// Read an application, with its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/domande/{id}",
    operation_id = "domanda",
    tag = "domande",
    summary = "Read an application",
    params(("id" = String, Path, description = "The application's id.")),
    responses(
        (status = 200, description = "The application.", body = DomandaView),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn show(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    applicant.audit_read(&app.db, "domanda").await?;
    Ok(Json(view(&app, &domanda).await?).into_response())
}

/// The answers of one step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RispostePasso {
    /// Field id -> value for the fields of this step.
    #[schema(value_type = Object)]
    pub risposte: Map<String, Value>,
    /// The revision read (from `revisione`): a change made elsewhere since is a conflict.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub revisione: Option<i64>,
}

/// An integer as JSON Schema means it: `5` and `5.0` are the same integer.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<f64>::deserialize(deserializer)?;
    match value {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(Some(v as i64)),
        Some(_) => Err(serde::de::Error::custom("expected a whole number")),
    }
}

/// Save one step of a draft.
#[utoipa::path(
    put,
    path = "/api/v1/domande/{id}/passi/{passo}",
    operation_id = "domanda_passo",
    tag = "domande",
    summary = "Save a step of a draft",
    params(
        ("id" = String, Path, description = "The application's id."),
        ("passo" = u32, Path, description = "The step, from 1.", minimum = 1, maximum = 100),
    ),
    request_body = RispostePasso,
    responses(
        (status = 200, description = "Saved.", body = DomandaView),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such draft or step.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already filed, or changed elsewhere meanwhile.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Answers that do not pass, one error per field.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn save_step(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path((id, step)): Path<(String, String)>,
    ApiJson(body): ApiJson<RispostePasso>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let mut domanda = service::find(&app, &applicant, &id).await?;
    if let Some(revision) = body.revisione
        && revision != domanda.revision
    {
        return Err(AppError::Refused {
            status: StatusCode::CONFLICT,
            code: "bozza-modificata",
            message: Message::new("domande-bozza-modificata"),
        });
    }
    // A step that is not a positive whole number names nothing: 404, like a missing one.
    let index = step
        .parse::<usize>()
        .ok()
        .and_then(|s| s.checked_sub(1))
        .ok_or(AppError::NotFound)?;
    match service::save_step(&app, &applicant, &domanda, index, body.risposte).await? {
        StepOutcome::Saved => domanda = fresh(&app, &applicant, &id).await?,
        StepOutcome::Refused(refused) => return Err(invalid(refused.problems)),
    }
    Ok(Json(view(&app, &domanda).await?).into_response())
}

/// File a draft.
#[utoipa::path(
    post,
    path = "/api/v1/domande/{id}/invio",
    operation_id = "domanda_invio",
    tag = "domande",
    summary = "File an application",
    description = "Files the draft with a protocol number. Exactly once: repeating the call returns the \
                   application already filed, with the same protocol number.",
    params(("id" = String, Path, description = "The application's id.")),
    responses(
        (status = 200, description = "Filed (now or before).", body = DomandaView),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Filing needs a PIN dispositivo, SPID or CIE, or a delegation or mandate.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The form is not open, was updated (check the answers again), or the draft changed.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Answers missing or wrong, one error per field.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn file(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    match service::file(&app, &applicant, &domanda).await? {
        Ok(_) => {}
        Err(NotReady::Problems(_, problems)) => return Err(invalid(problems)),
        Err(NotReady::FormUpdated) => return Err(form_updated()),
    }
    let domanda = fresh(&app, &applicant, &id).await?;
    Ok(Json(view(&app, &domanda).await?).into_response())
}

/// Withdraw a filed application before a decision.
#[utoipa::path(
    post,
    path = "/api/v1/domande/{id}/ritiro",
    operation_id = "domanda_ritiro",
    tag = "domande",
    summary = "Withdraw an application",
    params(("id" = String, Path, description = "The application's id.")),
    responses(
        (status = 200, description = "Withdrawn.", body = DomandaView),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs a PIN dispositivo, SPID or CIE, or a delegation or mandate.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A draft (delete it instead), or already decided or withdrawn.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn withdraw(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    service::citizen_act(&app, &applicant, &domanda, Atto::Ritira, None).await?;
    let domanda = fresh(&app, &applicant, &id).await?;
    Ok(Json(view(&app, &domanda).await?).into_response())
}

/// Delete a draft.
#[utoipa::path(
    delete,
    path = "/api/v1/domande/{id}",
    operation_id = "domanda_elimina",
    tag = "domande",
    summary = "Delete a draft",
    params(("id" = String, Path, description = "The application's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already filed: withdraw it instead.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn delete(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    service::delete_draft(&app, &applicant, &domanda).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The receipt of a filed application.
#[utoipa::path(
    get,
    path = "/api/v1/domande/{id}/ricevuta",
    operation_id = "domanda_ricevuta",
    tag = "domande",
    summary = "Download the receipt",
    params(("id" = String, Path, description = "The application's id.")),
    responses(
        (status = 200, description = "The receipt as PDF.", content_type = "application/pdf"),
        (status = 401, description = "Not logged in.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filed application among the caller's.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("app" = []), ("sessione" = [])),
)]
pub async fn receipt(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    applicant.audit_read(&app.db, "ricevuta").await?;
    let data = super::pages::receipt_data(&app, &domanda).await?;
    let name = format!("ricevuta-{}.pdf", data.protocol);
    Ok(super::pages::pdf_response(&name, receipt::render(&data)))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// The English companions are in the published schema, each optional (absent when the
    /// form's file has none), next to the Italian texts, which stay required where they were.
    #[test]
    fn the_schema_lists_the_english_texts_as_optional() {
        let doc: Value = serde_json::from_str(&crate::http::openapi::document_json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        for (schema, italian, english) in [
            (
                "Modulo",
                &["titolo", "descrizione"][..],
                &["titolo_en", "descrizione_en"][..],
            ),
            ("Passo", &["titolo"][..], &["titolo_en", "aiuto_en"][..]),
            ("Campo", &["etichetta"][..], &["etichetta_en", "aiuto_en"][..]),
            ("Opzione", &["etichetta"][..], &["etichetta_en"][..]),
        ] {
            let required: Vec<&str> = schemas[schema]["required"]
                .as_array()
                .map(|list| list.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for key in italian {
                assert!(required.contains(key), "{schema}.{key} required: {required:?}");
            }
            for key in english {
                assert!(
                    schemas[schema]["properties"][key].is_object(),
                    "{schema}.{key} documented"
                );
                assert!(!required.contains(key), "{schema}.{key} optional");
            }
        }
    }
}
