//! The back office's identity pages: staff login, administration of staff and sedi, and the
//! operators' citizen card (look up a citizen, read out a PIN half by phone, verify identity
//! for the PIN dispositivo, record a delegation with the citizen's consent at the desk).
//! Every look at a citizen's data is audited and shows on the citizen's activity page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::accounts::{self, Account, Role};
use super::delega::{self, Delega};
use super::login::{self, ClientAddr};
use super::pins::{self, PinRow};
use super::session::{self, Session};
use super::staff::{self, NewStaff, Sede, StaffLoginFailure, StaffMember};
use crate::app::AppState;
use crate::audit::{self, Entry};
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, local_time, see_other};

/// A logged-in staff member with one of `roles`; anyone else gets 403.
pub fn require(session: Session, roles: &[Role]) -> Result<Session, AppError> {
    if roles.contains(&session.account.role) {
        Ok(session)
    } else {
        Err(AppError::Forbidden("role"))
    }
}

/// Who may look at a citizen's file.
pub const CITIZEN_DESK: &[Role] = &[
    Role::OperatoreContactCenter,
    Role::OperatoreSede,
    Role::OperatorePue,
];

#[derive(Template)]
#[template(path = "backoffice/login.html")]
pub struct StaffLoginPage {
    pub page: PageContext,
    pub csrf: String,
    pub username: String,
    pub error: Option<String>,
}

/// `GET /personale/accedi`.
pub async fn login_form(page: PageContext, csrf: Csrf) -> Result<Response, AppError> {
    let view = StaffLoginPage {
        page,
        csrf: csrf.token.clone(),
        username: String::new(),
        error: None,
    };
    Ok(csrf.apply(page::render(&view)?.into_response()))
}

#[derive(Debug, Deserialize)]
pub struct StaffLoginForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
    codice: Option<String>,
}

