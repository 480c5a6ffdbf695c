//! The SQL of the SQLite backend: one function per statement. Write functions run on the
//! writer's connection inside its transaction; read functions on a pooled reader.

use sqlx::SqliteConnection;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_store::records::ChannelRecord;
use wagate_store::{Entity, Page, Result, StoreError, channel_columns};

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
