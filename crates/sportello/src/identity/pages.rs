//! The citizen's pages: login with the PIN, PIN activation, the personal area, security
//! (sessions, app tokens, PIN), delegations and mandates, and what others did on one's behalf.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::accounts::Role;
use super::delega::{self, Delega, DelegaError, Mandato};
use super::login::{self, ClientAddr, LoginFailure};
use super::pin::{PinFormatError, PinHalf};
use super::pins::{self, Refusal};
use super::session::{self, Kind, Session};
use crate::app::AppState;
use crate::audit::{self, Stored};
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, Message};
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, local_date, local_time, see_other};
use crate::site::safe_return_path;

/// The message for a failed login or activation, in the page's language.
fn failure_text(page: &PageContext, failure: &LoginFailure) -> String {
    let message = match failure {
        LoginFailure::Limited(wait) => {
            Message::new("limited-detail").arg("minutes", wait.as_secs().div_ceil(60).max(1).to_string())
        }
        LoginFailure::CodiceFiscale(_, message) => message.clone(),
        LoginFailure::PinFormat(PinFormatError::Length { expected, found }) => {
            Message::new("login-error-pin-length")
                .arg("expected", expected.to_string())
                .arg("found", found.to_string())
        }
        LoginFailure::PinFormat(PinFormatError::Character { position }) => {
            Message::new("login-error-pin-character").arg("position", position.to_string())
        }
        LoginFailure::Refused(refusal) => refusal_message(refusal),
    };
    page.message(&message)
}

/// The message for a PIN refusal.
pub fn refusal_message(refusal: &Refusal) -> Message {
    match refusal {
        Refusal::Wrong => Message::new("login-error-wrong"),
        Refusal::Locked { until } => Message::new("login-error-locked").arg("until", local_time(*until)),
        Refusal::Expired => Message::new("login-error-expired"),
        Refusal::NotActivated => Message::new("login-error-not-activated"),
        Refusal::ActivationExpired => Message::new("activate-error-expired"),
        Refusal::AlreadyActive => Message::new("activate-error-used"),
    }
}

fn failure_status(failure: &LoginFailure) -> StatusCode {
    match failure {
        LoginFailure::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
        LoginFailure::CodiceFiscale(..) | LoginFailure::PinFormat(_) => StatusCode::UNPROCESSABLE_ENTITY,
        LoginFailure::Refused(Refusal::Locked { .. }) => StatusCode::TOO_MANY_REQUESTS,
        LoginFailure::Refused(_) => StatusCode::UNAUTHORIZED,
    }
}

/// Renders `template` with `status`, carrying the CSRF cookie if new.
fn form_response<T: Template>(csrf: &Csrf, template: &T, status: StatusCode) -> Result<Response, AppError> {
    let mut response = page::render(template)?.into_response();
    *response.status_mut() = status;
    if let Some(wait) = (status == StatusCode::TOO_MANY_REQUESTS).then_some(60u64) {
        response.headers_mut().insert(header::RETRY_AFTER, wait.into());
    }
    Ok(csrf.apply(response))
}

