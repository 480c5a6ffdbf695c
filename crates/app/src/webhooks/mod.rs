//! Webhook subscriptions and their delivery log: the service functions, and the
//! [`deliver::Deliverer`] worker. Managing subscriptions needs an account-wide key.
//!
//! # Layout
//! - this file: subscriptions (create, list, get, update, delete) and the delivery log.
//! - [`config`]: [`WebhookConfig`], `[webhooks]` in the TOML file.
//! - [`deliver`]: the deliverer worker, signing and POSTing each pending delivery.
//! - `lane`: a subscription's lane in the deliverer (pure bookkeeping, unit-tested).
//! - [`render`]: payload formats, each rendering events into the bytes signed and POSTed
//!   (JSON, or a format's own content type: a multipart form carrying a user's file).
//! - `verify`: verifying a webhook URL as Meta does (the `hub.challenge` GET).

pub mod config;
pub mod deliver;
mod lane;
pub mod render;
mod verify;

use std::time::Duration;
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};

use wagate_core::error::ErrorCode;
use wagate_core::ids::{ChannelId, DeliveryId, SubscriptionId};
use wagate_core::message::Message;
use wagate_core::webhook::{
    BatchSize, EventField, PayloadFormat, Subscription, SubscriptionPatch, VerifyToken,
    WebhookSecret, WebhookUrl,
};
use wagate_store::{Delivery, DeliveryFilter, MessageKey, Page, RecordedAttempt, Replay};

use crate::error::Result;
use crate::{App, Error, Principal};

pub use config::WebhookConfig;

/// What a new subscription asks for.
#[derive(Debug, Clone)]
pub struct SubscriptionInput {
    pub channel_id: Option<ChannelId>,
    pub url: WebhookUrl,
    pub secret: WebhookSecret,
    pub verify_token: VerifyToken,
    /// Empty: `messages` and `statuses`.
    pub fields: Vec<EventField>,
    pub format: PayloadFormat,
    pub batch_size: BatchSize,
    pub enabled: bool,
}

