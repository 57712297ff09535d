//! Pages: the citizen's notification choices (`/area-personale/notifiche`) and the staff's
//! undelivered messages (`/backoffice/notifiche`).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::outbox::{self, Retry};
use super::preferences::{self, Preferences};
use super::{devices, devices::Device};
use crate::app::AppState;
use crate::audit;
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::i18n::Lang;
use crate::http::page::{self, PageContext, local_time, see_other};
use crate::identity::accounts::Role;
use crate::identity::backoffice::require;
use crate::identity::session::Session;

/// The citizen's own session. Staff have the back office; a delegate or intermediary acting
/// for someone may not change how that person is told things (the address is theirs): 403.
fn own_citizen_session(session: Session) -> Result<Session, AppError> {
    if session.account.role.is_staff() {
        return Err(AppError::Forbidden("staff use the back office"));
    }
    if session.acting_for.is_some() {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "non-consentito",
            message: Message::new("notifiche-acting-not-allowed"),
        });
    }
    Ok(session)
}

/// One registered phone as the page shows it.
pub struct DeviceView {
    pub label: String,
    pub platform: &'static str,
    pub since: String,
}

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            label: device.label.clone(),
            platform: match device.platform {
                super::Platform::Android => "Android",
                super::Platform::Ios => "iOS",
            },
            since: local_time(device.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "notify/preferences.html")]
pub struct PreferencesPage {
    pub page: PageContext,
    pub csrf: String,
    pub email_on_file: Option<String>,
    pub mobile_on_file: Option<String>,
    pub choice: Preferences,
    pub devices: Vec<DeviceView>,
    /// (field, Fluent id of the message).
    pub errors: Vec<(&'static str, &'static str)>,
    pub saved: bool,
}

impl PreferencesPage {
    pub fn error_for(&self, field: &str) -> Option<&'static str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }

    /// The channel checkboxes: (field, label id, checked).
    pub fn channels(&self) -> [(&'static str, &'static str, bool); 3] {
        [
            ("email", "notifiche-channel-email", self.choice.email),
            ("sms", "notifiche-channel-sms", self.choice.sms),
            ("push", "notifiche-channel-push", self.choice.push),
        ]
    }

    pub fn lang_is(&self, code: &str) -> bool {
        self.choice.lang.code() == code
    }
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    salvate: Option<String>,
}

