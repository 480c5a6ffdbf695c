//! Meta's Resumable Upload API (reference §1.2, §9.11): how a client gets a *handle* for a
//! file, which a template's media header names as its sample (`example.header_handle`) and a
//! business profile as its picture.
//!
//! # Model
//! 1. [`App::create_upload_session`] (`POST /{app_id}/uploads?file_name&file_length&
//!    file_type`) checks the announced file — one of [`RESUMABLE_TYPES`], within its kind's
//!    size limit — and stores a session (`upload:<hex>`) at offset 0. We have no Meta apps:
//!    any numeric `app_id` is taken and ignored. The session is filed under the first phone
//!    number the caller may use, because the finished file becomes a media id, and media ids
//!    belong to a number.
//! 2. [`App::upload_chunk`] (`POST /upload:<hex>` with header `file_offset`) takes raw bytes
//!    starting exactly at the offset the session reached. A chunk streams into a staging file
//!    in the session's directory ([`MediaService::upload_dir`]) and counts whole or not at
//!    all: only once it is complete is the stored offset moved, by compare-and-set, and the
//!    file renamed to its part name (its start offset). So a chunk cut off half-way leaves the
//!    offset where it was; two clients sending at the same offset cannot both count; bytes
//!    past `file_length` are refused. The offset is in the database and the parts are on disk,
//!    so an upload resumes across a restart ([`App::upload_session`], `GET /upload:<hex>`).
//! 3. The chunk that reaches `file_length` finishes the upload: the parts stream, in order,
//!    into an ordinary media staging file (hashed, first bytes kept), which is sniffed and
//!    [`check`]ed against `file_type`, then kept like any upload ([`App::keep`], origin
//!    `upload`, 30 days). The session records the media id and a new [`UploadHandle`]
//!    (`4::d2FnYXRl:…`), and its parts are removed. A file that fails the check deletes the
//!    session and its parts: nothing is kept.
//!
//! [`App::resolve_upload_handle`] turns a handle back into its media;
//! [`App::check_header_handles`] is the template rule: a media header's example that looks like
//! one of our handles must be a live upload of this account of the header's kind. Handles we
//! did not issue (Meta's, sample strings) are left alone, as before.
//!
//! # Expiry
//! An incomplete session lives 24 hours ([`SESSION_TTL_HOURS`]); a complete one as long as
//! its media id. [`App::collect_upload_sessions`] deletes expired sessions with any parts still
//! on disk; it runs, one batch at a time, whenever a session is created, so abandoned uploads
//! are purged without a worker of their own.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use tokio_util::io::ReaderStream;
use wagate_core::Timestamp;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::media::{MB, MediaType, SNIFF_BYTES, check, sniff};
use wagate_core::template::{Component, Header, HeaderFormat, TemplateDraft};
use wagate_store::{
    CompletedUpload, Entity, Media, MediaOrigin, Page, StoreError, UploadHandle, UploadSession,
    UploadSessionId,
};

use super::MediaService;
use super::staging::{StageError, stage};
use crate::error::{Error, Result};
use crate::{App, Principal};

/// How long an incomplete upload session lives.
pub const SESSION_TTL_HOURS: i64 = 24;

/// Expired sessions deleted per collection step.
const COLLECT_PER_STEP: u32 = 100;

/// The types the Resumable Upload API takes (Meta's list; `image/jpg` is read as
/// `image/jpeg`).
pub const RESUMABLE_TYPES: &[MediaType] = &[
    MediaType::PDF,
    MediaType::JPEG,
    MediaType::PNG,
    MediaType::MP4,
];

const TYPES_TEXT: &str = "application/pdf, image/jpeg, image/jpg, image/png or video/mp4";

/// A `POST /{app_id}/uploads` request: the file a client is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    file_name: String,
    file_length: u64,
    file_type: MediaType,
}

