//! Logins in progress, in the database: any node may receive the callback.

use sha2::{Digest, Sha256};

use crate::identity::accounts::{self, Account};
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// How long a citizen has to come back from the identity provider.
pub const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A login started by [`super::routes::start`].
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub provider: String,
    pub nonce: String,
    pub code_verifier: String,
    pub acr: String,
    pub return_to: String,
    pub browser_hash: String,
}

pub async fn insert(db: &Db, state: &str, login: &PendingLogin) -> Result<(), StorageError> {
    let now = now_ms();
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO oidc_logins (state_hash, browser_hash, provider, nonce, code_verifier, acr, return_to,
                                  created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(hash(state))
    .bind(&login.browser_hash)
    .bind(&login.provider)
    .bind(&login.nonce)
    .bind(&login.code_verifier)
    .bind(&login.acr)
    .bind(&login.return_to)
    .bind(now)
    .bind(now.saturating_add(LOGIN_TTL_MS))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Takes the login for `state` if it exists, is unused and has not expired; marks it used in
/// the same statement, so two callbacks racing with one `state` cannot both get it.
pub async fn consume(db: &Db, state: &str) -> Result<Option<PendingLogin>, StorageError> {
    let now = now_ms();
    type Row = (String, String, String, String, String, String);
    let row: Option<Row> = write_pool!(db, |pool| sqlx::query_as(
        "UPDATE oidc_logins SET used_at = $1
          WHERE state_hash = $2 AND used_at IS NULL AND expires_at > $1
      RETURNING provider, nonce, code_verifier, acr, return_to, browser_hash"
    )
    .bind(now)
    .bind(hash(state))
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(
        |(provider, nonce, code_verifier, acr, return_to, browser_hash)| PendingLogin {
            provider,
            nonce,
            code_verifier,
            acr,
            return_to,
            browser_hash,
        },
    ))
}

/// Deletes logins past their expiry (used or not); returns how many.
pub async fn purge_expired(db: &Db) -> Result<u64, StorageError> {
    let purged = write_pool!(db, |pool| sqlx::query(
        "DELETE FROM oidc_logins WHERE expires_at <= $1"
    )
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(purged)
}

/// The account with this codice fiscale, if any.
pub async fn find_by_codice_fiscale(db: &Db, codice_fiscale: &str) -> Result<Option<Account>, StorageError> {
    let row: Option<(String, Option<String>, String, String)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, codice_fiscale, display_name, role FROM accounts WHERE codice_fiscale = $1"
    )
    .bind(codice_fiscale)
    .fetch_optional(pool)
    .await)?;
    row.map(|(id, cf, name, role)| accounts::from_row(id, cf, name, &role))
        .transpose()
}
