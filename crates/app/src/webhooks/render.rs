//! Payload formats: each renders events into the exact bytes that are signed and POSTed.
//! `cloud` is Meta's; the provider dialects register theirs here.
//!
//! A body is JSON unless its renderer says otherwise ([`Renderer::render_body`] returns a
//! [`Rendered`] with its own content type): a provider whose callbacks carry a user's file
//! as `multipart/form-data` asks for the files ([`Renderer::wants_media`]) and builds its
//! parts with [`Rendered::form_data`]. Bodies are rendered again for every attempt (retries
//! and replays included), from the events and what the store and media store hold then.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use wagate_core::error::ErrorCode;

use wagate_core::content::MessageType;
use wagate_core::ids::{AccountId, ContactCardId, MediaId, MessageId};
use wagate_core::media::Media;
use wagate_core::message::Message;
use wagate_core::webhook::{ChannelRef, EventData, PayloadFormat, WebhookEvent, ascii, cloud};
use wagate_store::MessageCharge;

pub trait Renderer: Send + Sync {
    /// The body for `events` (all of one channel), as sent.
    fn render(&self, channel: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8>;

    /// The body for account-wide `events` (they name no channel: wagate's own `contacts`
    /// field). By default Meta's envelope with the account's id as the entry's `id`; a
    /// dialect whose callbacks carry such events in another shape overrides it.
    fn render_account(&self, account: AccountId, events: &[WebhookEvent]) -> Vec<u8> {
        ascii::to_vec(&cloud::render_account(account, events))
    }

    /// The body for `events` of one channel when the renderer needs more than the events
    /// (see [`Renderer::wants_messages`]): a provider whose callback carries the whole
    /// message object, or the attempt's number. By default [`Renderer::render`].
    fn render_in(
        &self,
        channel: &ChannelRef,
        events: &[WebhookEvent],
        _context: &RenderContext<'_>,
    ) -> Vec<u8> {
        self.render(channel, events)
    }

    /// The body for `events` of one channel with its content type. By default
    /// [`Renderer::render_in`] as `application/json`; a provider whose callbacks are not
    /// JSON (a form with a file part, say) overrides it.
    fn render_body(
        &self,
        channel: &ChannelRef,
        events: &[WebhookEvent],
        context: &RenderContext<'_>,
    ) -> Rendered {
        Rendered::json(self.render_in(channel, events, context))
    }

    /// Whether [`Renderer::render_body`] reads the bytes of the files users sent in the
    /// events ([`RenderContext::media`], loaded from the media store when the POST is made,
    /// up to `[webhooks] max_media_mb` each; a file that is gone, expired or larger is left
    /// out and the renderer sends what it sends without it).
    fn wants_media(&self) -> bool {
        false
    }

    /// Whether [`Renderer::render_in`] reads the messages the events are about (loaded
    /// from the store when the POST is made, so only formats that show them pay for it).
    fn wants_messages(&self) -> bool {
        false
    }

    /// Most events one POST may carry: a provider whose callback is one event says 1,
    /// overriding a subscription's larger `batch_size`.
    fn max_events(&self) -> u32 {
        u32::MAX
    }

    /// Whether a subscription in this format proves its URL with Meta's `hub.challenge`
    /// handshake first. Providers whose receivers know no such handshake say no.
    fn verifies_url(&self) -> bool {
        true
    }
}

/// A message an event is about, as stored when its POST is made, with what providers'
/// message objects show beside it.
#[derive(Debug, Clone)]
pub struct MessageSnapshot {
    pub message: Message,
    /// The contact card of the message's number in the account's contact book.
    pub contact_id: Option<ContactCardId>,
    /// What the message was charged, when it was billable.
    pub charge: Option<MessageCharge>,
}

/// What a POST's renderer may read beyond its events.
pub struct RenderContext<'a> {
    /// Which attempt this POST is: 1 for the first.
    pub attempt: u32,
    /// The events' messages, when the renderer [`wants_messages`](Renderer::wants_messages).
    pub messages: &'a HashMap<MessageId, MessageSnapshot>,
    /// The files users sent in the events, by media id, when the renderer
    /// [`wants_media`](Renderer::wants_media) (see [`media_of`]).
    pub media: &'a HashMap<MediaId, MediaFile>,
}

/// A file a user sent, as kept when the POST is made.
#[derive(Debug, Clone)]
pub struct MediaFile {
    /// Its media id's row: type, size, file name.
    pub media: Media,
    pub bytes: Vec<u8>,
}

/// The media id of the file a user sent in `event` (an inbound image, video, audio,
/// document or sticker), if any.
pub fn media_of(event: &WebhookEvent) -> Option<MediaId> {
    let EventData::Inbound(i) = &event.data else {
        return None;
    };
    match i.content.kind() {
        MessageType::Image
        | MessageType::Video
        | MessageType::Audio
        | MessageType::Document
        | MessageType::Sticker => {}
        _ => return None,
    }
    let id = i.content.body().get("id")?.as_str()?;
    MediaId::parse(id).ok()
}

/// A body as sent: its bytes (signed as they are) and its `content-type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub name: &'a str,
    /// A file part's name and type; `None` for a plain field.
    pub file: Option<(&'a str, &'a str)>,
    pub bytes: &'a [u8],
}

