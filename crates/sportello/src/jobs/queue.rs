//! Jobs as rows: enqueue, claim, complete, fail with backoff, dead-letter.
//!
//! Delivery is at least once: a node that dies mid-job loses its lease and another node
//! runs the job again, so handlers must be idempotent. A job whose attempts are used up
//! goes to the `dead` state, where an operator can see it and put it back.

use std::time::Duration;

use serde_json::Value;
use sqlx::Row;

use crate::storage::{Db, StorageError, dialect, duration_ms, now_ms};
use crate::{read_pool, write_pool};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it, e.g. `sessioni.pulizia`.
    pub kind: &'static str,
    pub payload: Value,
    /// Earliest time it may run (ms since epoch); `None` is now.
    pub run_at: Option<i64>,
    pub max_attempts: i32,
    /// If set, enqueueing another job with the same key does nothing.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: &'static str, payload: Value) -> Self {
        Self {
            kind,
            payload,
            run_at: None,
            max_attempts: 5,
            dedupe_key: None,
        }
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, attempts: i32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    pub fn run_at(mut self, at_ms: i64) -> Self {
        self.run_at = Some(at_ms);
        self
    }
}

/// A job claimed by this node.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Job states, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

/// Adds a job. Returns its id, or `None` when a job with the same dedupe key exists.
pub async fn enqueue(db: &Db, job: NewJob) -> Result<Option<String>, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let payload = job.payload.to_string();
    // ON CONFLICT DO NOTHING is the same in both dialects.
    let inserted = write_pool!(db, |pool| {
        sqlx::query(
        "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, dedupe_key, created_at)
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7)
         ON CONFLICT (dedupe_key) DO NOTHING"
    )
    .bind(&id)
    .bind(job.kind)
    .bind(&payload)
    .bind(job.max_attempts)
    .bind(job.run_at.unwrap_or(now))
    .bind(job.dedupe_key.as_deref())
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok((inserted == 1).then_some(id))
}

/// Enqueues a job inside the caller's transaction (same statement on both drivers), so the
/// job exists exactly when the change that causes it commits. A job with the same dedupe key
/// is left as it is.
#[macro_export]
macro_rules! job_enqueue {
    ($tx:expr, $job:expr) => {{
        let job: &$crate::jobs::NewJob = $job;
        let now = $crate::storage::now_ms();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, dedupe_key, created_at)
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(job.kind)
        .bind(job.payload.to_string())
        .bind(job.max_attempts)
        .bind(job.run_at.unwrap_or(now))
        .bind(job.dedupe_key.as_deref())
        .bind(now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Claims up to `limit` due jobs for `node`, leased for `lease`.
pub async fn claim(
    db: &Db,
    node: &str,
    limit: i64,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, StorageError> {
    let now = now_ms();
    let sql = dialect::claim_jobs_sql(db);
    let rows = write_pool!(db, |pool| {
        sqlx::query(sql)
            .bind(node)
            .bind(now.saturating_add(duration_ms(lease)))
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    row.try_get::<String, _>("id")?,
                    row.try_get::<String, _>("kind")?,
                    row.try_get::<String, _>("payload")?,
                    row.try_get::<i32, _>("attempts")?,
                    row.try_get::<i32, _>("max_attempts")?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    rows.into_iter()
        .map(|(id, kind, payload, attempts, max_attempts)| {
            let payload = serde_json::from_str(&payload)
                .map_err(|e| StorageError::Corrupt(format!("job {id} payload: {e}")))?;
            Ok(ClaimedJob {
                id,
                kind,
                payload,
                attempts,
                max_attempts,
            })
        })
        .collect()
}

/// Marks a job done, if this node still holds it.
pub async fn complete(db: &Db, id: &str, node: &str) -> Result<bool, StorageError> {
    let changed = write_pool!(db, |pool| {
        sqlx::query(
        "UPDATE jobs SET state = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL, last_error = NULL
          WHERE id = $2 AND locked_by = $3 AND state = 'running'"
    )
    .bind(now_ms())
    .bind(id)
    .bind(node)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(changed == 1)
}

/// The wait before attempt `attempts + 1`: 10 s doubling each time, at most one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let seconds = 10u64.saturating_mul(2u64.saturating_pow(exponent));
    Duration::from_secs(seconds.min(3600))
}

/// Records a failed attempt: back to the queue after a backoff, or dead when attempts are
/// used up or the failure is `permanent`.
pub async fn fail(
    db: &Db,
    job: &ClaimedJob,
    node: &str,
    error: &str,
    permanent: bool,
) -> Result<JobState, StorageError> {
    let now = now_ms();
    let state = if permanent || job.attempts >= job.max_attempts {
        JobState::Dead
    } else {
        JobState::Queued
    };
    let run_at = now.saturating_add(duration_ms(backoff(job.attempts)));
    // Errors are for operators; keep them bounded.
    let error: String = error.chars().take(2000).collect();
    write_pool!(db, |pool| sqlx::query(
        "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL,
                         finished_at = CASE WHEN $1 = 'dead' THEN $4 ELSE NULL END
          WHERE id = $5 AND locked_by = $6 AND state = 'running'"
    )
    .bind(state.as_str())
    .bind(run_at)
    .bind(&error)
    .bind(now)
    .bind(&job.id)
    .bind(node)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(state)
}

/// Jobs whose node died during their last attempt: they can never be claimed again, so
/// they go to the dead-letter state. Returns how many.
pub async fn bury_abandoned(db: &Db) -> Result<u64, StorageError> {
    let now = now_ms();
    let buried = write_pool!(db, |pool| sqlx::query(
        "UPDATE jobs SET state = 'dead', finished_at = $1, locked_by = NULL, locked_until = NULL,
                         last_error = COALESCE(last_error, 'the node running the last attempt stopped')
          WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts"
    )
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(buried)
}

/// Puts a dead job back in the queue with fresh attempts (operator action).
pub async fn retry_dead(db: &Db, id: &str) -> Result<bool, StorageError> {
    let changed = write_pool!(db, |pool| sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, finished_at = NULL
          WHERE id = $2 AND state = 'dead'"
    )
    .bind(now_ms())
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// How many jobs are in each state, for `/metrics` and `sportello jobs`.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, StorageError> {
    let rows: Vec<(String, i64)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// One job as stored, for inspection.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: i64,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
}

/// Looks up one job.
pub async fn find(db: &Db, id: &str) -> Result<Option<JobRow>, StorageError> {
    let row = read_pool!(db, |pool| {
        sqlx::query_as::<_, JobRow>(
        "SELECT id, kind, state, attempts, max_attempts, run_at, locked_by, last_error FROM jobs WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    })?;
    Ok(row)
}

/// Dead jobs, newest first, for operators.
pub async fn dead_letters(db: &Db, limit: i64) -> Result<Vec<JobRow>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, JobRow>(
        "SELECT id, kind, state, attempts, max_attempts, run_at, locked_by, last_error
           FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC LIMIT $1"
    )
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(4), Duration::from_secs(80));
        assert_eq!(backoff(30), Duration::from_secs(3600));
        assert_eq!(backoff(-3), Duration::from_secs(10));
    }
}
