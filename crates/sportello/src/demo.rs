//! Demo data for `serve --demo`: loaded into an empty database only.

use crate::identity::accounts::{self, NewAccount, Role};
use crate::storage::{Db, StorageError};

/// A demo account, as printed at startup.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    pub codice_fiscale: &'static str,
    pub name: &'static str,
    pub role: Role,
}

/// The demo accounts. The codici fiscali are well formed but made up.
pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        codice_fiscale: "RSSMRA80A01H501U",
        name: "Mario Rossi",
        role: Role::Cittadino,
    },
    DemoAccount {
        codice_fiscale: "BNCNNA52T45F205Q",
        name: "Anna Bianchi",
        role: Role::Cittadino,
    },
    DemoAccount {
        codice_fiscale: "VRDLCU75C50L219L",
        name: "Lucia Verdi",
        role: Role::OperatoreSede,
    },
    DemoAccount {
        codice_fiscale: "NRELGU68E12A944I",
        name: "Luigi Neri",
        role: Role::Amministratore,
    },
];

/// Loads the demo data if the database has no accounts. Returns whether it did.
pub async fn load_if_empty(db: &Db) -> Result<bool, StorageError> {
    if accounts::count(db).await? > 0 {
        return Ok(false);
    }
    for account in ACCOUNTS {
        accounts::create(
            db,
            &NewAccount {
                codice_fiscale: Some(account.codice_fiscale),
                display_name: account.name,
                role: account.role,
            },
        )
        .await?;
    }
    Ok(true)
}
