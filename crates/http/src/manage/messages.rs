//! `/api/v1/messages`: every message, as wagate tracks it.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::messaging::reports::MessageReport;
use wagate_core::Timestamp;
use wagate_core::content::MessageType;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Direction, Message, MessageStatus, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_core::pricing::{Conversation, Pricing};
use wagate_core::report::TimeBound;
use wagate_core::template::Rendered;
use wagate_store::{MessageFilter, MessageKey, MessageOrder, Page};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::params::query_time;
use crate::manage::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get))
        .routes(routes!(list))
        .routes(routes!(export))
        .routes(routes!(statuses))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    /// Meta-style id, as the Cloud API answered and as webhooks report.
    pub wamid: Wamid,
    pub channel_id: ChannelId,
    /// The message's place among its channel's messages, inbound and outbound: 1, 2, 3… in
    /// the order they were stored, gap-free and never reused.
    pub number: u64,
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
            number: m.number,
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
    /// Created from this date (`2026-12-07`: from the start of that day in the account's
    /// time zone) or time (RFC 3339), included.
    #[param(
        max_length = 40,
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9]))?$"
    )]
    pub from: Option<String>,
    /// Created up to this date (`2026-12-07`: to the end of that day in the account's time
    /// zone, included) or before this time (RFC 3339).
    #[param(
        max_length = 40,
        pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9]))?$"
    )]
    pub to: Option<String>,
    /// Only messages whose channel `number` is above this one.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub number_after: Option<u64>,
    /// Only messages whose channel `number` is below this one.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub number_before: Option<u64>,
    /// `desc` (default): newest first, `after` continues with older messages. `asc`: oldest
    /// first, `after` continues with newer ones ("everything newer than this message").
    #[param(inline)]
    pub order: Option<SortOrder>,
}

/// The order of a message list, by creation.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// The page parameters of the message list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagePageQuery {
    /// How many messages to return, 1–1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The previous page's `next_after`, or any message id: continues after that message in
    /// the list's `order`.
    #[param(format = Uuid)]
    pub after: Option<String>,
    /// Whether to count the whole filtered list into `total` (default `true`; `false` saves
    /// the count on very large lists).
    pub total: Option<bool>,
}

/// Most messages per page.
pub const MAX_MESSAGE_LIMIT: u32 = 1000;

fn query_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message).field(field)
}

/// A message number as the store keeps it (at most `i64::MAX`).
fn number(field: &str, v: Option<u64>) -> Result<Option<u64>, ApiError> {
    match v {
        Some(n) if i64::try_from(n).is_err() => {
            Err(query_error(field, format!("must be at most {}", i64::MAX)))
        }
        _ => Ok(v),
    }
}

fn bound(field: &str, v: Option<&str>) -> Result<Option<TimeBound>, ApiError> {
    v.map(|s| TimeBound::parse(field, s).map_err(|e| query_error(field, e.message)))
        .transpose()
}

impl MessageQuery {
    /// The report this query asks for.
    pub fn report(&self) -> Result<MessageReport, ApiError> {
        Ok(MessageReport {
            filter: self.filter()?,
            from: bound("from", self.from.as_deref())?,
            to: bound("to", self.to.as_deref())?,
        })
    }

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
            number_after: number("number_after", self.number_after)?,
            number_before: number("number_before", self.number_before)?,
            order: match self.order {
                None | Some(SortOrder::Desc) => MessageOrder::NewestFirst,
                Some(SortOrder::Asc) => MessageOrder::OldestFirst,
            },
        })
    }
}

