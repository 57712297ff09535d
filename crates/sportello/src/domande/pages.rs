//! The citizen's pages: the applications list and the forms one can start, a form filled in
//! step by step (every step saved as a draft, checked on the server, messages next to each
//! field), the summary to check before filing, the filed application with its timeline,
//! receipt, withdrawal, documents on request and appeal, and the public receipt check.
//! Every form works without JavaScript and carries the CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::form::{
    self, Answers, Condition, ConditionValue, Field, FieldKind, FieldProblem, FormDefinition, Test,
};
use super::model::{Atto, Presentatore, Protocollo, Stato};
use super::phrase::Phrase;
use super::receipt::{self, ReceiptData};
use super::service::{self, Applicant, NotReady, StepOutcome};
use super::store::{self, Domanda};
use crate::app::AppState;
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::i18n::Lang;
use crate::http::page::{self, PageContext, local_date, local_time, see_other};
use crate::storage::files::FileKey;

/// The largest request a step or a documents form may send (files included).
pub const BODY_BYTES_MAX: usize = 24 * 1024 * 1024;

/// Text parts of a multipart form are not read beyond this.
const FIELD_BYTES_MAX: usize = 64 * 1024;

fn problem_text(page: &PageContext, problem: &FieldProblem) -> String {
    let mut message = Message::new(problem.code);
    let english = page.language() != Lang::It;
    for (name, value) in &problem.args {
        // Whole numbers go to Fluent as numbers, so plural and month selectors match.
        message = match value.parse::<i64>() {
            Ok(number) => message.number(name, number),
            // An amount (a bound, written "1.000,00 €") the English way on English pages.
            Err(_) if english && value.ends_with(" €") => match form::parse_money(value) {
                Some(cents) => message.arg(name, form::format_cents_en(cents)),
                None => message.arg(name, value.clone()),
            },
            Err(_) => message.arg(name, value.clone()),
        };
    }
    page.message(&message)
}

/// The question a problem is about, for the error summary: the field's label, and for a
/// group's field its row ("Nome (Figli, riga 2)"). Without it every link of the summary could
/// read the same ("Questa risposta è obbligatoria…") and not say where it leads.
fn problem_label(page: &PageContext, form: &FormDefinition, path: &str) -> Option<Phrase> {
    let lang = page.language();
    let mut parts = path.split('.');
    let (_, field) = form.field(parts.next()?)?;
    match (&field.kind, parts.next(), parts.next()) {
        (FieldKind::Group { fields, .. }, Some(index), Some(child)) => {
            let row = index.parse::<usize>().ok()? + 1;
            let child = fields.iter().find(|f| f.id == child)?;
            let mut label = Phrase::text(&child.label, lang);
            label.push_str(" (");
            label.push(&Phrase::text(&field.label, lang));
            label.push_str(&format!(", {} {row})", page.t("domande-group-row")));
            Some(label)
        }
        _ => Some(Phrase::text(&field.label, lang)),
    }
}

/// A summary line: "<question> – <what is wrong>".
fn summary_text(page: &PageContext, form: &FormDefinition, problem: &FieldProblem) -> Phrase {
    let text = problem_text(page, problem);
    match problem_label(page, form, &problem.field) {
        Some(mut label) => {
            label.push_str(&format!(" – {text}"));
            label
        }
        None => Phrase::plain(&text),
    }
}

/// Does the field's condition look at an answer given on this same step (or in the same
/// group row)? Such a field stays on the page whatever the answer, with a note saying when to
/// fill it in: without JavaScript nothing could reveal it, and a field that appeared only
/// after "Salva" would greet the person with an error about a question never seen.
fn condition_on_step(step: &form::Step, condition: &Condition) -> bool {
    let head = condition.field.split('.').next().unwrap_or_default();
    step.fields.iter().any(|f| f.id == head)
}

/// "Da compilare solo se alla domanda «…» hai risposto «…»."
fn condition_note(page: &PageContext, form: &FormDefinition, condition: &Condition) -> Option<Phrase> {
    let lang = page.language();
    let (_, target) = form.field(&condition.field)?;
    let answer = |value: &ConditionValue| -> Phrase {
        let text = match (value, &target.kind) {
            (ConditionValue::Bool(true), _) => Phrase::plain(&page.t("domande-si")),
            (ConditionValue::Bool(false), _) => Phrase::plain(&page.t("domande-no")),
            (ConditionValue::Text(t), FieldKind::YesNo) if t == "si" => Phrase::plain(&page.t("domande-si")),
            (ConditionValue::Text(t), FieldKind::YesNo) if t == "no" => Phrase::plain(&page.t("domande-no")),
            (ConditionValue::Text(t), FieldKind::Choice { options, .. }) => options
                .iter()
                .find(|o| o.value == *t)
                .map_or_else(|| Phrase::plain(t), |o| Phrase::text(&o.label, lang)),
            (ConditionValue::Text(t), _) => Phrase::plain(t),
            (ConditionValue::Number(n), _) => Phrase::plain(&n.to_string()),
        };
        let mut quoted = Phrase::plain("«");
        quoted.push(&text);
        quoted.push_str("»");
        quoted
    };
    let question = Phrase::text(&target.label, lang);
    let (id, args) = match &condition.test {
        Test::Equals(value) => (
            "domande-solo-se",
            vec![("domanda", question), ("risposta", answer(value))],
        ),
        Test::In(values) => (
            "domande-solo-se",
            vec![
                ("domanda", question),
                (
                    "risposta",
                    Phrase::join(
                        values.iter().map(answer),
                        &format!(" {} ", page.t("domande-oppure")),
                    ),
                ),
            ],
        ),
        Test::Filled(true) => ("domande-solo-se-compilato", vec![("domanda", question)]),
        Test::Filled(false) => ("domande-solo-se-vuoto", vec![("domanda", question)]),
    };
    Some(Phrase::message(id, args, |message| page.message(message)))
}

/// `campo-` + the field path with dots as dashes: a valid, unique HTML id.
fn html_id(path: &str) -> String {
    format!("campo-{}", path.replace('.', "-"))
}

