//! `/api/v1/messages`: every message, as wagate tracks it.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Direction, Message, MessageStatus, Wamid};
use wagate_store::MessageKey;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::manage::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    /// Meta-style id, as the Cloud API answered and as webhooks report.
    pub wamid: Wamid,
    pub channel_id: ChannelId,
    pub direction: Direction,
    /// The user's number (digits), when known.
    pub wa_id: Option<String>,
    /// The user's business-scoped id, when the message was addressed by it.
    pub bsuid: Option<String>,
    /// Cloud API message type (`text`, `image`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The message as the Cloud API describes it, without the envelope.
    #[schema(value_type = Object)]
    pub content: Value,
    pub status: MessageStatus,
    /// The message this one replies to.
    pub context_message_id: Option<Wamid>,
    pub biz_opaque_callback_data: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failed_at: Option<Timestamp>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let mut content = serde_json::to_value(&m.content).unwrap_or(Value::Null);
        if let Some(obj) = content.as_object_mut() {
            obj.remove("type");
        }
        Self {
            id: m.id,
            wamid: m.wamid,
            channel_id: m.channel_id,
            direction: m.direction,
            wa_id: m.wa_id.map(|w| w.digits().to_owned()),
            bsuid: m.bsuid.map(|b| b.as_str().to_owned()),
            kind: m.content.kind(),
            content,
            status: m.status,
            context_message_id: m.context,
            biz_opaque_callback_data: m.biz_opaque_callback_data,
            error: m
                .error
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null)),
            created_at: m.created_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            read_at: m.read_at,
            failed_at: m.failed_at,
        }
    }
}

/// One message by wagate's id or by its `wamid.…`.
#[utoipa::path(get, path = "/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "Message id or wamid")),
    responses((status = 200, body = MessageView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    let unknown = || ApiError::not_found(ErrorCode::MessageNotFound, "message", id.clone());
    let key = if let Ok(uuid) = id.parse::<MessageId>() {
        MessageKey::Id(uuid)
    } else {
        MessageKey::Wamid(Wamid::parse_field("id", &id).map_err(|_| unknown())?)
    };
    let message = state
        .app
        .get_message(&p, &key)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", id.clone()))?;
    Ok(Json(message.into()))
}
