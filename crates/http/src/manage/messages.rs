//! `/api/v1/messages`: every message, as wagate tracks it.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::content::MessageType;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Direction, Message, MessageStatus, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_core::pricing::{Conversation, Pricing};
use wagate_core::template::Rendered;
use wagate_store::{MessageFilter, MessageKey};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::params::query_time;
use crate::manage::ErrorBody;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get))
        .routes(routes!(list))
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
    /// The user's WhatsApp profile name (inbound messages).
    pub profile_name: Option<String>,
    /// Cloud API message type (`text`, `image`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// One line of what the message says (text, caption, button label…).
    pub preview: Option<String>,
    /// The object under the type's key, as the Cloud API spells it (`{"body": …}` for text).
    #[schema(value_type = Object)]
    pub content: Value,
    /// A template message: what the user received, the template's texts filled with the
    /// send's parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<Rendered>,
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
    /// How Meta prices it (set when sent).
    pub pricing: Option<Pricing>,
    pub conversation: Option<Conversation>,
    /// Times handed to the upstream: 1 once sent, never more.
    pub handovers: u32,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let content = m.content.body().clone();
        Self {
            id: m.id,
            wamid: m.wamid,
            channel_id: m.channel_id,
            direction: m.direction,
            wa_id: m.wa_id.map(|w| w.digits().to_owned()),
            bsuid: m.bsuid.map(|b| b.as_str().to_owned()),
            profile_name: m.profile_name,
            kind: m.content.kind().as_str(),
            preview: m.content.preview(),
            rendered: m.content.rendered().cloned(),
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
            pricing: m.pricing,
            conversation: m.conversation,
            handovers: m.handovers,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Only this channel.
    #[param(format = Uuid)]
    pub channel_id: Option<String>,
    /// Only messages with this user (phone number in international format).
    #[param(
        max_length = 32,
        pattern = r"^(\+|00)?[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*$"
    )]
    pub contact: Option<String>,
    /// `outbound` or `inbound`.
    #[param(value_type = Option<Direction>, inline)]
    pub direction: Option<String>,
    #[param(value_type = Option<MessageStatus>, inline)]
    pub status: Option<String>,
    /// Cloud API message type (`text`, `template`, …).
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<MessageType>, inline)]
    pub kind: Option<String>,
    /// Created at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Created before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// How many messages to return, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The previous page's `next_after`: continues with older messages.
    #[param(format = Uuid)]
    pub after: Option<String>,
}

fn query_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message).field(field)
}

impl MessageQuery {
    fn filter(&self) -> Result<MessageFilter, ApiError> {
        Ok(MessageFilter {
            channel_id: self
                .channel_id
                .as_deref()
                .map(|c| {
                    c.parse::<ChannelId>()
                        .map_err(|_| query_error("channel_id", "is not a channel id"))
                })
                .transpose()?,
            channels: None,
            wa_id: self
                .contact
                .as_deref()
                .map(|c| {
                    PhoneE164::parse_field("contact", c)
                        .map(|p| p.digits().to_owned())
                        .map_err(|e| query_error("contact", e.message))
                })
                .transpose()?,
            direction: self
                .direction
                .as_deref()
                .map(|d| Direction::parse(d).map_err(|e| query_error("direction", e.message)))
                .transpose()?,
            status: self
                .status
                .as_deref()
                .map(|s| MessageStatus::parse(s).map_err(|e| query_error("status", e.message)))
                .transpose()?,
            kind: self
                .kind
                .as_deref()
                .map(|k| MessageType::parse(k).map_err(|e| query_error("type", e.message)))
                .transpose()?,
            since: query_time("since", self.since.as_deref())?,
            until: query_time("until", self.until.as_deref())?,
        })
    }
}

/// The account's messages, newest first, filtered.
#[utoipa::path(get, path = "/messages", operation_id = "list_messages", tag = "messages", params(MessageQuery),
    responses((status = 200, body = List<MessageView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<MessageQuery>,
) -> Result<Json<List<MessageView>>, ApiError> {
    let filter = q.filter()?;
    let (page, limit) = ListQuery {
        limit: q.limit,
        after: q.after.clone(),
    }
    .page::<MessageId>()?;
    let rows = state.app.list_messages(&p, filter, &page).await?;
    Ok(Json(List::from_rows(
        rows,
        limit,
        |m| m.id.to_string(),
        MessageView::from,
    )))
}

/// One message by wagate's id or by its `wamid.…`.
#[utoipa::path(get, path = "/messages/{id}", operation_id = "get_message", tag = "messages",
    params(("id" = String, Path, description = "Message id or wamid")),
    responses((status = 200, body = MessageView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    let key = message_key(&id)?;
    let message = state
        .app
        .get_message(&p, &key)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", id.clone()))?;
    Ok(Json(message.into()))
}

/// A message named in a path: wagate's id or a `wamid.…`; anything else is not found.
pub fn message_key(id: &str) -> Result<MessageKey, ApiError> {
    if let Ok(uuid) = id.parse::<MessageId>() {
        return Ok(MessageKey::Id(uuid));
    }
    Wamid::parse_field("id", id)
        .map(MessageKey::Wamid)
        .map_err(|_| ApiError::not_found(ErrorCode::MessageNotFound, "message", id))
}
