//! Fair admission for the heavy writes of a click day (logging in, filing an application).
//!
//! At most `admission_max_in_flight` of them run at once on this node; the others wait in
//! arrival order (tokio's semaphore is first-in, first-out). When `admission_max_waiting` are
//! already waiting, or one has waited `admission_max_wait_ms`, the answer is an honest 503
//! with `Retry-After` and how many people are ahead: the waiting room. Nothing was written, so
//! trying again is safe. Without this gate an overload is a pile of timeouts; with it, the
//! work admitted keeps its latency and the rest is told when to come back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::AppError;
use crate::app::AppState;

/// The node's gate.
#[derive(Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
    /// The rate behind the estimate: completions in the current window, and the rate of the
    /// last full window (per second).
    rate: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    since: Instant,
    completed: u64,
    per_second: f64,
}

impl Admission {
    pub fn new(max_in_flight: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
            rate: Mutex::new(Window {
                since: Instant::now(),
                completed: 0,
                per_second: 0.0,
            }),
        }
    }

    fn completed_one(&self) {
        if let Ok(mut window) = self.rate.lock() {
            window.completed += 1;
            let elapsed = window.since.elapsed().as_secs_f64();
            if elapsed >= 1.0 {
                window.per_second = window.completed as f64 / elapsed;
                window.completed = 0;
                window.since = Instant::now();
            }
        }
    }

    /// When to come back with `ahead` people in front: the time the node takes to serve them
    /// at the rate it has kept so far (at least a second, at most a minute).
    fn estimate(&self, ahead: usize) -> Duration {
        // The last full second's rate; before there is one (the first second of a rush),
        // the rate of the window so far.
        let rate = self
            .rate
            .lock()
            .map(|window| {
                let elapsed = window.since.elapsed().as_secs_f64();
                if window.per_second > 0.0 {
                    window.per_second
                } else if elapsed >= 0.1 {
                    window.completed as f64 / elapsed
                } else {
                    0.0
                }
            })
            .unwrap_or(0.0)
            .max(1.0);
        Duration::from_secs_f64((ahead as f64 / rate).clamp(1.0, 60.0))
    }

    fn busy(&self, ahead: usize) -> AppError {
        AppError::Busy {
            retry_after: self.estimate(ahead),
            ahead,
        }
    }
}

/// Keeps `waiting` right however the wait ends.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The middleware on the gated routes.
pub async fn gate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let admission = &app.admission;
    let permit = match admission.permits.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            let ahead = admission.waiting.fetch_add(1, Ordering::Relaxed);
            let _queued = InQueue(&admission.waiting);
            if ahead >= admission.max_waiting {
                return admission.busy(ahead).into_response();
            }
            match tokio::time::timeout(admission.max_wait, admission.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                _ => {
                    return admission
                        .busy(admission.waiting.load(Ordering::Relaxed))
                        .into_response();
                }
            }
        }
    };
    let response = next.run(request).await;
    drop(permit);
    admission.completed_one();
    response
}
