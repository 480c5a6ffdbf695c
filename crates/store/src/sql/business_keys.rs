//! Business public keys: their statements, and [`BusinessKeyStore`] for every [`Backend`]
//! (see [`crate::business_keys`]).

use async_trait::async_trait;
use wagate_core::ids::{AccountId, ChannelId};

use super::{Backend, Conn, query};
use crate::business_keys::{BusinessKeyRecord, StoredBusinessKey};
use crate::{BusinessKeyStore, Entity, Result, StoreError, business_key_columns};

#[async_trait]
impl<B: Backend> BusinessKeyStore for B {
    async fn put_business_key(&self, key: StoredBusinessKey) -> Result<StoredBusinessKey> {
        self.write(move |c| Box::pin(put(c, key))).await
    }

    async fn get_business_key(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<StoredBusinessKey>> {
        self.read(move |c| Box::pin(async move { get(c, account, channel).await }))
            .await
    }
}

/// Inserts or replaces the channel's key. The update applies only to a row of the same
/// account, so nothing of another account's channel is ever changed.
pub async fn put<C: Conn>(c: &mut C, key: StoredBusinessKey) -> Result<StoredBusinessKey> {
    let r = BusinessKeyRecord::from(&key);
    let row = c
        .fetch_optional::<BusinessKeyRecord>(
            query(concat!(
                "INSERT INTO business_keys (",
                business_key_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (channel_id) DO UPDATE SET \
                 public_key_pem = excluded.public_key_pem, signature = excluded.signature, \
                 updated_at = excluded.updated_at \
                 WHERE business_keys.account_id = excluded.account_id RETURNING ",
                business_key_columns!()
            ))
            .bind(r.channel_id)
            .bind(r.account_id)
            .bind(r.public_key_pem)
            .bind(r.signature)
            .bind(r.created_at)
            .bind(r.updated_at),
        )
        .await?;
    row.ok_or(StoreError::NotFound(Entity::Channel))?.try_into()
}

pub async fn get<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
) -> Result<Option<StoredBusinessKey>> {
    c.fetch_optional::<BusinessKeyRecord>(
        query(concat!(
            "SELECT ",
            business_key_columns!(),
            " FROM business_keys WHERE channel_id = $1 AND account_id = $2"
        ))
        .bind(channel.as_uuid())
        .bind(account.as_uuid()),
    )
    .await?
    .map(StoredBusinessKey::try_from)
    .transpose()
}
