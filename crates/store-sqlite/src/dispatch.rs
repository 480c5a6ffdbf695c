//! The SQL of dispatch and ingest on SQLite: the outbox lease, recording outcomes, network
//! events, inbound messages and contacts. Write functions run on the writer's connection
//! inside its transaction.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::contact::{Contact, MarketingPreference};
use wagate_core::ids::{AccountId, ChannelId, ContactId, MessageId};
use wagate_core::message::{Message, MessageStatus, NewOutboundMessage};
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::policy::RecipientState;
use wagate_store::dispatch::{settle_statuses, status_groups};
use wagate_store::records::{
    ContactRecord, MessageRecord, millis, predecessors_sql, status_time_column,
};
use wagate_store::{
    Applied, ContactKey, DispatchOutcome, MessageFilter, MessageKey, MessageStore, OutboxJob, Page,
    Result, StoreError, contact_columns, message_columns,
};

use crate::queries::insert_message_row;
use crate::{SqliteStore, queries, webhooks};
use wagate_store::sql::channels::upstream;

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

fn prefixed(columns: &str, alias: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(sqlx::FromRow)]
struct JobRow {
    #[sqlx(flatten)]
    message: MessageRecord,
    attempts: i64,
    c_last_inbound_at: Option<i64>,
    c_blocked_at: Option<i64>,
    c_marketing_opt_out_at: Option<i64>,
}

/// Leases up to `limit` due entries (head of line per recipient); their message ids.
pub async fn lease_outbox(
    conn: &mut SqliteConnection,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "UPDATE outbox SET lease_until = ?1 WHERE message_id IN (
            SELECT o.message_id FROM outbox o
            WHERE o.available_at <= ?2 AND o.lease_until IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox p
                              WHERE p.channel_id = o.channel_id
                                AND p.recipient_key = o.recipient_key
                                AND p.message_id < o.message_id)
            ORDER BY o.available_at, o.message_id LIMIT ?3)
         RETURNING message_id",
    )
    .bind(millis(lease_until))
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)
}

/// The leased entries `ids` with their messages and recipients' state. Read after the
/// lease committed, on a read connection, so the writer is not held for it.
pub async fn outbox_jobs(conn: &mut SqliteConnection, ids: &[Uuid]) -> Result<Vec<OutboxJob>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT {}, o.attempts, c.last_inbound_at AS c_last_inbound_at, \
         c.blocked_at AS c_blocked_at, c.marketing_opt_out_at AS c_marketing_opt_out_at \
         FROM outbox o JOIN messages m ON m.id = o.message_id \
         LEFT JOIN contacts c ON c.channel_id = m.channel_id \
           AND ((m.wa_id IS NOT NULL AND c.wa_id = m.wa_id) OR (m.wa_id IS NULL AND c.bsuid = m.bsuid)) \
         WHERE o.message_id IN (",
        prefixed(message_columns!(), "m")
    ));
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(") ORDER BY o.available_at, o.message_id");
    let rows: Vec<JobRow> = q.build_query_as().fetch_all(&mut *conn).await.map_err(db)?;
    rows.into_iter()
        .map(|r| {
            let at = |ms: Option<i64>| ms.and_then(|ms| Timestamp::from_millisecond(ms).ok());
            Ok(OutboxJob {
                recipient: RecipientState {
                    last_inbound_at: at(r.c_last_inbound_at),
                    blocked: r.c_blocked_at.is_some(),
                    marketing_opt_out: r.c_marketing_opt_out_at.is_some(),
                },
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                message: Message::try_from(r.message)?,
            })
        })
        .collect()
}

pub async fn release_expired_leases(conn: &mut SqliteConnection, now: Timestamp) -> Result<u64> {
    sqlx::query(
        "UPDATE outbox SET lease_until = NULL WHERE lease_until IS NOT NULL AND lease_until < ?",
    )
    .bind(millis(now))
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    .map_err(db)
}

