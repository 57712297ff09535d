//! Staff accounts: username, password (argon2id) and a TOTP second factor.
//!
//! Staff passwords are chosen by people, so they get a slow, memory-hard hash (argon2id with
//! the crate's defaults, OWASP's recommended parameters); checking one costs tens of
//! milliseconds and runs on the blocking pool, off the request threads. A TOTP code is
//! accepted once: the last used time step is stored (RFC 6238 §5.2).

use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::accounts::{Account, Role};
use super::login::{self, LoggedIn, Opening, Proof};
use super::session::Kind;
use crate::app::AppState;
use crate::audit::Entry;
use crate::limits::{self, Limited};
use crate::storage::{Db, StorageError, duration_ms, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// Failures in a row before a staff account locks, and for how long.
const STAFF_FAILURES_BEFORE_LOCK: i64 = 5;
const STAFF_LOCK: Duration = Duration::from_secs(15 * 60);

/// A new staff member.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub sede_id: Option<&'a str>,
    pub password: &'a str,
    /// A fixed TOTP secret (base32): demo data only. `None`: a fresh random one.
    pub totp_secret: Option<&'a str>,
}

/// What the administrator hands over once: the TOTP secret to enrol in an authenticator app.
#[derive(Debug)]
pub struct Enrolment {
    pub account_id: String,
    pub totp_secret: String,
    pub otpauth_url: String,
}

/// Why a staff member cannot be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffError {
    Username,
    Name,
    Role,
    Password,
    Taken,
}

impl StaffError {
    pub fn message_id(self) -> &'static str {
        match self {
            Self::Username => "staff-error-username",
            Self::Name => "staff-error-name",
            Self::Role => "staff-error-role",
            Self::Password => "staff-error-password",
            Self::Taken => "staff-error-taken",
        }
    }
}

fn valid_username(name: &str) -> bool {
    (3..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_')
}

/// Hashes a password with argon2id on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, StorageError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| StorageError::Corrupt(format!("hashing task: {e}")))?
    .map_err(|e| StorageError::Corrupt(format!("argon2: {e}")))
}

/// Checks a password against a stored argon2 hash on the blocking pool.
async fn verify_password(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), stored.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

fn totp(secret: &[u8], username: &str, issuer: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(username)
        .with_issuer(Some(issuer))
        .build()
        .ok()
}

/// The current TOTP code for a base32 secret (tests and the demo print it).
pub fn current_code(secret_base32: &str) -> Option<String> {
    let bytes = Secret::try_from_base32(secret_base32).ok()?;
    let totp = totp(bytes.as_ref(), "x", "Sportello")?;
    let now = u64::try_from(now_ms() / 1000).ok()?;
    Some(totp.generate(now).to_string())
}

/// Creates a staff account with its credentials; audited as done by `created_by`.
pub async fn create(
    db: &Db,
    new: &NewStaff<'_>,
    created_by: Option<&str>,
    issuer: &str,
) -> Result<Result<Enrolment, StaffError>, StorageError> {
    if !valid_username(new.username) {
        return Ok(Err(StaffError::Username));
    }
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Ok(Err(StaffError::Name));
    }
    if !new.role.is_staff() {
        return Ok(Err(StaffError::Role));
    }
    // NIST SP 800-63B: length, not composition rules.
    if new.password.chars().count() < 12 || new.password.chars().count() > 200 {
        return Ok(Err(StaffError::Password));
    }
    let secret: Vec<u8> = match new.totp_secret.map(Secret::try_from_base32) {
        Some(Ok(fixed)) => fixed.as_ref().to_vec(),
        Some(Err(_)) => return Err(StorageError::Corrupt("demo TOTP secret is not base32".to_owned())),
        None => {
            let mut fresh = [0u8; 20];
            getrandom::fill(&mut fresh).map_err(|e| StorageError::Corrupt(format!("no randomness: {e}")))?;
            fresh.to_vec()
        }
    };
    let secret_base32 = Secret::from(secret.clone()).to_base32();
    let password_hash = hash_password(new.password.to_owned()).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut entry = Entry::new("personale.creato")
        .subject(id.as_str())
        .detail("ruolo", new.role.as_str());
    if let Some(by) = created_by {
        entry = entry.actor(by);
    }
    let inserted = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_credentials WHERE username = $1")
            .bind(new.username)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Ok::<_, sqlx::Error>(false);
        }
        sqlx::query(
            "INSERT INTO accounts (id, codice_fiscale, display_name, role, created_at, sede_id)
             VALUES ($1, NULL, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(name)
        .bind(new.role.as_str())
        .bind(now)
        .bind(new.sede_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO staff_credentials (account_id, username, password_hash, totp_secret) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(new.username)
        .bind(&password_hash)
        .bind(&secret_base32)
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await?;
        Ok(true)
    }
    .await
    })?;
    if !inserted {
        return Ok(Err(StaffError::Taken));
    }
    let otpauth_url = totp(&secret, new.username, issuer)
        .and_then(|t| t.to_url().ok())
        .unwrap_or_default();
    Ok(Ok(Enrolment {
        account_id: id,
        totp_secret: secret_base32,
        otpauth_url,
    }))
}

