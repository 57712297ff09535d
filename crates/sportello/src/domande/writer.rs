//! Group commit for filings: applications filed in one go (the app's "fill in and send"),
//! drafts opened (the browser's first click, or the app's "fill in, send later") and drafts
//! filed from their summary page, each kind in its own queue and batches. A filing is a
//! handful of rows: the application, its first timeline event, the job that tells the
//! citizen, the audit entry, and a protocol number from a counter every filing of the year
//! shares. One transaction each would make that counter and SQLite's single writer the
//! ceiling of a click day. The writer task takes every filing waiting, writes them all in one
//! transaction with one multi-row statement per table and one counter update per
//! institution, and only then answers each caller: a request never returns a protocol number
//! before it is durable, and the numbers stay gap-free (a failed transaction takes none).
//!
//! Idempotency keys are checked inside the transaction. If two nodes race on one key, the
//! loser's batch hits the unique index (which waits for the winner's commit), and the writer
//! writes that batch again one item at a time, even a batch of one: the key is then found and
//! answered as made before. The same fallback keeps one item that cannot be stored from
//! failing the others.

use tokio::sync::{mpsc, oneshot};

use super::store::{Drafted, Filed, Filing, NewDraft, NewEvent};
use crate::audit::Entry;
use crate::jobs::queue::NewJob;
use crate::storage::{Db, StorageError};
use crate::write_pool;

/// At most this many filings per transaction (about 20 bound values each).
const BATCH: usize = 200;

/// Everything a filing writes, prepared outside the writer.
#[derive(Debug, Clone)]
pub struct NewFiling {
    pub id: String,
    pub account_id: String,
    pub form_code: String,
    pub form_version: i64,
    /// The canonical answers, JSON.
    pub answers: String,
    /// Steps of the form (the draft's "furthest step").
    pub steps: i64,
    pub create_key: Option<String>,
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
pub enum Outcome {
    /// Filed now: its protocol number.
    Filed(String),
    /// The idempotency key was used before: the application made then.
    Existing(String),
}

/// Why a write was refused, as the caller must answer it. (A storage error is not `Clone`,
/// and one failed batch answers many callers.)
#[derive(Debug, Clone)]
enum Failure {
    /// The database is unreachable or saturated: 503, try again.
    Unavailable(String),
    /// A unique index refused it: a key raced with another node.
    Duplicate(String),
    /// The database cannot store a value of it: bad input, 422.
    Unstorable(String),
    Other(String),
}

impl From<StorageError> for Failure {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Unavailable(source) => Self::Unavailable(source.to_string()),
            StorageError::Duplicate(source) => Self::Duplicate(source.to_string()),
            StorageError::Unstorable(source) => Self::Unstorable(source.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<Failure> for StorageError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Unavailable(message) => Self::Unavailable(sqlx::Error::Protocol(message)),
            Failure::Duplicate(message) => Self::Duplicate(sqlx::Error::Protocol(message)),
            Failure::Unstorable(message) => Self::Unstorable(sqlx::Error::Protocol(message)),
            Failure::Other(message) => Self::Corrupt(format!("write failed: {message}")),
        }
    }
}

/// A kind of filing the writer batches: how a batch of them is written in one transaction.
trait Batch: Send + Sync + 'static {
    type Outcome: Clone + Send + 'static;
    fn write<'a>(
        db: &'a Db,
        items: &'a [&'a Self],
    ) -> impl std::future::Future<Output = Result<Vec<Self::Outcome>, StorageError>> + Send + 'a;
}

impl Batch for NewFiling {
    type Outcome = Outcome;
    fn write<'a>(
        db: &'a Db,
        items: &'a [&'a Self],
    ) -> impl std::future::Future<Output = Result<Vec<Outcome>, StorageError>> + Send + 'a {
        write_batch(db, items)
    }
}

impl Batch for NewDraft {
    type Outcome = Drafted;
    fn write<'a>(
        db: &'a Db,
        items: &'a [&'a Self],
    ) -> impl std::future::Future<Output = Result<Vec<Drafted>, StorageError>> + Send + 'a {
        super::store::create_drafts(db, items)
    }
}

