//! Sessions, kept in the database so that any node can serve any request.
//!
//! The browser holds a random 256-bit token; the database holds only its SHA-256, so a
//! leaked database backup cannot be replayed as cookies. A session ends at logout, after
//! `session_idle` without use, or `session_absolute` after it began, whichever comes first.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::accounts::{self, Account};
use crate::storage::{Db, StorageError, duration_ms, now_ms};
use crate::{read_pool, write_pool};

/// Name of the session cookie: `__Host-` binds it to this exact origin over HTTPS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sportello" } else { "sportello" }
}

/// A live session and whose it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub account: Account,
    /// Per-session secret for CSRF tokens in forms.
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// A browser (cookie) or the mobile app (bearer token).
    pub kind: Kind,
    /// How the person logged in: `pin`, `spid`, `cie`, `password`.
    pub auth_method: String,
    /// `ordinario` or `dispositivo`: what the credential allows.
    pub auth_level: String,
    /// Whose data the holder is acting on, when not their own (delegation, mandate, desk).
    pub acting_for: Option<ActingFor>,
}

/// The citizen a session acts for, and on what basis (`delega:<id>`, `mandato:<id>`, `pue:<id>`).
#[derive(Debug, Clone)]
pub struct ActingFor {
    pub citizen: Account,
    pub basis: String,
}

impl Session {
    /// The citizen whose data this session shows: the one acted for, or the holder.
    pub fn subject(&self) -> &Account {
        self.acting_for
            .as_ref()
            .map_or(&self.account, |acting| &acting.citizen)
    }

    /// A short, stable id to name the session on the security page (not the secret).
    pub fn public_id(&self) -> &str {
        &self.token_hash[..16.min(self.token_hash.len())]
    }

    /// May this session make changes with legal effect (file a domanda, change an IBAN)?
    pub fn is_dispositivo(&self) -> bool {
        self.auth_level == "dispositivo"
    }
}

/// Where the token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Browser,
    App,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::App => "app",
        }
    }
}

/// What a new session records.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub account_id: &'a str,
    pub kind: Kind,
    pub label: Option<&'a str>,
    pub auth_method: &'a str,
    pub auth_level: &'a str,
}

impl<'a> NewSession<'a> {
    pub fn browser(account_id: &'a str, auth_method: &'a str) -> Self {
        Self {
            account_id,
            kind: Kind::Browser,
            label: None,
            auth_method,
            auth_level: "ordinario",
        }
    }
}

/// Inserts a session inside a transaction: `$1` token hash, `$2` account, `$3` csrf, `$4` now,
/// `$5` expiry, `$6` kind, `$7` label, `$8` method, `$9` level.
pub const INSERT_SQL: &str =
    "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at,
        expires_at, kind, label, auth_method, auth_level)
     VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)";

/// A token and the values to insert for it.
#[derive(Debug)]
pub struct Prepared {
    /// The secret for the cookie or the bearer header.
    pub token: String,
    pub token_hash: String,
    pub csrf: String,
    pub now: i64,
    pub expires_at: i64,
}

/// Makes the token and instants for a new session.
pub fn prepare(lifetime: Lifetime) -> Result<Prepared, StorageError> {
    let token = random_token()?;
    let now = now_ms();
    Ok(Prepared {
        token_hash: hash(&token),
        token,
        csrf: random_token()?,
        now,
        expires_at: now.saturating_add(duration_ms(lifetime.absolute)),
    })
}

/// Lifetime rules.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A fresh random token, hex-encoded.
pub fn random_token() -> Result<String, StorageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StorageError::Corrupt(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a browser session for `account_id` (no audit: logins go through `identity::login`);
/// returns the token for the cookie.
pub async fn create(db: &Db, account_id: &str, lifetime: Lifetime) -> Result<String, StorageError> {
    create_with(db, &NewSession::browser(account_id, "pin"), lifetime).await
}

/// Opens a session described by `new`; returns its token.
pub async fn create_with(db: &Db, new: &NewSession<'_>, lifetime: Lifetime) -> Result<String, StorageError> {
    let p = prepare(lifetime)?;
    write_pool!(db, |pool| sqlx::query(INSERT_SQL)
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
    Ok(p.token)
}

/// Only refresh `last_seen_at` when it is this stale: one write a minute per session, not
/// one per request, keeps the single SQLite writer free for real work.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The live browser session for `token`, if any; refreshes its idle timer.
pub async fn find_active(db: &Db, token: &str, lifetime: Lifetime) -> Result<Option<Session>, StorageError> {
    find_active_kind(db, token, lifetime, Kind::Browser).await
}

/// The live session of `kind` for `token`, if any; refreshes its idle timer. A cookie cannot
/// carry an app token nor a bearer header a browser session.
pub async fn find_active_kind(
    db: &Db,
    token: &str,
    lifetime: Lifetime,
    kind: Kind,
) -> Result<Option<Session>, StorageError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None); // cannot exist: do not ask the database
    }
    let token_hash = hash(token);
    let now = now_ms();
    let idle_cutoff = now.saturating_sub(duration_ms(lifetime.idle));
    let row: Option<SessionRow> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT s.token_hash, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
                s.auth_method, s.auth_level, s.acting_for, s.acting_basis,
                a.id, a.codice_fiscale, a.display_name, a.role
           FROM sessions s JOIN accounts a ON a.id = s.account_id
          WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND s.kind = $4
            AND a.disabled_at IS NULL"
    )
    .bind(&token_hash)
    .bind(now)
    .bind(idle_cutoff)
    .bind(kind.as_str())
    .fetch_optional(pool)
    .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let SessionRow {
        token_hash,
        csrf_token,
        created_at,
        last_seen_at,
        expires_at,
        auth_method,
        auth_level,
        acting_for,
        acting_basis,
        id,
        codice_fiscale: cf,
        display_name: name,
        role,
    } = row;
    if now - last_seen_at > TOUCH_EVERY_MS {
        write_pool!(db, |pool| sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2"
        )
        .bind(now)
        .bind(&token_hash)
        .execute(pool)
        .await
        .map(|_| ()))?;
    }
    let account = accounts::from_row(id, cf, name, &role)?;
    // Acting for someone holds only while its basis does: a delegation that ended or was
    // revoked a second ago ends the acting at once, on every node.
    let acting_for = match (acting_for, acting_basis) {
        (Some(citizen_id), Some(basis)) => {
            match super::delega::basis_holds(db, &account.id, &citizen_id, &basis, now).await? {
                true => accounts::find(db, &citizen_id)
                    .await?
                    .map(|citizen| ActingFor { citizen, basis }),
                false => None,
            }
        }
        _ => None,
    };
    Ok(Some(Session {
        token_hash,
        account,
        csrf_token,
        created_at,
        expires_at,
        kind,
        auth_method,
        auth_level,
        acting_for,
    }))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    auth_method: String,
    auth_level: String,
    acting_for: Option<String>,
    acting_basis: Option<String>,
    id: String,
    codice_fiscale: Option<String>,
    display_name: String,
    role: String,
}

