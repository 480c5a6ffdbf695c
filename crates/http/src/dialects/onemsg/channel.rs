//! The channel: `GET /status`, `GET /me`, `GET/POST /settings`, `POST /webhook` and
//! `GET /hookInfo`.
//!
//! - **status**: `connected` while the number is registered, `unregistered` once it is
//!   deregistered (Cloud API numbers have no connecting or uninitialized states).
//! - **me**: the business profile (`about`, `address`, `description`, `email`, `phone`,
//!   `vertical`, `photo`).
//! - **settings / webhook**: `webhookUrl` is a wagate webhook subscription of this channel
//!   in the `1msg` format ([`super::webhook`]); `null` (or empty) removes it.
//!   `ackNotificationsOn` (default true) says whether acks are sent beside messages. They
//!   are account settings: an account-wide token is needed to change them.
//! - **hookInfo**: a message's status history (`messageId`) as `{hooks: [{id, status,
//!   time, chatId, error, pricing, conversation}]}`, oldest first.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_app::media::from::KeepAs;
use wagate_app::webhooks::SubscriptionInput;
use wagate_core::channel::{Channel, Vertical};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::message::Wamid;
use wagate_core::profile::ProfileUpdate;
use wagate_core::registration::RegistrationStatus;
use wagate_core::webhook::{
    BatchSize, EventField, PayloadFormat, Subscription, SubscriptionPatch, VerifyToken,
    WebhookSecret, WebhookUrl,
};
use wagate_store::MessageKey;

use super::auth::{Call, Instance};
use super::send::required;
use super::webhook::FORMAT;
use super::wire;
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::state::AppState;

/// `GET /status`.
pub async fn status(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
) -> Result<Json<Value>, ApiError> {
    let number = state
        .app
        .phone_number(&principal, channel, false, state.app.now())
        .await?;
    let status = match number.registration.status {
        RegistrationStatus::Registered => "connected",
        RegistrationStatus::Deregistered => "unregistered",
    };
    Ok(Json(json!({ "status": status })))
}

/// 1MSG's verticals (display names) and Meta's codes.
const VERTICALS: &[(&str, Vertical)] = &[
    ("Automotive", Vertical::Auto),
    ("Beauty, Spa and Salon", Vertical::Beauty),
    ("Clothing and Apparel", Vertical::Apparel),
    ("Education", Vertical::Edu),
    ("Entertainment", Vertical::Entertain),
    ("Event Planning and Service", Vertical::EventPlan),
    ("Finance and Banking", Vertical::Finance),
    ("Food and Grocery", Vertical::Grocery),
    ("Public Service", Vertical::Govt),
    ("Hotel and Lodging", Vertical::Hotel),
    ("Medical and Health", Vertical::Health),
    ("Non-profit", Vertical::Nonprofit),
    ("Professional Services", Vertical::ProfServices),
    ("Shopping and Retail", Vertical::Retail),
    ("Travel and Transportation", Vertical::Travel),
    ("Restaurant", Vertical::Restaurant),
    ("Other", Vertical::Other),
];

/// `GET /me`: `vertical` by 1MSG's display name (Meta's code for one 1MSG has no name
/// for).
pub async fn me(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
) -> Result<Json<Value>, ApiError> {
    let p = state
        .app
        .business_profile(&principal, &channel, &state.base_url)
        .await?;
    let vertical = p.vertical.map(|v| {
        VERTICALS
            .iter()
            .find(|(_, code)| *code == v)
            .map_or(v.as_str(), |(name, _)| name)
    });
    Ok(Json(json!({
        "about": p.about.as_ref().map(|v| v.as_str()),
        "address": p.address.as_ref().map(|v| v.as_str()),
        "description": p.description.as_ref().map(|v| v.as_str()),
        "email": p.email.as_ref().map(|v| v.as_str()),
        "phone": channel.display_phone_number.digits(),
        "vertical": vertical,
        "photo": p.profile_picture_url,
    })))
}

