//! What an upstream reports back: status changes of our messages and messages users send.
//! The simulated network schedules these at hand-over (stored with the `sent` transition, so
//! they survive a restart); Meta's webhooks will produce the same values for cloud channels.
//! Ingest applies them: a status only if it is progress (`MessageStatus::can_become`), an
//! inbound message by storing it and renewing its contact.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::contact::MarketingPreference;
use crate::content::Content;
use crate::ids::{AccountId, ChannelId, MessageId};
use crate::message::{Bsuid, MessageError, MessageStatus, Wamid};
use crate::phone::PhoneE164;
use crate::pricing::{Conversation, Pricing};

/// One status change of an outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub message_id: MessageId,
    pub status: MessageStatus,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<MessageError>,
    /// How the network prices the message, when it says (Meta does on its statuses); it
    /// replaces wagate's own estimate. `None` keeps what the message has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// The network's conversation for the message, when it says; `None` keeps wagate's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
}

/// A message a user sent to a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInboundMessage {
    pub id: MessageId,
    pub wamid: Wamid,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub wa_id: PhoneE164,
    pub bsuid: Option<Bsuid>,
    pub profile_name: Option<String>,
    pub content: Content,
    /// The business message this one replies to.
    pub context: Option<Wamid>,
    pub at: Timestamp,
    /// STOP/START, when the message says so.
    pub preference: Option<MarketingPreference>,
}

/// Something the network will report at a given time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NetworkEvent {
    Status(StatusUpdate),
    Inbound(Box<NewInboundMessage>),
}

impl NetworkEvent {
    pub fn at(&self) -> Timestamp {
        match self {
            NetworkEvent::Status(s) => s.at,
            NetworkEvent::Inbound(m) => m.at,
        }
    }
}
