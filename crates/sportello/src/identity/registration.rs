//! Asking for a PIN: registration of a new citizen (self-service), re-issue for a registered
//! one, issue by a contact-center operator over the phone, and by a procuratore for the citizen.
//!
//! Whatever the path, the first half goes to the citizen's own email or mobile (or is read out
//! by the operator who checked the caller's identity), the second half by post to the address
//! on file: nobody but the citizen ever holds both.

use jiff::civil::Date;

use super::accounts::{self, Account, Role};
use super::codice_fiscale::{CodiceFiscale, Part, PersonalData};
use super::pins::{self, Channel, Issued};
use crate::app::AppState;
use crate::audit::Entry;
use crate::letters::{self, Letter, LetterCode, PostalAddress};
use crate::notify::{self, Email, MobileNumber, Sms};
use crate::storage::{Db, StorageError, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// What a citizen told us about themselves.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Profile {
    pub account_id: String,
    pub given_name: String,
    pub surname: String,
    pub birth_date: String,
    pub birthplace_code: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub address_street: String,
    pub address_cap: String,
    pub address_comune: String,
    pub address_provincia: String,
}

impl Profile {
    /// Where a first half goes for this citizen: the email on file, else the mobile.
    pub fn first_half_channel(&self) -> Option<FirstHalfTo> {
        match (&self.email, &self.mobile) {
            (Some(email), _) => Some(FirstHalfTo::Email(email.clone())),
            (None, Some(mobile)) => MobileNumber::parse(mobile).ok().map(FirstHalfTo::Sms),
            _ => None,
        }
    }

    pub fn postal_address(&self) -> PostalAddress {
        PostalAddress {
            name: format!("{} {}", self.given_name, self.surname),
            street: self.address_street.clone(),
            cap: self.address_cap.clone(),
            comune: self.address_comune.clone(),
            provincia: self.address_provincia.clone(),
        }
    }
}

/// The profile of `account_id`, if the citizen registered one.
pub async fn profile(db: &Db, account_id: &str) -> Result<Option<Profile>, StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as::<_, Profile>(
        "SELECT account_id, given_name, surname, birth_date, birthplace_code, email, mobile,
                address_street, address_cap, address_comune, address_provincia
           FROM citizen_profiles WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// Why a PIN was asked for while new PINs are restricted (INPS, from 1 October 2020).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entitlement {
    /// Under 18: no SPID for minors.
    Minore,
    /// No Italian identity document, so no SPID.
    SenzaDocumento,
    /// Under guardianship (tutela, curatela, amministrazione di sostegno).
    Tutela,
}

impl Entitlement {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "minore" => Some(Self::Minore),
            "senza_documento" => Some(Self::SenzaDocumento),
            "tutela" => Some(Self::Tutela),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minore => "minore",
            Self::SenzaDocumento => "senza_documento",
            Self::Tutela => "tutela",
        }
    }
}

/// How the first half travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstHalfTo {
    Email(String),
    Sms(MobileNumber),
}

/// A registration, parsed: holding one means every field was checked.
#[derive(Debug, Clone)]
pub struct Registration {
    pub codice_fiscale: CodiceFiscale,
    pub given_name: String,
    pub surname: String,
    pub birth_date: Date,
    pub email: Option<String>,
    pub mobile: Option<MobileNumber>,
    pub channel: FirstHalfTo,
    pub address: PostalAddress,
    pub entitlement: Option<Entitlement>,
}

/// The raw form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RegistrationInput {
    pub codice_fiscale: Option<String>,
    pub nome: Option<String>,
    pub cognome: Option<String>,
    pub data_nascita: Option<String>,
    pub email: Option<String>,
    pub cellulare: Option<String>,
    pub canale: Option<String>,
    pub indirizzo: Option<String>,
    pub cap: Option<String>,
    pub comune: Option<String>,
    pub provincia: Option<String>,
    pub motivo: Option<String>,
}

/// One problem with a registration: the field and a message id (with arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: crate::http::i18n::Message,
}

fn problem(field: &'static str, id: &'static str) -> Problem {
    Problem {
        field,
        message: crate::http::i18n::Message::new(id),
    }
}

