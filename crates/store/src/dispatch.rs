//! What the dispatcher and ingest exchange with the store: leased outbox entries, the
//! outcome of handing them to the upstream, and the network's scheduled reports.

use wagate_core::Timestamp;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Message, MessageError};
use wagate_core::network::NetworkEvent;
use wagate_core::policy::RecipientState;
use wagate_core::pricing::{Conversation, Pricing};

/// One leased outbox entry: the message, how often it was tried, and what policy needs to
/// know about its recipient.
#[derive(Debug, Clone)]
pub struct OutboxJob {
    pub message: Message,
    pub attempts: u32,
    pub recipient: RecipientState,
}

/// What happened when the dispatcher handed a message to the upstream (or decided not to).
#[derive(Debug, Clone)]
pub enum DispatchOutcome {
    /// The upstream took it: status `sent`, the outbox entry goes, the hand-over is counted,
    /// and what the network will report later is stored with it.
    Sent {
        message_id: MessageId,
        at: Timestamp,
        pricing: Option<Pricing>,
        conversation: Option<Conversation>,
        followups: Vec<NetworkEvent>,
        /// The upstream's own id for the message (a cloud upstream's `messages[0].id`).
        upstream_id: Option<String>,
    },
    /// Permanently failed: status `failed` with the error; the outbox entry goes.
    Failed {
        message_id: MessageId,
        at: Timestamp,
        error: MessageError,
    },
    /// Try again at `available_at`. `attempted` counts it as an attempt (an upstream error)
    /// rather than a wait for pacing.
    Retry {
        message_id: MessageId,
        available_at: Timestamp,
        attempted: bool,
        error: Option<MessageError>,
    },
}

impl DispatchOutcome {
    pub fn message_id(&self) -> MessageId {
        match self {
            DispatchOutcome::Sent { message_id, .. }
            | DispatchOutcome::Failed { message_id, .. }
            | DispatchOutcome::Retry { message_id, .. } => *message_id,
        }
    }
}

/// What applying one network event changed.
#[derive(Debug, Clone)]
pub enum Applied {
    /// A status was progress and is now the message's status.
    Status { message: Message },
    /// A status was not progress (late or duplicate) and changed nothing.
    Ignored { message_id: MessageId },
    /// An inbound message was stored.
    Inbound { message: Message },
}

/// Filters of the message list (always within one account); every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only this channel.
    pub channel_id: Option<ChannelId>,
    /// Only these channels (a scoped key's reach), if set.
    pub channels: Option<Vec<ChannelId>>,
    pub wa_id: Option<String>,
    pub direction: Option<wagate_core::message::Direction>,
    pub status: Option<wagate_core::message::MessageStatus>,
    pub kind: Option<wagate_core::content::MessageType>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// How a caller names a contact of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    WaId(wagate_core::phone::PhoneE164),
    Bsuid(wagate_core::message::Bsuid),
}
