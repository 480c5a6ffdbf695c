//! One event on its way to one subscription, as wagate holds it. (The storage contract keeps
//! it; `wagate_store` re-exports it.)

use super::{DeliveryState, EventField};
use crate::Timestamp;
use crate::ids::{DeliveryId, EventId, MessageId, SubscriptionId};

/// One event on its way to one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub subscription_id: SubscriptionId,
    pub event_id: EventId,
    pub message_id: Option<MessageId>,
    pub field: EventField,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: Timestamp,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's HTTP status on the last attempt (none: no answer).
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed (a timeout, a refused connection, a 5xx…).
    pub last_error: Option<String>,
    pub last_latency_ms: Option<u32>,
    pub delivered_at: Option<Timestamp>,
    /// The first bytes of the receiver's answer to the last attempt (none: no answer, or
    /// an empty one).
    pub body_excerpt: Option<String>,
}
