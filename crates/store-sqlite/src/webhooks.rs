//! The SQL of webhooks on SQLite: subscriptions, events with their deliveries (written
//! inside the transaction of the change that caused them), leases and attempts.

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, DeliveryId, MessageId, SubscriptionId};
use wagate_core::message::Message;
use wagate_core::webhook::{Subscription, WebhookEvent};
use wagate_store::records::millis;
use wagate_store::webhooks::{DeliveryRecord, EventRecord, SubscriptionRecord, event_rows};
use wagate_store::{
    AttemptOutcome, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryJob, Entity, Page, Replay,
    Result, StoreError, WebhookStore, delivery_columns, subscription_columns,
};

use crate::SqliteStore;

/// Rows per multi-row statement: well under SQLite's 32,766 bound variables.
const CHUNK: usize = 500;

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn insert_subscription(
    conn: &mut SqliteConnection,
    s: Subscription,
) -> Result<Subscription> {
    let r = SubscriptionRecord::new(&s);
    sqlx::query(concat!(
        "INSERT INTO webhook_subscriptions (",
        subscription_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(s)
}

pub async fn get_subscription(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: SubscriptionId,
) -> Result<Subscription> {
    sqlx::query_as::<_, SubscriptionRecord>(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE account_id = ? AND id = ?"
    ))
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound(Entity::Subscription))?
    .try_into()
}

pub async fn list_subscriptions(
    conn: &mut SqliteConnection,
    account: AccountId,
) -> Result<Vec<Subscription>> {
    sqlx::query_as::<_, SubscriptionRecord>(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE account_id = ? ORDER BY id"
    ))
    .bind(account.as_uuid())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Subscription::try_from)
    .collect()
}

pub async fn update_subscription(
    conn: &mut SqliteConnection,
    s: Subscription,
) -> Result<Subscription> {
    let r = SubscriptionRecord::new(&s);
    let done = sqlx::query(
        "UPDATE webhook_subscriptions SET url = ?, secret = ?, verify_token = ?, fields = ?, \
         format = ?, batch_size = ?, enabled = ?, updated_at = ? WHERE account_id = ? AND id = ?",
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
    .bind(r.id)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(Entity::Subscription));
    }
    Ok(s)
}

pub async fn delete_subscription(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: SubscriptionId,
) -> Result<()> {
    let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE account_id = ? AND id = ?")
        .bind(account.as_uuid())
        .bind(id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(Entity::Subscription));
    }
    Ok(())
}

/// Records the events of these messages' latest changes (see `WebhookEvent::of_message`).
pub async fn emit_for_messages(conn: &mut SqliteConnection, messages: &[Message]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let accounts: HashSet<Uuid> = messages.iter().map(|m| m.account_id.as_uuid()).collect();
    let subscriptions = enabled_subscriptions(conn, &accounts).await?;
    if subscriptions.is_empty() {
        // The common case without webhooks: no event is even built.
        return Ok(());
    }
    let events: Vec<WebhookEvent> = messages
        .iter()
        .filter(|m| subscriptions.iter().any(|s| s.account_id == m.account_id))
        .filter_map(WebhookEvent::of_message)
        .collect();
    insert_events(conn, &events, &subscriptions).await
}

/// Stores `events` that some enabled subscription wants, with one delivery per such
/// subscription, due now.
pub async fn emit(conn: &mut SqliteConnection, events: &[WebhookEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let accounts: HashSet<Uuid> = events.iter().map(|e| e.account_id.as_uuid()).collect();
    let subscriptions = enabled_subscriptions(conn, &accounts).await?;
    insert_events(conn, events, &subscriptions).await
}

/// The enabled subscriptions of `accounts`.
async fn enabled_subscriptions(
    conn: &mut SqliteConnection,
    accounts: &HashSet<Uuid>,
) -> Result<Vec<Subscription>> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE enabled = 1 AND account_id IN ("
    ));
    let mut list = q.separated(", ");
    for a in accounts {
        list.push_bind(*a);
    }
    q.push(")");
    q.build_query_as::<SubscriptionRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Subscription::try_from)
        .collect()
}

