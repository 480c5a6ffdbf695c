//! The SQL of dispatch and ingest on PostgreSQL: the outbox lease, recording outcomes, network
//! events, inbound messages and contacts. Write functions run inside the caller's
//! transaction; read functions on a pooled connection. Mirrors store-sqlite's `dispatch`.
//!
//! Several nodes share the database, so what SQLite gets from its single writer is done here
//! with row locks and leases: each channel's lane is owned by one node at a time
//! (`dispatch_lanes`, claimed and renewed by the lease step, free again once its node stops
//! renewing), so a channel's throughput is paced by one node; the lease skips entries
//! another node is leasing (`FOR UPDATE SKIP LOCKED`),
//! and network events are applied under a transaction-scoped advisory lock so they stay in
//! time order across nodes.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
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
    Result, StoreError, contact_columns, message_columns, records,
};

use crate::queries::insert_message_row;
use crate::{PgStore, commit, is_duplicate_message, queries, webhooks};
use wagate_store::sql::channels::upstream;

/// Advisory lock key held while applying network events ("events" in ASCII), so one node at
/// a time applies them, in time order.
const EVENTS_LOCK: i64 = 0x6576_656e_7473;

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

/// Due channels looked at per step when claiming lanes.
const LANES_PER_STEP: i64 = 1000;

pub async fn lease_outbox(
    conn: &mut PgConnection,
    node: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<OutboxJob>> {
    // The lanes of channels with due work: free ones (never claimed, or their node stopped
    // renewing) are claimed, ours renewed, other live nodes' left alone. In channel order,
    // so two nodes claiming at once lock lane rows in the same order.
    sqlx::query(
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
    .bind(LANES_PER_STEP)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    // Only our lanes' entries. SKIP LOCKED: entries another node is leasing right now are
    // passed over, not waited for; once that node commits, they have a lease and no longer
    // qualify.
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE outbox SET lease_until = $1 WHERE message_id IN (
            SELECT o.message_id FROM outbox o
            JOIN dispatch_lanes l ON l.channel_id = o.channel_id AND l.node = $4
            WHERE o.available_at <= $2 AND o.lease_until IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox p
                              WHERE p.channel_id = o.channel_id
                                AND p.recipient_key = o.recipient_key
                                AND p.message_id < o.message_id)
            ORDER BY o.available_at, o.message_id LIMIT $3
            FOR UPDATE OF o SKIP LOCKED)
         RETURNING message_id",
    )
    .bind(millis(lease_until))
    .bind(millis(now))
    .bind(i64::from(limit))
    .bind(node)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {}, o.attempts, c.last_inbound_at AS c_last_inbound_at, \
         c.blocked_at AS c_blocked_at, c.marketing_opt_out_at AS c_marketing_opt_out_at \
         FROM outbox o JOIN messages m ON m.id = o.message_id \
         LEFT JOIN contacts c ON c.channel_id = m.channel_id \
           AND ((m.wa_id IS NOT NULL AND c.wa_id = m.wa_id) OR (m.wa_id IS NULL AND c.bsuid = m.bsuid)) \
         WHERE o.message_id = ANY($1) ORDER BY o.available_at, o.message_id",
        prefixed(message_columns!(), "m")
    );
    let rows: Vec<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
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

pub async fn release_expired_leases(conn: &mut PgConnection, now: Timestamp) -> Result<u64> {
    sqlx::query(
        "UPDATE outbox SET lease_until = NULL WHERE lease_until IS NOT NULL AND lease_until < $1",
    )
    .bind(millis(now))
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    .map_err(db)
}

pub async fn renew_outbox(
    conn: &mut PgConnection,
    node: &str,
    ids: &[MessageId],
    held_until: Timestamp,
    until: Timestamp,
) -> Result<Vec<MessageId>> {
    sqlx::query("UPDATE dispatch_lanes SET lease_until = $1 WHERE node = $2 AND lease_until < $1")
        .bind(millis(until))
        .bind(node)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let uuids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let renewed: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE outbox SET lease_until = $1 WHERE lease_until = $2 AND message_id = ANY($3) \
         RETURNING message_id",
    )
    .bind(millis(until))
    .bind(millis(held_until))
    .bind(uuids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(renewed.into_iter().map(MessageId::from_uuid).collect())
}

/// A message the upstream took, as recorded by [`complete_dispatch`].
struct Handed {
    message_id: MessageId,
    at: Timestamp,
    pricing: Option<wagate_core::pricing::Pricing>,
    conversation: Option<wagate_core::pricing::Conversation>,
    followups: Vec<NetworkEvent>,
    upstream_id: Option<String>,
}

/// Rows per multi-row statement (PostgreSQL takes at most 65,535 parameters).
const CHUNK: usize = 1000;

