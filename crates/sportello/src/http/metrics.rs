//! Prometheus metrics: request counts and latency histograms per route.

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The metrics of one node.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    jobs: Family<StateLabels, Gauge>,
    sessions: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sportello");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let jobs = Family::<StateLabels, Gauge>::default();
        let sessions = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests handled, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            latency.clone(),
        );
        registry.register("jobs", "Background jobs by state (whole site)", jobs.clone());
        registry.register("sessions_open", "Open sessions (whole site)", sessions.clone());
        Self {
            registry,
            requests,
            latency,
            jobs,
            sessions,
        }
    }

    /// Records one answered request. `route` is the matched pattern (`/api/v1/x/{id}`), never
    /// the raw path, so ids and personal data stay out of metrics and the label set stays small.
    /// Labels are `&'static str`: recording allocates nothing.
    pub fn observe(&self, method: &Method, route: Option<&str>, status: u16, seconds: f64) {
        let (method, route) = (method_label(method), route.map_or("(unmatched)", intern_route));
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }

    /// Updates the site-wide gauges read from the database.
    pub fn set_gauges(&self, jobs: &[(String, i64)], sessions: i64) {
        for state in ["queued", "running", "done", "dead"] {
            let count = jobs.iter().find(|(s, _)| s == state).map_or(0, |(_, c)| *c);
            self.jobs
                .get_or_create(&StateLabels {
                    state: state.to_owned(),
                })
                .set(count);
        }
        self.sessions.set(sessions);
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The route patterns seen, each stored once for the life of the process. The set is bounded:
/// only the router's own patterns reach here (an unmatched path is "(unmatched)").
fn intern_route(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(found) = routes.read().ok().and_then(|set| set.get(route).copied()) {
        return found;
    }
    let Ok(mut set) = routes.write() else {
        return "(unknown)";
    };
    if let Some(found) = set.get(route) {
        return found;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_interned_once() {
        let a = intern_route("/api/v1/prova/{id}");
        let b = intern_route(&String::from("/api/v1/prova/{id}"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(method_label(&Method::from_bytes(b"PROPFIND").unwrap()), "OTHER");
    }
}