impl Batch for Filing {
    type Outcome = Filed;
    fn write<'a>(
        db: &'a Db,
        items: &'a [&'a Self],
    ) -> impl std::future::Future<Output = Result<Vec<Filed>, StorageError>> + Send + 'a {
        super::store::file_drafts(db, items)
    }
}

struct Pending<T: Batch> {
    item: T,
    done: oneshot::Sender<Result<T::Outcome, Failure>>,
}

/// A handle to the node's filing writer tasks.
#[derive(Clone, Debug)]
pub struct FilingWriter {
    queue: mpsc::Sender<Pending<NewFiling>>,
    drafts: mpsc::Sender<Pending<Filing>>,
    openings: mpsc::Sender<Pending<NewDraft>>,
}

impl<T: Batch> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl FilingWriter {
    /// Starts the writer tasks on `db`. They stop when every handle is dropped.
    pub fn spawn(db: Db) -> Self {
        let (queue, receiver) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db.clone(), receiver));
        let (drafts, receiver) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db.clone(), receiver));
        let (openings, receiver) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db, receiver));
        Self {
            queue,
            drafts,
            openings,
        }
    }

    /// Files `filing` (in one go); returns once it is committed.
    pub async fn file(&self, filing: NewFiling) -> Result<Outcome, StorageError> {
        submit(&self.queue, filing).await
    }

    /// Files a draft; returns once it is committed.
    pub async fn file_draft(&self, filing: Filing) -> Result<Filed, StorageError> {
        submit(&self.drafts, filing).await
    }

    /// Opens a draft; returns once it is committed.
    pub async fn open_draft(&self, draft: NewDraft) -> Result<Drafted, StorageError> {
        submit(&self.openings, draft).await
    }
}

async fn submit<T: Batch>(queue: &mpsc::Sender<Pending<T>>, item: T) -> Result<T::Outcome, StorageError> {
    let (done, answer) = oneshot::channel();
    let stopped = || StorageError::Corrupt("the filing writer has stopped".to_owned());
    queue.send(Pending { item, done }).await.map_err(|_| stopped())?;
    match answer.await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(failure)) => Err(failure.into()),
        Err(_) => Err(stopped()),
    }
}

async fn run<T: Batch>(db: Db, mut receiver: mpsc::Receiver<Pending<T>>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let items: Vec<&T> = batch.iter().map(|p| &p.item).collect();
        let results = match T::write(&db, &items).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(err)
                if matches!(err, StorageError::Duplicate(_))
                    || (batch.len() > 1 && !matches!(err, StorageError::Unavailable(_))) =>
            {
                // A key raced with another node (or one item cannot be stored): one
                // transaction each, so only that item is affected. A key that raced is
                // committed by the other node by now (the unique index waited for it), so
                // written again, even alone, it is found and answered as made before.
                tracing::warn!(error = %err, filings = batch.len(), "filing batch refused; filing one by one");
                let mut results = Vec::with_capacity(batch.len());
                for item in &items {
                    results.push(match T::write(&db, std::slice::from_ref(item)).await {
                        Ok(mut outcome) => outcome
                            .pop()
                            .ok_or_else(|| Failure::Other("no outcome".to_owned())),
                        Err(err) => Err(Failure::from(err)),
                    });
                }
                results
            }
            Err(err) => {
                tracing::error!(error = %err, filings = batch.len(), "filing batch not written");
                vec![Err(Failure::from(err)); batch.len()]
            }
        };
        for (pending, result) in batch.into_iter().zip(results) {
            let _ = pending.done.send(result);
        }
    }
}

/// The job that files a letter for each filing of a batch.
fn batch_notice_job(filings: &[&NewFiling]) -> NewJob {
    let events: Vec<&str> = filings.iter().map(|f| f.event.id.as_str()).collect();
    super::service::notice_job_for(&events)
}

