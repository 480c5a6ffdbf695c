//! wagate's services: the rules that sit between a surface (HTTP plane, CLI) and the store.
//!
//! A surface parses its input into core types, calls one service function with the caller's
//! [`Principal`], and renders the result. Services check what the principal may do, apply
//! policy, and call the [`Store`]. No surface talks to the store directly, so a rule written
//! here holds on every surface.
//!
//! Every service is a method of [`App`], the one shared handle (defined here, with its
//! constructors); each domain folder adds its own `impl App` block, so a method lives with
//! the domain it belongs to. The background work (the outbox, the simulated network's
//! reports, webhook deliveries, template review, garbage collection) is written as
//! [`platform::workers::Worker`] steps, which one loop runs on a server and [`App::drain`]
//! runs in tests.
//!
//! # Layout
//! A folder per domain; each folder's `mod.rs` says what it owns and lists its files.
//! - [`channels`]: phone numbers: the channel itself, registration, settings, business
//!   profile and WABA, QR codes, quality rating.
//! - [`messaging`]: sending (accept into the outbox), the dispatcher that hands messages to
//!   their upstream, ingest of what the upstreams report, and the simulated network's
//!   inbound messages.
//! - [`templates`]: message templates: management, the checks at send time, bulk requests,
//!   comparison, and the sandbox's review.
//! - [`media`]: media ids: uploads, resumable uploads, downloads, blob stores, retention,
//!   and fetching media links.
//! - [`flows`]: calls to a business's WhatsApp Flows endpoint (encrypted, signed, typed).
//! - [`webhooks`]: subscriptions of API users and the delivery of events to them.
//! - [`contacts`]: a channel's contacts (the block list).
//! - [`upstream`]: channels whose upstream is Meta's Cloud API: what Meta reports
//!   (`/webhooks/meta`) and the Graph calls passed on to Meta. A folder of its own, not
//!   part of `messaging`, because the calls it passes on belong to every domain Meta owns
//!   for a cloud channel (templates, registration, profile, …), not just messages.
//! - [`access`]: who may call and what they did: accounts, API keys, the [`Principal`],
//!   rate limits per key and account, the audit log.
//! - [`platform`]: what every domain runs on: opening the database, first-start bootstrap,
//!   the secrets master key, the outbound HTTP client and its guard, `Idempotency-Key`
//!   handling, the small TTL cache, and the workers' loop.
//! - [`campaigns`], [`billing`], [`analytics`]: named homes for what is coming (no code
//!   yet).
//! - [`config`]: the one typed, documented settings struct, gathering every domain's
//!   section (top level because it belongs to all of them).
//! - [`error`]: the services' error enum and its error code.

#![forbid(unsafe_code)]

pub mod access;
pub mod analytics;
pub mod billing;
pub mod campaigns;
pub mod channels;
pub mod commerce;
pub mod config;
pub mod contacts;
pub mod error;
pub mod flows;
pub mod groups;
pub mod media;
pub mod messaging;
pub mod platform;
pub mod templates;
pub mod upstream;
pub mod webhooks;

use std::sync::Arc;

use std::time::Duration;

use platform::cache::TtlCache;
use tokio::sync::Notify;
use wagate_core::api_key::{ApiKey, ApiKeyDigest};
use wagate_core::channel::Channel;
use wagate_core::ids::PhoneNumberId;
use wagate_store::Store;
use wagate_upstream::cloud::CloudClient;
use wagate_upstream::sandbox::SandboxNetwork;

use messaging::dispatch::{DispatchConfig, Dispatcher};
use messaging::ingest::Ingest;

pub use access::principal::Principal;
pub use error::Error;

