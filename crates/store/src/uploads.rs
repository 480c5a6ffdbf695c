//! Resumable upload sessions (Meta's Resumable Upload API, reference §1.2): a client announces
//! a file (`file_name`, `file_length`, `file_type`), sends its bytes in one or more chunks,
//! each at the offset the session has reached, and gets a *handle* for the whole file — the
//! sample a template's media header names in `example.header_handle`.
//!
//! The row keeps the offset reached so far; the bytes themselves wait in files under the
//! media root until the last chunk arrives (the service's business, not the store's). The
//! offset only moves by compare-and-set ([`advance_upload_session`]), so two
//! clients sending a chunk at the same offset cannot both count it. Once the file is whole
//! and checked, the service keeps it as an ordinary media id (origin `upload`) and the row
//! records that id and the handle it answered ([`complete_upload_session`]);
//! the handle is looked up through this row, so the `media` table needs no new origin (a
//! SQLite CHECK cannot be altered in place).
//!
//! A session lives 24 hours while incomplete, then as long as its media id once complete.
//! [`collect_upload_sessions`] deletes expired rows and answers their ids, for
//! the caller to remove any bytes still waiting.
//!
//! [`advance_upload_session`]: crate::MediaStore::advance_upload_session
//! [`complete_upload_session`]: crate::MediaStore::complete_upload_session
//! [`collect_upload_sessions`]: crate::MediaStore::collect_upload_sessions

use std::fmt;

use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId, MediaId};
use wagate_core::media::MediaType;

use crate::error::StoreError;
use crate::records::{corrupt, timestamp};

/// An upload session's id, answered as `upload:<32 hex digits>` (random, so unguessable).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadSessionId(String);