fn clean(value: Option<&String>, max: usize) -> Option<String> {
    let text = value?.trim();
    (!text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control))
        .then(|| text.to_owned())
}

/// Checks a registration form against itself and against the codice fiscale.
pub fn parse(input: &RegistrationInput, today: Date, restricted: bool) -> Result<Registration, Vec<Problem>> {
    let mut problems = Vec::new();
    let cf = match CodiceFiscale::parse(input.codice_fiscale.as_deref().unwrap_or_default()) {
        Ok(cf) => Some(cf),
        Err(err) => {
            problems.push(Problem {
                field: "codice_fiscale",
                message: crate::http::i18n::Message {
                    id: err.code(),
                    args: err.args(),
                },
            });
            None
        }
    };
    let given_name = clean(input.nome.as_ref(), 80);
    if given_name.is_none() {
        problems.push(problem("nome", "register-error-nome"));
    }
    let surname = clean(input.cognome.as_ref(), 80);
    if surname.is_none() {
        problems.push(problem("cognome", "register-error-cognome"));
    }
    let birth_date = input
        .data_nascita
        .as_deref()
        .and_then(|d| d.trim().parse::<Date>().ok())
        .filter(|d| *d <= today);
    if birth_date.is_none() {
        problems.push(problem("data_nascita", "register-error-data"));
    }
    // The claimed data must be the code's: a typo in either is caught here, not at the desk.
    if let (Some(cf), Some(given), Some(sur), Some(date)) = (&cf, &given_name, &surname, birth_date) {
        let data = PersonalData {
            surname: sur.clone(),
            given_name: given.clone(),
            sex: cf.sex(),
            birth_date: date,
            birthplace_code: cf.birthplace_code().to_owned(),
        };
        if let Err(mismatch) = cf.matches(&data) {
            for part in mismatch.parts {
                let (field, id) = match part {
                    Part::Surname => ("cognome", "register-mismatch-cognome"),
                    Part::GivenName => ("nome", "register-mismatch-nome"),
                    Part::BirthDate | Part::Sex => ("data_nascita", "register-mismatch-data"),
                    Part::Birthplace => ("codice_fiscale", "register-mismatch-luogo"),
                };
                problems.push(problem(field, id));
            }
        }
    }
    let email = clean(input.email.as_ref(), 254);
    if let Some(address) = &email
        && notify::mail::parse_address(address).is_err()
    {
        problems.push(problem("email", "register-error-email"));
    }
    let mobile = match clean(input.cellulare.as_ref(), 30) {
        None => None,
        Some(raw) => match MobileNumber::parse(&raw) {
            Ok(number) => Some(number),
            Err(_) => {
                problems.push(problem("cellulare", "register-error-cellulare"));
                None
            }
        },
    };
    let channel = match (input.canale.as_deref(), &email, &mobile) {
        (Some("sms"), _, Some(number)) => Some(FirstHalfTo::Sms(number.clone())),
        (Some("email") | None, Some(address), _) => Some(FirstHalfTo::Email(address.clone())),
        (None, None, Some(number)) => Some(FirstHalfTo::Sms(number.clone())),
        _ => None,
    };
    if channel.is_none() {
        problems.push(problem("canale", "register-error-canale"));
    }
    let street = clean(input.indirizzo.as_ref(), 60);
    if street.is_none() {
        problems.push(problem("indirizzo", "register-error-indirizzo"));
    }
    let cap = clean(input.cap.as_ref(), 5).filter(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit()));
    if cap.is_none() {
        problems.push(problem("cap", "register-error-cap"));
    }
    let comune = clean(input.comune.as_ref(), 50);
    if comune.is_none() {
        problems.push(problem("comune", "register-error-comune"));
    }
    let provincia = clean(input.provincia.as_ref(), 2)
        .map(|p| p.to_ascii_uppercase())
        .filter(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase()));
    if provincia.is_none() {
        problems.push(problem("provincia", "register-error-provincia"));
    }
    let entitlement = if restricted {
        let minor = birth_date.is_some_and(|born| {
            born.checked_add(jiff::Span::new().years(18))
                .is_ok_and(|adult| adult > today)
        });
        let declared = input.motivo.as_deref().and_then(Entitlement::parse);
        match (minor, declared) {
            (true, _) => Some(Entitlement::Minore),
            (false, Some(Entitlement::Minore)) | (false, None) => {
                problems.push(problem("motivo", "register-error-motivo"));
                None
            }
            (false, Some(reason)) => Some(reason),
        }
    } else {
        None
    };
    match (
        cf, given_name, surname, birth_date, channel, street, cap, comune, provincia,
    ) {
        (
            Some(cf),
            Some(given_name),
            Some(surname),
            Some(birth_date),
            Some(channel),
            Some(street),
            Some(cap),
            Some(comune),
            Some(provincia),
        ) if problems.is_empty() => {
            let address = PostalAddress {
                name: format!("{given_name} {surname}"),
                street,
                cap,
                comune,
                provincia,
            };
            Ok(Registration {
                codice_fiscale: cf,
                given_name,
                surname,
                birth_date,
                email,
                mobile,
                channel,
                address,
                entitlement,
            })
        }
        _ => Err(problems),
    }
}

