//! Messages and what moves them: accepting outbound messages, the outbox lease, recording
//! dispatch outcomes, network events, inbound messages, contacts and the cloud upstream's
//! ids. Their statements, and [`MessageStore`] for every [`Dispatch`] backend.
//!
//! The backends differ in how dispatch is shared, not in its SQL:
//! - SQLite has one writer. A lease commits first and its jobs are read on a reader, so the
//!   writer is not held for the read; outbound messages are accepted in batches (its
//!   `Acceptor` gathers concurrent accepts into one [`insert_batch`]).
//! - PostgreSQL is shared by several nodes: each channel's lane is owned by one node at a
//!   time (`dispatch_lanes`, claimed by the lease step, renewed with the leases, free again
//!   once its node stops renewing), so a channel's throughput is paced by one node; the
//!   lease skips entries another node is leasing (`FOR UPDATE SKIP LOCKED`), and network
//!   events are applied under a transaction-scoped advisory lock so they stay in time order
//!   across nodes. [`Dispatch::dispatch_node`] says which of the two a backend is.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::contact::card::ContactCard;
use wagate_core::contact::view::ChangeCause;
use wagate_core::contact::{Contact, MarketingPreference};
use wagate_core::ids::{AccountId, ChannelId, ContactId, MessageId, PhoneNumberId};
use wagate_core::message::{Message, MessageStatus, NewOutboundMessage, Wamid};
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::policy::RecipientState;
use wagate_core::pricing::{Conversation, Pricing};

use super::{Backend, Conn, Dialect, IntoArg, Query, database_error, query, reports, webhooks};
use crate::dispatch::{settle_statuses, status_groups};
use crate::records::{ContactRecord, MessageRecord, millis, predecessors_sql, status_time_column};
use crate::{
    Applied, Conflict, ContactKey, DispatchOutcome, Entity, MessageFilter, MessageKey,
    MessageStore, OutboxJob, Page, Result, StoreError, contact_columns, message_columns,
};

/// What a backend adds to its [`Backend`] for [`MessageStore`].
#[async_trait]
pub trait Dispatch: Backend {
    /// The name under which this store claims dispatch lanes, when several nodes share the
    /// database (PostgreSQL); `None` when one process owns it (SQLite).
    fn dispatch_node(&self) -> Option<&str>;

    /// Stores an outbound message and its outbox entry (see
    /// [`MessageStore::accept_outbound`]): by default one write of its own.
    async fn accept(&self, new: NewOutboundMessage) -> Result<Message> {
        let now = self.now();
        self.write(move |c| Box::pin(insert_outbound(c, new, now)))
            .await
    }
}

#[async_trait]
impl<B: Dispatch> MessageStore for B {
    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message> {
        self.accept(new).await
    }

    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message> {
        let key = key.clone();
        self.read(move |c| Box::pin(async move { get_message(c, account, &key).await }))
            .await
    }

    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64> {
        self.read(move |c| Box::pin(outbox_depth(c, channel))).await
    }

    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move { reports::list_messages(c, account, &filter, &page).await })
        })
        .await
    }

    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>> {
        let Some(node) = self.dispatch_node().map(str::to_owned) else {
            // One writer: the lease commits, then its jobs are read on a reader, so the
            // writer is not held for the read.
            let ids = self
                .write(move |c| Box::pin(lease_outbox(c, None, now, lease_until, limit)))
                .await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            return self
                .read(move |c| Box::pin(async move { outbox_jobs(c, &ids).await }))
                .await;
        };
        self.write(move |c| {
            Box::pin(async move {
                claim_lanes(c, &node, now, lease_until).await?;
                let ids = lease_outbox(c, Some(&node), now, lease_until, limit).await?;
                outbox_jobs(c, &ids).await
            })
        })
        .await
    }

    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64> {
        self.write(move |c| Box::pin(release_expired_leases(c, now)))
            .await
    }

    async fn renew_outbox(
        &self,
        ids: Vec<MessageId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<MessageId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let node = self.dispatch_node().map(str::to_owned);
        self.write(move |c| {
            Box::pin(async move {
                if let Some(node) = &node {
                    renew_lanes(c, node, until).await?;
                }
                renew_outbox(c, &ids, held_until, until).await
            })
        })
        .await
    }

    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()> {
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let changed = complete_dispatch(c, outcomes).await?;
                webhooks::emit_for_messages(c, &changed, stamp).await
            })
        })
        .await
    }

    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>> {
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let applied = apply_due_events(c, now, limit).await?;
                webhooks::emit_for_messages(c, &changed_messages(&applied), stamp).await?;
                Ok(applied)
            })
        })
        .await
    }

    async fn next_event_due(&self) -> Result<Option<Timestamp>> {
        self.read(move |c| Box::pin(next_event_due(c))).await
    }

    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message> {
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let wamid = new.wamid.to_string();
                let exists =
                    || StoreError::conflict(Conflict::MessageId, format!("message {wamid} exists"));
                let message = match ingest_inbound(c, new).await {
                    Ok(Some(message)) => message,
                    Ok(None) => return Err(exists()),
                    // Another node stored the same wamid between our check and our insert.
                    Err(e) if is_duplicate_message(&e) => return Err(exists()),
                    Err(e) => return Err(e),
                };
                webhooks::emit_for_messages(c, std::slice::from_ref(&message), stamp).await?;
                Ok(message)
            })
        })
        .await
    }

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>> {
        let key = key.clone();
        self.read(move |c| Box::pin(async move { find_contact(c, channel, &key).await }))
            .await
    }

    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()> {
        self.write(move |c| Box::pin(set_blocked(c, channel, contacts, blocked_at)))
            .await
    }

    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>> {
        let page = page.clone();
        self.read(move |c| Box::pin(async move { list_blocked(c, channel, &page).await }))
            .await
    }

    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>> {
        let upstream_id = upstream_id.to_owned();
        self.read(move |c| {
            Box::pin(async move { find_message_by_upstream_id(c, channel, &upstream_id).await })
        })
        .await
    }

    async fn upstream_id_of(&self, channel: ChannelId, wamid: &Wamid) -> Result<Option<String>> {
        let wamid = wamid.clone();
        self.read(move |c| Box::pin(async move { upstream_id_of(c, channel, &wamid).await }))
            .await
    }

    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<NetworkEvent>,
    ) -> Result<()> {
        self.write(move |c| Box::pin(record_network_events(c, channel, events)))
            .await
    }
}