impl UploadSessionId {
    /// The prefix every session id carries on the wire, as Meta's do.
    pub const PREFIX: &'static str = "upload:";

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// `upload:<32 lowercase hex digits>`, or the bare hex digits as stored; `None` for
    /// anything else (never one of ours).
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix(Self::PREFIX).unwrap_or(s);
        let ok = hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self(hex.to_owned()))
    }

    /// The 32 hex digits without the prefix: the stored key, and a safe file name.
    pub fn key(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UploadSessionId {
    /// The wire form, `upload:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

/// The handle of a completed upload, as a template's `example.header_handle` names it:
/// `4::d2FnYXRl:<base64 of the type>:<32 hex digits>`. `4::` and the base64 type follow
/// Meta's handles (`4::aW1hZ2UvcG5n:ARZ…`; SDKs such as pywa recognise a handle by its
/// leading `<digit>:`); `d2FnYXRl` (base64 of `wagate`) marks the handles this server issued,
/// so anything else — Meta's own handles, sample strings — is told apart without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadHandle(String);

impl UploadHandle {
    /// What every handle this server issues starts with.
    pub const PREFIX: &'static str = "4::d2FnYXRl:";

    /// A new random handle for a file of `file_type`.
    pub fn generate(file_type: &MediaType) -> Self {
        Self(format!(
            "{}{}:{}",
            Self::PREFIX,
            base64_of_type(file_type),
            uuid::Uuid::new_v4().simple()
        ))
    }

    /// Whether `s` looks like a handle this server issued (it may still be unknown).
    pub fn is_ours(s: &str) -> bool {
        s.starts_with(Self::PREFIX)
    }

    /// One of our handles, well formed; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix(Self::PREFIX)?;
        let (kind, token) = rest.split_once(':')?;
        let ok = !kind.is_empty()
            && kind
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            && token.len() == 32
            && token
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UploadHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Base64 of the types the Resumable Upload API takes (Meta writes the type into its handles
/// this way); `ZmlsZQ` (`file`) for any other.
fn base64_of_type(t: &MediaType) -> &'static str {
    match t.essence() {
        "image/jpeg" => "aW1hZ2UvanBlZw",
        "image/png" => "aW1hZ2UvcG5n",
        "video/mp4" => "dmlkZW8vbXA0",
        "application/pdf" => "YXBwbGljYXRpb24vcGRm",
        _ => "ZmlsZQ",
    }
}

/// What a completed session answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedUpload {
    /// The media id the whole file was kept under.
    pub media_id: MediaId,
    pub handle: UploadHandle,
}

/// One upload session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSession {
    pub id: UploadSessionId,
    pub account_id: AccountId,
    /// The phone number the finished file's media id is filed under (media ids belong to
    /// one; the Resumable Upload API names an app, not a number).
    pub channel_id: ChannelId,
    /// The file name the client gave, without its path.
    pub file_name: String,
    /// The whole file's size in bytes, as announced.
    pub file_length: u64,
    /// The announced type; the bytes must be of it.
    pub file_type: MediaType,
    /// Bytes received so far; the next chunk must start here.
    pub file_offset: u64,
    /// Set once the whole file was received, checked and kept.
    pub completed: Option<CompletedUpload>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The upload session columns, in [`UploadSessionRecord`] order.
#[macro_export]
macro_rules! upload_session_columns {
    () => {
        "id, account_id, channel_id, file_name, file_length, file_type, file_offset, \
         media_id, handle, created_at, expires_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadSessionRecord {
    /// The 32 hex digits, without `upload:`.
    pub id: String,
    pub account_id: uuid::Uuid,
    pub channel_id: uuid::Uuid,
    pub file_name: String,
    pub file_length: i64,
    pub file_type: String,
    pub file_offset: i64,
    pub media_id: Option<String>,
    pub handle: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<&UploadSession> for UploadSessionRecord {
    fn from(s: &UploadSession) -> Self {
        Self {
            id: s.id.key().to_owned(),
            account_id: s.account_id.as_uuid(),
            channel_id: s.channel_id.as_uuid(),
            file_name: s.file_name.clone(),
            file_length: size(s.file_length),
            file_type: s.file_type.essence().to_owned(),
            file_offset: size(s.file_offset),
            media_id: s.completed.as_ref().map(|c| c.media_id.as_str().to_owned()),
            handle: s.completed.as_ref().map(|c| c.handle.as_str().to_owned()),
            created_at: s.created_at.as_millisecond(),
            expires_at: s.expires_at.as_millisecond(),
        }
    }
}

impl TryFrom<UploadSessionRecord> for UploadSession {
    type Error = StoreError;

    fn try_from(r: UploadSessionRecord) -> Result<Self, StoreError> {
        const WHAT: &str = "upload session";
        let bad = |detail: String| corrupt(WHAT, detail);
        let completed = match (r.media_id, r.handle) {
            (None, None) => None,
            (Some(media_id), Some(handle)) => Some(CompletedUpload {
                media_id: MediaId::parse(&media_id).map_err(|e| bad(format!("media id: {e}")))?,
                handle: UploadHandle::parse(&handle)
                    .ok_or_else(|| bad(format!("handle {handle}")))?,
            }),
            _ => return Err(bad("a media id without a handle, or the reverse".to_owned())),
        };
        Ok(Self {
            id: UploadSessionId::parse(&r.id).ok_or_else(|| bad(format!("id {}", r.id)))?,
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            file_name: r.file_name,
            file_length: u64::try_from(r.file_length).map_err(|e| bad(format!("length: {e}")))?,
            file_type: MediaType::parse(&r.file_type)
                .map_err(|e| bad(format!("type {}: {e}", r.file_type)))?,
            file_offset: u64::try_from(r.file_offset).map_err(|e| bad(format!("offset: {e}")))?,
            completed,
            created_at: timestamp(WHAT, r.created_at)?,
            expires_at: timestamp(WHAT, r.expires_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_read_with_or_without_their_prefix() {
        let id = UploadSessionId::generate();
        let wire = id.to_string();
        assert!(wire.starts_with("upload:"), "{wire}");
        assert_eq!(wire.len(), 7 + 32);
        assert_eq!(UploadSessionId::parse(&wire), Some(id.clone()));
        assert_eq!(UploadSessionId::parse(id.key()), Some(id));
        for bad in [
            "",
            "upload:",
            "upload:xyz",
            "upload:0123456789ABCDEF0123456789ABCDEF",
            "upload:../../../../etc/passwd0000000000000",
            "123456",
        ] {
            assert_eq!(UploadSessionId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn handles_look_like_metas_and_are_told_apart() {
        let h = UploadHandle::generate(&MediaType::PNG);
        assert!(h.as_str().starts_with("4::d2FnYXRl:aW1hZ2UvcG5n:"), "{h}");
        assert!(UploadHandle::is_ours(h.as_str()));
        assert_eq!(UploadHandle::parse(h.as_str()), Some(h.clone()));
        let pdf = UploadHandle::generate(&MediaType::PDF);
        assert!(
            pdf.as_str()
                .starts_with("4::d2FnYXRl:YXBwbGljYXRpb24vcGRm:")
        );
        for foreign in [
            "4::aW",
            "4::aW1hZ2UvanBlZw==:ARZsampleHandleForTheHeaderExample",
            "h",
        ] {
            assert!(!UploadHandle::is_ours(foreign), "{foreign}");
            assert_eq!(UploadHandle::parse(foreign), None);
        }
        assert_eq!(UploadHandle::parse("4::d2FnYXRl:aW1hZ2UvcG5n:short"), None);
        assert_ne!(h, UploadHandle::generate(&MediaType::PNG));
    }
}
