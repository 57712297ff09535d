//! Group commit for audit entries that stand alone (logins, reads of a citizen's file).
//!
//! On a click day every login writes an audit entry, and an append costs three statements on
//! the chain's head. Appending them one transaction each would make the audit log the
//! bottleneck of logging in (SQLite has a single writer; PostgreSQL serialises on the head
//! row). The writer task takes whatever entries are waiting, appends them all in one
//! transaction (one multi-row INSERT), and only then answers each caller: a request never
//! returns before its entry is durable, so nothing is lost on a crash, but a hundred entries
//! cost about what one did. Changes that must be atomic with their entry keep using
//! `audit_append!` inside their own transaction.

use tokio::sync::{mpsc, oneshot};

use super::Entry;
use crate::storage::{Db, StorageError};
use crate::write_pool;

/// At most this many entries per transaction (8 bound values each, well under SQLite's limit).
const BATCH: usize = 256;

struct Pending {
    entry: Entry,
    done: oneshot::Sender<Result<(), Failure>>,
}

/// Why a batch was not written, as every caller in it is told (a `StorageError` cannot be
/// cloned). An unreachable or saturated database stays a 503 for each caller, as it would
/// have been had they written alone; anything else is an internal error.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    Unavailable(String),
    Other(String),
}

impl Failure {
    fn of(err: &StorageError) -> Self {
        match err {
            StorageError::Unavailable(_) => Self::Unavailable(err.to_string()),
            _ => Self::Other(err.to_string()),
        }
    }

    fn into_error(self) -> StorageError {
        match self {
            Self::Unavailable(message) => {
                StorageError::Unavailable(sqlx::Error::Io(std::io::Error::other(message)))
            }
            Self::Other(message) => StorageError::Corrupt(format!("audit append failed: {message}")),
        }
    }
}

/// A handle to the node's audit writer task.
#[derive(Clone, Debug)]
pub struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl AuditWriter {
    /// Starts the writer task on `db`. It stops when every handle is dropped.
    pub fn spawn(db: Db) -> Self {
        let (queue, receiver) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(db, receiver));
        Self { queue }
    }

    /// Appends `entry`; returns once it is committed.
    pub async fn record(&self, entry: Entry) -> Result<(), StorageError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending { entry, done })
            .await
            .map_err(|_| StorageError::Corrupt("the audit writer has stopped".to_owned()))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failure)) => Err(failure.into_error()),
            Err(_) => Err(StorageError::Corrupt("the audit writer has stopped".to_owned())),
        }
    }
}

async fn run(db: Db, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let result = append_batch(&db, &batch).await.map_err(|e| Failure::of(&e));
        if let Err(failure) = &result {
            tracing::error!(error = ?failure, entries = batch.len(), "audit batch not written");
        }
        for pending in batch {
            let _ = pending.done.send(result.clone());
        }
    }
}

async fn append_batch(db: &Db, batch: &[Pending]) -> Result<(), StorageError> {
    let entries: Vec<&super::Entry> = batch.iter().map(|p| &p.entry).collect();
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        crate::audit_append_all!(tx, &entries);
        tx.commit().await
    }
    .await)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_database_stays_unavailable_for_every_caller_of_the_batch() {
        let down = Failure::of(&StorageError::from(sqlx::Error::PoolTimedOut));
        assert!(matches!(down, Failure::Unavailable(_)));
        assert!(matches!(down.clone().into_error(), StorageError::Unavailable(_)));
        assert!(matches!(
            crate::http::error::AppError::from(down.into_error()),
            crate::http::error::AppError::Unavailable(_)
        ));
        let broken = Failure::of(&StorageError::Corrupt("bad row".to_owned()));
        assert_eq!(broken, Failure::Other("corrupt row: bad row".to_owned()));
        assert!(matches!(broken.into_error(), StorageError::Corrupt(_)));
    }
}
