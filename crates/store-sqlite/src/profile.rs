//! Business profiles, commerce settings and WABAs' subscribed apps on SQLite (see
//! `wagate_store::profile`). Every write here runs inside one writer job, so it is one
//! transaction.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, ChannelPatch};
use wagate_core::ids::{AccountId, ChannelId, MediaId, SubscriptionId, WabaId};
use wagate_core::profile::CommerceUpdate;
use wagate_store::media::MediaRecord;
use wagate_store::profile::{
    PictureWrite, ProfileRecord, ProfileSettings, ProfileWrite, WabaSubscription,
    WabaSubscriptionRecord,
};
use wagate_store::{
    Entity, Media, ProfileStore, Result, StoreError, media_columns, profile_columns,
    waba_subscription_columns,
};

use crate::{SqliteStore, media, webhooks};
use wagate_store::sql::channels;

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

/// The stored row, if any; `NotFound(Channel)` when the channel is not the account's.
async fn row(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
) -> Result<ProfileSettings> {
    let r: Option<ProfileRecord> = sqlx::query_as(concat!(
        "SELECT ",
        profile_columns!(),
        " FROM business_profiles WHERE channel_id = ?1 AND account_id = ?2"
    ))
    .bind(channel.as_uuid())
    .bind(account.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match r {
        Some(r) => r.try_into(),
        None => {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM channels WHERE id = ?1 AND account_id = ?2")
                    .bind(channel.as_uuid())
                    .bind(account.as_uuid())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db)?;
            known
                .map(|_| ProfileSettings::defaults(account, channel))
                .ok_or(StoreError::NotFound(Entity::Channel))
        }
    }
}

