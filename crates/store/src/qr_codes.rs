//! Stored QR codes (Meta's `message_qrdls`): one row per code, owned by one phone number
//! (channel) of one account. A code is unique across every account, because its deep link
//! (`https://wa.me/message/{code}`) and its public image URL name nothing else.
//!
//! Lists are keyset-paged by code (codes are random, so this order is stable but not the
//! creation order). A deleted code is gone at once: nothing refers to it.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::qr::{PrefilledMessage, QrCodeId};

use crate::error::StoreError;
use crate::{Page, Result};

/// QR codes (see [`qr_codes`](self)). Another channel's or account's code is
/// `NotFound(QrCode)`, like one that does not exist. Part of [`Store`](crate::Store).
#[async_trait]
pub trait QrCodeStore: Send + Sync {
    /// Stores a new QR code. `Conflict` when its code exists in any account (the caller draws
    /// another).
    async fn create_qr_code(&self, qr: QrCode) -> Result<QrCode>;
    /// One of the channel's QR codes.
    async fn get_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<QrCode>;
    /// Any account's QR code by its code (for its public image URL).
    async fn find_qr_code(&self, code: &wagate_core::qr::QrCodeId) -> Result<QrCode>;
    /// The channel's QR codes in code order; `page.after` continues after that code.
    async fn list_qr_codes(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<wagate_core::qr::QrCodeId>,
    ) -> Result<Vec<QrCode>>;
    /// Replaces one of the channel's QR codes' prefilled message; `updated_at` becomes `at`.
    async fn update_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
        message: &wagate_core::qr::PrefilledMessage,
        at: Timestamp,
    ) -> Result<QrCode>;
    /// Deletes one of the channel's QR codes.
    async fn delete_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<()>;
}

pub use wagate_core::qr::QrCode;

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
