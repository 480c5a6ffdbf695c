//! Reports: the message list with its filters, orders and count, per-channel message
//! numbers, and status histories. Their statements, and [`ReportStore`] for every
//! [`Backend`].
//!
//! Two of these ride on the hot paths, each as one statement per batch:
//! - [`number_messages`]: a batch of stored messages (SQLite's batched accept, one inbound
//!   message) takes its numbers with one `INSERT … ON CONFLICT DO UPDATE … RETURNING` on
//!   `channel_counters`, a range per channel. On PostgreSQL that statement locks the
//!   channel's counter row until the transaction commits, so concurrent stores on any node
//!   take numbers one after the other and commit in number order: numbers are gap-free,
//!   never reused, and a reader that sees number n sees every number below it. On SQLite the
//!   one writer orders them. A transaction that rolls back gives its numbers back with it.
//! - [`record_changes`]: the messages a status statement moved are copied into
//!   `message_statuses` with one `INSERT … SELECT` over their ids (the status, its time,
//!   the error of a failure, the pricing and conversation the message holds then). The first
//!   status of a message (`accepted`, `received`) is not written: it is the message row's
//!   own, and [`message_history`] reads it from there, so the send path writes nothing more.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::message::{Direction, Message, MessageError, MessageStatus, StatusChange};
use wagate_core::pricing::{Conversation, Pricing};

use super::dispatch::{get_message, push_list, push_values};
use super::{Backend, Conn, Dialect, query};
use crate::records::{MessageRecord, corrupt, millis, timestamp};
use crate::{MessageFilter, MessageKey, MessageOrder, Page, ReportStore, Result, message_columns};

#[async_trait]
impl<B: Backend> ReportStore for B {
    async fn count_messages(&self, account: AccountId, filter: &MessageFilter) -> Result<u64> {
        let filter = filter.clone();
        self.read(move |c| Box::pin(async move { count_messages(c, account, &filter).await }))
            .await
    }

    async fn message_history(
        &self,
        account: AccountId,
        key: &MessageKey,
    ) -> Result<(Message, Vec<StatusChange>)> {
        let key = key.clone();
        self.read(move |c| Box::pin(async move { message_history(c, account, &key).await }))
            .await
    }
}

/// Counter rows per statement (two parameters each).
fn counters_chunk(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 150,
        Dialect::Postgres => 1000,
    }
}

/// Message ids per history statement (one parameter each): SQLite's parameter binding costs
/// grow with the square of their number, so its statements stay at a few hundred.
fn ids_chunk(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 300,
        Dialect::Postgres => 1000,
    }
}

// ---- Numbers ----

/// Gives each record the next number of its channel, in the order given: one statement
/// takes every channel's range (channels in id order, so concurrent transactions lock
/// counter rows in one order). Call it in the transaction that inserts the records, before
/// that transaction writes any contact or card: every path takes the counter first, so
/// PostgreSQL's row locks are always taken in one order (counter, then contact rows) and
/// concurrent sends and receipts cannot deadlock.
pub async fn number_messages<'r, C: Conn>(
    c: &mut C,
    records: impl IntoIterator<Item = &'r mut MessageRecord>,
) -> Result<()> {
    let mut by_channel: BTreeMap<Uuid, Vec<&'r mut MessageRecord>> = BTreeMap::new();
    for r in records {
        by_channel.entry(r.channel_id).or_default().push(r);
    }
    let channels: Vec<(Uuid, Vec<&'r mut MessageRecord>)> = by_channel.into_iter().collect();
    let size = counters_chunk(c.dialect());
    let mut rest = channels;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(size));
        let counts: Vec<(Uuid, i64)> = rest
            .iter()
            .map(|(channel, records)| (*channel, i64::try_from(records.len()).unwrap_or(i64::MAX)))
            .collect();
        let q = counters_statement(&counts);
        let last: BTreeMap<Uuid, i64> = c.fetch_all::<(Uuid, i64)>(q).await?.into_iter().collect();
        for (channel, records) in &mut rest {
            let top = *last
                .get(channel)
                .ok_or_else(|| corrupt("channel counter", "no row returned"))?;
            let first = top - i64::try_from(records.len()).unwrap_or(i64::MAX) + 1;
            for (i, r) in records.iter_mut().enumerate() {
                r.number = first + i as i64;
            }
        }
        rest = tail;
    }
    Ok(())
}

