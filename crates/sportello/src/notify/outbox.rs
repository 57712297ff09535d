//! The outbox: one row per outgoing email or SMS, worked through by jobs.

use serde_json::{Value, json};

use super::NotifyError;
use crate::jobs::{JobError, NewJob};
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// Which channel a message goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    fn job_kind(self) -> &'static str {
        match self {
            Self::Email => super::JOB_EMAIL,
            Self::Sms => super::JOB_SMS,
        }
    }

    /// Attempts before a message is given up: with the queue's backoff (10 s doubling, at
    /// most an hour) ten attempts span about an hour and a half of outage.
    fn max_attempts(self) -> i32 {
        10
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Queued,
    /// Accepted by the mail server or the SMS gateway.
    Sent,
    /// Refused for good (e.g. unknown mailbox); it will not be retried.
    Failed,
}

/// A message's delivery, as the outbox knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub state: DeliveryState,
    pub last_error: Option<String>,
}

/// Stores the message and enqueues the job that sends it. Returns the message id.
pub(super) async fn enqueue(
    db: &Db,
    channel: Channel,
    recipient: &str,
    content: &str,
) -> Result<String, NotifyError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO notify_outbox (id, channel, recipient, content, state, created_at)
         VALUES ($1, $2, $3, $4, 'queued', $5)"
    )
    .bind(&id)
    .bind(channel.as_str())
    .bind(recipient)
    .bind(content)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(StorageError::from)?;
    // If this enqueue failed, the row would stay queued without a job: harmless, and the
    // caller gets the error and can try again.
    let job = NewJob::new(channel.job_kind(), json!({ "message": id }))
        .max_attempts(channel.max_attempts())
        .dedupe(format!("notifiche:{id}"));
    crate::jobs::enqueue(db, job).await?;
    Ok(id)
}

/// A queued message loaded for sending.
pub(super) struct Pending {
    pub id: String,
    pub content: String,
}

/// Loads the message a job names. `Ok(None)`: already sent or failed (a job run twice).
pub(super) async fn load_for_job(db: &Db, payload: &Value) -> Result<Option<Pending>, JobError> {
    let id = payload
        .get("message")
        .and_then(Value::as_str)
        .ok_or_else(|| JobError::permanent("job payload names no message"))?;
    let row: Option<(String, Option<String>)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT state, content FROM notify_outbox WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
    .map_err(|e| JobError::transient(StorageError::from(e).to_string()))?;
    match row {
        None => Err(JobError::permanent(format!("message {id} is not in the outbox"))),
        Some((state, _)) if state != "queued" => Ok(None),
        Some((_, None)) => Err(JobError::permanent(format!("message {id} has no content"))),
        Some((_, Some(content))) => Ok(Some(Pending {
            id: id.to_owned(),
            content,
        })),
    }
}

/// Records the outcome and clears the text: `error` is `None` when sent.
pub(super) async fn finish(db: &Db, id: &str, error: Option<&str>) -> Result<(), JobError> {
    let state = if error.is_some() { "failed" } else { "sent" };
    let error: Option<String> = error.map(|e| e.chars().take(2000).collect());
    write_pool!(db, |pool| sqlx::query(
        "UPDATE notify_outbox SET state = $1, last_error = $2, content = NULL, finished_at = $3
          WHERE id = $4 AND state = 'queued'"
    )
    .bind(state)
    .bind(error.as_deref())
    .bind(now_ms())
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(|e| JobError::transient(StorageError::from(e).to_string()))
}

/// Notes a failed attempt that will be retried.
pub(super) async fn note_error(db: &Db, id: &str, error: &str) {
    let error: String = error.chars().take(2000).collect();
    let noted = write_pool!(db, |pool| sqlx::query(
        "UPDATE notify_outbox SET last_error = $1 WHERE id = $2 AND state = 'queued'"
    )
    .bind(&error)
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()));
    if let Err(err) = noted {
        tracing::warn!(error = %err, "could not note a delivery error in the outbox");
    }
}

/// Looks up a message's delivery.
pub async fn find(db: &Db, id: &str) -> Result<Option<Delivery>, StorageError> {
    let row: Option<(String, String, String, String, Option<String>)> = read_pool!(db, |pool| {
        sqlx::query_as("SELECT id, channel, recipient, state, last_error FROM notify_outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    row.map(|(id, channel, recipient, state, last_error)| {
        let state = match state.as_str() {
            "queued" => DeliveryState::Queued,
            "sent" => DeliveryState::Sent,
            "failed" => DeliveryState::Failed,
            other => return Err(StorageError::Corrupt(format!("outbox {id}: state `{other}`"))),
        };
        Ok(Delivery {
            id,
            channel,
            recipient,
            state,
            last_error,
        })
    })
    .transpose()
}

/// Runs one send attempt and records its outcome in the outbox.
pub(super) async fn settle(db: &Db, id: &str, outcome: Result<(), JobError>) -> Result<(), JobError> {
    match outcome {
        Ok(()) => finish(db, id, None).await,
        Err(err) if err.permanent => {
            finish(db, id, Some(&err.message)).await?;
            Err(err)
        }
        Err(err) => {
            note_error(db, id, &err.message).await;
            Err(err)
        }
    }
}