/// Writes `filings` in one transaction. A key already used (in the database or earlier in the
/// batch) gives `Existing`; on a race the unique index refuses the whole transaction.
async fn write_batch(db: &Db, filings: &[&NewFiling]) -> Result<Vec<Outcome>, StorageError> {
    let outcomes = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        // Keys used before.
        let keyed: Vec<(&str, &str)> = filings
            .iter()
            .filter_map(|f| f.create_key.as_deref().map(|k| (f.account_id.as_str(), k)))
            .collect();
        let mut known = known_create_keys!(tx, &keyed);
        // Which filings are new; the others point at what exists.
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(filings.len());
        let mut fresh: Vec<&NewFiling> = Vec::new();
        for filing in filings {
            match &filing.create_key {
                Some(key) => match known.get(&(filing.account_id.clone(), key.clone())) {
                    Some(id) => outcomes.push(Some(Outcome::Existing(id.clone()))),
                    None => {
                        known.insert((filing.account_id.clone(), key.clone()), filing.id.clone());
                        outcomes.push(None);
                        fresh.push(filing);
                    }
                },
                None => {
                    outcomes.push(None);
                    fresh.push(filing);
                }
            }
        }
        if fresh.is_empty() {
            tx.commit().await?;
            return Ok::<_, sqlx::Error>(outcomes.into_iter().flatten().collect());
        }
        let numbers = take_protocol_numbers!(
            tx,
            fresh
                .iter()
                .map(|f| (f.ente.clone(), super::model::anno_di(f.event.at), f.sede_code.clone()))
                .collect()
        );
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO domande (id, account_id, form_code, form_version, state, answers, step, created_by,
                create_key, protocol, verify_code, sede_id, submitted_at, submitted_by, submitted_as,
                submitted_by_name, created_at, updated_at, revision) ",
        );
        insert.push_values(fresh.iter().zip(&numbers), |mut row, (f, protocol)| {
            row.push_bind(&f.id)
                .push_bind(&f.account_id)
                .push_bind(&f.form_code)
                .push_bind(f.form_version)
                .push_bind("presentata")
                .push_bind(&f.answers)
                .push_bind(f.steps)
                .push_bind(&f.submitted_by)
                .push_bind(f.create_key.as_deref())
                .push_bind(protocol.as_str())
                .push_bind(&f.verify_code)
                .push_bind(f.sede_id.as_deref())
                .push_bind(f.event.at)
                .push_bind(&f.submitted_by)
                .push_bind(f.submitted_as)
                .push_bind(&f.submitted_by_name)
                .push_bind(f.event.at)
                .push_bind(f.event.at)
                .push_bind(1_i64);
        });
        insert.build().execute(&mut *tx).await?;
        let mut events = sqlx::QueryBuilder::new(
            "INSERT INTO domanda_events (id, domanda_id, at, state, actor_id, actor_role, note) ",
        );
        events.push_values(&fresh, |mut row, f| {
            row.push_bind(&f.event.id)
                .push_bind(&f.id)
                .push_bind(f.event.at)
                .push_bind(f.event.state.code())
                .push_bind(f.event.actor_id.as_deref())
                .push_bind(f.event.actor_role)
                .push_bind(f.event.note.as_deref());
        });
        events.build().execute(&mut *tx).await?;
        // One job tells every citizen of the batch (a letter each): a job per filing would
        // cost the runner a claim and a completion per filing during the peak.
        let job = batch_notice_job(&fresh);
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
        .execute(&mut *tx)
        .await?;
        let audits: Vec<Entry> = fresh
            .iter()
            .zip(&numbers)
            .map(|(f, protocol)| f.audit.clone().detail("protocollo", protocol.as_str()))
            .collect();
        let audit_refs: Vec<&Entry> = audits.iter().collect();
        crate::audit_append_all!(tx, &audit_refs);
        tx.commit().await?;
        let mut numbers = numbers.into_iter();
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::Filed(numbers.next().unwrap_or_default())))
            .collect())
    }
    .await
    })?;
    Ok(outcomes)
}