fn normalise(fields: Vec<EventField>) -> Vec<EventField> {
    let mut out: Vec<EventField> = Vec::new();
    for f in fields {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if out.is_empty() {
        out = vec![EventField::Messages, EventField::Statuses];
    }
    out
}

impl App {
    fn verify_timeout(&self) -> Duration {
        Duration::from_secs(self.deliverer.config().timeout_secs)
    }

    /// Checks that `url` is one wagate may call and, for a format whose receivers know
    /// Meta's handshake, that it answers `hub.challenge` with `token`.
    async fn verify_url(
        &self,
        url: &WebhookUrl,
        token: &VerifyToken,
        format: &PayloadFormat,
    ) -> Result<()> {
        crate::platform::outbound::check(url.as_str(), self.allow_private_networks)
            .map_err(|why| Error::Failed(ErrorCode::WebhookVerificationFailed, why))?;
        if !self.renderers.get(format).is_some_and(|r| r.verifies_url()) {
            return Ok(());
        }
        verify::verify(&self.http, url, token, self.verify_timeout())
            .await
            .map_err(|why| Error::Failed(ErrorCode::WebhookVerificationFailed, why))
    }

    /// Verifies the URL like Meta (GET with `hub.challenge`) and stores the subscription.
    pub async fn create_subscription(
        &self,
        p: &Principal,
        input: SubscriptionInput,
    ) -> Result<Subscription> {
        p.require_account_wide()?;
        self.renderers.check(&input.format)?;
        if let Some(c) = input.channel_id {
            self.store.get_channel(p.account_id, c).await?;
        }
        self.verify_url(&input.url, &input.verify_token, &input.format)
            .await?;
        let at = self.now();
        let s = Subscription {
            id: SubscriptionId::generate(),
            account_id: p.account_id,
            channel_id: input.channel_id,
            url: input.url,
            secret: input.secret,
            verify_token: input.verify_token,
            fields: normalise(input.fields),
            format: input.format,
            batch_size: input.batch_size,
            enabled: input.enabled,
            created_at: at,
            updated_at: at,
        };
        let s = self.store.create_subscription(s).await?;
        self.audit(
            p,
            AuditAction::WebhookCreate,
            AuditTarget::new(TargetKind::Webhook, s.id),
            AuditSummary::new(format!(
                "url {}, {} field(s), {}",
                crate::access::audit::url_origin(s.url.as_str()),
                s.fields.len(),
                if s.enabled { "enabled" } else { "disabled" }
            )),
        )
        .await;
        Ok(s)
    }

    pub async fn get_subscription(
        &self,
        p: &Principal,
        id: SubscriptionId,
    ) -> Result<Subscription> {
        p.require_account_wide()?;
        Ok(self.store.get_subscription(p.account_id, id).await?)
    }

    pub async fn list_subscriptions(&self, p: &Principal) -> Result<Vec<Subscription>> {
        p.require_account_wide()?;
        Ok(self.store.list_subscriptions(p.account_id).await?)
    }

    /// Applies `patch`; a new URL or verify token is verified again first.
    pub async fn update_subscription(
        &self,
        p: &Principal,
        id: SubscriptionId,
        patch: SubscriptionPatch,
    ) -> Result<Subscription> {
        p.require_account_wide()?;
        let mut s = self.store.get_subscription(p.account_id, id).await?;
        let changed = AuditSummary::changed(
            [
                ("url", patch.url.is_some()),
                ("verify_token", patch.verify_token.is_some()),
                ("secret", patch.secret.is_some()),
                ("fields", patch.fields.is_some()),
                ("format", patch.format.is_some()),
                ("batch_size", patch.batch_size.is_some()),
                ("enabled", patch.enabled.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name)),
        );
        let reverify = patch.url.as_ref().is_some_and(|u| *u != s.url)
            || patch.format.as_ref().is_some_and(|f| *f != s.format)
            || patch
                .verify_token
                .as_ref()
                .is_some_and(|t| *t != s.verify_token);
        if let Some(u) = patch.url {
            s.url = u;
        }
        if let Some(t) = patch.verify_token {
            s.verify_token = t;
        }
        if let Some(k) = patch.secret {
            s.secret = k;
        }
        if let Some(f) = patch.fields {
            s.fields = normalise(f);
        }
        if let Some(f) = patch.format {
            self.renderers.check(&f)?;
            s.format = f;
        }
        if let Some(b) = patch.batch_size {
            s.batch_size = b;
        }
        if let Some(e) = patch.enabled {
            s.enabled = e;
        }
        if reverify {
            self.verify_url(&s.url, &s.verify_token, &s.format).await?;
        }
        s.updated_at = self.now();
        let updated = self.store.update_subscription(s).await?;
        // What this node leased ahead goes out under the new settings.
        self.deliverer.reset(id).await;
        self.audit(
            p,
            AuditAction::WebhookUpdate,
            AuditTarget::new(TargetKind::Webhook, id),
            changed,
        )
        .await;
        Ok(updated)
    }

    pub async fn delete_subscription(&self, p: &Principal, id: SubscriptionId) -> Result<()> {
        p.require_account_wide()?;
        self.store.delete_subscription(p.account_id, id).await?;
        self.deliverer.reset(id).await;
        self.audit(
            p,
            AuditAction::WebhookDelete,
            AuditTarget::new(TargetKind::Webhook, id),
            AuditSummary::default(),
        )
        .await;
        Ok(())
    }

    /// The subscription's delivery log, newest first.
    pub async fn list_deliveries(
        &self,
        p: &Principal,
        id: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>> {
        p.require_account_wide()?;
        Ok(self
            .store
            .list_deliveries(p.account_id, id, filter, page)
            .await?)
    }

    /// One of the subscription's deliveries and its attempts, oldest first (the latest
    /// [`wagate_store::ATTEMPTS_SHOWN`]).
    pub async fn delivery_attempts(
        &self,
        p: &Principal,
        id: SubscriptionId,
        delivery: DeliveryId,
    ) -> Result<(Delivery, Vec<RecordedAttempt>)> {
        p.require_account_wide()?;
        Ok(self
            .store
            .delivery_attempts(p.account_id, id, delivery)
            .await?)
    }

    /// Which of a message's events went to which subscription, and how it went.
    pub async fn message_deliveries(
        &self,
        p: &Principal,
        key: &MessageKey,
    ) -> Result<(Message, Vec<Delivery>)> {
        let message = self.get_message(p, key).await?;
        let deliveries = self
            .store
            .message_deliveries(p.account_id, message.id)
            .await?;
        Ok((message, deliveries))
    }

    /// Sends deliveries again (see [`Replay`]); returns how many were queued.
    pub async fn replay_deliveries(
        &self,
        p: &Principal,
        id: SubscriptionId,
        replay: Replay,
    ) -> Result<u64> {
        p.require_account_wide()?;
        // An empty or reversed range holds no delivery: nothing is replayed (as a list
        // filtered by it is empty), rather than a refusal no schema could announce.
        if let Replay::Range { since, until } = &replay
            && since >= until
        {
            self.store.get_subscription(p.account_id, id).await?;
            return Ok(0);
        }
        let what = match &replay {
            Replay::One(d) => format!("delivery {d}"),
            Replay::Dead { .. } => "dead letters".to_owned(),
            Replay::Range { since, until } => format!("deliveries from {since} to {until}"),
        };
        let n = self
            .store
            .replay_deliveries(p.account_id, id, replay, self.now())
            .await?;
        self.audit(
            p,
            AuditAction::WebhookReplay,
            AuditTarget::new(TargetKind::Webhook, id),
            AuditSummary::new(format!("{what}: {n} queued")),
        )
        .await;
        Ok(n)
    }

    /// The deliverer, for tests and benchmarks that step it by hand.
    pub fn deliverer(&self) -> &std::sync::Arc<deliver::Deliverer> {
        &self.deliverer
    }
}
