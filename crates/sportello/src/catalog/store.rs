//! The catalogue in the database: pages and their versions, synonyms, search misses and page
//! feedback. Every change to what the public may see bumps `catalog_state.revision` in the same
//! transaction, which is how every node learns it must rebuild (see `catalog::live`).

use super::model::{Content, ContentFile, Kind, Slug};
use crate::audit::Entry;
use crate::storage::{Db, StorageError, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// A page as the public side needs it: the versions that are or will be live, and when.
#[derive(Debug, Clone)]
pub struct StoredPage {
    pub id: String,
    pub kind: Kind,
    pub slug: Slug,
    pub live: Option<(i64, Content)>,
    pub scheduled: Option<(i64, Content)>,
    pub publish_at: Option<i64>,
    pub unpublish_at: Option<i64>,
    pub review_by: Option<jiff::civil::Date>,
    pub popularity: i64,
    pub updated_at: i64,
}

impl StoredPage {
    /// The content the public sees at `now`, with its version number.
    pub fn visible_at(&self, now: i64) -> Option<(i64, &Content)> {
        if self.unpublish_at.is_some_and(|at| at <= now) {
            return None;
        }
        match (&self.scheduled, self.publish_at) {
            (Some((number, content)), Some(at)) if at <= now => Some((*number, content)),
            _ => self.live.as_ref().map(|(number, content)| (*number, content)),
        }
    }

    /// The next instant after `now` at which what the public sees changes.
    pub fn next_change_after(&self, now: i64) -> Option<i64> {
        [
            self.publish_at.filter(|_| self.scheduled.is_some()),
            self.unpublish_at,
        ]
        .into_iter()
        .flatten()
        .filter(|at| *at > now)
        .min()
    }
}

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

fn parse_body(body: Option<String>, number: Option<i64>) -> Result<Option<(i64, Content)>, StorageError> {
    match (body, number) {
        (Some(body), Some(number)) => {
            let content =
                serde_json::from_str(&body).map_err(|e| corrupt(format!("content version: {e}")))?;
            Ok(Some((number, content)))
        }
        _ => Ok(None),
    }
}

fn parse_date(text: Option<String>) -> Option<jiff::civil::Date> {
    text.and_then(|t| t.parse().ok())
}

/// The revision counter and the synonyms text.
pub async fn state(db: &Db) -> Result<(i64, String), StorageError> {
    let row = read_pool!(db, |pool| sqlx::query_as::<_, (i64, String)>(
        "SELECT revision, synonyms FROM catalog_state WHERE id = 1"
    )
    .fetch_one(pool)
    .await)?;
    Ok(row)
}

/// Every page with its live and scheduled content.
pub async fn load_pages(db: &Db) -> Result<Vec<StoredPage>, StorageError> {
    type Row = (
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        i64,
        i64,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT c.id, c.kind, c.slug, c.live_version, c.scheduled_version, c.publish_at, c.unpublish_at,
                c.review_by, c.popularity, c.updated_at, l.body AS live_body, s.body AS scheduled_body
         FROM contents c
         LEFT JOIN content_versions l ON l.content_id = c.id AND l.number = c.live_version
         LEFT JOIN content_versions s ON s.content_id = c.id AND s.number = c.scheduled_version
         WHERE c.live_version IS NOT NULL OR c.scheduled_version IS NOT NULL"
    )
    .fetch_all(pool)
    .await)?;
    rows.into_iter()
        .map(
            |(
                id,
                kind,
                slug,
                live_version,
                scheduled_version,
                publish_at,
                unpublish_at,
                review_by,
                popularity,
                updated_at,
                live_body,
                scheduled_body,
            )| {
                Ok(StoredPage {
                    id,
                    kind: Kind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind}")))?,
                    slug: Slug::parse(&slug).ok_or_else(|| corrupt(format!("slug {slug}")))?,
                    live: parse_body(live_body, live_version)?,
                    scheduled: parse_body(scheduled_body, scheduled_version)?,
                    publish_at,
                    unpublish_at,
                    review_by: parse_date(review_by),
                    popularity,
                    updated_at,
                })
            },
        )
        .collect()
}

