//! Calls to a business's WhatsApp Flows endpoint ("data exchange"), as the WhatsApp client
//! makes them: `ping` (the health check), and `INIT` / `data_exchange` / `BACK` for a flow
//! being filled in.
//!
//! # The call
//! Each request is JSON (`{"version":"3.0","action":…,"screen":…,"data":…,"flow_token":…}`),
//! encrypted with the phone number's business public key (`wagate_core::flow::crypto`: a
//! fresh AES-128-GCM key wrapped with RSA-OAEP-SHA256, a fresh 16-byte IV) and POSTed as
//! `{"encrypted_flow_data","encrypted_aes_key","initial_vector"}` with
//! `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`, as Meta signs them with the app
//! secret. The answer is the response JSON encrypted under the same key and the flipped IV,
//! base64, as the whole body.
//!
//! The signing secret is the one the business already checks wagate's signatures with:
//! for a cloud channel its app secret (`upstream.app_secret`, the secret Meta itself signs
//! with); otherwise the secret of the account's webhook subscription for this phone number
//! (the oldest enabled one), else of its oldest enabled account-wide subscription.
//!
//! Calls go through wagate's outbound client: the SSRF guard (`[outbound]
//! allow_private_networks`), no redirects, and a timeout ([`DEFAULT_TIMEOUT`], Meta's 10 s;
//! [`App::with_flow_endpoint_timeout`] changes it).
//!
//! # Errors ([`EndpointError`])
//! - `UnknownPhoneNumber`: the phone number id is not one of the account's.
//! - `Blocked`: the outbound guard refuses the endpoint's address (a private network); checked
//!   before anything else about the call.
//! - `NoBusinessKey`: no business public key is set on the number (`POST
//!   /{phone_number_id}/whatsapp_business_encryption` first): nothing can be encrypted.
//! - `NoSigningSecret`: neither an app secret nor a webhook subscription to sign with.
//! - `Timeout`: no whole answer within the timeout; `Unreachable`: no connection (refused,
//!   DNS, TLS) or the connection broke.
//! - `KeyRefetch` (HTTP 421): Meta's code for "the endpoint could not decrypt the request";
//!   the WhatsApp client then downloads the business public key again and retries once. A
//!   business answers it after rotating its key pair; a caller should re-read the key
//!   (`GET …/whatsapp_business_encryption`) and try again.
//! - `FlowTokenInvalid` (HTTP 427): the flow token is no longer valid (the business closed
//!   that flow); the client shows an error and the flow cannot go on.
//! - `Status`: any other status but 200 (Meta treats it as the endpoint failing).
//! - `Undecryptable`: a 200 whose body is not base64 or does not authenticate under the
//!   request's key and flipped IV (encrypted with another key, or not encrypted at all).
//! - `InvalidResponse`: the body decrypts but is not what the action expects (not JSON, no
//!   `screen`, a `SUCCESS` without `extension_message_response.params.flow_token`, a ping
//!   answer without `data.status` = `active`).

use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value, json};
use wagate_core::channel::{Channel, Upstream};
use wagate_core::flow::crypto::{self, CryptoError};
use wagate_core::ids::{AccountId, PhoneNumberId};
use wagate_core::webhook::ascii;
use wagate_store::{Entity, StoreError};

use crate::App;

/// How long an endpoint has to answer (Meta's limit).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The request version wagate speaks.
pub const VERSION: &str = "3.0";
/// The largest response body read (Meta's responses are small; a screen's data at most 1 MB).
const MAX_RESPONSE: usize = 2 * 1024 * 1024;

/// Why a call to a Flows endpoint failed (see the module docs).
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("the phone number id is not one of the account's")]
    UnknownPhoneNumber,
    #[error("no business public key is set on this phone number")]
    NoBusinessKey,
    #[error(
        "no secret to sign the request with: set the channel's app secret or add a webhook subscription"
    )]
    NoSigningSecret,
    #[error("the endpoint's address is refused: {0}")]
    Blocked(String),
    #[error("the endpoint did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the endpoint could not be reached: {0}")]
    Unreachable(String),
    #[error(
        "the endpoint answered 421: it could not decrypt the request; re-read the business public key and retry"
    )]
    KeyRefetch,
    #[error("the endpoint answered 427: the flow token is no longer valid")]
    FlowTokenInvalid,
    #[error("the endpoint answered HTTP {0}")]
    Status(u16),
    #[error("the endpoint's answer does not decrypt: {0}")]
    Undecryptable(CryptoError),
    #[error("the endpoint's answer is not a valid response: {0}")]
    InvalidResponse(String),
    #[error("the request could not be encrypted: {0}")]
    Encrypt(CryptoError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Other(Box<crate::error::Error>),
}

