//! WhatsApp Flows (Meta's Flows API): a flow belongs to one WABA of one account, has a name
//! unique in that WABA, categories, an optional data endpoint, and one Flow JSON asset whose
//! validation errors are stored with it.
//!
//! Lifecycle ([`FlowStatus`]): `DRAFT` → `PUBLISHED` → `DEPRECATED`. Only drafts are edited
//! (metadata and JSON) or deleted; publishing needs an error-free Flow JSON; only a published
//! flow is deprecated. Each refusal is a [`FlowRefusal`] with Meta's code (139001 update,
//! 139002 publish, 139003 deprecate, 139004 delete); the rules are the methods of [`Flow`],
//! which change nothing when they refuse.
//!
//! # Layout
//! - `mod.rs`: the values, the model and the lifecycle.
//! - [`json`]: Flow JSON validation with line and column positions.
//! - [`preview`]: the HTML rendering of a flow's screens.
//! - [`crypto`]: Meta's encryption of Flows endpoint calls (both sides).
//! - [`health`]: endpoint health alerts and the throttling and blocking they lead to.

pub mod crypto;
pub mod health;
pub mod json;
pub mod preview;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::{ErrorCode, ValidationError};
use crate::ids::{AccountId, WabaId};

pub use json::FlowJsonError;

/// Meta's id of a flow: decimal digits, like every Graph object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(String);

