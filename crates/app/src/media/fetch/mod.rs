//! The one media fetcher: downloads the file behind a message's media `link` when the
//! upstream needs bytes (the simulated network does, to deliver; the cloud upstream passes
//! the link on).
//!
//! A media link is written by an API user, so fetching it is a request wagate makes on a
//! stranger's behalf. [`MediaFetcher::fetch`] therefore:
//! - takes only `http` and `https` links without credentials in them;
//! - refuses loopback, private, link-local and other non-public addresses unless
//!   [`FetchConfig::allow_private_networks`] is set (the SSRF guard, see [`guard`]), on
//!   the addresses it actually connects to, so DNS rebinding gains nothing;
//! - follows redirects itself, up to [`FetchConfig::max_redirects`], checking each hop like
//!   the link itself;
//! - never goes through an HTTP proxy (a proxy would resolve the name, out of the guard's
//!   sight);
//! - gives the whole fetch one deadline, and refuses a file over the size cap from its
//!   `Content-Length` or, without one, as soon as the bytes read pass the cap.
//!
//! A failed fetch is a [`FetchError`], whose [`FetchError::failure`] is the 131053 error
//! the message fails with, its details saying why.
//!
//! # Layout
//! - [`config`]: the settings, [`FetchConfig`].
//! - [`guard`]: the address classifier, the per-hop URL check and the guarded resolver.
//! - [`error`]: [`FetchError`] and the words it fails a message with.

pub mod config;
pub mod error;
pub mod guard;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::{StatusCode, Url, header};

pub use config::FetchConfig;
pub use error::FetchError;
use guard::GuardedResolver;

/// A fetched media file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The server's `Content-Type`, as sent (the caller decides whether to trust it).
    pub content_type: Option<String>,
    /// The URL the bytes came from, after redirects.
    pub final_url: String,
}

/// Fetches media links under the SSRF guard. Cheap to clone; clones share one connection
/// pool.
#[derive(Debug, Clone)]
pub struct MediaFetcher {
    /// Pools connections; resolves every name through the guard, never follows a redirect
    /// by itself and never uses a proxy.
    client: reqwest::Client,
    config: Arc<FetchConfig>,
}

impl MediaFetcher {
    pub fn new(config: FetchConfig) -> anyhow::Result<Self> {
        crate::install_tls();
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver {
                allow_private: config.allow_private_networks,
            })
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .user_agent(config.user_agent.as_str())
            .build()
            .context("building the media fetcher's HTTP client (is user_agent a header value?)")?;
        Ok(Self {
            client,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Downloads `url`, refusing a file over `max_bytes` (the media kind's limit) or over
    /// the configured [`FetchConfig::max_bytes`], whichever is smaller.
    #[tracing::instrument(skip_all, fields(host))]
    pub async fn fetch(&self, url: &str, max_bytes: u64) -> Result<Fetched, FetchError> {
        let limit = max_bytes.min(self.config.max_bytes);
        let deadline = Duration::from_millis(self.config.timeout_ms);
        let result = match tokio::time::timeout(deadline, self.fetch_unbounded(url, limit)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(deadline)),
        };
        if let Err(e) = &result {
            tracing::debug!(error.message = %e, "media fetch failed");
        }
        result
    }

    /// [`Self::fetch`] without its deadline.
    async fn fetch_unbounded(&self, url: &str, limit: u64) -> Result<Fetched, FetchError> {
        let mut url = Url::parse(url).map_err(|_| FetchError::InvalidUrl)?;
        let mut redirects = 0;
        loop {
            if let Some(host) = url.host_str() {
                tracing::Span::current().record("host", host);
            }
            guard::check_url(&url, self.config.allow_private_networks)?;
            let response = self
                .client
                .get(url.clone())
                .header(header::ACCEPT, "*/*")
                .send()
                .await
                .map_err(|e| self.transport_error(&e))?;
            let status = response.status();
            if is_redirect(status) {
                if redirects == self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects(self.config.max_redirects));
                }
                redirects += 1;
                url = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or(FetchError::BadRedirect)?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status(status));
            }
            return self.read_body(response, url, limit).await;
        }
    }

    /// Reads the body chunk by chunk, stopping as soon as it passes `limit`.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: Url,
        limit: u64,
    ) -> Result<Fetched, FetchError> {
        let too_large = FetchError::TooLarge { max: limit };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large);
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let expected = response.content_length().unwrap_or(0);
        let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(FetchError::Empty);
        }
        Ok(Fetched {
            bytes,
            content_type,
            final_url: url.into(),
        })
    }

    /// What a reqwest error means for the API user. The guarded resolver's own refusals
    /// come back inside reqwest's error, so they are looked for along its cause chain first.
    fn transport_error(&self, e: &reqwest::Error) -> FetchError {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(c) = cause {
            if let Some(guarded) = c.downcast_ref::<FetchError>() {
                return guarded.clone();
            }
            cause = c.source();
        }
        tracing::debug!(error.cause_chain = ?e, "media fetch transport error");
        if e.is_timeout() {
            // The client's only timeout is the connect timeout; the deadline of the whole
            // fetch is kept by `fetch`.
            FetchError::ConnectTimeout(Duration::from_millis(self.config.connect_timeout_ms))
        } else if e.is_connect() {
            FetchError::Connect
        } else {
            FetchError::Transfer
        }
    }
}

/// The statuses that send the client elsewhere with a `Location`.
fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}
