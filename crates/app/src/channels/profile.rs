//! Business profiles, commerce settings, WABA information and subscribed apps: the services
//! behind the Cloud plane's `whatsapp_business_profile`, `whatsapp_commerce_settings`,
//! `GET /{waba_id}` and `/{waba_id}/subscribed_apps`.
//!
//! # Model
//! - **Profile.** The text fields live in the channel (the management plane edits the same
//!   values); [`App::update_business_profile`] patches them and the picture in one store
//!   transaction ([`wagate_store::profile`]).
//! - **Picture.** `profile_picture_handle` is a Resumable Upload handle
//!   ([`App::resolve_upload_handle`]) of a JPEG or PNG. The profile does not point at that
//!   upload, which expires after 30 days and which its owner may delete: it gets a media id of
//!   its own over the same bytes, living as long as it is the picture. Its URL,
//!   `<base_url>/media/<id>/profile` ([`picture_url`]), is stable and unsigned, like the CDN
//!   URL Meta answers, but serves only a media id that is some channel's picture right now
//!   ([`App::open_profile_picture`]); a new picture has a new id, so the old URL stops working
//!   and caches never show a stale picture.
//! - **Commerce settings** are stored per channel; before the first change they are
//!   [`CommerceSettings::default`].
//! - **WABA.** A WABA is the account's when one of its channels belongs to it
//!   ([`App::waba`]); [`App::waba_info`] gathers what Graph's WABA object shows about it.
//! - **Subscribed apps.** wagate is the one "app": `POST /{waba_id}/subscribed_apps` records
//!   the subscription. An alternate callback (`override_callback_uri` + `verify_token`)
//!   becomes real webhook subscriptions, one per channel of the WABA, verified by Meta's GET
//!   challenge and signed with the secret of the account's webhook subscription, as Meta
//!   signs an override with the app's secret (so one is needed first). They replace the
//!   previous override's subscriptions; `POST` without an override and `DELETE` remove them.

use wagate_core::Timestamp;
use wagate_core::account::Account;
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::channel::{BusinessProfile, Channel};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{AccountId, MediaId, SubscriptionId, WabaId};
use wagate_core::profile::{AlternateCallback, CommerceSettings, CommerceUpdate};
use wagate_core::profile::{PictureChange, ProfileUpdate};
use wagate_store::profile::{PictureWrite, ProfileWrite, WabaSubscription};
use wagate_store::{Entity, Media, Page, StoreError};

use crate::error::{Error, Result};
use crate::webhooks::SubscriptionInput;
use crate::{App, Principal};

/// The types a profile picture may be.
pub const PICTURE_TYPES: &[&str] = &["image/jpeg", "image/png"];

/// What Graph calls the app subscribed to a WABA.
pub const APP_NAME: &str = "wagate";

/// The public URL of a profile picture's media id on `base_url`.
pub fn picture_url(base_url: &str, id: &MediaId) -> String {
    format!("{}/media/{id}/profile", base_url.trim_end_matches('/'))
}

/// A stable Graph-style id (15 digits) for `what` of an account: the id of wagate as the
/// account's "app", of its business, of a phone number's commerce settings.
pub fn derived_id(what: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("wagate {what} {key}"));
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (100_000_000_000_000 + n % 900_000_000_000_000).to_string()
}

/// The id of wagate as the account's app (`whatsapp_business_api_data.id`).
pub fn app_id(account: AccountId) -> String {
    derived_id("app", &account.to_string())
}

/// Everything Graph's WABA object (`GET /{waba_id}`) is made from.
#[derive(Debug, Clone)]
pub struct WabaInfo {
    pub id: WabaId,
    /// The account owning the WABA (its name is the WABA's name).
    pub account: Account,
    /// The WABA's phone numbers the caller may see, oldest first.
    pub channels: Vec<Channel>,
    pub subscription: Option<WabaSubscription>,
    /// Whether the business counts as verified: wagate's template limit is above Meta's
    /// unverified 250 (`[templates] max_templates`).
    pub verified: bool,
}