impl FlowId {
    /// 1 to 20 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new("flow_id", "must be 1 to 20 digits"));
        }
        Ok(Self(s.to_owned()))
    }

    /// A random 16-digit id in the style of Meta's.
    pub fn generate() -> Self {
        use rand::Rng;
        let n: u64 = rand::rng().random_range(1_000_000_000_000_000..10_000_000_000_000_000);
        Self(n.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A flow's name: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowName(String);

impl FlowName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValidationError::missing(
                "name",
                "is required: the flow's name",
            ));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::out_of_range(
                "name",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a flow is for (Meta's enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowCategory {
    SignUp,
    SignIn,
    AppointmentBooking,
    LeadGeneration,
    ContactUs,
    CustomerSupport,
    Survey,
    Other,
}

impl FlowCategory {
    pub const ALL: &'static [FlowCategory] = &[
        Self::SignUp,
        Self::SignIn,
        Self::AppointmentBooking,
        Self::LeadGeneration,
        Self::ContactUs,
        Self::CustomerSupport,
        Self::Survey,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUp => "SIGN_UP",
            Self::SignIn => "SIGN_IN",
            Self::AppointmentBooking => "APPOINTMENT_BOOKING",
            Self::LeadGeneration => "LEAD_GENERATION",
            Self::ContactUs => "CONTACT_US",
            Self::CustomerSupport => "CUSTOMER_SUPPORT",
            Self::Survey => "SURVEY",
            Self::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                ValidationError::new(
                    "categories",
                    format!(
                        "`{s}` is not a flow category; known: {}",
                        Self::ALL
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

/// A flow's categories: at least one, each once, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowCategories(Vec<FlowCategory>);

impl FlowCategories {
    pub fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Self, ValidationError> {
        let mut out = Vec::new();
        for s in items {
            let c = FlowCategory::parse(s)?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err(ValidationError::missing(
                "categories",
                "is required: at least one flow category",
            ));
        }
        Ok(Self(out))
    }

    pub fn as_slice(&self) -> &[FlowCategory] {
        &self.0
    }

    /// Stored form: the names joined with commas.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The flow's data endpoint (for data-exchange flows): an absolute `https` or `http` URL
/// with a host, at most 2000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUri(String);

impl EndpointUri {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let bad = || {
            ValidationError::out_of_range(
                "endpoint_uri",
                "must be an absolute https:// (or http://) URL with a host",
            )
        };
        if s.len() > 2000 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or_else(bad)?;
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .rsplit('@')
            .next()
            .unwrap_or_default();
        let host_name = host.split(':').next().unwrap_or_default();
        if host_name.is_empty()
            || !host_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '[' || c == ']')
        {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a flow is in its life (Meta's enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlowStatus {
    Draft,
    Published,
    Deprecated,
    /// Its endpoint's health deteriorated further: no message may send or open it
    /// ([`health`]).
    Blocked,
    /// Its endpoint's health deteriorated: still sendable ([`health`]).
    Throttled,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Deprecated => "DEPRECATED",
            Self::Blocked => "BLOCKED",
            Self::Throttled => "THROTTLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Published,
            Self::Deprecated,
            Self::Blocked,
            Self::Throttled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Whether a message may open a flow in this status (`PUBLISHED`, or `THROTTLED` which
    /// Meta still sends at a reduced rate).
    pub fn is_sendable(self) -> bool {
        matches!(self, Self::Published | Self::Throttled)
    }

    /// `health_status.can_send_message` in Meta's terms: `AVAILABLE`, `LIMITED` (throttled)
    /// or `BLOCKED` (blocked or deprecated).
    pub fn can_send_message(self) -> &'static str {
        match self {
            Self::Draft | Self::Published => "AVAILABLE",
            Self::Throttled => "LIMITED",
            Self::Deprecated | Self::Blocked => "BLOCKED",
        }
    }
}

/// A Flow JSON asset: the uploaded text and what validation found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowJson {
    text: String,
    errors: Vec<FlowJsonError>,
}

/// Largest Flow JSON accepted (Meta: 10 MB; ours is smaller, as the body limit is).
pub const MAX_FLOW_JSON_BYTES: usize = 1024 * 1024;

/// Meta's Flow JSON of a new flow with none given: one terminal screen saying hello.
pub const DEFAULT_FLOW_JSON: &str = r#"{
  "version": "6.0",
  "screens": [
    {
      "id": "WELCOME_SCREEN",
      "title": "Welcome",
      "terminal": true,
      "success": true,
      "data": {},
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          {"type": "TextHeading", "text": "Hello World"},
          {"type": "TextBody", "text": "Let's start building things!"},
          {"type": "Footer", "label": "Complete", "on-click-action": {"name": "complete", "payload": {}}}
        ]
      }
    }
  ]
}
"#;

impl FlowJson {
    /// An uploaded asset, validated now.
    pub fn upload(text: String) -> Self {
        let errors = json::validate(&text);
        Self { text, errors }
    }

    /// A stored asset with the errors found when it was uploaded.
    pub fn stored(text: String, errors: Vec<FlowJsonError>) -> Self {
        Self { text, errors }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn errors(&self) -> &[FlowJsonError] {
        &self.errors
    }

    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The parsed document (`Null` when it is not JSON).
    pub fn document(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
    }

    fn top_str(&self, key: &str) -> Option<String> {
        self.document().get(key)?.as_str().map(str::to_owned)
    }

    /// `version`.
    pub fn json_version(&self) -> Option<String> {
        self.top_str("version")
    }

    /// `data_api_version`: set for data-exchange flows.
    pub fn data_api_version(&self) -> Option<String> {
        self.top_str("data_api_version")
    }

    /// `routing_model`, when there is one.
    pub fn routing_model(&self) -> Option<serde_json::Value> {
        self.document().get("routing_model").cloned()
    }

    /// The ids of its screens, in order.
    pub fn screen_ids(&self) -> Vec<String> {
        self.document()
            .get("screens")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("id")?.as_str().map(str::to_owned))
            .collect()
    }

    /// The `name`s of the required inputs of the terminal screens (for checking a user's
    /// answers); each terminal screen once.
    pub fn terminal_required_inputs(&self) -> Vec<(String, Vec<String>)> {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            for c in v.as_array().into_iter().flatten() {
                if c.get("required").and_then(serde_json::Value::as_bool) == Some(true)
                    && let Some(n) = c.get("name").and_then(serde_json::Value::as_str)
                {
                    out.push(n.to_owned());
                }
                for key in ["children", "then", "else"] {
                    if let Some(children) = c.get(key) {
                        walk(children, out);
                    }
                }
            }
        }
        self.document()
            .get("screens")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter(|s| s.get("terminal").and_then(serde_json::Value::as_bool) == Some(true))
            .map(|s| {
                let mut names = Vec::new();
                if let Some(children) = s.pointer("/layout/children") {
                    walk(children, &mut names);
                }
                let id = s
                    .get("id")
                    .and_then(|i| i.as_str())
                    .unwrap_or("")
                    .to_owned();
                (id, names)
            })
            .collect()
    }
}

/// One flow (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub id: FlowId,
    pub account_id: AccountId,
    pub waba_id: WabaId,
    pub name: FlowName,
    pub categories: FlowCategories,
    pub status: FlowStatus,
    pub endpoint_uri: Option<EndpointUri>,
    pub json: FlowJson,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How many times its preview URLs were invalidated (`preview.invalidate(true)`): signed
    /// into each preview URL, so raising it ends every URL given before. Only the store's
    /// invalidation changes it.
    pub preview_epoch: u32,
}

/// A metadata update: what is `Some` changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowMetadataEdit {
    pub name: Option<FlowName>,
    pub categories: Option<FlowCategories>,
    pub endpoint_uri: Option<EndpointUri>,
}