const BUMP: &str = "UPDATE catalog_state SET revision = revision + 1 WHERE id = 1";

/// Who changes content: a staff account, or `None` for an import.
pub type Author<'a> = Option<&'a str>;

/// Creates a page with its first version, unpublished. `Duplicate` if the slug is taken.
pub async fn create(
    db: &Db,
    kind: Kind,
    slug: &Slug,
    content: &Content,
    author: Author<'_>,
    review_by: Option<jiff::civil::Date>,
) -> Result<String, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let body = serde_json::to_string(content).map_err(corrupt)?;
    let now = now_ms();
    let mut entry = Entry::new("contenuto.creato")
        .detail("slug", slug.as_str())
        .detail("tipo", kind.code());
    if let Some(author) = author {
        entry = entry.actor(author);
    }
    write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO contents (id, kind, slug, review_by, popularity, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 0, $5, $5)",
            )
            .bind(&id)
            .bind(kind.code())
            .bind(slug.as_str())
            .bind(review_by.map(|d| d.to_string()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO content_versions (content_id, number, body, author_id, note, created_at)
                 VALUES ($1, 1, $2, $3, '', $4)",
            )
            .bind(&id)
            .bind(&body)
            .bind(author)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_append!(tx, &entry);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        }
        .await
    })?;
    Ok(id)
}

/// Saves a new version (a draft until published). Returns its number.
pub async fn save_version(
    db: &Db,
    id: &str,
    content: &Content,
    author: Author<'_>,
    note: &str,
    review_by: Option<jiff::civil::Date>,
) -> Result<i64, StorageError> {
    let body = serde_json::to_string(content).map_err(corrupt)?;
    let now = now_ms();
    let number = write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let (next,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM content_versions WHERE content_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO content_versions (content_id, number, body, author_id, note, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(next)
            .bind(&body)
            .bind(author)
            .bind(note)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE contents SET updated_at = $2, review_by = $3 WHERE id = $1")
                .bind(id)
                .bind(now)
                .bind(review_by.map(|d| d.to_string()))
                .execute(&mut *tx)
                .await?;
            // The review date shows on the public page.
            sqlx::query(BUMP).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(next)
        }
        .await
    })?;
    Ok(number)
}

/// What to do with a page's publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    /// Version `n` goes live now.
    Now(i64),
    /// Version `n` goes live at the instant.
    At(i64, i64),
    /// The page stops being public at the instant (now if in the past).
    Withdraw(i64),
    /// Cancels a scheduled publication or withdrawal.
    CancelSchedule,
}

/// Changes a page's publication. `Ok(false)` if the page or version does not exist.
pub async fn publish(db: &Db, id: &str, action: Publication, author: &str) -> Result<bool, StorageError> {
    let now = now_ms();
    let (sql, a, b): (&str, Option<i64>, Option<i64>) = match action {
        Publication::Now(n) => (
            "UPDATE contents SET live_version = $2, scheduled_version = NULL, publish_at = NULL,
                 unpublish_at = NULL, updated_at = $4 WHERE id = $1",
            Some(n),
            None,
        ),
        Publication::At(n, at) => (
            "UPDATE contents SET scheduled_version = $2, publish_at = $3, updated_at = $4 WHERE id = $1",
            Some(n),
            Some(at),
        ),
        Publication::Withdraw(at) => (
            "UPDATE contents SET unpublish_at = $3, updated_at = $4 WHERE id = $1",
            None,
            Some(at),
        ),
        Publication::CancelSchedule => (
            "UPDATE contents SET scheduled_version = NULL, publish_at = NULL, unpublish_at = NULL,
                 updated_at = $4 WHERE id = $1",
            None,
            None,
        ),
    };
    let entry = Entry::new("contenuto.pubblicazione")
        .actor(author)
        .detail("contenuto", id)
        .detail("azione", format!("{action:?}"));
    let done = write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            if let Some(n) = a {
                let exists: Option<(i64,)> = sqlx::query_as(
                    "SELECT number FROM content_versions WHERE content_id = $1 AND number = $2",
                )
                .bind(id)
                .bind(n)
                .fetch_optional(&mut *tx)
                .await?;
                if exists.is_none() {
                    return Ok::<_, sqlx::Error>(false);
                }
            }
            let changed = sqlx::query(sql)
                .bind(id)
                .bind(a)
                .bind(b)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            sqlx::query(BUMP).execute(&mut *tx).await?;
            audit_append!(tx, &entry);
            tx.commit().await?;
            Ok(true)
        }
        .await
    })?;
    Ok(done)
}

