//! Sportello: a digital front office for public institutions.
//!
//! One binary; one module per business area. See docs/architecture.md for the map.

pub mod accessibilita;
pub mod api;
pub mod app;
pub mod audit;
pub mod cassetta;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod domande;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod letters;
pub mod limits;
pub mod loadgen;
pub mod notify;
pub mod ops;
pub mod risponde;
pub mod site;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::AppState;
use crate::config::Config;
use crate::http::i18n::{I18n, I18nError};
use crate::http::metrics::Metrics;
use crate::identity::session;
use crate::jobs::runner::{Periodic, RunnerSettings};
use crate::jobs::{Handlers, JobContext, Runner};
use crate::storage::files::{FileError, FileStore};
use crate::storage::{ConnectError, Db, PoolSettings};

/// Why the server could not start, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] ConnectError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("file store: {0}")]
    Files(#[from] FileError),
    #[error(transparent)]
    Messages(#[from] I18nError),
    #[error("cannot load the PIN key: {0}")]
    PinKey(#[from] storage::StorageError),
    #[error("cannot load the catalogue: {0}")]
    Catalog(storage::StorageError),
    #[error("cannot load the application forms: {0}")]
    Forms(storage::StorageError),
    #[error("SPID/CIE login: {0}")]
    Oidc(String),
}

/// Installs ring as the process's TLS crypto provider (PostgreSQL over TLS, the S3 client).
/// Idempotent. Built without aws-lc-rs, which takes minutes to compile on two cores.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Job kind: delete expired sessions.
pub const JOB_PURGE_SESSIONS: &str = "sessioni.pulizia";

/// Job kind: delete expired SPID/CIE logins in progress.
pub const JOB_PURGE_OIDC_LOGINS: &str = "accessi-oidc.pulizia";

/// A server that is connected, migrated and bound, ready to run.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

/// Opens the database the configuration names and applies migrations if asked to.
pub async fn open_database(config: &Config, migrate: bool) -> Result<Db, ConnectError> {
    let settings = PoolSettings {
        max_connections: config.database_max_connections,
        acquire_timeout: config.database_acquire_timeout,
    };
    let db = Db::connect(&config.database_url, &settings).await?;
    if migrate {
        db.migrate().await.map_err(|source| ConnectError::Migrate {
            url: config.database_url.redacted(),
            source,
        })?;
    }
    Ok(db)
}

impl Server {
    /// Connects to the database, migrates it (if configured) and binds the listener. A bound
    /// listener queues early connections, so a caller may send requests at once.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        install_crypto_provider();
        let db = open_database(&config, config.auto_migrate).await?;
        Self::build_with_db(config, db).await
    }

    /// Like [`Server::build`], on an already open database.
    pub async fn build_with_db(config: Config, db: Db) -> Result<Self, StartError> {
        install_crypto_provider();
        let files = FileStore::open(&config.files)?;
        let i18n = Arc::new(I18n::load()?);
        let pin_key = identity::pins::load_key(&db, config.pin_key.as_deref()).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        // The redirect URI must be absolute: without a public URL, the address actually bound.
        let base_url = match &config.public_url {
            Some(url) => url.clone(),
            None => format!(
                "http://{}",
                listener.local_addr().map_err(|source| StartError::Bind {
                    addr: config.bind,
                    source,
                })?
            ),
        };
        let oidc = Arc::new(identity::oidc::Oidc::new(&config.oidc, base_url).map_err(StartError::Oidc)?);
        let audit = audit::writer::AuditWriter::spawn(db.clone());
        let catalog = catalog::live::Catalog::load(&db)
            .await
            .map_err(StartError::Catalog)?;
        domande::load_at_start(&db, &config)
            .await
            .map_err(StartError::Forms)?;
        let forms = domande::registry::Forms::load(&db)
            .await
            .map_err(StartError::Forms)?;
        let public_max_age = config.public_max_age;
        let filings = domande::writer::FilingWriter::spawn(db.clone());
        let admission = http::admission::Admission::new(
            config.admission_max_in_flight as usize,
            config.admission_max_waiting as usize,
            config.admission_max_wait,
        );
        let state = AppState::new(app::Shared {
            db,
            institution: Arc::from(config.institution_name.as_str()),
            config: Arc::new(config),
            i18n,
            metrics: Arc::new(Metrics::new()),
            files,
            openapi_json: Arc::from(http::openapi::document_json()),
            pages: http::page_cache::PageCache::new(
                site::TEXT_PAGES
                    .iter()
                    .map(|page| page.path.to_owned())
                    .chain(catalog::pages::cacheable_paths(&catalog.snapshot())),
                public_max_age,
            ),
            catalog,
            forms,
            filings,
            admission,
            pin_key,
            audit,
            oidc,
        });
        Ok(Self { listener, state })
    }

    /// The address actually bound (port 0 becomes a real port).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes; then stops accepting connections, lets requests and
    /// jobs in flight finish (up to `shutdown_grace`), and closes the database.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Server { listener, state } = self;
        let config = state.config.clone();
        let (stop_tx, stop_rx) = watch::channel(false);

        let runner = config.jobs_enabled.then(|| {
            let runner = Runner::new(
                JobContext {
                    db: state.db.clone(),
                    files: state.files.clone(),
                },
                job_handlers(&config),
                vec![
                    Periodic {
                        kind: JOB_PURGE_SESSIONS,
                        every: Duration::from_secs(15 * 60),
                    },
                    Periodic {
                        kind: JOB_PURGE_OIDC_LOGINS,
                        every: Duration::from_secs(15 * 60),
                    },
                ],
                RunnerSettings {
                    node: config.node_name.clone(),
                    concurrency: config.jobs_concurrency,
                    poll_interval: config.jobs_poll_interval,
                    lease: config.jobs_lease,
                    shutdown_grace: config.shutdown_grace,
                },
            );
            tokio::spawn(runner.run(stop_rx.clone()))
        });

        tokio::spawn(async move {
            stop.await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop_tx.send(true);
        });

        let catalog = tokio::spawn(catalog::keep_current(state.clone(), stop_rx.clone()));
        let forms = tokio::spawn(domande::keep_current(state.clone(), stop_rx.clone()));
        let db = state.db.clone();
        let app = app::router(state);
        let mut serve_stop = stop_rx.clone();
        let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = serve_stop.wait_for(|stopped| *stopped).await;
            });
        let mut grace_stop = stop_rx;
        let grace = async move {
            let _ = grace_stop.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(config.shutdown_grace).await;
        };
        tokio::select! {
            result = serve => result?,
            () = grace => tracing::warn!("requests still running after the grace period; stopping anyway"),
        }
        if let Some(runner) = runner {
            let _ = runner.await;
        }
        let _ = catalog.await;
        let _ = forms.await;
        db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The job handlers every node has.
fn job_handlers(config: &Config) -> Handlers {
    let mut handlers = Handlers::default();
    let lifetime = session::Lifetime {
        idle: config.session_idle,
        absolute: config.session_absolute,
    };
    handlers.register(JOB_PURGE_SESSIONS, move |ctx: JobContext, _payload| async move {
        let purged = session::purge_expired(&ctx.db, lifetime)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(purged, "expired sessions deleted");
        Ok(())
    });
    handlers.register(JOB_PURGE_OIDC_LOGINS, |ctx: JobContext, _payload| async move {
        let purged = identity::oidc::store::purge_expired(&ctx.db)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(purged, "expired SPID/CIE logins deleted");
        Ok(())
    });
    notify::register_handlers(&mut handlers, config);
    domande::register_handlers(&mut handlers, config);
    risponde::register_handlers(&mut handlers, config);
    handlers
}

/// Completes on SIGTERM (how orchestrators stop a process) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
