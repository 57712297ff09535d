//! Online applications (domande telematiche): forms as data (`form`), loaded and versioned in
//! the database (`registry`); drafts saved step by step, filed exactly once with a gap-free
//! protocol number and a receipt (`service`, `store`, `receipt`); the citizen's pages and API;
//! the office's case handling (istruttoria, `backoffice`). Every state change reaches the
//! citizen's mailbox and alerts them through the job queue (`JOB_NOTICE`).

/// Protocol numbers for filings written in one transaction, in arrival order: one counter
/// move per institution and year, so the numbers are gap-free and a failed transaction takes
/// none. `$wanted` yields `(ente, year, sede_code)` per filing; evaluates to their numbers.
/// (A macro, like `audit_append!`, so that one text serves both backends' transactions.)
macro_rules! take_protocol_numbers {
    ($tx:expr, $wanted:expr) => {{
        let wanted: Vec<(String, i32, String)> = $wanted;
        let mut numbers: Vec<String> = vec![String::new(); wanted.len()];
        let mut groups: Vec<((&str, i32), Vec<usize>)> = Vec::new();
        for (index, (ente, year, _)) in wanted.iter().enumerate() {
            let group = (ente.as_str(), *year);
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, members)) => members.push(index),
                None => groups.push((group, vec![index])),
            }
        }
        for ((ente, year), members) in &groups {
            let count = i64::try_from(members.len()).unwrap_or(i64::MAX);
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO protocol_counters (ente, year, last) VALUES ($1, $2, $3)
                 ON CONFLICT (ente, year) DO UPDATE SET last = protocol_counters.last + $3
                 RETURNING last",
            )
            .bind(*ente)
            .bind(i64::from(*year))
            .bind(count)
            .fetch_one(&mut *$tx)
            .await?;
            for (offset, &index) in members.iter().enumerate() {
                let sequence = last - count + 1 + i64::try_from(offset).unwrap_or(0);
                numbers[index] = $crate::domande::model::Protocollo {
                    ente: (*ente).to_owned(),
                    sede: wanted[index].2.clone(),
                    anno: *year,
                    sequenza: u64::try_from(sequence).unwrap_or_default(),
                }
                .to_string();
            }
        }
        numbers
    }};
}

/// Creation keys (idempotency keys) already used, inside a batch's transaction: for each
/// `(account_id, key)` of `$keyed` that names an application, its id. Evaluates to a
/// `HashMap<(String, String), String>`. (A macro for the same reason as above.)
macro_rules! known_create_keys {
    ($tx:expr, $keyed:expr) => {{
        let keyed: &[(&str, &str)] = $keyed;
        let mut known: std::collections::HashMap<(String, String), String> = std::collections::HashMap::new();
        if !keyed.is_empty() {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT account_id, create_key, id FROM domande WHERE (account_id, create_key) IN (",
            );
            let mut values = query.separated(", ");
            for (account, key) in keyed {
                values.push("(");
                values.push_bind_unseparated(*account);
                values.push_unseparated(", ");
                values.push_bind_unseparated(*key);
                values.push_unseparated(")");
            }
            query.push(")");
            let rows: Vec<(String, String, String)> = query.build_query_as().fetch_all(&mut *$tx).await?;
            for (account, key, id) in rows {
                known.insert((account, key), id);
            }
        }
        known
    }};
}

pub mod api;
pub mod backoffice;
pub mod form;
pub mod model;
pub mod pages;
pub mod phrase;
pub mod receipt;
pub mod registry;
pub mod service;
pub mod store;
pub mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::AppState;
use crate::cassetta::{self, MessageKind, NewMessage};
use crate::config::Config;
use crate::jobs::runner::{Handlers, JobContext, JobError, JobResult};
use crate::storage::files::FileStore;
use crate::storage::{Db, StorageError};
use model::Stato;

/// Keeps this node's forms current until `stop`: polls the forms' revision.
pub async fn keep_current(app: AppState, mut stop: watch::Receiver<bool>) {
    let every = app.config.catalog_refresh.max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
        if let Err(err) = app.forms.refresh(&app.db).await {
            tracing::warn!(error = %err, "cannot refresh the forms");
        }
    }
}

