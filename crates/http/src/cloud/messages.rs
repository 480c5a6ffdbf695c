//! `POST /{version}/{phone_number_id}/messages`: send a message, or mark one read, as Meta's
//! Cloud API does. The body is read leniently (as real SDKs send it) into a core command; the
//! answer is Meta's send response (reference §3.1), given once the message is stored and
//! queued.

use std::borrow::Cow;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use wagate_app::messaging::messages::SendMessage;
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::message::{Bsuid, CallbackData, Message, Recipient, Wamid};
use wagate_core::phone::PhoneE164;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// Meta's answer to a send.
#[derive(Debug, Serialize)]
pub struct SendResponse {
    pub messaging_product: &'static str,
    pub contacts: Vec<SentContact>,
    pub messages: Vec<SentMessage>,
}

#[derive(Debug, Serialize)]
pub struct SentContact {
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SentMessage {
    pub id: String,
    pub message_status: &'static str,
}

pub async fn send(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Response, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    if let Some(sent) = super::groups::send(&state, &channel, &body).await? {
        return Ok(sent);
    }
    if body.get("status").is_some() {
        let message_id = parse_mark_read(&body)?;
        let unknown =
            || ApiError::not_found(ErrorCode::MessageNotFound, "message", message_id.as_str());
        state
            .app
            .mark_read(&p, &channel, &message_id)
            .await
            .map_err(|_| unknown())?;
        return Ok(Json(json!({"success": true})).into_response());
    }
    let cmd = parse_send(&body)?;
    let (input, user_id) = match &cmd.recipient {
        Recipient::Phone { input, .. } => (input.clone(), None),
        Recipient::Bsuid(b) => (b.as_str().to_owned(), Some(b.as_str().to_owned())),
    };
    let message = state.app.send_message(&p, &channel, cmd).await?;
    tracing::Span::current().record("message_id", tracing::field::display(message.id));
    Ok(Json(response(input, user_id, &message)).into_response())
}

fn response(input: String, user_id: Option<String>, m: &Message) -> SendResponse {
    SendResponse {
        messaging_product: "whatsapp",
        contacts: vec![SentContact {
            input,
            wa_id: m.wa_id.as_ref().map(|w| w.digits().to_owned()),
            user_id: user_id.or_else(|| m.bsuid.as_ref().map(|b| b.as_str().to_owned())),
        }],
        messages: vec![SentMessage {
            id: m.wamid.to_string(),
            message_status: "accepted",
        }],
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ValidationError {
    ValidationError::new(field, message)
}

/// A string field; numbers are taken as their digits (some clients send `to` as a number).
fn string_at<'a>(v: &'a Value, field: &str) -> Result<Option<Cow<'a, str>>, ValidationError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s))),
        Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

fn check_product(body: &Value) -> Result<(), ValidationError> {
    if !body.is_object() {
        return Err(invalid("body", "must be a JSON object"));
    }
    match string_at(body, "messaging_product")?.as_deref() {
        Some("whatsapp") => Ok(()),
        Some(_) => Err(invalid("messaging_product", "must be \"whatsapp\"")),
        None => Err(ValidationError::missing("messaging_product", "is required")),
    }
}

/// Mark-as-read: `{"messaging_product":"whatsapp","status":"read","message_id":…}` with an
/// optional `typing_indicator: {"type":"text"}`.
pub fn parse_mark_read(body: &Value) -> Result<Wamid, ValidationError> {
    check_product(body)?;
    match string_at(body, "status")?.as_deref() {
        Some("read") => {}
        _ => return Err(invalid("status", "must be \"read\"")),
    }
    let typing = body.get("typing_indicator").filter(|t| !t.is_null());
    if let Some(t) = typing
        && string_at(t, "type")
            .map_err(|e| e.within("typing_indicator"))?
            .as_deref()
            != Some("text")
    {
        return Err(invalid("typing_indicator.type", "must be \"text\""));
    }
    let id = string_at(body, "message_id")?
        .ok_or_else(|| ValidationError::missing("message_id", "is required"))?;
    Wamid::parse_field("message_id", &id)
}

/// The Cloud API send body → the core command.
pub fn parse_send(body: &Value) -> Result<SendMessage, ValidationError> {
    check_product(body)?;
    match string_at(body, "recipient_type")?.as_deref() {
        None | Some("individual") => {}
        Some(other) => {
            return Err(invalid(
                "recipient_type",
                format!("`{other}` is not supported; use \"individual\""),
            ));
        }
    }
    let recipient = match (string_at(body, "to")?, string_at(body, "recipient")?) {
        (Some(to), _) => Recipient::Phone {
            input: to.to_string(),
            wa_id: PhoneE164::parse_field("to", &to)?,
        },
        (None, Some(r)) => Recipient::Bsuid(Bsuid::parse_field("recipient", &r)?),
        (None, None) => {
            return Err(ValidationError::missing(
                "to",
                "is required (or `recipient`, a business-scoped user id)",
            ));
        }
    };
    let content = Content::outbound(body)?;
    let context = match body.get("context") {
        None | Some(Value::Null) => None,
        Some(ctx) => match string_at(ctx, "message_id").map_err(|e| e.within("context"))? {
            Some(id) => Some(Wamid::parse_field("context.message_id", &id)?),
            None => {
                return Err(ValidationError::missing(
                    "context.message_id",
                    "is required when `context` is given",
                ));
            }
        },
    };
    let biz_opaque_callback_data = string_at(body, "biz_opaque_callback_data")?
        .map(|s| CallbackData::parse(&s).map(CallbackData::into_string))
        .transpose()?;
    Ok(SendMessage {
        recipient,
        content,
        context,
        biz_opaque_callback_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::error::ValidationKind;

    #[test]
    fn lenient_text_send() {
        let cmd = parse_send(&json!({
            "messaging_product": "whatsapp", "to": 16505551234u64,
            "text": {"body": "hi", "preview_url": "true"},
            "context": {"message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA"}
        }))
        .unwrap();
        assert!(
            matches!(&cmd.recipient, Recipient::Phone { wa_id, .. } if wa_id.digits() == "16505551234")
        );
        assert_eq!(cmd.content, Content::text("hi", true).unwrap());
        assert!(cmd.context.is_some());
    }

    #[test]
    fn each_envelope_rule_names_its_field_and_code() {
        let base = json!({"messaging_product": "whatsapp", "to": "+16505551234", "type": "text", "text": {"body": "hi"}});
        let with = |patch: Value| {
            let mut b = base.clone();
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    b.as_object_mut().unwrap().remove(k);
                } else {
                    b[k] = v.clone();
                }
            }
            let e = parse_send(&b).unwrap_err();
            (e.field, e.kind)
        };
        use ValidationKind::*;
        assert_eq!(
            with(json!({"messaging_product": null})),
            ("messaging_product".into(), Missing)
        );
        assert_eq!(
            with(json!({"messaging_product": "sms"})),
            ("messaging_product".into(), Invalid)
        );
        assert_eq!(with(json!({"to": null})), ("to".into(), Missing));
        assert_eq!(with(json!({"to": "hello"})).0, "to");
        assert_eq!(
            with(json!({"to": null, "recipient": "nope"})).0,
            "recipient"
        );
        assert_eq!(with(json!({"recipient_type": "group"})).0, "recipient_type");
        assert_eq!(
            with(json!({"text": {"body": "x".repeat(4097)}})),
            ("text.body".into(), OutOfRange)
        );
        assert_eq!(
            with(json!({"context": {"message_id": "nope"}})).0,
            "context.message_id"
        );
        assert_eq!(
            with(json!({"biz_opaque_callback_data": "x".repeat(513)})),
            ("biz_opaque_callback_data".into(), OutOfRange)
        );
        assert_eq!(with(json!({"type": "telepathy"})).0, "type");
    }

    #[test]
    fn mark_read_bodies() {
        let id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA";
        let ok = json!({"messaging_product": "whatsapp", "status": "read", "message_id": id, "typing_indicator": {"type": "text"}});
        assert_eq!(parse_mark_read(&ok).unwrap().as_str(), id);
        let bad_typing = json!({"messaging_product": "whatsapp", "status": "read", "message_id": id, "typing_indicator": {"type": "audio"}});
        assert_eq!(
            parse_mark_read(&bad_typing).unwrap_err().field,
            "typing_indicator.type"
        );
        let no_id = json!({"messaging_product": "whatsapp", "status": "read"});
        assert_eq!(parse_mark_read(&no_id).unwrap_err().field, "message_id");
        let delivered =
            json!({"messaging_product": "whatsapp", "status": "delivered", "message_id": id});
        assert_eq!(parse_mark_read(&delivered).unwrap_err().field, "status");
    }
}
