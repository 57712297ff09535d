//! Applications in the database. Every change is one transaction: the application's row, the
//! timeline event, the job that tells the citizen and the audit entry are written together or
//! not at all. A change names the state and revision the caller saw, so a concurrent change
//! (two operators deciding at once, a double click) is a conflict, never a lost update.
//! Reads that serve a citizen take the citizen's account and check it in SQL.

use super::model::Stato;
use crate::audit::Entry;
use crate::jobs::queue::NewJob;
use crate::storage::{Db, StorageError};
use crate::{audit_append, read_pool, write_pool};

/// An application as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Domanda {
    pub id: String,
    pub account_id: String,
    pub form_code: String,
    pub form_version: i64,
    pub state: String,
    pub answers: String,
    pub step: i64,
    pub created_by: String,
    pub protocol: Option<String>,
    pub verify_code: Option<String>,
    pub sede_id: Option<String>,
    pub submitted_at: Option<i64>,
    pub submitted_by: Option<String>,
    pub submitted_as: Option<String>,
    pub submitted_by_name: Option<String>,
    pub appeal_of: Option<String>,
    pub assigned_to: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<i64>,
    pub integration_due: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

impl Domanda {
    pub fn stato(&self) -> Result<Stato, StorageError> {
        Stato::parse(&self.state)
            .ok_or_else(|| StorageError::Corrupt(format!("domanda {}: state {}", self.id, self.state)))
    }

    /// The stored answers, parsed.
    pub fn answers(&self) -> Result<super::form::Answers, StorageError> {
        serde_json::from_str(&self.answers)
            .map_err(|err| StorageError::Corrupt(format!("domanda {}: answers: {err}", self.id)))
    }
}

const COLUMNS: &str = "d.id, d.account_id, d.form_code, d.form_version, d.state, d.answers, d.step, \
    d.created_by, d.protocol, d.verify_code, d.sede_id, d.submitted_at, d.submitted_by, d.submitted_as, \
    d.submitted_by_name, d.appeal_of, d.assigned_to, d.decision_reason, d.decided_at, d.integration_due, \
    d.created_at, d.updated_at, d.revision";

macro_rules! insert_event {
    ($tx:expr, $domanda_id:expr, $event:expr) => {{
        let event: &NewEvent = $event;
        sqlx::query(
            "INSERT INTO domanda_events (id, domanda_id, at, state, actor_id, actor_role, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event.id)
        .bind($domanda_id)
        .bind(event.at)
        .bind(event.state.code())
        .bind(&event.actor_id)
        .bind(event.actor_role)
        .bind(&event.note)
        .execute(&mut *$tx)
        .await?;
    }};
}

macro_rules! insert_job {
    ($tx:expr, $job:expr) => {{
        let job: &NewJob = $job;
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, dedupe_key, created_at)
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $5)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(job.kind)
        .bind(job.payload.to_string())
        .bind(job.max_attempts)
        .bind(job.run_at.unwrap_or_else(crate::storage::now_ms))
        .bind(job.dedupe_key.as_deref())
        .execute(&mut *$tx)
        .await?;
    }};
}

/// A timeline entry.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub at: i64,
    pub state: Stato,
    pub actor_id: Option<String>,
    pub actor_role: &'static str,
    pub note: Option<String>,
}

/// A draft to open, as the filing writer batches it.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub id: String,
    pub account_id: String,
    pub form_code: String,
    pub form_version: i64,
    pub created_by: String,
    pub create_key: Option<String>,
    pub answers: String,
    /// The furthest step saved (0: none; the number of steps: all, answers given at once).
    pub step: i64,
    pub appeal_of: Option<String>,
    pub now: i64,
    /// Written with the draft when someone acts for the citizen.
    pub audit: Option<Entry>,
}

/// How opening a draft ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drafted {
    /// Opened now.
    New(String),
    /// The creation key was used before by this citizen: the draft made then (a retry).
    Existing(String),
    /// The citizen already keeps `MAX_DRAFTS` drafts open.
    TooMany,
}

/// The most drafts a citizen keeps open at once (a draft is cheap, but not free).
pub const MAX_DRAFTS: i64 = 30;

