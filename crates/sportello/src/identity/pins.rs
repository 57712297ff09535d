//! PINs in the database: issue, activate, check at login, lock, revoke, upgrade.
//!
//! Every change writes its audit entry in the same transaction.

use std::time::Duration;

use super::pin::{self, Pin, PinHalf, PinKey};
use crate::audit::Entry;
use crate::storage::{Db, StorageError, duration_ms, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// How the first half reaches the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    /// Read out by a contact-center operator after checking the caller's identity.
    Telefono,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Telefono => "telefono",
        }
    }
}

/// A PIN's state as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PinRow {
    pub id: String,
    pub account_id: String,
    pub secret_hash: String,
    pub state: String,
    pub level: String,
    pub channel: String,
    pub issued_at: i64,
    pub activate_by: i64,
    pub activated_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
}

// `INTEGER` is 4 bytes on PostgreSQL: cast, so both backends decode an i64.
const COLUMNS: &str =
    "id, account_id, secret_hash, state, level, channel, issued_at, activate_by, activated_at,
    expires_at, failed_attempts, locked_until";

/// The PIN in use or waiting for activation, if any.
pub async fn live(db: &Db, account_id: &str) -> Result<Option<PinRow>, StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as::<_, PinRow>(sqlx::AssertSqlSafe(
        format!("SELECT {COLUMNS} FROM pins WHERE account_id = $1 AND state IN ('da_attivare', 'attivo')")
    ))
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// The account with this codice fiscale (citizen or intermediary) and its live PIN, in one
/// read: what a login needs.
pub async fn for_login(
    db: &Db,
    codice_fiscale: &str,
) -> Result<Option<(super::accounts::Account, PinRow)>, StorageError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        account_id: String,
        display_name: String,
        role: String,
        id: String,
        secret_hash: String,
        state: String,
        level: String,
        channel: String,
        issued_at: i64,
        activate_by: i64,
        activated_at: Option<i64>,
        expires_at: Option<i64>,
        failed_attempts: i64,
        locked_until: Option<i64>,
    }
    let row = read_pool!(db, |pool| {
        sqlx::query_as::<_, Row>(
        "SELECT a.id AS account_id, a.display_name, a.role, p.id, p.secret_hash, p.state, p.level, p.channel,
                p.issued_at, p.activate_by, p.activated_at, p.expires_at, p.failed_attempts, p.locked_until
           FROM accounts a JOIN pins p ON p.account_id = a.id AND p.state IN ('da_attivare', 'attivo')
          WHERE a.codice_fiscale = $1 AND a.disabled_at IS NULL AND a.role IN ('cittadino', 'intermediario')"
    )
    .bind(codice_fiscale)
    .fetch_optional(pool)
    .await
    })?;
    let Some(row) = row else {
        return Ok(None);
    };
    let account = super::accounts::from_row(
        row.account_id.clone(),
        Some(codice_fiscale.to_owned()),
        row.display_name,
        &row.role,
    )?;
    Ok(Some((
        account,
        PinRow {
            id: row.id,
            account_id: row.account_id,
            secret_hash: row.secret_hash,
            state: row.state,
            level: row.level,
            channel: row.channel,
            issued_at: row.issued_at,
            activate_by: row.activate_by,
            activated_at: row.activated_at,
            expires_at: row.expires_at,
            failed_attempts: row.failed_attempts,
            locked_until: row.locked_until,
        },
    )))
}

/// A freshly issued PIN: the two halves to deliver. Nothing else ever sees them.
#[derive(Debug)]
pub struct Issued {
    pub pin_id: String,
    pub first: PinHalf,
    pub second: PinHalf,
}