/// Rows per multi-row statement: well under SQLite's 32,766 bound variables and
/// PostgreSQL's 65,535 parameters.
fn chunk(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 500,
        Dialect::Postgres => 1000,
    }
}

/// One row of a `VALUES` list being built.
pub struct Row<'q> {
    q: &'q mut Query,
    first: bool,
}

impl Row<'_> {
    pub fn bind(&mut self, value: impl IntoArg) -> &mut Self {
        if !self.first {
            self.q.push(", ");
        }
        self.first = false;
        self.q.push_bind(value);
        self
    }
}

/// Appends `VALUES (…), (…)`: one row per item, its values bound by `row`.
pub fn push_values<T>(
    q: &mut Query,
    items: impl IntoIterator<Item = T>,
    mut row: impl FnMut(&mut Row<'_>, T),
) {
    q.push("VALUES ");
    for (i, item) in items.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        row(
            &mut Row {
                q: &mut *q,
                first: true,
            },
            item,
        );
        q.push(")");
    }
}

/// Appends `(…)`, a parenthesised list binding each of `values` (for `IN`).
pub fn push_list<T: IntoArg>(q: &mut Query, values: impl IntoIterator<Item = T>) {
    q.push("(");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_bind(v);
    }
    q.push(")");
}

fn prefixed(columns: &str, alias: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn time_of(ms: Option<i64>) -> Option<Timestamp> {
    ms.and_then(|ms| Timestamp::from_millisecond(ms).ok())
}

/// Whether `e` is a unique violation of `messages` (its id or wamid): a concurrent
/// transaction stored the same message first.
pub fn is_duplicate_message(e: &StoreError) -> bool {
    database_error(e).is_some_and(|d| {
        d.is_unique_violation()
            && matches!(d.constraint(), Some("messages_wamid_key" | "messages_pkey"))
    })
}

// ---- Messages ----

fn bind_message<'r, 'q>(row: &'r mut Row<'q>, r: &MessageRecord) -> &'r mut Row<'q> {
    row.bind(r.id)
        .bind(r.wamid.as_str())
        .bind(r.account_id)
        .bind(r.channel_id)
        .bind(r.direction.as_str())
        .bind(r.wa_id.clone())
        .bind(r.bsuid.clone())
        .bind(r.kind.as_str())
        .bind(Json(&r.content.0))
        .bind(r.status.as_str())
        .bind(r.context_wamid.clone())
        .bind(r.biz_opaque_callback_data.clone())
        .bind(r.error.as_ref().map(|e| Json(&e.0)))
        .bind(r.created_at)
        .bind(r.sent_at)
        .bind(r.delivered_at)
        .bind(r.read_at)
        .bind(r.failed_at)
        .bind(r.conversation.as_ref().map(|c| Json(&c.0)))
        .bind(r.pricing.as_ref().map(|p| Json(&p.0)))
        .bind(r.handovers)
        .bind(r.profile_name.clone())
        .bind(r.number)
        .bind(r.campaign_id)
}

/// Message rows, as they are, in one statement.
pub async fn insert_message_rows<C: Conn>(c: &mut C, rows: &[&MessageRecord]) -> Result<()> {
    for part in rows.chunks(rows_per_statement(c.dialect(), 25)) {
        let mut q = query(concat!("INSERT INTO messages (", message_columns!(), ") "));
        push_values(&mut q, part, |row, r| {
            bind_message(row, r);
        });
        c.execute(q).await?;
    }
    Ok(())
}

/// Rows of `columns` parameters per multi-row statement. sqlx binds each SQLite parameter by
/// looking its name up in the statement's list of them, which is quadratic in their number:
/// a 512-row insert of 24 columns spent most of its time there. SQLite statements stay near
/// 400 parameters; PostgreSQL takes [`chunk`]'s rows.
pub fn rows_per_statement(dialect: Dialect, columns: usize) -> usize {
    match dialect {
        Dialect::Sqlite => (400 / columns.max(1)).max(1),
        Dialect::Postgres => chunk(dialect),
    }
}

/// One message row, as is.
pub async fn insert_message_row<C: Conn>(c: &mut C, r: &MessageRecord) -> Result<()> {
    insert_message_rows(c, &[r]).await
}

/// A send to a number the account's contact book lacks adds it (an empty card: no name,
/// tags or opt-in yet), in the same transaction as the message; a card that exists takes the
/// send's time as its last outbound (and first, if it had none). Numbers go in sorted, so
/// concurrent batches lock the cards they share in one order.
async fn add_contact_cards<C: Conn>(c: &mut C, rows: &[&MessageRecord]) -> Result<()> {
    let numbers: BTreeMap<(Uuid, &str), i64> = rows
        .iter()
        .filter_map(|r| {
            r.wa_id
                .as_deref()
                .map(|w| ((r.account_id, w), r.created_at))
        })
        .collect();
    if numbers.is_empty() {
        return Ok(());
    }
    let numbers: Vec<_> = numbers.into_iter().collect();
    for part in numbers.chunks(rows_per_statement(c.dialect(), 8)) {
        let mut q = query(
            "INSERT INTO contact_cards (id, account_id, wa_id, attributes, created_at, updated_at, \
         first_outbound_at, last_outbound_at) ",
        );
        push_values(&mut q, part, |row, ((account, wa_id), at)| {
            let (account, wa_id, at) = (*account, *wa_id, *at);
            row.bind(Uuid::now_v7())
                .bind(account)
                .bind(wa_id)
                .bind(sqlx::types::Json(serde_json::json!({})))
                .bind(at)
                .bind(at)
                .bind(at)
                .bind(at);
        });
        q.push(
            " ON CONFLICT (account_id, wa_id) DO UPDATE SET \
         first_outbound_at = COALESCE(contact_cards.first_outbound_at, \
           excluded.first_outbound_at), \
         last_outbound_at = CASE WHEN contact_cards.last_outbound_at IS NULL \
           OR contact_cards.last_outbound_at < excluded.last_outbound_at \
           THEN excluded.last_outbound_at ELSE contact_cards.last_outbound_at END",
        );
        c.execute(q).await?;
    }
    Ok(())
}

/// Meta's code for a message that could not be delivered: the number is not on WhatsApp
/// (also a user blocked on the number, which [`reachability`] tells apart).
const UNDELIVERABLE: i64 = 131026;

/// `UPDATE` marking the account's `numbers` on WhatsApp (`true`, a delivery or a read) or
/// not (`false`, a 131026), writing only the cards it changes; one indexed lookup per
/// number (`contact_cards_by_wa_id`). A 131026 on a number whose chat on `channel` is
/// blocked at Meta's level says nothing about WhatsApp, so such a card is left alone.
pub fn on_whatsapp_statement(
    account: Uuid,
    numbers: &[&str],
    on: bool,
    channel: Option<Uuid>,
) -> Query {
    let mut q = query(if on {
        "UPDATE contact_cards SET on_whatsapp = TRUE WHERE on_whatsapp IS NOT TRUE \
         AND account_id = "
    } else {
        "UPDATE contact_cards SET on_whatsapp = FALSE WHERE on_whatsapp IS NOT FALSE \
         AND account_id = "
    });
    q.push_bind(account).push(" AND wa_id IN ");
    push_list(&mut q, numbers.iter().copied());
    if let Some(channel) = channel {
        q.push(" AND NOT EXISTS (SELECT 1 FROM contacts AS c WHERE c.channel_id = ")
            .push_bind(channel)
            .push(" AND c.wa_id = contact_cards.wa_id AND c.blocked_at IS NOT NULL)");
    }
    q
}

/// What outbound messages that changed status say about their numbers: a delivery or a
/// read puts the card `on_whatsapp`, a 131026 failure takes it off. Cheap on the status
/// path: one guarded statement per account for the deliveries (a card already known to be
/// on WhatsApp is not written), one per failure.
async fn reachability<C: Conn>(c: &mut C, messages: &[&Message]) -> Result<()> {
    let mut reached: BTreeMap<Uuid, Vec<&str>> = BTreeMap::new();
    for m in messages {
        let Some(wa_id) = &m.wa_id else { continue };
        match m.status {
            MessageStatus::Delivered | MessageStatus::Read => reached
                .entry(m.account_id.as_uuid())
                .or_default()
                .push(wa_id.digits()),
            MessageStatus::Failed
                if m.error
                    .as_ref()
                    .is_some_and(|e| i64::from(e.code) == UNDELIVERABLE) =>
            {
                let q = on_whatsapp_statement(
                    m.account_id.as_uuid(),
                    &[wa_id.digits()],
                    false,
                    Some(m.channel_id.as_uuid()),
                );
                c.execute(q).await?;
            }
            _ => {}
        }
    }
    for (account, mut numbers) in reached {
        numbers.sort_unstable();
        numbers.dedup();
        for part in numbers.chunks(chunk(c.dialect())) {
            c.execute(on_whatsapp_statement(account, part, true, None))
                .await?;
        }
    }
    Ok(())
}

/// The message row and its outbox entry. `NotFound(Channel)` unless the channel is the
/// account's.
pub async fn insert_outbound<C: Conn>(
    c: &mut C,
    new: NewOutboundMessage,
    now: Timestamp,
) -> Result<Message> {
    insert_batch(c, vec![new], now)
        .await?
        .pop()
        .expect("one message, one outcome")
}

/// Inserts the messages whose channel belongs to their account, with their outbox entries,
/// with one multi-row `INSERT` each; each message's outcome, in order.
pub async fn insert_batch<C: Conn>(
    c: &mut C,
    news: Vec<NewOutboundMessage>,
    now: Timestamp,
) -> Result<Vec<Result<Message>>> {
    let pairs: HashSet<(AccountId, ChannelId)> =
        news.iter().map(|n| (n.account_id, n.channel_id)).collect();
    let mut owned = HashSet::new();
    for (account, channel) in pairs {
        let hit = c
            .scalar::<bool>(
                query("SELECT TRUE FROM channels WHERE account_id = $1 AND id = $2")
                    .bind(account.as_uuid())
                    .bind(channel.as_uuid()),
            )
            .await?;
        if hit.is_some() {
            owned.insert((account, channel));
        }
    }
    // Billable sends take their hold first: a refused one is not stored.
    let holds: Vec<super::billing::HoldRequest<'_>> = news
        .iter()
        .filter(|n| owned.contains(&(n.account_id, n.channel_id)))
        .filter_map(|n| {
            n.charge.as_ref().map(|quote| super::billing::HoldRequest {
                message_id: n.id,
                account_id: n.account_id,
                quote,
            })
        })
        .collect();
    let refused = super::billing::hold_charges(c, &holds, now).await?;
    let mut records: Vec<Result<MessageRecord>> = news
        .iter()
        .map(|n| {
            if !owned.contains(&(n.account_id, n.channel_id)) {
                Err(StoreError::NotFound(Entity::Channel))
            } else if let Some(why) = refused.get(&n.id) {
                Err(StoreError::Wallet(*why))
            } else {
                Ok(MessageRecord::accepted(n, now))
            }
        })
        .collect();
    reports::number_messages(c, records.iter_mut().filter_map(|r| r.as_mut().ok())).await?;
    let rows: Vec<&MessageRecord> = records.iter().filter_map(|r| r.as_ref().ok()).collect();
    if !rows.is_empty() {
        insert_message_rows(c, &rows).await?;
        for part in rows.chunks(rows_per_statement(c.dialect(), 4)) {
            let mut q =
                query("INSERT INTO outbox (message_id, channel_id, recipient_key, available_at) ");
            push_values(&mut q, part, |row, r| {
                row.bind(r.id)
                    .bind(r.channel_id)
                    .bind(r.recipient_key())
                    .bind(r.created_at);
            });
            c.execute(q).await?;
        }
        add_contact_cards(c, &rows).await?;
    }
    Ok(records
        .into_iter()
        .map(|r| r.and_then(Message::try_from))
        .collect())
}

pub async fn get_message<C: Conn>(
    c: &mut C,
    account: AccountId,
    key: &MessageKey,
) -> Result<Message> {
    let q = match key {
        MessageKey::Id(id) => query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_id = $1 AND id = $2"
        ))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
        MessageKey::Wamid(w) => query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_id = $1 AND wamid = $2"
        ))
        .bind(account.as_uuid())
        .bind(w.as_str()),
    };
    c.fetch_optional::<MessageRecord>(q)
        .await?
        .ok_or(StoreError::NotFound(Entity::Message))?
        .try_into()
}

