//! The operator's view of a running server: `/metrics` in Prometheus' text format (0.0.4),
//! and one access-log line per request.
//!
//! - `vereda_http_requests_total{method,route,status}` and
//!   `vereda_http_request_duration_seconds{method,route}` (a histogram): by the route's
//!   pattern (`/api/v1/projects/{code}`, axum's `MatchedPath`), never the address asked
//!   (which carries identifiers and would make a series per record); an address that matches
//!   no route counts as `unmatched`. `status` is the class: `2xx`, `3xx`, `4xx`, `5xx`.
//! - `vereda_jobs_queued`, `vereda_jobs_running`, `vereda_letters_pending` and the age of the
//!   oldest of each (`vereda_*_oldest_age_seconds`), read from the database per scrape.
//! - `vereda_screening_rows_screened_total`, `vereda_screening_rows_stored_total`: counters
//!   the screening job adds to ([`global`]); `rate()` gives rows per second.
//! - `vereda_db_pool_connections`, `vereda_db_pool_idle`, `vereda_db_pool_max`.
//!
//! `/metrics` is not public: with a token configured (`VEREDA_METRICS_TOKEN`) it answers only
//! `Authorization: Bearer <token>`; without one only a client on the loopback address whose
//! request came through no proxy (no `Forwarded`/`X-Forwarded-For`). Anything else is 404,
//! as if there were no such address.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The request id header: taken from the client (a proxy's) when it is short and plain, else
/// made here; answered back and written in the access log.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The bearer token `/metrics` asks for; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(pub String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

/// The counters of this process. Cheap to clone; every clone counts into the same ones.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Counters>);

#[derive(Default)]
struct Counters {
    /// (method, route) → latency histogram.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    /// (method, route, status class) → requests.
    requests: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    rows_screened: AtomicU64,
    rows_stored: AtomicU64,
    next_request: AtomicU64,
}

#[derive(Default, Clone)]
struct Histogram {
    /// Requests at or under each bound of [`BUCKETS`] (not cumulative here).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// The process's counters, for work that runs outside a request (the screening job).
pub fn global() -> &'static Metrics {
    static GLOBAL: OnceLock<Metrics> = OnceLock::new();
    GLOBAL.get_or_init(Metrics::default)
}

impl Metrics {
    /// Rows of a registry a screening has decided.
    pub fn add_rows_screened(&self, rows: u64) {
        self.0.rows_screened.fetch_add(rows, Ordering::Relaxed);
    }