/// A page as the editors' list shows it.
#[derive(Debug, Clone)]
pub struct EditorRow {
    pub id: String,
    pub kind: Kind,
    pub slug: String,
    pub title: String,
    pub latest: i64,
    pub live_version: Option<i64>,
    pub scheduled_version: Option<i64>,
    pub publish_at: Option<i64>,
    pub unpublish_at: Option<i64>,
    pub review_by: Option<jiff::civil::Date>,
    pub updated_at: i64,
}

/// Every page with its latest version's title, most recently changed first.
pub async fn editor_list(db: &Db) -> Result<Vec<EditorRow>, StorageError> {
    editor_rows(db, None).await
}

/// One page for the editor, by id.
pub async fn editor_page(db: &Db, id: &str) -> Result<Option<EditorRow>, StorageError> {
    Ok(editor_rows(db, Some(id)).await?.pop())
}

/// Every page (or the one with `id`) with its latest version's title.
async fn editor_rows(db: &Db, id: Option<&str>) -> Result<Vec<EditorRow>, StorageError> {
    type Row = (
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        i64,
        i64,
        String,
    );
    // `$1 = ''` stands for "every page": one statement, and the parameter always has a type.
    let rows: Vec<Row> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT c.id, c.kind, c.slug, c.live_version, c.scheduled_version, c.publish_at, c.unpublish_at,
                c.review_by, c.updated_at, v.number, v.body
         FROM contents c
         JOIN content_versions v ON v.content_id = c.id
              AND v.number = (SELECT MAX(number) FROM content_versions WHERE content_id = c.id)
         WHERE $1 = '' OR c.id = $1
         ORDER BY c.updated_at DESC, c.slug"
    )
    .bind(id.unwrap_or_default())
    .fetch_all(pool)
    .await)?;
    rows.into_iter()
        .map(
            |(
                id,
                kind,
                slug,
                live_version,
                scheduled_version,
                publish_at,
                unpublish_at,
                review_by,
                updated_at,
                latest,
                body,
            )| {
                let content: Content = serde_json::from_str(&body).map_err(corrupt)?;
                Ok(EditorRow {
                    id,
                    kind: Kind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind}")))?,
                    slug,
                    title: content.title().to_owned(),
                    latest,
                    live_version,
                    scheduled_version,
                    publish_at,
                    unpublish_at,
                    review_by: parse_date(review_by),
                    updated_at,
                })
            },
        )
        .collect()
}

/// One saved version.
#[derive(Debug, Clone)]
pub struct Version {
    pub number: i64,
    pub content: Content,
    pub author: Option<String>,
    pub note: String,
    pub created_at: i64,
}