pub async fn outbox_depth<C: Conn>(c: &mut C, channel: ChannelId) -> Result<u64> {
    let n = c
        .scalar::<i64>(
            query("SELECT COUNT(*) FROM outbox WHERE channel_id = $1").bind(channel.as_uuid()),
        )
        .await?
        .unwrap_or(0);
    Ok(n.max(0) as u64)
}

// ---- The outbox ----

/// Due channels looked at per step when claiming lanes.
const LANES_PER_STEP: i64 = 1000;

/// Claims for `node` the dispatch lanes of channels with due work: free ones (never
/// claimed, or their node stopped renewing) are claimed, ours renewed, other live nodes'
/// left alone. In channel order, so two nodes claiming at once lock lane rows in the same
/// order. (PostgreSQL only: see [`Dispatch::dispatch_node`].)
pub async fn claim_lanes<C: Conn>(
    c: &mut C,
    node: &str,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<()> {
    c.execute(
        query(
            "INSERT INTO dispatch_lanes (channel_id, node, lease_until)
             SELECT channel_id, $1, $2 FROM (
                 SELECT DISTINCT o.channel_id FROM outbox o
                 WHERE o.available_at <= $3 AND o.lease_until IS NULL
                 LIMIT $4) due
             ORDER BY channel_id
             ON CONFLICT (channel_id) DO UPDATE SET node = EXCLUDED.node,
                 lease_until = EXCLUDED.lease_until
             WHERE dispatch_lanes.node = EXCLUDED.node OR dispatch_lanes.lease_until < $3",
        )
        .bind(node)
        .bind(millis(lease_until))
        .bind(millis(now))
        .bind(LANES_PER_STEP),
    )
    .await?;
    Ok(())
}

/// Extends `node`'s dispatch lanes to `until`.
pub async fn renew_lanes<C: Conn>(c: &mut C, node: &str, until: Timestamp) -> Result<()> {
    c.execute(
        query("UPDATE dispatch_lanes SET lease_until = $1 WHERE node = $2 AND lease_until < $1")
            .bind(millis(until))
            .bind(node),
    )
    .await?;
    Ok(())
}

/// Leases up to `limit` due entries (head of line per recipient); their message ids. With a
/// `node`, only entries of that node's lanes, skipping those another node is leasing right
/// now (`SKIP LOCKED`: once that node commits they have a lease and no longer qualify).
pub async fn lease_outbox<C: Conn>(
    c: &mut C,
    node: Option<&str>,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<Uuid>> {
    let mut q = query(
        "UPDATE outbox SET lease_until = $1 WHERE message_id IN (
            SELECT o.message_id FROM outbox o ",
    );
    if node.is_some() {
        q.push("JOIN dispatch_lanes l ON l.channel_id = o.channel_id AND l.node = $4 ");
    }
    q.push(
        "WHERE o.available_at <= $2 AND o.lease_until IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox p
                              WHERE p.channel_id = o.channel_id
                                AND p.recipient_key = o.recipient_key
                                AND p.message_id < o.message_id)
            ORDER BY o.available_at, o.message_id LIMIT $3",
    );
    if node.is_some() {
        q.push(" FOR UPDATE OF o SKIP LOCKED");
    }
    q.push(") RETURNING message_id");
    let mut q = q
        .bind(millis(lease_until))
        .bind(millis(now))
        .bind(i64::from(limit));
    if let Some(node) = node {
        q = q.bind(node);
    }
    Ok(c.fetch_all::<(Uuid,)>(q)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

#[derive(sqlx::FromRow)]
struct JobRow {
    #[sqlx(flatten)]
    message: MessageRecord,
    attempts: i64,
    c_last_inbound_at: Option<i64>,
    c_blocked_at: Option<i64>,
    c_marketing_opt_out_at: Option<i64>,
    /// The contact book's opt-in: `false` opts out of marketing as a STOP does.
    k_opted_in: Option<bool>,
}

/// The leased entries `ids` with their messages and recipients' state.
pub async fn outbox_jobs<C: Conn>(c: &mut C, ids: &[Uuid]) -> Result<Vec<OutboxJob>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = query(format!(
        "SELECT {}, o.attempts, c.last_inbound_at AS c_last_inbound_at, \
         c.blocked_at AS c_blocked_at, c.marketing_opt_out_at AS c_marketing_opt_out_at, \
         k.opted_in AS k_opted_in \
         FROM outbox o JOIN messages m ON m.id = o.message_id \
         LEFT JOIN contacts c ON c.channel_id = m.channel_id \
           AND ((m.wa_id IS NOT NULL AND c.wa_id = m.wa_id) OR (m.wa_id IS NULL AND c.bsuid = m.bsuid)) \
         LEFT JOIN contact_cards k ON k.account_id = m.account_id AND k.wa_id = m.wa_id \
         WHERE o.message_id IN ",
        prefixed(message_columns!(), "m")
    ));
    push_list(&mut q, ids.iter().copied());
    q.push(" ORDER BY o.available_at, o.message_id");
    c.fetch_all::<JobRow>(q)
        .await?
        .into_iter()
        .map(|r| {
            Ok(OutboxJob {
                recipient: RecipientState {
                    last_inbound_at: time_of(r.c_last_inbound_at),
                    blocked: r.c_blocked_at.is_some(),
                    marketing_opt_out: r.c_marketing_opt_out_at.is_some()
                        || r.k_opted_in == Some(false),
                },
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                message: Message::try_from(r.message)?,
            })
        })
        .collect()
}

pub async fn release_expired_leases<C: Conn>(c: &mut C, now: Timestamp) -> Result<u64> {
    c.execute(
        query(
            "UPDATE outbox SET lease_until = NULL \
             WHERE lease_until IS NOT NULL AND lease_until < $1",
        )
        .bind(millis(now)),
    )
    .await
}

pub async fn renew_outbox<C: Conn>(
    c: &mut C,
    ids: &[MessageId],
    held_until: Timestamp,
    until: Timestamp,
) -> Result<Vec<MessageId>> {
    let mut renewed = Vec::with_capacity(ids.len());
    for part in ids.chunks(chunk(c.dialect())) {
        let mut q = query("UPDATE outbox SET lease_until = $1 WHERE lease_until = $2")
            .bind(millis(until))
            .bind(millis(held_until));
        q.push(" AND message_id IN ");
        push_list(&mut q, part.iter().map(MessageId::as_uuid));
        q.push(" RETURNING message_id");
        let rows = c.fetch_all::<(Uuid,)>(q).await?;
        renewed.extend(rows.into_iter().map(|(id,)| MessageId::from_uuid(id)));
    }
    Ok(renewed)
}

/// A message the upstream took, as recorded by [`complete_dispatch`].
pub struct Handed {
    pub message_id: MessageId,
    pub at: Timestamp,
    pub pricing: Option<Pricing>,
    pub conversation: Option<Conversation>,
    pub followups: Vec<NetworkEvent>,
    pub upstream_id: Option<String>,
}

/// Records the dispatcher's outcomes; the messages whose status changed, for their webhook
/// events.
pub async fn complete_dispatch<C: Conn>(
    c: &mut C,
    outcomes: Vec<DispatchOutcome>,
) -> Result<Vec<Message>> {
    let mut changed = Vec::new();
    let mut handed = Vec::new();
    for outcome in outcomes {
        match outcome {
            DispatchOutcome::Sent {
                message_id,
                at,
                pricing,
                conversation,
                followups,
                upstream_id,
            } => handed.push(Handed {
                message_id,
                at,
                pricing,
                conversation,
                followups,
                upstream_id,
            }),
            DispatchOutcome::Failed {
                message_id,
                at,
                error,
            } => {
                // Like `Sent`: an entry that is gone was completed by someone else (a stale
                // holder whose lease was reaped must not fail a message already handed over).
                if !take_outbox(c, message_id).await? {
                    continue;
                }
                let update = StatusUpdate {
                    message_id,
                    status: MessageStatus::Failed,
                    at,
                    error: Some(error),
                    pricing: None,
                    conversation: None,
                };
                changed.extend(set_status(c, &update).await?);
            }
            DispatchOutcome::Retry {
                message_id,
                available_at,
                attempted,
                error,
            } => {
                c.execute(
                    query(
                        "UPDATE outbox SET available_at = $1, attempts = attempts + $2, \
                         lease_until = NULL, last_error = COALESCE($3, last_error) \
                         WHERE message_id = $4",
                    )
                    .bind(millis(available_at))
                    .bind(i64::from(attempted))
                    .bind(error.map(Json))
                    .bind(message_id.as_uuid()),
                )
                .await?;
            }
        }
    }
    let size = chunk(c.dialect());
    let mut rest = handed;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(size));
        changed.extend(record_handed(c, rest).await?);
        rest = tail;
    }
    reports::record_changes(c, &changed).await?;
    // The wallet before the account's counters and contact cards, as a send takes them (one
    // lock order, no deadlock).
    let refs = changed.iter().collect::<Vec<_>>();
    let charged = super::billing::settle_charges(c, &refs).await?;
    super::analytics::count_changes(c, refs.iter().copied(), &charged).await?;
    reachability(c, &refs).await?;
    Ok(changed)
}

