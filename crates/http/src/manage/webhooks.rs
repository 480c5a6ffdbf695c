//! `/api/v1/webhooks`: subscriptions, their delivery log, replay; and
//! `/api/v1/messages/{id}/deliveries`, which events of one message went where.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::webhooks::SubscriptionInput;
use wagate_core::Timestamp;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ChannelId, DeliveryId, EventId, MessageId, SubscriptionId};
use wagate_core::message::Wamid;
use wagate_core::webhook::{
    BatchSize, DeliveryState, EventField, PayloadFormat, Subscription, SubscriptionPatch,
    VerifyToken, WebhookSecret, WebhookUrl,
};
use wagate_store::{Delivery, DeliveryFilter, Replay};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query};
use crate::kit::params::query_time;
use crate::manage::ErrorBody;
use crate::manage::messages::message_key;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(deliveries))
        .routes(routes!(replay_one))
        .routes(routes!(replay))
        .routes(routes!(message_deliveries))
}

// ---- wire types --------------------------------------------------------------------------

/// A new subscription. wagate verifies the URL first, as Meta does: a GET with
/// `hub.mode=subscribe`, `hub.verify_token` and `hub.challenge`, which must be answered 200
/// with the challenge as the body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// Where events are POSTed (`https://…`, or `http://` on a private network).
    pub url: String,
    /// The key payloads are signed with (`X-Hub-Signature-256`), like Meta's app secret:
    /// 8–256 printable characters. Never shown again.
    pub secret: String,
    /// Sent as `hub.verify_token` when the URL is verified.
    pub verify_token: String,
    /// Only this channel's events (default: every channel of the account).
    pub channel_id: Option<String>,
    /// Event fields: `messages` (users' messages), `statuses`, `message_template_status_update`,
    /// …, and wagate's own `contacts` (the contact book's changes, account-wide: not sent to
    /// a subscription limited to a channel). Default: `["messages", "statuses"]`.
    #[schema(value_type = Option<Vec<EventField>>)]
    pub fields: Option<Vec<String>>,
    /// Payload format: `cloud` (Meta's; the default), or a dialect's registered name.
    #[schema(pattern = "^[a-z0-9_]{1,32}$")]
    pub format: Option<String>,
    /// Events per POST, 1–100 (default 1: what Cloud API libraries read).
    #[schema(minimum = 1, maximum = 100)]
    pub batch_size: Option<u32>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Changes to a subscription; absent fields stay. A new `url` or `verify_token` is verified
/// again before it is saved.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub verify_token: Option<String>,
    #[schema(value_type = Option<Vec<EventField>>)]
    pub fields: Option<Vec<String>>,
    /// A registered payload format (`cloud`, or a dialect's).
    #[schema(pattern = "^[a-z0-9_]{1,32}$")]
    pub format: Option<String>,
    #[schema(minimum = 1, maximum = 100)]
    pub batch_size: Option<u32>,
    pub enabled: Option<bool>,
}

fn fields(v: &[String]) -> Result<Vec<EventField>, ValidationError> {
    if v.len() > EventField::ALL.len() * 2 {
        return Err(ValidationError::out_of_range(
            "fields",
            "lists too many fields",
        ));
    }
    v.iter().map(|f| EventField::parse(f)).collect()
}

impl CreateSubscription {
    fn into_input(self) -> Result<SubscriptionInput, ApiError> {
        Ok(SubscriptionInput {
            channel_id: self
                .channel_id
                .as_deref()
                .map(|c| {
                    c.parse::<ChannelId>()
                        .map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "channel", c))
                })
                .transpose()?,
            url: WebhookUrl::parse(&self.url)?,
            secret: WebhookSecret::parse(&self.secret)?,
            verify_token: VerifyToken::parse(&self.verify_token)?,
            fields: fields(self.fields.as_deref().unwrap_or_default())?,
            format: self
                .format
                .as_deref()
                .map(PayloadFormat::parse)
                .transpose()?
                .unwrap_or(PayloadFormat::CLOUD),
            batch_size: self
                .batch_size
                .map(BatchSize::new)
                .transpose()?
                .unwrap_or_default(),
            enabled: self.enabled.unwrap_or(true),
        })
    }
}

impl TryFrom<UpdateSubscription> for SubscriptionPatch {
    type Error = ValidationError;
    fn try_from(u: UpdateSubscription) -> Result<Self, ValidationError> {
        Ok(SubscriptionPatch {
            url: u.url.as_deref().map(WebhookUrl::parse).transpose()?,
            secret: u.secret.as_deref().map(WebhookSecret::parse).transpose()?,
            verify_token: u
                .verify_token
                .as_deref()
                .map(VerifyToken::parse)
                .transpose()?,
            fields: u.fields.as_deref().map(fields).transpose()?,
            format: u.format.as_deref().map(PayloadFormat::parse).transpose()?,
            batch_size: u.batch_size.map(BatchSize::new).transpose()?,
            enabled: u.enabled,
        })
    }
}

