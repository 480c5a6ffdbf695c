//! Webhooks: subscriptions, events with their deliveries (written inside the transaction of
//! the change that caused them), leases and attempts; their statements, and
//! [`WebhookStore`] for every [`WebhookBackend`].
//!
//! What differs between the backends beyond SQL is how deliveries are leased and how a lone
//! statement on leased deliveries is written ([`WebhookBackend`]); what differs in SQL
//! (`due_subscriptions`' plan, the lease's row locks, the planner hint of
//! [`attempts_statement`]) branches on [`Conn::dialect`] here.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, DeliveryId, MessageId, SubscriptionId};
use wagate_core::message::Message;
use wagate_core::webhook::{Subscription, WebhookEvent};

use super::{Backend, Conn, Dialect, IntoArg, Query, query};
use crate::records::millis;
use crate::webhooks::{AttemptRow, DeliveryRecord, EventRecord, SubscriptionRecord, event_rows};
use crate::{
    ATTEMPTS_SHOWN, AttemptOutcome, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryJob, Entity,
    Page, RecordedAttempt, Replay, Result, StoreError, WebhookStore, delivery_columns,
    subscription_columns,
};

/// Rows per multi-row insert: well under SQLite's 32,766 bound variables (and
/// PostgreSQL's 65,535).
const CHUNK: usize = 500;

/// Attempts per statement: 9 bound values each, well under either bound.
const ATTEMPTS_PER_STATEMENT: usize = 1000;

/// A delivery `d` that may be leased at `$1` (now): pending, due, not leased, and not
/// waiting behind an earlier pending delivery of its message to the same subscription.
macro_rules! leasable {
    () => {
        "d.state = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.lease_until IS NULL OR d.lease_until < $1) \
         AND (d.message_id IS NULL OR NOT EXISTS ( \
             SELECT 1 FROM webhook_deliveries p \
             WHERE p.message_id = d.message_id AND p.subscription_id = d.subscription_id \
               AND p.state = 'pending' AND p.seq < d.seq))"
    };
}

/// How a backend runs the webhook work whose shape differs beyond SQL.
#[async_trait]
pub trait WebhookBackend: Backend {
    /// Leases up to `limit` of `subscription`'s leasable deliveries until `lease_until`;
    /// the jobs, oldest first. By default (SQLite, whose one writer must not walk the
    /// backlog): found on a read connection ([`lease_candidates`]), re-checked and leased by
    /// a write ([`lease_listed`]), read back after the lease committed. PostgreSQL locks and
    /// leases them in one transaction ([`lease_due`]), skipping rows another node is
    /// leasing.
    async fn lease(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        let candidates = self
            .read(move |c| Box::pin(lease_candidates(c, subscription, now, limit)))
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self
            .write(move |c| {
                Box::pin(async move { lease_listed(c, &candidates, now, lease_until).await })
            })
            .await?;
        self.read(move |c| Box::pin(async move { jobs(c, &seqs).await }))
            .await
    }

    /// Runs `f`, one statement on deliveries (renew, release, expedite), as a write: by
    /// default [`Backend::write`]; PostgreSQL runs it in autocommit on a pooled connection
    /// (one statement needs no `BEGIN`/`COMMIT` round trips).
    async fn write_statement<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: super::Unit<Self::Conn, T>,
    {
        self.write(f).await
    }
}

/// Appends `(v, …)`: the items as bound parameters, comma-separated.
fn push_list<T: IntoArg>(q: &mut Query, items: impl IntoIterator<Item = T>) {
    q.push("(");
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_bind(v);
    }
    q.push(")");
}

/// One row of a `VALUES` list being bound.
struct Row<'q> {
    q: &'q mut Query,
    first: bool,
}

impl Row<'_> {
    fn bind(&mut self, v: impl IntoArg) -> &mut Self {
        if !self.first {
            self.q.push(", ");
        }
        self.first = false;
        self.q.push_bind(v);
        self
    }
}

