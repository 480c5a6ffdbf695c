//! A stored message as the body of Meta's `POST /{phone_number_id}/messages`.

use serde_json::{Map, Value, json};
use wagate_core::message::Message;

/// The send body of `message`: the recipient (`to`, or `recipient` for a BSUID), the
/// content under its type's key exactly as stored (the Cloud API's own spelling), and the
/// reply `context` and `biz_opaque_callback_data` when set. What wagate keeps beside the
/// content (a template's rendered text) is not sent.
pub fn send_body(message: &Message) -> Value {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    match (&message.wa_id, &message.bsuid) {
        (Some(wa_id), _) => {
            body.insert("to".into(), json!(wa_id.digits()));
        }
        (None, Some(bsuid)) => {
            body.insert("recipient".into(), json!(bsuid.as_str()));
        }
        (None, None) => {}
    }
    let kind = message.content.kind().as_str();
    body.insert("type".into(), json!(kind));
    body.insert(kind.into(), message.content.body().clone());
    if let Some(context) = &message.context {
        body.insert("context".into(), json!({"message_id": context.as_str()}));
    }
    if let Some(data) = &message.biz_opaque_callback_data {
        body.insert("biz_opaque_callback_data".into(), json!(data));
    }
    Value::Object(body)
}
