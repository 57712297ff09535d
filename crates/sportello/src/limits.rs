//! Abuse limits: fixed-window counters kept in the database, so every node shares the count.
//!
//! A key is the limit's name plus what is being limited (a client address, a codice fiscale),
//! hashed so the table holds no personal data in clear.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::storage::{Db, StorageError, duration_ms, now_ms};
use crate::write_pool;

/// One limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// Logins (PIN, staff) from one client address.
pub const LOGIN_PER_CLIENT: Limit = Limit {
    name: "login-client",
    max: 60,
    window: Duration::from_secs(60),
};
/// Login attempts on one codice fiscale or username, whoever makes them (ASVS 4.0.3 2.2.1
/// asks for at most 100 failures an hour; the PIN lockout acts sooner).
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    name: "login-account",
    max: 30,
    window: Duration::from_secs(3600),
};
/// Registrations from one client address.
pub const REGISTER_PER_CLIENT: Limit = Limit {
    name: "register-client",
    max: 10,
    window: Duration::from_secs(3600),
};
/// PIN requests (registration, re-issue) for one codice fiscale.
pub const PIN_REQUEST_PER_CF: Limit = Limit {
    name: "pin-request-cf",
    max: 3,
    window: Duration::from_secs(24 * 3600),
};

/// The login limits in force, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_client: Limit,
    pub per_account: Limit,
}

impl LoginLimits {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            per_client: Limit {
                max: i64::from(config.login_limit_per_minute),
                ..LOGIN_PER_CLIENT
            },
            per_account: Limit {
                max: i64::from(config.login_limit_per_account_per_hour),
                ..LOGIN_PER_ACCOUNT
            },
        }
    }
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

fn key(limit: &Limit, subject: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(limit.name.as_bytes());
    hasher.update([0]);
    hasher.update(subject.as_bytes());
    // 128 bits are plenty to keep keys apart.
    format!("{}:{}", limit.name, hex::encode(&hasher.finalize()[..16]))
}

/// Counts one hit against `limit` for `subject`; `Err(Limited)` once over the limit.
pub async fn hit(db: &Db, limit: &Limit, subject: &str) -> Result<Result<(), Limited>, StorageError> {
    let now = now_ms();
    let window = duration_ms(limit.window);
    let (window_start, hits): (i64, i64) = write_pool!(db, |pool| sqlx::query_as(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END,
             window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
         RETURNING window_start, hits"
    )
    .bind(key(limit, subject))
    .bind(now)
    .bind(now.saturating_sub(window))
    .fetch_one(pool)
    .await)?;
    Ok(verdict(limit, window_start, hits, now))
}

fn verdict(limit: &Limit, window_start: i64, hits: i64, now: i64) -> Result<(), Limited> {
    if hits <= limit.max {
        return Ok(());
    }
    let ends = window_start.saturating_add(duration_ms(limit.window));
    let wait_ms = ends.saturating_sub(now).max(1000);
    Err(Limited {
        retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1000)),
    })
}

/// Whether `subject` is already over `limit`, without counting a hit (a read: the login path
/// counts only failures, so that a busy help desk behind one address is not throttled for
/// logging people in).
pub async fn check(db: &Db, limit: &Limit, subject: &str) -> Result<Result<(), Limited>, StorageError> {
    let now = now_ms();
    let row: Option<(i64, i64)> = crate::read_pool!(db, |pool| sqlx::query_as(
        "SELECT window_start, hits FROM rate_limits WHERE key = $1"
    )
    .bind(key(limit, subject))
    .fetch_optional(pool)
    .await)?;
    Ok(match row {
        Some((start, hits)) if start > now.saturating_sub(duration_ms(limit.window)) => {
            // The next failure would be hit number `hits + 1`.
            if hits >= limit.max {
                verdict(limit, start, hits + 1, now)
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    })
}

/// Forgets `subject`'s count (after a successful login, failures should not linger).
pub async fn clear(db: &Db, limit: &Limit, subject: &str) -> Result<(), StorageError> {
    write_pool!(db, |pool| sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key(limit, subject))
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Deletes counters whose window ended more than a day ago. Run periodically.
pub async fn purge(db: &Db) -> Result<u64, StorageError> {
    let cutoff = now_ms().saturating_sub(2 * 24 * 3600 * 1000);
    let purged = write_pool!(db, |pool| sqlx::query(
        "DELETE FROM rate_limits WHERE window_start < $1"
    )
    .bind(cutoff)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_the_subject_and_keep_limits_apart() {
        let a = key(&LOGIN_PER_ACCOUNT, "RSSMRA80A01H501U");
        assert!(!a.contains("RSSMRA"));
        assert_ne!(a, key(&LOGIN_PER_CLIENT, "RSSMRA80A01H501U"));
        assert_ne!(a, key(&LOGIN_PER_ACCOUNT, "RSSMRA80A01H501V"));
    }

    #[test]
    fn over_the_limit_waits_until_the_window_ends() {
        let limit = Limit {
            name: "t",
            max: 2,
            window: Duration::from_secs(60),
        };
        assert_eq!(verdict(&limit, 0, 2, 10_000), Ok(()));
        assert_eq!(
            verdict(&limit, 0, 3, 10_000),
            Err(Limited {
                retry_after: Duration::from_secs(50)
            })
        );
        // Never tell a client to retry in zero seconds.
        assert_eq!(
            verdict(&limit, 0, 3, 60_000),
            Err(Limited {
                retry_after: Duration::from_secs(1)
            })
        );
    }
}
