//! Payload formats: each renders events into the exact bytes that are signed and POSTed.
//! `cloud` is Meta's; the provider dialects register theirs here.

use std::collections::HashMap;
use std::sync::Arc;

use wagate_core::webhook::{ChannelRef, PayloadFormat, WebhookEvent, ascii, cloud};

pub trait Renderer: Send + Sync {
    /// The body for `events` (all of one channel), as sent.
    fn render(&self, channel: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8>;
}

/// Meta's envelope, ASCII-escaped (receivers such as whatsapp-api-js re-escape before
/// checking the signature, so raw UTF-8 would fail there).
pub struct CloudRenderer;

impl Renderer for CloudRenderer {
    fn render(&self, channel: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8> {
        ascii::to_vec(&cloud::render(channel, events))
    }
}

/// The renderers by format.
#[derive(Clone)]
pub struct Renderers(HashMap<PayloadFormat, Arc<dyn Renderer>>);

impl Default for Renderers {
    fn default() -> Self {
        let mut m: HashMap<PayloadFormat, Arc<dyn Renderer>> = HashMap::new();
        m.insert(PayloadFormat::Cloud, Arc::new(CloudRenderer));
        Self(m)
    }
}

impl Renderers {
    pub fn get(&self, format: PayloadFormat) -> Option<&Arc<dyn Renderer>> {
        self.0.get(&format)
    }
}