/// Appends `VALUES (…), (…)`: one row per item, its parameters bound by `row`.
fn push_values<T>(q: &mut Query, items: &[T], mut row: impl FnMut(&mut Row<'_>, &T)) {
    q.push("VALUES ");
    for (i, item) in items.iter().enumerate() {
        q.push(if i > 0 { ", (" } else { "(" });
        row(&mut Row { q, first: true }, item);
        q.push(")");
    }
}

fn subscriptions(rows: Vec<SubscriptionRecord>) -> Result<Vec<Subscription>> {
    rows.into_iter().map(Subscription::try_from).collect()
}

fn deliveries(rows: Vec<DeliveryRecord>) -> Result<Vec<Delivery>> {
    rows.into_iter().map(Delivery::try_from).collect()
}

pub async fn insert_subscription<C: Conn>(c: &mut C, s: Subscription) -> Result<Subscription> {
    let r = SubscriptionRecord::new(&s);
    c.execute(
        query(concat!(
            "INSERT INTO webhook_subscriptions (",
            subscription_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.channel_id)
        .bind(r.url)
        .bind(r.secret)
        .bind(r.verify_token)
        .bind(r.fields)
        .bind(r.format)
        .bind(r.batch_size)
        .bind(r.enabled)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await?;
    Ok(s)
}

pub async fn get_subscription<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: SubscriptionId,
) -> Result<Subscription> {
    c.fetch_optional::<SubscriptionRecord>(
        query(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions WHERE account_id = $1 AND id = $2"
        ))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Subscription))?
    .try_into()
}

pub async fn list_subscriptions<C: Conn>(
    c: &mut C,
    account: AccountId,
) -> Result<Vec<Subscription>> {
    subscriptions(
        c.fetch_all(
            query(concat!(
                "SELECT ",
                subscription_columns!(),
                " FROM webhook_subscriptions WHERE account_id = $1 ORDER BY id"
            ))
            .bind(account.as_uuid()),
        )
        .await?,
    )
}

pub async fn update_subscription<C: Conn>(c: &mut C, s: Subscription) -> Result<Subscription> {
    let r = SubscriptionRecord::new(&s);
    let n = c
        .execute(
            query(
                "UPDATE webhook_subscriptions SET url = $1, secret = $2, verify_token = $3, \
                 fields = $4, format = $5, batch_size = $6, enabled = $7, updated_at = $8 \
                 WHERE account_id = $9 AND id = $10",
            )
            .bind(r.url)
            .bind(r.secret)
            .bind(r.verify_token)
            .bind(r.fields)
            .bind(r.format)
            .bind(r.batch_size)
            .bind(r.enabled)
            .bind(r.updated_at)
            .bind(r.account_id)
            .bind(r.id),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(Entity::Subscription));
    }
    Ok(s)
}

pub async fn delete_subscription<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: SubscriptionId,
) -> Result<()> {
    let n = c
        .execute(
            query("DELETE FROM webhook_subscriptions WHERE account_id = $1 AND id = $2")
                .bind(account.as_uuid())
                .bind(id.as_uuid()),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(Entity::Subscription));
    }
    Ok(())
}

/// Records the events of these messages' latest changes (see `WebhookEvent::of_message`).
pub async fn emit_for_messages<C: Conn>(
    c: &mut C,
    messages: &[Message],
    now: Timestamp,
) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let accounts: HashSet<Uuid> = messages.iter().map(|m| m.account_id.as_uuid()).collect();
    let subscriptions = enabled_subscriptions(c, &accounts).await?;
    if subscriptions.is_empty() {
        // The common case without webhooks: no event is even built.
        return Ok(());
    }
    let events: Vec<WebhookEvent> = messages
        .iter()
        .filter(|m| subscriptions.iter().any(|s| s.account_id == m.account_id))
        .filter_map(WebhookEvent::of_message)
        .collect();
    insert_events(c, &events, &subscriptions, now).await
}

/// Stores `events` that some enabled subscription wants, with one delivery per such
/// subscription, due now.
pub async fn emit<C: Conn>(c: &mut C, events: &[WebhookEvent], now: Timestamp) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let accounts: HashSet<Uuid> = events.iter().map(|e| e.account_id.as_uuid()).collect();
    let subscriptions = enabled_subscriptions(c, &accounts).await?;
    insert_events(c, events, &subscriptions, now).await
}