/// Records hand-overs with three statements however many there are: the outbox entries go
/// (an entry already gone was completed by someone else, and its message is skipped), the
/// messages become `sent` with the upstream's id when there is one, and what the network
/// will report later is stored. The messages that became `sent`.
async fn record_handed<C: Conn>(c: &mut C, handed: Vec<Handed>) -> Result<Vec<Message>> {
    let mut q = query("DELETE FROM outbox WHERE message_id IN ");
    push_list(&mut q, handed.iter().map(|h| h.message_id.as_uuid()));
    q.push(" RETURNING message_id");
    let taken: HashSet<Uuid> = c
        .fetch_all::<(Uuid,)>(q)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    let mut handed: Vec<Handed> = handed
        .into_iter()
        .filter(|h| taken.contains(&h.message_id.as_uuid()))
        .collect();
    if handed.is_empty() {
        return Ok(Vec::new());
    }
    let sent: Vec<Message> = c
        .fetch_all::<MessageRecord>(sent_statement(c.dialect(), &handed))
        .await?
        .into_iter()
        .map(Message::try_from)
        .collect::<Result<_>>()?;
    let moved: HashMap<MessageId, ChannelId> = sent.iter().map(|m| (m.id, m.channel_id)).collect();
    let events: Vec<(ChannelId, NetworkEvent)> = handed
        .iter_mut()
        .filter_map(|h| moved.get(&h.message_id).map(|ch| (*ch, h)))
        .flat_map(|(channel, h)| {
            std::mem::take(&mut h.followups)
                .into_iter()
                .map(move |e| (channel, e))
        })
        .collect();
    insert_network_events(c, events).await?;
    Ok(sent)
}

