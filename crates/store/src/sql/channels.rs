//! Channels: their statements.

use wagate_core::Timestamp;
use wagate_core::channel::{Channel, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};

use super::{Conn, is_unique_violation, query};
use crate::records::ChannelRecord;
use crate::{Conflict, Entity, Page, Result, StoreError, channel_columns};

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
