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
//! The **signed context** ([`SIGNED_PATHS`]: the endpoints the seed marks with the signed
//! headers, which take `accessToken` too): `X-Woztell-Payload`, standard base64 of
//! `{"channelId": "<wagate channel id>", "iat": <unix seconds>}`, and
//! `X-Woztell-SignedContext`, lowercase hex of HMAC-SHA256 keyed with the channel's WOZTELL
//! secret (issued at `POST /api/v1/channels/{id}/woztell-secret`) over the payload header's
//! raw value. When either header is present it is the scheme used: a bad or missing
//! signature, an `iat` more than 300 s from now, a channel without a secret, or a call naming
//! another channel (`phoneNumberId`, `channelId`, `wabaId`) is `UNAUTHORIZED` (401). The
//! caller is then limited to that one channel (see `wagate_app::channels::woztell_secret`).

use axum::extract::{FromRequest, Request};
use axum::http::request::Parts;
use serde_json::{Map, Value};
use wagate_app::Principal;
use wagate_app::channels::woztell_secret::SignedContext;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ChannelId, WabaId};
use wagate_store::Page;

use crate::auth::{Scheme, authenticate, key_principal, missing, query_key};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// The parameter the token travels in.
pub const PARAM: &str = "accessToken";

/// The signed-context headers.
pub const PAYLOAD: &str = "x-woztell-payload";
pub const SIGNED_CONTEXT: &str = "x-woztell-signedcontext";

/// The paths (after [`super::BASE`]) that take the signed context as well as `accessToken`.
pub const SIGNED_PATHS: &[&str] = &[
    "/whatsapp-displayname-status",
    "/whatsapp-business-encryption",
    "/conversation-analytics",
    "/catalogs",
    "/products",
    "/flow",
    "/flow-screen-payload",
    "/flow-preview",
    "/flow-detail",
    "/create-flow",
    "/flow-metadata",
    "/flow-json",
    "/publish-flow",
    "/deprecate-flow",
];

fn takes_signed(path: &str) -> bool {
    path.strip_prefix(super::BASE)
        .is_some_and(|rest| SIGNED_PATHS.contains(&rest.trim_end_matches('/')))
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidApiKey, message)
}

/// The signed context of a request on a [`SIGNED_PATHS`] endpoint; `None` when neither
/// header is there.
async fn signed(parts: &Parts, state: &AppState) -> Result<Option<SignedContext>, ApiError> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().map(str::to_owned))
    };
    let (payload, signature) = (header(PAYLOAD), header(SIGNED_CONTEXT));
    match (payload, signature) {
        (None, None) => Ok(None),
        (Some(Ok(payload)), Some(Ok(signature))) => state
            .app
            .verify_woztell_context(&payload, &signature)
            .await
            .map(Some)
            .map_err(|e| match e {
                wagate_app::Error::Failed(_, message) => unauthorized(message),
                e => e.into(),
            }),
        _ => Err(unauthorized(
            "send both X-Woztell-Payload and X-Woztell-SignedContext (see the README's \
             WOZTELL section)",
        )),
    }
}

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
    /// The channel a signed context is limited to; `None` for `accessToken`.
    pub signed: Option<ChannelId>,
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
        if takes_signed(parts.uri.path())
            && let Some(ctx) = signed(&parts, state).await?
        {
            tracing::Span::current().record("channel_id", tracing::field::display(ctx.channel_id));
            return Ok(Call {
                principal: ctx.principal,
                params,
                signed: Some(ctx.channel_id),
            });
        }
        let principal = authenticate::<AccessToken>(&mut parts, state).await?;
        Ok(Call {
            principal,
            params,
            signed: None,
        })
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

    /// The channel the call names (see the module docs). With a signed context, only its
    /// channel: naming another is `UNAUTHORIZED`.
    pub async fn channel(&self, state: &AppState) -> Result<Channel, ApiError> {
        let found = self.named_channel(state).await;
        let Some(signed) = self.signed else {
            return found;
        };
        match found {
            Ok(c) if c.id == signed => Ok(c),
            Ok(_) => Err(foreign()),
            Err(e) if e.code == ErrorCode::ChannelNotFound => Err(foreign()),
            Err(e) => Err(e),
        }
    }

    async fn named_channel(&self, state: &AppState) -> Result<Channel, ApiError> {
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

fn foreign() -> ApiError {
    unauthorized("the signed context is for another channel than the one this call names")
}

/// The caller's channel named `raw`: its id or its phone number id.
async fn by_id(state: &AppState, p: &Principal, raw: &str) -> Result<Channel, ApiError> {
    let channel = state
        .app
        .channel_named(p, raw)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", raw))?;
    tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
    Ok(channel)
}