/// `POST /me`: `about`, `address`, `description`, `email`, `vertical` (1MSG's display name
/// or Meta's code) and `photo` (a link, base64 with its mime data, or a form-data file: a
/// JPEG or PNG). `phone`, the linked number, cannot change and is ignored.
pub async fn update_me(
    State(state): State<AppState>,
    mut call: Call,
) -> Result<Json<Value>, ApiError> {
    let photo = if call.multipart.is_some() || call.params.get("photo").is_some() {
        super::send::keep_file(&state, &mut call, "photo", KeepAs::UploadHandle).await?
    } else {
        None
    };
    let mut body = json!({"messaging_product": "whatsapp"});
    for field in ["about", "address", "description", "email"] {
        if let Some(v) = call.params.get(field) {
            body[field] = v.clone();
        }
    }
    if let Some(v) = call.params.str("vertical") {
        let code = VERTICALS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(v.trim()))
            .map_or(v.trim(), |(_, code)| code.as_str());
        body["vertical"] = json!(code);
    } else if let Some(v) = call.params.get("vertical") {
        body["vertical"] = v.clone();
    }
    if let Some(handle) = photo.and_then(|kept| kept.handle) {
        body["profile_picture_handle"] = json!(handle);
    }
    let update = ProfileUpdate::parse(&body)?;
    state
        .app
        .update_business_profile(&call.principal, &call.channel, update, &state.base_url)
        .await?;
    Ok(Json(json!({"result": "success"})))
}

fn format() -> PayloadFormat {
    PayloadFormat::named(FORMAT)
}

/// The channel's subscription in the 1MSG format, if any.
async fn subscription(
    state: &AppState,
    p: &Principal,
    channel: &Channel,
) -> Result<Option<Subscription>, ApiError> {
    let subs = state.app.list_subscriptions(p).await?;
    Ok(subs
        .into_iter()
        .find(|s| s.channel_id == Some(channel.id) && s.format == format()))
}

fn settings_of(s: Option<&Subscription>) -> Value {
    json!({
        "webhookUrl": s.map(|s| s.url.as_str()),
        "ackNotificationsOn": s.is_none_or(|s| s.fields.contains(&EventField::Statuses)),
    })
}

fn fields(acks: bool) -> Vec<EventField> {
    if acks {
        vec![EventField::Messages, EventField::Statuses]
    } else {
        vec![EventField::Messages]
    }
}

/// Sets (or, with `None`, removes) the channel's webhook URL; `acks` changes whether acks
/// are sent.
async fn set(
    state: &AppState,
    p: &Principal,
    channel: &Channel,
    url: Option<WebhookUrl>,
    acks: Option<bool>,
) -> Result<Option<Subscription>, ApiError> {
    let existing = subscription(state, p, channel).await?;
    match (existing, url) {
        (Some(s), None) => {
            state.app.delete_subscription(p, s.id).await?;
            Ok(None)
        }
        (Some(s), Some(url)) => {
            let patch = SubscriptionPatch {
                url: Some(url),
                fields: acks.map(fields),
                ..SubscriptionPatch::default()
            };
            Ok(Some(state.app.update_subscription(p, s.id, patch).await?))
        }
        (None, Some(url)) => {
            let secret = uuid::Uuid::new_v4().simple().to_string();
            let input = SubscriptionInput {
                channel_id: Some(channel.id),
                url,
                secret: WebhookSecret::parse(&secret)?,
                verify_token: VerifyToken::parse(&secret)?,
                fields: fields(acks.unwrap_or(true)),
                format: format(),
                batch_size: BatchSize::ONE,
                enabled: true,
            };
            Ok(Some(state.app.create_subscription(p, input).await?))
        }
        (None, None) => Ok(None),
    }
}

/// `webhookUrl` as given: absent, `null`/empty (remove), or a URL.
fn url_param(params: &Params) -> Result<Option<Option<WebhookUrl>>, ValidationError> {
    match params.get("webhookUrl") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => WebhookUrl::parse(s.trim())
            .map(|u| Some(Some(u)))
            .map_err(|e| ValidationError::new("webhookUrl", e.message)),
        Some(_) => Err(ValidationError::new("webhookUrl", "must be a URL or null")),
    }
}

fn bool_param(params: &Params, name: &str) -> Result<Option<bool>, ValidationError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "1" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" || s == "0" => Ok(Some(false)),
        Some(_) => Err(ValidationError::new(name, "must be true or false")),
    }
}

