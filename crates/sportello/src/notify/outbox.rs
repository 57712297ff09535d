//! The outbox: one row per outgoing email, SMS or push notification, worked through by jobs.

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
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    fn job_kind(self) -> &'static str {
        match self {
            Self::Email => super::JOB_EMAIL,
            Self::Sms => super::JOB_SMS,
            Self::Push => super::JOB_PUSH,
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
    pub recipient: String,
    pub content: String,
}

/// Loads the message a job names. `Ok(None)`: already sent or failed (a job run twice).
pub(super) async fn load_for_job(db: &Db, payload: &Value) -> Result<Option<Pending>, JobError> {
    let id = payload
        .get("message")
        .and_then(Value::as_str)
        .ok_or_else(|| JobError::permanent("job payload names no message"))?;
    let row: Option<(String, String, Option<String>)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT state, recipient, content FROM notify_outbox WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
    .map_err(|e| JobError::transient(StorageError::from(e).to_string()))?;
    match row {
        None => Err(JobError::permanent(format!("message {id} is not in the outbox"))),
        Some((state, _, _)) if state != "queued" => Ok(None),
        Some((_, _, None)) => Err(JobError::permanent(format!("message {id} has no content"))),
        Some((_, recipient, Some(content))) => Ok(Some(Pending {
            id: id.to_owned(),
            recipient,
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

/// How many messages each channel has in each state, for the staff's page.
pub async fn counts(db: &Db) -> Result<Vec<(String, String, i64)>, StorageError> {
    let rows = read_pool!(db, |pool| {
        sqlx::query_as::<_, (String, String, i64)>(
        "SELECT channel, state, COUNT(*) FROM notify_outbox GROUP BY channel, state ORDER BY channel, state"
    )
    .fetch_all(pool)
    .await
    })?;
    Ok(rows)
}

/// A message whose job is dead: refused for good, or out of attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub id: String,
    pub channel: String,
    /// As stored (an address, an E.164 number, a device id): mask it before showing it.
    pub recipient: String,
    /// The outbox's state: `failed` (refused for good) or `queued` (out of attempts).
    pub state: String,
    pub last_error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub created_at: i64,
    /// The text is still there, so the message can be sent again. A refused message's text
    /// is deleted (it may hold half a PIN): the service that wrote it must send it again.
    pub retryable: bool,
}

/// Dead notification jobs with their messages, newest first.
pub async fn dead_letters(db: &Db, limit: i64) -> Result<Vec<DeadLetter>, StorageError> {
    // Every message's job has the dedupe key `notifiche:<message id>`: substr(…, 11) is the id,
    // so the outbox is reached through its primary key.
    let rows = read_pool!(db, |pool| sqlx::query_as::<
        _,
        (String, String, String, String, Option<String>, i32, i32, i64, i64),
    >(
        "SELECT o.id, o.channel, o.recipient, o.state, COALESCE(j.last_error, o.last_error),
                j.attempts, j.max_attempts, o.created_at,
                CAST(CASE WHEN o.content IS NULL THEN 0 ELSE 1 END AS BIGINT)
           FROM jobs j JOIN notify_outbox o ON o.id = substr(j.dedupe_key, 11)
          WHERE j.state = 'dead' AND j.kind IN ($1, $2, $3)
          ORDER BY j.finished_at DESC, o.created_at DESC
          LIMIT $4"
    )
    .bind(super::JOB_EMAIL)
    .bind(super::JOB_SMS)
    .bind(super::JOB_PUSH)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, channel, recipient, state, last_error, attempts, max_attempts, created_at, content)| {
                DeadLetter {
                    id,
                    channel,
                    recipient,
                    state,
                    last_error,
                    attempts,
                    max_attempts,
                    created_at,
                    retryable: content == 1,
                }
            },
        )
        .collect())
}

/// What asking to send a dead message again did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Back in the queue with fresh attempts.
    Requeued,
    /// Its text was deleted when it was refused: it cannot be sent again from here.
    NoText,
    /// Not a dead message (unknown, already sent, or already back in the queue).
    NotDead,
}

/// Puts a dead message back in the queue (staff action).
pub async fn retry(db: &Db, message_id: &str) -> Result<Retry, StorageError> {
    let key = format!("notifiche:{message_id}");
    let row: Option<(String, String, i64)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT j.id, j.state, CAST(CASE WHEN o.content IS NULL THEN 0 ELSE 1 END AS BIGINT)
           FROM jobs j JOIN notify_outbox o ON o.id = $1
          WHERE j.dedupe_key = $2"
    )
    .bind(message_id)
    .bind(&key)
    .fetch_optional(pool)
    .await)?;
    match row {
        Some((job, state, content)) if state == "dead" => {
            if content == 0 {
                return Ok(Retry::NoText);
            }
            if crate::jobs::queue::retry_dead(db, &job).await? {
                Ok(Retry::Requeued)
            } else {
                Ok(Retry::NotDead)
            }
        }
        _ => Ok(Retry::NotDead),
    }
}

/// A recipient as staff see it: enough to recognise, not to copy.
/// `mario.rossi@example.it` → `m•••@example.it`, `+393471234567` → `+39 347 •••• 67`, a push
/// device → `app •••• <last 4 of its id>`.
pub fn mask_recipient(channel: &str, recipient: &str) -> String {
    match channel {
        "email" => match recipient.rsplit_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}•••@{domain}")
            }
            None => "•••".to_owned(),
        },
        "sms" => {
            let national = recipient.strip_prefix("+39").unwrap_or(recipient);
            let chars: Vec<char> = national.chars().collect();
            if chars.len() >= 6 {
                let head: String = chars[..3].iter().collect();
                let tail: String = chars[chars.len() - 2..].iter().collect();
                format!("+39 {head} •••• {tail}")
            } else {
                "+39 ••••".to_owned()
            }
        }
        _ => {
            let chars: Vec<char> = recipient.chars().collect();
            let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
            format!("app •••• {tail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_masked() {
        assert_eq!(
            mask_recipient("email", "mario.rossi@example.it"),
            "m•••@example.it"
        );
        assert_eq!(mask_recipient("email", "not-an-address"), "•••");
        assert_eq!(mask_recipient("sms", "+393471234567"), "+39 347 •••• 67");
        assert_eq!(mask_recipient("sms", "+39123"), "+39 ••••");
        assert_eq!(
            mask_recipient("push", "0193aaaa-bbbb-7ccc-8ddd-eeeeffff1a2b"),
            "app •••• 1a2b"
        );
        for (channel, raw) in [("email", "mario.rossi@example.it"), ("sms", "+393471234567")] {
            let masked = mask_recipient(channel, raw);
            assert!(!masked.contains("rossi") && !masked.contains("12345"), "{masked}");
        }
    }
}
