//! Events: snapshots of what happened, stored with the change and rendered per format.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::content::Content;
use crate::error::ValidationError;
use crate::ids::{AccountId, ChannelId, EventId, MessageId, PhoneNumberId, WabaId};
use crate::message::{Bsuid, Direction, Message, MessageError, MessageStatus, Wamid};
use crate::phone::PhoneE164;
use crate::pricing::{Conversation, Pricing};

/// The kinds of event a subscription can ask for. `messages` (users' messages) and
/// `statuses` (our messages' progress) both travel under Meta's `messages` field; `contacts`
/// (the contact book's changes) is wagate's own, sent only to subscriptions that list it;
/// the rest are Meta's field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventField {
    Messages,
    Statuses,
    MessageTemplateStatusUpdate,
    MessageTemplateQualityUpdate,
    TemplateCategoryUpdate,
    PhoneNumberQualityUpdate,
    PhoneNumberNameUpdate,
    AccountUpdate,
    BusinessCapabilityUpdate,
    UserPreferences,
    /// wagate's own: a contact created, updated, opted out or in (account-wide events).
    Contacts,
    /// wagate's own: the account's wallet fell below its low-balance threshold.
    Wallet,
    /// wagate's own: a campaign started, progressed, paused, resumed, completed…
    Campaigns,
    /// Meta's `flows`: a flow's status changed (`FLOW_STATUS_CHANGE`), its endpoint failed.
    Flows,
    /// Meta's: a group was created or deleted.
    GroupLifecycleUpdate,
    /// Meta's: users joined, left or were removed from a group, or asked to join.
    GroupParticipantsUpdate,
    /// Meta's: a group's subject or description changed.
    GroupSettingsUpdate,
    /// Meta's: a group was suspended, or its suspension cleared.
    GroupStatusUpdate,
}

impl EventField {
    pub const ALL: &'static [EventField] = &[
        Self::Messages,
        Self::Statuses,
        Self::MessageTemplateStatusUpdate,
        Self::MessageTemplateQualityUpdate,
        Self::TemplateCategoryUpdate,
        Self::PhoneNumberQualityUpdate,
        Self::PhoneNumberNameUpdate,
        Self::AccountUpdate,
        Self::BusinessCapabilityUpdate,
        Self::UserPreferences,
        Self::Contacts,
        Self::Wallet,
        Self::Campaigns,
        Self::Flows,
        Self::GroupLifecycleUpdate,
        Self::GroupParticipantsUpdate,
        Self::GroupSettingsUpdate,
        Self::GroupStatusUpdate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Statuses => "statuses",
            Self::MessageTemplateStatusUpdate => "message_template_status_update",
            Self::MessageTemplateQualityUpdate => "message_template_quality_update",
            Self::TemplateCategoryUpdate => "template_category_update",
            Self::PhoneNumberQualityUpdate => "phone_number_quality_update",
            Self::PhoneNumberNameUpdate => "phone_number_name_update",
            Self::AccountUpdate => "account_update",
            Self::BusinessCapabilityUpdate => "business_capability_update",
            Self::UserPreferences => "user_preferences",
            Self::Contacts => "contacts",
            Self::Wallet => "wallet",
            Self::Campaigns => "campaigns",
            Self::Flows => "flows",
            Self::GroupLifecycleUpdate => "group_lifecycle_update",
            Self::GroupParticipantsUpdate => "group_participants_update",
            Self::GroupSettingsUpdate => "group_settings_update",
            Self::GroupStatusUpdate => "group_status_update",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                ValidationError::new(
                    "fields",
                    format!(
                        "unknown event field `{s}`; known: {}",
                        Self::ALL
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// The field name on Meta's wire (`entry[].changes[].field`).
    pub fn cloud_field(self) -> &'static str {
        match self {
            Self::Messages | Self::Statuses => "messages",
            other => other.as_str(),
        }
    }
}

/// An outbound message reached a status: a snapshot of what Meta's `statuses[]` item says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusEvent {
    pub message_id: MessageId,
    pub wamid: Wamid,
    pub status: MessageStatus,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<PhoneE164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bsuid: Option<Bsuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<MessageError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
}

