//! Settings of webhook delivery (`[webhooks]` in the TOML file).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Deliver webhooks from this node.
    pub enabled: bool,
    /// Seconds a receiver has to answer one POST (and the verification GET).
    pub timeout_secs: u64,
    /// POSTs in flight at once per subscription: a slow receiver holds only its own.
    pub concurrency: u32,
    /// How long a failing delivery is retried, counted from the event; then it is
    /// dead-lettered (Meta: 7 days).
    pub retry_horizon_secs: u64,
    /// First retry delay; doubles per attempt (with ±50 % jitter) up to `backoff_max_ms`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// After a failed POST the subscription rests this long before the next one, doubling
    /// per consecutive failure up to `pause_max_ms`: a receiver answering 5xx forever is
    /// probed, not hammered, and one that heals is back within `pause_max_ms`.
    pub pause_base_ms: u64,
    pub pause_max_ms: u64,
    /// Largest file a format that carries users' files in its callbacks (the HTTP API
    /// dialect's multipart `file1`) attaches, in MB (Meta's largest, a document: 100). A
    /// larger file is not attached: the callback names its media id instead. Each POST
    /// holds its file in memory.
    pub max_media_mb: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            timeout_secs: 10,
            concurrency: 16,
            retry_horizon_secs: 7 * 24 * 3600,
            backoff_base_ms: 1000,
            backoff_max_ms: 3_600_000,
            pause_base_ms: 250,
            pause_max_ms: 10_000,
            max_media_mb: 100,
        }
    }
}
