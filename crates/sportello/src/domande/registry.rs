//! The forms this node serves: every version of every definition stored in the database,
//! parsed once and kept in memory. Loading files (the command line, a configured folder, the
//! forms built into the binary) stores new versions and bumps a revision; every node polls it
//! and reloads, so nodes stay stateless and agree on the forms.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use super::form::{self, FormDefinition, FormLoadError};
use super::store::{self, NewFormVersion};
use crate::audit::Entry;
use crate::storage::{Db, StorageError, now_ms};

/// The seven application types that ship with Sportello (`data/domande/*.toml`).
pub static BUILTIN: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/form_files.rs"));

/// Every parsed version, and the latest of each form.
#[derive(Debug, Default)]
pub struct FormSet {
    pub revision: i64,
    versions: HashMap<(String, u32), Arc<FormDefinition>>,
    latest: BTreeMap<String, Arc<FormDefinition>>,
}

impl FormSet {
    pub fn latest(&self, code: &str) -> Option<Arc<FormDefinition>> {
        self.latest.get(code).cloned()
    }

    pub fn version(&self, code: &str, version: u32) -> Option<Arc<FormDefinition>> {
        self.versions.get(&(code.to_owned(), version)).cloned()
    }

    /// The latest version of every form, by code.
    pub fn all(&self) -> impl Iterator<Item = &Arc<FormDefinition>> {
        self.latest.values()
    }

    /// The form linked from a catalogue card.
    pub fn for_card(&self, slug: &str) -> Option<Arc<FormDefinition>> {
        self.latest
            .values()
            .find(|form| form.card_slug.as_deref() == Some(slug))
            .cloned()
    }
}

/// The node's forms.
#[derive(Debug, Default)]
pub struct Forms {
    current: RwLock<Arc<FormSet>>,
    /// One reload at a time, so an older set never replaces a newer one.
    turn: tokio::sync::Mutex<()>,
}

impl Forms {
    pub async fn load(db: &Db) -> Result<Forms, StorageError> {
        let forms = Forms::default();
        forms.reload(db).await?;
        Ok(forms)
    }

    pub fn current(&self) -> Arc<FormSet> {
        match self.current.read() {
            Ok(set) => set.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads if another node (or the command line) stored new versions. `Ok(true)`: reloaded.
    pub async fn refresh(&self, db: &Db) -> Result<bool, StorageError> {
        let revision = store::forms_revision(db).await?;
        if revision == self.current().revision {
            return Ok(false);
        }
        self.reload(db).await?;
        Ok(true)
    }

    async fn reload(&self, db: &Db) -> Result<(), StorageError> {
        let _turn = self.turn.lock().await;
        let revision = store::forms_revision(db).await?;
        if revision != 0 && revision == self.current().revision {
            return Ok(());
        }
        let mut set = FormSet {
            revision,
            ..FormSet::default()
        };
        for (code, version, file_name, source) in store::form_sources(db).await? {
            match form::parse(&file_name, &source) {
                Ok(definition) if definition.code == code && i64::from(definition.version) == version => {
                    let definition = Arc::new(definition);
                    set.latest.insert(code.clone(), definition.clone());
                    set.versions.insert((code, definition.version), definition);
                }
                Ok(_) => {
                    tracing::error!(%code, version, "a stored form names another code or version; skipped")
                }
                // A definition stored by an older engine that this one refuses: the others
                // still serve; applications on it show their raw answers.
                Err(err) => {
                    tracing::error!(%code, version, error = %err, "a stored form no longer parses; skipped")
                }
            }
        }
        match self.current.write() {
            Ok(mut slot) => *slot = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
        Ok(())
    }
}

/// Why files were not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Every problem in every file, each with its file, line and column. Nothing was stored.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Files(Vec<FormLoadError>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// `(code, version)` stored now.
    pub added: Vec<(String, u32)>,
    /// Files identical to a version already stored.
    pub unchanged: usize,
}

/// Checks every file and stores the new versions, all or nothing: one bad file and nothing is
/// stored, so the forms in service stay as they were. A file whose version is already stored
/// with different content, or that goes back to an older version, is refused: a changed form
/// must raise its `versione`, so filed applications keep the exact form they were filed with.
pub async fn load_files(
    db: &Db,
    files: &[(String, String)],
    loaded_by: Option<&str>,
) -> Result<LoadReport, LoadError> {
    let stored = store::form_digests(db).await?;
    let mut problems = Vec::new();
    let mut report = LoadReport::default();
    let mut new = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (file_name, source) in files {
        let definition = match form::parse(file_name, source) {
            Ok(definition) => definition,
            Err(err) => {
                problems.push(err);
                continue;
            }
        };
        let refuse = |message: String| FormLoadError {
            file: file_name.clone(),
            line: 1,
            column: 1,
            message,
        };
        if let Some(other) = seen.insert(definition.code.clone(), file_name.clone()) {
            problems.push(refuse(format!(
                "il modulo \"{}\" è già definito nel file {other}",
                definition.code
            )));
            continue;
        }
        let digest = hex::encode(Sha256::digest(source.as_bytes()));
        let version = i64::from(definition.version);
        let same_code = stored.iter().filter(|(code, _, _)| *code == definition.code);
        let newest = same_code.clone().map(|(_, v, _)| *v).max();
        match same_code.clone().find(|(_, v, _)| *v == version) {
            Some((_, _, existing)) if *existing == digest => {
                report.unchanged += 1;
                continue;
            }
            Some(_) => {
                problems.push(refuse(format!(
                    "la versione {version} del modulo \"{}\" esiste già con un contenuto diverso: aumenta \"versione\"",
                    definition.code
                )));
                continue;
            }
            None => {}
        }
        if let Some(newest) = newest
            && newest > version
        {
            problems.push(refuse(format!(
                "il modulo \"{}\" è già alla versione {newest}: questa ({version}) è più vecchia",
                definition.code
            )));
            continue;
        }
        report.added.push((definition.code.clone(), definition.version));
        new.push(NewFormVersion {
            code: definition.code,
            version,
            file_name: file_name.clone(),
            source: source.clone(),
            digest,
        });
    }
    if !problems.is_empty() {
        return Err(LoadError::Files(problems));
    }
    if !new.is_empty() {
        let mut audit = Entry::new("moduli.caricati");
        if let Some(who) = loaded_by {
            audit = audit.actor(who);
        }
        let audit = audit.detail(
            "moduli",
            report
                .added
                .iter()
                .map(|(code, version)| format!("{code}@{version}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        store::store_forms(db, &new, loaded_by, now_ms(), &audit).await?;
    }
    Ok(report)
}

/// The built-in forms as `(file name, source)`.
pub fn builtin_files() -> Vec<(String, String)> {
    BUILTIN
        .iter()
        .map(|(name, source)| ((*name).to_owned(), (*source).to_owned()))
        .collect()
}

/// Reads every `*.toml` in `dir` (not recursive), sorted by name.
pub fn read_dir(dir: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|err| format!("{}: {err}", dir.display()))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let source =
                std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            files.push((name, source));
        }
    }
    files.sort();
    Ok(files)
}
