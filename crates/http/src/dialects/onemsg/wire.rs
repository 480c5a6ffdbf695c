//! 1MSG's shapes: the recipient (`chatId` or `phone`), the send answer, and the message
//! item of `GET /messages` and of the `{"messages": […]}` callbacks.

use serde::Serialize;
use serde_json::{Value, json};
use wagate_core::content::{Content, MessageType};
use wagate_core::error::ValidationError;
use wagate_core::message::{Direction, Message, MessageStatus};
use wagate_core::phone::PhoneE164;

use crate::kit::params::Params;

/// The suffix of a person's chat id (`12020721369@c.us`).
const PERSON: &str = "@c.us";

/// A user's chat id.
pub fn chat_id(wa_id: &PhoneE164) -> String {
    format!("{}{PERSON}", wa_id.digits())
}

/// A parameter that may be a string or a number (`phone` is typed integer, yet the seed's
/// sendTemplate examples send it as a string), trimmed; an empty one is absent.
pub fn text_or_number(params: &Params, name: &str) -> Result<Option<String>, ValidationError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ValidationError::new(name, "must be a string or a number")),
    }
}

/// The recipient: `chatId` (`12020721369@c.us`) or `phone` (`12020721369`); one of them is
/// required. A group chat (`…@g.us`) is refused: Cloud API numbers have no WhatsApp groups.
pub fn recipient(params: &Params) -> Result<PhoneE164, ValidationError> {
    if let Some(chat) = text_or_number(params, "chatId")? {
        let digits = match chat.split_once('@') {
            None => chat.as_str(),
            Some((digits, "c.us")) => digits,
            Some(_) => {
                return Err(ValidationError::new(
                    "chatId",
                    "must be a person's chat id like 12020721369@c.us (Cloud API numbers have \
                     no group chats)",
                ));
            }
        };
        return PhoneE164::parse_field("chatId", digits);
    }
    match text_or_number(params, "phone")? {
        Some(phone) => PhoneE164::parse_field("phone", &phone),
        None => Err(ValidationError::missing(
            "chatId",
            "is required, or `phone`: the recipient",
        )),
    }
}

/// A send's answer.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub sent: bool,
    /// The message's id (its `wamid.…`): what `quotedMsgId`, `readMessage` and `hookInfo`
    /// take.
    pub id: String,
    pub message: String,
    pub description: &'static str,
}

impl Sent {
    pub fn of(m: &Message) -> Self {
        let to = m.wa_id.as_ref().map(chat_id).unwrap_or_else(|| {
            m.bsuid
                .as_ref()
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default()
        });
        Sent {
            sent: true,
            id: m.wamid.to_string(),
            message: format!("Sent to {to}"),
            description: "Message has been sent to the provider",
        }
    }
}

/// 1MSG's message `type`: `chat` for a text, else the Cloud API's type name.
fn kind(content: &Content) -> &'static str {
    match content.kind() {
        MessageType::Text => "chat",
        other => other.as_str(),
    }
}

/// A message's `body`: a text's text; a media message's link (or media id) ; a location's
/// `lat;lng`; a template's rendered text; a reaction's emoji; an interactive's body text,
/// or a reply's title; anything else its Cloud API object as JSON text.
fn body(content: &Content) -> String {
    let b = content.body();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let text = match content.kind() {
        MessageType::Text => s(b.get("body")),
        MessageType::Image
        | MessageType::Video
        | MessageType::Audio
        | MessageType::Document
        | MessageType::Sticker => s(b.get("link")).or_else(|| s(b.get("id"))),
        MessageType::Location => Some(format!(
            "{};{}",
            b.get("latitude").cloned().unwrap_or_default(),
            b.get("longitude").cloned().unwrap_or_default()
        )),
        MessageType::Reaction => s(b.get("emoji")),
        MessageType::Template => content.rendered().and_then(|r| r.body.clone()),
        MessageType::Button => s(b.get("text")),
        MessageType::Interactive => s(b.pointer("/body/text"))
            .or_else(|| s(b.pointer("/button_reply/title")))
            .or_else(|| s(b.pointer("/list_reply/title"))),
        _ => None,
    };
    text.unwrap_or_else(|| b.to_string())
}

/// 1MSG's name for a status (the callbacks' `ack` statuses).
pub fn ack(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Accepted => "queued",
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered | MessageStatus::Received => "delivered",
        MessageStatus::Read => "viewed",
        MessageStatus::Failed => "failed",
    }
}

/// The message item of `GET /messages` and of the callbacks: `id` (the `wamid.…`), `body`,
/// `type`, `senderName`, `fromMe`, `author` and `chatId` (the user's chat id), `time` (Unix
/// seconds), `messageNumber` (the message's place in the channel: 1, 2, 3…), `caption`,
/// `quotedMsgId`, `status` and, for a failed message, `error`.
pub fn item(m: &Message, instance: &str) -> Value {
    let chat = m.wa_id.as_ref().map(chat_id);
    let from_me = m.direction == Direction::Outbound;
    let caption = m
        .content
        .body()
        .get("caption")
        .and_then(Value::as_str)
        .map(str::to_owned);
    json!({
        "id": m.wamid.as_str(),
        "body": body(&m.content),
        "type": kind(&m.content),
        "senderName": if from_me { None } else { m.profile_name.clone() },
        "fromMe": from_me,
        "self": 0,
        "author": if from_me { None } else { chat.as_deref() },
        "time": m.created_at.as_second(),
        "chatId": chat,
        "messageNumber": m.number,
        "caption": caption,
        "quotedMsgId": m.context.as_ref().map(|c| c.as_str()),
        "status": ack(m.status),
        "error": m.error.as_ref().map(|e| json!({"code": e.code, "title": e.title})),
        "instanceId": instance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> Params {
        let mut p = Params::default();
        for (k, v) in v.as_object().unwrap() {
            match v {
                Value::String(s) => p.insert_text(k.clone(), s.clone()),
                other => p.insert_text(k.clone(), other.to_string()),
            }
        }
        p
    }

    #[test]
    fn recipients_from_chat_ids_and_phones() {
        let r = recipient(&params(json!({"chatId": "12020721369@c.us"}))).unwrap();
        assert_eq!(r.digits(), "12020721369");
        let r = recipient(&params(json!({"chatId": "", "phone": "556123122026"}))).unwrap();
        assert_eq!(r.digits(), "556123122026");
        let e = recipient(&params(json!({"chatId": "1203630@g.us"}))).unwrap_err();
        assert_eq!(e.field, "chatId");
        let e = recipient(&params(json!({}))).unwrap_err();
        assert_eq!(e.field, "chatId");
        let e = recipient(&params(json!({"phone": "abc"}))).unwrap_err();
        assert_eq!(e.field, "phone");
    }
}
