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
        note: "delegato di Anna Bianchi",
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
pub async fn load_if_empty(db: &Db, key: &PinKey, institution: &str) -> Result<bool, StorageError> {
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
