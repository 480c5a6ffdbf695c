//! The settings of `wagate serve`: one typed struct, every field documented and defaulted.
//! Layering (defaults < TOML file < `WAGATE_*` environment < command-line flags) happens in
//! the CLI; this struct is what the server receives, passed down explicitly (nothing global).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::access::console::ConsoleConfig;
use crate::access::rate_limit::RateLimitConfig;
use crate::media::MediaConfig;
use crate::messaging::dispatch::DispatchConfig;
use crate::platform::database::DatabaseSetting;
use crate::platform::outbound::OutboundConfig;
use crate::platform::secrets::SecretsConfig;
use crate::templates::TemplatesConfig;
use crate::webhooks::WebhookConfig;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory holding the SQLite database and `credentials.env`.
    pub data_dir: PathBuf,
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Database: empty for SQLite at `<data_dir>/wagate.db`, `sqlite://<path>`, or
    /// `postgres://user:pass@host/db`.
    pub database: DatabaseSetting,
    /// Largest PostgreSQL connection pool.
    pub database_max_connections: u32,
    /// Base URL clients use to reach this server (written to `credentials.env`). Default:
    /// `http://<listen>` (with `127.0.0.1` for an unspecified address).
    pub public_url: Option<String>,
    /// Log filter, in `RUST_LOG` syntax (`info`, `wagate=debug,info`, …).
    pub log: String,
    /// Log format: `pretty` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Largest request body accepted on JSON endpoints, in bytes.
    pub max_body_bytes: usize,
    /// Seconds a request may take before the server answers 503.
    pub request_timeout_secs: u64,
    /// Seconds to let in-flight requests finish after SIGINT/SIGTERM.
    pub shutdown_grace_secs: u64,
    /// The dispatcher (`[dispatch]` in the TOML file).
    pub dispatch: DispatchConfig,
    /// Webhook delivery (`[webhooks]` in the TOML file).
    pub webhooks: WebhookConfig,
    /// Template limits (`[templates]` in the TOML file).
    pub templates: TemplatesConfig,
    /// Media storage and retention (`[media]` in the TOML file).
    pub media: MediaConfig,
    /// Outbound calls on API users' behalf (`[outbound]` in the TOML file).
    pub outbound: OutboundConfig,
    /// Secrets at rest: where the master key is (`[secrets]` in the TOML file).
    pub secrets: SecretsConfig,
    /// Token buckets per API key and per account (`[rate_limits]` in the TOML file).
    pub rate_limits: RateLimitConfig,
    /// The web console (`[console]` in the TOML file).
    pub console: ConsoleConfig,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./wagate-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: DatabaseSetting::default(),
            database_max_connections: 16,
            public_url: None,
            log: "info".to_owned(),
            log_format: LogFormat::Pretty,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 20,
            dispatch: DispatchConfig::default(),
            webhooks: WebhookConfig::default(),
            templates: TemplatesConfig::default(),
            media: MediaConfig::default(),
            outbound: OutboundConfig::default(),
            secrets: SecretsConfig::default(),
            rate_limits: RateLimitConfig::default(),
            console: ConsoleConfig::default(),
        }
    }
}

impl Config {
    /// `[outbound] allow_private_networks`, or its older name
    /// `[media.fetch] allow_private_networks`: one switch for every outbound call.
    pub fn allow_private_networks(&self) -> bool {
        self.outbound.allow_private_networks || self.media.fetch.allow_private_networks
    }

    /// The base URL for `addr`, the address actually bound (which differs from `listen`
    /// when the port is 0).
    pub fn base_url(&self, addr: SocketAddr) -> String {
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else if addr.is_ipv6() {
            format!("[{}]", addr.ip())
        } else {
            addr.ip().to_string()
        };
        format!("http://{host}:{}", addr.port())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_follows_the_bound_address() {
        let c = Config::default();
        assert_eq!(
            c.base_url("0.0.0.0:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
        assert_eq!(c.base_url("[::1]:80".parse().unwrap()), "http://[::1]:80");
        let c = Config {
            public_url: Some("https://wa.example.com/".into()),
            ..Config::default()
        };
        assert_eq!(
            c.base_url("127.0.0.1:1".parse().unwrap()),
            "https://wa.example.com"
        );
    }
}
