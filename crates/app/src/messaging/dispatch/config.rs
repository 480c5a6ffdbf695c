//! Settings of the dispatcher.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchConfig {
    /// Run the dispatcher and ingest on this node (off: the node only accepts).
    pub enabled: bool,
    /// Outbox entries leased per step.
    pub batch_size: u32,
    /// How long a lease holds before its step renews it (every third of it); a dispatcher
    /// that dies frees its entries, and on PostgreSQL its channels' lanes, after this.
    pub lease_secs: u64,
    /// How long transient failures are retried, counted from acceptance; then the message fails.
    pub retry_horizon_secs: u64,
    /// First retry delay; doubles per attempt (with ±50 % jitter) up to `backoff_max_ms`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Pace each recipient to Meta's pair rate, so bursts are spread instead of failing
    /// with 131056. Turn off only to watch the upstream's limit and the retries.
    pub pair_pacing: bool,
    /// Ignore channel throughput (benchmarks of wagate itself).
    pub unlimited_throughput: bool,
    /// Hand-overs in flight at once within a step (a cloud hand-over is an HTTP call to
    /// Meta; each leased entry is a different recipient, so order per recipient holds).
    pub handover_concurrency: usize,
    /// How long a call to Meta's Graph API may take before it counts as a transient failure.
    pub cloud_timeout_secs: u64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            batch_size: 512,
            lease_secs: 5,
            retry_horizon_secs: 24 * 3600,
            backoff_base_ms: 1000,
            backoff_max_ms: 300_000,
            pair_pacing: true,
            unlimited_throughput: false,
            handover_concurrency: 64,
            cloud_timeout_secs: 10,
        }
    }
}
