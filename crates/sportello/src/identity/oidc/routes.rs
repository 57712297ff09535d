//! The routes of SPID / CIE id login: start, callback, and what the federation reads from
//! us (our public keys, our entity configuration).

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::claims::{self, Acr, Expected, FISCAL_NUMBER};
use super::jose::{self, JoseError};
use super::store::{self, PendingLogin};
use super::{Metadata, Oidc, Provider, ProviderKind};
use crate::app::AppState;
use crate::audit;
use crate::http::error::AppError;
use crate::http::page::{self, PageContext};
use crate::http::security::cookie;
use crate::identity::accounts::{self, NewAccount, Role};
use crate::identity::session;
use crate::site::safe_return_path;
use crate::storage::{StorageError, now_ms};

/// The cookie that ties a callback to the browser that started the login (login CSRF).
fn login_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-sportello-accesso"
    } else {
        "sportello-accesso"
    }
}

fn cookie_attributes(secure: bool) -> &'static str {
    if secure {
        "Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "Path=/; HttpOnly; SameSite=Lax"
    }
}

fn append_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn clear_login_cookie(response: &mut Response, secure: bool) {
    let name = login_cookie_name(secure);
    append_cookie(
        response,
        &format!("{name}=; Max-Age=0; {}", cookie_attributes(secure)),
    );
}

/// Why a login was refused: what the citizen is told, and with which status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, used or expired `state`, or another browser's callback.
    Expired,
    /// The provider reports an error (often: the citizen cancelled).
    Cancelled,
    /// Authenticated at a lower level than required.
    Level,
    /// Anything that fails verification: issuer, audience, nonce, signature, code exchange.
    Invalid,
    /// No usable codice fiscale among the attributes.
    NoCodiceFiscale,
    /// The provider cannot be reached.
    Unavailable,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Self::Expired | Self::Invalid | Self::NoCodiceFiscale => StatusCode::BAD_REQUEST,
            Self::Cancelled | Self::Level => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn message_id(self) -> &'static str {
        match self {
            Self::Expired => "oidc-error-expired",
            Self::Cancelled => "oidc-error-cancelled",
            Self::Level => "oidc-error-level",
            Self::Invalid => "oidc-error-invalid",
            Self::NoCodiceFiscale => "oidc-error-no-cf",
            Self::Unavailable => "oidc-error-unavailable",
        }
    }
}

/// The page shown when a login is refused: no token, no technical detail.
#[derive(Template)]
#[template(path = "oidc_error.html")]
pub struct RefusalPage {
    pub page: PageContext,
    pub detail_id: &'static str,
    pub status: u16,
}

fn refuse(page: PageContext, refusal: Refusal, secure: bool) -> Response {
    let status = refusal.status();
    let mut response = match page::render(&RefusalPage {
        page,
        detail_id: refusal.message_id(),
        status: status.as_u16(),
    }) {
        Ok(html) => (status, html).into_response(),
        Err(err) => err.into_response(),
    };
    clear_login_cookie(&mut response, secure);
    response
}

fn random() -> Result<String, AppError> {
    session::random_token().map_err(AppError::from)
}

#[derive(Debug, Deserialize, Default)]
pub struct StartQuery {
    torna: Option<String>,
}

/// `GET /accedi/spid`
pub async fn start_spid(
    State(app): State<AppState>,
    page: PageContext,
    query: Result<Query<StartQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    start(
        &app,
        page,
        ProviderKind::Spid,
        query.map(|q| q.0).unwrap_or_default(),
    )
    .await
}

/// `GET /accedi/cie`
pub async fn start_cie(
    State(app): State<AppState>,
    page: PageContext,
    query: Result<Query<StartQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    start(
        &app,
        page,
        ProviderKind::Cie,
        query.map(|q| q.0).unwrap_or_default(),
    )
    .await
}

