//! The console's inbox: a channel's conversations (its contacts) by last activity, with how
//! many inbound messages arrived since the conversation was last opened in the console.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::contact::Contact;
use wagate_core::ids::{AccountId, ChannelId, ContactId};
use wagate_core::phone::PhoneE164;

use crate::Result;

/// Unread counts stop at this many (the list shows "99+").
pub const UNREAD_CAP: i64 = 100;

/// One conversation of a channel's inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub contact: Contact,
    /// When the conversation was last opened in the console.
    pub read_at: Option<Timestamp>,
    /// Inbound messages since then, at most [`UNREAD_CAP`].
    pub unread: i64,
    /// The conversation's newest message: its direction and content (read in the same
    /// statement as the list, for its preview).
    pub last: Option<(
        wagate_core::message::Direction,
        wagate_core::content::Content,
    )>,
}

/// Where the next page of an inbox starts: the last row's activity and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    pub last_message_at: Timestamp,
    pub id: ContactId,
}

/// The inbox (see [`inbox`](self)). Part of [`Store`](crate::Store).
#[async_trait]
pub trait InboxStore: Send + Sync {
    /// The channel's conversations, most recent activity first, after `after`.
    async fn inbox_conversations(
        &self,
        account: AccountId,
        channel: ChannelId,
        after: Option<InboxCursor>,
        limit: u32,
    ) -> Result<Vec<Conversation>>;
    /// Records that the conversation with `wa_id` was opened at `at`; whether there is one.
    async fn mark_conversation_read(
        &self,
        account: AccountId,
        channel: ChannelId,
        wa_id: &PhoneE164,
        at: Timestamp,
    ) -> Result<bool>;
}
