//! Storage of accessibility reports.

use super::model::NuovaSegnalazione;
use crate::storage::{Db, StorageError, now_ms};
use crate::write_pool;

/// A stored report's id and time of receipt.
#[derive(Debug, Clone)]
pub struct Ricevuta {
    pub id: String,
    pub ricevuta_il: i64,
}

/// Stores a report.
pub async fn insert(db: &Db, report: &NuovaSegnalazione, lang: &str) -> Result<Ricevuta, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO segnalazioni_accessibilita (id, descrizione, pagina, email, lingua, stato, ricevuta_il)
         VALUES ($1, $2, $3, $4, $5, 'nuova', $6)"
    )
    .bind(&id)
    .bind(&report.descrizione)
    .bind(report.pagina.as_deref())
    .bind(report.email.as_deref())
    .bind(lang)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(Ricevuta { id, ricevuta_il: now })
}
