//! SMS through an HTTP gateway, and Italian mobile numbers.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{NotifyError, check_text, outbox};
use crate::config::{Config, SmsGatewayConfig};
use crate::jobs::{JobError, runner::JobResult};
use crate::storage::Db;

/// An Italian mobile number in E.164 form (`+393331234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileNumberError {
    #[error("the number is empty")]
    Empty,
    #[error("the number may contain only digits, spaces, dashes, dots and a leading + or 00")]
    BadCharacters,
    #[error("only Italian numbers (+39) are accepted")]
    NotItalian,
    #[error("an Italian mobile number starts with 3 and has 9 or 10 digits")]
    NotMobile,
}

impl MobileNumber {
    /// Parses what a person types: `+39 333 123 4567`, `0039 333-1234567`, `3331234567`,
    /// `(+39) 333.123.4567`. Italian mobile numbers only.
    pub fn parse(raw: &str) -> Result<Self, MobileNumberError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        let mut compact = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => compact.push(c),
                '+' if i == 0 || (i == 1 && trimmed.starts_with('(')) => compact.push(c),
                ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(MobileNumberError::BadCharacters),
            }
        }
        let national = if let Some(rest) = compact.strip_prefix('+') {
            rest.strip_prefix("39").ok_or(MobileNumberError::NotItalian)?
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.strip_prefix("39").ok_or(MobileNumberError::NotItalian)?
        } else {
            compact.as_str()
        };
        if !national.starts_with('3') || !(9..=10).contains(&national.len()) {
            return Err(MobileNumberError::NotMobile);
        }
        Ok(Self(format!("+39{national}")))
    }

    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MobileNumber {
    type Error = MobileNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MobileNumber> for String {
    fn from(number: MobileNumber) -> Self {
        number.0
    }
}

/// An SMS: a checked number and a short text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sms {
    pub to: MobileNumber,
    pub text: String,
}

impl Sms {
    pub(super) fn check(&self) -> Result<(), NotifyError> {
        // Gateways split long texts; a PIN message is well under this.
        if check_text(&self.text, 640, true) {
            Ok(())
        } else {
            Err(NotifyError::BadMessage(
                "an SMS must have 1 to 640 characters without control characters",
            ))
        }
    }
}

/// How SMS leave this node.
#[derive(Clone, Debug)]
pub(super) struct Sender {
    gateway: Option<SmsGatewayConfig>,
    log_fallback: bool,
}

impl Sender {
    pub(super) fn new(config: &Config) -> Self {
        let notify = &config.notify;
        if notify.sms.is_none() && notify.log_fallback {
            tracing::warn!(
                "sms_gateway_url is not set: SMS will be WRITTEN TO THE LOG, not sent (notify_log_fallback)"
            );
        }
        Self {
            gateway: notify.sms.clone(),
            log_fallback: notify.log_fallback,
        }
    }

    pub(super) async fn run_job(&self, db: &Db, payload: &Value) -> JobResult {
        let Some(pending) = outbox::load_for_job(db, payload).await? else {
            return Ok(());
        };
        let outcome = match serde_json::from_str::<Sms>(&pending.content) {
            Ok(sms) => self.send(&pending.id, &sms).await,
            Err(err) => Err(JobError::permanent(format!("unreadable message: {err}"))),
        };
        outbox::settle(db, &pending.id, outcome).await
    }

    async fn send(&self, id: &str, sms: &Sms) -> JobResult {
        let Some(gateway) = &self.gateway else {
            if self.log_fallback {
                tracing::warn!(
                    message_id = id,
                    to = %sms.to,
                    text = %sms.text,
                    "SMS NOT SENT, written to the log instead (sms_gateway_url unset, notify_log_fallback on)"
                );
                return Ok(());
            }
            return Err(JobError::transient(
                "sms_gateway_url is not set: the SMS cannot be sent",
            ));
        };
        let client = reqwest::Client::builder()
            .timeout(gateway.timeout)
            .build()
            .map_err(|e| JobError::transient(format!("HTTP client: {e}")))?;
        let mut request = client
            .post(&gateway.url)
            // The gateway can drop a repeat of the same message (a retry after a lost answer).
            .header("Idempotency-Key", id)
            .json(&json!({ "to": sms.to.as_str(), "text": sms.text, "reference": id }));
        if let Some(token) = &gateway.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| JobError::transient(format!("SMS gateway unreachable: {e}")))?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(message_id = id, %status, "SMS accepted by the gateway");
            Ok(())
        } else if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(JobError::permanent(format!(
                "SMS gateway refused the message: {status}"
            )))
        } else {
            Err(JobError::transient(format!("SMS gateway answered {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_mobile_numbers_become_e164() {
        for (raw, want) in [
            ("3331234567", "+393331234567"),
            ("333 123 4567", "+393331234567"),
            ("+39 333 123 4567", "+393331234567"),
            ("+393331234567", "+393331234567"),
            ("0039 333-1234567", "+393331234567"),
            ("(+39) 333.123.4567", "+393331234567"),
            ("  347/1234567 ", "+393471234567"),
            ("333 123456", "+39333123456"),
        ] {
            assert_eq!(MobileNumber::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn other_numbers_are_refused_with_a_reason() {
        use MobileNumberError::*;
        for (raw, why) in [
            ("", Empty),
            ("   ", Empty),
            ("+44 7700 900123", NotItalian),
            ("0044 7700900123", NotItalian),
            ("06 1234 5678", NotMobile),
            ("+39 06 12345678", NotMobile),
            ("333 12345", NotMobile),
            ("333 1234 56789", NotMobile),
            ("333-CALL-ME", BadCharacters),
            ("333+1234567", BadCharacters),
        ] {
            assert_eq!(MobileNumber::parse(raw), Err(why), "{raw}");
        }
    }

    #[test]
    fn numbers_deserialise_only_when_valid() {
        let ok: Sms = serde_json::from_str(r#"{"to":"333 1234567","text":"ciao"}"#).unwrap();
        assert_eq!(ok.to.as_str(), "+393331234567");
        assert!(serde_json::from_str::<Sms>(r#"{"to":"06 123","text":"ciao"}"#).is_err());
    }
}
