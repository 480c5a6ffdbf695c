//! Changes of a number that webhooks report, on PostgreSQL (see
//! `ChannelStore::update_channel_if` and `ChannelStore::save_registration_with`). Each runs in
//! the caller's transaction and locks the channel row first, so concurrent changes of one
//! number apply one after the other.

use sqlx::PgConnection;
use wagate_core::channel::{Channel, ChannelPatch};
use wagate_core::registration::Registration;
use wagate_core::webhook::WebhookEvent;
use wagate_store::{Result, records};

use crate::{queries, registration, webhooks};

pub async fn update_channel_if(
    conn: &mut PgConnection,
    seen: &Channel,
    patch: &ChannelPatch,
    events: &[WebhookEvent],
) -> Result<Option<Channel>> {
    let mut channel = queries::get_channel(conn, seen.account_id, seen.id, true).await?;
    if channel != *seen {
        return Ok(None);
    }
    channel.apply(patch, records::now());
    queries::update_channel(conn, &channel).await?;
    webhooks::emit(conn, events).await?;
    Ok(Some(channel))
}

pub async fn save_registration_with(
    conn: &mut PgConnection,
    next: Registration,
    seen: Option<u64>,
    patch: Option<&ChannelPatch>,
    events: &[WebhookEvent],
) -> Result<Option<Channel>> {
    // The channel first (as every write of a channel locks it), then the registration.
    let mut channel = queries::get_channel(conn, next.account_id, next.channel_id, true).await?;
    if !registration::save(conn, next, seen).await? {
        return Ok(None);
    }
    if let Some(patch) = patch {
        channel.apply(patch, records::now());
        queries::update_channel(conn, &channel).await?;
    }
    webhooks::emit(conn, events).await?;
    Ok(Some(channel))
}