/// Stores `events` with one delivery, due now, per subscription in `subscriptions` that
/// wants it.
async fn insert_events(
    conn: &mut SqliteConnection,
    events: &[WebhookEvent],
    subscriptions: &[Subscription],
) -> Result<()> {
    if events.is_empty() || subscriptions.is_empty() {
        return Ok(());
    }
    let now = wagate_store::records::now();
    let (event_rows, deliveries) = event_rows(events, subscriptions, now);
    for chunk in event_rows.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO webhook_events (id, account_id, channel_id, message_id, field, occurred_at, data) ",
        );
        q.push_values(chunk, |mut b, e: &EventRecord| {
            b.push_bind(e.id)
                .push_bind(e.account_id)
                .push_bind(e.channel_id)
                .push_bind(e.message_id)
                .push_bind(e.field.clone())
                .push_bind(e.occurred_at)
                .push_bind(Json(e.data.0.clone()));
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    for chunk in deliveries.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO webhook_deliveries (id, subscription_id, event_id, message_id, state, \
             created_at, next_attempt_at) ",
        );
        q.push_values(chunk, |mut b, d| {
            b.push_bind(d.id)
                .push_bind(d.subscription_id)
                .push_bind(d.event_id)
                .push_bind(d.message_id)
                .push_bind("pending")
                .push_bind(d.created_at)
                .push_bind(d.created_at);
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

pub async fn due_subscriptions(
    conn: &mut SqliteConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Subscription>> {
    sqlx::query_as::<_, SubscriptionRecord>(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions s WHERE enabled = 1 AND EXISTS (
            SELECT 1 FROM webhook_deliveries d
            WHERE d.subscription_id = s.id AND d.state = 'pending'
              AND d.next_attempt_at <= ?1 AND (d.lease_until IS NULL OR d.lease_until < ?1)
              AND (d.message_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries p
                  WHERE p.message_id = d.message_id AND p.subscription_id = d.subscription_id
                    AND p.state = 'pending' AND p.seq < d.seq)))
         ORDER BY id LIMIT ?2"
    ))
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Subscription::try_from)
    .collect()
}

/// The deliveries [`lease_deliveries`] would lease, oldest first. Run on a read connection:
/// finding them walks the subscription's whole backlog (past what is leased already and
/// what waits behind an earlier event of its message), which the writer must not pay for.
pub async fn lease_candidates(
    conn: &mut SqliteConnection,
    subscription: SubscriptionId,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT d.seq FROM webhook_deliveries d
         WHERE d.subscription_id = ?1 AND d.state = 'pending' AND d.next_attempt_at <= ?2
           AND (d.lease_until IS NULL OR d.lease_until < ?2)
           AND (d.message_id IS NULL OR NOT EXISTS (
               SELECT 1 FROM webhook_deliveries p
               WHERE p.message_id = d.message_id AND p.subscription_id = d.subscription_id
                 AND p.state = 'pending' AND p.seq < d.seq))
         ORDER BY d.seq LIMIT ?3",
    )
    .bind(subscription.as_uuid())
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)
}

/// Leases those of `candidates` that are still leasable (the same rules, checked again in
/// the write transaction); their `seq`s, oldest first.
pub async fn lease_deliveries(
    conn: &mut SqliteConnection,
    candidates: &[i64],
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<Vec<i64>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> =
        QueryBuilder::new("UPDATE webhook_deliveries SET lease_until = ");
    q.push_bind(millis(lease_until))
        .push(" WHERE state = 'pending' AND next_attempt_at <= ")
        .push_bind(millis(now))
        .push(" AND (lease_until IS NULL OR lease_until < ")
        .push_bind(millis(now))
        .push(
            ") AND (message_id IS NULL OR NOT EXISTS (
               SELECT 1 FROM webhook_deliveries p
               WHERE p.message_id = webhook_deliveries.message_id
                 AND p.subscription_id = webhook_deliveries.subscription_id
                 AND p.state = 'pending' AND p.seq < webhook_deliveries.seq))
             AND seq IN (",
        );
    let mut list = q.separated(", ");
    for seq in candidates {
        list.push_bind(*seq);
    }
    q.push(") RETURNING seq");
    let mut seqs: Vec<i64> = q
        .build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    seqs.sort_unstable();
    Ok(seqs)
}