// ---------------------------------------------------------------------------------------
// The list and starting a form

/// An application as a row of the list.
pub struct Row {
    pub id: String,
    pub title: Phrase,
    pub protocol: String,
    pub state: String,
    pub date: String,
    pub draft: bool,
}

/// A form one can start.
pub struct Offer {
    pub code: String,
    pub title: Phrase,
    pub description: Phrase,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "domande/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub csrf: String,
    pub rows: Vec<Row>,
    pub offers: Vec<Offer>,
    pub notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    esito: Option<String>,
}

fn title_of(app: &AppState, domanda: &Domanda, lang: Lang) -> Phrase {
    let version = u32::try_from(domanda.form_version).unwrap_or_default();
    app.forms
        .current()
        .version(&domanda.form_code, version)
        .map_or_else(
            || Phrase::plain(&domanda.form_code),
            |form| Phrase::text(&form.title, lang),
        )
}

/// `GET /area-personale/domande`.
pub async fn list(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    applicant.audit_read(&app.db, "elenco").await?;
    let rows = store::list_for_citizen(&app.db, &applicant.citizen.id)
        .await?
        .iter()
        .map(|d| Row {
            id: d.id.clone(),
            title: title_of(&app, d, page.language()),
            protocol: d.protocol.clone().unwrap_or_default(),
            state: page.t(&Stato::parse(&d.state).unwrap_or(Stato::Bozza).label_id()),
            date: local_date(d.submitted_at.unwrap_or(d.updated_at)),
            draft: d.state == "bozza",
        })
        .collect();
    let now = jiff::Timestamp::now();
    let offers = app
        .forms
        .current()
        .all()
        .filter(|f| f.code != "ricorso-amministrativo")
        .map(|f| Offer {
            code: f.code.clone(),
            title: Phrase::text(&f.title, page.language()),
            description: Phrase::text(&f.description, page.language()),
            open: f.is_open(now),
        })
        .collect();
    let notice = match query.esito.as_deref() {
        Some("eliminata") => Some(page.t("domande-notice-deleted")),
        _ => None,
    };
    let view = ListPage {
        csrf: current.csrf_token.clone(),
        rows,
        offers,
        notice,
        page,
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Template)]
#[template(path = "domande/start.html")]
pub struct StartPage {
    pub page: PageContext,
    pub csrf: String,
    pub code: String,
    pub title: Phrase,
    pub description: Phrase,
    pub steps: Vec<Phrase>,
    pub open: bool,
    pub opens: Option<String>,
    /// A random key for this page: a double click on "Inizia" opens one draft.
    pub chiave: String,
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    modulo: Option<String>,
}

/// `GET /area-personale/domande/nuova?modulo=…`: what the form asks, before starting.
pub async fn start(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<StartQuery>,
) -> Result<Response, AppError> {
    service::applicant(&app.db, &current).await?;
    let form = app
        .forms
        .current()
        .latest(query.modulo.as_deref().unwrap_or_default())
        .ok_or(AppError::NotFound)?;
    let now = jiff::Timestamp::now();
    let view = StartPage {
        csrf: current.csrf_token.clone(),
        chiave: uuid::Uuid::new_v4().to_string(),
        code: form.code.clone(),
        title: Phrase::text(&form.title, page.language()),
        description: Phrase::text(&form.description, page.language()),
        steps: form
            .steps
            .iter()
            .map(|s| Phrase::text(&s.title, page.language()))
            .collect(),
        open: form.is_open(now),
        opens: form
            .opens_at
            .filter(|opens| *opens > now)
            .map(|opens| local_time(opens.as_millisecond())),
        page,
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewDraftForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    modulo: Option<String>,
    /// A per-page random key: a double click on "Inizia" opens one draft.
    chiave: Option<String>,
}

/// `POST /area-personale/domande`: opens a draft and goes to its first step.
pub async fn create(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Form(form): Form<NewDraftForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let applicant = service::applicant(&app.db, &current).await?;
    let key = form.chiave.as_deref().and_then(super::model::chiave_idempotenza);
    let (id, _) = service::open_draft(
        &app,
        &applicant,
        form.modulo.as_deref().unwrap_or_default(),
        key,
        None,
        None,
    )
    .await?;
    Ok(see_other(&format!("/area-personale/domande/{id}/passo/1")))
}

// ---------------------------------------------------------------------------------------
// Filling in a step

/// An option of a choice as the page shows it.
pub struct OptionView {
    pub value: String,
    pub label: Phrase,
    pub checked: bool,
    pub html_id: String,
}

/// A part of an address.
pub struct PartView {
    pub label: String,
    pub name: String,
    pub html_id: String,
    pub value: String,
    pub autocomplete: &'static str,
    pub width: &'static str,
}

/// One field as the page shows it.
pub struct FieldView {
    pub name: String,
    pub html_id: String,
    pub label: Phrase,
    pub help: Option<Phrase>,
    /// text, textarea, number, money, date, yesno, radio, select, checkboxes, cf, iban,
    /// address, email, phone, file, group
    pub widget: &'static str,
    pub required: bool,
    pub value: String,
    pub maxlength: usize,
    pub options: Vec<OptionView>,
    pub parts: Vec<PartView>,
    pub error: Option<String>,
    /// When to fill it in, for a field that depends on another answer on the same page.
    pub condition: Option<Phrase>,
    /// A file already attached: its name.
    pub file_name: Option<String>,
    pub accept: String,
    /// Group rows, each a list of child fields (never groups themselves).
    pub rows: Vec<Vec<FieldView>>,
    pub can_add_row: bool,
}

impl FieldView {
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.condition.is_some() {
            ids.push(format!("condizione-{}", self.html_id));
        }
        if self.help.is_some() {
            ids.push(format!("aiuto-{}", self.html_id));
        }
        if self.error.is_some() {
            ids.push(format!("errore-{}", self.html_id));
        }
        ids.join(" ")
    }
}