/// The `id` column of a batched `UPDATE … FROM (VALUES …) AS v`, as the join compares it.
///
/// On SQLite every such join is on `+v.column1`: without table statistics SQLite otherwise
/// indexes the VALUES list and scans the whole target table for each statement, so each
/// batch cost as much as the table is long. The unary `+` leaves the list nothing to index,
/// and each row is found by its id (`plan_check` tests the plans). PostgreSQL has no unary
/// `+` on uuid, and plans the join by the target's index unaided.
pub fn values_id(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "+v.column1",
        Dialect::Postgres => "v.column1",
    }
}

/// `UPDATE … FROM (VALUES …)` making `handed` `sent`, with the upstream's id when there is
/// one; it returns the messages that moved. See [`values_id`].
pub fn sent_statement(dialect: Dialect, handed: &[Handed]) -> Query {
    let mut q = query(
        "UPDATE messages SET status = 'sent', sent_at = v.column2, pricing = v.column3, \
         conversation = v.column4, handovers = handovers + 1, \
         upstream_id = COALESCE(v.column5, messages.upstream_id) FROM (",
    );
    push_values(&mut q, handed, |row, h| {
        row.bind(h.message_id.as_uuid())
            .bind(millis(h.at))
            .bind(h.pricing.as_ref().map(Json))
            .bind(h.conversation.as_ref().map(Json))
            .bind(h.upstream_id.as_deref());
    });
    q.push(") AS v WHERE messages.id = ")
        .push(values_id(dialect))
        .push(concat!(
            " AND messages.status = 'accepted' RETURNING ",
            message_columns!()
        ));
    q
}

