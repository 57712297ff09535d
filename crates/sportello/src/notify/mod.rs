//! Delivery channels: email (SMTP), SMS and app push (HTTP gateways), sent by background jobs;
//! citizens' channel choices ([`preferences`]), their phones ([`devices`]), and the alerts
//! that tell them something waits in their mailbox ([`alerts`]).
//!
//! A caller enqueues a message ([`enqueue_email`], [`enqueue_sms`], [`enqueue_push`]) and gets its id at once;
//! the message waits in the `notify_outbox` table and a job sends it, retried with backoff
//! while the server or gateway is unreachable or answers "try later", buried at once when it
//! refuses the message for good. Once sent (or refused), the message's text is cleared from
//! the database, so secrets such as half a PIN do not stay there. See docs/architecture.md.

pub mod alerts;
pub mod api;
pub mod devices;
pub mod mail;
pub mod outbox;
pub mod pages;
pub mod preferences;
pub mod push;
pub mod sms;
mod smtp;

pub use mail::Email;
pub use outbox::{Delivery, DeliveryState};
pub use push::{Platform, Push};
pub use sms::{MobileNumber, Sms};

use crate::config::Config;
use crate::jobs::Handlers;
use crate::storage::{Db, StorageError};

/// Job kind: send one email of the outbox.
pub const JOB_EMAIL: &str = "notifiche.email";
/// Job kind: send one SMS of the outbox.
pub const JOB_SMS: &str = "notifiche.sms";
/// Job kind: send one app push notification of the outbox.
pub const JOB_PUSH: &str = "notifiche.push";

/// Why a message could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The recipient is not a usable email address (caller's input).
    #[error("not a valid email address: {0}")]
    BadAddress(String),
    /// Subject or text is empty or too long, or holds control characters.
    #[error("invalid message: {0}")]
    BadMessage(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Queues an email; it is sent by a job. Returns the message id (see [`delivery`]).
pub async fn enqueue_email(db: &Db, email: &Email) -> Result<String, NotifyError> {
    email.check()?;
    let content = serde_json::to_string(email)
        .map_err(|_| NotifyError::BadMessage("the message cannot be serialised"))?;
    outbox::enqueue(db, outbox::Channel::Email, email.to.trim(), &content).await
}

/// Queues an SMS; it is sent by a job. Returns the message id (see [`delivery`]).
pub async fn enqueue_sms(db: &Db, sms: &Sms) -> Result<String, NotifyError> {
    sms.check()?;
    let content = serde_json::to_string(sms)
        .map_err(|_| NotifyError::BadMessage("the message cannot be serialised"))?;
    outbox::enqueue(db, outbox::Channel::Sms, sms.to.as_str(), &content).await
}

/// Queues a push notification to one device; it is sent by a job. Returns the message id.
pub async fn enqueue_push(db: &Db, push: &Push) -> Result<String, NotifyError> {
    push.check()?;
    let content = serde_json::to_string(push)
        .map_err(|_| NotifyError::BadMessage("the message cannot be serialised"))?;
    outbox::enqueue(db, outbox::Channel::Push, &push.device_id, &content).await
}

/// Where a message stands: queued, sent or failed (with the last error), or `None` if unknown.
pub async fn delivery(db: &Db, message_id: &str) -> Result<Option<Delivery>, StorageError> {
    outbox::find(db, message_id).await
}

/// Registers the email, SMS and push job handlers.
pub fn register_handlers(handlers: &mut Handlers, config: &Config) {
    let mail = mail::Sender::new(config);
    handlers.register(JOB_EMAIL, move |ctx, payload| {
        let mail = mail.clone();
        async move { mail.run_job(&ctx.db, &payload).await }
    });
    let sms = sms::Sender::new(config);
    handlers.register(JOB_SMS, move |ctx, payload| {
        let sms = sms.clone();
        async move { sms.run_job(&ctx.db, &payload).await }
    });
    let push = push::Sender::new(config);
    handlers.register(JOB_PUSH, move |ctx, payload| {
        let push = push.clone();
        async move { push.run_job(&ctx.db, &payload).await }
    });
}

/// Checks a subject or text: non-empty, bounded, no control characters but line breaks and tabs.
fn check_text(text: &str, max_chars: usize, multiline: bool) -> bool {
    let count = text.chars().count();
    !text.trim().is_empty()
        && count <= max_chars
        && text
            .chars()
            .all(|c| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t')))
}
