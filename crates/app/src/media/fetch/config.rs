//! Settings of the media fetcher (`[media.fetch]` in the TOML file).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Fetch media links that resolve to loopback, private, link-local and other non-public
    /// addresses. Off by default: a media link is written by an API user, and without this
    /// guard it could make wagate read its own network (cloud metadata, admin ports). Turn
    /// it on only where every API user is trusted, or to fetch from a server on the LAN.
    pub allow_private_networks: bool,
    /// Milliseconds one fetch may take in all: resolving, connecting, every redirect and
    /// the whole body.
    pub timeout_ms: u64,
    /// Milliseconds to open a connection to the media server.
    pub connect_timeout_ms: u64,
    /// Redirects followed per fetch; each hop is checked like the link itself.
    pub max_redirects: u32,
    /// Largest file fetched, in bytes, whatever the media kind allows (default 100 MiB, the
    /// limit of the largest kind, documents).
    pub max_bytes: u64,
    /// `User-Agent` of the requests.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow_private_networks: false,
            timeout_ms: 15_000,
            connect_timeout_ms: 5_000,
            max_redirects: 3,
            max_bytes: 100 * 1024 * 1024,
            user_agent: concat!("wagate/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}