/// Removes the outbox entry; false when it was already gone (someone else completed it).
async fn take_outbox<C: Conn>(c: &mut C, id: MessageId) -> Result<bool> {
    let n = c
        .execute(query("DELETE FROM outbox WHERE message_id = $1").bind(id.as_uuid()))
        .await?;
    Ok(n == 1)
}

/// Moves a message to `update.status` if that is progress; returns the message if it moved.
async fn set_status<C: Conn>(c: &mut C, update: &StatusUpdate) -> Result<Option<Message>> {
    let Some(column) = status_time_column(update.status) else {
        return Ok(None);
    };
    let q = query(format!(
        "UPDATE messages SET status = $1, {column} = $2, error = COALESCE($3, error) \
         WHERE id = $4 AND direction = 'outbound' AND status IN ({}) RETURNING {}",
        predecessors_sql(update.status),
        message_columns!()
    ))
    .bind(update.status.as_str())
    .bind(millis(update.at))
    .bind(update.error.as_ref().map(Json))
    .bind(update.message_id.as_uuid());
    c.fetch_optional::<MessageRecord>(q)
        .await?
        .map(Message::try_from)
        .transpose()
}

// ---- Network events ----

/// Advisory lock key held while applying network events on PostgreSQL ("events" in ASCII),
/// so one node at a time applies them, in time order.
const EVENTS_LOCK: i64 = 0x6576_656e_7473;

/// The messages `applied` changed (for their webhook events).
pub fn changed_messages(applied: &[Applied]) -> Vec<Message> {
    applied
        .iter()
        .filter_map(|a| match a {
            Applied::Status { message } | Applied::Inbound { message } => Some(message.clone()),
            Applied::Ignored { .. } => None,
        })
        .collect()
}

