//! The audit log of management actions: who (an API key, or the operator at the admin CLI)
//! did what ([`AuditAction`]) to which object ([`AuditTarget`]), when, with a short summary
//! of what changed. Entries never hold secrets: no tokens, no app or webhook secrets, no PINs,
//! no message bodies; a [`AuditSummary`] is built by the services from field *names* and
//! non-secret values only, and is bounded in length.

use std::fmt;

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ApiKeyId, AuditEntryId};

macro_rules! actions {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// What was done. The names are API contract (filters and entries use them).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[doc = $doc])* $variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }

            /// The action named `s` (as [`AuditAction::as_str`] writes it).
            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                match s {
                    $($name => Ok(AuditAction::$variant),)*
                    _ => Err(ValidationError::new("action", "is not an audit action")),
                }
            }
        }
    };
}

/// In the OpenAPI document: a string, one of the action names.
impl utoipa::PartialSchema for AuditAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Self::ALL.iter().map(|a| a.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for AuditAction {}

actions! {
    ChannelCreate => "channel.create",
    ChannelUpdate => "channel.update",
    ApiKeyCreate => "api_key.create",
    ApiKeyRevoke => "api_key.revoke",
    WebhookCreate => "webhook.create",
    WebhookUpdate => "webhook.update",
    WebhookDelete => "webhook.delete",
    WebhookReplay => "webhook.replay",
    TemplateCreate => "template.create",
    TemplateEdit => "template.edit",
    TemplateDelete => "template.delete",
    ProfileUpdate => "profile.update",
    CommerceSettingsUpdate => "commerce_settings.update",
    AppSubscribe => "subscribed_app.update",
    AppUnsubscribe => "subscribed_app.delete",
    PhoneSettingsUpdate => "phone_settings.update",
    ConversationalAutomationUpdate => "conversational_automation.update",
    PhoneNumberCreate => "phone_number.create",
    PhoneNumberUpdate => "phone_number.update",
    RegistrationRequestCode => "registration.request_code",
    RegistrationVerify => "registration.verify",
    Register => "registration.register",
    Deregister => "registration.deregister",
    QrCodeCreate => "qr_code.create",
    QrCodeUpdate => "qr_code.update",
    QrCodeDelete => "qr_code.delete",
    BusinessKeySet => "business_key.set",
    WoztellSecretIssue => "woztell_secret.issue",
    WoztellSecretRevoke => "woztell_secret.revoke",
    CatalogCreate => "catalog.create",
    CatalogLink => "catalog.link",
    CatalogUnlink => "catalog.unlink",
    CatalogDelete => "catalog.delete",
    ProductCreate => "product.create",
    ProductUpdate => "product.update",
    ProductDelete => "product.delete",
    ContactsBlock => "contacts.block",
    ContactsUnblock => "contacts.unblock",
    FlowCreate => "flow.create",
    FlowUpdate => "flow.update",
    FlowPublish => "flow.publish",
    FlowDeprecate => "flow.deprecate",
    FlowDelete => "flow.delete",
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of object an action touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Channel,
    ApiKey,
    Webhook,
    Template,
    QrCode,
    Waba,
    Catalog,
    Product,
    Flow,
}

impl TargetKind {
    pub const ALL: &'static [TargetKind] = &[
        TargetKind::Channel,
        TargetKind::ApiKey,
        TargetKind::Webhook,
        TargetKind::Template,
        TargetKind::QrCode,
        TargetKind::Waba,
        TargetKind::Catalog,
        TargetKind::Product,
        TargetKind::Flow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Channel => "channel",
            TargetKind::ApiKey => "api_key",
            TargetKind::Webhook => "webhook",
            TargetKind::Template => "template",
            TargetKind::QrCode => "qr_code",
            TargetKind::Waba => "waba",
            TargetKind::Catalog => "catalog",
            TargetKind::Product => "product",
            TargetKind::Flow => "flow",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ValidationError::new("target_type", "is not an audit target type"))
    }
}

/// The object an action touched: its kind and its id as the API shows it (a UUID, or Meta's
/// decimal id for templates and WABAs, or a QR code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTarget {
    pub kind: TargetKind,
    pub id: String,
}

impl AuditTarget {
    pub fn new(kind: TargetKind, id: impl fmt::Display) -> Self {
        Self {
            kind,
            id: id.to_string(),
        }
    }
}

/// A short, secret-free description of what changed, at most [`AuditSummary::MAX_CHARS`]
/// characters (longer text is cut with `…`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditSummary(String);

impl AuditSummary {
    pub const MAX_CHARS: usize = 300;

    pub fn new(text: impl Into<String>) -> Self {
        let text: String = text.into();
        if text.chars().count() <= Self::MAX_CHARS {
            return Self(text);
        }
        let mut cut: String = text.chars().take(Self::MAX_CHARS - 1).collect();
        cut.push('…');
        Self(cut)
    }

    /// `changed: a, b, c` from the names of the fields a write set (names only, never values).
    pub fn changed<'a>(fields: impl IntoIterator<Item = &'a str>) -> Self {
        let names: Vec<&str> = fields.into_iter().collect();
        if names.is_empty() {
            Self::new("no fields")
        } else {
            Self::new(format!("changed: {}", names.join(", ")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who acted: one of the account's API keys, or the operator at the admin CLI (`None`).
pub type Actor = Option<ApiKeyId>;

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub account_id: AccountId,
    pub at: Timestamp,
    pub key_id: Actor,
    pub action: AuditAction,
    pub target: AuditTarget,
    pub summary: AuditSummary,
}

/// Which entries to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub key_id: Option<ApiKeyId>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

impl AuditFilter {
    /// Whether `e` passes the filter (what both backends' SQL selects).
    pub fn matches(&self, e: &AuditEntry) -> bool {
        self.action.is_none_or(|a| a == e.action)
            && self.key_id.is_none_or(|k| e.key_id == Some(k))
            && self.since.is_none_or(|t| e.at >= t)
            && self.until.is_none_or(|t| e.at < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a} twice");
            assert_eq!(AuditAction::parse(a.as_str()).unwrap(), *a);
        }
        assert_eq!(AuditAction::ApiKeyCreate.as_str(), "api_key.create");
        assert!(AuditAction::parse("api_key.delete").is_err());
        for k in TargetKind::ALL {
            assert_eq!(TargetKind::parse(k.as_str()).unwrap(), *k);
        }
    }

    #[test]
    fn summaries_are_bounded() {
        let long = "x".repeat(1000);
        let s = AuditSummary::new(long);
        assert_eq!(s.as_str().chars().count(), AuditSummary::MAX_CHARS);
        assert!(s.as_str().ends_with('…'));
        assert_eq!(
            AuditSummary::changed(["url", "events"]).as_str(),
            "changed: url, events"
        );
    }
}