/// `POST /personale/accedi`.
pub async fn login_submit(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<StaffLoginForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let username = form.username.unwrap_or_default();
    let old = crate::http::security::cookie(&headers, session::cookie_name(app.config.cookie_secure));
    let outcome = staff::login(
        &app,
        &client,
        &username,
        form.password.as_deref().unwrap_or_default(),
        form.codice.as_deref().unwrap_or_default(),
        old,
    )
    .await?;
    match outcome {
        Ok(done) => {
            let mut response = see_other("/backoffice");
            response
                .headers_mut()
                .append(header::SET_COOKIE, login::session_cookie(&app, &done.token)?);
            Ok(response)
        }
        Err(failure) => {
            let (message, status) = match failure {
                StaffLoginFailure::Limited(wait) => (
                    Message::new("limited-detail")
                        .arg("minutes", wait.as_secs().div_ceil(60).max(1).to_string()),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                StaffLoginFailure::Wrong => (Message::new("staff-login-wrong"), StatusCode::UNAUTHORIZED),
                StaffLoginFailure::Locked { until } => (
                    Message::new("staff-login-locked").arg("until", local_time(until)),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
            };
            let error = Some(page.message(&message));
            let view = StaffLoginPage {
                page,
                csrf: csrf.token.clone(),
                username,
                error,
            };
            let mut response = page::render(&view)?.into_response();
            *response.status_mut() = status;
            Ok(csrf.apply(response))
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/home.html")]
pub struct HomePage {
    pub page: PageContext,
    pub role_label: String,
    pub citizens: bool,
    pub admin: bool,
    pub letters: bool,
    pub content: bool,
    pub questions: bool,
    pub notifiche: bool,
}

/// `GET /backoffice`: what this role can do.
pub async fn home(page: PageContext, RequireSession(current): RequireSession) -> Result<Response, AppError> {
    let role = current.account.role;
    if !role.is_staff() {
        return Err(AppError::Forbidden("staff only"));
    }
    let view = HomePage {
        role_label: page.t(role.label_id()),
        citizens: CITIZEN_DESK.contains(&role),
        admin: role == Role::Amministratore,
        letters: matches!(role, Role::OperatoreSede | Role::Amministratore),
        content: crate::catalog::editor::EDITORS.contains(&role),
        questions: matches!(
            role,
            Role::OperatoreContactCenter | Role::OperatoreSede | Role::Amministratore
        ),
        notifiche: crate::notify::pages::DEAD_LETTER_ROLES.contains(&role),
        page,
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Template)]
#[template(path = "backoffice/staff.html")]
pub struct StaffPage {
    pub page: PageContext,
    pub csrf: String,
    pub members: Vec<StaffMember>,
    pub sedi: Vec<Sede>,
    pub roles: Vec<(&'static str, String)>,
    pub error: Option<String>,
    pub enrolled: Option<(String, String)>,
}

async fn staff_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    error: Option<String>,
    enrolled: Option<(String, String)>,
) -> Result<StaffPage, AppError> {
    let roles = Role::ALL
        .into_iter()
        .filter(|r| r.is_staff())
        .map(|r| (r.as_str(), page.t(r.label_id())))
        .collect();
    Ok(StaffPage {
        csrf: current.csrf_token.clone(),
        members: staff::list(&app.db).await?,
        sedi: staff::sedi(&app.db).await?,
        roles,
        error,
        enrolled,
        page,
    })
}

/// `GET /backoffice/personale` (administrators).
pub async fn staff_list(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let current = require(current, &[Role::Amministratore])?;
    let view = staff_page(&app, page, &current, None, None).await?;
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewStaffForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    username: Option<String>,
    nome: Option<String>,
    ruolo: Option<String>,
    sede: Option<String>,
    password: Option<String>,
}

/// `POST /backoffice/personale`: creates a staff member and shows the TOTP secret once.
pub async fn staff_create(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<NewStaffForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, &[Role::Amministratore])?;
    let role = form
        .ruolo
        .as_deref()
        .and_then(Role::parse)
        .filter(|r| r.is_staff());
    let sede = form.sede.as_deref().filter(|s| !s.is_empty());
    let outcome = match role {
        None => Err(staff::StaffError::Role),
        Some(role) => {
            staff::create(
                &app.db,
                &NewStaff {
                    username: form.username.as_deref().unwrap_or_default().trim(),
                    display_name: form.nome.as_deref().unwrap_or_default(),
                    role,
                    sede_id: sede,
                    password: form.password.as_deref().unwrap_or_default(),
                    totp_secret: None,
                },
                Some(&current.account.id),
                &app.institution,
            )
            .await?
        }
    };
    let (error, enrolled, status) = match outcome {
        Ok(enrolment) => (
            None,
            Some((enrolment.totp_secret, enrolment.otpauth_url)),
            StatusCode::CREATED,
        ),
        Err(err) => (
            Some(page.t(err.message_id())),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let view = staff_page(&app, page, &current, error, enrolled).await?;
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct NewSedeForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    codice: Option<String>,
    nome: Option<String>,
    comune: Option<String>,
    provincia: Option<String>,
}

/// `POST /backoffice/sedi`.
pub async fn sede_create(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<NewSedeForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, &[Role::Amministratore])?;
    let clean = |v: Option<String>| {
        v.map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && v.chars().count() <= 120 && !v.chars().any(char::is_control))
    };
    let provincia = form.provincia.as_deref().and_then(staff::parse_provincia);
    let (Some(codice), Some(nome), Some(comune), Some(provincia)) = (
        clean(form.codice),
        clean(form.nome),
        clean(form.comune),
        provincia,
    ) else {
        let view = staff_page(
            &app,
            page.clone(),
            &current,
            Some(page.t("sede-error-fields")),
            None,
        )
        .await?;
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    if staff::create_sede_in(
        &app.db,
        &codice,
        &nome,
        &comune,
        Some(&provincia),
        Some(&current.account.id),
    )
    .await?
    .is_none()
    {
        let view = staff_page(
            &app,
            page.clone(),
            &current,
            Some(page.t("sede-error-taken")),
            None,
        )
        .await?;
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::CONFLICT;
        return Ok(response);
    }
    Ok(see_other("/backoffice/personale"))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    cf: Option<String>,
}

#[derive(Template)]
#[template(path = "backoffice/search.html")]
pub struct SearchPage {
    pub page: PageContext,
    pub cf: String,
    pub not_found: bool,
}

/// `GET /backoffice/cittadini?cf=…`: finds a citizen by codice fiscale.
pub async fn search(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let current = require(current, CITIZEN_DESK)?;
    let cf = query.cf.unwrap_or_default();
    if let Some(normal) = login::normalise_cf(&cf)
        && let Some(found) = accounts::find_by_codice_fiscale(&app.db, &normal).await?
        && matches!(found.role, Role::Cittadino | Role::Intermediario)
    {
        return Ok(see_other(&format!("/backoffice/cittadini/{}", found.id)));
    }
    let searched = !cf.is_empty();
    if searched {
        audit::record(
            &app.db,
            &Entry::new("personale.ricerca.vuota").actor(current.account.id.as_str()),
        )
        .await?;
    }
    let view = SearchPage {
        page,
        cf,
        not_found: searched,
    };
    let mut response = page::render(&view)?.into_response();
    if searched {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "backoffice/citizen.html")]
pub struct CitizenPage {
    pub page: PageContext,
    pub csrf: String,
    pub citizen: Account,
    pub pin: Option<PinRow>,
    pub deleghe: Vec<Delega>,
    pub role: Role,
    pub notice: Option<String>,
    pub first_half: Option<String>,
}

impl CitizenPage {
    pub fn pin_state(&self) -> String {
        match &self.pin {
            Some(pin) if pin.state == "attivo" => format!(
                "{} – {} {}",
                self.page.t("citizen-pin-active"),
                pin.level,
                pin.expires_at.map(page::local_date).unwrap_or_default()
            ),
            Some(_) => self.page.t("citizen-pin-waiting"),
            None => self.page.t("citizen-pin-none"),
        }
    }

    pub fn may(&self, action: &str) -> bool {
        match action {
            "pin-telefono" => self.role == Role::OperatoreContactCenter,
            "dispositivo" => matches!(self.role, Role::OperatoreSede | Role::OperatorePue),
            "delega" | "assistenza" => self.role == Role::OperatorePue,
            "revoca" => CITIZEN_DESK.contains(&self.role),
            _ => false,
        }
    }
}

/// The citizen `id`, for a desk operator: staff accounts are never shown as citizens.
async fn citizen_for_desk(app: &AppState, id: &str) -> Result<Account, AppError> {
    accounts::find(&app.db, id)
        .await?
        .filter(|a| matches!(a.role, Role::Cittadino | Role::Intermediario))
        .ok_or(AppError::NotFound)
}

async fn citizen_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    citizen: Account,
    notice: Option<String>,
    first_half: Option<String>,
) -> Result<CitizenPage, AppError> {
    Ok(CitizenPage {
        csrf: current.csrf_token.clone(),
        pin: pins::live(&app.db, &citizen.id).await?,
        deleghe: delega::given_by(&app.db, &citizen.id).await?,
        role: current.account.role,
        citizen,
        notice,
        first_half,
        page,
    })
}

/// `GET /backoffice/cittadini/{id}`: the citizen card. Audited: the citizen sees who looked.
pub async fn citizen(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let current = require(current, CITIZEN_DESK)?;
    let citizen = citizen_for_desk(&app, &id).await?;
    audit::record(
        &app.db,
        &Entry::new("staff.consultazione")
            .actor(current.account.id.as_str())
            .subject(citizen.id.as_str())
            .detail("scheda", "identita"),
    )
    .await?;
    let view = citizen_page(&app, page, &current, citizen, None, None).await?;
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct UpgradeForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    documento: Option<String>,
}

/// `POST /backoffice/cittadini/{id}/dispositivo`: identity verified at the desk: the PIN
/// becomes dispositivo.
pub async fn upgrade(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<UpgradeForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, &[Role::OperatoreSede, Role::OperatorePue])?;
    let citizen = citizen_for_desk(&app, &id).await?;
    let document = form
        .documento
        .map(|d| {
            d.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(120)
                .collect::<String>()
        })
        .filter(|d| d.len() >= 4);
    let notice = match document {
        None => page.t("citizen-upgrade-document-missing"),
        Some(document) => {
            if pins::upgrade(&app.db, &citizen.id, &current.account.id, &document).await? {
                page.t("citizen-upgrade-done")
            } else {
                page.t("citizen-upgrade-no-pin")
            }
        }
    };
    let view = citizen_page(&app, page, &current, citizen, Some(notice), None).await?;
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct AssistForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    documento: Option<String>,
    presente: Option<String>,
}

/// `POST /backoffice/cittadini/{id}/assistenza`: at a Punto Utente Evoluto, with the citizen
/// present and their identity document checked, the operator starts working in the citizen's
/// personal area for them (see `assistenza`).
pub async fn assist(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<AssistForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, &[Role::OperatorePue])?;
    let citizen = citizen_for_desk(&app, &id).await?;
    let documento = super::assistenza::documento(form.documento.as_deref());
    let refusal = match (&documento, form.presente.as_deref()) {
        (_, value) if value != Some("si") => Some("citizen-assist-not-present"),
        (None, _) => Some("citizen-upgrade-document-missing"),
        _ => None,
    };
    let (Some(documento), None) = (documento, refusal) else {
        let notice = refusal.map(|id| page.t(id));
        let view = citizen_page(&app, page, &current, citizen, notice, None).await?;
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    let token = super::assistenza::start(&app.db, &current, &citizen, &documento, app.session_lifetime())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let mut response = see_other("/area-personale");
    response
        .headers_mut()
        .append(header::SET_COOKIE, login::session_cookie(&app, &token)?);
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct PhoneIssueForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    identita_verificata: Option<String>,
}

/// `POST /backoffice/cittadini/{id}/pin`: a contact-center operator who checked the caller's
/// identity issues a PIN and reads out the first half; the second half goes by post.
pub async fn phone_issue(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<PhoneIssueForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, &[Role::OperatoreContactCenter])?;
    let citizen = citizen_for_desk(&app, &id).await?;
    if form.identita_verificata.as_deref() != Some("si") {
        let notice = Some(page.t("citizen-phone-not-verified"));
        let view = citizen_page(&app, page, &current, citizen, notice, None).await?;
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let Some(profile) = super::registration::profile(&app.db, &citizen.id).await? else {
        let notice = Some(page.t("citizen-phone-no-address"));
        let view = citizen_page(&app, page, &current, citizen, notice, None).await?;
        let mut response = page::render(&view)?.into_response();
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    let issued = pins::issue(
        &app.db,
        &app.pin_key,
        &citizen.id,
        pins::Channel::Telefono,
        Some(&current.account.id),
        app.config.pin_activation,
    )
    .await?;
    super::registration::post_second_half(&app, &citizen, &profile, &issued).await?;
    let first = Some(issued.first.grouped());
    let view = citizen_page(&app, page, &current, citizen, None, first).await?;
    Ok(page::render(&view)?.into_response())
}

/// `POST /backoffice/cittadini/{id}/pin/revoca`.
pub async fn revoke_pin(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<super::pages::CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, CITIZEN_DESK)?;
    let citizen = citizen_for_desk(&app, &id).await?;
    pins::revoke(&app.db, &citizen.id, &current.account.id).await?;
    let notice = Some(page.t("citizen-pin-revoked"));
    let view = citizen_page(&app, page, &current, citizen, notice, None).await?;
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct DeskDelegaForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    delegato: Option<String>,
    dal: Option<String>,
    al: Option<String>,
    consenso: Option<String>,
}

/// `POST /backoffice/cittadini/{id}/deleghe`: at a Punto Utente Evoluto, the operator records a
/// delegation for the citizen, with how the citizen's consent was given.
pub async fn desk_delega(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<DeskDelegaForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = require(current, &[Role::OperatorePue])?;
    let citizen = citizen_for_desk(&app, &id).await?;
    let consent = form
        .consenso
        .map(|c| {
            c.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(500)
                .collect::<String>()
        })
        .filter(|c| c.len() >= 10);
    let outcome = match (
        consent,
        form.delegato.as_deref().and_then(login::normalise_cf),
        form.dal.as_deref().and_then(page::parse_local_date),
        form.al.as_deref().and_then(page::parse_local_date),
    ) {
        (None, ..) => Err("citizen-delega-consent-missing"),
        (_, None, ..) => Err(delega::DelegaError::NoSuchDelegate.message_id()),
        (_, _, None, _) | (_, _, _, None) => Err(delega::DelegaError::BadWindow.message_id()),
        (Some(consent), Some(cf), Some(start), Some(end)) => delega::create(
            &app.db,
            &citizen,
            &cf,
            start,
            end + 86_400_000,
            &current.account.id,
            Some(&consent),
        )
        .await?
        .map_err(|e| e.message_id()),
    };
    let (notice, status) = match outcome {
        Ok(_) => (page.t("citizen-delega-done"), StatusCode::OK),
        Err(id) => (page.t(id), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let view = citizen_page(&app, page, &current, citizen, Some(notice), None).await?;
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}
