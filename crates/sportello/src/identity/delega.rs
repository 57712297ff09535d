//! Acting for someone else: the "delega dell'identità digitale" (one trusted adult, within a
//! window, revocable at any time) and intermediaries' mandates (per citizen, per service, with
//! expiry). While acting, the session carries the citizen and the basis; the basis is checked
//! again on every request (see `session::find_active_kind`).

use super::accounts::{self, Account, Role};
use super::session::{self, Session};
use crate::audit::Entry;
use crate::storage::{Db, StorageError, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// A delegation as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delega {
    pub id: String,
    pub citizen_id: String,
    pub citizen_name: String,
    pub delegate_id: String,
    pub delegate_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Delega {
    /// Whether it is in force right now (for pages).
    pub fn in_force_now(&self) -> bool {
        self.in_force(now_ms())
    }

    /// First day, as shown.
    pub fn from_text(&self) -> String {
        crate::http::page::local_date(self.starts_at)
    }

    /// Last day included, as shown.
    pub fn until_text(&self) -> String {
        crate::http::page::local_date(self.ends_at - 1)
    }

    /// In force at `now`.
    pub fn in_force(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.starts_at <= now && now < self.ends_at
    }
}

/// A mandate as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mandato {
    pub id: String,
    pub citizen_id: String,
    pub citizen_name: String,
    pub intermediary_id: String,
    pub intermediary_name: String,
    pub service: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub revoked_at: Option<i64>,
}

impl Mandato {
    /// Whether it is in force right now (for pages).
    pub fn in_force_now(&self) -> bool {
        self.in_force(now_ms())
    }

    /// First day, as shown.
    pub fn from_text(&self) -> String {
        crate::http::page::local_date(self.starts_at)
    }

    /// Last day included, as shown.
    pub fn until_text(&self) -> String {
        crate::http::page::local_date(self.ends_at - 1)
    }

    pub fn in_force(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.starts_at <= now && now < self.ends_at
    }
}

/// Why a delegation or mandate cannot be made or used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelegaError {
    /// No such person can receive it (unknown codice fiscale, not a citizen, oneself).
    NoSuchDelegate,
    /// The delegate must be an adult.
    NotAdult,
    /// The window is empty or backwards.
    BadWindow,
    /// The citizen already has a trusted adult for (part of) that window.
    AlreadyDelegated,
    /// Not a registered intermediary.
    NotIntermediary,
    /// Nothing in force allows this (before, after, revoked, someone else's).
    NotInForce,
}

impl DelegaError {
    pub fn message_id(self) -> &'static str {
        match self {
            Self::NoSuchDelegate => "delega-error-delegate",
            Self::NotAdult => "delega-error-minor",
            Self::BadWindow => "delega-error-window",
            Self::AlreadyDelegated => "delega-error-already",
            Self::NotIntermediary => "delega-error-intermediary",
            Self::NotInForce => "delega-error-not-in-force",
        }
    }
}

const DELEGA_SELECT: &str = "SELECT d.id, d.citizen_id, c.display_name AS citizen_name, d.delegate_id,
        g.display_name AS delegate_name, d.starts_at, d.ends_at, d.created_at, d.revoked_at
   FROM deleghe d JOIN accounts c ON c.id = d.citizen_id JOIN accounts g ON g.id = d.delegate_id";