/// Stores the built-in forms' new versions (and those of `forms_dir`, when configured) at
/// start. A bad file is logged with its line and the versions in service stay.
pub async fn load_at_start(db: &Db, config: &Config) -> Result<(), StorageError> {
    let mut sets = vec![("built-in".to_owned(), registry::builtin_files())];
    if let Some(dir) = &config.forms_dir {
        match registry::read_dir(dir) {
            Ok(files) => sets.push((dir.display().to_string(), files)),
            Err(err) => tracing::error!(error = %err, "cannot read the forms folder"),
        }
    }
    for (origin, files) in sets {
        let mut loaded = registry::load_files(db, &files, None).await;
        // Another node starting at the same moment stored the same versions first: load again,
        // and they are found unchanged (a node must not fail to start over this race).
        for _ in 0..3 {
            if !matches!(
                loaded,
                Err(registry::LoadError::Storage(StorageError::Duplicate(_)))
            ) {
                break;
            }
            loaded = registry::load_files(db, &files, None).await;
        }
        match loaded {
            Ok(report) if !report.added.is_empty() => {
                tracing::info!(%origin, added = ?report.added, "forms loaded");
            }
            Ok(_) => {}
            Err(registry::LoadError::Storage(err)) => return Err(err),
            Err(err) => tracing::error!(%origin, error = %err, "forms refused; the versions in service stay"),
        }
    }
    Ok(())
}

/// Registers the job that tells citizens about their applications.
pub fn register_handlers(handlers: &mut Handlers, config: &Config) {
    let config = Arc::new(config.clone());
    handlers.register(service::JOB_NOTICE, move |ctx: JobContext, payload| {
        let config = config.clone();
        async move { notice(&ctx.db, &ctx.files, &config, &payload).await }
    });
}

/// Files a letter about each timeline event named in `payload` (`evento`: one, `eventi`: a
/// filing batch's) in its citizen's mailbox and alerts them. Each letter takes its event's id,
/// so a job that runs again files nothing twice.
async fn notice(db: &Db, files: &FileStore, config: &Config, payload: &serde_json::Value) -> JobResult {
    let ids: Vec<String> = match (&payload["eventi"], &payload["evento"]) {
        (serde_json::Value::Array(ids), _) => ids
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect(),
        (_, serde_json::Value::String(id)) => vec![id.clone()],
        _ => return Err(JobError::permanent("no events named")),
    };
    let events = store::events_by_id(db, &ids).await.map_err(|e| e.to_string())?;
    let domande = store::find_many(db, &events.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>())
        .await
        .map_err(|e| e.to_string())?;
    let mut titles: HashMap<(String, i64), String> = HashMap::new();
    let mut sedi: HashMap<String, Option<String>> = HashMap::new();
    for (domanda_id, event) in events {
        // Deleted with its citizen's account: nobody to tell.
        let Some(domanda) = domande.iter().find(|d| d.id == domanda_id) else {
            continue;
        };
        let key = (domanda.form_code.clone(), domanda.form_version);
        if !titles.contains_key(&key) {
            let title = form_title(db, &key.0, key.1).await.map_err(|e| e.to_string())?;
            titles.insert(key.clone(), title);
        }
        let title = titles.get(&key).cloned().unwrap_or_default();
        let sede = match &domanda.sede_id {
            Some(id) => {
                if !sedi.contains_key(id) {
                    let name = store::sede(db, id)
                        .await
                        .map_err(|e| e.to_string())?
                        .map(|(_, nome)| nome);
                    sedi.insert(id.clone(), name);
                }
                sedi.get(id).cloned().flatten()
            }
            None => None,
        };
        let stato = Stato::parse(&event.state).ok_or_else(|| JobError::permanent("unknown state"))?;
        let message = letter(domanda, &title, sede.as_deref(), stato, event.note.as_deref());
        let filed = cassetta::deliver_as(db, files, &event.id, &message)
            .await
            .map_err(|e| JobError::transient(e.to_string()))?;
        if filed
            && let Err(err) = crate::notify::alerts::alert(
                db,
                config,
                &message.account_id,
                crate::notify::alerts::Alert::ApplicationStatus,
            )
            .await
        {
            tracing::warn!(error = %err, "the citizen could not be alerted of a new letter");
        }
    }
    Ok(())
}