impl MessagePageQuery {
    /// The store page (one extra row, to learn whether another page follows) and the limit.
    fn page(&self) -> Result<(Page<MessageId>, usize), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_MESSAGE_LIMIT).contains(&limit) {
            return Err(query_error(
                "limit",
                format!("must be between 1 and {MAX_MESSAGE_LIMIT}"),
            ));
        }
        let after = self
            .after
            .as_deref()
            .map(|s| {
                s.parse::<MessageId>()
                    .map_err(|_| query_error("after", "is not a message id"))
            })
            .transpose()?;
        Ok((
            Page {
                after,
                limit: limit + 1,
            },
            limit as usize,
        ))
    }
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub data: Vec<MessageView>,
    /// Pass as `after` (with the same filters and `order`) for the next page; `null` on the
    /// last page. With `order=asc`, the last page's last id is where to poll from later.
    pub next_after: Option<String>,
    /// How many messages the filters select in all (every page); `null` with `total=false`.
    pub total: Option<u64>,
}

/// The account's messages, filtered: newest first, or oldest first from a message
/// (`order=asc&after=<id>`: everything newer than it), with the total count of the filtered
/// list. Dates in `from`/`to` are days in the account's time zone (`PATCH /account`).
#[utoipa::path(get, path = "/messages", operation_id = "list_messages", tag = "messages",
    params(MessageQuery, MessagePageQuery),
    responses((status = 200, body = MessageList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<MessageQuery>,
    Query(pq): Query<MessagePageQuery>,
) -> Result<Json<MessageList>, ApiError> {
    let report = q.report()?;
    let (page, limit) = pq.page()?;
    let mut result = state
        .app
        .report_messages(&p, report, &page, pq.total.unwrap_or(true))
        .await?;
    let more = result.messages.len() > limit;
    result.messages.truncate(limit);
    let next_after = if more {
        result.messages.last().map(|m| m.id.to_string())
    } else {
        None
    };
    Ok(Json(MessageList {
        data: result.messages.into_iter().map(MessageView::from).collect(),
        next_after,
        total: result.total,
    }))
}

/// The account's messages, filtered as the list is, as CSV, streamed (newest first unless
/// `order=asc`). Columns: `number`, `id`, `wamid`, `channel_id`, `direction`, `wa_id`,
/// `type`, `preview`, `status`, `created_at`, `sent_at`, `delivered_at`, `read_at`,
/// `failed_at` (RFC 3339, UTC), `error_code`, `error_title`, `pricing_category`, `billable`,
/// `context_wamid`, `biz_opaque_callback_data`. Messages stored after the export started are
/// not in it.
#[utoipa::path(get, path = "/messages/export", operation_id = "export_messages", tag = "messages",
    params(MessageQuery),
    responses((status = 200, description = "The CSV file", content_type = "text/csv"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<MessageQuery>,
) -> Result<Response, ApiError> {
    let report = q.report()?;
    let stream = state.app.export_messages(&p, report).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"messages.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// One step of a message's status history.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// `accepted` or `received` first (when the message was stored), then each status it
    /// moved to.
    pub status: MessageStatus,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The error of a failure.
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
    /// How Meta priced the message, as known at that step.
    pub pricing: Option<Pricing>,
    pub conversation: Option<Conversation>,
}

/// A message's status history.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusHistory {
    pub message_id: MessageId,
    pub wamid: Wamid,
    /// The message's number on its channel.
    pub number: u64,
    /// Oldest first.
    pub data: Vec<StatusView>,
}

/// Every status a message went through, oldest first, with its time (and the error of a
/// failure, the pricing known then): what the status webhooks reported.
#[utoipa::path(get, path = "/messages/{id}/statuses", operation_id = "list_message_statuses", tag = "messages",
    params(("id" = String, Path, description = "Message id or wamid")),
    responses((status = 200, body = StatusHistory), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn statuses(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<StatusHistory>, ApiError> {
    let key = message_key(&id)?;
    let (message, history) = state
        .app
        .message_history(&p, &key)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", id.clone()))?;
    Ok(Json(StatusHistory {
        message_id: message.id,
        wamid: message.wamid,
        number: message.number,
        data: history
            .into_iter()
            .map(|c| StatusView {
                status: c.status,
                at: c.at,
                error: c
                    .error
                    .map(|e| serde_json::to_value(e).unwrap_or(Value::Null)),
                pricing: c.pricing,
                conversation: c.conversation,
            })
            .collect(),
    }))
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
