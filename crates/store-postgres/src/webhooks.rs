//! The SQL of webhooks on PostgreSQL: subscriptions, events with their deliveries (written
//! inside the transaction of the change that caused them), leases and attempts.

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
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

use crate::{PgStore, commit};

/// Rows per multi-row statement: well under PostgreSQL's 65,535 bound parameters.
const CHUNK: usize = 500;

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn insert_subscription(conn: &mut PgConnection, s: Subscription) -> Result<Subscription> {
    let r = SubscriptionRecord::new(&s);
    sqlx::query(concat!(
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
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(s)
}

pub async fn get_subscription(
    conn: &mut PgConnection,
    account: AccountId,
    id: SubscriptionId,
) -> Result<Subscription> {
    sqlx::query_as::<_, SubscriptionRecord>(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE account_id = $1 AND id = $2"
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
    conn: &mut PgConnection,
    account: AccountId,
) -> Result<Vec<Subscription>> {
    sqlx::query_as::<_, SubscriptionRecord>(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE account_id = $1 ORDER BY id"
    ))
    .bind(account.as_uuid())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Subscription::try_from)
    .collect()
}

pub async fn update_subscription(conn: &mut PgConnection, s: Subscription) -> Result<Subscription> {
    let r = SubscriptionRecord::new(&s);
    let done = sqlx::query(
        "UPDATE webhook_subscriptions SET url = $1, secret = $2, verify_token = $3, fields = $4, \
         format = $5, batch_size = $6, enabled = $7, updated_at = $8 WHERE account_id = $9 AND id = $10",
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
    conn: &mut PgConnection,
    account: AccountId,
    id: SubscriptionId,
) -> Result<()> {
    let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE account_id = $1 AND id = $2")
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
pub async fn emit_for_messages(conn: &mut PgConnection, messages: &[Message]) -> Result<()> {
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
pub async fn emit(conn: &mut PgConnection, events: &[WebhookEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let accounts: HashSet<Uuid> = events.iter().map(|e| e.account_id.as_uuid()).collect();
    let subscriptions = enabled_subscriptions(conn, &accounts).await?;
    insert_events(conn, events, &subscriptions).await
}

/// The enabled subscriptions of `accounts`.
async fn enabled_subscriptions(
    conn: &mut PgConnection,
    accounts: &HashSet<Uuid>,
) -> Result<Vec<Subscription>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions WHERE enabled AND account_id IN ("
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
    conn: &mut PgConnection,
    events: &[WebhookEvent],
    subscriptions: &[Subscription],
) -> Result<()> {
    if events.is_empty() || subscriptions.is_empty() {
        return Ok(());
    }
    let now = wagate_store::records::now();
    let (event_rows, deliveries) = event_rows(events, subscriptions, now);
    for chunk in event_rows.chunks(CHUNK) {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
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
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
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
    conn: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Subscription>> {
    sqlx::query_as::<_, SubscriptionRecord>(concat!(
        "SELECT ",
        subscription_columns!(),
        " FROM webhook_subscriptions s
         CROSS JOIN LATERAL (
            SELECT 1 FROM webhook_deliveries d
            WHERE d.subscription_id = s.id AND d.state = 'pending'
              AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
              AND (d.message_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries p
                  WHERE p.message_id = d.message_id AND p.subscription_id = d.subscription_id
                    AND p.state = 'pending' AND p.seq < d.seq))
            ORDER BY d.seq LIMIT 1) due
         WHERE s.enabled
         ORDER BY s.id LIMIT $2"
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

pub async fn lease_deliveries(
    conn: &mut PgConnection,
    subscription: SubscriptionId,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<DeliveryJob>> {
    let seqs: Vec<i64> = sqlx::query_scalar(
        "UPDATE webhook_deliveries SET lease_until = $1 WHERE seq IN (
            SELECT d.seq FROM webhook_deliveries d
            WHERE d.subscription_id = $2 AND d.state = 'pending' AND d.next_attempt_at <= $3
              AND (d.lease_until IS NULL OR d.lease_until < $3)
              AND (d.message_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries p
                  WHERE p.message_id = d.message_id AND p.subscription_id = d.subscription_id
                    AND p.state = 'pending' AND p.seq < d.seq))
            ORDER BY d.seq LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING seq",
    )
    .bind(millis(lease_until))
    .bind(subscription.as_uuid())
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    jobs(conn, &seqs).await
}

/// The deliveries with these `seq`s and their events, in `seq` order.
async fn jobs(conn: &mut PgConnection, seqs: &[i64]) -> Result<Vec<DeliveryJob>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
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
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
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
    conn: &mut PgConnection,
    ids: &[DeliveryId],
    held_until: Timestamp,
    until: Timestamp,
) -> Result<Vec<DeliveryId>> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let renewed: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE webhook_deliveries SET lease_until = $1 \
         WHERE state = 'pending' AND lease_until = $2 AND id = ANY($3) RETURNING id",
    )
    .bind(millis(until))
    .bind(millis(held_until))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(renewed.into_iter().map(DeliveryId::from_uuid).collect())
}

pub async fn expedite_deliveries(
    conn: &mut PgConnection,
    subscription: SubscriptionId,
    now: Timestamp,
) -> Result<u64> {
    sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 \
         WHERE subscription_id = $2 AND state = 'pending' AND attempts > 0 \
           AND next_attempt_at > $1 AND (lease_until IS NULL OR lease_until < $1)",
    )
    .bind(millis(now))
    .bind(subscription.as_uuid())
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    .map_err(db)
}

pub async fn release_deliveries(conn: &mut PgConnection, ids: &[DeliveryId]) -> Result<()> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = NULL WHERE state = 'pending' AND id = ANY($1)",
    )
    .bind(ids)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn complete_deliveries(
    conn: &mut PgConnection,
    attempts: Vec<DeliveryAttempt>,
) -> Result<()> {
    for chunk in distinct_runs(&attempts) {
        let mut ids = Vec::with_capacity(chunk.len());
        let mut states = Vec::with_capacity(chunk.len());
        let mut nexts: Vec<Option<i64>> = Vec::with_capacity(chunk.len());
        let mut delivered: Vec<Option<i64>> = Vec::with_capacity(chunk.len());
        let mut errors: Vec<Option<String>> = Vec::with_capacity(chunk.len());
        let mut ats = Vec::with_capacity(chunk.len());
        let mut codes: Vec<Option<i64>> = Vec::with_capacity(chunk.len());
        let mut latencies = Vec::with_capacity(chunk.len());
        let mut excerpts: Vec<Option<String>> = Vec::with_capacity(chunk.len());
        for a in chunk {
            let (state, next, done, error) = match &a.outcome {
                AttemptOutcome::Delivered => ("delivered", None, Some(millis(a.at)), None),
                AttemptOutcome::Retry { error, at } => {
                    ("pending", Some(millis(*at)), None, Some(error.clone()))
                }
                AttemptOutcome::Dead { error } => ("dead", None, None, Some(error.clone())),
            };
            ids.push(a.id.as_uuid());
            states.push(state);
            nexts.push(next);
            delivered.push(done);
            errors.push(error);
            ats.push(millis(a.at));
            codes.push(a.status_code.map(i64::from));
            latencies.push(i64::from(a.latency_ms));
            excerpts.push((!a.body_excerpt.is_empty()).then(|| a.body_excerpt.clone()));
        }
        sqlx::query(
            "UPDATE webhook_deliveries d SET state = v.state, next_attempt_at = v.next, \
             delivered_at = v.delivered, last_error = v.error, attempts = d.attempts + 1, \
             last_attempt_at = v.at, last_status_code = v.code, last_latency_ms = v.latency, \
             body_excerpt = v.excerpt, lease_until = NULL \
             FROM UNNEST($1::uuid[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::int8[], \
                         $7::int8[], $8::int8[], $9::text[]) \
               AS v(id, state, next, delivered, error, at, code, latency, excerpt) \
             WHERE d.id = v.id AND d.state = 'pending'",
        )
        .bind(ids)
        .bind(states)
        .bind(nexts)
        .bind(delivered)
        .bind(errors)
        .bind(ats)
        .bind(codes)
        .bind(latencies)
        .bind(excerpts)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Splits attempts into runs, in order, none naming a delivery twice (an `UPDATE … FROM`
/// applies one row per target), so two attempts on one delivery both count.
fn distinct_runs(attempts: &[DeliveryAttempt]) -> Vec<&[DeliveryAttempt]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut seen = HashSet::new();
    for (i, a) in attempts.iter().enumerate() {
        if !seen.insert(a.id) {
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

pub async fn list_deliveries(
    conn: &mut PgConnection,
    account: AccountId,
    subscription: SubscriptionId,
    filter: &DeliveryFilter,
    page: &Page<DeliveryId>,
) -> Result<Vec<Delivery>> {
    get_subscription(conn, account, subscription).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
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
    conn: &mut PgConnection,
    account: AccountId,
    message: MessageId,
) -> Result<Vec<Delivery>> {
    sqlx::query_as::<_, DeliveryRecord>(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
         WHERE d.message_id = $1 AND e.account_id = $2 ORDER BY d.seq"
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
    conn: &mut PgConnection,
    account: AccountId,
    subscription: SubscriptionId,
    replay: Replay,
    now: Timestamp,
) -> Result<u64> {
    get_subscription(conn, account, subscription).await?;
    let mut q: QueryBuilder<Postgres> =
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

pub async fn delivery_backlog(conn: &mut PgConnection) -> Result<Vec<(SubscriptionId, u64)>> {
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
impl WebhookStore for PgStore {
    async fn create_subscription(&self, new: Subscription) -> Result<Subscription> {
        let mut tx = self.begin().await?;
        let s = insert_subscription(&mut tx, new).await?;
        commit(tx, s).await
    }

    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription> {
        get_subscription(&mut *self.read().await?, account, id).await
    }

    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>> {
        list_subscriptions(&mut *self.read().await?, account).await
    }

    async fn update_subscription(&self, s: Subscription) -> Result<Subscription> {
        let mut tx = self.begin().await?;
        let s = update_subscription(&mut tx, s).await?;
        commit(tx, s).await
    }

    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()> {
        let mut tx = self.begin().await?;
        delete_subscription(&mut tx, account, id).await?;
        commit(tx, ()).await
    }

    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()> {
        let mut tx = self.begin().await?;
        emit(&mut tx, &events).await?;
        commit(tx, ()).await
    }

    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>> {
        due_subscriptions(&mut *self.read().await?, now, limit).await
    }

    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        let mut tx = self.begin().await?;
        let jobs = lease_deliveries(&mut tx, subscription, now, lease_until, limit).await?;
        commit(tx, jobs).await
    }

    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()> {
        let mut tx = self.begin().await?;
        complete_deliveries(&mut tx, attempts).await?;
        commit(tx, ()).await
    }

    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        release_deliveries(&mut *self.read().await?, &ids).await
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
        renew_deliveries(&mut *self.read().await?, &ids, held_until, until).await
    }

    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64> {
        expedite_deliveries(&mut *self.read().await?, subscription, now).await
    }

    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>> {
        list_deliveries(
            &mut *self.read().await?,
            account,
            subscription,
            filter,
            page,
        )
        .await
    }

    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>> {
        message_deliveries(&mut *self.read().await?, account, message).await
    }

    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = replay_deliveries(&mut tx, account, subscription, replay, now).await?;
        commit(tx, n).await
    }

    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>> {
        delivery_backlog(&mut *self.read().await?).await
    }
}