#[derive(Debug, sqlx::FromRow)]
struct CredentialRow {
    account_id: String,
    password_hash: String,
    totp_secret: String,
    totp_last_step: i64,
    locked_until: Option<i64>,
    display_name: String,
    role: String,
}

/// Why a staff login failed. Wrong username, password or code all look the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffLoginFailure {
    Limited(Duration),
    Wrong,
    Locked { until: i64 },
}

/// Logs a staff member in with username, password and TOTP code.
pub async fn login(
    app: &AppState,
    client: &str,
    username: &str,
    password: &str,
    code: &str,
    replaces: Option<&str>,
) -> Result<Result<LoggedIn, StaffLoginFailure>, StorageError> {
    if let Err(Limited { retry_after }) = limits::hit(&app.db, &app.login_limits().per_client, client).await?
    {
        return Ok(Err(StaffLoginFailure::Limited(retry_after)));
    }
    let username = username.trim().to_ascii_lowercase();
    if let Err(Limited { retry_after }) =
        limits::hit(&app.db, &app.login_limits().per_account, &username).await?
    {
        return Ok(Err(StaffLoginFailure::Limited(retry_after)));
    }
    let row: Option<CredentialRow> = read_pool!(&app.db, |pool| sqlx::query_as(
        "SELECT c.account_id, c.password_hash, c.totp_secret, c.totp_last_step, c.locked_until,
                a.display_name, a.role
           FROM staff_credentials c JOIN accounts a ON a.id = c.account_id
          WHERE c.username = $1 AND a.disabled_at IS NULL"
    )
    .bind(&username)
    .fetch_optional(pool)
    .await)?;
    let Some(row) = row else {
        // Spend the same argon2 work as for a real account: the timing does not tell
        // which usernames exist.
        let _ = hash_password(password.to_owned()).await;
        crate::audit::record(
            &app.db,
            &Entry::new("login.personale.fallito").detail("client", client),
        )
        .await?;
        return Ok(Err(StaffLoginFailure::Wrong));
    };
    let now = now_ms();
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        return Ok(Err(StaffLoginFailure::Locked { until }));
    }
    let password_ok = verify_password(password.to_owned(), row.password_hash.clone()).await;
    let step = Secret::try_from_base32(&row.totp_secret)
        .ok()
        .and_then(|secret| totp(secret.as_ref(), &username, "Sportello"))
        .and_then(|t| t.check(code.trim(), u64::try_from(now / 1000).unwrap_or(0)))
        .and_then(|step| i64::try_from(step).ok())
        // A code already used (or an older one) does not count: no replay.
        .filter(|step| *step > row.totp_last_step);
    let (true, Some(step)) = (password_ok, step) else {
        return staff_failure(&app.db, &row.account_id, client).await.map(Err);
    };
    let role = Role::parse(&row.role)
        .ok_or_else(|| StorageError::Corrupt(format!("account {}: role", row.account_id)))?;
    write_pool!(&app.db, |pool| sqlx::query(
        "UPDATE staff_credentials SET totp_last_step = $1, failed_attempts = 0, locked_until = NULL
          WHERE account_id = $2"
    )
    .bind(step)
    .bind(&row.account_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    let account = Account {
        id: row.account_id.clone(),
        codice_fiscale: None,
        display_name: row.display_name.clone(),
        role,
    };
    let done = login::complete(
        app,
        &account,
        Proof {
            method: "password+totp",
            level: "personale",
        },
        Opening {
            kind: Kind::Browser,
            label: None,
            replaces,
            client,
        },
        None,
    )
    .await?;
    Ok(Ok(done))
}

async fn staff_failure(db: &Db, account_id: &str, client: &str) -> Result<StaffLoginFailure, StorageError> {
    let now = now_ms();
    let locked = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let failures: i64 = sqlx::query_scalar(
            "UPDATE staff_credentials SET failed_attempts = failed_attempts + 1 WHERE account_id = $1
             RETURNING failed_attempts",
        )
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?;
        let locked = (failures % STAFF_FAILURES_BEFORE_LOCK == 0).then(|| now + duration_ms(STAFF_LOCK));
        let entry = Entry::new("login.personale.fallito")
            .subject(account_id)
            .detail("tentativi", failures)
            .detail("client", client);
        if let Some(until) = locked {
            sqlx::query("UPDATE staff_credentials SET locked_until = $1 WHERE account_id = $2")
                .bind(until)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        audit_append!(tx, &entry);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(locked)
    }
    .await)?;
    Ok(match locked {
        Some(until) => StaffLoginFailure::Locked { until },
        None => StaffLoginFailure::Wrong,
    })
}

