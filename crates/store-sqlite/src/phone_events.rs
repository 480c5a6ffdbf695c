//! Changes of a number that webhooks report, on SQLite (see
//! `ChannelStore::update_channel_if` and `ChannelStore::save_registration_with`). Each runs
//! inside one writer job, so its read, its checks, its writes and its events are one
//! transaction.

use sqlx::SqliteConnection;
use wagate_core::channel::{Channel, ChannelPatch};
use wagate_core::registration::Registration;
use wagate_core::webhook::WebhookEvent;
use wagate_store::{Result, records};

use crate::{queries, registration, webhooks};

pub async fn update_channel_if(
    conn: &mut SqliteConnection,
    seen: &Channel,
    patch: &ChannelPatch,
    events: &[WebhookEvent],
) -> Result<Option<Channel>> {
    let mut channel = queries::get_channel(conn, seen.account_id, seen.id).await?;
    if channel != *seen {
        return Ok(None);
    }
    channel.apply(patch, records::now());
    queries::update_channel(conn, &channel).await?;
    webhooks::emit(conn, events).await?;
    Ok(Some(channel))
}

pub async fn save_registration_with(
    conn: &mut SqliteConnection,
    next: Registration,
    seen: Option<u64>,
    patch: Option<&ChannelPatch>,
    events: &[WebhookEvent],
) -> Result<Option<Channel>> {
    let (account, id) = (next.account_id, next.channel_id);
    if !registration::save(conn, next, seen).await? {
        return Ok(None);
    }
    let mut channel = queries::get_channel(conn, account, id).await?;
    if let Some(patch) = patch {
        channel.apply(patch, records::now());
        queries::update_channel(conn, &channel).await?;
    }
    webhooks::emit(conn, events).await?;
    Ok(Some(channel))
}
