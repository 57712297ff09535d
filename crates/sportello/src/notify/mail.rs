//! Email through SMTP (lettre): plain UTF-8 text, optionally with an HTML alternative, sent
//! by a job over a pool of SMTP connections shared by every send of this node.

use std::sync::{Arc, OnceLock};

use lettre::Address;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message, MultiPart};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{NotifyError, check_text, outbox, smtp};
use crate::config::{Config, SmtpConfig};
use crate::jobs::{JobError, runner::JobResult};
use crate::storage::Db;

/// An email: plain text (UTF-8), usually Italian, and optionally the same text as HTML
/// (then sent as `multipart/alternative`: the reader's program shows one of the two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The recipient's address, e.g. `mario.rossi@example.it`.
    pub to: String,
    pub subject: String,
    pub text_body: String,
    /// A complete HTML document; `None` sends plain text only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
}

impl Email {
    /// Checks the address and the text before anything is stored.
    pub(super) fn check(&self) -> Result<(), NotifyError> {
        parse_address(&self.to)?;
        if !check_text(&self.subject, 200, false) {
            return Err(NotifyError::BadMessage(
                "the subject must be one line of 1 to 200 characters",
            ));
        }
        if !check_text(&self.text_body, 100_000, true) {
            return Err(NotifyError::BadMessage(
                "the text must be 1 to 100000 characters without control characters",
            ));
        }
        if let Some(html) = &self.html_body
            && !check_text(html, 200_000, true)
        {
            return Err(NotifyError::BadMessage(
                "the HTML must be 1 to 200000 characters without control characters",
            ));
        }
        Ok(())
    }
}

/// Parses an email address (no display name).
pub fn parse_address(raw: &str) -> Result<Address, NotifyError> {
    raw.trim()
        .parse::<Address>()
        .map_err(|_| NotifyError::BadAddress(raw.chars().take(100).collect()))
}

/// How emails leave this node: SMTP, the log (development), or not at all (unconfigured).
#[derive(Clone, Debug)]
pub(super) struct Sender {
    smtp: Option<SmtpConfig>,
    from: Option<String>,
    log_fallback: bool,
    /// One pool of connections for every send of this node, kept open between messages
    /// (see `smtp.rs` for why it is not lettre's transport).
    pool: Arc<OnceLock<Result<smtp::Pool, String>>>,
    pool_size: usize,
}

impl Sender {
    pub(super) fn new(config: &Config) -> Self {
        let notify = &config.notify;
        if notify.smtp.is_none() {
            if notify.log_fallback {
                tracing::warn!(
                    "smtp_url is not set: emails will be WRITTEN TO THE LOG, not sent (notify_log_fallback)"
                );
            } else {
                tracing::warn!("smtp_url is not set: emails will wait in the queue and fail until it is");
            }
        }
        Self {
            smtp: notify.smtp.clone(),
            from: notify.mail_from.clone(),
            log_fallback: notify.log_fallback,
            pool: Arc::default(),
            // As many idle connections as jobs can send at once on this node.
            pool_size: config.jobs_concurrency.clamp(1, 64),
        }
    }

    /// The job: loads the message, sends it, records the outcome.
    pub(super) async fn run_job(&self, db: &Db, payload: &Value) -> JobResult {
        let Some(pending) = outbox::load_for_job(db, payload).await? else {
            return Ok(());
        };
        let outcome = match serde_json::from_str::<Email>(&pending.content) {
            Ok(email) => self.send(&pending.id, &email).await,
            Err(err) => Err(JobError::permanent(format!("unreadable message: {err}"))),
        };
        outbox::settle(db, &pending.id, outcome).await
    }