/// Opens drafts, all in one transaction (the filing writer's batch; one alone is a batch of
/// one). A creation key already used by the citizen, in the database or earlier in the batch,
/// gives the draft made then, so a retried request makes one draft. If two nodes race on one
/// key, the unique index refuses the transaction (`Duplicate`): the writer then writes again,
/// one by one, and finds the other node's draft.
pub async fn create_drafts(db: &Db, drafts: &[&NewDraft]) -> Result<Vec<Drafted>, StorageError> {
    let drafted = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        let keyed: Vec<(&str, &str)> = drafts
            .iter()
            .filter_map(|d| d.create_key.as_deref().map(|k| (d.account_id.as_str(), k)))
            .collect();
        let mut known = known_create_keys!(tx, &keyed);
        let mut open: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT account_id, COUNT(*) FROM domande WHERE state = 'bozza' AND account_id IN (",
            );
            let mut accounts = query.separated(", ");
            for draft in drafts {
                accounts.push_bind(draft.account_id.as_str());
            }
            query.push(") GROUP BY account_id");
            let rows: Vec<(String, i64)> = query.build_query_as().fetch_all(&mut *tx).await?;
            open.extend(rows);
        }
        let mut outcomes = Vec::with_capacity(drafts.len());
        let mut fresh: Vec<&NewDraft> = Vec::new();
        for &draft in drafts {
            if let Some(key) = &draft.create_key
                && let Some(id) = known.get(&(draft.account_id.clone(), key.clone()))
            {
                outcomes.push(Drafted::Existing(id.clone()));
                continue;
            }
            let count = open.entry(draft.account_id.clone()).or_default();
            if *count >= MAX_DRAFTS {
                outcomes.push(Drafted::TooMany);
                continue;
            }
            *count += 1;
            if let Some(key) = &draft.create_key {
                known.insert((draft.account_id.clone(), key.clone()), draft.id.clone());
            }
            outcomes.push(Drafted::New(draft.id.clone()));
            fresh.push(draft);
        }
        if !fresh.is_empty() {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO domande (id, account_id, form_code, form_version, state, answers, step, created_by,
                    create_key, appeal_of, created_at, updated_at, revision) ",
            );
            insert.push_values(&fresh, |mut row, d| {
                row.push_bind(&d.id)
                    .push_bind(&d.account_id)
                    .push_bind(&d.form_code)
                    .push_bind(d.form_version)
                    .push_bind("bozza")
                    .push_bind(&d.answers)
                    .push_bind(d.step)
                    .push_bind(&d.created_by)
                    .push_bind(d.create_key.as_deref())
                    .push_bind(d.appeal_of.as_deref())
                    .push_bind(d.now)
                    .push_bind(d.now)
                    .push_bind(0_i64);
            });
            insert.build().execute(&mut *tx).await?;
            let audits: Vec<Entry> = fresh
                .iter()
                .filter_map(|d| d.audit.clone().map(|entry| entry.detail("domanda", d.id.as_str())))
                .collect();
            let audit_refs: Vec<&Entry> = audits.iter().collect();
            crate::audit_append_all!(tx, &audit_refs);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(outcomes)
    }
    .await
    })?;
    Ok(drafted)
}

