//! Phone number settings and conversational automation on PostgreSQL (see
//! `wagate_store::phone_settings`). The update locks the channel row first, so two updates
//! of different keys both count.

use crate::queries;
use sqlx::PgConnection;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_store::phone_settings::{PhoneSettings, PhoneSettingsRecord, PhoneSettingsWrite};
use wagate_store::{Entity, Result, StoreError, phone_settings_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn get(
    conn: &mut PgConnection,
    account: AccountId,
    channel: ChannelId,
) -> Result<PhoneSettings> {
    let r: Option<PhoneSettingsRecord> = sqlx::query_as(concat!(
        "SELECT ",
        phone_settings_columns!(),
        " FROM phone_settings WHERE channel_id = $1 AND account_id = $2"
    ))
    .bind(channel.as_uuid())
    .bind(account.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    if let Some(r) = r {
        return r.try_into();
    }
    let known: Option<i64> =
        sqlx::query_scalar("SELECT 1::BIGINT FROM channels WHERE id = $1 AND account_id = $2")
            .bind(channel.as_uuid())
            .bind(account.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    known
        .map(|_| PhoneSettings::empty(account, channel))
        .ok_or(StoreError::NotFound(Entity::Channel))
}

pub async fn update(conn: &mut PgConnection, w: PhoneSettingsWrite) -> Result<PhoneSettings> {
    // Locks the channel row: concurrent updates apply one after the other.
    queries::get_channel(conn, w.account_id, w.channel_id, true).await?;
    let mut s = get(conn, w.account_id, w.channel_id).await?;
    s.apply(&w);
    let r = PhoneSettingsRecord::new(&s, w.at);
    sqlx::query(concat!(
        "INSERT INTO phone_settings (",
        phone_settings_columns!(),
        ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id) DO UPDATE SET \
         settings = excluded.settings, \
         conversational_automation = excluded.conversational_automation, \
         updated_at = excluded.updated_at"
    ))
    .bind(r.channel_id)
    .bind(r.account_id)
    .bind(&r.settings)
    .bind(&r.conversational_automation)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(s)
}
