//! WOZTELL signing secrets: their statements, and [`WoztellSecretStore`] for every
//! [`Backend`] (see [`crate::woztell_secrets`]).

use async_trait::async_trait;
use wagate_core::ids::{AccountId, ChannelId};

use super::{Backend, Conn, query};
use crate::woztell_secrets::{StoredWoztellSecret, WoztellSecretRecord};
use crate::{Entity, Result, StoreError, WoztellSecretStore, woztell_secret_columns};

#[async_trait]
impl<B: Backend> WoztellSecretStore for B {
    async fn put_woztell_secret(&self, secret: StoredWoztellSecret) -> Result<StoredWoztellSecret> {
        self.write(move |c| Box::pin(put(c, secret))).await
    }

    async fn woztell_secret(&self, channel: ChannelId) -> Result<Option<StoredWoztellSecret>> {
        self.read(move |c| Box::pin(async move { get(c, channel).await }))
            .await
    }

    async fn delete_woztell_secret(&self, account: AccountId, channel: ChannelId) -> Result<bool> {
        self.write(move |c| Box::pin(async move { delete(c, account, channel).await }))
            .await
    }
}

/// Inserts or replaces the channel's secret. The update applies only to a row of the same
/// account, so nothing of another account's channel is ever changed.
pub async fn put<C: Conn>(c: &mut C, secret: StoredWoztellSecret) -> Result<StoredWoztellSecret> {
    let r = WoztellSecretRecord::from(&secret);
    let row = c
        .fetch_optional::<WoztellSecretRecord>(
            query(concat!(
                "INSERT INTO woztell_secrets (",
                woztell_secret_columns!(),
                ") VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (channel_id) DO UPDATE SET \
                 secret = excluded.secret, issued_at = excluded.issued_at \
                 WHERE woztell_secrets.account_id = excluded.account_id RETURNING ",
                woztell_secret_columns!()
            ))
            .bind(r.channel_id)
            .bind(r.account_id)
            .bind(r.secret)
            .bind(r.issued_at),
        )
        .await?;
    row.ok_or(StoreError::NotFound(Entity::Channel))?.try_into()
}

pub async fn get<C: Conn>(c: &mut C, channel: ChannelId) -> Result<Option<StoredWoztellSecret>> {
    c.fetch_optional::<WoztellSecretRecord>(
        query(concat!(
            "SELECT ",
            woztell_secret_columns!(),
            " FROM woztell_secrets WHERE channel_id = $1"
        ))
        .bind(channel.as_uuid()),
    )
    .await?
    .map(StoredWoztellSecret::try_from)
    .transpose()
}

pub async fn delete<C: Conn>(c: &mut C, account: AccountId, channel: ChannelId) -> Result<bool> {
    let n = c
        .execute(
            query("DELETE FROM woztell_secrets WHERE channel_id = $1 AND account_id = $2")
                .bind(channel.as_uuid())
                .bind(account.as_uuid()),
        )
        .await?;
    Ok(n > 0)
}
