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

use super::{Entry, link_hash};
use crate::storage::{Db, StorageError, now_ms};
use crate::write_pool;

/// At most this many entries per transaction (8 bound values each, well under SQLite's limit).
const BATCH: usize = 256;

struct Pending {
    entry: Entry,
    done: oneshot::Sender<Result<(), String>>,
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
            Ok(Err(message)) => Err(StorageError::Corrupt(format!("audit append failed: {message}"))),
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
        let result = append_batch(&db, &batch).await.map_err(|e| e.to_string());
        if let Err(message) = &result {
            tracing::error!(error = %message, entries = batch.len(), "audit batch not written");
        }
        for pending in batch {
            let _ = pending.done.send(result.clone());
        }
    }
}

async fn append_batch(db: &Db, batch: &[Pending]) -> Result<(), StorageError> {
    let count = i64::try_from(batch.len()).unwrap_or(i64::MAX);
    let at = now_ms();
    let details: Vec<String> = batch.iter().map(|p| p.entry.detail.to_string()).collect();
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        // Reserves `count` sequence numbers and locks the head until commit; `hash` is still
        // the previous entry's.
        let (last_seq, mut prev): (i64, String) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(count)
                .fetch_one(&mut *tx)
                .await?;
        let first_seq = last_seq - count + 1;
        let mut rows = Vec::with_capacity(batch.len());
        for (offset, (pending, detail)) in batch.iter().zip(&details).enumerate() {
            let seq = first_seq + i64::try_from(offset).unwrap_or(0);
            let entry = &pending.entry;
            let hash = link_hash(
                seq,
                at,
                entry.actor_id.as_deref(),
                entry.subject_id.as_deref(),
                entry.action,
                detail,
                &prev,
            );
            rows.push((seq, entry, detail, prev, hash.clone()));
            prev = hash;
        }
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO audit_log (seq, at, actor_id, subject_id, action, detail, prev_hash, hash) ",
        );
        insert.push_values(&rows, |mut row, (seq, entry, detail, prev_hash, hash)| {
            row.push_bind(*seq)
                .push_bind(at)
                .push_bind(entry.actor_id.as_deref())
                .push_bind(entry.subject_id.as_deref())
                .push_bind(entry.action)
                .push_bind(detail.as_str())
                .push_bind(prev_hash.as_str())
                .push_bind(hash.as_str());
        });
        insert.build().execute(&mut *tx).await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
    .await)?;
    Ok(())
}