pub async fn renew_outbox(
    conn: &mut SqliteConnection,
    ids: &[MessageId],
    held_until: Timestamp,
    until: Timestamp,
) -> Result<Vec<MessageId>> {
    let mut renewed = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE outbox SET lease_until = ");
        q.push_bind(millis(until))
            .push(" WHERE lease_until = ")
            .push_bind(millis(held_until))
            .push(" AND message_id IN (");
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id.as_uuid());
        }
        q.push(") RETURNING message_id");
        let rows: Vec<Uuid> = q
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        renewed.extend(rows.into_iter().map(MessageId::from_uuid));
    }
    Ok(renewed)
}

/// Rows per multi-row statement: well under SQLite's 32,766 bound variables.
const CHUNK: usize = 500;

/// A message the upstream took, as recorded by [`complete_dispatch`].
struct Handed {
    message_id: MessageId,
    at: Timestamp,
    pricing: Option<wagate_core::pricing::Pricing>,
    conversation: Option<wagate_core::pricing::Conversation>,
    followups: Vec<NetworkEvent>,
    upstream_id: Option<String>,
}

pub async fn complete_dispatch(
    conn: &mut SqliteConnection,
    outcomes: Vec<DispatchOutcome>,
) -> Result<()> {
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
                if !take_outbox(conn, message_id).await? {
                    continue;
                }
                let failed = set_status(
                    conn,
                    &StatusUpdate {
                        message_id,
                        status: MessageStatus::Failed,
                        at,
                        error: Some(error),
                        pricing: None,
                        conversation: None,
                    },
                )
                .await?;
                webhooks::emit_for_messages(conn, failed.as_slice()).await?;
            }
            DispatchOutcome::Retry {
                message_id,
                available_at,
                attempted,
                error,
            } => {
                sqlx::query(
                    "UPDATE outbox SET available_at = ?, attempts = attempts + ?, \
                     lease_until = NULL, last_error = COALESCE(?, last_error) WHERE message_id = ?",
                )
                .bind(millis(available_at))
                .bind(i64::from(attempted))
                .bind(error.map(Json))
                .bind(message_id.as_uuid())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            }
        }
    }
    let mut rest = handed;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(CHUNK));
        record_handed(conn, rest).await?;
        rest = tail;
    }
    Ok(())
}

/// Records hand-overs with three statements however many there are: the outbox entries go
/// (an entry already gone was completed by someone else, and its message is skipped), the
/// messages become `sent`, and what the network will report later is stored.
async fn record_handed(conn: &mut SqliteConnection, handed: Vec<Handed>) -> Result<()> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("DELETE FROM outbox WHERE message_id IN (");
    let mut list = q.separated(", ");
    for h in &handed {
        list.push_bind(h.message_id.as_uuid());
    }
    q.push(") RETURNING message_id");
    let taken: std::collections::HashSet<Uuid> = q
        .build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .collect();
    let mut handed: Vec<Handed> = handed
        .into_iter()
        .filter(|h| taken.contains(&h.message_id.as_uuid()))
        .collect();
    if handed.is_empty() {
        return Ok(());
    }
    let mut q = sent_statement(&handed);
    let sent: Vec<Message> = q
        .build_query_as::<MessageRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Message::try_from)
        .collect::<Result<_>>()?;
    webhooks::emit_for_messages(conn, &sent).await?;
    let moved: std::collections::HashMap<Uuid, Uuid> = sent
        .iter()
        .map(|m| (m.id.as_uuid(), m.channel_id.as_uuid()))
        .collect();
    let upstream_ids: Vec<(MessageId, String)> = handed
        .iter()
        .filter(|h| moved.contains_key(&h.message_id.as_uuid()))
        .filter_map(|h| h.upstream_id.clone().map(|u| (h.message_id, u)))
        .collect();
    upstream::record_upstream_ids(conn, &upstream_ids).await?;
    let events: Vec<(Uuid, NetworkEvent)> = handed
        .iter_mut()
        .filter_map(|h| moved.get(&h.message_id.as_uuid()).map(|c| (*c, h)))
        .flat_map(|(channel, h)| {
            std::mem::take(&mut h.followups)
                .into_iter()
                .map(move |e| (channel, e))
        })
        .collect();
    for chunk in events.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO network_events (channel_id, due_at, event) ");
        q.push_values(chunk, |mut b, (channel, event)| {
            b.push_bind(*channel)
                .push_bind(millis(event.at()))
                .push_bind(Json(event.clone()));
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// `UPDATE … FROM (VALUES …)` making `handed` `sent`; it returns the messages that moved.
///
/// Every batched `UPDATE … FROM (VALUES …)` here joins on `+v.column1`: without table
/// statistics SQLite otherwise indexes the VALUES list and scans the whole target table for
/// each statement, so each batch cost as much as the table is long. The unary `+` leaves
/// the list nothing to index, and each row is found by its id (`plan_check` tests the plans).
fn sent_statement(handed: &[Handed]) -> QueryBuilder<Sqlite> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "UPDATE messages SET status = 'sent', sent_at = v.column2, pricing = v.column3, \
         conversation = v.column4, handovers = handovers + 1 FROM (",
    );
    q.push_values(handed.iter(), |mut b, h| {
        b.push_bind(h.message_id.as_uuid())
            .push_bind(millis(h.at))
            .push_bind(h.pricing.clone().map(Json))
            .push_bind(h.conversation.clone().map(Json));
    });
    q.push(concat!(
        ") AS v WHERE messages.id = +v.column1 AND messages.status = 'accepted' RETURNING ",
        message_columns!()
    ));
    q
}