async fn upsert(conn: &mut SqliteConnection, s: &ProfileSettings, at: Timestamp) -> Result<()> {
    let r = ProfileRecord::new(s, at);
    sqlx::query(concat!(
        "INSERT INTO business_profiles (",
        profile_columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (channel_id) DO UPDATE SET \
         picture_media_id = excluded.picture_media_id, \
         is_cart_enabled = excluded.is_cart_enabled, \
         is_catalog_visible = excluded.is_catalog_visible, updated_at = excluded.updated_at"
    ))
    .bind(r.channel_id)
    .bind(r.account_id)
    .bind(r.picture_media_id)
    .bind(r.is_cart_enabled)
    .bind(r.is_catalog_visible)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Deletes a former picture's media id (already gone: nothing to do).
async fn retire(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &MediaId,
    at: Timestamp,
) -> Result<()> {
    match media::delete_media(conn, account, id, at).await {
        Ok(()) | Err(StoreError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn get(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
) -> Result<ProfileSettings> {
    row(conn, account, channel).await
}

pub async fn update(
    conn: &mut SqliteConnection,
    w: ProfileWrite,
) -> Result<(Channel, ProfileSettings)> {
    let mut channel = channels::get_channel(conn, w.account_id, w.channel_id).await?;
    let mut settings = row(conn, w.account_id, w.channel_id).await?;
    let patch = ChannelPatch {
        profile: w.patch,
        ..ChannelPatch::default()
    };
    channel.apply(&patch, w.at);
    match w.picture {
        PictureWrite::Keep => {}
        PictureWrite::Clear => {
            if let Some(old) = settings.picture.take() {
                retire(conn, w.account_id, &old, w.at).await?;
            }
            channel.profile.profile_picture_url = None;
        }
        PictureWrite::Set { media: m, url } => {
            if let Some(old) = settings.picture.replace(m.id.clone()) {
                retire(conn, w.account_id, &old, w.at).await?;
            }
            media::create_media(conn, *m).await?;
            channel.profile.profile_picture_url = Some(url);
        }
    }
    channels::update_channel(conn, &channel).await?;
    upsert(conn, &settings, w.at).await?;
    Ok((channel, settings))
}

pub async fn update_commerce(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
    update: CommerceUpdate,
    at: Timestamp,
) -> Result<ProfileSettings> {
    let mut settings = row(conn, account, channel).await?;
    settings.commerce.apply(&update);
    upsert(conn, &settings, at).await?;
    Ok(settings)
}

pub async fn find_picture(conn: &mut SqliteConnection, id: &MediaId) -> Result<Media> {
    let r: Option<MediaRecord> = sqlx::query_as(concat!(
        "SELECT ",
        media_columns!(),
        " FROM media WHERE id = ?1 AND deleted_at IS NULL AND EXISTS (\
         SELECT 1 FROM business_profiles p \
         WHERE p.picture_media_id = media.id AND p.account_id = media.account_id)"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    r.ok_or(StoreError::NotFound(Entity::Media))?.try_into()
}

pub async fn get_waba(
    conn: &mut SqliteConnection,
    account: AccountId,
    waba: &WabaId,
) -> Result<Option<WabaSubscription>> {
    let r: Option<WabaSubscriptionRecord> = sqlx::query_as(concat!(
        "SELECT ",
        waba_subscription_columns!(),
        " FROM waba_subscribed_apps WHERE account_id = ?1 AND waba_id = ?2"
    ))
    .bind(account.as_uuid())
    .bind(waba.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    r.map(WabaSubscription::try_from).transpose()
}

/// Deletes webhook subscriptions that carried an alternate callback (gone already: skipped).
async fn drop_subscriptions(
    conn: &mut SqliteConnection,
    account: AccountId,
    ids: &[SubscriptionId],
) -> Result<()> {
    for id in ids {
        match webhooks::delete_subscription(conn, account, *id).await {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub async fn put_waba(
    conn: &mut SqliteConnection,
    sub: WabaSubscription,
    remove: Vec<SubscriptionId>,
) -> Result<WabaSubscription> {
    drop_subscriptions(conn, sub.account_id, &remove).await?;
    let r = WabaSubscriptionRecord::from(&sub);
    sqlx::query(concat!(
        "INSERT INTO waba_subscribed_apps (",
        waba_subscription_columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account_id, waba_id) DO UPDATE SET \
         override_callback_uri = excluded.override_callback_uri, \
         override_subscription_ids = excluded.override_subscription_ids, \
         updated_at = excluded.updated_at"
    ))
    .bind(r.account_id)
    .bind(&r.waba_id)
    .bind(&r.override_callback_uri)
    .bind(&r.override_subscription_ids)
    .bind(r.subscribed_at)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    get_waba(conn, sub.account_id, &sub.waba_id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Channel))
}

pub async fn delete_waba(
    conn: &mut SqliteConnection,
    account: AccountId,
    waba: &WabaId,
) -> Result<Option<WabaSubscription>> {
    let Some(sub) = get_waba(conn, account, waba).await? else {
        return Ok(None);
    };
    drop_subscriptions(conn, account, &sub.override_subscriptions).await?;
    sqlx::query("DELETE FROM waba_subscribed_apps WHERE account_id = ?1 AND waba_id = ?2")
        .bind(account.as_uuid())
        .bind(waba.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(Some(sub))
}

#[async_trait]
impl ProfileStore for SqliteStore {
    async fn business_profile(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::profile::ProfileSettings> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        get(&mut conn, account, channel).await
    }

    async fn update_business_profile(
        &self,
        write: wagate_store::profile::ProfileWrite,
    ) -> Result<(Channel, wagate_store::profile::ProfileSettings)> {
        self.writer
            .write(move |conn| Box::pin(async move { update(conn, write).await }))
            .await
    }

    async fn update_commerce_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
        update: wagate_core::profile::CommerceUpdate,
        at: Timestamp,
    ) -> Result<wagate_store::profile::ProfileSettings> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { update_commerce(conn, account, channel, update, at).await })
            })
            .await
    }

    async fn find_profile_picture(&self, id: &MediaId) -> Result<Media> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        find_picture(&mut conn, id).await
    }

    async fn get_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<wagate_store::profile::WabaSubscription>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        get_waba(&mut conn, account, waba).await
    }

    async fn put_waba_subscription(
        &self,
        sub: wagate_store::profile::WabaSubscription,
        remove: Vec<SubscriptionId>,
    ) -> Result<wagate_store::profile::WabaSubscription> {
        self.writer
            .write(move |conn| Box::pin(async move { put_waba(conn, sub, remove).await }))
            .await
    }

    async fn delete_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<wagate_store::profile::WabaSubscription>> {
        let waba = waba.clone();
        self.writer
            .write(move |conn| Box::pin(async move { delete_waba(conn, account, &waba).await }))
            .await
    }
}
