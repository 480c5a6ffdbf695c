//! Webhook storage: subscriptions, events and deliveries, as the trait speaks them and as
//! rows. Events are written by the backends in the transaction of the change that caused
//! them ([`fan_out`] decides which subscriptions get a delivery); the deliverer leases
//! deliveries, one message's in order, and records each attempt.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId, DeliveryId, EventId, MessageId, SubscriptionId};
use wagate_core::webhook::{
    BatchSize, DeliveryState, EventData, EventField, PayloadFormat, Subscription, VerifyToken,
    WebhookEvent, WebhookSecret, WebhookUrl,
};

use crate::records::{corrupt, millis, timestamp};
use crate::{Page, Result, StoreError};

/// Webhook subscriptions and the deliveries of their events: leasing, attempts, retries and
/// replays (see [`webhooks`](self)). Events caused by changes the store makes itself are
/// recorded by those changes, in their transaction; [`WebhookStore::record_events`] takes the
/// others. Part of [`Store`](crate::Store).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_subscription(&self, new: Subscription) -> Result<Subscription>;
    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription>;
    /// The account's subscriptions, oldest first.
    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>>;
    /// Writes every field of `s` (the caller applied its patch to the stored one).
    async fn update_subscription(&self, s: Subscription) -> Result<Subscription>;
    /// Removes the subscription and its deliveries.
    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()>;
    /// Stores events not caused by a change the store makes itself (template reviews…),
    /// with their deliveries, in one transaction.
    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()>;
    /// Subscriptions with a delivery that can be attempted at `now` (pending, due, not
    /// leased, and the oldest pending one of its message), up to `limit`, by id.
    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>>;
    /// Leases up to `limit` of the subscription's deliveries due at `now` until
    /// `lease_until`, oldest first: for each message only its oldest pending delivery (so a
    /// subscriber gets one message's events in order, even across retries), and none whose
    /// lease is still running.
    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>>;
    /// Records attempts and ends their leases, in one transaction, in order (two attempts
    /// on one delivery both count). An attempt on a delivery that is no longer pending
    /// (delivered, dead or deleted meanwhile) changes nothing; one on a delivery replayed
    /// while its POST was out is recorded (delivery is at least once).
    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()>;
    /// Ends the leases of deliveries that were not attempted (a deliverer that leased ahead
    /// gives them back), so they can be leased again at once; no attempt is counted.
    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()>;
    /// Extends to `until` the leases of those deliveries still pending and still held under
    /// `held_until` (the lease the caller took); returns the ones extended. A lease that ran
    /// out and was taken again, or ended by an attempt, is left alone.
    async fn renew_deliveries(
        &self,
        ids: Vec<DeliveryId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<DeliveryId>>;
    /// Makes the subscription's pending deliveries that wait on a retry (attempted before,
    /// due later, not leased) due at `now`; returns how many. For a receiver that is back
    /// after an outage.
    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64>;
    /// A subscription's deliveries, newest first; `page.after` continues with older ones.
    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>>;
    /// Every delivery of every event about one of the account's messages, oldest first.
    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>>;
    /// Makes the selected deliveries pending and due at `now` (their attempt history is
    /// kept); returns how many.
    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64>;
    /// Pending deliveries of every subscription, none counted as 0 (for metrics).
    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>>;
    /// One of the subscription's deliveries and its attempts, oldest first: the latest
    /// [`ATTEMPTS_SHOWN`] of them. `NotFound(Delivery)` unless the delivery is the
    /// subscription's (and the subscription the account's: else `NotFound(Subscription)`).
    async fn delivery_attempts(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        delivery: DeliveryId,
    ) -> Result<(Delivery, Vec<RecordedAttempt>)>;
}

/// Most attempts [`WebhookStore::delivery_attempts`] answers (the latest ones).
pub const ATTEMPTS_SHOWN: u32 = 100;

/// One attempt of a delivery, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAttempt {
    pub at: Timestamp,
    /// The receiver's HTTP status (`None`: no answer).
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// `delivered`, `retry` or `dead`.
    pub outcome: String,
    pub error: Option<String>,
    /// The first bytes of the answer (`None`: none, or empty).
    pub body_excerpt: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub outcome: String,
    pub error: Option<String>,
    pub body_excerpt: Option<String>,
}

