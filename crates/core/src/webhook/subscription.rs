//! Subscriptions: where events go, which ones, in which format, signed with which secret.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ChannelId, SubscriptionId};

use super::EventField;

/// The URL events are POSTed to: `http` or `https`, with a host, at most 2,048 characters.
/// (Meta requires HTTPS; a self-hosted gateway also serves receivers on a private network.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "https://example.com/whatsapp/webhook")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let err = |why: &str| ValidationError::new("url", why.to_owned());
        // Characters, as the message says (and as the OpenAPI document's maxLength counts).
        if s.chars().count() > Self::MAX_LEN {
            return Err(err("must be at most 2048 characters"));
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or_else(|| err("must start with https:// or http://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.contains('@') {
            return Err(err("must name a host (and no user or password)"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("must not contain spaces or control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<WebhookUrl> for String {
    fn from(u: WebhookUrl) -> String {
        u.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key payloads are signed with (Meta's "app secret"): 8 to 256 printable characters.
/// Never shown back, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if !(8..=256).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "secret",
                "must be 8 to 256 printable ASCII characters without spaces",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// The token sent as `hub.verify_token` when the URL is verified: 1 to 256 printable
/// characters.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyToken(String);

impl VerifyToken {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() || s.len() > 256 || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "verify_token",
                "must be 1 to 256 printable ASCII characters without spaces",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VerifyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyToken(***)")
    }
}

/// How payloads are written: the name of a registered renderer. `cloud` is Meta's
/// envelope; each provider dialect registers its own (`wagate_app::webhooks::render`), so
/// this is an open set of names, not an enum. A name is 1 to 32 of `a-z`, `0-9` and `_`;
/// whether a renderer is registered under it is the webhook service's check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "cloud")]
pub struct PayloadFormat(std::borrow::Cow<'static, str>);

impl PayloadFormat {
    /// Meta's Cloud API envelope, the default.
    pub const CLOUD: PayloadFormat = PayloadFormat(std::borrow::Cow::Borrowed("cloud"));

    /// A format named by code (a dialect's constant).
    ///
    /// # Panics
    /// If `name` is not a valid format name: a programming error caught by any test.
    pub fn named(name: &'static str) -> Self {
        assert!(Self::valid(name), "payload format name {name:?}");
        PayloadFormat(std::borrow::Cow::Borrowed(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn valid(s: &str) -> bool {
        (1..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if Self::valid(s) {
            Ok(PayloadFormat(std::borrow::Cow::Owned(s.to_owned())))
        } else {
            Err(ValidationError::new(
                "format",
                "must be a payload format name (1 to 32 of a-z, 0-9 and _), such as `cloud`",
            ))
        }
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PayloadFormat {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<PayloadFormat> for String {
    fn from(f: PayloadFormat) -> String {
        f.0.into_owned()
    }
}

/// Events per POST: 1 (the default, what Cloud API libraries read) to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "u32", into = "u32")]
pub struct BatchSize(u32);

impl BatchSize {
    pub const ONE: BatchSize = BatchSize(1);
    pub const MAX: u32 = 100;

    pub fn new(n: u32) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ValidationError::out_of_range(
                "batch_size",
                "must be between 1 and 100",
            ))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for BatchSize {
    fn default() -> Self {
        Self::ONE
    }
}

impl TryFrom<u32> for BatchSize {
    type Error = ValidationError;
    fn try_from(n: u32) -> Result<Self, ValidationError> {
        Self::new(n)
    }
}

impl From<BatchSize> for u32 {
    fn from(b: BatchSize) -> u32 {
        b.0
    }
}

/// A subscription: one receiver of one account's events (or one channel's).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub account_id: AccountId,
    /// Only this channel's events; `None`: every channel of the account.
    pub channel_id: Option<ChannelId>,
    pub url: WebhookUrl,
    pub secret: WebhookSecret,
    pub verify_token: VerifyToken,
    pub fields: Vec<EventField>,
    pub format: PayloadFormat,
    pub batch_size: BatchSize,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Subscription {
    pub fn wants(&self, field: EventField) -> bool {
        self.enabled && self.fields.contains(&field)
    }
}

/// Command: create a subscription (its URL already verified).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub id: SubscriptionId,
    pub account_id: AccountId,
    pub channel_id: Option<ChannelId>,
    pub url: WebhookUrl,
    pub secret: WebhookSecret,
    pub verify_token: VerifyToken,
    pub fields: Vec<EventField>,
    pub format: PayloadFormat,
    pub batch_size: BatchSize,
    pub enabled: bool,
}

/// Command: change a subscription; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub url: Option<WebhookUrl>,
    pub secret: Option<WebhookSecret>,
    pub verify_token: Option<VerifyToken>,
    pub fields: Option<Vec<EventField>>,
    pub format: Option<PayloadFormat>,
    pub batch_size: Option<BatchSize>,
    pub enabled: Option<bool>,
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first attempt or its next retry.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Retried until the horizon without success; replay sends it again.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "dead" => Ok(Self::Dead),
            _ => Err(ValidationError::new(
                "status",
                "must be `pending`, `delivered` or `dead`",
            )),
        }
    }
}
