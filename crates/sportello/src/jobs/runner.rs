//! The job runner: one per node, claiming due jobs and running them with bounded concurrency.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::leases;
use super::queue::{self, ClaimedJob, JobState, NewJob};
use crate::storage::files::FileStore;
use crate::storage::{Db, now_ms};

/// What a job handler gets to work with.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub db: Db,
    pub files: FileStore,
}

/// A job handler's result: an error makes the attempt fail.
pub type JobResult = Result<(), JobError>;

/// Why a job attempt failed. Transient failures are retried with backoff; a permanent one
/// (e.g. an SMTP server answering 5xx for a recipient) goes straight to the dead letters,
/// since trying again cannot help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    pub permanent: bool,
}

impl JobError {
    /// A failure worth trying again later.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure that will not go away by retrying: the job is buried at once.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

impl From<String> for JobError {
    fn from(message: String) -> Self {
        Self::transient(message)
    }
}

impl From<&str> for JobError {
    fn from(message: &str) -> Self {
        Self::transient(message)
    }
}
type BoxedHandler =
    Arc<dyn Fn(JobContext, Value) -> Pin<Box<dyn Future<Output = JobResult> + Send>> + Send + Sync>;

/// The handlers this node knows, by job kind.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<&'static str, BoxedHandler>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_kind.keys()).finish()
    }
}

impl Handlers {
    /// Registers the handler for `kind`.
    pub fn register<F, Fut>(&mut self, kind: &'static str, handler: F)
    where
        F: Fn(JobContext, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobResult> + Send + 'static,
    {
        self.by_kind.insert(
            kind,
            Arc::new(move |ctx, payload| Box::pin(handler(ctx, payload))),
        );
    }

    fn get(&self, kind: &str) -> Option<BoxedHandler> {
        self.by_kind.get(kind).cloned()
    }
}

/// A job to enqueue periodically; the node holding the scheduler lease enqueues it once
/// per period (the dedupe key makes a second enqueue in the same period a no-op).
#[derive(Debug, Clone, Copy)]
pub struct Periodic {
    pub kind: &'static str,
    pub every: Duration,
}

/// Runner settings.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    pub node: String,
    pub concurrency: usize,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub shutdown_grace: Duration,
}

/// The runner of one node.
#[derive(Debug)]
pub struct Runner {
    ctx: JobContext,
    handlers: Handlers,
    periodic: Vec<Periodic>,
    settings: RunnerSettings,
}

const SCHEDULER_LEASE: &str = "jobs.scheduler";

impl Runner {
    pub fn new(
        ctx: JobContext,
        handlers: Handlers,
        periodic: Vec<Periodic>,
        settings: RunnerSettings,
    ) -> Self {
        Self {
            ctx,
            handlers,
            periodic,
            settings,
        }
    }

    /// Runs until `shutdown` turns true, then lets jobs in flight finish (up to the grace period).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency));
        let mut in_flight = JoinSet::new();
        let mut last_schedule = None::<tokio::time::Instant>;
        let mut last_bury = None::<tokio::time::Instant>;
        tracing::info!(node = %self.settings.node, "job runner started");
        while !*shutdown.borrow() {
            while in_flight.try_join_next().is_some() {}
            if last_schedule.is_none_or(|at| at.elapsed() >= Duration::from_secs(30)) {
                self.schedule_periodic().await;
                last_schedule = Some(tokio::time::Instant::now());
            }
            // A lease outlives any poll interval: looking for abandoned jobs once a second is
            // plenty, and spares the (single, on SQLite) writer a statement per claim.
            if last_bury.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                if let Err(err) = queue::bury_abandoned(&self.ctx.db).await {
                    tracing::warn!(error = %err, "could not move abandoned jobs to the dead letters");
                }
                last_bury = Some(tokio::time::Instant::now());
            }
            let free = permits.available_permits();
            if free == 0 {
                // Full: claim again as soon as one job ends, not a whole poll interval later
                // (that wait capped a busy queue at `concurrency` jobs per interval).
                tokio::select! {
                    _ = in_flight.join_next() => {}
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let claimed = self.claim_and_spawn(free, &permits, &mut in_flight).await;
            if claimed < free {
                // Nothing more is due: wait, but wake at once on shutdown.
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        let drained = tokio::time::timeout(self.settings.shutdown_grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "jobs still running at shutdown; their leases will expire and another node will retry them"
            );
        }
        if let Err(err) = leases::release(&self.ctx.db, SCHEDULER_LEASE, &self.settings.node).await {
            tracing::warn!(error = %err, "could not release the scheduler lease");
        }
        tracing::info!("job runner stopped");
    }

    async fn claim_and_spawn(
        &self,
        free: usize,
        permits: &Arc<Semaphore>,
        in_flight: &mut JoinSet<()>,
    ) -> usize {
        let limit = i64::try_from(free).unwrap_or(1);
        let jobs = match queue::claim(&self.ctx.db, &self.settings.node, limit, self.settings.lease).await {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::warn!(error = %err, "could not claim jobs");
                return 0;
            }
        };
        let claimed = jobs.len();
        for job in jobs {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let ctx = self.ctx.clone();
            let node = self.settings.node.clone();
            let handler = self.handlers.get(&job.kind);
            in_flight.spawn(async move {
                run_one(ctx, node, handler, job).await;
                drop(permit);
            });
        }
        claimed
    }

    async fn schedule_periodic(&self) {
        if self.periodic.is_empty() {
            return;
        }
        let ttl = Duration::from_secs(90);
        match leases::try_acquire(&self.ctx.db, SCHEDULER_LEASE, &self.settings.node, ttl).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(error = %err, "could not take the scheduler lease");
                return;
            }
        }
        let now = now_ms();
        for periodic in &self.periodic {
            let period = i64::try_from(periodic.every.as_millis())
                .unwrap_or(i64::MAX)
                .max(1);
            let slot = now / period;
            let job = NewJob::new(periodic.kind, Value::Null).dedupe(format!("{}@{slot}", periodic.kind));
            if let Err(err) = queue::enqueue(&self.ctx.db, job).await {
                tracing::warn!(error = %err, kind = periodic.kind, "could not enqueue a periodic job");
            }
        }
    }
}

async fn run_one(ctx: JobContext, node: String, handler: Option<BoxedHandler>, job: ClaimedJob) {
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    async move {
        let db = ctx.db.clone();
        let outcome = match handler {
            // A panic in a handler must not take the runner down: spawn it and count a panic as a failure.
            Some(handler) => match tokio::spawn(handler(ctx, job.payload.clone())).await {
                Ok(result) => result,
                Err(err) => Err(JobError::transient(format!(
                    "the handler stopped unexpectedly: {err}"
                ))),
            },
            None => Err(JobError::transient(format!(
                "no handler for job kind `{}` on this node",
                job.kind
            ))),
        };
        match outcome {
            Ok(()) => match queue::complete(&db, &job.id, &node).await {
                Ok(true) => tracing::info!("job done"),
                Ok(false) => tracing::warn!("job finished after its lease was taken over"),
                Err(err) => tracing::warn!(error = %err, "could not mark the job done"),
            },
            Err(JobError { message, permanent }) => {
                match queue::fail(&db, &job, &node, &message, permanent).await {
                    Ok(JobState::Dead) => {
                        tracing::error!(error = %message, "job failed for the last time: dead letter")
                    }
                    Ok(_) => tracing::warn!(error = %message, "job failed; it will be retried"),
                    Err(err) => tracing::warn!(error = %err, "could not record the job failure"),
                }
            }
        }
    }
    .instrument(span)
    .await
}