/// The title of a stored form version (the code if it no longer parses).
async fn form_title(db: &Db, code: &str, version: i64) -> Result<String, StorageError> {
    let source: Option<(String, String)> = crate::read_pool!(db, |pool| sqlx::query_as(
        "SELECT file_name, source FROM form_versions WHERE code = $1 AND version = $2"
    )
    .bind(code)
    .bind(version)
    .fetch_optional(pool)
    .await)?;
    Ok(source
        .and_then(|(name, source)| form::parse(&name, &source).ok())
        .map_or_else(|| code.to_owned(), |form| form.title.it))
}

/// The letter for a new state: plain Italian, what happened and what to do next.
pub fn letter(
    domanda: &store::Domanda,
    title: &str,
    sede: Option<&str>,
    stato: Stato,
    note: Option<&str>,
) -> NewMessage {
    let protocol = domanda.protocol.clone().unwrap_or_default();
    let (kind, subject, mut paragraphs) = match stato {
        Stato::Presentata => (
            MessageKind::Comunicazione,
            format!("Domanda presentata: {title}"),
            vec![
                format!("abbiamo ricevuto la tua domanda di {title}. Il numero di protocollo è {protocol}."),
                "Puoi scaricare la ricevuta e seguire la domanda nell'area personale, alla voce \"Le mie domande\".".to_owned(),
            ],
        ),
        Stato::InIstruttoria => (
            MessageKind::Comunicazione,
            format!("Domanda in esame: {title}"),
            vec![format!(
                "la tua domanda di {title} (protocollo {protocol}) è ora in esame presso la sede. Non devi fare nulla: ti scriveremo quando avremo deciso o se ci servono documenti."
            )],
        ),
        Stato::RichiestaIntegrazione => (
            MessageKind::RichiestaDocumenti,
            format!("Servono documenti per la domanda: {title}"),
            vec![
                format!("per esaminare la tua domanda di {title} (protocollo {protocol}) ci servono altri documenti."),
                match &domanda.integration_due {
                    Some(due) => format!(
                        "Inviali entro il {} dall'area personale, alla voce \"Le mie domande\".",
                        italian_date(due)
                    ),
                    None => "Inviali dall'area personale, alla voce \"Le mie domande\".".to_owned(),
                },
            ],
        ),
        Stato::Integrata => (
            MessageKind::Comunicazione,
            format!("Documenti ricevuti: {title}"),
            vec![format!(
                "abbiamo ricevuto i documenti per la tua domanda di {title} (protocollo {protocol}). La sede riprende l'esame."
            )],
        ),
        Stato::Accolta => (
            MessageKind::Decisione,
            format!("Domanda accolta: {title}"),
            vec![format!("la tua domanda di {title} (protocollo {protocol}) è stata accolta.")],
        ),
        Stato::Respinta => (
            MessageKind::Decisione,
            format!("Domanda respinta: {title}"),
            vec![
                format!("la tua domanda di {title} (protocollo {protocol}) non è stata accolta."),
                "Se non sei d'accordo puoi presentare ricorso entro 90 giorni dall'area personale, alla voce \"Le mie domande\".".to_owned(),
            ],
        ),
        Stato::Ritirata => (
            MessageKind::Comunicazione,
            format!("Domanda ritirata: {title}"),
            vec![format!("hai ritirato la domanda di {title} (protocollo {protocol}).")],
        ),
        Stato::Bozza => (
            MessageKind::Comunicazione,
            format!("Domanda: {title}"),
            Vec::new(),
        ),
    };
    if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
        let label = match stato {
            Stato::RichiestaIntegrazione => "Cosa ci serve",
            Stato::Accolta | Stato::Respinta => "Motivazione",
            _ => "Nota",
        };
        paragraphs.push(format!("{label}: {note}"));
    }
    paragraphs.insert(0, "Gentile cittadina, gentile cittadino,".to_owned());
    NewMessage {
        account_id: domanda.account_id.clone(),
        kind,
        subject: subject.chars().take(150).collect(),
        sender_office: sede.unwrap_or("Sportello online").to_owned(),
        paragraphs,
        reference: domanda.protocol.clone(),
    }
}

/// `2026-03-15` as `15/03/2026`.
pub fn italian_date(iso: &str) -> String {
    iso.parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| iso.to_owned())
}
