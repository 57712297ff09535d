//! Phones with the app, registered for push notifications.

use super::push::Platform;
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// A registered phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub account_id: String,
    pub token: String,
    pub platform: Platform,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

type Row = (String, String, String, String, String, i64, Option<i64>);

fn device(
    (id, account_id, token, platform, label, created_at, last_used_at): Row,
) -> Result<Device, StorageError> {
    let platform = Platform::parse(&platform)
        .ok_or_else(|| StorageError::Corrupt(format!("push device {id}: platform `{platform}`")))?;
    Ok(Device {
        id,
        account_id,
        token,
        platform,
        label,
        created_at,
        last_used_at,
    })
}

/// Registers `token` for `account_id`. The same token registered again (a reinstall, or the
/// phone changing hands) moves to this account and keeps one row. Returns the device.
pub async fn register(
    db: &Db,
    account_id: &str,
    token: &str,
    platform: Platform,
    label: &str,
) -> Result<Device, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let row: Row = write_pool!(db, |pool| sqlx::query_as(
        "INSERT INTO push_devices (id, account_id, token, platform, label, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)
         ON CONFLICT (token) DO UPDATE SET account_id = excluded.account_id,
             platform = excluded.platform, label = excluded.label
         RETURNING id, account_id, token, platform, label, created_at, last_used_at"
    )
    .bind(&id)
    .bind(account_id)
    .bind(token)
    .bind(platform.as_str())
    .bind(label)
    .bind(now)
    .fetch_one(pool)
    .await)?;
    device(row)
}

/// The account's phones, newest first.
pub async fn of_account(db: &Db, account_id: &str) -> Result<Vec<Device>, StorageError> {
    let rows: Vec<Row> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, account_id, token, platform, label, created_at, last_used_at
           FROM push_devices WHERE account_id = $1 ORDER BY created_at DESC, id DESC"
    )
    .bind(account_id)
    .fetch_all(pool)
    .await)?;
    rows.into_iter().map(device).collect()
}

/// Removes one of the account's phones; `false` if it has no such phone.
pub async fn remove(db: &Db, account_id: &str, id: &str) -> Result<bool, StorageError> {
    let removed = write_pool!(db, |pool| sqlx::query(
        "DELETE FROM push_devices WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(removed == 1)
}

/// Notes that a notification reached the gateway for this device (best effort).
pub(super) async fn touch(db: &Db, id: &str) {
    let touched = write_pool!(db, |pool| sqlx::query(
        "UPDATE push_devices SET last_used_at = $1 WHERE id = $2"
    )
    .bind(now_ms())
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()));
    if let Err(err) = touched {
        tracing::warn!(error = %err, "could not note a push device's last use");
    }
}
