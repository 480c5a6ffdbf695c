//! WOZTELL's credential: `accessToken`, a wagate API key (one limited to the channel is the
//! natural "channel access token"), in the query string on `GET` and in the JSON body on
//! `PUT`/`PATCH`/`DELETE`/`POST` (the query is accepted on every method too). A missing,
//! unknown or revoked token is `{"ok": 0, "error": {"code": "UNAUTHORIZED", …}}` (401).
//!
//! The channel a call is about comes from its parameters, as the seed names them:
//! `phoneNumberId` (a phone number id, or a wagate channel id), `channelId` (a wagate
//! channel id, or a phone number id), or `wabaId` (the first of the caller's channels on
//! that WABA). A call that names none (the flow, encryption, analytics and catalog APIs,
//! whose channel WOZTELL takes from the signed context) uses the key's only channel, or the
//! account's only channel; with several, `channelId` is required. Another account's ids, like
//! unknown ones, are 404 `NOT_FOUND`.
//!
//! Not done: the `X-Woztell-Payload` + `X-Woztell-SignedContext` scheme (an HMAC-SHA256 over
//! the payload with a per-channel secret); those endpoints take `accessToken` instead.

use axum::extract::{FromRequest, Request};
use axum::http::request::Parts;
use serde_json::{Map, Value};
use wagate_app::Principal;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ChannelId, PhoneNumberId, WabaId};
use wagate_store::Page;

use crate::auth::{Scheme, authenticate, key_principal, missing, query_key};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// The parameter the token travels in.
pub const PARAM: &str = "accessToken";

/// The token found in a JSON body, for [`AccessToken`].
#[derive(Clone)]
struct BodyToken(String);

/// `?accessToken=<key>`, or `"accessToken": "<key>"` in the JSON body.
pub struct AccessToken;

impl Scheme for AccessToken {
    async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        let key = query_key(parts, PARAM)
            .or_else(|| parts.extensions.get::<BodyToken>().map(|t| t.0.clone()));
        match key {
            Some(key) => key_principal(state, &key).await,
            None => Err(missing(
                "send the channel's access token (a wagate API key) as accessToken: in the \
                 query string, or in the JSON body",
            )),
        }
    }
}

/// An authenticated WOZTELL call: the caller and its parameters (the query string's, then the
/// JSON body's, `accessToken` taken out).
pub struct Call {
    pub principal: Principal,
    pub params: Map<String, Value>,
}

impl FromRequest<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, state.config.max_body_bytes)
            .await
            .map_err(|_| {
                ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            })?;
        let mut params = Map::new();
        if let Some(q) = parts.uri.query() {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                params.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            match parse_json::<Value>(&bytes)? {
                Value::Object(m) => params.extend(m),
                _ => {
                    return Err(ValidationError::new("body", "must be a JSON object").into());
                }
            }
        }
        match params.remove(PARAM) {
            Some(Value::String(t)) if !t.trim().is_empty() => {
                parts.extensions.insert(BodyToken(t.trim().to_owned()));
            }
            _ => {}
        }
        let principal = authenticate::<AccessToken>(&mut parts, state).await?;
        Ok(Call { principal, params })
    }
}

impl Call {
    /// Parameter `key` as text (a string, or a number written as one); `None` when absent,
    /// null or blank.
    pub fn text(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ValidationError::new(key, "must be a string").into()),
        }
    }

    /// Parameter `key`, required.
    pub fn required(&self, key: &str) -> Result<String, ApiError> {
        self.text(key)?
            .ok_or_else(|| ValidationError::missing(key, "is required").into())
    }

    /// The channel the call names (see the module docs).
    pub async fn channel(&self, state: &AppState) -> Result<Channel, ApiError> {
        for key in ["phoneNumberId", "channelId"] {
            if let Some(raw) = self.text(key)? {
                return by_id(state, &self.principal, &raw)
                    .await
                    .map_err(|e| e.field(key));
            }
        }
        if let Some(raw) = self.text("wabaId")? {
            let waba = self.waba(state).await?;
            let channels = state
                .app
                .list_channels(&self.principal, &Page::all())
                .await?;
            return channels
                .into_iter()
                .filter(|c| c.waba_id == waba)
                .min_by_key(|c| c.created_at)
                .ok_or_else(|| {
                    ApiError::not_found(ErrorCode::ChannelNotFound, "WABA", &raw).field("wabaId")
                });
        }
        let channels = state
            .app
            .list_channels(&self.principal, &Page::first(2))
            .await?;
        match channels.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(ApiError::new(
                ErrorCode::ChannelNotFound,
                "this access token reaches no channel",
            )),
            _ => Err(ValidationError::missing(
                "channelId",
                "is required: this access token reaches several channels",
            )
            .into()),
        }
    }

    /// The WABA `wabaId` names (required), one of the caller's.
    pub async fn waba(&self, state: &AppState) -> Result<WabaId, ApiError> {
        let raw = self.required("wabaId")?;
        let unknown = || ApiError::not_found(ErrorCode::ChannelNotFound, "WABA", &raw);
        let id = WabaId::parse(&raw).map_err(|_| unknown().field("wabaId"))?;
        state
            .app
            .waba(&self.principal, &id)
            .await
            .map_err(|_| unknown().field("wabaId"))
    }
}

/// The caller's channel named `raw`: its id or its phone number id.
async fn by_id(state: &AppState, p: &Principal, raw: &str) -> Result<Channel, ApiError> {
    let unknown = || ApiError::not_found(ErrorCode::ChannelNotFound, "channel", raw);
    let found = if let Ok(id) = raw.parse::<ChannelId>() {
        state.app.get_channel(p, id).await
    } else if let Ok(pnid) = PhoneNumberId::parse(raw) {
        state.app.channel_by_phone_number_id(p, &pnid).await
    } else {
        return Err(unknown());
    };
    let channel =
        found.map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", raw))?;
    tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
    Ok(channel)
}