/// The enabled subscriptions of `accounts`.
async fn enabled_subscriptions<C: Conn>(
    c: &mut C,
    accounts: &HashSet<Uuid>,
) -> Result<Vec<Subscription>> {
    let mut q = query(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE enabled AND account_id IN "
    ));
    push_list(&mut q, accounts.iter().copied());
    subscriptions(c.fetch_all(q).await?)
}

/// Stores `events` with one delivery, due now, per subscription in `subscriptions` that
/// wants it.
async fn insert_events<C: Conn>(
    c: &mut C,
    events: &[WebhookEvent],
    subscriptions: &[Subscription],
    now: Timestamp,
) -> Result<()> {
    if events.is_empty() || subscriptions.is_empty() {
        return Ok(());
    }
    let (event_rows, deliveries) = event_rows(events, subscriptions, now);
    for chunk in event_rows.chunks(CHUNK) {
        let mut q = query(
            "INSERT INTO webhook_events (id, account_id, channel_id, message_id, field, \
             occurred_at, data) ",
        );
        push_values(&mut q, chunk, |row, e: &EventRecord| {
            row.bind(e.id)
                .bind(e.account_id)
                .bind(e.channel_id)
                .bind(e.message_id)
                .bind(e.field.clone())
                .bind(e.occurred_at)
                .bind(Json(e.data.0.clone()));
        });
        c.execute(q).await?;
    }
    for chunk in deliveries.chunks(CHUNK) {
        let mut q = query(
            "INSERT INTO webhook_deliveries (id, subscription_id, event_id, message_id, state, \
             created_at, next_attempt_at) ",
        );
        push_values(&mut q, chunk, |row, d| {
            row.bind(d.id)
                .bind(d.subscription_id)
                .bind(d.event_id)
                .bind(d.message_id)
                .bind("pending")
                .bind(d.created_at)
                .bind(d.created_at);
        });
        c.execute(q).await?;
    }
    Ok(())
}