pub async fn complete_dispatch(
    conn: &mut PgConnection,
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
                    "UPDATE outbox SET available_at = $1, attempts = attempts + $2, \
                     lease_until = NULL, last_error = COALESCE($3, last_error) \
                     WHERE message_id = $4",
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

/// Records hand-overs with a few statements however many there are: the outbox entries go
/// (an entry already gone was completed by someone else, and its message is skipped), the
/// messages become `sent` with Meta's id when there is one, their events are emitted, and
/// what the network will report later is stored.
async fn record_handed(conn: &mut PgConnection, handed: Vec<Handed>) -> Result<()> {
    let ids: Vec<Uuid> = handed.iter().map(|h| h.message_id.as_uuid()).collect();
    let taken: std::collections::HashSet<Uuid> =
        sqlx::query_scalar("DELETE FROM outbox WHERE message_id = ANY($1) RETURNING message_id")
            .bind(&ids)
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
    let ids: Vec<Uuid> = handed.iter().map(|h| h.message_id.as_uuid()).collect();
    let ats: Vec<i64> = handed.iter().map(|h| millis(h.at)).collect();
    let pricing = json_column(handed.iter().map(|h| h.pricing.as_ref()));
    let conversations = json_column(handed.iter().map(|h| h.conversation.as_ref()));
    let upstream: Vec<Option<String>> = handed.iter().map(|h| h.upstream_id.clone()).collect();
    let sql = format!(
        "UPDATE messages SET status = 'sent', sent_at = v.vat, pricing = v.vpricing::jsonb, \
         conversation = v.vconv::jsonb, handovers = messages.handovers + 1, \
         upstream_id = COALESCE(v.vup, messages.upstream_id) \
         FROM UNNEST($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::text[]) \
           AS v(vid, vat, vpricing, vconv, vup) \
         WHERE messages.id = v.vid AND messages.status = 'accepted' RETURNING {}",
        prefixed(message_columns!(), "messages")
    );
    let sent: Vec<Message> = sqlx::query_as::<_, MessageRecord>(sqlx::AssertSqlSafe(sql))
        .bind(&ids)
        .bind(&ats)
        .bind(&pricing)
        .bind(&conversations)
        .bind(&upstream)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Message::try_from)
        .collect::<Result<_>>()?;
    webhooks::emit_for_messages(conn, &sent).await?;
    let moved: std::collections::HashMap<MessageId, Uuid> = sent
        .iter()
        .map(|m| (m.id, m.channel_id.as_uuid()))
        .collect();
    let events: Vec<(Uuid, NetworkEvent)> = handed
        .iter_mut()
        .filter_map(|h| moved.get(&h.message_id).map(|c| (*c, h)))
        .flat_map(|(channel, h)| {
            std::mem::take(&mut h.followups)
                .into_iter()
                .map(move |e| (channel, e))
        })
        .collect();
    for chunk in events.chunks(CHUNK) {
        let mut q: QueryBuilder<Postgres> =
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

/// Removes the outbox entry; false when it was already gone (someone else completed it).
async fn take_outbox(conn: &mut PgConnection, id: MessageId) -> Result<bool> {
    sqlx::query("DELETE FROM outbox WHERE message_id = $1")
        .bind(id.as_uuid())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db)
}

/// Moves a message to `update.status` if that is progress; returns the message if it moved.
async fn set_status(conn: &mut PgConnection, update: &StatusUpdate) -> Result<Option<Message>> {
    let Some(column) = status_time_column(update.status) else {
        return Ok(None);
    };
    let sql = format!(
        "UPDATE messages SET status = $1, {column} = $2, error = COALESCE($3, error) \
         WHERE id = $4 AND direction = 'outbound' AND status IN ({}) RETURNING {}",
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
    conn: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Applied>> {
    // Held until the transaction ends: another node applying events waits, then sees what
    // is left, so events apply once each and in time order.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(EVENTS_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let rows: Vec<(i64, Json<NetworkEvent>)> = sqlx::query_as(
        "SELECT id, event FROM network_events WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2",
    )
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    // What each event did, by its place in `rows`: the answer keeps the order they happened.
    let mut applied: Vec<Option<Applied>> = vec![None; rows.len()];
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
        apply_statuses(conn, status, &group, &mut applied).await?;
    }
    sqlx::query("DELETE FROM network_events WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
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
    conn: &mut PgConnection,
    status: MessageStatus,
    updates: &[&(usize, StatusUpdate)],
    applied: &mut [Option<Applied>],
) -> Result<()> {
    let Some(column) = status_time_column(status) else {
        // No status to move to: every report is ignored, pricing included.
        settle_statuses(updates, std::collections::HashMap::new(), applied);
        return Ok(());
    };
    let ids: Vec<Uuid> = updates
        .iter()
        .map(|(_, u)| u.message_id.as_uuid())
        .collect();
    let ats: Vec<i64> = updates.iter().map(|(_, u)| millis(u.at)).collect();
    let errors = json_column(updates.iter().map(|(_, u)| u.error.as_ref()));
    let pricing = json_column(updates.iter().map(|(_, u)| u.pricing.as_ref()));
    let conversations = json_column(updates.iter().map(|(_, u)| u.conversation.as_ref()));
    let sql = format!(
        "UPDATE messages SET status = '{}', {column} = v.vat, \
         error = COALESCE(v.verr::jsonb, messages.error), \
         pricing = COALESCE(v.vpricing::jsonb, messages.pricing), \
         conversation = COALESCE(v.vconv::jsonb, messages.conversation) \
         FROM UNNEST($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::text[]) \
           AS v(vid, vat, verr, vpricing, vconv) \
         WHERE messages.id = v.vid AND messages.direction = 'outbound' \
         AND messages.status IN ({}) RETURNING {}",
        status.as_str(),
        predecessors_sql(status),
        prefixed(message_columns!(), "messages")
    );
    let moved: std::collections::HashMap<MessageId, Message> =
        sqlx::query_as::<_, MessageRecord>(sqlx::AssertSqlSafe(sql))
            .bind(&ids)
            .bind(&ats)
            .bind(&errors)
            .bind(&pricing)
            .bind(&conversations)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
            .into_iter()
            .map(|r| Message::try_from(r).map(|m| (m.id, m)))
            .collect::<Result<_>>()?;
    let priced = settle_statuses(updates, moved, applied);
    if !priced.is_empty() {
        let ids: Vec<Uuid> = priced.iter().map(|u| u.message_id.as_uuid()).collect();
        sqlx::query(
            "UPDATE messages SET pricing = COALESCE(v.vpricing::jsonb, messages.pricing), \
             conversation = COALESCE(v.vconv::jsonb, messages.conversation) \
             FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS v(vid, vpricing, vconv) \
             WHERE messages.id = v.vid AND messages.direction = 'outbound'",
        )
        .bind(&ids)
        .bind(json_column(priced.iter().map(|u| u.pricing.as_ref())))
        .bind(json_column(priced.iter().map(|u| u.conversation.as_ref())))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// One text column of `UNNEST`: each value as JSON, or NULL.
fn json_column<'a, T: serde::Serialize + 'a>(
    values: impl Iterator<Item = Option<&'a T>>,
) -> Vec<Option<String>> {
    values
        .map(|v| v.map(|v| serde_json::to_string(v).expect("values serialise")))
        .collect()
}

pub async fn next_event_due(conn: &mut PgConnection) -> Result<Option<Timestamp>> {
    let ms: Option<i64> = sqlx::query_scalar("SELECT MIN(due_at) FROM network_events")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()))
}

/// Stores an inbound message and renews its contact. `None` when the wamid is known already
/// (the network reported it twice).
pub async fn ingest_inbound(
    conn: &mut PgConnection,
    new: NewInboundMessage,
) -> Result<Option<Message>> {
    let known: Option<i64> = sqlx::query_scalar("SELECT 1::int8 FROM messages WHERE wamid = $1")
        .bind(new.wamid.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if known.is_some() {
        return Ok(None);
    }
    let at = millis(new.at);
    let preference: i64 = match new.preference {
        None => 0,
        Some(MarketingPreference::Stop) => 1,
        Some(MarketingPreference::Resume) => 2,
    };
    // GREATEST ignores NULLs, so a contact without times takes the new one (SQLite's MAX
    // needs the COALESCE to 0 for that).
    sqlx::query(
        "INSERT INTO contacts (id, account_id, channel_id, wa_id, bsuid, profile_name, \
           first_message_at, last_message_at, last_inbound_at, marketing_opt_out_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, \
                 CASE $8::int8 WHEN 1 THEN $7 ELSE NULL END, $7) \
         ON CONFLICT (channel_id, wa_id) WHERE wa_id IS NOT NULL DO UPDATE SET \
           bsuid = COALESCE(excluded.bsuid, contacts.bsuid), \
           profile_name = COALESCE(excluded.profile_name, contacts.profile_name), \
           first_message_at = COALESCE(contacts.first_message_at, excluded.first_message_at), \
           last_message_at = GREATEST(contacts.last_message_at, excluded.last_message_at), \
           last_inbound_at = GREATEST(contacts.last_inbound_at, excluded.last_inbound_at), \
           marketing_opt_out_at = CASE $8::int8 WHEN 1 THEN $7 WHEN 2 THEN NULL \
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
            "SELECT profile_name FROM contacts WHERE channel_id = $1 AND wa_id = $2",
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
    conn: &mut PgConnection,
    channel: ChannelId,
    key: &ContactKey,
) -> Result<Option<Contact>> {
    let (column, value) = match key {
        ContactKey::WaId(w) => ("wa_id", w.digits().to_owned()),
        ContactKey::Bsuid(b) => ("bsuid", b.as_str().to_owned()),
    };
    let sql = format!(
        "SELECT {} FROM contacts WHERE channel_id = $1 AND {column} = $2",
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
    conn: &mut PgConnection,
    channel: ChannelId,
    contacts: Vec<ContactId>,
    blocked_at: Option<Timestamp>,
) -> Result<()> {
    if contacts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = contacts.iter().map(ContactId::as_uuid).collect();
    sqlx::query("UPDATE contacts SET blocked_at = $1 WHERE channel_id = $2 AND id = ANY($3)")
        .bind(blocked_at.map(millis))
        .bind(channel.as_uuid())
        .bind(ids)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn list_blocked(
    conn: &mut PgConnection,
    channel: ChannelId,
    page: &Page<ContactId>,
) -> Result<Vec<Contact>> {
    sqlx::query_as::<_, ContactRecord>(concat!(
        "SELECT ",
        contact_columns!(),
        " FROM contacts WHERE channel_id = $1 AND blocked_at IS NOT NULL \
         AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"
    ))
    .bind(channel.as_uuid())
    .bind(page.after.map(|a| a.as_uuid()))
    .bind(page.sql_limit())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Contact::try_from)
    .collect()
}

pub async fn list_messages(
    conn: &mut PgConnection,
    account: AccountId,
    filter: &MessageFilter,
    page: &Page<MessageId>,
) -> Result<Vec<Message>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE account_id = "
    ));
    q.push_bind(account.as_uuid());
    if let Some(c) = filter.channel_id {
        q.push(" AND channel_id = ").push_bind(c.as_uuid());
    }
    if let Some(channels) = &filter.channels {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = channels.iter().map(ChannelId::as_uuid).collect();
        q.push(" AND channel_id = ANY(").push_bind(ids).push(")");
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
impl MessageStore for PgStore {
    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message> {
        let mut tx = self.begin().await?;
        let message = queries::insert_outbound(&mut tx, new, records::now()).await?;
        commit(tx, message).await
    }

    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message> {
        queries::get_message(&mut *self.read().await?, account, key).await
    }

    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64> {
        queries::outbox_depth(&mut *self.read().await?, channel).await
    }

    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>> {
        list_messages(&mut *self.read().await?, account, filter, page).await
    }

    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>> {
        let mut tx = self.begin().await?;
        let jobs = lease_outbox(&mut tx, &self.node, now, lease_until, limit).await?;
        commit(tx, jobs).await
    }

    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let freed = release_expired_leases(&mut tx, now).await?;
        commit(tx, freed).await
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
        let mut tx = self.begin().await?;
        let renewed = renew_outbox(&mut tx, &self.node, &ids, held_until, until).await?;
        commit(tx, renewed).await
    }

    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()> {
        let mut tx = self.begin().await?;
        complete_dispatch(&mut tx, outcomes).await?;
        commit(tx, ()).await
    }

    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>> {
        let mut tx = self.begin().await?;
        let applied = apply_due_events(&mut tx, now, limit).await?;
        commit(tx, applied).await
    }

    async fn next_event_due(&self) -> Result<Option<Timestamp>> {
        next_event_due(&mut *self.read().await?).await
    }

    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message> {
        let wamid = new.wamid.to_string();
        let exists = || {
            StoreError::conflict(
                wagate_store::Conflict::MessageId,
                format!("message {wamid} exists"),
            )
        };
        let mut tx = self.begin().await?;
        let message = match ingest_inbound(&mut tx, new).await {
            Ok(Some(message)) => message,
            Ok(None) => return Err(exists()),
            // Another node stored the same wamid between our check and our insert.
            Err(e) if is_duplicate_message(&e) => return Err(exists()),
            Err(e) => return Err(e),
        };
        webhooks::emit_for_messages(&mut tx, std::slice::from_ref(&message)).await?;
        commit(tx, message).await
    }

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>> {
        find_contact(&mut *self.read().await?, channel, key).await
    }

    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        set_blocked(&mut tx, channel, contacts, blocked_at).await?;
        commit(tx, ()).await
    }

    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>> {
        list_blocked(&mut *self.read().await?, channel, page).await
    }

    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>> {
        upstream::find_message(&mut *self.read().await?, channel, upstream_id).await
    }

    async fn upstream_id_of(
        &self,
        channel: ChannelId,
        wamid: &wagate_core::message::Wamid,
    ) -> Result<Option<String>> {
        upstream::upstream_id_of(&mut *self.read().await?, channel, wamid).await
    }

    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<wagate_core::network::NetworkEvent>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        upstream::record_network_events(&mut *tx, channel, events).await?;
        commit(tx, ()).await
    }
}
