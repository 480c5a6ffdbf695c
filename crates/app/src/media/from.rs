//! Media from a URL or from base64, in one call: what the providers' APIs (the dialects)
//! take where the Cloud API wants an upload first — a file `link` to send from a local
//! copy, a template header sample or a profile picture by URL, a file inline as base64.
//!
//! # Model
//! [`App::media_from`] takes a [`MediaFrom`]: the source ([`Source::Link`] or
//! [`Source::Inline`]), an optional declared type and file name, and what to keep the file
//! as ([`KeepAs`]):
//! 1. **Bytes.** A link is fetched by the one media fetcher, under its SSRF guard, size cap
//!    and deadline (see [`super::fetch`]); inline text is a `data:` URI or bare base64
//!    ([`wagate_core::media::data_uri::parse_inline`]), refused when it is not valid base64
//!    or holds more than the largest media kind takes.
//! 2. **Type.** Read from the bytes, as for any upload. A declared type — the caller's, else
//!    the `data:` URI's — must agree with them (a PNG declared `application/pdf` is refused,
//!    [`ErrorCode::MediaTypeMismatch`]). A link server's `Content-Type` is believed only for
//!    bytes that carry no signature of their own (plain text, CSV), where it is all there is.
//! 3. **Keeping.** The checked file is kept like an upload ([`App::store_upload`]: a media id
//!    of the channel's, 30 days). [`KeepAs::UploadHandle`] also answers a Resumable Upload
//!    handle for it (`4::…`, as `POST /upload:…` would; only Meta's resumable types: PDF,
//!    JPEG, PNG, MP4), which template headers and profile pictures name. For a cloud channel
//!    the handle is Meta's: the file is uploaded to Meta's Resumable Upload API with the
//!    channel's token (the channel needs `upstream.app_id`), since the call naming it goes
//!    to Meta. A media id needs nothing from Meta: sends carry it to Meta themselves.
//!
//! Nothing is kept when any step fails.

use bytes::Bytes;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::MediaId;
use wagate_core::media::data_uri::parse_inline;
use wagate_core::media::{MediaKind, MediaType, sniff};
use wagate_store::{CompletedUpload, Media, UploadHandle, UploadSession, UploadSessionId};

use super::UploadMeta;
use super::resumable::RESUMABLE_TYPES;
use crate::error::{Error, Result};
use crate::{App, Principal};

/// Where the file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An `http`/`https` URL, fetched under the SSRF guard.
    Link(String),
    /// A `data:` URI or bare base64.
    Inline(String),
}

/// What the caller needs the file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAs {
    MediaId,
    /// A media id and a Resumable Upload handle (Meta's for a cloud channel).
    UploadHandle,
}

/// A request to keep a file from a URL or base64.
#[derive(Debug, Clone)]
pub struct MediaFrom {
    pub source: Source,
    /// The type the caller says the file is (checked against its bytes).
    pub declared: Option<String>,
    /// The file name to keep (else the link's last path segment).
    pub filename: Option<String>,
    pub keep_as: KeepAs,
}

/// The kept file.
#[derive(Debug, Clone)]
pub struct Obtained {
    pub media: Media,
    /// The Resumable Upload handle, when [`KeepAs::UploadHandle`] was asked.
    pub handle: Option<String>,
}

/// The largest file any media kind takes.
fn max_bytes() -> u64 {
    MediaKind::ALL
        .iter()
        .map(|k| k.max_bytes())
        .max()
        .unwrap_or(0)
}

impl App {
    /// Fetches or decodes a file, checks it and keeps it (see the module docs).
    pub async fn media_from(
        &self,
        p: &Principal,
        channel: &Channel,
        req: MediaFrom,
    ) -> Result<Obtained> {
        let max = max_bytes();
        let mut declared = req
            .declared
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        let mut filename = req.filename.clone();
        let bytes =
            match &req.source {
                Source::Link(url) => {
                    let fetched =
                        self.media.fetcher().fetch(url, max).await.map_err(|e| {
                            Error::Failed(ErrorCode::MediaUploadError, e.to_string())
                        })?;
                    if declared.is_none() && sniff(&fetched.bytes).is_none() {
                        declared = fetched
                            .content_type
                            .as_deref()
                            .and_then(|t| t.split(';').next())
                            .map(|t| t.trim().to_owned());
                    }
                    if filename.is_none() {
                        filename = link_file_name(&fetched.final_url);
                    }
                    fetched.bytes
                }
                Source::Inline(text) => {
                    let inline = parse_inline(text, max)
                        .map_err(|e| Error::Failed(e.code, format!("data: {}", e.details)))?;
                    if declared.is_none() {
                        declared = inline.media_type.map(|t| t.to_string());
                    }
                    inline.bytes
                }
            };
        if req.keep_as == KeepAs::UploadHandle {
            check_resumable(&bytes, declared.as_deref())?;
        }
        let staged = self
            .stage_media(futures::stream::iter([Ok::<_, std::io::Error>(
                Bytes::from(bytes),
            )]))
            .await?;
        let media = self
            .store_upload(p, channel, staged, UploadMeta { filename, declared })
            .await?;
        let handle = match req.keep_as {
            KeepAs::MediaId => None,
            KeepAs::UploadHandle => Some(self.handle_for(p, channel, &media).await?),
        };
        Ok(Obtained { media, handle })
    }

    /// A file sent with a request (a template's header sample) kept as a media id and a
    /// Resumable Upload handle, as [`App::media_from`] keeps a fetched one; refused, with
    /// nothing kept, unless it is a PDF, JPEG, PNG or MP4.
    pub async fn upload_as_handle(
        &self,
        p: &Principal,
        channel: &Channel,
        staged: crate::media::staging::Staged,
        meta: UploadMeta,
    ) -> Result<Obtained> {
        check_resumable(&staged.prefix, meta.declared.as_deref())?;
        let media = self.store_upload(p, channel, staged, meta).await?;
        let handle = self.handle_for(p, channel, &media).await?;
        Ok(Obtained {
            media,
            handle: Some(handle),
        })
    }

