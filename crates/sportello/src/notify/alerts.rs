//! Telling a citizen that something waits for them, on the channels they chose.
//!
//! The words come from Fluent (`locales/{it,en}/notifiche.ftl`, ids `notifiche-alert-*`), in
//! the citizen's language; the email's HTML part is the askama template
//! `templates/notify/alert_email.html` around those words. A message never carries personal
//! data (no name, no codice fiscale, not even the subject of the letter): only "you have a new
//! message" and a link to the mailbox, so a message read by someone else, or kept by a mail
//! provider, tells nothing.

use std::sync::OnceLock;

use askama::Template;

use super::preferences::{self, Contacts};
use super::push::Push;
use super::{Email, MobileNumber, NotifyError, Sms};
use crate::config::Config;
use crate::http::i18n::{I18n, Lang, Message};
use crate::storage::Db;

/// What happened. More may come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// A new letter in the mailbox.
    NewMessage,
    /// An answer to the citizen's question.
    QuestionAnswered,
    /// News about one of the citizen's applications.
    ApplicationStatus,
}

impl Alert {
    pub const ALL: [Alert; 3] = [
        Alert::NewMessage,
        Alert::QuestionAnswered,
        Alert::ApplicationStatus,
    ];

    fn ids(self) -> (&'static str, &'static str) {
        match self {
            Self::NewMessage => (
                "notifiche-alert-new-message-subject",
                "notifiche-alert-new-message-text",
            ),
            Self::QuestionAnswered => (
                "notifiche-alert-question-answered-subject",
                "notifiche-alert-question-answered-text",
            ),
            Self::ApplicationStatus => (
                "notifiche-alert-application-status-subject",
                "notifiche-alert-application-status-text",
            ),
        }
    }
}

/// Where every alert points: the mailbox, behind the login.
pub const MAILBOX_PATH: &str = "/area-personale/cassetta";

/// The texts of one alert in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sms: String,
    pub push_title: String,
    pub push_body: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "notify/alert_email.html")]
struct AlertEmail<'a> {
    lang: &'a str,
    subject: &'a str,
    headline: &'a str,
    read: &'a str,
    link: &'a str,
    open: &'a str,
    footer: &'a str,
}

fn messages() -> Result<&'static I18n, NotifyError> {
    static MESSAGES: OnceLock<Option<I18n>> = OnceLock::new();
    MESSAGES
        .get_or_init(|| {
            I18n::load()
                .inspect_err(|e| tracing::error!(error = %e, "notification texts cannot be loaded"))
                .ok()
        })
        .as_ref()
        .ok_or(NotifyError::BadMessage("the notification texts cannot be loaded"))
}

/// The site's public address, without a trailing slash: `public_url`, else the bound address.
pub fn base_url(config: &Config) -> String {
    match &config.public_url {
        Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => format!("http://{}", config.bind),
    }
}

/// Renders `alert` in `lang`. Takes nothing about the person: nothing about them can leak.
pub fn render(alert: Alert, lang: Lang, base_url: &str, institution: &str) -> Result<Rendered, NotifyError> {
    let i18n = messages()?;
    let (subject_id, text_id) = alert.ids();
    let link = format!("{base_url}{MAILBOX_PATH}");
    let subject = format!("{}: {}", institution, i18n.get(lang, subject_id));
    let headline = i18n.get(lang, text_id);
    let read = i18n.get(lang, "notifiche-alert-read");
    let footer = Message::new("notifiche-alert-footer")
        .arg("institution", institution)
        .text(i18n, lang);
    let text = format!("{headline}\n\n{read}\n{link}\n\n-- \n{footer}\n");
    let html = AlertEmail {
        lang: lang.code(),
        subject: &subject,
        headline: &headline,
        read: &read,
        link: &link,
        open: &i18n.get(lang, "notifiche-alert-open"),
        footer: &footer,
    }
    .render()
    .map_err(|_| NotifyError::BadMessage("the email template cannot be rendered"))?;
    let sms = format!("{institution}: {headline} {link}");
    Ok(Rendered {
        subject,
        push_title: i18n.get(lang, subject_id),
        push_body: headline.clone(),
        text,
        html,
        sms,
        link,
    })
}

