//! Assistance at the desk (Punto Utente Evoluto). A citizen who cannot use the site alone sits
//! in front of an operatore PUE; the operator checks their identity document and, with the
//! citizen's agreement, works in the citizen's personal area for them: files a domanda, reads a
//! letter, asks a question. The session then acts on the basis `pue:<id>`, which holds only
//! while the assistance is open and for at most [`DURATA_MS`], so a forgotten desk session
//! cannot be used the next day. Every act is audited with the operator as actor and the
//! citizen as subject, so the citizen sees it on their activity page.

use super::accounts::Account;
use super::session::{self, Session};
use crate::audit::Entry;
use crate::storage::{Db, StorageError, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// How long one assistance lasts at most: a visit to the desk, not a standing permission.
pub const DURATA_MS: i64 = 60 * 60 * 1000;

/// The basis a session acting for the citizen carries.
pub fn basis(id: &str) -> String {
    format!("pue:{id}")
}

/// The identity document as the operator typed it (type and number): printable, trimmed,
/// at most 120 characters, at least 4. `None` when nothing usable was typed.
pub fn documento(raw: Option<&str>) -> Option<String> {
    let cleaned: String = raw?
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    (cleaned.chars().filter(|c| c.is_alphanumeric()).count() >= 4).then_some(cleaned)
}

/// Opens an assistance for `citizen` by the operator of `current`, and moves the operator's
/// session onto it (a new session id, as for every change of whose data it shows). Any other
/// assistance the operator still had open ends: one citizen at a desk at a time. Returns the
/// new session token, or `None` when the session ended meanwhile.
pub async fn start(
    db: &Db,
    current: &Session,
    citizen: &Account,
    documento: &str,
    lifetime: session::Lifetime,
) -> Result<Option<String>, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let operator = current.account.id.as_str();
    let entry = Entry::new("assistenza.inizio")
        .actor(operator)
        .subject(citizen.id.as_str())
        .detail("assistenza", id.as_str())
        .detail("documento", documento);
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE assistenze SET ended_at = $1 WHERE operator_id = $2 AND ended_at IS NULL")
            .bind(now)
            .bind(operator)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO assistenze (id, citizen_id, operator_id, documento, started_at, ends_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&citizen.id)
        .bind(operator)
        .bind(documento)
        .bind(now)
        .bind(now + DURATA_MS)
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await
    }
    .await)?;
    let basis = basis(&id);
    session::rotate(
        db,
        &current.token_hash,
        Some((citizen.id.as_str(), basis.as_str())),
        lifetime,
    )
    .await
}

/// Ends assistance `id` of `operator_id` now, audited; nothing happens if it had ended already.
pub async fn end(db: &Db, id: &str, operator_id: &str, citizen_id: &str) -> Result<(), StorageError> {
    let now = now_ms();
    let entry = Entry::new("assistenza.fine")
        .actor(operator_id)
        .subject(citizen_id)
        .detail("assistenza", id);
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let ended = sqlx::query(
            "UPDATE assistenze SET ended_at = $1 WHERE id = $2 AND operator_id = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(operator_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended > 0 {
            audit_append!(tx, &entry);
        }
        tx.commit().await
    }
    .await)?;
    Ok(())
}

/// Whether assistance `id` still lets `operator_id` act for `citizen_id` at `now`.
pub async fn holds(
    db: &Db,
    id: &str,
    operator_id: &str,
    citizen_id: &str,
    now: i64,
) -> Result<bool, StorageError> {
    // A bare `1` is a 4-byte integer on PostgreSQL: cast to decode an i64 on both backends.
    let found: Option<i64> = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM assistenze WHERE id = $1 AND operator_id = $2 AND citizen_id = $3
            AND ended_at IS NULL AND started_at <= $4 AND ends_at > $4"
    )
    .bind(id)
    .bind(operator_id)
    .bind(citizen_id)
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_needs_four_letters_or_digits_and_loses_control_characters() {
        assert_eq!(
            documento(Some("  CI CA12345AB ")).as_deref(),
            Some("CI CA12345AB")
        );
        assert_eq!(
            documento(Some("Patente\u{0}\n U1X2")).as_deref(),
            Some("Patente U1X2")
        );
        assert_eq!(documento(Some(" - . ")), None);
        assert_eq!(documento(Some("AB1")), None);
        assert_eq!(documento(None), None);
        assert_eq!(documento(Some(&"x".repeat(500))).map(|d| d.len()), Some(120));
    }

    #[test]
    fn the_basis_names_the_assistance() {
        assert_eq!(basis("0196-abc"), "pue:0196-abc");
    }
}