/// The application, if it belongs to `account_id`. Someone else's answers like a missing one.
pub async fn find_for_citizen(db: &Db, id: &str, account_id: &str) -> Result<Option<Domanda>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM domande d WHERE d.id = $1 AND d.account_id = $2");
    let row = read_pool!(db, |pool| sqlx::query_as::<_, Domanda>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// The application, read on the writer (right after a change, a replica could lag).
pub async fn find_fresh(db: &Db, id: &str, account_id: &str) -> Result<Option<Domanda>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM domande d WHERE d.id = $1 AND d.account_id = $2");
    let row = write_pool!(db, |pool| sqlx::query_as::<_, Domanda>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// Any application, for the back office (the caller checks the operator's sede and audits).
pub async fn find(db: &Db, id: &str) -> Result<Option<Domanda>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM domande d WHERE d.id = $1");
    let row = read_pool!(db, |pool| sqlx::query_as::<_, Domanda>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// A citizen's applications, newest first.
pub async fn list_for_citizen(db: &Db, account_id: &str) -> Result<Vec<Domanda>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM domande d WHERE d.account_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT 200"
    );
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Domanda>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// The application filed under `protocol` whose receipt carries `code`: the verification page.
pub async fn by_receipt(db: &Db, protocol: &str, code: &str) -> Result<Option<Domanda>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM domande d WHERE d.protocol = $1 AND d.verify_code = $2");
    let row = read_pool!(db, |pool| sqlx::query_as::<_, Domanda>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(protocol)
    .bind(code)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// A citizen's application by protocol number (to link an appeal to what it contests).
pub async fn by_protocol_for_citizen(
    db: &Db,
    protocol: &str,
    account_id: &str,
) -> Result<Option<Domanda>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM domande d WHERE d.protocol = $1 AND d.account_id = $2");
    let row = read_pool!(db, |pool| sqlx::query_as::<_, Domanda>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(protocol)
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// Saves a draft's answers and the furthest step reached, if it is still a draft at the
/// revision the caller read. `false`: it changed meanwhile (or is no longer a draft).
#[expect(
    clippy::too_many_arguments,
    reason = "one row's columns, each named at the call"
)]
pub async fn save_draft(
    db: &Db,
    id: &str,
    account_id: &str,
    revision: i64,
    answers: &str,
    step: i64,
    now: i64,
    audit: Option<&Entry>,
) -> Result<bool, StorageError> {
    let saved = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE domande SET answers = $1, step = CASE WHEN step > $2 THEN step ELSE $2 END,
                updated_at = $3, revision = revision + 1
             WHERE id = $4 AND account_id = $5 AND state = 'bozza' AND revision = $6",
        )
        .bind(answers)
        .bind(step)
        .bind(now)
        .bind(id)
        .bind(account_id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1
            && let Some(entry) = audit
        {
            audit_append!(tx, entry);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done == 1)
    }
    .await)?;
    Ok(saved)
}

/// Deletes a draft (never a filed application) with its attachments' rows. Returns the file
/// keys to remove from the file store, or `None` if there was no such draft.
pub async fn delete_draft(
    db: &Db,
    id: &str,
    account_id: &str,
    audit: Option<&Entry>,
) -> Result<Option<Vec<String>>, StorageError> {
    let deleted = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT a.file_key FROM domanda_attachments a JOIN domande d ON d.id = a.domanda_id
              WHERE d.id = $1 AND d.account_id = $2 AND d.state = 'bozza'",
        )
        .bind(id)
        .bind(account_id)
        .fetch_all(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM domande WHERE id = $1 AND account_id = $2 AND state = 'bozza'")
            .bind(id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 1
            && let Some(entry) = audit
        {
            audit_append!(tx, entry);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>((done == 1).then_some(keys))
    }
    .await)?;
    Ok(deleted)
}

/// What filing an application records.
#[derive(Debug, Clone)]
pub struct Filing {
    pub id: String,
    pub account_id: String,
    /// The revision of the draft that was checked: a change since then refuses the filing.
    pub revision: i64,
    pub ente: String,
    pub sede_id: Option<String>,
    pub sede_code: String,
    pub submitted_by: String,
    pub submitted_as: &'static str,
    pub submitted_by_name: String,
    pub verify_code: String,
    pub event: NewEvent,
    pub audit: Entry,
}

/// How a filing ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// Filed now with this protocol number.
    Now(String),
    /// Already filed (a double click, a retry): its protocol number.
    Already(String),
    /// The draft changed after it was checked: check again.
    Changed,
    /// No such draft for this citizen, or it was withdrawn/deleted.
    Missing,
}

