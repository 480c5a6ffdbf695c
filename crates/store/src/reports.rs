//! What reports read beyond the message list ([`MessageStore::list_messages`]): the size of
//! a filtered list and a message's status history. [`ReportStore`] is declared here.
//!
//! Two things reports rely on are written by the message paths themselves (see
//! `sql::reports`): each message's per-channel `number`, taken in the transaction that
//! stores it, and each status change, recorded in the transaction of the change.
//!
//! [`MessageStore::list_messages`]: crate::MessageStore::list_messages

use async_trait::async_trait;
use wagate_core::ids::AccountId;
use wagate_core::message::{Message, StatusChange};

use crate::{MessageFilter, MessageKey, Result};

/// Reports over the account's messages. Part of [`Store`](crate::Store).
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// How many of the account's messages `filter` selects (its order is irrelevant).
    async fn count_messages(&self, account: AccountId, filter: &MessageFilter) -> Result<u64>;

    /// One of the account's messages and its status history, oldest first: the status it
    /// was stored with (`accepted` or `received`, at `created_at`), then each status it
    /// moved to. `NotFound(Message)` for another account's message.
    async fn message_history(
        &self,
        account: AccountId,
        key: &MessageKey,
    ) -> Result<(Message, Vec<StatusChange>)>;
}