/// A session as listed on the security page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub token_hash: String,
    pub kind: String,
    pub label: Option<String>,
    pub auth_method: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl Listed {
    pub fn created_text(&self) -> String {
        crate::http::page::local_time(self.created_at)
    }

    pub fn last_seen_text(&self) -> String {
        crate::http::page::local_time(self.last_seen_at)
    }

    pub fn public_id(&self) -> &str {
        &self.token_hash[..16.min(self.token_hash.len())]
    }
}

/// The open sessions and app tokens of `account_id`, newest first.
pub async fn list(db: &Db, account_id: &str, lifetime: Lifetime) -> Result<Vec<Listed>, StorageError> {
    let now = now_ms();
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Listed>(
        "SELECT token_hash, kind, label, auth_method, created_at, last_seen_at FROM sessions
          WHERE account_id = $1 AND expires_at > $2 AND last_seen_at > $3
          ORDER BY created_at DESC"
    )
    .bind(account_id)
    .bind(now)
    .bind(now.saturating_sub(duration_ms(lifetime.idle)))
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Ends one of `account_id`'s sessions by its public id; whether there was one.
pub async fn end_by_public_id(db: &Db, account_id: &str, public_id: &str) -> Result<bool, StorageError> {
    if public_id.len() != 16 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let done = write_pool!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE account_id = $1 AND substr(token_hash, 1, 16) = $2"
    )
    .bind(account_id)
    .bind(public_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done > 0)
}

/// Ends every session and app token of `account_id` ("log out everywhere").
pub async fn end_all(db: &Db, account_id: &str) -> Result<u64, StorageError> {
    let done = write_pool!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE account_id = $1"
    )
    .bind(account_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done)
}

/// Replaces the session `old_hash` with a new token carrying the same login and the given
/// acting context: privilege changes get a new session id (ASVS 7.2.4). Returns the token.
pub async fn rotate(
    db: &Db,
    old_hash: &str,
    acting: Option<(&str, &str)>,
    lifetime: Lifetime,
) -> Result<Option<String>, StorageError> {
    let p = prepare(lifetime)?;
    let (acting_for, acting_basis) = acting.map_or((None, None), |(who, basis)| (Some(who), Some(basis)));
    let moved = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at,
                                   kind, label, auth_method, auth_level, acting_for, acting_basis)
             SELECT $1, account_id, $2, created_at, $3, expires_at, kind, label, auth_method, auth_level, $4, $5
               FROM sessions WHERE token_hash = $6",
        )
        .bind(&p.token_hash)
        .bind(&p.csrf)
        .bind(p.now)
        .bind(acting_for)
        .bind(acting_basis)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done.rows_affected())
    }
    .await
    })?;
    Ok((moved > 0).then_some(p.token))
}

/// Ends the session for `token` (logout). Ending a missing session is not an error.
pub async fn end(db: &Db, token: &str) -> Result<(), StorageError> {
    write_pool!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(hash(token))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Deletes expired sessions; returns how many. Run periodically as a job.
pub async fn purge_expired(db: &Db, lifetime: Lifetime) -> Result<u64, StorageError> {
    let now = now_ms();
    let purged = write_pool!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2"
    )
    .bind(now)
    .bind(now.saturating_sub(duration_ms(lifetime.idle)))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(purged)
}

/// How many sessions are open (for metrics).
pub async fn count_open(db: &Db) -> Result<i64, StorageError> {
    let count: i64 = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE expires_at > $1"
    )
    .bind(now_ms())
    .fetch_one(pool)
    .await)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&a));
    }
}