/// Stores the login and sends the browser to the provider with a signed request object.
async fn start(
    app: &AppState,
    page: PageContext,
    kind: ProviderKind,
    query: StartQuery,
) -> Result<Response, AppError> {
    let oidc = &app.oidc;
    let secure = app.config.cookie_secure;
    let Some(provider) = oidc.provider(kind) else {
        return Err(AppError::NotFound);
    };
    let meta = match oidc.metadata(provider).await {
        Ok(meta) => meta,
        Err(err) => {
            tracing::warn!(provider = kind.as_str(), error = %err, "identity provider unavailable");
            return Ok(refuse(page, Refusal::Unavailable, secure));
        }
    };
    let Some(signing) = &oidc.signing else {
        return Err(AppError::NotFound);
    };
    // 64 hex characters each: SPID asks for at least 32 alphanumerics for state and nonce.
    let (state, nonce, code_verifier, browser) = (random()?, random()?, random()?, random()?);
    let login = PendingLogin {
        provider: kind.as_str().to_owned(),
        nonce: nonce.clone(),
        code_verifier: code_verifier.clone(),
        acr: oidc.acr.uri().to_owned(),
        return_to: safe_return_path(query.torna.as_deref()).to_owned(),
        browser_hash: store::hash(&browser),
    };
    store::insert(&app.db, &state, &login).await?;
    let now = now_ms() / 1000;
    let request = json!({
        "iss": provider.client_id,
        "aud": [provider.issuer, meta.authorization_endpoint],
        "iat": now,
        "exp": now + 300,
        "jti": random()?,
        "client_id": provider.client_id,
        "response_type": "code",
        "scope": kind.scope(),
        "redirect_uri": oidc.redirect_uri(),
        "state": state,
        "nonce": nonce,
        "code_challenge": jose::b64(Sha256::digest(code_verifier.as_bytes())),
        "code_challenge_method": "S256",
        "acr_values": oidc.acr.uri(),
        "prompt": "consent login",
        "claims": {
            "userinfo": {
                FISCAL_NUMBER: {"essential": true},
                "given_name": null,
                "family_name": null,
            },
        },
    });
    let request = signing
        .sign(&request, None)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("signing the request object: {e}")))?;
    // SPID wants client_id, response_type and scope repeated outside the request object.
    let location = reqwest::Url::parse_with_params(
        &meta.authorization_endpoint,
        &[
            ("client_id", provider.client_id.as_str()),
            ("response_type", "code"),
            ("scope", kind.scope()),
            ("request", request.as_str()),
        ],
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("authorization endpoint URL: {e}")))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    let name = login_cookie_name(secure);
    append_cookie(
        &mut response,
        &format!("{name}={browser}; Max-Age=600; {}", cookie_attributes(secure)),
    );
    Ok(response)
}

#[derive(Debug, Deserialize, Default)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /accedi/oidc/callback`: the provider sends the browser back here.
pub async fn callback(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
    crate::identity::login::ClientAddr(client): crate::identity::login::ClientAddr,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let secure = app.config.cookie_secure;
    let query = query.map(|q| q.0).unwrap_or_default();
    match verify_callback(&app, &headers, query).await {
        Ok(login) => complete_login(&app, &headers, &client, &login).await,
        Err(Failure::Refused(refusal)) => {
            audit::record(
                &app.db,
                &audit::Entry::new("login.oidc.rifiutato")
                    .detail("motivo", format!("{refusal:?}"))
                    .detail("client", client.as_str()),
            )
            .await?;
            Ok(refuse(page, refusal, secure))
        }
        Err(Failure::Storage(err)) => Err(err.into()),
    }
}

/// A login that passed every check.
#[derive(Debug)]
pub struct VerifiedLogin {
    pub provider: ProviderKind,
    pub acr: Acr,
    pub codice_fiscale: String,
    pub display_name: String,
    pub return_to: String,
}

enum Failure {
    Refused(Refusal),
    Storage(StorageError),
}

impl From<StorageError> for Failure {
    fn from(err: StorageError) -> Self {
        Self::Storage(err)
    }
}

/// Logs why, and refuses with what the citizen may know.
fn refused(refusal: Refusal, why: impl std::fmt::Display) -> Failure {
    tracing::warn!(reason = %why, "SPID/CIE login refused");
    Failure::Refused(refusal)
}

