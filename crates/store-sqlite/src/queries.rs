//! The SQL of the SQLite backend: one function per statement. Write functions run on the
//! writer's connection inside its transaction; read functions on a pooled reader.

use sqlx::SqliteConnection;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_core::message::Message;
use wagate_store::records::{ChannelRecord, MessageRecord};
use wagate_store::{
    Entity, MessageKey, Page, Result, StoreError, channel_columns, message_columns,
};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn account_exists(conn: &mut SqliteConnection, id: AccountId) -> Result<Option<()>> {
    sqlx::query_scalar::<_, i64>("SELECT 1 FROM accounts WHERE id = ?")
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map(|r| r.map(|_| ()))
        .map_err(db)
}

pub async fn insert_channel(
    conn: &mut SqliteConnection,
    new: NewChannel,
    now: Timestamp,
) -> Result<Channel> {
    let taken = sqlx::query_scalar::<_, i64>("SELECT 1 FROM channels WHERE phone_number_id = ?")
        .bind(new.phone_number_id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if taken.is_some() {
        return Err(StoreError::conflict(
            wagate_store::Conflict::PhoneNumberId,
            format!(
                "phone_number_id {} is already used by another channel",
                new.phone_number_id
            ),
        ));
    }
    let channel = new.into_channel(now);
    let r = ChannelRecord::from(&channel);
    let conflict = |e: sqlx::Error| match e.as_database_error() {
        // A concurrent insert of the same number won the race after our check.
        Some(d) if d.is_unique_violation() => StoreError::conflict(
            wagate_store::Conflict::PhoneNumberId,
            format!(
                "phone_number_id {} is already used by another channel",
                channel.phone_number_id
            ),
        ),
        _ => db(e),
    };
    sqlx::query(concat!(
        "INSERT INTO channels (",
        channel_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
    .bind(r.window_policy)
    .execute(&mut *conn)
    .await
    .map_err(conflict)?;
    Ok(channel)
}

pub async fn update_channel(conn: &mut SqliteConnection, channel: &Channel) -> Result<()> {
    let r = ChannelRecord::from(channel);
    sqlx::query(
        "UPDATE channels SET display_phone_number = ?, verified_name = ?, upstream_kind = ?, \
         upstream = ?, throughput_mps = ?, quality_rating = ?, messaging_limit_tier = ?, \
         profile = ?, updated_at = ?, window_policy = ? WHERE account_id = ? AND id = ?",
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
    .bind(r.id)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn get_channel(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: ChannelId,
) -> Result<Channel> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = ? AND id = ?"
    ))
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound(Entity::Channel))?
    .try_into()
}

pub async fn find_channel_by_pnid(
    conn: &mut SqliteConnection,
    pnid: &PhoneNumberId,
) -> Result<Channel> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE phone_number_id = ?"
    ))
    .bind(pnid.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound(Entity::Channel))?
    .try_into()
}

pub async fn list_channels(
    conn: &mut SqliteConnection,
    account: AccountId,
    page: &Page<ChannelId>,
) -> Result<Vec<Channel>> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = ?1 AND (?2 IS NULL OR id > ?2) ORDER BY id LIMIT ?3"
    ))
    .bind(account.as_uuid())
    .bind(page.after.map(|a| a.as_uuid()))
    .bind(page.sql_limit())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Channel::try_from)
    .collect()
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
