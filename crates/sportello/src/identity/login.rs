//! Logging in and out: the one place that opens a session after any kind of proof (PIN,
//! SPID/CIE, staff password + TOTP), so every login rotates the session id, is audited and is
//! limited the same way.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use std::net::SocketAddr;
use std::time::Duration;

use super::accounts::Account;
use super::pin::{Pin, PinFormatError};
use super::pins::{self, Refusal};
use super::session::{self, Kind, NewSession};
use crate::app::AppState;
use crate::audit::Entry;
use crate::http::error::AppError;
use crate::limits::{self, Limited};
use crate::storage::{Db, StorageError, now_ms};
use crate::write_pool;

/// The caller's network address, for abuse limits and the audit log.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        // Behind a trusted proxy, its header names the client (the last hop it appended).
        if let Some(name) = &app.config.client_ip_header
            && let Some(value) = parts.headers.get(name.as_str()).and_then(|v| v.to_str().ok())
            && let Some(last) = value.rsplit(',').map(str::trim).find(|a| !a.is_empty())
            && let Ok(ip) = last.parse::<std::net::IpAddr>()
        {
            return Ok(Self(ip.to_string()));
        }
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |ConnectInfo(addr)| addr.ip().to_string());
        Ok(Self(addr))
    }
}

/// A login that succeeded: the token for the cookie or bearer header.
#[derive(Debug)]
pub struct LoggedIn {
    pub token: String,
    pub account: Account,
    pub expires_at: i64,
}

/// Why a PIN login failed, for the form or the API to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    Limited(Duration),
    /// Not a real codice fiscale: the precise reason (code, message).
    CodiceFiscale(&'static str, crate::http::i18n::Message),
    PinFormat(PinFormatError),
    Refused(Refusal),
}

/// How a login was proven.
#[derive(Debug, Clone, Copy)]
pub struct Proof<'a> {
    pub method: &'a str,
    pub level: &'a str,
}

/// Where and how the new session opens.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    pub kind: Kind,
    /// A name for an app token ("Telefono di Mario").
    pub label: Option<&'a str>,
    /// The token of the session the request came with, to end it.
    pub replaces: Option<&'a str>,
    /// The client's address, for the audit log.
    pub client: &'a str,
}