/// Tells a citizen that something waits for them, on each channel they chose (email by
/// default when an address is on file), from templates in their language: text (+ HTML for
/// email) that carries NO personal data, only a link to the mailbox. Enqueued in the outbox:
/// returns at once, whatever the state of the mail server or the gateways.
///
/// A channel whose contact turns out unusable (an address the mail library refuses) is
/// skipped with a warning; the others still go.
pub async fn alert(db: &Db, config: &Config, account_id: &str, alert: Alert) -> Result<(), NotifyError> {
    let contacts = preferences::contacts(db, account_id).await?;
    let choice = preferences::effective(db, account_id, &contacts).await?;
    let rendered = render(alert, choice.lang, &base_url(config), &config.institution_name)?;
    let Contacts { email, mobile } = contacts;
    if choice.email
        && let Some(to) = email
    {
        let queued = super::enqueue_email(
            db,
            &Email {
                to,
                subject: rendered.subject.clone(),
                text_body: rendered.text.clone(),
                html_body: Some(rendered.html.clone()),
            },
        )
        .await;
        skip_unusable(queued, account_id, "email")?;
    }
    if choice.sms
        && let Some(number) = mobile
    {
        match MobileNumber::parse(&number) {
            Ok(to) => {
                let queued = super::enqueue_sms(
                    db,
                    &Sms {
                        to,
                        text: rendered.sms.clone(),
                    },
                )
                .await;
                skip_unusable(queued, account_id, "sms")?;
            }
            Err(err) => tracing::warn!(account = account_id, error = %err, "mobile on file unusable: no SMS"),
        }
    }
    if choice.push {
        for device in super::devices::of_account(db, account_id).await? {
            let queued = super::enqueue_push(
                db,
                &Push {
                    device_id: device.id,
                    token: device.token,
                    platform: device.platform,
                    title: rendered.push_title.clone(),
                    body: rendered.push_body.clone(),
                    link: rendered.link.clone(),
                },
            )
            .await;
            skip_unusable(queued, account_id, "push")?;
        }
    }
    Ok(())
}

/// Storage errors go back to the caller; a contact that cannot be used is logged and skipped.
fn skip_unusable(
    queued: Result<String, NotifyError>,
    account_id: &str,
    channel: &str,
) -> Result<(), NotifyError> {
    match queued {
        Ok(_) => Ok(()),
        Err(NotifyError::Storage(err)) => Err(NotifyError::Storage(err)),
        Err(err) => {
            tracing::warn!(account = account_id, channel, error = %err, "contact unusable: alert not sent on this channel");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_carry_the_link_and_no_personal_data_in_both_languages() {
        let base = "https://servizi.example.it";
        for lang in Lang::ALL {
            for alert in Alert::ALL {
                let r = render(alert, lang, base, "INPS").unwrap();
                let link = "https://servizi.example.it/area-personale/cassetta";
                assert_eq!(r.link, link);
                for (part, text) in [
                    ("subject", &r.subject),
                    ("text", &r.text),
                    ("html", &r.html),
                    ("sms", &r.sms),
                    ("push title", &r.push_title),
                    ("push body", &r.push_body),
                ] {
                    assert!(!text.trim().is_empty(), "{lang:?} {alert:?} {part}");
                    // render() is given nothing about the person; these guard against a
                    // template that grows a placeholder for them.
                    for personal in ["{", "$", "Mario", "Rossi", "RSSMRA"] {
                        assert!(!text.contains(personal), "{lang:?} {alert:?} {part}: {text}");
                    }
                }
                for (part, text) in [("text", &r.text), ("html", &r.html), ("sms", &r.sms)] {
                    assert!(text.contains(link), "{lang:?} {alert:?} {part} has the link");
                }
                assert!(r.html.contains(&format!("href=\"{link}\"")), "{}", r.html);
                assert!(r.html.contains(&format!("lang=\"{}\"", lang.code())));
                assert!(r.sms.chars().count() <= 160, "one SMS: {}", r.sms);
                assert!(r.subject.lines().count() == 1);
            }
        }
        let it = render(Alert::NewMessage, Lang::It, base, "INPS").unwrap();
        let en = render(Alert::NewMessage, Lang::En, base, "INPS").unwrap();
        assert!(it.text.contains("nuovo messaggio"), "{}", it.text);
        assert!(en.text.contains("new message"), "{}", en.text);
    }

    #[test]
    fn the_institution_name_is_escaped_in_html() {
        let r = render(Alert::NewMessage, Lang::It, "https://x.example", "A <b>&</b> B").unwrap();
        assert!(!r.html.contains("<b>"), "{}", r.html);
    }
}