impl EndpointError {
    /// A stable snake_case name of the case, for logs, metrics and health reports.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownPhoneNumber => "unknown_phone_number",
            Self::NoBusinessKey => "no_business_key",
            Self::NoSigningSecret => "no_signing_secret",
            Self::Blocked(_) => "blocked",
            Self::Timeout(_) => "timeout",
            Self::Unreachable(_) => "unreachable",
            Self::KeyRefetch => "key_refetch",
            Self::FlowTokenInvalid => "flow_token_invalid",
            Self::Status(_) => "http_status",
            Self::Undecryptable(_) => "undecryptable",
            Self::InvalidResponse(_) => "invalid_response",
            Self::Encrypt(_) => "encrypt",
            Self::Store(_) | Self::Other(_) => "internal",
        }
    }
}

impl From<crate::error::Error> for EndpointError {
    fn from(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::Store(s) => Self::from(s),
            other => Self::Other(Box::new(other)),
        }
    }
}

impl From<StoreError> for EndpointError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(Entity::Channel) => Self::UnknownPhoneNumber,
            other => Self::Store(other),
        }
    }
}

/// The endpoint's answer to a ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `active`, the only status Meta defines.
    pub status: String,
}

/// What the user did, as a request's `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowAction {
    /// The flow opens (data-exchange flows whose first screen needs data).
    Init,
    /// A screen's footer was tapped with `on-click-action` `data_exchange`.
    DataExchange,
    /// The back button, on a screen with `refresh_on_back`.
    Back,
}

impl FlowAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "INIT",
            Self::DataExchange => "data_exchange",
            Self::Back => "BACK",
        }
    }
}

/// A request of a flow in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRequest {
    /// `3.0`.
    pub version: String,
    pub action: FlowAction,
    /// The screen the request comes from (absent for `INIT`).
    pub screen: Option<String>,
    /// The screen's payload (absent or empty for `INIT` and `BACK`).
    pub data: Map<String, Value>,
    /// The token the business gave the flow when it sent it.
    pub flow_token: String,
}

impl FlowRequest {
    /// A request in version [`VERSION`].
    pub fn new(action: FlowAction, flow_token: impl Into<String>) -> Self {
        Self {
            version: VERSION.to_owned(),
            action,
            screen: None,
            data: Map::new(),
            flow_token: flow_token.into(),
        }
    }

    pub fn screen(mut self, screen: impl Into<String>) -> Self {
        self.screen = Some(screen.into());
        self
    }

    pub fn data(mut self, data: Map<String, Value>) -> Self {
        self.data = data;
        self
    }

    /// The JSON the endpoint decrypts.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "version": self.version,
            "action": self.action.as_str(),
            "flow_token": self.flow_token,
        });
        if let Some(screen) = &self.screen {
            v["screen"] = json!(screen);
        }
        if !self.data.is_empty() {
            v["data"] = Value::Object(self.data.clone());
        }
        v
    }
}

/// What the endpoint answered a flow request.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowResponse {
    /// Show `screen` with `data`.
    Screen {
        screen: String,
        data: Map<String, Value>,
    },
    /// The flow is done (`"screen":"SUCCESS"`): the client closes it and sends the business
    /// `params` (with the flow token) as the `nfm_reply` message.
    Success {
        flow_token: String,
        /// Every parameter, `flow_token` included, as the endpoint sent them.
        params: Map<String, Value>,
    },
    /// Stay on `screen` and show `message` (a `data.error_message`).
    Error {
        screen: String,
        message: String,
        data: Map<String, Value>,
    },
}