    async fn send(&self, id: &str, email: &Email) -> JobResult {
        let Some(smtp) = &self.smtp else {
            if self.log_fallback {
                tracing::warn!(
                    message_id = id,
                    to = %email.to,
                    subject = %email.subject,
                    body = %email.text_body,
                    "email NOT SENT, written to the log instead (smtp_url unset, notify_log_fallback on)"
                );
                return Ok(());
            }
            return Err(JobError::transient(
                "smtp_url is not set: the email cannot be sent",
            ));
        };
        let from = self
            .from
            .as_deref()
            .ok_or_else(|| JobError::transient("mail_from is not set"))?
            .parse::<Mailbox>()
            .map_err(|e| JobError::transient(format!("mail_from: {e}")))?;
        let message = build_message(id, &from, email)?;
        let pool = self
            .pool
            .get_or_init(|| smtp::Pool::new(smtp, self.pool_size))
            .as_ref()
            .map_err(|e| JobError::transient(e.clone()))?;
        match pool.send(message.envelope(), &message.formatted()).await {
            Ok(response) => {
                tracing::info!(message_id = id, code = %response.code(), "email accepted by the mail server");
                Ok(())
            }
            // 5xx: the server refuses this message for good (unknown mailbox, policy).
            Err(err) if err.is_permanent() => {
                Err(JobError::permanent(format!("refused by the mail server: {err}")))
            }
            // 4xx, connection refused, timeout, TLS: try again later.
            Err(err) => Err(JobError::transient(format!("mail server: {err}"))),
        }
    }
}

/// The message as it goes on the wire. Its Message-ID is stable per outbox message, so a
/// retry after a lost acknowledgement can be recognised as the same email.
fn build_message(id: &str, from: &Mailbox, email: &Email) -> Result<Message, JobError> {
    let to = parse_address(&email.to).map_err(|e| JobError::permanent(e.to_string()))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(email.subject.clone())
        .message_id(Some(format!("<{id}@{}>", from.email.domain())))
        .date_now();
    let built = match &email.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text_body.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.text_body.clone()),
    };
    built.map_err(|e| JobError::permanent(format!("cannot build the email: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_utf8_plain_text_with_a_stable_id() {
        let from: Mailbox = "\"INPS Sportello\" <noreply@example.it>".parse().unwrap();
        let email = Email {
            to: "mario.rossi@example.it".to_owned(),
            subject: "Il tuo PIN: la prima metà".to_owned(),
            text_body: "Gentile Mario,\nècco la prima metà del PIN: AB12CD34.\n".to_owned(),
            html_body: None,
        };
        let message = build_message("0193-abc", &from, &email).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <0193-abc@example.it>"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        assert!(raw.contains("To: mario.rossi@example.it"), "{raw}");
    }

    #[test]
    fn an_html_part_makes_a_multipart_alternative() {
        let from: Mailbox = "noreply@example.it".parse().unwrap();
        let email = Email {
            to: "a@example.it".to_owned(),
            subject: "Nuovo messaggio".to_owned(),
            text_body: "Hai un nuovo messaggio.".to_owned(),
            html_body: Some("<p>Hai un nuovo messaggio.</p>".to_owned()),
        };
        let raw = String::from_utf8(build_message("id-1", &from, &email).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"), "{raw}");
        // Old queued messages (no html_body in their JSON) still read.
        let old: Email =
            serde_json::from_str(r#"{"to":"a@example.it","subject":"s","text_body":"t"}"#).unwrap();
        assert_eq!(old.html_body, None);
    }

    #[test]
    fn bad_addresses_and_texts_are_refused() {
        let good = Email {
            to: "a@example.it".to_owned(),
            subject: "Oggetto".to_owned(),
            text_body: "Testo".to_owned(),
            html_body: None,
        };
        assert!(good.check().is_ok());
        for to in ["", "non-un-indirizzo", "a@", "a b@example.it"] {
            let email = Email {
                to: to.to_owned(),
                ..good.clone()
            };
            assert!(matches!(email.check(), Err(NotifyError::BadAddress(_))), "{to}");
        }
        let two_lines = Email {
            subject: "riga\nBcc: x@example.it".to_owned(),
            ..good.clone()
        };
        assert!(matches!(two_lines.check(), Err(NotifyError::BadMessage(_))));
        let empty = Email {
            text_body: "  ".to_owned(),
            ..good
        };
        assert!(matches!(empty.check(), Err(NotifyError::BadMessage(_))));
    }
}