/// Files drafts, all in one transaction (the filing writer's batch; one draft alone is a
/// batch of one). Each draft is claimed first: on PostgreSQL this takes its row lock, so a
/// concurrent filing of the same draft (a double click on two nodes) waits, then finds it
/// filed, and never moves the counter. Only the drafts claimed take protocol numbers, one
/// counter move per institution and year, in arrival order: the numbers stay gap-free.
pub async fn file_drafts(db: &Db, filings: &[&Filing]) -> Result<Vec<Filed>, StorageError> {
    let filed = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        // What became of each filing: claimed here, the twin of one claimed earlier in the
        // batch (a double click: it gets the same number), or settled already.
        enum Slot {
            Claimed,
            Twin(usize),
            Done(Filed),
        }
        let mut outcomes: Vec<Slot> = Vec::with_capacity(filings.len());
        let mut claimed: Vec<usize> = Vec::new();
        for (index, filing) in filings.iter().enumerate() {
            let done = sqlx::query(
                "UPDATE domande SET revision = revision + 1
                 WHERE id = $1 AND account_id = $2 AND state = 'bozza' AND protocol IS NULL AND revision = $3",
            )
            .bind(&filing.id)
            .bind(&filing.account_id)
            .bind(filing.revision)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // The same draft twice in one batch: the second finds it claimed, like a retry.
            if done == 1 {
                claimed.push(index);
                outcomes.push(Slot::Claimed);
                continue;
            }
            if let Some(&first) = claimed.iter().find(|&&c| filings[c].id == filing.id) {
                outcomes.push(Slot::Twin(first));
                continue;
            }
            let current: Option<(String, Option<String>, i64)> = sqlx::query_as(
                "SELECT state, protocol, revision FROM domande WHERE id = $1 AND account_id = $2",
            )
            .bind(&filing.id)
            .bind(&filing.account_id)
            .fetch_optional(&mut *tx)
            .await?;
            outcomes.push(Slot::Done(match current {
                None => Filed::Missing,
                Some((_, Some(protocol), _)) => Filed::Already(protocol),
                Some((state, None, _)) if state != "bozza" => Filed::Missing,
                Some(_) => Filed::Changed,
            }));
        }
        // Protocol numbers for the claimed drafts only (indexed like `filings`).
        let taken = take_protocol_numbers!(
            tx,
            claimed
                .iter()
                .map(|&i| {
                    let f = filings[i];
                    (f.ente.clone(), super::model::anno_di(f.event.at), f.sede_code.clone())
                })
                .collect()
        );
        let mut numbers: Vec<String> = vec![String::new(); filings.len()];
        for (&index, number) in claimed.iter().zip(taken) {
            numbers[index] = number;
        }
        for &index in &claimed {
            let filing = filings[index];
            sqlx::query(
                "UPDATE domande SET state = 'presentata', protocol = $1, verify_code = $2, sede_id = $3,
                    submitted_at = $4, submitted_by = $5, submitted_as = $6, submitted_by_name = $7,
                    updated_at = $4
                 WHERE id = $8",
            )
            .bind(&numbers[index])
            .bind(&filing.verify_code)
            .bind(&filing.sede_id)
            .bind(filing.event.at)
            .bind(&filing.submitted_by)
            .bind(filing.submitted_as)
            .bind(&filing.submitted_by_name)
            .bind(&filing.id)
            .execute(&mut *tx)
            .await?;
        }
        if !claimed.is_empty() {
            let mut events = sqlx::QueryBuilder::new(
                "INSERT INTO domanda_events (id, domanda_id, at, state, actor_id, actor_role, note) ",
            );
            events.push_values(&claimed, |mut row, &index| {
                let filing = filings[index];
                row.push_bind(&filing.event.id)
                    .push_bind(&filing.id)
                    .push_bind(filing.event.at)
                    .push_bind(filing.event.state.code())
                    .push_bind(filing.event.actor_id.as_deref())
                    .push_bind(filing.event.actor_role)
                    .push_bind(filing.event.note.as_deref());
            });
            events.build().execute(&mut *tx).await?;
            // One job files the letters of the whole batch.
            let event_ids: Vec<&str> = claimed.iter().map(|&i| filings[i].event.id.as_str()).collect();
            let job = super::service::notice_job_for(&event_ids);
            insert_job!(tx, &job);
            let audits: Vec<Entry> = claimed
                .iter()
                .map(|&i| filings[i].audit.clone().detail("protocollo", numbers[i].as_str()))
                .collect();
            let audit_refs: Vec<&Entry> = audits.iter().collect();
            crate::audit_append_all!(tx, &audit_refs);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(
            outcomes
                .into_iter()
                .enumerate()
                .map(|(index, slot)| match slot {
                    Slot::Claimed => Filed::Now(numbers[index].clone()),
                    Slot::Twin(first) => Filed::Already(numbers[first].clone()),
                    Slot::Done(filed) => filed,
                })
                .collect::<Vec<_>>(),
        )
    }
    .await
    })?;
    Ok(filed)
}

