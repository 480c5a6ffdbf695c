//! The Cloud upstream's ids (see the `Store` trait's "Cloud upstream" methods): Meta's id of
//! each message handed over, lookups both ways, and the reports Meta sends stored as network
//! events. (The Cloud channels themselves are `super::cloud_channels`.)

use sqlx::types::Json;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Message, Wamid};
use wagate_core::network::NetworkEvent;

use crate::records::{MessageRecord, millis};
use crate::sql::{Conn, query};
use crate::{Result, message_columns};

/// Records Meta's id of each message it took (inside the `sent` transaction).
pub async fn record_upstream_ids<C: Conn>(c: &mut C, ids: &[(MessageId, String)]) -> Result<()> {
    for (message, upstream_id) in ids {
        c.execute(
            query("UPDATE messages SET upstream_id = $1 WHERE id = $2")
                .bind(upstream_id)
                .bind(message.as_uuid()),
        )
        .await?;
    }
    Ok(())
}

/// The message of `channel` Meta knows as `upstream_id`: an outbound message by the id Meta
/// gave it, else an inbound one by its wamid.
pub async fn find_message<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    upstream_id: &str,
) -> Result<Option<Message>> {
    let by_upstream = c
        .fetch_optional::<MessageRecord>(
            query(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE channel_id = $1 AND upstream_id = $2"
            ))
            .bind(channel.as_uuid())
            .bind(upstream_id),
        )
        .await?;
    let record = match by_upstream {
        Some(r) => Some(r),
        None => {
            c.fetch_optional::<MessageRecord>(
                query(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages WHERE channel_id = $1 AND wamid = $2 AND direction = 'inbound'"
                ))
                .bind(channel.as_uuid())
                .bind(upstream_id),
            )
            .await?
        }
    };
    record.map(Message::try_from).transpose()
}

/// The id Meta knows the message `wamid` of `channel` by.
pub async fn upstream_id_of<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    wamid: &Wamid,
) -> Result<Option<String>> {
    let row = c
        .fetch_optional::<(Option<String>, String)>(
            query(
                "SELECT upstream_id, direction FROM messages WHERE channel_id = $1 AND wamid = $2",
            )
            .bind(channel.as_uuid())
            .bind(wamid.as_str()),
        )
        .await?;
    Ok(
        row.and_then(|(upstream_id, direction)| match direction.as_str() {
            "inbound" => Some(wamid.as_str().to_owned()),
            _ => upstream_id,
        }),
    )
}

pub async fn record_network_events<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    events: Vec<NetworkEvent>,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = query("INSERT INTO network_events (channel_id, due_at, event) VALUES ");
    for (i, event) in events.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" })
            .push_bind(channel.as_uuid())
            .push(", ")
            .push_bind(millis(event.at()))
            .push(", ")
            .push_bind(Json(event))
            .push(")");
    }
    c.execute(q).await?;
    Ok(())
}
