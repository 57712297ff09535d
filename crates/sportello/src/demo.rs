//! Demo data for `serve --demo`: loaded into an empty database only.
//!
//! Everything here is made up and printed at start, PINs and staff passwords included: the
//! demo is for trying Sportello on one's own machine, never for real people. The codici fiscali
//! are well formed (check character included) but belong to nobody.

use std::time::Duration;

use crate::identity::accounts::{self, NewAccount, Role};
use crate::identity::pin::{Pin, PinKey};
use crate::identity::staff::{self, NewStaff};
use crate::identity::{delega, pins};
use crate::storage::files::FileStore;
use crate::storage::{Db, StorageError, now_ms};

/// A demo citizen or intermediary, who logs in with codice fiscale and PIN.
#[derive(Debug, Clone, Copy)]
pub struct DemoCitizen {
    pub codice_fiscale: &'static str,
    pub name: &'static str,
    pub role: Role,
    /// The whole PIN (active), or the two halves to activate.
    pub pin: DemoPin,
    pub note: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum DemoPin {
    Active {
        pin: &'static str,
        level: &'static str,
    },
    ToActivate {
        first: &'static str,
        second: &'static str,
    },
}

/// A demo staff member: username, role; they all share [`STAFF_PASSWORD`] and [`STAFF_TOTP`].
#[derive(Debug, Clone, Copy)]
pub struct DemoStaff {
    pub username: &'static str,
    pub name: &'static str,
    pub role: Role,
}

pub const CITIZENS: &[DemoCitizen] = &[
    DemoCitizen {
        codice_fiscale: "RSSMRA80A01H501U",
        name: "Mario Rossi",
        role: Role::Cittadino,
        pin: DemoPin::Active {
            pin: "RSMR2345ABCD6789",
            level: "dispositivo",
        },
        note: "delegato di Anna Bianchi; avvisi per email a mario.rossi@example.org",
    },
    DemoCitizen {
        codice_fiscale: "BNCNNA52T45F205Q",
        name: "Anna Bianchi",
        role: Role::Cittadino,
        pin: DemoPin::Active {
            pin: "BNCN2345ABCD6789",
            level: "ordinario",
        },
        note: "ha delegato Mario Rossi",
    },
    DemoCitizen {
        codice_fiscale: "SPSGPP45M10F839P",
        name: "Giuseppe Esposito",
        role: Role::Cittadino,
        pin: DemoPin::Active {
            pin: "SPSG2345ABCD6789",
            level: "ordinario",
        },
        note: "seguito dal patronato di Carla Ferri",
    },
    DemoCitizen {
        codice_fiscale: "VRDLCU75C50L219L",
        name: "Lucia Verdi",
        role: Role::Cittadino,
        pin: DemoPin::ToActivate {
            first: "VRDL2345",
            second: "ABCD6789",
        },
        note: "PIN da attivare",
    },
    DemoCitizen {
        codice_fiscale: "FRRCRL70D55H501R",
        name: "Carla Ferri (Patronato)",
        role: Role::Intermediario,
        pin: DemoPin::Active {
            pin: "FRRC2345ABCD6789",
            level: "dispositivo",
        },
        note: "intermediario con mandato di Giuseppe Esposito",
    },
];

pub const STAFF: &[DemoStaff] = &[
    DemoStaff {
        username: "paolo.conti",
        name: "Paolo Conti",
        role: Role::OperatoreContactCenter,
    },
    DemoStaff {
        username: "elisa.marino",
        name: "Elisa Marino",
        role: Role::OperatoreSede,
    },
    DemoStaff {
        username: "marco.galli",
        name: "Marco Galli",
        role: Role::OperatorePue,
    },
    DemoStaff {
        username: "sara.ricci",
        name: "Sara Ricci",
        role: Role::Redattore,
    },
    DemoStaff {
        username: "luigi.neri",
        name: "Luigi Neri",
        role: Role::Amministratore,
    },
];

/// Every demo staff member's password.
pub const STAFF_PASSWORD: &str = "sportello-demo";
/// Every demo staff member's TOTP secret (base32), to add to an authenticator app.
pub const STAFF_TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Loads the demo data if the database has no accounts. Returns whether it did.
pub async fn load_if_empty(
    db: &Db,
    files: &FileStore,
    key: &PinKey,
    institution: &str,
) -> Result<bool, StorageError> {
    if accounts::count(db).await? > 0 {
        return Ok(false);
    }
    let year = Duration::from_secs(365 * 86_400);
    let bad_pin = |_| StorageError::Corrupt("demo PIN".to_owned());
    let mut ids = Vec::new();
    for citizen in CITIZENS {
        let id = accounts::create(
            db,
            &NewAccount {
                codice_fiscale: Some(citizen.codice_fiscale),
                display_name: citizen.name,
                role: citizen.role,
            },
        )
        .await?;
        match citizen.pin {
            DemoPin::Active { pin, level } => {
                let pin = Pin::parse(pin).map_err(bad_pin)?;
                pins::install(db, key, &id, &pin, true, level, year).await?;
            }
            DemoPin::ToActivate { first, second } => {
                let pin = Pin::parse(&format!("{first}{second}")).map_err(bad_pin)?;
                pins::install(db, key, &id, &pin, false, "ordinario", year).await?;
            }
        }
        ids.push(id);
    }
    let sede = staff::create_sede(db, "RM-001", "Sede di Roma Centro", "Roma", None)
        .await?
        .unwrap_or_default();
    for member in STAFF {
        let sede_id = matches!(member.role, Role::OperatoreSede).then_some(sede.as_str());
        staff::create(
            db,
            &NewStaff {
                username: member.username,
                display_name: member.name,
                role: member.role,
                sede_id,
                password: STAFF_PASSWORD,
                totp_secret: Some(STAFF_TOTP),
            },
            None,
            institution,
        )
        .await?
        .map_err(|e| StorageError::Corrupt(format!("demo staff: {e:?}")))?;
    }
    crate::catalog::load_demo(db).await?;
    load_risponde_demo(db, &ids[1]).await?;
    // Anna Bianchi has delegated Mario Rossi for a year; Giuseppe Esposito gave the patronato
    // (Carla Ferri) a mandate for every service.
    let (Some(anna), Some(mario_cf), Some(giuseppe)) = (
        accounts::find(db, &ids[1]).await?,
        Some(CITIZENS[0].codice_fiscale),
        accounts::find(db, &ids[2]).await?,
    ) else {
        return Ok(true);
    };
    load_mailbox(db, files, &ids[0]).await?;
    load_mario_contacts(db, &ids[0]).await?;
    let now = now_ms();
    let _ = delega::create(db, &anna, mario_cf, now, now + 365 * 86_400_000, &anna.id, None).await?;
    let _ = delega::grant_mandate(
        db,
        &giuseppe,
        CITIZENS[4].codice_fiscale,
        "*",
        now + 365 * 86_400_000,
        &giuseppe.id,
    )
    .await?;
    Ok(true)
}

/// Mario Rossi's mailbox: six letters of different kinds, the newest (a decision) unread.
async fn load_mailbox(db: &Db, files: &FileStore, mario_id: &str) -> Result<(), StorageError> {
    use crate::cassetta::{self, MessageKind, NewMessage};
    /// Kind, subject, sender office, reference, paragraphs.
    type DemoLetter = (
        MessageKind,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static [&'static str],
    );
    let letters: [DemoLetter; 6] = [
        (
            MessageKind::Comunicazione,
            "Benvenuto nella cassetta postale",
            "Contact center",
            None,
            &[
                "Gentile Mario Rossi,",
                "da oggi trova qui tutte le lettere che le inviamo: decisioni, richieste di documenti, avvisi di pagamento e risposte alle sue domande.",
                "Ogni lettera resta disponibile in PDF: può scaricarla e stamparla quando vuole.",
            ],
        ),
        (
            MessageKind::Risposta,
            "Risposta alla sua domanda sul calcolo dell'ISEE",
            "Sede di Roma Centro",
            Some("Q-2026-000417"),
            &[
                "Gentile Mario Rossi,",
                "ci ha chiesto se deve presentare una nuova DSU dopo la nascita di sua figlia. Sì: la nuova DSU aggiorna il suo ISEE e può aumentare l'importo dell'assegno unico.",
                "Può presentarla online, in un CAF o da un patronato. Se ha altri dubbi, risponda dalla sezione Domande e risposte.",
            ],
        ),
        (
            MessageKind::RichiestaDocumenti,
            "Documenti da inviare per la domanda di assegno unico",
            "Sede di Roma Centro",
            Some("AU-2026-001532"),
            &[
                "Gentile Mario Rossi,",
                "per completare la sua domanda di assegno unico ci serve il codice fiscale di sua figlia nata il 2 marzo.",
                "Lo carichi entro 30 giorni dalla data di questa lettera, dalla pagina della domanda. Se non lo riceviamo, dovremo decidere con i dati che abbiamo.",
            ],
        ),
        (
            MessageKind::AvvisoPagamento,
            "Avviso di pagamento: contributi per la colf, primo trimestre",
            "Sede di Roma Centro",
            Some("PAG-2026-Q1-88412"),
            &[
                "Gentile Mario Rossi,",
                "l'importo dei contributi per la sua collaboratrice domestica per gennaio, febbraio e marzo è di 412,50 euro.",
                "Paghi entro il 10 aprile con pagoPA: online, in banca, alla posta o in tabaccheria. Il codice avviso è scritto in alto in questa lettera.",
            ],
        ),
        (
            MessageKind::Comunicazione,
            "Il suo PIN è stato attivato",
            "Contact center",
            None,
            &[
                "Gentile Mario Rossi,",
                "il suo PIN è attivo. Lo usi con il codice fiscale per entrare nell'area personale.",
                "Se non è stato lei ad attivarlo, chiami subito il contact center.",
            ],
        ),
        (
            MessageKind::Decisione,
            "Domanda di assegno unico accolta",
            "Sede di Roma Centro",
            Some("AU-2026-001532"),
            &[
                "Gentile Mario Rossi,",
                "la sua domanda di assegno unico e universale per i figli è stata accolta.",
                "Riceverà 287,40 euro al mese sul conto che ci ha indicato, a partire dal mese prossimo. L'importo cambia se cambia il suo ISEE.",
                "Se non è d'accordo con questa decisione, può fare ricorso entro 90 giorni.",
            ],
        ),
    ];
    let mut ids = Vec::new();
    for (kind, subject, sender, reference, paragraphs) in letters {
        let message = NewMessage {
            account_id: mario_id.to_owned(),
            kind,
            subject: subject.to_owned(),
            sender_office: sender.to_owned(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            reference: reference.map(str::to_owned),
        };
        let id = cassetta::deliver(db, files, &message)
            .await
            .map_err(|err| match err {
                cassetta::CassettaError::Storage(err) => err,
                other => StorageError::Corrupt(format!("demo mailbox: {other}")),
            })?;
        ids.push(id);
    }
    // All but the newest (the decision) have been read.
    for id in ids.iter().take(ids.len().saturating_sub(1)) {
        cassetta::mark_read(db, mario_id, id).await?;
    }
    Ok(())
}

/// The demo citizen's email address (also in his note in [`CITIZENS`]): alerts of new
/// letters go there.
pub const MARIO_EMAIL: &str = "mario.rossi@example.org";

/// Mario Rossi lives in Milan, has an email address on file and chose to be told by email,
/// so the demo shows alert emails (in the log, or at the SMTP server) for his letters.
async fn load_mario_contacts(db: &Db, mario_id: &str) -> Result<(), StorageError> {
    use crate::notify::preferences::{self, Preferences};
    crate::write_pool!(db, |pool| {
        sqlx::query(
        "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code, email,
            address_street, address_cap, address_comune, address_provincia, updated_at)
         VALUES ($1, 'Mario', 'Rossi', '1980-01-01', 'H501', $2, 'Corso Buenos Aires 10', '20124', 'Milano', 'MI', $3)
         ON CONFLICT (account_id) DO NOTHING"
    )
    .bind(mario_id)
    .bind(MARIO_EMAIL)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    preferences::save(
        db,
        mario_id,
        &Preferences {
            email: true,
            sms: false,
            push: false,
            lang: crate::http::i18n::Lang::It,
        },
    )
    .await
}

/// Questions: canned answers, and Anna's residence, one answered question, one open one.
async fn load_risponde_demo(db: &Db, anna_id: &str) -> Result<(), StorageError> {
    crate::write_pool!(db, |pool| sqlx::query(
        "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code,
            address_street, address_cap, address_comune, address_provincia, updated_at)
         VALUES ($1, 'Anna', 'Bianchi', '1952-12-05', 'F205', 'Via dei Mille 12', '00185', 'Roma', 'RM', $2)
         ON CONFLICT (account_id) DO NOTHING"
    )
    .bind(anna_id)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ()))?;
    let operator: Option<String> = crate::read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT account_id FROM staff_credentials WHERE username = 'paolo.conti'"
    )
    .fetch_optional(pool)
    .await)?;
    crate::risponde::load_demo(db, anna_id, &operator.unwrap_or_default()).await
}