    /// Screening results written to the database.
    pub fn add_rows_stored(&self, rows: u64) {
        self.0.rows_stored.fetch_add(rows, Ordering::Relaxed);
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        let class = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        {
            let mut latency = self.0.latency.lock().unwrap_or_else(PoisonError::into_inner);
            let histogram = latency.entry((method.to_owned(), route.to_owned())).or_default();
            if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
                histogram.buckets[bucket] += 1;
            }
            histogram.count += 1;
            histogram.sum_seconds += seconds;
        }
        *self
            .0
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((method.to_owned(), route.to_owned(), class))
            .or_default() += 1;
    }

    fn request_id(&self) -> String {
        format!(
            "{:08x}-{:06x}",
            rand::random::<u32>(),
            self.0.next_request.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff
        )
    }

    /// The counters in Prometheus' text format.
    fn render(&self, out: &mut String) {
        let requests = self
            .0
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        out.push_str(
            "# HELP vereda_http_requests_total Requests answered, by route pattern and status class.\n",
        );
        out.push_str("# TYPE vereda_http_requests_total counter\n");
        for ((method, route, class), count) in &requests {
            let _ = writeln!(
                out,
                "vereda_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{class}\"}} {count}",
                label(method),
                label(route)
            );
        }
        let latency = self
            .0
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        out.push_str(
            "# HELP vereda_http_request_duration_seconds Time to answer a request, by route pattern.\n",
        );
        out.push_str("# TYPE vereda_http_request_duration_seconds histogram\n");
        for ((method, route), histogram) in &latency {
            let labels = format!("method=\"{}\",route=\"{}\"", label(method), label(route));
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "vereda_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "vereda_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "vereda_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum_seconds
            );
            let _ = writeln!(
                out,
                "vereda_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
        counter(
            out,
            "vereda_screening_rows_screened_total",
            "Registry rows decided by screenings.",
            self.0.rows_screened.load(Ordering::Relaxed),
        );
        counter(
            out,
            "vereda_screening_rows_stored_total",
            "Screening results written to the database.",
            self.0.rows_stored.load(Ordering::Relaxed),
        );
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Times every request, counts it by route pattern and status class, gives it a request id
/// and, when configured, writes the access-log line.
pub async fn measure_requests(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
        .map_or_else(|| state.metrics.request_id(), str::to_owned);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        request.headers_mut().insert(REQUEST_ID, value);
    }
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    // The route as the router matched it; the fallback's answers (moved addresses, 404) have
    // none.
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or(route, |m| m.as_str().to_owned());
    state
        .metrics
        .observe(&method, &route, response.status(), elapsed.as_secs_f64());
    if state.config.access_log {
        tracing::info!(
            target: "vereda::access",
            method = %method,
            route = %route,
            status = response.status().as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            request_id = %request_id,
            "request"
        );
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Whether this caller may read `/metrics` (see the module's documentation).
fn allowed(config: &crate::WebConfig, headers: &HeaderMap, peer: Option<SocketAddr>) -> bool {
    match config
        .metrics_token
        .as_ref()
        .map(|MetricsToken(token)| token.as_str())
        .filter(|t| !t.is_empty())
    {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_equal(given.trim().as_bytes(), token.as_bytes())),
        None => {
            let proxied = headers.contains_key(header::FORWARDED) || headers.contains_key("x-forwarded-for");
            // No peer: the application called in-process (tests), never over the network.
            !proxied && peer.is_none_or(|peer| peer.ip().is_loopback())
        }
    }
}

fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `/metrics`: the counters, the queues and the pool, in Prometheus' text format.
pub async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address);
    if !allowed(&state.config, request.headers(), peer) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut out = String::with_capacity(16 * 1024);
    state.metrics.render(&mut out);
    let pool = state.store.pool_use();
    gauge(
        &mut out,
        "vereda_db_pool_connections",
        "Database connections open.",
        pool.size,
    );
    gauge(
        &mut out,
        "vereda_db_pool_idle",
        "Database connections open and idle.",
        pool.idle,
    );
    gauge(
        &mut out,
        "vereda_db_pool_max",
        "The most database connections the pool opens.",
        pool.max,
    );
    match state.store.queues().await {
        Ok(queues) => {
            let now = jiff::Timestamp::now().as_microsecond();
            let age = |oldest: Option<i64>| {
                oldest.map_or(0.0, |micros| {
                    #[allow(clippy::cast_precision_loss)]
                    let seconds = (now - micros).max(0) as f64 / 1e6;
                    seconds
                })
            };
            for (name, help, depth) in [
                (
                    "vereda_jobs_queued",
                    "Screenings waiting to run.",
                    queues.screenings_queued,
                ),
                (
                    "vereda_jobs_running",
                    "Screenings running.",
                    queues.screenings_running,
                ),
                (
                    "vereda_letters_pending",
                    "Letters to households not yet delivered.",
                    queues.letters_pending,
                ),
            ] {
                gauge(&mut out, name, help, depth.count);
                gauge(
                    &mut out,
                    &format!("{name}_oldest_age_seconds"),
                    "Age of the oldest of them (0 when there is none).",
                    age(depth.oldest_created_micros),
                );
            }
            gauge(
                &mut out,
                "vereda_database_up",
                "Whether the database answered.",
                1,
            );
        }
        Err(error) => {
            tracing::warn!(%error, "metrics: the queues could not be read");
            gauge(
                &mut out,
                "vereda_database_up",
                "Whether the database answered.",
                0,
            );
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_labels_are_escaped() {
        let metrics = Metrics::default();
        metrics.observe("GET", "/a/{id}", StatusCode::OK, 0.003);
        metrics.observe("GET", "/a/{id}", StatusCode::NOT_FOUND, 0.2);
        metrics.observe("GET", "/a/{id}", StatusCode::OK, 100.0);
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains(
            "vereda_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"0.005\"} 1"
        ));
        assert!(out.contains(
            "vereda_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"0.25\"} 2"
        ));
        assert!(out.contains(
            "vereda_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"+Inf\"} 3"
        ));
        assert!(
            out.contains("vereda_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"4xx\"} 1")
        );
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }

    #[test]
    fn only_the_token_or_the_loopback_reads_the_metrics() {
        let mut config = crate::WebConfig::default();
        let local: SocketAddr = ([127, 0, 0, 1], 9).into();
        let remote: SocketAddr = ([10, 0, 0, 7], 9).into();
        let none = HeaderMap::new();
        assert!(allowed(&config, &none, Some(local)));
        assert!(!allowed(&config, &none, Some(remote)));
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert!(!allowed(&config, &proxied, Some(local)));
        config.metrics_token = Some(MetricsToken("s3creto".to_owned()));
        assert!(!format!("{config:?}").contains("s3creto"));
        assert!(!allowed(&config, &none, Some(local)));
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer s3creto"));
        assert!(allowed(&config, &bearer, Some(remote)));
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer otro"));
        assert!(!allowed(&config, &bearer, Some(remote)));
    }
}