#[derive(Template)]
#[template(path = "identity/login.html")]
pub struct LoginPage {
    pub page: PageContext,
    pub csrf: String,
    pub codice_fiscale: String,
    pub torna: String,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ReturnQuery {
    torna: Option<String>,
}

/// `GET /accedi`.
pub async fn login_form(
    page: PageContext,
    csrf: Csrf,
    Query(query): Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let torna = safe_return_path(query.torna.as_deref()).to_owned();
    let form = LoginPage {
        page,
        csrf: csrf.token.clone(),
        codice_fiscale: String::new(),
        torna,
        error: None,
    };
    form_response(&csrf, &form, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    codice_fiscale: Option<String>,
    pin: Option<String>,
    torna: Option<String>,
}

/// `POST /accedi`: logs in with codice fiscale and PIN.
pub async fn login_submit(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let cf = form.codice_fiscale.unwrap_or_default();
    let torna = safe_return_path(form.torna.as_deref()).to_owned();
    let old = crate::http::security::cookie(&headers, session::cookie_name(app.config.cookie_secure));
    match login::pin_login(
        &app,
        &client,
        &cf,
        form.pin.as_deref().unwrap_or_default(),
        Kind::Browser,
        None,
        old,
    )
    .await?
    {
        Ok(done) => {
            let target = if torna == "/" {
                "/area-personale"
            } else {
                torna.as_str()
            };
            let mut response = see_other(target);
            response
                .headers_mut()
                .append(header::SET_COOKIE, login::session_cookie(&app, &done.token)?);
            Ok(response)
        }
        Err(failure) => {
            let error = Some(failure_text(&page, &failure));
            let form = LoginPage {
                page,
                csrf: csrf.token.clone(),
                codice_fiscale: cf,
                torna,
                error,
            };
            form_response(&csrf, &form, failure_status(&failure))
        }
    }
}

#[derive(Template)]
#[template(path = "identity/activate.html")]
pub struct ActivatePage {
    pub page: PageContext,
    pub csrf: String,
    pub codice_fiscale: String,
    pub error: Option<String>,
}

/// `GET /accedi/attiva-pin`.
pub async fn activate_form(page: PageContext, csrf: Csrf) -> Result<Response, AppError> {
    let form = ActivatePage {
        page,
        csrf: csrf.token.clone(),
        codice_fiscale: String::new(),
        error: None,
    };
    form_response(&csrf, &form, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct ActivateForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    codice_fiscale: Option<String>,
    prima_parte: Option<String>,
    seconda_parte: Option<String>,
}

/// `POST /accedi/attiva-pin`: activates the PIN with both halves, then logs in.
pub async fn activate_submit(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ActivateForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let cf_input = form.codice_fiscale.unwrap_or_default();
    let outcome = activate(&app, &client, &cf_input, form.prima_parte, form.seconda_parte).await?;
    match outcome {
        Ok(()) => {
            // Activation proves both halves: log the person in straight away.
            let Some(cf) = login::normalise_cf(&cf_input) else {
                return Ok(see_other("/accedi"));
            };
            let Some(account) = super::accounts::find_by_codice_fiscale(&app.db, &cf).await? else {
                return Ok(see_other("/accedi"));
            };
            let old = crate::http::security::cookie(&headers, session::cookie_name(app.config.cookie_secure));
            let done = login::complete(
                &app,
                &account,
                login::Proof {
                    method: "pin",
                    level: "ordinario",
                },
                login::Opening {
                    kind: Kind::Browser,
                    label: None,
                    replaces: old,
                    client: &client,
                },
                None,
            )
            .await?;
            let mut response = see_other("/area-personale?pin=attivato");
            response
                .headers_mut()
                .append(header::SET_COOKIE, login::session_cookie(&app, &done.token)?);
            Ok(response)
        }
        Err(failure) => {
            let error = Some(failure_text(&page, &failure));
            let form = ActivatePage {
                page,
                csrf: csrf.token.clone(),
                codice_fiscale: cf_input,
                error,
            };
            form_response(&csrf, &form, failure_status(&failure))
        }
    }
}

async fn activate(
    app: &AppState,
    client: &str,
    cf_input: &str,
    first: Option<String>,
    second: Option<String>,
) -> Result<Result<(), LoginFailure>, AppError> {
    if let Err(limited) = crate::limits::hit(&app.db, &app.login_limits().per_client, client).await? {
        return Ok(Err(LoginFailure::Limited(limited.retry_after)));
    }
    let cf = match super::codice_fiscale::CodiceFiscale::parse(cf_input) {
        Ok(cf) => cf.as_str().to_owned(),
        Err(err) => return Ok(Err(login::cf_failure(&err))),
    };
    let first = match PinHalf::parse(first.as_deref().unwrap_or_default()) {
        Ok(half) => half,
        Err(err) => return Ok(Err(LoginFailure::PinFormat(err))),
    };
    let second = match PinHalf::parse(second.as_deref().unwrap_or_default()) {
        Ok(half) => half,
        Err(err) => return Ok(Err(LoginFailure::PinFormat(err))),
    };
    if let Err(limited) = crate::limits::hit(&app.db, &app.login_limits().per_account, &cf).await? {
        return Ok(Err(LoginFailure::Limited(limited.retry_after)));
    }
    // Nobody, or nobody with a PIN: the same answers, and the same lock, as a wrong half.
    let account = super::accounts::find_by_codice_fiscale(&app.db, &cf).await?;
    let row = match &account {
        Some(account) => pins::live(&app.db, &account.id).await?,
        None => None,
    };
    let Some(row) = row else {
        return Ok(Err(login::unknown_failure(app, &cf, client).await?));
    };
    Ok(pins::activate(
        &app.db,
        &app.pin_key,
        &row,
        &first,
        &second,
        app.config.pin_validity,
        client,
    )
    .await?
    .map_err(LoginFailure::Refused))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    pub(crate) csrf: Option<String>,
}

/// `POST /esci`: logs out.
pub async fn logout(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    if let Some(token) =
        crate::http::security::cookie(&headers, session::cookie_name(app.config.cookie_secure))
    {
        login::logout(&app.db, token, &current.account.id).await?;
    }
    let mut response = see_other("/?uscito=1");
    response
        .headers_mut()
        .append(header::SET_COOKIE, login::clear_cookie(&app));
    Ok(response)
}

/// A citizen-side session: staff have the back office, except a desk operator assisting a
/// citizen (basis `pue:`), who works in that citizen's area.
fn citizen_session(session: Session) -> Result<Session, AppError> {
    let assisting = session
        .acting_for
        .as_ref()
        .is_some_and(|acting| acting.basis.starts_with("pue:"));
    if session.account.role.is_staff() && !assisting {
        return Err(AppError::Forbidden("staff use the back office"));
    }
    Ok(session)
}

/// The holder's own session, not while acting for someone: security, PIN and delegations are
/// never someone else's to change.
fn own_session(session: Session) -> Result<Session, AppError> {
    let session = citizen_session(session)?;
    if session.acting_for.is_some() {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "non-consentito",
            message: Message::new("acting-not-allowed"),
        });
    }
    Ok(session)
}

#[derive(Template)]
#[template(path = "identity/area.html")]
pub struct AreaPage {
    pub page: PageContext,
    pub csrf: String,
    pub subject_name: String,
    pub subject_cf: String,
    pub acting: bool,
    /// Acting as a procuratore: may ask for a PIN for the citizen.
    pub under_mandate: bool,
    pub pin_note: Option<String>,
    pub received: Vec<Delega>,
    pub mandates: Vec<Mandato>,
    pub notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AreaQuery {
    pin: Option<String>,
}

/// `GET /area-personale`.
pub async fn area(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Query(query): Query<AreaQuery>,
) -> Result<Response, AppError> {
    let current = citizen_session(current)?;
    let subject = current.subject().clone();
    if current.acting_for.is_some() {
        audit::record(
            &app.db,
            &audit::Entry::new("per_conto.consultazione")
                .actor(current.account.id.as_str())
                .subject(subject.id.as_str())
                .detail("pagina", "area-personale"),
        )
        .await?;
    }
    let pin_note = match pins::live(&app.db, &subject.id).await? {
        Some(row) if row.state == "attivo" => Some(
            page.message(
                &Message::new("area-pin-active")
                    .arg("level", row.level.clone())
                    .arg("until", row.expires_at.map(local_date).unwrap_or_default()),
            ),
        ),
        Some(_) => Some(page.t("area-pin-to-activate")),
        None => None,
    };
    let (received, mandates) = if current.acting_for.is_some() {
        (Vec::new(), Vec::new())
    } else if current.account.role == Role::Intermediario {
        (
            Vec::new(),
            delega::mandates_held_by(&app.db, &current.account.id).await?,
        )
    } else {
        (
            delega::received_by(&app.db, &current.account.id).await?,
            Vec::new(),
        )
    };
    let notice = match query.pin.as_deref() {
        Some("attivato") => Some(page.t("area-pin-activated")),
        Some("richiesto") => Some(page.t("area-pin-requested")),
        _ => None,
    };
    let under_mandate = current
        .acting_for
        .as_ref()
        .is_some_and(|acting| acting.basis.starts_with("mandato:"));
    let view = AreaPage {
        csrf: current.csrf_token.clone(),
        subject_name: subject.display_name.clone(),
        subject_cf: subject.codice_fiscale.clone().unwrap_or_default(),
        acting: current.acting_for.is_some(),
        under_mandate,
        page,
        pin_note,
        received,
        mandates,
        notice,
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Template)]
#[template(path = "identity/security.html")]
pub struct SecurityPage {
    pub page: PageContext,
    pub csrf: String,
    pub current_id: String,
    pub sessions: Vec<session::Listed>,
    pub has_pin: bool,
}

/// `GET /area-personale/sicurezza`: open sessions and app tokens, log out everywhere, PIN.
pub async fn security(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let current = own_session(current)?;
    let sessions = session::list(&app.db, &current.account.id, app.session_lifetime()).await?;
    let has_pin = pins::live(&app.db, &current.account.id).await?.is_some();
    let view = SecurityPage {
        page,
        csrf: current.csrf_token.clone(),
        current_id: current.public_id().to_owned(),
        sessions,
        has_pin,
    };
    Ok(page::render(&view)?.into_response())
}

/// `POST /area-personale/sicurezza/sessioni/{id}/termina`: ends one session or app token.
pub async fn end_session(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    // Scoped to the caller's own sessions: another person's id ends nothing.
    if !session::end_by_public_id(&app.db, &current.account.id, &id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &app.db,
        &audit::Entry::new("sessione.terminata")
            .actor(current.account.id.as_str())
            .subject(current.account.id.as_str()),
    )
    .await?;
    Ok(see_other("/area-personale/sicurezza"))
}

/// `POST /area-personale/sicurezza/esci-ovunque`: ends every session, this one included.
pub async fn logout_everywhere(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    login::logout_everywhere(&app.db, &current.account.id).await?;
    let mut response = see_other("/?uscito=1");
    response
        .headers_mut()
        .append(header::SET_COOKIE, login::clear_cookie(&app));
    Ok(response)
}

/// `POST /area-personale/sicurezza/pin/revoca`: revokes one's own PIN (lost or stolen).
pub async fn revoke_pin(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    pins::revoke(&app.db, &current.account.id, &current.account.id).await?;
    Ok(see_other("/area-personale/sicurezza"))
}

#[derive(Template)]
#[template(path = "identity/deleghe.html")]
pub struct DeleghePage {
    pub page: PageContext,
    pub csrf: String,
    pub given: Vec<Delega>,
    pub mandates: Vec<Mandato>,
    pub error: Option<String>,
    pub delegato: String,
    pub dal: String,
    pub al: String,
}

async fn deleghe_page(
    app: &AppState,
    page: PageContext,
    current: &Session,
    error: Option<String>,
    (delegato, dal, al): (String, String, String),
) -> Result<DeleghePage, AppError> {
    Ok(DeleghePage {
        page,
        csrf: current.csrf_token.clone(),
        given: delega::given_by(&app.db, &current.account.id).await?,
        mandates: delega::mandates_given_by(&app.db, &current.account.id).await?,
        error,
        delegato,
        dal,
        al,
    })
}

/// `GET /area-personale/deleghe`.
pub async fn deleghe(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let current = own_session(current)?;
    let view = deleghe_page(&app, page, &current, None, Default::default()).await?;
    Ok(page::render(&view)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct DelegaForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    delegato: Option<String>,
    dal: Option<String>,
    al: Option<String>,
}

/// `POST /area-personale/deleghe`: appoints a trusted adult.
pub async fn create_delega(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<DelegaForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    let delegato = form.delegato.unwrap_or_default();
    let dal = form.dal.unwrap_or_default();
    let al = form.al.unwrap_or_default();
    let outcome = match (
        login::normalise_cf(&delegato),
        page::parse_local_date(&dal),
        page::parse_local_date(&al),
    ) {
        (None, _, _) => Err(DelegaError::NoSuchDelegate),
        (_, None, _) | (_, _, None) => Err(DelegaError::BadWindow),
        // The end date is included: the delegation lasts until the end of that day.
        (Some(cf), Some(start), Some(end)) => {
            delega::create(
                &app.db,
                &current.account,
                &cf,
                start,
                end + 86_400_000,
                &current.account.id,
                None,
            )
            .await?
        }
    };
    deleghe_outcome(&app, page, &current, outcome, (delegato, dal, al)).await
}

/// After a delegation or mandate form: back to the list, or the page again with the error (422).
async fn deleghe_outcome(
    app: &AppState,
    page: PageContext,
    current: &Session,
    outcome: Result<String, DelegaError>,
    typed: (String, String, String),
) -> Result<Response, AppError> {
    match outcome {
        Ok(_) => Ok(see_other("/area-personale/deleghe")),
        Err(err) => {
            let error = Some(page.t(err.message_id()));
            let view = deleghe_page(app, page, current, error, typed).await?;
            let mut response = page::render(&view)?.into_response();
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// `POST /area-personale/deleghe/{id}/revoca`: the citizen or the delegate ends a delegation.
pub async fn revoke_delega(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    if !delega::revoke(&app.db, &id, &current.account.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/area-personale/deleghe"))
}

#[derive(Debug, Deserialize)]
pub struct MandatoForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    intermediario: Option<String>,
    servizio: Option<String>,
    al: Option<String>,
}

/// `POST /area-personale/mandati`: gives an intermediary a mandate.
pub async fn grant_mandate(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<MandatoForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    let service = form
        .servizio
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("*");
    let valid_service = service == "*"
        || (service.len() <= 64 && service.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let outcome = match (
        form.intermediario.as_deref().and_then(login::normalise_cf),
        form.al.as_deref().and_then(page::parse_local_date),
    ) {
        (None, _) => Err(DelegaError::NotIntermediary),
        (_, None) => Err(DelegaError::BadWindow),
        _ if !valid_service => Err(DelegaError::BadWindow),
        (Some(cf), Some(end)) => {
            delega::grant_mandate(
                &app.db,
                &current.account,
                &cf,
                service,
                end + 86_400_000,
                &current.account.id,
            )
            .await?
        }
    };
    deleghe_outcome(&app, page, &current, outcome, Default::default()).await
}

/// `POST /area-personale/mandati/{id}/revoca`.
pub async fn revoke_mandate(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    if !delega::revoke_mandate(&app.db, &id, &current.account.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/area-personale/deleghe"))
}

/// `POST /per-conto/{citizen_id}`: starts acting for a citizen (new session id).
pub async fn start_acting(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(citizen_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let current = own_session(current)?;
    match delega::start_acting(&app.db, &current, &citizen_id, app.session_lifetime()).await? {
        Ok(token) => {
            let mut response = see_other("/area-personale");
            response
                .headers_mut()
                .append(header::SET_COOKIE, login::session_cookie(&app, &token)?);
            Ok(response)
        }
        // Before, after or without a delegation: the same answer as for someone unknown.
        Err(_) => Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "non-consentito",
            message: Message::new("delega-error-not-in-force"),
        }),
    }
}

/// `POST /per-conto/termina`: back to one's own data (new session id).
pub async fn stop_acting(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    // A desk operator goes back to the citizen's card; anyone else to their own area.
    let back = match &current.acting_for {
        Some(acting) if current.account.role.is_staff() => {
            format!("/backoffice/cittadini/{}", acting.citizen.id)
        }
        _ if current.account.role.is_staff() => "/backoffice".to_owned(),
        _ => "/area-personale".to_owned(),
    };
    let mut response = see_other(&back);
    if let Some(token) = delega::stop_acting(&app.db, &current, app.session_lifetime()).await? {
        response
            .headers_mut()
            .append(header::SET_COOKIE, login::session_cookie(&app, &token)?);
    }
    Ok(response)
}

/// One line of "done on your behalf".
pub struct ActivityLine {
    pub when: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "identity/activity.html")]
pub struct ActivityPage {
    pub page: PageContext,
    pub lines: Vec<ActivityLine>,
}

/// `GET /area-personale/attivita`: everything others did with the citizen's data.
pub async fn activity(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
) -> Result<Response, AppError> {
    let current = own_session(current)?;
    let entries = audit::by_others_about(&app.db, &current.account.id, 200).await?;
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries {
        lines.push(activity_line(&app, &page, entry).await?);
    }
    Ok(page::render(&ActivityPage { page, lines })?.into_response())
}

async fn activity_line(app: &AppState, page: &PageContext, entry: Stored) -> Result<ActivityLine, AppError> {
    let who = match entry.actor_id.as_deref() {
        Some(id) => match super::accounts::find(&app.db, id).await? {
            Some(actor) => format!("{} ({})", actor.display_name, page.t(actor.role.label_id())),
            None => page.t("activity-unknown-actor"),
        },
        None => page.t("activity-system"),
    };
    let id = format!("audit-{}", entry.action.replace(['.', '_'], "-"));
    let what = if page.has(&id) {
        page.t(&id)
    } else {
        entry.action.clone()
    };
    Ok(ActivityLine {
        when: local_time(entry.at),
        who,
        what,
    })
}

#[derive(Template)]
#[template(path = "identity/register.html")]
pub struct RegisterPage {
    pub page: PageContext,
    pub csrf: String,
    pub input: super::registration::RegistrationInput,
    /// (field, message) pairs, in form order.
    pub errors: Vec<(&'static str, String)>,
    pub restricted: bool,
}

impl RegisterPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn described_by(&self, field: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("aiuto-{field}"));
        }
        if self.error(field).is_some() {
            ids.push(format!("errore-{field}"));
        }
        ids.join(" ")
    }
}

/// `GET /registrati`: asks for a PIN.
pub async fn register_form(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
) -> Result<Response, AppError> {
    let view = RegisterPage {
        page,
        csrf: csrf.token.clone(),
        input: Default::default(),
        errors: Vec::new(),
        restricted: app.config.pin_restricted,
    };
    form_response(&csrf, &view, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(flatten)]
    input: super::registration::RegistrationInput,
}

/// `POST /registrati`: checks everything, then registers (or re-issues) and says the same
/// thing either way.
pub async fn register_submit(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    ClientAddr(client): ClientAddr,
    Form(form): Form<RegisterForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    if let Err(limited) = crate::limits::hit(&app.db, &crate::limits::REGISTER_PER_CLIENT, &client).await? {
        return Err(AppError::Limited(limited.retry_after));
    }
    let today = super::cf_api::today();
    match super::registration::parse(&form.input, today, app.config.pin_restricted) {
        Ok(registration) => {
            let cf = registration.codice_fiscale.as_str().to_owned();
            if let Err(limited) = crate::limits::hit(&app.db, &crate::limits::PIN_REQUEST_PER_CF, &cf).await?
            {
                return Err(AppError::Limited(limited.retry_after));
            }
            super::registration::register(&app, &registration, &client).await?;
            Ok(see_other("/registrati/richiesta-ricevuta"))
        }
        Err(problems) => {
            let errors = problems
                .iter()
                .map(|p| (p.field, page.message(&p.message)))
                .collect();
            let view = RegisterPage {
                page,
                csrf: csrf.token.clone(),
                input: form.input,
                errors,
                restricted: app.config.pin_restricted,
            };
            form_response(&csrf, &view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// `GET /registrati/richiesta-ricevuta`.
pub async fn register_done(page: PageContext) -> Result<Response, AppError> {
    let view = page::StaticPage {
        page,
        heading_id: "register-done-heading",
        paragraph_ids: &["register-done-p1", "register-done-p2", "register-done-p3"],
    };
    Ok(page::render(&view)?.into_response())
}

/// `POST /per-conto/richiedi-pin`: a procuratore (acting under a mandate) asks for a new PIN
/// for the citizen; it goes to the citizen's own contacts and address.
pub async fn proxy_pin_request(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let Some(acting) = current
        .acting_for
        .as_ref()
        .filter(|a| a.basis.starts_with("mandato:"))
    else {
        return Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "non-consentito",
            message: Message::new("proxy-pin-not-allowed"),
        });
    };
    let citizen = acting.citizen.clone();
    if let Err(limited) = crate::limits::hit(
        &app.db,
        &crate::limits::PIN_REQUEST_PER_CF,
        citizen.codice_fiscale.as_deref().unwrap_or_default(),
    )
    .await?
    {
        return Err(AppError::Limited(limited.retry_after));
    }
    let profile = super::registration::profile(&app.db, &citizen.id).await?;
    let channel = profile
        .as_ref()
        .and_then(super::registration::Profile::first_half_channel);
    let (Some(profile), Some(channel)) = (profile, channel) else {
        return Err(AppError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "dati-non-validi",
            message: Message::new("proxy-pin-no-contacts"),
        });
    };
    let kind = match channel {
        super::registration::FirstHalfTo::Email(_) => pins::Channel::Email,
        super::registration::FirstHalfTo::Sms(_) => pins::Channel::Sms,
    };
    let issued = pins::issue(
        &app.db,
        &app.pin_key,
        &citizen.id,
        kind,
        Some(&current.account.id),
        app.config.pin_activation,
    )
    .await?;
    super::registration::deliver(&app, &citizen, &profile, &issued, &channel).await?;
    Ok(see_other("/area-personale?pin=richiesto"))
}

#[cfg(test)]
mod tests {
    use crate::http::i18n::{I18n, Lang};

    /// Actions whose entries never show on a citizen's activity page: the actor is the
    /// subject (their own login), there is no citizen subject (staff, editors, the system), or
    /// no actor.
    const NOT_ABOUT_A_CITIZEN: &[&str] = &[
        "cittadini-sintetici.creati",
        "contenuto.creato",
        "contenuto.pubblicazione",
        "login.oidc.rifiutato",
        "login.ok",
        "login.personale.fallito",
        "login.pin.fallito",
        "logout",
        "logout.ovunque",
        "moduli.caricati",
        "notifiche.riprova",
        "personale.creato",
        "personale.ricerca.vuota",
        "registrazione.gia_presente",
        "ricerca.sinonimi",
        "risposta_tipo.eliminata",
        "risposta_tipo.salvata",
        "sede.competenza.aggiunta",
        "sede.competenza.rimossa",
        "sede.creata",
        "sessione.terminata",
    ];

    /// Every audited action named in the sources (`Entry::new("…")`, `entry("…")`, …).
    fn actions() -> Vec<String> {
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                for marker in ["Entry::new(\"", "entry(\"", "change_entry(\""] {
                    for piece in source.split(marker).skip(1) {
                        let action = piece.split('"').next().unwrap();
                        if !action.is_empty()
                            && action
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || "._-".contains(c))
                        {
                            found.push(action.to_owned());
                        }
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    /// The activity page says in words what others did; an action without words would show
    /// its code (`domanda.presentata`) to the citizen.
    #[test]
    fn every_action_a_citizen_can_see_has_words_in_both_languages() {
        let actions = actions();
        assert!(
            actions.iter().any(|a| a == "assistenza.inizio"),
            "the scan finds actions: {actions:?}"
        );
        for lang in [Lang::It, Lang::En] {
            let ids = I18n::ids(lang);
            let missing: Vec<_> = actions
                .iter()
                .filter(|a| !NOT_ABOUT_A_CITIZEN.contains(&a.as_str()))
                .filter(|a| !ids.contains(&format!("audit-{}", a.replace(['.', '_'], "-"))))
                .collect();
            assert!(missing.is_empty(), "{lang:?}: no activity text for {missing:?}");
        }
    }
}