/// A move of a filed application from one state to the next.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: String,
    pub from: Stato,
    pub revision: i64,
    pub to: Stato,
    /// Set when an operator takes the case (or keeps it).
    pub assigned_to: Option<String>,
    /// A decision's reason (final states reached by the office).
    pub decision_reason: Option<String>,
    /// The deadline of a request for documents.
    pub integration_due: Option<String>,
    pub event: NewEvent,
    pub job: Option<NewJob>,
    pub audit: Entry,
}

/// Applies a change if the application is still where the caller saw it. `false`: it moved.
pub async fn change(db: &Db, change: &Change) -> Result<bool, StorageError> {
    let decided = change.to.is_final().then_some(change.event.at);
    let applied = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE domande SET state = $1,
                assigned_to = COALESCE($2, assigned_to),
                decision_reason = COALESCE($3, decision_reason),
                decided_at = COALESCE($4, decided_at),
                integration_due = $5,
                updated_at = $6, revision = revision + 1
             WHERE id = $7 AND state = $8 AND revision = $9",
        )
        .bind(change.to.code())
        .bind(&change.assigned_to)
        .bind(&change.decision_reason)
        .bind(decided)
        .bind(&change.integration_due)
        .bind(change.event.at)
        .bind(&change.id)
        .bind(change.from.code())
        .bind(change.revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        insert_event!(tx, &change.id, &change.event);
        if let Some(job) = &change.job {
            insert_job!(tx, job);
        }
        audit_append!(tx, &change.audit);
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(applied)
}

/// Assigns a filed case to an operator (or frees it), without changing its state.
pub async fn assign(
    db: &Db,
    id: &str,
    revision: i64,
    assigned_to: Option<&str>,
    now: i64,
    audit: &Entry,
) -> Result<bool, StorageError> {
    let applied = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE domande SET assigned_to = $1, updated_at = $2, revision = revision + 1
             WHERE id = $3 AND revision = $4 AND state <> 'bozza'",
        )
        .bind(assigned_to)
        .bind(now)
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1 {
            audit_append!(tx, audit);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done == 1)
    }
    .await)?;
    Ok(applied)
}

/// A timeline entry as shown.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: String,
    pub at: i64,
    pub state: String,
    pub actor_role: String,
    pub note: Option<String>,
}

pub async fn events(db: &Db, domanda_id: &str) -> Result<Vec<Event>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Event>(
        "SELECT id, at, state, actor_role, note FROM domanda_events WHERE domanda_id = $1 ORDER BY at, id"
    )
    .bind(domanda_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// One event (for the job that tells the citizen about it).
pub async fn event(db: &Db, event_id: &str) -> Result<Option<(String, Event)>, StorageError> {
    let row: Option<(String, String, i64, String, String, Option<String>)> = read_pool!(db, |pool| {
        sqlx::query_as("SELECT domanda_id, id, at, state, actor_role, note FROM domanda_events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.map(|(domanda, id, at, state, actor_role, note)| {
        (
            domanda,
            Event {
                id,
                at,
                state,
                actor_role,
                note,
            },
        )
    }))
}

/// Events by id, each with its application's id (for the job that tells the citizen).
pub async fn events_by_id(db: &Db, ids: &[String]) -> Result<Vec<(String, Event)>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String, i64, String, String, Option<String>)> = read_pool!(db, |pool| {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT domanda_id, id, at, state, actor_role, note FROM domanda_events WHERE id IN (",
        );
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        query.push(") ORDER BY at, id");
        query.build_query_as().fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(domanda, id, at, state, actor_role, note)| {
            (
                domanda,
                Event {
                    id,
                    at,
                    state,
                    actor_role,
                    note,
                },
            )
        })
        .collect())
}

