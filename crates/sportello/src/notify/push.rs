//! App push notifications through an HTTP gateway (the service that speaks to FCM / APNs),
//! the same way SMS go out: a JSON `POST` with a bearer token and an `Idempotency-Key`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{NotifyError, check_text, outbox};
use crate::config::{Config, SmsGatewayConfig};
use crate::jobs::{JobError, runner::JobResult};
use crate::storage::Db;

/// A phone's platform, as the app reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Android,
    Ios,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Ios => "ios",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "android" => Some(Self::Android),
            "ios" => Some(Self::Ios),
            _ => None,
        }
    }
}

/// One push notification to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// The `push_devices` row it goes to (the outbox's recipient).
    pub device_id: String,
    /// The token the platform's push service gave the app.
    pub token: String,
    pub platform: Platform,
    pub title: String,
    pub body: String,
    /// Where the app (or the browser) opens when the notification is tapped.
    pub link: String,
}

impl Push {
    pub(super) fn check(&self) -> Result<(), NotifyError> {
        if !check_text(&self.token, 4096, false) || self.token.contains(char::is_whitespace) {
            return Err(NotifyError::BadMessage(
                "a push token is 1 to 4096 characters without spaces",
            ));
        }
        if !check_text(&self.title, 100, false) || !check_text(&self.body, 400, true) {
            return Err(NotifyError::BadMessage(
                "a push needs a title of 1 to 100 and a text of 1 to 400 characters",
            ));
        }
        if !(self.link.starts_with("https://")
            || self.link.starts_with("http://")
            || self.link.starts_with('/'))
            || !check_text(&self.link, 2000, false)
        {
            return Err(NotifyError::BadMessage("a push link must be a URL"));
        }
        Ok(())
    }
}

/// How push notifications leave this node.
#[derive(Clone, Debug)]
pub(super) struct Sender {
    gateway: Option<SmsGatewayConfig>,
    log_fallback: bool,
    /// One client (and its connection pool) for every send.
    client: Option<reqwest::Client>,
}

impl Sender {
    pub(super) fn new(config: &Config) -> Self {
        let notify = &config.notify;
        if notify.push.is_none() && notify.log_fallback {
            tracing::warn!(
                "push_gateway_url is not set: push notifications will be WRITTEN TO THE LOG, not sent (notify_log_fallback)"
            );
        }
        let client = notify.push.as_ref().and_then(|gateway| {
            reqwest::Client::builder()
                .timeout(gateway.timeout)
                .build()
                .inspect_err(|e| tracing::warn!(error = %e, "cannot build the push gateway's HTTP client"))
                .ok()
        });
        Self {
            gateway: notify.push.clone(),
            log_fallback: notify.log_fallback,
            client,
        }
    }

    pub(super) async fn run_job(&self, db: &Db, payload: &Value) -> JobResult {
        let Some(pending) = outbox::load_for_job(db, payload).await? else {
            return Ok(());
        };
        let outcome = match serde_json::from_str::<Push>(&pending.content) {
            Ok(push) => self.send(&pending.id, &push).await,
            Err(err) => Err(JobError::permanent(format!("unreadable message: {err}"))),
        };
        if outcome.is_ok() {
            super::devices::touch(db, &pending.recipient).await;
        }
        outbox::settle(db, &pending.id, outcome).await
    }

    async fn send(&self, id: &str, push: &Push) -> JobResult {
        let Some(gateway) = &self.gateway else {
            if self.log_fallback {
                tracing::warn!(
                    message_id = id,
                    device = %push.device_id,
                    title = %push.title,
                    body = %push.body,
                    "push NOT SENT, written to the log instead (push_gateway_url unset, notify_log_fallback on)"
                );
                return Ok(());
            }
            return Err(JobError::transient(
                "push_gateway_url is not set: the notification cannot be sent",
            ));
        };
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| JobError::transient("the push gateway's HTTP client could not be built"))?;
        let mut request = client
            .post(&gateway.url)
            // The gateway can drop a repeat of the same notification (a retry after a lost answer).
            .header("Idempotency-Key", id)
            .json(&json!({
                "token": push.token,
                "platform": push.platform.as_str(),
                "title": push.title,
                "body": push.body,
                "link": push.link,
                "reference": id,
            }));
        if let Some(token) = &gateway.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| JobError::transient(format!("push gateway unreachable: {e}")))?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(message_id = id, %status, "push accepted by the gateway");
            Ok(())
        } else if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            // E.g. 404/410: the app was uninstalled and its token is dead.
            Err(JobError::permanent(format!(
                "push gateway refused the notification: {status}"
            )))
        } else {
            Err(JobError::transient(format!("push gateway answered {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push() -> Push {
        Push {
            device_id: "d1".to_owned(),
            token: "fcm:abc123".to_owned(),
            platform: Platform::Android,
            title: "Nuovo messaggio".to_owned(),
            body: "Hai un nuovo messaggio nella cassetta postale.".to_owned(),
            link: "https://servizi.example.it/area-personale/cassetta".to_owned(),
        }
    }

    #[test]
    fn pushes_are_checked() {
        assert!(push().check().is_ok());
        for bad in [
            Push {
                token: "a b".to_owned(),
                ..push()
            },
            Push {
                title: String::new(),
                ..push()
            },
            Push {
                body: "x".repeat(401),
                ..push()
            },
            Push {
                link: "javascript:alert(1)".to_owned(),
                ..push()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        assert_eq!(Platform::parse("ios"), Some(Platform::Ios));
        assert_eq!(Platform::parse("windows"), None);
    }
}
