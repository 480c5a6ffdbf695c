//! Prometheus metrics. The recorder is process-wide and can be installed once, so
//! [`handle`] installs it on first use and every server in the process (tests start many)
//! shares it. [`track`] records each request by method, matched route and status;
//! [`QueueDepth`] sets the gauges read from the store at each scrape.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use wagate_core::ids::SubscriptionId;
use wagate_store::Store;

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Event-to-delivery time of webhooks: milliseconds when all is well, days under retries.
const WEBHOOK_AGE_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.75, 1.0,
    1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0, 604800.0,
];

const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("buckets are not empty")
                // A full name wins over the suffix above.
                .set_buckets_for_metric(
                    Matcher::Full("wagate_webhook_delivery_seconds".into()),
                    WEBHOOK_AGE_BUCKETS,
                )
                .expect("buckets are not empty")
                .set_buckets_for_metric(
                    Matcher::Full("wagate_store_write_batch_size".into()),
                    BATCH_BUCKETS,
                )
                .expect("buckets are not empty")
                .install_recorder()
                .expect("the metrics recorder is installed once per process")
        })
        .clone()
}

/// Middleware: `wagate_http_requests_total` and `wagate_http_request_duration_seconds`.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("wagate_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("wagate_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// `wagate_webhook_queue_depth{subscription}`: deliveries waiting per subscription, read
/// from the store when `/metrics` is scraped. A subscription whose queue emptied since the
/// last scrape reads 0 rather than its last value.
#[derive(Default)]
pub struct QueueDepth {
    reported: Mutex<HashSet<SubscriptionId>>,
}

impl QueueDepth {
    pub async fn refresh(&self, store: &dyn Store) {
        let backlog = match store.delivery_backlog().await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error.message = %e, "reading the webhook backlog for /metrics failed");
                return;
            }
        };
        let mut reported = self.reported.lock().expect("queue depth lock");
        let now: HashSet<SubscriptionId> = backlog.iter().map(|(id, _)| *id).collect();
        for gone in reported.difference(&now) {
            metrics::gauge!("wagate_webhook_queue_depth", "subscription" => gone.to_string())
                .set(0.0);
        }
        for (id, depth) in backlog {
            metrics::gauge!("wagate_webhook_queue_depth", "subscription" => id.to_string())
                .set(depth as f64);
        }
        *reported = now;
    }
}