/// What the person is told after asking: the same whether or not they were already registered
/// (nobody learns from this page who is a citizen here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new account and PIN, halves on their way.
    Registered,
    /// Already registered: a new PIN went to the contacts and address on file, or nothing
    /// could be sent (no profile). The page says the same as for `Registered`.
    AlreadyKnown,
}

/// Registers a citizen and issues the PIN, or re-issues to the registered contacts.
pub async fn register(
    app: &AppState,
    registration: &Registration,
    client: &str,
) -> Result<Outcome, StorageError> {
    let cf = registration.codice_fiscale.as_str();
    if let Some(existing) = accounts::find_by_codice_fiscale(&app.db, cf).await? {
        crate::audit::record(
            &app.db,
            &Entry::new("registrazione.gia_presente")
                .subject(existing.id.as_str())
                .detail("client", client),
        )
        .await?;
        // The contacts on file, never the ones just typed: whoever typed them may not be
        // the citizen.
        if let Some(profile) = profile(&app.db, &existing.id).await?
            && let Some(channel) = profile.first_half_channel()
        {
            let issued = pins::issue(
                &app.db,
                &app.pin_key,
                &existing.id,
                channel_kind(&channel),
                None,
                app.config.pin_activation,
            )
            .await?;
            deliver(app, &existing, &profile, &issued, &channel).await?;
        }
        return Ok(Outcome::AlreadyKnown);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let name = format!("{} {}", registration.given_name, registration.surname);
    let mut entry = Entry::new("registrazione")
        .actor(id.as_str())
        .subject(id.as_str())
        .detail("client", client);
    if let Some(reason) = registration.entitlement {
        entry = entry.detail("motivo_pin", reason.as_str());
    }
    let created = write_pool!(&app.db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO accounts (id, codice_fiscale, display_name, role, created_at)
             VALUES ($1, $2, $3, 'cittadino', $4) ON CONFLICT (codice_fiscale) DO NOTHING",
        )
        .bind(&id)
        .bind(cf)
        .bind(&name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok::<_, sqlx::Error>(false);
        }
        sqlx::query(
            "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code, email,
                 mobile, address_street, address_cap, address_comune, address_provincia, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&registration.given_name)
        .bind(&registration.surname)
        .bind(registration.birth_date.to_string())
        .bind(registration.codice_fiscale.birthplace_code())
        .bind(registration.email.as_deref())
        .bind(registration.mobile.as_ref().map(MobileNumber::as_str))
        .bind(&registration.address.street)
        .bind(&registration.address.cap)
        .bind(&registration.address.comune)
        .bind(&registration.address.provincia)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await?;
        Ok(true)
    }
    .await
    })?;
    if !created {
        // Someone registered the same code a moment ago: answer as for a known citizen.
        return Ok(Outcome::AlreadyKnown);
    }
    let account = Account {
        id: id.clone(),
        codice_fiscale: Some(cf.to_owned()),
        display_name: name,
        role: Role::Cittadino,
    };
    let issued = pins::issue(
        &app.db,
        &app.pin_key,
        &id,
        channel_kind(&registration.channel),
        None,
        app.config.pin_activation,
    )
    .await?;
    let profile = profile(&app.db, &id)
        .await?
        .ok_or_else(|| StorageError::Corrupt("profile vanished".to_owned()))?;
    deliver(app, &account, &profile, &issued, &registration.channel).await?;
    Ok(Outcome::Registered)
}

