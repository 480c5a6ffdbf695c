//! 1MSG's callbacks, set with `POST /webhook` or `/settings` `{webhookUrl}`: a user's
//! messages and the acks of sent ones, in one body per POST,
//!
//! ```json
//! {"instanceId": "<channel id>",
//!  "messages": [{…the message item of GET /messages…}],
//!  "ack": [{"id": "wamid.…", "queueNumber": 12, "chatId": "12020721369@c.us",
//!           "status": "delivered", "time": 1765000000}]}
//! ```
//!
//! each key present only when the POST carries such events (other webhook fields a
//! subscription made on `/api/v1/webhooks` asks for come as `events: [{field, value}]`, the
//! value Meta's); `ack` statuses are `sent`,
//! `delivered`, `viewed` and `failed` (with `error`). Delivered by wagate's durable engine
//! (retries, order per message, log, replay) and signed with `X-Hub-Signature-256` like
//! every wagate webhook; 1MSG's receivers may ignore it. No `hub.challenge` handshake.

use serde_json::{Value, json};
use wagate_app::webhooks::render::{RenderContext, Renderer};
use wagate_core::webhook::{ChannelRef, EventData, WebhookEvent, ascii};

use super::wire;

/// The format's name, for subscriptions' `format`.
pub const FORMAT: &str = "1msg";

pub struct Callbacks;

impl Renderer for Callbacks {
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
        let mut messages = Vec::new();
        let mut acks = Vec::new();
        let mut others = Vec::new();
        let mut instance = None;
        for e in events {
            let id = e.channel_id.map(|c| c.to_string()).unwrap_or_default();
            instance.get_or_insert_with(|| id.clone());
            match &e.data {
                EventData::Inbound(i) => {
                    let stored = context.messages.get(&i.message_id);
                    messages.push(match stored {
                        Some(s) => wire::item(&s.message, &id),
                        None => json!({
                            "id": i.wamid.as_str(),
                            "fromMe": false,
                            "chatId": i.wa_id.as_ref().map(wire::chat_id),
                            "author": i.wa_id.as_ref().map(wire::chat_id),
                            "senderName": i.profile_name,
                            "time": i.at.as_second(),
                            "instanceId": id,
                        }),
                    });
                }
                EventData::Status(s) => {
                    let number = context
                        .messages
                        .get(&s.message_id)
                        .map(|m| m.message.number);
                    acks.push(json!({
                        "id": s.wamid.as_str(),
                        "queueNumber": number,
                        "chatId": s.wa_id.as_ref().map(wire::chat_id),
                        "status": wire::ack(s.status),
                        "time": s.at.as_second(),
                        "error": s.error.as_ref().map(|e| json!({"code": e.code, "title": e.title})),
                    }));
                }
                EventData::Other { field, value } => {
                    others.push(json!({"field": field.as_str(), "value": value}));
                }
            }
        }
        let mut body = json!({ "instanceId": instance });
        if !messages.is_empty() {
            body["messages"] = Value::Array(messages);
        }
        if !acks.is_empty() {
            body["ack"] = Value::Array(acks);
        }
        if !others.is_empty() {
            body["events"] = Value::Array(others);
        }
        ascii::to_vec(&body)
    }

    fn wants_messages(&self) -> bool {
        true
    }

    fn verifies_url(&self) -> bool {
        false
    }
}
