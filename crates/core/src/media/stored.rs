//! A media id as wagate holds it: what it points at and where it came from. (The storage
//! contract keeps it; `wagate_store` re-exports it.)

use crate::Timestamp;
use crate::ids::{AccountId, ChannelId, MediaId};

/// Where a media file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaOrigin {
    /// `POST /{phone_number_id}/media`.
    Upload,
    /// A file a user sent (the simulated network stored it).
    Inbound,
}

impl MediaOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaOrigin::Upload => "upload",
            MediaOrigin::Inbound => "inbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upload" => Some(MediaOrigin::Upload),
            "inbound" => Some(MediaOrigin::Inbound),
            _ => None,
        }
    }
}

/// One media id and what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: MediaId,
    pub account_id: AccountId,
    /// The phone number it was uploaded to or received on.
    pub channel_id: ChannelId,
    pub origin: MediaOrigin,
    /// The type the bytes were found to be (`image/jpeg`).
    pub mime_type: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub file_size: u64,
    /// The uploaded file's name, without its path.
    pub filename: Option<String>,
    /// Where the bytes are in the object store (their content address).
    pub storage_key: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}
