//! The audit log: append-only and hash-chained.
//!
//! Every entry carries the hash of the entry before it, so changing, removing or inserting a
//! row anywhere breaks the chain from that row on, and `sportello audit verify` names the first
//! broken link. The database refuses UPDATE and DELETE on the table (a trigger); the chain
//! catches whoever gets past that (someone with the database owner's rights).
//!
//! Appends go through one head row (`audit_head`), locked by each append until its transaction
//! commits: entries form one line even with several nodes writing to PostgreSQL. Audited
//! changes write their entry in the same transaction as the change, so an audit entry exists
//! if and only if the change does. See docs/architecture.md.

pub mod writer;

use sha2::{Digest, Sha256};

use crate::storage::{Db, StorageError};
use crate::{read_pool, write_pool};

/// An event to record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Who did it: an account id, or `None` for an anonymous caller or the system.
    pub actor_id: Option<String>,
    /// Whose data it concerns.
    pub subject_id: Option<String>,
    /// What happened, a stable dotted name (`login.pin.ok`, `delega.created`…).
    pub action: &'static str,
    /// Details as a JSON object (never secrets).
    pub detail: serde_json::Value,
}

impl Entry {
    pub fn new(action: &'static str) -> Self {
        Self {
            actor_id: None,
            subject_id: None,
            action,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn actor(mut self, id: impl Into<String>) -> Self {
        self.actor_id = Some(id.into());
        self
    }

    pub fn subject(mut self, id: impl Into<String>) -> Self {
        self.subject_id = Some(id.into());
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if let serde_json::Value::Object(map) = &mut self.detail {
            map.insert(key.to_owned(), value.into());
        }
        self
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub subject_id: Option<String>,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of the chain's start.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash that links an entry: SHA-256 over its fields, each prefixed by its length so
/// that no two different entries can encode to the same bytes.
pub fn link_hash(
    seq: i64,
    at: i64,
    actor_id: Option<&str>,
    subject_id: Option<&str>,
    action: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(&seq.to_be_bytes());
    field(&at.to_be_bytes());
    // A missing id and an empty one must differ.
    field(actor_id.map_or(&b"\x00"[..], str::as_bytes));
    field(subject_id.map_or(&b"\x00"[..], str::as_bytes));
    field(action.as_bytes());
    field(detail.as_bytes());
    field(prev_hash.as_bytes());
    hex::encode(hasher.finalize())
}

/// Appends `entry` inside the open transaction `tx` (any backend). Put it last in the
/// transaction: the chain's head stays locked until commit.
#[macro_export]
macro_rules! audit_append {
    ($tx:expr, $entry:expr) => {{
        let entry: &$crate::audit::Entry = $entry;
        let (seq, prev): (i64, String) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *$tx)
                .await?;
        let at = $crate::storage::now_ms();
        let detail = entry.detail.to_string();
        let hash = $crate::audit::link_hash(
            seq,
            at,
            entry.actor_id.as_deref(),
            entry.subject_id.as_deref(),
            entry.action,
            &detail,
            &prev,
        );
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, subject_id, action, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(entry.actor_id.as_deref())
        .bind(entry.subject_id.as_deref())
        .bind(entry.action)
        .bind(&detail)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Appends several entries inside a transaction, in order, with three statements whatever
/// their number: reserve the sequence numbers (locking the head until commit), one
/// multi-row insert with the hashes chained in memory, move the head. `$entries` is a slice
/// of `&Entry`, at most a few hundred (8 bound values each).
#[macro_export]
macro_rules! audit_append_all {
    ($tx:expr, $entries:expr) => {{
        let entries: &[&$crate::audit::Entry] = $entries;
        if !entries.is_empty() {
            let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
            let at = $crate::storage::now_ms();
            let (last_seq, mut prev): (i64, String) =
                sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                    .bind(count)
                    .fetch_one(&mut *$tx)
                    .await?;
            let first_seq = last_seq - count + 1;
            let mut rows = Vec::with_capacity(entries.len());
            for (offset, entry) in entries.iter().enumerate() {
                let seq = first_seq + i64::try_from(offset).unwrap_or(0);
                let detail = entry.detail.to_string();
                let hash = $crate::audit::link_hash(
                    seq,
                    at,
                    entry.actor_id.as_deref(),
                    entry.subject_id.as_deref(),
                    entry.action,
                    &detail,
                    &prev,
                );
                rows.push((seq, *entry, detail, prev, hash.clone()));
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
            insert.build().execute(&mut *$tx).await?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&prev)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Records `entry` in a transaction of its own (events that change nothing else: a failed
/// login, a staff member reading a citizen's file).
pub async fn record(db: &Db, entry: &Entry) -> Result<(), StorageError> {
    write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        audit_append!(tx, entry);
        tx.commit().await
    }
    .await)?;
    Ok(())
}

/// Entries about `subject_id` made by someone else (what the citizen sees as "done on my
/// behalf"), newest first.
pub async fn by_others_about(db: &Db, subject_id: &str, limit: i64) -> Result<Vec<Stored>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Stored>(
        "SELECT seq, at, actor_id, subject_id, action, detail, prev_hash, hash FROM audit_log
          WHERE subject_id = $1 AND actor_id IS NOT NULL AND actor_id <> $1
          ORDER BY seq DESC LIMIT $2"
    )
    .bind(subject_id)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Entries about or by `account_id`, newest first.
pub async fn recent_for(db: &Db, account_id: &str, limit: i64) -> Result<Vec<Stored>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, Stored>(
        "SELECT seq, at, actor_id, subject_id, action, detail, prev_hash, hash FROM audit_log
          WHERE subject_id = $1 OR actor_id = $1
          ORDER BY seq DESC LIMIT $2"
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every link holds; this many entries.
    Intact { entries: i64 },
    /// The first entry whose link does not hold, and why.
    Broken { seq: i64, reason: BreakReason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakReason {
    /// An entry is missing before this one (sequence numbers jump).
    Gap,
    /// The entry does not carry the previous entry's hash.
    PrevHash,
    /// The entry's content does not match its hash (it was edited).
    Content,
    /// The head names a different last entry (entries were removed from the end).
    Head,
}

impl std::fmt::Display for BreakReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Gap => "entries before it are missing",
            Self::PrevHash => "it does not carry the hash of the entry before it",
            Self::Content => "its content does not match its hash (it was changed)",
            Self::Head => "the chain's head does not point at the last entry (entries were removed)",
        })
    }
}

/// Walks the whole chain, page by page, and reports the first broken link.
pub async fn verify(db: &Db) -> Result<Verdict, StorageError> {
    const PAGE: i64 = 5_000;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_owned();
    loop {
        let page = read_pool!(db, |pool| sqlx::query_as::<_, Stored>(
            "SELECT seq, at, actor_id, subject_id, action, detail, prev_hash, hash FROM audit_log
              WHERE seq >= $1 ORDER BY seq LIMIT $2"
        )
        .bind(expected_seq)
        .bind(PAGE)
        .fetch_all(pool)
        .await)?;
        let last_page = (page.len() as i64) < PAGE;
        for row in page {
            if row.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: row.seq,
                    reason: BreakReason::Gap,
                });
            }
            if row.prev_hash != prev {
                return Ok(Verdict::Broken {
                    seq: row.seq,
                    reason: BreakReason::PrevHash,
                });
            }
            let recomputed = link_hash(
                row.seq,
                row.at,
                row.actor_id.as_deref(),
                row.subject_id.as_deref(),
                &row.action,
                &row.detail,
                &row.prev_hash,
            );
            if recomputed != row.hash {
                return Ok(Verdict::Broken {
                    seq: row.seq,
                    reason: BreakReason::Content,
                });
            }
            prev = row.hash;
            expected_seq += 1;
        }
        if last_page {
            break;
        }
    }
    let (head_seq, head_hash): (i64, String) = read_pool!(db, |pool| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    .fetch_one(pool)
    .await)?;
    let entries = expected_seq - 1;
    if head_seq != entries || head_hash != prev {
        return Ok(Verdict::Broken {
            seq: entries + 1,
            reason: BreakReason::Head,
        });
    }
    Ok(Verdict::Intact { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_changes_the_hash() {
        let base = link_hash(1, 2, Some("a"), Some("b"), "x", "{}", GENESIS);
        assert_ne!(base, link_hash(2, 2, Some("a"), Some("b"), "x", "{}", GENESIS));
        assert_ne!(base, link_hash(1, 3, Some("a"), Some("b"), "x", "{}", GENESIS));
        assert_ne!(base, link_hash(1, 2, None, Some("b"), "x", "{}", GENESIS));
        assert_ne!(base, link_hash(1, 2, Some(""), Some("b"), "x", "{}", GENESIS));
        assert_ne!(base, link_hash(1, 2, Some("a"), None, "x", "{}", GENESIS));
        assert_ne!(base, link_hash(1, 2, Some("a"), Some("b"), "y", "{}", GENESIS));
        assert_ne!(base, link_hash(1, 2, Some("a"), Some("b"), "x", "{ }", GENESIS));
        assert_ne!(
            base,
            link_hash(1, 2, Some("a"), Some("b"), "x", "{}", &"1".repeat(64))
        );
        // Moving bytes between fields must not collide.
        assert_ne!(
            link_hash(1, 2, Some("ab"), Some("c"), "x", "{}", GENESIS),
            link_hash(1, 2, Some("a"), Some("bc"), "x", "{}", GENESIS)
        );
    }
}