/// Delegations a citizen gave, newest first.
pub async fn given_by(db: &Db, citizen_id: &str) -> Result<Vec<Delega>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Delega>(sqlx::AssertSqlSafe(
        format!("{DELEGA_SELECT} WHERE d.citizen_id = $1 ORDER BY d.created_at DESC")
    ))
    .bind(citizen_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Delegations a person received, newest first.
pub async fn received_by(db: &Db, delegate_id: &str) -> Result<Vec<Delega>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Delega>(sqlx::AssertSqlSafe(
        format!("{DELEGA_SELECT} WHERE d.delegate_id = $1 ORDER BY d.created_at DESC")
    ))
    .bind(delegate_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Appoints the citizen with `delegate_cf` as `citizen`'s trusted adult from `starts_at` to
/// `ends_at`. `created_by` is the citizen, or the desk operator who recorded consent
/// (`consent_note` says how).
pub async fn create(
    db: &Db,
    citizen: &Account,
    delegate_cf: &str,
    starts_at: i64,
    ends_at: i64,
    created_by: &str,
    consent_note: Option<&str>,
) -> Result<Result<String, DelegaError>, StorageError> {
    if ends_at <= starts_at || ends_at <= now_ms() {
        return Ok(Err(DelegaError::BadWindow));
    }
    let Some(delegate) = accounts::find_by_codice_fiscale(db, delegate_cf)
        .await?
        .filter(|d| d.role == Role::Cittadino && d.id != citizen.id)
    else {
        return Ok(Err(DelegaError::NoSuchDelegate));
    };
    // "Una persona di fiducia maggiorenne": the codice fiscale says when they were born.
    let today = super::cf_api::today();
    let adult = delegate
        .codice_fiscale
        .as_deref()
        .and_then(|cf| super::codice_fiscale::CodiceFiscale::parse(cf).ok())
        .and_then(|cf| cf.birth_date(today).checked_add(jiff::Span::new().years(18)).ok())
        .is_some_and(|eighteen| eighteen <= today);
    if !adult {
        return Ok(Err(DelegaError::NotAdult));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut entry = Entry::new("delega.creata")
        .actor(created_by)
        .subject(citizen.id.as_str())
        .detail("delega", id.as_str())
        .detail("delegato", delegate.id.as_str())
        .detail("dal", starts_at)
        .detail("al", ends_at);
    if let Some(note) = consent_note {
        entry = entry.detail("consenso", note);
    }
    let created = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        // One trusted adult at a time: no other live delegation may overlap the window.
        let overlapping: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deleghe WHERE citizen_id = $1 AND revoked_at IS NULL
                AND starts_at < $2 AND ends_at > $3 AND ends_at > $4",
        )
        .bind(&citizen.id)
        .bind(ends_at)
        .bind(starts_at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if overlapping > 0 {
            return Ok::<_, sqlx::Error>(false);
        }
        sqlx::query(
            "INSERT INTO deleghe (id, citizen_id, delegate_id, starts_at, ends_at, created_at, created_by, consent_note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&citizen.id)
        .bind(&delegate.id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(now)
        .bind(created_by)
        .bind(consent_note)
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await?;
        Ok(true)
    }
    .await
    })?;
    Ok(if created {
        Ok(id)
    } else {
        Err(DelegaError::AlreadyDelegated)
    })
}

/// Revokes delegation `id`, if `by` is its citizen or its delegate. Whether it did.
pub async fn revoke(db: &Db, id: &str, by: &str) -> Result<bool, StorageError> {
    let now = now_ms();
    let citizen: Option<String> = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT citizen_id FROM deleghe WHERE id = $1 AND (citizen_id = $2 OR delegate_id = $2)
            AND revoked_at IS NULL"
    )
    .bind(id)
    .bind(by)
    .fetch_optional(pool)
    .await)?;
    let Some(citizen_id) = citizen else {
        return Ok(false);
    };
    let entry = Entry::new("delega.revocata")
        .actor(by)
        .subject(citizen_id)
        .detail("delega", id);
    let done = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE deleghe SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            audit_append!(tx, &entry);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done.rows_affected())
    }
    .await)?;
    Ok(done > 0)
}

const MANDATO_SELECT: &str = "SELECT m.id, m.citizen_id, c.display_name AS citizen_name, m.intermediary_id,
        i.display_name AS intermediary_name, m.service, m.starts_at, m.ends_at, m.revoked_at
   FROM mandati m JOIN accounts c ON c.id = m.citizen_id JOIN accounts i ON i.id = m.intermediary_id";

/// Mandates a citizen gave.
pub async fn mandates_given_by(db: &Db, citizen_id: &str) -> Result<Vec<Mandato>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Mandato>(sqlx::AssertSqlSafe(
        format!("{MANDATO_SELECT} WHERE m.citizen_id = $1 ORDER BY m.created_at DESC")
    ))
    .bind(citizen_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Mandates an intermediary holds.
pub async fn mandates_held_by(db: &Db, intermediary_id: &str) -> Result<Vec<Mandato>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Mandato>(sqlx::AssertSqlSafe(
        format!("{MANDATO_SELECT} WHERE m.intermediary_id = $1 ORDER BY m.created_at DESC")
    ))
    .bind(intermediary_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Gives the intermediary with `intermediary_cf` a mandate for `service` (`*`: all) until
/// `ends_at`.
pub async fn grant_mandate(
    db: &Db,
    citizen: &Account,
    intermediary_cf: &str,
    service: &str,
    ends_at: i64,
    created_by: &str,
) -> Result<Result<String, DelegaError>, StorageError> {
    let now = now_ms();
    if ends_at <= now {
        return Ok(Err(DelegaError::BadWindow));
    }
    let Some(intermediary) = accounts::find_by_codice_fiscale(db, intermediary_cf)
        .await?
        .filter(|a| a.role == Role::Intermediario)
    else {
        return Ok(Err(DelegaError::NotIntermediary));
    };
    let id = uuid::Uuid::now_v7().to_string();
    let entry = Entry::new("mandato.creato")
        .actor(created_by)
        .subject(citizen.id.as_str())
        .detail("mandato", id.as_str())
        .detail("intermediario", intermediary.id.as_str())
        .detail("servizio", service)
        .detail("al", ends_at);
    write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO mandati (id, citizen_id, intermediary_id, service, starts_at, ends_at, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $5, $7)",
        )
        .bind(&id)
        .bind(&citizen.id)
        .bind(&intermediary.id)
        .bind(service)
        .bind(now)
        .bind(ends_at)
        .bind(created_by)
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &entry);
        tx.commit().await
    }
    .await
    })?;
    Ok(Ok(id))
}

