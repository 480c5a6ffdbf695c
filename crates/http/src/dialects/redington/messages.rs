//! §5 session messages and §6 template messages (`POST …/messages`), and §7 a message's
//! details (`GET …/messages/{message_id}`).
//!
//! A send body is the Cloud API's without `messaging_product` (added here), read by the
//! same parser into the same command, so every rule (types, limits, the window, blocks,
//! opt-outs, the wallet) is the core's. Differences the seed needs:
//!
//! - a template's name matches case-insensitively (§6.2.2 sends `fileTempcetas`; WhatsApp
//!   names are lower-case, so the name is lower-cased);
//! - an image's `filename` (§5.3.2 marks it mandatory; WhatsApp images have none) is
//!   accepted and not sent;
//! - the number's contact is created in the contact book if it is new (the core's
//!   outbound rule), as §5 describes.
//!
//! The answer is Meta's send response (`contacts`, `messages[].id`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::message::Recipient;

use super::auth::Project;
use super::wire::message::{self, Beside};
use crate::cloud::messages::parse_send;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::manage::messages::message_key;
use crate::state::AppState;

/// The Cloud API send body a Project API body stands for.
fn as_cloud(mut body: Value) -> Result<Value, ValidationError> {
    let obj = body
        .as_object_mut()
        .ok_or_else(|| ValidationError::new("body", "must be a JSON object"))?;
    obj.entry("messaging_product")
        .or_insert_with(|| json!("whatsapp"));
    if let Some(Value::String(name)) = obj.get_mut("template").and_then(|t| t.get_mut("name")) {
        *name = name.to_lowercase();
    }
    if let Some(image) = obj.get_mut("image").and_then(Value::as_object_mut) {
        image.remove("filename");
    }
    Ok(body)
}

pub async fn send(
    State(state): State<AppState>,
    Project { principal, channel }: Project,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = as_cloud(parse_json(&body)?)?;
    let cmd = parse_send(&body)?;
    let input = match &cmd.recipient {
        Recipient::Phone { input, .. } => input.clone(),
        Recipient::Bsuid(b) => b.as_str().to_owned(),
    };
    let m = state.app.send_message(&principal, &channel, cmd).await?;
    tracing::Span::current().record("message_id", tracing::field::display(m.id));
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{
            "input": input,
            "wa_id": m.wa_id.as_ref().map(|w| w.digits()),
        }],
        "messages": [{ "id": m.wamid.as_str() }],
    })))
}

/// §7: the message by its `wamid.…` (or wagate's id), with its status, failure, price,
/// conversation, contact and campaign.
pub async fn get(
    State(state): State<AppState>,
    Project { principal, channel }: Project,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let unknown = || ApiError::not_found(ErrorCode::MessageNotFound, "message", id.clone());
    let key = message_key(&id)?;
    let m = state
        .app
        .get_message(&principal, &key)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", id.clone()))?;
    if m.channel_id != channel.id {
        return Err(unknown());
    }
    let contact_id = match &m.wa_id {
        Some(wa_id) => state
            .app
            .contact_by_number(&principal, wa_id)
            .await
            .ok()
            .map(|c| c.id),
        None => None,
    };
    let charge = state.app.message_charge(&principal, m.id).await?;
    Ok(Json(message::object(
        channel.id,
        &m,
        Beside {
            contact_id,
            charge: charge.as_ref(),
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_body_becomes_a_cloud_body() {
        let body = as_cloud(json!({
            "to": "910000000000", "type": "image",
            "image": {"filename": "FlowerImage.png", "id": "80854143809434"}
        }))
        .unwrap();
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["image"], json!({"id": "80854143809434"}));
        let t =
            as_cloud(json!({"to": "1", "type": "template", "template": {"name": "fileTempcetas"}}))
                .unwrap();
        assert_eq!(t["template"]["name"], "filetempcetas");
        assert!(as_cloud(json!([1])).is_err());
    }
}