/// The text an input shows for a stored (canonical) or typed value: an amount with the
/// decimal sign of the page's language ("1234,56"; "1234.56" in English).
fn input_text(field: &Field, value: Option<&Value>, lang: Lang) -> String {
    match (value, &field.kind) {
        (None | Some(Value::Null), _) => String::new(),
        (Some(Value::String(text)), _) => text.clone(),
        (Some(Value::Bool(b)), _) => if *b { "si" } else { "no" }.to_owned(),
        (Some(Value::Number(n)), FieldKind::Money { .. }) => n
            .as_i64()
            .map(|cents| {
                let sign = if cents < 0 { "-" } else { "" };
                let point = if lang == Lang::It { ',' } else { '.' };
                format!(
                    "{sign}{}{point}{:02}",
                    cents.unsigned_abs() / 100,
                    cents.unsigned_abs() % 100
                )
            })
            .unwrap_or_default(),
        (Some(Value::Number(n)), _) => n.to_string(),
        (Some(other), _) => other.to_string(),
    }
}

struct Builder<'a> {
    page: &'a PageContext,
    form: &'a FormDefinition,
    step: &'a form::Step,
    problems: &'a [FieldProblem],
    attachments: &'a [store::Attachment],
    /// Extra empty group rows asked for ("Aggiungi").
    add_row: Option<&'a str>,
}

impl Builder<'_> {
    /// The problem of a field, or of one of its parts (an address's CAP).
    fn error(&self, path: &str) -> Option<String> {
        let prefix = format!("{path}.");
        self.problems
            .iter()
            .find(|p| p.field == path || p.field.starts_with(&prefix))
            .map(|p| problem_text(self.page, p))
    }

    fn exact_error(&self, path: &str) -> Option<String> {
        self.problems
            .iter()
            .find(|p| p.field == path)
            .map(|p| problem_text(self.page, p))
    }

    fn field(&self, field: &Field, path: &str, value: Option<&Value>) -> FieldView {
        let mut view = FieldView {
            name: path.to_owned(),
            html_id: html_id(path),
            label: Phrase::text(&field.label, self.page.language()),
            help: field
                .help
                .as_ref()
                .map(|help| Phrase::text(help, self.page.language())),
            widget: "text",
            required: field.required,
            value: input_text(field, value, self.page.language()),
            maxlength: 200,
            options: Vec::new(),
            parts: Vec::new(),
            error: None,
            condition: field
                .show_if
                .as_ref()
                .filter(|c| condition_on_step(self.step, c))
                .and_then(|c| condition_note(self.page, self.form, c)),
            file_name: None,
            accept: String::new(),
            rows: Vec::new(),
            can_add_row: false,
        };
        match &field.kind {
            FieldKind::Text { max, lines, .. } => {
                view.widget = if *lines > 1 { "textarea" } else { "text" };
                view.maxlength = *max;
            }
            FieldKind::Number { .. } => view.widget = "number",
            FieldKind::Money { .. } => view.widget = "money",
            FieldKind::Date(_) => view.widget = "date",
            FieldKind::YesNo => {
                view.widget = "yesno";
                view.options = [("si", "domande-si"), ("no", "domande-no")]
                    .into_iter()
                    .map(|(v, label)| OptionView {
                        value: v.to_owned(),
                        label: Phrase::plain(&self.page.t(label)),
                        checked: view.value == v,
                        html_id: if v == "si" {
                            view.html_id.clone()
                        } else {
                            format!("{}-no", view.html_id)
                        },
                    })
                    .collect();
            }
            FieldKind::Choice { options, multiple } => {
                let chosen: Vec<String> = match value {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    Some(Value::String(one)) => vec![one.clone()],
                    _ => Vec::new(),
                };
                view.widget = match (multiple, options.len()) {
                    (true, _) => "checkboxes",
                    (false, 0..=6) => "radio",
                    (false, _) => "select",
                };
                view.options = options
                    .iter()
                    .enumerate()
                    .map(|(i, option)| OptionView {
                        value: option.value.clone(),
                        label: Phrase::text(&option.label, self.page.language()),
                        checked: chosen.contains(&option.value),
                        html_id: if i == 0 {
                            view.html_id.clone()
                        } else {
                            format!("{}-{i}", view.html_id)
                        },
                    })
                    .collect();
            }
            FieldKind::CodiceFiscale => {
                view.widget = "cf";
                view.maxlength = 16;
            }
            FieldKind::Iban { .. } => {
                view.widget = "iban";
                view.maxlength = 42;
            }
            FieldKind::Email => {
                view.widget = "email";
                view.maxlength = 254;
            }
            FieldKind::Phone => {
                view.widget = "phone";
                view.maxlength = 20;
            }
            FieldKind::Address => {
                view.widget = "address";
                let part = |key: &str| {
                    value
                        .and_then(|v| v.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                view.parts = [
                    ("via", "domande-indirizzo-via", "street-address", ""),
                    ("cap", "domande-indirizzo-cap", "postal-code", "sp-input-short"),
                    ("comune", "domande-indirizzo-comune", "address-level2", ""),
                    (
                        "provincia",
                        "domande-indirizzo-provincia",
                        "off",
                        "sp-input-short",
                    ),
                ]
                .into_iter()
                .map(|(key, label, autocomplete, width)| PartView {
                    label: self.page.t(label),
                    name: format!("{path}.{key}"),
                    html_id: if key == "via" {
                        view.html_id.clone()
                    } else {
                        html_id(&format!("{path}.{key}"))
                    },
                    value: part(key),
                    autocomplete,
                    width,
                })
                .collect();
            }
            FieldKind::Attachment(rule) => {
                view.widget = "file";
                view.accept = rule
                    .types
                    .iter()
                    .flat_map(|t| [format!(".{}", t.extension()), t.mime().to_owned()])
                    .collect::<Vec<_>>()
                    .join(",");
                view.file_name = value
                    .and_then(Value::as_str)
                    .and_then(|id| self.attachments.iter().find(|a| a.id == id))
                    .map(|a| a.name.clone());
            }
            FieldKind::Group { fields, min, max } => {
                view.widget = "group";
                let existing: Vec<&Map<String, Value>> = match value {
                    Some(Value::Array(rows)) => rows.iter().filter_map(Value::as_object).collect(),
                    _ => Vec::new(),
                };
                let mut count = existing.len().max(*min).max(1);
                if self.add_row == Some(path) || existing.is_empty() {
                    count = count.max(existing.len() + 1);
                }
                let count = count.min(*max).max(1);
                view.can_add_row = count < *max;
                view.rows = (0..count)
                    .map(|index| {
                        fields
                            .iter()
                            .map(|child| {
                                let child_path = format!("{path}.{index}.{}", child.id);
                                let child_value = existing.get(index).and_then(|row| row.get(&child.id));
                                let mut child_view = self.field(child, &child_path, child_value);
                                child_view.error = self.exact_error(&child_path).or_else(|| {
                                    // Address parts of a child.
                                    self.problems
                                        .iter()
                                        .find(|p| p.field.starts_with(&format!("{child_path}.")))
                                        .map(|p| problem_text(self.page, p))
                                });
                                child_view
                            })
                            .collect()
                    })
                    .collect();
            }
        }
        view.error = match &field.kind {
            FieldKind::Group { .. } => self.exact_error(path),
            _ => self.error(path),
        };
        view
    }
}

#[derive(Template)]
#[template(path = "domande/step.html")]
pub struct StepPage {
    pub page: PageContext,
    pub csrf: String,
    pub id: String,
    pub title: Phrase,
    pub step_title: Phrase,
    pub step_help: Option<Phrase>,
    pub number: usize,
    pub total: usize,
    pub fields: Vec<FieldView>,
    pub errors: Vec<(String, Phrase)>,
    pub notice: Option<String>,
}

/// Is the field on the step's page? When its condition holds, or when the condition looks
/// at another field of the same page that is itself on the page (see [`condition_on_step`]).
fn shown_on_step(
    form: &FormDefinition,
    step: &form::Step,
    field: &Field,
    context: &Answers,
    depth: usize,
) -> bool {
    if form::is_visible(form, field, context) {
        return true;
    }
    // The loader refuses cycles; the bound only guards a definition built by hand.
    if depth > 64 {
        return false;
    }
    field.show_if.as_ref().is_some_and(|condition| {
        !condition.field.contains('.')
            && step
                .fields
                .iter()
                .find(|f| f.id == condition.field)
                .is_some_and(|controller| shown_on_step(form, step, controller, context, depth + 1))
    })
}

fn step_index(form: &FormDefinition, number: usize) -> Result<usize, AppError> {
    number
        .checked_sub(1)
        .filter(|index| *index < form.steps.len())
        .ok_or(AppError::NotFound)
}

#[expect(clippy::too_many_arguments, reason = "one page, built from its parts")]
async fn render_step(
    app: &AppState,
    page: PageContext,
    csrf: String,
    domanda: &Domanda,
    form: &FormDefinition,
    index: usize,
    values: &Map<String, Value>,
    problems: &[FieldProblem],
    add_row: Option<&str>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let attachments = store::attachments(&app.db, &domanda.id).await?;
    let answers = Answers(values.clone());
    let stored = domanda.answers()?;
    // Conditions look at the other steps' stored answers and this step's values.
    let mut context = stored.clone();
    context.0.extend(values.clone());
    let step = &form.steps[index];
    let builder = Builder {
        page: &page,
        form,
        step,
        problems,
        attachments: &attachments,
        add_row,
    };
    let fields = step
        .fields
        .iter()
        .filter(|field| shown_on_step(form, step, field, &context, 0))
        .map(|field| builder.field(field, &field.id, answers.0.get(&field.id)))
        .collect();
    let errors = problems
        .iter()
        .map(|p| (html_id(&p.field), summary_text(&page, form, p)))
        .collect();
    let view = StepPage {
        csrf,
        id: domanda.id.clone(),
        title: Phrase::text(&form.title, page.language()),
        step_title: Phrase::text(&step.title, page.language()),
        step_help: step.help.as_ref().map(|help| Phrase::text(help, page.language())),
        number: index + 1,
        total: form.steps.len(),
        fields,
        errors,
        notice,
        page,
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page::render(&view)?).into_response())
}