/// Issues a new PIN for `account_id` (revoking any previous one). `actor_id` is who asked:
/// the citizen, an operator, a procuratore.
pub async fn issue(
    db: &Db,
    key: &PinKey,
    account_id: &str,
    channel: Channel,
    actor_id: Option<&str>,
    activation_window: Duration,
) -> Result<Issued, StorageError> {
    let pin = Pin::generate().map_err(|e| StorageError::Corrupt(format!("no randomness: {e}")))?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let secret_hash = key.hash(account_id, &pin);
    let mut entry = Entry::new("pin.emesso")
        .subject(account_id)
        .detail("pin", id.as_str())
        .detail("canale", channel.as_str());
    if let Some(actor) = actor_id {
        entry = entry.actor(actor);
    }
    write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "UPDATE pins SET state = 'revocato', revoked_at = $1
              WHERE account_id = $2 AND state IN ('da_attivare', 'attivo')",
        )
        .bind(now)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO pins (id, account_id, secret_hash, state, level, channel, requested_by, issued_at, activate_by)
             VALUES ($1, $2, $3, 'da_attivare', 'ordinario', $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&secret_hash)
        .bind(channel.as_str())
        .bind(actor_id)
        .bind(now)
        .bind(now.saturating_add(duration_ms(activation_window)))
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await
    }
    .await
    })?;
    let (first, second) = pin.halves();
    Ok(Issued {
        pin_id: id,
        first,
        second,
    })
}

/// Installs a PIN chosen by the caller (demo data and tests only: real PINs are generated by
/// [`issue`]), already active at `level` when `active`, else waiting for activation.
pub async fn install(
    db: &Db,
    key: &PinKey,
    account_id: &str,
    pin: &Pin,
    active: bool,
    level: &str,
    validity: Duration,
) -> Result<String, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let until = now.saturating_add(duration_ms(validity));
    let entry = Entry::new("pin.emesso")
        .subject(account_id)
        .detail("pin", id.as_str());
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO pins (id, account_id, secret_hash, state, level, channel, issued_at, activate_by,
                               activated_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, 'email', $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(key.hash(account_id, pin))
        .bind(if active { "attivo" } else { "da_attivare" })
        .bind(level)
        .bind(now)
        .bind(until)
        .bind(active.then_some(now))
        .bind(active.then_some(until))
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await
    }
    .await)?;
    Ok(id)
}

/// Why a PIN was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No PIN, wrong PIN, or unknown person: the caller cannot tell which (no enumeration).
    Wrong,
    /// Locked until this instant (ms).
    Locked { until: i64 },
    /// The PIN expired: ask for a new one.
    Expired,
    /// Not activated yet: enter both halves on the activation page first.
    NotActivated,
    /// The halves are void: the activation window passed.
    ActivationExpired,
    /// The PIN was already activated: the halves cannot be used again.
    AlreadyActive,
}

/// Counts a failed attempt on `row` (locking it when the schedule says so) and audits it.
/// The count is incremented in SQL, so concurrent wrong guesses are all counted.
async fn fail(db: &Db, row: &PinRow, action: &'static str, client: &str) -> Result<Refusal, StorageError> {
    let now = now_ms();
    let locked_until = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let failures: i64 = sqlx::query_scalar(
            "UPDATE pins SET failed_attempts = failed_attempts + 1 WHERE id = $1
             RETURNING failed_attempts",
        )
        .bind(&row.id)
        .fetch_one(&mut *tx)
        .await?;
        let locked_until = pin::lockout_after(failures).map(|d| now.saturating_add(duration_ms(d)));
        let entry = Entry::new(action)
            .subject(row.account_id.as_str())
            .detail("tentativi", failures)
            .detail("client", client);
        audit_append!(tx, &entry);
        if let Some(until) = locked_until {
            sqlx::query("UPDATE pins SET locked_until = $1 WHERE id = $2")
                .bind(until)
                .bind(&row.id)
                .execute(&mut *tx)
                .await?;
            let lock = Entry::new("pin.bloccato")
                .subject(row.account_id.as_str())
                .detail("tentativi", failures)
                .detail("fino_a", until);
            audit_append!(tx, &lock);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(locked_until)
    }
    .await)?;
    Ok(match locked_until {
        Some(until) => Refusal::Locked { until },
        None => Refusal::Wrong,
    })
}

/// Checks an active PIN for login. On success returns the PIN's level (`ordinario`,
/// `dispositivo`) and whether failures must be reset; on failure counts it.
pub async fn check_login(
    db: &Db,
    key: &PinKey,
    row: &PinRow,
    pin: &Pin,
    client: &str,
) -> Result<Result<String, Refusal>, StorageError> {
    let now = now_ms();
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        return Ok(Err(Refusal::Locked { until }));
    }
    if !key.verify(&row.account_id, pin, &row.secret_hash) {
        return fail(db, row, "login.pin.fallito", client).await.map(Err);
    }
    // Only the owner of the right PIN learns about its state.
    if row.state == "da_attivare" {
        return Ok(Err(Refusal::NotActivated));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(Refusal::Expired));
    }
    Ok(Ok(row.level.clone()))
}