/// A staff member as listed for administrators.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffMember {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub sede: Option<String>,
    pub disabled_at: Option<i64>,
}

/// Every staff member.
pub async fn list(db: &Db) -> Result<Vec<StaffMember>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, StaffMember>(
        "SELECT c.account_id, c.username, a.display_name, a.role, s.nome AS sede, a.disabled_at
           FROM staff_credentials c JOIN accounts a ON a.id = c.account_id
           LEFT JOIN sedi s ON s.id = a.sede_id
          ORDER BY a.display_name"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// A sede.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Sede {
    pub id: String,
    pub codice: String,
    pub nome: String,
    pub comune: String,
    /// The province it serves (two capital letters), for routing questions by residence.
    pub provincia: Option<String>,
}

/// A province's code as written: two letters, any case, spaces around allowed (`rm` → `RM`).
pub fn parse_provincia(raw: &str) -> Option<String> {
    let code = raw.trim();
    (code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic())).then(|| code.to_ascii_uppercase())
}

/// Every sede.
pub async fn sedi(db: &Db) -> Result<Vec<Sede>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Sede>(
        "SELECT id, codice, nome, comune, provincia FROM sedi ORDER BY codice"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Creates a sede; `None` if the code is taken.
pub async fn create_sede(
    db: &Db,
    codice: &str,
    nome: &str,
    comune: &str,
    by: Option<&str>,
) -> Result<Option<String>, StorageError> {
    create_sede_in(db, codice, nome, comune, None, by).await
}

/// Creates a sede serving `provincia` (already checked by [`parse_provincia`]); `None` if
/// the code is taken.
pub async fn create_sede_in(
    db: &Db,
    codice: &str,
    nome: &str,
    comune: &str,
    provincia: Option<&str>,
    by: Option<&str>,
) -> Result<Option<String>, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut entry = Entry::new("sede.creata").detail("codice", codice);
    if let Some(by) = by {
        entry = entry.actor(by);
    }
    let result = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO sedi (id, codice, nome, comune, provincia, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(codice)
        .bind(nome)
        .bind(comune)
        .bind(provincia)
        .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        audit_append!(tx, &entry);
        tx.commit().await
    }
    .await
    });
    match result {
        Ok(()) => Ok(Some(id)),
        Err(err) => match StorageError::from(err) {
            StorageError::Duplicate(_) => Ok(None),
            other => Err(other),
        },
    }
}