/// Enabled subscriptions with a leasable delivery, by id. PostgreSQL stops at each
/// subscription's first one (`LATERAL … LIMIT 1`); SQLite has no `LATERAL`, and its
/// `EXISTS` stops there as well.
pub async fn due_subscriptions<C: Conn>(
    c: &mut C,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Subscription>> {
    let sql = match c.dialect() {
        Dialect::Sqlite => concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions s WHERE enabled AND EXISTS (
                SELECT 1 FROM webhook_deliveries d
                WHERE d.subscription_id = s.id AND ",
            leasable!(),
            ") ORDER BY id LIMIT $2"
        ),
        Dialect::Postgres => concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions s
             CROSS JOIN LATERAL (
                SELECT 1 FROM webhook_deliveries d
                WHERE d.subscription_id = s.id AND ",
            leasable!(),
            " ORDER BY d.seq LIMIT 1) due
             WHERE s.enabled
             ORDER BY s.id LIMIT $2"
        ),
    };
    subscriptions(
        c.fetch_all(query(sql).bind(millis(now)).bind(i64::from(limit)))
            .await?,
    )
}

/// The `seq`s of the deliveries [`lease_listed`] would lease, oldest first. SQLite runs it
/// on a read connection: finding them walks the subscription's whole backlog (past what is
/// leased already and what waits behind an earlier event of its message), which the writer
/// must not pay for.
pub async fn lease_candidates<C: Conn>(
    c: &mut C,
    subscription: SubscriptionId,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = c
        .fetch_all(
            query(concat!(
                "SELECT d.seq FROM webhook_deliveries d WHERE d.subscription_id = $2 AND ",
                leasable!(),
                " ORDER BY d.seq LIMIT $3"
            ))
            .bind(millis(now))
            .bind(subscription.as_uuid())
            .bind(i64::from(limit)),
        )
        .await?;
    Ok(rows.into_iter().map(|(seq,)| seq).collect())
}

/// Leases those of `candidates` that are still leasable (the same rules, checked again in
/// the write transaction); their `seq`s, oldest first.
pub async fn lease_listed<C: Conn>(
    c: &mut C,
    candidates: &[i64],
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<Vec<i64>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = query(concat!(
        "UPDATE webhook_deliveries AS d SET lease_until = $2 WHERE ",
        leasable!(),
        " AND d.seq IN "
    ))
    .bind(millis(now))
    .bind(millis(lease_until));
    push_list(&mut q, candidates.iter().copied());
    q.push(" RETURNING seq");
    let mut seqs: Vec<i64> = c
        .fetch_all::<(i64,)>(q)
        .await?
        .into_iter()
        .map(|(seq,)| seq)
        .collect();
    seqs.sort_unstable();
    Ok(seqs)
}

/// Leases up to `limit` of `subscription`'s leasable deliveries in one statement, locking
/// them and skipping those another transaction holds (PostgreSQL: nodes lease
/// concurrently); their `seq`s.
pub async fn lease_due<C: Conn>(
    c: &mut C,
    subscription: SubscriptionId,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<i64>> {
    let lock = match c.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        // One writer: nothing else leases meanwhile.
        Dialect::Sqlite => "",
    };
    let mut q = query(concat!(
        "UPDATE webhook_deliveries SET lease_until = $4 WHERE seq IN (
            SELECT d.seq FROM webhook_deliveries d WHERE d.subscription_id = $2 AND ",
        leasable!(),
        " ORDER BY d.seq LIMIT $3"
    ))
    .bind(millis(now))
    .bind(subscription.as_uuid())
    .bind(i64::from(limit))
    .bind(millis(lease_until));
    q.push(lock).push(") RETURNING seq");
    Ok(c.fetch_all::<(i64,)>(q)
        .await?
        .into_iter()
        .map(|(seq,)| seq)
        .collect())
}

/// The deliveries with these `seq`s and their events, in `seq` order.
pub async fn jobs<C: Conn>(c: &mut C, seqs: &[i64]) -> Result<Vec<DeliveryJob>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = query(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.seq IN "
    ));
    push_list(&mut q, seqs.iter().copied());
    q.push(" ORDER BY d.seq");
    let deliveries = deliveries(c.fetch_all(q).await?)?;
    let mut q = query(
        "SELECT id, account_id, channel_id, message_id, field, occurred_at, data \
         FROM webhook_events WHERE id IN ",
    );
    push_list(&mut q, deliveries.iter().map(|d| d.event_id.as_uuid()));
    let events: HashMap<Uuid, WebhookEvent> = c
        .fetch_all::<EventRecord>(q)
        .await?
        .into_iter()
        .map(|r| WebhookEvent::try_from(r).map(|e| (e.id.as_uuid(), e)))
        .collect::<Result<_>>()?;
    deliveries
        .into_iter()
        .map(|delivery| {
            let event = events
                .get(&delivery.event_id.as_uuid())
                .cloned()
                .ok_or_else(|| StoreError::Corrupt {
                    what: "webhook delivery",
                    detail: format!("event {} is missing", delivery.event_id),
                })?;
            Ok(DeliveryJob { delivery, event })
        })
        .collect()
}

pub async fn renew_deliveries<C: Conn>(
    c: &mut C,
    ids: &[DeliveryId],
    held_until: Timestamp,
    until: Timestamp,
) -> Result<Vec<DeliveryId>> {
    let mut q = query(
        "UPDATE webhook_deliveries SET lease_until = $1 \
         WHERE state = 'pending' AND lease_until = $2 AND id IN ",
    )
    .bind(millis(until))
    .bind(millis(held_until));
    push_list(&mut q, ids.iter().map(|id| id.as_uuid()));
    q.push(" RETURNING id");
    Ok(c.fetch_all::<(Uuid,)>(q)
        .await?
        .into_iter()
        .map(|(id,)| DeliveryId::from_uuid(id))
        .collect())
}

