//! What the Cloud plane keeps about a phone number's business profile beyond the channel's
//! own profile fields, and which WABAs have subscribed apps.
//!
//! # Model
//! - The profile's text fields (about, address, …, websites) stay in the channel row
//!   (`channels.profile`), which the management plane reads and edits too, so each value is
//!   kept once. A [`ProfileWrite`] patches them there, in the same transaction as the rest.
//! - `business_profiles` (one row per channel, created on first write; absent means
//!   [`ProfileSettings::defaults`]) holds the profile picture and the commerce settings.
//! - The **picture** is a media id of its own ([`PictureWrite::Set`] carries it): a copy of
//!   the uploaded file's row pointing at the same bytes, living until it stops being the
//!   picture (then it is marked deleted in the same transaction, and the media collector
//!   frees the bytes once no live id refers to them). So the picture outlives its upload's 30
//!   days, and deleting the upload does not take it away.
//! - `waba_subscribed_apps` (one row per account and WABA): a WABA's `subscribed_apps`,
//!   with its alternate callback URL and the webhook subscriptions that carry it.

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::channel::{BusinessProfilePatch, Channel};
use wagate_core::ids::{AccountId, ChannelId, MediaId, SubscriptionId, WabaId};
use wagate_core::profile::CommerceSettings;
use wagate_core::webhook::WebhookUrl;

use crate::error::StoreError;
use crate::records::{corrupt, millis, timestamp};
use crate::{Media, Result};

/// Business profiles (see [`profile`](self)): the picture and commerce settings of a
/// number, and the apps a WABA subscribed. Another account's channel is `NotFound(Channel)`.
/// Part of [`Store`](crate::Store).
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The Cloud plane's part of one of the account's channels' profile (picture, commerce
    /// settings); [`ProfileSettings::defaults`] until something was written.
    async fn business_profile(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<ProfileSettings>;
    /// In one transaction: patches the channel's profile fields, stores the new picture's
    /// media id and deletes the previous one's (see [`PictureWrite`]). Answers the
    /// channel and settings as stored.
    async fn update_business_profile(
        &self,
        write: ProfileWrite,
    ) -> Result<(Channel, ProfileSettings)>;
    /// Applies `update` to the channel's commerce settings (`updated_at` becomes `at`).
    async fn update_commerce_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
        update: wagate_core::profile::CommerceUpdate,
        at: Timestamp,
    ) -> Result<ProfileSettings>;
    /// Any account's live media id that is some channel's profile picture now (for the
    /// picture's public URL); `NotFound(Media)` otherwise.
    async fn find_profile_picture(&self, id: &MediaId) -> Result<Media>;
    /// The WABA's subscribed app, if it has one.
    async fn get_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<WabaSubscription>>;
    /// In one transaction: stores `sub` (keeping the first `subscribed_at`) and deletes the
    /// webhook subscriptions `remove` (those already gone are skipped). Answers it as stored.
    async fn put_waba_subscription(
        &self,
        sub: WabaSubscription,
        remove: Vec<SubscriptionId>,
    ) -> Result<WabaSubscription>;
    /// In one transaction: removes the WABA's subscribed app and the webhook subscriptions
    /// of its alternate callback; answers what was removed (`None`: nothing was subscribed).
    async fn delete_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<WabaSubscription>>;
}

/// The Cloud plane's part of a channel's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSettings {
    pub channel_id: ChannelId,
    pub account_id: AccountId,
    /// The media id the profile picture is kept as, if there is one.
    pub picture: Option<MediaId>,
    pub commerce: CommerceSettings,
}

impl ProfileSettings {
    /// A channel's settings before anything was written: no picture, default commerce.
    pub fn defaults(account_id: AccountId, channel_id: ChannelId) -> Self {
        Self {
            channel_id,
            account_id,
            picture: None,
            commerce: CommerceSettings::default(),
        }
    }
}

/// What a profile update does to the picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PictureWrite {
    #[default]
    Keep,
    /// No picture; the previous one's media id is deleted.
    Clear,
    /// `media` (a new media id, stored by the write) becomes the picture, answered at `url`
    /// (also written into the channel's profile, for the management plane); the previous
    /// picture's media id is deleted.
    Set { media: Box<Media>, url: String },
}

