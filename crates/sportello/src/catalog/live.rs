//! What this node serves: an immutable snapshot of the published catalogue with its search
//! index, rebuilt when the database says the catalogue changed.
//!
//! Readers take an `Arc` of the current snapshot and never wait for the database or for a
//! rebuild. A background task polls `catalog_state.revision` (one indexed read per second or
//! two per node) and also rebuilds when a scheduled publication or withdrawal falls due, so
//! nodes agree without talking to each other. Visits and searches with no results are counted
//! in memory and written in batches, so a crowd of readers does not write either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::model::{Audience, Content, Kind, LifeEvent, Slug};
use super::search::{SearchDoc, SearchIndex, Synonyms};
use super::store::{self, StoredPage};
use super::text;
use crate::storage::{Db, StorageError, now_ms};

/// A published page as the public side shows it.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub kind: Kind,
    pub slug: Slug,
    /// `/servizi/naspi`
    pub path: String,
    pub version: i64,
    pub content: Content,
    pub popularity: i64,
    pub updated_at: i64,
    pub review_by: Option<jiff::civil::Date>,
}

impl Page {
    pub fn card(&self) -> Option<&super::model::ServiceCard> {
        match &self.content {
            Content::Servizio(card) => Some(card),
            _ => None,
        }
    }
}

/// The published catalogue at one moment.
#[derive(Debug)]
pub struct Snapshot {
    pub revision: i64,
    /// Pages by kind, most used first (news and alerts: newest first).
    pub pages: Vec<Page>,
    by_path: HashMap<String, usize>,
    pub index: SearchIndex,
    pub synonyms: Synonyms,
    /// The instant after which this snapshot is out of date (a scheduled change).
    pub valid_until: Option<i64>,
    /// When it was built: rebuilt now and then anyway, so counted visits reach the ranking.
    pub built_at: i64,
}

/// How old a snapshot may get before it is rebuilt for the visits counted meanwhile.
const REBUILD_FOR_POPULARITY_MS: i64 = 15 * 60 * 1000;

impl Snapshot {
    /// Builds a snapshot of what is visible at `now`.
    pub fn build(
        revision: i64,
        stored: Vec<StoredPage>,
        synonyms_text: &str,
        now: i64,
    ) -> anyhow::Result<Snapshot> {
        let valid_until = stored.iter().filter_map(|p| p.next_change_after(now)).min();
        let mut pages: Vec<Page> = stored
            .iter()
            .filter_map(|p| {
                let (version, content) = p.visible_at(now)?;
                Some(Page {
                    id: p.id.clone(),
                    kind: p.kind,
                    // Videos have no page of their own: they are items of the /video list.
                    path: if p.kind == Kind::Video {
                        format!("/video#{}", p.slug)
                    } else {
                        format!("/{}/{}", p.kind.section(), p.slug)
                    },
                    slug: p.slug.clone(),
                    version,
                    content: content.clone(),
                    popularity: p.popularity,
                    updated_at: p.updated_at,
                    review_by: p.review_by,
                })
            })
            .collect();
        pages.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then_with(|| date_of(&b.content).cmp(&date_of(&a.content)))
                .then_with(|| b.popularity.cmp(&a.popularity))
                .then_with(|| a.slug.cmp(&b.slug))
        });
        let by_path = pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.path.clone(), i))
            .collect();
        // An editor's list that no longer parses must not take the site down: search goes on
        // without synonyms (the editor page refuses such a list in the first place).
        let synonyms = Synonyms::parse(synonyms_text).unwrap_or_else(|err| {
            tracing::warn!(error = ?err, "stored synonyms do not parse; searching without them");
            Synonyms::default()
        });
        let docs: Vec<SearchDoc> = pages
            .iter()
            .enumerate()
            .map(|(i, page)| SearchDoc {
                key: u32::try_from(i).unwrap_or(u32::MAX),
                title: page.content.title().to_owned(),
                summary: page.content.summary().to_owned(),
                body: text::markdown_to_text(&page.content.plain_text()),
                keywords: page.card().map(|c| c.keywords.clone()).unwrap_or_default(),
                popularity: u32::try_from(page.popularity.clamp(0, i64::from(u32::MAX))).unwrap_or(0),
            })
            .collect();
        let index = SearchIndex::build(&docs, &synonyms)?;
        Ok(Snapshot {
            revision,
            pages,
            by_path,
            index,
            synonyms,
            valid_until,
            built_at: now,
        })
    }

    pub fn by_path(&self, path: &str) -> Option<&Page> {
        self.by_path.get(path).map(|&i| &self.pages[i])
    }

    pub fn get(&self, kind: Kind, slug: &str) -> Option<&Page> {
        self.by_path(&format!("/{}/{}", kind.section(), slug))
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Page> {
        self.pages.iter().filter(move |p| p.kind == kind)
    }

    /// Service cards for an audience and a life event (either may be absent), most used first.
    pub fn services(&self, audience: Option<Audience>, event: Option<LifeEvent>) -> Vec<&Page> {
        self.of_kind(Kind::Servizio)
            .filter(|p| {
                p.card().is_some_and(|c| {
                    audience.is_none_or(|a| c.audiences.contains(&a))
                        && event.is_none_or(|e| c.life_events.contains(&e))
                })
            })
            .collect()
    }

    /// The most used service cards.
    pub fn most_used(&self, count: usize) -> Vec<&Page> {
        let mut services: Vec<&Page> = self.of_kind(Kind::Servizio).collect();
        services.sort_by(|a, b| b.popularity.cmp(&a.popularity).then_with(|| a.slug.cmp(&b.slug)));
        services.truncate(count);
        services
    }

    /// Scam alerts still in force on `today`.
    pub fn active_alerts(&self, today: jiff::civil::Date) -> Vec<&Page> {
        self.of_kind(Kind::Avviso)
            .filter(|p| matches!(&p.content, Content::Avviso(a) if a.date <= today && today <= a.until))
            .collect()
    }

    /// Search results: pages, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Page> {
        self.index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| self.pages.get(usize::try_from(hit.key).ok()?))
            .collect()
    }

    /// Titles for as-you-type suggestions.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<&Page> {
        self.index
            .suggest(prefix, limit)
            .into_iter()
            .filter_map(|key| self.pages.get(usize::try_from(key).ok()?))
            .collect()
    }

    /// Every public page of the catalogue (for the page cache and the sitemap).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.pages
            .iter()
            .filter(|p| p.kind != Kind::Video)
            .map(|p| p.path.as_str())
    }
}

