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

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for `account_id`; returns the token for the cookie.
pub async fn create(db: &Db, account_id: &str, lifetime: Lifetime) -> Result<String, StorageError> {
    let token = random_token()?;
    let csrf = random_token()?;
    let now = now_ms();
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)"
    )
    .bind(hash(&token))
    .bind(account_id)
    .bind(&csrf)
    .bind(now)
    .bind(now.saturating_add(duration_ms(lifetime.absolute)))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(token)
}

/// Only refresh `last_seen_at` when it is this stale: one write a minute per session, not
/// one per request, keeps the single SQLite writer free for real work.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The live session for `token`, if any; refreshes its idle timer.
pub async fn find_active(db: &Db, token: &str, lifetime: Lifetime) -> Result<Option<Session>, StorageError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None); // cannot exist: do not ask the database
    }
    let token_hash = hash(token);
    let now = now_ms();
    let idle_cutoff = now.saturating_sub(duration_ms(lifetime.idle));
    type Row = (
        String,
        String,
        i64,
        i64,
        i64,
        String,
        Option<String>,
        String,
        String,
    );
    let row: Option<Row> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT s.token_hash, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
                a.id, a.codice_fiscale, a.display_name, a.role
           FROM sessions s JOIN accounts a ON a.id = s.account_id
          WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3"
    )
    .bind(&token_hash)
    .bind(now)
    .bind(idle_cutoff)
    .fetch_optional(pool)
    .await)?;
    let Some((token_hash, csrf_token, created_at, last_seen_at, expires_at, id, cf, name, role)) = row else {
        return Ok(None);
    };
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
    Ok(Some(Session {
        token_hash,
        account,
        csrf_token,
        created_at,
        expires_at,
    }))
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
