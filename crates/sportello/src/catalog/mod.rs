//! The service catalogue: content, search and page feedback.
//!
//! Pages (service cards, news, calls, scam alerts, video tutorials) are edited in the back
//! office and kept, with every version, in the database; each node serves them from an
//! in-memory snapshot with its own search index (`live`), rebuilt when the catalogue changes.

pub mod api;
pub mod editor;
pub mod feedback;
pub mod live;
pub mod model;
pub mod pages;
pub mod search;
pub mod store;
pub mod text;

use std::time::Duration;

use tokio::sync::watch;

use crate::app::AppState;
use crate::storage::{Db, StorageError};
use model::{ContentFile, FileError, Kind};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));
}

/// Rebuilds this node's catalogue if it changed, and forgets the cached pages if so.
pub async fn refresh_now(app: &AppState) {
    match app.catalog.refresh(&app.db).await {
        Ok(true) => app.pages.reset(pages::cacheable_paths(&app.catalog.snapshot())),
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "cannot refresh the catalogue"),
    }
}

/// Keeps the catalogue current until `stop`: polls for changes, writes counted visits and
/// searches with no results every minute and once more at the end.
pub async fn keep_current(app: AppState, mut stop: watch::Receiver<bool>) {
    let every = app.config.catalog_refresh.max(Duration::from_millis(100));
    let flush_every = Duration::from_secs(60);
    let mut last_flush = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
        refresh_now(&app).await;
        if last_flush.elapsed() >= flush_every {
            last_flush = tokio::time::Instant::now();
            if let Err(err) = app.catalog.flush(&app.db).await {
                tracing::warn!(error = %err, "cannot record catalogue visits");
            }
        }
    }
    if let Err(err) = app.catalog.flush(&app.db).await {
        tracing::warn!(error = %err, "cannot record catalogue visits");
    }
}

/// A content file that could not be read, named.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {error}")]
pub struct ImportError {
    pub file: String,
    pub error: FileError,
}

/// Parses content files given as (`section/slug.toml`, text): all or nothing.
pub fn parse_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<ContentFile>, ImportError> {
    files
        .into_iter()
        .map(|(name, text)| {
            let section = name.split('/').next().unwrap_or_default();
            let kind = Kind::from_section(section).ok_or_else(|| ImportError {
                file: name.to_owned(),
                error: FileError::Invalid {
                    field: "kind",
                    code: "content-error-section",
                },
            })?;
            let file = ContentFile::parse(kind, text).map_err(|error| ImportError {
                file: name.to_owned(),
                error,
            })?;
            let stem = name
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".toml");
            if stem != file.slug.as_str() {
                return Err(ImportError {
                    file: name.to_owned(),
                    error: FileError::Invalid {
                        field: "slug",
                        code: "content-error-slug-file",
                    },
                });
            }
            Ok(file)
        })
        .collect()
}

/// The demo catalogue shipped in the binary.
pub fn demo_files() -> Result<Vec<ContentFile>, ImportError> {
    parse_files(embedded::CATALOG_FILES.iter().copied())
}

/// The demo synonyms: words people use for the names of benefits.
pub const DEMO_SYNONYMS: &str = include_str!("../../data/catalog/sinonimi.txt");

/// Loads the demo catalogue (and its synonyms) into a database without content.
pub async fn load_demo(db: &Db) -> Result<usize, StorageError> {
    let files = demo_files().map_err(|err| StorageError::Corrupt(err.to_string()))?;
    // Synonyms first: a node that sees the pages then also sees the synonyms.
    let (_, synonyms) = store::state(db).await?;
    if synonyms.is_empty() {
        let parsed = search::Synonyms::parse(DEMO_SYNONYMS)
            .map_err(|err| StorageError::Corrupt(format!("demo synonyms: {err}")))?;
        store::set_synonyms(db, &parsed.to_text(), None).await?;
    }
    store::import(db, &files).await
}
