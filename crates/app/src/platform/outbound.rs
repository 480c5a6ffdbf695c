//! Outbound HTTP: every request wagate makes on an API user's behalf (webhook verification
//! and delivery, media links, the Graph API of cloud channels) goes through one client
//! built here, under one setting, `[outbound] allow_private_networks`.
//!
//! Off by default: a webhook URL, a media link or a channel's upstream is written by an API
//! user, and without the guard it could make wagate reach its own network (cloud metadata at
//! 169.254.169.254, admin ports on loopback). The guard (see [`crate::media::fetch::guard`])
//! refuses IP literals of non-public ranges before each request and checks every address a
//! host name resolves to as the connection is made (so DNS rebinding gains nothing).
//! Redirects are never followed by this client: a 3xx is the answer. Errors name the rule
//! that refused the address, never anything an internal address answered (it was not asked).
//!
//! `[media.fetch] allow_private_networks` is the older name of the same switch and still
//! turns it on.

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::media::fetch::FetchError;
use crate::media::fetch::guard::{self, GuardedResolver};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// Let wagate call loopback, private, link-local and other non-public addresses
    /// (environment `WAGATE_ALLOW_PRIVATE_NETWORKS=1`). Turn it on only where every API user
    /// is trusted, or for receivers and media servers on the LAN.
    pub allow_private_networks: bool,
    /// The public address wagate's outbound calls leave from, when the operator knows it
    /// (`egress_ip` in the TOML file's `[outbound]`): what providers' "server IP" calls answer
    /// (1MSG's `outputIP`), for receivers that allow-list it. Unset: such calls say so.
    pub egress_ip: Option<std::net::IpAddr>,
}

/// Whether wagate may call `url` (an absolute http(s) URL) under the guard; the reason in
/// words when not.
pub fn check(url: &str, allow_private: bool) -> Result<(), String> {
    let url = Url::parse(url).map_err(|_| "the URL does not parse".to_owned())?;
    guard::check_url(&url, allow_private).map_err(|e| match e {
        FetchError::Blocked { addr, class } => format!(
            "{addr} is {class}; wagate does not call private networks \
             (an operator can allow it with [outbound] allow_private_networks)"
        ),
        FetchError::Scheme(s) => format!("the URL's scheme is {s}; only http and https are called"),
        FetchError::Userinfo => "the URL carries a user name or password".to_owned(),
        other => other.to_string(),
    })
}

/// The client for outbound calls: guarded resolver, no redirects, no proxy.
pub fn client(allow_private: bool) -> reqwest::Client {
    crate::install_tls();
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver { allow_private })
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(32)
        .build()
        .expect("the outbound HTTP client builds")
}