/// The deliveries with these `seq`s and their events, in `seq` order. Read after the lease
/// committed, on a read connection, so the writer is not held for it.
pub async fn jobs(conn: &mut SqliteConnection, seqs: &[i64]) -> Result<Vec<DeliveryJob>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.seq IN ("
    ));
    let mut list = q.separated(", ");
    for s in seqs {
        list.push_bind(*s);
    }
    q.push(") ORDER BY d.seq");
    let deliveries: Vec<Delivery> = q
        .build_query_as::<DeliveryRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Delivery::try_from)
        .collect::<Result<_>>()?;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT id, account_id, channel_id, message_id, field, occurred_at, data \
         FROM webhook_events WHERE id IN (",
    );
    let mut list = q.separated(", ");
    for d in &deliveries {
        list.push_bind(d.event_id.as_uuid());
    }
    q.push(")");
    let events: std::collections::HashMap<Uuid, WebhookEvent> = q
        .build_query_as::<EventRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
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

pub async fn renew_deliveries(
    conn: &mut SqliteConnection,
    ids: &[DeliveryId],
    held_until: Timestamp,
    until: Timestamp,
) -> Result<Vec<DeliveryId>> {
    let mut q: QueryBuilder<Sqlite> =
        QueryBuilder::new("UPDATE webhook_deliveries SET lease_until = ");
    q.push_bind(millis(until))
        .push(" WHERE state = 'pending' AND lease_until = ")
        .push_bind(millis(held_until))
        .push(" AND id IN (");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id.as_uuid());
    }
    q.push(") RETURNING id");
    let renewed: Vec<Uuid> = q
        .build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    Ok(renewed.into_iter().map(DeliveryId::from_uuid).collect())
}

pub async fn expedite_deliveries(
    conn: &mut SqliteConnection,
    subscription: SubscriptionId,
    now: Timestamp,
) -> Result<u64> {
    sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = ?1 \
         WHERE subscription_id = ?2 AND state = 'pending' AND attempts > 0 \
           AND next_attempt_at > ?1 AND (lease_until IS NULL OR lease_until < ?1)",
    )
    .bind(millis(now))
    .bind(subscription.as_uuid())
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    .map_err(db)
}

pub async fn release_deliveries(conn: &mut SqliteConnection, ids: &[DeliveryId]) -> Result<()> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "UPDATE webhook_deliveries SET lease_until = NULL WHERE state = 'pending' AND id IN (",
    );
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id.as_uuid());
    }
    q.push(")");
    q.build().execute(&mut *conn).await.map_err(db)?;
    Ok(())
}

/// Attempts per statement: 9 bound values each, well under SQLite's 32766.
const ATTEMPTS_PER_STATEMENT: usize = 1000;

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

pub async fn complete_deliveries(
    conn: &mut SqliteConnection,
    attempts: Vec<DeliveryAttempt>,
) -> Result<()> {
    for chunk in statements(&attempts) {
        attempts_statement(chunk)
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// `UPDATE … FROM (VALUES …)` recording `attempts` (no delivery twice) on deliveries still
/// pending. See `dispatch::sent_statement` for the `+v.column1`.
fn attempts_statement(attempts: &[DeliveryAttempt]) -> QueryBuilder<Sqlite> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "UPDATE webhook_deliveries SET state = v.column2, next_attempt_at = v.column3, \
         delivered_at = v.column4, last_error = v.column5, attempts = attempts + 1, \
         last_attempt_at = v.column6, last_status_code = v.column7, \
         last_latency_ms = v.column8, body_excerpt = v.column9, lease_until = NULL \
         FROM (",
    );
    q.push_values(attempts, |mut row, a| {
        let (state, next, delivered, error) = match &a.outcome {
            AttemptOutcome::Delivered => ("delivered", None, Some(millis(a.at)), None),
            AttemptOutcome::Retry { error, at } => {
                ("pending", Some(millis(*at)), None, Some(error.clone()))
            }
            AttemptOutcome::Dead { error } => ("dead", None, None, Some(error.clone())),
        };
        row.push_bind(a.id.as_uuid())
            .push_bind(state)
            .push_bind(next)
            .push_bind(delivered)
            .push_bind(error)
            .push_bind(millis(a.at))
            .push_bind(a.status_code.map(i64::from))
            .push_bind(i64::from(a.latency_ms))
            .push_bind((!a.body_excerpt.is_empty()).then(|| a.body_excerpt.clone()));
    });
    q.push(
        ") AS v WHERE webhook_deliveries.id = +v.column1 AND webhook_deliveries.state = 'pending'",
    );
    q
}

