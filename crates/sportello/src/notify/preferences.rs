//! Which channels a citizen wants to be told on, and in which language.
//!
//! No row means the defaults: email when an address is on file, messages in Italian.

use crate::http::i18n::Lang;
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// The contacts on file (from the registration profile).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    pub email: Option<String>,
    /// E.164.
    pub mobile: Option<String>,
}

/// A citizen's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub email: bool,
    pub sms: bool,
    pub push: bool,
    pub lang: Lang,
}

impl Preferences {
    /// What a citizen who never chose gets.
    pub fn default_for(contacts: &Contacts) -> Self {
        Self {
            email: contacts.email.is_some(),
            sms: false,
            push: false,
            lang: Lang::It,
        }
    }
}

/// Why a choice cannot be saved; each names the form field it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Email chosen, but no address on file.
    NoEmail,
    /// SMS chosen, but no mobile number on file.
    NoMobile,
    /// App chosen, but no phone has registered the app.
    NoDevice,
}

impl Refusal {
    /// The form field and the Fluent id of the message.
    pub fn field_and_message(self) -> (&'static str, &'static str) {
        match self {
            Self::NoEmail => ("email", "notifiche-error-no-email"),
            Self::NoMobile => ("sms", "notifiche-error-no-mobile"),
            Self::NoDevice => ("push", "notifiche-error-no-device"),
        }
    }
}

/// Checks a choice against what is on file. Choosing nothing is allowed: the citizen then
/// finds messages only by visiting the mailbox.
pub fn check(choice: &Preferences, contacts: &Contacts, devices: usize) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    if choice.email && contacts.email.is_none() {
        refusals.push(Refusal::NoEmail);
    }
    if choice.sms && contacts.mobile.is_none() {
        refusals.push(Refusal::NoMobile);
    }
    if choice.push && devices == 0 {
        refusals.push(Refusal::NoDevice);
    }
    refusals
}

/// The contacts the citizen gave at registration (none for accounts without a profile).
pub async fn contacts(db: &Db, account_id: &str) -> Result<Contacts, StorageError> {
    let row: Option<(Option<String>, Option<String>)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT email, mobile FROM citizen_profiles WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(row.map_or_else(Contacts::default, |(email, mobile)| Contacts {
        email: clean(email),
        mobile: clean(mobile),
    }))
}

/// The stored choice, if the citizen made one.
pub async fn stored(db: &Db, account_id: &str) -> Result<Option<Preferences>, StorageError> {
    let row: Option<(i64, i64, i64, String)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT email, sms, push, lang FROM notification_preferences WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(email, sms, push, lang)| Preferences {
        email: email == 1,
        sms: sms == 1,
        push: push == 1,
        lang: Lang::parse(&lang).unwrap_or_default(),
    }))
}

/// The choice in force: the stored one, or the defaults.
pub async fn effective(db: &Db, account_id: &str, contacts: &Contacts) -> Result<Preferences, StorageError> {
    Ok(stored(db, account_id)
        .await?
        .unwrap_or_else(|| Preferences::default_for(contacts)))
}

/// Saves a (checked) choice.
pub async fn save(db: &Db, account_id: &str, choice: &Preferences) -> Result<(), StorageError> {
    let flag = |b: bool| i64::from(b);
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO notification_preferences (account_id, email, sms, push, lang, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id) DO UPDATE SET email = excluded.email, sms = excluded.sms,
             push = excluded.push, lang = excluded.lang, updated_at = excluded.updated_at"
    )
    .bind(account_id)
    .bind(flag(choice.email))
    .bind(flag(choice.sms))
    .bind(flag(choice.push))
    .bind(choice.lang.code())
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_contacts_on_file() {
        let none = Contacts::default();
        assert!(!Preferences::default_for(&none).email);
        let with_email = Contacts {
            email: Some("a@example.it".to_owned()),
            mobile: None,
        };
        let defaults = Preferences::default_for(&with_email);
        assert!(defaults.email && !defaults.sms && !defaults.push);
        assert_eq!(defaults.lang, Lang::It);
    }

    #[test]
    fn channels_need_a_contact() {
        let contacts = Contacts {
            email: Some("a@example.it".to_owned()),
            mobile: None,
        };
        let all = Preferences {
            email: true,
            sms: true,
            push: true,
            lang: Lang::En,
        };
        assert_eq!(
            check(&all, &contacts, 0),
            vec![Refusal::NoMobile, Refusal::NoDevice]
        );
        assert!(
            check(
                &all,
                &Contacts {
                    mobile: Some("+393331234567".to_owned()),
                    ..contacts
                },
                1
            )
            .is_empty()
        );
        let nothing = Preferences {
            email: false,
            sms: false,
            push: false,
            lang: Lang::It,
        };
        assert!(check(&nothing, &Contacts::default(), 0).is_empty());
    }
}