async fn verify_callback(
    app: &AppState,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> Result<VerifiedLogin, Failure> {
    let oidc = &app.oidc;
    let state = query
        .state
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(|| refused(Refusal::Expired, "callback without state"))?;
    let login = store::consume(&app.db, &state)
        .await?
        .ok_or_else(|| refused(Refusal::Expired, "unknown, used or expired state"))?;
    let browser = cookie(headers, login_cookie_name(app.config.cookie_secure)).unwrap_or_default();
    if !claims::constant_time_eq(store::hash(browser).as_bytes(), login.browser_hash.as_bytes()) {
        return Err(refused(Refusal::Expired, "callback from another browser"));
    }
    let kind = ProviderKind::parse(&login.provider)
        .ok_or_else(|| refused(Refusal::Invalid, "stored login names an unknown provider"))?;
    let provider = oidc
        .provider(kind)
        .ok_or_else(|| refused(Refusal::Invalid, "provider no longer configured"))?;
    let required = Acr::parse(&login.acr).unwrap_or(oidc.acr);
    let meta = oidc
        .metadata(provider)
        .await
        .map_err(|e| refused(Refusal::Unavailable, e))?;
    // RFC 9207 mix-up defence: the response must come from the provider the login went to.
    match &query.iss {
        Some(iss) if *iss != provider.issuer => {
            return Err(refused(Refusal::Invalid, "iss mismatch in callback"));
        }
        None if meta.iss_in_response => return Err(refused(Refusal::Invalid, "iss missing in callback")),
        _ => {}
    }
    if let Some(error) = &query.error {
        let error: String = error.chars().filter(char::is_ascii_graphic).take(64).collect();
        return Err(refused(
            Refusal::Cancelled,
            format_args!("provider error {error}"),
        ));
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refused(Refusal::Invalid, "callback without code"))?;
    let tokens = exchange_code(oidc, provider, &meta, &code, &login.code_verifier)
        .await
        .map_err(|e| refused(Refusal::Invalid, e))?;
    let id_claims = verify_jws(oidc, provider, &meta, &tokens.id_token)
        .await
        .map_err(|e| refused(Refusal::Invalid, format_args!("ID token: {e}")))?;
    let expected = Expected {
        issuer: &provider.issuer,
        client_id: &provider.client_id,
        nonce: &login.nonce,
        acr: required,
        now_ms: now_ms(),
    };
    let id_token = claims::check_id_token(&id_claims, &expected).map_err(|e| {
        let refusal = if e == claims::ClaimError::Acr {
            Refusal::Level
        } else {
            Refusal::Invalid
        };
        refused(refusal, format_args!("ID token: {e}"))
    })?;
    let attributes = userinfo(oidc, provider, &meta, &tokens.access_token)
        .await
        .map_err(|e| refused(Refusal::Invalid, format_args!("UserInfo: {e}")))?;
    claims::check_userinfo(&attributes, &provider.issuer, &provider.client_id, &id_token.sub)
        .map_err(|e| refused(Refusal::Invalid, format_args!("UserInfo: {e}")))?;
    let codice_fiscale = attributes
        .get(FISCAL_NUMBER)
        .and_then(Value::as_str)
        .and_then(claims::codice_fiscale_from_claim)
        .ok_or_else(|| refused(Refusal::NoCodiceFiscale, "no valid fiscal_number attribute"))?;
    let display_name = claims::display_name(&attributes).unwrap_or_else(|| codice_fiscale.clone());
    Ok(VerifiedLogin {
        provider: kind,
        acr: id_token.acr,
        codice_fiscale,
        display_name,
        return_to: safe_return_path(Some(&login.return_to)).to_owned(),
    })
}

struct Tokens {
    id_token: String,
    access_token: String,
}

/// The token request, authenticated with `private_key_jwt`.
async fn exchange_code(
    oidc: &Oidc,
    provider: &Provider,
    meta: &Metadata,
    code: &str,
    code_verifier: &str,
) -> Result<Tokens, String> {
    let signing = oidc.signing.as_ref().ok_or("no signing key")?;
    let now = now_ms() / 1000;
    let jti = session::random_token().map_err(|e| e.to_string())?;
    let assertion = signing
        .sign(
            &json!({
                "iss": provider.client_id,
                "sub": provider.client_id,
                "aud": meta.token_endpoint,
                "iat": now,
                "exp": now + 60,
                "jti": jti,
            }),
            None,
        )
        .map_err(|e| e.to_string())?;
    let redirect_uri = oidc.redirect_uri();
    let response = oidc
        .http
        .post(&meta.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", provider.client_id.as_str()),
            ("code_verifier", code_verifier),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ])
        .send()
        .await
        .map_err(|e| format!("token endpoint unreachable: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("token response is not JSON: {e}"))?;
    if !status.is_success() {
        let error = body.get("error").and_then(Value::as_str).unwrap_or("?");
        return Err(format!("token endpoint refused the code: HTTP {status} {error}"));
    }
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("token response without {name}"))
    };
    Ok(Tokens {
        id_token: field("id_token")?,
        access_token: field("access_token")?,
    })
}

/// Verifies a JWS against the provider's keys, refetching them once for an unknown key
/// (the provider rotated its keys).
async fn verify_jws(oidc: &Oidc, provider: &Provider, meta: &Metadata, jws: &str) -> Result<Value, String> {
    match meta.jwks.verify(jws) {
        Err(JoseError::UnknownKey(_)) => {
            let fresh = oidc.refresh_keys(provider).await.map_err(|e| e.to_string())?;
            fresh.jwks.verify(jws).map_err(|e| e.to_string())
        }
        other => other.map_err(|e| e.to_string()),
    }
}

/// The attributes, from UserInfo as a signed-then-encrypted JWT. Plain JSON is refused: the
/// SPID/CIE profile requires the attributes signed (and encrypted to us).
async fn userinfo(
    oidc: &Oidc,
    provider: &Provider,
    meta: &Metadata,
    access_token: &str,
) -> Result<Value, String> {
    let response = oidc
        .http
        .get(&meta.userinfo_endpoint)
        .bearer_auth(access_token)
        .header(header::ACCEPT, "application/jwt, application/jose")
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(content_type.starts_with("application/jwt") || content_type.starts_with("application/jose")) {
        return Err(format!("not a JWT ({content_type})"));
    }
    let body = response.text().await.map_err(|e| e.to_string())?;
    let body = body.trim();
    if body.split('.').count() != 5 {
        return Err("not encrypted".to_owned());
    }
    let decryption = oidc.decryption.as_ref().ok_or("no decryption key")?;
    let inner = decryption.decrypt(body).map_err(|e| e.to_string())?;
    let inner = String::from_utf8(inner).map_err(|_| "decrypted content is not text".to_owned())?;
    verify_jws(oidc, provider, meta, inner.trim()).await
}

