//! `POST /{version}/{phone_number_id}/messages`: send a message, as Meta's Cloud API does.
//! The body is read leniently (as real SDKs send it) into a core command; the answer is
//! Meta's send response (reference §3.1), given once the message is stored and queued.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use wagate_app::messages::SendMessage;
use wagate_core::error::ValidationError;
use wagate_core::message::{
    Bsuid, CALLBACK_DATA_MAX_BYTES, Message, OutboundContent, Recipient, Wamid,
};
use wagate_core::phone::PhoneE164;

use super::{check_version, phone_number};
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

pub async fn send_versioned(
    state: State<AppState>,
    auth: Auth,
    Path((version, pnid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<SendResponse>, ApiError> {
    check_version(&version)?;
    send(state, auth, pnid, body).await
}

pub async fn send_unversioned(
    state: State<AppState>,
    auth: Auth,
    Path(pnid): Path<String>,
    body: Bytes,
) -> Result<Json<SendResponse>, ApiError> {
    send(state, auth, pnid, body).await
}

async fn send(
    State(state): State<AppState>,
    Auth(p): Auth,
    object_id: String,
    body: Bytes,
) -> Result<Json<SendResponse>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    let cmd = parse_send(&body)?;
    let input = match &cmd.recipient {
        Recipient::Phone { input, .. } => input.clone(),
        Recipient::Bsuid(b) => b.as_str().to_owned(),
    };
    let message = state.app.send_message(&p, &channel, cmd).await?;
    Ok(Json(response(input, &message)))
}

fn response(input: String, m: &Message) -> SendResponse {
    SendResponse {
        messaging_product: "whatsapp",
        contacts: vec![SentContact {
            input,
            wa_id: m.wa_id.as_ref().map(|w| w.digits().to_owned()),
            user_id: m.bsuid.as_ref().map(|b| b.as_str().to_owned()),
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
fn string_at<'a>(
    v: &'a Value,
    field: &str,
) -> Result<Option<std::borrow::Cow<'a, str>>, ValidationError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(std::borrow::Cow::Borrowed(s))),
        Some(Value::Number(n)) => Ok(Some(std::borrow::Cow::Owned(n.to_string()))),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

/// Booleans as JSON booleans or the strings "true"/"false".
fn bool_at(v: &Value, field: &str, path: &str) -> Result<bool, ValidationError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(invalid(path, "must be true or false")),
    }
}

/// The Cloud API send body → the core command.
pub fn parse_send(body: &Value) -> Result<SendMessage, ValidationError> {
    if !body.is_object() {
        return Err(invalid("body", "must be a JSON object"));
    }
    match string_at(body, "messaging_product")?.as_deref() {
        Some("whatsapp") => {}
        Some(_) => return Err(invalid("messaging_product", "must be \"whatsapp\"")),
        None => return Err(invalid("messaging_product", "is required")),
    }
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
            return Err(invalid(
                "to",
                "is required (or `recipient`, a business-scoped user id)",
            ));
        }
    };
    let kind = string_at(body, "type")?.unwrap_or(std::borrow::Cow::Borrowed("text"));
    let content = match kind.as_ref() {
        "text" => {
            let text = body
                .get("text")
                .ok_or_else(|| invalid("text", "is required for a text message"))?;
            if !text.is_object() {
                return Err(invalid("text", "must be an object with `body`"));
            }
            let text_body = match text.get("body") {
                Some(Value::String(s)) => s.as_str(),
                Some(_) => return Err(invalid("text.body", "must be a string")),
                None => return Err(invalid("text.body", "is required")),
            };
            OutboundContent::text(text_body, bool_at(text, "preview_url", "text.preview_url")?)?
        }
        other => {
            return Err(invalid(
                "type",
                format!("`{other}` messages are not supported by this wagate build yet"),
            ));
        }
    };
    let context = match body.get("context") {
        None | Some(Value::Null) => None,
        Some(ctx) => match string_at(ctx, "message_id").map_err(|e| e.within("context"))? {
            Some(id) => Some(Wamid::parse_field("context.message_id", &id)?),
            None => {
                return Err(invalid(
                    "context.message_id",
                    "is required when `context` is given",
                ));
            }
        },
    };
    let biz_opaque_callback_data = match string_at(body, "biz_opaque_callback_data")? {
        Some(s) if s.len() > CALLBACK_DATA_MAX_BYTES => {
            return Err(invalid(
                "biz_opaque_callback_data",
                format!("must be at most {CALLBACK_DATA_MAX_BYTES} bytes"),
            ));
        }
        other => other.map(|s| s.into_owned()),
    };
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
    use serde_json::json;

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
        assert_eq!(cmd.content, OutboundContent::text("hi", true).unwrap());
        assert!(cmd.context.is_some());
    }

    #[test]
    fn each_rule_names_its_field() {
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
            parse_send(&b).unwrap_err().field
        };
        assert_eq!(
            with(json!({"messaging_product": null})),
            "messaging_product"
        );
        assert_eq!(
            with(json!({"messaging_product": "sms"})),
            "messaging_product"
        );
        assert_eq!(with(json!({"to": null})), "to");
        assert_eq!(with(json!({"to": "hello"})), "to");
        assert_eq!(with(json!({"to": null, "recipient": "nope"})), "recipient");
        assert_eq!(with(json!({"recipient_type": "group"})), "recipient_type");
        assert_eq!(with(json!({"text": null})), "text");
        assert_eq!(with(json!({"text": {"body": 5}})), "text.body");
        assert_eq!(
            with(json!({"text": {"body": "x".repeat(4097)}})),
            "text.body"
        );
        assert_eq!(
            with(json!({"text": {"body": "x", "preview_url": 3}})),
            "text.preview_url"
        );
        assert_eq!(
            with(json!({"context": {"message_id": "nope"}})),
            "context.message_id"
        );
        assert_eq!(
            with(json!({"biz_opaque_callback_data": "x".repeat(513)})),
            "biz_opaque_callback_data"
        );
        assert_eq!(with(json!({"type": "telepathy"})), "type");
    }
}
