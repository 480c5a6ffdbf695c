//! The SQL of the SQLite backend's messages: one function per statement. Write functions run
//! on the writer's connection inside its transaction; read functions on a pooled reader.

use sqlx::SqliteConnection;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::message::Message;
use wagate_store::records::MessageRecord;
use wagate_store::{Entity, MessageKey, Result, StoreError, message_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

/// One message row, as is.
pub async fn insert_message_row(conn: &mut SqliteConnection, r: &MessageRecord) -> Result<()> {
    sqlx::query(concat!(
        "INSERT INTO messages (",
        message_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(r.id)
    .bind(&r.wamid)
    .bind(r.account_id)
    .bind(r.channel_id)
    .bind(&r.direction)
    .bind(&r.wa_id)
    .bind(&r.bsuid)
    .bind(&r.kind)
    .bind(&r.content)
    .bind(&r.status)
    .bind(&r.context_wamid)
    .bind(&r.biz_opaque_callback_data)
    .bind(&r.error)
    .bind(r.created_at)
    .bind(r.sent_at)
    .bind(r.delivered_at)
    .bind(r.read_at)
    .bind(r.failed_at)
    .bind(&r.conversation)
    .bind(&r.pricing)
    .bind(r.handovers)
    .bind(&r.profile_name)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn get_message(
    conn: &mut SqliteConnection,
    account: AccountId,
    key: &MessageKey,
) -> Result<Message> {
    let query = match key {
        MessageKey::Id(id) => sqlx::query_as::<_, MessageRecord>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_id = ? AND id = ?"
        ))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
        MessageKey::Wamid(w) => sqlx::query_as::<_, MessageRecord>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_id = ? AND wamid = ?"
        ))
        .bind(account.as_uuid())
        .bind(w.as_str().to_owned()),
    };
    query
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound(Entity::Message))?
        .try_into()
}

pub async fn outbox_depth(conn: &mut SqliteConnection, channel: ChannelId) -> Result<u64> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE channel_id = ?")
        .bind(channel.as_uuid())
        .fetch_one(&mut *conn)
        .await
        .map(|n| n.max(0) as u64)
        .map_err(db)
}
