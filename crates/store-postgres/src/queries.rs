//! The SQL of the PostgreSQL backend's messages: one function per statement. Write functions
//! run inside the caller's transaction; read functions on a pooled connection. Mirrors
//! store-sqlite's `queries`.

use sqlx::PgConnection;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::message::{Message, NewOutboundMessage};
use wagate_store::records::MessageRecord;
use wagate_store::{Entity, MessageKey, Result, StoreError, message_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

/// The message row and its outbox entry, in the caller's transaction.
pub async fn insert_outbound(
    conn: &mut PgConnection,
    new: NewOutboundMessage,
    now: Timestamp,
) -> Result<Message> {
    let owned = sqlx::query_scalar::<_, i64>(
        "SELECT 1::int8 FROM channels WHERE account_id = $1 AND id = $2",
    )
    .bind(new.account_id.as_uuid())
    .bind(new.channel_id.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    if owned.is_none() {
        return Err(StoreError::NotFound(Entity::Channel));
    }
    let r = MessageRecord::accepted(&new, now);
    insert_message_row(conn, &r).await?;
    sqlx::query("INSERT INTO outbox (message_id, channel_id, recipient_key, available_at) VALUES ($1, $2, $3, $4)")
        .bind(r.id)
        .bind(r.channel_id)
        .bind(r.recipient_key())
        .bind(r.created_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Message::try_from(r)
}

/// One message row, as is.
pub async fn insert_message_row(conn: &mut PgConnection, r: &MessageRecord) -> Result<()> {
    sqlx::query(concat!(
        "INSERT INTO messages (",
        message_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22)"
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
    conn: &mut PgConnection,
    account: AccountId,
    key: &MessageKey,
) -> Result<Message> {
    let query = match key {
        MessageKey::Id(id) => sqlx::query_as::<_, MessageRecord>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_id = $1 AND id = $2"
        ))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
        MessageKey::Wamid(w) => sqlx::query_as::<_, MessageRecord>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_id = $1 AND wamid = $2"
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

pub async fn outbox_depth(conn: &mut PgConnection, channel: ChannelId) -> Result<u64> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE channel_id = $1")
        .bind(channel.as_uuid())
        .fetch_one(&mut *conn)
        .await
        .map(|n| n.max(0) as u64)
        .map_err(db)
}