impl NewUpload {
    /// Reads the query parameters as the client sent them. `file_type` must be one of
    /// [`RESUMABLE_TYPES`] and `file_length` a size within that type's limit; `file_name`
    /// loses any path (and defaults to `upload.<ext>`).
    pub fn parse(
        file_name: Option<&str>,
        file_length: Option<&str>,
        file_type: Option<&str>,
    ) -> Result<Self> {
        let file_type = match file_type.map(str::trim).filter(|t| !t.is_empty()) {
            None => {
                return Err(ValidationError::new(
                    "file_type",
                    format!("is required: the file's MIME type, one of {TYPES_TEXT}"),
                )
                .into());
            }
            Some(t) => MediaType::parse(t)
                .ok()
                .filter(|m| RESUMABLE_TYPES.iter().any(|a| a.essence() == m.essence()))
                .ok_or_else(|| {
                    ValidationError::new(
                        "file_type",
                        format!("`{t}` cannot be uploaded here; use one of {TYPES_TEXT}"),
                    )
                })?,
        };
        let file_length = match file_length.map(str::trim).filter(|l| !l.is_empty()) {
            None => {
                return Err(ValidationError::new(
                    "file_length",
                    "is required: the file's size in bytes",
                )
                .into());
            }
            Some(l) => l.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ValidationError::new(
                    "file_length",
                    format!("`{l}` is not a size in bytes (a whole number above 0)"),
                )
            })?,
        };
        let limit = file_type.kind().map_or(0, |k| k.max_bytes());
        if file_length > limit {
            return Err(Error::Failed(
                ErrorCode::MediaTooLarge,
                format!(
                    "file_length {file_length} is over the {} MB WhatsApp allows for {file_type}",
                    limit / MB
                ),
            ));
        }
        let file_name = file_name
            .and_then(|n| n.rsplit(['/', '\\']).next())
            .map(|n| {
                n.trim()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(240)
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("upload.{}", file_type.extension().unwrap_or("bin")));
        Ok(Self {
            file_name,
            file_length,
            file_type,
        })
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub fn file_length(&self) -> u64 {
        self.file_length
    }

    pub fn file_type(&self) -> &MediaType {
        &self.file_type
    }
}

impl MediaService {
    /// Where the parts of unfinished resumable uploads wait, one directory per session.
    pub(crate) fn upload_dir(&self) -> PathBuf {
        self.staging.join("uploads")
    }

    fn session_dir(&self, id: &UploadSessionId) -> PathBuf {
        self.upload_dir().join(id.key())
    }
}

/// A part's file name: its start offset, zero-padded so names sort in offset order.
fn part_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// The parts in `dir`, in order, if they are exactly the bytes `0..length`; else why not.
async fn parts_of(dir: &Path, length: u64) -> std::result::Result<Vec<PathBuf>, String> {
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| format!("no parts: {e}"))?;
    let mut parts = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(|e| e.to_string())? {
        let name = entry.file_name();
        let Some(offset) = name
            .to_str()
            .filter(|n| n.len() == 20)
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue; // a chunk still streaming in, or left by a crash
        };
        let len = entry.metadata().await.map_err(|e| e.to_string())?.len();
        parts.push((offset, len, entry.path()));
    }
    parts.sort();
    let mut reached = 0;
    for (offset, len, _) in &parts {
        if *offset != reached {
            return Err(format!("bytes {reached} to {offset} are missing"));
        }
        reached += len;
    }
    if reached != length {
        return Err(format!("{reached} of {length} bytes are on disk"));
    }
    Ok(parts.into_iter().map(|(_, _, path)| path).collect())
}

/// Removes a session's parts; a missing directory is fine.
async fn remove_parts(dir: &Path) {
    match tokio::fs::remove_dir_all(dir).await {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(error.message = %e, dir = %dir.display(), "upload parts not removed");
        }
    }
}

fn unknown() -> Error {
    StoreError::NotFound(Entity::Media).into()
}

