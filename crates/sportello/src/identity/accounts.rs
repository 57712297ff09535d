//! Accounts: the people who can log in (citizens, operators, administrators).

use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Cittadino,
    Operatore,
    Amministratore,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cittadino => "cittadino",
            Self::Operatore => "operatore",
            Self::Amministratore => "amministratore",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "cittadino" => Some(Self::Cittadino),
            "operatore" => Some(Self::Operatore),
            "amministratore" => Some(Self::Amministratore),
            _ => None,
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub codice_fiscale: Option<String>,
    pub display_name: String,
    pub role: Role,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub codice_fiscale: Option<&'a str>,
    pub display_name: &'a str,
    pub role: Role,
}

/// Creates an account and returns its id.
pub async fn create(db: &Db, account: &NewAccount<'_>) -> Result<String, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    write_pool!(db, |pool| {
        sqlx::query(
        "INSERT INTO accounts (id, codice_fiscale, display_name, role, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(&id)
    .bind(account.codice_fiscale)
    .bind(account.display_name)
    .bind(account.role.as_str())
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    Ok(id)
}

/// How many accounts exist (the demo loader fills an empty database only).
pub async fn count(db: &Db) -> Result<i64, StorageError> {
    let count: i64 = read_pool!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(pool)
        .await)?;
    Ok(count)
}

pub(crate) fn from_row(
    id: String,
    codice_fiscale: Option<String>,
    display_name: String,
    role: &str,
) -> Result<Account, StorageError> {
    let role =
        Role::parse(role).ok_or_else(|| StorageError::Corrupt(format!("account {id}: role `{role}`")))?;
    Ok(Account {
        id,
        codice_fiscale,
        display_name,
        role,
    })
}