pub async fn expedite_deliveries<C: Conn>(
    c: &mut C,
    subscription: SubscriptionId,
    now: Timestamp,
) -> Result<u64> {
    c.execute(
        query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 \
             WHERE subscription_id = $2 AND state = 'pending' AND attempts > 0 \
               AND next_attempt_at > $1 AND (lease_until IS NULL OR lease_until < $1)",
        )
        .bind(millis(now))
        .bind(subscription.as_uuid()),
    )
    .await
}

pub async fn release_deliveries<C: Conn>(c: &mut C, ids: &[DeliveryId]) -> Result<()> {
    let mut q = query(
        "UPDATE webhook_deliveries SET lease_until = NULL WHERE state = 'pending' AND id IN ",
    );
    push_list(&mut q, ids.iter().map(|id| id.as_uuid()));
    c.execute(q).await?;
    Ok(())
}

/// Splits attempts into statements in order, none naming a delivery twice (an `UPDATE …
/// FROM` applies only one row per target), so two attempts on one delivery both count.
fn statements(attempts: &[DeliveryAttempt]) -> Vec<&[DeliveryAttempt]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut seen = HashSet::new();
    for (i, a) in attempts.iter().enumerate() {
        if i - start == ATTEMPTS_PER_STATEMENT || !seen.insert(a.id) {
            out.push(&attempts[start..i]);
            start = i;
            seen.clear();
            seen.insert(a.id);
        }
    }
    if start < attempts.len() {
        out.push(&attempts[start..]);
    }
    out
}

pub async fn complete_deliveries<C: Conn>(c: &mut C, attempts: &[DeliveryAttempt]) -> Result<()> {
    let dialect = c.dialect();
    for chunk in statements(attempts) {
        // The history first: the update below ends the deliveries it settles.
        c.execute(attempt_history_statement(chunk)).await?;
        c.execute(attempts_statement(dialect, chunk)).await?;
    }
    Ok(())
}

/// `INSERT … SELECT … FROM (VALUES …)` keeping `attempts` in the history, for deliveries
/// still pending (the others' attempts change nothing, as in [`attempts_statement`]).
pub fn attempt_history_statement(attempts: &[DeliveryAttempt]) -> Query {
    let mut q = query(
        "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, latency_ms, \
         outcome, error, body_excerpt) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, \
         v.column8 FROM (",
    );
    push_values(&mut q, attempts, |row, a| {
        let (outcome, error) = match &a.outcome {
            AttemptOutcome::Delivered => ("delivered", None),
            AttemptOutcome::Retry { error, .. } => ("retry", Some(error.clone())),
            AttemptOutcome::Dead { error } => ("dead", Some(error.clone())),
        };
        row.bind(Uuid::now_v7())
            .bind(a.id.as_uuid())
            .bind(millis(a.at))
            .bind(a.status_code.map(i64::from))
            .bind(i64::from(a.latency_ms))
            .bind(outcome)
            .bind(error)
            .bind((!a.body_excerpt.is_empty()).then(|| a.body_excerpt.clone()));
    });
    q.push(
        ") AS v WHERE EXISTS (SELECT 1 FROM webhook_deliveries d \
         WHERE d.id = v.column2 AND d.state = 'pending')",
    );
    q
}

pub async fn delivery_attempts<C: Conn>(
    c: &mut C,
    account: AccountId,
    subscription: SubscriptionId,
    delivery: DeliveryId,
) -> Result<(Delivery, Vec<RecordedAttempt>)> {
    get_subscription(c, account, subscription).await?;
    let found: Vec<DeliveryRecord> = c
        .fetch_all(
            query(concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
                 WHERE d.id = $1 AND d.subscription_id = $2"
            ))
            .bind(delivery.as_uuid())
            .bind(subscription.as_uuid()),
        )
        .await?;
    let Some(found) = deliveries(found)?.pop() else {
        return Err(StoreError::NotFound(Entity::Delivery));
    };
    let mut rows: Vec<AttemptRow> = c
        .fetch_all(
            query(
                "SELECT attempted_at, status_code, latency_ms, outcome, error, body_excerpt \
                 FROM webhook_attempts WHERE delivery_id = $1 \
                 ORDER BY attempted_at DESC, id DESC LIMIT $2",
            )
            .bind(delivery.as_uuid())
            .bind(i64::from(ATTEMPTS_SHOWN)),
        )
        .await?;
    rows.reverse();
    let attempts = rows
        .into_iter()
        .map(RecordedAttempt::try_from)
        .collect::<Result<_>>()?;
    Ok((found, attempts))
}

