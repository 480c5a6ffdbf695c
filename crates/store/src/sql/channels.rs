//! Channels and the per-number state: their statements, and [`ChannelStore`] for every
//! [`Backend`].
//! - `registration`: phone number registration (see [`crate::registration`]).
//! - `phone_settings`: phone number settings and conversational automation (see
//!   [`crate::phone_settings`]).
//!
//! Every read-modify-write of a channel reads it with [`get_channel_for_update`] first, which
//! on PostgreSQL locks the row, so concurrent changes of one number apply one after the other
//! (SQLite's one writer does that already).

pub mod phone_settings;
pub mod registration;

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_core::registration::Registration;
use wagate_core::webhook::WebhookEvent;

use super::{Backend, Conn, accounts, is_unique_violation, query, webhooks};
use crate::records::ChannelRecord;
use crate::{
    ChannelStore, Conflict, Entity, Page, Result, StoreError, channel_columns,
    phone_settings as settings,
};

#[async_trait]
impl<B: Backend> ChannelStore for B {
    async fn create_channel(&self, new: NewChannel) -> Result<Channel> {
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                accounts::require_account(c, new.account_id).await?;
                insert_channel(c, new, now).await
            })
        })
        .await
    }

    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel> {
        self.read(move |c| Box::pin(get_channel(c, account, id)))
            .await
    }

    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel> {
        let pnid = pnid.clone();
        self.read(move |c| Box::pin(async move { find_channel_by_pnid(c, &pnid).await }))
            .await
    }

    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>> {
        let page = page.clone();
        self.read(move |c| Box::pin(async move { list_channels(c, account, &page).await }))
            .await
    }

    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel> {
        let now = self.now();
        let patch = patch.clone();
        self.write(move |c| {
            Box::pin(async move {
                let mut channel = get_channel_for_update(c, account, id).await?;
                channel.apply(&patch, now);
                update_channel(c, &channel).await?;
                Ok(channel)
            })
        })
        .await
    }

    async fn cloud_channels(&self) -> Result<Vec<Channel>> {
        self.read(move |c| Box::pin(cloud_channels(c))).await
    }

    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<Registration>> {
        self.read(move |c| Box::pin(registration::get(c, account, channel)))
            .await
    }

    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<Registration>> {
        let channels = channels.to_vec();
        self.read(move |c| Box::pin(async move { registration::list(c, account, &channels).await }))
            .await
    }

    async fn save_registration(&self, next: Registration, seen: Option<u64>) -> Result<bool> {
        self.write(move |c| Box::pin(registration::save(c, next, seen)))
            .await
    }

    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<settings::PhoneSettings> {
        self.read(move |c| Box::pin(phone_settings::get(c, account, channel)))
            .await
    }

    async fn update_phone_settings(
        &self,
        write: settings::PhoneSettingsWrite,
    ) -> Result<settings::PhoneSettings> {
        self.write(move |c| Box::pin(phone_settings::update(c, write)))
            .await
    }

    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let stamp = self.now();
        let now = self.now();
        let (seen, patch) = (seen.clone(), patch.clone());
        self.write(move |c| {
            Box::pin(async move {
                let mut channel = get_channel_for_update(c, seen.account_id, seen.id).await?;
                if channel != seen {
                    return Ok(None);
                }
                channel.apply(&patch, now);
                update_channel(c, &channel).await?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(Some(channel))
            })
        })
        .await
    }

    async fn save_registration_with(
        &self,
        next: Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let stamp = self.now();
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                // The channel first (as every write of a channel reads it), then the
                // registration.
                let mut channel =
                    get_channel_for_update(c, next.account_id, next.channel_id).await?;
                if !registration::save(c, next, seen).await? {
                    return Ok(None);
                }
                if let Some(patch) = patch {
                    channel.apply(&patch, now);
                    update_channel(c, &channel).await?;
                }
                webhooks::emit(c, &events, stamp).await?;
                Ok(Some(channel))
            })
        })
        .await
    }
}

fn pnid_taken(pnid: &PhoneNumberId) -> StoreError {
    StoreError::conflict(
        Conflict::PhoneNumberId,
        format!("phone_number_id {pnid} is already used by another channel"),
    )
}

