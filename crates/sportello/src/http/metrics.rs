//! Prometheus metrics: request counts and latency histograms per route.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
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
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
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