/// Applications by id, for the back office's jobs (no ownership: the caller is the system).
pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<Domanda>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = read_pool!(db, |pool| {
        let mut query = sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM domande d WHERE d.id IN ("));
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        query.push(")");
        query.build_query_as::<Domanda>().fetch_all(pool).await
    })?;
    Ok(rows)
}

/// An internal note with its author's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Note {
    pub id: String,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

pub async fn notes(db: &Db, domanda_id: &str) -> Result<Vec<Note>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Note>(
        "SELECT n.id, COALESCE(a.display_name, '') AS author_name, n.body, n.created_at
           FROM domanda_notes n LEFT JOIN accounts a ON a.id = n.author_id
          WHERE n.domanda_id = $1 ORDER BY n.created_at, n.id"
    )
    .bind(domanda_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

pub async fn add_note(
    db: &Db,
    domanda_id: &str,
    author_id: &str,
    body: &str,
    now: i64,
    audit: &Entry,
) -> Result<(), StorageError> {
    write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO domanda_notes (id, domanda_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(domanda_id)
        .bind(author_id)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, audit);
        tx.commit().await
    }
    .await
    })?;
    Ok(())
}

/// A stored attachment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attachment {
    pub id: String,
    pub domanda_id: String,
    pub field: String,
    pub file_key: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

