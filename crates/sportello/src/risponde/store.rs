//! Questions in the database. Every change is one transaction: the question's row, the
//! message, the timeline event and the audit entry are written together or not at all, and
//! the state moves only from the state the caller saw (a concurrent change is a conflict,
//! not a lost update). "Now" is a parameter wherever a due date or lateness is computed, so
//! tests run on a fixed clock.

use super::calendar;
use super::model::{self, Rating, State};
use crate::audit::Entry;
use crate::jobs::NewJob;
use crate::storage::{Db, StorageError};
use crate::{audit_append, job_enqueue, read_pool, write_pool};

// Written as macros, like `audit_append!`, so the same statements compile for both drivers
// inside a transaction.
macro_rules! insert_message {
    ($tx:expr, $question_id:expr, $message:expr, $now:expr) => {{
        let message: &NewMessage = $message;
        let message_id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO question_messages (id, question_id, author_id, author_role, body, internal, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&message_id)
        .bind($question_id)
        .bind(&message.author_id)
        .bind(&message.author_role)
        .bind(&message.body)
        .bind(i64::from(message.internal))
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        for attachment in &message.attachments {
            sqlx::query(
                "INSERT INTO question_attachments (id, message_id, file_key, name, mime, size)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&message_id)
            .bind(&attachment.file_key)
            .bind(&attachment.name)
            .bind(&attachment.mime)
            .bind(attachment.size)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

macro_rules! insert_event {
    ($tx:expr, $question_id:expr, $at:expr, $kind:expr, $detail:expr) => {{
        sqlx::query(
            "INSERT INTO question_events (id, question_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind($question_id)
        .bind($at)
        .bind($kind)
        .bind($detail)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// A question as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Question {
    pub id: String,
    pub number: String,
    pub account_id: String,
    pub asked_by: String,
    pub topic: String,
    pub kind: String,
    pub subject: String,
    pub state: String,
    pub sede_id: Option<String>,
    pub team: String,
    pub assigned_to: Option<String>,
    pub application_ref: Option<String>,
    pub due_at: i64,
    pub answered_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub merged_into: Option<String>,
}

impl Question {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Inviata)
    }

    pub fn overdue(&self, now_ms: i64) -> bool {
        model::overdue(self.state(), self.due_at, now_ms)
    }
}

const COLUMNS: &str = "q.id, q.number, q.account_id, q.asked_by, q.topic, q.kind, q.subject, q.state, \
    q.sede_id, q.team, q.assigned_to, q.application_ref, q.due_at, q.answered_at, q.created_at, \
    q.updated_at, q.merged_into";

/// A message with its author's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: String,
    pub author_id: String,
    pub author_role: String,
    pub author_name: String,
    pub body: String,
    pub internal: i64,
    pub created_at: i64,
}

/// An attachment's metadata.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attachment {
    pub id: String,
    pub message_id: String,
    pub file_key: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
}

/// One step of the timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

/// A stored rating.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingRow {
    pub velocita: i64,
    pub completezza: i64,
    pub chiarezza: i64,
    pub utilita: i64,
    pub risolto: i64,
    pub created_at: i64,
}

/// A sede as routing sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SedeInfo {
    pub id: String,
    pub nome: String,
    pub comune: String,
}

impl SedeInfo {
    pub fn patron(&self) -> Option<calendar::MonthDay> {
        calendar::patron_of(&self.comune)
    }
}

/// An attachment already written to the file store, to record with its message.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_key: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
}

/// A message to add.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub author_id: String,
    pub author_role: String,
    pub body: String,
    pub internal: bool,
    pub attachments: Vec<NewAttachment>,
}

/// A new question.
#[derive(Debug, Clone)]
pub struct NewQuestion {
    pub account_id: String,
    pub asked_by: String,
    pub topic: model::Topic,
    /// `risponde` (to the contact center) or `sede` (straight to the citizen's sede).
    pub to_sede: bool,
    pub subject: String,
    pub application_ref: Option<String>,
    pub message: NewMessage,
    /// The competent sede; required when `to_sede`.
    pub sede: Option<SedeInfo>,
}

/// The created question's id and number.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    pub number: String,
    pub due_at: i64,
}