/// `GET /area-personale/domande/{id}/passo/{n}` (n from 1).
pub async fn step(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path((id, number)): Path<(String, usize)>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    if domanda.state != "bozza" {
        return Ok(see_other(&format!("/area-personale/domande/{id}")));
    }
    applicant.audit_read(&app.db, "bozza").await?;
    let form = service::form_of(&app, &domanda)?;
    let index = step_index(&form, number)?;
    let stored = domanda.answers()?;
    render_step(
        &app,
        page,
        current.csrf_token.clone(),
        &domanda,
        &form,
        index,
        &stored.0,
        &[],
        None,
        None,
    )
    .await
}

/// A multipart step form: its text pairs and its files (`file:<field>`).
struct StepBody {
    pairs: Vec<(String, String)>,
    files: Vec<(String, String, Vec<u8>)>,
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> AppError {
    AppError::Unreadable(err.status(), err.body_text())
}

async fn read_step_body(request: Request, app: &AppState, file_limit: usize) -> Result<StepBody, AppError> {
    let mut multipart = Multipart::from_request(request, app)
        .await
        .map_err(|rejection| AppError::Unreadable(rejection.status(), rejection.body_text()))?;
    let mut body = StepBody {
        pairs: Vec::new(),
        files: Vec::new(),
    };
    while let Some(mut part) = multipart.next_field().await.map_err(multipart_error)? {
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part.file_name().map(str::to_owned);
        // One byte over the limit is enough to refuse the file as too big.
        let limit = if file_name.is_some() {
            file_limit + 1
        } else {
            FIELD_BYTES_MAX
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
            let room = limit.saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() >= limit {
                break;
            }
        }
        match file_name {
            Some(file_name) => {
                if !(file_name.is_empty() && bytes.is_empty()) {
                    body.files.push((name, file_name, bytes));
                }
            }
            None => body
                .pairs
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(body)
}

/// The largest file any form field may take (a field's own limit is checked on top).
const FILE_BYTES_MAX: usize = 20 * 1024 * 1024;

/// `POST /area-personale/domande/{id}/passo/{n}`: saves the step (or goes back, or adds a
/// row to a group) and moves on.
pub async fn save_step(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path((id, number)): Path<(String, usize)>,
    request: Request,
) -> Result<Response, AppError> {
    let body = read_step_body(request, &app, FILE_BYTES_MAX).await?;
    let token = body
        .pairs
        .iter()
        .find(|(n, _)| n == "_csrf")
        .map(|(_, v)| v.as_str());
    csrf.verify(token)?;
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    if domanda.state != "bozza" {
        return Ok(see_other(&format!("/area-personale/domande/{id}")));
    }
    let form = service::form_of(&app, &domanda)?;
    let index = step_index(&form, number)?;
    let action = body
        .pairs
        .iter()
        .find(|(n, _)| n == "azione")
        .map_or("avanti", |(_, v)| v.as_str())
        .to_owned();
    if action == "indietro" {
        return Ok(see_other(&step_path(&id, index.max(1))));
    }
    let step = &form.steps[index];
    let mut pairs = body.pairs.clone();
    let mut problems = Vec::new();
    for (name, file_name, bytes) in body.files {
        let Some(field_id) = name.strip_prefix("file:") else {
            continue;
        };
        if !step.fields.iter().any(|f| f.id == field_id) {
            continue;
        }
        match service::upload(&app, &applicant, &domanda, field_id, &file_name, bytes).await? {
            Ok(attachment) => {
                pairs.retain(|(n, _)| n != field_id);
                pairs.push((field_id.to_owned(), attachment));
            }
            Err(problem) => problems.push(problem),
        }
    }
    let input = form::step_input_from_pairs(step, &pairs);
    if let Some(group) = action.strip_prefix("aggiungi:") {
        return render_step(
            &app,
            page,
            current.csrf_token.clone(),
            &domanda,
            &form,
            index,
            &input,
            &problems,
            Some(group),
            None,
        )
        .await;
    }
    if !problems.is_empty() {
        return render_step(
            &app,
            page,
            current.csrf_token.clone(),
            &domanda,
            &form,
            index,
            &input,
            &problems,
            None,
            None,
        )
        .await;
    }
    match service::save_step(&app, &applicant, &domanda, index, input).await? {
        StepOutcome::Refused(refused) => {
            render_step(
                &app,
                page,
                current.csrf_token.clone(),
                &domanda,
                &form,
                index,
                &refused.input,
                &refused.problems,
                None,
                None,
            )
            .await
        }
        StepOutcome::Saved if action == "esci" => Ok(see_other("/area-personale/domande")),
        StepOutcome::Saved if index + 1 < form.steps.len() => Ok(see_other(&step_path(&id, index + 2))),
        StepOutcome::Saved => Ok(see_other(&format!("/area-personale/domande/{id}/riepilogo"))),
    }
}

fn step_path(id: &str, number: usize) -> String {
    format!("/area-personale/domande/{id}/passo/{number}")
}

// ---------------------------------------------------------------------------------------
// Summary and filing

/// One answer as shown in a summary.
pub struct AnswerView {
    pub label: Phrase,
    pub value: Phrase,
    /// Group rows: each a list of (label, value).
    pub rows: Vec<Vec<(Phrase, Phrase)>>,
}

/// A step's answers as shown in a summary.
pub struct SectionView {
    pub number: usize,
    pub title: Phrase,
    pub answers: Vec<AnswerView>,
}

/// Who reads the answers.
#[derive(Clone, Copy)]
pub enum Reader<'a> {
    /// The citizen, on a page in its language: English texts where the form has them.
    Citizen(&'a PageContext),
    /// The office's staff: the form's Italian texts (the office works in Italian), marked
    /// `lang="it"` when the page itself is in English.
    Staff(&'a PageContext),
    /// A document of the office (the receipt): Italian, no markup.
    Document,
}

impl Reader<'_> {
    /// A form text as this reader reads it.
    pub fn text(self, text: &form::Text) -> Phrase {
        match self {
            Reader::Citizen(page) => Phrase::text(text, page.language()),
            Reader::Staff(page) => italian(page, &text.it),
            Reader::Document => Phrase::plain(&text.it),
        }
    }
}

/// An Italian text on a page in the page's language: marked when the page is English.
pub fn italian(page: &PageContext, text: &str) -> Phrase {
    Phrase::of(form::InLang {
        text,
        fallback: page.language() != Lang::It,
    })
}

/// A stored answer as its reader reads it: the options' labels, Yes/No and amounts in the
/// reader's words (Italian: [`form::display_value`]), the rest (names, dates) as they are.
fn answer_text(reader: Reader<'_>, field: &Field, value: &Value) -> Phrase {
    match (reader, &field.kind, value) {
        (Reader::Citizen(page), FieldKind::YesNo, Value::Bool(b)) => {
            Phrase::plain(&page.t(if *b { "domande-si" } else { "domande-no" }))
        }
        (Reader::Staff(page), FieldKind::YesNo, Value::Bool(_)) => {
            italian(page, &form::display_value(field, value))
        }
        (Reader::Citizen(page), FieldKind::Money { .. }, Value::Number(n)) if page.language() != Lang::It => {
            Phrase::plain(&n.as_i64().map_or_else(|| n.to_string(), form::format_cents_en))
        }
        (_, FieldKind::Choice { options, .. }, Value::String(_) | Value::Array(_)) => {
            let chosen: Vec<&str> = match value {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => value.as_str().into_iter().collect(),
            };
            Phrase::join(
                chosen.into_iter().map(|chosen| {
                    options
                        .iter()
                        .find(|o| o.value == chosen)
                        .map_or_else(|| Phrase::plain(chosen), |o| reader.text(&o.label))
                }),
                ", ",
            )
        }
        _ => Phrase::plain(&form::display_value(field, value)),
    }
}

/// The answers of an application, step by step, as people read them.
pub fn sections(
    form: &FormDefinition,
    answers: &Answers,
    attachments: &[store::Attachment],
    reader: Reader<'_>,
) -> Vec<SectionView> {
    let shown = |field: &Field, value: &Value| match &field.kind {
        FieldKind::Attachment(_) => value
            .as_str()
            .and_then(|id| attachments.iter().find(|a| a.id == id))
            .map_or_else(|| answer_text(reader, field, value), |a| Phrase::plain(&a.name)),
        _ => answer_text(reader, field, value),
    };
    form.steps
        .iter()
        .enumerate()
        .map(|(index, step)| SectionView {
            number: index + 1,
            title: reader.text(&step.title),
            answers: step
                .fields
                .iter()
                .filter(|field| form::is_visible(form, field, answers))
                .filter_map(|field| {
                    let value = answers.0.get(&field.id)?;
                    let rows = match (&field.kind, value) {
                        (FieldKind::Group { fields, .. }, Value::Array(rows)) => rows
                            .iter()
                            .filter_map(Value::as_object)
                            .map(|row| {
                                fields
                                    .iter()
                                    .filter_map(|child| {
                                        row.get(&child.id)
                                            .map(|v| (reader.text(&child.label), shown(child, v)))
                                    })
                                    .collect()
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    Some(AnswerView {
                        label: reader.text(&field.label),
                        value: if rows.is_empty() {
                            shown(field, value)
                        } else {
                            Phrase::default()
                        },
                        rows,
                    })
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "domande/summary.html")]
pub struct SummaryPage {
    pub page: PageContext,
    pub csrf: String,
    pub id: String,
    pub title: Phrase,
    pub sections: Vec<SectionView>,
    /// (link to the step, message)
    pub errors: Vec<(String, Phrase)>,
    pub notice: Option<String>,
    pub may_file: bool,
    pub open: bool,
    pub filing_as: String,
}

async fn render_summary(
    app: &AppState,
    page: PageContext,
    csrf: String,
    applicant: &Applicant,
    domanda: &Domanda,
    problems: Option<(usize, Vec<FieldProblem>)>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let form = service::form_of(app, domanda)?;
    let answers = domanda.answers()?;
    let attachments = store::attachments(&app.db, &domanda.id).await?;
    let failed = problems.is_some();
    let errors = problems
        .map(|(step, problems)| {
            problems
                .iter()
                .map(|p| {
                    (
                        format!("{}#{}", step_path(&domanda.id, step + 1), html_id(&p.field)),
                        summary_text(&page, &form, p),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let filing_as = match applicant.as_ {
        Presentatore::Cittadino => page.t("domande-filing-as-self"),
        _ => format!(
            "{} {} ({})",
            page.t("domande-filing-for"),
            applicant.citizen.display_name,
            page.t(&applicant.as_.label_id())
        ),
    };
    let view = SummaryPage {
        csrf,
        id: domanda.id.clone(),
        title: Phrase::text(&form.title, page.language()),
        sections: sections(&form, &answers, &attachments, Reader::Citizen(&page)),
        errors,
        notice,
        may_file: applicant.may_file,
        open: form.is_open(jiff::Timestamp::now()),
        filing_as,
        page,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page::render(&view)?).into_response())
}

/// `GET /area-personale/domande/{id}/riepilogo`.
pub async fn summary(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    if domanda.state != "bozza" {
        return Ok(see_other(&format!("/area-personale/domande/{id}")));
    }
    applicant.audit_read(&app.db, "riepilogo").await?;
    render_summary(
        &app,
        page,
        current.csrf_token.clone(),
        &applicant,
        &domanda,
        None,
        None,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// `POST /area-personale/domande/{id}/invio`: files the application, once. A second click
/// lands on the same filed application.
pub async fn file(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    match service::file(&app, &applicant, &domanda).await? {
        Ok(_) => Ok(see_other(&format!(
            "/area-personale/domande/{id}?esito=presentata"
        ))),
        Err(NotReady::Problems(step, problems)) => {
            render_summary(
                &app,
                page,
                current.csrf_token.clone(),
                &applicant,
                &domanda,
                Some((step, problems)),
                None,
            )
            .await
        }
        Err(NotReady::FormUpdated) => {
            let moved = service::find(&app, &applicant, &id).await?;
            let notice = Some(page.t("domande-notice-form-updated"));
            let response = render_summary(
                &app,
                page,
                current.csrf_token.clone(),
                &applicant,
                &moved,
                None,
                notice,
            )
            .await?;
            Ok((StatusCode::CONFLICT, response).into_response())
        }
    }
}

/// `POST /area-personale/domande/{id}/elimina`: deletes a draft.
pub async fn delete(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    service::delete_draft(&app, &applicant, &domanda).await?;
    Ok(see_other("/area-personale/domande?esito=eliminata"))
}

// ---------------------------------------------------------------------------------------
// A filed application

/// A timeline entry as shown.
pub struct EventView {
    pub at: String,
    pub state: String,
    pub note: Option<String>,
}

/// A file as shown, with its link.
pub struct FileView {
    pub href: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "domande/show.html")]
pub struct ShowPage {
    pub page: PageContext,
    pub csrf: String,
    pub d: Domanda,
    pub title: Phrase,
    pub state: String,
    pub filed_at: String,
    pub filed_by: String,
    pub events: Vec<EventView>,
    pub sections: Vec<SectionView>,
    pub sent_files: Vec<FileView>,
    pub notice: Option<String>,
    pub can_withdraw: bool,
    pub can_integrate: bool,
    /// Documents are asked for but this login may not send them (a PIN ordinario): the page
    /// says why there is no form, instead of leaving the person with nothing to do.
    pub integrate_needs_dispositivo: bool,
    pub can_appeal: bool,
    pub integration_due: Option<String>,
    pub decision: Option<String>,
    pub appeal_of: Option<String>,
    pub errors: Vec<(String, String)>,
}

impl ShowPage {
    /// The message for one field of the documents form, shown next to it.
    pub fn error_for(&self, target: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    esito: Option<String>,
}

async fn render_show(
    app: &AppState,
    page: PageContext,
    csrf: String,
    applicant: &Applicant,
    domanda: Domanda,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let form = service::form_of(app, &domanda)?;
    let stato = domanda.stato()?;
    let events = store::events(&app.db, &domanda.id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: local_time(e.at),
            state: page.t(&Stato::parse(&e.state).unwrap_or(Stato::Bozza).label_id()),
            note: e.note,
        })
        .collect();
    let attachments = store::attachments(&app.db, &domanda.id).await?;
    let sent_files = attachments
        .iter()
        .filter(|a| a.field == "integrazione")
        .map(|a| FileView {
            href: format!("/area-personale/domande/{}/allegati/{}", domanda.id, a.id),
            name: a.name.clone(),
        })
        .collect();
    let filed_by = match domanda.submitted_as.as_deref().and_then(Presentatore::parse) {
        Some(Presentatore::Cittadino) | None => page.t("domande-filed-by-cittadino"),
        Some(other) => format!(
            "{} ({})",
            page.t(&other.label_id()),
            domanda.submitted_by_name.clone().unwrap_or_default()
        ),
    };
    let appeal_of = match &domanda.appeal_of {
        Some(original) => store::find_for_citizen(&app.db, original, &applicant.citizen.id)
            .await?
            .and_then(|d| d.protocol),
        None => None,
    };
    let view = ShowPage {
        csrf,
        title: Phrase::text(&form.title, page.language()),
        state: page.t(&stato.label_id()),
        filed_at: domanda.submitted_at.map(local_time).unwrap_or_default(),
        filed_by,
        events,
        sections: sections(&form, &domanda.answers()?, &attachments, Reader::Citizen(&page)),
        sent_files,
        notice,
        can_withdraw: stato.is_open_case() && applicant.may_file,
        can_integrate: stato == Stato::RichiestaIntegrazione && applicant.may_file,
        integrate_needs_dispositivo: stato == Stato::RichiestaIntegrazione && !applicant.may_file,
        can_appeal: stato == Stato::Respinta && domanda.form_code != APPEAL_FORM && applicant.may_file,
        integration_due: domanda.integration_due.as_deref().map(super::italian_date),
        decision: stato
            .is_final()
            .then(|| domanda.decision_reason.clone())
            .flatten(),
        appeal_of,
        errors,
        d: domanda,
        page,
    };
    Ok(page::render(&view)?.into_response())
}

/// The form of an appeal against a rejection.
pub const APPEAL_FORM: &str = "ricorso-amministrativo";

/// `GET /area-personale/domande/{id}`: a draft goes to its step; a filed application shows
/// its state, timeline, answers and receipt.
pub async fn show(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    if domanda.state == "bozza" {
        let next = usize::try_from(domanda.step).unwrap_or(0) + 1;
        let form = service::form_of(&app, &domanda)?;
        return Ok(see_other(&if next > form.steps.len() {
            format!("/area-personale/domande/{id}/riepilogo")
        } else {
            step_path(&id, next)
        }));
    }
    applicant.audit_read(&app.db, "domanda").await?;
    let notice = match query.esito.as_deref() {
        Some("presentata") => Some(format!(
            "{} {}",
            page.t("domande-notice-filed"),
            domanda.protocol.clone().unwrap_or_default()
        )),
        Some("ritirata") => Some(page.t("domande-notice-withdrawn")),
        Some("integrata") => Some(page.t("domande-notice-integrated")),
        _ => None,
    };
    render_show(
        &app,
        page,
        current.csrf_token.clone(),
        &applicant,
        domanda,
        notice,
        Vec::new(),
    )
    .await
}

/// `POST /area-personale/domande/{id}/ritiro`.
pub async fn withdraw(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    service::citizen_act(&app, &applicant, &domanda, Atto::Ritira, None).await?;
    Ok(see_other(&format!("/area-personale/domande/{id}?esito=ritirata")))
}

/// `POST /area-personale/domande/{id}/integrazione`: the documents the office asked for
/// (files `documenti`, a note `nota`).
pub async fn integrate(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let body = read_step_body(request, &app, service::INTEGRATION_BYTES_MAX).await?;
    let field = |name: &str| body.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    csrf.verify(field("_csrf").as_deref())?;
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    if domanda.stato()? != Stato::RichiestaIntegrazione {
        return Err(service::rifiuto(super::model::Rifiuto::FuoriSequenza));
    }
    let note = field("nota")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if let Some(note) = &note
        && let Err(code) = super::model::motivazione(note)
    {
        let errors = vec![("campo-nota".to_owned(), page.t(code))];
        let csrf = current.csrf_token.clone();
        let response = render_show(&app, page, csrf, &applicant, domanda, None, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response());
    }
    let mut errors = Vec::new();
    for (_, file_name, bytes) in body.files.into_iter().take(5) {
        if let Err(problem) =
            service::upload(&app, &applicant, &domanda, "integrazione", &file_name, bytes).await?
        {
            errors.push(("campo-documenti".to_owned(), problem_text(&page, &problem)));
        }
    }
    if !errors.is_empty() {
        let csrf = current.csrf_token.clone();
        let response = render_show(&app, page, csrf, &applicant, domanda, None, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response());
    }
    match service::citizen_act(&app, &applicant, &domanda, Atto::Integra, note).await {
        Ok(()) => Ok(see_other(&format!(
            "/area-personale/domande/{id}?esito=integrata"
        ))),
        Err(AppError::InvalidValue { detail, .. }) => {
            let errors = vec![("campo-documenti".to_owned(), page.message(&detail))];
            let csrf = current.csrf_token.clone();
            let response = render_show(&app, page, csrf, &applicant, domanda, None, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response())
        }
        Err(err) => Err(err),
    }
}

/// `POST /area-personale/domande/{id}/ricorso`: opens an appeal against a rejection.
pub async fn appeal(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    csrf: Csrf,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    let key = Some(format!("ricorso:{}", domanda.id));
    let (draft, _) = service::open_draft(&app, &applicant, APPEAL_FORM, key, Some(&domanda), None).await?;
    Ok(see_other(&step_path(&draft, 1)))
}

/// The data of a receipt.
pub async fn receipt_data(app: &AppState, domanda: &Domanda) -> Result<ReceiptData, AppError> {
    let protocol = domanda.protocol.clone().ok_or(AppError::NotFound)?;
    let form = service::form_of(app, domanda)?;
    let citizen: Option<(String, Option<String>)> = crate::read_pool!(&app.db, |pool| sqlx::query_as(
        "SELECT display_name, codice_fiscale FROM accounts WHERE id = $1"
    )
    .bind(&domanda.account_id)
    .fetch_optional(pool)
    .await
    .map_err(crate::storage::StorageError::from))?;
    let (citizen_name, citizen_cf) = citizen.unwrap_or_default();
    let sede = match &domanda.sede_id {
        Some(id) => store::sede(&app.db, id).await?.map(|(_, nome)| nome),
        None => None,
    }
    .unwrap_or_else(|| "-".to_owned());
    let filed_by = match domanda.submitted_as.as_deref().and_then(Presentatore::parse) {
        Some(Presentatore::Cittadino) | None => "dal cittadino".to_owned(),
        Some(Presentatore::Delegato) => format!(
            "da un delegato: {}",
            domanda.submitted_by_name.clone().unwrap_or_default()
        ),
        Some(Presentatore::Intermediario) => format!(
            "da un intermediario (patronato o professionista con mandato): {}",
            domanda.submitted_by_name.clone().unwrap_or_default()
        ),
        Some(Presentatore::OperatorePue) => format!(
            "da un operatore del Punto Utente Evoluto: {}",
            domanda.submitted_by_name.clone().unwrap_or_default()
        ),
    };
    let attachments = store::attachments(&app.db, &domanda.id).await?;
    // The receipt is the office's document: Italian, whatever the citizen's language.
    let sections = sections(&form, &domanda.answers()?, &attachments, Reader::Document)
        .into_iter()
        .map(|s| {
            let mut rows = Vec::new();
            for answer in s.answers {
                if answer.rows.is_empty() {
                    rows.push((answer.label.as_str().to_owned(), answer.value.as_str().to_owned()));
                } else {
                    for (n, row) in answer.rows.into_iter().enumerate() {
                        for (label, value) in row {
                            rows.push((
                                format!("{} {} - {}", answer.label.as_str(), n + 1, label.as_str()),
                                value.as_str().to_owned(),
                            ));
                        }
                    }
                }
            }
            (s.title.as_str().to_owned(), rows)
        })
        .collect();
    let base = app
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", app.config.bind));
    Ok(ReceiptData {
        institution: app.institution.to_string(),
        form_title: form.title.it.clone(),
        form_version: form.version,
        verify_url: format!(
            "{base}/verifica/{protocol}?codice={}",
            domanda.verify_code.clone().unwrap_or_default()
        ),
        protocol,
        filed_at: domanda
            .submitted_at
            .map(|ms| local_time(ms).replace(", ", " alle "))
            .unwrap_or_default(),
        citizen_name,
        citizen_cf: citizen_cf.unwrap_or_default(),
        filed_by,
        sede,
        sections,
    })
}

/// A PDF download response.
pub fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /area-personale/domande/{id}/ricevuta.pdf`.
pub async fn receipt(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    applicant.audit_read(&app.db, "ricevuta").await?;
    let data = receipt_data(&app, &domanda).await?;
    let name = format!("ricevuta-{}.pdf", data.protocol);
    Ok(pdf_response(&name, receipt::render(&data)))
}

/// `GET /area-personale/domande/{id}/allegati/{file}`.
pub async fn attachment(
    State(app): State<AppState>,
    RequireSession(current): RequireSession,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let applicant = service::applicant(&app.db, &current).await?;
    let domanda = service::find(&app, &applicant, &id).await?;
    let attachment = store::attachments(&app.db, &domanda.id)
        .await?
        .into_iter()
        .find(|a| a.id == file)
        .ok_or(AppError::NotFound)?;
    applicant.audit_read(&app.db, "allegato").await?;
    attachment_response(&app, &attachment).await
}

/// A stored attachment as a download.
pub async fn attachment_response(
    app: &AppState,
    attachment: &store::Attachment,
) -> Result<Response, AppError> {
    let key =
        FileKey::parse(&attachment.file_key).map_err(|err| AppError::Internal(anyhow::Error::new(err)))?;
    let bytes = app
        .files
        .get(&key)
        .await
        .map_err(|err| AppError::Internal(anyhow::Error::new(err)))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&attachment.mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", attachment.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------
// The public receipt check

#[derive(Template)]
#[template(path = "domande/verify.html")]
pub struct VerifyPage {
    pub page: PageContext,
    pub protocol: String,
    /// (form title, filed at, state) when the receipt is genuine.
    pub found: Option<(Phrase, String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    codice: Option<String>,
}

/// `GET /verifica/{protocollo}?codice=…`: anyone holding a receipt can check it is genuine.
/// It says only what the receipt already says about the filing, never whose it is.
pub async fn verify(
    State(app): State<AppState>,
    page: PageContext,
    Path(protocol): Path<String>,
    Query(query): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    let parsed = Protocollo::parse(&protocol).ok_or(AppError::NotFound)?;
    let code = query.codice.unwrap_or_default();
    let found = if code.len() == 16 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        store::by_receipt(&app.db, &parsed.to_string(), &code.to_ascii_uppercase()).await?
    } else {
        None
    };
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let found = found.map(|d| {
        (
            title_of(&app, &d, page.language()),
            d.submitted_at.map(local_time).unwrap_or_default(),
            page.t(&Stato::parse(&d.state).unwrap_or(Stato::Presentata).label_id()),
        )
    });
    let view = VerifyPage {
        protocol: parsed.to_string(),
        found,
        page,
    };
    Ok((status, page::render(&view)?).into_response())
}