/// Opens a session for `account` after a successful proof: ends the session the request came
/// with (a new id at every login), records the login, returns the new token. `reset_pin`
/// clears the failure count of that PIN in the same transaction.
pub async fn complete(
    app: &AppState,
    account: &Account,
    proof: Proof<'_>,
    opening: Opening<'_>,
    reset_pin: Option<&str>,
) -> Result<LoggedIn, StorageError> {
    let Opening {
        kind,
        label,
        replaces,
        client,
    } = opening;
    let new = NewSession {
        account_id: &account.id,
        kind,
        label,
        auth_method: proof.method,
        auth_level: proof.level,
    };
    let p = session::prepare(app.session_lifetime())?;
    let entry = Entry::new("login.ok")
        .actor(account.id.as_str())
        .subject(account.id.as_str())
        .detail("metodo", proof.method)
        .detail("livello", proof.level)
        .detail("tipo", kind.as_str())
        .detail("client", client);
    let old_hash = replaces.map(session::hash);
    if old_hash.is_none() && reset_pin.is_none() {
        // The common case (the app, a first visit): one statement.
        write_pool!(&app.db, |pool| sqlx::query(session::INSERT_SQL)
            .bind(&p.token_hash)
            .bind(new.account_id)
            .bind(&p.csrf)
            .bind(p.now)
            .bind(p.expires_at)
            .bind(new.kind.as_str())
            .bind(new.label)
            .bind(new.auth_method)
            .bind(new.auth_level)
            .execute(pool)
            .await
            .map(|_| ()))?;
    } else {
        write_pool!(&app.db, |pool| async {
            let mut tx = pool.begin().await?;
            if let Some(old) = &old_hash {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(session::INSERT_SQL)
                .bind(&p.token_hash)
                .bind(new.account_id)
                .bind(&p.csrf)
                .bind(p.now)
                .bind(p.expires_at)
                .bind(new.kind.as_str())
                .bind(new.label)
                .bind(new.auth_method)
                .bind(new.auth_level)
                .execute(&mut *tx)
                .await?;
            if let Some(pin_id) = reset_pin {
                sqlx::query("UPDATE pins SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
                    .bind(pin_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await)?;
    }
    // The token is handed out only after the login's audit entry is committed.
    app.audit.record(entry).await?;
    Ok(LoggedIn {
        token: p.token,
        account: account.clone(),
        expires_at: p.expires_at,
    })
}

/// A typed codice fiscale in its normal form, if it is a real one (see `CodiceFiscale`).
pub fn normalise_cf(input: &str) -> Option<String> {
    super::codice_fiscale::CodiceFiscale::parse(input)
        .ok()
        .map(|cf| cf.as_str().to_owned())
}

/// The failure for a typed codice fiscale that is not a real one.
pub fn cf_failure(err: &super::codice_fiscale::CodiceFiscaleError) -> LoginFailure {
    LoginFailure::CodiceFiscale(
        err.code(),
        crate::http::i18n::Message {
            id: err.code(),
            args: err.args(),
        },
    )
}

/// Failed guesses on codici fiscali that have no PIN lock the same way real PINs do, so the
/// answer does not reveal who has a PIN.
const UNKNOWN_LOCK: limits::Limit = limits::Limit {
    name: "login-unknown",
    max: 4,
    window: Duration::from_secs(30 * 60),
};

/// Logs a citizen or intermediary in with codice fiscale and PIN.
pub async fn pin_login(
    app: &AppState,
    client: &str,
    cf_input: &str,
    pin_input: &str,
    kind: Kind,
    label: Option<&str>,
    replaces: Option<&str>,
) -> Result<Result<LoggedIn, LoginFailure>, StorageError> {
    // Limits count failures only, and are read before anything else: a login that succeeds
    // writes nothing but its session and its audit entry (a click day is mostly successes,
    // and a patronato's office logs many people in from one address).
    let limits = app.login_limits();
    if let Err(Limited { retry_after }) = limits::check(&app.db, &limits.per_client, client).await? {
        return Ok(Err(LoginFailure::Limited(retry_after)));
    }
    let cf = match super::codice_fiscale::CodiceFiscale::parse(cf_input) {
        Ok(cf) => cf.as_str().to_owned(),
        Err(err) => {
            count_failure(app, client, None).await?;
            return Ok(Err(cf_failure(&err)));
        }
    };
    let pin = match Pin::parse(pin_input) {
        Ok(pin) => pin,
        Err(err) => {
            count_failure(app, client, None).await?;
            return Ok(Err(LoginFailure::PinFormat(err)));
        }
    };
    if let Err(Limited { retry_after }) = limits::check(&app.db, &limits.per_account, &cf).await? {
        return Ok(Err(LoginFailure::Limited(retry_after)));
    }
    let Some((account, row)) = pins::for_login(&app.db, &cf).await? else {
        count_failure(app, client, Some(&cf)).await?;
        return unknown_failure(app, &cf, client).await.map(Err);
    };
    match pins::check_login(&app.db, &app.pin_key, &row, &pin, client).await? {
        Ok(level) => {
            let reset = (row.failed_attempts > 0).then_some(row.id.as_str());
            let proof = Proof {
                method: "pin",
                level: &level,
            };
            let opening = Opening {
                kind,
                label,
                replaces,
                client,
            };
            complete(app, &account, proof, opening, reset).await.map(Ok)
        }
        Err(refusal) => {
            if matches!(refusal, Refusal::Wrong | Refusal::Locked { .. }) {
                count_failure(app, client, Some(&cf)).await?;
            }
            Ok(Err(LoginFailure::Refused(refusal)))
        }
    }
}

/// Counts a failed login against the client and, when known, the codice fiscale.
async fn count_failure(app: &AppState, client: &str, cf: Option<&str>) -> Result<(), StorageError> {
    let limits = app.login_limits();
    // The verdict is for the next attempt: this one is answered already.
    let _ = limits::hit(&app.db, &limits.per_client, client).await?;
    if let Some(cf) = cf {
        let _ = limits::hit(&app.db, &limits.per_account, cf).await?;
    }
    Ok(())
}

/// A failed attempt on a codice fiscale with no usable PIN: counted and locked like a real
/// PIN's failures, so the answers do not tell who has one.
pub(crate) async fn unknown_failure(
    app: &AppState,
    cf: &str,
    client: &str,
) -> Result<LoginFailure, StorageError> {
    app.audit
        .record(Entry::new("login.pin.fallito").detail("client", client))
        .await?;
    Ok(match limits::hit(&app.db, &UNKNOWN_LOCK, cf).await? {
        Ok(()) => LoginFailure::Refused(Refusal::Wrong),
        Err(Limited { retry_after }) => LoginFailure::Refused(Refusal::Locked {
            until: now_ms().saturating_add(i64::try_from(retry_after.as_millis()).unwrap_or(0)),
        }),
    })
}

/// The `Set-Cookie` value that carries a session token (no `Max-Age`: it ends with the
/// browser, which matters on shared computers at a help desk; the server ends it anyway).
pub fn session_cookie(app: &AppState, token: &str) -> Result<HeaderValue, AppError> {
    let name = session::cookie_name(app.config.cookie_secure);
    let secure = if app.config.cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session cookie: {e}")))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(app: &AppState) -> HeaderValue {
    let name = session::cookie_name(app.config.cookie_secure);
    let secure = if app.config.cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sportello=; Path=/; Max-Age=0"))
}

/// Logs out: ends the session and records it.
pub async fn logout(db: &Db, token: &str, account_id: &str) -> Result<(), StorageError> {
    session::end(db, token).await?;
    crate::audit::record(db, &Entry::new("logout").actor(account_id).subject(account_id)).await
}

/// Ends every session of `account_id` and records it.
pub async fn logout_everywhere(db: &Db, account_id: &str) -> Result<u64, StorageError> {
    let ended = session::end_all(db, account_id).await?;
    crate::audit::record(
        db,
        &Entry::new("logout.ovunque")
            .actor(account_id)
            .subject(account_id)
            .detail("sessioni", ended),
    )
    .await?;
    Ok(ended)
}