/// Records an uploaded file on a draft (or, for `integrazione`, on a case waiting for
/// documents). `false`: the application is not in a state that takes files.
pub async fn add_attachment(
    db: &Db,
    attachment: &Attachment,
    account_id: &str,
    uploaded_by: &str,
) -> Result<bool, StorageError> {
    let states = if attachment.field == "integrazione" {
        "'richiesta-integrazione'"
    } else {
        "'bozza'"
    };
    let sql = format!(
        "INSERT INTO domanda_attachments (id, domanda_id, field, file_key, name, mime, size, sha256, uploaded_by, created_at)
         SELECT $1, d.id, $2, $3, $4, $5, $6, $7, $8, $9 FROM domande d
          WHERE d.id = $10 AND d.account_id = $11 AND d.state IN ({states})"
    );
    let done = write_pool!(db, |pool| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&attachment.id)
        .bind(&attachment.field)
        .bind(&attachment.file_key)
        .bind(&attachment.name)
        .bind(&attachment.mime)
        .bind(attachment.size)
        .bind(&attachment.sha256)
        .bind(uploaded_by)
        .bind(attachment.created_at)
        .bind(&attachment.domanda_id)
        .bind(account_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

pub async fn attachments(db: &Db, domanda_id: &str) -> Result<Vec<Attachment>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Attachment>(
        "SELECT id, domanda_id, field, file_key, name, mime, size, sha256, created_at
           FROM domanda_attachments WHERE domanda_id = $1 ORDER BY created_at, id"
    )
    .bind(domanda_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// The competent sede for a citizen: the one of their province, else of their comune, else
/// the first one; `(id, codice, nome)`.
pub async fn competent_sede(
    db: &Db,
    account_id: &str,
) -> Result<Option<(String, String, String)>, StorageError> {
    let row = read_pool!(db, |pool| {
        sqlx::query_as::<_, (String, String, String)>(
        "SELECT s.id, s.codice, s.nome FROM sedi s
           LEFT JOIN citizen_profiles p ON p.account_id = $1
          ORDER BY CASE WHEN p.address_provincia IS NOT NULL AND UPPER(s.provincia) = UPPER(p.address_provincia) THEN 0
                        WHEN p.address_comune IS NOT NULL AND UPPER(s.comune) = UPPER(p.address_comune) THEN 1
                        ELSE 2 END,
                   s.codice
          LIMIT 1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await
    })?;
    Ok(row)
}

/// The sede a staff member works in, `(id, nome)`.
pub async fn staff_sede(db: &Db, account_id: &str) -> Result<Option<(String, String)>, StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as::<_, (String, String)>(
        "SELECT s.id, s.nome FROM accounts a JOIN sedi s ON s.id = a.sede_id WHERE a.id = $1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// `(codice, nome)` of a sede.
pub async fn sede(db: &Db, id: &str) -> Result<Option<(String, String)>, StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as::<_, (String, String)>(
        "SELECT codice, nome FROM sedi WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// A row of an office's queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: String,
    pub protocol: Option<String>,
    pub form_code: String,
    pub state: String,
    pub submitted_at: Option<i64>,
    pub citizen_name: String,
    pub assigned_name: Option<String>,
    pub integration_due: Option<String>,
}

/// What the queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<Stato>,
    pub form_code: Option<String>,
    /// Only cases assigned to this account.
    pub assigned_to: Option<String>,
    /// Only cases nobody has taken.
    pub unassigned: bool,
}

/// Filed applications of a sede (every sede: `None`), open cases first and oldest first (first come, first served), at most 200.
pub async fn queue(
    db: &Db,
    sede_id: Option<&str>,
    filter: &QueueFilter,
) -> Result<Vec<QueueRow>, StorageError> {
    let rows = read_pool!(db, |pool| {
        sqlx::query_as::<_, QueueRow>(
        "SELECT d.id, d.protocol, d.form_code, d.state, d.submitted_at,
                COALESCE(c.display_name, '') AS citizen_name, s.display_name AS assigned_name, d.integration_due
           FROM domande d
           JOIN accounts c ON c.id = d.account_id
           LEFT JOIN accounts s ON s.id = d.assigned_to
          WHERE ($1 IS NULL OR d.sede_id = $1) AND d.state <> 'bozza'
            AND ($2 IS NULL OR d.state = $2)
            AND ($3 IS NULL OR d.form_code = $3)
            AND ($4 IS NULL OR d.assigned_to = $4)
            AND ($5 = 0 OR d.assigned_to IS NULL)
          ORDER BY CASE WHEN d.state IN ('accolta', 'respinta', 'ritirata') THEN 1 ELSE 0 END, d.submitted_at, d.id
          LIMIT 200"
    )
    .bind(sede_id)
    .bind(filter.state.map(Stato::code))
    .bind(&filter.form_code)
    .bind(&filter.assigned_to)
    .bind(i64::from(filter.unassigned))
    .fetch_all(pool)
    .await
    })?;
    Ok(rows)
}

/// The latest version of every form as stored, and every older version: `(code, version,
/// file_name, source)`.
pub async fn form_sources(db: &Db) -> Result<Vec<(String, i64, String, String)>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, (String, i64, String, String)>(
        "SELECT code, version, file_name, source FROM form_versions ORDER BY code, version"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// The revision of the stored forms (bumped by every load).
pub async fn forms_revision(db: &Db) -> Result<i64, StorageError> {
    let revision = read_pool!(db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT revision FROM forms_state WHERE id = 1"
    )
    .fetch_one(pool)
    .await)?;
    Ok(revision)
}

/// `(code, version) -> digest` of every stored form version.
pub async fn form_digests(db: &Db) -> Result<Vec<(String, i64, String)>, StorageError> {
    let rows = write_pool!(db, |pool| sqlx::query_as::<_, (String, i64, String)>(
        "SELECT code, version, digest FROM form_versions"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// A form version to store.
#[derive(Debug, Clone)]
pub struct NewFormVersion {
    pub code: String,
    pub version: i64,
    pub file_name: String,
    pub source: String,
    pub digest: String,
}

/// Stores new form versions and bumps the revision, in one transaction.
pub async fn store_forms(
    db: &Db,
    forms: &[NewFormVersion],
    loaded_by: Option<&str>,
    now: i64,
    audit: &Entry,
) -> Result<(), StorageError> {
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        for form in forms {
            sqlx::query(
                "INSERT INTO form_versions (code, version, file_name, source, digest, loaded_at, loaded_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&form.code)
            .bind(form.version)
            .bind(&form.file_name)
            .bind(&form.source)
            .bind(&form.digest)
            .bind(now)
            .bind(loaded_by)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE forms_state SET revision = revision + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        audit_append!(tx, audit);
        tx.commit().await
    }
    .await)?;
    Ok(())
}
