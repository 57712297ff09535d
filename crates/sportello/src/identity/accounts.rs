//! Accounts: the people who can log in — citizens, intermediaries and staff.

use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// What an account is. A *delegate* is not a role: it is a citizen who holds a delegation
/// (see `identity::delega`), and acts as one only while acting for someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cittadino,
    /// Patronato or professional acting under a citizen's mandate.
    Intermediario,
    /// Contact center: answers the phone, may give the first half of a PIN after checking identity.
    OperatoreContactCenter,
    /// Office (sede) staff: case handling, identity verification for the PIN dispositivo.
    OperatoreSede,
    /// Assisted desk at a municipal Punto Utente Evoluto: acts for citizens with their consent.
    OperatorePue,
    /// Edits the service catalogue and pages.
    Redattore,
    /// Manages staff and sedi.
    Amministratore,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Cittadino,
        Role::Intermediario,
        Role::OperatoreContactCenter,
        Role::OperatoreSede,
        Role::OperatorePue,
        Role::Redattore,
        Role::Amministratore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cittadino => "cittadino",
            Self::Intermediario => "intermediario",
            Self::OperatoreContactCenter => "operatore_contact_center",
            Self::OperatoreSede => "operatore_sede",
            Self::OperatorePue => "operatore_pue",
            Self::Redattore => "redattore",
            Self::Amministratore => "amministratore",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Staff of the institution (log in with password and TOTP, work in the back office).
    pub fn is_staff(self) -> bool {
        !matches!(self, Self::Cittadino | Self::Intermediario)
    }

    /// The Fluent id of the role's name.
    pub fn label_id(self) -> &'static str {
        match self {
            Self::Cittadino => "role-cittadino",
            Self::Intermediario => "role-intermediario",
            Self::OperatoreContactCenter => "role-operatore-contact-center",
            Self::OperatoreSede => "role-operatore-sede",
            Self::OperatorePue => "role-operatore-pue",
            Self::Redattore => "role-redattore",
            Self::Amministratore => "role-amministratore",
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
            "INSERT INTO accounts (id, codice_fiscale, display_name, role, created_at) VALUES ($1, $2, $3, $4, $5)",
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

type AccountRow = (String, Option<String>, String, String);

/// The enabled account with this codice fiscale.
pub async fn find_by_codice_fiscale(db: &Db, codice_fiscale: &str) -> Result<Option<Account>, StorageError> {
    let row: Option<AccountRow> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, codice_fiscale, display_name, role FROM accounts
          WHERE codice_fiscale = $1 AND disabled_at IS NULL"
    )
    .bind(codice_fiscale)
    .fetch_optional(pool)
    .await)?;
    row.map(|(id, cf, name, role)| from_row(id, cf, name, &role))
        .transpose()
}

/// The enabled account with this id.
pub async fn find(db: &Db, id: &str) -> Result<Option<Account>, StorageError> {
    let row: Option<AccountRow> = read_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT id, codice_fiscale, display_name, role FROM accounts WHERE id = $1 AND disabled_at IS NULL"
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    })?;
    row.map(|(id, cf, name, role)| from_row(id, cf, name, &role))
        .transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_staff_is_staff() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(!Role::Cittadino.is_staff());
        assert!(!Role::Intermediario.is_staff());
        assert!(Role::OperatorePue.is_staff());
        assert_eq!(Role::parse("operatore"), None);
    }
}