/// `UPDATE … FROM (VALUES …)` recording `attempts` (no delivery twice) on deliveries still
/// pending. On SQLite, `+v.column1` keeps the planner from driving the join from the
/// deliveries' id index into the list, which it could only scan (see `store-sqlite`'s
/// `dispatch::sent_statement`); PostgreSQL has no unary `+` on `uuid`, nor that plan.
pub fn attempts_statement(dialect: Dialect, attempts: &[DeliveryAttempt]) -> Query {
    let mut q = query(
        "UPDATE webhook_deliveries SET state = v.column2, next_attempt_at = v.column3, \
         delivered_at = v.column4, last_error = v.column5, attempts = attempts + 1, \
         last_attempt_at = v.column6, last_status_code = v.column7, \
         last_latency_ms = v.column8, body_excerpt = v.column9, lease_until = NULL \
         FROM (",
    );
    push_values(&mut q, attempts, |row, a| {
        let (state, next, delivered, error) = match &a.outcome {
            AttemptOutcome::Delivered => ("delivered", None, Some(millis(a.at)), None),
            AttemptOutcome::Retry { error, at } => {
                ("pending", Some(millis(*at)), None, Some(error.clone()))
            }
            AttemptOutcome::Dead { error } => ("dead", None, None, Some(error.clone())),
        };
        row.bind(a.id.as_uuid())
            .bind(state)
            .bind(next)
            .bind(delivered)
            .bind(error)
            .bind(millis(a.at))
            .bind(a.status_code.map(i64::from))
            .bind(i64::from(a.latency_ms))
            .bind((!a.body_excerpt.is_empty()).then(|| a.body_excerpt.clone()));
    });
    q.push(match dialect {
        Dialect::Sqlite => ") AS v WHERE webhook_deliveries.id = +v.column1",
        Dialect::Postgres => ") AS v WHERE webhook_deliveries.id = v.column1",
    })
    .push(" AND webhook_deliveries.state = 'pending'");
    q
}

pub async fn list_deliveries<C: Conn>(
    c: &mut C,
    account: AccountId,
    subscription: SubscriptionId,
    filter: &DeliveryFilter,
    page: &Page<DeliveryId>,
) -> Result<Vec<Delivery>> {
    get_subscription(c, account, subscription).await?;
    let mut q = query(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
         WHERE d.subscription_id = "
    ));
    q.push_bind(subscription.as_uuid());
    if let Some(s) = filter.state {
        q.push(" AND d.state = ").push_bind(s.as_str());
    }
    if let Some(t) = filter.since {
        q.push(" AND d.created_at >= ").push_bind(millis(t));
    }
    if let Some(t) = filter.until {
        q.push(" AND d.created_at < ").push_bind(millis(t));
    }
    if let Some(after) = page.after {
        q.push(" AND d.seq < (SELECT seq FROM webhook_deliveries WHERE id = ")
            .push_bind(after.as_uuid())
            .push(")");
    }
    q.push(" ORDER BY d.seq DESC LIMIT ")
        .push_bind(page.sql_limit());
    deliveries(c.fetch_all(q).await?)
}

pub async fn message_deliveries<C: Conn>(
    c: &mut C,
    account: AccountId,
    message: MessageId,
) -> Result<Vec<Delivery>> {
    deliveries(
        c.fetch_all(
            query(concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
                 WHERE d.message_id = $1 AND e.account_id = $2 ORDER BY d.seq"
            ))
            .bind(message.as_uuid())
            .bind(account.as_uuid()),
        )
        .await?,
    )
}

