//! Stored business public keys (Meta's `/{phone_number_id}/whatsapp_business_encryption`):
//! at most one per phone number (channel) of one account. Setting a key replaces the one
//! before; there is no delete (Meta has none either).
//!
//! The row keeps the PEM text and the signature wagate made of it for the phone number when
//! it was stored (see `wagate_core::business_key`); a read reports whether the two still
//! match.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::business_key::{BusinessPublicKey, KeySignature};
use wagate_core::ids::{AccountId, ChannelId};

use crate::Result;
use crate::error::StoreError;

/// A phone number's business public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBusinessKey {
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub key: BusinessPublicKey,
    pub signature: KeySignature,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Business public keys (see [`business_keys`](self)). Another channel's or account's key is
/// never seen. Part of [`Store`](crate::Store).
#[async_trait]
pub trait BusinessKeyStore: Send + Sync {
    /// Stores the channel's key, replacing any before it (`created_at` stays the first
    /// one's). A channel of another account is never overwritten: the write then stores
    /// nothing and answers `NotFound(Channel)`.
    async fn put_business_key(&self, key: StoredBusinessKey) -> Result<StoredBusinessKey>;
    /// The channel's key, if one was set.
    async fn get_business_key(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<StoredBusinessKey>>;
}

/// The business key columns, in [`BusinessKeyRecord`] order.
#[macro_export]
macro_rules! business_key_columns {
    () => {
        "channel_id, account_id, public_key_pem, signature, created_at, updated_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BusinessKeyRecord {
    pub channel_id: uuid::Uuid,
    pub account_id: uuid::Uuid,
    pub public_key_pem: String,
    pub signature: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&StoredBusinessKey> for BusinessKeyRecord {
    fn from(k: &StoredBusinessKey) -> Self {
        Self {
            channel_id: k.channel_id.as_uuid(),
            account_id: k.account_id.as_uuid(),
            public_key_pem: k.key.pem().to_owned(),
            signature: k.signature.as_str().to_owned(),
            created_at: k.created_at.as_millisecond(),
            updated_at: k.updated_at.as_millisecond(),
        }
    }
}

impl TryFrom<BusinessKeyRecord> for StoredBusinessKey {
    type Error = StoreError;

    fn try_from(r: BusinessKeyRecord) -> Result<Self, StoreError> {
        let bad = |detail: String| StoreError::Corrupt {
            what: "business public key",
            detail,
        };
        let at = |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| bad(format!("time: {e}")));
        Ok(Self {
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            key: BusinessPublicKey::parse(&r.public_key_pem).map_err(|e| bad(e.to_string()))?,
            signature: KeySignature::stored(&r.signature),
            created_at: at(r.created_at)?,
            updated_at: at(r.updated_at)?,
        })
    }
}