/// The date that orders news, calls and alerts (newest first); none for the others.
fn date_of(content: &Content) -> Option<jiff::civil::Date> {
    match content {
        Content::Notizia(n) => Some(n.date),
        Content::Bando(c) => Some(c.closes),
        Content::Avviso(a) => Some(a.date),
        _ => None,
    }
}

/// The node's live catalogue.
#[derive(Debug)]
pub struct Catalog {
    current: RwLock<Arc<Snapshot>>,
    /// One rebuild at a time: the background poll and a request's `refresh_now` could
    /// otherwise finish out of order and put an older snapshot back over a newer one.
    rebuilding: tokio::sync::Mutex<()>,
    visits: Mutex<HashMap<String, i64>>,
    misses: Mutex<HashMap<String, i64>>,
}

/// The most distinct queries kept in memory between flushes (a flood of random queries must
/// not grow memory without bound).
const MAX_PENDING_MISSES: usize = 10_000;

impl Catalog {
    /// Loads the published catalogue.
    pub async fn load(db: &Db) -> Result<Catalog, StorageError> {
        let snapshot = Self::build_snapshot(db).await?;
        Ok(Catalog {
            current: RwLock::new(Arc::new(snapshot)),
            rebuilding: tokio::sync::Mutex::new(()),
            visits: Mutex::default(),
            misses: Mutex::default(),
        })
    }

    async fn build_snapshot(db: &Db) -> Result<Snapshot, StorageError> {
        let (revision, synonyms) = store::state(db).await?;
        let pages = store::load_pages(db).await?;
        // Indexing thousands of pages takes a few hundred milliseconds of CPU: off the
        // threads that serve requests.
        tokio::task::spawn_blocking(move || Snapshot::build(revision, pages, &synonyms, now_ms()))
            .await
            .map_err(|err| StorageError::Corrupt(format!("search index: {err}")))?
            .map_err(|err| StorageError::Corrupt(format!("search index: {err}")))
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds if the catalogue changed or a scheduled change fell due. `Ok(true)` if the
    /// snapshot was replaced (the caller then resets the page cache).
    pub async fn refresh(&self, db: &Db) -> Result<bool, StorageError> {
        // Checked after taking the turn, so a caller that waited sees the rebuild it waited for.
        let _turn = self.rebuilding.lock().await;
        let current = self.snapshot();
        let (revision, _) = store::state(db).await?;
        let now = now_ms();
        let due = current.valid_until.is_some_and(|at| at <= now)
            || now - current.built_at >= REBUILD_FOR_POPULARITY_MS;
        if revision == current.revision && !due {
            return Ok(false);
        }
        let snapshot = Arc::new(Self::build_snapshot(db).await?);
        match self.current.write() {
            Ok(mut slot) => *slot = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(true)
    }

    /// Counts a visit to a catalogue page by its path (for "most used" and the ranking).
    /// Cheap enough for every request the page cache answers: one lock, no allocation once
    /// the path has been seen.
    pub fn count_visit(&self, path: &str) {
        if let Ok(mut visits) = self.visits.lock() {
            if let Some(count) = visits.get_mut(path) {
                *count += 1;
            } else if visits.len() < MAX_PENDING_MISSES && self.snapshot().by_path(path).is_some() {
                visits.insert(path.to_owned(), 1);
            }
        }
    }

    /// Counts a search that found nothing (only if it may be kept: no personal data).
    pub fn count_miss(&self, query: &str) {
        let Some(query) = text::loggable_query(query) else {
            return;
        };
        if let Ok(mut misses) = self.misses.lock()
            && (misses.len() < MAX_PENDING_MISSES || misses.contains_key(&query))
        {
            *misses.entry(query).or_default() += 1;
        }
    }

    /// Writes the counted visits and misses.
    pub async fn flush(&self, db: &Db) -> Result<(), StorageError> {
        let snapshot = self.snapshot();
        let visits: Vec<(String, i64)> = self
            .visits
            .lock()
            .map(|mut v| v.drain().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(path, n)| Some((snapshot.by_path(&path)?.id.clone(), n)))
            .collect();
        let misses: Vec<(String, i64)> = self
            .misses
            .lock()
            .map(|mut m| m.drain().collect())
            .unwrap_or_default();
        store::add_visits(db, &visits).await?;
        store::record_misses(db, &misses).await
    }
}