pub async fn replay_deliveries<C: Conn>(
    c: &mut C,
    account: AccountId,
    subscription: SubscriptionId,
    replay: Replay,
    now: Timestamp,
) -> Result<u64> {
    get_subscription(c, account, subscription).await?;
    let mut q = query("UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ");
    q.push_bind(millis(now))
        // A delivery whose POST is out keeps its lease: that POST is the replay.
        .push(", delivered_at = NULL, lease_until = CASE WHEN lease_until > ")
        .push_bind(millis(now))
        .push(" THEN lease_until ELSE NULL END WHERE subscription_id = ")
        .push_bind(subscription.as_uuid());
    let one = matches!(replay, Replay::One(_));
    match replay {
        Replay::One(id) => {
            q.push(" AND id = ").push_bind(id.as_uuid());
        }
        Replay::Dead { since, until } => {
            q.push(" AND state = 'dead'");
            if let Some(t) = since {
                q.push(" AND created_at >= ").push_bind(millis(t));
            }
            if let Some(t) = until {
                q.push(" AND created_at < ").push_bind(millis(t));
            }
        }
        Replay::Range { since, until } => {
            q.push(" AND created_at >= ")
                .push_bind(millis(since))
                .push(" AND created_at < ")
                .push_bind(millis(until));
        }
    }
    let n = c.execute(q).await?;
    if one && n == 0 {
        return Err(StoreError::NotFound(Entity::Delivery));
    }
    Ok(n)
}

pub async fn delivery_backlog<C: Conn>(c: &mut C) -> Result<Vec<(SubscriptionId, u64)>> {
    let rows: Vec<(Uuid, i64)> = c
        .fetch_all(query(
            "SELECT s.id, COUNT(d.seq) FROM webhook_subscriptions s \
             LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id AND d.state = 'pending' \
             GROUP BY s.id",
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, n)| (SubscriptionId::from_uuid(s), u64::try_from(n).unwrap_or(0)))
        .collect())
}

#[async_trait]
impl<B: WebhookBackend> WebhookStore for B {
    async fn create_subscription(&self, new: Subscription) -> Result<Subscription> {
        self.write(move |c| Box::pin(insert_subscription(c, new)))
            .await
    }

    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription> {
        self.read(move |c| Box::pin(get_subscription(c, account, id)))
            .await
    }

    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>> {
        self.read(move |c| Box::pin(list_subscriptions(c, account)))
            .await
    }

    async fn update_subscription(&self, s: Subscription) -> Result<Subscription> {
        self.write(move |c| Box::pin(update_subscription(c, s)))
            .await
    }

    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()> {
        self.write(move |c| Box::pin(delete_subscription(c, account, id)))
            .await
    }

    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()> {
        let stamp = self.now();
        self.write(move |c| Box::pin(async move { emit(c, &events, stamp).await }))
            .await
    }

    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>> {
        self.read(move |c| Box::pin(due_subscriptions(c, now, limit)))
            .await
    }

    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        self.lease(subscription, now, lease_until, limit).await
    }

    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()> {
        self.write(move |c| Box::pin(async move { complete_deliveries(c, &attempts).await }))
            .await
    }

    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write_statement(move |c| Box::pin(async move { release_deliveries(c, &ids).await }))
            .await
    }

    async fn renew_deliveries(
        &self,
        ids: Vec<DeliveryId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<DeliveryId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.write_statement(move |c| {
            Box::pin(async move { renew_deliveries(c, &ids, held_until, until).await })
        })
        .await
    }

    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64> {
        self.write_statement(move |c| Box::pin(expedite_deliveries(c, subscription, now)))
            .await
    }

    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move { list_deliveries(c, account, subscription, &filter, &page).await })
        })
        .await
    }

    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>> {
        self.read(move |c| Box::pin(message_deliveries(c, account, message)))
            .await
    }

    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64> {
        self.write(move |c| Box::pin(replay_deliveries(c, account, subscription, replay, now)))
            .await
    }

    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>> {
        self.read(move |c| Box::pin(delivery_backlog(c))).await
    }

    async fn delivery_attempts(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        delivery: DeliveryId,
    ) -> Result<(Delivery, Vec<RecordedAttempt>)> {
        self.read(move |c| Box::pin(delivery_attempts(c, account, subscription, delivery)))
            .await
    }
}