/// Activates the PIN of `account_id` with both halves. Single use: once active, the halves
/// (now the PIN) only log in.
pub async fn activate(
    db: &Db,
    key: &PinKey,
    row: &PinRow,
    first: &PinHalf,
    second: &PinHalf,
    validity: Duration,
    client: &str,
) -> Result<Result<(), Refusal>, StorageError> {
    let now = now_ms();
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        return Ok(Err(Refusal::Locked { until }));
    }
    let pin = Pin::from_halves(first, second);
    if !key.verify(&row.account_id, &pin, &row.secret_hash) {
        return fail(db, row, "pin.attivazione.fallita", client).await.map(Err);
    }
    if row.state == "attivo" {
        return Ok(Err(Refusal::AlreadyActive));
    }
    if row.activate_by <= now {
        return Ok(Err(Refusal::ActivationExpired));
    }
    let entry = Entry::new("pin.attivato")
        .actor(row.account_id.as_str())
        .subject(row.account_id.as_str())
        .detail("pin", row.id.as_str());
    let changed = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        // The state in WHERE makes a second, concurrent activation a no-op.
        let done = sqlx::query(
            "UPDATE pins SET state = 'attivo', activated_at = $1, expires_at = $2, failed_attempts = 0,
                    locked_until = NULL
              WHERE id = $3 AND state = 'da_attivare'",
        )
        .bind(now)
        .bind(now.saturating_add(duration_ms(validity)))
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            audit_append!(tx, &entry);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done.rows_affected())
    }
    .await)?;
    Ok(if changed == 1 {
        Ok(())
    } else {
        Err(Refusal::AlreadyActive)
    })
}

/// Revokes the live PIN of `account_id`; whether there was one.
pub async fn revoke(db: &Db, account_id: &str, actor_id: &str) -> Result<bool, StorageError> {
    let now = now_ms();
    let entry = Entry::new("pin.revocato").actor(actor_id).subject(account_id);
    let done = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE pins SET state = 'revocato', revoked_at = $1
              WHERE account_id = $2 AND state IN ('da_attivare', 'attivo')",
        )
        .bind(now)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            audit_append!(tx, &entry);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done.rows_affected())
    }
    .await)?;
    Ok(done > 0)
}

/// Raises the live, active PIN of `account_id` to `dispositivo` after an operator verified
/// the person's identity document. Whether there was such a PIN.
pub async fn upgrade(
    db: &Db,
    account_id: &str,
    operator_id: &str,
    document: &str,
) -> Result<bool, StorageError> {
    let now = now_ms();
    let entry = Entry::new("pin.dispositivo")
        .actor(operator_id)
        .subject(account_id)
        .detail("documento", document);
    let done = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE pins SET level = 'dispositivo', upgraded_at = $1, upgraded_by = $2
              WHERE account_id = $3 AND state = 'attivo'",
        )
        .bind(now)
        .bind(operator_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            audit_append!(tx, &entry);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done.rows_affected())
    }
    .await)?;
    Ok(done > 0)
}

/// The key PINs are hashed with: the configured one, else one generated once and kept in the
/// database so that every node shares it.
pub async fn load_key(db: &Db, configured: Option<&str>) -> Result<PinKey, StorageError> {
    if let Some(hex) = configured {
        return PinKey::from_hex(hex)
            .ok_or_else(|| StorageError::Corrupt("pin_key must be 64 hexadecimal digits".to_owned()));
    }
    let fresh = super::session::random_token()?;
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ('pin_key', $1, $2)
         ON CONFLICT (name) DO NOTHING"
    )
    .bind(&fresh)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ()))?;
    let stored: String = write_pool!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM server_secrets WHERE name = 'pin_key'"
    )
    .fetch_one(pool)
    .await)?;
    PinKey::from_hex(&stored).ok_or_else(|| StorageError::Corrupt("server_secrets.pin_key".to_owned()))
}