/// Removes the outbox entry; false when it was already gone (someone else completed it).
async fn take_outbox(conn: &mut SqliteConnection, id: MessageId) -> Result<bool> {
    sqlx::query("DELETE FROM outbox WHERE message_id = ?")
        .bind(id.as_uuid())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db)
}

/// Moves a message to `update.status` if that is progress; returns the message if it moved.
async fn set_status(conn: &mut SqliteConnection, update: &StatusUpdate) -> Result<Option<Message>> {
    let Some(column) = status_time_column(update.status) else {
        return Ok(None);
    };
    let sql = format!(
        "UPDATE messages SET status = ?, {column} = ?, error = COALESCE(?, error) \
         WHERE id = ? AND direction = 'outbound' AND status IN ({}) RETURNING {}",
        predecessors_sql(update.status),
        message_columns!()
    );
    sqlx::query_as::<_, MessageRecord>(sqlx::AssertSqlSafe(sql))
        .bind(update.status.as_str())
        .bind(millis(update.at))
        .bind(update.error.clone().map(Json))
        .bind(update.message_id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .map(Message::try_from)
        .transpose()
}

pub async fn apply_due_events(
    conn: &mut SqliteConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Applied>> {
    let rows: Vec<(i64, Json<NetworkEvent>)> = sqlx::query_as(
        "SELECT id, event FROM network_events WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
    )
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    // What each event did, by its place in `rows`: the answer keeps the order they happened.
    let mut applied: Vec<Option<Applied>> = vec![None; rows.len()];
    // Status reports are applied one statement per status rather than one per report.
    let mut statuses: Vec<(usize, StatusUpdate)> = Vec::new();
    for (i, (_, Json(event))) in rows.into_iter().enumerate() {
        match event {
            NetworkEvent::Status(update) => statuses.push((i, update)),
            NetworkEvent::Inbound(new) => {
                applied[i] = ingest_inbound(conn, *new)
                    .await?
                    .map(|message| Applied::Inbound { message });
            }
        }
    }
    for (status, group) in status_groups(&statuses) {
        for chunk in group.chunks(CHUNK) {
            apply_statuses(conn, status, chunk, &mut applied).await?;
        }
    }
    for chunk in ids.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("DELETE FROM network_events WHERE id IN (");
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    let applied: Vec<Applied> = applied.into_iter().flatten().collect();
    let changed: Vec<Message> = applied
        .iter()
        .filter_map(|a| match a {
            Applied::Status { message } | Applied::Inbound { message } => Some(message.clone()),
            Applied::Ignored { .. } => None,
        })
        .collect();
    webhooks::emit_for_messages(conn, &changed).await?;
    Ok(applied)
}

/// Moves every message of `updates` (all reporting `status`) that can make that progress, in
/// one statement; the others are reported as ignored.
async fn apply_statuses(
    conn: &mut SqliteConnection,
    status: MessageStatus,
    updates: &[&(usize, StatusUpdate)],
    applied: &mut [Option<Applied>],
) -> Result<()> {
    let Some(column) = status_time_column(status) else {
        // No status to move to: every report is ignored, pricing included.
        settle_statuses(updates, std::collections::HashMap::new(), applied);
        return Ok(());
    };
    let mut q = status_statement(status, column, updates);
    let moved: std::collections::HashMap<MessageId, Message> = q
        .build_query_as::<MessageRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(|r| Message::try_from(r).map(|m| (m.id, m)))
        .collect::<Result<_>>()?;
    let priced = settle_statuses(updates, moved, applied);
    if !priced.is_empty() {
        pricing_statement(&priced)
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// `UPDATE … FROM (VALUES …)` moving the messages of `updates` to `status` (its time in
/// `column`) where that is progress; it returns the messages that moved. See
/// [`sent_statement`] for the `+v.column1`.
fn status_statement(
    status: MessageStatus,
    column: &str,
    updates: &[&(usize, StatusUpdate)],
) -> QueryBuilder<Sqlite> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "UPDATE messages SET status = '{}', {column} = v.column2, \
         error = COALESCE(v.column3, messages.error), \
         pricing = COALESCE(v.column4, messages.pricing), \
         conversation = COALESCE(v.column5, messages.conversation) FROM (",
        status.as_str()
    ));
    q.push_values(updates.iter(), |mut b, (_, u)| {
        b.push_bind(u.message_id.as_uuid())
            .push_bind(millis(u.at))
            .push_bind(u.error.clone().map(Json))
            .push_bind(u.pricing.clone().map(Json))
            .push_bind(u.conversation.clone().map(Json));
    });
    q.push(format!(
        ") AS v WHERE messages.id = +v.column1 AND messages.direction = 'outbound' \
         AND messages.status IN ({}) RETURNING {}",
        predecessors_sql(status),
        message_columns!()
    ));
    q
}

/// `UPDATE … FROM (VALUES …)` taking the network's pricing and conversation of `updates`
/// (those they name) whatever the messages' status.
fn pricing_statement(updates: &[&StatusUpdate]) -> QueryBuilder<Sqlite> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "UPDATE messages SET pricing = COALESCE(v.column2, messages.pricing), \
         conversation = COALESCE(v.column3, messages.conversation) FROM (",
    );
    q.push_values(updates.iter(), |mut b, u| {
        b.push_bind(u.message_id.as_uuid())
            .push_bind(u.pricing.clone().map(Json))
            .push_bind(u.conversation.clone().map(Json));
    });
    q.push(") AS v WHERE messages.id = +v.column1 AND messages.direction = 'outbound'");
    q
}

