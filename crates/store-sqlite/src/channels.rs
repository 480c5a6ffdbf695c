//! [`ChannelStore`] on SQLite: channels (SQL in `queries`), registration,
//! phone settings and the number changes webhooks report (`phone_events`).

use async_trait::async_trait;
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_core::webhook::WebhookEvent;
use wagate_store::{ChannelStore, Entity, Page, Result, StoreError, records};

use crate::{
    SqliteStore, not_found, phone_events, phone_settings, queries, registration, upstream,
};

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn create_channel(&self, new: NewChannel) -> Result<Channel> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    queries::account_exists(conn, new.account_id)
                        .await
                        .and_then(not_found(Entity::Account))?;
                    queries::insert_channel(conn, new, records::now()).await
                })
            })
            .await
    }

    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::get_channel(&mut conn, account, id).await
    }

    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::find_channel_by_pnid(&mut conn, pnid).await
    }

    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::list_channels(&mut conn, account, page).await
    }

    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel> {
        let patch = patch.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let mut channel = queries::get_channel(conn, account, id).await?;
                    channel.apply(&patch, records::now());
                    queries::update_channel(conn, &channel).await?;
                    Ok(channel)
                })
            })
            .await
    }

    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<wagate_core::registration::Registration>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        registration::get(&mut conn, account, channel).await
    }

    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<wagate_core::registration::Registration>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        registration::list(&mut conn, account, channels).await
    }

    async fn save_registration(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
    ) -> Result<bool> {
        self.writer
            .write(move |conn| Box::pin(async move { registration::save(conn, next, seen).await }))
            .await
    }

    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        phone_settings::get(&mut conn, account, channel).await
    }

    async fn update_phone_settings(
        &self,
        write: wagate_store::phone_settings::PhoneSettingsWrite,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        self.writer
            .write(move |conn| Box::pin(async move { phone_settings::update(conn, write).await }))
            .await
    }

    async fn cloud_channels(&self) -> Result<Vec<Channel>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        upstream::cloud_channels(&mut conn).await
    }

    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let (seen, patch) = (seen.clone(), patch.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    phone_events::update_channel_if(conn, &seen, &patch, &events).await
                })
            })
            .await
    }

    async fn save_registration_with(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    phone_events::save_registration_with(conn, next, seen, patch.as_ref(), &events)
                        .await
                })
            })
            .await
    }
}