pub async fn insert_channel<C: Conn>(
    c: &mut C,
    new: NewChannel,
    now: Timestamp,
) -> Result<Channel> {
    let taken = c
        .scalar::<bool>(
            query("SELECT TRUE FROM channels WHERE phone_number_id = $1")
                .bind(new.phone_number_id.as_str()),
        )
        .await?;
    if taken.is_some() {
        return Err(pnid_taken(&new.phone_number_id));
    }
    let channel = new.into_channel(now);
    let r = ChannelRecord::from(&channel);
    c.execute(
        query(concat!(
            "INSERT INTO channels (",
            channel_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.phone_number_id)
        .bind(r.display_phone_number)
        .bind(r.waba_id)
        .bind(r.verified_name)
        .bind(r.upstream_kind)
        .bind(r.upstream)
        .bind(r.throughput_mps)
        .bind(r.quality_rating)
        .bind(r.messaging_limit_tier)
        .bind(r.profile)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(r.window_policy),
    )
    .await
    .map_err(|e| {
        // A concurrent insert of the same number won the race after our check.
        if is_unique_violation(&e) {
            pnid_taken(&channel.phone_number_id)
        } else {
            e
        }
    })?;
    Ok(channel)
}

pub async fn update_channel<C: Conn>(c: &mut C, channel: &Channel) -> Result<()> {
    let r = ChannelRecord::from(channel);
    c.execute(
        query(
            "UPDATE channels SET display_phone_number = $1, verified_name = $2, \
             upstream_kind = $3, upstream = $4, throughput_mps = $5, quality_rating = $6, \
             messaging_limit_tier = $7, profile = $8, updated_at = $9, window_policy = $10 \
             WHERE account_id = $11 AND id = $12",
        )
        .bind(r.display_phone_number)
        .bind(r.verified_name)
        .bind(r.upstream_kind)
        .bind(r.upstream)
        .bind(r.throughput_mps)
        .bind(r.quality_rating)
        .bind(r.messaging_limit_tier)
        .bind(r.profile)
        .bind(r.updated_at)
        .bind(r.window_policy)
        .bind(r.account_id)
        .bind(r.id),
    )
    .await?;
    Ok(())
}

/// `NotFound(Channel)` unless the channel exists and belongs to `account`.
pub async fn require_channel<C: Conn>(c: &mut C, account: AccountId, id: ChannelId) -> Result<()> {
    c.scalar::<bool>(
        query("SELECT TRUE FROM channels WHERE account_id = $1 AND id = $2")
            .bind(account.as_uuid())
            .bind(id.as_uuid()),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound(Entity::Channel))
}

pub async fn get_channel<C: Conn>(c: &mut C, account: AccountId, id: ChannelId) -> Result<Channel> {
    c.fetch_optional::<ChannelRecord>(
        query(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE account_id = $1 AND id = $2"
        ))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Channel))?
    .try_into()
}

/// [`get_channel`] for a read-modify-write: on PostgreSQL the row stays locked until the
/// transaction ends.
pub async fn get_channel_for_update<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: ChannelId,
) -> Result<Channel> {
    let mut q = query(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = $1 AND id = $2"
    ));
    q.push(c.dialect().for_update());
    c.fetch_optional::<ChannelRecord>(q.bind(account.as_uuid()).bind(id.as_uuid()))
        .await?
        .ok_or(StoreError::NotFound(Entity::Channel))?
        .try_into()
}

pub async fn find_channel_by_pnid<C: Conn>(c: &mut C, pnid: &PhoneNumberId) -> Result<Channel> {
    c.fetch_optional::<ChannelRecord>(
        query(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE phone_number_id = $1"
        ))
        .bind(pnid.as_str()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Channel))?
    .try_into()
}

pub async fn list_channels<C: Conn>(
    c: &mut C,
    account: AccountId,
    page: &Page<ChannelId>,
) -> Result<Vec<Channel>> {
    c.fetch_all::<ChannelRecord>(
        query(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE account_id = $1 AND ($2 IS NULL OR id > $2) \
             ORDER BY id LIMIT $3"
        ))
        .bind(account.as_uuid())
        .bind(page.after.map(|a| a.as_uuid()))
        .bind(page.sql_limit()),
    )
    .await?
    .into_iter()
    .map(Channel::try_from)
    .collect()
}

/// Every channel whose upstream is Meta's Cloud API, of every account.
pub async fn cloud_channels<C: Conn>(c: &mut C) -> Result<Vec<Channel>> {
    c.fetch_all::<ChannelRecord>(query(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE upstream_kind = 'cloud' ORDER BY id"
    )))
    .await?
    .into_iter()
    .map(Channel::try_from)
    .collect()
}
