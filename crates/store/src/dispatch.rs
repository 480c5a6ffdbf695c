//! What the dispatcher and ingest exchange with the store: leased outbox entries, the
//! outcome of handing them to the upstream, and the network's scheduled reports.

use std::collections::HashMap;

use wagate_core::Timestamp;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Message, MessageError, MessageStatus};
use wagate_core::network::{NetworkEvent, StatusUpdate};
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

/// A batch of status reports in the order both backends apply them: one group per (wave,
/// status), where a message's first report in the batch is in wave 0, its second in wave
/// 1… Within a group each message appears once, so one statement applies it in any order;
/// groups apply in turn, so each message sees its reports in the order they happened (a
/// `read` due before its `delivered` leaves the `delivered` ignored). Each report keeps its
/// place in the batch (`usize`).
pub fn status_groups(
    statuses: &[(usize, StatusUpdate)],
) -> Vec<(MessageStatus, Vec<&(usize, StatusUpdate)>)> {
    let mut seen: HashMap<MessageId, usize> = HashMap::new();
    let waves: Vec<usize> = statuses
        .iter()
        .map(|(_, u)| {
            let n = seen.entry(u.message_id).or_default();
            *n += 1;
            *n - 1
        })
        .collect();
    let mut groups = Vec::new();
    for wave in 0..waves.iter().max().map_or(0, |w| w + 1) {
        for status in MessageStatus::ALL {
            let group: Vec<&(usize, StatusUpdate)> = statuses
                .iter()
                .zip(&waves)
                .filter(|((_, u), w)| **w == wave && u.status == *status)
                .map(|(s, _)| s)
                .collect();
            if !group.is_empty() {
                groups.push((*status, group));
            }
        }
    }
    groups
}

/// Records what each report of a group did, given the messages its statement `moved`;
/// returns the reports that were no progress but carry the network's pricing or
/// conversation (Meta prices a message on its `sent`, which wagate recorded at hand-over),
/// to be kept all the same.
pub fn settle_statuses<'a>(
    updates: &[&'a (usize, StatusUpdate)],
    mut moved: HashMap<MessageId, Message>,
    applied: &mut [Option<Applied>],
) -> Vec<&'a StatusUpdate> {
    let mut priced = Vec::new();
    for &(i, ref u) in updates.iter().copied() {
        applied[i] = Some(match moved.remove(&u.message_id) {
            Some(message) => Applied::Status { message },
            None => {
                if u.pricing.is_some() || u.conversation.is_some() {
                    priced.push(u);
                }
                Applied::Ignored {
                    message_id: u.message_id,
                }
            }
        });
    }
    priced
}