/// Revokes mandate `id` if `by` is its citizen or its intermediary.
pub async fn revoke_mandate(db: &Db, id: &str, by: &str) -> Result<bool, StorageError> {
    let now = now_ms();
    let citizen: Option<String> = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT citizen_id FROM mandati WHERE id = $1 AND (citizen_id = $2 OR intermediary_id = $2)
            AND revoked_at IS NULL"
    )
    .bind(id)
    .bind(by)
    .fetch_optional(pool)
    .await)?;
    let Some(citizen_id) = citizen else {
        return Ok(false);
    };
    let entry = Entry::new("mandato.revocato")
        .actor(by)
        .subject(citizen_id)
        .detail("mandato", id);
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE mandati SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
            .bind(now)
            .bind(by)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_append!(tx, &entry);
        tx.commit().await
    }
    .await)?;
    Ok(true)
}

/// Whether `basis` still lets `holder_id` act for `citizen_id` at `now`.
pub async fn basis_holds(
    db: &Db,
    holder_id: &str,
    citizen_id: &str,
    basis: &str,
    now: i64,
) -> Result<bool, StorageError> {
    // A bare `1` is a 4-byte integer on PostgreSQL: cast to decode an i64 on both backends.
    let found: Option<i64> = match basis.split_once(':') {
        Some(("delega", id)) => read_pool!(db, |pool| sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM deleghe WHERE id = $1 AND delegate_id = $2 AND citizen_id = $3
                AND revoked_at IS NULL AND starts_at <= $4 AND ends_at > $4"
        )
        .bind(id)
        .bind(holder_id)
        .bind(citizen_id)
        .bind(now)
        .fetch_optional(pool)
        .await)?,
        Some(("mandato", id)) => read_pool!(db, |pool| {
            sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM mandati WHERE id = $1 AND intermediary_id = $2 AND citizen_id = $3
                AND revoked_at IS NULL AND starts_at <= $4 AND ends_at > $4"
        )
        .bind(id)
        .bind(holder_id)
        .bind(citizen_id)
        .bind(now)
        .fetch_optional(pool)
        .await
        })?,
        Some(("pue", id)) => return super::assistenza::holds(db, id, holder_id, citizen_id, now).await,
        _ => None,
    };
    Ok(found.is_some())
}

/// The basis on which `holder` may act for `citizen_id` now: a delegation in force, or a
/// mandate in force.
pub async fn find_basis(db: &Db, holder: &Account, citizen_id: &str) -> Result<Option<String>, StorageError> {
    let now = now_ms();
    match holder.role {
        Role::Cittadino => Ok(received_by(db, &holder.id)
            .await?
            .into_iter()
            .find(|d| d.citizen_id == citizen_id && d.in_force(now))
            .map(|d| format!("delega:{}", d.id))),
        Role::Intermediario => Ok(mandates_held_by(db, &holder.id)
            .await?
            .into_iter()
            .find(|m| m.citizen_id == citizen_id && m.in_force(now))
            .map(|m| format!("mandato:{}", m.id))),
        _ => Ok(None),
    }
}

/// Starts acting for `citizen_id`: a new session id carrying the citizen and the basis.
/// Returns the new token, or `NotInForce`.
pub async fn start_acting(
    db: &Db,
    current: &Session,
    citizen_id: &str,
    lifetime: session::Lifetime,
) -> Result<Result<String, DelegaError>, StorageError> {
    let Some(basis) = find_basis(db, &current.account, citizen_id).await? else {
        return Ok(Err(DelegaError::NotInForce));
    };
    let Some(token) = session::rotate(db, &current.token_hash, Some((citizen_id, &basis)), lifetime).await?
    else {
        return Ok(Err(DelegaError::NotInForce));
    };
    crate::audit::record(
        db,
        &Entry::new("per_conto.inizio")
            .actor(current.account.id.as_str())
            .subject(citizen_id)
            .detail("base", basis.as_str()),
    )
    .await?;
    Ok(Ok(token))
}

/// Stops acting for someone: back to one's own data, with a new session id.
pub async fn stop_acting(
    db: &Db,
    current: &Session,
    lifetime: session::Lifetime,
) -> Result<Option<String>, StorageError> {
    let token = session::rotate(db, &current.token_hash, None, lifetime).await?;
    if let Some(acting) = &current.acting_for {
        // The end of a desk assistance closes it (and is audited there).
        if let Some(("pue", id)) = acting.basis.split_once(':') {
            super::assistenza::end(db, id, &current.account.id, &acting.citizen.id).await?;
            return Ok(token);
        }
        crate::audit::record(
            db,
            &Entry::new("per_conto.fine")
                .actor(current.account.id.as_str())
                .subject(acting.citizen.id.as_str()),
        )
        .await?;
    }
    Ok(token)
}