/// A status change, for the `flows` webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub old: FlowStatus,
    pub new: FlowStatus,
}

impl StatusChange {
    /// Meta's `flows` webhook value `FLOW_STATUS_CHANGE` about `flow` (named `name`).
    pub fn webhook_value(&self, flow_id: &FlowId, name: &FlowName) -> serde_json::Value {
        serde_json::json!({
            "event": "FLOW_STATUS_CHANGE",
            "message": format!(
                "Flow {} changed status from {} to {}",
                name.as_str(), self.old.as_str(), self.new.as_str()
            ),
            "flow_id": flow_id.as_str(),
            "old_status": self.old.as_str(),
            "new_status": self.new.as_str(),
        })
    }
}

/// Why a lifecycle action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowRefusal {
    #[error(
        "Flow can't be updated: it is {0}; only a DRAFT flow is updated. Clone it to change it."
    )]
    NotDraftToUpdate(&'static str),
    #[error("Flow can't be published: it is {0}; only a DRAFT flow is published.")]
    NotDraftToPublish(&'static str),
    #[error(
        "Flow can't be published: its Flow JSON has {0} validation error(s); fix and upload it again."
    )]
    InvalidJson(usize),
    #[error("Flow can't be published: {0}")]
    Precondition(String),
    #[error("Flow can't be deprecated: it is {0}; only a PUBLISHED flow is deprecated.")]
    NotPublished(&'static str),
    #[error(
        "Flow can't be deleted: it is {0}; only a DRAFT flow is deleted (deprecate a published one)."
    )]
    NotDraftToDelete(&'static str),
}

impl FlowRefusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotDraftToUpdate(_) => ErrorCode::FlowUpdateRefused,
            Self::NotDraftToPublish(_) | Self::InvalidJson(_) | Self::Precondition(_) => {
                ErrorCode::FlowPublishRefused
            }
            Self::NotPublished(_) => ErrorCode::FlowDeprecateRefused,
            Self::NotDraftToDelete(_) => ErrorCode::FlowDeleteRefused,
        }
    }
}