pub async fn list_deliveries(
    conn: &mut SqliteConnection,
    account: AccountId,
    subscription: SubscriptionId,
    filter: &DeliveryFilter,
    page: &Page<DeliveryId>,
) -> Result<Vec<Delivery>> {
    get_subscription(conn, account, subscription).await?;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(concat!(
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
    q.build_query_as::<DeliveryRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Delivery::try_from)
        .collect()
}

pub async fn message_deliveries(
    conn: &mut SqliteConnection,
    account: AccountId,
    message: MessageId,
) -> Result<Vec<Delivery>> {
    sqlx::query_as::<_, DeliveryRecord>(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
         WHERE d.message_id = ? AND e.account_id = ? ORDER BY d.seq"
    ))
    .bind(message.as_uuid())
    .bind(account.as_uuid())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Delivery::try_from)
    .collect()
}

pub async fn replay_deliveries(
    conn: &mut SqliteConnection,
    account: AccountId,
    subscription: SubscriptionId,
    replay: Replay,
    now: Timestamp,
) -> Result<u64> {
    get_subscription(conn, account, subscription).await?;
    let mut q: QueryBuilder<Sqlite> =
        QueryBuilder::new("UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ");
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
    let n = q
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
    if one && n == 0 {
        return Err(StoreError::NotFound(Entity::Delivery));
    }
    Ok(n)
}

pub async fn delivery_backlog(conn: &mut SqliteConnection) -> Result<Vec<(SubscriptionId, u64)>> {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT s.id, COUNT(d.seq) FROM webhook_subscriptions s \
         LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id AND d.state = 'pending' \
         GROUP BY s.id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(s, n)| (SubscriptionId::from_uuid(s), u64::try_from(n).unwrap_or(0)))
        .collect())
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_subscription(&self, new: Subscription) -> Result<Subscription> {
        self.writer
            .write(move |conn| Box::pin(async move { insert_subscription(conn, new).await }))
            .await
    }

    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        get_subscription(&mut conn, account, id).await
    }

    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        list_subscriptions(&mut conn, account).await
    }

    async fn update_subscription(&self, s: Subscription) -> Result<Subscription> {
        self.writer
            .write(move |conn| Box::pin(async move { update_subscription(conn, s).await }))
            .await
    }

    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { delete_subscription(conn, account, id).await })
            })
            .await
    }

    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { emit(conn, &events).await }))
            .await
    }

    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        due_subscriptions(&mut conn, now, limit).await
    }

    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        let candidates = {
            let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
            lease_candidates(&mut conn, subscription, now, limit).await?
        };
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self
            .writer
            .write(move |conn| {
                Box::pin(async move { lease_deliveries(conn, &candidates, now, lease_until).await })
            })
            .await?;
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        jobs(&mut conn, &seqs).await
    }

    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { complete_deliveries(conn, attempts).await }))
            .await
    }

    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |conn| Box::pin(async move { release_deliveries(conn, &ids).await }))
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
        self.writer
            .write(move |conn| {
                Box::pin(async move { renew_deliveries(conn, &ids, held_until, until).await })
            })
            .await
    }

    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { expedite_deliveries(conn, subscription, now).await })
            })
            .await
    }

    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        list_deliveries(&mut conn, account, subscription, filter, page).await
    }

    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        message_deliveries(&mut conn, account, message).await
    }

    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    replay_deliveries(conn, account, subscription, replay, now).await
                })
            })
            .await
    }

    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        delivery_backlog(&mut conn).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_check::{assert_searches, plan, schema};

    #[tokio::test]
    async fn recording_attempts_finds_each_delivery_by_id() {
        let mut conn = schema().await;
        let attempts: Vec<DeliveryAttempt> = (0..300)
            .map(|_| DeliveryAttempt {
                id: DeliveryId::generate(),
                at: wagate_store::records::now(),
                status_code: Some(200),
                latency_ms: 3,
                body_excerpt: String::new(),
                outcome: AttemptOutcome::Delivered,
            })
            .collect();
        let q = attempts_statement(&attempts);
        assert_searches(&plan(&mut conn, &q).await, "webhook_deliveries");
    }
}
