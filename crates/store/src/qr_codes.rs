//! Stored QR codes (Meta's `message_qrdls`): one row per code, owned by one phone number
//! (channel) of one account. A code is unique across every account, because its deep link
//! (`https://wa.me/message/{code}`) and its public image URL name nothing else.
//!
//! Lists are keyset-paged by code (codes are random, so this order is stable but not the
//! creation order). A deleted code is gone at once: nothing refers to it.

use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::qr::{PrefilledMessage, QrCodeId};

use crate::error::StoreError;

/// One QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub code: QrCodeId,
    pub account_id: AccountId,
    /// The phone number whose chat the code opens.
    pub channel_id: ChannelId,
    pub prefilled_message: PrefilledMessage,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The QR code columns, in [`QrCodeRecord`] order.
#[macro_export]
macro_rules! qr_code_columns {
    () => {
        "code, account_id, channel_id, prefilled_message, created_at, updated_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QrCodeRecord {
    pub code: String,
    pub account_id: uuid::Uuid,
    pub channel_id: uuid::Uuid,
    pub prefilled_message: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&QrCode> for QrCodeRecord {
    fn from(q: &QrCode) -> Self {
        Self {
            code: q.code.as_str().to_owned(),
            account_id: q.account_id.as_uuid(),
            channel_id: q.channel_id.as_uuid(),
            prefilled_message: q.prefilled_message.as_str().to_owned(),
            created_at: q.created_at.as_millisecond(),
            updated_at: q.updated_at.as_millisecond(),
        }
    }
}

impl TryFrom<QrCodeRecord> for QrCode {
    type Error = StoreError;

    fn try_from(r: QrCodeRecord) -> Result<Self, StoreError> {
        let bad = |detail: String| StoreError::Corrupt {
            what: "qr code",
            detail,
        };
        let at = |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| bad(format!("time: {e}")));
        Ok(Self {
            code: QrCodeId::parse(&r.code).map_err(|e| bad(format!("code: {e}")))?,
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            prefilled_message: PrefilledMessage::parse(&r.prefilled_message)
                .map_err(|e| bad(e.to_string()))?,
            created_at: at(r.created_at)?,
            updated_at: at(r.updated_at)?,
        })
    }
}