/// `GET /area-personale/notifiche`.
pub async fn preferences_form(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let current = own_citizen_session(current)?;
    let account = &current.account.id;
    let contacts = preferences::contacts(&app.db, account).await?;
    let choice = preferences::effective(&app.db, account, &contacts).await?;
    let devices = devices::of_account(&app.db, account).await?;
    let view = PreferencesPage {
        page,
        csrf: current.csrf_token.clone(),
        email_on_file: contacts.email,
        mobile_on_file: contacts.mobile,
        choice,
        devices: devices.iter().map(DeviceView::from).collect(),
        errors: Vec::new(),
        saved: query.salvate.is_some(),
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    email: Option<String>,
    sms: Option<String>,
    push: Option<String>,
    lingua: Option<String>,
}

/// `POST /area-personale/notifiche`: saves the choice, then back to the form (PRG).
pub async fn preferences_submit(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_citizen_session(current)?;
    let account = &current.account.id;
    let contacts = preferences::contacts(&app.db, account).await?;
    let devices = devices::of_account(&app.db, account).await?;
    let lang = form.lingua.as_deref().and_then(Lang::parse);
    let choice = Preferences {
        email: form.email.is_some(),
        sms: form.sms.is_some(),
        push: form.push.is_some(),
        lang: lang.unwrap_or_default(),
    };
    let mut errors: Vec<(&'static str, &'static str)> = preferences::check(&choice, &contacts, devices.len())
        .into_iter()
        .map(|refusal| refusal.field_and_message())
        .collect();
    if lang.is_none() {
        errors.push(("lingua", "notifiche-error-lang"));
    }
    if errors.is_empty() {
        preferences::save(&app.db, account, &choice).await?;
        return Ok(see_other("/area-personale/notifiche?salvate=1"));
    }
    let view = PreferencesPage {
        page,
        csrf: current.csrf_token.clone(),
        email_on_file: contacts.email,
        mobile_on_file: contacts.mobile,
        choice,
        devices: devices.iter().map(DeviceView::from).collect(),
        errors,
        saved: false,
    };
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Who may see undelivered messages and send them again: office staff and administrators.
pub const DEAD_LETTER_ROLES: &[Role] = &[Role::Amministratore, Role::OperatoreSede];

/// One undelivered message as staff see it.
pub struct DeadLetterView {
    pub id: String,
    pub channel_label: String,
    pub recipient: String,
    pub created: String,
    pub error: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub refused: bool,
    pub retryable: bool,
}

/// Messages per channel and state.
pub struct CountView {
    pub channel_label: String,
    pub state_label: String,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "notify/dead_letters.html")]
pub struct DeadLettersPage {
    pub page: PageContext,
    pub csrf: String,
    pub counts: Vec<CountView>,
    pub dead: Vec<DeadLetterView>,
    pub notice: Option<String>,
}

fn channel_label(page: &PageContext, channel: &str) -> String {
    match channel {
        "email" => page.t("notifiche-channel-email"),
        "sms" => page.t("notifiche-channel-sms"),
        _ => page.t("notifiche-channel-push"),
    }
}

#[derive(Debug, Deserialize)]
pub struct RetryQuery {
    riprova: Option<String>,
}

/// `GET /backoffice/notifiche`.
pub async fn dead_letters(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<RetryQuery>,
) -> Result<Response, AppError> {
    let current = require(current, DEAD_LETTER_ROLES)?;
    let counts = outbox::counts(&app.db)
        .await?
        .into_iter()
        .map(|(channel, state, count)| CountView {
            channel_label: channel_label(&page, &channel),
            state_label: page.t(match state.as_str() {
                "sent" => "notifiche-state-sent",
                "failed" => "notifiche-state-failed",
                _ => "notifiche-state-queued",
            }),
            count,
        })
        .collect();
    let dead = outbox::dead_letters(&app.db, 200)
        .await?
        .into_iter()
        .map(|d| DeadLetterView {
            channel_label: channel_label(&page, &d.channel),
            recipient: outbox::mask_recipient(&d.channel, &d.recipient),
            created: local_time(d.created_at),
            error: d.last_error.unwrap_or_default().chars().take(300).collect(),
            attempts: d.attempts,
            max_attempts: d.max_attempts,
            refused: d.state == "failed",
            retryable: d.retryable,
            id: d.id,
        })
        .collect();
    let notice = match query.riprova.as_deref() {
        Some("in-coda") => Some(page.t("notifiche-bo-requeued")),
        Some("senza-testo") => Some(page.t("notifiche-bo-no-text")),
        Some("no") => Some(page.t("notifiche-bo-not-dead")),
        _ => None,
    };
    let view = DeadLettersPage {
        page,
        csrf: current.csrf_token.clone(),
        counts,
        dead,
        notice,
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct RetryForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    messaggio: Option<String>,
}

/// `POST /backoffice/notifiche/riprova`: puts one dead message back in the queue.
pub async fn retry(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<RetryForm>,
) -> Result<Response, AppError> {
    let current = require(current, DEAD_LETTER_ROLES)?;
    csrf.verify(form.csrf.as_deref())?;
    let id = form.messaggio.unwrap_or_default();
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::NotFound);
    }
    let outcome = outbox::retry(&app.db, &id).await?;
    let code = match outcome {
        Retry::Requeued => "in-coda",
        Retry::NoText => "senza-testo",
        Retry::NotDead => "no",
    };
    audit::record(
        &app.db,
        &audit::Entry::new("notifiche.riprova")
            .actor(current.account.id.as_str())
            .detail("messaggio", id.as_str())
            .detail("esito", code),
    )
    .await?;
    Ok(see_other(&format!("/backoffice/notifiche?riprova={code}")))
}