/// The competent sede for a citizen's question on `topic`. In order: a sede competent for
/// the topic in the citizen's province, then for the topic anywhere, then for every topic in
/// the province; then residence alone (the sede of the province, else of the comune); then
/// the national default (a competence for every topic everywhere); else the first sede by
/// code. `None` when there are no sedi at all.
pub async fn competent_sede(
    db: &Db,
    citizen_id: &str,
    topic: &str,
) -> Result<Option<SedeInfo>, StorageError> {
    let found: Option<SedeInfo> = read_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id, s.nome, s.comune FROM sedi s
           LEFT JOIN citizen_profiles p ON p.account_id = $1
           LEFT JOIN sede_competenze c ON c.sede_id = s.id
                 AND (c.topic = $2 OR c.topic = '*')
                 AND (c.provincia = '*' OR c.provincia = UPPER(p.address_provincia))
          ORDER BY CASE WHEN c.topic = $2 AND c.provincia <> '*' THEN 0
                        WHEN c.topic = $2 THEN 1
                        WHEN c.topic = '*' AND c.provincia <> '*' THEN 2
                        WHEN p.address_provincia IS NOT NULL AND UPPER(s.provincia) = UPPER(p.address_provincia) THEN 3
                        WHEN p.address_comune IS NOT NULL AND LOWER(s.comune) = LOWER(p.address_comune) THEN 4
                        WHEN c.topic = '*' THEN 5
                        ELSE 6 END,
                   s.codice
          LIMIT 1"
    )
    .bind(citizen_id)
    .bind(topic)
    .fetch_optional(pool)
    .await
    })?;
    Ok(found)
}

/// A sede by id.
pub async fn sede(db: &Db, id: &str) -> Result<Option<SedeInfo>, StorageError> {
    let found = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, nome, comune FROM sedi WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(found)
}

/// Every sede.
pub async fn sedi(db: &Db) -> Result<Vec<SedeInfo>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, nome, comune FROM sedi ORDER BY codice"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Files a new question: number, row, first message, attachments, the first timeline event
/// and the audit entry, in one transaction. Due dates count from `now_ms`.
pub async fn create(db: &Db, new: &NewQuestion, audit: &Entry, now_ms: i64) -> Result<Created, StorageError> {
    create_with(db, new, audit, now_ms, &|_| None).await
}

/// [`create`], also queueing in the same transaction the job `job` makes from the created
/// question (the acknowledgement letter, which carries the question's number).
pub async fn create_with(
    db: &Db,
    new: &NewQuestion,
    audit: &Entry,
    now_ms: i64,
    job: &(dyn Fn(&Created) -> Option<NewJob> + Sync),
) -> Result<Created, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let year = model::year_of(now_ms);
    let (team, kind, patron) = if new.to_sede {
        ("sede", "sede", new.sede.as_ref().and_then(SedeInfo::patron))
    } else {
        ("contact-center", "risponde", None)
    };
    let due_at = model::due_at(now_ms, new.topic.sla_days, patron);
    let sede_id = new.sede.as_ref().map(|s| s.id.clone());
    let audit = audit.clone().detail("quesito", id.as_str());
    let event_detail = if new.to_sede {
        new.sede.as_ref().map(|s| s.nome.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    let number = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let sequence: i64 = sqlx::query_scalar(
            "INSERT INTO question_counters (year, last) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last = question_counters.last + 1
             RETURNING last",
        )
        .bind(i64::from(year))
        .fetch_one(&mut *tx)
        .await?;
        let number = model::number(year, sequence);
        sqlx::query(
            "INSERT INTO questions (id, number, account_id, asked_by, topic, kind, subject, state, sede_id,
                team, assigned_to, application_ref, due_at, answered_at, created_at, updated_at, merged_into)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'inviata', $8, $9, NULL, $10, $11, NULL, $12, $12, NULL)",
        )
        .bind(&id)
        .bind(&number)
        .bind(&new.account_id)
        .bind(&new.asked_by)
        .bind(new.topic.code)
        .bind(kind)
        .bind(&new.subject)
        .bind(&sede_id)
        .bind(team)
        .bind(&new.application_ref)
        .bind(due_at)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        insert_message!(tx, &id, &new.message, now_ms);
        insert_event!(tx, &id, now_ms, "inviata", &event_detail);
        let created = Created {
            id: id.clone(),
            number: number.clone(),
            due_at,
        };
        if let Some(job) = job(&created) {
            job_enqueue!(tx, &job);
        }
        audit_append!(tx, &audit);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(number)
    }
    .await)?;
    Ok(Created { id, number, due_at })
}