    /// A Resumable Upload handle for a file the caller already uploaded (`id`, one of its
    /// live media ids), as [`KeepAs::UploadHandle`] gives one for a fetched file: what a
    /// template header sample needs when an API names the sample by media id. Only Meta's
    /// resumable types (PDF, JPEG, PNG, MP4) get one.
    pub async fn upload_handle_for_media(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &MediaId,
    ) -> Result<String> {
        let media = self.get_media(p, id).await?;
        let t = MediaType::parse(&media.mime_type).ok();
        if !t.as_ref().is_some_and(|t| RESUMABLE_TYPES.contains(t)) {
            return Err(Error::Failed(
                ErrorCode::MediaTypeNotSupported,
                format!(
                    "an upload handle is for application/pdf, image/jpeg, image/png or video/mp4 \
                     files; media {id} is {}",
                    media.mime_type
                ),
            ));
        }
        self.handle_for(p, channel, &media).await
    }

    /// A Resumable Upload handle for a kept file: a completed session of ours, or, for a
    /// cloud channel, Meta's handle for the same bytes. The media id stays either way.
    async fn handle_for(&self, p: &Principal, channel: &Channel, media: &Media) -> Result<String> {
        if let Upstream::Cloud(settings) = &channel.upstream {
            let Some(app_id) = settings.app_id.as_deref() else {
                return Err(ValidationError::new(
                    "upstream.app_id",
                    "a cloud channel needs its Meta app's id to upload a file for a handle",
                )
                .into());
            };
            let bytes = self.media_bytes(media).await?;
            let filename = media.filename.clone().unwrap_or_else(|| "file".to_owned());
            return self
                .cloud
                .upload_for_handle(settings, app_id, bytes, &media.mime_type, &filename)
                .await
                .map_err(|e| {
                    Error::Failed(
                        ErrorCode::MediaUploadError,
                        format!("Meta did not take the file: {}", e.message_error().details),
                    )
                });
        }
        let file_type =
            MediaType::parse(&media.mime_type).map_err(|e| Error::Failed(e.code, e.details))?;
        let done = CompletedUpload {
            media_id: media.id.clone(),
            handle: UploadHandle::generate(&file_type),
        };
        let session = UploadSession {
            id: UploadSessionId::generate(),
            account_id: p.account_id,
            channel_id: channel.id,
            file_name: media.filename.clone().unwrap_or_else(|| "file".to_owned()),
            file_length: media.file_size,
            file_type,
            file_offset: media.file_size,
            completed: Some(done.clone()),
            created_at: media.created_at,
            expires_at: media.expires_at,
        };
        self.store.create_upload_session(session).await?;
        Ok(done.handle.as_str().to_owned())
    }

    /// A kept file's bytes.
    async fn media_bytes(&self, media: &Media) -> Result<Vec<u8>> {
        use tokio::io::AsyncReadExt as _;
        let mut bytes = Vec::with_capacity(usize::try_from(media.file_size).unwrap_or(0));
        let mut reader = self
            .media
            .blobs
            .open(&media.storage_key)
            .await
            .map_err(|e| Error::Failed(ErrorCode::Internal, format!("reading media: {e}")))?
            .ok_or_else(|| Error::Failed(ErrorCode::Internal, "the media file is gone".into()))?;
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| Error::Failed(ErrorCode::Internal, format!("reading media: {e}")))?;
        Ok(bytes)
    }
}

/// A handle is only for Meta's resumable types; checked before anything is kept.
fn check_resumable(bytes: &[u8], declared: Option<&str>) -> Result<()> {
    let real = sniff(bytes).map(|s| s.media_type().clone());
    let t = real.or_else(|| declared.and_then(|d| MediaType::parse(d).ok()));
    match t {
        Some(t) if RESUMABLE_TYPES.contains(&t) => Ok(()),
        _ => Err(Error::Failed(
            ErrorCode::MediaTypeNotSupported,
            format!(
                "an upload handle is for application/pdf, image/jpeg, image/png or video/mp4 \
                 files; this one is {}",
                t.map_or_else(
                    || "of no type wagate recognises".to_owned(),
                    |t| t.to_string()
                )
            ),
        )),
    }
}

/// The last path segment of a URL, when it looks like a file name.
fn link_file_name(url: &str) -> Option<String> {
    let path = reqwest::Url::parse(url).ok()?.path().to_owned();
    let last = path.rsplit('/').next()?.trim();
    let decoded = percent_decode(last);
    (!decoded.is_empty() && decoded.len() <= 240).then_some(decoded)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_links_path() {
        assert_eq!(
            link_file_name("https://cdn.example/a/b/Price%20list.pdf?x=1").as_deref(),
            Some("Price list.pdf")
        );
        assert_eq!(link_file_name("https://cdn.example/"), None);
        assert_eq!(link_file_name("not a url"), None);
    }

    #[test]
    fn handles_are_for_resumable_types_only() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(check_resumable(png, None).is_ok());
        let e = check_resumable(b"OggS\0\x02", None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MediaTypeNotSupported);
        // Bytes of no known type: the declared type decides (the upload's own check
        // then judges it); bytes of a known type: theirs does.
        let unknown = b"\x00\x01\x02\xfe\xff";
        assert!(check_resumable(unknown, Some("application/pdf")).is_ok());
        assert!(check_resumable(unknown, Some("text/plain")).is_err());
        assert!(check_resumable(b"hello", Some("application/pdf")).is_err());
    }
}