impl FlowResponse {
    /// Reads a decrypted response.
    pub fn parse(v: &Value) -> Result<Self, String> {
        let screen = v
            .get("screen")
            .and_then(Value::as_str)
            .ok_or("no `screen` string")?
            .to_owned();
        let data = match v.get("data") {
            Some(Value::Object(m)) => m.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err("`data` is not an object".to_owned()),
        };
        if screen == "SUCCESS" {
            let params = data
                .get("extension_message_response")
                .and_then(|e| e.get("params"))
                .and_then(Value::as_object)
                .ok_or("a SUCCESS without `data.extension_message_response.params`")?
                .clone();
            let flow_token = params
                .get("flow_token")
                .and_then(Value::as_str)
                .ok_or("a SUCCESS whose params have no `flow_token` string")?
                .to_owned();
            return Ok(Self::Success { flow_token, params });
        }
        if let Some(message) = data.get("error_message").and_then(Value::as_str) {
            return Ok(Self::Error {
                screen,
                message: message.to_owned(),
                data,
            });
        }
        Ok(Self::Screen { screen, data })
    }
}

impl App {
    /// The same services with Flows endpoint calls timing out after `timeout`.
    pub fn with_flow_endpoint_timeout(mut self, timeout: Duration) -> Self {
        self.flow_endpoint_timeout = timeout;
        self
    }

    /// Pings the endpoint (Meta's health check): `{"version":"3.0","action":"ping"}`, which
    /// must answer `{"data":{"status":"active"}}`.
    #[tracing::instrument(skip_all, fields(phone_number_id = %phone_number_id))]
    pub async fn flow_endpoint_ping(
        &self,
        account: AccountId,
        phone_number_id: &PhoneNumberId,
        endpoint_uri: &Url,
    ) -> Result<Health, EndpointError> {
        let body = json!({"version": VERSION, "action": "ping"});
        let answer = self
            .flow_endpoint_call(account, phone_number_id, endpoint_uri, &body)
            .await?;
        match answer.pointer("/data/status").and_then(Value::as_str) {
            Some("active") => Ok(Health {
                status: "active".to_owned(),
            }),
            _ => Err(EndpointError::InvalidResponse(
                "a ping answer must be {\"data\":{\"status\":\"active\"}}".to_owned(),
            )),
        }
    }

    /// Sends a flow's request (`INIT`, `data_exchange`, `BACK`) and reads the answer.
    #[tracing::instrument(skip_all, fields(phone_number_id = %phone_number_id, action = request.action.as_str()))]
    pub async fn flow_endpoint_exchange(
        &self,
        account: AccountId,
        phone_number_id: &PhoneNumberId,
        endpoint_uri: &Url,
        request: FlowRequest,
    ) -> Result<FlowResponse, EndpointError> {
        let answer = self
            .flow_endpoint_call(account, phone_number_id, endpoint_uri, &request.to_json())
            .await?;
        FlowResponse::parse(&answer).map_err(EndpointError::InvalidResponse)
    }

    /// Encrypts, signs and POSTs `body`; the decrypted JSON answer.
    async fn flow_endpoint_call(
        &self,
        account: AccountId,
        phone_number_id: &PhoneNumberId,
        endpoint_uri: &Url,
        body: &Value,
    ) -> Result<Value, EndpointError> {
        let channel = self
            .store
            .find_channel_by_phone_number_id(phone_number_id)
            .await?;
        if channel.account_id != account {
            return Err(EndpointError::UnknownPhoneNumber);
        }
        crate::platform::outbound::check(endpoint_uri.as_str(), self.allow_private_networks)
            .map_err(EndpointError::Blocked)?;
        let key = self
            .stored_business_key(&channel)
            .await?
            .ok_or(EndpointError::NoBusinessKey)?;
        let secret = self
            .flow_signing_secret(&channel)
            .await?
            .ok_or(EndpointError::NoSigningSecret)?;

        let plaintext = serde_json::to_vec(body).expect("a JSON value serialises");
        let (encrypted, session) =
            crypto::encrypt_request(&key.key, &plaintext).map_err(EndpointError::Encrypt)?;
        let wire = serde_json::to_vec(&encrypted).expect("the request body serialises");
        let timeout = self.flow_endpoint_timeout;
        let res = self
            .http
            .post(endpoint_uri.clone())
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                ascii::signature(secret.as_bytes(), &wire),
            )
            .header("user-agent", "wagate-flows")
            .timeout(timeout)
            .body(wire)
            .send()
            .await
            .map_err(|e| failed(&e, timeout))?;
        let status = res.status().as_u16();
        match status {
            200 => {}
            421 => return Err(EndpointError::KeyRefetch),
            427 => return Err(EndpointError::FlowTokenInvalid),
            other => return Err(EndpointError::Status(other)),
        }
        if res
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE as u64)
        {
            return Err(EndpointError::InvalidResponse(format!(
                "the answer is over {MAX_RESPONSE} bytes"
            )));
        }
        let bytes = res.bytes().await.map_err(|e| failed(&e, timeout))?;
        if bytes.len() > MAX_RESPONSE {
            return Err(EndpointError::InvalidResponse(format!(
                "the answer is over {MAX_RESPONSE} bytes"
            )));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| EndpointError::Undecryptable(CryptoError::Base64("response")))?;
        let plain =
            crypto::decrypt_response(&session, text).map_err(EndpointError::Undecryptable)?;
        serde_json::from_slice(&plain)
            .map_err(|_| EndpointError::InvalidResponse("the decrypted answer is not JSON".into()))
    }

    /// The secret requests are signed with (see the module docs).
    async fn flow_signing_secret(
        &self,
        channel: &Channel,
    ) -> Result<Option<String>, EndpointError> {
        if let Upstream::Cloud(settings) = &channel.upstream
            && let Some(secret) = &settings.app_secret
        {
            return Ok(Some(secret.expose().to_owned()));
        }
        let mut subscriptions: Vec<_> = self
            .store
            .list_subscriptions(channel.account_id)
            .await?
            .into_iter()
            .filter(|s| s.enabled && s.channel_id.is_none_or(|c| c == channel.id))
            .collect();
        // This number's own subscriptions first, then account-wide ones; the oldest first.
        subscriptions.sort_by_key(|s| (s.channel_id.is_none(), s.created_at, s.id));
        Ok(subscriptions.first().map(|s| s.secret.expose().to_owned()))
    }
}