/// The far future: a profile picture's media id lives until it is replaced.
fn forever() -> Timestamp {
    "9000-01-01T00:00:00Z".parse().expect("a valid timestamp")
}

impl App {
    /// One of the account's live media ids that is its picture now, or `None`.
    async fn live_picture(&self, account: AccountId, id: &MediaId) -> Result<Option<Media>> {
        match self.store.get_media(account, id).await {
            Ok(m) if m.expires_at > self.now() => Ok(Some(m)),
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The channel's business profile as stored now, its picture's URL on `base_url`.
    pub async fn business_profile(
        &self,
        p: &Principal,
        channel: &Channel,
        base_url: &str,
    ) -> Result<BusinessProfile> {
        // Read again, past the phone number cache: a profile just written is answered.
        let fresh = self.get_channel(p, channel.id).await?;
        let settings = self
            .store
            .business_profile(p.account_id, channel.id)
            .await?;
        let mut profile = fresh.profile;
        profile.profile_picture_url = match &settings.picture {
            Some(id) => self
                .live_picture(p.account_id, id)
                .await?
                .map(|m| picture_url(base_url, &m.id)),
            None => None,
        };
        Ok(profile)
    }

    /// Meta's profile update: the fields of `update`, and the picture from its upload handle
    /// (a JPEG or PNG of this account; anything else is Graph 100 naming the field).
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id, channel_id = %channel.id))]
    pub async fn update_business_profile(
        &self,
        p: &Principal,
        channel: &Channel,
        update: ProfileUpdate,
        base_url: &str,
    ) -> Result<BusinessProfile> {
        if !p.can_use(channel.id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        let at = self.now();
        let summary = crate::access::audit::profile_fields(
            &update.patch,
            !matches!(update.picture, PictureChange::Keep),
        );
        let picture = match update.picture {
            PictureChange::Keep => PictureWrite::Keep,
            PictureChange::Clear => PictureWrite::Clear,
            PictureChange::Set(handle) => {
                let upload = self.picture_upload(p, &handle).await?;
                let media = Media {
                    id: MediaId::generate(),
                    channel_id: channel.id,
                    created_at: at,
                    expires_at: forever(),
                    ..upload
                };
                let url = picture_url(base_url, &media.id);
                PictureWrite::Set {
                    media: Box::new(media),
                    url,
                }
            }
        };
        let (channel, _) = self
            .store
            .update_business_profile(ProfileWrite {
                account_id: p.account_id,
                channel_id: channel.id,
                patch: update.patch,
                picture,
                at,
            })
            .await?;
        self.phone_numbers.clear();
        self.audit(
            p,
            AuditAction::ProfileUpdate,
            AuditTarget::new(TargetKind::Channel, channel.id),
            summary,
        )
        .await;
        Ok(channel.profile)
    }

    /// The upload a picture handle names: one of the account's, a JPEG or a PNG.
    async fn picture_upload(&self, p: &Principal, handle: &str) -> Result<Media> {
        const FIELD: &str = "profile_picture_handle";
        let media = match self.resolve_handle_text(p, handle).await {
            Ok(m) => m,
            Err(e) if e.code() == ErrorCode::MediaNotFound => {
                return Err(ValidationError::new(
                    FIELD,
                    format!(
                        "the upload handle {handle} is unknown or expired; upload the picture \
                         with the Resumable Upload API (POST /{{app_id}}/uploads) and give the \
                         handle it answers"
                    ),
                )
                .into());
            }
            Err(e) => return Err(e),
        };
        if !PICTURE_TYPES.contains(&media.mime_type.as_str()) {
            return Err(ValidationError::new(
                FIELD,
                format!(
                    "the upload is a {} file; a profile picture is a JPEG or PNG image",
                    media.mime_type
                ),
            )
            .into());
        }
        Ok(media)
    }

    /// The bytes of a profile picture's public URL: only a media id that is some channel's
    /// picture now (no key needed, like Meta's picture URLs).
    pub async fn open_profile_picture(
        &self,
        id: &MediaId,
    ) -> Result<(Media, crate::media::blob::Reader)> {
        let media = self.store.find_profile_picture(id).await?;
        let file = self
            .media
            .blobs
            .open(&media.storage_key)
            .await
            .map_err(|e| Error::Failed(ErrorCode::Internal, format!("reading media: {e}")))?
            .ok_or_else(|| Error::from(StoreError::NotFound(Entity::Media)))?;
        Ok((media, file))
    }

    /// The channel's commerce settings.
    pub async fn commerce_settings(
        &self,
        p: &Principal,
        channel: &Channel,
    ) -> Result<CommerceSettings> {
        if !p.can_use(channel.id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        Ok(self
            .store
            .business_profile(p.account_id, channel.id)
            .await?
            .commerce)
    }

    pub async fn update_commerce_settings(
        &self,
        p: &Principal,
        channel: &Channel,
        update: CommerceUpdate,
    ) -> Result<CommerceSettings> {
        if !p.can_use(channel.id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        let summary = AuditSummary::new(format!(
            "is_cart_enabled {:?}, is_catalog_visible {:?}",
            update.is_cart_enabled, update.is_catalog_visible
        ));
        let settings = self
            .store
            .update_commerce_settings(p.account_id, channel.id, update, self.now())
            .await?;
        self.audit(
            p,
            AuditAction::CommerceSettingsUpdate,
            AuditTarget::new(TargetKind::Channel, channel.id),
            summary,
        )
        .await;
        Ok(settings.commerce)
    }

    /// The account's channels of `waba` the caller may see.
    async fn waba_channels(&self, p: &Principal, waba: &WabaId) -> Result<Vec<Channel>> {
        let mut channels = self.list_channels(p, &Page::all()).await?;
        channels.retain(|c| c.waba_id == *waba);
        channels.sort_by_key(|c| c.created_at);
        Ok(channels)
    }

    /// What Graph shows about one of the account's WABAs; anything else is unknown.
    pub async fn waba_info(&self, p: &Principal, id: &WabaId) -> Result<WabaInfo> {
        let waba = self.waba(p, id).await?;
        Ok(WabaInfo {
            channels: self.waba_channels(p, &waba).await?,
            account: self.store.get_account(p.account_id).await?,
            subscription: self
                .store
                .get_waba_subscription(p.account_id, &waba)
                .await?,
            verified: self.templates.max_templates > 250,
            id: waba,
        })
    }

    /// The WABA's subscribed app, if any.
    pub async fn subscribed_app(
        &self,
        p: &Principal,
        waba: &WabaId,
    ) -> Result<Option<WabaSubscription>> {
        Ok(self.store.get_waba_subscription(p.account_id, waba).await?)
    }

    /// `POST /{waba_id}/subscribed_apps`: subscribes wagate to the WABA, with `callback` as
    /// its alternate callback, or none (which removes a previous one). See the module docs.
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id, waba_id = %waba))]
    pub async fn subscribe_app(
        &self,
        p: &Principal,
        waba: &WabaId,
        callback: Option<AlternateCallback>,
    ) -> Result<WabaSubscription> {
        p.require_account_wide()?;
        let existing = self.store.get_waba_subscription(p.account_id, waba).await?;
        let at = self.now();
        let carriers = match &callback {
            Some(c) => self.callback_subscriptions(p, waba, c).await?,
            None => Vec::new(),
        };
        let sub = WabaSubscription {
            account_id: p.account_id,
            waba_id: waba.clone(),
            override_callback_uri: callback.map(|c| c.url),
            override_subscriptions: carriers.clone(),
            subscribed_at: at,
            updated_at: at,
        };
        let remove = existing
            .map(|e| e.override_subscriptions)
            .unwrap_or_default();
        match self.store.put_waba_subscription(sub, remove.clone()).await {
            Ok(stored) => {
                self.forget_subscriptions(&remove).await;
                let callback = stored
                    .override_callback_uri
                    .as_ref()
                    .map_or("none".to_owned(), |u| {
                        crate::access::audit::url_origin(u.as_str())
                    });
                self.audit(
                    p,
                    AuditAction::AppSubscribe,
                    AuditTarget::new(TargetKind::Waba, waba),
                    AuditSummary::new(format!("alternate callback {callback}")),
                )
                .await;
                Ok(stored)
            }
            Err(e) => {
                self.drop_subscriptions(p.account_id, &carriers).await;
                Err(e.into())
            }
        }
    }

    /// `DELETE /{waba_id}/subscribed_apps`: unsubscribes, removing any alternate callback.
    pub async fn unsubscribe_app(&self, p: &Principal, waba: &WabaId) -> Result<()> {
        p.require_account_wide()?;
        if let Some(removed) = self
            .store
            .delete_waba_subscription(p.account_id, waba)
            .await?
        {
            self.forget_subscriptions(&removed.override_subscriptions)
                .await;
            self.audit(
                p,
                AuditAction::AppUnsubscribe,
                AuditTarget::new(TargetKind::Waba, waba),
                AuditSummary::default(),
            )
            .await;
        }
        Ok(())
    }

    /// One verified webhook subscription per channel of the WABA delivering to `callback`,
    /// with the secret, fields and format of the account's (account-wide) subscription. All
    /// or none: a failure deletes those already made.
    async fn callback_subscriptions(
        &self,
        p: &Principal,
        waba: &WabaId,
        callback: &AlternateCallback,
    ) -> Result<Vec<SubscriptionId>> {
        let source = self
            .list_subscriptions(p)
            .await?
            .into_iter()
            .find(|s| s.channel_id.is_none() && s.enabled)
            .ok_or(Error::Refused(
                ErrorCode::InvalidRequest,
                "an alternate callback is signed with the secret of the account's webhook \
                 subscription, and the account has none; create one (POST /api/v1/webhooks) \
                 first",
            ))?;
        let mut made = Vec::new();
        for channel in self.waba_channels(p, waba).await? {
            let input = SubscriptionInput {
                channel_id: Some(channel.id),
                url: callback.url.clone(),
                secret: source.secret.clone(),
                verify_token: callback.verify_token.clone(),
                fields: source.fields.clone(),
                format: source.format.clone(),
                batch_size: source.batch_size,
                enabled: true,
            };
            match self.create_subscription(p, input).await {
                Ok(s) => made.push(s.id),
                Err(e) => {
                    self.drop_subscriptions(p.account_id, &made).await;
                    return Err(match e {
                        Error::Failed(code, why) => Error::Failed(
                            code,
                            format!("override_callback_uri did not verify: {why}"),
                        ),
                        other => other,
                    });
                }
            }
        }
        Ok(made)
    }

    /// Deletes subscriptions made for a callback that is not kept.
    async fn drop_subscriptions(&self, account: AccountId, ids: &[SubscriptionId]) {
        for id in ids {
            if let Err(e) = self.store.delete_subscription(account, *id).await {
                tracing::warn!(subscription_id = %id, error.message = %e, "alternate callback subscription not removed");
            }
        }
        self.forget_subscriptions(ids).await;
    }

    /// Tells the deliverer that these subscriptions are gone.
    async fn forget_subscriptions(&self, ids: &[SubscriptionId]) {
        for id in ids {
            self.deliverer.reset(*id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_graph_ids() {
        let a = AccountId::generate();
        assert_eq!(app_id(a), app_id(a));
        assert_eq!(app_id(a).len(), 15);
        assert!(app_id(a).bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(app_id(a), derived_id("business", &a.to_string()));
    }

    #[test]
    fn pictures_live_on() {
        assert!(forever() > wagate_core::Timestamp::now());
        let ms = forever().as_millisecond();
        assert_eq!(Timestamp::from_millisecond(ms).unwrap(), forever());
    }

    #[test]
    fn picture_urls() {
        let id = MediaId::parse("123").unwrap();
        assert_eq!(
            picture_url("http://h:1/", &id),
            "http://h:1/media/123/profile"
        );
    }
}