/// Command: update a channel's business profile, all in one transaction.
#[derive(Debug, Clone)]
pub struct ProfileWrite {
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub patch: BusinessProfilePatch,
    pub picture: PictureWrite,
    pub at: Timestamp,
}

/// A WABA's subscription of wagate (its "app") to its webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WabaSubscription {
    pub account_id: AccountId,
    pub waba_id: WabaId,
    /// Meta's per-WABA alternate callback, when one is set.
    pub override_callback_uri: Option<WebhookUrl>,
    /// The webhook subscriptions (one per channel of the WABA) that deliver to it.
    pub override_subscriptions: Vec<SubscriptionId>,
    pub subscribed_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The `business_profiles` columns, in [`ProfileRecord`] order.
#[macro_export]
macro_rules! profile_columns {
    () => {
        "channel_id, account_id, picture_media_id, is_cart_enabled, is_catalog_visible, updated_at"
    };
}

/// A `business_profiles` row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileRecord {
    pub channel_id: Uuid,
    pub account_id: Uuid,
    pub picture_media_id: Option<String>,
    pub is_cart_enabled: bool,
    pub is_catalog_visible: bool,
    pub updated_at: i64,
}

impl ProfileRecord {
    pub fn new(s: &ProfileSettings, at: Timestamp) -> Self {
        Self {
            channel_id: s.channel_id.as_uuid(),
            account_id: s.account_id.as_uuid(),
            picture_media_id: s.picture.as_ref().map(|m| m.as_str().to_owned()),
            is_cart_enabled: s.commerce.is_cart_enabled,
            is_catalog_visible: s.commerce.is_catalog_visible,
            updated_at: millis(at),
        }
    }
}

impl TryFrom<ProfileRecord> for ProfileSettings {
    type Error = StoreError;

    fn try_from(r: ProfileRecord) -> Result<Self, StoreError> {
        Ok(Self {
            channel_id: ChannelId::from_uuid(r.channel_id),
            account_id: AccountId::from_uuid(r.account_id),
            picture: r
                .picture_media_id
                .as_deref()
                .map(MediaId::parse)
                .transpose()
                .map_err(|e| corrupt("business profile", e))?,
            commerce: CommerceSettings {
                is_cart_enabled: r.is_cart_enabled,
                is_catalog_visible: r.is_catalog_visible,
            },
        })
    }
}

/// The `waba_subscribed_apps` columns, in [`WabaSubscriptionRecord`] order.
#[macro_export]
macro_rules! waba_subscription_columns {
    () => {
        "account_id, waba_id, override_callback_uri, override_subscription_ids, subscribed_at, \
         updated_at"
    };
}

/// A `waba_subscribed_apps` row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WabaSubscriptionRecord {
    pub account_id: Uuid,
    pub waba_id: String,
    pub override_callback_uri: Option<String>,
    pub override_subscription_ids: Json<Vec<Uuid>>,
    pub subscribed_at: i64,
    pub updated_at: i64,
}

impl From<&WabaSubscription> for WabaSubscriptionRecord {
    fn from(s: &WabaSubscription) -> Self {
        Self {
            account_id: s.account_id.as_uuid(),
            waba_id: s.waba_id.to_string(),
            override_callback_uri: s
                .override_callback_uri
                .as_ref()
                .map(|u| u.as_str().to_owned()),
            override_subscription_ids: Json(
                s.override_subscriptions
                    .iter()
                    .map(SubscriptionId::as_uuid)
                    .collect(),
            ),
            subscribed_at: millis(s.subscribed_at),
            updated_at: millis(s.updated_at),
        }
    }
}

impl TryFrom<WabaSubscriptionRecord> for WabaSubscription {
    type Error = StoreError;

    fn try_from(r: WabaSubscriptionRecord) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("WABA subscription", e);
        Ok(Self {
            account_id: AccountId::from_uuid(r.account_id),
            waba_id: WabaId::parse(&r.waba_id).map_err(|e| bad(&e))?,
            override_callback_uri: r
                .override_callback_uri
                .as_deref()
                .map(WebhookUrl::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            override_subscriptions: r
                .override_subscription_ids
                .0
                .into_iter()
                .map(SubscriptionId::from_uuid)
                .collect(),
            subscribed_at: timestamp("WABA subscription", r.subscribed_at)?,
            updated_at: timestamp("WABA subscription", r.updated_at)?,
        })
    }
}
