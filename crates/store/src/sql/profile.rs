//! Business profiles, commerce settings and WABAs' subscribed apps: their statements, and
//! [`ProfileStore`] for every [`Backend`] (see [`crate::profile`]). Each write runs in one
//! transaction; on PostgreSQL, whose writers run concurrently, the channel row is locked
//! (`FOR UPDATE`) for the read-modify-write of a profile or commerce update.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, ChannelPatch};
use wagate_core::ids::{AccountId, ChannelId, MediaId, SubscriptionId, WabaId};
use wagate_core::profile::CommerceUpdate;

use super::{Backend, Conn, Dialect, channels, media, query, webhooks};
use crate::media::MediaRecord;
use crate::profile::{
    PictureWrite, ProfileRecord, ProfileSettings, ProfileWrite, WabaSubscription,
    WabaSubscriptionRecord,
};
use crate::{
    Entity, Media, ProfileStore, Result, StoreError, media_columns, profile_columns,
    waba_subscription_columns,
};

#[async_trait]
impl<B: Backend> ProfileStore for B {
    async fn business_profile(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<ProfileSettings> {
        self.read(move |c| Box::pin(row(c, account, channel))).await
    }

    async fn update_business_profile(
        &self,
        write: ProfileWrite,
    ) -> Result<(Channel, ProfileSettings)> {
        self.write(move |c| Box::pin(update(c, write))).await
    }

    async fn update_commerce_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
        update: CommerceUpdate,
        at: Timestamp,
    ) -> Result<ProfileSettings> {
        self.write(move |c| Box::pin(update_commerce(c, account, channel, update, at)))
            .await
    }

    async fn find_profile_picture(&self, id: &MediaId) -> Result<Media> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { find_picture(c, &id).await }))
            .await
    }

    async fn get_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<WabaSubscription>> {
        let waba = waba.clone();
        self.read(move |c| Box::pin(async move { get_waba(c, account, &waba).await }))
            .await
    }

    async fn put_waba_subscription(
        &self,
        sub: WabaSubscription,
        remove: Vec<SubscriptionId>,
    ) -> Result<WabaSubscription> {
        self.write(move |c| {
            Box::pin(async move {
                drop_subscriptions(c, sub.account_id, &remove).await?;
                put_waba(c, sub).await
            })
        })
        .await
    }

    async fn delete_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<WabaSubscription>> {
        let waba = waba.clone();
        self.write(move |c| {
            Box::pin(async move {
                let Some(sub) = get_waba(c, account, &waba).await? else {
                    return Ok(None);
                };
                drop_subscriptions(c, account, &sub.override_subscriptions).await?;
                delete_waba(c, account, &waba).await?;
                Ok(Some(sub))
            })
        })
        .await
    }
}

/// On PostgreSQL, locks the channel row for the rest of the transaction, so two updates of
/// different settings both count; `NotFound(Channel)` when the channel is not the
/// account's. (SQLite's one writer runs the read-modify-write alone.)
async fn lock_channel<C: Conn>(c: &mut C, account: AccountId, channel: ChannelId) -> Result<()> {
    if c.dialect() != Dialect::Postgres {
        return Ok(());
    }
    c.scalar::<bool>(
        query("SELECT TRUE FROM channels WHERE account_id = $1 AND id = $2 FOR UPDATE")
            .bind(account.as_uuid())
            .bind(channel.as_uuid()),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound(Entity::Channel))
}

/// The stored settings, or the defaults when none are stored; `NotFound(Channel)` when the
/// channel is not the account's.
pub async fn row<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
) -> Result<ProfileSettings> {
    let r = c
        .fetch_optional::<ProfileRecord>(
            query(concat!(
                "SELECT ",
                profile_columns!(),
                " FROM business_profiles WHERE channel_id = $1 AND account_id = $2"
            ))
            .bind(channel.as_uuid())
            .bind(account.as_uuid()),
        )
        .await?;
    match r {
        Some(r) => r.try_into(),
        None => {
            channels::require_channel(c, account, channel).await?;
            Ok(ProfileSettings::defaults(account, channel))
        }
    }
}

async fn upsert<C: Conn>(c: &mut C, s: &ProfileSettings, at: Timestamp) -> Result<()> {
    let r = ProfileRecord::new(s, at);
    c.execute(
        query(concat!(
            "INSERT INTO business_profiles (",
            profile_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel_id) DO UPDATE SET \
             picture_media_id = excluded.picture_media_id, \
             is_cart_enabled = excluded.is_cart_enabled, \
             is_catalog_visible = excluded.is_catalog_visible, updated_at = excluded.updated_at"
        ))
        .bind(r.channel_id)
        .bind(r.account_id)
        .bind(r.picture_media_id)
        .bind(r.is_cart_enabled)
        .bind(r.is_catalog_visible)
        .bind(r.updated_at),
    )
    .await?;
    Ok(())
}