/// A subscription (its secret and verify token are never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: SubscriptionId,
    /// `null`: every channel of the account.
    pub channel_id: Option<ChannelId>,
    pub url: WebhookUrl,
    pub fields: Vec<EventField>,
    pub format: PayloadFormat,
    pub batch_size: u32,
    pub enabled: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            channel_id: s.channel_id,
            url: s.url,
            fields: s.fields,
            format: s.format,
            batch_size: s.batch_size.get(),
            enabled: s.enabled,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// One event on its way to one subscription, with its last attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: DeliveryId,
    pub subscription_id: SubscriptionId,
    /// The event's stable id (also sent as `X-Wagate-Event-Id`).
    pub event_id: EventId,
    /// The message the event is about.
    pub message_id: Option<MessageId>,
    pub field: EventField,
    /// `pending`, `delivered` or `dead`.
    pub status: DeliveryState,
    pub attempts: u32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's HTTP status on the last attempt (`null`: no answer).
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<u32>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    /// The first 512 bytes of the receiver's answer to the last attempt (`null`: no
    /// answer, or an empty one) — what a failing receiver says about itself.
    pub body_excerpt: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            subscription_id: d.subscription_id,
            event_id: d.event_id,
            message_id: d.message_id,
            field: d.field,
            status: d.state,
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            last_latency_ms: d.last_latency_ms,
            delivered_at: d.delivered_at,
            body_excerpt: d.body_excerpt,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead`.
    #[param(value_type = Option<DeliveryState>, inline)]
    pub status: Option<String>,
    /// Created at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Created before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// How many deliveries to return, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The previous page's `next_after`: continues with older deliveries.
    #[param(format = Uuid)]
    pub after: Option<String>,
}

/// What to replay: every dead letter (optionally within a time range), or every delivery
/// of a time range.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// `dead` (the default): dead letters only; `all`: every delivery in the range.
    #[schema(value_type = Option<ReplayOnly>)]
    pub only: Option<String>,
    /// RFC 3339; required with `only: "all"`.
    pub since: Option<String>,
    /// RFC 3339; required with `only: "all"`.
    pub until: Option<String>,
}

/// Which deliveries a replay sends again (documentation of `ReplayRequest.only`).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ReplayOnly {
    Dead,
    All,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// Deliveries queued again.
    pub replayed: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDeliveries {
    pub message_id: MessageId,
    pub wamid: Wamid,
    /// Every delivery of every event about the message, oldest first.
    pub deliveries: Vec<DeliveryView>,
}

fn subscription_id(raw: &str) -> Result<SubscriptionId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::SubscriptionNotFound, "subscription", raw))
}

fn naming(id: &str) -> impl FnOnce(wagate_app::Error) -> ApiError + '_ {
    move |e| {
        ApiError::naming(
            e,
            ErrorCode::SubscriptionNotFound,
            "subscription",
            id.to_owned(),
        )
    }
}

// ---- handlers ----------------------------------------------------------------------------

/// The account's webhook subscriptions, oldest first. Needs an account-wide key.
#[utoipa::path(get, path = "/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    responses((status = 200, body = List<SubscriptionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<List<SubscriptionView>>, ApiError> {
    let rows = state.app.list_subscriptions(&p).await?;
    Ok(Json(List {
        data: rows.into_iter().map(SubscriptionView::from).collect(),
        next_after: None,
    }))
}

/// Subscribe a URL to events, after verifying it like Meta. Needs an account-wide key.
#[utoipa::path(post, path = "/webhooks", operation_id = "create_webhook", tag = "webhooks", request_body = CreateSubscription,
    responses((status = 201, body = SubscriptionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<CreateSubscription>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let input = body.into_input()?;
    let channel = input.channel_id;
    let s = state
        .app
        .create_subscription(&p, input)
        .await
        .map_err(|e| match channel {
            Some(c) => ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", c.to_string()),
            None => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// One subscription.
#[utoipa::path(get, path = "/webhooks/{id}", operation_id = "get_webhook", tag = "webhooks", params(("id" = String, Path, description = "Subscription id")),
    responses((status = 200, body = SubscriptionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let sid = subscription_id(&id)?;
    let s = state
        .app
        .get_subscription(&p, sid)
        .await
        .map_err(naming(&id))?;
    Ok(Json(s.into()))
}

/// Change a subscription; a new URL or verify token is verified first.
#[utoipa::path(patch, path = "/webhooks/{id}", operation_id = "update_webhook", tag = "webhooks", request_body = UpdateSubscription,
    params(("id" = String, Path, description = "Subscription id")),
    responses((status = 200, body = SubscriptionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateSubscription>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let sid = subscription_id(&id)?;
    let patch = SubscriptionPatch::try_from(body)?;
    let s = state
        .app
        .update_subscription(&p, sid, patch)
        .await
        .map_err(naming(&id))?;
    Ok(Json(s.into()))
}

/// Remove a subscription and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{id}", operation_id = "delete_webhook", tag = "webhooks", params(("id" = String, Path, description = "Subscription id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let sid = subscription_id(&id)?;
    state
        .app
        .delete_subscription(&p, sid)
        .await
        .map_err(naming(&id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscription's delivery log, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", operation_id = "list_deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id"), DeliveryQuery),
    responses((status = 200, body = List<DeliveryView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<List<DeliveryView>>, ApiError> {
    let sid = subscription_id(&id)?;
    let filter = DeliveryFilter {
        state: q
            .status
            .as_deref()
            .map(|s| {
                DeliveryState::parse(s)
                    .map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.message).field("status"))
            })
            .transpose()?,
        since: query_time("since", q.since.as_deref())?,
        until: query_time("until", q.until.as_deref())?,
    };
    let (page, limit) = ListQuery {
        limit: q.limit,
        after: q.after.clone(),
    }
    .page::<DeliveryId>()?;
    let rows = state
        .app
        .list_deliveries(&p, sid, &filter, &page)
        .await
        .map_err(naming(&id))?;
    Ok(Json(List::from_rows(
        rows,
        limit,
        |d| d.id.to_string(),
        DeliveryView::from,
    )))
}

/// Send one delivery again now, whatever its state.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/replay", operation_id = "replay_delivery", tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id"), ("delivery_id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = Replayed), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn replay_one(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Json<Replayed>, ApiError> {
    let sid = subscription_id(&id)?;
    let unknown = || ApiError::not_found(ErrorCode::DeliveryNotFound, "delivery", delivery.clone());
    let did: DeliveryId = delivery.parse().map_err(|_| unknown())?;
    let replayed = state
        .app
        .replay_deliveries(&p, sid, Replay::One(did))
        .await
        .map_err(|e| match e.code() {
            ErrorCode::DeliveryNotFound => unknown(),
            _ => naming(&id)(e),
        })?;
    Ok(Json(Replayed { replayed }))
}

/// Send again every dead letter of the subscription (optionally in a time range), or every
/// delivery of a time range.
#[utoipa::path(post, path = "/webhooks/{id}/replay", operation_id = "replay_deliveries", tag = "webhooks", request_body = ReplayRequest,
    params(("id" = String, Path, description = "Subscription id")),
    responses((status = 200, body = Replayed), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplayRequest>,
) -> Result<Json<Replayed>, ApiError> {
    let sid = subscription_id(&id)?;
    let bad =
        |field: &'static str, m: &str| ApiError::from(ValidationError::new(field, m.to_owned()));
    let parse = |field: &'static str, v: Option<&str>| {
        v.map(|s| {
            s.parse::<Timestamp>()
                .map_err(|_| bad(field, "must be an RFC 3339 time like 2026-11-21T10:00:00Z"))
        })
        .transpose()
    };
    let since = parse("since", body.since.as_deref())?;
    let until = parse("until", body.until.as_deref())?;
    let what = match body.only.as_deref().unwrap_or("dead") {
        "dead" => Replay::Dead { since, until },
        "all" => Replay::Range {
            since: since.ok_or_else(|| bad("since", "is required with only: all"))?,
            until: until.ok_or_else(|| bad("until", "is required with only: all"))?,
        },
        _ => return Err(bad("only", "must be `dead` or `all`")),
    };
    let replayed = state
        .app
        .replay_deliveries(&p, sid, what)
        .await
        .map_err(naming(&id))?;
    Ok(Json(Replayed { replayed }))
}

/// Which events of one message went to which subscription, and how each went.
#[utoipa::path(get, path = "/messages/{id}/deliveries", operation_id = "message_deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Message id or wamid")),
    responses((status = 200, body = MessageDeliveries), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn message_deliveries(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<MessageDeliveries>, ApiError> {
    let key = message_key(&id)?;
    let (message, deliveries) = state
        .app
        .message_deliveries(&p, &key)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", id.clone()))?;
    Ok(Json(MessageDeliveries {
        message_id: message.id,
        wamid: message.wamid,
        deliveries: deliveries.into_iter().map(DeliveryView::from).collect(),
    }))
}