/// `GET /settings`.
pub async fn settings(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
) -> Result<Json<Value>, ApiError> {
    let s = subscription(&state, &principal, &channel).await?;
    Ok(Json(settings_of(s.as_ref())))
}

/// `POST /settings`: `webhookUrl` (null clears it), `ackNotificationsOn`.
pub async fn update_settings(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let url = url_param(&call.params)?;
    let acks = bool_param(&call.params, "ackNotificationsOn")?;
    let current = subscription(&state, &call.principal, &call.channel).await?;
    let s = match url {
        Some(url) => set(&state, &call.principal, &call.channel, url, acks).await?,
        None => match current {
            Some(s) => {
                let url = Some(s.url.clone());
                set(&state, &call.principal, &call.channel, url, acks).await?
            }
            None => None,
        },
    };
    let mut answer = settings_of(s.as_ref());
    answer["update"] = json!(true);
    Ok(Json(answer))
}

/// `POST /webhook`: `webhookUrl` (required).
pub async fn webhook(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    required(&call.params, "webhookUrl")?;
    let Some(url) = url_param(&call.params)? else {
        return Err(ValidationError::missing("webhookUrl", "is required").into());
    };
    let s = set(&state, &call.principal, &call.channel, url, None).await?;
    Ok(Json(json!({
        "set": true,
        "message": "Webhook is set",
        "webhookUrl": s.as_ref().map(|s| s.url.as_str()),
    })))
}

/// `GET /hookInfo?messageId=`.
pub async fn hook_info(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
    uri: axum::http::Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::query(uri.query());
    let id = required(&params, "messageId")?;
    let unknown = || ApiError::not_found(ErrorCode::MessageNotFound, "message", id.clone());
    let wamid = Wamid::parse_field("messageId", &id).map_err(|_| unknown())?;
    let (m, history) = state
        .app
        .message_history(&principal, &MessageKey::Wamid(wamid))
        .await
        .map_err(|_| unknown())?;
    if m.channel_id != channel.id {
        return Err(unknown());
    }
    let chat = m.wa_id.as_ref().map(wire::chat_id);
    let hooks: Vec<Value> = history
        .iter()
        .map(|h| {
            json!({
                "id": m.wamid.as_str(),
                "status": wire::ack(h.status),
                "time": h.at.as_second(),
                "chatId": chat,
                "error": h.error.as_ref().map(|e| json!({"code": e.code, "title": e.title})),
                "pricing": h.pricing,
                "conversation": h.conversation,
            })
        })
        .collect();
    Ok(Json(json!({ "hooks": hooks })))
}

fn commerce_json(c: &wagate_core::profile::CommerceSettings) -> Value {
    json!({"is_cart_enabled": c.is_cart_enabled, "is_catalog_visible": c.is_catalog_visible})
}

/// `GET /commerce`: `[{is_cart_enabled, is_catalog_visible}]` (the seed's sample is an
/// array of one).
pub async fn commerce(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
) -> Result<Json<Value>, ApiError> {
    let c = state.app.commerce_settings(&principal, &channel).await?;
    Ok(Json(json!([commerce_json(&c)])))
}

/// `POST /commerce`: `is_cart_enabled`, `is_catalog_visible` → `{success: true}`.
pub async fn update_commerce(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let update = wagate_core::profile::CommerceUpdate::parse(call.params.as_map())?;
    state
        .app
        .update_commerce_settings(&call.principal, &call.channel, update)
        .await?;
    Ok(Json(json!({"success": true})))
}

/// `GET /outputIP`: `{result: "<address>"}`, the address wagate's outbound calls (webhooks,
/// media links) leave from, as the operator configured it (`[outbound] egress_ip`); 503
/// while it is not configured (wagate cannot know the address a NAT gives it).
pub async fn output_ip(
    State(state): State<AppState>,
    Instance { .. }: Instance,
) -> Result<Json<Value>, ApiError> {
    match state.config.outbound.egress_ip {
        Some(ip) => Ok(Json(json!({"result": ip.to_string()}))),
        None => Err(ApiError::new(
            ErrorCode::NotReady,
            "this server's egress address is not configured; the operator sets it as \
             egress_ip in the settings file's [outbound] section",
        )),
    }
}
