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

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::{AppError, ErrorInfo, Resend};
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

/// The largest page form the waiting room keeps to offer again (a filing's form is a token).
const RESEND_MAX_BYTES: usize = 8 * 1024;

/// Field names that hold a secret: a form with one is never written back into a page.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["pin", "password", "codice", "secret", "segreto", "token"]
        .iter()
        .any(|secret| {
            name == *secret
                || name.starts_with(&format!("{secret}_"))
                || name.ends_with(&format!("_{secret}"))
        })
}

/// What to offer again, from a page form's body: every field, unless one is a secret (a PIN
/// typed at login must be typed again, never echoed into HTML).
pub fn resend_of(action: &str, body: &[u8]) -> Option<Resend> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    if fields.iter().any(|(name, _)| is_secret(name)) {
        return None;
    }
    Some(Resend {
        action: action.to_owned(),
        fields,
    })
}

/// A page form small enough to keep: its body read (and put back), and what to offer again.
async fn keep_form(request: Request) -> Result<(Request, Option<Resend>), Response> {
    let (parts, body) = request.into_parts();
    let is_form = parts.method == Method::POST
        && !super::error::is_api_path(parts.uri.path())
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let small = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|length| length <= RESEND_MAX_BYTES);
    if !(is_form && small) {
        return Ok((Request::from_parts(parts, body), None));
    }
    let bytes = match axum::body::to_bytes(body, RESEND_MAX_BYTES).await {
        Ok(bytes) => bytes,
        // The client stopped sending: nothing was done, nobody is there to answer.
        Err(_) => return Err(StatusCode::BAD_REQUEST.into_response()),
    };
    let resend = resend_of(parts.uri.path(), &bytes);
    Ok((Request::from_parts(parts, Body::from(bytes)), resend))
}

/// The waiting room's answer, with the form to send again when there is one.
fn turned_away(admission: &Admission, ahead: usize, resend: Option<Resend>) -> Response {
    let mut response = admission.busy(ahead).into_response();
    if let Some(info) = response.extensions_mut().get_mut::<ErrorInfo>() {
        info.resend = resend;
    }
    response
}

/// The middleware on the gated routes.
pub async fn gate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let admission = &app.admission;
    let (permit, request) = match admission.permits.clone().try_acquire_owned() {
        Ok(permit) => (permit, request),
        Err(_) => {
            // Only a request that has to wait keeps its form, to be offered again if turned away.
            let (request, resend) = match keep_form(request).await {
                Ok(kept) => kept,
                Err(response) => return response,
            };
            let ahead = admission.waiting.fetch_add(1, Ordering::Relaxed);
            let _queued = InQueue(&admission.waiting);
            if ahead >= admission.max_waiting {
                return turned_away(admission, ahead, resend);
            }
            match tokio::time::timeout(admission.max_wait, admission.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => (permit, request),
                _ => return turned_away(admission, admission.waiting.load(Ordering::Relaxed), resend),
            }
        }
    };
    let response = next.run(request).await;
    drop(permit);
    admission.completed_one();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_offered_again_whole_unless_it_holds_a_secret() {
        let filing = resend_of("/area-personale/domande/abc/invio", b"_csrf=t%2Bk&conferma=si").unwrap();
        assert_eq!(filing.action, "/area-personale/domande/abc/invio");
        assert_eq!(
            filing.fields,
            vec![
                ("_csrf".to_owned(), "t+k".to_owned()),
                ("conferma".to_owned(), "si".to_owned())
            ]
        );
        assert_eq!(
            resend_of("/accedi", b"_csrf=t&codice_fiscale=RSSMRA80A01H501U&pin=ABCD"),
            None
        );
        assert_eq!(
            resend_of("/personale/accedi", b"username=a&password=b&codice=123456"),
            None
        );
        assert_eq!(resend_of("/x", b"nuovo_pin=1"), None);
        assert!(
            resend_of("/x", b"pinguino=1").is_some(),
            "only whole words are secrets"
        );
    }
}
