//! `POST /sandbox/{phone_number_id}/inbound`: a virtual user sends a message to the channel.
//! The body is an inbound message object as Meta's webhooks carry it (reference §5.4):
//! `from` plus the type's fields; `id`, `timestamp`, `context.id` and `profile.name` are
//! optional. Media messages get a generated media id, type and digest.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wagate_app::sandbox::InjectInbound;
use wagate_core::Timestamp;
use wagate_core::content::{Content, MessageType};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::message::Wamid;
use wagate_core::phone::PhoneE164;

use crate::auth::Auth;
use crate::cloud::phone_number;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::manage::messages::MessageView;
use crate::state::AppState;

fn string<'a>(v: &'a Value, field: &str) -> Result<Option<&'a str>, ValidationError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ValidationError::new(field, "must be a string")),
    }
}

/// The default MIME type of generated media per kind.
fn mime_for(kind: MessageType) -> &'static str {
    match kind {
        MessageType::Image => "image/jpeg",
        MessageType::Video => "video/mp4",
        MessageType::Audio => "audio/ogg; codecs=opus",
        MessageType::Document => "application/pdf",
        _ => "image/webp",
    }
}

/// Gives generated media the fields Meta's webhooks carry: id, mime_type, sha256 (base64).
fn fill_media(content: &mut Content, seed: &str) {
    let kind = content.kind();
    if !kind.is_media() {
        return;
    }
    let Some(body) = content.body_mut().as_object_mut() else {
        return;
    };
    let digest = Sha256::digest(format!("sandbox-media|{seed}").as_bytes());
    let id: u64 = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10u64.pow(15);
    body.entry("id")
        .or_insert_with(|| json!(format!("{}", 10u64.pow(15) + id)));
    body.entry("mime_type")
        .or_insert_with(|| json!(mime_for(kind)));
    body.entry("sha256")
        .or_insert_with(|| json!(base64::engine::general_purpose::STANDARD.encode(digest)));
}

pub fn parse(body: &Value) -> Result<InjectInbound, ValidationError> {
    if !body.is_object() {
        return Err(ValidationError::new("body", "must be a JSON object"));
    }
    let from = string(body, "from")?
        .ok_or_else(|| ValidationError::missing("from", "is required: the user's number"))?;
    let from = PhoneE164::parse_field("from", from)?;
    let wamid = string(body, "id")?
        .map(|id| Wamid::parse_field("id", id))
        .transpose()?;
    let at = match body.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let secs = match v {
                Value::String(s) => s.parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| ValidationError::new("timestamp", "must be Unix seconds"))?;
            let at = Timestamp::from_second(secs)
                .map_err(|_| ValidationError::new("timestamp", "is out of range"))?;
            if at.as_second() > Timestamp::now().as_second() + MAX_CLOCK_SKEW_SECS {
                return Err(ValidationError::out_of_range(
                    "timestamp",
                    "is in the future: a user's message is dated when it was sent",
                ));
            }
            Some(at)
        }
    };
    let context = match body.get("context") {
        None | Some(Value::Null) => None,
        Some(ctx) => string(ctx, "id")
            .map_err(|e| e.within("context"))?
            .map(|id| Wamid::parse_field("context.id", id))
            .transpose()?,
    };
    let profile_name = match body.get("profile") {
        None | Some(Value::Null) => None,
        Some(p) => string(p, "name")
            .map_err(|e| e.within("profile"))?
            .map(str::to_owned),
    };
    if profile_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 256)
    {
        return Err(ValidationError::out_of_range(
            "profile.name",
            "must be at most 256 characters",
        ));
    }
    let mut content = Content::inbound(body)?;
    fill_media(&mut content, &format!("{from}|{}", body));
    Ok(InjectInbound {
        from,
        wamid,
        at,
        content,
        context,
        profile_name,
    })
}

/// How far ahead of this clock a user's message may be dated.
const MAX_CLOCK_SKEW_SECS: i64 = 60;

pub async fn inject(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(object_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let cmd = parse(&parse_json(&body)?)?;
    let message = state
        .app
        .inject_inbound(&p, &channel, cmd)
        .await
        .map_err(|e| match e {
            wagate_app::Error::Store(wagate_store::StoreError::Conflict(_)) => ApiError::new(
                ErrorCode::InvalidRequest,
                "a message with this id was already received",
            )
            .field("id"),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbound_bodies() {
        let cmd = parse(&json!({"from": "16505551234", "type": "text", "text": {"body": "hi"}, "timestamp": "1750000000"})).unwrap();
        assert_eq!(cmd.from.digits(), "16505551234");
        assert_eq!(cmd.at.unwrap().as_second(), 1_750_000_000);
        let image =
            parse(&json!({"from": "16505551234", "type": "image", "image": {"caption": "look"}}))
                .unwrap();
        assert_eq!(image.content.body()["mime_type"], "image/jpeg");
        assert!(image.content.body()["id"].as_str().unwrap().len() >= 15);
        assert_eq!(
            parse(&json!({"type": "text", "text": {"body": "x"}}))
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(
            parse(&json!({"from": "x", "text": {"body": "x"}}))
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(
            parse(&json!({"from": "16505551234", "timestamp": "soon", "text": {"body": "x"}}))
                .unwrap_err()
                .field,
            "timestamp"
        );
        assert_eq!(
            parse(&json!({"from": "16505551234", "type": "text"}))
                .unwrap_err()
                .field,
            "text"
        );
    }
}
