//! WOZTELL signing secrets: the per-channel secret the `/compat/woztell` dialect checks
//! `X-Woztell-SignedContext` against (an HMAC-SHA256 of `X-Woztell-Payload`). At most one per
//! channel of one account; issuing again replaces it (a rotation), revoking deletes it.
//!
//! The secret is sealed at rest like the other secrets wagate must read back (see
//! [`crate::sealing`]).

use std::fmt;

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};

use crate::Result;
use crate::error::StoreError;

/// A channel's WOZTELL signing secret. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredWoztellSecret {
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub secret: String,
    pub issued_at: Timestamp,
}

impl fmt::Debug for StoredWoztellSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredWoztellSecret")
            .field("account_id", &self.account_id)
            .field("channel_id", &self.channel_id)
            .field("secret", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

/// WOZTELL signing secrets (see [`woztell_secrets`](self)). Part of [`Store`](crate::Store).
#[async_trait]
pub trait WoztellSecretStore: Send + Sync {
    /// Stores the channel's secret, replacing any before it. A channel of another account is
    /// never overwritten: the write then stores nothing and answers `NotFound(Channel)`.
    async fn put_woztell_secret(&self, secret: StoredWoztellSecret) -> Result<StoredWoztellSecret>;
    /// The channel's secret, if one is set, whichever account holds the channel (the
    /// signed-context check finds the account from it; the row names it).
    async fn woztell_secret(&self, channel: ChannelId) -> Result<Option<StoredWoztellSecret>>;
    /// Deletes the channel's secret; whether there was one (of this account).
    async fn delete_woztell_secret(&self, account: AccountId, channel: ChannelId) -> Result<bool>;
}

/// The WOZTELL secret columns, in [`WoztellSecretRecord`] order.
#[macro_export]
macro_rules! woztell_secret_columns {
    () => {
        "channel_id, account_id, secret, issued_at"
    };
}

/// A stored row, as both backends read it (the secret sealed).
#[derive(Clone, sqlx::FromRow)]
pub struct WoztellSecretRecord {
    pub channel_id: uuid::Uuid,
    pub account_id: uuid::Uuid,
    pub secret: String,
    pub issued_at: i64,
}

impl From<&StoredWoztellSecret> for WoztellSecretRecord {
    fn from(s: &StoredWoztellSecret) -> Self {
        Self {
            channel_id: s.channel_id.as_uuid(),
            account_id: s.account_id.as_uuid(),
            secret: crate::sealing::seal(&s.secret),
            issued_at: s.issued_at.as_millisecond(),
        }
    }
}

impl TryFrom<WoztellSecretRecord> for StoredWoztellSecret {
    type Error = StoreError;

    fn try_from(r: WoztellSecretRecord) -> Result<Self, StoreError> {
        let what = "WOZTELL secret";
        Ok(Self {
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            secret: crate::sealing::open(what, &r.secret)?,
            issued_at: Timestamp::from_millisecond(r.issued_at).map_err(|e| {
                StoreError::Corrupt {
                    what,
                    detail: format!("time: {e}"),
                }
            })?,
        })
    }
}