pub async fn apply_due_events<C: Conn>(
    c: &mut C,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Applied>> {
    if c.dialect() == Dialect::Postgres {
        // Held until the transaction ends: another node applying events waits, then sees
        // what is left, so events apply once each and in time order.
        c.execute(query("SELECT pg_advisory_xact_lock($1)").bind(EVENTS_LOCK))
            .await?;
    }
    let rows = c
        .fetch_all::<(i64, Json<NetworkEvent>)>(
            query(
                "SELECT id, event FROM network_events WHERE due_at <= $1 \
                 ORDER BY due_at, id LIMIT $2",
            )
            .bind(millis(now))
            .bind(i64::from(limit)),
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    // What each event did, by its place in `rows`: the answer keeps the order they happened.
    let mut applied: Vec<Option<Applied>> = vec![None; rows.len()];
    // Status reports are applied one statement per status rather than one per report.
    let mut statuses: Vec<(usize, StatusUpdate)> = Vec::new();
    for (i, (_, Json(event))) in rows.into_iter().enumerate() {
        match event {
            NetworkEvent::Status(update) => statuses.push((i, update)),
            NetworkEvent::Inbound(new) => {
                applied[i] = ingest_inbound(c, *new)
                    .await?
                    .map(|message| Applied::Inbound { message });
            }
        }
    }
    let size = chunk(c.dialect());
    for (status, group) in status_groups(&statuses) {
        for part in group.chunks(size) {
            apply_statuses(c, status, part, &mut applied).await?;
        }
    }
    for part in ids.chunks(size) {
        let mut q = query("DELETE FROM network_events WHERE id IN ");
        push_list(&mut q, part.iter().copied());
        c.execute(q).await?;
    }
    Ok(applied.into_iter().flatten().collect())
}

/// Moves every message of `updates` (all reporting `status`) that can make that progress, in
/// one statement; the others are reported as ignored.
async fn apply_statuses<C: Conn>(
    c: &mut C,
    status: MessageStatus,
    updates: &[&(usize, StatusUpdate)],
    applied: &mut [Option<Applied>],
) -> Result<()> {
    let Some(column) = status_time_column(status) else {
        // No status to move to: every report is ignored, pricing included.
        settle_statuses(updates, HashMap::new(), applied);
        return Ok(());
    };
    let q = status_statement(c.dialect(), status, column, updates);
    let moved: HashMap<MessageId, Message> = c
        .fetch_all::<MessageRecord>(q)
        .await?
        .into_iter()
        .map(|r| Message::try_from(r).map(|m| (m.id, m)))
        .collect::<Result<_>>()?;
    reports::record_changes(c, moved.values()).await?;
    let refs = moved.values().collect::<Vec<_>>();
    if matches!(
        status,
        MessageStatus::Delivered | MessageStatus::Read | MessageStatus::Failed
    ) {
        // The wallet before the account's counters and contact cards, as a send takes them
        // (one lock order).
        let charged = super::billing::settle_charges(c, &refs).await?;
        super::analytics::count_changes(c, refs.iter().copied(), &charged).await?;
        reachability(c, &refs).await?;
    } else {
        super::analytics::count_changes(c, refs.iter().copied(), &[]).await?;
    }
    let priced = settle_statuses(updates, moved, applied);
    if !priced.is_empty() {
        c.execute(pricing_statement(c.dialect(), &priced)).await?;
    }
    Ok(())
}

/// `UPDATE … FROM (VALUES …)` moving the messages of `updates` to `status` (its time in
/// `column`) where that is progress; it returns the messages that moved. See [`values_id`].
pub fn status_statement(
    dialect: Dialect,
    status: MessageStatus,
    column: &str,
    updates: &[&(usize, StatusUpdate)],
) -> Query {
    let mut q = query(format!(
        "UPDATE messages SET status = '{}', {column} = v.column2, \
         error = COALESCE(v.column3, messages.error), \
         pricing = COALESCE(v.column4, messages.pricing), \
         conversation = COALESCE(v.column5, messages.conversation) FROM (",
        status.as_str()
    ));
    push_values(&mut q, updates, |row, (_, u)| {
        row.bind(u.message_id.as_uuid())
            .bind(millis(u.at))
            .bind(u.error.as_ref().map(Json))
            .bind(u.pricing.as_ref().map(Json))
            .bind(u.conversation.as_ref().map(Json));
    });
    q.push(") AS v WHERE messages.id = ")
        .push(values_id(dialect))
        .push(&format!(
            " AND messages.direction = 'outbound' AND messages.status IN ({}) RETURNING {}",
            predecessors_sql(status),
            message_columns!()
        ));
    q
}

/// `UPDATE … FROM (VALUES …)` taking the network's pricing and conversation of `updates`
/// (those they name) whatever the messages' status. See [`values_id`].
pub fn pricing_statement(dialect: Dialect, updates: &[&StatusUpdate]) -> Query {
    let mut q = query(
        "UPDATE messages SET pricing = COALESCE(v.column2, messages.pricing), \
         conversation = COALESCE(v.column3, messages.conversation) FROM (",
    );
    push_values(&mut q, updates, |row, u| {
        row.bind(u.message_id.as_uuid())
            .bind(u.pricing.as_ref().map(Json))
            .bind(u.conversation.as_ref().map(Json));
    });
    q.push(") AS v WHERE messages.id = ")
        .push(values_id(dialect))
        .push(" AND messages.direction = 'outbound'");
    q
}

pub async fn next_event_due<C: Conn>(c: &mut C) -> Result<Option<Timestamp>> {
    let ms = c
        .scalar::<Option<i64>>(query("SELECT MIN(due_at) FROM network_events"))
        .await?
        .flatten();
    Ok(time_of(ms))
}

/// Stores network events, each due at its own time, in multi-row `INSERT`s.
async fn insert_network_events<C: Conn>(
    c: &mut C,
    events: Vec<(ChannelId, NetworkEvent)>,
) -> Result<()> {
    for part in events.chunks(chunk(c.dialect())) {
        let mut q = query("INSERT INTO network_events (channel_id, due_at, event) ");
        push_values(&mut q, part, |row, (channel, event)| {
            row.bind(channel.as_uuid())
                .bind(millis(event.at()))
                .bind(Json(event));
        });
        c.execute(q).await?;
    }
    Ok(())
}

/// Stores what the upstream reported about the channel's messages, to be applied at each
/// event's time.
pub async fn record_network_events<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    events: Vec<NetworkEvent>,
) -> Result<()> {
    insert_network_events(c, events.into_iter().map(|e| (channel, e)).collect()).await
}

// ---- Inbound messages and contacts ----

/// The contact upsert of an inbound message; `$max` is the dialect's two-argument maximum.
macro_rules! upsert_contact {
    ($max:literal) => {
        concat!(
            "INSERT INTO contacts (id, account_id, channel_id, wa_id, bsuid, profile_name, \
               first_message_at, last_message_at, last_inbound_at, marketing_opt_out_at, \
               created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, CASE $8 WHEN 1 THEN $7 ELSE NULL END, $7) \
             ON CONFLICT (channel_id, wa_id) WHERE wa_id IS NOT NULL DO UPDATE SET \
               bsuid = COALESCE(excluded.bsuid, contacts.bsuid), \
               profile_name = COALESCE(excluded.profile_name, contacts.profile_name), \
               first_message_at = COALESCE(contacts.first_message_at, excluded.first_message_at), \
               last_message_at = ",
            $max,
            "(COALESCE(contacts.last_message_at, 0), excluded.last_message_at), \
               last_inbound_at = ",
            $max,
            "(COALESCE(contacts.last_inbound_at, 0), excluded.last_inbound_at), \
               marketing_opt_out_at = CASE $8 WHEN 1 THEN $7 WHEN 2 THEN NULL \
                                      ELSE contacts.marketing_opt_out_at END"
        )
    };
}

/// The contact book learns of a user who writes in: the card is added if missing, its
/// profile name and BSUID kept current, and a STOP or START (`preference` 1 or 2) recorded
/// as the opt-in, from the `inbound` source.
async fn upsert_card_of_inbound<C: Conn>(
    c: &mut C,
    new: &NewInboundMessage,
    preference: i64,
) -> Result<()> {
    let at = millis(new.at);
    c.execute(
        query(
            "INSERT INTO contact_cards (id, account_id, wa_id, bsuid, profile_name, attributes,                opted_in, opt_in_source, opt_in_at, created_at, updated_at)              VALUES ($1, $2, $3, $4, $5, $6, CASE $7 WHEN 1 THEN FALSE WHEN 2 THEN TRUE END,                CASE WHEN $7 > 0 THEN 'inbound' END, CASE WHEN $7 > 0 THEN $8 END, $8, $8)              ON CONFLICT (account_id, wa_id) DO UPDATE SET                bsuid = COALESCE(excluded.bsuid, contact_cards.bsuid),                profile_name = COALESCE(excluded.profile_name, contact_cards.profile_name),                opted_in = CASE WHEN $7 > 0 THEN excluded.opted_in ELSE contact_cards.opted_in END,                opt_in_source = CASE WHEN $7 > 0 THEN excluded.opt_in_source                                     ELSE contact_cards.opt_in_source END,                opt_in_at = CASE WHEN $7 > 0 THEN excluded.opt_in_at ELSE contact_cards.opt_in_at END,                updated_at = CASE WHEN $7 > 0 OR excluded.profile_name IS NOT NULL                                  THEN excluded.updated_at ELSE contact_cards.updated_at END",
        )
        .bind(Uuid::now_v7())
        .bind(new.account_id.as_uuid())
        .bind(new.wa_id.digits())
        .bind(new.bsuid.as_ref().map(|b| b.as_str()))
        .bind(new.profile_name.clone())
        .bind(Json(serde_json::json!({})))
        .bind(preference)
        .bind(at),
    )
    .await?;
    Ok(())
}

/// The `contacts` events of a STOP or START (an opt-out or opt-in that changed), stored
/// with the message.
async fn announce_preference<C: Conn>(
    c: &mut C,
    new: &NewInboundMessage,
    before: Option<&ContactCard>,
) -> Result<()> {
    let Some(after) = super::contact_cards::find_card(c, new.account_id, &new.wa_id).await? else {
        return Ok(());
    };
    if before.and_then(ContactCard::opted_in) == after.opted_in() {
        return Ok(());
    }
    let pnid = c
        .scalar::<String>(
            query("SELECT phone_number_id FROM channels WHERE id = $1")
                .bind(new.channel_id.as_uuid()),
        )
        .await?
        .ok_or(StoreError::NotFound(Entity::Channel))?;
    let pnid = PhoneNumberId::parse(&pnid).map_err(|e| crate::records::corrupt("channel", e))?;
    super::contact_cards::emit_contact_events(c, before, &after, ChangeCause::Inbound(&pnid)).await
}

/// Stores an inbound message and renews its contact. `None` when the wamid is known already
/// (the network reported it twice).
pub async fn ingest_inbound<C: Conn>(c: &mut C, new: NewInboundMessage) -> Result<Option<Message>> {
    let known = c
        .scalar::<bool>(
            query("SELECT TRUE FROM messages WHERE wamid = $1").bind(new.wamid.as_str()),
        )
        .await?;
    if known.is_some() {
        return Ok(None);
    }
    let mut r = MessageRecord::inbound(&new);
    reports::number_messages(c, [&mut r]).await?;
    // Without a profile name in the report, the contact's known one (the upsert below
    // keeps it as it is).
    if r.profile_name.is_none() {
        r.profile_name = c
            .scalar::<Option<String>>(
                query("SELECT profile_name FROM contacts WHERE channel_id = $1 AND wa_id = $2")
                    .bind(new.channel_id.as_uuid())
                    .bind(new.wa_id.digits()),
            )
            .await?
            .flatten();
    }
    insert_message_row(c, &r).await?;
    let message = Message::try_from(r)?;
    // The account's counters before its contacts and cards: the order a status report
    // takes them in (`apply_statuses`), so the two never wait on each other in a cycle.
    super::analytics::count_changes(c, [&message], &[]).await?;
    super::analytics::count_reply(c, &new).await?;
    let preference: i64 = match new.preference {
        None => 0,
        Some(MarketingPreference::Stop) => 1,
        Some(MarketingPreference::Resume) => 2,
    };
    let upsert = match c.dialect() {
        Dialect::Sqlite => upsert_contact!("MAX"),
        Dialect::Postgres => upsert_contact!("GREATEST"),
    };
    c.execute(
        query(upsert)
            .bind(Uuid::now_v7())
            .bind(new.account_id.as_uuid())
            .bind(new.channel_id.as_uuid())
            .bind(new.wa_id.digits())
            .bind(new.bsuid.as_ref().map(|b| b.as_str()))
            .bind(new.profile_name.clone())
            .bind(millis(new.at))
            .bind(preference),
    )
    .await?;
    // A STOP or START is announced to `contacts` subscribers, with the card as it was.
    let before = if preference > 0 {
        super::contact_cards::find_card(c, new.account_id, &new.wa_id).await?
    } else {
        None
    };
    upsert_card_of_inbound(c, &new, preference).await?;
    if preference > 0 {
        announce_preference(c, &new, before.as_ref()).await?;
    }
    Ok(Some(message))
}

pub async fn find_contact<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    key: &ContactKey,
) -> Result<Option<Contact>> {
    let q = match key {
        ContactKey::WaId(w) => query(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE channel_id = $1 AND wa_id = $2"
        ))
        .bind(channel.as_uuid())
        .bind(w.digits()),
        ContactKey::Bsuid(b) => query(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE channel_id = $1 AND bsuid = $2"
        ))
        .bind(channel.as_uuid())
        .bind(b.as_str()),
    };
    c.fetch_optional::<ContactRecord>(q)
        .await?
        .map(Contact::try_from)
        .transpose()
}