/// A citizen's questions, newest first.
pub async fn list_for_citizen(db: &Db, account_id: &str) -> Result<Vec<Question>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM questions q WHERE q.account_id = $1 ORDER BY q.created_at DESC, q.id DESC"
    );
    let rows = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(account_id)
        .fetch_all(pool)
        .await)?;
    Ok(rows)
}

/// The question `id` if it is `account_id`'s (anyone else's is `None`: 404).
pub async fn for_citizen(db: &Db, id: &str, account_id: &str) -> Result<Option<Question>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM questions q WHERE q.id = $1 AND q.account_id = $2");
    let row = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .bind(account_id)
        .fetch_optional(pool)
        .await)?;
    Ok(row)
}

/// The question `id`, for staff (the caller checks the queue it is in).
pub async fn find(db: &Db, id: &str) -> Result<Option<Question>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM questions q WHERE q.id = $1");
    let row = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row)
}

/// The question with this number belonging to `account_id`.
pub async fn by_number(db: &Db, number: &str, account_id: &str) -> Result<Option<Question>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM questions q WHERE q.number = $1 AND q.account_id = $2");
    let row = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(number)
        .bind(account_id)
        .fetch_optional(pool)
        .await)?;
    Ok(row)
}

/// A question's messages, oldest first; staff notes only when `internal` is true.
pub async fn messages(db: &Db, question_id: &str, internal: bool) -> Result<Vec<Message>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as(
        "SELECT m.id, m.author_id, m.author_role, COALESCE(a.display_name, '') AS author_name, m.body,
                m.internal, m.created_at
           FROM question_messages m LEFT JOIN accounts a ON a.id = m.author_id
          WHERE m.question_id = $1 AND (m.internal = 0 OR $2 = 1)
          ORDER BY m.created_at, m.id"
    )
    .bind(question_id)
    .bind(i64::from(internal))
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// The attachments of a question's messages (staff notes' only when `internal`).
pub async fn attachments(
    db: &Db,
    question_id: &str,
    internal: bool,
) -> Result<Vec<Attachment>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as(
        "SELECT f.id, f.message_id, f.file_key, f.name, f.mime, f.size
           FROM question_attachments f JOIN question_messages m ON m.id = f.message_id
          WHERE m.question_id = $1 AND (m.internal = 0 OR $2 = 1)
          ORDER BY f.id"
    )
    .bind(question_id)
    .bind(i64::from(internal))
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// A question's timeline, oldest first.
pub async fn events(db: &Db, question_id: &str) -> Result<Vec<Event>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as(
        "SELECT at, kind, detail FROM question_events WHERE question_id = $1 ORDER BY at, id"
    )
    .bind(question_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// The rating, if given.
pub async fn rating(db: &Db, question_id: &str) -> Result<Option<RatingRow>, StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as(
        "SELECT velocita, completezza, chiarezza, utilita, risolto, created_at
           FROM question_ratings WHERE question_id = $1"
    )
    .bind(question_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// What to do to a question in one transaction.
#[derive(Debug, Clone)]
pub struct Change {
    pub question_id: String,
    /// The state the caller saw; the change applies only if it is still the state.
    pub from: State,
    pub to: State,
    pub message: Option<NewMessage>,
    /// Timeline step: kind and detail (what the citizen sees).
    pub event: Option<(&'static str, String)>,
    /// New team and sede (forwarding).
    pub route: Option<(&'static str, String)>,
    /// New assignee (`Some(None)`: nobody).
    pub assign: Option<Option<String>>,
    pub answered: bool,
    pub merged_into: Option<String>,
    /// A new due date (reopening restarts the clock).
    pub due_at: Option<i64>,
    /// Jobs the change causes (the citizen's letters), queued in its transaction: no letter
    /// without the change, no change without its letter.
    pub jobs: Vec<NewJob>,
    pub audit: Entry,
    pub now_ms: i64,
}

impl Change {
    pub fn new(question: &Question, to: State, audit: Entry, now_ms: i64) -> Self {
        Self {
            question_id: question.id.clone(),
            from: question.state(),
            to,
            message: None,
            event: None,
            route: None,
            assign: None,
            answered: false,
            merged_into: None,
            due_at: None,
            jobs: Vec::new(),
            audit: audit.detail("quesito", question.id.as_str()),
            now_ms,
        }
    }
}

/// Applies `change`. `false`: the question moved meanwhile (nothing written).
pub async fn apply(db: &Db, change: &Change) -> Result<bool, StorageError> {
    let applied = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let moved =
            sqlx::query("UPDATE questions SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
                .bind(change.to.as_str())
                .bind(change.now_ms)
                .bind(&change.question_id)
                .bind(change.from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if moved != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        if let Some((team, sede)) = &change.route {
            sqlx::query("UPDATE questions SET team = $1, sede_id = $2, assigned_to = NULL WHERE id = $3")
                .bind(*team)
                .bind(sede)
                .bind(&change.question_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(assignee) = &change.assign {
            sqlx::query("UPDATE questions SET assigned_to = $1 WHERE id = $2")
                .bind(assignee)
                .bind(&change.question_id)
                .execute(&mut *tx)
                .await?;
        }
        if change.answered {
            sqlx::query("UPDATE questions SET answered_at = $1 WHERE id = $2")
                .bind(change.now_ms)
                .bind(&change.question_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(target) = &change.merged_into {
            sqlx::query("UPDATE questions SET merged_into = $1 WHERE id = $2")
                .bind(target)
                .bind(&change.question_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(due) = change.due_at {
            sqlx::query("UPDATE questions SET due_at = $1 WHERE id = $2")
                .bind(due)
                .bind(&change.question_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(message) = &change.message {
            insert_message!(tx, &change.question_id, message, change.now_ms);
        }
        if let Some((kind, detail)) = &change.event {
            insert_event!(tx, &change.question_id, change.now_ms, *kind, detail);
        }
        for job in &change.jobs {
            job_enqueue!(tx, job);
        }
        audit_append!(tx, &change.audit);
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(applied)
}

/// Records a rating; if it says "solved" the answered question closes (and `closing`, the
/// closure letter's job, is queued with it). `false`: already rated (the unique key refused
/// it; nothing written).
pub async fn rate(
    db: &Db,
    question: &Question,
    rating: &Rating,
    audit: &Entry,
    now_ms: i64,
    closing: Option<&NewJob>,
) -> Result<bool, StorageError> {
    let close = rating.risolto && question.state() == State::Risposta;
    let result = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO question_ratings (question_id, velocita, completezza, chiarezza, utilita, risolto, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&question.id)
        .bind(rating.velocita)
        .bind(rating.completezza)
        .bind(rating.chiarezza)
        .bind(rating.utilita)
        .bind(i64::from(rating.risolto))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        insert_event!(tx, &question.id, now_ms, "valutata", "");
        if close {
            sqlx::query("UPDATE questions SET state = 'chiusa', updated_at = $1 WHERE id = $2 AND state = 'risposta'")
                .bind(now_ms)
                .bind(&question.id)
                .execute(&mut *tx)
                .await?;
            insert_event!(tx, &question.id, now_ms, "chiusa", "");
            if let Some(job) = closing {
                job_enqueue!(tx, job);
            }
        }
        audit_append!(tx, audit);
        tx.commit().await
    }
    .await
    });
    match result {
        Ok(()) => Ok(true),
        Err(err) => match StorageError::from(err) {
            StorageError::Duplicate(_) => Ok(false),
            other => Err(other),
        },
    }
}

/// Which questions a staff member works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Supervisors (amministratore): every queue.
    All,
    ContactCenter,
    /// One sede's queue.
    Sede(String),
}

impl Scope {
    /// Whether `question` is in this scope's queues.
    pub fn covers(&self, question: &Question) -> bool {
        match self {
            Self::All => true,
            Self::ContactCenter => question.team == "contact-center",
            Self::Sede(id) => question.team == "sede" && question.sede_id.as_deref() == Some(id),
        }
    }
}

/// The sede a staff account belongs to.
pub async fn staff_sede(db: &Db, account_id: &str) -> Result<Option<String>, StorageError> {
    let found: Option<Option<String>> = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT sede_id FROM accounts WHERE id = $1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await)?;
    Ok(found.flatten())
}

/// A queue's filters. Empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: String,
    pub topic: String,
    pub overdue: bool,
}

/// A row of a queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: String,
    pub number: String,
    pub topic: String,
    pub kind: String,
    pub subject: String,
    pub state: String,
    pub team: String,
    pub sede_name: Option<String>,
    pub assignee_name: Option<String>,
    pub citizen_name: String,
    pub due_at: i64,
    pub created_at: i64,
}

/// The questions in `scope` matching `filter`, the most urgent first. Without a state filter,
/// only those waiting for an answer. `overdue`: due before `now_ms` and not answered.
pub async fn queue(
    db: &Db,
    scope: &Scope,
    filter: &Filter,
    now_ms: i64,
) -> Result<Vec<QueueRow>, StorageError> {
    let (team, sede) = match scope {
        Scope::All => ("", ""),
        Scope::ContactCenter => ("contact-center", ""),
        Scope::Sede(id) => ("sede", id.as_str()),
    };
    let rows = read_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT q.id, q.number, q.topic, q.kind, q.subject, q.state, q.team, s.nome AS sede_name,
                g.display_name AS assignee_name, c.display_name AS citizen_name, q.due_at, q.created_at
           FROM questions q
           JOIN accounts c ON c.id = q.account_id
           LEFT JOIN sedi s ON s.id = q.sede_id
           LEFT JOIN accounts g ON g.id = q.assigned_to
          WHERE ($1 = '' OR q.team = $1)
            AND ($2 = '' OR q.sede_id = $2)
            AND (($3 = '' AND q.state IN ('inviata', 'presa-in-carico', 'inoltrata', 'riaperta')) OR q.state = $3)
            AND ($4 = '' OR q.topic = $4)
            AND ($5 = 0 OR (q.due_at < $6 AND q.state IN ('inviata', 'presa-in-carico', 'inoltrata', 'riaperta')))
          ORDER BY q.due_at, q.id
          LIMIT 500"
    )
    .bind(team)
    .bind(sede)
    .bind(&filter.state)
    .bind(&filter.topic)
    .bind(i64::from(filter.overdue))
    .bind(now_ms)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows)
}

/// Staff who can take a question of `scope`'s queue (for "assign to a colleague").
pub async fn colleagues(db: &Db, question: &Question) -> Result<Vec<(String, String)>, StorageError> {
    let sede = question.sede_id.clone().unwrap_or_default();
    let team = question.team.clone();
    let rows: Vec<(String, String)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT a.id, a.display_name FROM accounts a JOIN staff_credentials c ON c.account_id = a.id
          WHERE a.disabled_at IS NULL
            AND ((a.role = 'operatore_contact_center' AND $1 = 'contact-center')
              OR (a.role = 'operatore_sede' AND $1 = 'sede' AND a.sede_id = $2)
              OR a.role = 'amministratore')
          ORDER BY a.display_name"
    )
    .bind(&team)
    .bind(&sede)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// A canned answer of the knowledge base.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Canned {
    pub id: String,
    pub topic: String,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// Canned answers, for one topic or (empty) all.
pub async fn canned(db: &Db, topic: &str) -> Result<Vec<Canned>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, topic, title, body, updated_at FROM canned_answers
          WHERE $1 = '' OR topic = $1 ORDER BY topic, title"
    )
    .bind(topic)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

pub async fn canned_one(db: &Db, id: &str) -> Result<Option<Canned>, StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as(
        "SELECT id, topic, title, body, updated_at FROM canned_answers WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// Creates (`id` None) or updates a canned answer; audited. `false`: no such answer.
pub async fn save_canned(
    db: &Db,
    id: Option<&str>,
    topic: &str,
    title: &str,
    body: &str,
    by: Option<&str>,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let new_id = uuid::Uuid::now_v7().to_string();
    let mut entry = Entry::new("risposta_tipo.salvata").detail("argomento", topic);
    if let Some(by) = by {
        entry = entry.actor(by);
    }
    let done = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let changed = match id {
            Some(id) => sqlx::query(
                "UPDATE canned_answers SET topic = $1, title = $2, body = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(topic)
            .bind(title)
            .bind(body)
            .bind(now_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            None => sqlx::query(
                "INSERT INTO canned_answers (id, topic, title, body, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&new_id)
            .bind(topic)
            .bind(title)
            .bind(body)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if changed != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        audit_append!(tx, &entry);
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(done)
}

/// Deletes a canned answer; audited. `false`: no such answer.
pub async fn delete_canned(db: &Db, id: &str, by: &str) -> Result<bool, StorageError> {
    let entry = Entry::new("risposta_tipo.eliminata")
        .actor(by)
        .detail("risposta_tipo", id);
    let done = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let gone = sqlx::query("DELETE FROM canned_answers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        audit_append!(tx, &entry);
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(done)
}
