//! The Project API's callbacks (§23): one event per POST,
//!
//! ```json
//! {"id": "<event id>", "created_at": "2024-01-23T06:39:30.730Z",
//!  "topic": "message.sender.user" | "message.status.updated",
//!  "project_id": "<channel id>", "delivery_attempt": "1",
//!  "data": {"message": { …the §7 message object… }}}
//! ```
//!
//! A user's message is `message.sender.user`; a status change of a sent message is
//! `message.status.updated`, its object showing the status the event reports. Other
//! webhook fields a subscription may ask for (template status and the like) come as topic
//! `whatsapp.<field>` with Meta's `value` under `data.value`. Delivered by wagate's durable
//! engine (retries, order per message, log, replay) and signed with `X-Hub-Signature-256`
//! like every wagate webhook; receivers may ignore the signature. A subscription in this
//! format makes no `hub.challenge` handshake: the provider's receivers know none.

use serde_json::{Value, json};
use wagate_app::webhooks::render::{RenderContext, Renderer};
use wagate_core::message::MessageStatus;
use wagate_core::webhook::{ChannelRef, EventData, WebhookEvent, ascii};

use super::wire::message::{self, Beside};

/// The format's name, for subscriptions' `format`.
pub const FORMAT: &str = "redington";

pub struct ProjectCallbacks;

impl ProjectCallbacks {
    fn event(&self, event: &WebhookEvent, context: &RenderContext<'_>) -> Value {
        let project = event.channel_id.map(|c| c.to_string());
        let (topic, data) = match &event.data {
            EventData::Inbound(_) | EventData::Status(_) => {
                let topic = if matches!(event.data, EventData::Inbound(_)) {
                    "message.sender.user".to_owned()
                } else {
                    "message.status.updated".to_owned()
                };
                (topic, json!({ "message": self.message(event, context) }))
            }
            EventData::Other { field, value } => (
                format!("whatsapp.{}", field.as_str()),
                json!({ "value": value }),
            ),
        };
        json!({
            "id": event.id.to_string(),
            "created_at": event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "topic": topic,
            "project_id": project,
            "delivery_attempt": context.attempt.to_string(),
            "data": data,
        })
    }

    /// The message object, from the stored message with the event's status; from the
    /// event alone if the message could not be read.
    fn message(&self, event: &WebhookEvent, context: &RenderContext<'_>) -> Value {
        let id = event.data.message_id();
        let snapshot = id.and_then(|id| context.messages.get(&id));
        match (snapshot, event.channel_id) {
            (Some(s), Some(project)) => {
                let mut m = s.message.clone();
                if let EventData::Status(st) = &event.data {
                    // The object as of this status: later times are not known yet.
                    m.status = st.status;
                    if matches!(st.status, MessageStatus::Sent | MessageStatus::Failed) {
                        m.delivered_at = None;
                    }
                    if st.status != MessageStatus::Read {
                        m.read_at = None;
                    }
                    if st.status == MessageStatus::Failed {
                        m.error = st.error.clone().or(m.error);
                    }
                }
                message::object(
                    project,
                    &m,
                    Beside {
                        contact_id: s.contact_id,
                        charge: s.charge.as_ref(),
                    },
                )
            }
            _ => match &event.data {
                EventData::Status(s) => json!({
                    "type": "message",
                    "id": s.message_id.to_string(),
                    "phone_number": s.wa_id.as_ref().map(|w| w.digits()),
                    "status": message::status(s.status),
                    "messageId": s.wamid.as_str(),
                }),
                EventData::Inbound(i) => json!({
                    "type": "message",
                    "id": i.message_id.to_string(),
                    "phone_number": i.wa_id.as_ref().map(|w| w.digits()),
                    "sender": "USER",
                    "messageId": i.wamid.as_str(),
                }),
                EventData::Other { .. } => Value::Null,
            },
        }
    }
}

impl Renderer for ProjectCallbacks {
    fn render(&self, channel: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8> {
        let messages = Default::default();
        let context = RenderContext {
            attempt: 1,
            messages: &messages,
            media: &Default::default(),
        };
        self.render_in(channel, events, &context)
    }

    fn render_in(
        &self,
        _channel: &ChannelRef,
        events: &[WebhookEvent],
        context: &RenderContext<'_>,
    ) -> Vec<u8> {
        // One event per POST (`max_events`); an empty batch renders nothing.
        let body = events
            .first()
            .map_or(Value::Null, |e| self.event(e, context));
        ascii::to_vec(&body)
    }

    fn wants_messages(&self) -> bool {
        true
    }

    fn max_events(&self) -> u32 {
        1
    }

    fn verifies_url(&self) -> bool {
        false
    }
}
