//! The simulated network's own surface: a virtual user sends a message to a sandbox channel.
//!
//! A media message's file is real: its bytes (downloaded from a `link`, decoded from a
//! `data:` URI, or a small sample file) are checked like an upload and kept as an inbound
//! media id (7 days, like Meta's), whose id, type and SHA-256 the message carries, so the
//! webhook's media id answers `GET /{media_id}` and downloads ([`crate::media`]).

use wagate_core::Timestamp;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::MessageId;
use wagate_core::media::data_uri::DataUri;
use wagate_core::media::{MediaKind, MediaType};
use wagate_core::message::{Message, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_store::ContactKey;
use wagate_upstream::sandbox;

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};
use crate::media::inbound::{sample, webhook_sha256};

/// Command: a virtual user sends `content` to a sandbox channel.
#[derive(Debug, Clone)]
pub struct InjectInbound {
    pub from: PhoneE164,
    /// Meta-style id; generated when absent.
    pub wamid: Option<Wamid>,
    /// When it was sent; now when absent.
    pub at: Option<Timestamp>,
    pub content: Content,
    /// The business message replied to (`context.id`).
    pub context: Option<Wamid>,
    pub profile_name: Option<String>,
    /// The file of a media message (ignored for other types).
    pub media: Option<InboundMedia>,
}

/// The file a virtual user sends with a media message.
#[derive(Debug, Clone)]
pub struct InboundMedia {
    pub file: InboundFile,
    /// The type the injection names (`mime_type`, or the `data:` URI's); the bytes must
    /// agree with it.
    pub declared: Option<MediaType>,
}

/// Where the bytes of a file a virtual user sends come from.
#[derive(Debug, Clone)]
pub enum InboundFile {
    /// Nothing given: a small sample file of the declared type, else of the kind's usual
    /// one (image: PNG, video: MP4, audio: Ogg Opus, document: PDF, sticker: WebP).
    Sample,
    /// Downloaded through the media fetcher (`[media.fetch]`: SSRF guard, timeouts, the
    /// kind's size cap).
    Link(String),
    /// Decoded from a `data:` URI.
    Data(DataUri),
}

impl App {
    /// Stores the message as received on `channel`, which must be a sandbox channel: the
    /// contact is created or renewed (opening the service window), STOP/START recorded.
    pub async fn inject_inbound(
        &self,
        _p: &Principal,
        channel: &Channel,
        cmd: InjectInbound,
    ) -> Result<Message> {
        let Upstream::Sandbox(settings) = &channel.upstream else {
            return Err(ValidationError::new(
                "phone_number_id",
                "only sandbox channels have virtual users; this channel's upstream is cloud",
            )
            .into());
        };
        let known = self
            .store
            .find_contact(channel.id, &ContactKey::WaId(cmd.from.clone()))
            .await?
            .is_some();
        // A first message always carries a name, as on WhatsApp; later ones keep the known one.
        let name = cmd
            .profile_name
            .or_else(|| settings.user(&cmd.from).name)
            .or_else(|| (!known).then(|| sandbox::default_name(&cmd.from)));
        let mut content = cmd.content;
        self.check_order(channel, &content).await?;
        if let Some(media) = cmd.media
            && content.kind().is_media()
        {
            self.attach_inbound_media(channel, &mut content, media)
                .await?;
        }
        let mut new = sandbox::inbound(
            channel,
            &cmd.from,
            name,
            content,
            cmd.context,
            cmd.at.unwrap_or_else(|| self.now()),
        );
        if let Some(wamid) = cmd.wamid {
            new.wamid = wamid;
            new.id = MessageId::generate();
        }
        let message = self.store.ingest_inbound(new).await?;
        metrics::counter!("wagate_message_status_total", "status" => "received").increment(1);
        Ok(message)
    }
}

impl App {
    /// Keeps the file of a media message a virtual user sends and puts its media id, type
    /// and SHA-256 (base64, as in Meta's webhooks) into `content`. Nothing is kept when the
    /// file is refused. A message that is then not stored (a duplicate `id`) leaves its
    /// media id to expire.
    pub(crate) async fn attach_inbound_media(
        &self,
        channel: &Channel,
        content: &mut Content,
        media: InboundMedia,
    ) -> Result<()> {
        let kind = MediaKind::try_from(content.kind())
            .map_err(|t| ValidationError::new("type", format!("{t} carries no media file")))?;
        let declared = media.declared.as_ref();
        let bytes = match media.file {
            InboundFile::Sample => sample(kind, declared)?,
            InboundFile::Link(link) => {
                self.media
                    .fetcher
                    .fetch(&link, kind.max_bytes())
                    .await
                    .map_err(|e| Error::Failed(ErrorCode::MediaUploadError, e.details()))?
                    .bytes
            }
            InboundFile::Data(data) => data.bytes,
        };
        let filename = content
            .body()
            .get("filename")
            .and_then(serde_json::Value::as_str)
            .filter(|_| kind == MediaKind::Document)
            .map(str::to_owned);
        let kept = self
            .keep_inbound(channel, kind, declared, bytes, filename)
            .await?;
        if let Some(body) = content.body_mut().as_object_mut() {
            // What the injection said about the file gives way to the file itself.
            for key in ["link", "data", "url"] {
                body.remove(key);
            }
            body.insert("id".into(), kept.media.id.as_str().into());
            body.insert("mime_type".into(), kept.mime_type.into());
            body.insert("sha256".into(), webhook_sha256(&kept.media.sha256).into());
            if kind == MediaKind::Sticker {
                body.insert("animated".into(), kept.animated.into());
            }
        }
        Ok(())
    }
}
