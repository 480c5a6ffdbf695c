//! [`ChannelStore`] on PostgreSQL: channels (SQL in `queries`), registration,
//! phone settings and the number changes webhooks report (`phone_events`).

use async_trait::async_trait;
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_core::webhook::WebhookEvent;
use wagate_store::{ChannelStore, Page, Result, records};

use crate::{
    PgStore, commit, phone_events, phone_settings, queries, registration, require_account, upstream,
};

#[async_trait]
impl ChannelStore for PgStore {
    async fn create_channel(&self, new: NewChannel) -> Result<Channel> {
        let mut tx = self.begin().await?;
        require_account(&mut tx, new.account_id).await?;
        let channel = queries::insert_channel(&mut tx, new, records::now()).await?;
        commit(tx, channel).await
    }

    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel> {
        queries::get_channel(&mut *self.read().await?, account, id, false).await
    }

    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel> {
        queries::find_channel_by_pnid(&mut *self.read().await?, pnid).await
    }

    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>> {
        queries::list_channels(&mut *self.read().await?, account, page).await
    }

    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel> {
        let mut tx = self.begin().await?;
        let mut channel = queries::get_channel(&mut tx, account, id, true).await?;
        channel.apply(patch, records::now());
        queries::update_channel(&mut tx, &channel).await?;
        commit(tx, channel).await
    }

    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<wagate_core::registration::Registration>> {
        registration::get(&mut *self.read().await?, account, channel).await
    }

    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<wagate_core::registration::Registration>> {
        registration::list(&mut *self.read().await?, account, channels).await
    }

    async fn save_registration(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let saved = registration::save(&mut tx, next, seen).await?;
        commit(tx, saved).await
    }

    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        phone_settings::get(&mut *self.read().await?, account, channel).await
    }

    async fn update_phone_settings(
        &self,
        write: wagate_store::phone_settings::PhoneSettingsWrite,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        let mut tx = self.begin().await?;
        let stored = phone_settings::update(&mut tx, write).await?;
        commit(tx, stored).await
    }

    async fn cloud_channels(&self) -> Result<Vec<Channel>> {
        upstream::cloud_channels(&mut *self.read().await?).await
    }

    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let mut tx = self.begin().await?;
        match phone_events::update_channel_if(&mut tx, seen, patch, &events).await? {
            Some(channel) => commit(tx, Some(channel)).await,
            None => Ok(None),
        }
    }

    async fn save_registration_with(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let mut tx = self.begin().await?;
        let saved =
            phone_events::save_registration_with(&mut tx, next, seen, patch.as_ref(), &events)
                .await?;
        match saved {
            Some(channel) => commit(tx, Some(channel)).await,
            None => Ok(None),
        }
    }
}