fn failed(e: &reqwest::Error, timeout: Duration) -> EndpointError {
    if e.is_timeout() {
        return EndpointError::Timeout(timeout);
    }
    if e.is_connect() {
        return EndpointError::Unreachable("could not connect".to_owned());
    }
    // The cause chain names what broke (never anything the endpoint sent).
    let mut why = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        why = format!("{why}: {inner}");
        source = inner.source();
    }
    EndpointError::Unreachable(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn requests_are_meta_s_json() {
        let init = FlowRequest::new(FlowAction::Init, "tok-1");
        assert_eq!(
            init.to_json(),
            json!({"version": "3.0", "action": "INIT", "flow_token": "tok-1"})
        );
        let next = FlowRequest::new(FlowAction::DataExchange, "tok-1")
            .screen("APPOINTMENT")
            .data(obj(json!({"date": "2026-12-08"})));
        assert_eq!(
            next.to_json(),
            json!({"version": "3.0", "action": "data_exchange", "screen": "APPOINTMENT",
                   "data": {"date": "2026-12-08"}, "flow_token": "tok-1"})
        );
        assert_eq!(FlowAction::Back.as_str(), "BACK");
    }

    #[test]
    fn responses_are_a_screen_a_success_or_an_error() {
        assert_eq!(
            FlowResponse::parse(&json!({"screen": "DETAILS", "data": {"x": 1}})).unwrap(),
            FlowResponse::Screen {
                screen: "DETAILS".into(),
                data: obj(json!({"x": 1}))
            }
        );
        assert_eq!(
            FlowResponse::parse(&json!({"screen": "DETAILS"})).unwrap(),
            FlowResponse::Screen {
                screen: "DETAILS".into(),
                data: Map::new()
            }
        );
        let done = json!({"screen": "SUCCESS", "data": {"extension_message_response":
            {"params": {"flow_token": "tok-1", "slot": "9:00"}}}});
        assert_eq!(
            FlowResponse::parse(&done).unwrap(),
            FlowResponse::Success {
                flow_token: "tok-1".into(),
                params: obj(json!({"flow_token": "tok-1", "slot": "9:00"}))
            }
        );
        let err = json!({"screen": "DETAILS", "data": {"error_message": "Slot taken"}});
        assert!(matches!(
            FlowResponse::parse(&err).unwrap(),
            FlowResponse::Error { ref message, .. } if message == "Slot taken"
        ));
        for bad in [
            json!({"data": {}}),
            json!({"screen": 1}),
            json!({"screen": "X", "data": [1]}),
            json!({"screen": "SUCCESS", "data": {}}),
            json!({"screen": "SUCCESS", "data": {"extension_message_response": {"params": {}}}}),
            json!("text"),
        ] {
            assert!(FlowResponse::parse(&bad).is_err(), "{bad}");
        }
    }
}