/// Finds or creates the citizen's account and completes the login through the shared path
/// (`identity::login::complete`: new session id, the old session ended, audited).
async fn complete_login(
    app: &AppState,
    headers: &HeaderMap,
    client: &str,
    login: &VerifiedLogin,
) -> Result<Response, AppError> {
    let secure = app.config.cookie_secure;
    let account = match store::find_by_codice_fiscale(&app.db, &login.codice_fiscale).await? {
        Some(account) => account,
        None => {
            let created = accounts::create(
                &app.db,
                &NewAccount {
                    codice_fiscale: Some(&login.codice_fiscale),
                    display_name: &login.display_name,
                    role: Role::Cittadino,
                },
            )
            .await;
            match created {
                Ok(id) => {
                    audit::record(
                        &app.db,
                        &audit::Entry::new("account.creato")
                            .subject(id.as_str())
                            .detail("tramite", login.provider.as_str()),
                    )
                    .await?;
                }
                // Two first logins at once: the other one created it.
                Err(StorageError::Duplicate(_)) => {}
                Err(err) => return Err(err.into()),
            }
            store::find_by_codice_fiscale(&app.db, &login.codice_fiscale)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("account vanished after creation")))?
        }
    };
    let previous = cookie(headers, session::cookie_name(secure));
    // SPID/CIE level 2 or more is strong enough for acts with legal effect (PIN dispositivo).
    let level = if login.acr >= Acr::SpidL2 {
        "dispositivo"
    } else {
        "ordinario"
    };
    let done = crate::identity::login::complete(
        app,
        &account,
        crate::identity::login::Proof {
            method: login.provider.as_str(),
            level,
        },
        crate::identity::login::Opening {
            kind: session::Kind::Browser,
            label: None,
            replaces: previous,
            client,
        },
        None,
    )
    .await?;
    tracing::info!(
        provider = login.provider.as_str(),
        acr = login.acr.uri(),
        "citizen logged in through OpenID Connect"
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&login.return_to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().append(
        header::SET_COOKIE,
        crate::identity::login::session_cookie(app, &done.token)?,
    );
    clear_login_cookie(&mut response, secure);
    Ok(response)
}

/// `GET /oidc/jwks.json`: our public keys (request objects and client assertions are
/// verified with the first, UserInfo is encrypted to the second).
pub async fn jwks(State(app): State<AppState>) -> Json<Value> {
    Json(app.oidc.public_jwks())
}

/// `GET /.well-known/openid-federation`: our self-signed Entity Configuration (OpenID
/// Federation 1.0). Without trust marks and a configured authority, no SPID/CIE provider
/// will accept it yet: see docs/architecture.md.
pub async fn entity_configuration(State(app): State<AppState>) -> Result<Response, AppError> {
    let oidc = &app.oidc;
    let (Some(signing), Some(provider)) = (
        oidc.signing.as_ref(),
        oidc.provider(ProviderKind::Spid)
            .or_else(|| oidc.provider(ProviderKind::Cie)),
    ) else {
        return Err(AppError::NotFound);
    };
    let now = now_ms() / 1000;
    let statement = json!({
        "iss": provider.client_id,
        "sub": provider.client_id,
        "iat": now,
        "exp": now + 86_400,
        "jwks": {"keys": [signing.public_jwk()]},
        "authority_hints": [],
        "metadata": {
            "openid_relying_party": {
                "client_id": provider.client_id,
                "client_name": app.institution.as_ref(),
                "client_registration_types": ["automatic"],
                "application_type": "web",
                "redirect_uris": [oidc.redirect_uri()],
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
                "jwks": oidc.public_jwks(),
                "token_endpoint_auth_method": "private_key_jwt",
                "id_token_signed_response_alg": "RS256",
                "userinfo_signed_response_alg": "RS256",
                "userinfo_encrypted_response_alg": "RSA-OAEP-256",
                "userinfo_encrypted_response_enc": "A256CBC-HS512",
                "request_object_signing_alg": "RS256",
                "subject_type": "pairwise",
            }
        }
    });
    let jwt = signing
        .sign(&statement, Some("entity-statement+jwt"))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("signing the entity configuration: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/entity-statement+jwt"),
        )],
        jwt,
    )
        .into_response())
}