pub async fn next_event_due(conn: &mut SqliteConnection) -> Result<Option<Timestamp>> {
    let ms: Option<i64> = sqlx::query_scalar("SELECT MIN(due_at) FROM network_events")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()))
}

/// Stores an inbound message and renews its contact. `None` when the wamid is known already
/// (the network reported it twice).
pub async fn ingest_inbound(
    conn: &mut SqliteConnection,
    new: NewInboundMessage,
) -> Result<Option<Message>> {
    let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM messages WHERE wamid = ?")
        .bind(new.wamid.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if known.is_some() {
        return Ok(None);
    }
    let at = millis(new.at);
    let preference = match new.preference {
        None => 0,
        Some(MarketingPreference::Stop) => 1,
        Some(MarketingPreference::Resume) => 2,
    };
    sqlx::query(
        "INSERT INTO contacts (id, account_id, channel_id, wa_id, bsuid, profile_name, \
           first_message_at, last_message_at, last_inbound_at, marketing_opt_out_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, CASE ?8 WHEN 1 THEN ?7 ELSE NULL END, ?7) \
         ON CONFLICT (channel_id, wa_id) WHERE wa_id IS NOT NULL DO UPDATE SET \
           bsuid = COALESCE(excluded.bsuid, contacts.bsuid), \
           profile_name = COALESCE(excluded.profile_name, contacts.profile_name), \
           first_message_at = COALESCE(contacts.first_message_at, excluded.first_message_at), \
           last_message_at = MAX(COALESCE(contacts.last_message_at, 0), excluded.last_message_at), \
           last_inbound_at = MAX(COALESCE(contacts.last_inbound_at, 0), excluded.last_inbound_at), \
           marketing_opt_out_at = CASE ?8 WHEN 1 THEN ?7 WHEN 2 THEN NULL \
                                  ELSE contacts.marketing_opt_out_at END",
    )
    .bind(Uuid::now_v7())
    .bind(new.account_id.as_uuid())
    .bind(new.channel_id.as_uuid())
    .bind(new.wa_id.digits())
    .bind(new.bsuid.as_ref().map(|b| b.as_str().to_owned()))
    .bind(&new.profile_name)
    .bind(at)
    .bind(preference)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let mut r = MessageRecord::inbound(&new);
    if r.profile_name.is_none() {
        r.profile_name = sqlx::query_scalar::<_, Option<String>>(
            "SELECT profile_name FROM contacts WHERE channel_id = ? AND wa_id = ?",
        )
        .bind(new.channel_id.as_uuid())
        .bind(new.wa_id.digits())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .flatten();
    }
    insert_message_row(conn, &r).await?;
    Message::try_from(r).map(Some)
}

pub async fn find_contact(
    conn: &mut SqliteConnection,
    channel: ChannelId,
    key: &ContactKey,
) -> Result<Option<Contact>> {
    let (column, value) = match key {
        ContactKey::WaId(w) => ("wa_id", w.digits().to_owned()),
        ContactKey::Bsuid(b) => ("bsuid", b.as_str().to_owned()),
    };
    let sql = format!(
        "SELECT {} FROM contacts WHERE channel_id = ? AND {column} = ?",
        contact_columns!()
    );
    sqlx::query_as::<_, ContactRecord>(sqlx::AssertSqlSafe(sql))
        .bind(channel.as_uuid())
        .bind(value)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .map(Contact::try_from)
        .transpose()
}

pub async fn set_blocked(
    conn: &mut SqliteConnection,
    channel: ChannelId,
    contacts: Vec<ContactId>,
    blocked_at: Option<Timestamp>,
) -> Result<()> {
    for id in contacts {
        sqlx::query("UPDATE contacts SET blocked_at = ? WHERE channel_id = ? AND id = ?")
            .bind(blocked_at.map(millis))
            .bind(channel.as_uuid())
            .bind(id.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

pub async fn list_blocked(
    conn: &mut SqliteConnection,
    channel: ChannelId,
    page: &Page<ContactId>,
) -> Result<Vec<Contact>> {
    let sql = format!(
        "SELECT {} FROM contacts WHERE channel_id = ? AND blocked_at IS NOT NULL \
         AND (? IS NULL OR id > ?) ORDER BY id LIMIT ?",
        contact_columns!()
    );
    let after = page.after.map(|a| a.as_uuid());
    sqlx::query_as::<_, ContactRecord>(sqlx::AssertSqlSafe(sql))
        .bind(channel.as_uuid())
        .bind(after)
        .bind(after)
        .bind(page.sql_limit())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Contact::try_from)
        .collect()
}

pub async fn list_messages(
    conn: &mut SqliteConnection,
    account: AccountId,
    filter: &MessageFilter,
    page: &Page<MessageId>,
) -> Result<Vec<Message>> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT {} FROM messages WHERE account_id = ",
        message_columns!()
    ));
    q.push_bind(account.as_uuid());
    if let Some(c) = filter.channel_id {
        q.push(" AND channel_id = ").push_bind(c.as_uuid());
    }
    if let Some(channels) = &filter.channels {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        q.push(" AND channel_id IN (");
        let mut list = q.separated(", ");
        for c in channels {
            list.push_bind(c.as_uuid());
        }
        q.push(")");
    }
    if let Some(w) = &filter.wa_id {
        q.push(" AND wa_id = ").push_bind(w.clone());
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
    if let Some(after) = page.after {
        q.push(" AND id < ").push_bind(after.as_uuid());
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(page.sql_limit());
    q.build_query_as::<MessageRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Message::try_from)
        .collect()
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message> {
        self.acceptor.accept(new).await
    }

    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::get_message(&mut conn, account, key).await
    }

    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::outbox_depth(&mut conn, channel).await
    }

    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        list_messages(&mut conn, account, filter, page).await
    }

    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>> {
        let ids = self
            .writer
            .write(move |conn| {
                Box::pin(async move { lease_outbox(conn, now, lease_until, limit).await })
            })
            .await?;
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        outbox_jobs(&mut conn, &ids).await
    }

    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64> {
        self.writer
            .write(move |conn| Box::pin(async move { release_expired_leases(conn, now).await }))
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
        self.writer
            .write(move |conn| {
                Box::pin(async move { renew_outbox(conn, &ids, held_until, until).await })
            })
            .await
    }

    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { complete_dispatch(conn, outcomes).await }))
            .await
    }

    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>> {
        self.writer
            .write(move |conn| Box::pin(async move { apply_due_events(conn, now, limit).await }))
            .await
    }

    async fn next_event_due(&self) -> Result<Option<Timestamp>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        next_event_due(&mut conn).await
    }

    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let wamid = new.wamid.to_string();
                    let message = ingest_inbound(conn, new).await?.ok_or_else(|| {
                        StoreError::conflict(
                            wagate_store::Conflict::MessageId,
                            format!("message {wamid} exists"),
                        )
                    })?;
                    webhooks::emit_for_messages(conn, std::slice::from_ref(&message)).await?;
                    Ok(message)
                })
            })
            .await
    }

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        find_contact(&mut conn, channel, key).await
    }

    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { set_blocked(conn, channel, contacts, blocked_at).await })
            })
            .await
    }

    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        list_blocked(&mut conn, channel, page).await
    }

    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        upstream::find_message(&mut *conn, channel, upstream_id).await
    }

    async fn upstream_id_of(
        &self,
        channel: ChannelId,
        wamid: &wagate_core::message::Wamid,
    ) -> Result<Option<String>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        upstream::upstream_id_of(&mut *conn, channel, wamid).await
    }

    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<wagate_core::network::NetworkEvent>,
    ) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { upstream::record_network_events(conn, channel, events).await },
                )
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_check::{assert_searches, plan, schema};

    /// Enough rows that SQLite weighs indexing the VALUES list against the table.
    const ROWS: usize = 300;

    #[tokio::test]
    async fn batched_status_changes_find_each_message_by_id() {
        let mut conn = schema().await;
        let at = wagate_store::records::now();
        let handed: Vec<Handed> = (0..ROWS)
            .map(|_| Handed {
                message_id: MessageId::generate(),
                at,
                pricing: None,
                conversation: None,
                followups: Vec::new(),
                upstream_id: None,
            })
            .collect();
        assert_searches(&plan(&mut conn, &sent_statement(&handed)).await, "messages");

        let updates: Vec<(usize, StatusUpdate)> = (0..ROWS)
            .map(|i| {
                (
                    i,
                    StatusUpdate {
                        message_id: MessageId::generate(),
                        status: MessageStatus::Delivered,
                        at,
                        error: None,
                        pricing: None,
                        conversation: None,
                    },
                )
            })
            .collect();
        let refs: Vec<&(usize, StatusUpdate)> = updates.iter().collect();
        let reports: Vec<&StatusUpdate> = updates.iter().map(|(_, u)| u).collect();
        assert_searches(
            &plan(&mut conn, &pricing_statement(&reports)).await,
            "messages",
        );
        for status in [MessageStatus::Delivered, MessageStatus::Read] {
            let column = status_time_column(status).expect("a progress status");
            let q = status_statement(status, column, &refs);
            assert_searches(&plan(&mut conn, &q).await, "messages");
        }
    }
}