/// A user's message: a snapshot of what Meta's `messages[]` item says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundEvent {
    pub message_id: MessageId,
    pub wamid: Wamid,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<PhoneE164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bsuid: Option<Bsuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    pub content: Content,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Wamid>,
}

/// What an event says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    Status(StatusEvent),
    Inbound(InboundEvent),
    /// Any other field: its `value` object exactly as Meta sends it (template status
    /// updates and the like), built by the code that caused it.
    Other {
        field: EventField,
        value: serde_json::Value,
    },
}

impl EventData {
    /// The event of a message that just reached its current status (outbound) or was just
    /// stored (inbound). `None` for a status no webhook reports (`accepted`).
    pub fn of_message(m: &Message) -> Option<EventData> {
        match m.direction {
            Direction::Inbound => Some(EventData::Inbound(InboundEvent {
                message_id: m.id,
                wamid: m.wamid.clone(),
                at: m.created_at,
                wa_id: m.wa_id.clone(),
                bsuid: m.bsuid.clone(),
                profile_name: m.profile_name.clone(),
                content: m.content.clone(),
                context: m.context.clone(),
            })),
            Direction::Outbound => {
                let at = match m.status {
                    MessageStatus::Sent => m.sent_at,
                    MessageStatus::Delivered => m.delivered_at,
                    MessageStatus::Read => m.read_at,
                    MessageStatus::Failed => m.failed_at,
                    MessageStatus::Accepted | MessageStatus::Received => None,
                }?;
                Some(EventData::Status(StatusEvent {
                    message_id: m.id,
                    wamid: m.wamid.clone(),
                    status: m.status,
                    at,
                    wa_id: m.wa_id.clone(),
                    bsuid: m.bsuid.clone(),
                    profile_name: m.profile_name.clone(),
                    biz_opaque_callback_data: m.biz_opaque_callback_data.clone(),
                    error: m.error.clone(),
                    // Meta reports pricing on `sent` (and repeats it later); failed statuses
                    // carry none.
                    pricing: (m.status != MessageStatus::Failed)
                        .then(|| m.pricing.clone())
                        .flatten(),
                    conversation: (m.status != MessageStatus::Failed)
                        .then(|| m.conversation.clone())
                        .flatten(),
                }))
            }
        }
    }

    pub fn field(&self) -> EventField {
        match self {
            EventData::Status(_) => EventField::Statuses,
            EventData::Inbound(_) => EventField::Messages,
            EventData::Other { field, .. } => *field,
        }
    }

    /// The message the event is about: deliveries about one message keep its order.
    pub fn message_id(&self) -> Option<MessageId> {
        match self {
            EventData::Status(s) => Some(s.message_id),
            EventData::Inbound(i) => Some(i.message_id),
            EventData::Other { .. } => None,
        }
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    pub id: EventId,
    pub account_id: AccountId,
    pub channel_id: Option<ChannelId>,
    pub occurred_at: Timestamp,
    pub data: EventData,
}

impl WebhookEvent {
    /// The event for `message`'s latest change, if webhooks report it.
    pub fn of_message(message: &Message) -> Option<WebhookEvent> {
        let data = EventData::of_message(message)?;
        let occurred_at = match &data {
            EventData::Status(s) => s.at,
            EventData::Inbound(i) => i.at,
            EventData::Other { .. } => message.created_at,
        };
        Some(WebhookEvent {
            id: EventId::generate(),
            account_id: message.account_id,
            channel_id: Some(message.channel_id),
            occurred_at,
            data,
        })
    }

    pub fn field(&self) -> EventField {
        self.data.field()
    }
}

/// The channel an event is about, as payloads name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRef {
    pub waba_id: WabaId,
    pub phone_number_id: PhoneNumberId,
    pub display_phone_number: PhoneE164,
}
