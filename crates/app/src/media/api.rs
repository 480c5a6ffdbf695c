//! The media operations of the Cloud plane: upload, read (Meta's object with a signed URL),
//! download and delete. See the module docs of [`super`] for the model.

use bytes::Bytes;
use futures::Stream;
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{AccountId, MediaId};
use wagate_core::media::{DeclaredType, MediaError, MediaKind, SNIFF_BYTES, check, sniff};
use wagate_store::{Entity, Media, MediaOrigin, StoreError};

use super::blob::content_key;
use super::staging::{StageError, Staged, stage};
use crate::error::{Error, Result};
use crate::{App, Principal};

/// What a client said about an uploaded file besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct UploadMeta {
    /// The file name as sent (a whole path is cut to its last part).
    pub filename: Option<String>,
    /// The `type` field, else the part's Content-Type (`application/octet-stream` ignored).
    pub declared: Option<String>,
}

/// Meta's media object: what `GET /{media_id}` answers.
#[derive(Debug, Clone)]
pub struct MediaInfo {
    pub media: Media,
    /// A URL serving the bytes until it expires.
    pub url: String,
}

fn media_error(e: MediaError) -> Error {
    Error::Failed(e.code, e.details)
}

fn not_found() -> Error {
    StoreError::NotFound(Entity::Media).into()
}

