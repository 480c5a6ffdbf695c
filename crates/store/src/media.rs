//! Stored media: one row per media id (an upload, or a file a user sent), pointing at bytes
//! in the object store by their content address. Several ids may share the same bytes; the
//! bytes go when the last id that refers to them is gone.
//!
//! A row lives until it expires (30 days after an upload, 7 days after a user sent it) or is
//! deleted. [`MediaStore::collect_media`] then purges such rows and answers the storage keys
//! no live row refers to any more, for the caller to delete from the object store. Keys are
//! answered once: a crash between the purge and the object deletion leaves an unreferenced
//! object behind, never a row without its bytes.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId, MediaId};

use crate::error::StoreError;
use crate::{CompletedUpload, Result, UploadHandle, UploadSession, UploadSessionId};

/// Media ids (see [`media`](self)) and the resumable upload sessions that end in one (see
/// [`uploads`](crate::uploads)); a session another account owns is `NotFound(Media)`, like
/// one that does not exist. Part of [`Store`](crate::Store).
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores a new media id. `Conflict` when the id exists.
    async fn create_media(&self, media: Media) -> Result<Media>;
    /// One of the account's media ids, unless deleted or collected (an expired one is still
    /// answered until collected; the caller checks `expires_at`).
    async fn get_media(&self, account: AccountId, id: &MediaId) -> Result<Media>;
    /// Deletes one of the account's media ids at `now`. `NotFound` when it is not live.
    async fn delete_media(&self, account: AccountId, id: &MediaId, now: Timestamp) -> Result<()>;
    /// Purges up to `limit` media ids deleted or expired by `now`, and answers the storage
    /// keys that no live media id refers to any more (each once), for the caller to delete.
    async fn collect_media(&self, now: Timestamp, limit: u32) -> Result<Vec<String>>;

    // Upload sessions (see [`uploads`]). A session another account owns is `NotFound(Media)`,
    // like one that does not exist.

    /// Stores a new upload session. `Conflict` when the id exists.
    async fn create_upload_session(&self, session: UploadSession) -> Result<UploadSession>;
    /// One of the account's upload sessions, complete or not (an expired one is answered
    /// until collected; the caller checks `expires_at`).
    async fn get_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
    ) -> Result<UploadSession>;
    /// The account's completed session that answered `handle`.
    async fn find_upload_handle(
        &self,
        account: AccountId,
        handle: &UploadHandle,
    ) -> Result<UploadSession>;
    /// Compare-and-set: moves an incomplete session's offset from `from` to `to` (at most its
    /// `file_length`). `Ok(false)`, changing nothing, when the stored offset is not `from` or
    /// the session is complete; `NotFound` when there is no such session.
    async fn advance_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        from: u64,
        to: u64,
    ) -> Result<bool>;
    /// Records that the session's whole file was kept as `done.media_id`, answered as
    /// `done.handle`, and that the session now lives until `expires_at` — once, and only when
    /// every byte is in: `Ok(false)`, changing nothing, when it is already complete or its
    /// offset is short of its length. `NotFound` when there is no such session.
    async fn complete_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        done: &CompletedUpload,
        expires_at: Timestamp,
    ) -> Result<bool>;
    /// Deletes one of the account's sessions (an upload that was refused). `NotFound` when
    /// there is none.
    async fn delete_upload_session(&self, account: AccountId, id: &UploadSessionId) -> Result<()>;
    /// Deletes up to `limit` sessions expired by `now`, complete or not, and answers their
    /// ids, for the caller to remove any bytes still waiting for them.
    async fn collect_upload_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UploadSessionId>>;
}

pub use wagate_core::media::{Media, MediaOrigin};

/// The media columns, in [`MediaRecord`] order.
#[macro_export]
macro_rules! media_columns {
    () => {
        "id, account_id, channel_id, origin, mime_type, sha256, file_size, filename, \
         storage_key, created_at, expires_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRecord {
    pub id: String,
    pub account_id: uuid::Uuid,
    pub channel_id: uuid::Uuid,
    pub origin: String,
    pub mime_type: String,
    pub sha256: String,
    pub file_size: i64,
    pub filename: Option<String>,
    pub storage_key: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&Media> for MediaRecord {
    fn from(m: &Media) -> Self {
        Self {
            id: m.id.as_str().to_owned(),
            account_id: m.account_id.as_uuid(),
            channel_id: m.channel_id.as_uuid(),
            origin: m.origin.as_str().to_owned(),
            mime_type: m.mime_type.clone(),
            sha256: m.sha256.clone(),
            file_size: i64::try_from(m.file_size).unwrap_or(i64::MAX),
            filename: m.filename.clone(),
            storage_key: m.storage_key.clone(),
            created_at: m.created_at.as_millisecond(),
            expires_at: m.expires_at.as_millisecond(),
        }
    }
}

impl TryFrom<MediaRecord> for Media {
    type Error = StoreError;

    fn try_from(r: MediaRecord) -> Result<Self, StoreError> {
        let bad = |detail: String| StoreError::Corrupt {
            what: "media",
            detail,
        };
        let at = |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| bad(format!("time: {e}")));
        Ok(Self {
            id: MediaId::parse(&r.id).map_err(|e| bad(format!("id: {e}")))?,
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            origin: MediaOrigin::parse(&r.origin)
                .ok_or_else(|| bad(format!("origin {}", r.origin)))?,
            mime_type: r.mime_type,
            sha256: r.sha256,
            file_size: u64::try_from(r.file_size).map_err(|e| bad(format!("size: {e}")))?,
            filename: r.filename,
            storage_key: r.storage_key,
            created_at: at(r.created_at)?,
            expires_at: at(r.expires_at)?,
        })
    }
}
