//! Named locks with an expiry, held in the database so that they work across nodes.
//!
//! A lease is held by one node until it expires or is released; the holder renews it by
//! acquiring it again. A node that dies simply stops renewing, and the lease frees itself.

use std::time::Duration;

use crate::storage::{Db, StorageError, duration_ms, now_ms};
use crate::write_pool;

/// Takes or renews the lease `name` for `holder` for `ttl`. True if `holder` now holds it.
pub async fn try_acquire(db: &Db, name: &str, holder: &str, ttl: Duration) -> Result<bool, StorageError> {
    let now = now_ms();
    // The upsert is portable: SQLite (3.24+) and PostgreSQL share this syntax. The WHERE on
    // DO UPDATE only lets the write through if the lease is free, expired or already ours.
    let changed = write_pool!(db, |pool| sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
          WHERE leases.expires_at < $4 OR leases.holder = excluded.holder"
    )
    .bind(name)
    .bind(holder)
    .bind(now.saturating_add(duration_ms(ttl)))
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// Gives the lease up early, if `holder` holds it.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), StorageError> {
    write_pool!(db, |pool| sqlx::query(
        "DELETE FROM leases WHERE name = $1 AND holder = $2"
    )
    .bind(name)
    .bind(holder)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}
