//! Phone number settings and conversational automation: their statements (see
//! [`crate::phone_settings`]).

use wagate_core::ids::{AccountId, ChannelId};

use super::get_channel_for_update;
use crate::phone_settings::{PhoneSettings, PhoneSettingsRecord, PhoneSettingsWrite};
use crate::sql::{Conn, query};
use crate::{Entity, Result, StoreError, phone_settings_columns};

pub async fn get<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
) -> Result<PhoneSettings> {
    let stored = c
        .fetch_optional::<PhoneSettingsRecord>(
            query(concat!(
                "SELECT ",
                phone_settings_columns!(),
                " FROM phone_settings WHERE channel_id = $1 AND account_id = $2"
            ))
            .bind(channel.as_uuid())
            .bind(account.as_uuid()),
        )
        .await?;
    if let Some(r) = stored {
        return r.try_into();
    }
    c.scalar::<bool>(
        query("SELECT TRUE FROM channels WHERE id = $1 AND account_id = $2")
            .bind(channel.as_uuid())
            .bind(account.as_uuid()),
    )
    .await?
    .map(|_| PhoneSettings::empty(account, channel))
    .ok_or(StoreError::NotFound(Entity::Channel))
}

/// Replaces the keys `w` names, in the caller's transaction. The channel row is read for
/// update first, so two updates of different keys both count.
pub async fn update<C: Conn>(c: &mut C, w: PhoneSettingsWrite) -> Result<PhoneSettings> {
    get_channel_for_update(c, w.account_id, w.channel_id).await?;
    let mut s = get(c, w.account_id, w.channel_id).await?;
    s.apply(&w);
    let r = PhoneSettingsRecord::new(&s, w.at);
    c.execute(
        query(concat!(
            "INSERT INTO phone_settings (",
            phone_settings_columns!(),
            ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id) DO UPDATE SET \
             settings = excluded.settings, \
             conversational_automation = excluded.conversational_automation, \
             updated_at = excluded.updated_at"
        ))
        .bind(r.channel_id)
        .bind(r.account_id)
        .bind(r.settings)
        .bind(r.conversational_automation)
        .bind(r.updated_at),
    )
    .await?;
    Ok(s)
}
