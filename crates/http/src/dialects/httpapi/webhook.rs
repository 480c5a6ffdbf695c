//! The HTTP API's callbacks (§8): flat JSON, one event per POST.
//!
//! ```json
//! {"reportType": "delivery", "clientID": "<account id>", "instanceID": "<channel id>",
//!  "messageID": "<message id>", "waMessageID": "<wamid>", "phone": "9193…", "waID": "9193…",
//!  "status": 4, "statusInfo": "Read", "createdAt": "2026-12-07T10:00:00Z"}
//! {"reportType": "inbox", "clientID": …, "instanceID": …, "messageID": …, "phone": "9193…",
//!  "waID": "9193…@s.whatsapp.net", "waMessageID": …, "type": "text", "value": "Hello",
//!  "status": 3, "statusInfo": "Delivered", "createdAt": …}
//! ```
//!
//! Statuses are the reports' numbers ([`super::reports::status_of`]); a failed delivery
//! adds `statusMessageInfo` with the reason. An inbound text's `value` is its text; a file's
//! is `{"caption", "type": <MIME type>, "id": <media id>}`; other types carry their Cloud
//! API object. Other webhook fields come as `reportType: "<field>"` with Meta's `value`.
//!
//! **Files users send** come as the seed's `multipart/form-data`: a `json` field holding the
//! inbox payload above and a `file1` file part with the bytes, the file's name (the one the
//! user gave a document, else `<media id>.<extension>`) and its MIME type. The engine loads
//! the bytes from the media store for each attempt ([`Renderer::wants_media`]), so retries
//! and replays attach them again. A file it cannot attach — expired (7 days after it came),
//! deleted, or over `[webhooks] max_media_mb` (100 MB) — comes as the JSON inbox payload
//! alone, whose `value.id` still names it (`GET /v23.0/{media id}` while it lives).
//!
//! No signature is asked of receivers (wagate still sends `X-Hub-Signature-256` over the
//! exact bytes, multipart or not), and a subscription in this format makes no
//! `hub.challenge` handshake. Subscribe with `POST /api/v1/webhooks` and
//! `"format": "httpapi"`.

use serde_json::{Value, json};
use wagate_app::webhooks::render::{Part, RenderContext, Rendered, Renderer, media_of};
use wagate_core::content::MessageType;
use wagate_core::media::MediaType;
use wagate_core::webhook::{ChannelRef, EventData, WebhookEvent, ascii};

use super::reports::status_number;

/// The format's name, for subscriptions' `format`.
pub const FORMAT: &str = "httpapi";

pub struct FlatCallbacks;

/// An inbound message's `type` and `value`.
fn inbound_value(kind: MessageType, body: &Value) -> Value {
    match kind {
        MessageType::Text => body.get("body").cloned().unwrap_or(Value::Null),
        MessageType::Image
        | MessageType::Video
        | MessageType::Audio
        | MessageType::Document
        | MessageType::Sticker => json!({
            "caption": body.get("caption").and_then(Value::as_str).unwrap_or_default(),
            "type": body.get("mime_type").cloned().unwrap_or(Value::Null),
            "id": body.get("id").cloned().unwrap_or(Value::Null),
        }),
        _ => body.clone(),
    }
}

impl FlatCallbacks {
    fn event(&self, event: &WebhookEvent) -> Value {
        let mut out = json!({
            "clientID": event.account_id.to_string(),
            "instanceID": event.channel_id.map(|c| c.to_string()),
            "createdAt": event.occurred_at.to_string(),
        });
        match &event.data {
            EventData::Status(s) => {
                let (status, info) = status_number(s.status);
                let phone = s.wa_id.as_ref().map(|w| w.digits().to_owned());
                out["reportType"] = json!("delivery");
                out["messageID"] = json!(s.message_id.to_string());
                out["waMessageID"] = json!(s.wamid.as_str());
                out["phone"] = json!(phone);
                out["waID"] = json!(phone);
                out["status"] = json!(status);
                out["statusInfo"] = json!(info);
                if let Some(e) = &s.error {
                    out["statusMessageInfo"] =
                        json!(format!("{} {}: {}", e.code, e.title, e.details));
                }
            }
            EventData::Inbound(i) => {
                let phone = i.wa_id.as_ref().map(|w| w.digits().to_owned());
                let kind = i.content.kind();
                out["reportType"] = json!("inbox");
                out["messageID"] = json!(i.message_id.to_string());
                out["waMessageID"] = json!(i.wamid.as_str());
                out["phone"] = json!(phone);
                out["waID"] = json!(phone.map(|p| format!("{p}@s.whatsapp.net")));
                out["full_push_name"] = json!(i.profile_name.clone().unwrap_or_default());
                out["type"] = json!(kind.as_str());
                out["value"] = inbound_value(kind, i.content.body());
                out["status"] = json!(3);
                out["statusInfo"] = json!("Delivered");
            }
            EventData::Other { field, value } => {
                out["reportType"] = json!(field.as_str());
                out["value"] = value.clone();
            }
        }
        out
    }
}

impl Renderer for FlatCallbacks {
    fn render(&self, _channel: &ChannelRef, events: &[WebhookEvent]) -> Vec<u8> {
        // One event per POST (`max_events`); an empty batch renders nothing.
        let body = events.first().map_or(Value::Null, |e| self.event(e));
        ascii::to_vec(&body)
    }

    fn render_body(
        &self,
        channel: &ChannelRef,
        events: &[WebhookEvent],
        context: &RenderContext<'_>,
    ) -> Rendered {
        let json = self.render_in(channel, events, context);
        let Some(file) = events
            .first()
            .and_then(media_of)
            .and_then(|id| context.media.get(&id))
        else {
            return Rendered::json(json);
        };
        let media = &file.media;
        let name = media.filename.clone().unwrap_or_else(|| {
            let ext = MediaType::parse(&media.mime_type)
                .ok()
                .and_then(|t| t.extension())
                .unwrap_or("bin");
            format!("{}.{ext}", media.id)
        });
        Rendered::form_data(&[
            Part {
                name: "json",
                file: None,
                bytes: &json,
            },
            Part {
                name: "file1",
                file: Some((&name, &media.mime_type)),
                bytes: &file.bytes,
            },
        ])
    }

    fn wants_media(&self) -> bool {
        true
    }

    fn max_events(&self) -> u32 {
        1
    }

    fn verifies_url(&self) -> bool {
        false
    }
}