// ---- Status history ----

/// Records the status each of `messages` now has, as it moved there: one
/// [`history_statement`] per few hundred messages.
pub async fn record_changes<'m, C: Conn>(
    c: &mut C,
    messages: impl IntoIterator<Item = &'m Message>,
) -> Result<()> {
    let ids: Vec<Uuid> = messages
        .into_iter()
        .filter(|m| m.direction == Direction::Outbound)
        .map(|m| m.id.as_uuid())
        .collect();
    for part in ids.chunks(ids_chunk(c.dialect())) {
        c.execute(history_statement(part)).await?;
    }
    Ok(())
}

/// `INSERT … SELECT` copying the current status of the messages `ids` into their history
/// (each found by its primary key); a status already recorded is left as it was.
pub fn history_statement(ids: &[Uuid]) -> super::Query {
    let mut q = query(
        "INSERT INTO message_statuses (message_id, status, at, error, pricing, conversation) \
         SELECT id, status, CASE status WHEN 'sent' THEN sent_at \
           WHEN 'delivered' THEN delivered_at WHEN 'read' THEN read_at \
           ELSE failed_at END, \
         CASE WHEN status = 'failed' THEN error END, pricing, conversation \
         FROM messages WHERE status IN ('sent', 'delivered', 'read', 'failed') AND id IN ",
    );
    push_list(&mut q, ids.iter().copied());
    q.push(" ON CONFLICT (message_id, status) DO NOTHING");
    q
}

/// `INSERT … ON CONFLICT DO UPDATE … RETURNING` adding `counts` (channel, how many) to
/// the channels' counters; it returns each channel's new last number.
pub fn counters_statement(counts: &[(Uuid, i64)]) -> super::Query {
    let mut q = query("INSERT INTO channel_counters (channel_id, last_number) ");
    push_values(&mut q, counts, |row, (channel, n)| {
        row.bind(*channel).bind(*n);
    });
    q.push(
        " ON CONFLICT (channel_id) DO UPDATE SET \
         last_number = channel_counters.last_number + excluded.last_number \
         RETURNING channel_id, last_number",
    );
    q
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    status: String,
    at: i64,
    error: Option<Json<serde_json::Value>>,
    pricing: Option<Json<serde_json::Value>>,
    conversation: Option<Json<serde_json::Value>>,
}

impl TryFrom<StatusRow> for StatusChange {
    type Error = crate::StoreError;
    fn try_from(r: StatusRow) -> Result<Self> {
        let bad = |e: &dyn std::fmt::Display| corrupt("message status", e);
        Ok(StatusChange {
            status: MessageStatus::parse(&r.status).map_err(|e| bad(&e))?,
            at: timestamp("message status", r.at)?,
            error: r
                .error
                .map(|Json(v)| serde_json::from_value::<MessageError>(v))
                .transpose()
                .map_err(|e| bad(&e))?,
            pricing: r
                .pricing
                .map(|Json(v)| serde_json::from_value::<Pricing>(v))
                .transpose()
                .map_err(|e| bad(&e))?,
            conversation: r
                .conversation
                .map(|Json(v)| serde_json::from_value::<Conversation>(v))
                .transpose()
                .map_err(|e| bad(&e))?,
        })
    }
}

