//! What every handler can reach.

use std::ops::Deref;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use wagate_app::App;
use wagate_app::config::Config;

use crate::metrics::QueueDepth;

/// The server's shared state. axum clones it for every extractor and middleware of every
/// request, so it is one `Arc`: a clone is one reference count, not one per service.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub app: App,
    pub config: Arc<Config>,
    /// Renders `/metrics`; the recorder behind it is process-wide (installed once).
    pub metrics: PrometheusHandle,
    pub queue_depth: Arc<QueueDepth>,
    /// The base URL clients reach this server at (for absolute URLs in answers).
    pub base_url: Arc<str>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