fn internal(what: &'static str, e: impl std::fmt::Display) -> Error {
    tracing::error!(error.message = %e, "{what}");
    Error::Failed(
        ErrorCode::Internal,
        "something went wrong on our side; try again".to_owned(),
    )
}

/// Graph 100 naming `file_offset`: where the session is, and so where to resume.
fn wrong_offset(s: &UploadSession, sent: u64) -> Error {
    let why = if s.completed.is_some() {
        format!(
            "this upload is complete ({} bytes); there is nothing more to send",
            s.file_length
        )
    } else {
        format!(
            "this session has received {} of {} bytes, so the next chunk starts at \
             file_offset {}, not {sent} (GET /{} tells the offset)",
            s.file_offset, s.file_length, s.file_offset, s.id
        )
    };
    ValidationError::new("file_offset", why).into()
}

impl App {
    /// `POST /{app_id}/uploads`: a new session for the file `new` announces. Any numeric
    /// `app_id` is taken (wagate has no Meta apps); anything else is an unknown object.
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id))]
    pub async fn create_upload_session(
        &self,
        p: &Principal,
        app_id: &str,
        new: NewUpload,
    ) -> Result<UploadSession> {
        let numeric =
            !app_id.is_empty() && app_id.len() <= 20 && app_id.bytes().all(|b| b.is_ascii_digit());
        if !numeric {
            return Err(StoreError::NotFound(Entity::Account).into());
        }
        let channel = self
            .list_channels(p, &Page::first(1))
            .await?
            .into_iter()
            .next()
            .ok_or(Error::Refused(
                ErrorCode::InvalidRequest,
                "uploads are kept under a phone number and this key has none; add a channel",
            ))?;
        let at = self.now();
        if let Err(e) = self.collect_upload_sessions(at).await {
            tracing::warn!(error.message = %e, "expired upload sessions not collected");
        }
        let session = UploadSession {
            id: UploadSessionId::generate(),
            account_id: p.account_id,
            channel_id: channel.id,
            file_name: new.file_name,
            file_length: new.file_length,
            file_type: new.file_type,
            file_offset: 0,
            completed: None,
            created_at: at,
            expires_at: at + jiff::SignedDuration::from_hours(SESSION_TTL_HOURS),
        };
        let session = self.store.create_upload_session(session).await?;
        tracing::debug!(upload = %session.id, length = session.file_length, "upload session created");
        Ok(session)
    }

    /// `GET /upload:<hex>`: one of the caller's live sessions (to resume at its
    /// `file_offset`). Expired, another account's, or outside the key's channels: unknown.
    pub async fn upload_session(
        &self,
        p: &Principal,
        id: &UploadSessionId,
    ) -> Result<UploadSession> {
        let session = self.store.get_upload_session(p.account_id, id).await?;
        if session.expires_at <= self.now() || !p.can_use(session.channel_id) {
            return Err(unknown());
        }
        Ok(session)
    }

    /// `POST /upload:<hex>`: the bytes from `file_offset` on (the surface reads it; Meta's
    /// header, absent is 0). Answers the session as it now is: complete (with its handle) once every byte is in
    /// and the file passed the media check. Sending the last chunk again after completion
    /// answers the same handle.
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id, upload_session_id = %id))]
    pub async fn upload_chunk<S, E>(
        &self,
        p: &Principal,
        id: &UploadSessionId,
        offset: u64,
        body: S,
    ) -> Result<UploadSession>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let session = self.upload_session(p, id).await?;
        if session.completed.is_some() {
            return if offset == session.file_length {
                Ok(session)
            } else {
                Err(wrong_offset(&session, offset))
            };
        }
        if offset != session.file_offset {
            return Err(wrong_offset(&session, offset));
        }
        let dir = self.media.session_dir(&session.id);
        if offset < session.file_length {
            let room = session.file_length - offset;
            let staged = stage(&dir, body, room, 0).await.map_err(|e| match e {
                StageError::TooLarge { .. } => Error::Failed(
                    ErrorCode::MediaTooLarge,
                    format!(
                        "the bytes go past file_length: this session has {offset} of {} bytes, \
                         so at most {room} more; nothing of this chunk was kept",
                        session.file_length
                    ),
                ),
                StageError::Interrupted(why) => Error::Failed(
                    ErrorCode::InvalidRequest,
                    format!(
                        "the chunk was interrupted ({why}); nothing of it was kept: resume \
                         from file_offset {offset}"
                    ),
                ),
                StageError::Io(e) => internal("staging an upload chunk failed", e),
            })?;
            if staged.size == 0 {
                return Ok(session);
            }
            let to = offset + staged.size;
            let moved = self
                .store
                .advance_upload_session(p.account_id, &session.id, offset, to)
                .await?;
            if !moved {
                // Another chunk at this offset counted first; this one is dropped.
                let now_at = self.upload_session(p, id).await?;
                return Err(wrong_offset(&now_at, offset));
            }
            tokio::fs::rename(staged.path(), dir.join(part_name(offset)))
                .await
                .map_err(|e| internal("keeping an upload chunk failed", e))?;
            staged.taken();
            if to < session.file_length {
                return Ok(UploadSession {
                    file_offset: to,
                    ..session
                });
            }
        }
        self.finish_upload(
            p,
            UploadSession {
                file_offset: session.file_length,
                ..session
            },
        )
        .await
    }

    /// Joins a session's parts into one file, checks it, keeps it as a media id and
    /// completes the session with a new handle.
    async fn finish_upload(&self, p: &Principal, session: UploadSession) -> Result<UploadSession> {
        let dir = self.media.session_dir(&session.id);
        let parts = match parts_of(&dir, session.file_length).await {
            Ok(parts) => parts,
            Err(why) => {
                // Completed meanwhile by a concurrent request for the same last chunk?
                let fresh = self
                    .store
                    .get_upload_session(p.account_id, &session.id)
                    .await?;
                if fresh.completed.is_some() {
                    return Ok(fresh);
                }
                tracing::warn!(upload = %session.id, why = %why, "upload parts lost");
                self.drop_upload(&session).await;
                return Err(Error::Failed(
                    ErrorCode::InvalidRequest,
                    "this upload's bytes were lost on our side; create a new upload session and \
                     send the file again"
                        .to_owned(),
                ));
            }
        };
        let whole = futures::stream::iter(parts)
            .then(tokio::fs::File::open)
            .map_ok(ReaderStream::new)
            .try_flatten();
        let staged = stage(
            &self.media.staging,
            Box::pin(whole),
            session.file_length,
            SNIFF_BYTES,
        )
        .await
        .map_err(|e| internal("joining upload parts failed", e))?;
        let checked = match check(
            Some(&session.file_type),
            sniff(&staged.prefix),
            staged.size,
            session.file_type.kind(),
        ) {
            Ok(c) => c,
            Err(e) => {
                drop(staged);
                self.drop_upload(&session).await;
                return Err(Error::Failed(
                    e.code,
                    format!(
                        "{}; the upload session was deleted",
                        e.details.replace("`type`", "`file_type`")
                    ),
                ));
            }
        };
        let channel = self
            .store
            .get_channel(p.account_id, session.channel_id)
            .await?;
        let media = self
            .keep(
                p.account_id,
                &channel,
                staged,
                checked.media_type().to_string(),
                Some(session.file_name.clone()),
                MediaOrigin::Upload,
            )
            .await?;
        let done = CompletedUpload {
            media_id: media.id.clone(),
            handle: UploadHandle::generate(&session.file_type),
        };
        let completed = self
            .store
            .complete_upload_session(p.account_id, &session.id, &done, media.expires_at)
            .await?;
        if !completed {
            // A concurrent request completed it first; its media id stands, ours goes.
            self.store
                .delete_media(p.account_id, &media.id, self.now())
                .await?;
            return Ok(self
                .store
                .get_upload_session(p.account_id, &session.id)
                .await?);
        }
        remove_parts(&dir).await;
        tracing::debug!(upload = %session.id, media_id = %media.id, "upload complete");
        Ok(UploadSession {
            completed: Some(done),
            expires_at: media.expires_at,
            ..session
        })
    }

    /// Forgets a refused upload: its session and its parts.
    async fn drop_upload(&self, session: &UploadSession) {
        match self
            .store
            .delete_upload_session(session.account_id, &session.id)
            .await
        {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(e) => tracing::warn!(error.message = %e, "upload session not deleted"),
        }
        remove_parts(&self.media.session_dir(&session.id)).await;
    }

    /// Deletes one batch of sessions expired by `at`, with their parts; answers how many.
    pub async fn collect_upload_sessions(&self, at: Timestamp) -> Result<usize> {
        let ids = self
            .store
            .collect_upload_sessions(at, COLLECT_PER_STEP)
            .await?;
        for id in &ids {
            remove_parts(&self.media.session_dir(id)).await;
        }
        if !ids.is_empty() {
            tracing::info!(sessions = ids.len(), "expired upload sessions collected");
        }
        Ok(ids.len())
    }

    /// The media a handle of ours stands for: a completed upload of the caller's account
    /// whose media id is still live. Anything else is unknown (`MediaNotFound`).
    pub async fn resolve_upload_handle(
        &self,
        p: &Principal,
        handle: &UploadHandle,
    ) -> Result<Media> {
        let session = self.store.find_upload_handle(p.account_id, handle).await?;
        let done = session.completed.ok_or_else(unknown)?;
        self.get_media(p, &done.media_id).await
    }

    /// [`App::resolve_upload_handle`] of a handle given inside a request body (a template
    /// header example, a profile picture): not one of ours is unknown.
    pub(crate) async fn resolve_handle_text(&self, p: &Principal, handle: &str) -> Result<Media> {
        let handle = UploadHandle::parse(handle.trim()).ok_or_else(unknown)?;
        self.resolve_upload_handle(p, &handle).await
    }

    /// The template rule for upload handles: each media header (carousel cards' too) whose
    /// `example.header_handle[0]` looks like one of our handles must name a completed upload
    /// of this account, of a type the header format shows (IMAGE: JPEG or PNG; VIDEO and GIF:
    /// MP4; DOCUMENT: PDF). Other handles are not ours to judge and pass. Errors are Graph 100
    /// naming the field.
    pub(crate) async fn check_header_handles(
        &self,
        p: &Principal,
        draft: &TemplateDraft,
    ) -> Result<()> {
        let mut headers = Vec::new();
        media_headers(draft.components(), "", &mut headers);
        for (field, format, handle) in headers {
            if !UploadHandle::is_ours(handle) {
                continue;
            }
            let media = match self.resolve_handle_text(p, handle).await {
                Ok(m) => m,
                Err(e) if e.code() == ErrorCode::MediaNotFound => {
                    return Err(ValidationError::new(
                        field,
                        format!(
                            "the upload handle {handle} is unknown or expired; upload the sample \
                             with the Resumable Upload API (POST /{{app_id}}/uploads) and give \
                             the handle it answers"
                        ),
                    )
                    .into());
                }
                Err(e) => return Err(e),
            };
            let shows: &[&str] = match format {
                HeaderFormat::Image => &["image/jpeg", "image/png"],
                HeaderFormat::Video | HeaderFormat::Gif => &["video/mp4"],
                HeaderFormat::Document => &["application/pdf"],
                _ => continue,
            };
            if !shows.contains(&media.mime_type.as_str()) {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "the upload handle is a {} file, which a {} header cannot show; it \
                         takes {}",
                        media.mime_type,
                        format.as_str(),
                        shows.join(" or ")
                    ),
                )
                .into());
            }
        }
        Ok(())
    }
}

