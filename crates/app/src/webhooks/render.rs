//! Payload formats: each renders events into the exact bytes that are signed and POSTed.
//! `cloud` is Meta's; the provider dialects register theirs here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use wagate_core::error::ErrorCode;

use wagate_core::ids::{AccountId, ContactCardId, MessageId};
use wagate_core::message::Message;
use wagate_core::webhook::{ChannelRef, PayloadFormat, WebhookEvent, ascii, cloud};
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