/// The versions of a page, newest first.
pub async fn versions(db: &Db, id: &str) -> Result<Vec<Version>, StorageError> {
    let rows: Vec<(i64, String, Option<String>, String, i64)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT v.number, v.body, a.display_name, v.note, v.created_at
         FROM content_versions v LEFT JOIN accounts a ON a.id = v.author_id
         WHERE v.content_id = $1 ORDER BY v.number DESC"
    )
    .bind(id)
    .fetch_all(pool)
    .await)?;
    rows.into_iter()
        .map(|(number, body, author, note, created_at)| {
            Ok(Version {
                number,
                content: serde_json::from_str(&body).map_err(corrupt)?,
                author,
                note,
                created_at,
            })
        })
        .collect()
}

/// Replaces the synonyms list (already parsed and checked by the caller).
pub async fn set_synonyms(db: &Db, text: &str, author: Author<'_>) -> Result<(), StorageError> {
    let mut entry = Entry::new("ricerca.sinonimi");
    if let Some(author) = author {
        entry = entry.actor(author);
    }
    write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE catalog_state SET synonyms = $1, revision = revision + 1 WHERE id = 1")
                .bind(text)
                .execute(&mut *tx)
                .await?;
            audit_append!(tx, &entry);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        }
        .await
    })?;
    Ok(())
}

/// Adds counted searches with no results (already free of personal data).
pub async fn record_misses(db: &Db, misses: &[(String, i64)]) -> Result<(), StorageError> {
    if misses.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            for (query, count) in misses {
                sqlx::query(
                    "INSERT INTO search_misses (query, count, first_seen, last_seen) VALUES ($1, $2, $3, $3)
                     ON CONFLICT (query) DO UPDATE SET count = search_misses.count + $2, last_seen = $3",
                )
                .bind(query)
                .bind(count)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        }
        .await
    })?;
    Ok(())
}

/// The most frequent searches with no results.
pub async fn misses(db: &Db, limit: i64) -> Result<Vec<(String, i64, i64)>, StorageError> {
    let rows = read_pool!(db, |pool| sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT query, count, last_seen FROM search_misses ORDER BY count DESC, last_seen DESC LIMIT $1"
    )
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Adds page visits to the pages' popularity (counted in memory, flushed now and then).
/// Does not bump the revision: popularity reaches the ranking at the next rebuild.
pub async fn add_visits(db: &Db, visits: &[(String, i64)]) -> Result<(), StorageError> {
    if visits.is_empty() {
        return Ok(());
    }
    write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            for (id, count) in visits {
                sqlx::query("UPDATE contents SET popularity = popularity + $2 WHERE id = $1")
                    .bind(id)
                    .bind(count)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        }
        .await
    })?;
    Ok(())
}

/// Imports content files as published pages; a slug that exists already is left alone.
/// Returns how many were added.
pub async fn import(db: &Db, files: &[ContentFile]) -> Result<usize, StorageError> {
    let now = now_ms();
    let mut rows = Vec::with_capacity(files.len());
    for file in files {
        let body = serde_json::to_string(&file.content).map_err(corrupt)?;
        rows.push((uuid::Uuid::now_v7().to_string(), file, body));
    }
    // One transaction for the whole import: a node never serves half a catalogue (a refresh
    // between two files would show some pages and not others), and a failure leaves nothing.
    let added = write_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let mut added = 0;
            for (id, file, body) in &rows {
                let done = sqlx::query(
                    "INSERT INTO contents (id, kind, slug, live_version, review_by, popularity, created_at, updated_at)
                     VALUES ($1, $2, $3, 1, $4, $5, $6, $6) ON CONFLICT (kind, slug) DO NOTHING",
                )
                .bind(id)
                .bind(file.content.kind().code())
                .bind(file.slug.as_str())
                .bind(file.review_by.map(|d| d.to_string()))
                .bind(i64::from(file.popularity))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO content_versions (content_id, number, body, author_id, note, created_at)
                     VALUES ($1, 1, $2, NULL, 'import', $3)",
                )
                .bind(id)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += 1;
            }
            if added > 0 {
                sqlx::query(BUMP).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(added)
        }
        .await
    })?;
    Ok(added)
}