/// `(field, format, first handle)` of every media header in `components`, carousel cards
/// included, named as the lint names fields.
fn media_headers<'a>(
    components: &'a [Component],
    prefix: &str,
    out: &mut Vec<(String, HeaderFormat, &'a str)>,
) {
    for (i, c) in components.iter().enumerate() {
        match c {
            Component::Header(Header::Media { format, handles }) => {
                if let Some(h) = handles.first() {
                    out.push((
                        format!("{prefix}components[{i}].example.header_handle[0]"),
                        *format,
                        h.as_str(),
                    ));
                }
            }
            Component::Carousel(cards) => {
                for (j, card) in cards.iter().enumerate() {
                    media_headers(
                        &card.components,
                        &format!("{prefix}components[{i}].cards[{j}]."),
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: Option<&str>, len: Option<&str>, ty: Option<&str>) -> Result<NewUpload> {
        NewUpload::parse(name, len, ty)
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Invalid(v) => v.field,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn announced_files_are_checked_like_metas() {
        let ok = parse(Some("C:\\pics\\cat.png"), Some("1234"), Some("image/png")).unwrap();
        assert_eq!(ok.file_name(), "cat.png");
        assert_eq!(ok.file_length(), 1234);
        assert_eq!(ok.file_type(), &MediaType::PNG);
        let jpg = parse(None, Some("10"), Some("image/jpg")).unwrap();
        assert_eq!(jpg.file_type(), &MediaType::JPEG);
        assert_eq!(jpg.file_name(), "upload.jpg");
        for t in ["application/pdf", "video/mp4", "IMAGE/JPEG"] {
            assert!(parse(Some("f"), Some("10"), Some(t)).is_ok(), "{t}");
        }
        for t in ["image/webp", "audio/ogg", "text/plain", "jpeg", ""] {
            let e = parse(Some("f"), Some("10"), Some(t)).unwrap_err();
            assert_eq!(field_of(e), "file_type", "{t}");
        }
        for l in [None, Some("0"), Some("-1"), Some("1.5"), Some("ten")] {
            let e = parse(Some("f"), l, Some("image/png")).unwrap_err();
            assert_eq!(field_of(e), "file_length", "{l:?}");
        }
        // Each type's own limit: an image 5 MB, a video 16 MB, a PDF 100 MB.
        let five = (5 * MB).to_string();
        assert!(parse(None, Some(&five), Some("image/png")).is_ok());
        let over = (5 * MB + 1).to_string();
        let e = parse(None, Some(&over), Some("image/png")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MediaTooLarge);
        assert!(e.to_string().contains("5 MB"), "{e}");
        assert!(parse(None, Some(&(16 * MB).to_string()), Some("video/mp4")).is_ok());
        assert!(parse(None, Some(&(100 * MB).to_string()), Some("application/pdf")).is_ok());
        assert!(
            parse(
                None,
                Some(&(100 * MB + 1).to_string()),
                Some("application/pdf")
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn parts_must_cover_the_file_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(parts_of(&d.join("none"), 4).await.is_err());
        std::fs::write(d.join(part_name(0)), b"ab").unwrap();
        std::fs::write(d.join("upload-123"), b"ignored").unwrap();
        assert_eq!(
            parts_of(d, 4).await.unwrap_err(),
            "2 of 4 bytes are on disk"
        );
        std::fs::write(d.join(part_name(3)), b"d").unwrap();
        assert_eq!(
            parts_of(d, 4).await.unwrap_err(),
            "bytes 2 to 3 are missing"
        );
        std::fs::write(d.join(part_name(2)), b"c").unwrap();
        let parts = parts_of(d, 4).await.unwrap();
        let names: Vec<_> = parts
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, [part_name(0), part_name(2), part_name(3)]);
        assert_eq!(part_name(2), "00000000000000000002");
    }
}
