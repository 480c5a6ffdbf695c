//! Channels and the per-number state the Cloud plane keeps ([`ChannelStore`]): registration
//! (see [`registration`](crate::registration)), phone settings (see
//! [`phone_settings`]) and the number changes webhooks report.

use async_trait::async_trait;
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_core::webhook::WebhookEvent;

use crate::{Page, Result, phone_settings};

/// Channels (one per phone number) and the state the Cloud plane keeps per number: its
/// registration, its settings and conversational automation, and the changes webhooks
/// report about it (quality, display name). Another account's channel is
/// `NotFound(Channel)`. Part of [`Store`](crate::Store).
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Fails with `NotFound(Account)` for an unknown account and `Conflict` when another
    /// channel already has the phone number id.
    async fn create_channel(&self, new: NewChannel) -> Result<Channel>;
    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel>;
    /// Any account's channel by Meta's phone number id; callers check ownership.
    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel>;
    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>>;
    /// Applies `patch` with [`Channel::apply`] inside one write transaction.
    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel>;
    /// Every channel whose upstream is Meta's Cloud API, of every account (Meta's webhook
    /// verification names no channel).
    async fn cloud_channels(&self) -> Result<Vec<Channel>>;

    // Phone number registration (see [`registration`]).

    /// The registration state of one of the account's channels, or `None` while it never
    /// changed (the initial state: registered, verified, no two-step PIN). Another account's
    /// channel answers `None` too.
    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<wagate_core::registration::Registration>>;
    /// The registration states of those of `channels` (the account's) that have one.
    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<wagate_core::registration::Registration>>;
    /// Compare-and-set: stores `next` (its `version` already bumped by the caller) when the
    /// stored row is still at version `seen` (`None`: no row yet). `Ok(false)`, changing
    /// nothing, when another write came first; `NotFound(Channel)` when the channel is not
    /// the account's.
    async fn save_registration(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
    ) -> Result<bool>;

    // Phone number settings.
    // See [`phone_settings`]. Another account's channel is `NotFound(Channel)`.

    /// One of the account's channels' stored settings and conversational automation (both
    /// empty until written).
    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<phone_settings::PhoneSettings>;
    /// In one transaction: replaces the top-level keys `write` names (a `null` removes one)
    /// in the channel's settings and automation, keeping the others; answers them as stored.
    async fn update_phone_settings(
        &self,
        write: phone_settings::PhoneSettingsWrite,
    ) -> Result<phone_settings::PhoneSettings>;

    // Changes of a number that webhooks report (`phone_number_quality_update`,
    // `phone_number_name_update`): the change and its events in one transaction.

    /// In one transaction: applies `patch` (with [`Channel::apply`]) to one of the account's
    /// channels if it is still exactly `seen` (as the caller read it, so the events it worked
    /// out from `seen` are true), and records `events`. `Ok(None)`, changing nothing, when
    /// another write came first; `NotFound(Channel)` when the channel is not `seen`'s
    /// account's.
    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>>;
    /// In one transaction: [`Self::save_registration`]'s compare-and-set and, when it wins,
    /// `patch` applied to the channel (when given) and `events` recorded. Answers the channel
    /// as it is then; `Ok(None)`, changing nothing, when another write came first.
    async fn save_registration_with(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>>;
}
