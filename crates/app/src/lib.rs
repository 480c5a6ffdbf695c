//! wagate's services: the rules that sit between a surface (HTTP plane, CLI) and the store.
//!
//! A surface parses its input into core types, calls one service function with the caller's
//! [`Principal`], and renders the result. Services check what the principal may do, apply
//! policy, and call the [`Store`]. No surface talks to the store directly, so a rule written
//! here holds on every surface.
//!
//! # Layout
//! - [`config`]: the one typed, documented settings struct.
//! - [`database`]: which store backend a `--database` value selects, and opening it.
//! - [`principal`]: who is calling (an API key, or the operator at the CLI) and what it may touch.
//! - [`channels`], [`api_keys`], [`accounts`], [`messages`], [`sandbox`]: the services.
//! - [`upstream_ingest`]: what Meta reports for cloud channels (`/webhooks/meta`).
//! - [`upstream_proxy`]: Graph calls about a cloud channel's number or WABA, passed to Meta.
//! - [`dispatch`], [`ingest`]: the outbox and the network's reports, each with a `run_once`
//!   step; [`workers`]: the [`workers::Worker`] trait every background job implements, the
//!   one loop that runs them, and [`App::drain`] for tests.
//! - [`bootstrap`]: first start (account, sandbox channel, admin key, `credentials.env`).
//! - [`idempotency`]: `Idempotency-Key` reservations, replays and their collector.
//! - [`error`]: the services' error enum and its error code.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod bootstrap;
mod cache;
pub mod channels;
pub mod config;
pub mod contacts;
pub mod database;
pub mod dispatch;
pub mod error;
pub mod idempotency;
pub mod ingest;
pub mod media;
pub mod media_fetch;
pub mod messages;
pub mod outbound;
pub mod phone_quality;
pub mod phone_settings;
pub mod principal;
pub mod profile;
pub mod qr_codes;
pub mod rate_limit;
pub mod registration;
pub mod sandbox;
pub mod secrets;
pub mod template_extras;
pub mod template_review;
mod template_send;
pub mod templates;
pub mod upstream_ingest;
pub mod upstream_proxy;
pub mod webhooks;
pub mod workers;

use std::sync::Arc;

use std::time::Duration;

use cache::TtlCache;
use tokio::sync::Notify;
use wagate_core::api_key::{ApiKey, ApiKeyDigest};
use wagate_core::channel::Channel;
use wagate_core::ids::PhoneNumberId;
use wagate_store::Store;
use wagate_upstream::cloud::CloudClient;
use wagate_upstream::sandbox::SandboxNetwork;

use dispatch::{DispatchConfig, Dispatcher};
use ingest::Ingest;

pub use error::Error;
pub use principal::Principal;

/// Shared handle to the services. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    dispatcher: Arc<Dispatcher>,
    ingest: Arc<Ingest>,
    /// Wakes the dispatcher when a message is accepted.
    wake: Arc<Notify>,
    keys: Arc<TtlCache<ApiKeyDigest, ApiKey>>,
    phone_numbers: Arc<TtlCache<PhoneNumberId, Channel>>,
    /// Every cloud channel, for calls naming a WABA (`upstream_proxy`).
    cloud_channels: Arc<TtlCache<(), Vec<Channel>>>,
    deliverer: Arc<webhooks::deliver::Deliverer>,
    /// Outgoing HTTP (webhook verification and delivery).
    http: reqwest::Client,
    /// Graph API calls for cloud channels (media downloads of what Meta reports).
    cloud: CloudClient,
    templates: templates::TemplatesConfig,
    media: Arc<media::MediaService>,
    /// `[outbound] allow_private_networks`: webhook URLs are checked against it.
    allow_private_networks: bool,
    /// Token buckets per key and account, checked by every surface right after
    /// authentication.
    rate_limits: Arc<rate_limit::RateLimiter>,
    /// One lock per worker, held for each of its steps by its loop and by `drain`.
    step_locks: Arc<workers::StepLocks>,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_dispatch(store, DispatchConfig::default())
    }

    pub fn with_dispatch(store: Arc<dyn Store>, config: DispatchConfig) -> Self {
        Self::with_config(store, config, webhooks::WebhookConfig::default())
    }

    pub fn with_config(
        store: Arc<dyn Store>,
        config: DispatchConfig,
        webhook_config: webhooks::WebhookConfig,
    ) -> Self {
        Self::with_settings(store, config, webhook_config, false)
    }

    /// The services, with outbound calls to private networks allowed or not (see
    /// [`outbound`]).
    pub fn with_settings(
        store: Arc<dyn Store>,
        config: DispatchConfig,
        webhook_config: webhooks::WebhookConfig,
        allow_private_networks: bool,
    ) -> Self {
        let sandbox = Arc::new(SandboxNetwork::new());
        let http = outbound::client(allow_private_networks);
        let cloud_client = CloudClient::new(
            http.clone(),
            Duration::from_secs(config.cloud_timeout_secs.max(1)),
        );
        let media = media::MediaService::temporary();
        let dispatcher = Dispatcher::new(store.clone(), sandbox, cloud_client.clone(), config);
        dispatcher.use_media(media.fetcher().clone(), media.blobs.clone());
        Self {
            cloud: cloud_client,
            deliverer: Arc::new(webhooks::deliver::Deliverer::new(
                store.clone(),
                http.clone(),
                webhook_config,
                allow_private_networks,
            )),
            http,
            dispatcher: Arc::new(dispatcher),
            ingest: Arc::new(Ingest::new(store.clone(), 1024)),
            store,
            wake: Arc::new(Notify::new()),
            keys: Arc::new(TtlCache::new(Duration::from_secs(1))),
            phone_numbers: Arc::new(TtlCache::new(Duration::from_secs(1))),
            cloud_channels: Arc::new(TtlCache::new(Duration::from_secs(1))),
            templates: templates::TemplatesConfig::default(),
            media: Arc::new(media),
            allow_private_networks,
            rate_limits: Arc::new(rate_limit::RateLimiter::new(
                rate_limit::RateLimitConfig::default(),
            )),
            step_locks: Arc::default(),
        }
    }

    /// Whether outbound calls may reach private networks (`[outbound]`).
    pub fn allow_private_networks(&self) -> bool {
        self.allow_private_networks
    }

    /// The same services with these rate limits.
    pub fn with_rate_limits(mut self, config: rate_limit::RateLimitConfig) -> Self {
        self.rate_limits = Arc::new(rate_limit::RateLimiter::new(config));
        self
    }

    /// The rate limiter (surfaces check it after authentication; tests drive its clock).
    pub fn rate_limits(&self) -> &rate_limit::RateLimiter {
        &self.rate_limits
    }

    /// The same services keeping media as `media` says.
    pub fn with_media(mut self, media: media::MediaService) -> Self {
        self.dispatcher
            .use_media(media.fetcher().clone(), media.blobs.clone());
        self.media = Arc::new(media);
        self
    }

    /// The same services with these template limits.
    pub fn with_templates(mut self, config: templates::TemplatesConfig) -> Self {
        self.templates = config;
        self
    }

    /// The dispatcher, for tests and benchmarks that step it by hand.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Ingest, for tests and benchmarks that step it by hand.
    pub fn ingest(&self) -> &Ingest {
        &self.ingest
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

/// Installs the process's TLS crypto provider (ring), once: every reqwest client needs it,
/// wagate's own and any a program embedding wagate builds. A second call does nothing.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
