//! Phone number registration: its statements (see [`crate::registration`]).

use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::registration::Registration;

use crate::registration::RegistrationRecord;
use crate::sql::{Conn, query};
use crate::{Entity, Result, StoreError, registration_columns};

pub async fn get<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
) -> Result<Option<Registration>> {
    c.fetch_optional::<RegistrationRecord>(
        query(concat!(
            "SELECT ",
            registration_columns!(),
            " FROM phone_registrations WHERE channel_id = $1 AND account_id = $2"
        ))
        .bind(channel.as_uuid())
        .bind(account.as_uuid()),
    )
    .await?
    .map(Registration::try_from)
    .transpose()
}

pub async fn list<C: Conn>(
    c: &mut C,
    account: AccountId,
    channels: &[ChannelId],
) -> Result<Vec<Registration>> {
    let Some((first, rest)) = channels.split_first() else {
        return Ok(Vec::new());
    };
    let mut q = query(concat!(
        "SELECT ",
        registration_columns!(),
        " FROM phone_registrations WHERE account_id = "
    ));
    q.push_bind(account.as_uuid())
        .push(" AND channel_id IN (")
        .push_bind(first.as_uuid());
    for id in rest {
        q.push(", ").push_bind(id.as_uuid());
    }
    q.push(")");
    c.fetch_all::<RegistrationRecord>(q)
        .await?
        .into_iter()
        .map(Registration::try_from)
        .collect()
}

/// Compare-and-set (see `ChannelStore::save_registration`).
pub async fn save<C: Conn>(c: &mut C, next: Registration, seen: Option<u64>) -> Result<bool> {
    let r = RegistrationRecord::from(&next);
    let statement = match seen {
        None => query(concat!(
            "INSERT INTO phone_registrations (",
            registration_columns!(),
            ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20, $21, $22, $23, $24, $25 \
             WHERE $26 IS NULL \
             AND EXISTS (SELECT 1 FROM channels WHERE id = $1 AND account_id = $2) \
             ON CONFLICT (channel_id) DO NOTHING"
        )),
        Some(_) => query(
            "UPDATE phone_registrations SET version = $3, status = $4, verified = $5, \
             pin_salt = $6, pin_hash = $7, code = $8, code_method = $9, code_language = $10, \
             code_sent_at = $11, code_expires_at = $12, code_attempts = $13, codes_sent = $14, \
             code_requests = $15, register_calls = $16, deregister_calls = $17, \
             blocked_until = $18, data_localization_region = $19, registered_at = $20, \
             new_display_name = $21, new_name_status = $22, name_requested_at = $23, \
             name_decided_at = $24, updated_at = $25 \
             WHERE channel_id = $1 AND account_id = $2 AND version = $26",
        ),
    };
    let (channel_id, account_id) = (r.channel_id, r.account_id);
    let done = c
        .execute(
            statement
                .bind(r.channel_id)
                .bind(r.account_id)
                .bind(r.version)
                .bind(r.status)
                .bind(r.verified)
                .bind(r.pin_salt)
                .bind(r.pin_hash)
                .bind(r.code)
                .bind(r.code_method)
                .bind(r.code_language)
                .bind(r.code_sent_at)
                .bind(r.code_expires_at)
                .bind(r.code_attempts)
                .bind(r.codes_sent)
                .bind(r.code_requests)
                .bind(r.register_calls)
                .bind(r.deregister_calls)
                .bind(r.blocked_until)
                .bind(r.data_localization_region)
                .bind(r.registered_at)
                .bind(r.new_display_name)
                .bind(r.new_name_status)
                .bind(r.name_requested_at)
                .bind(r.name_decided_at)
                .bind(r.updated_at)
                .bind(seen.map(|v| i64::try_from(v).unwrap_or(i64::MAX))),
        )
        .await?;
    if done == 1 {
        return Ok(true);
    }
    // Nothing written: another write came first, or the channel is not the account's.
    c.scalar::<bool>(
        query("SELECT TRUE FROM channels WHERE id = $1 AND account_id = $2")
            .bind(channel_id)
            .bind(account_id),
    )
    .await?
    .map(|_| false)
    .ok_or(StoreError::NotFound(Entity::Channel))
}
