//! What the dispatcher and ingest exchange with the store: leased outbox entries, the
//! outcome of handing them to the upstream, and the network's scheduled reports.
//! [`MessageStore`], the messages' part of the storage contract, is declared here with them.

use std::collections::HashMap;

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::contact::Contact;
use wagate_core::ids::{AccountId, ChannelId, ContactId, MessageId};
use wagate_core::message::{Message, MessageError, MessageStatus, NewOutboundMessage, Wamid};
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::policy::RecipientState;
use wagate_core::pricing::{Conversation, Pricing};

use crate::{Page, Result};

/// Messages and what moves them: accepting outbound messages into the outbox, the
/// dispatcher's leases and outcomes, the network events ingest applies (scheduled by the
/// sandbox or reported by Meta), inbound messages and the contacts they create. Status
/// changes and inbound messages stored here record their webhook events (and deliveries to
/// matching subscriptions, see [`WebhookStore`](crate::WebhookStore)) in their own
/// transaction. Part of [`Store`](crate::Store).
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores an outbound message (status `accepted`) and its outbox entry in one
    /// transaction. Fails with `NotFound(Channel)` unless the channel is the account's.
    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message>;
    /// One of the account's messages, by our id or its wamid.
    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message>;
    /// Outbox entries of a channel not yet handed to the upstream.
    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64>;
    /// The account's messages in `filter.order` (newest first unless asked otherwise);
    /// `page.after` continues after that message in that order.
    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>>;

    /// Leases up to `limit` outbox entries that are due at `now` until `lease_until`: only
    /// the oldest entry of each recipient (so a recipient's messages leave in order), and
    /// none that is leased already.
    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>>;
    /// The reaper: frees leases that expired before `now` (their holder died). Returns how
    /// many it freed.
    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64>;
    /// Extends to `until` the leases of those outbox entries still held under `held_until`
    /// (the lease the caller took), and on PostgreSQL this node's dispatch lanes with them;
    /// returns the entries extended. An entry completed meanwhile, or whose lease ran out
    /// and was taken again, is left alone. A dispatcher renews while its step runs, so
    /// leases stay short and a dead node's work goes out seconds after it died.
    async fn renew_outbox(
        &self,
        ids: Vec<MessageId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<MessageId>>;
    /// Records what the dispatcher did with leased entries, all in one transaction. A `Sent`
    /// whose outbox entry is already gone changes nothing, so a hand-over is counted once.
    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()>;
    /// Applies up to `limit` network events due at `now`, in time order, and removes them,
    /// in one transaction.
    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>>;
    /// When the next network event is due, if any.
    async fn next_event_due(&self) -> Result<Option<Timestamp>>;
    /// Stores an inbound message, creating or renewing its contact (window, profile name,
    /// STOP/START), in one transaction. A repeated wamid fails with `Conflict`.
    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message>;

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>>;
    /// Sets (`Some`) or clears (`None`) `blocked_at` on these contacts of the channel.
    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()>;
    /// The channel's blocked contacts, in id order.
    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>>;

    // Cloud upstream: what Meta reports about a channel's messages (see `wagate_app`'s
    // `upstream_ingest`). Lookups are by channel: ids from Meta name no account.

    /// The channel's message Meta knows as `upstream_id`: an outbound message whose
    /// hand-over Meta answered with that id, or a message received from Meta (whose wamid is
    /// Meta's id).
    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>>;
    /// Meta's id for the channel's message `wamid` (for a reply's `context`): the upstream
    /// id of an outbound message, the wamid of a received one; `None` for an unknown wamid
    /// or a message never handed over.
    async fn upstream_id_of(&self, channel: ChannelId, wamid: &Wamid) -> Result<Option<String>>;
    /// Stores what the upstream reported about the channel's messages, to be applied by
    /// ingest (`apply_due_events`) at each event's time, in order.
    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<wagate_core::network::NetworkEvent>,
    ) -> Result<()>;
}

/// How a caller names a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKey {
    Id(MessageId),
    Wamid(Wamid),
}

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
    /// Only messages whose channel number is above this one.
    pub number_after: Option<u64>,
    /// Only messages whose channel number is below this one.
    pub number_before: Option<u64>,
    /// The order the list is read in, which `Page::after` continues.
    pub order: MessageOrder,
}

/// The order of a message list: by id, which is creation order (ids are UUIDv7); a list of
/// one channel (`channel_id`) by the channel's `number`, the order its messages were stored
/// in, so following it from a message never misses one stored later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MessageOrder {
    #[default]
    NewestFirst,
    /// Oldest first: with `Page::after`, "everything newer than this message".
    OldestFirst,
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
