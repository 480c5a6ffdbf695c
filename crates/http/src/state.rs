//! What every handler can reach.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use wagate_app::App;
use wagate_app::config::Config;

use crate::metrics::QueueDepth;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<Config>,
    /// Renders `/metrics`; the recorder behind it is process-wide (installed once).
    pub metrics: PrometheusHandle,
    pub queue_depth: Arc<QueueDepth>,
    /// The base URL clients reach this server at (for absolute URLs in answers).
    pub base_url: Arc<str>,
}
