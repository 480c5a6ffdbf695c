//! The cloud upstream's ids on SQLite (see the `Store` trait's "Cloud upstream" methods):
//! Meta's id of each message handed over, lookups both ways, the reports Meta sends stored
//! as network events, and the cloud channels.

use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use wagate_core::channel::Channel;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Message, Wamid};
use wagate_core::network::NetworkEvent;
use wagate_store::records::{ChannelRecord, MessageRecord, millis};
use wagate_store::{Result, StoreError, channel_columns, message_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

/// Records Meta's id of each message it took (inside the `sent` transaction).
pub async fn record_upstream_ids(
    conn: &mut SqliteConnection,
    ids: &[(MessageId, String)],
) -> Result<()> {
    for (message, upstream_id) in ids {
        sqlx::query("UPDATE messages SET upstream_id = ? WHERE id = ?")
            .bind(upstream_id)
            .bind(message.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

pub async fn find_message(
    conn: &mut SqliteConnection,
    channel: ChannelId,
    upstream_id: &str,
) -> Result<Option<Message>> {
    let by_upstream = sqlx::query_as::<_, MessageRecord>(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE channel_id = ? AND upstream_id = ?"
    ))
    .bind(channel.as_uuid())
    .bind(upstream_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let record = match by_upstream {
        Some(r) => Some(r),
        None => sqlx::query_as::<_, MessageRecord>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE channel_id = ? AND wamid = ? AND direction = 'inbound'"
        ))
        .bind(channel.as_uuid())
        .bind(upstream_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?,
    };
    record.map(Message::try_from).transpose()
}

pub async fn upstream_id_of(
    conn: &mut SqliteConnection,
    channel: ChannelId,
    wamid: &Wamid,
) -> Result<Option<String>> {
    let row: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT upstream_id, direction FROM messages WHERE channel_id = ? AND wamid = ?",
    )
    .bind(channel.as_uuid())
    .bind(wamid.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    Ok(
        row.and_then(|(upstream_id, direction)| match direction.as_str() {
            "inbound" => Some(wamid.as_str().to_owned()),
            _ => upstream_id,
        }),
    )
}

pub async fn record_network_events(
    conn: &mut SqliteConnection,
    channel: ChannelId,
    events: Vec<NetworkEvent>,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q: QueryBuilder<Sqlite> =
        QueryBuilder::new("INSERT INTO network_events (channel_id, due_at, event) ");
    q.push_values(events, |mut b, event| {
        b.push_bind(channel.as_uuid())
            .push_bind(millis(event.at()))
            .push_bind(Json(event));
    });
    q.build().execute(&mut *conn).await.map_err(db)?;
    Ok(())
}

pub async fn cloud_channels(conn: &mut SqliteConnection) -> Result<Vec<Channel>> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE upstream_kind = 'cloud' ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Channel::try_from)
    .collect()
}