/// Deletes a former picture's media id (already gone: nothing to do).
async fn retire<C: Conn>(c: &mut C, account: AccountId, id: &MediaId, at: Timestamp) -> Result<()> {
    match media::delete_media(c, account, id, at).await {
        Ok(()) | Err(StoreError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn update<C: Conn>(c: &mut C, w: ProfileWrite) -> Result<(Channel, ProfileSettings)> {
    lock_channel(c, w.account_id, w.channel_id).await?;
    let mut channel = channels::get_channel(c, w.account_id, w.channel_id).await?;
    let mut settings = row(c, w.account_id, w.channel_id).await?;
    let patch = ChannelPatch {
        profile: w.patch,
        ..ChannelPatch::default()
    };
    channel.apply(&patch, w.at);
    match w.picture {
        PictureWrite::Keep => {}
        PictureWrite::Clear => {
            if let Some(old) = settings.picture.take() {
                retire(c, w.account_id, &old, w.at).await?;
            }
            channel.profile.profile_picture_url = None;
        }
        PictureWrite::Set { media: m, url } => {
            if let Some(old) = settings.picture.replace(m.id.clone()) {
                retire(c, w.account_id, &old, w.at).await?;
            }
            media::create_media(c, *m).await?;
            channel.profile.profile_picture_url = Some(url);
        }
    }
    channels::update_channel(c, &channel).await?;
    upsert(c, &settings, w.at).await?;
    Ok((channel, settings))
}

pub async fn update_commerce<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
    update: CommerceUpdate,
    at: Timestamp,
) -> Result<ProfileSettings> {
    lock_channel(c, account, channel).await?;
    let mut settings = row(c, account, channel).await?;
    settings.commerce.apply(&update);
    upsert(c, &settings, at).await?;
    Ok(settings)
}

pub async fn find_picture<C: Conn>(c: &mut C, id: &MediaId) -> Result<Media> {
    c.fetch_optional::<MediaRecord>(
        query(concat!(
            "SELECT ",
            media_columns!(),
            " FROM media WHERE id = $1 AND deleted_at IS NULL AND EXISTS (\
             SELECT 1 FROM business_profiles p \
             WHERE p.picture_media_id = media.id AND p.account_id = media.account_id)"
        ))
        .bind(id.as_str()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Media))?
    .try_into()
}

pub async fn get_waba<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
) -> Result<Option<WabaSubscription>> {
    c.fetch_optional::<WabaSubscriptionRecord>(
        query(concat!(
            "SELECT ",
            waba_subscription_columns!(),
            " FROM waba_subscribed_apps WHERE account_id = $1 AND waba_id = $2"
        ))
        .bind(account.as_uuid())
        .bind(waba.as_str()),
    )
    .await?
    .map(WabaSubscription::try_from)
    .transpose()
}

/// Deletes webhook subscriptions that carried an alternate callback (gone already: skipped).
async fn drop_subscriptions<C: Conn>(
    c: &mut C,
    account: AccountId,
    ids: &[SubscriptionId],
) -> Result<()> {
    for id in ids {
        match webhooks::delete_subscription(c, account, *id).await {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Stores the subscription (the caller dropped the webhook subscriptions it replaces).
pub async fn put_waba<C: Conn>(c: &mut C, sub: WabaSubscription) -> Result<WabaSubscription> {
    let r = WabaSubscriptionRecord::from(&sub);
    c.execute(
        query(concat!(
            "INSERT INTO waba_subscribed_apps (",
            waba_subscription_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, waba_id) DO UPDATE SET \
             override_callback_uri = excluded.override_callback_uri, \
             override_subscription_ids = excluded.override_subscription_ids, \
             updated_at = excluded.updated_at"
        ))
        .bind(r.account_id)
        .bind(r.waba_id)
        .bind(r.override_callback_uri)
        .bind(r.override_subscription_ids)
        .bind(r.subscribed_at)
        .bind(r.updated_at),
    )
    .await?;
    get_waba(c, sub.account_id, &sub.waba_id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Channel))
}

/// Deletes the subscription row (the caller dropped its webhook subscriptions).
pub async fn delete_waba<C: Conn>(c: &mut C, account: AccountId, waba: &WabaId) -> Result<()> {
    c.execute(
        query("DELETE FROM waba_subscribed_apps WHERE account_id = $1 AND waba_id = $2")
            .bind(account.as_uuid())
            .bind(waba.as_str()),
    )
    .await?;
    Ok(())
}