pub async fn set_blocked<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    contacts: Vec<ContactId>,
    blocked_at: Option<Timestamp>,
) -> Result<()> {
    for part in contacts.chunks(chunk(c.dialect())) {
        let mut q = query("UPDATE contacts SET blocked_at = $1 WHERE channel_id = $2")
            .bind(blocked_at.map(millis))
            .bind(channel.as_uuid());
        q.push(" AND id IN ");
        push_list(&mut q, part.iter().map(ContactId::as_uuid));
        c.execute(q).await?;
    }
    Ok(())
}

pub async fn list_blocked<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    page: &Page<ContactId>,
) -> Result<Vec<Contact>> {
    c.fetch_all::<ContactRecord>(
        query(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE channel_id = $1 AND blocked_at IS NOT NULL \
             AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
        ))
        .bind(channel.as_uuid())
        .bind(page.after.map(|a| a.as_uuid()))
        .bind(page.sql_limit()),
    )
    .await?
    .into_iter()
    .map(Contact::try_from)
    .collect()
}

// ---- The cloud upstream's ids ----

/// The channel's message Meta knows as `upstream_id`: by the id Meta gave its hand-over,
/// else a message received from Meta (whose wamid is Meta's id).
pub async fn find_message_by_upstream_id<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    upstream_id: &str,
) -> Result<Option<Message>> {
    let by_upstream = c
        .fetch_optional::<MessageRecord>(
            query(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE channel_id = $1 AND upstream_id = $2"
            ))
            .bind(channel.as_uuid())
            .bind(upstream_id),
        )
        .await?;
    let record = match by_upstream {
        Some(r) => Some(r),
        None => {
            c.fetch_optional::<MessageRecord>(
                query(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages WHERE channel_id = $1 AND wamid = $2 \
                     AND direction = 'inbound'"
                ))
                .bind(channel.as_uuid())
                .bind(upstream_id),
            )
            .await?
        }
    };
    record.map(Message::try_from).transpose()
}

pub async fn upstream_id_of<C: Conn>(
    c: &mut C,
    channel: ChannelId,
    wamid: &Wamid,
) -> Result<Option<String>> {
    let row = c
        .fetch_optional::<(Option<String>, String)>(
            query(
                "SELECT upstream_id, direction FROM messages WHERE channel_id = $1 AND wamid = $2",
            )
            .bind(channel.as_uuid())
            .bind(wamid.as_str()),
        )
        .await?;
    Ok(
        row.and_then(|(upstream_id, direction)| match direction.as_str() {
            "inbound" => Some(wamid.as_str().to_owned()),
            _ => upstream_id,
        }),
    )
}