impl App {
    /// Streams an upload's bytes into a staging file (at most the largest kind's limit).
    pub async fn stage_media<S, E>(&self, body: S) -> Result<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let max = MediaKind::ALL
            .iter()
            .map(|k| k.max_bytes())
            .max()
            .unwrap_or(0);
        stage(&self.media.staging, body, max, SNIFF_BYTES)
            .await
            .map_err(|e| match e {
                StageError::TooLarge { max } => Error::Failed(
                    ErrorCode::MediaTooLarge,
                    format!(
                        "the file is over {} MB, the largest any media kind may be",
                        max / (1024 * 1024)
                    ),
                ),
                StageError::Interrupted(why) => Error::Failed(
                    ErrorCode::InvalidRequest,
                    format!("the upload was interrupted: {why}"),
                ),
                StageError::Io(e) => Error::Failed(ErrorCode::Internal, e.to_string()),
            })
    }

    /// Checks a staged upload (type from its bytes against what was declared, the kind's
    /// size limit), keeps its bytes and answers the new media id. Nothing is kept when a
    /// check fails.
    pub async fn store_upload(
        &self,
        p: &Principal,
        channel: &Channel,
        staged: Staged,
        meta: UploadMeta,
    ) -> Result<Media> {
        let declared = match meta.declared.as_deref().map(str::trim) {
            None | Some("") | Some("application/octet-stream") => None,
            Some(s) => Some(DeclaredType::parse(s).map_err(media_error)?),
        };
        let sniffed = sniff(&staged.prefix);
        let checked = check(
            declared.as_ref().and_then(DeclaredType::media_type),
            sniffed,
            staged.size,
            declared.as_ref().and_then(DeclaredType::kind),
        )
        .map_err(media_error)?;
        self.keep(
            p.account_id,
            channel,
            staged,
            checked.media_type().to_string(),
            filename(meta.filename.as_deref()),
            MediaOrigin::Upload,
        )
        .await
    }

    /// Moves checked bytes into the store and writes their media id.
    pub(crate) async fn keep(
        &self,
        account: AccountId,
        channel: &Channel,
        staged: Staged,
        mime_type: String,
        filename: Option<String>,
        origin: MediaOrigin,
    ) -> Result<Media> {
        let days = match origin {
            MediaOrigin::Upload => self.media.config.retention_days,
            MediaOrigin::Inbound => self.media.config.inbound_retention_days,
        };
        let created = self.now();
        let key = content_key(&staged.sha256);
        let media = Media {
            id: MediaId::generate(),
            account_id: account,
            channel_id: channel.id,
            origin,
            mime_type,
            sha256: staged.sha256.clone(),
            file_size: staged.size,
            filename,
            storage_key: key.clone(),
            created_at: created,
            expires_at: created + jiff::SignedDuration::from_hours(24 * i64::from(days)),
        };
        self.media
            .blobs
            .put_file(&key, staged.path())
            .await
            .map_err(|e| Error::Failed(ErrorCode::Internal, format!("storing media: {e}")))?;
        staged.taken();
        let media = self.store.create_media(media).await?;
        tracing::debug!(media_id = %media.id, size = media.file_size, "media stored");
        Ok(media)
    }

    /// One of the account's live media ids (expired ones are unknown).
    pub async fn get_media(&self, p: &Principal, id: &MediaId) -> Result<Media> {
        let media = self.store.get_media(p.account_id, id).await?;
        if media.expires_at <= self.now() || !p.can_use(media.channel_id) {
            return Err(not_found());
        }
        Ok(media)
    }

    /// Meta's media object with a download URL on `base_url`.
    pub async fn media_info(
        &self,
        p: &Principal,
        id: &MediaId,
        base_url: &str,
    ) -> Result<MediaInfo> {
        let media = self.get_media(p, id).await?;
        let expires = self.now().as_second() + i64::from(self.media.config.url_ttl_secs);
        let url = self.media.signer.url(
            base_url,
            &media.account_id.to_string(),
            media.id.as_str(),
            expires,
        );
        Ok(MediaInfo { media, url })
    }

    pub async fn delete_media(&self, p: &Principal, id: &MediaId) -> Result<()> {
        let media = self.get_media(p, id).await?;
        self.store
            .delete_media(p.account_id, &media.id, self.now())
            .await?;
        Ok(())
    }

    /// The bytes of a signed download URL's media, if the signature holds and has not
    /// expired.
    pub async fn open_signed_media(
        &self,
        account: &str,
        id: &str,
        expires: i64,
        signature: &str,
    ) -> Result<(Media, super::blob::Reader)> {
        let at = self.now();
        if !self
            .media
            .signer
            .verify(account, id, expires, signature, at.as_second())
        {
            return Err(Error::Failed(
                ErrorCode::MediaUrlExpired,
                "this media URL expired or its signature is wrong; get a new one with GET /{media_id}"
                    .to_owned(),
            ));
        }
        let account: AccountId = account.parse().map_err(|_| not_found())?;
        let id = MediaId::parse(id).map_err(|_| not_found())?;
        let media = self.store.get_media(account, &id).await?;
        if media.expires_at <= at {
            return Err(not_found());
        }
        let file = self.media_reader(&media).await?;
        Ok((media, file))
    }

    /// The bytes of one of the principal's live media ids (the console's media previews,
    /// scoped to the signed-in key as `GET /{media_id}` is).
    pub async fn open_media(
        &self,
        p: &Principal,
        id: &MediaId,
    ) -> Result<(Media, super::blob::Reader)> {
        let media = self.get_media(p, id).await?;
        let file = self.media_reader(&media).await?;
        Ok((media, file))
    }

    async fn media_reader(&self, media: &Media) -> Result<super::blob::Reader> {
        self.media
            .blobs
            .open(&media.storage_key)
            .await
            .map_err(|e| Error::Failed(ErrorCode::Internal, format!("reading media: {e}")))?
            .ok_or_else(|| {
                Error::Failed(
                    ErrorCode::Internal,
                    format!(
                        "media {} has no bytes under {}",
                        media.id, media.storage_key
                    ),
                )
            })
    }

    /// Checks a message's media `id` at accept time: one of the account's live media ids,
    /// of a file `kind` can carry (a document carries any file). Errors are Graph 100 with
    /// the field named, as Meta answers an unknown id.
    pub(crate) async fn check_media_ref(
        &self,
        p: &Principal,
        kind: MediaKind,
        field: &str,
        id: &str,
    ) -> Result<Media> {
        let unknown = || {
            Error::Invalid(wagate_core::error::ValidationError::new(
                field,
                format!(
                    "media id {id} does not exist, expired, or is not this account's; upload the file with POST /{{phone_number_id}}/media"
                ),
            ))
        };
        let parsed = MediaId::parse(id).map_err(|_| unknown())?;
        let media = match self.get_media(p, &parsed).await {
            Ok(m) => m,
            Err(e) if e.code() == ErrorCode::MediaNotFound => return Err(unknown()),
            Err(e) => return Err(e),
        };
        let own = wagate_core::media::MediaType::parse(&media.mime_type)
            .ok()
            .and_then(|t| t.kind());
        if kind != MediaKind::Document && own != Some(kind) {
            return Err(Error::Invalid(wagate_core::error::ValidationError::new(
                field,
                format!(
                    "media id {id} is {}, which cannot be sent as {kind}",
                    media.mime_type
                ),
            )));
        }
        Ok(media)
    }

    /// The media collector over this app's store and bytes.
    pub fn media_collector(&self) -> super::MediaCollector {
        super::MediaCollector::new(self.store.clone(), self.media.blobs.clone())
    }
}

/// A client's file name without any path (clients send `C:\\Users\\me\\cat.png` or
/// `/tmp/cat.png`), at most 240 characters; `None` when nothing is left.
fn filename(raw: Option<&str>) -> Option<String> {
    let name = raw?.rsplit(['/', '\\']).next()?.trim();
    let name: String = name.chars().filter(|c| !c.is_control()).take(240).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::filename;

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(filename(Some("/tmp/a/cat.png")).as_deref(), Some("cat.png"));
        assert_eq!(
            filename(Some("C:\\Users\\me\\report.pdf")).as_deref(),
            Some("report.pdf")
        );
        assert_eq!(filename(Some("plain.txt")).as_deref(), Some("plain.txt"));
        assert_eq!(filename(Some("dir/")), None);
        assert_eq!(filename(None), None);
    }
}