impl Flow {
    fn draft(&self, refuse: fn(&'static str) -> FlowRefusal) -> Result<(), FlowRefusal> {
        if self.status == FlowStatus::Draft {
            Ok(())
        } else {
            Err(refuse(self.status.as_str()))
        }
    }

    /// Applies a metadata update to a draft.
    pub fn edit(&mut self, edit: FlowMetadataEdit, at: Timestamp) -> Result<(), FlowRefusal> {
        self.draft(FlowRefusal::NotDraftToUpdate)?;
        if let Some(name) = edit.name {
            self.name = name;
        }
        if let Some(categories) = edit.categories {
            self.categories = categories;
        }
        if let Some(uri) = edit.endpoint_uri {
            self.endpoint_uri = Some(uri);
        }
        self.updated_at = at;
        Ok(())
    }

    /// Replaces a draft's Flow JSON (invalid JSON is stored, with its errors).
    pub fn replace_json(&mut self, json: FlowJson, at: Timestamp) -> Result<(), FlowRefusal> {
        self.draft(FlowRefusal::NotDraftToUpdate)?;
        self.json = json;
        self.updated_at = at;
        Ok(())
    }

    /// Publishes a draft with a valid Flow JSON.
    pub fn publish(&mut self, at: Timestamp) -> Result<StatusChange, FlowRefusal> {
        self.draft(FlowRefusal::NotDraftToPublish)?;
        if !self.json.is_valid() {
            return Err(FlowRefusal::InvalidJson(self.json.errors().len()));
        }
        Ok(self.move_to(FlowStatus::Published, at))
    }

    /// Deprecates a published flow.
    pub fn deprecate(&mut self, at: Timestamp) -> Result<StatusChange, FlowRefusal> {
        if !matches!(self.status, FlowStatus::Published | FlowStatus::Throttled) {
            return Err(FlowRefusal::NotPublished(self.status.as_str()));
        }
        Ok(self.move_to(FlowStatus::Deprecated, at))
    }

    /// Whether the flow may be deleted (drafts only).
    pub fn check_delete(&self) -> Result<(), FlowRefusal> {
        self.draft(FlowRefusal::NotDraftToDelete)
    }

    /// Whether it exchanges data with an endpoint (its JSON has a `data_api_version`).
    pub fn is_data_exchange(&self) -> bool {
        self.json.data_api_version().is_some()
    }

    fn move_to(&mut self, new: FlowStatus, at: Timestamp) -> StatusChange {
        let old = self.status;
        self.status = new;
        self.updated_at = at;
        StatusChange { old, new }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Flow {
        let at = Timestamp::from_second(1_750_000_000).unwrap();
        Flow {
            id: FlowId::generate(),
            account_id: AccountId::generate(),
            waba_id: WabaId::parse("102290129340398").unwrap(),
            name: FlowName::parse("Sign up").unwrap(),
            categories: FlowCategories::parse(["SIGN_UP"]).unwrap(),
            status: FlowStatus::Draft,
            endpoint_uri: None,
            json: FlowJson::upload(DEFAULT_FLOW_JSON.to_owned()),
            created_at: at,
            updated_at: at,
            preview_epoch: 0,
        }
    }

    #[test]
    fn values_parse() {
        assert_eq!(FlowId::generate().as_str().len(), 16);
        assert!(FlowId::parse("12a").is_err());
        assert_eq!(FlowName::parse("  x ").unwrap().as_str(), "x");
        assert!(FlowName::parse("").is_err());
        assert!(FlowName::parse(&"x".repeat(201)).is_err());
        let c = FlowCategories::parse(["sign_up", "OTHER", "SIGN_UP"]).unwrap();
        assert_eq!(c.to_stored(), "SIGN_UP,OTHER");
        assert!(FlowCategories::parse([]).is_err());
        assert!(FlowCategories::parse(["NOPE"]).is_err());
        assert!(EndpointUri::parse("https://api.example.com/flow").is_ok());
        assert!(EndpointUri::parse("http://127.0.0.1:8080/x").is_ok());
        for bad in ["ftp://x", "https://", "example.com", "https://a b"] {
            assert!(EndpointUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_json_is_valid() {
        let f = sample();
        assert!(f.json.is_valid(), "{:?}", f.json.errors());
        assert_eq!(f.json.json_version().as_deref(), Some("6.0"));
        assert_eq!(f.json.screen_ids(), ["WELCOME_SCREEN"]);
    }

    #[test]
    fn lifecycle() {
        let at = Timestamp::from_second(1_760_000_000).unwrap();
        let mut f = sample();
        let mut bad = f.clone();
        bad.replace_json(FlowJson::upload("{".into()), at).unwrap();
        assert_eq!(
            bad.publish(at).unwrap_err().code(),
            ErrorCode::FlowPublishRefused
        );
        assert_eq!(bad.status, FlowStatus::Draft);
        assert_eq!(
            f.deprecate(at).unwrap_err().code(),
            ErrorCode::FlowDeprecateRefused
        );
        let change = f.publish(at).unwrap();
        assert_eq!(
            (change.old, change.new),
            (FlowStatus::Draft, FlowStatus::Published)
        );
        let before = f.clone();
        assert_eq!(
            f.edit(FlowMetadataEdit::default(), at).unwrap_err().code(),
            ErrorCode::FlowUpdateRefused
        );
        assert_eq!(
            f.replace_json(FlowJson::upload("{}".into()), at)
                .unwrap_err()
                .code(),
            ErrorCode::FlowUpdateRefused
        );
        assert_eq!(
            f.check_delete().unwrap_err().code(),
            ErrorCode::FlowDeleteRefused
        );
        assert_eq!(
            f.publish(at).unwrap_err().code(),
            ErrorCode::FlowPublishRefused
        );
        assert_eq!(f, before, "refusals change nothing");
        f.deprecate(at).unwrap();
        assert_eq!(f.status, FlowStatus::Deprecated);
        assert_eq!(
            f.deprecate(at).unwrap_err().code(),
            ErrorCode::FlowDeprecateRefused
        );
    }
}
