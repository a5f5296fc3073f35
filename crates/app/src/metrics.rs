//! Prometheus metrics: what a node is doing, for the operator's dashboards. Requests are
//! counted by a layer; the page cache, coherence, the comment writer and the database pool
//! keep their own counters, read at each scrape, so nothing else depends on this module.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tribune_store::Store;

use crate::cache::PageCache;
use crate::coherence::Coherence;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route's pattern (`/articles/{slug}`), never the path: one series per route.
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// One per node, shared by the request layer and the `/metrics` handlers.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
}

impl Metrics {
    pub fn new(cache: Arc<PageCache>, coherence: Arc<Coherence>, store: Store) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "tribune_http_requests",
            "Requests answered, by route, method and status",
            requests.clone(),
        );
        // From half a millisecond (a cached page) to about five seconds.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.5, 11))
        });
        registry.register(
            "tribune_http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        registry.register_collector(Box::new(Readings { cache, coherence, store }));
        Metrics { registry, requests, latency }
    }

    /// The text exposition format, for a scrape.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts one request to `route`, and how long it took.
    pub fn observe(&self, route: String, method: &'static str, status: u16, seconds: f64) {
        self.latency.get_or_create(&RouteLabels { route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { route, method, status }).inc();
    }
}

/// The layer that counts and times every request.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // An unmatched path is a reader's typo or a scanner's probe: one series for all of them.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = method_label(request.method());
    let response = next.run(request).await;
    metrics.observe(route, method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// A method outside the known few is one label: a client cannot make up series.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The counters other parts keep, read at each scrape.
struct Readings {
    cache: Arc<PageCache>,
    coherence: Arc<Coherence>,
    store: Store,
}

impl std::fmt::Debug for Readings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readings")
    }
}

impl Collector for Readings {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (hits, misses) = self.cache.lookups();
        counters(
            &mut encoder,
            "tribune_page_cache_lookups",
            "Page cache lookups, by whether the page was there",
            "result",
            &[("hit", hits), ("miss", misses)],
        )?;
        gauge(&mut encoder, "tribune_page_cache_pages", "Pages in the cache now", self.cache.len() as i64)?;
        let (sent, received) = self.coherence.invalidations();
        counters(
            &mut encoder,
            "tribune_invalidations",
            "Cache invalidations written for other nodes and applied from them",
            "direction",
            &[("sent", sent), ("received", received)],
        )?;
        let writer = self.store.writer_stats();
        counter(
            &mut encoder,
            "tribune_comment_commits",
            "Transactions of the comment writer (comments posted together share one)",
            writer.batches,
        )?;
        counters(
            &mut encoder,
            "tribune_comments_posted",
            "New comments, by what moderation made of them",
            "status",
            &[
                ("published", writer.published),
                ("held", writer.held),
                ("rejected", writer.rejected),
                ("refused", writer.refused),
            ],
        )?;
        counter(
            &mut encoder,
            "tribune_donations_recorded",
            "Donations recorded on this node (webhooks and the admin)",
            self.coherence.donations_recorded(),
        )?;
        let (open, idle) = self.store.pool_use();
        let pool = [("in_use", i64::from(open) - idle as i64), ("idle", idle as i64)];
        let mut metric = encoder.encode_descriptor(
            "tribune_db_connections",
            "The database pool's connections, by state",
            None,
            ConstGauge::new(0i64).metric_type(),
        )?;
        for (state, n) in pool {
            ConstGauge::new(n).encode(metric.encode_family(&[("state", state)])?)?;
        }
        Ok(())
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let counter = ConstCounter::new(value);
    counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)
}

fn counters(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &'static str,
    values: &[(&'static str, u64)],
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, ConstCounter::new(0u64).metric_type())?;
    for &(value, n) in values {
        ConstCounter::new(n).encode(metric.encode_family(&[(label, value)])?)?;
    }
    Ok(())
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(value);
    gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
}