pub async fn message_history<C: Conn>(
    c: &mut C,
    account: AccountId,
    key: &MessageKey,
) -> Result<(Message, Vec<StatusChange>)> {
    let message = get_message(c, account, key).await?;
    let rows = c
        .fetch_all::<StatusRow>(
            query(
                "SELECT status, at, error, pricing, conversation FROM message_statuses \
                 WHERE message_id = $1",
            )
            .bind(message.id.as_uuid()),
        )
        .await?;
    let first = StatusChange {
        status: match message.direction {
            Direction::Outbound => MessageStatus::Accepted,
            Direction::Inbound => MessageStatus::Received,
        },
        at: message.created_at,
        error: None,
        pricing: None,
        conversation: None,
    };
    let mut history = std::iter::once(Ok(first))
        .chain(rows.into_iter().map(StatusChange::try_from))
        .collect::<Result<Vec<_>>>()?;
    history.sort_by_key(|s| (s.at, StatusChange::rank(s.status)));
    Ok((message, history))
}

// ---- The message list ----

/// Appends the `WHERE` conditions of `filter` (after `account_id = …`). `false` when the
/// filter selects nothing (a scoped key with no channels).
fn push_filter(q: &mut super::Query, filter: &MessageFilter) -> bool {
    if let Some(ch) = filter.channel_id {
        q.push(" AND channel_id = ").push_bind(ch.as_uuid());
    }
    if let Some(channels) = &filter.channels {
        if channels.is_empty() {
            return false;
        }
        q.push(" AND channel_id IN ");
        push_list(q, channels.iter().map(ChannelId::as_uuid));
    }
    if let Some(w) = &filter.wa_id {
        q.push(" AND wa_id = ").push_bind(w.as_str());
    }
    if let Some(d) = filter.direction {
        q.push(" AND direction = ").push_bind(d.as_str());
    }
    if let Some(s) = filter.status {
        q.push(" AND status = ").push_bind(s.as_str());
    }
    if let Some(k) = filter.kind {
        q.push(" AND type = ").push_bind(k.as_str());
    }
    if let Some(t) = filter.since {
        q.push(" AND created_at >= ").push_bind(millis(t));
    }
    if let Some(t) = filter.until {
        q.push(" AND created_at < ").push_bind(millis(t));
    }
    if let Some(n) = filter.number_after {
        q.push(" AND number > ")
            .push_bind(i64::try_from(n).unwrap_or(i64::MAX));
    }
    if let Some(n) = filter.number_before {
        q.push(" AND number < ")
            .push_bind(i64::try_from(n).unwrap_or(i64::MAX));
    }
    true
}

pub async fn list_messages<C: Conn>(
    c: &mut C,
    account: AccountId,
    filter: &MessageFilter,
    page: &Page<wagate_core::ids::MessageId>,
) -> Result<Vec<Message>> {
    let mut q = query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE account_id = "
    ));
    q.push_bind(account.as_uuid());
    if !push_filter(&mut q, filter) {
        return Ok(Vec::new());
    }
    // One channel's list is read in its number order, which is the order its messages were
    // stored and committed in (see `number_messages`): a reader following it with
    // `order=asc&after=<last id>` never misses one, even from several nodes. Across channels
    // the order is the id's (UUIDv7: creation time).
    let key = if filter.channel_id.is_some() {
        "number"
    } else {
        "id"
    };
    let (after, order) = match filter.order {
        MessageOrder::NewestFirst => ("<", "DESC"),
        MessageOrder::OldestFirst => (">", "ASC"),
    };
    if let Some(id) = page.after {
        if key == "number" {
            q.push(&format!(
                " AND number {after} (SELECT number FROM messages WHERE id = "
            ))
            .push_bind(id.as_uuid())
            .push(")");
        } else {
            q.push(&format!(" AND id {after} ")).push_bind(id.as_uuid());
        }
    }
    q.push(&format!(" ORDER BY {key} {order} LIMIT "))
        .push_bind(page.sql_limit());
    c.fetch_all::<MessageRecord>(q)
        .await?
        .into_iter()
        .map(Message::try_from)
        .collect()
}

pub async fn count_messages<C: Conn>(
    c: &mut C,
    account: AccountId,
    filter: &MessageFilter,
) -> Result<u64> {
    let mut q = query("SELECT COUNT(*) FROM messages WHERE account_id = ");
    q.push_bind(account.as_uuid());
    if !push_filter(&mut q, filter) {
        return Ok(0);
    }
    let n = c.scalar::<i64>(q).await?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}