impl TryFrom<AttemptRow> for RecordedAttempt {
    type Error = StoreError;
    fn try_from(r: AttemptRow) -> Result<Self, StoreError> {
        let what = "webhook attempt";
        Ok(RecordedAttempt {
            at: timestamp(what, r.attempted_at)?,
            status_code: r
                .status_code
                .map(u16::try_from)
                .transpose()
                .map_err(|e| corrupt(what, e))?,
            latency_ms: u32::try_from(r.latency_ms).map_err(|e| corrupt(what, e))?,
            outcome: r.outcome,
            error: r.error,
            body_excerpt: r.body_excerpt,
        })
    }
}

pub use wagate_core::webhook::Delivery;

/// A leased delivery and the event it carries.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub delivery: Delivery,
    pub event: WebhookEvent,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    pub id: DeliveryId,
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// The first bytes of the receiver's answer; empty when there was none.
    pub body_excerpt: String,
    pub outcome: AttemptOutcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    /// 2xx: done.
    Delivered,
    /// Failed; try again at this time.
    Retry { error: String, at: Timestamp },
    /// Failed past the retry horizon: dead-lettered.
    Dead { error: String },
}

/// Filters of a subscription's delivery log.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryState>,
    /// Created at or after.
    pub since: Option<Timestamp>,
    /// Created before.
    pub until: Option<Timestamp>,
}

/// What to send again.
#[derive(Debug, Clone)]
pub enum Replay {
    /// One delivery, whatever its state (a pending one is simply made due now).
    One(DeliveryId),
    /// Every dead letter of the subscription created in the range.
    Dead {
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    },
    /// Every delivery of the subscription created in the range, delivered or not.
    Range { since: Timestamp, until: Timestamp },
}

/// Which subscriptions get a delivery of which event: the enabled ones of the event's
/// account that ask for its field, for every channel or for the event's. Backends call this
/// with the account's subscriptions inside the transaction that stores the events.
pub fn fan_out<'a>(
    events: &'a [WebhookEvent],
    subscriptions: &'a [Subscription],
) -> Vec<(&'a WebhookEvent, &'a Subscription)> {
    events
        .iter()
        .flat_map(|e| {
            subscriptions
                .iter()
                .filter(move |s| {
                    s.account_id == e.account_id
                        && s.wants(e.field())
                        && (s.channel_id.is_none() || s.channel_id == e.channel_id)
                })
                .map(move |s| (e, s))
        })
        .collect()
}

/// The subscription columns, in [`SubscriptionRecord`] order.
#[macro_export]
macro_rules! subscription_columns {
    () => {
        "id, account_id, channel_id, url, secret, verify_token, fields, format, batch_size, \
         enabled, created_at, updated_at"
    };
}

