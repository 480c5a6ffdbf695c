//! The SQL of the PostgreSQL backend: one function per statement. Write functions run inside the caller's
//! transaction; read functions on a pooled connection. Mirrors store-sqlite's `queries`.

use sqlx::PgConnection;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, NewChannel};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_store::records::ChannelRecord;
use wagate_store::{Entity, Page, Result, StoreError, channel_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn account_exists(conn: &mut PgConnection, id: AccountId) -> Result<Option<()>> {
    sqlx::query_scalar::<_, i64>("SELECT 1::int8 FROM accounts WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map(|r| r.map(|_| ()))
        .map_err(db)
}

pub async fn insert_channel(
    conn: &mut PgConnection,
    new: NewChannel,
    now: Timestamp,
) -> Result<Channel> {
    let taken =
        sqlx::query_scalar::<_, i64>("SELECT 1::int8 FROM channels WHERE phone_number_id = $1")
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
    .bind(r.window_policy)
    .execute(&mut *conn)
    .await
    .map_err(conflict)?;
    Ok(channel)
}

pub async fn update_channel(conn: &mut PgConnection, channel: &Channel) -> Result<()> {
    let r = ChannelRecord::from(channel);
    sqlx::query(
        "UPDATE channels SET display_phone_number = $1, verified_name = $2, upstream_kind = $3, \
         upstream = $4, throughput_mps = $5, quality_rating = $6, messaging_limit_tier = $7, \
         profile = $8, updated_at = $9, window_policy = $12 WHERE account_id = $10 AND id = $11",
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
    .bind(r.account_id)
    .bind(r.id)
    .bind(r.window_policy)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// `for_update` locks the row until the transaction ends (read-modify-write).
pub async fn get_channel(
    conn: &mut PgConnection,
    account: AccountId,
    id: ChannelId,
    for_update: bool,
) -> Result<Channel> {
    const PLAIN: &str = concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = $1 AND id = $2"
    );
    const LOCKING: &str = concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = $1 AND id = $2 FOR UPDATE"
    );
    sqlx::query_as::<_, ChannelRecord>(if for_update { LOCKING } else { PLAIN })
        .bind(account.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound(Entity::Channel))?
        .try_into()
}

pub async fn find_channel_by_pnid(
    conn: &mut PgConnection,
    pnid: &PhoneNumberId,
) -> Result<Channel> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE phone_number_id = $1"
    ))
    .bind(pnid.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound(Entity::Channel))?
    .try_into()
}

pub async fn list_channels(
    conn: &mut PgConnection,
    account: AccountId,
    page: &Page<ChannelId>,
) -> Result<Vec<Channel>> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ", channel_columns!(),
        " FROM channels WHERE account_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"
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