/// Shared handle to the services. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    /// The store's clock: every time a service stamps or compares comes from it.
    clock: Arc<dyn wagate_core::clock::Clock>,
    dispatcher: Arc<Dispatcher>,
    ingest: Arc<Ingest>,
    /// Wakes the dispatcher when a message is accepted.
    wake: Arc<Notify>,
    keys: Arc<TtlCache<ApiKeyDigest, ApiKey>>,
    phone_numbers: Arc<TtlCache<PhoneNumberId, Channel>>,
    /// Every cloud channel, for calls naming a WABA ([`upstream::proxy`]).
    cloud_channels: Arc<TtlCache<(), Vec<Channel>>>,
    deliverer: Arc<webhooks::deliver::Deliverer>,
    /// Webhook payload formats by name (shared with the deliverer).
    renderers: webhooks::render::Renderers,
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
    rate_limits: Arc<access::rate_limit::RateLimiter>,
    /// One lock per worker, held for each of its steps by its loop and by `drain`.
    step_locks: Arc<platform::workers::StepLocks>,
    /// The contact import this node is running, if any.
    imports: Arc<contacts::imports::ImportRunner>,
    /// Rate cards read lately ([`billing::CARD_TTL`]).
    rate_cards: Arc<billing::CardCache>,
    /// This node's campaign work: audience loads, the users channels reached lately.
    campaigns: Arc<campaigns::runner::CampaignRunner>,
    /// How long a business's Flows endpoint has to answer ([`flows::endpoint`]).
    flow_endpoint_timeout: Duration,
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
    /// [`platform::outbound`]).
    pub fn with_settings(
        store: Arc<dyn Store>,
        config: DispatchConfig,
        webhook_config: webhooks::WebhookConfig,
        allow_private_networks: bool,
    ) -> Self {
        let sandbox = Arc::new(SandboxNetwork::new());
        let http = platform::outbound::client(allow_private_networks);
        let cloud_client = CloudClient::new(
            http.clone(),
            Duration::from_secs(config.cloud_timeout_secs.max(1)),
        );
        let media = media::MediaService::temporary();
        let renderers = webhooks::render::Renderers::default();
        let dispatcher = Dispatcher::new(store.clone(), sandbox, cloud_client.clone(), config);
        dispatcher.use_media(media.fetcher().clone(), media.blobs.clone());
        let deliverer = Arc::new(webhooks::deliver::Deliverer::new(
            store.clone(),
            http.clone(),
            webhook_config,
            allow_private_networks,
            renderers.clone(),
        ));
        deliverer.use_media(media.blobs.clone());
        Self {
            clock: store.clock(),
            cloud: cloud_client,
            deliverer,
            renderers,
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
            rate_limits: Arc::new(access::rate_limit::RateLimiter::new(
                access::rate_limit::RateLimitConfig::default(),
            )),
            step_locks: Arc::default(),
            imports: Arc::default(),
            rate_cards: Arc::new(platform::cache::TtlCache::new(billing::CARD_TTL)),
            campaigns: Arc::default(),
            flow_endpoint_timeout: flows::endpoint::DEFAULT_TIMEOUT,
        }
    }

    /// Adds a webhook payload format (a dialect's callback shape): subscriptions may then
    /// name it, and their deliveries are rendered by `renderer`.
    pub fn register_payload_format(
        &self,
        format: wagate_core::webhook::PayloadFormat,
        renderer: Arc<dyn webhooks::render::Renderer>,
    ) {
        self.renderers.register(format, renderer);
    }

    /// Now, by the clock the store was opened with.
    pub fn now(&self) -> wagate_core::Timestamp {
        self.clock.now()
    }

    /// Whether outbound calls may reach private networks (`[outbound]`).
    pub fn allow_private_networks(&self) -> bool {
        self.allow_private_networks
    }

    /// The same services with these rate limits.
    pub fn with_rate_limits(mut self, config: access::rate_limit::RateLimitConfig) -> Self {
        self.rate_limits = Arc::new(access::rate_limit::RateLimiter::new(config));
        self
    }

    /// The rate limiter (surfaces check it after authentication; tests drive its clock).
    pub fn rate_limits(&self) -> &access::rate_limit::RateLimiter {
        &self.rate_limits
    }

    /// The same services keeping media as `media` says.
    pub fn with_media(mut self, media: media::MediaService) -> Self {
        self.dispatcher
            .use_media(media.fetcher().clone(), media.blobs.clone());
        self.deliverer.use_media(media.blobs.clone());
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

    /// The clock every service stamps with.
    pub fn clock(&self) -> &Arc<dyn wagate_core::clock::Clock> {
        &self.clock
    }
}

/// Installs the process's TLS crypto provider (ring), once: every reqwest client needs it,
/// wagate's own and any a program embedding wagate builds. A second call does nothing.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