/// The delivery columns, in [`DeliveryRecord`] order (the event's field comes from a join).
#[macro_export]
macro_rules! delivery_columns {
    () => {
        "d.id, d.subscription_id, d.event_id, d.message_id, e.field, d.state, d.attempts, \
         d.created_at, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, \
         d.last_latency_ms, d.delivered_at, d.body_excerpt"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub channel_id: Option<Uuid>,
    pub url: String,
    pub secret: String,
    pub verify_token: String,
    /// `,messages,statuses,`: each field between commas, so SQL can match one with LIKE.
    pub fields: String,
    pub format: String,
    pub batch_size: i64,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SubscriptionRecord {
    pub fn new(s: &Subscription) -> Self {
        Self {
            id: s.id.as_uuid(),
            account_id: s.account_id.as_uuid(),
            channel_id: s.channel_id.map(|c| c.as_uuid()),
            url: s.url.as_str().to_owned(),
            secret: crate::sealing::seal(s.secret.expose()),
            verify_token: crate::sealing::seal(s.verify_token.expose()),
            fields: fields_column(&s.fields),
            format: s.format.as_str().to_owned(),
            batch_size: i64::from(s.batch_size.get()),
            enabled: s.enabled,
            created_at: millis(s.created_at),
            updated_at: millis(s.updated_at),
        }
    }
}

pub fn fields_column(fields: &[EventField]) -> String {
    let mut s = String::from(",");
    for f in fields {
        s.push_str(f.as_str());
        s.push(',');
    }
    s
}

impl TryFrom<SubscriptionRecord> for Subscription {
    type Error = StoreError;
    fn try_from(r: SubscriptionRecord) -> Result<Self, StoreError> {
        let what = "webhook subscription";
        Ok(Subscription {
            id: SubscriptionId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: r.channel_id.map(ChannelId::from_uuid),
            url: WebhookUrl::parse(&r.url).map_err(|e| corrupt(what, e))?,
            secret: WebhookSecret::parse(&crate::sealing::open(what, &r.secret)?)
                .map_err(|e| corrupt(what, e))?,
            verify_token: VerifyToken::parse(&crate::sealing::open(what, &r.verify_token)?)
                .map_err(|e| corrupt(what, e))?,
            fields: r
                .fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(EventField::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt(what, e))?,
            format: PayloadFormat::parse(&r.format).map_err(|e| corrupt(what, e))?,
            batch_size: u32::try_from(r.batch_size)
                .map_err(|e| corrupt(what, e))
                .and_then(|n| BatchSize::new(n).map_err(|e| corrupt(what, e)))?,
            enabled: r.enabled,
            created_at: timestamp(what, r.created_at)?,
            updated_at: timestamp(what, r.updated_at)?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub channel_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    pub field: String,
    pub occurred_at: i64,
    pub data: Json<EventData>,
}

impl EventRecord {
    pub fn new(e: &WebhookEvent) -> Self {
        Self {
            id: e.id.as_uuid(),
            account_id: e.account_id.as_uuid(),
            channel_id: e.channel_id.map(|c| c.as_uuid()),
            message_id: e.data.message_id().map(|m| m.as_uuid()),
            field: e.field().as_str().to_owned(),
            occurred_at: millis(e.occurred_at),
            data: Json(e.data.clone()),
        }
    }
}

impl TryFrom<EventRecord> for WebhookEvent {
    type Error = StoreError;
    fn try_from(r: EventRecord) -> Result<Self, StoreError> {
        Ok(WebhookEvent {
            id: EventId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: r.channel_id.map(ChannelId::from_uuid),
            occurred_at: timestamp("webhook event", r.occurred_at)?,
            data: r.data.0,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub message_id: Option<Uuid>,
    pub field: String,
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub delivered_at: Option<i64>,
    pub body_excerpt: Option<String>,
}

impl TryFrom<DeliveryRecord> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRecord) -> Result<Self, StoreError> {
        let what = "webhook delivery";
        let at = |ms: Option<i64>| ms.map(|ms| timestamp(what, ms)).transpose();
        Ok(Delivery {
            id: DeliveryId::from_uuid(r.id),
            subscription_id: SubscriptionId::from_uuid(r.subscription_id),
            event_id: EventId::from_uuid(r.event_id),
            message_id: r.message_id.map(MessageId::from_uuid),
            field: EventField::parse(&r.field).map_err(|e| corrupt(what, e))?,
            state: DeliveryState::parse(&r.state).map_err(|e| corrupt(what, e))?,
            attempts: u32::try_from(r.attempts).map_err(|e| corrupt(what, e))?,
            created_at: timestamp(what, r.created_at)?,
            next_attempt_at: at(r.next_attempt_at)?,
            last_attempt_at: at(r.last_attempt_at)?,
            last_status_code: r
                .last_status_code
                .map(u16::try_from)
                .transpose()
                .map_err(|e| corrupt(what, e))?,
            last_error: r.last_error,
            last_latency_ms: r
                .last_latency_ms
                .map(u32::try_from)
                .transpose()
                .map_err(|e| corrupt(what, e))?,
            delivered_at: at(r.delivered_at)?,
            body_excerpt: r.body_excerpt,
        })
    }
}

/// A new delivery row: one event for one subscription, due at once.
#[derive(Debug, Clone)]
pub struct NewDeliveryRecord {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub message_id: Option<Uuid>,
    pub created_at: i64,
}

/// The rows to insert for `events`: the events that have at least one subscriber, and one
/// delivery per (event, subscription). Events nobody subscribed to are not stored.
pub fn event_rows(
    events: &[WebhookEvent],
    subscriptions: &[Subscription],
    now: Timestamp,
) -> (Vec<EventRecord>, Vec<NewDeliveryRecord>) {
    let pairs = fan_out(events, subscriptions);
    let mut stored: HashMap<EventId, ()> = HashMap::new();
    let mut event_rows = Vec::new();
    let mut deliveries = Vec::with_capacity(pairs.len());
    for (e, s) in pairs {
        if stored.insert(e.id, ()).is_none() {
            event_rows.push(EventRecord::new(e));
        }
        deliveries.push(NewDeliveryRecord {
            id: DeliveryId::generate().as_uuid(),
            subscription_id: s.id.as_uuid(),
            event_id: e.id.as_uuid(),
            message_id: e.data.message_id().map(|m| m.as_uuid()),
            created_at: millis(now),
        });
    }
    (event_rows, deliveries)
}
