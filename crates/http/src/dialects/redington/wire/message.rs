//! The Project API's message object (§7, and `data.message` of the §23 webhooks), built
//! from a stored message and what the gateway knows beside it. Times are epoch
//! milliseconds (the seed's §7; its webhook examples' 10- and 11-digit values are typos).

use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::content::{Content, MessageType};
use wagate_core::ids::{ChannelId, ContactCardId};
use wagate_core::message::{Direction, Message, MessageStatus};
use wagate_core::registration::country_of;
use wagate_store::MessageCharge;

/// What the object shows beside the message itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Beside<'a> {
    /// The number's contact in the account's contact book.
    pub contact_id: Option<ContactCardId>,
    /// What the message was charged.
    pub charge: Option<&'a MessageCharge>,
}

fn ms(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.as_millisecond()))
}

/// The seed's upper-case status: `SUBMITTED` until the network takes the message.
pub fn status(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Accepted => "SUBMITTED",
        MessageStatus::Sent => "SENT",
        MessageStatus::Delivered | MessageStatus::Received => "DELIVERED",
        MessageStatus::Read => "READ",
        MessageStatus::Failed => "FAILED",
    }
}

/// The seed's `message_type`: the content's type in capitals; a template's is its
/// header's media kind, else `TEXT` (as §23.2 shows a template message).
fn message_type(content: &Content) -> String {
    if content.kind() == MessageType::Template {
        let header = content.rendered().and_then(|r| r.header.as_deref());
        return match header {
            Some(h @ ("IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION")) => h.to_owned(),
            _ => "TEXT".to_owned(),
        };
    }
    content.kind().as_str().to_ascii_uppercase()
}

/// `message_content`: a text's `{text}`; a template's rendered text with its buttons as
/// ` | [title]` (the seed's rendering), its `name` and `isTemplate: true`; anything else
/// the Cloud API object of its type.
fn message_content(content: &Content) -> Value {
    match content.kind() {
        MessageType::Text => {
            json!({ "text": content.body().get("body").cloned().unwrap_or_default() })
        }
        MessageType::Template => {
            let name = content.body().get("name").cloned().unwrap_or_default();
            let text = content.rendered().map(|r| {
                let mut text = r.body.clone().unwrap_or_default();
                for b in &r.buttons {
                    text.push_str(&format!(" | [{b}]"));
                }
                text
            });
            json!({ "text": text, "name": name, "isTemplate": true })
        }
        _ => content.body().clone(),
    }
}

/// The §7 object of `m`, a message of project `project`.
pub fn object(project: ChannelId, m: &Message, beside: Beside<'_>) -> Value {
    let inbound = m.direction == Direction::Inbound;
    let digits = m.wa_id.as_ref().map(|w| w.digits().to_owned());
    let country = digits.as_deref().and_then(country_of).map(|(dial, _)| dial);
    let failure = m.error.as_ref().map(|e| {
        json!({ "code": e.code.to_string(), "reason": if e.details.is_empty() { &e.title } else { &e.details } })
    });
    let price = beside
        .charge
        .filter(|c| c.state != "released" && c.price > 0)
        .map(|c| c.price as f64 / 1_000_000.0);
    let conversation = m
        .conversation
        .as_ref()
        .map(|c| json!({ "id": c.id, "type": c.origin.as_str().to_ascii_uppercase() }));
    json!({
        "type": "message",
        "id": m.id.to_string(),
        "meta_data": [],
        "project_id": project.to_string(),
        "phone_number": digits,
        "contact_id": beside.contact_id.map(|c| c.to_string()),
        "campaign": m.campaign_id.map(|c| json!({ "id": c.to_string() })),
        "sender": if inbound { "USER" } else { "API" },
        "message_content": message_content(&m.content),
        "message_type": message_type(&m.content),
        "status": status(m.status),
        "is_HSM": m.content.kind() == MessageType::Template,
        "chatbot_response": null,
        "agent_id": null,
        "sent_at": ms(if inbound { Some(m.created_at) } else { m.sent_at }),
        "delivered_at": ms(if inbound { Some(m.created_at) } else { m.delivered_at }),
        "read_at": ms(m.read_at),
        "failureResponse": failure,
        "userName": m.profile_name.clone().unwrap_or_else(|| "UNKNOWN".to_owned()),
        "countryCode": country,
        "submitted_message_id": "",
        "message_price": price.map_or(json!(0), |p| json!(p)),
        "deductionType": price.map(|_| "WC"),
        "mau_details": null,
        "whatsapp_conversation_details": conversation,
        "context": m.context.as_ref().map(|c| json!({ "message_id": c.as_str() })),
        "messageId": m.wamid.as_str(),
    })
}