fn channel_kind(channel: &FirstHalfTo) -> Channel {
    match channel {
        FirstHalfTo::Email(_) => Channel::Email,
        FirstHalfTo::Sms(_) => Channel::Sms,
    }
}

/// Sends the first half (email or SMS) and queues the letter with the second half.
pub async fn deliver(
    app: &AppState,
    account: &Account,
    profile: &Profile,
    issued: &Issued,
    channel: &FirstHalfTo,
) -> Result<(), StorageError> {
    let base = app.config.public_url.clone().unwrap_or_default();
    let text = format!(
        "Gentile {name},\n\necco la prima parte del tuo PIN: {half}\n\n\
         La seconda parte arriverà per posta all'indirizzo che ci hai dato. Quando avrai le due \
         parti, attiva il PIN su {base}/accedi/attiva-pin entro {days} giorni.\n\n\
         Se non hai chiesto tu un PIN, ignora questo messaggio e segnalacelo: senza la seconda \
         parte nessuno può usarlo.\n\n{institution}",
        name = account.display_name,
        half = issued.first.grouped(),
        days = app.config.pin_activation.as_secs() / 86_400,
        institution = app.institution,
    );
    match channel {
        FirstHalfTo::Email(address) => {
            notify::enqueue_email(
                &app.db,
                &Email {
                    to: address.clone(),
                    subject: format!("{}: la prima parte del tuo PIN", app.institution),
                    text_body: text,
                    html_body: None,
                },
            )
            .await
            .map_err(|e| StorageError::Corrupt(format!("email: {e}")))?;
        }
        FirstHalfTo::Sms(number) => {
            notify::enqueue_sms(
                &app.db,
                &Sms {
                    to: number.clone(),
                    text: format!(
                        "{}: prima parte del PIN {}. La seconda arriva per posta. Attiva su {base}/accedi/attiva-pin",
                        app.institution,
                        issued.first.grouped()
                    ),
                },
            )
            .await
            .map_err(|e| StorageError::Corrupt(format!("sms: {e}")))?;
        }
    }
    post_second_half(app, account, profile, issued).await
}

/// Queues the letter with the second half to the address on file.
pub async fn post_second_half(
    app: &AppState,
    account: &Account,
    profile: &Profile,
    issued: &Issued,
) -> Result<(), StorageError> {
    let letter = Letter {
        account_id: Some(account.id.clone()),
        sender: vec![app.institution.to_string()],
        recipient: profile.postal_address(),
        kind: "pin".to_owned(),
        subject: "Seconda parte del PIN".to_owned(),
        paragraphs: vec![
            format!("Gentile {},", account.display_name),
            "in questa lettera trova la seconda parte del suo PIN. La prima parte le è stata inviata \
             per email o SMS, oppure comunicata al telefono."
                .to_owned(),
            "Per attivare il PIN vada sul sito, nella pagina «Attiva il PIN», e scriva il suo codice \
             fiscale e le due parti. Conservi questa lettera in un luogo sicuro e non la mostri a nessuno."
                .to_owned(),
            "Se non ha chiesto lei un PIN, ci contatti: senza la prima parte nessuno può usarlo.".to_owned(),
        ],
        reference: issued.pin_id.clone(),
        confidential: true,
        code: Some(LetterCode {
            label: "Seconda parte del PIN".to_owned(),
            value: issued.second.grouped(),
        }),
    };
    letters::queue_letter(&app.db, &app.files, &letter)
        .await
        .map(|_| ())
        .map_err(|e| StorageError::Corrupt(format!("letter: {e}")))
}