impl Rendered {
    /// A JSON body.
    pub fn json(body: Vec<u8>) -> Self {
        Self {
            content_type: "application/json".to_owned(),
            body,
        }
    }

    /// A `multipart/form-data` body of `parts` (RFC 7578), under a random boundary that
    /// none of them contains. Names and file names are quoted as browsers do (`"`, CR and
    /// LF percent-encoded).
    pub fn form_data(parts: &[Part<'_>]) -> Self {
        let boundary = loop {
            let b = format!("wagate-{:032x}", rand::random::<u128>());
            if !parts.iter().any(|p| contains(p.bytes, b.as_bytes())) {
                break b;
            }
        };
        let mut body = Vec::with_capacity(parts.iter().map(|p| p.bytes.len() + 256).sum());
        for p in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut head = format!("Content-Disposition: form-data; name=\"{}\"", quote(p.name));
            if let Some((filename, content_type)) = p.file {
                head.push_str(&format!(
                    "; filename=\"{}\"\r\nContent-Type: {}",
                    quote(filename),
                    content_type.replace(['\r', '\n'], "")
                ));
            }
            body.extend_from_slice(head.as_bytes());
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(p.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Self {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            body,
        }
    }
}

/// A name inside a quoted Content-Disposition parameter.
fn quote(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Meta's envelope, ASCII-escaped (receivers such as whatsapp-api-js re-escape before
/// checking the signature, so raw UTF-8 would fail there).
pub struct CloudRenderer;

impl Renderer for CloudRenderer {
    fn render(&self, channel: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8> {
        ascii::to_vec(&cloud::render(channel, events))
    }
}

/// The renderers by format: `cloud` from the start, and whatever a dialect registers
/// ([`App::register_payload_format`](crate::App::register_payload_format)). Clones share
/// one registry, so the deliverer sees a format registered after it was built.
#[derive(Clone)]
pub struct Renderers(Arc<RwLock<HashMap<PayloadFormat, Arc<dyn Renderer>>>>);

impl Default for Renderers {
    fn default() -> Self {
        let mut m: HashMap<PayloadFormat, Arc<dyn Renderer>> = HashMap::new();
        m.insert(PayloadFormat::CLOUD, Arc::new(CloudRenderer));
        Self(Arc::new(RwLock::new(m)))
    }
}

impl Renderers {
    pub fn get(&self, format: &PayloadFormat) -> Option<Arc<dyn Renderer>> {
        self.0.read().expect("renderers lock").get(format).cloned()
    }

    /// Adds (or replaces) the renderer of `format`.
    pub fn register(&self, format: PayloadFormat, renderer: Arc<dyn Renderer>) {
        self.0
            .write()
            .expect("renderers lock")
            .insert(format, renderer);
    }

    /// The registered formats, sorted.
    pub fn formats(&self) -> Vec<PayloadFormat> {
        let mut v: Vec<_> = self
            .0
            .read()
            .expect("renderers lock")
            .keys()
            .cloned()
            .collect();
        v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        v
    }

    /// `format` if a renderer is registered under it, else `payload_format_not_found`
    /// naming the registered ones.
    pub fn check(&self, format: &PayloadFormat) -> Result<(), crate::Error> {
        if self.get(format).is_some() {
            return Ok(());
        }
        let known: Vec<String> = self.formats().iter().map(|f| format!("`{f}`")).collect();
        Err(crate::Error::Failed(
            ErrorCode::PayloadFormatNotFound,
            format!(
                "no payload format `{format}` is registered; format must be one of {}",
                known.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    impl Renderer for Plain {
        fn render(&self, _: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8> {
            events.len().to_string().into_bytes()
        }
    }

    #[test]
    fn form_data_has_the_parts_under_a_boundary_they_do_not_contain() {
        let r = Rendered::form_data(&[
            Part {
                name: "json",
                file: None,
                bytes: br#"{"a":1}"#,
            },
            Part {
                name: "file1",
                file: Some(("my \"cat\"\r\n.png", "image/png")),
                bytes: b"\x89PNG\r\n--",
            },
        ]);
        let boundary = r
            .content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let mut expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{{\"a\":1}}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file1\"; \
             filename=\"my %22cat%22%0D%0A.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        expected.extend_from_slice(b"\x89PNG\r\n--\r\n");
        expected.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(r.body, expected);
        assert!(!contains(b"\x89PNG\r\n--", boundary.as_bytes()));
        assert!(boundary.starts_with("wagate-"));
    }

    #[test]
    fn a_registered_format_is_known_to_every_clone() {
        let renderers = Renderers::default();
        let deliverers_copy = renderers.clone();
        let plain = PayloadFormat::parse("plain").unwrap();
        let err = deliverers_copy.check(&plain).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadFormatNotFound);
        assert!(format!("{err:?}").contains("`cloud`"), "{err:?}");
        renderers.register(plain.clone(), Arc::new(Plain));
        assert!(deliverers_copy.check(&plain).is_ok());
        assert_eq!(deliverers_copy.formats(), vec![PayloadFormat::CLOUD, plain]);
    }
}
